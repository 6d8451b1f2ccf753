/* e4c2 init: a new C2 database in one mode, with its master key check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "commands.h"
#include "meta.h"
#include "schema.h"
#include "store_admin.h"
#include "suite.h"

static int validate(const c2_config *cfg, uint64_t *ops, uint64_t *mem)
{
    char *end;
    c2_mode mode;
    e4_suite suite;
    if (c2_mode_parse(cfg->mode, &mode, &suite) != 0) {
        fprintf(stderr, "e4c2 init: --mode sk, pk, fips-sk, fips-pk or pq-pk is required\n");
        return 2;
    }
    *ops = cfg->kdf_ops ? strtoull(cfg->kdf_ops, &end, 10) : 0;
    if (cfg->kdf_ops && (*end || *ops < 1 || *ops > 100)) {
        fprintf(stderr, "e4c2 init: --kdf-ops must be 1..100\n");
        return 2;
    }
    *mem = cfg->kdf_mem ? strtoull(cfg->kdf_mem, &end, 10) : 0;
    if (cfg->kdf_mem && (*end || *mem < 8192 || *mem > 4194304)) {
        fprintf(stderr, "e4c2 init: --kdf-mem must be 8192..4194304 KiB\n");
        return 2;
    }
    return 0;
}

static int initialise(db *d, const c2_config *cfg, const keyring_source *src)
{
    c2_error e = {0};
    char mode[16];
    keyring *kr;
    c2_mode family = C2_MODE_SK;
    e4_suite suite = E4_SUITE_BASE;
    (void)c2_mode_parse(cfg->mode, &family, &suite); /* validated */
    if (schema_migrate(d, &e) != 0) {
        fprintf(stderr, "e4c2 init: %s\n", e.message);
        return 1;
    }
    if (meta_get_text(d, "mode", mode, sizeof mode, &e) == 0) {
        fprintf(stderr, "e4c2 init: %s is already a C2 database (mode %s)\n", config_db_url(cfg),
                mode);
        return 1;
    }
    if (db_begin(d) != DB_OK) {
        fprintf(stderr, "e4c2 init: %s\n", db_errmsg(d));
        return 1;
    }
    e.code = C2_OK;
    kr = keyring_create(d, src, &e);
    if (!kr || meta_put_text(d, "mode", cfg->mode, &e) != 0 ||
        (family == C2_MODE_PK && store_c2_create(d, kr, suite, &e) != C2_OK) ||
        db_commit(d) != DB_OK) {
        db_rollback(d);
        keyring_free(kr);
        fprintf(stderr, "e4c2 init: %s\n", e.message[0] ? e.message : db_errmsg(d));
        return 1;
    }
    keyring_free(kr);
    return 0;
}

int cmd_init(const c2_config *cfg)
{
    char pass[1024];
    keyring_source src;
    uint64_t ops, mem;
    db *d;
    int rc = validate(cfg, &ops, &mem);
    if (rc || (rc = master_key_source(cfg, &src, pass, sizeof pass)) != 0)
        return rc;
    src.kdf_ops = ops;
    src.kdf_mem_kib = mem;
    if (!(d = open_database(cfg))) {
        sodium_memzero(pass, sizeof pass);
        return 1;
    }
    rc = initialise(d, cfg, &src);
    sodium_memzero(pass, sizeof pass);
    db_close(d);
    if (rc == 0)
        printf("initialised %s in %s mode\n", config_db_url(cfg), cfg->mode);
    return rc;
}
