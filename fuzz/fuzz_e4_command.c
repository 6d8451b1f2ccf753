/*
 * Fuzz C2 command processing (e4i_command_apply through e4_unprotect on the
 * control topic), in sequences.
 *
 * Input: flags || { len(1) || command plaintext(len) }*. Bit 0 of flags picks
 * the mode (SK or PK state, each starting with two topics; PK with two
 * public keys); bit 1 with SK picks the fips-sk suite (commands in its
 * AES-GCM format, fixed ivs). Every plaintext is protected under the state's current
 * command key at a fixed clock and unprotected on the control topic, so any
 * command, valid or not, reaches plan/persist/apply; a sequence can fill
 * the tables, rotate, remove and reset.
 *
 * Invariants after every command: counts within limits; mode and id never
 * change; a command that fails changes nothing (saved bytes, store and
 * command key identical); one that succeeds did what it says (topic/pubkey
 * present with that key, removed, tables reset, keys replaced); the store
 * written during the command loads to exactly the state in memory; and
 * e4_state_save to memory succeeds and reloads to an equal state.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <e4/e4.h>

#include "internal.h"

#define NOW UINT64_C(1700000000)
#include "fuzz_e4_common.h"

/* ---- the states ------------------------------------------------------------ */

static const e4_limits LIMITS_SK = {4, 0, 16}, LIMITS_PK = {4, 3, 16};
#define MEM_SIZE E4_STATE_SIZE(4, 3, 16)
static _Alignas(8) uint8_t g_mem[MEM_SIZE], g_mem2[MEM_SIZE], g_tmpl[3][MEM_SIZE];
static memstore g_store, g_store0[3], g_a, g_b;
static e4_state *g_s;
static const e4_limits *g_limits;

static void fixed_key(uint8_t key[32], uint8_t tag)
{
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(tag * 31 + i + 1);
}

/* kind 0: SK, 1: PK, 2: SK in the fips-sk suite. */
static void setup_one(int kind)
{
    const int pk = kind == 1;
    uint8_t id[E4_ID_LEN], key[32], seed[32], sk[64], edpk[32], x_sk[32], x_pk[32];
    e4_state *s;
    CHECK(e4c_init() == 0);
    CHECK(e4_hash_id(id, "fuzz-command") >= 0);
    if (pk) {
        fixed_key(seed, 0x61);
        CHECK(e4c_ed25519_seed_keypair(edpk, sk, seed) == 0);
        fixed_key(x_sk, 0x70);
        CHECK(e4c_x25519_base(x_pk, x_sk) == 0);
        CHECK(e4_state_init_pk(&s, g_mem, sizeof g_mem, &LIMITS_PK, id, sk, x_pk) == E4_OK);
        uint8_t pid[E4_ID_LEN];
        CHECK(e4_hash_id(pid, "signer-a") >= 0);
        CHECK(e4_state_set_pubkey(s, pid, edpk) == E4_OK);
        CHECK(e4_hash_id(pid, "signer-b") >= 0);
        fixed_key(seed, 0x62);
        CHECK(e4c_ed25519_seed_keypair(edpk, sk, seed) == 0);
        CHECK(e4_state_set_pubkey(s, pid, edpk) == E4_OK);
    } else {
        fixed_key(key, 0x40);
        CHECK((kind == 2 ? e4_state_init_fips_sk : e4_state_init_sk)(&s, g_mem, sizeof g_mem,
                                                                     &LIMITS_SK, id, key) == E4_OK);
    }
    fixed_key(key, 1);
    CHECK(e4_state_set_topic_key(s, "t/a", key, NOW - 100) == E4_OK);
    fixed_key(key, 2);
    CHECK(e4_state_set_topic_key(s, "t/b", key, NOW - 100) == E4_OK);
    memstore_init(&g_store0[kind]);
    CHECK(e4_state_save(s, &g_store0[kind].st) == E4_OK);
    memcpy(g_tmpl[kind], g_mem, sizeof g_mem);
}

static void save_to(memstore *m)
{
    memstore_init(m);
    CHECK(e4_state_save(g_s, &m->st) == E4_OK);
}

static int same_bytes(const memstore *a, const memstore *b)
{
    return a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0;
}

/* What a successful command must have done. */
static void check_effect(const uint8_t *c, size_t n, const uint8_t id_before[E4_ID_LEN])
{
    const uint8_t *a = c + 1;
    switch (c[0]) {
    case E4_CMD_REMOVE_TOPIC: CHECK(n == 17 && !e4i_topic_find(g_s, a)); break;
    case E4_CMD_RESET_TOPICS: CHECK(n == 1 && g_s->ntopics == 0); break;
    case E4_CMD_SET_ID_KEY: CHECK(memcmp(g_s->key, a, n - 1) == 0); break;
    case E4_CMD_SET_TOPIC_KEY: {
        const topic_slot *t = e4i_topic_find(g_s, a + 32);
        CHECK(n == 49 && t && memcmp(t->key, a, 32) == 0);
        break;
    }
    case E4_CMD_REMOVE_PUBKEY:
        CHECK(g_s->mode == E4_MODE_PK && n == 17 && !e4i_pubkey_find(g_s, a));
        break;
    case E4_CMD_RESET_PUBKEYS:
        CHECK(g_s->mode == E4_MODE_PK && n == 1 && g_s->npubkeys == 0);
        break;
    case E4_CMD_SET_PUBKEY: {
        const pubkey_slot *p = e4i_pubkey_find(g_s, a + 32);
        CHECK(g_s->mode == E4_MODE_PK && n == 49 && p && memcmp(p->pk, a, 32) == 0);
        break;
    }
    case E4_CMD_SET_C2_KEY:
        CHECK(g_s->mode == E4_MODE_PK && n == 33 && memcmp(g_s->c2_pk, a, 32) == 0);
        break;
    default: CHECK(!"unknown command accepted");
    }
    CHECK(memcmp(g_s->id, id_before, E4_ID_LEN) == 0);
}

static int expected_error(e4_err rc)
{
    switch (rc) {
    case E4_ERR_TOO_SHORT:
    case E4_ERR_REPLAYED:
    case E4_ERR_INVALID_COMMAND:
    case E4_ERR_INVALID_ARG_LENGTH:
    case E4_ERR_UNSUPPORTED_COMMAND:
    case E4_ERR_ZERO_KEY:
    case E4_ERR_INVALID_KEY:
    case E4_ERR_TOPICS_FULL:
    case E4_ERR_PUBKEYS_FULL:
    case E4_ERR_PUBKEY_NOT_FOUND: return 1;
    default: return 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_limits) {
        setup_one(0);
        setup_one(1);
        setup_one(2);
        g_limits = &LIMITS_SK;
    }
    if (size < 1)
        return 0;
    const int pk = data[0] & 1, kind = pk ? 1 : data[0] & 2 ? 2 : 0;
    g_limits = pk ? &LIMITS_PK : &LIMITS_SK;
    memcpy(g_mem, g_tmpl[kind], sizeof g_mem);
    g_s = (e4_state *)g_mem;
    g_store = g_store0[kind];
    g_store.st.ctx = &g_store; /* the copy's callbacks must act on the copy */
    e4_state_set_storage(g_s, &g_store.st);
    char control[E4_CONTROL_TOPIC_MAX + 1];
    snprintf(control, sizeof control, "%s", e4_state_control_topic(g_s));
    const uint8_t mode = g_s->mode;

    size_t off = 1;
    for (unsigned i = 0; off < size; i++) {
        size_t n = data[off++];
        if (n > size - off)
            n = size - off;
        const uint8_t *cmd = data + off;
        off += n;

        uint8_t msg[E4_FIPS_SK_OVERHEAD + 256], out[E4_FIPS_SK_OVERHEAD + 256], cmd_key[32],
            id[E4_ID_LEN];
        size_t out_len = 0xdeadbeef;
        memcpy(cmd_key, g_s->cmd_key, 32);
        memcpy(id, g_s->id, E4_ID_LEN);
        save_to(&g_a);
        const memstore before = g_store;
        const uint8_t iv[E4_GCM_IV_LEN] = {(uint8_t)i, (uint8_t)(i >> 8), 0xf5};
        if (kind == 2)
            CHECK(e4_fips_sk_protect(g_s->cmd_key, NOW - i % 500, iv, cmd, n, msg) == E4_OK);
        else
            CHECK(e4_sk_protect(g_s->cmd_key, NOW - i % 500, cmd, n, msg) == E4_OK);
        const size_t msg_len = n + (kind == 2 ? E4_FIPS_SK_OVERHEAD : E4_SK_OVERHEAD);
        e4_err rc = e4_unprotect(g_s, control, msg, msg_len, out, sizeof out, &out_len, NOW);

        CHECK(g_s->mode == mode);
        CHECK(g_s->ntopics <= g_limits->topics && g_s->npubkeys <= g_limits->pubkeys);
        CHECK(strcmp(e4_state_control_topic(g_s), control) == 0);
        save_to(&g_b);
        if (rc == E4_COMMAND) {
            CHECK(out_len == 0);
            check_effect(cmd, n, id);
        } else {
            if (!expected_error(rc))
                fprintf(stderr, "unexpected error %d (%s)\n", rc, e4_strerror(rc));
            CHECK(expected_error(rc));
            CHECK(n == 0 || rc == E4_ERR_REPLAYED || out_len == 0);
            CHECK(same_bytes(&g_a, &g_b));
            CHECK(same_bytes(&before, &g_store));
            CHECK(memcmp(cmd_key, g_s->cmd_key, 32) == 0);
        }
        /* The store written during the command holds the state in memory. */
        e4_state *s2;
        g_store.pos = 0;
        CHECK(e4_state_load(&s2, g_mem2, sizeof g_mem2, g_limits, &g_store.st) == E4_OK);
        CHECK(states_equal(g_s, s2) && states_equal(s2, g_s));
        /* So does a fresh save. */
        CHECK(e4_state_load(&s2, g_mem2, sizeof g_mem2, g_limits, &g_b.st) == E4_OK);
        CHECK(states_equal(g_s, s2) && states_equal(s2, g_s));
    }
    return 0;
}
