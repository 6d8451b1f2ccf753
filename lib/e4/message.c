/*
 * Protected messages: the SK and PK wire formats, and protect/unprotect on a
 * state in exactly the reference's order of checks (the order decides which
 * error a caller sees).
 */
#include "internal.h"

/* ---- stateless formats --------------------------------------------------- */

/* Valid iff now - 600 <= ts <= now + skew. A timestamp >= 2^63 reads as a
 * negative number in the reference: too old. */
e4_err e4i_check_timestamp(uint64_t ts, uint64_t now, uint32_t skew)
{
    if (ts >= (UINT64_C(1) << 63))
        return E4_ERR_TIMESTAMP_TOO_OLD;
    if (ts > now + skew)
        return E4_ERR_TIMESTAMP_IN_FUTURE;
    if (now >= E4_MAX_DELAY && ts < now - E4_MAX_DELAY)
        return E4_ERR_TIMESTAMP_TOO_OLD;
    return E4_OK;
}

/* What protect refuses before writing anything: an all-zero key (never
 * valid), a timestamp no receiver accepts (>= 2^63 reads as negative, so the
 * message could never be opened), a payload over E4_PAYLOAD_MAX. */
e4_err e4i_check_protect(const uint8_t key[E4_KEY_LEN], uint64_t ts, size_t plain_len)
{
    if (e4i_is_zero(key, E4_KEY_LEN))
        return E4_ERR_ZERO_KEY;
    if (ts >= (UINT64_C(1) << 63) || plain_len > E4_PAYLOAD_MAX)
        return E4_ERR_INVALID_ARGUMENT;
    return E4_OK;
}

e4_err e4i_check_suite_header(const uint8_t *in, size_t in_len, e4_suite suite, size_t overhead)
{
    if (in_len < overhead)
        return E4_ERR_TOO_SHORT;
    if (in[0] != E4_SUITE_MAGIC || in[1] != (uint8_t)suite)
        return E4_ERR_WRONG_SUITE;
    return E4_OK;
}

e4_err e4_sk_protect(const uint8_t key[E4_KEY_LEN], uint64_t ts, const uint8_t *plain,
                     size_t plain_len, uint8_t *out)
{
    if (!key || !out || (!plain && plain_len))
        return E4_ERR_INVALID_ARGUMENT;
    e4_err err = e4i_check_protect(key, ts, plain_len);
    if (err)
        return err;
    e4i_store64le(out, ts);
    return e4c_siv_seal(key, out, E4_TIMESTAMP_LEN, plain, plain_len, out + E4_TIMESTAMP_LEN)
               ? E4_ERR_CRYPTO
               : E4_OK;
}

e4_err e4_sk_unprotect(const uint8_t key[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                       uint8_t *out, size_t *out_len, uint64_t now, uint32_t skew)
{
    if (!key || (!in && in_len) || !out || !out_len)
        return E4_ERR_INVALID_ARGUMENT;
    if (e4i_is_zero(key, E4_KEY_LEN))
        return E4_ERR_ZERO_KEY;
    if (in_len <= E4_SK_OVERHEAD)
        return E4_ERR_TOO_SHORT;
    e4_err err = e4i_check_timestamp(e4i_load64le(in), now, skew);
    if (err)
        return err;
    size_t n = in_len - E4_SK_OVERHEAD;
    if (e4c_siv_open(key, in, E4_TIMESTAMP_LEN, in + E4_TIMESTAMP_LEN, n, out) != 0)
        return E4_ERR_NOT_AUTHENTIC;
    *out_len = n;
    return E4_OK;
}

e4_err e4_pk_protect(const uint8_t key[E4_KEY_LEN], const uint8_t signer_id[E4_ID_LEN],
                     const uint8_t ed25519_sk[E4_ED25519_SK_LEN], uint64_t ts, const uint8_t *plain,
                     size_t plain_len, uint8_t *out)
{
    if (!key || !signer_id || !ed25519_sk || !out || (!plain && plain_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    e4_err err = e4i_check_protect(key, ts, plain_len);
    if (err)
        return err;
    if (e4i_is_zero(ed25519_sk, E4_ED25519_SK_LEN))
        return E4_ERR_ZERO_KEY;
    const size_t signed_len = E4_TIMESTAMP_LEN + E4_ID_LEN + E4_TAG_LEN + plain_len;
    e4i_store64le(out, ts);
    memcpy(out + E4_TIMESTAMP_LEN, signer_id, E4_ID_LEN);
    if (e4c_siv_seal(key, out, E4_TIMESTAMP_LEN, plain, plain_len,
                     out + E4_TIMESTAMP_LEN + E4_ID_LEN) ||
        e4c_ed25519_sign(out + signed_len, out, signed_len, ed25519_sk))
        return E4_ERR_CRYPTO;
    return E4_OK;
}

e4_err e4_message_timestamp(uint64_t *ts, const uint8_t *in, size_t in_len)
{
    if (!ts || (!in && in_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (in_len < E4_TIMESTAMP_LEN)
        return E4_ERR_TOO_SHORT;
    *ts = e4i_load64le(in);
    return E4_OK;
}

e4_err e4_pk_signer(uint8_t id[E4_ID_LEN], const uint8_t *in, size_t in_len)
{
    if (!id || (!in && in_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (in_len < E4_PK_OVERHEAD)
        return E4_ERR_TOO_SHORT;
    memcpy(id, in + E4_TIMESTAMP_LEN, E4_ID_LEN);
    return E4_OK;
}

/* The checks after the signer's key is known: signature, then SIV. */
static e4_err pk_open(const uint8_t key[E4_KEY_LEN], const uint8_t signer_pk[E4_ED25519_PK_LEN],
                      const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    size_t signed_len = in_len - E4_SIGNATURE_LEN;
    if (signer_pk && e4c_ed25519_verify(in + signed_len, in, signed_len, signer_pk) != 0)
        return E4_ERR_INVALID_SIGNATURE;
    size_t n = in_len - E4_PK_OVERHEAD;
    if (e4c_siv_open(key, in, E4_TIMESTAMP_LEN, in + E4_TIMESTAMP_LEN + E4_ID_LEN, n, out) != 0)
        return E4_ERR_NOT_AUTHENTIC;
    *out_len = n;
    return E4_OK;
}

e4_err e4_pk_unprotect(const uint8_t key[E4_KEY_LEN], const uint8_t signer_pk[E4_ED25519_PK_LEN],
                       const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len,
                       uint64_t now, uint32_t skew)
{
    if (!key || !signer_pk || (!in && in_len) || !out || !out_len)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    if (e4i_is_zero(key, E4_KEY_LEN) || e4i_is_zero(signer_pk, E4_ED25519_PK_LEN))
        return E4_ERR_ZERO_KEY;
    if (in_len < E4_PK_OVERHEAD)
        return E4_ERR_TOO_SHORT;
    e4_err err = e4i_check_timestamp(e4i_load64le(in), now, skew);
    return err ? err : pk_open(key, signer_pk, in, in_len, out, out_len);
}

/* ---- on a state ---------------------------------------------------------------- */

static size_t overhead_of(const e4_state *s)
{
    switch (s->suite) {
    case E4_SUITE_FIPS_SK: return E4_FIPS_SK_OVERHEAD;
    case E4_SUITE_FIPS_PK: return E4_FIPS_PK_OVERHEAD;
    case E4_SUITE_PQ_PK: return E4_PQ_PK_OVERHEAD;
    default: return s->mode == E4_MODE_PK ? E4_PK_OVERHEAD : E4_SK_OVERHEAD;
    }
}

size_t e4_protected_len(const e4_state *s, size_t plain_len)
{
    return plain_len + overhead_of(s);
}

static e4_err protect_with(const e4_state *s, const topic_slot *t, const uint8_t *plain,
                           size_t plain_len, uint8_t *out, uint64_t now)
{
    switch (s->suite) {
    case E4_SUITE_FIPS_SK: return e4_fips_sk_protect(t->key, now, NULL, plain, plain_len, out);
    case E4_SUITE_FIPS_PK:
        return e4_fips_pk_protect(t->key, s->id, s->key, now, NULL, plain, plain_len, out);
    case E4_SUITE_PQ_PK:
        return e4_pq_pk_protect(t->key, s->id, s->key, e4i_pq(s)->mldsa_seed, now, plain, plain_len,
                                out);
    default: break;
    }
    return s->mode == E4_MODE_PK ? e4_pk_protect(t->key, s->id, s->key, now, plain, plain_len, out)
                                 : e4_sk_protect(t->key, now, plain, plain_len, out);
}

e4_err e4_protect_hashed(e4_state *s, const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                         const uint8_t *plain, size_t plain_len, uint8_t *out, size_t out_cap,
                         size_t *out_len, uint64_t now)
{
    if (!s || !topic_hash || !out || !out_len || (!plain && plain_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (plain_len > E4_PAYLOAD_MAX)
        return E4_ERR_INVALID_ARGUMENT;
    const topic_slot *t = e4i_topic_find(s, topic_hash);
    if (!t)
        return E4_ERR_TOPIC_KEY_NOT_FOUND;
    size_t len = e4_protected_len(s, plain_len);
    if (out_cap < len || len < plain_len)
        return E4_ERR_BUFFER_TOO_SMALL;
    e4_err err = protect_with(s, t, plain, plain_len, out, now);
    if (err == E4_OK)
        *out_len = len;
    return err;
}

e4_err e4_protect(e4_state *s, const char *topic, const uint8_t *plain, size_t plain_len,
                  uint8_t *out, size_t out_cap, size_t *out_len, uint64_t now)
{
    uint8_t hash[E4_TOPIC_HASH_LEN];
    e4_err err = e4_hash_topic(hash, topic);
    return err ? err : e4_protect_hashed(s, hash, plain, plain_len, out, out_cap, out_len, now);
}

/* Applies an opened command (plaintext in out, n bytes) unless (tag, ts)
 * was applied before; recorded only once applied: a command whose write
 * failed must be accepted when C2 sends it again. Wipes the plaintext. */
static e4_err apply_command(e4_state *s, uint8_t *out, size_t n, size_t *out_len, uint64_t now,
                            const uint8_t *tag, uint64_t ts)
{
    e4_err err = E4_OK;
    if (e4i_replay_check(s, tag, ts | REPLAY_COMMAND, 0))
        err = E4_ERR_REPLAYED;
    else if ((err = e4i_command_apply(s, out, n, now, tag, ts)) == E4_OK)
        e4i_replay_check(s, tag, ts | REPLAY_COMMAND, 1);
    e4c_wipe(out, n);
    *out_len = 0;
    return err ? err : E4_COMMAND;
}

/* A command on the control topic: the suite's SK format under the command
 * key (fips-pk: fips-sk's). The plaintext passes through out (the caller's
 * buffer) and is wiped. */
static e4_err unprotect_command(e4_state *s, const uint8_t *in, size_t in_len, uint8_t *out,
                                size_t out_cap, size_t *out_len, uint64_t now)
{
    size_t n;
    const int fips = s->suite == E4_SUITE_FIPS_SK || s->suite == E4_SUITE_FIPS_PK;
    /* Commands are in the SK format in both modes, never PK's. */
    const size_t overhead = fips ? E4_FIPS_SK_OVERHEAD : E4_SK_OVERHEAD;
    if (in_len > overhead && out_cap < in_len - overhead)
        return E4_ERR_BUFFER_TOO_SMALL;
    e4_err err = fips ? e4_fips_sk_unprotect(s->cmd_key, in, in_len, out, &n, now, s->clock_skew)
                      : e4_sk_unprotect(s->cmd_key, in, in_len, out, &n, now, s->clock_skew);
    if (err)
        return err;
    const uint8_t *tag = fips ? e4i_fips_sk_tag(in, in_len) : in + E4_TIMESTAMP_LEN;
    return apply_command(s, out, n, out_len, now, tag, e4i_load64le(fips ? in + 2 : in));
}

/* ---- pq-pk's control topic: key establishment and commands by epoch ---- */

#define PQ_KIND_AT E4_SUITE_HEADER_LEN
#define PQ_EPOCH_AT (E4_SUITE_HEADER_LEN + 1)
#define PQ_V_AT (E4_SUITE_HEADER_LEN + 1 + 4)

static uint32_t load32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A new K_epoch: only for an epoch above the current one (no rollback);
 * the current key becomes the previous one, usable for the transition. */
static e4_err pq_key_establish(e4_state *s, const uint8_t *in, size_t in_len, size_t *out_len,
                               uint64_t now)
{
    pq_keys *pq = e4i_pq(s);
    uint8_t key[E4_KEY_LEN];
    uint32_t epoch;
    e4_err err = e4_pq_pk_key_open(key, &epoch, in, in_len, pq->c2_ed25519_pk, pq->c2_mldsa_pk,
                                   pq->xwing_seed, now, s->clock_skew);
    if (err == E4_OK && pq->has_key && epoch <= pq->epoch)
        err = E4_ERR_REPLAYED;
    if (err == E4_OK && s->storage) { /* saved first: a failed write changes nothing */
        const e4i_edit e = {.op = EDIT_EPOCH, .key = key, .epoch = epoch, .now = now};
        err = e4i_persist(s, &e);
    }
    if (err == E4_OK) {
        if (pq->has_key) {
            memcpy(pq->prev_key, s->cmd_key, E4_KEY_LEN);
            pq->prev_epoch = pq->epoch;
            pq->prev_since = now;
            pq->has_prev = 1;
        }
        e4c_siv_forget(s->cmd_key);
        memcpy(s->cmd_key, key, E4_KEY_LEN);
        pq->epoch = epoch;
        pq->has_key = 1;
        *out_len = 0;
    }
    e4c_wipe(key, sizeof key);
    return err ? err : E4_COMMAND;
}

/* The key of a command's epoch: the current one, or the previous one for
 * the transition time after it was replaced. */
static const uint8_t *pq_epoch_key(const e4_state *s, uint32_t epoch, uint64_t now)
{
    const pq_keys *pq = e4i_pq(s);
    if (pq->has_key && epoch == pq->epoch)
        return s->cmd_key;
    if (pq->has_prev && epoch == pq->prev_epoch && now >= pq->prev_since &&
        now - pq->prev_since <= E4_TRANSITION_TTL)
        return pq->prev_key;
    return NULL;
}

static e4_err pq_command(e4_state *s, const uint8_t *in, size_t in_len, uint8_t *out,
                         size_t out_cap, size_t *out_len, uint64_t now)
{
    if (out_cap < in_len - E4_PQ_PK_CMD_OVERHEAD)
        return E4_ERR_BUFFER_TOO_SMALL;
    const uint8_t *key = pq_epoch_key(s, load32le(in + PQ_EPOCH_AT), now);
    if (!key)
        return E4_ERR_NOT_AUTHENTIC; /* no key for that epoch (never, or expired) */
    size_t n;
    uint32_t epoch;
    e4_err err = e4_pq_pk_command_open(key, in, in_len, out, &n, &epoch, now, s->clock_skew);
    if (err)
        return err;
    return apply_command(s, out, n, out_len, now, in + PQ_V_AT, e4i_load64le(in + 2));
}

static e4_err unprotect_pq_control(e4_state *s, const uint8_t *in, size_t in_len, uint8_t *out,
                                   size_t out_cap, size_t *out_len, uint64_t now)
{
    e4_err err = e4i_check_suite_header(in, in_len, E4_SUITE_PQ_PK, E4_PQ_PK_CMD_OVERHEAD);
    if (err)
        return err;
    switch (in[PQ_KIND_AT]) {
    case 0x01: return pq_key_establish(s, in, in_len, out_len, now);
    case 0x02: return pq_command(s, in, in_len, out, out_cap, out_len, now);
    default: return E4_ERR_INVALID_COMMAND;
    }
}

/* Replay identity: the SIV tag (a MAC of key, timestamp and payload), with
 * the signer id folded in so that two signers' identical readings differ.
 * fips-pk and pq-pk likewise (GCM's tag, SIV's V). */
static int replayed(e4_state *s, const uint8_t *in, size_t in_len, uint64_t ts)
{
    uint8_t ident[E4_TAG_LEN];
    const uint8_t *id = in + E4_TIMESTAMP_LEN, *tag = in + E4_TIMESTAMP_LEN + E4_ID_LEN;
    switch (s->suite) {
    case E4_SUITE_FIPS_SK: return e4i_replay_check(s, e4i_fips_sk_tag(in, in_len), ts, 1);
    case E4_SUITE_FIPS_PK:
        id = in + E4_SUITE_HEADER_LEN;
        tag = in + in_len - E4_P256_SIG_LEN - E4_TAG_LEN;
        break;
    case E4_SUITE_PQ_PK:
        id = in + E4_SUITE_HEADER_LEN;
        tag = id + E4_ID_LEN;
        break;
    default:
        if (s->mode != E4_MODE_PK)
            return e4i_replay_check(s, tag - E4_ID_LEN, ts, 1);
    }
    for (int i = 0; i < E4_TAG_LEN; i++)
        ident[i] = tag[i] ^ id[i];
    return e4i_replay_check(s, ident, ts, 1);
}

/* Key transition: the previous key may be tried only when the current one
 * said "not authentic" and the old key is at most an hour old. Like the
 * reference, an old key outside its validity reports why (its timestamp). */
static e4_err old_key_usable(const topic_slot *t, uint64_t now)
{
    if (t->old_ts == NO_OLD_KEY)
        return E4_ERR_NOT_AUTHENTIC;
    if (t->old_ts > now)
        return E4_ERR_TIMESTAMP_IN_FUTURE;
    if (now - t->old_ts > E4_TRANSITION_TTL)
        return E4_ERR_TIMESTAMP_TOO_OLD;
    return E4_OK;
}

/* The base formats (reference order): length, timestamp, signer's key and
 * signature (PK), then authenticity, then the transition key. */
static e4_err open_base(e4_state *s, const topic_slot *t, const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t out_cap, size_t *out_len, uint64_t now)
{
    const int pk = s->mode == E4_MODE_PK;
    const size_t overhead = overhead_of(s);
    if (pk ? in_len < overhead : in_len <= overhead)
        return E4_ERR_TOO_SHORT;
    e4_err err = e4i_check_timestamp(e4i_load64le(in), now, s->clock_skew);
    if (err)
        return err;
    if (out_cap < in_len - overhead)
        return E4_ERR_BUFFER_TOO_SMALL;
    if (pk) {
        const pubkey_slot *p = e4i_pubkey_find(s, in + E4_TIMESTAMP_LEN);
        if (!p)
            return E4_ERR_PUBKEY_NOT_FOUND;
        err = pk_open(t->key, p->pk, in, in_len, out, out_len);
    } else {
        err = e4_sk_unprotect(t->key, in, in_len, out, out_len, now, s->clock_skew);
    }
    if (err == E4_ERR_NOT_AUTHENTIC && (err = old_key_usable(t, now)) == E4_OK)
        err = pk ? pk_open(t->old_key, NULL, in, in_len, out, out_len)
                 : e4_sk_unprotect(t->old_key, in, in_len, out, out_len, now, s->clock_skew);
    return err;
}

/* fips-sk (spec order): length, suite, timestamp, authenticity, the
 * transition key. */
static e4_err open_fips_sk(e4_state *s, const topic_slot *t, const uint8_t *in, size_t in_len,
                           uint8_t *out, size_t out_cap, size_t *out_len, uint64_t now)
{
    e4_err err = e4i_check_suite_header(in, in_len, E4_SUITE_FIPS_SK, E4_FIPS_SK_OVERHEAD);
    if (err == E4_OK)
        err = e4i_check_timestamp(e4i_load64le(in + 2), now, s->clock_skew);
    if (err)
        return err;
    if (out_cap < in_len - E4_FIPS_SK_OVERHEAD)
        return E4_ERR_BUFFER_TOO_SMALL;
    err = e4i_fips_sk_open(t->key, in, in_len, out, out_len);
    if (err == E4_ERR_NOT_AUTHENTIC && (err = old_key_usable(t, now)) == E4_OK)
        err = e4i_fips_sk_open(t->old_key, in, in_len, out, out_len);
    return err;
}

/* fips-pk and pq-pk (spec order): length, suite, timestamp, the signer's
 * keys and signature(s), authenticity, the transition key. */
static e4_err open_suite_pk(e4_state *s, const topic_slot *t, const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t out_cap, size_t *out_len, uint64_t now)
{
    const int pq = s->suite == E4_SUITE_PQ_PK;
    const size_t overhead = overhead_of(s);
    e4_err err = e4i_check_suite_header(in, in_len, (e4_suite)s->suite, overhead);
    if (err == E4_OK)
        err = e4i_check_timestamp(e4i_load64le(in + 2), now, s->clock_skew);
    if (err)
        return err;
    if (out_cap < in_len - overhead)
        return E4_ERR_BUFFER_TOO_SMALL;
    const pubkey_slot *p = e4i_pubkey_find(s, in + E4_SUITE_HEADER_LEN);
    if (!p)
        return E4_ERR_PUBKEY_NOT_FOUND;
    err = pq ? e4_pq_pk_unprotect(t->key, p->pk, p->pk + E4_ED25519_PK_LEN, in, in_len, out,
                                  out_len, now, s->clock_skew)
             : e4_fips_pk_unprotect(t->key, p->pk, in, in_len, out, out_len, now, s->clock_skew);
    if (err == E4_ERR_NOT_AUTHENTIC && (err = old_key_usable(t, now)) == E4_OK)
        err = pq ? e4i_pq_pk_decrypt(t->old_key, in, in_len, out, out_len)
                 : e4i_fips_pk_decrypt(t->old_key, in, in_len, out, out_len);
    return err;
}

/* The data-message opener of the state's suite. */
static e4_err open_message(e4_state *s, const topic_slot *t, const uint8_t *in, size_t in_len,
                           uint8_t *out, size_t out_cap, size_t *out_len, uint64_t now)
{
    switch (s->suite) {
    case E4_SUITE_FIPS_SK: return open_fips_sk(s, t, in, in_len, out, out_cap, out_len, now);
    case E4_SUITE_FIPS_PK:
    case E4_SUITE_PQ_PK: return open_suite_pk(s, t, in, in_len, out, out_cap, out_len, now);
    default: return open_base(s, t, in, in_len, out, out_cap, out_len, now);
    }
}

/* A base message carries no marker, so a base state cannot refuse a suite's
 * message up front; but once one fails the base checks, a message that
 * starts with a suite header is reported as what it is: of another suite.
 * Only failures are renamed, so no valid base message is ever refused. */
static e4_err base_failure(const e4_state *s, const uint8_t *in, size_t in_len, e4_err err)
{
    if (err >= E4_OK || s->suite != E4_SUITE_BASE || in_len < E4_SUITE_HEADER_LEN ||
        in[0] != E4_SUITE_MAGIC)
        return err;
    switch (in[1]) {
    case E4_SUITE_FIPS_SK:
    case E4_SUITE_FIPS_PK:
    case E4_SUITE_PQ_PK: return E4_ERR_WRONG_SUITE;
    default: return err;
    }
}

e4_err e4_unprotect_hashed(e4_state *s, const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                           const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                           size_t *out_len, uint64_t now)
{
    if (!s || !topic_hash || !out || !out_len || (!in && in_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (memcmp(topic_hash, s->control_hash, E4_TOPIC_HASH_LEN) == 0)
        return s->suite == E4_SUITE_PQ_PK
                   ? unprotect_pq_control(s, in, in_len, out, out_cap, out_len, now)
                   : base_failure(s, in, in_len,
                                  unprotect_command(s, in, in_len, out, out_cap, out_len, now));

    const topic_slot *t = e4i_topic_find(s, topic_hash);
    if (!t)
        return E4_ERR_TOPIC_KEY_NOT_FOUND;
    e4_err err =
        base_failure(s, in, in_len, open_message(s, t, in, in_len, out, out_cap, out_len, now));
    const int suite = s->suite != E4_SUITE_BASE;
    if (err == E4_OK && !s->data_replay_off &&
        replayed(s, in, in_len, e4i_load64le(suite ? in + 2 : in))) {
        e4c_wipe(out, *out_len);
        *out_len = 0;
        err = E4_ERR_REPLAYED;
    }
    return err;
}

e4_err e4_unprotect(e4_state *s, const char *topic, const uint8_t *in, size_t in_len, uint8_t *out,
                    size_t out_cap, size_t *out_len, uint64_t now)
{
    uint8_t hash[E4_TOPIC_HASH_LEN];
    e4_err err = e4_hash_topic(hash, topic);
    return err ? err : e4_unprotect_hashed(s, hash, in, in_len, out, out_cap, out_len, now);
}
