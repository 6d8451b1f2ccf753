/*
 * The pq-pk suite's stateless formats (spec e4-suites.md; the state is in
 * test_suite_state.c). Application messages: layout, both signatures
 * checked with the primitives directly, round trips of 0..65,536 bytes,
 * either signature alone is not enough, truncation at every length, a
 * corrupted byte at every offset, wrong suite headers. Control topic: the
 * signed X-Wing key establishment gives C2 and the client the same K_epoch
 * (recomputed here from its definition), is refused when tampered with or
 * signed by another C2, and commands under K_epoch bind their epoch.
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
#include <openssl/evp.h>

#include "backend.h"
#include "pq/pq.h"

#define NOW 1800000000ull
#define BIG (65536 + E4_PQ_PK_OVERHEAD)

typedef struct party {
    uint8_t id[16], ed_sk[64], ed_pk[32], mldsa_seed[32], mldsa_pk[E4_MLDSA65_PK_LEN];
    uint8_t xwing_seed[32], xwing_pk[E4_XWING_PK_LEN];
} party;

static party *make_party(void)
{
    party *p = calloc(1, sizeof *p);
    assert_non_null(p);
    e4_random_id(p->id);
    assert_int_equal(e4_ed25519_keypair(p->ed_sk, p->ed_pk), E4_OK);
    e4_random_key(p->mldsa_seed);
    e4_random_key(p->xwing_seed);
    assert_int_equal(e4_mldsa65_public(p->mldsa_pk, p->mldsa_seed), E4_OK);
    assert_int_equal(e4_xwing_public(p->xwing_pk, p->xwing_seed), E4_OK);
    return p;
}

static e4_err open_with(const party *p, const uint8_t key[32], const uint8_t *in, size_t len,
                        uint8_t *out)
{
    size_t n;
    return e4_pq_pk_unprotect(key, p->ed_pk, p->mldsa_pk, in, len, out, &n, NOW, 0);
}

static void test_format_and_round_trips(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    static const size_t sizes[] = {0, 1, 64, 4096, 65536};
    party *a = make_party();
    uint8_t key[32], id[16], *plain = malloc(65536), *msg = malloc(BIG), *out = malloc(BIG);
    assert_true(plain && msg && out);
    e4_random_key(key);
    for (size_t i = 0; i < 65536; i++)
        plain[i] = (uint8_t)(i * 5);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i], len = n + E4_PQ_PK_OVERHEAD, m_len = len - 64 - E4_MLDSA65_SIG_LEN,
               got;
        assert_int_equal(e4_pq_pk_protect(key, a->id, a->ed_sk, a->mldsa_seed, NOW, plain, n, msg),
                         E4_OK);
        assert_int_equal(msg[0], 0xE4);
        assert_int_equal(msg[1], 0x21);
        assert_memory_equal(msg + 10, a->id, 16);
        assert_int_equal(e4c_siv_open(key, msg, 10, msg + 26, n, out), 0);
        assert_memory_equal(out, plain, n);
        assert_int_equal(e4c_ed25519_verify(msg + m_len, msg, m_len, a->ed_pk), 0);
        assert_int_equal(e4pq_mldsa65_verify(msg + m_len + 64, msg, m_len,
                                             (const uint8_t *)"E4 pq-pk v1", 11, a->mldsa_pk),
                         0);
        assert_int_equal(e4_pq_pk_signer(id, msg, len), E4_OK);
        assert_memory_equal(id, a->id, 16);
        memset(out, 0, n);
        assert_int_equal(
            e4_pq_pk_unprotect(key, a->ed_pk, a->mldsa_pk, msg, len, out, &got, NOW + 1, 0), E4_OK);
        assert_int_equal(got, n);
        assert_memory_equal(out, plain, n);
    }
    free(plain), free(msg), free(out), free(a);
}

/* A forgery needs both signatures: the right key for one is not enough. */
static void test_both_signatures_needed(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    party *a = make_party(), *b = make_party();
    uint8_t key[32], plain[9] = "hybrid!!", msg[3500], out[3500];
    e4_random_key(key);
    const size_t len = sizeof plain + E4_PQ_PK_OVERHEAD;
    assert_int_equal(
        e4_pq_pk_protect(key, a->id, a->ed_sk, a->mldsa_seed, NOW, plain, sizeof plain, msg),
        E4_OK);
    assert_int_equal(open_with(a, key, msg, len, out), E4_OK);
    party mixed = *a; /* Ed25519 right, ML-DSA another's */
    memcpy(mixed.mldsa_pk, b->mldsa_pk, sizeof mixed.mldsa_pk);
    assert_int_equal(open_with(&mixed, key, msg, len, out), E4_ERR_INVALID_SIGNATURE);
    mixed = *a; /* ML-DSA right, Ed25519 another's */
    memcpy(mixed.ed_pk, b->ed_pk, 32);
    assert_int_equal(open_with(&mixed, key, msg, len, out), E4_ERR_INVALID_SIGNATURE);
    free(a), free(b);
}

static void test_truncated_corrupted_wrong_suite(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    party *a = make_party();
    uint8_t key[32], plain[5] = {1, 2, 3, 4, 5}, msg[3500], bad[3500], out[3500];
    e4_random_key(key);
    const size_t len = sizeof plain + E4_PQ_PK_OVERHEAD;
    assert_int_equal(
        e4_pq_pk_protect(key, a->id, a->ed_sk, a->mldsa_seed, NOW, plain, sizeof plain, msg),
        E4_OK);
    for (size_t l = 0; l < len; l++) {
        e4_err want = l < E4_PQ_PK_OVERHEAD ? E4_ERR_TOO_SHORT : E4_ERR_INVALID_SIGNATURE;
        e4_err got = open_with(a, key, msg, l, out);
        if (got != want)
            fail_msg("truncated to %zu: got %d, want %d", l, got, want);
    }
    for (size_t off = 0; off < len; off++) {
        memcpy(bad, msg, len);
        bad[off] ^= 0x08;
        e4_err got = open_with(a, key, bad, len, out),
               want = off < 2 ? E4_ERR_WRONG_SUITE : E4_ERR_INVALID_SIGNATURE;
        if (off >= 2 && off < 10 &&
            (got == E4_ERR_TIMESTAMP_TOO_OLD || got == E4_ERR_TIMESTAMP_IN_FUTURE))
            want = got;
        if (got != want)
            fail_msg("offset %zu: got %d, want %d", off, got, want);
    }
    static const uint8_t heads[][2] = {{0xE4, 0x10}, {0xE4, 0x11}, {0xE4, 0x20}, {0xE5, 0x21}};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        memcpy(bad, msg, len);
        bad[0] = heads[i][0], bad[1] = heads[i][1];
        assert_int_equal(open_with(a, key, bad, len, out), E4_ERR_WRONG_SUITE);
    }
    free(a);
}

static void test_key_establishment_and_commands(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    party *c2 = make_party(), *cl = make_party(), *other = make_party();
    uint8_t *msg = malloc(E4_PQ_PK_KEY_MSG_LEN), *bad = malloc(E4_PQ_PK_KEY_MSG_LEN);
    uint8_t k_c2[32], k_cl[32], eseed[64], ss[32], want[32];
    uint32_t epoch = 0;
    assert_true(msg && bad);
    memset(eseed, 0x3c, sizeof eseed);
    assert_int_equal(
        e4_pq_pk_key_establish(msg, k_c2, c2->ed_sk, c2->mldsa_seed, cl->xwing_pk, 7, NOW, eseed),
        E4_OK);
    assert_int_equal(e4_pq_pk_key_open(k_cl, &epoch, msg, E4_PQ_PK_KEY_MSG_LEN, c2->ed_pk,
                                       c2->mldsa_pk, cl->xwing_seed, NOW, 0),
                     E4_OK);
    assert_int_equal(epoch, 7);
    assert_memory_equal(k_c2, k_cl, 32);
    /* K_epoch = SHA3-256(label || epoch LE || ss), ss from X-Wing. */
    assert_int_equal(e4pq_xwing_decaps(ss, msg + 15, cl->xwing_seed), 0);
    uint8_t in[23 + 4 + 32];
    unsigned wl;
    memcpy(in, "E4 pq-pk command key v1", 23);
    memcpy(in + 23, "\x07\0\0\0", 4);
    memcpy(in + 27, ss, 32);
    assert_int_equal(EVP_Digest(in, sizeof in, want, &wl, EVP_sha3_256(), NULL), 1);
    assert_memory_equal(k_cl, want, 32);
    /* Tampered, another C2, another client's seed. */
    memcpy(bad, msg, E4_PQ_PK_KEY_MSG_LEN);
    bad[500] ^= 1;
    assert_int_equal(e4_pq_pk_key_open(k_cl, &epoch, bad, E4_PQ_PK_KEY_MSG_LEN, c2->ed_pk,
                                       c2->mldsa_pk, cl->xwing_seed, NOW, 0),
                     E4_ERR_INVALID_SIGNATURE);
    assert_int_equal(e4_pq_pk_key_open(k_cl, &epoch, msg, E4_PQ_PK_KEY_MSG_LEN, other->ed_pk,
                                       other->mldsa_pk, cl->xwing_seed, NOW, 0),
                     E4_ERR_INVALID_SIGNATURE);
    assert_int_equal(e4_pq_pk_key_open(k_cl, &epoch, msg, E4_PQ_PK_KEY_MSG_LEN, c2->ed_pk,
                                       c2->mldsa_pk, other->xwing_seed, NOW, 0),
                     E4_OK);
    assert_memory_not_equal(k_cl, k_c2, 32); /* implicit rejection: a key nobody else has */
    assert_int_equal(e4_pq_pk_key_open(k_cl, &epoch, msg, E4_PQ_PK_KEY_MSG_LEN - 1, c2->ed_pk,
                                       c2->mldsa_pk, cl->xwing_seed, NOW, 0),
                     E4_ERR_TOO_SHORT);
    /* Commands under K_epoch. */
    uint8_t cmd[E4_COMMAND_MAX], cmsg[100], out[100];
    size_t clen, n;
    assert_int_equal(e4_command_build(cmd, &clen, E4_CMD_RESET_TOPICS, NULL, 0), E4_OK);
    assert_int_equal(e4_pq_pk_command_protect(k_c2, 7, NOW, cmd, clen, cmsg), E4_OK);
    const size_t len = clen + E4_PQ_PK_CMD_OVERHEAD;
    epoch = 0;
    assert_int_equal(e4_pq_pk_command_open(k_c2, cmsg, len, out, &n, &epoch, NOW, 0), E4_OK);
    assert_int_equal(n, clen);
    assert_int_equal(epoch, 7);
    assert_memory_equal(out, cmd, clen);
    for (size_t off = 0; off < len; off++) { /* epoch and kind are bound too */
        memcpy(bad, cmsg, len);
        bad[off] ^= 0x01;
        assert_int_not_equal(e4_pq_pk_command_open(k_c2, bad, len, out, &n, &epoch, NOW, 0), E4_OK);
    }
    for (size_t l = 0; l < len; l++)
        assert_int_not_equal(e4_pq_pk_command_open(k_c2, cmsg, l, out, &n, &epoch, NOW, 0), E4_OK);
    assert_int_equal(
        e4_pq_pk_key_open(k_cl, &epoch, cmsg, len, c2->ed_pk, c2->mldsa_pk, cl->xwing_seed, NOW, 0),
        E4_ERR_TOO_SHORT);
    free(msg), free(bad), free(c2), free(cl), free(other);
}

/* Encapsulated when queued, signed when sent: the key is the same, the
 * signed timestamp is the sending time (an establishment queued long
 * before would otherwise be too old on arrival). */
static void test_key_encaps_then_sign(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    party *c2 = make_party(), *cl = make_party();
    uint8_t *msg = malloc(E4_PQ_PK_KEY_MSG_LEN), ct[E4_XWING_CT_LEN];
    uint8_t k_c2[32], k_cl[32], k_one[32], eseed[64];
    uint32_t epoch = 0;
    const uint64_t later = NOW + 3600;
    assert_non_null(msg);
    memset(eseed, 0x5a, sizeof eseed);
    assert_int_equal(e4_pq_pk_key_encaps(ct, k_c2, cl->xwing_pk, 9, eseed), E4_OK);
    assert_int_equal(e4_pq_pk_key_sign(msg, ct, 9, later, c2->ed_sk, c2->mldsa_seed), E4_OK);
    assert_int_equal(e4_pq_pk_key_open(k_cl, &epoch, msg, E4_PQ_PK_KEY_MSG_LEN, c2->ed_pk,
                                       c2->mldsa_pk, cl->xwing_seed, later, 0),
                     E4_OK);
    assert_int_equal(epoch, 9);
    assert_memory_equal(k_c2, k_cl, 32);
    /* signed at "later": too old an hour after that */
    assert_int_equal(e4_pq_pk_key_open(k_cl, &epoch, msg, E4_PQ_PK_KEY_MSG_LEN, c2->ed_pk,
                                       c2->mldsa_pk, cl->xwing_seed, later + 3600, 0),
                     E4_ERR_TIMESTAMP_TOO_OLD);
    /* the one-call form with the same randomness gives the same key */
    assert_int_equal(
        e4_pq_pk_key_establish(msg, k_one, c2->ed_sk, c2->mldsa_seed, cl->xwing_pk, 9, NOW, eseed),
        E4_OK);
    assert_memory_equal(k_one, k_c2, 32);
    assert_memory_equal(msg + 15, ct, E4_XWING_CT_LEN);
    /* the ciphertext is signed: another epoch in the header does not open */
    assert_int_equal(e4_pq_pk_key_sign(msg, ct, 10, later, c2->ed_sk, c2->mldsa_seed), E4_OK);
    assert_int_equal(e4_pq_pk_key_open(k_cl, &epoch, msg, E4_PQ_PK_KEY_MSG_LEN, c2->ed_pk,
                                       c2->mldsa_pk, cl->xwing_seed, later, 0),
                     E4_OK);
    assert_int_equal(epoch, 10);
    assert_memory_not_equal(k_cl, k_c2, 32); /* K_epoch binds the epoch */
    assert_int_equal(e4_pq_pk_key_encaps(NULL, k_c2, cl->xwing_pk, 9, eseed),
                     E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_pq_pk_key_sign(msg, ct, 9, UINT64_MAX, c2->ed_sk, c2->mldsa_seed),
                     E4_ERR_INVALID_ARGUMENT);
    free(msg);
    free(c2);
    free(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_round_trips),
        cmocka_unit_test(test_both_signatures_needed),
        cmocka_unit_test(test_truncated_corrupted_wrong_suite),
        cmocka_unit_test(test_key_establishment_and_commands),
        cmocka_unit_test(test_key_encaps_then_sign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
