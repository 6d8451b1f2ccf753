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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sk_results),
        cmocka_unit_test(test_previous_key),
        cmocka_unit_test(test_replay_cache_is_bounded),
        cmocka_unit_test(test_pk_results),
        cmocka_unit_test(test_skew_buckets),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
