#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

const char *config_db_url(const c2_config *cfg)
{
    return cfg->db ? cfg->db : "sqlite:e4c2.db";
}

db *open_database(const c2_config *cfg)
{
    char err[256];
    db *d = db_open(config_db_url(cfg), err, sizeof err);
    if (!d)
        fprintf(stderr, "e4c2: %s\n", err);
    return d;
}

static int read_secret_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;
    if (!f) {
        fprintf(stderr, "e4c2: cannot open %s: %s\n", path, strerror(errno));
        return 2;
    }
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = 0;
    if (memchr(buf, 0, n)) {
        fprintf(stderr, "e4c2: %s holds a NUL byte\n", path);
        return 2;
    }
    return 0;
}

int master_key_source(const c2_config *cfg, keyring_source *src, char *buf, size_t cap)
{
    const char *env = getenv("E4C2_PASSPHRASE");
    memset(src, 0, sizeof *src);
    if (cfg->key_file && (cfg->passphrase_file || (env && *env))) {
        fprintf(stderr, "e4c2: give either a key file or a passphrase, not both\n");
        return 2;
    }
    if (cfg->key_file) {
        src->key_file = cfg->key_file;
        return 0;
    }
    if (cfg->passphrase_file) {
        if (read_secret_file(cfg->passphrase_file, buf, cap) != 0)
            return 2;
    } else if (env && *env) {
        snprintf(buf, cap, "%s", env);
    } else {
        fprintf(stderr, "e4c2: no master key: give --passphrase-file FILE, E4C2_PASSPHRASE or "
                        "--key-file FILE (there is no default)\n");
        return 2;
    }
    src->passphrase = buf;
    return 0;
}
