/* e4: one program, subcommands. Dispatch, top-level --help and --version. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"keygen", cmd_keygen, "generate or derive keys (every suite's kinds: --type, --suite)"},
    {"hash-topic", cmd_hash_topic, "print the 16-byte hash of a topic"},
    {"id", cmd_id, "print the 16-byte id of a name"},
    {"protect", cmd_protect, "protect stdin to stdout with explicit key material"},
    {"unprotect", cmd_unprotect, "unprotect stdin to stdout with explicit key material"},
    {"command", cmd_command, "build a protected C2 command"},
    {"client", cmd_client, "an E4 device on the command line (MQTT)"},
};

static void usage(FILE *f)
{
    size_t i;
    fprintf(f, "Usage: e4 COMMAND [OPTION]... [ARG]...\n"
               "End-to-end protection of MQTT payloads (E4, compatible with e4go v1.1).\n"
               "\n"
               "Commands:\n");
    for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(f, "  %-11s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\n"
               "Options:\n"
               "  -h, --help     show this help and exit\n"
               "  -V, --version  show the version and exit\n"
               "\n"
               "'e4 COMMAND --help' describes each command. Exit status: 0 on success,\n"
               "1 on failure (the reason is printed on stderr), 2 on a usage error.\n");
}

int main(int argc, char **argv)
{
    static char prog[64];
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
        return cli_version();

    for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
        if (!strcmp(argv[1], subcommands[i].name)) {
            snprintf(prog, sizeof prog, "e4 %s", subcommands[i].name);
            cli_prog = prog;
            argv[1] = prog; /* getopt prints argv[0] in its messages */
            return subcommands[i].run(argc - 1, argv + 1);
        }
    }
    if (argv[1][0] == '-')
        fprintf(stderr, "e4: unrecognized option '%s'\n", argv[1]);
    else
        fprintf(stderr, "e4: unknown command '%s'\n", argv[1]);
    fprintf(stderr, "Try 'e4 --help' for more information.\n");
    return EXIT_USAGE;
}
