/*
 * The rules of the core state beyond the reference vectors: round trips,
 * the timestamp window and clock skew, replay protection, key transition,
 * every command and its errors, capacities, the index under churn, and
 * "on error nothing changes".
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

#include "backend.h"

#define NOW 1800000000ull
#define TOPIC "home/kitchen/temperature"

typedef struct fixture {
    e4_state *s;
    void *mem;
    uint8_t id[16], key[32], ed_sk[64], ed_pk[32], c2_sk[32], c2_pk[32], topic_key[32];
    uint8_t cmd_key[32]; /* SK: client key; PK: the C2 shared key */
} fixture;

static e4_state *new_state(fixture *f, e4_mode mode, e4_limits l)
{
    f->mem = aligned_alloc(8, (e4_state_size(&l) + 7) & ~(size_t)7);
    assert_non_null(f->mem);
    if (mode == E4_MODE_SK) {
        assert_int_equal(e4_state_init_sk(&f->s, f->mem, e4_state_size(&l), &l, f->id, f->key),
                         E4_OK);
        memcpy(f->cmd_key, f->key, 32);
    } else {
        assert_int_equal(
            e4_state_init_pk(&f->s, f->mem, e4_state_size(&l), &l, f->id, f->ed_sk, f->c2_pk),
            E4_OK);
        assert_int_equal(e4_c2_shared_key(f->cmd_key, f->c2_sk, f->ed_pk), E4_OK);
        assert_int_equal(e4_state_set_pubkey(f->s, f->id, f->ed_pk), E4_OK);
    }
    assert_int_equal(e4_state_set_topic_key(f->s, TOPIC, f->topic_key, NOW), E4_OK);
    return f->s;
}

static fixture *make(e4_mode mode, e4_limits l)
{
    fixture *f = calloc(1, sizeof *f);
    e4_random_id(f->id);
    e4_random_key(f->key);
    e4_random_key(f->topic_key);
    if (tb_pk()) { /* the portable backend has no public-key crypto */
        assert_int_equal(e4_ed25519_keypair(f->ed_sk, f->ed_pk), E4_OK);
        assert_int_equal(e4_x25519_keypair(f->c2_sk, f->c2_pk), E4_OK);
    }
    new_state(f, mode, l);
    return f;
}

static void destroy(fixture *f)
{
    e4_state_wipe(f->s);
    free(f->mem);
    free(f);
}

/* Sends a command to the state as C2 would, at time now. */
static e4_err send_command(fixture *f, const uint8_t *cmd, size_t len, uint64_t now)
{
    uint8_t msg[256], out[256];
    size_t out_len = 99;
    assert_int_equal(e4_sk_protect(f->cmd_key, now, cmd, len, msg), E4_OK);
    e4_err err = e4_unprotect(f->s, e4_state_control_topic(f->s), msg, len + 24, out, sizeof out,
                              &out_len, now);
    if (err == E4_COMMAND)
        assert_int_equal(out_len, 0);
    return err;
}

static e4_err cmd_set_topic_key(fixture *f, const char *topic, const uint8_t key[32], uint64_t now)
{
    uint8_t cmd[49];
    cmd[0] = E4_CMD_SET_TOPIC_KEY;
    memcpy(cmd + 1, key, 32);
    assert_int_equal(e4_hash_topic(cmd + 33, topic), E4_OK);
    return send_command(f, cmd, sizeof cmd, now);
}

static e4_err roundtrip(e4_state *s, const char *topic, const uint8_t *p, size_t n, uint64_t t_send,
                        uint64_t t_recv)
{
    uint8_t *msg = malloc(n + E4_PK_OVERHEAD), *out = malloc(n + E4_PK_OVERHEAD);
    size_t len, out_len;
    e4_err err = e4_protect(s, topic, p, n, msg, n + E4_PK_OVERHEAD, &len, t_send);
    if (err == E4_OK) {
        assert_int_equal(len, e4_protected_len(s, n));
        err = e4_unprotect(s, topic, msg, len, out, n + E4_PK_OVERHEAD, &out_len, t_recv);
        if (err == E4_OK) {
            assert_int_equal(out_len, n);
            assert_memory_equal(out, p, n);
        }
    }
    free(msg);
    free(out);
    return err;
}

/* ---- round trips --------------------------------------------------------- */

static void roundtrip_sizes(e4_mode mode)
{
    fixture *f = make(mode, (e4_limits){4, 4, 0});
    uint8_t *p = malloc(65536);
    e4_random_key(p); /* any bytes */
    for (size_t i = 32; i < 65536; i++)
        p[i] = (uint8_t)(p[i % 32] * 131 + i);
    size_t edges[] = {1,  2,   15,  16,  17,  31,   32,   33,    63,   64,
                      65, 255, 511, 512, 513, 1000, 4096, 65535, 65536};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        assert_int_equal(roundtrip(f->s, TOPIC, p, edges[i], NOW, NOW), E4_OK);
    srand(7);
    for (int i = 0; i < 200; i++) {
        size_t n = 1 + (size_t)rand() % 65536;
        assert_int_equal(roundtrip(f->s, TOPIC, p, n, NOW, NOW), E4_OK);
    }
    /* An empty payload: PK mode carries it; SK mode protects it (24 bytes, as
     * the reference) but, like the reference, refuses to unprotect it. */
    assert_int_equal(roundtrip(f->s, TOPIC, p, 0, NOW, NOW),
                     mode == E4_MODE_PK ? E4_OK : E4_ERR_TOO_SHORT);
    free(p);
    destroy(f);
}

static void test_roundtrip_sk(void **st)
{
    (void)st;
    roundtrip_sizes(E4_MODE_SK);
}
static void test_roundtrip_pk(void **st)
{
    (void)st;
    TB_REQUIRE_PK();
    roundtrip_sizes(E4_MODE_PK);
}

static void test_protected_format(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    fixture *f = make(E4_MODE_PK, (e4_limits){4, 4, 0});
    uint8_t msg[200];
    size_t len;
    assert_int_equal(e4_protect(f->s, TOPIC, (const uint8_t *)"abc", 3, msg, sizeof msg, &len, NOW),
                     E4_OK);
    assert_int_equal(len, 3 + 104);
    uint8_t ts[8];
    for (int i = 0; i < 8; i++)
        ts[i] = (uint8_t)(NOW >> (8 * i));
    assert_memory_equal(msg, ts, 8);
    assert_memory_equal(msg + 8, f->id, 16);
    /* Too small an output buffer: an error, nothing written past it. */
    assert_int_equal(e4_protect(f->s, TOPIC, (const uint8_t *)"abc", 3, msg, 106, &len, NOW),
                     E4_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(
        e4_protect(f->s, "unknown/topic", (const uint8_t *)"abc", 3, msg, sizeof msg, &len, NOW),
        E4_ERR_TOPIC_KEY_NOT_FOUND);
    destroy(f);
}

/* ---- timestamps ------------------------------------------------------------ */

static void test_timestamp_window(void **st)
{
    (void)st;
    fixture *f = make(E4_MODE_SK, (e4_limits){4, 0, 0});
    const uint8_t p[] = "reading";
    assert_int_equal(roundtrip(f->s, TOPIC, p, 7, NOW - 600, NOW), E4_OK);
    assert_int_equal(roundtrip(f->s, TOPIC, p, 7, NOW - 601, NOW), E4_ERR_TIMESTAMP_TOO_OLD);
    assert_int_equal(roundtrip(f->s, TOPIC, p, 7, NOW + 1, NOW), E4_ERR_TIMESTAMP_IN_FUTURE);
    e4_state_set_clock_skew(f->s, 5);
    assert_int_equal(roundtrip(f->s, TOPIC, p, 7, NOW + 5, NOW), E4_OK);
    assert_int_equal(roundtrip(f->s, TOPIC, p, 7, NOW + 6, NOW), E4_ERR_TIMESTAMP_IN_FUTURE);
    /* A timestamp >= 2^63 is negative to the reference: too old (checked
     * before authenticity, so a forged one shows it); protect refuses it. */
    assert_int_equal(roundtrip(f->s, TOPIC, p, 7, UINT64_C(1) << 63, NOW), E4_ERR_INVALID_ARGUMENT);
    uint8_t m[64], out[64];
    size_t n, ol;
    assert_int_equal(e4_protect(f->s, TOPIC, p, 7, m, sizeof m, &n, NOW), E4_OK);
    memset(m, 0, 7);
    m[7] = 0x80; /* little-endian 2^63 */
    assert_int_equal(e4_unprotect(f->s, TOPIC, m, n, out, sizeof out, &ol, NOW),
                     E4_ERR_TIMESTAMP_TOO_OLD);
    destroy(f);
}

/* ---- replay ---------------------------------------------------------------- */

static void test_replay(void **st)
{
    (void)st;
    fixture *f = make(E4_MODE_SK, (e4_limits){4, 0, 64});
    uint8_t msg[64], out[64];
    size_t len, out_len = 0;
    assert_int_equal(e4_protect(f->s, TOPIC, (const uint8_t *)"on", 2, msg, sizeof msg, &len, NOW),
                     E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, msg, len, out, sizeof out, &out_len, NOW), E4_OK);
    memset(out, 0xaa, sizeof out);
    assert_int_equal(e4_unprotect(f->s, TOPIC, msg, len, out, sizeof out, &out_len, NOW + 1),
                     E4_ERR_REPLAYED);
    assert_int_equal(out_len, 0);
    assert_false(out[0] == 'o' && out[1] == 'n'); /* the payload is not handed out */
    /* The same payload a second later is a new message. */
    assert_int_equal(roundtrip(f->s, TOPIC, (const uint8_t *)"on", 2, NOW + 1, NOW + 1), E4_OK);
    /* A tampered copy is not authentic, and does not poison the cache. */
    msg[len - 1] ^= 1;
    assert_int_equal(e4_unprotect(f->s, TOPIC, msg, len, out, sizeof out, &out_len, NOW),
                     E4_ERR_NOT_AUTHENTIC);
    destroy(f);

    /* Capacity 0 disables the cache: duplicates pass, as in the reference. */
    f = make(E4_MODE_SK, (e4_limits){4, 0, 0});
    assert_int_equal(e4_protect(f->s, TOPIC, (const uint8_t *)"on", 2, msg, sizeof msg, &len, NOW),
                     E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, msg, len, out, sizeof out, &out_len, NOW), E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, msg, len, out, sizeof out, &out_len, NOW), E4_OK);
    destroy(f);
}

static void test_replay_many_and_commands(void **st)
{
    (void)st;
    fixture *f = make(E4_MODE_SK, (e4_limits){8, 0, 1024});
    /* 500 distinct messages all pass once, and all are caught the second time. */
    uint8_t(*msgs)[40] = malloc(500 * 40);
    uint8_t out[64];
    size_t len, out_len;
    for (int i = 0; i < 500; i++) {
        uint8_t p[16] = {0};
        memcpy(p, &i, sizeof i);
        assert_int_equal(e4_protect(f->s, TOPIC, p, 16, msgs[i], 40, &len, NOW), E4_OK);
        assert_int_equal(e4_unprotect(f->s, TOPIC, msgs[i], 40, out, sizeof out, &out_len, NOW),
                         E4_OK);
    }
    int caught = 0;
    for (int i = 0; i < 500; i++)
        caught += e4_unprotect(f->s, TOPIC, msgs[i], 40, out, sizeof out, &out_len, NOW) ==
                  E4_ERR_REPLAYED;
    assert_int_equal(caught, 500);
    free(msgs);

    /* A replayed RemoveTopic must not remove a key set after it. */
    uint8_t rm[17] = {E4_CMD_REMOVE_TOPIC}, msg[64];
    assert_int_equal(e4_hash_topic(rm + 1, TOPIC), E4_OK);
    assert_int_equal(e4_sk_protect(f->cmd_key, NOW, rm, sizeof rm, msg), E4_OK);
    const char *ctl = e4_state_control_topic(f->s);
    assert_int_equal(e4_unprotect(f->s, ctl, msg, sizeof rm + 24, out, sizeof out, &out_len, NOW),
                     E4_COMMAND);
    assert_int_equal(cmd_set_topic_key(f, TOPIC, f->topic_key, NOW), E4_COMMAND);
    assert_int_equal(e4_unprotect(f->s, ctl, msg, sizeof rm + 24, out, sizeof out, &out_len, NOW),
                     E4_ERR_REPLAYED);
    assert_int_equal(roundtrip(f->s, TOPIC, (const uint8_t *)"x", 1, NOW, NOW), E4_OK);
    destroy(f);
}

static void test_replay_pk_two_signers(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    fixture *f = make(E4_MODE_PK, (e4_limits){4, 4, 64});
    /* A second device with the same topic key sends the same reading in the
     * same second: a different message, not a replay. */
    uint8_t id2[16], sk2[64], pk2[32], m1[200], m2[200], out[200];
    size_t l1, l2, ol;
    e4_random_id(id2);
    assert_int_equal(e4_ed25519_keypair(sk2, pk2), E4_OK);
    assert_int_equal(e4_state_set_pubkey(f->s, id2, pk2), E4_OK);
    assert_int_equal(
        e4_pk_protect(f->topic_key, f->id, f->ed_sk, NOW, (const uint8_t *)"ON", 2, m1), E4_OK);
    assert_int_equal(e4_pk_protect(f->topic_key, id2, sk2, NOW, (const uint8_t *)"ON", 2, m2),
                     E4_OK);
    l1 = l2 = 2 + 104;
    assert_int_equal(e4_unprotect(f->s, TOPIC, m1, l1, out, sizeof out, &ol, NOW), E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m2, l2, out, sizeof out, &ol, NOW), E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m2, l2, out, sizeof out, &ol, NOW), E4_ERR_REPLAYED);
    destroy(f);
}

/* ---- PK specifics ----------------------------------------------------------- */

static void test_pk_errors(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    fixture *f = make(E4_MODE_PK, (e4_limits){4, 4, 0});
    uint8_t id2[16], sk2[64], pk2[32], m[200], out[200];
    size_t ol;
    e4_random_id(id2);
    assert_int_equal(e4_ed25519_keypair(sk2, pk2), E4_OK);
    assert_int_equal(e4_pk_protect(f->topic_key, id2, sk2, NOW, (const uint8_t *)"hi", 2, m),
                     E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m, 106, out, sizeof out, &ol, NOW),
                     E4_ERR_PUBKEY_NOT_FOUND);
    /* Known signer id but a different key: the signature fails. */
    assert_int_equal(e4_state_set_pubkey(f->s, id2, f->ed_pk), E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m, 106, out, sizeof out, &ol, NOW),
                     E4_ERR_INVALID_SIGNATURE);
    assert_int_equal(e4_state_set_pubkey(f->s, id2, pk2), E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m, 106, out, sizeof out, &ol, NOW), E4_OK);
    for (size_t n = 0; n < 104; n += 13)
        assert_int_equal(e4_unprotect(f->s, TOPIC, m, n, out, sizeof out, &ol, NOW),
                         E4_ERR_TOO_SHORT);
    /* Signed by the right device but encrypted with another topic key. */
    uint8_t other[32];
    e4_random_key(other);
    assert_int_equal(e4_pk_protect(other, id2, sk2, NOW, (const uint8_t *)"hi", 2, m), E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m, 106, out, sizeof out, &ol, NOW),
                     E4_ERR_NOT_AUTHENTIC);
    destroy(f);
}

/* ---- what protect refuses (issue 11, item 16) ---------------------------- */

/* An all-zero key, a timestamp >= 2^63 (no receiver could open the message)
 * and a payload over E4_PAYLOAD_MAX are argument errors, reported before
 * anything is read or written: the huge lengths below are never touched. */
static void test_protect_refuses(void **st)
{
    (void)st;
    static const uint8_t zero[64] = {0};
    uint8_t key[32], m[200], out[200];
    size_t ol;
    e4_random_key(key);
    const uint8_t *p = (const uint8_t *)"hi";
    assert_int_equal(e4_sk_protect(zero, NOW, p, 2, m), E4_ERR_ZERO_KEY);
    assert_int_equal(e4_sk_protect(key, NOW, p, 2, m), E4_OK);
    assert_int_equal(e4_sk_unprotect(zero, m, 26, out, &ol, NOW, 0), E4_ERR_ZERO_KEY);
    assert_int_equal(e4_sk_protect(key, UINT64_C(1) << 63, p, 2, m), E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_sk_protect(key, UINT64_MAX, p, 2, m), E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_sk_protect(key, (UINT64_C(1) << 63) - 1, p, 2, m), E4_OK);
    assert_int_equal(e4_sk_protect(key, NOW, p, (size_t)E4_PAYLOAD_MAX + 1, m),
                     E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_sk_protect(key, NOW, p, (size_t)INT32_MAX + 1, m), E4_ERR_INVALID_ARGUMENT);
    if (e4_pk_protect(key, key, zero, NOW, p, 2, m) != E4_ERR_UNSUPPORTED) {
        uint8_t id[16], sk[64], pk[32];
        e4_random_id(id);
        assert_int_equal(e4_ed25519_keypair(sk, pk), E4_OK);
        assert_int_equal(e4_pk_protect(zero, id, sk, NOW, p, 2, m), E4_ERR_ZERO_KEY);
        assert_int_equal(e4_pk_protect(key, id, zero, NOW, p, 2, m), E4_ERR_ZERO_KEY);
        assert_int_equal(e4_pk_protect(key, id, sk, UINT64_C(1) << 63, p, 2, m),
                         E4_ERR_INVALID_ARGUMENT);
        assert_int_equal(e4_pk_protect(key, id, sk, NOW, p, (size_t)INT32_MAX + 1, m),
                         E4_ERR_INVALID_ARGUMENT);
        assert_int_equal(e4_pk_protect(key, id, sk, NOW, p, 2, m), E4_OK);
        assert_int_equal(e4_pk_unprotect(zero, pk, m, 106, out, &ol, NOW, 0), E4_ERR_ZERO_KEY);
    }
    /* On a state: the same, and topics as e4_validate_topic has them. */
    fixture *f = make(E4_MODE_SK, (e4_limits){4, 0, 0});
    assert_int_equal(e4_protect(f->s, TOPIC, p, 2, m, sizeof m, &ol, UINT64_C(1) << 63),
                     E4_ERR_INVALID_ARGUMENT);
    assert_int_equal(e4_protect(f->s, TOPIC, p, (size_t)INT32_MAX + 1, m, SIZE_MAX, &ol, NOW),
                     E4_ERR_INVALID_ARGUMENT);
    char long_topic[600];
    memset(long_topic, 'a', 599);
    long_topic[599] = 0;
    assert_int_equal(e4_validate_topic(long_topic), E4_ERR_INVALID_TOPIC);
    assert_int_equal(e4_state_set_topic_key(f->s, long_topic, key, NOW), E4_ERR_INVALID_TOPIC);
    assert_int_equal(e4_state_set_topic_key(f->s, "", key, NOW), E4_ERR_INVALID_TOPIC);
    long_topic[E4_TOPIC_MAX] = 0;
    assert_int_equal(e4_state_set_topic_key(f->s, long_topic, key, NOW), E4_OK);
    assert_int_equal(e4_state_set_topic_key(f->s, "x", zero, NOW), E4_ERR_ZERO_KEY);
    assert_int_equal(e4_state_topic_count(f->s), 2);
    destroy(f);
}

/* ---- key transition ---------------------------------------------------------- */

static void test_key_transition(void **st)
{
    (void)st;
    fixture *f = make(E4_MODE_SK, (e4_limits){4, 0, 0});
    uint8_t k2[32], m_old[64], m_new[64], out[64];
    size_t len, ol;
    e4_random_key(k2);
    const uint8_t p[] = "in flight";
    assert_int_equal(e4_sk_protect(f->topic_key, NOW, p, 9, m_old), E4_OK);
    assert_int_equal(e4_sk_protect(k2, NOW, p, 9, m_new), E4_OK);
    len = 9 + 24;
    assert_int_equal(cmd_set_topic_key(f, TOPIC, k2, NOW), E4_COMMAND);
    int has_old = 0;
    assert_int_equal(e4_state_topic_at(f->s, 0, NULL, NULL, &has_old), E4_OK);
    assert_true(has_old);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m_new, len, out, sizeof out, &ol, NOW), E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m_old, len, out, sizeof out, &ol, NOW), E4_OK);
    assert_memory_equal(out, p, 9);
    /* The old key serves for an hour, then not; messages older than 600 s
     * fail on their timestamp first, so use fresh ones. */
    uint8_t m_late[64];
    assert_int_equal(e4_sk_protect(f->topic_key, NOW + 3600, p, 9, m_late), E4_OK);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m_late, len, out, sizeof out, &ol, NOW + 3600),
                     E4_OK);
    assert_int_equal(e4_sk_protect(f->topic_key, NOW + 3601, p, 9, m_late), E4_OK);
    /* Expired: reported as the old key's timestamp being too old, as the reference. */
    assert_int_equal(e4_unprotect(f->s, TOPIC, m_late, len, out, sizeof out, &ol, NOW + 3601),
                     E4_ERR_TIMESTAMP_TOO_OLD);
    /* Protect always uses the current key. */
    assert_int_equal(e4_protect(f->s, TOPIC, p, 9, m_late, sizeof m_late, &len, NOW), E4_OK);
    assert_memory_equal(m_late, m_new, len);
    /* Setting the same key again changes nothing (the old key stays K1). */
    assert_int_equal(cmd_set_topic_key(f, TOPIC, k2, NOW + 10), E4_COMMAND);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m_old, 9 + 24, out, sizeof out, &ol, NOW + 10),
                     E4_OK);
    /* RemoveTopic removes the transition key with the key. */
    uint8_t rm[17] = {E4_CMD_REMOVE_TOPIC};
    assert_int_equal(e4_hash_topic(rm + 1, TOPIC), E4_OK);
    assert_int_equal(send_command(f, rm, sizeof rm, NOW + 11), E4_COMMAND);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m_old, 9 + 24, out, sizeof out, &ol, NOW + 11),
                     E4_ERR_TOPIC_KEY_NOT_FOUND);
    assert_int_equal(cmd_set_topic_key(f, TOPIC, k2, NOW + 12), E4_COMMAND);
    assert_int_equal(e4_unprotect(f->s, TOPIC, m_old, 9 + 24, out, sizeof out, &ol, NOW + 12),
                     E4_ERR_NOT_AUTHENTIC);
    destroy(f);
}

/* ---- commands ------------------------------------------------------------------ */

static void test_commands_sk(void **st)
{
    (void)st;
    fixture *f = make(E4_MODE_SK, (e4_limits){2, 0, 0});
    uint8_t cmd[80] = {0};
    /* Invalid commands and lengths; the state is unchanged after each. */
    assert_int_equal(send_command(f, cmd, 0, NOW), E4_ERR_TOO_SHORT); /* 24 bytes: too short */
    cmd[0] = 0x08;
    assert_int_equal(send_command(f, cmd, 1, NOW), E4_ERR_INVALID_COMMAND);
    cmd[0] = 0xff;
    assert_int_equal(send_command(f, cmd, 5, NOW), E4_ERR_INVALID_COMMAND);
    for (uint8_t op = E4_CMD_REMOVE_PUBKEY; op <= E4_CMD_SET_C2_KEY; op++) {
        cmd[0] = op;
        assert_int_equal(send_command(f, cmd, 49, NOW), E4_ERR_UNSUPPORTED_COMMAND);
    }
    cmd[0] = E4_CMD_REMOVE_TOPIC;
    assert_int_equal(send_command(f, cmd, 16, NOW), E4_ERR_INVALID_ARG_LENGTH);
    cmd[0] = E4_CMD_RESET_TOPICS;
    assert_int_equal(send_command(f, cmd, 2, NOW), E4_ERR_INVALID_ARG_LENGTH);
    cmd[0] = E4_CMD_SET_TOPIC_KEY;
    assert_int_equal(send_command(f, cmd, 48, NOW), E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(send_command(f, cmd, 49, NOW), E4_ERR_ZERO_KEY);
    cmd[0] = E4_CMD_SET_ID_KEY;
    assert_int_equal(send_command(f, cmd, 33, NOW), E4_ERR_ZERO_KEY);
    assert_int_equal(send_command(f, cmd, 65, NOW), E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(e4_state_topic_count(f->s), 1);
    assert_int_equal(roundtrip(f->s, TOPIC, (const uint8_t *)"ok", 2, NOW, NOW), E4_OK);

    /* Capacity: 2 topics. */
    uint8_t k[32];
    e4_random_key(k);
    assert_int_equal(cmd_set_topic_key(f, "a", k, NOW), E4_COMMAND);
    assert_int_equal(cmd_set_topic_key(f, "b", k, NOW), E4_ERR_TOPICS_FULL);
    assert_int_equal(e4_state_topic_count(f->s), 2);
    /* ResetTopics. */
    cmd[0] = E4_CMD_RESET_TOPICS;
    assert_int_equal(send_command(f, cmd, 1, NOW), E4_COMMAND);
    assert_int_equal(e4_state_topic_count(f->s), 0);
    assert_int_equal(roundtrip(f->s, TOPIC, (const uint8_t *)"ok", 2, NOW, NOW),
                     E4_ERR_TOPIC_KEY_NOT_FOUND);
    /* SetIDKey: commands then need the new key; the old one is refused. */
    uint8_t newkey[32];
    e4_random_key(newkey);
    cmd[0] = E4_CMD_SET_ID_KEY;
    memcpy(cmd + 1, newkey, 32);
    assert_int_equal(send_command(f, cmd, 33, NOW), E4_COMMAND);
    assert_int_equal(cmd_set_topic_key(f, "a", k, NOW), E4_ERR_NOT_AUTHENTIC);
    memcpy(f->cmd_key, newkey, 32);
    assert_int_equal(cmd_set_topic_key(f, "a", k, NOW), E4_COMMAND);
    destroy(f);
}

/* A command's plaintext passes through the caller's buffer: too small is
 * refused before anything is written, in PK mode too (whose commands are in
 * the SK format: found by fuzz_e4_unprotect_pk, an overflow of out). */
static void test_command_small_out(void **st)
{
    (void)st;
    for (int pk = 0; pk <= tb_pk(); pk++) {
        fixture *f = make(pk ? E4_MODE_PK : E4_MODE_SK, (e4_limits){4, 2, 0});
        uint8_t cmd[49], msg[49 + 24], *out = malloc(30); /* exact: ASan sees an overflow */
        size_t out_len = 0;
        cmd[0] = E4_CMD_SET_TOPIC_KEY;
        memset(cmd + 1, 7, 48);
        assert_int_equal(e4_sk_protect(f->cmd_key, NOW, cmd, sizeof cmd, msg), E4_OK);
        const uint32_t topics = e4_state_topic_count(f->s);
        assert_int_equal(e4_unprotect(f->s, e4_state_control_topic(f->s), msg, sizeof msg, out, 30,
                                      &out_len, NOW),
                         E4_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(e4_state_topic_count(f->s), topics); /* nothing applied */
        free(out);
        destroy(f);
    }
}

static void test_commands_pk(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    fixture *f = make(E4_MODE_PK, (e4_limits){4, 2, 0});
    uint8_t cmd[80] = {0}, id2[16], sk2[64], pk2[32];
    e4_random_id(id2);
    assert_int_equal(e4_ed25519_keypair(sk2, pk2), E4_OK);
    /* SetPubKey (key first, then id), capacity 2 (the fixture holds one). */
    cmd[0] = E4_CMD_SET_PUBKEY;
    memcpy(cmd + 1, pk2, 32);
    memcpy(cmd + 33, id2, 16);
    assert_int_equal(send_command(f, cmd, 48, NOW), E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(send_command(f, cmd, 49, NOW), E4_COMMAND);
    assert_int_equal(e4_state_pubkey_count(f->s), 2);
    cmd[33] ^= 1;
    assert_int_equal(send_command(f, cmd, 49, NOW), E4_ERR_PUBKEYS_FULL);
    cmd[33] ^= 1;
    uint8_t got_id[16], got_pk[32];
    assert_int_equal(e4_state_pubkey_at(f->s, 1, got_id, got_pk), E4_OK);
    assert_memory_equal(got_id, id2, 16);
    assert_memory_equal(got_pk, pk2, 32);
    /* RemovePubKey: present, then absent -> error. */
    cmd[0] = E4_CMD_REMOVE_PUBKEY;
    memcpy(cmd + 1, id2, 16);
    assert_int_equal(send_command(f, cmd, 17, NOW), E4_COMMAND);
    assert_int_equal(send_command(f, cmd, 17, NOW + 1), E4_ERR_PUBKEY_NOT_FOUND);
    assert_int_equal(e4_state_pubkey_count(f->s), 1);
    cmd[0] = E4_CMD_RESET_PUBKEYS;
    assert_int_equal(send_command(f, cmd, 1, NOW), E4_COMMAND);
    assert_int_equal(e4_state_pubkey_count(f->s), 0);
    /* SetC2Key: a low-order point is refused and the C2 key kept. */
    cmd[0] = E4_CMD_SET_C2_KEY;
    memset(cmd + 1, 0, 32);
    cmd[1] = 1; /* u = 1: low order */
    assert_int_equal(send_command(f, cmd, 33, NOW), E4_ERR_INVALID_KEY);
    uint8_t c2_sk2[32], c2_pk2[32];
    assert_int_equal(e4_x25519_keypair(c2_sk2, c2_pk2), E4_OK);
    memcpy(cmd + 1, c2_pk2, 32);
    assert_int_equal(send_command(f, cmd, 33, NOW), E4_COMMAND);
    /* Commands now need the new C2 key. */
    uint8_t reset[1] = {E4_CMD_RESET_TOPICS};
    assert_int_equal(send_command(f, reset, 1, NOW + 2), E4_ERR_NOT_AUTHENTIC);
    assert_int_equal(e4_c2_shared_key(f->cmd_key, c2_sk2, f->ed_pk), E4_OK);
    assert_int_equal(send_command(f, reset, 1, NOW + 2), E4_COMMAND);
    /* SetIDKey in PK mode: a 64-byte Ed25519 key; messages are then signed by it. */
    uint8_t sk3[64], pk3[32];
    assert_int_equal(e4_ed25519_keypair(sk3, pk3), E4_OK);
    cmd[0] = E4_CMD_SET_ID_KEY;
    memcpy(cmd + 1, sk3, 64);
    assert_int_equal(send_command(f, cmd, 33, NOW), E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(send_command(f, cmd, 65, NOW), E4_COMMAND);
    assert_int_equal(e4_c2_shared_key(f->cmd_key, c2_sk2, pk3), E4_OK);
    assert_int_equal(cmd_set_topic_key(f, TOPIC, f->topic_key, NOW), E4_COMMAND);
    assert_int_equal(e4_state_set_pubkey(f->s, f->id, pk3), E4_OK);
    assert_int_equal(roundtrip(f->s, TOPIC, (const uint8_t *)"signed", 6, NOW, NOW), E4_OK);
    destroy(f);
}

static void test_command_build(void **st)
{
    (void)st;
    uint8_t out[E4_COMMAND_MAX], args[64];
    size_t len;
    memset(args, 7, sizeof args);
    assert_int_equal(e4_command_build(out, &len, E4_CMD_SET_TOPIC_KEY, args, 48), E4_OK);
    assert_int_equal(len, 49);
    assert_int_equal(out[0], 3);
    assert_int_equal(e4_command_build(out, &len, E4_CMD_SET_TOPIC_KEY, args, 47),
                     E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(e4_command_build(out, &len, E4_CMD_RESET_TOPICS, NULL, 0), E4_OK);
    assert_int_equal(len, 1);
    assert_int_equal(e4_command_build(out, &len, E4_CMD_SET_ID_KEY, args, 64), E4_OK);
    assert_int_equal(e4_command_build(out, &len, (e4_command)8, args, 0), E4_ERR_INVALID_COMMAND);
    memset(args, 0, sizeof args);
    assert_int_equal(e4_command_build(out, &len, E4_CMD_SET_ID_KEY, args, 32), E4_ERR_ZERO_KEY);
}

/* ---- tables under churn -------------------------------------------------------- */

static void test_many_topics(void **st)
{
    (void)st;
    fixture *f = make(E4_MODE_SK, (e4_limits){10000, 0, 0});
    char t[32];
    uint8_t k[32];
    memset(k, 1, sizeof k);
    for (int i = 1; i < 10000; i++) {
        snprintf(t, sizeof t, "t/%d", i);
        k[0] = (uint8_t)i;
        k[1] = (uint8_t)(i >> 8);
        assert_int_equal(e4_state_set_topic_key(f->s, t, k, NOW), E4_OK);
    }
    assert_int_equal(e4_state_topic_count(f->s), 10000);
    snprintf(t, sizeof t, "t/%d", 10000);
    assert_int_equal(e4_state_set_topic_key(f->s, t, k, NOW), E4_ERR_TOPICS_FULL);
    /* Remove every third topic (backward-shift deletion, slot moves), then
     * every topic must be found or not found exactly as expected. */
    for (int i = 3; i < 10000; i += 3) {
        uint8_t cmd[17] = {E4_CMD_REMOVE_TOPIC};
        snprintf(t, sizeof t, "t/%d", i);
        assert_int_equal(e4_hash_topic(cmd + 1, t), E4_OK);
        assert_int_equal(send_command(f, cmd, 17, NOW + (uint64_t)i), E4_COMMAND);
    }
    for (int i = 1; i < 10000; i++) {
        snprintf(t, sizeof t, "t/%d", i);
        uint8_t m[40], out[40];
        size_t len, ol;
        e4_err err =
            e4_protect(f->s, t, (const uint8_t *)"0123456789abcdef", 16, m, sizeof m, &len, NOW);
        assert_int_equal(err, i % 3 == 0 ? E4_ERR_TOPIC_KEY_NOT_FOUND : E4_OK);
        if (err == E4_OK) {
            k[0] = (uint8_t)i;
            k[1] = (uint8_t)(i >> 8);
            assert_int_equal(e4_sk_unprotect(k, m, len, out, &ol, NOW, 0), E4_OK);
        }
    }
    assert_int_equal(roundtrip(f->s, TOPIC, (const uint8_t *)"still here", 10, NOW, NOW), E4_OK);
    destroy(f);
}

/* ---- small things --------------------------------------------------------------- */

static void test_sizes_and_names(void **st)
{
    (void)st;
    e4_limits l = {16, 0, 0};
    assert_true(e4_state_size(&l) <= 2048);
    assert_int_equal(e4_state_size(&l), E4_STATE_SIZE(16, 0, 0));
    /* Every error has its own text. */
    const e4_err all[] = {E4_OK,
                          E4_COMMAND,
                          E4_ERR_INVALID_ARGUMENT,
                          E4_ERR_BUFFER_TOO_SMALL,
                          E4_ERR_INVALID_TOPIC,
                          E4_ERR_INVALID_NAME,
                          E4_ERR_INVALID_PASSWORD,
                          E4_ERR_ZERO_KEY,
                          E4_ERR_INVALID_KEY,
                          E4_ERR_TOO_SHORT,
                          E4_ERR_TIMESTAMP_IN_FUTURE,
                          E4_ERR_TIMESTAMP_TOO_OLD,
                          E4_ERR_TOPIC_KEY_NOT_FOUND,
                          E4_ERR_NOT_AUTHENTIC,
                          E4_ERR_PUBKEY_NOT_FOUND,
                          E4_ERR_INVALID_SIGNATURE,
                          E4_ERR_REPLAYED,
                          E4_ERR_INVALID_COMMAND,
                          E4_ERR_INVALID_ARG_LENGTH,
                          E4_ERR_UNSUPPORTED_COMMAND,
                          E4_ERR_TOPICS_FULL,
                          E4_ERR_PUBKEYS_FULL,
                          E4_ERR_STORAGE_IO,
                          E4_ERR_STORAGE_CORRUPT,
                          E4_ERR_STORAGE_VERSION,
                          E4_ERR_STORAGE_CAPACITY,
                          E4_ERR_CRYPTO,
                          E4_ERR_NO_MEMORY};
    const size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(e4_strerror(all[i]), "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(e4_strerror(all[i]), e4_strerror(all[j]));
    }
    assert_string_equal(e4_strerror((e4_err)-99), "unknown error");
    /* Control topic: default and override. */
    fixture *f = make(E4_MODE_SK, (e4_limits){4, 0, 0});
    char def[E4_DEFAULT_CONTROL_TOPIC_LEN];
    e4_default_control_topic(def, f->id);
    assert_string_equal(e4_state_control_topic(f->s), def);
    assert_int_equal(e4_state_set_control_topic(f->s, "fleet/ctl/device-1"), E4_OK);
    uint8_t reset[1] = {E4_CMD_RESET_TOPICS};
    assert_int_equal(send_command(f, reset, 1, NOW), E4_COMMAND);
    assert_int_equal(e4_state_set_control_topic(f->s, ""), E4_ERR_INVALID_TOPIC);
    assert_int_equal(e4_validate_topic(""), E4_ERR_INVALID_TOPIC);
    assert_int_equal(e4_validate_name("caf\xc3\xa9"), E4_OK);
    assert_int_equal(e4_validate_name("bad\xc3\x28"), E4_ERR_INVALID_NAME);
    assert_int_equal(e4_validate_password("short"), E4_ERR_INVALID_PASSWORD);
    /* Zero keys are refused at creation. */
    uint8_t zero[64] = {0};
    e4_state *s;
    uint8_t mem[E4_STATE_SIZE(1, 0, 0)] __attribute__((aligned(8)));
    e4_limits one = {1, 0, 0};
    assert_int_equal(e4_state_init_sk(&s, mem, sizeof mem, &one, f->id, zero), E4_ERR_ZERO_KEY);
    assert_int_equal(e4_state_init_sk(&s, mem, sizeof mem - 1, &one, f->id, f->key),
                     E4_ERR_BUFFER_TOO_SMALL);
    destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_sk),
        cmocka_unit_test(test_roundtrip_pk),
        cmocka_unit_test(test_protected_format),
        cmocka_unit_test(test_timestamp_window),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_replay_many_and_commands),
        cmocka_unit_test(test_replay_pk_two_signers),
        cmocka_unit_test(test_pk_errors),
        cmocka_unit_test(test_protect_refuses),
        cmocka_unit_test(test_key_transition),
        cmocka_unit_test(test_commands_sk),
        cmocka_unit_test(test_commands_pk),
        cmocka_unit_test(test_command_small_out),
        cmocka_unit_test(test_command_build),
        cmocka_unit_test(test_many_topics),
        cmocka_unit_test(test_sizes_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
