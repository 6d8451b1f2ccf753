/* mqttinfo: the sub-commands, and what their option parsing shares. */
#ifndef MQTTINFO_CLI_H
#define MQTTINFO_CLI_H

#include "mi.h"

#include <stdio.h>

/* Each sub-command: argv[0] is its name; returns the exit status. */
int mi_analyze_main(int argc, char **argv); /* cmd_analyze.c: one broker */
int mi_scan_main(int argc, char **argv);    /* cmd_scan.c: many, JSON lines */
int mi_report_main(int argc, char **argv);  /* cmd_report.c: a survey's summary */

void mi_options_defaults(mi_options *o);
/* Seconds (may be fractional) -> milliseconds. 0 or -1. */
int mi_parse_timeout(const char *s, int *ms);

/* Where the password comes from, in this order: -P (kept for tests: visible
 * in ps), --password-file FILE (its first line; "-" is stdin), the
 * MQTTINFO_PASSWORD environment variable (only with a user). Fills
 * o->password, backed by buf. 0, or -1 after a message that never
 * contains the password. */
int mi_password_resolve(mi_options *o, const char *file, char *buf, size_t len, const char *prog);
/* The first line of f (named path in messages), without its line end,
 * into buf: 0, or -1 after a message (empty, too long, or a read error with
 * its cause) with buf wiped. */
int mi_password_read(FILE *f, const char *path, char *buf, size_t len, const char *prog);

#endif
