/* mqttinfo: the sub-command table. `mqttinfo [options] [URL]` analyzes one
 * broker; `mqttinfo scan` surveys many; `mqttinfo report` summarises a
 * survey. Each sub-command lives in its own cmd_*.c. */
#include "cli.h"

#include <signal.h>
#include <string.h>

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} subcommands[] = {
    {"scan", mi_scan_main},
    {"report", mi_report_main},
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; argc > 1 && i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].main(argc - 1, argv + 1);
    return mi_analyze_main(argc, argv);
}
