/*
 * The traffic monitor's check of one message (src/e4c2/monitor_check.c):
 * each result from real libe4 messages, the previous key, replays, the
 * skew, PK signers, and the scratch buffer wiped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "monitor.h"

#define NOW 1800000000u

static uint8_t KEY[E4_KEY_LEN], PREV[E4_KEY_LEN], OTHER[E4_KEY_LEN];
static uint8_t SIGN_SK[E4_ED25519_SK_LEN], SIGN_PK[E4_ED25519_PK_LEN], SIGNER[E4_ID_LEN];

static int zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int setup(void **state)
{
    (void)state;
    e4_random_key(KEY);
    e4_random_key(PREV);
    e4_random_key(OTHER);
    assert_int_equal(e4_ed25519_keypair(SIGN_SK, SIGN_PK), E4_OK);
    assert_int_equal(e4_hash_id(SIGNER, "alice"), E4_OK);
    return 0;
}

static monitor_keys sk_keys(int has_prev)
{
    monitor_keys k;
    memset(&k, 0, sizeof k);
    memcpy(k.key, KEY, sizeof KEY);
    k.has_prev = has_prev;
    memcpy(k.prev_key, PREV, sizeof PREV);
    k.mode = C2_MODE_SK;
    return k;
}

/* SK message of text under key at time ts, into out (returns its length). */
static size_t sk_msg(uint8_t *out, const uint8_t *key, uint64_t ts, const char *text)
{
    assert_int_equal(e4_sk_protect(key, ts, (const uint8_t *)text, strlen(text), out), E4_OK);
    return strlen(text) + E4_SK_OVERHEAD;
}

static c2_traffic_result check(const monitor_keys *k, monitor_replay *rp, const uint8_t *msg,
                               size_t len, int64_t *skew)
{
    uint8_t scratch[512];
    int has_skew = 0;
    int64_t s = 0;
    c2_traffic_result r;
    memset(scratch, 0, sizeof scratch);
    r = monitor_check(k, rp, msg, len, NOW, scratch, sizeof scratch, &s, &has_skew);
    assert_true(zero(scratch, sizeof scratch)); /* what was opened is wiped */
    if (skew)
        *skew = has_skew ? s : -1;
    return r;
}

static void test_sk_results(void **state)
{
    monitor_keys k = sk_keys(0);
    monitor_replay rp;
    uint8_t m[256];
    const char *clear = "temperature=21.5 in the kitchen";
    int64_t skew;
    size_t n;
    (void)state;
    monitor_replay_init(&rp);
    n = sk_msg(m, KEY, NOW - 3, "hello 1");
    assert_int_equal(check(&k, &rp, m, n, &skew), C2_TR_valid);
    assert_int_equal(skew, 3);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_replayed);
    n = sk_msg(m, OTHER, NOW, "hello 2");
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_not_authentic);
    n = sk_msg(m, KEY, NOW - 3600, "hello 3");
    assert_int_equal(check(&k, &rp, m, n, &skew), C2_TR_too_old);
    assert_int_equal(skew, 3600);
    n = sk_msg(m, KEY, NOW + 120, "hello 4");
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_in_future);
    assert_int_equal(check(&k, &rp, (const uint8_t *)clear, strlen(clear), &skew),
                     C2_TR_unprotected);
    assert_int_equal(skew, -1);
    assert_int_equal(check(&k, &rp, (const uint8_t *)"hi", 2, NULL), C2_TR_unprotected);
    n = sk_msg(m, KEY, NOW, "tampered");
    m[n - 1] ^= 1;
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_not_authentic);
}

static void test_previous_key(void **state)
{
    monitor_keys with = sk_keys(1), without = sk_keys(0);
    monitor_replay rp;
    uint8_t m[256];
    size_t n = sk_msg(m, PREV, NOW, "on the old key");
    (void)state;
    monitor_replay_init(&rp);
    assert_int_equal(check(&without, &rp, m, n, NULL), C2_TR_not_authentic);
    assert_int_equal(check(&with, &rp, m, n, NULL), C2_TR_valid);
}

static void test_replay_cache_is_bounded(void **state)
{
    monitor_keys k = sk_keys(0);
    monitor_replay rp;
    uint8_t first[256], m[256];
    char text[32];
    size_t n0 = sk_msg(first, KEY, NOW, "the first"), n;
    (void)state;
    monitor_replay_init(&rp);
    assert_int_equal(check(&k, &rp, first, n0, NULL), C2_TR_valid);
    for (int i = 0; i < MONITOR_REPLAY_CACHE; i++) {
        snprintf(text, sizeof text, "message %d", i);
        n = sk_msg(m, KEY, NOW, text);
        assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_valid);
    }
    assert_int_equal(rp.n, MONITOR_REPLAY_CACHE);
    /* pushed out of the memory: no longer recognised (the time window
     * catches old replays instead) */
    assert_int_equal(check(&k, &rp, first, n0, NULL), C2_TR_valid);
}

static int alice_only(void *ctx, const uint8_t id[E4_ID_LEN], uint8_t pk[E4_ED25519_PK_LEN])
{
    (void)ctx;
    if (memcmp(id, SIGNER, E4_ID_LEN) != 0)
        return -1;
    memcpy(pk, SIGN_PK, sizeof SIGN_PK);
    return 0;
}

static void test_pk_results(void **state)
{
    monitor_keys k = sk_keys(0);
    monitor_replay rp;
    uint8_t m[256], stranger[E4_ID_LEN];
    const char *text = "signed by alice";
    size_t n = strlen(text) + E4_PK_OVERHEAD;
    (void)state;
    k.mode = C2_MODE_PK;
    k.pubkey = alice_only;
    monitor_replay_init(&rp);
    assert_int_equal(
        e4_pk_protect(KEY, SIGNER, SIGN_SK, NOW, (const uint8_t *)text, strlen(text), m), E4_OK);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_valid);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_replayed);
    assert_int_equal(
        e4_pk_protect(OTHER, SIGNER, SIGN_SK, NOW, (const uint8_t *)text, strlen(text), m), E4_OK);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_not_authentic);
    assert_int_equal(e4_hash_id(stranger, "mallory"), E4_OK);
    assert_int_equal(
        e4_pk_protect(KEY, stranger, SIGN_SK, NOW, (const uint8_t *)text, strlen(text), m), E4_OK);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_unknown_signer);
    /* an SK-sized message is too short to be PK */
    n = sk_msg(m, KEY, NOW, "short");
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_unprotected);
}

static void test_skew_buckets(void **state)
{
    (void)state;
    assert_int_equal(monitor_skew_bucket(0), 0);
    assert_int_equal(monitor_skew_bucket(1), 0);
    assert_int_equal(monitor_skew_bucket(2), 1);
    assert_int_equal(monitor_skew_bucket(600), 5);
    assert_int_equal(monitor_skew_bucket(601), 6);
    assert_int_equal(monitor_skew_bucket(3601), C2_SKEW_BUCKETS - 1);
    assert_string_equal(c2_traffic_result_name(C2_TR_unknown_signer), "unknown_signer");
}

/* The suites: their own formats, the header checked (a base message or
 * another suite's is not one of this suite's: unprotected), signers'
 * suite-sized keys. */
static void test_fips_sk_results(void **state)
{
    monitor_keys k = sk_keys(1);
    monitor_replay rp;
    uint8_t m[256];
    const char *text = "fips-sk traffic";
    size_t n = strlen(text) + E4_FIPS_SK_OVERHEAD;
    (void)state;
    k.suite = E4_SUITE_FIPS_SK;
    monitor_replay_init(&rp);
    assert_int_equal(e4_fips_sk_protect(KEY, NOW, NULL, (const uint8_t *)text, strlen(text), m),
                     E4_OK);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_valid);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_replayed);
    assert_int_equal(e4_fips_sk_protect(PREV, NOW, NULL, (const uint8_t *)text, strlen(text), m),
                     E4_OK);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_valid); /* the previous key */
    assert_int_equal(e4_fips_sk_protect(OTHER, NOW, NULL, (const uint8_t *)text, strlen(text), m),
                     E4_OK);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_not_authentic);
    assert_int_equal(
        e4_fips_sk_protect(KEY, NOW - 4000, NULL, (const uint8_t *)text, strlen(text), m), E4_OK);
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_too_old);
    n = sk_msg(m, KEY, NOW, "a base message, not fips-sk");
    assert_int_equal(check(&k, &rp, m, n, NULL), C2_TR_unprotected);
}

static uint8_t PQ_ED_SK[E4_ED25519_SK_LEN], PQ_SEED[E4_MLDSA65_SEED_LEN];
static uint8_t PQ_PK[E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN];

static int pq_alice_only(void *ctx, const uint8_t id[E4_ID_LEN], uint8_t pk[C2_SIGN_PK_MAX])
{
    (void)ctx;
    if (memcmp(id, SIGNER, E4_ID_LEN) != 0)
        return -1;
    memcpy(pk, PQ_PK, sizeof PQ_PK);
    return 0;
}

static void test_pq_pk_results(void **state)
{
    monitor_keys k = sk_keys(0);
    monitor_replay rp;
    static uint8_t m[4096], scratch[4096];
    uint8_t stranger[E4_ID_LEN];
    const char *text = "hybrid-signed by alice";
    size_t n = strlen(text) + E4_PQ_PK_OVERHEAD;
    int64_t skew;
    int has_skew;
    (void)state;
    k.mode = C2_MODE_PK;
    k.suite = E4_SUITE_PQ_PK;
    k.pubkey = pq_alice_only;
    assert_int_equal(e4_ed25519_keypair(PQ_ED_SK, PQ_PK), E4_OK);
    memset(PQ_SEED, 0x42, sizeof PQ_SEED);
    assert_int_equal(e4_mldsa65_public(PQ_PK + E4_ED25519_PK_LEN, PQ_SEED), E4_OK);
    monitor_replay_init(&rp);
    assert_int_equal(e4_pq_pk_protect(KEY, SIGNER, PQ_ED_SK, PQ_SEED, NOW - 3,
                                      (const uint8_t *)text, strlen(text), m),
                     E4_OK);
    assert_int_equal(monitor_check(&k, &rp, m, n, NOW, scratch, sizeof scratch, &skew, &has_skew),
                     C2_TR_valid);
    assert_true(has_skew && skew == 3);
    assert_true(zero(scratch, sizeof scratch));
    assert_int_equal(monitor_check(&k, &rp, m, n, NOW, scratch, sizeof scratch, &skew, &has_skew),
                     C2_TR_replayed);
    m[n - 1] ^= 1; /* the ML-DSA signature */
    assert_int_equal(monitor_check(&k, &rp, m, n, NOW, scratch, sizeof scratch, &skew, &has_skew),
                     C2_TR_not_authentic);
    assert_int_equal(e4_hash_id(stranger, "mallory"), E4_OK);
    assert_int_equal(e4_pq_pk_protect(KEY, stranger, PQ_ED_SK, PQ_SEED, NOW, (const uint8_t *)text,
                                      strlen(text), m),
                     E4_OK);
    assert_int_equal(monitor_check(&k, &rp, m, n, NOW, scratch, sizeof scratch, &skew, &has_skew),
                     C2_TR_unknown_signer);
    m[1] = E4_SUITE_FIPS_PK; /* another suite's header: not this suite's traffic */
    assert_int_equal(monitor_check(&k, &rp, m, n, NOW, scratch, sizeof scratch, &skew, &has_skew),
                     C2_TR_unprotected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sk_results),
        cmocka_unit_test(test_previous_key),
        cmocka_unit_test(test_replay_cache_is_bounded),
        cmocka_unit_test(test_pk_results),
        cmocka_unit_test(test_fips_sk_results),
        cmocka_unit_test(test_pq_pk_results),
        cmocka_unit_test(test_skew_buckets),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
