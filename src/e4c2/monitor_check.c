/*
 * monitor_check: what one message on a monitored topic is, decided by
 * libe4's own unprotect (the format is libe4's business, not ours).
 */
#include "monitor.h"

#include <string.h>

#include <sodium.h>

void monitor_replay_init(monitor_replay *r)
{
    memset(r, 0, sizeof *r);
    randombytes_buf(r->hash_key, sizeof r->hash_key);
}

/* 1 if seen before; otherwise remembered (the oldest forgotten). */
static int replay_seen(monitor_replay *r, const uint8_t *msg, size_t len)
{
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, msg, len, r->hash_key);
    for (size_t i = 0; i < r->n; i++)
        if (r->seen[i] == h)
            return 1;
    r->seen[r->next] = h;
    r->next = (r->next + 1) % MONITOR_REPLAY_CACHE;
    if (r->n < MONITOR_REPLAY_CACHE)
        r->n++;
    return 0;
}

int monitor_skew_bucket(int64_t skew)
{
    int i = 0;
    while (i < C2_SKEW_BUCKETS - 1 && skew > C2_SKEW_LE[i])
        i++;
    return i;
}

static c2_traffic_result of_error(e4_err rc)
{
    switch (rc) {
    case E4_OK: return C2_TR_valid;
    case E4_ERR_TIMESTAMP_TOO_OLD: return C2_TR_too_old;
    case E4_ERR_TIMESTAMP_IN_FUTURE: return C2_TR_in_future;
    default: return C2_TR_not_authentic; /* wrong key, tampering, bad signature */
    }
}

static size_t overhead_of(const monitor_keys *k)
{
    switch (k->suite) {
    case E4_SUITE_FIPS_SK: return E4_FIPS_SK_OVERHEAD;
    case E4_SUITE_FIPS_PK: return E4_FIPS_PK_OVERHEAD;
    case E4_SUITE_PQ_PK: return E4_PQ_PK_OVERHEAD;
    default: return k->mode == C2_MODE_PK ? E4_PK_OVERHEAD : E4_SK_OVERHEAD;
    }
}

/* The time a message claims: a suite's after its 0xE4 || suite header
 * (else it is not one), the base formats' first. */
static int claimed_time(const monitor_keys *k, const uint8_t *msg, size_t len, uint64_t *ts)
{
    if (k->suite == E4_SUITE_BASE)
        return e4_message_timestamp(ts, msg, len) == E4_OK;
    if (len < E4_SUITE_HEADER_LEN || msg[0] != E4_SUITE_MAGIC || msg[1] != (uint8_t)k->suite)
        return 0;
    *ts = 0;
    for (int i = 7; i >= 0; i--)
        *ts = *ts << 8 | msg[2 + i];
    return 1;
}

/* Long enough for the mode, and a claimed time some clock could have
 * written (else clear text, whatever its first bytes). An empty payload is
 * valid in the suites, not in the base formats. */
static int looks_e4(const monitor_keys *k, const uint8_t *msg, size_t len, uint64_t now,
                    uint64_t *ts)
{
    size_t min = k->suite != E4_SUITE_BASE ? overhead_of(k)
                 : k->mode == C2_MODE_PK   ? E4_PK_OVERHEAD
                                           : E4_SK_OVERHEAD + 1;
    if (len < min || !claimed_time(k, msg, len, ts) || *ts >= (UINT64_C(1) << 62))
        return 0;
    return (int64_t)*ts <= (int64_t)now + MONITOR_PLAUSIBLE_S &&
           (int64_t)*ts >= (int64_t)now - MONITOR_PLAUSIBLE_S;
}

static e4_err open_with(const monitor_keys *k, const uint8_t key[E4_KEY_LEN], const uint8_t *pk,
                        const uint8_t *msg, size_t len, uint64_t now, uint8_t *out)
{
    size_t out_len = 0;
    uint32_t skew = k->clock_skew;
    e4_err rc;
    switch (k->suite) {
    case E4_SUITE_FIPS_SK:
        rc = e4_fips_sk_unprotect(key, msg, len, out, &out_len, now, skew);
        break;
    case E4_SUITE_FIPS_PK:
        rc = e4_fips_pk_unprotect(key, pk, msg, len, out, &out_len, now, skew);
        break;
    case E4_SUITE_PQ_PK:
        rc =
            e4_pq_pk_unprotect(key, pk, pk + E4_ED25519_PK_LEN, msg, len, out, &out_len, now, skew);
        break;
    default:
        rc = k->mode == C2_MODE_PK ? e4_pk_unprotect(key, pk, msg, len, out, &out_len, now, skew)
                                   : e4_sk_unprotect(key, msg, len, out, &out_len, now, skew);
    }
    sodium_memzero(out, out_len);
    return rc;
}

static e4_err signer_of(const monitor_keys *k, uint8_t id[E4_ID_LEN], const uint8_t *msg,
                        size_t len)
{
    switch (k->suite) {
    case E4_SUITE_FIPS_PK: return e4_fips_pk_signer(id, msg, len);
    case E4_SUITE_PQ_PK: return e4_pq_pk_signer(id, msg, len);
    default: return e4_pk_signer(id, msg, len);
    }
}

c2_traffic_result monitor_check(const monitor_keys *k, monitor_replay *rp, const uint8_t *msg,
                                size_t len, uint64_t now, uint8_t *scratch, size_t scratch_len,
                                int64_t *skew, int *has_skew)
{
    uint8_t pk[C2_SIGN_PK_MAX], id[E4_ID_LEN];
    uint64_t ts = 0;
    e4_err rc;
    *has_skew = 0;
    *skew = 0;
    if (scratch_len < len || !looks_e4(k, msg, len, now, &ts))
        return C2_TR_unprotected;
    *has_skew = 1;
    *skew = (int64_t)ts > (int64_t)now ? (int64_t)(ts - now) : (int64_t)(now - ts);
    if (k->mode == C2_MODE_PK && (signer_of(k, id, msg, len) != E4_OK || !k->pubkey ||
                                  k->pubkey(k->pubkey_ctx, id, pk) != 0))
        return C2_TR_unknown_signer;
    rc = open_with(k, k->key, pk, msg, len, now, scratch);
    if (rc == E4_ERR_NOT_AUTHENTIC && k->has_prev)
        rc = open_with(k, k->prev_key, pk, msg, len, now, scratch);
    if (rc != E4_OK)
        return of_error(rc);
    return replay_seen(rp, msg, len) ? C2_TR_replayed : C2_TR_valid;
}
