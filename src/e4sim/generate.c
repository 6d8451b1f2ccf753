/* e4sim --generate N: a devices file for N new devices named PREFIX-1 ..
 * PREFIX-N, ids hashed from the names, random keys. Written to stdout or,
 * atomically and readable by its owner only (it holds secret keys), to
 * --out FILE, so that a test can import the same file into the key
 * server. */
#include "sim.h"
#include "../e4/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void hex_member(FILE *f, const char *name, const uint8_t *v, size_t len)
{
    char hex[2 * E4_ED25519_SK_LEN + 1];
    hex_encode(hex, v, len);
    fprintf(f, ",\"%s\":\"%s\"", name, hex);
}

static int write_device(FILE *f, const sim_opts *o, uint32_t i)
{
    char name[E4_NAME_MAX + 16];
    uint8_t id[E4_ID_LEN], key[E4_ED25519_SK_LEN], pub[E4_ED25519_PK_LEN];

    snprintf(name, sizeof name, "%s-%u", o->prefix, (unsigned)i);
    if (cli_hash_name(id, name) != E4_OK) {
        cli_error("--prefix: '%s' is not a valid name: %s", name, e4_strerror(E4_ERR_INVALID_NAME));
        return 1;
    }
    fputs("{\"name\":", f);
    escape_json(f, (const uint8_t *)name, strlen(name));
    hex_member(f, "id", id, sizeof id);
    if (o->pk_mode) {
        if (e4_ed25519_keypair(key, pub) != E4_OK) {
            cli_error("cannot generate a key pair");
            return 1;
        }
        hex_member(f, "sign_key", key, E4_ED25519_SK_LEN);
        hex_member(f, "pubkey", pub, sizeof pub);
        hex_member(f, "c2_pubkey", o->c2_pk, sizeof o->c2_pk);
    } else {
        e4_random_key(key);
        hex_member(f, "key", key, E4_KEY_LEN);
    }
    e4_wipe(key, sizeof key);
    fputs("}\n", f);
    return 0;
}

/* --out FILE: a temporary file beside it, renamed over it at the end. */
static FILE *open_out(const char *path, char **tmp)
{
    int fd;
    FILE *f;
    if (!path) {
        *tmp = NULL;
        return stdout;
    }
    if (!(*tmp = malloc(strlen(path) + 8)))
        return NULL;
    sprintf(*tmp, "%s.XXXXXX", path);
    fd = mkstemp(*tmp); /* mode 0600 */
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        cli_error("cannot create %s: %s", *tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(*tmp);
        }
        free(*tmp);
        *tmp = NULL;
        return NULL;
    }
    return f;
}

static int close_out(FILE *f, const char *path, char *tmp, int failed)
{
    int rc = failed;
    if (fflush(f) != 0 || ferror(f) || (tmp && fsync(fileno(f)) != 0)) {
        cli_error("cannot write %s: %s", path ? path : "stdout", strerror(errno));
        rc = 1;
    }
    if (!tmp)
        return rc;
    if (fclose(f) != 0 && !rc) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        rc = 1;
    }
    if (!rc && rename(tmp, path) != 0) {
        cli_error("cannot rename %s to %s: %s", tmp, path, strerror(errno));
        rc = 1;
    }
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int sim_generate(const sim_opts *o)
{
    char *tmp;
    FILE *f;
    uint32_t i;
    int failed = 0;

    if (o->pk_mode && !o->have_c2_pk)
        return cli_usage_error("--mode pk needs --c2-pubkey HEX (C2's X25519 public key)");
    if (!o->pk_mode && o->have_c2_pk)
        return cli_usage_error("--c2-pubkey is for --mode pk");
    f = open_out(o->out, &tmp);
    if (!f)
        return 1;
    for (i = 1; i <= o->generate && !failed; i++)
        failed = write_device(f, o, i);
    return close_out(f, o->out, tmp, failed);
}
