/*
 * Fuzz e4_unprotect on a fixed symmetric-key state: base SK, or the
 * fips-sk suite when built as fuzz_e4_unprotect_fips_sk (E4_FUZZ_FIPS_SK).
 *
 * Input: selector byte || message. The low bits of the selector pick the
 * topic (four topics with keys, one of them rotated so the key-transition path
 * runs, the control topic so commands are applied, an unknown topic); bit 7
 * gives an output buffer smaller than the message. The clock is fixed (NOW),
 * so the seed corpus (real messages protected at NOW) passes the timestamp
 * check and mutations reach authentication and command processing.
 *
 * Invariants: no crash or sanitizer report; E4_OK only on a data topic with
 * out_len = in_len - the suite's overhead (24, fips-sk 38); E4_COMMAND only on the control topic
 * with out_len 0, the change persisted (the store loads to the state in memory); on error out_len
 * is untouched (0 after a replay or a command, which wipe the plaintext), out holds only its old
 * bytes or zeros, and the state is unchanged; counts within limits; an accepted message is refused
 * as a replay the second time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <e4/e4.h>

#include "internal.h"

#define NOW UINT64_C(1700000000)
#define SKEW 30
#ifdef E4_FUZZ_FIPS_SK
#define INIT_STATE e4_state_init_fips_sk
#define OVERHEAD E4_FIPS_SK_OVERHEAD
#else
#define INIT_STATE e4_state_init_sk
#define OVERHEAD E4_SK_OVERHEAD
#endif
#include "fuzz_e4_common.h"

/* ---- the fixed state ------------------------------------------------------ */

static const e4_limits LIMITS = {8, 0, 64};
#define MEM_SIZE E4_STATE_SIZE(8, 0, 64)
static _Alignas(8) uint8_t g_mem[MEM_SIZE], g_template[MEM_SIZE], g_mem2[MEM_SIZE];
static e4_state *g_s;
static memstore g_store, g_store0, g_scratch;
static char g_control[E4_CONTROL_TOPIC_MAX + 1];

/* Shared with the seed generator. */
static const char *const TOPICS[] = {"t/0", "t/1", "t/rotated", "t/3"};
#define NTOPICS 4
#define SEL_CONTROL 4
#define SEL_UNKNOWN 5
#define NSEL 6
static void fixed_key(uint8_t key[32], uint8_t tag)
{
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(tag * 31 + i + 1);
}
static const uint8_t CLIENT_KEY_TAG = 0x40, OLD_KEY_TAG = 0x50;

static void setup(void)
{
    uint8_t id[E4_ID_LEN], key[32];
    CHECK(e4_hash_id(id, "fuzz-client") >= 0);
    fixed_key(key, CLIENT_KEY_TAG);
    CHECK(INIT_STATE(&g_s, g_mem, sizeof g_mem, &LIMITS, id, key) == E4_OK);
    e4_state_set_clock_skew(g_s, SKEW);
    for (int i = 0; i < NTOPICS; i++) {
        fixed_key(key, i == 2 ? OLD_KEY_TAG : (uint8_t)i);
        CHECK(e4_state_set_topic_key(g_s, TOPICS[i], key, NOW - 100) == E4_OK);
    }
    fixed_key(key, 2); /* t/rotated: current key 2, old key OLD_KEY_TAG */
    CHECK(e4_state_set_topic_key(g_s, TOPICS[2], key, NOW - 50) == E4_OK);
    snprintf(g_control, sizeof g_control, "%s", e4_state_control_topic(g_s));
    memstore_init(&g_store);
    CHECK(e4_state_save(g_s, &g_store.st) == E4_OK);
    e4_state_set_storage(g_s, &g_store.st);
    g_store0 = g_store;
    memcpy(g_template, g_mem, sizeof g_mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_s)
        setup();
    if (size < 1)
        return 0;
    memcpy(g_mem, g_template, sizeof g_mem); /* same address: internal pointers stay valid */
    memcpy(&g_store, &g_store0, sizeof g_store);
    g_store.st.ctx = &g_store;

    const unsigned sel = (data[0] & 0x7f) % NSEL;
    const int small = data[0] & 0x80;
    const char *topic = sel < NTOPICS ? TOPICS[sel] : sel == SEL_CONTROL ? g_control : "unknown";
    const uint8_t *in = data + 1;
    const size_t in_len = size - 1;
    const size_t cap = small ? in_len / 2 : in_len;
    uint8_t *out = malloc(cap ? cap : 1); /* exact size: ASan sees any overflow */
    memset(out, 0xa5, cap);
    size_t out_len = 0xdeadbeef;
    uint8_t cmd_key_before[32];
    memcpy(cmd_key_before, g_s->cmd_key, 32);

    e4_err rc = e4_unprotect(g_s, topic, in, in_len, out, cap, &out_len, NOW);

    CHECK(e4_state_topic_count(g_s) <= LIMITS.topics);
    CHECK(e4_state_pubkey_count(g_s) == 0);
    if (rc == E4_OK) {
        CHECK(sel != SEL_CONTROL);
        CHECK(in_len >= OVERHEAD && out_len == in_len - OVERHEAD && out_len <= cap);
    } else if (rc == E4_COMMAND) {
        CHECK(sel == SEL_CONTROL);
        CHECK(out_len == 0);
    } else {
        CHECK(rc < 0 && strcmp(e4_strerror(rc), e4_strerror((e4_err)-999)) != 0);
        if (rc == E4_ERR_REPLAYED || sel == SEL_CONTROL)
            CHECK(out_len == 0xdeadbeef || out_len == 0);
        else
            CHECK(out_len == 0xdeadbeef);
        for (size_t i = 0; i < cap; i++)
            CHECK(out[i] == 0xa5 || out[i] == 0);
    }
    if (rc != E4_COMMAND) {
        CHECK(memcmp(g_mem + E4_STATE_HEADER_SIZE, g_template + E4_STATE_HEADER_SIZE,
                     (size_t)LIMITS.topics * E4_TOPIC_ENTRY_SIZE) == 0);
        CHECK(g_store.len == g_store0.len && memcmp(g_store.buf, g_store0.buf, g_store.len) == 0);
    }
    /* What was persisted is what is in memory. */
    e4_state *s2;
    g_store.pos = 0;
    CHECK(e4_state_load(&s2, g_mem2, sizeof g_mem2, &LIMITS, &g_store.st) == E4_OK);
    CHECK(states_equal(g_s, s2));
    CHECK(states_equal(s2, g_s));
    /* And e4_state_save agrees. */
    memstore_init(&g_scratch);
    CHECK(e4_state_save(g_s, &g_scratch.st) == E4_OK);

    if (rc == E4_OK || rc == E4_COMMAND) {
        /* The same message again is a replay (unless a command changed the
         * key that protects commands). */
        size_t n2 = 0xdeadbeef;
        e4_err rc2 = e4_unprotect(g_s, topic, in, in_len, out, cap, &n2, NOW);
        if (rc == E4_COMMAND && memcmp(cmd_key_before, g_s->cmd_key, 32) != 0)
            CHECK(rc2 == E4_ERR_REPLAYED || rc2 == E4_ERR_NOT_AUTHENTIC);
        else
            CHECK(rc2 == E4_ERR_REPLAYED);
    }
    free(out);
    return 0;
}
