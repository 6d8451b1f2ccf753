/* e4c2 token create|list|revoke: API tokens, managed on the database. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "commands.h"
#include "schema.h"
#include "store.h"

static int print_token(void *ctx, const c2_token *t)
{
    const c2_config *cfg = ctx;
    if (cfg->json)
        printf("{\"name\":\"%s\",\"read_only\":%s,\"created\":%lld,\"last_used\":%lld}\n", t->name,
               t->read_only ? "true" : "false", (long long)t->created, (long long)t->last_used);
    else
        printf("%-32s %-10s created %lld\n", t->name, t->read_only ? "read-only" : "read-write",
               (long long)t->created);
    return 0;
}

static int run_token(store *s, const c2_config *cfg, const char *verb, const char *name)
{
    c2_error e = {0};
    char token[64];
    if (!strcmp(verb, "create")) {
        if (store_token_create(s, name, cfg->read_only, token, &e) != C2_OK)
            goto fail;
        printf("%s\n", token); /* alone on stdout: `T=$(e4c2 token create ops)` */
        sodium_memzero(token, sizeof token);
        return 0;
    }
    if (!strcmp(verb, "revoke"))
        return store_token_revoke(s, name, &e) == C2_OK
                   ? 0
                   : (fprintf(stderr, "e4c2 token: %s\n", e.message), 1);
    if (store_token_list(s, print_token, (void *)cfg, &e) == C2_OK)
        return 0;
fail:
    fprintf(stderr, "e4c2 token: %s\n", e.message);
    return 1;
}

static int validate(int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    int needs_name = !strcmp(verb, "create") || !strcmp(verb, "revoke");
    if (!needs_name && strcmp(verb, "list")) {
        fprintf(stderr, "e4c2 token: expected create NAME, list or revoke NAME\n");
        return 2;
    }
    if (argc != (needs_name ? 2 : 1)) {
        fprintf(stderr, "e4c2 token %s: %s\n", verb,
                needs_name ? "expected one NAME" : "takes no argument");
        return 2;
    }
    return 0;
}

int cmd_token(const c2_config *cfg, int argc, char **argv)
{
    c2_error e = {0};
    store_pool *pool;
    store *s;
    int rc = validate(argc, argv);
    if (rc)
        return rc;
    pool = store_pool_open(config_db_url(cfg), NULL, 1, &e);
    if (!pool) {
        fprintf(stderr, "e4c2 token: %s\n", e.message);
        return 1;
    }
    s = store_pool_get(pool);
    rc = run_token(s, cfg, argv[0], argc > 1 ? argv[1] : NULL);
    store_pool_put(pool, s);
    store_pool_close(pool);
    return rc;
}
