/* Messages shared by the subcommands. */
#include "cli.h"

#include <getopt.h>

#include <stdarg.h>
#include <stdio.h>

#ifndef E4_VERSION_STRING
#define E4_VERSION_STRING "unknown"
#endif

const char *cli_prog = "e4";

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_try_help(void)
{
    fprintf(stderr, "Try '%s --help' for more information.\n", cli_prog);
    return EXIT_USAGE;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return cli_try_help();
}

int cli_version(void)
{
    printf("e4 %s (libe4 %s)\n", E4_VERSION_STRING, e4_version());
    return 0;
}

int cli_end_of_options(int argc, char **argv, int *rc)
{
    if (*rc)
        return 1;
    if (optind < argc) {
        *rc = cli_usage_error("unexpected argument '%s'", argv[optind]);
        return 1;
    }
    return 0;
}
