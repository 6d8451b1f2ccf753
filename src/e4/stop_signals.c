/* SIGINT and SIGTERM as a readable pipe (the self-pipe pattern), shared by
 * the programs that poll stdin and must never miss a stop request. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t cli_stop_signal;
static int stop_pipe[2] = {-1, -1};

static void on_stop(int sig)
{
    int saved = errno;
    ssize_t r;
    cli_stop_signal = sig;
    r = write(stop_pipe[1], "", 1);
    (void)r;
    errno = saved;
}

int cli_stop_signals_init(void)
{
    struct sigaction sa;
    if (pipe(stop_pipe) != 0) {
        cli_error("pipe: %s", strerror(errno));
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return stop_pipe[0];
}

void cli_stop_signals_close(void)
{
    if (stop_pipe[0] >= 0) {
        close(stop_pipe[0]);
        close(stop_pipe[1]);
        stop_pipe[0] = stop_pipe[1] = -1;
    }
}
