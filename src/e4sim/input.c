/* stdin, line by line, and the signals that end the run. A signal writes to
 * a pipe that the poll on stdin watches, so it is never missed. */
#include "sim.h"
#include "../e4/cli.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int stop_fd = -1; /* readable after SIGINT or SIGTERM (../e4/stop_signals.c) */

int input_setup_signals(void)
{
    return (stop_fd = cli_stop_signals_init()) < 0;
}

/* Wait for stdin (when used) or a signal: 1 when stdin is readable. */
static int wait_input(int use_stdin)
{
    for (;;) {
        struct pollfd fds[2] = {{stop_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        int n;
        if (cli_stop_signal)
            return 0;
        n = poll(fds, use_stdin ? 2 : 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || cli_stop_signal || (fds[0].revents & POLLIN))
            return 0;
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
            return 1;
    }
}

/* Hand every complete line of buf to command_line; 1 to stop. */
static int lines(sim *s, char *buf, size_t *len)
{
    char *nl;
    while ((nl = memchr(buf, '\n', *len)) != NULL) {
        size_t used = (size_t)(nl - buf) + 1;
        int stop;
        *nl = '\0';
        stop = command_line(s, buf);
        memmove(buf, buf + used, *len - used);
        *len -= used;
        if (stop || cli_stop_signal)
            return 1;
    }
    return 0;
}

void input_loop(sim *s, int use_stdin)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);

    while (buf && wait_input(use_stdin)) {
        ssize_t r;
        if (len + 1 >= cap) {
            char *nb = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                out_error(s, "input line too long");
                break;
            }
            buf = nb;
            cap *= 2;
        }
        r = read(STDIN_FILENO, buf + len, cap - len - 1);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0) {
            buf[len] = '\0';
            if (len > 0) /* a last line without a newline */
                command_line(s, buf);
            break;
        }
        len += (size_t)r;
        if (lines(s, buf, &len))
            break;
    }
    free(buf);
}
