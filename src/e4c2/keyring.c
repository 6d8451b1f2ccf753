#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "hex.h"
#include "meta.h"

struct keyring {
    uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
};

#define SALT_LEN crypto_pwhash_SALTBYTES
static const char check_plain[] = "e4c2 master key check v1";

static void set_err(c2_error *e, c2_err code, const char *msg)
{
    e->code = code;
    snprintf(e->message, sizeof e->message, "%s", msg);
}

/* ad = "e4c2/" where NUL row */
static size_t make_ad(uint8_t *ad, size_t cap, const char *where, const void *row, size_t row_len)
{
    size_t wl = strlen(where);
    if (5 + wl + 1 + row_len > cap)
        return 0;
    memcpy(ad, "e4c2/", 5);
    memcpy(ad + 5, where, wl + 1);
    if (row_len)
        memcpy(ad + 6 + wl, row, row_len);
    return 6 + wl + row_len;
}

int seal(const keyring *kr, uint8_t *out, const char *where, const void *row, size_t row_len,
         const uint8_t *plain, size_t len)
{
    uint8_t ad[1024];
    size_t ad_len = make_ad(ad, sizeof ad, where, row, row_len);
    if (!ad_len || len > SEAL_MAX_PLAIN)
        return -1;
    randombytes_buf(out, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 24, NULL, plain, len, ad, ad_len, NULL, out,
                                               kr->key);
    return 0;
}

int unseal(const keyring *kr, uint8_t *out, size_t out_cap, size_t *len, const char *where,
           const void *row, size_t row_len, const uint8_t *sealed, size_t sealed_len)
{
    uint8_t ad[1024];
    unsigned long long n = 0;
    size_t ad_len = make_ad(ad, sizeof ad, where, row, row_len);
    /* checked before decrypting: libsodium writes (zeroes) the whole output
     * length even when the tag does not verify */
    if (!ad_len || sealed_len < SEAL_OVERHEAD || sealed_len - SEAL_OVERHEAD > SEAL_MAX_PLAIN ||
        sealed_len - SEAL_OVERHEAD > out_cap)
        return -1;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &n, NULL, sealed + 24, sealed_len - 24, ad,
                                                   ad_len, sealed, kr->key) != 0)
        return -1;
    *len = (size_t)n;
    return 0;
}

/* 32 raw bytes, or 64 hex digits with optional trailing whitespace. */
static int parse_key_file(uint8_t key[32], const uint8_t *buf, size_t n)
{
    if (n == 32) {
        memcpy(key, buf, 32);
        return 0;
    }
    while (n > 64 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    if (n != 64)
        return -1;
    return hex_decode_n(key, 32, (const char *)buf);
}

static int read_key_file(uint8_t key[32], const char *path, c2_error *e)
{
    uint8_t buf[130];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    if (fd < 0) {
        snprintf(e->message, sizeof e->message, "cannot open key file %s: %s", path,
                 strerror(errno));
        e->code = C2_INVALID;
        return -1;
    }
    n = read(fd, buf, sizeof buf);
    close(fd);
    rc = n > 0 ? parse_key_file(key, buf, (size_t)n) : -1;
    sodium_memzero(buf, sizeof buf);
    if (rc != 0) {
        snprintf(e->message, sizeof e->message, "key file %s must hold 32 bytes or 64 hex digits",
                 path);
        e->code = C2_INVALID;
    }
    return rc;
}

static int derive(keyring *kr, const keyring_source *src, const uint8_t salt[SALT_LEN],
                  uint64_t ops, uint64_t mem_kib, c2_error *e)
{
    if (src->key_file)
        return read_key_file(kr->key, src->key_file, e);
    if (crypto_pwhash(kr->key, sizeof kr->key, src->passphrase, strlen(src->passphrase), salt, ops,
                      (size_t)mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        set_err(e, C2_INTERNAL, "Argon2id failed (out of memory?)");
        return -1;
    }
    return 0;
}

static keyring *keyring_alloc(const keyring_source *src, c2_error *e)
{
    keyring *kr;
    if (!src->passphrase == !src->key_file) {
        set_err(e, C2_INVALID,
                "give a passphrase (--passphrase-file or E4C2_PASSPHRASE) "
                "or a key file (--key-file), one of them");
        return NULL;
    }
    if (src->passphrase && strlen(src->passphrase) < 12) {
        set_err(e, C2_INVALID, "the passphrase must be at least 12 characters");
        return NULL;
    }
    kr = sodium_malloc(sizeof *kr);
    if (!kr)
        set_err(e, C2_INTERNAL, "out of memory");
    return kr;
}

keyring *keyring_create(db *d, const keyring_source *src, c2_error *e)
{
    uint8_t salt[SALT_LEN], check[sizeof check_plain + SEAL_OVERHEAD];
    uint64_t ops = src->kdf_ops ? src->kdf_ops : 3;
    uint64_t mem = src->kdf_mem_kib ? src->kdf_mem_kib : 65536;
    const char *kind = src->key_file ? "keyfile" : "argon2id";
    keyring *kr = keyring_alloc(src, e);
    if (!kr)
        return NULL;
    randombytes_buf(salt, sizeof salt);
    if (derive(kr, src, salt, ops, mem, e) != 0 ||
        seal(kr, check, "meta.check", NULL, 0, (const uint8_t *)check_plain, sizeof check_plain) ||
        meta_put_text(d, "kdf", kind, e) || meta_put_blob(d, "kdf_salt", salt, sizeof salt, e) ||
        meta_put_int(d, "kdf_ops", (int64_t)ops, e) ||
        meta_put_int(d, "kdf_mem_kib", (int64_t)mem, e) ||
        meta_put_blob(d, "check", check, sizeof check, e)) {
        keyring_free(kr);
        return NULL;
    }
    return kr;
}

static int verify_check(keyring *kr, db *d, const keyring_source *src, c2_error *e)
{
    uint8_t check[256], plain[SEAL_MAX_PLAIN];
    size_t n = 0, len = 0;
    if (meta_get_blob(d, "check", check, sizeof check, &n, e) != 0)
        return -1;
    if (unseal(kr, plain, sizeof plain, &len, "meta.check", NULL, 0, check, n) != 0 ||
        len != sizeof check_plain || memcmp(plain, check_plain, len) != 0) {
        set_err(e, C2_INVALID,
                src->key_file ? "wrong master key: the key file does not open this database"
                              : "wrong passphrase: it does not open this database");
        return -1;
    }
    return 0;
}

keyring *keyring_unlock(db *d, const keyring_source *src, c2_error *e)
{
    uint8_t salt[SALT_LEN];
    char kind[32];
    int64_t ops = 0, mem = 0;
    size_t n = 0;
    keyring *kr;
    if (meta_get_text(d, "kdf", kind, sizeof kind, e) != 0)
        return NULL;
    if (!strcmp(kind, "keyfile") != !src->passphrase) {
        set_err(e, C2_INVALID,
                src->key_file ? "this database was initialised with a passphrase, not a key file"
                              : "this database was initialised with a key file (--key-file)");
        return NULL;
    }
    kr = keyring_alloc(src, e);
    if (!kr)
        return NULL;
    if (meta_get_blob(d, "kdf_salt", salt, sizeof salt, &n, e) || n != sizeof salt ||
        meta_get_int(d, "kdf_ops", &ops, e) || meta_get_int(d, "kdf_mem_kib", &mem, e) ||
        derive(kr, src, salt, (uint64_t)ops, (uint64_t)mem, e) || verify_check(kr, d, src, e)) {
        if (e->code == C2_OK)
            set_err(e, C2_INTERNAL, "the key-derivation parameters in the database are damaged");
        keyring_free(kr);
        return NULL;
    }
    return kr;
}

void keyring_free(keyring *kr)
{
    if (kr)
        sodium_free(kr); /* zeroes */
}
