/* e4proxy's settings: file, environment, flags (config.c). */
#ifndef E4PROXY_CONFIG_H
#define E4PROXY_CONFIG_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"

struct argv_list {
    char **v; /* NULL-terminated */
    size_t n;
};
/* argv[0], the config file's settings, the environment's, then argv[1..]:
 * 0, or 1 (reported; or out of memory). */
int config_argv(struct argv_list *a, const struct option *opts, int argc, char **argv);
int config_file(struct argv_list *a, const struct option *opts, const char *path);
/* The same over an open stream: 0, or 1 with the reason (naming path and
 * the line) in err; nothing printed. */
int config_stream(struct argv_list *a, const struct option *opts, const char *path, FILE *f,
                  char *err, size_t errlen);
int config_env(struct argv_list *a, const struct option *opts);
const char *config_path(int argc, char **argv);
void argv_free(struct argv_list *a);

#endif
