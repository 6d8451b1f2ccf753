/* e4sim --generate N: a devices file for N new devices named PREFIX-1 ..
 * PREFIX-N, ids hashed from the names, random keys (in fips-pk and pq-pk
 * the suite's sets, as e4 client's --sign-key takes them). Written to stdout or,
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
    char hex[2 * IDENTITY_C2_PK_MAX + 1];
    hex_encode(hex, v, len);
    fprintf(f, ",\"%s\":\"%s\"", name, hex);
    e4_wipe(hex, 2 * len);
}

/* A device's random keys in a public-key suite: sign (the private set),
 * pub (what peers store), c2_facing (what C2 needs: fips-pk's agreement
 * key, pq-pk's X-Wing key; *c2_facing_len 0 in base). */
struct pk_device_keys {
    uint8_t sign[IDENTITY_SIGN_MAX], pub[IDENTITY_C2_PK_MAX], c2_facing[E4_XWING_PK_LEN];
    size_t c2_facing_len;
};

static e4_err gen_pk_keys(e4_suite suite, struct pk_device_keys *k)
{
    uint8_t *s = k->sign;
    e4_err err;

    k->c2_facing_len = 0;
    if (suite == E4_SUITE_FIPS_PK) {
        k->c2_facing_len = E4_P256_PK_LEN;
        err = e4_p256_keypair(s, k->pub);
        return err ? err : e4_p256_keypair(s + E4_P256_SK_LEN, k->c2_facing);
    }
    if ((err = e4_ed25519_keypair(s, k->pub)) || suite != E4_SUITE_PQ_PK)
        return err;
    e4_random_key(s + E4_ED25519_SK_LEN);
    e4_random_key(s + E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN);
    k->c2_facing_len = E4_XWING_PK_LEN;
    err = e4_mldsa65_public(k->pub + E4_ED25519_PK_LEN, s + E4_ED25519_SK_LEN);
    return err ? err : e4_xwing_public(k->c2_facing, s + E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN);
}

static int write_pk_device(FILE *f, const sim_opts *o, const uint8_t *c2_pk)
{
    struct pk_device_keys k;
    e4_err err = gen_pk_keys(o->suite, &k);

    if (err == E4_OK) {
        hex_member(f, "sign_key", k.sign, idkeys_sign_len(o->suite));
        hex_member(f, "pubkey", k.pub, idkeys_peer_len(o->suite));
        if (k.c2_facing_len)
            hex_member(f, o->suite == E4_SUITE_PQ_PK ? "xwing_pubkey" : "agree_pubkey", k.c2_facing,
                       k.c2_facing_len);
        hex_member(f, "c2_pubkey", c2_pk, idkeys_c2_len(o->suite));
    }
    e4_wipe(k.sign, sizeof k.sign);
    if (err != E4_OK)
        cli_error("cannot generate a key pair: %s", e4_strerror(err));
    return err != E4_OK;
}

static int write_device(FILE *f, const sim_opts *o, const uint8_t *c2_pk, uint32_t i)
{
    char name[E4_NAME_MAX + 16];
    uint8_t id[E4_ID_LEN], key[E4_KEY_LEN];

    snprintf(name, sizeof name, "%s-%u", o->prefix, (unsigned)i);
    if (cli_hash_name(id, name) != E4_OK) {
        cli_error("--prefix: '%s' is not a valid name: %s", name, e4_strerror(E4_ERR_INVALID_NAME));
        return 1;
    }
    fputs("{\"name\":", f);
    escape_json(f, (const uint8_t *)name, strlen(name));
    hex_member(f, "id", id, sizeof id);
    if (o->suite != E4_SUITE_BASE)
        fprintf(f, ",\"suite\":\"%s\"", cli_suite_of(o->suite)->name);
    if (o->pk_mode) {
        if (write_pk_device(f, o, c2_pk))
            return 1;
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
    uint8_t c2_pk[IDENTITY_C2_PK_MAX];
    char *tmp;
    FILE *f;
    uint32_t i;
    int failed = 0;

    if (o->pk_mode && !o->c2_pk_arg)
        return cli_usage_error("--mode pk needs --c2-pubkey HEX (C2's public key(s))");
    if (!o->pk_mode && o->c2_pk_arg)
        return cli_usage_error("--c2-pubkey is for --mode pk");
    if (o->pk_mode && (failed = idkeys_read("--c2-pubkey", o->c2_pk_arg, NULL, o->suite, 1, c2_pk)))
        return failed;
    f = open_out(o->out, &tmp);
    if (!f)
        return 1;
    for (i = 1; i <= o->generate && !failed; i++)
        failed = write_device(f, o, c2_pk, i);
    return close_out(f, o->out, tmp, failed);
}
