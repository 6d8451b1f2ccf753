/*
 * The hosted layer: file store persistence across reopen, replay protection
 * on by default, the clock override, and concurrent protect/unprotect from
 * several threads while C2 commands change the state.
 */
#include <e4/client.h>
#include <e4/receipt.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend.h"

#define TOPIC "plant/line-4/pressure"

static char dir[64];

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/e4-test-client-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static uint64_t fixed_clock(void *ctx)
{
    return *(uint64_t *)ctx;
}

static void test_persist_and_reopen(void **st)
{
    (void)st;
    char path[128];
    snprintf(path, sizeof path, "%s/device.e4", dir);
    uint8_t id[16], key[32], tk[32];
    e4_random_id(id);
    e4_random_key(key);
    e4_random_key(tk);
    e4_client_options o = {.state_path = path, .max_topics = 8, .control_topic = "site/ctl/dev1"};
    e4_client *c;
    assert_int_equal(e4_client_new_sk(&c, id, key, &o), E4_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(e4_client_set_topic_key(c, TOPIC, tk), E4_OK);
    uint8_t msg[64], out[64];
    size_t len, ol;
    assert_int_equal(
        e4_client_protect(c, TOPIC, (const uint8_t *)"42 bar", 6, msg, sizeof msg, &len), E4_OK);
    e4_client_free(c);

    /* Reopen from the file alone: same identity, keys and control topic. */
    e4_client_options o2 = {.state_path = path};
    assert_int_equal(e4_client_open(&c, &o2), E4_OK);
    uint8_t id2[16];
    e4_client_id(c, id2);
    assert_memory_equal(id, id2, 16);
    assert_string_equal(e4_client_control_topic(c), "site/ctl/dev1");
    assert_int_equal(e4_client_mode(c), E4_MODE_SK);
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, len, out, sizeof out, &ol), E4_OK);
    assert_memory_equal(out, "42 bar", 6);
    /* The replay cache is on by default. */
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, len, out, sizeof out, &ol),
                     E4_ERR_REPLAYED);

    /* A command received through the client is persisted before it returns. */
    uint8_t cmd[1] = {E4_CMD_RESET_TOPICS}, cmsg[64];
    assert_int_equal(e4_sk_protect(key, (uint64_t)time(NULL), cmd, 1, cmsg), E4_OK);
    assert_int_equal(e4_client_unprotect(c, "site/ctl/dev1", cmsg, 25, out, sizeof out, &ol),
                     E4_COMMAND);
    e4_client_free(c);
    assert_int_equal(e4_client_open(&c, &o2), E4_OK);
    assert_int_equal(e4_client_protect(c, TOPIC, (const uint8_t *)"x", 1, msg, sizeof msg, &len),
                     E4_ERR_TOPIC_KEY_NOT_FOUND);
    e4_client_free(c);

    /* A missing or damaged file is a clear error. */
    e4_client_options missing = {.state_path = "/nonexistent/dir/state.e4"};
    assert_int_equal(e4_client_open(&c, &missing), E4_ERR_STORAGE_IO);
    assert_string_equal(e4_client_storage_error(),
                        "cannot open /nonexistent/dir/state.e4: No such file or directory");
    uint8_t id0[E4_ID_LEN] = {1}, key0[E4_KEY_LEN] = {1};
    assert_int_equal(e4_client_new_sk(&c, id0, key0, &missing), E4_ERR_STORAGE_IO);
    assert_string_equal(e4_client_storage_error(),
                        "cannot create a temporary file beside "
                        "/nonexistent/dir/state.e4: No such file or directory");
    FILE *fp = fopen(path, "r+b");
    fseek(fp, 20, SEEK_SET);
    fputc(0x5a, fp);
    fclose(fp);
    assert_int_equal(e4_client_open(&c, &o2), E4_ERR_STORAGE_CORRUPT);
}

/* A fips-sk client: created in the suite, its messages and commands in the
 * fips-sk format, the suite kept by the file; base messages refused. */
/* fips-pk and pq-pk clients: created, saved, reopened from the file alone
 * (the file's suite decides the memory: a pq-pk state needs more than the
 * base one the loader tries first), and they protect in their suite. */
static void test_pk_suite_clients(void **st)
{
    (void)st;
    TB_REQUIRE_PK();
    char path[128];
    uint8_t id[16], a[32], b[32], c2_agree[33], ed_sk[64], ed_pk[32], seed[32];
    uint8_t c2_keys[32 + E4_MLDSA65_PK_LEN], tk[32], msg[4096];
    size_t len;
    e4_random_id(id);
    e4_random_key(tk);
    assert_int_equal(e4_p256_keypair(a, c2_agree), E4_OK);
    assert_int_equal(e4_p256_keypair(b, c2_agree), E4_OK);
    assert_int_equal(e4_ed25519_keypair(ed_sk, c2_keys), E4_OK);
    e4_random_key(seed);
    assert_int_equal(e4_mldsa65_public(c2_keys + 32, seed), E4_OK);
    for (int pq = 0; pq < 2; pq++) {
        snprintf(path, sizeof path, "%s/suite-%d.e4", dir, pq);
        e4_client_options o = {.state_path = path, .max_topics = 4, .max_pubkeys = 4};
        e4_client *c;
        if (pq) {
            assert_int_equal(e4_ed25519_keypair(ed_sk, ed_pk), E4_OK);
            assert_int_equal(
                e4_client_new_pq_pk(&c, id, ed_sk, seed, seed, c2_keys, c2_keys + 32, &o), E4_OK);
        } else {
            assert_int_equal(e4_client_new_fips_pk(&c, id, a, b, c2_agree, &o), E4_OK);
        }
        assert_int_equal(e4_client_set_topic_key(c, TOPIC, tk), E4_OK);
        const size_t pl = pq ? sizeof c2_keys : sizeof c2_agree; /* any valid key will do */
        assert_int_equal(e4_client_set_suite_pubkey(c, id, pq ? c2_keys : c2_agree, pl), E4_OK);
        assert_int_equal(e4_client_set_suite_pubkey(c, id, c2_keys, pl - 1),
                         E4_ERR_INVALID_ARG_LENGTH);
        e4_client_free(c);
        e4_client_options o2 = {.state_path = path};
        assert_int_equal(e4_client_open(&c, &o2), E4_OK);
        const e4_suite want = pq ? E4_SUITE_PQ_PK : E4_SUITE_FIPS_PK;
        assert_int_equal(e4_client_suite(c), want);
        assert_int_equal(e4_client_mode(c), E4_MODE_PK);
        assert_int_equal(
            e4_client_protect(c, TOPIC, (const uint8_t *)"1", 1, msg, sizeof msg, &len), E4_OK);
        assert_int_equal(len, 1 + (pq ? E4_PQ_PK_OVERHEAD : E4_FIPS_PK_OVERHEAD));
        assert_int_equal(msg[1], want);
        e4_client_free(c);
    }
}

static void test_fips_sk_client(void **st)
{
    TB_REQUIRE_GCM();
    (void)st;
    char path[128];
    snprintf(path, sizeof path, "%s/fips.e4", dir);
    uint8_t id[16], key[32], tk[32], msg[128], out[128], cmsg[128];
    size_t len, ol;
    e4_random_id(id);
    e4_random_key(key);
    e4_random_key(tk);
    e4_client_options o = {.state_path = path};
    e4_client *c;
    assert_int_equal(e4_client_new_fips_sk(&c, id, key, &o), E4_OK);
    assert_int_equal(e4_client_suite(c), E4_SUITE_FIPS_SK);
    assert_int_equal(e4_client_mode(c), E4_MODE_SK);
    assert_int_equal(e4_client_set_topic_key(c, TOPIC, tk), E4_OK);
    assert_int_equal(e4_client_protected_len(c, 6), 6 + E4_FIPS_SK_OVERHEAD);
    assert_int_equal(
        e4_client_protect(c, TOPIC, (const uint8_t *)"42 bar", 6, msg, sizeof msg, &len), E4_OK);
    assert_int_equal(len, 6 + E4_FIPS_SK_OVERHEAD);
    assert_int_equal(msg[0], E4_SUITE_MAGIC);
    assert_int_equal(msg[1], E4_SUITE_FIPS_SK);
    e4_client_free(c);

    e4_client_options o2 = {.state_path = path};
    assert_int_equal(e4_client_open(&c, &o2), E4_OK);
    assert_int_equal(e4_client_suite(c), E4_SUITE_FIPS_SK);
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, len, out, sizeof out, &ol), E4_OK);
    assert_memory_equal(out, "42 bar", 6);
    /* a base message under the same topic key: another suite */
    assert_int_equal(
        e4_sk_protect(tk, (uint64_t)time(NULL), (const uint8_t *)"a base payload", 14, cmsg),
        E4_OK);
    assert_int_equal(e4_client_unprotect(c, TOPIC, cmsg, 14 + E4_SK_OVERHEAD, out, sizeof out, &ol),
                     E4_ERR_WRONG_SUITE);
    /* a fips-sk command under the client key is applied and saved */
    uint8_t cmd[1] = {E4_CMD_RESET_TOPICS};
    assert_int_equal(e4_fips_sk_protect(key, (uint64_t)time(NULL), NULL, cmd, 1, cmsg), E4_OK);
    assert_int_equal(e4_client_unprotect(c, e4_client_control_topic(c), cmsg,
                                         1 + E4_FIPS_SK_OVERHEAD, out, sizeof out, &ol),
                     E4_COMMAND);
    e4_client_free(c);
    assert_int_equal(e4_client_open(&c, &o2), E4_OK);
    assert_int_equal(e4_client_protect(c, TOPIC, (const uint8_t *)"x", 1, msg, sizeof msg, &len),
                     E4_ERR_TOPIC_KEY_NOT_FOUND);
    e4_client_free(c);
}

static void test_grows_to_fit_saved_state(void **st)
{
    (void)st;
    char path[128];
    snprintf(path, sizeof path, "%s/big.e4", dir);
    uint8_t id[16], key[32], tk[32];
    e4_random_id(id);
    e4_random_key(key);
    e4_random_key(tk);
    e4_client_options o = {.state_path = path, .max_topics = 30};
    e4_client *c;
    assert_int_equal(e4_client_new_sk(&c, id, key, &o), E4_OK);
    for (int i = 0; i < 20; i++) {
        char t[32];
        snprintf(t, sizeof t, "t/%d", i);
        assert_int_equal(e4_client_set_topic_key(c, t, tk), E4_OK);
    }
    e4_client_free(c);
    e4_client_options small = {.state_path = path, .max_topics = 2};
    assert_int_equal(e4_client_open(&c, &small), E4_OK);
    uint8_t msg[64];
    size_t len;
    assert_int_equal(e4_client_protect(c, "t/19", (const uint8_t *)"y", 1, msg, sizeof msg, &len),
                     E4_OK);
    e4_client_free(c);
}

/* Issue 11, item 9: C2 sets K1, rotates to K2; after a restart the K1
 * command, replayed within the 600 s window, must not bring K1 back. */
static e4_err send_set_topic_key(e4_client *c, const uint8_t key[32], const uint8_t tk[32],
                                 uint64_t ts, uint8_t msg[128], size_t *msg_len)
{
    uint8_t args[48], cmd[E4_COMMAND_MAX], out[128];
    size_t cmd_len, ol;
    memcpy(args, tk, 32);
    assert_int_equal(e4_hash_topic(args + 32, TOPIC), E4_OK);
    assert_int_equal(e4_command_build(cmd, &cmd_len, E4_CMD_SET_TOPIC_KEY, args, sizeof args),
                     E4_OK);
    assert_int_equal(e4_sk_protect(key, ts, cmd, cmd_len, msg), E4_OK);
    *msg_len = cmd_len + E4_SK_OVERHEAD;
    return e4_client_unprotect(c, e4_client_control_topic(c), msg, *msg_len, out, sizeof out, &ol);
}

static void replay(e4_client *c, const uint8_t *msg, size_t len, e4_err want)
{
    uint8_t out[128];
    size_t ol;
    assert_int_equal(
        e4_client_unprotect(c, e4_client_control_topic(c), msg, len, out, sizeof out, &ol), want);
}

/* The topic key in use is k: a message under it opens. */
static void assert_topic_key(e4_client *c, const uint8_t k[32], uint64_t now)
{
    uint8_t msg[64], out[64];
    size_t len, ol;
    assert_int_equal(e4_client_protect(c, TOPIC, (const uint8_t *)"v", 1, msg, sizeof msg, &len),
                     E4_OK);
    assert_int_equal(e4_sk_unprotect(k, msg, len, out, &ol, now, 0), E4_OK);
}

static void test_command_replay_after_restart(void **st)
{
    (void)st;
    char path[128];
    snprintf(path, sizeof path, "%s/rollback.e4", dir);
    uint8_t id[16], key[32], k1[32], k2[32], m1[128], m2[128], m3[128];
    size_t l1, l2, l3;
    e4_random_id(id);
    e4_random_key(key);
    e4_random_key(k1);
    e4_random_key(k2);
    uint64_t now = 1800000000;
    e4_client_options o = {.state_path = path};
    e4_client *c;
    assert_int_equal(e4_client_new_sk(&c, id, key, &o), E4_OK);
    e4_client_set_clock(c, fixed_clock, &now);
    assert_int_equal(send_set_topic_key(c, key, k1, now, m1, &l1), E4_COMMAND);
    now += 10;
    assert_int_equal(send_set_topic_key(c, key, k2, now, m2, &l2), E4_COMMAND);
    replay(c, m1, l1, E4_ERR_REPLAYED);
    e4_client_free(c);

    for (int restart = 0; restart < 2; restart++) {
        now += 10;
        assert_int_equal(e4_client_open(&c, &o), E4_OK);
        e4_client_set_clock(c, fixed_clock, &now);
        replay(c, m1, l1, E4_ERR_REPLAYED);
        replay(c, m2, l2, E4_ERR_REPLAYED);
        assert_topic_key(c, k2, now);
        e4_client_free(c);
    }
    /* A new command still applies, and is remembered in turn. */
    assert_int_equal(e4_client_open(&c, &o), E4_OK);
    e4_client_set_clock(c, fixed_clock, &now);
    assert_int_equal(send_set_topic_key(c, key, k1, now, m3, &l3), E4_COMMAND);
    e4_client_free(c);
    assert_int_equal(e4_client_open(&c, &o), E4_OK);
    e4_client_set_clock(c, fixed_clock, &now);
    replay(c, m3, l3, E4_ERR_REPLAYED);
    replay(c, m2, l2, E4_ERR_REPLAYED);
    assert_topic_key(c, k1, now);
    e4_client_free(c);
}

/* E4_REPLAY_COMMANDS_ONLY: the same data message opens twice (a proxy
 * delivers it to two devices and checks replays per device), a replayed
 * command is still refused. */
static void test_replay_commands_only(void **st)
{
    (void)st;
    uint8_t id[16], key[32], k1[32], m1[128], msg[64], out[64];
    size_t l1, len, ol;
    uint64_t now = 1800000000;
    e4_client_options o = {.replay_cache = E4_REPLAY_COMMANDS_ONLY};
    e4_client *c;

    e4_random_id(id);
    e4_random_key(key);
    e4_random_key(k1);
    assert_int_equal(e4_client_new_sk(&c, id, key, &o), E4_OK);
    e4_client_set_clock(c, fixed_clock, &now);
    assert_int_equal(send_set_topic_key(c, key, k1, now, m1, &l1), E4_COMMAND);
    replay(c, m1, l1, E4_ERR_REPLAYED);
    assert_int_equal(e4_client_protect(c, TOPIC, (const uint8_t *)"v", 1, msg, sizeof msg, &len),
                     E4_OK);
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, len, out, sizeof out, &ol), E4_OK);
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, len, out, sizeof out, &ol), E4_OK);
    e4_client_free(c);
}

static void test_clock_override(void **st)
{
    (void)st;
    uint8_t id[16], key[32], tk[32], msg[64], out[64];
    size_t len, ol;
    e4_random_id(id);
    e4_random_key(key);
    e4_random_key(tk);
    e4_client *c;
    e4_client_options o = {.replay_cache = E4_REPLAY_OFF};
    assert_int_equal(e4_client_new_sk(&c, id, key, &o), E4_OK);
    assert_int_equal(e4_client_set_topic_key(c, TOPIC, tk), E4_OK);
    uint64_t now = 1700000000;
    e4_client_set_clock(c, fixed_clock, &now);
    assert_int_equal(e4_client_protect(c, TOPIC, (const uint8_t *)"t", 1, msg, sizeof msg, &len),
                     E4_OK);
    assert_int_equal(msg[0] | msg[1] << 8 | msg[2] << 16 | (uint32_t)msg[3] << 24, (uint32_t)now);
    now += 601;
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, len, out, sizeof out, &ol),
                     E4_ERR_TIMESTAMP_TOO_OLD);
    now -= 1;
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, len, out, sizeof out, &ol), E4_OK);
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, len, out, sizeof out, &ol),
                     E4_OK); /* replay off */
    e4_client_set_clock(c, NULL, NULL);
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, len, out, sizeof out, &ol),
                     E4_ERR_TIMESTAMP_TOO_OLD);
    e4_client_free(c);
}

/* ---- receipts ------------------------------------------------------------------- */

typedef struct sink_log {
    e4_client *c;
    int calls;
    uint8_t last[E4_RECEIPT_APPLIED_LEN];
    size_t last_len;
    e4_err state_err; /* a STATE taken from inside the sink: the lock is free */
} sink_log;

static void sink(void *ctx, const uint8_t *receipt, size_t len)
{
    sink_log *l = ctx;
    uint8_t *st = NULL;
    size_t n;
    l->calls++;
    l->last_len = len;
    memcpy(l->last, receipt, len < sizeof l->last ? len : sizeof l->last);
    l->state_err = e4_client_state_receipt(l->c, &st, &n);
    free(st);
}

/* Deliver a command protected under key at now; returns unprotect's result. */
static e4_err send_cmd(e4_client *c, const uint8_t key[32], const uint8_t *cmd, size_t n,
                       uint64_t now, uint8_t msg[128])
{
    uint8_t out[128];
    size_t ol;
    assert_int_equal(e4_sk_protect(key, now, cmd, n, msg), E4_OK);
    return e4_client_unprotect(c, e4_client_control_topic(c), msg, n + 24, out, sizeof out, &ol);
}

static void assert_applied(const sink_log *l, const uint8_t rkey[32], const uint8_t *msg,
                           size_t len, uint64_t now, uint8_t result)
{
    uint8_t plain[64], digest[16];
    e4_receipt r;
    assert_int_equal(l->last_len, E4_RECEIPT_APPLIED_LEN);
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, rkey, l->last, l->last_len, now, 0),
                     E4_OK);
    assert_int_equal(r.kind, E4_RECEIPT_APPLIED);
    assert_int_equal(e4_command_digest(digest, msg, len), E4_OK);
    assert_memory_equal(r.digest, digest, 16);
    assert_int_equal(r.result, result);
    assert_int_equal(l->state_err, E4_OK);
}

static void test_receipt_sink(void **st)
{
    (void)st;
    uint8_t id[16], key[32], rkey[32], cmd[49] = {E4_CMD_SET_TOPIC_KEY}, msg[128], out[128];
    size_t ol;
    uint64_t now = 1700000000;
    e4_client *c;
    e4_random_id(id);
    e4_random_key(key);
    e4_client_options o = {.control_topic = "site/ctl/dev1"};
    assert_int_equal(e4_client_new_sk(&c, id, key, &o), E4_OK);
    assert_string_equal(e4_client_receipt_topic(c), "site/ctl/dev1/receipts");
    e4_client_set_clock(c, fixed_clock, &now);
    assert_int_equal(e4_receipt_key(rkey, key), E4_OK);
    sink_log l = {.c = c};
    e4_client_set_receipt_sink(c, sink, &l);

    e4_random_key(cmd + 1);
    assert_int_equal(e4_hash_topic(cmd + 33, TOPIC), E4_OK);
    assert_int_equal(send_cmd(c, key, cmd, sizeof cmd, now, msg), E4_COMMAND);
    assert_int_equal(l.calls, 1);
    assert_applied(&l, rkey, msg, sizeof cmd + 24, now, 0);
    /* replayed: not authenticated anew, no receipt */
    assert_int_equal(
        e4_client_unprotect(c, "site/ctl/dev1", msg, sizeof cmd + 24, out, sizeof out, &ol),
        E4_ERR_REPLAYED);
    assert_int_equal(l.calls, 1);
    /* refused after authentication: a receipt with the reason */
    assert_int_equal(send_cmd(c, key, cmd, 40, now, msg), E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(l.calls, 2);
    assert_applied(&l, rkey, msg, 40 + 24, now, 21);
    /* not authentic, too old: nothing */
    assert_int_equal(send_cmd(c, rkey, cmd, sizeof cmd, now, msg), E4_ERR_NOT_AUTHENTIC);
    assert_int_equal(send_cmd(c, key, cmd, sizeof cmd, now - 601, msg), E4_ERR_TIMESTAMP_TOO_OLD);
    /* a data message (protected by the client itself): nothing */
    size_t ml;
    assert_int_equal(e4_client_protect(c, TOPIC, (const uint8_t *)"x", 1, msg, 128, &ml), E4_OK);
    assert_int_equal(e4_client_unprotect(c, TOPIC, msg, ml, out, sizeof out, &ol), E4_OK);
    assert_int_equal(l.calls, 2);
    /* no sink: nothing */
    e4_client_set_receipt_sink(c, NULL, NULL);
    e4_random_key(cmd + 1);
    assert_int_equal(send_cmd(c, key, cmd, sizeof cmd, now, msg), E4_COMMAND);
    assert_int_equal(l.calls, 2);
    e4_client_free(c);
}

static void test_state_receipt(void **st)
{
    (void)st;
    uint8_t id[16], key[32], rkey[32], plain[256], want[256];
    e4_topic_key tk[2];
    uint64_t now = 1700000000;
    e4_client *c;
    e4_random_id(id);
    e4_random_key(key);
    assert_int_equal(e4_client_new_sk(&c, id, key, NULL), E4_OK);
    char def[64];
    snprintf(def, sizeof def, "%s/receipts", e4_client_control_topic(c));
    assert_string_equal(e4_client_receipt_topic(c), def);
    e4_client_set_clock(c, fixed_clock, &now);
    for (int i = 0; i < 2; i++) {
        e4_random_key(tk[i].key);
        assert_int_equal(e4_client_set_topic_key(c, i ? "b" : "a", tk[i].key), E4_OK);
        assert_int_equal(e4_hash_topic(tk[i].hash, i ? "b" : "a"), E4_OK);
    }
    uint8_t *buf = NULL;
    size_t len = 0, wl;
    assert_int_equal(e4_client_state_receipt(c, &buf, &len), E4_OK);
    assert_int_equal(len, 24 + E4_RECEIPT_STATE_PLAIN_LEN(2, 0));
    assert_int_equal(e4_receipt_key(rkey, key), E4_OK);
    e4_receipt r;
    assert_int_equal(e4_receipt_open(&r, plain, sizeof plain, rkey, buf, len, now, 0), E4_OK);
    assert_int_equal(r.kind, E4_RECEIPT_STATE);
    assert_int_equal(r.ts, now);
    assert_int_equal(e4_receipt_state_expected(want, sizeof want, &wl, tk, 2, NULL, 0, NULL),
                     E4_OK);
    assert_int_equal(wl, r.plain_len);
    assert_true(e4_memeq(want, r.plain, wl));
    free(buf);
    assert_int_equal(e4_client_state_receipt(c, NULL, &len), E4_ERR_INVALID_ARGUMENT);
    e4_client_free(c);
}

/* ---- concurrency ------------------------------------------------------------- */

typedef struct worker {
    e4_client *c;
    int n, failures;
    unsigned seed;
} worker;

static void *messages(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < w->n; i++) {
        uint8_t p[64], msg[128], out[128];
        size_t len, ol;
        snprintf((char *)p, sizeof p, "worker %u message %d", w->seed, i);
        size_t n = strlen((char *)p);
        if (e4_client_protect(w->c, TOPIC, p, n, msg, sizeof msg, &len) != E4_OK ||
            e4_client_unprotect(w->c, TOPIC, msg, len, out, sizeof out, &ol) != E4_OK || ol != n ||
            memcmp(out, p, n) != 0)
            w->failures++;
    }
    return NULL;
}

typedef struct commander {
    e4_client *c;
    uint8_t key[32];
    int n, failures;
} commander;

static void *commands(void *arg)
{
    commander *k = arg;
    for (int i = 0; i < k->n; i++) {
        uint8_t cmd[49], msg[128], out[128];
        size_t ol;
        char t[32];
        snprintf(t, sizeof t, "other/%d", i);
        cmd[0] = E4_CMD_SET_TOPIC_KEY;
        e4_random_key(cmd + 1);
        assert_int_equal(e4_hash_topic(cmd + 33, t), E4_OK);
        assert_int_equal(e4_sk_protect(k->key, (uint64_t)time(NULL), cmd, sizeof cmd, msg), E4_OK);
        if (e4_client_unprotect(k->c, e4_client_control_topic(k->c), msg, sizeof cmd + 24, out,
                                sizeof out, &ol) != E4_COMMAND)
            k->failures++;
    }
    return NULL;
}

static void test_concurrent(void **st)
{
    (void)st;
    uint8_t id[16], tk[32];
    commander k = {.n = 300};
    e4_random_id(id);
    e4_random_key(k.key);
    e4_random_key(tk);
    e4_client_options o = {.max_topics = 512, .replay_cache = 65536};
    assert_int_equal(e4_client_new_sk(&k.c, id, k.key, &o), E4_OK);
    assert_int_equal(e4_client_set_topic_key(k.c, TOPIC, tk), E4_OK);
    enum { THREADS = 4 };
    pthread_t th[THREADS + 1];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.c = k.c, .n = 5000, .seed = (unsigned)i};
        pthread_create(&th[i], NULL, messages, &w[i]);
    }
    pthread_create(&th[THREADS], NULL, commands, &k);
    for (int i = 0; i <= THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(w[i].failures, 0);
    assert_int_equal(k.failures, 0);
    e4_client_free(k.c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_persist_and_reopen),
        cmocka_unit_test(test_fips_sk_client),
        cmocka_unit_test(test_pk_suite_clients),
        cmocka_unit_test(test_grows_to_fit_saved_state),
        cmocka_unit_test(test_command_replay_after_restart),
        cmocka_unit_test(test_replay_commands_only),
        cmocka_unit_test(test_clock_override),
        cmocka_unit_test(test_receipt_sink),
        cmocka_unit_test(test_state_receipt),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
