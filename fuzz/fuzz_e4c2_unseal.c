/*
 * Fuzz the storage layer's decoding of sealed values (src/e4c2/keyring.c:
 * seal, unseal and the associated data "e4c2/" where NUL row), with the
 * output buffers and length bounds of the store's callers.
 *
 * The keyring comes from a fixed key file (written once to a temporary file
 * and removed), over SQLite ":memory:" databases, so the seed corpus
 * (fuzz/corpus/fuzz_e4c2_unseal/) holds real sealed values that open.
 *
 * Input: caller(1) || mutation(1) || where_len(2, LE) || row_len(2, LE) ||
 *        where || row || body
 * where is cut at its first NUL (it is a C string); lengths are clamped to
 * what the input holds.
 *
 *   A  body as a sealed value, unsealed as the caller `caller % 6` does it:
 *        0 clients.key  out E4_KEY_LEN,     sealed <= E4_KEY_LEN + 40 (copy_blob)
 *        1 topics.key   out E4_KEY_LEN,     sealed <= E4_KEY_LEN + 40 (copy_blob)
 *        2 c2keys.sk    out E4_X25519_LEN,  sealed: any length (c2_key_load)
 *        3 outbox.key   out E4_KEY_LEN,     sealed: any length (read_item)
 *        4 outbox.cmd   out E4_COMMAND_MAX, sealed <= E4_COMMAND_MAX + 40
 *        5 meta.check   out SEAL_MAX_PLAIN, sealed <= 256 (verify_check)
 *      Invariants: no crash and no write outside the caller's buffer; it
 *      never opens under another key; when it opens (a real sealed value from
 *      the seeds) it is exactly the plaintext's length plus 40, and it is
 *      bound to (where, row, bytes): see B's checks.
 *   B  body (up to 200 bytes) as a plaintext: seal() succeeds exactly when
 *      it is at most SEAL_MAX_PLAIN bytes and the associated data fits; the
 *      value opens for the same (where, row) into a buffer of exactly the
 *      plaintext's length, to the same bytes; and never after the mutation
 *      `mutation` picks: one byte of where, of row or of the sealed value
 *      changed, the value cut or extended, a byte moved across the
 *      where/row boundary, or another key.
 *
 * Setting FUZZ_UNSEAL_BOUND_CALLERS=1 bounds callers 2 and 3 like the others
 * (sealed <= out + 40), as fixed callers would: see the report of the bug it
 * finds otherwise (libsodium zeroes sealed_len - 40 bytes of `out` when the
 * tag does not verify).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "db.h"
#include "keyring.h"
#include "schema.h"

#include "check.h"

#define AD_CAP 1024 /* keyring.c's associated-data buffer */
#define PLAIN_FUZZ_MAX 200

/* The master keys: fixed, so that the seed corpus holds values that open. */
static const char key_hex[] = "4e34633220756e7365616c2066757a7a206b6579206f6e652c2066697865642e";
static const char other_hex[] = "4e34633220756e7365616c2066757a7a206b65792074776f2c2066697865642e";

static keyring *kr, *kr_other;
static db *dbs[2];
static int bound_callers;

static const struct caller {
    const char *name;
    size_t out;        /* the caller's output buffer */
    size_t max_sealed; /* what can reach unseal(); 0: any length */
    int zero_if_over;  /* copy_blob: a longer blob arrives as length 0 */
} callers[6] = {
    {"clients.key", E4_KEY_LEN, E4_KEY_LEN + SEAL_OVERHEAD, 1},
    {"topics.key", E4_KEY_LEN, E4_KEY_LEN + SEAL_OVERHEAD, 1},
    {"c2keys.sk", E4_X25519_LEN, 0, 0},
    {"outbox.key", E4_KEY_LEN, 0, 0},
    {"outbox.cmd", E4_COMMAND_MAX, E4_COMMAND_MAX + SEAL_OVERHEAD, 0},
    {"meta.check", SEAL_MAX_PLAIN, 256, 0},
};

static keyring *make_keyring(int i, const char *hex)
{
    char path[256], err[256];
    const char *tmp = getenv("TMPDIR");
    keyring_source src = {0};
    c2_error e = {0};
    keyring *k;
    int fd;
    snprintf(path, sizeof path, "%s/e4c2-fuzz-key.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, hex, strlen(hex)) == (ssize_t)strlen(hex) && write(fd, "\n", 1) == 1);
    close(fd);
    dbs[i] = db_open("sqlite::memory:", err, sizeof err);
    if (!dbs[i]) {
        fprintf(stderr, "db_open: %s\n", err);
        abort();
    }
    if (schema_migrate(dbs[i], &e) != 0) {
        fprintf(stderr, "schema_migrate: %s\n", e.message);
        abort();
    }
    src.key_file = path;
    k = keyring_create(dbs[i], &src, &e);
    unlink(path);
    if (!k) {
        fprintf(stderr, "keyring_create: %s\n", e.message);
        abort();
    }
    return k;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *b = getenv("FUZZ_UNSEAL_BOUND_CALLERS");
    (void)argc, (void)argv;
    CHECK(sodium_init() >= 0);
    kr = make_keyring(0, key_hex);
    kr_other = make_keyring(1, other_hex);
    bound_callers = b && *b && strcmp(b, "0") != 0;
    return 0;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    CHECK(d);
    if (n)
        memcpy(d, p, n);
    return d;
}

/* unseal into a buffer of exactly `cap` bytes (cap 0: sealed_len - 40), from
 * an exactly sized copy of `sealed`: ASan sees any access outside them. */
static int try_unseal(const keyring *k, size_t cap, const char *where, const uint8_t *row,
                      size_t row_len, const uint8_t *sealed, size_t sealed_len, uint8_t *plain_out,
                      size_t *plain_len)
{
    size_t want = cap ? cap : (sealed_len > SEAL_OVERHEAD ? sealed_len - SEAL_OVERHEAD : 0);
    uint8_t *out = malloc(want ? want : 1), *in = dup_bytes(sealed, sealed_len);
    size_t len = (size_t)-1;
    int rc;
    CHECK(out && in);
    rc = unseal(k, out, want, &len, where, row, row_len, in, sealed_len);
    if (rc == 0) {
        CHECK(sealed_len >= SEAL_OVERHEAD && len == sealed_len - SEAL_OVERHEAD && len <= want);
        CHECK(len <= SEAL_MAX_PLAIN);
        if (plain_out)
            memcpy(plain_out, out, len);
        if (plain_len)
            *plain_len = len;
    } else {
        CHECK(rc == -1);
    }
    free(out);
    free(in);
    return rc;
}

/* (where, row, sealed) opens to plain: check it opens nowhere else. */
static void check_bound(const char *where, const uint8_t *row, size_t row_len,
                        const uint8_t *sealed, size_t sealed_len, const uint8_t *plain, size_t plen,
                        unsigned m)
{
    size_t wl = strlen(where), len = 0;
    uint8_t got[SEAL_MAX_PLAIN];
    unsigned kind = m % 6, x = (m >> 3) | 1; /* x: a non-zero byte to XOR with */

    CHECK(try_unseal(kr, plen, where, row, row_len, sealed, sealed_len, got, &len) == 0);
    CHECK(len == plen && (plen == 0 || memcmp(got, plain, plen) == 0));
    CHECK(try_unseal(kr_other, 0, where, row, row_len, sealed, sealed_len, NULL, NULL) != 0);

    switch (kind) {
    case 0: /* one byte of where (a NUL there cuts it: still another place) */
        if (wl) {
            char *w = (char *)dup_bytes((const uint8_t *)where, wl + 1);
            w[(m * 7u + sealed_len) % wl] ^= (char)x;
            CHECK(try_unseal(kr, 0, w, row, row_len, sealed, sealed_len, NULL, NULL) != 0);
            free(w);
            break;
        }
        /* fall through */
    case 1: /* one byte of row, or a byte more or less */
        if (row_len) {
            uint8_t *r = dup_bytes(row, row_len);
            r[(m * 13u + sealed_len) % row_len] ^= (uint8_t)x;
            CHECK(try_unseal(kr, 0, where, r, row_len, sealed, sealed_len, NULL, NULL) != 0);
            CHECK(try_unseal(kr, 0, where, row, row_len - 1, sealed, sealed_len, NULL, NULL) != 0);
            free(r);
        }
        {
            uint8_t *r = malloc(row_len + 1);
            CHECK(r);
            if (row_len)
                memcpy(r, row, row_len);
            r[row_len] = (uint8_t)m;
            CHECK(try_unseal(kr, 0, where, r, row_len + 1, sealed, sealed_len, NULL, NULL) != 0);
            free(r);
        }
        break;
    case 2: { /* one byte of the sealed value: nonce, ciphertext or tag */
        uint8_t *s = dup_bytes(sealed, sealed_len);
        s[(m * 31u + wl) % sealed_len] ^= (uint8_t)x;
        CHECK(try_unseal(kr, 0, where, row, row_len, s, sealed_len, NULL, NULL) != 0);
        free(s);
        break;
    }
    case 3: { /* cut (1..sealed_len bytes) or extended by one byte */
        uint8_t *s = malloc(sealed_len + 1);
        size_t cut = 1 + (m * 17u) % sealed_len;
        CHECK(s);
        memcpy(s, sealed, sealed_len);
        s[sealed_len] = (uint8_t)m;
        CHECK(try_unseal(kr, 0, where, row, row_len, s, sealed_len - cut, NULL, NULL) != 0);
        CHECK(try_unseal(kr, 0, where, row, row_len, s, sealed_len + 1, NULL, NULL) != 0);
        free(s);
        break;
    }
    case 4: /* a byte moved across the where/row boundary, either way */
        if (wl) {
            char *w = (char *)dup_bytes((const uint8_t *)where, wl + 1);
            uint8_t *r = malloc(row_len + 1);
            CHECK(r);
            r[0] = (uint8_t)w[wl - 1];
            if (row_len)
                memcpy(r + 1, row, row_len);
            w[wl - 1] = 0;
            CHECK(try_unseal(kr, 0, w, r, row_len + 1, sealed, sealed_len, NULL, NULL) != 0);
            free(w);
            free(r);
        }
        if (row_len && row[0] != 0) {
            char *w = malloc(wl + 2);
            CHECK(w);
            memcpy(w, where, wl);
            w[wl] = (char)row[0];
            w[wl + 1] = 0;
            CHECK(try_unseal(kr, 0, w, row + 1, row_len - 1, sealed, sealed_len, NULL, NULL) != 0);
            free(w);
        }
        break;
    default: { /* the same value as another column of the store */
        const char *other = callers[m % 6].name;
        if (strcmp(other, where) == 0)
            other = callers[(m + 1) % 6].name;
        CHECK(try_unseal(kr, 0, other, row, row_len, sealed, sealed_len, NULL, NULL) != 0);
        break;
    }
    }
}

/* A: the body as a sealed value, read as caller c reads it. */
static void fuzz_sealed(const struct caller *c, const char *where, const uint8_t *row,
                        size_t row_len, const uint8_t *body, size_t blen, unsigned m)
{
    uint8_t plain[SEAL_MAX_PLAIN];
    size_t plen = 0, max = c->max_sealed;
    if (!max && bound_callers)
        max = c->out + SEAL_OVERHEAD;
    if (max && blen > max) {
        if (!c->zero_if_over)
            return; /* the caller refuses it before unseal() */
        blen = 0;
    }
    CHECK(try_unseal(kr_other, c->out, where, row, row_len, body, blen, NULL, NULL) != 0);
    if (try_unseal(kr, c->out, where, row, row_len, body, blen, plain, &plen) != 0)
        return;
    /* It opened: a value seal() made under this key (a seed or a mutation
     * of one that left it intact), bound to this place. */
    check_bound(where, row, row_len, body, blen, plain, plen, m);
}

/* B: the body as a plaintext, sealed here. */
static void fuzz_plain(const char *where, const uint8_t *row, size_t row_len, const uint8_t *body,
                       size_t blen, unsigned m)
{
    size_t plen = blen > PLAIN_FUZZ_MAX ? PLAIN_FUZZ_MAX : blen;
    int fits = 6 + strlen(where) + row_len <= AD_CAP;
    uint8_t *plain = dup_bytes(body, plen), *sealed = malloc(plen + SEAL_OVERHEAD);
    int rc;
    CHECK(sealed);
    rc = seal(kr, sealed, where, row, row_len, plain, plen);
    CHECK(rc == 0 || rc == -1);
    CHECK((rc == 0) == (plen <= SEAL_MAX_PLAIN && fits));
    if (rc == 0)
        check_bound(where, row, row_len, sealed, plen + SEAL_OVERHEAD, plain, plen, m);
    free(plain);
    free(sealed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t wlen, rlen, off = 6;
    const struct caller *c;
    unsigned m;
    char *where;
    uint8_t *row;
    if (size < 6 || size > (1u << 16))
        return 0;
    c = &callers[data[0] % 6];
    m = data[1];
    wlen = (size_t)data[2] | (size_t)data[3] << 8;
    rlen = (size_t)data[4] | (size_t)data[5] << 8;
    if (wlen > size - off)
        wlen = size - off;
    where = malloc(wlen + 1);
    CHECK(where);
    memcpy(where, data + off, wlen);
    where[wlen] = 0;
    off += wlen;
    if (rlen > size - off)
        rlen = size - off;
    row = dup_bytes(data + off, rlen); /* exactly sized: over-reads show */
    off += rlen;

    fuzz_sealed(c, where, row, rlen, data + off, size - off, m);
    fuzz_plain(where, row, rlen, data + off, size - off, m);

    free(where);
    free(row);
    return 0;
}
