/*
 * Receipts (e4-sync v1): every field of APPLIED and STATE checked against an
 * independent SHA3 (OpenSSL's), every rejection of open and parse, device
 * STATEs equal to e4_receipt_state_expected() of the same keys in SK and PK
 * mode, and which errors of real commands count as refusals.
 */
#include <e4/receipt.h>

#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend.h"

#define NOW 1800000000ull

/* ---- an independent SHA3 and helpers ------------------------------------- */

static void sha3_2(uint8_t out[32], const char *label, const uint8_t *x, size_t len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 32;
    assert_non_null(md);
    assert_int_equal(EVP_DigestInit_ex(md, EVP_sha3_256(), NULL), 1);
    assert_int_equal(EVP_DigestUpdate(md, label, strlen(label)), 1);
    assert_int_equal(EVP_DigestUpdate(md, x, len), 1);
    assert_int_equal(EVP_DigestFinal_ex(md, out, &n), 1);
    EVP_MD_CTX_free(md);
}

static void ref_rkey(uint8_t r[32], const uint8_t k[32])
{
    sha3_2(r, "e4-receipt-v1", k, 32);
}

static void ref_check(uint8_t c[8], const uint8_t *x, size_t len)
{
    uint8_t full[32];
    sha3_2(full, "e4-check-v1", x, len);
    memcpy(c, full, 8);
}

typedef struct dev {
    e4_state *s;
    void *mem;
    uint8_t id[16], key[32], ed_sk[64], ed_pk[32], c2_sk[32], c2_pk[32];
    uint8_t cmd_key[32], rkey[32];
} dev;

static dev *dev_new(e4_mode mode, uint32_t topics, uint32_t pubkeys)
{
    dev *d = calloc(1, sizeof *d);
    e4_limits l = {.topics = topics, .pubkeys = mode == E4_MODE_PK ? pubkeys : 0, .replay = 64};
    assert_non_null(d);
    d->mem = aligned_alloc(8, (e4_state_size(&l) + 7) & ~(size_t)7);
    e4_random_id(d->id);
    e4_random_key(d->key);
    if (mode == E4_MODE_PK) { /* the portable backend has no public-key crypto */
        assert_int_equal(e4_ed25519_keypair(d->ed_sk, d->ed_pk), E4_OK);
        assert_int_equal(e4_x25519_keypair(d->c2_sk, d->c2_pk), E4_OK);
    }
    if (mode == E4_MODE_SK) {
        assert_int_equal(e4_state_init_sk(&d->s, d->mem, e4_state_size(&l), &l, d->id, d->key),
                         E4_OK);
        memcpy(d->cmd_key, d->key, 32);
    } else {
        assert_int_equal(
            e4_state_init_pk(&d->s, d->mem, e4_state_size(&l), &l, d->id, d->ed_sk, d->c2_pk),
            E4_OK);
        assert_int_equal(e4_c2_shared_key(d->cmd_key, d->c2_sk, d->ed_pk), E4_OK);
    }
    ref_rkey(d->rkey, d->cmd_key);
    return d;
}

static void dev_free(dev *d)
{
    e4_state_wipe(d->s);
    free(d->mem);
    free(d);
}

/* A command as C2 sends it: protected under key at time now; msg: 256 bytes. */
static size_t protect_cmd(const uint8_t key[32], const uint8_t *cmd, size_t len, uint8_t *msg,
                          uint64_t now)
{
    assert_true(len + 24 <= 256);
    assert_int_equal(e4_sk_protect(key, now, cmd, len, msg), E4_OK);
    return len + 24;
}

static e4_err deliver(dev *d, const uint8_t *msg, size_t len, uint64_t now)
{
    uint8_t out[256];
    size_t ol;
    return e4_unprotect(d->s, e4_state_control_topic(d->s), msg, len, out, sizeof out, &ol, now);
}

static size_t set_topic_cmd(uint8_t cmd[E4_COMMAND_MAX], const uint8_t key[32],
                            const uint8_t hash[16])
{
    size_t n;
    uint8_t args[48];
    memcpy(args, key, 32);
    memcpy(args + 32, hash, 16);
    assert_int_equal(e4_command_build(cmd, &n, E4_CMD_SET_TOPIC_KEY, args, sizeof args), E4_OK);
    return n;
}

/* Open a receipt with the reference receipt key of d; plain: 1 MiB max. */
static e4_err open_with(const uint8_t rkey[32], e4_receipt *r, uint8_t *plain, size_t cap,
                        const uint8_t *in, size_t len)
{
    return e4_receipt_open(r, plain, cap, rkey, in, len, NOW, 0);
}

/* ---- keys, checks, digests, topic ------------------------------------------ */

static void test_key_check_digest(void **st)
{
    (void)st;
    uint8_t k[32], r[32], want[32], c[8], wc[8], d[16], full[32];
    e4_random_key(k);
    assert_int_equal(e4_receipt_key(r, k), E4_OK);
    ref_rkey(want, k);
    assert_memory_equal(r, want, 32);
    assert_int_equal(e4_key_check(c, k, 32), E4_OK);
    ref_check(wc, k, 32);
    assert_memory_equal(c, wc, 8);
    assert_int_equal(e4_key_check(c, NULL, 0), E4_OK);
    ref_check(wc, NULL, 0);
    assert_memory_equal(c, wc, 8);
    assert_int_equal(e4_command_digest(d, k, 32), E4_OK);
    sha3_2(full, "", k, 32);
    assert_memory_equal(d, full, 16);
    assert_int_equal(e4_receipt_key(NULL, k), E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_key_check(c, NULL, 3), E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_command_digest(d, NULL, 3), E4_ERR_INVALID_ARGUMENT);
}

static void test_topic(void **st)
{
    (void)st;
    char buf[E4_RECEIPT_TOPIC_MAX], big[E4_CONTROL_TOPIC_MAX + 2];
    assert_int_equal(e4_receipt_topic(buf, sizeof buf, "e4/0011"), E4_OK);
    assert_string_equal(buf, "e4/0011/receipts");
    assert_int_equal(e4_receipt_topic(buf, 16, "e4/0011"), E4_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(e4_receipt_topic(buf, 17, "e4/0011"), E4_OK);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 2] = '\0'; /* 128 bytes: the longest control topic */
    assert_int_equal(e4_receipt_topic(buf, sizeof buf, big), E4_OK);
    assert_int_equal(strlen(buf), E4_CONTROL_TOPIC_MAX + 9);
    big[sizeof big - 2] = 'a';
    big[sizeof big - 1] = '\0';
    assert_int_equal(e4_receipt_topic(buf, sizeof buf, big), E4_ERR_INVALID_TOPIC);
    assert_int_equal(e4_receipt_topic(buf, sizeof buf, ""), E4_ERR_INVALID_TOPIC);
    assert_int_equal(e4_receipt_topic(buf, sizeof buf, NULL), E4_ERR_INVALID_ARGUMENT);
}

static void test_strerror(void **st)
{
    (void)st;
    for (int e = E4_ERR_RECEIPT_ORDER; e <= E4_ERR_RECEIPT_MAGIC; e++)
        assert_string_not_equal(e4_strerror((e4_err)e), "unknown error");
    assert_string_equal(e4_strerror(E4_ERR_RECEIPT_MAGIC), "receipt: wrong magic");
}

/* ---- APPLIED -------------------------------------------------------------------- */

static void check_applied(dev *d, const uint8_t *msg, size_t len, e4_err result,
                          uint8_t want_result)
{
    uint8_t rc[E4_RECEIPT_APPLIED_LEN], plain[64], digest[16], full[32];
    e4_receipt r;
    assert_int_equal(e4_receipt_applied(d->s, msg, len, result, rc, NOW), E4_OK);
    assert_int_equal(open_with(d->rkey, &r, plain, sizeof plain, rc, sizeof rc), E4_OK);
    assert_int_equal(r.kind, E4_RECEIPT_APPLIED);
    assert_int_equal(r.ts, NOW);
    assert_int_equal(r.plain_len, 20);
    assert_int_equal(plain[0], 0xE4);
    assert_int_equal(plain[1], 0x01);
    assert_int_equal(plain[2], 0x01);
    assert_int_equal(e4_command_digest(digest, msg, len), E4_OK);
    assert_memory_equal(r.digest, digest, 16);
    sha3_2(full, "", msg, len);
    assert_memory_equal(r.digest, full, 16);
    assert_int_equal(r.result, want_result);
}

static void test_applied_sk(void **st)
{
    (void)st;
    dev *d = dev_new(E4_MODE_SK, 8, 0);
    uint8_t cmd[65], msg[256], tk[32], h[16];
    e4_random_key(tk);
    assert_int_equal(e4_hash_topic(h, "a/b"), E4_OK);
    size_t len = protect_cmd(d->cmd_key, cmd, set_topic_cmd(cmd, tk, h), msg, NOW);
    assert_int_equal(deliver(d, msg, len, NOW), E4_COMMAND);
    check_applied(d, msg, len, E4_COMMAND, 0);

    /* a SetTopicKey with a wrong argument length under the right key: refused */
    len = protect_cmd(d->cmd_key, cmd, 40, msg, NOW);
    e4_err err = deliver(d, msg, len, NOW);
    assert_int_equal(err, E4_ERR_INVALID_ARG_LENGTH);
    assert_true(e4_err_is_refusal(err));
    check_applied(d, msg, len, err, 21);

    /* the caller's mistake is not a receipt */
    uint8_t rc[E4_RECEIPT_APPLIED_LEN];
    assert_int_equal(e4_receipt_applied(d->s, msg, len, E4_OK, rc, NOW), E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_receipt_applied(d->s, msg, len, E4_ERR_NOT_AUTHENTIC, rc, NOW),
                     E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_receipt_applied(NULL, msg, len, E4_COMMAND, rc, NOW),
                     E4_ERR_INVALID_ARGUMENT);
    dev_free(d);
}

/* The receipt of SetIdKey is protected under the receipt key of the new key:
 * the device holds nothing else afterwards. */
static void test_applied_after_set_id_key(void **st)
{
    (void)st;
    dev *d = dev_new(E4_MODE_SK, 8, 0);
    uint8_t cmd[65], msg[256], nk[32], plain[64], rc[E4_RECEIPT_APPLIED_LEN], nr[32];
    size_t n;
    e4_receipt r;
    e4_random_key(nk);
    assert_int_equal(e4_command_build(cmd, &n, E4_CMD_SET_ID_KEY, nk, 32), E4_OK);
    size_t len = protect_cmd(d->cmd_key, cmd, n, msg, NOW);
    assert_int_equal(deliver(d, msg, len, NOW), E4_COMMAND);
    assert_int_equal(e4_receipt_applied(d->s, msg, len, E4_COMMAND, rc, NOW), E4_OK);
    assert_int_equal(open_with(d->rkey, &r, plain, sizeof plain, rc, sizeof rc),
                     E4_ERR_NOT_AUTHENTIC);
    ref_rkey(nr, nk);
    assert_int_equal(open_with(nr, &r, plain, sizeof plain, rc, sizeof rc), E4_OK);
    dev_free(d);
}

static void test_refusal_classification(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    dev *d = dev_new(E4_MODE_PK, 4, 1);
    uint8_t cmd[65], msg[256], wrong[32], tk[32], h[16], id[16];
    size_t n;
    e4_random_key(wrong);
    e4_random_key(tk);
    e4_random_id(id);
    assert_int_equal(e4_hash_topic(h, "t"), E4_OK);
    /* before or at authentication: never a refusal */
    size_t len = protect_cmd(wrong, cmd, set_topic_cmd(cmd, tk, h), msg, NOW);
    assert_int_equal(deliver(d, msg, len, NOW), E4_ERR_NOT_AUTHENTIC);
    assert_false(e4_err_is_refusal(E4_ERR_NOT_AUTHENTIC));
    len = protect_cmd(d->cmd_key, cmd, set_topic_cmd(cmd, tk, h), msg, NOW - 601);
    assert_int_equal(deliver(d, msg, len, NOW), E4_ERR_TIMESTAMP_TOO_OLD);
    assert_false(e4_err_is_refusal(E4_ERR_TIMESTAMP_TOO_OLD));
    assert_int_equal(deliver(d, msg, 24, NOW), E4_ERR_TOO_SHORT);
    len = protect_cmd(d->cmd_key, cmd, set_topic_cmd(cmd, tk, h), msg, NOW);
    assert_int_equal(deliver(d, msg, len, NOW), E4_COMMAND);
    assert_int_equal(deliver(d, msg, len, NOW), E4_ERR_REPLAYED);
    assert_false(e4_err_is_refusal(E4_ERR_REPLAYED));
    assert_false(e4_err_is_refusal(E4_COMMAND));
    assert_false(e4_err_is_refusal(E4_OK));
    assert_false(e4_err_is_refusal(E4_ERR_TIMESTAMP_IN_FUTURE));
    assert_false(e4_err_is_refusal(E4_ERR_BUFFER_TOO_SMALL));
    assert_false(e4_err_is_refusal(E4_ERR_INVALID_ARGUMENT));
    assert_false(e4_err_is_refusal(E4_ERR_INVALID_TOPIC));
    /* after authentication: refusals */
    assert_int_equal(e4_command_build(cmd, &n, E4_CMD_REMOVE_PUBKEY, id, 16), E4_OK);
    len = protect_cmd(d->cmd_key, cmd, n, msg, NOW);
    assert_int_equal(deliver(d, msg, len, NOW), E4_ERR_PUBKEY_NOT_FOUND);
    assert_true(e4_err_is_refusal(E4_ERR_PUBKEY_NOT_FOUND));
    cmd[0] = 0x42;
    len = protect_cmd(d->cmd_key, cmd, 1, msg, NOW);
    assert_int_equal(deliver(d, msg, len, NOW), E4_ERR_INVALID_COMMAND);
    uint8_t zero_topic[49] = {E4_CMD_SET_TOPIC_KEY};
    len = protect_cmd(d->cmd_key, zero_topic, sizeof zero_topic, msg, NOW);
    assert_int_equal(deliver(d, msg, len, NOW), E4_ERR_ZERO_KEY);
    static const e4_err refusals[] = {
        E4_ERR_INVALID_COMMAND, E4_ERR_INVALID_ARG_LENGTH, E4_ERR_UNSUPPORTED_COMMAND,
        E4_ERR_TOPICS_FULL,     E4_ERR_PUBKEYS_FULL,       E4_ERR_ZERO_KEY,
        E4_ERR_INVALID_KEY,     E4_ERR_STORAGE_IO,         E4_ERR_CRYPTO};
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        assert_true(e4_err_is_refusal(refusals[i]));
    dev_free(d);
}

static void test_unsupported_in_sk_is_refusal(void **st)
{
    (void)st;
    dev *d = dev_new(E4_MODE_SK, 4, 0);
    uint8_t cmd[1] = {E4_CMD_RESET_PUBKEYS}, msg[256];
    size_t len = protect_cmd(d->cmd_key, cmd, 1, msg, NOW);
    e4_err err = deliver(d, msg, len, NOW);
    assert_int_equal(err, E4_ERR_UNSUPPORTED_COMMAND);
    assert_true(e4_err_is_refusal(err));
    check_applied(d, msg, len, err, 22);
    dev_free(d);
}

/* ---- open and parse: rejections --------------------------------------------------- */

static void test_open_rejections(void **st)
{
    (void)st;
    dev *d = dev_new(E4_MODE_SK, 4, 0);
    uint8_t rc[E4_RECEIPT_APPLIED_LEN], plain[64], wrong[32];
    e4_receipt r;
    e4_random_key(wrong);
    assert_int_equal(e4_receipt_applied(d->s, NULL, 0, E4_COMMAND, rc, NOW), E4_OK);
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, wrong, rc, sizeof rc, NOW, 0),
                     E4_ERR_NOT_AUTHENTIC);
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, d->rkey, rc, sizeof rc, NOW + 601, 0),
                     E4_ERR_TIMESTAMP_TOO_OLD);
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, d->rkey, rc, sizeof rc, NOW + 600, 0),
                     E4_OK);
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, d->rkey, rc, sizeof rc, NOW - 5, 0),
                     E4_ERR_TIMESTAMP_IN_FUTURE);
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, d->rkey, rc, sizeof rc, NOW - 5, 5),
                     E4_OK);
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, d->rkey, rc, 24, NOW, 0),
                     E4_ERR_TOO_SHORT);
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, d->rkey, rc, sizeof rc - 1, NOW, 0),
                     E4_ERR_NOT_AUTHENTIC);
    assert_int_equal(e4_receipt_open(&r, plain, 19, d->rkey, rc, sizeof rc, NOW, 0),
                     E4_ERR_BUFFER_TOO_SMALL);
    rc[30] ^= 1;
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, d->rkey, rc, sizeof rc, NOW, 0),
                     E4_ERR_NOT_AUTHENTIC);
    assert_int_equal(e4_receipt_open(NULL, plain, sizeof plain, d->rkey, rc, sizeof rc, NOW, 0),
                     E4_ERR_INVALID_ARGUMENT);
    dev_free(d);
}

/* An authentic receipt with a bad plaintext: open reports the parse error. */
static void test_open_bad_plaintext(void **st)
{
    (void)st;
    uint8_t k[32], rk[32], plain[20] = {0xE4, 0x01, 0x03}, msg[44], out[64];
    e4_receipt r;
    e4_random_key(k);
    ref_rkey(rk, k);
    assert_int_equal(e4_sk_protect(rk, NOW, plain, sizeof plain, msg), E4_OK);
    assert_int_equal(e4_receipt_open(&r, out, sizeof out, rk, msg, sizeof msg, NOW, 0),
                     E4_ERR_RECEIPT_KIND);
    plain[0] = 0xE5;
    assert_int_equal(e4_sk_protect(rk, NOW, plain, sizeof plain, msg), E4_OK);
    assert_int_equal(e4_receipt_open(&r, out, sizeof out, rk, msg, sizeof msg, NOW, 0),
                     E4_ERR_RECEIPT_MAGIC);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A STATE plaintext with nt topics named 1..nt and np pubkeys named 1..np
 * (first byte), in buf; returns its length. */
static size_t make_state(uint8_t *buf, uint32_t nt, uint32_t np)
{
    size_t off = 3;
    buf[0] = 0xE4, buf[1] = 0x01, buf[2] = 0x02;
    put32(buf + off, nt), off += 4;
    for (uint32_t i = 0; i < nt; i++, off += 24) {
        memset(buf + off, 0, 24);
        buf[off] = (uint8_t)(0x10 * (i + 1));
    }
    put32(buf + off, np), off += 4;
    for (uint32_t i = 0; i < np; i++, off += 24) {
        memset(buf + off, 0, 24);
        buf[off] = (uint8_t)(0x10 * (i + 1));
    }
    memset(buf + off, 0x77, 8);
    return off + 8;
}

static void test_parse_state_fields(void **st)
{
    (void)st;
    uint8_t b[256];
    e4_receipt r;
    size_t n = make_state(b, 3, 2);
    assert_int_equal(n, E4_RECEIPT_STATE_PLAIN_LEN(3, 2));
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_OK);
    assert_int_equal(r.kind, E4_RECEIPT_STATE);
    assert_int_equal(r.ntopics, 3);
    assert_int_equal(r.npubkeys, 2);
    assert_ptr_equal(r.topics, b + 7);
    assert_ptr_equal(r.pubkeys, b + 7 + 72 + 4);
    assert_ptr_equal(r.c2_check, b + n - 8);
    assert_ptr_equal(r.plain, b);
    assert_int_equal(r.plain_len, n);
    n = make_state(b, 0, 0);
    assert_int_equal(n, 19);
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_OK);
    assert_int_equal(r.ntopics + r.npubkeys, 0);
}

static void test_parse_rejections(void **st)
{
    (void)st;
    uint8_t b[256], a[20] = {0xE4, 0x01, 0x01};
    e4_receipt r;
    assert_int_equal(e4_receipt_parse(&r, a, 20), E4_OK);
    assert_int_equal(e4_receipt_parse(&r, a, 19), E4_ERR_RECEIPT_LENGTH);
    assert_int_equal(e4_receipt_parse(&r, a, 21), E4_ERR_RECEIPT_LENGTH);
    assert_int_equal(e4_receipt_parse(&r, a, 2), E4_ERR_RECEIPT_LENGTH);
    assert_int_equal(e4_receipt_parse(&r, a, 0), E4_ERR_RECEIPT_LENGTH);
    a[0] = 0xE3;
    assert_int_equal(e4_receipt_parse(&r, a, 20), E4_ERR_RECEIPT_MAGIC);
    assert_int_equal(e4_receipt_parse(&r, a, 1), E4_ERR_RECEIPT_MAGIC);
    a[0] = 0xE4, a[1] = 0x02;
    assert_int_equal(e4_receipt_parse(&r, a, 20), E4_ERR_RECEIPT_VERSION);
    a[1] = 0x01, a[2] = 0x00;
    assert_int_equal(e4_receipt_parse(&r, a, 20), E4_ERR_RECEIPT_KIND);
    a[2] = 0x03;
    assert_int_equal(e4_receipt_parse(&r, a, 20), E4_ERR_RECEIPT_KIND);

    size_t n = make_state(b, 3, 2);
    assert_int_equal(e4_receipt_parse(&r, b, n - 1), E4_ERR_RECEIPT_LENGTH); /* truncated */
    assert_int_equal(e4_receipt_parse(&r, b, n + 1), E4_ERR_RECEIPT_LENGTH); /* trailing byte */
    assert_int_equal(e4_receipt_parse(&r, b, 6), E4_ERR_RECEIPT_LENGTH);     /* no count */
    put32(b + 3, 4);                                                         /* count too big */
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_ERR_RECEIPT_LENGTH);
    put32(b + 3, UINT32_MAX); /* count x 24 overflows */
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_ERR_RECEIPT_LENGTH);
    put32(b + 3, 2); /* count too small */
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_ERR_RECEIPT_LENGTH);
    n = make_state(b, 3, 2);
    put32(b + 7 + 72, UINT32_MAX);
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_ERR_RECEIPT_LENGTH);

    n = make_state(b, 3, 2);
    b[7 + 24] = 0x40; /* topics unsorted */
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_ERR_RECEIPT_ORDER);
    b[7 + 24] = 0x10; /* duplicate topic */
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_ERR_RECEIPT_ORDER);
    n = make_state(b, 3, 2);
    b[7 + 72 + 4 + 24] = 0x10; /* duplicate pubkey */
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_ERR_RECEIPT_ORDER);
    b[7 + 72 + 4 + 24] = 0; /* pubkeys unsorted */
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_ERR_RECEIPT_ORDER);
    b[7 + 72 + 4 + 24] = 0x20;
    b[7 + 72 + 4 + 23] = 1; /* only the check differs: ordered */
    assert_int_equal(e4_receipt_parse(&r, b, n), E4_OK);
    assert_int_equal(e4_receipt_parse(NULL, b, n), E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_receipt_parse(&r, NULL, 3), E4_ERR_INVALID_ARGUMENT);
}

/* ---- STATE ---------------------------------------------------------------------------- */

/* Open d's STATE; plain must hold it. */
static void open_state(dev *d, e4_receipt *r, uint8_t *wire, size_t wire_cap, uint8_t *plain,
                       size_t cap)
{
    size_t n = 0;
    size_t want = e4_receipt_state_len(d->s);
    assert_true(want <= wire_cap);
    assert_int_equal(e4_receipt_state(d->s, wire, want - 1, &n, NOW), E4_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(e4_receipt_state(d->s, wire, wire_cap, &n, NOW), E4_OK);
    assert_int_equal(n, want);
    assert_int_equal(n, 24 + E4_RECEIPT_STATE_PLAIN_LEN(e4_state_topic_count(d->s),
                                                        e4_state_pubkey_count(d->s)));
    assert_int_equal(open_with(d->rkey, r, plain, cap, wire, n), E4_OK);
    assert_int_equal(r->kind, E4_RECEIPT_STATE);
    assert_int_equal(r->ts, NOW);
}

static void shuffle(uint32_t *v, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)rand() % i, t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* Entries strictly ascending, each the check of its name's key. */
static void assert_entries(const uint8_t *e, uint32_t n, const uint8_t (*names)[16],
                           const uint8_t (*keys)[32])
{
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *x = e + (size_t)i * 24;
        if (i)
            assert_true(memcmp(x - 24, x, 16) < 0);
        uint32_t k;
        for (k = 0; k < n && memcmp(names[k], x, 16) != 0; k++)
            ;
        assert_true(k < n);
        uint8_t c[8];
        ref_check(c, keys[k], 32);
        assert_memory_equal(x + 16, c, 8);
    }
}

static void test_state_sk(void **st)
{
    (void)st;
    enum { N = 300 };
    dev *d = dev_new(E4_MODE_SK, N, 0);
    static e4_topic_key tk[N];
    static uint8_t names[N][16], keys[N][32], wire[24 + 20000], plain[20000], want[20000];
    uint32_t order[N];
    for (uint32_t i = 0; i < N; i++) {
        char t[32];
        snprintf(t, sizeof t, "plant/%u/t", i);
        assert_int_equal(e4_hash_topic(names[i], t), E4_OK);
        e4_random_key(keys[i]);
        order[i] = i;
    }
    shuffle(order, N);
    for (uint32_t i = 0; i < N; i++) { /* through real commands, in random order */
        uint8_t cmd[65], msg[256];
        uint32_t k = order[i];
        size_t len = protect_cmd(d->cmd_key, cmd, set_topic_cmd(cmd, keys[k], names[k]), msg, NOW);
        assert_int_equal(deliver(d, msg, len, NOW), E4_COMMAND);
    }
    /* a rotation: the new key is listed, the transition key is not */
    e4_random_key(keys[7]);
    assert_int_equal(e4_state_set_topic_key(d->s, "plant/7/t", keys[7], NOW), E4_OK);
    e4_receipt r;
    open_state(d, &r, wire, sizeof wire, plain, sizeof plain);
    assert_int_equal(r.ntopics, N);
    assert_int_equal(r.npubkeys, 0);
    static const uint8_t zero[8];
    assert_memory_equal(r.c2_check, zero, 8);
    assert_entries(r.topics, N, (const uint8_t(*)[16])names, (const uint8_t(*)[32])keys);

    shuffle(order, N);
    for (uint32_t i = 0; i < N; i++) {
        memcpy(tk[i].hash, names[order[i]], 16);
        memcpy(tk[i].key, keys[order[i]], 32);
    }
    size_t wl = 0;
    assert_int_equal(e4_receipt_state_expected(want, sizeof want, &wl, tk, N, NULL, 0, NULL),
                     E4_OK);
    assert_int_equal(wl, r.plain_len);
    assert_true(e4_memeq(want, r.plain, wl));
    /* one outdated key: different */
    e4_random_key(tk[3].key);
    assert_int_equal(e4_receipt_state_expected(want, sizeof want, &wl, tk, N, NULL, 0, NULL),
                     E4_OK);
    assert_false(e4_memeq(want, r.plain, wl));
    dev_free(d);
}

static void test_state_pk(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    enum { NT = 5, NP = 40 };
    dev *d = dev_new(E4_MODE_PK, NT, NP);
    static e4_topic_key tk[NT];
    static e4_peer_key pk[NP];
    static uint8_t wire[4096], plain[4096], want[4096];
    uint32_t order[NP];
    for (uint32_t i = 0; i < NT; i++) {
        char t[16];
        snprintf(t, sizeof t, "x/%u", i);
        assert_int_equal(e4_hash_topic(tk[i].hash, t), E4_OK);
        e4_random_key(tk[i].key);
        assert_int_equal(e4_state_set_topic_key(d->s, t, tk[i].key, NOW), E4_OK);
    }
    for (uint32_t i = 0; i < NP; i++) {
        uint8_t sk[64];
        e4_random_id(pk[i].id);
        assert_int_equal(e4_ed25519_keypair(sk, pk[i].pk), E4_OK);
        order[i] = i;
    }
    shuffle(order, NP);
    for (uint32_t i = 0; i < NP; i++) { /* SetPubKey commands in random order */
        uint8_t args[48], cmd[65], msg[256];
        size_t n;
        memcpy(args, pk[order[i]].pk, 32);
        memcpy(args + 32, pk[order[i]].id, 16);
        assert_int_equal(e4_command_build(cmd, &n, E4_CMD_SET_PUBKEY, args, 48), E4_OK);
        assert_int_equal(deliver(d, msg, protect_cmd(d->cmd_key, cmd, n, msg, NOW), NOW),
                         E4_COMMAND);
    }
    e4_receipt r;
    open_state(d, &r, wire, sizeof wire, plain, sizeof plain);
    assert_int_equal(r.ntopics, NT);
    assert_int_equal(r.npubkeys, NP);
    uint8_t c[8];
    ref_check(c, d->c2_pk, 32);
    assert_memory_equal(r.c2_check, c, 8);
    for (uint32_t i = 0; i < NP; i++) {
        const uint8_t *x = r.pubkeys + (size_t)i * 24;
        if (i)
            assert_true(memcmp(x - 24, x, 16) < 0);
    }
    size_t wl = 0;
    assert_int_equal(e4_receipt_state_expected(want, sizeof want, &wl, tk, NT, pk, NP, d->c2_pk),
                     E4_OK);
    assert_int_equal(wl, r.plain_len);
    assert_true(e4_memeq(want, r.plain, wl));
    /* a wrong C2 key: different */
    assert_int_equal(e4_receipt_state_expected(want, sizeof want, &wl, tk, NT, pk, NP, d->ed_pk),
                     E4_OK);
    assert_false(e4_memeq(want, r.plain, wl));
    dev_free(d);
}

/* 10,000 topics: the in-place sort scales and the result is still exact. */
static void test_state_large(void **st)
{
    (void)st;
    enum { N = 10000 };
    dev *d = dev_new(E4_MODE_SK, N, 0);
    size_t cap = 24 + E4_RECEIPT_STATE_PLAIN_LEN(N, 0);
    uint8_t *wire = malloc(cap), *plain = malloc(cap), *want = malloc(cap);
    e4_topic_key *tk = malloc(N * sizeof *tk);
    for (uint32_t i = 0; i < N; i++) {
        char t[32];
        snprintf(t, sizeof t, "fleet/topic/%u", i);
        assert_int_equal(e4_hash_topic(tk[i].hash, t), E4_OK);
        e4_random_key(tk[i].key);
        assert_int_equal(e4_state_set_topic_key(d->s, t, tk[i].key, NOW), E4_OK);
    }
    e4_receipt r;
    open_state(d, &r, wire, cap, plain, cap);
    assert_int_equal(r.ntopics, N);
    size_t wl;
    assert_int_equal(e4_receipt_state_expected(want, cap, &wl, tk, N, NULL, 0, NULL), E4_OK);
    assert_true(e4_memeq(want, r.plain, wl));
    free(wire), free(plain), free(want), free(tk);
    dev_free(d);
}

static void test_state_empty_and_errors(void **st)
{
    (void)st;
    dev *d = dev_new(E4_MODE_SK, 4, 0);
    uint8_t wire[64], plain[64], want[64];
    e4_receipt r;
    size_t wl;
    open_state(d, &r, wire, sizeof wire, plain, sizeof plain);
    assert_int_equal(r.plain_len, 19);
    assert_int_equal(e4_receipt_state_expected(want, sizeof want, &wl, NULL, 0, NULL, 0, NULL),
                     E4_OK);
    assert_int_equal(wl, 19);
    assert_memory_equal(want, plain, 19);
    assert_int_equal(e4_receipt_state_expected(want, 18, &wl, NULL, 0, NULL, 0, NULL),
                     E4_ERR_BUFFER_TOO_SMALL);

    e4_topic_key dup[2];
    assert_int_equal(e4_hash_topic(dup[0].hash, "same"), E4_OK);
    memcpy(dup[1].hash, dup[0].hash, 16);
    e4_random_key(dup[0].key);
    e4_random_key(dup[1].key);
    uint8_t big[256];
    assert_int_equal(e4_receipt_state_expected(big, sizeof big, &wl, dup, 2, NULL, 0, NULL),
                     E4_ERR_INVALID_ARGUMENT);
    e4_peer_key p = {{1}, {2}};
    assert_int_equal(e4_receipt_state_expected(big, sizeof big, &wl, NULL, 0, &p, 1, NULL),
                     E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_receipt_state_expected(big, sizeof big, &wl, NULL, 1, NULL, 0, NULL),
                     E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_receipt_state(d->s, NULL, 64, &wl, NOW), E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_receipt_state_len(NULL), 0);
    dev_free(d);
}

/* Commands change what the next STATE says. */
static void test_state_follows_commands(void **st)
{
    (void)st;
    dev *d = dev_new(E4_MODE_SK, 4, 0);
    uint8_t cmd[65], msg[256], wire[256], plain[256], h[16], k[32];
    size_t n;
    e4_receipt r;
    assert_int_equal(e4_hash_topic(h, "a"), E4_OK);
    e4_random_key(k);
    assert_int_equal(
        deliver(d, msg, protect_cmd(d->cmd_key, cmd, set_topic_cmd(cmd, k, h), msg, NOW), NOW),
        E4_COMMAND);
    open_state(d, &r, wire, sizeof wire, plain, sizeof plain);
    assert_int_equal(r.ntopics, 1);
    assert_memory_equal(r.topics, h, 16);
    assert_int_equal(e4_command_build(cmd, &n, E4_CMD_REMOVE_TOPIC, h, 16), E4_OK);
    assert_int_equal(deliver(d, msg, protect_cmd(d->cmd_key, cmd, n, msg, NOW + 1), NOW + 1),
                     E4_COMMAND);
    open_state(d, &r, wire, sizeof wire, plain, sizeof plain);
    assert_int_equal(r.ntopics, 0);
    dev_free(d);
}

int main(void)
{
    srand(4);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_check_digest),
        cmocka_unit_test(test_topic),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_applied_sk),
        cmocka_unit_test(test_applied_after_set_id_key),
        cmocka_unit_test(test_refusal_classification),
        cmocka_unit_test(test_unsupported_in_sk_is_refusal),
        cmocka_unit_test(test_open_rejections),
        cmocka_unit_test(test_open_bad_plaintext),
        cmocka_unit_test(test_parse_state_fields),
        cmocka_unit_test(test_parse_rejections),
        cmocka_unit_test(test_state_sk),
        cmocka_unit_test(test_state_pk),
        cmocka_unit_test(test_state_large),
        cmocka_unit_test(test_state_empty_and_errors),
        cmocka_unit_test(test_state_follows_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
