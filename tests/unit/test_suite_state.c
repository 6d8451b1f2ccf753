/*
 * fips-pk and pq-pk inside the state (spec e4-suites.md): per-suite state
 * sizes, protect/unprotect between two states (round trips of 0..65,536
 * bytes, replay, wrong suite, unknown signer, truncation at every length, a
 * corrupted byte at every offset, key transition), every command under the
 * suite's command key (fips-pk: ECDH; pq-pk: C2's signed X-Wing key
 * establishment with epochs, the previous epoch for the transition time, no
 * rollback), and storage round trips (format v3 with the suite's keys;
 * a damaged store never loads).
 */
#include <e4/e4.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <e4/receipt.h>

#include "backend.h"
#include "memstore.h"
#include "p256_cases.h"

#define NOW 1800000000ull
#define BIG (65536 + E4_PQ_PK_OVERHEAD)
#define TOPIC "sensors/t"

static const e4_limits LIMITS = {8, 4, 64};

/* ---- parties --------------------------------------------------------------- */

typedef struct device {
    e4_state *s;
    void *mem;
    uint8_t id[16];
    uint8_t sign_sk[32], agree_sk[32], agree_pk[33];
    uint8_t ed_sk[64], ed_pk[32], mldsa_seed[32], xwing_seed[32];
    uint8_t pk[E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN]; /* the public key peers store */
    uint8_t xwing_pk[E4_XWING_PK_LEN];
} device;

typedef struct c2 {
    uint8_t agree_sk[32], agree_pk[33];                              /* fips-pk */
    uint8_t ed_sk[64], mldsa_seed[32], keys[32 + E4_MLDSA65_PK_LEN]; /* pq-pk */
} c2;

static void make_c2(c2 *c)
{
    assert_int_equal(e4_p256_keypair(c->agree_sk, c->agree_pk), E4_OK);
    assert_int_equal(e4_ed25519_keypair(c->ed_sk, c->keys), E4_OK);
    e4_random_key(c->mldsa_seed);
    assert_int_equal(e4_mldsa65_public(c->keys + 32, c->mldsa_seed), E4_OK);
}

static device *make_device(e4_suite suite, const c2 *c)
{
    device *d = calloc(1, sizeof *d);
    assert_non_null(d);
    size_t size = e4_state_size_suite(suite, &LIMITS);
    d->mem = aligned_alloc(8, (size + 7) & ~(size_t)7);
    e4_random_id(d->id);
    if (suite == E4_SUITE_FIPS_PK) {
        assert_int_equal(e4_p256_keypair(d->sign_sk, d->pk), E4_OK);
        assert_int_equal(e4_p256_keypair(d->agree_sk, d->agree_pk), E4_OK);
        assert_int_equal(e4_state_init_fips_pk(&d->s, d->mem, size, &LIMITS, d->id, d->sign_sk,
                                               d->agree_sk, c->agree_pk),
                         E4_OK);
    } else {
        assert_int_equal(e4_ed25519_keypair(d->ed_sk, d->pk), E4_OK);
        e4_random_key(d->mldsa_seed);
        e4_random_key(d->xwing_seed);
        assert_int_equal(e4_mldsa65_public(d->pk + 32, d->mldsa_seed), E4_OK);
        assert_int_equal(e4_xwing_public(d->xwing_pk, d->xwing_seed), E4_OK);
        assert_int_equal(e4_state_init_pq_pk(&d->s, d->mem, size, &LIMITS, d->id, d->ed_sk,
                                             d->mldsa_seed, d->xwing_seed, c->keys, c->keys + 32),
                         E4_OK);
    }
    assert_int_equal(e4_state_suite(d->s), suite);
    assert_int_equal(e4_state_mode(d->s), E4_MODE_PK);
    return d;
}

static void free_device(device *d)
{
    e4_state_wipe(d->s);
    free(d->mem);
    free(d);
}

static size_t pk_len(e4_suite suite)
{
    return suite == E4_SUITE_FIPS_PK ? E4_P256_PK_LEN : E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN;
}

/* Two devices of a suite that know each other and share TOPIC's key. */
static void pair(e4_suite suite, const c2 *c, device **a, device **b, uint8_t key[32])
{
    *a = make_device(suite, c);
    *b = make_device(suite, c);
    e4_random_key(key);
    assert_int_equal(e4_state_set_topic_key((*a)->s, TOPIC, key, NOW), E4_OK);
    assert_int_equal(e4_state_set_topic_key((*b)->s, TOPIC, key, NOW), E4_OK);
    assert_int_equal(e4_state_set_suite_pubkey((*b)->s, (*a)->id, (*a)->pk, pk_len(suite)), E4_OK);
    assert_int_equal(e4_state_set_suite_pubkey((*a)->s, (*b)->id, (*b)->pk, pk_len(suite)), E4_OK);
}

static e4_err recv_at(device *d, const char *topic, const uint8_t *in, size_t len, uint64_t now)
{
    static uint8_t out[BIG];
    size_t n = 0;
    return e4_unprotect(d->s, topic, in, len, out, sizeof out, &n, now);
}

/* ---- sizes ------------------------------------------------------------------ */

static void test_sizes(void **st)
{
    (void)st;
    const e4_limits l = {16, 16, 64};
    assert_int_equal(e4_state_size(&l), 4416);
    assert_int_equal(e4_state_size_suite(E4_SUITE_BASE, &l), 4416);
    assert_int_equal(e4_state_size_suite(E4_SUITE_FIPS_SK, &l), 4416);
    assert_int_equal(e4_state_size_suite(E4_SUITE_FIPS_PK, &l), 4584);
    assert_int_equal(e4_state_size_suite(E4_SUITE_PQ_PK, &l), 37752); /* documented in e4.h */
    assert_int_equal(E4_STATE_SIZE_SUITE(E4_SUITE_PQ_PK, 16, 16, 64), 37752);
    assert_int_equal(E4_STATE_SIZE(16, 16, 64), 4416);
    /* too little memory for the suite, enough for base */
    if (!tb_pk())
        return;
    c2 c;
    make_c2(&c);
    e4_state *s;
    uint8_t id[16] = {1}, ed_sk[64], ed_pk[32], seed[32] = {2};
    assert_int_equal(e4_ed25519_keypair(ed_sk, ed_pk), E4_OK);
    size_t base = e4_state_size(&LIMITS);
    void *mem = aligned_alloc(8, e4_state_size_suite(E4_SUITE_PQ_PK, &LIMITS));
    assert_int_equal(
        e4_state_init_pq_pk(&s, mem, base, &LIMITS, id, ed_sk, seed, seed, c.keys, c.keys + 32),
        E4_ERR_BUFFER_TOO_SMALL);
    free(mem);
}

/* ---- messages --------------------------------------------------------------- */

static void messages(e4_suite suite)
{
    static const size_t sizes[] = {0, 1, 64, 4096, 65536};
    c2 c;
    make_c2(&c);
    device *a, *b;
    uint8_t key[32], *plain = malloc(65536), *msg = malloc(BIG), *out = malloc(BIG);
    pair(suite, &c, &a, &b, key);
    for (size_t i = 0; i < 65536; i++)
        plain[i] = (uint8_t)(i * 7);
    size_t len, n;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        assert_int_equal(e4_protect(a->s, TOPIC, plain, sizes[k], msg, BIG, &len, NOW), E4_OK);
        assert_int_equal(len, e4_protected_len(a->s, sizes[k]));
        assert_int_equal(msg[0], 0xE4);
        assert_int_equal(msg[1], suite);
        assert_int_equal(e4_unprotect(b->s, TOPIC, msg, len, out, BIG, &n, NOW), E4_OK);
        assert_int_equal(n, sizes[k]);
        assert_memory_equal(out, plain, n);
        assert_int_equal(recv_at(b, TOPIC, msg, len, NOW), E4_ERR_REPLAYED);
        /* the sender has no key for itself: unknown signer */
        assert_int_equal(recv_at(a, TOPIC, msg, len, NOW), E4_ERR_PUBKEY_NOT_FOUND);
    }
    /* the stateless function opens what the state protected */
    assert_int_equal(e4_protect(a->s, TOPIC, plain, 5, msg, BIG, &len, NOW), E4_OK);
    if (suite == E4_SUITE_FIPS_PK)
        assert_int_equal(e4_fips_pk_unprotect(key, a->pk, msg, len, out, &n, NOW, 0), E4_OK);
    else
        assert_int_equal(e4_pq_pk_unprotect(key, a->pk, a->pk + 32, msg, len, out, &n, NOW, 0),
                         E4_OK);
    /* truncation at every length, a corrupted byte at every offset */
    for (size_t cut = 0; cut < len; cut++)
        assert_true(recv_at(b, TOPIC, msg, cut, NOW) < 0);
    for (size_t off = 0; off < len; off++) {
        msg[off] ^= 0x20;
        assert_true(recv_at(b, TOPIC, msg, len, NOW) < 0);
        msg[off] ^= 0x20;
    }
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW), E4_OK);
    /* wrong suite: another suite's header, a base message */
    msg[1] = suite == E4_SUITE_FIPS_PK ? E4_SUITE_PQ_PK : E4_SUITE_FIPS_PK;
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW), E4_ERR_WRONG_SUITE);
    msg[1] = E4_SUITE_FIPS_SK;
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW), E4_ERR_WRONG_SUITE);
    assert_int_equal(e4_sk_protect(key, NOW, plain, len - 24, msg), E4_OK);
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW), E4_ERR_WRONG_SUITE);
    /* timestamps */
    assert_int_equal(e4_protect(a->s, TOPIC, plain, 5, msg, BIG, &len, NOW + 1), E4_OK);
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW), E4_ERR_TIMESTAMP_IN_FUTURE);
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW + 602), E4_ERR_TIMESTAMP_TOO_OLD);
    /* key transition: the previous topic key opens for an hour */
    assert_int_equal(e4_protect(a->s, TOPIC, plain, 5, msg, BIG, &len, NOW + 100), E4_OK);
    uint8_t key2[32];
    e4_random_key(key2);
    assert_int_equal(e4_state_set_topic_key(b->s, TOPIC, key2, NOW + 100), E4_OK);
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW + 100), E4_OK);
    assert_int_equal(e4_protect(a->s, TOPIC, plain, 6, msg, BIG, &len, NOW + 3800), E4_OK);
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW + 3800), E4_ERR_TIMESTAMP_TOO_OLD);
    assert_int_equal(e4_state_set_topic_key(a->s, TOPIC, key2, NOW + 3800), E4_OK);
    assert_int_equal(e4_protect(a->s, TOPIC, plain, 6, msg, BIG, &len, NOW + 3800), E4_OK);
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW + 3800), E4_OK);
    /* a forged signer: b's id with a's signature */
    assert_int_equal(e4_protect(a->s, TOPIC, plain, 7, msg, BIG, &len, NOW + 3801), E4_OK);
    memcpy(msg + E4_SUITE_HEADER_LEN, b->id, 16);
    assert_int_equal(e4_state_set_suite_pubkey(b->s, b->id, b->pk, pk_len(suite)), E4_OK);
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW + 3801), E4_ERR_INVALID_SIGNATURE);
    /* a key of the wrong length */
    assert_int_equal(e4_state_set_suite_pubkey(b->s, a->id, a->pk, 32 + (suite == E4_SUITE_PQ_PK)),
                     E4_ERR_INVALID_ARG_LENGTH);
    free_device(a);
    free_device(b);
    free(plain);
    free(msg);
    free(out);
}

static void test_fips_pk_messages(void **st)
{
    (void)st;
    TB_REQUIRE_GCM();
    messages(E4_SUITE_FIPS_PK);
}

/* A message whose signature is a high-S twin or has r or s of 0 or >= n
 * is refused by the state as E4_ERR_INVALID_SIGNATURE and leaves no trace:
 * the original is still accepted once, then as a replay refused. */
static void test_fips_pk_signature_edge_cases(void **st)
{
    (void)st;
    TB_REQUIRE_GCM();
    c2 c;
    make_c2(&c);
    device *a, *b;
    uint8_t key[32], plain[] = "open", msg[64 + E4_FIPS_PK_OVERHEAD], bad[P256_BAD_SIGS][64];
    size_t len;
    pair(E4_SUITE_FIPS_PK, &c, &a, &b, key);
    assert_int_equal(e4_protect(a->s, TOPIC, plain, sizeof plain, msg, sizeof msg, &len, NOW),
                     E4_OK);
    uint8_t *sig = msg + len - 64, good[64];
    memcpy(good, sig, 64);
    p256_bad_sigs(bad, good);
    for (int i = 0; i < P256_BAD_SIGS; i++) {
        memcpy(sig, bad[i], 64);
        if (recv_at(b, TOPIC, msg, len, NOW) != E4_ERR_INVALID_SIGNATURE)
            fail_msg("bad signature %d accepted or refused otherwise", i);
    }
    memcpy(sig, good, 64);
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW), E4_OK);
    assert_int_equal(recv_at(b, TOPIC, msg, len, NOW), E4_ERR_REPLAYED);
    free_device(a);
    free_device(b);
}

static void test_pq_pk_messages(void **st)
{
    (void)st;
    TB_REQUIRE_PK();
    messages(E4_SUITE_PQ_PK);
}

/* ---- commands --------------------------------------------------------------- */

/* A command in the suite's format, as C2 builds it. */
typedef struct sender {
    e4_suite suite;
    uint8_t key[32];
    uint32_t epoch;
    uint64_t ts;
} sender;

/* The last command sent, to replay its exact bytes. */
static uint8_t last_msg[E4_SUITE_COMMAND_MAX + E4_PQ_PK_CMD_OVERHEAD + 64];
static size_t last_len;

static e4_err send_cmd(device *d, sender *c, e4_command cmd, const uint8_t *args, size_t args_len,
                       uint64_t now)
{
    uint8_t plain[E4_SUITE_COMMAND_MAX];
    size_t n;
    assert_int_equal(e4_command_build_suite(plain, sizeof plain, &n, c->suite, cmd, args, args_len),
                     E4_OK);
    if (c->suite == E4_SUITE_FIPS_PK) {
        assert_int_equal(e4_fips_sk_protect(c->key, ++c->ts, NULL, plain, n, last_msg), E4_OK);
        last_len = n + E4_FIPS_SK_OVERHEAD;
    } else {
        assert_int_equal(e4_pq_pk_command_protect(c->key, c->epoch, ++c->ts, plain, n, last_msg),
                         E4_OK);
        last_len = n + E4_PQ_PK_CMD_OVERHEAD;
    }
    e4_err err = recv_at(d, e4_state_control_topic(d->s), last_msg, last_len, now);
    /* the same message again: refused (under a new fips-pk command key it
     * no longer even opens) */
    const int rekeyed =
        c->suite == E4_SUITE_FIPS_PK && (cmd == E4_CMD_SET_ID_KEY || cmd == E4_CMD_SET_C2_KEY);
    if (err == E4_COMMAND)
        assert_int_equal(recv_at(d, e4_state_control_topic(d->s), last_msg, last_len, now),
                         rekeyed ? E4_ERR_NOT_AUTHENTIC : E4_ERR_REPLAYED);
    return err;
}

/* The commands every suite has, checked by their effect. */
static void common_commands(device *d, device *peer, sender *c, uint64_t now)
{
    uint8_t args[48], hash[16];
    e4_random_key(args);
    assert_int_equal(e4_hash_topic(hash, TOPIC), E4_OK);
    memcpy(args + 32, hash, 16);
    assert_int_equal(send_cmd(d, c, E4_CMD_SET_TOPIC_KEY, args, 48, now), E4_COMMAND);
    assert_int_equal(e4_state_topic_count(d->s), 1);
    assert_int_equal(send_cmd(d, c, E4_CMD_REMOVE_TOPIC, hash, 16, now), E4_COMMAND);
    assert_int_equal(e4_state_topic_count(d->s), 0);
    assert_int_equal(send_cmd(d, c, E4_CMD_SET_TOPIC_KEY, args, 48, now), E4_COMMAND);
    assert_int_equal(send_cmd(d, c, E4_CMD_RESET_TOPICS, NULL, 0, now), E4_COMMAND);
    assert_int_equal(e4_state_topic_count(d->s), 0);

    const size_t pl = pk_len(c->suite);
    uint8_t *pk_args = malloc(pl + 16);
    memcpy(pk_args, peer->pk, pl);
    memcpy(pk_args + pl, peer->id, 16);
    assert_int_equal(send_cmd(d, c, E4_CMD_SET_PUBKEY, pk_args, pl + 16, now), E4_COMMAND);
    assert_int_equal(e4_state_pubkey_count(d->s), 1);
    assert_int_equal(send_cmd(d, c, E4_CMD_REMOVE_PUBKEY, peer->id, 16, now), E4_COMMAND);
    assert_int_equal(e4_state_pubkey_count(d->s), 0);
    assert_int_equal(send_cmd(d, c, E4_CMD_SET_PUBKEY, pk_args, pl + 16, now), E4_COMMAND);
    assert_int_equal(send_cmd(d, c, E4_CMD_RESET_PUBKEYS, NULL, 0, now), E4_COMMAND);
    assert_int_equal(e4_state_pubkey_count(d->s), 0);
    /* a base-length SetPubKey is refused in the suite */
    uint8_t raw[1 + 48] = {E4_CMD_SET_PUBKEY, 1};
    uint8_t msg[128];
    if (c->suite == E4_SUITE_FIPS_PK)
        assert_int_equal(e4_fips_sk_protect(c->key, ++c->ts, NULL, raw, sizeof raw, msg), E4_OK);
    else
        assert_int_equal(e4_pq_pk_command_protect(c->key, c->epoch, ++c->ts, raw, sizeof raw, msg),
                         E4_OK);
    size_t len = sizeof raw + (c->suite == E4_SUITE_FIPS_PK ? 38 : E4_PQ_PK_CMD_OVERHEAD);
    assert_int_equal(recv_at(d, e4_state_control_topic(d->s), msg, len, now),
                     E4_ERR_INVALID_ARG_LENGTH);
    free(pk_args);
}

/* A fips-pk device of a new C2, and C2's sender holding its command key. */
static device *fips_pk_commanded(c2 *c, sender *s)
{
    make_c2(c);
    device *d = make_device(E4_SUITE_FIPS_PK, c);
    *s = (sender){E4_SUITE_FIPS_PK, {0}, 0, NOW - 100};
    assert_int_equal(e4_fips_pk_command_key(s->key, c->agree_sk, d->agree_pk), E4_OK);
    return d;
}

static void test_fips_pk_commands(void **st)
{
    (void)st;
    TB_REQUIRE_GCM();
    c2 c;
    sender s;
    device *d = fips_pk_commanded(&c, &s), *peer = make_device(E4_SUITE_FIPS_PK, &c);
    common_commands(d, peer, &s, NOW);

    /* SetIDKey: the command key follows the new agreement key */
    uint8_t ids[64], new_pk[33], old_key[32];
    assert_int_equal(e4_p256_keypair(ids, new_pk), E4_OK);
    assert_int_equal(e4_p256_keypair(ids + 32, new_pk), E4_OK);
    assert_int_equal(send_cmd(d, &s, E4_CMD_SET_ID_KEY, ids, 64, NOW), E4_COMMAND);
    memcpy(old_key, s.key, 32);
    assert_int_equal(e4_fips_pk_command_key(s.key, c.agree_sk, new_pk), E4_OK);
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW), E4_COMMAND);
    sender stale = s;
    memcpy(stale.key, old_key, 32);
    uint8_t plain[1] = {E4_CMD_RESET_TOPICS}, msg[64];
    assert_int_equal(e4_fips_sk_protect(old_key, ++s.ts, NULL, plain, 1, msg), E4_OK);
    assert_int_equal(recv_at(d, e4_state_control_topic(d->s), msg, 39, NOW), E4_ERR_NOT_AUTHENTIC);

    /* SetC2Key: C2's new agreement key */
    c2 c2new;
    make_c2(&c2new);
    assert_int_equal(send_cmd(d, &s, E4_CMD_SET_C2_KEY, c2new.agree_pk, 33, NOW), E4_COMMAND);
    assert_int_equal(e4_fips_pk_command_key(s.key, c2new.agree_sk, new_pk), E4_OK);
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW), E4_COMMAND);
    /* a base-format command is another suite's */
    assert_int_equal(e4_sk_protect(s.key, NOW, plain, 1, msg), E4_OK);
    assert_true(recv_at(d, e4_state_control_topic(d->s), msg, 25, NOW) < 0);
    free_device(d);
    free_device(peer);
}

/* A fips-pk public key that is not a point is refused where it enters
 * (SetPubKey, SetC2Key, e4_state_set_suite_pubkey, e4_state_init_fips_pk)
 * as E4_ERR_INVALID_KEY, and the state's memory is left byte for byte as it
 * was. The point at infinity has only the 1-byte encoding 00, which is not
 * 33 bytes: refused as E4_ERR_INVALID_ARG_LENGTH; 33 zero bytes are
 * E4_ERR_ZERO_KEY, and 00 with a non-zero x is a wrong prefix. */
static void test_fips_pk_public_keys_checked(void **st)
{
    (void)st;
    TB_REQUIRE_GCM();
    const size_t size = e4_state_size_suite(E4_SUITE_FIPS_PK, &LIMITS);
    c2 c;
    sender s;
    device *d = fips_pk_commanded(&c, &s), *peer = make_device(E4_SUITE_FIPS_PK, &c);
    uint8_t *before = malloc(size), bad[P256_BAD_KEYS][33], args[33 + 16], zero[33] = {0};
    assert_non_null(before);
    p256_bad_keys(bad, peer->pk);
    for (size_t i = 0; i < P256_BAD_KEYS; i++) {
        memcpy(before, d->mem, size);
        assert_int_equal(e4_state_set_suite_pubkey(d->s, peer->id, bad[i], 33), E4_ERR_INVALID_KEY);
        memcpy(args, bad[i], 33);
        memcpy(args + 33, peer->id, 16);
        assert_int_equal(send_cmd(d, &s, E4_CMD_SET_PUBKEY, args, 49, NOW), E4_ERR_INVALID_KEY);
        assert_int_equal(send_cmd(d, &s, E4_CMD_SET_C2_KEY, bad[i], 33, NOW), E4_ERR_INVALID_KEY);
        assert_memory_equal(before, d->mem, size);
        /* a new state with a bad C2 key: refused before its memory is touched */
        void *mem = malloc(size);
        memset(mem, 0xa5, size);
        memcpy(before, mem, size);
        e4_state *ns = NULL;
        assert_int_equal(
            e4_state_init_fips_pk(&ns, mem, size, &LIMITS, d->id, d->sign_sk, d->agree_sk, bad[i]),
            E4_ERR_INVALID_KEY);
        assert_null(ns);
        assert_memory_equal(before, mem, size);
        free(mem);
    }
    assert_int_equal(e4_state_pubkey_count(d->s), 0);
    assert_int_equal(e4_state_set_suite_pubkey(d->s, peer->id, zero, 1), E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(e4_state_set_suite_pubkey(d->s, peer->id, zero, 33), E4_ERR_ZERO_KEY);
    /* the good keys still go in, and C2's key still works */
    assert_int_equal(e4_state_set_suite_pubkey(d->s, peer->id, peer->pk, 33), E4_OK);
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_PUBKEYS, NULL, 0, NOW), E4_COMMAND);
    assert_int_equal(e4_state_pubkey_count(d->s), 0);
    free(before);
    free_device(d);
    free_device(peer);
}

/* C2's key establishment for epoch, as e4c2 will send it. */
static e4_err establish(device *d, const c2 *c, sender *s, uint32_t epoch, uint64_t now)
{
    static uint8_t msg[E4_PQ_PK_KEY_MSG_LEN];
    uint8_t key[32];
    assert_int_equal(e4_pq_pk_key_establish(msg, key, c->ed_sk, c->mldsa_seed, d->xwing_pk, epoch,
                                            ++s->ts, NULL),
                     E4_OK);
    e4_err err = recv_at(d, e4_state_control_topic(d->s), msg, sizeof msg, now);
    if (err == E4_COMMAND) {
        memcpy(s->key, key, 32);
        s->epoch = epoch;
        assert_int_equal(recv_at(d, e4_state_control_topic(d->s), msg, sizeof msg, now),
                         E4_ERR_REPLAYED); /* the same epoch again */
    }
    return err;
}

static void test_pq_pk_epochs(void **st)
{
    (void)st;
    TB_REQUIRE_PK();
    c2 c, other;
    make_c2(&c);
    make_c2(&other);
    device *d = make_device(E4_SUITE_PQ_PK, &c);
    sender s = {E4_SUITE_PQ_PK, {0}, 1, NOW - 100};
    e4_random_key(s.key);
    /* no key established yet: nothing opens */
    assert_int_equal(e4_state_epoch(d->s), 0);
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW), E4_ERR_NOT_AUTHENTIC);
    /* another C2's establishment is refused */
    sender bad = s;
    assert_int_equal(establish(d, &other, &bad, 1, NOW), E4_ERR_INVALID_SIGNATURE);
    assert_int_equal(establish(d, &c, &s, 1, NOW), E4_COMMAND);
    assert_int_equal(e4_state_epoch(d->s), 1);
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW), E4_COMMAND);
    /* a wrong epoch number under the right key: no key for it */
    s.epoch = 7;
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW), E4_ERR_NOT_AUTHENTIC);
    s.epoch = 1;
    /* epoch 3, then 2 and 3 again: rollback refused */
    sender prev = s;
    assert_int_equal(establish(d, &c, &s, 3, NOW + 10), E4_COMMAND);
    sender old = s;
    assert_int_equal(establish(d, &c, &old, 2, NOW + 10), E4_ERR_REPLAYED);
    assert_int_equal(establish(d, &c, &old, 3, NOW + 10), E4_ERR_REPLAYED);
    assert_int_equal(e4_state_epoch(d->s), 3);
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW + 10), E4_COMMAND);
    /* the previous epoch for the transition time, not after */
    prev.ts = s.ts;
    assert_int_equal(send_cmd(d, &prev, E4_CMD_RESET_TOPICS, NULL, 0, NOW + 10), E4_COMMAND);
    prev.ts = NOW + 3619;
    assert_int_equal(send_cmd(d, &prev, E4_CMD_RESET_TOPICS, NULL, 0, NOW + 3620),
                     E4_ERR_NOT_AUTHENTIC);
    s.ts = NOW + 3619;
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW + 3620), E4_COMMAND);
    /* a tampered establishment */
    uint8_t msg[E4_PQ_PK_KEY_MSG_LEN], key[32];
    assert_int_equal(
        e4_pq_pk_key_establish(msg, key, c.ed_sk, c.mldsa_seed, d->xwing_pk, 9, NOW + 3620, NULL),
        E4_OK);
    for (size_t off = 0; off < sizeof msg; off += 97) {
        msg[off] ^= 1;
        assert_true(recv_at(d, e4_state_control_topic(d->s), msg, sizeof msg, NOW + 3620) < 0);
        msg[off] ^= 1;
    }
    for (size_t cut = 0; cut < sizeof msg; cut += 31)
        assert_true(recv_at(d, e4_state_control_topic(d->s), msg, cut, NOW + 3620) < 0);
    assert_int_equal(e4_state_epoch(d->s), 3);
    free_device(d);
}

static void test_pq_pk_commands(void **st)
{
    (void)st;
    TB_REQUIRE_PK();
    c2 c;
    make_c2(&c);
    device *d = make_device(E4_SUITE_PQ_PK, &c), *peer = make_device(E4_SUITE_PQ_PK, &c);
    sender s = {E4_SUITE_PQ_PK, {0}, 0, NOW - 100};
    assert_int_equal(establish(d, &c, &s, 1, NOW), E4_COMMAND);
    common_commands(d, peer, &s, NOW);

    /* SetIDKey: new Ed25519 key and seeds; the next establishment is to
     * the new X-Wing key, and messages are signed with the new keys */
    uint8_t ids[128], ed_pk[32];
    assert_int_equal(e4_ed25519_keypair(ids, ed_pk), E4_OK);
    e4_random_key(ids + 64);
    e4_random_key(ids + 96);
    /* a zero seed in the set is refused (and changes nothing) */
    uint8_t bad[128];
    memcpy(bad, ids, 128);
    memset(bad + 96, 0, 32);
    uint8_t raw[129] = {E4_CMD_SET_ID_KEY};
    memcpy(raw + 1, bad, 128);
    assert_int_equal(e4_pq_pk_command_protect(s.key, s.epoch, ++s.ts, raw, sizeof raw, last_msg),
                     E4_OK);
    assert_int_equal(
        recv_at(d, e4_state_control_topic(d->s), last_msg, sizeof raw + E4_PQ_PK_CMD_OVERHEAD, NOW),
        E4_ERR_ZERO_KEY);
    assert_int_equal(send_cmd(d, &s, E4_CMD_SET_ID_KEY, ids, 128, NOW), E4_COMMAND);
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW), E4_COMMAND);
    sender stale = s;
    assert_int_equal(establish(d, &c, &stale, 2, NOW), E4_COMMAND);
    /* ^ decapsulating with the new seed gives another key: C2's commands
     * under the old-seed key no longer open */
    assert_int_equal(send_cmd(d, &stale, E4_CMD_RESET_TOPICS, NULL, 0, NOW), E4_ERR_NOT_AUTHENTIC);
    memcpy(d->xwing_seed, ids + 96, 32);
    assert_int_equal(e4_xwing_public(d->xwing_pk, d->xwing_seed), E4_OK);
    assert_int_equal(establish(d, &c, &s, 3, NOW), E4_COMMAND);
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW), E4_COMMAND);

    /* SetC2Key: establishments signed by the old C2 are refused */
    c2 c2new;
    make_c2(&c2new);
    assert_int_equal(send_cmd(d, &s, E4_CMD_SET_C2_KEY, c2new.keys, sizeof c2new.keys, NOW),
                     E4_COMMAND);
    sender t = s;
    assert_int_equal(establish(d, &c, &t, 4, NOW), E4_ERR_INVALID_SIGNATURE);
    assert_int_equal(establish(d, &c2new, &s, 4, NOW), E4_COMMAND);
    assert_int_equal(send_cmd(d, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW), E4_COMMAND);
    free_device(d);
    free_device(peer);
}

/* ---- receipts --------------------------------------------------------------- */

/* Receipts are keyed from the suite's command key (pq-pk: the current
 * K_epoch): C2 opens them with e4_receipt_key of the key it sent with. */
static void receipts(e4_suite suite)
{
    c2 c;
    make_c2(&c);
    device *d = make_device(suite, &c), *peer = make_device(suite, &c);
    sender s = {suite, {0}, 0, NOW - 100};
    if (suite == E4_SUITE_FIPS_PK)
        assert_int_equal(e4_fips_pk_command_key(s.key, c.agree_sk, d->agree_pk), E4_OK);
    else
        assert_int_equal(establish(d, &c, &s, 4, NOW), E4_COMMAND);
    const size_t pl = pk_len(suite);
    uint8_t args[16 + E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN], rkey[32], plain[4096], out[4096];
    memcpy(args, peer->pk, pl);
    memcpy(args + pl, peer->id, 16);
    assert_int_equal(send_cmd(d, &s, E4_CMD_SET_PUBKEY, args, pl + 16, NOW), E4_COMMAND);
    assert_int_equal(e4_receipt_key(rkey, s.key), E4_OK);

    uint8_t applied[E4_RECEIPT_APPLIED_LEN];
    assert_int_equal(e4_receipt_applied(d->s, last_msg, last_len, E4_COMMAND, applied, NOW), E4_OK);
    e4_receipt r;
    assert_int_equal(
        e4_receipt_open(&r, plain, sizeof plain, rkey, applied, sizeof applied, NOW, 0), E4_OK);
    size_t len;
    assert_true(e4_receipt_state_len(d->s) <= sizeof out);
    assert_int_equal(e4_receipt_state(d->s, out, sizeof out, &len, NOW), E4_OK);
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, rkey, out, len, NOW, 0), E4_OK);
    /* the suite's key is in the STATE: its check matches C2's own */
    uint8_t check[E4_CHECK_LEN];
    assert_int_equal(e4_key_check(check, peer->pk, pl), E4_OK);
    assert_memory_equal(plain + 3 + 4 + 4 + E4_ID_LEN, check, E4_CHECK_LEN);
    /* under another key: not authentic */
    rkey[0] ^= 1;
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, rkey, out, len, NOW, 0),
                     E4_ERR_NOT_AUTHENTIC);
    free_device(d);
    free_device(peer);
}

static void test_fips_pk_receipts(void **st)
{
    (void)st;
    TB_REQUIRE_GCM();
    receipts(E4_SUITE_FIPS_PK);
}

static void test_pq_pk_receipts(void **st)
{
    (void)st;
    TB_REQUIRE_PK();
    receipts(E4_SUITE_PQ_PK);
}

/* ---- storage ------------------------------------------------------------------ */

/* A reloaded device: the same suite, keys and epochs. */
static device *reload(device *d, memstore *m)
{
    device *r = malloc(sizeof *r);
    assert_non_null(r);
    *r = *d;
    size_t size = e4_state_size_suite(e4_state_suite(d->s), &LIMITS);
    r->mem = aligned_alloc(8, (size + 7) & ~(size_t)7);
    /* the base size is too small for the suite */
    assert_int_equal(e4_state_load(&r->s, r->mem, e4_state_size(&LIMITS), &LIMITS, &m->st),
                     E4_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(e4_state_load(&r->s, r->mem, size, &LIMITS, &m->st), E4_OK);
    assert_int_equal(e4_state_suite(r->s), e4_state_suite(d->s));
    assert_int_equal(e4_state_topic_count(r->s), e4_state_topic_count(d->s));
    assert_int_equal(e4_state_pubkey_count(r->s), e4_state_pubkey_count(d->s));
    assert_int_equal(e4_state_epoch(r->s), e4_state_epoch(d->s));
    return r;
}

/* Every byte matters: a corrupted or truncated store never loads. */
static void damaged_never_load(device *d, memstore *m, size_t step)
{
    size_t size = e4_state_size_suite(e4_state_suite(d->s), &LIMITS);
    void *mem = aligned_alloc(8, (size + 7) & ~(size_t)7);
    e4_state *s;
    const size_t len = m->len;
    for (size_t off = 0; off < len; off += step) {
        m->buf[off] ^= 0x01;
        assert_true(e4_state_load(&s, mem, size, &LIMITS, &m->st) < 0);
        m->buf[off] ^= 0x01;
    }
    for (size_t cut = 0; cut < len; cut += step) {
        m->len = cut;
        assert_true(e4_state_load(&s, mem, size, &LIMITS, &m->st) < 0);
    }
    m->len = len;
    free(mem);
}

static void storage_round_trip(e4_suite suite)
{
    c2 c;
    make_c2(&c);
    device *a, *b;
    uint8_t key[32], *data = malloc(BIG), *out = malloc(BIG);
    pair(suite, &c, &a, &b, key);
    memstore *m = calloc(1, sizeof *m);
    memstore_init(m);
    e4_state_set_storage(b->s, &m->st);
    sender s = {suite, {0}, 0, NOW - 100};
    if (suite == E4_SUITE_FIPS_PK) {
        assert_int_equal(e4_fips_pk_command_key(s.key, c.agree_sk, b->agree_pk), E4_OK);
    } else {
        assert_int_equal(establish(b, &c, &s, 1, NOW), E4_COMMAND);
        assert_int_equal(establish(b, &c, &s, 5, NOW), E4_COMMAND);
    }
    uint8_t args[48];
    e4_random_key(args);
    assert_int_equal(e4_hash_topic(args + 32, "other"), E4_OK);
    assert_int_equal(send_cmd(b, &s, E4_CMD_SET_TOPIC_KEY, args, 48, NOW), E4_COMMAND);
    assert_int_equal(e4_state_topic_count(b->s), 2);
    assert_int_equal(e4_state_save(b->s, &m->st), E4_OK);

    device *r = reload(b, m);
    size_t dlen, n;
    assert_int_equal(
        e4_protect(a->s, TOPIC, (const uint8_t *)"hello", 5, data, BIG, &dlen, NOW + 1), E4_OK);
    assert_int_equal(e4_unprotect(r->s, TOPIC, data, dlen, out, BIG, &n, NOW + 1), E4_OK);
    assert_memory_equal(out, "hello", 5);
    /* the command key survives, and the applied command stays refused */
    assert_int_equal(recv_at(r, e4_state_control_topic(r->s), last_msg, last_len, NOW),
                     E4_ERR_REPLAYED);
    assert_int_equal(send_cmd(r, &s, E4_CMD_RESET_TOPICS, NULL, 0, NOW + 1), E4_COMMAND);
    assert_int_equal(e4_state_topic_count(r->s), 0);
    if (suite == E4_SUITE_PQ_PK) { /* no rollback after a restart either */
        sender old = s;
        assert_int_equal(establish(r, &c, &old, 5, NOW + 1), E4_ERR_REPLAYED);
        assert_int_equal(e4_state_epoch(r->s), 5);
    }
    damaged_never_load(b, m, suite == E4_SUITE_PQ_PK ? 7 : 1);
    free_device(r);
    free_device(a);
    free_device(b);
    free(m);
    free(data);
    free(out);
}

static void test_fips_pk_storage(void **st)
{
    (void)st;
    TB_REQUIRE_GCM();
    storage_round_trip(E4_SUITE_FIPS_PK);
}

static void test_pq_pk_storage(void **st)
{
    (void)st;
    TB_REQUIRE_PK();
    storage_round_trip(E4_SUITE_PQ_PK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_fips_pk_messages),
        cmocka_unit_test(test_pq_pk_messages),
        cmocka_unit_test(test_fips_pk_commands),
        cmocka_unit_test(test_fips_pk_public_keys_checked),
        cmocka_unit_test(test_fips_pk_signature_edge_cases),
        cmocka_unit_test(test_pq_pk_epochs),
        cmocka_unit_test(test_pq_pk_commands),
        cmocka_unit_test(test_fips_pk_receipts),
        cmocka_unit_test(test_pq_pk_receipts),
        cmocka_unit_test(test_fips_pk_storage),
        cmocka_unit_test(test_pq_pk_storage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
