/*
 * Fuzz the traffic monitor's check of one message (src/e4c2/monitor_check.c)
 * with what any publisher on a monitored topic controls: the bytes.
 *
 * Input: flags(1) || message. flags & 1: PK mode (the signer known when
 * flags & 2); flags & 4: a previous key too. The keys are fixed, the clock
 * is the message's own claimed time + (flags >> 3) seconds.
 *
 * Invariants: a result among the known ones; the scratch buffer holds no
 * byte of an opened payload afterwards; valid only if libe4 itself opens the
 * message with one of the keys; a second identical valid message is a
 * replay; too short or implausibly timed messages are unprotected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

#include "check.h"

static const uint8_t KEY[E4_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t PREV[E4_KEY_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
static uint8_t PK[C2_SIGN_PK_MAX] = {0x3b, 0x6a, 0x27, 0xbc};
static const e4_suite SUITES[4] = {E4_SUITE_BASE, E4_SUITE_FIPS_SK, E4_SUITE_FIPS_PK,
                                   E4_SUITE_PQ_PK};

static int known(void *ctx, const uint8_t id[E4_ID_LEN], uint8_t pk[C2_SIGN_PK_MAX])
{
    (void)id;
    memcpy(pk, PK, sizeof PK);
    return *(int *)ctx ? 0 : -1;
}

static int zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* The keys the first byte selects: mode and suite, signer known, a
 * previous key. */
static void keys_of(monitor_keys *k, unsigned sel, int *signer_known)
{
    memset(k, 0, sizeof *k);
    memcpy(k->key, KEY, sizeof KEY);
    k->has_prev = (sel & 4) != 0;
    memcpy(k->prev_key, PREV, sizeof PREV);
    k->suite = SUITES[(sel >> 3) & 3];
    k->mode = k->suite == E4_SUITE_FIPS_SK             ? C2_MODE_SK
              : k->suite != E4_SUITE_BASE || (sel & 1) ? C2_MODE_PK
                                                       : C2_MODE_SK;
    *signer_known = (sel & 2) != 0;
    k->pubkey = known;
    k->pubkey_ctx = signer_known;
}

/* The time the message claims, in its suite's place (0 if none). */
static uint64_t claimed(const monitor_keys *k, const uint8_t *data, size_t size)
{
    uint64_t ts = 0;
    if (k->suite == E4_SUITE_BASE)
        (void)e4_message_timestamp(&ts, data, size);
    else if (size >= E4_SUITE_HEADER_LEN)
        for (int i = 7; i >= 0; i--)
            ts = ts << 8 | data[2 + i];
    return ts;
}

/* Too short, or not the suite's header: never E4. */
static int never_e4(const monitor_keys *k, const uint8_t *data, size_t size)
{
    return size <= E4_SK_OVERHEAD ||
           (k->suite != E4_SUITE_BASE && (size < E4_SUITE_HEADER_LEN || data[0] != E4_SUITE_MAGIC ||
                                          data[1] != (uint8_t)k->suite));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static monitor_replay rp;
    monitor_keys k;
    uint8_t *scratch;
    uint64_t ts, now;
    int64_t skew;
    int has_skew, signer_known;
    c2_traffic_result r;
    if (size < 1 || size > 4096)
        return 0;
    keys_of(&k, data[0], &signer_known);
    data++, size--;
    ts = claimed(&k, data, size);
    now = ts < (UINT64_C(1) << 62) ? ts + (uint64_t)(data[-1] >> 5) : 1700000000u;
    if (!rp.n)
        monitor_replay_init(&rp);
    scratch = calloc(1, size + 1);
    CHECK(scratch);
    r = monitor_check(&k, &rp, data, size, now, scratch, size + 1, &skew, &has_skew);
    CHECK(r >= 0 && r < C2_TR_COUNT);
    CHECK(zero(scratch, size + 1));
    CHECK(!has_skew || skew >= 0);
    if (never_e4(&k, data, size))
        CHECK(r == C2_TR_unprotected);
    if (r == C2_TR_valid) {
        r = monitor_check(&k, &rp, data, size, now, scratch, size + 1, &skew, &has_skew);
        CHECK(r == C2_TR_replayed);
    }
    free(scratch);
    return 0;
}
