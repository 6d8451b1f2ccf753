/*
 * fuzz_e4proxy_config.c - libFuzzer target for e4proxy's config file
 * parser (src/e4proxy/config.c): any text, over an option table like
 * e4proxy's. Invariant: every setting accepted becomes one well-formed
 * long option "--NAME" or "--NAME=VALUE" whose NAME is in the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "e4proxy_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct option opts[] = {
    {"broker", required_argument, NULL, 'b'}, {"protect", required_argument, NULL, 1},
    {"no-receipts", no_argument, NULL, 2},    {"config", required_argument, NULL, 3},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
};

/* "--NAME" or "--NAME=VALUE", NAME in the table (not config or help), a
 * value exactly when the option takes one. */
static void check_setting(const char *s)
{
    const char *eq;
    size_t len;
    const struct option *o;

    CHECK(strncmp(s, "--", 2) == 0);
    eq = strchr(s + 2, '=');
    len = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
    for (o = opts; o->name; o++)
        if (strlen(o->name) == len && memcmp(o->name, s + 2, len) == 0)
            break;
    CHECK(o->name && strcmp(o->name, "config") != 0 && strcmp(o->name, "help") != 0);
    CHECK((o->has_arg == required_argument) == (eq != NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct argv_list a = {0};
    char err[512];
    FILE *f;
    size_t i;

    if (size == 0)
        return 0;
    if (!(f = fmemopen((void *)data, size, "r")))
        return 0;
    err[0] = '\0';
    /* an error always names the file and the line (or says memory ran out) */
    if (config_stream(&a, opts, "fuzz.conf", f, err, sizeof err) != 0)
        CHECK(strncmp(err, "fuzz.conf:", 10) == 0 ||
              strcmp(err, e4_strerror(E4_ERR_NO_MEMORY)) == 0);
    fclose(f);
    for (i = 0; i < a.n; i++)
        check_setting(a.v[i]);
    CHECK(!a.v || a.v[a.n] == NULL);
    argv_free(&a);
    return 0;
}
