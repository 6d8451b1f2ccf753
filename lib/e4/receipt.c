/*
 * Receipts, the e4-sync extension version 1: APPLIED and STATE messages a
 * device sends on "<control topic>/receipts", protected like an SK message
 * under R = SHA3-256("e4-receipt-v1" || command key).
 *
 * The device side never allocates: a STATE is written straight into the
 * caller's output buffer at the place its ciphertext will take, sorted
 * there, and sealed in place (crypto.h allows exactly that overlap).
 */
#include <e4/receipt.h>

#include "internal.h"

#define RECEIPT_LABEL "e4-receipt-v1"
#define CHECK_LABEL "e4-check-v1"
#define HEADER_LEN 3 /* magic || version || kind */
#define APPLIED_PLAIN_LEN (HEADER_LEN + E4_DIGEST_LEN + 1)
#define NAME_LEN 16 /* topic hash or pubkey id: the sort key */

/* ---- keys, checks, digests ------------------------------------------------ */

e4_err e4_receipt_key(uint8_t rkey[E4_KEY_LEN], const uint8_t cmd_key[E4_KEY_LEN])
{
    if (!rkey || !cmd_key)
        return E4_ERR_INVALID_ARGUMENT;
    if (e4c_init() != 0)
        return E4_ERR_CRYPTO;
    e4c_sha3_256_cat(rkey, RECEIPT_LABEL, sizeof RECEIPT_LABEL - 1, cmd_key, E4_KEY_LEN);
    return E4_OK;
}

e4_err e4_key_check(uint8_t check[E4_CHECK_LEN], const uint8_t *x, size_t len)
{
    if (!check || (!x && len))
        return E4_ERR_INVALID_ARGUMENT;
    if (e4c_init() != 0)
        return E4_ERR_CRYPTO;
    uint8_t full[32];
    e4c_sha3_256_cat(full, CHECK_LABEL, sizeof CHECK_LABEL - 1, x, len);
    memcpy(check, full, E4_CHECK_LEN);
    e4c_wipe(full, sizeof full);
    return E4_OK;
}

e4_err e4_command_digest(uint8_t digest[E4_DIGEST_LEN], const uint8_t *cmd, size_t len)
{
    if (!digest || (!cmd && len))
        return E4_ERR_INVALID_ARGUMENT;
    if (e4c_init() != 0)
        return E4_ERR_CRYPTO;
    e4i_hash16(digest, cmd, len);
    return E4_OK;
}

e4_err e4_receipt_topic(char *buf, size_t cap, const char *control_topic)
{
    if (!buf || !control_topic)
        return E4_ERR_INVALID_ARGUMENT;
    size_t n = strlen(control_topic);
    if (n == 0 || n > E4_CONTROL_TOPIC_MAX)
        return E4_ERR_INVALID_TOPIC;
    if (cap < n + sizeof E4_RECEIPT_SUFFIX)
        return E4_ERR_BUFFER_TOO_SMALL;
    memcpy(buf, control_topic, n);
    memcpy(buf + n, E4_RECEIPT_SUFFIX, sizeof E4_RECEIPT_SUFFIX);
    return E4_OK;
}

/* On the control topic, e4_unprotect_hashed checks in this order: arguments
 * and output size, length, timestamp window, authenticity (SIV under the
 * command key), replay; only then does e4i_command_apply run, whose every
 * failure (opcode, argument length, mode, key validity, capacity, unknown
 * public key to remove, storage) is a refusal of an authentic command.
 * PUBKEY_NOT_FOUND is a pre-authentication error on data topics only; a
 * command never meets it before authenticating. */
int e4_err_is_refusal(e4_err err)
{
    switch (err) {
    case E4_ERR_INVALID_COMMAND:
    case E4_ERR_INVALID_ARG_LENGTH:
    case E4_ERR_UNSUPPORTED_COMMAND:
    case E4_ERR_TOPICS_FULL:
    case E4_ERR_PUBKEYS_FULL:
    case E4_ERR_PUBKEY_NOT_FOUND:
    case E4_ERR_ZERO_KEY:
    case E4_ERR_INVALID_KEY:
    case E4_ERR_STORAGE_IO:
    case E4_ERR_STORAGE_CORRUPT:
    case E4_ERR_STORAGE_VERSION:
    case E4_ERR_STORAGE_CAPACITY:
    case E4_ERR_CRYPTO: return 1;
    default: return 0;
    }
}

/* ---- device side ---------------------------------------------------------- */

/* SK-protect plain (plain_len bytes, possibly at out + 24: in place) under
 * the receipt key of cmd_key. */
static e4_err seal(const uint8_t cmd_key[E4_KEY_LEN], const uint8_t *plain, size_t plain_len,
                   uint8_t *out, uint64_t now)
{
    uint8_t rkey[E4_KEY_LEN];
    e4_err err = e4_receipt_key(rkey, cmd_key);
    if (err == E4_OK)
        err = e4_sk_protect(rkey, now, plain, plain_len, out);
    /* R's expanded schedule stays in the backend's small per-thread cache
     * like any key in use (e4c_siv_forget would flush every thread's cache
     * at each receipt); this copy goes. */
    e4c_wipe(rkey, sizeof rkey);
    return err;
}

e4_err e4_receipt_applied(const e4_state *s, const uint8_t *cmd, size_t cmd_len, e4_err result,
                          uint8_t out[E4_RECEIPT_APPLIED_LEN], uint64_t now)
{
    if (!s || !out || (!cmd && cmd_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (result != E4_COMMAND && !e4_err_is_refusal(result))
        return E4_ERR_INVALID_ARGUMENT;
    uint8_t plain[APPLIED_PLAIN_LEN] = {E4_RECEIPT_MAGIC, E4_RECEIPT_VERSION, E4_RECEIPT_APPLIED};
    e4_err err = e4_command_digest(plain + HEADER_LEN, cmd, cmd_len);
    if (err)
        return err;
    plain[HEADER_LEN + E4_DIGEST_LEN] = result == E4_COMMAND ? 0 : (uint8_t)(-(int)result);
    return seal(s->cmd_key, plain, sizeof plain, out, now);
}

/* ---- STATE: entries, sorted in place ------------------------------------- */

static void swap_entries(uint8_t *a, uint8_t *b)
{
    uint8_t t[E4_RECEIPT_ENTRY_LEN];
    memcpy(t, a, sizeof t);
    memcpy(a, b, sizeof t);
    memcpy(b, t, sizeof t);
}

static uint8_t *entry(uint8_t *base, size_t i)
{
    return base + i * E4_RECEIPT_ENTRY_LEN;
}

/* Heap sift-down over n 24-byte entries keyed by their first 16 bytes
 * (hashes and ids: public, so memcmp is fine). */
static void sift_down(uint8_t *base, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && memcmp(entry(base, child + 1), entry(base, child), NAME_LEN) > 0)
            child++;
        if (memcmp(entry(base, root), entry(base, child), NAME_LEN) >= 0)
            return;
        swap_entries(entry(base, root), entry(base, child));
        root = child;
    }
}

/* Heapsort: O(n log n) with no memory beyond one entry, for states of
 * 10,000+ topics on a device without heap. */
static void sort_entries(uint8_t *base, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(base, i, n);
    for (size_t end = n; end-- > 1;) {
        swap_entries(entry(base, 0), entry(base, end));
        sift_down(base, 0, end);
    }
}

/* 1 when sorted entries are strictly ascending (no duplicate name). */
static int strictly_ascending(const uint8_t *base, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (memcmp(base + (i - 1) * E4_RECEIPT_ENTRY_LEN, base + i * E4_RECEIPT_ENTRY_LEN,
                   NAME_LEN) >= 0)
            return 0;
    return 1;
}

static void store32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t load32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* name(16) || check(key) at p. */
static e4_err put_entry(uint8_t *p, const uint8_t *name, const uint8_t *key, size_t key_len)
{
    memcpy(p, name, NAME_LEN);
    return e4_key_check(p + NAME_LEN, key, key_len);
}

/* check(C2's public key: X25519 in base, the suite's otherwise), or 8 zero
 * bytes in SK mode (c2_pk NULL). */
static e4_err put_c2_check(uint8_t *p, const uint8_t *c2_pk, size_t c2_len)
{
    if (c2_pk)
        return e4_key_check(p, c2_pk, c2_len);
    memset(p, 0, E4_CHECK_LEN);
    return E4_OK;
}

/* The plaintext length of a STATE, or 0 when it would not fit a size_t. */
static size_t plain_len_of(uint32_t nt, uint32_t np)
{
    const size_t fixed = E4_RECEIPT_STATE_PLAIN_LEN(0, 0);
    if ((SIZE_MAX - fixed - E4_SK_OVERHEAD) / E4_RECEIPT_ENTRY_LEN / 2 < (size_t)nt ||
        (SIZE_MAX - fixed - E4_SK_OVERHEAD) / E4_RECEIPT_ENTRY_LEN / 2 < (size_t)np)
        return 0;
    return E4_RECEIPT_STATE_PLAIN_LEN(nt, np);
}

/* The STATE plaintext of s at p (plain_len_of bytes). */
static e4_err state_plain(const e4_state *s, uint8_t *p)
{
    e4_err err = E4_OK;
    p[0] = E4_RECEIPT_MAGIC;
    p[1] = E4_RECEIPT_VERSION;
    p[2] = E4_RECEIPT_STATE;
    p += HEADER_LEN;
    store32le(p, s->ntopics);
    p += 4;
    for (uint32_t i = 0; i < s->ntopics && !err; i++)
        err = put_entry(entry(p, i), s->topics[i].hash, s->topics[i].key, E4_KEY_LEN);
    sort_entries(p, s->ntopics);
    p += (size_t)s->ntopics * E4_RECEIPT_ENTRY_LEN;
    store32le(p, s->npubkeys);
    p += 4;
    for (uint32_t i = 0; i < s->npubkeys && !err; i++)
        err = put_entry(entry(p, i), e4i_pubkey_slot(s, i)->id, e4i_pubkey_slot(s, i)->pk,
                        e4i_pubkey_len(s));
    sort_entries(p, s->npubkeys);
    p += (size_t)s->npubkeys * E4_RECEIPT_ENTRY_LEN;
    return err ? err
               : put_c2_check(p, s->mode == E4_MODE_PK ? e4i_c2_key(s) : NULL, e4i_c2_key_len(s));
}

size_t e4_receipt_state_len(const e4_state *s)
{
    return s ? E4_SK_OVERHEAD + plain_len_of(s->ntopics, s->npubkeys) : 0;
}

e4_err e4_receipt_state(const e4_state *s, uint8_t *out, size_t out_cap, size_t *out_len,
                        uint64_t now)
{
    if (!s || !out || !out_len)
        return E4_ERR_INVALID_ARGUMENT;
    size_t n = plain_len_of(s->ntopics, s->npubkeys);
    if (n == 0)
        return E4_ERR_INVALID_ARGUMENT;
    if (out_cap < n + E4_SK_OVERHEAD)
        return E4_ERR_BUFFER_TOO_SMALL;
    /* The plaintext goes where its ciphertext will be and is sealed in place. */
    uint8_t *plain = out + E4_SK_OVERHEAD;
    e4_err err = state_plain(s, plain);
    if (err == E4_OK)
        err = seal(s->cmd_key, plain, n, out, now);
    if (err != E4_OK) {
        e4c_wipe(out, n + E4_SK_OVERHEAD);
        return err;
    }
    *out_len = n + E4_SK_OVERHEAD;
    return E4_OK;
}

/* ---- C2 side ---------------------------------------------------------------- */

/* A section "count(4) || count x entry" at plain[*off..len): its count and
 * entries, *off moved past it. */
static e4_err parse_section(const uint8_t *plain, size_t len, size_t *off, uint32_t *count,
                            const uint8_t **entries)
{
    if (len - *off < 4)
        return E4_ERR_RECEIPT_LENGTH;
    uint32_t n = load32le(plain + *off);
    *off += 4;
    /* compared by division: n x 24 may not fit a size_t */
    if ((len - *off) / E4_RECEIPT_ENTRY_LEN < n)
        return E4_ERR_RECEIPT_LENGTH;
    *count = n;
    *entries = plain + *off;
    *off += (size_t)n * E4_RECEIPT_ENTRY_LEN;
    return E4_OK;
}

/* Sizes first (a wrong count is a length error even when the misread
 * entries also happen to be out of order), then the order. */
static e4_err parse_state(e4_receipt *r, const uint8_t *plain, size_t len)
{
    size_t off = HEADER_LEN;
    e4_err err = parse_section(plain, len, &off, &r->ntopics, &r->topics);
    if (err == E4_OK)
        err = parse_section(plain, len, &off, &r->npubkeys, &r->pubkeys);
    if (err == E4_OK && len - off != E4_CHECK_LEN)
        err = E4_ERR_RECEIPT_LENGTH;
    if (err == E4_OK && (!strictly_ascending(r->topics, r->ntopics) ||
                         !strictly_ascending(r->pubkeys, r->npubkeys)))
        err = E4_ERR_RECEIPT_ORDER;
    if (err == E4_OK)
        r->c2_check = plain + off;
    return err;
}

e4_err e4_receipt_parse(e4_receipt *r, const uint8_t *plain, size_t len)
{
    if (!r || (!plain && len))
        return E4_ERR_INVALID_ARGUMENT;
    memset(r, 0, sizeof *r);
    if (len >= 1 && plain[0] != E4_RECEIPT_MAGIC)
        return E4_ERR_RECEIPT_MAGIC;
    if (len >= 2 && plain[1] != E4_RECEIPT_VERSION)
        return E4_ERR_RECEIPT_VERSION;
    if (len >= 3 && plain[2] != E4_RECEIPT_APPLIED && plain[2] != E4_RECEIPT_STATE)
        return E4_ERR_RECEIPT_KIND;
    if (len < HEADER_LEN)
        return E4_ERR_RECEIPT_LENGTH;
    r->kind = (e4_receipt_kind)plain[2];
    r->plain = plain;
    r->plain_len = len;
    if (r->kind == E4_RECEIPT_STATE)
        return parse_state(r, plain, len);
    if (len != APPLIED_PLAIN_LEN)
        return E4_ERR_RECEIPT_LENGTH;
    memcpy(r->digest, plain + HEADER_LEN, E4_DIGEST_LEN);
    r->result = plain[HEADER_LEN + E4_DIGEST_LEN];
    return E4_OK;
}

e4_err e4_receipt_open(e4_receipt *r, uint8_t *plain, size_t plain_cap,
                       const uint8_t rkey[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                       uint64_t now, uint32_t skew)
{
    if (!r || !plain || !rkey || (!in && in_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (in_len <= E4_SK_OVERHEAD)
        return E4_ERR_TOO_SHORT;
    if (plain_cap < in_len - E4_SK_OVERHEAD)
        return E4_ERR_BUFFER_TOO_SMALL;
    size_t n;
    e4_err err = e4_sk_unprotect(rkey, in, in_len, plain, &n, now, skew);
    if (err == E4_OK)
        err = e4_receipt_parse(r, plain, n);
    if (err == E4_OK)
        r->ts = e4i_load64le(in);
    return err;
}

/* One section of an expected STATE at p: count, entries, sorted; distinct
 * names required (a device holds one key per topic, per signer). */
static e4_err expected_section(uint8_t *p, const void *items, size_t item_size, size_t key_off,
                               size_t key_len, uint32_t n)
{
    store32le(p, n);
    p += 4;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *item = (const uint8_t *)items + (size_t)i * item_size;
        e4_err err = put_entry(entry(p, i), item, item + key_off, key_len);
        if (err)
            return err;
    }
    sort_entries(p, n);
    return strictly_ascending(p, n) ? E4_OK : E4_ERR_INVALID_ARGUMENT;
}

e4_err e4_receipt_state_expected(uint8_t *out, size_t out_cap, size_t *out_len,
                                 const e4_topic_key *topics, uint32_t ntopics,
                                 const e4_peer_key *pubkeys, uint32_t npubkeys,
                                 const uint8_t *c2_pk)
{
    if (!out || !out_len || (!topics && ntopics) || (!pubkeys && npubkeys) || (!c2_pk && npubkeys))
        return E4_ERR_INVALID_ARGUMENT;
    size_t n = plain_len_of(ntopics, npubkeys);
    if (n == 0)
        return E4_ERR_INVALID_ARGUMENT;
    if (out_cap < n)
        return E4_ERR_BUFFER_TOO_SMALL;
    uint8_t *p = out;
    *p++ = E4_RECEIPT_MAGIC;
    *p++ = E4_RECEIPT_VERSION;
    *p++ = E4_RECEIPT_STATE;
    e4_err err = expected_section(p, topics, sizeof *topics, offsetof(e4_topic_key, key),
                                  E4_KEY_LEN, ntopics);
    p += 4 + (size_t)ntopics * E4_RECEIPT_ENTRY_LEN;
    if (err == E4_OK)
        err = expected_section(p, pubkeys, sizeof *pubkeys, offsetof(e4_peer_key, pk),
                               E4_ED25519_PK_LEN, npubkeys);
    p += 4 + (size_t)npubkeys * E4_RECEIPT_ENTRY_LEN;
    if (err == E4_OK)
        err = put_c2_check(p, c2_pk, E4_X25519_LEN);
    if (err == E4_OK)
        *out_len = n;
    return err;
}
