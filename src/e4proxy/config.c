/* Settings from a file (--config FILE, or E4PROXY_CONFIG), the environment
 * (E4PROXY_<OPTION>, e.g. E4PROXY_MAX_PACKET) and flags, in that order of
 * precedence (flags win): the file's "option = value" lines and the
 * environment become long options placed before the command line's, so
 * getopt reads them all and the last value of an option counts (repeatable
 * ones, such as --protect, accumulate). The option names are getopt's
 * table: there is no second list. */
#include "e4proxy_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int argv_push(struct argv_list *a, const char *name, const char *value)
{
    size_t n = strlen(name) + (value ? strlen(value) + 1 : 0) + 3;
    char *s = malloc(n), **nv;

    if (!s || !(nv = realloc(a->v, (a->n + 2) * sizeof *nv))) {
        free(s);
        return -1;
    }
    a->v = nv;
    snprintf(s, n, value ? "--%s=%s" : "--%s", name, value ? value : "");
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
    return 0;
}

static const struct option *find_option(const struct option *opts, const char *name)
{
    for (; opts->name; opts++)
        if (strcmp(opts->name, name) == 0)
            return opts;
    return NULL;
}

static char *trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* One "name = value" (or "name" for a flag) line: 0, or 1 with the reason
 * in err. */
static int config_line(struct argv_list *a, const struct option *opts, const char *path, int lineno,
                       char *line, char *err, size_t errlen)
{
    char *eq = strchr(line, '='), *name, *value = NULL;
    const struct option *o;

    if (eq) {
        *eq = '\0';
        value = trim(eq + 1);
    }
    name = trim(line);
    if (!*name || *name == '#')
        return 0;
    if (!(o = find_option(opts, name)) || !strcmp(name, "config") || !strcmp(name, "help") ||
        !strcmp(name, "version")) {
        snprintf(err, errlen, "%s:%d: unknown setting '%s'", path, lineno, name);
        return 1;
    }
    if ((o->has_arg == required_argument) != (value != NULL)) {
        snprintf(err, errlen, "%s:%d: '%s' %s", path, lineno, name,
                 value ? "takes no value" : "needs a value (name = value)");
        return 1;
    }
    if (argv_push(a, name, value) != 0) {
        snprintf(err, errlen, "%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    return 0;
}

int config_stream(struct argv_list *a, const struct option *opts, const char *path, FILE *f,
                  char *err, size_t errlen)
{
    char line[4096];
    int lineno = 0, rc = 0;

    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            rc = 1;
            break;
        }
        if (line[0] != '#')
            rc = config_line(a, opts, path, lineno, line, err, errlen);
    }
    return rc;
}

int config_file(struct argv_list *a, const struct option *opts, const char *path)
{
    char why[512];
    int rc;
    FILE *f = fopen(path, "r");

    if (!f) {
        cli_error("--config %s: %s", path, strerror(errno));
        return 1;
    }
    rc = config_stream(a, opts, path, f, why, sizeof why);
    fclose(f);
    if (rc)
        cli_error("%s", why);
    return rc;
}

int config_env(struct argv_list *a, const struct option *opts)
{
    char var[96];
    const char *v;
    size_t i;

    for (; opts->name; opts++) {
        if (!strcmp(opts->name, "config") || opts->has_arg != required_argument)
            continue;
        snprintf(var, sizeof var, "E4PROXY_%s", opts->name);
        for (i = 8; var[i]; i++)
            var[i] = var[i] == '-' ? '_' : (char)toupper((unsigned char)var[i]);
        if ((v = getenv(var)) && *v && argv_push(a, opts->name, v))
            return 1;
    }
    return 0;
}

/* --config FILE from the command line (last one wins), or E4PROXY_CONFIG. */
const char *config_path(int argc, char **argv)
{
    const char *path = getenv("E4PROXY_CONFIG");
    int i;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
    }
    return path && *path ? path : NULL;
}

int config_argv(struct argv_list *a, const struct option *opts, int argc, char **argv)
{
    const char *path = config_path(argc, argv);
    int i;

    memset(a, 0, sizeof *a);
    if (argv_push(a, "x", NULL))
        return 1;
    free(a->v[0]);
    a->v[0] = strdup(argv[0]);
    if (!a->v[0] || (path && config_file(a, opts, path)) || config_env(a, opts))
        return 1;
    for (i = 1; i < argc; i++) {
        char **nv = realloc(a->v, (a->n + 2) * sizeof *nv);
        if (!nv || !(nv[a->n] = strdup(argv[i]))) {
            if (nv)
                a->v = nv;
            return 1;
        }
        a->v = nv;
        a->n++;
        a->v[a->n] = NULL;
    }
    return 0;
}

void argv_free(struct argv_list *a)
{
    size_t i;
    for (i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}
