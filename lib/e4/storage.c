/*
 * Durable state: the serialized format, saving (optionally with a pending
 * edit applied on the fly) and loading. The atomic file store, which needs
 * POSIX, is in hosted/file_store.c.
 *
 * Format version 3, all integers little-endian:
 *
 *   "E4ST" | version u8 | mode u8 | control_topic_len u8 | suite u8
 *   id(16) | key(64) | c2_pk(32) | clock_skew u32
 *   control_topic(control_topic_len)
 *   suite keys                                          (fips-pk, pq-pk only)
 *   ntopics u32  | ntopics x (hash(16) key(32) old_key(32) old_ts u64)
 *   npubkeys u32 | npubkeys x (id(16) pk(32; fips-pk 33; pq-pk 1,984))
 *   ncommands u32 | ncommands x (tag(16) ts u64)       (version 2 and later)
 *   crc32 u32 of everything before it
 *
 * The suite keys: fips-pk: C2's agreement key(33); pq-pk: mldsa_seed(32)
 * xwing_seed(32) c2_ed25519_pk(32) c2_mldsa_pk(1952) K_epoch(32)
 * previous K(32) epoch u32 previous epoch u32 previous-since u64 has_key u8
 * has_previous u8. In these suites key's first 64 bytes are the P-256
 * signing || agreement scalars (fips-pk) or the Ed25519 key (pq-pk), and
 * c2_pk is zero.
 *
 * The commands are the C2 commands the replay cache remembers as applied
 * (with the one being saved): reloaded into the cache, they keep a replayed
 * command refused after a restart. Bit 62 of a command's ts says it sat in
 * its second bucket of the cache, where a reload puts it back (so the cache
 * holds the same commands after any number of restarts). Versions 1 (no commands) and 2 (suite
 * byte reserved, 0: the base suite) still load.
 *
 * The CRC detects truncation and corruption (with the counts, which must
 * match the bytes); a damaged store loads as an error, never as a state.
 */
#include "internal.h"

#define FORMAT_VERSION 3
#define FORMAT_VERSION_V2 2 /* the suite byte reserved (0, base) */
#define FORMAT_VERSION_V1 1 /* without the commands */
#define TOPIC_RECORD 88
#define PUBKEY_RECORD 48
#define REPLAY_SECOND (UINT64_C(1) << 62) /* in a saved command's ts: its second bucket */

/* CRC-32 (IEEE), with a 16-entry table: small enough for any device. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    static const uint32_t t[16] = {0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
                                   0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
                                   0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
                                   0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c};
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc = (crc >> 4) ^ t[(crc ^ p[i]) & 15];
        crc = (crc >> 4) ^ t[(crc ^ (p[i] >> 4)) & 15];
    }
    return ~crc;
}

/* ---- writing ---------------------------------------------------------------- */

typedef struct writer {
    const e4_storage *st;
    uint8_t buf[512];
    size_t used;
    uint32_t crc;
    int failed;
} writer;

static void w_flush(writer *w)
{
    if (!w->failed && w->used && w->st->write(w->st->ctx, w->buf, w->used) != 0)
        w->failed = 1;
    w->used = 0;
}

static void w_put(writer *w, const void *data, size_t n)
{
    const uint8_t *p = data;
    w->crc = crc32_update(w->crc, p, n);
    while (n) {
        size_t k = sizeof w->buf - w->used < n ? sizeof w->buf - w->used : n;
        memcpy(w->buf + w->used, p, k);
        w->used += k;
        p += k;
        n -= k;
        if (w->used == sizeof w->buf)
            w_flush(w);
    }
}

static void w_u32(writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    w_put(w, b, 4);
}

static void w_topic(writer *w, const uint8_t *hash, const uint8_t *key, const uint8_t *old_key,
                    uint64_t old_ts)
{
    static const uint8_t zero[E4_KEY_LEN];
    uint8_t ts[8];
    e4i_store64le(ts, old_ts);
    w_put(w, hash, E4_TOPIC_HASH_LEN);
    w_put(w, key, E4_KEY_LEN);
    w_put(w, old_ts == NO_OLD_KEY ? zero : old_key, E4_KEY_LEN);
    w_put(w, ts, 8);
}

/* fips-pk and pq-pk: keys beyond the fixed fields, wider public keys. */
static int wide(const e4_state *s)
{
    return s->suite == E4_SUITE_FIPS_PK || s->suite == E4_SUITE_PQ_PK;
}

static int is(const e4i_edit *e, e4i_edit_op op)
{
    return e && e->op == op;
}

static int is_command_entry(const replay_slot *r)
{
    return r->ts != REPLAY_EMPTY && (r->ts & REPLAY_COMMAND);
}

/* The applied commands in the replay cache, then the one being saved. */
static void w_commands(writer *w, const e4_state *s, const e4i_edit *e)
{
    uint32_t n = e && e->cmd_tag ? 1 : 0;
    uint8_t ts[8];
    for (size_t i = 0; i < e4i_replay_slots(s); i++)
        n += (uint32_t)is_command_entry(&s->replay[i]);
    w_u32(w, n);
    for (size_t i = 0; i < e4i_replay_slots(s); i++) {
        if (!is_command_entry(&s->replay[i]))
            continue;
        uint64_t second = e4i_replay_in_second(s, i) ? REPLAY_SECOND : 0;
        e4i_store64le(ts, (s->replay[i].ts & ~REPLAY_COMMAND) | second);
        w_put(w, s->replay[i].tag, E4_TAG_LEN);
        w_put(w, ts, 8);
    }
    if (e && e->cmd_tag) {
        e4i_store64le(ts, e->cmd_ts);
        w_put(w, e->cmd_tag, E4_TAG_LEN);
        w_put(w, ts, 8);
    }
}

static void w_identity(writer *w, const e4_state *s, const e4i_edit *e)
{
    uint8_t head[8] = {'E', '4', 'S', 'T', FORMAT_VERSION, s->mode, s->control_topic_len, s->suite};
    w_put(w, head, sizeof head);
    w_put(w, s->id, E4_ID_LEN);
    if (is(e, EDIT_ID_KEY)) {
        uint8_t key[E4_ED25519_SK_LEN] = {0};
        memcpy(key, e->key, s->mode == E4_MODE_PK ? E4_ED25519_SK_LEN : E4_KEY_LEN);
        w_put(w, key, sizeof key);
        e4c_wipe(key, sizeof key);
    } else {
        w_put(w, s->key, sizeof s->key);
    }
    w_put(w, is(e, EDIT_C2_KEY) && !wide(s) ? e->key : s->c2_pk, E4_X25519_LEN);
    w_u32(w, s->clock_skew);
    w_put(w, s->control_topic, s->control_topic_len);
}

static void w_u64(writer *w, uint64_t v)
{
    uint8_t b[8];
    e4i_store64le(b, v);
    w_put(w, b, 8);
}

/* pq-pk's epochs, as they will be after the edit. */
static void w_pq_epochs(writer *w, const e4_state *s, const e4i_edit *e)
{
    const pq_keys *pq = e4i_pq(s);
    if (!is(e, EDIT_EPOCH)) {
        w_put(w, s->cmd_key, E4_KEY_LEN);
        w_put(w, pq->prev_key, E4_KEY_LEN);
        w_u32(w, pq->epoch);
        w_u32(w, pq->prev_epoch);
        w_u64(w, pq->prev_since);
        w_put(w, (uint8_t[2]){pq->has_key, pq->has_prev}, 2);
        return;
    }
    w_put(w, e->key, E4_KEY_LEN);
    w_put(w, pq->has_key ? s->cmd_key : pq->prev_key, E4_KEY_LEN);
    w_u32(w, e->epoch);
    w_u32(w, pq->has_key ? pq->epoch : pq->prev_epoch);
    w_u64(w, pq->has_key ? e->now : pq->prev_since);
    w_put(w, (uint8_t[2]){1, (uint8_t)(pq->has_key | pq->has_prev)}, 2);
}

static void w_suite_keys(writer *w, const e4_state *s, const e4i_edit *e)
{
    const uint8_t *c2 = is(e, EDIT_C2_KEY) ? e->key : e4i_c2_key(s);
    if (s->suite == E4_SUITE_PQ_PK) {
        const size_t head = E4_ED25519_SK_LEN, seeds = E4_MLDSA65_SEED_LEN + E4_XWING_SEED_LEN;
        w_put(w, is(e, EDIT_ID_KEY) ? e->key + head : e4i_pq(s)->mldsa_seed, seeds);
        w_put(w, c2, e4i_c2_key_len(s));
        w_pq_epochs(w, s, e);
    } else if (s->suite == E4_SUITE_FIPS_PK) {
        w_put(w, c2, e4i_c2_key_len(s));
    }
}

/* A table's count after a reset, an addition or a removal (or none). */
static uint32_t count_after(uint32_t n, int reset, int added, int removed)
{
    return reset ? 0 : added ? n + 1 : removed ? n - 1 : n;
}

/* Topics, as they will be after the edit. */
static void w_topics(writer *w, const e4_state *s, const e4i_edit *e)
{
    const topic_slot *edited =
        (is(e, EDIT_TOPIC_SET) || is(e, EDIT_TOPIC_REMOVE)) ? e4i_topic_find(s, e->hash) : NULL;
    w_u32(w, count_after(s->ntopics, is(e, EDIT_TOPICS_RESET), is(e, EDIT_TOPIC_SET) && !edited,
                         is(e, EDIT_TOPIC_REMOVE) && edited));
    for (uint32_t i = 0; i < s->ntopics && !is(e, EDIT_TOPICS_RESET); i++) {
        const topic_slot *t = &s->topics[i];
        if (t != edited)
            w_topic(w, t->hash, t->key, t->old_key, t->old_ts);
        else if (is(e, EDIT_TOPIC_SET))
            w_topic(w, t->hash, e->key, t->key, e->now);
    }
    if (is(e, EDIT_TOPIC_SET) && !edited)
        w_topic(w, e->hash, e->key, NULL, NO_OLD_KEY);
}

/* Public keys, likewise. */
static void w_pubkeys(writer *w, const e4_state *s, const e4i_edit *e)
{
    const pubkey_slot *pedited =
        (is(e, EDIT_PUBKEY_SET) || is(e, EDIT_PUBKEY_REMOVE)) ? e4i_pubkey_find(s, e->hash) : NULL;
    w_u32(w, count_after(s->npubkeys, is(e, EDIT_PUBKEYS_RESET), is(e, EDIT_PUBKEY_SET) && !pedited,
                         is(e, EDIT_PUBKEY_REMOVE) && pedited));
    for (uint32_t i = 0; i < s->npubkeys && !is(e, EDIT_PUBKEYS_RESET); i++) {
        const pubkey_slot *p = e4i_pubkey_slot(s, i);
        if (p == pedited && is(e, EDIT_PUBKEY_REMOVE))
            continue;
        w_put(w, p->id, E4_ID_LEN);
        w_put(w, p == pedited ? e->key : p->pk, e4i_pubkey_len(s));
    }
    if (is(e, EDIT_PUBKEY_SET) && !pedited) {
        w_put(w, e->hash, E4_ID_LEN);
        w_put(w, e->key, e4i_pubkey_len(s));
    }
}

static e4_err write_state(const e4_state *s, const e4i_edit *e, const e4_storage *st)
{
    writer *w = &(writer){.st = st};
    w_identity(w, s, e);
    w_suite_keys(w, s, e);
    w_topics(w, s, e);
    w_pubkeys(w, s, e);
    w_commands(w, s, e);
    w_u32(w, w->crc);
    w_flush(w);
    e4c_wipe(w->buf, sizeof w->buf);
    return w->failed ? E4_ERR_STORAGE_IO : E4_OK;
}

static e4_err save(const e4_state *s, const e4i_edit *e, const e4_storage *st)
{
    if (!st || !st->begin || !st->write || !st->commit)
        return E4_ERR_INVALID_ARGUMENT;
    if (st->begin(st->ctx) != 0)
        return E4_ERR_STORAGE_IO;
    e4_err err = write_state(s, e, st);
    if (err == E4_OK && st->commit(st->ctx) != 0)
        err = E4_ERR_STORAGE_IO;
    if (err != E4_OK && st->abort)
        st->abort(st->ctx);
    return err;
}

e4_err e4i_persist(const e4_state *s, const e4i_edit *edit)
{
    return save(s, edit, s->storage);
}

e4_err e4_state_save(const e4_state *s, const e4_storage *storage)
{
    if (!s || s->magic != E4_STATE_MAGIC)
        return E4_ERR_INVALID_ARGUMENT;
    return save(s, NULL, storage);
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct reader {
    const e4_storage *st;
    uint32_t crc;
    e4_err err;
} reader;

static int r_get(reader *r, void *data, size_t n)
{
    uint8_t *p = data;
    size_t got = 0;
    while (!r->err && got < n) {
        long k = r->st->read(r->st->ctx, p + got, n - got);
        if (k < 0)
            r->err = E4_ERR_STORAGE_IO;
        else if (k == 0)
            r->err = E4_ERR_STORAGE_CORRUPT; /* truncated */
        else
            got += (size_t)k;
    }
    if (r->err)
        return -1;
    r->crc = crc32_update(r->crc, p, n);
    return 0;
}

static uint32_t r_u32(reader *r)
{
    uint8_t b[4] = {0};
    r_get(r, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Reads n records of rec_len bytes; adds them through add() while they fit,
 * else only reads them (checksummed) so that the CRC still decides whether
 * the store is damaged or merely too big. */
typedef e4_err (*record_fn)(e4_state *s, const uint8_t *rec);

static e4_err read_records(e4_state *s, reader *r, uint32_t n, uint32_t cap, size_t rec_len,
                           record_fn add, int *over_capacity)
{
    uint8_t rec[TOPIC_RECORD];
    e4_err err = E4_OK;
    if (n > cap)
        *over_capacity = 1;
    for (uint32_t i = 0; i < n && err == E4_OK; i++) {
        if (r_get(r, rec, rec_len))
            err = r->err;
        else if (!*over_capacity)
            err = add(s, rec);
    }
    e4c_wipe(rec, sizeof rec); /* on every path: records hold topic keys */
    return err;
}

/* Every record must be one the library could have written. */
static e4_err add_topic(e4_state *s, const uint8_t *rec)
{
    uint32_t before = s->ntopics;
    topic_slot *t = e4i_topic_add(s, rec);
    uint64_t old_ts = e4i_load64le(rec + 80);
    if (!t || s->ntopics == before || e4i_is_zero(rec + 16, E4_KEY_LEN) ||
        (old_ts == NO_OLD_KEY) != e4i_is_zero(rec + 48, E4_KEY_LEN))
        return E4_ERR_STORAGE_CORRUPT; /* duplicate, zero key, inconsistent old key */
    memcpy(t->key, rec + 16, E4_KEY_LEN);
    memcpy(t->old_key, rec + 48, E4_KEY_LEN);
    t->old_ts = old_ts;
    return E4_OK;
}

static e4_err add_pubkey(e4_state *s, const uint8_t *rec)
{
    uint32_t before = s->npubkeys;
    pubkey_slot *p = e4i_pubkey_add(s, rec);
    if (!p || s->npubkeys == before || e4i_is_zero(rec + 16, E4_ED25519_PK_LEN))
        return E4_ERR_STORAGE_CORRUPT;
    memcpy(p->pk, rec + 16, E4_ED25519_PK_LEN);
    return E4_OK;
}

/* Version 2's applied commands, back into the replay cache (read and
 * checksummed, then dropped, when the cache is off). */
static e4_err read_commands(e4_state *s, reader *r)
{
    uint8_t rec[E4_TAG_LEN + 8];
    uint32_t n = r_u32(r);
    for (uint32_t i = 0; i < n && !r->err; i++) {
        if (r_get(r, rec, sizeof rec))
            break;
        uint64_t ts = e4i_load64le(rec + E4_TAG_LEN);
        if (ts & REPLAY_COMMAND)
            return E4_ERR_STORAGE_CORRUPT;
        e4i_replay_restore(s, rec, (ts & ~REPLAY_SECOND) | REPLAY_COMMAND, !!(ts & REPLAY_SECOND));
    }
    return r->err;
}

static int identity_valid(const e4_state *s)
{
    if (strlen(s->control_topic) != s->control_topic_len)
        return 0; /* a NUL inside the control topic */
    if (s->mode == E4_MODE_SK)
        return !e4i_is_zero(s->key, E4_KEY_LEN) && e4i_is_zero(s->key + E4_KEY_LEN, E4_KEY_LEN) &&
               e4i_is_zero(s->c2_pk, E4_X25519_LEN);
    if (s->suite == E4_SUITE_FIPS_PK)
        return !e4i_is_zero(s->key, E4_P256_SK_LEN) && !e4i_is_zero(s->key + 32, E4_P256_SK_LEN) &&
               e4i_is_zero(s->c2_pk, E4_X25519_LEN);
    if (s->suite == E4_SUITE_PQ_PK)
        return !e4i_is_zero(s->key, E4_ED25519_SK_LEN) && e4i_is_zero(s->c2_pk, E4_X25519_LEN);
    return !e4i_is_zero(s->key, E4_ED25519_SK_LEN) && !e4i_is_zero(s->c2_pk, E4_X25519_LEN);
}

/* The suites libe4 implements, each with its mode; before version 3 the
 * byte was reserved (0). */
static int suite_valid(uint8_t suite, uint8_t mode, uint8_t version)
{
    if (suite == E4_SUITE_BASE)
        return 1;
    if (version < FORMAT_VERSION)
        return 0;
    if (suite == E4_SUITE_FIPS_SK)
        return mode == E4_MODE_SK;
    return (suite == E4_SUITE_FIPS_PK || suite == E4_SUITE_PQ_PK) && mode == E4_MODE_PK;
}

/* The 8-byte head, checked; head[7] is the suite the layout needs. */
static e4_err read_head(reader *r, uint8_t head[8])
{
    if (r_get(r, head, 8))
        return r->err;
    if (memcmp(head, "E4ST", 4) != 0)
        return E4_ERR_STORAGE_CORRUPT;
    if (head[4] != FORMAT_VERSION && head[4] != FORMAT_VERSION_V2 && head[4] != FORMAT_VERSION_V1)
        return E4_ERR_STORAGE_VERSION;
    if ((head[5] != E4_MODE_SK && head[5] != E4_MODE_PK) || head[6] == 0 ||
        head[6] > E4_CONTROL_TOPIC_MAX || !suite_valid(head[7], head[5], head[4]))
        return E4_ERR_STORAGE_CORRUPT;
    return E4_OK;
}

static uint64_t r_u64(reader *r)
{
    uint8_t b[8] = {0};
    r_get(r, b, 8);
    return e4i_load64le(b);
}

/* fips-pk's and pq-pk's keys beyond the fixed fields. */
static e4_err read_suite_keys(e4_state *s, reader *r)
{
    if (!wide(s))
        return E4_OK;
    if (s->suite == E4_SUITE_PQ_PK)
        r_get(r, e4i_pq(s)->mldsa_seed, E4_MLDSA65_SEED_LEN + E4_XWING_SEED_LEN);
    r_get(r, e4i_c2_key(s), e4i_c2_key_len(s));
    int ok = !e4i_is_zero(e4i_c2_key(s), e4i_c2_key_len(s));
    if (s->suite == E4_SUITE_PQ_PK) {
        pq_keys *pq = e4i_pq(s);
        uint8_t flags[2] = {0};
        r_get(r, s->cmd_key, E4_KEY_LEN);
        r_get(r, pq->prev_key, E4_KEY_LEN);
        pq->epoch = r_u32(r);
        pq->prev_epoch = r_u32(r);
        pq->prev_since = r_u64(r);
        r_get(r, flags, 2);
        pq->has_key = flags[0];
        pq->has_prev = flags[1];
        ok = ok && flags[0] <= 1 && flags[1] <= 1 && !e4i_is_zero(pq->mldsa_seed, 32) &&
             !e4i_is_zero(pq->xwing_seed, 32) && flags[0] == !e4i_is_zero(s->cmd_key, 32);
    }
    if (r->err)
        return r->err;
    return ok ? E4_OK : E4_ERR_STORAGE_CORRUPT;
}

/* fips-pk's and pq-pk's public keys, read into their slots (a pq-pk record
 * is 2,000 bytes: no record buffer on the stack). */
static e4_err read_wide_pubkeys(e4_state *s, reader *r, uint32_t n, int *over)
{
    const size_t len = e4i_pubkey_len(s);
    uint8_t id[E4_ID_LEN], skip[64];
    if (n > s->limits.pubkeys)
        *over = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (r_get(r, id, sizeof id))
            return r->err;
        if (*over) { /* read (checksummed) and dropped */
            for (size_t k = 0; k < len; k += sizeof skip)
                if (r_get(r, skip, len - k < sizeof skip ? len - k : sizeof skip))
                    return r->err;
            continue;
        }
        uint32_t before = s->npubkeys;
        pubkey_slot *p = e4i_pubkey_add(s, id);
        if (!p || s->npubkeys == before)
            return E4_ERR_STORAGE_CORRUPT; /* a duplicate */
        if (r_get(r, p->pk, len))
            return r->err;
        if (e4i_is_zero(p->pk, E4_ED25519_PK_LEN))
            return E4_ERR_STORAGE_CORRUPT;
    }
    return E4_OK;
}

/* The identity after the head (read_head). */
static e4_err read_identity(e4_state *s, reader *r, const uint8_t head[8])
{
    s->mode = head[5];
    s->suite = head[7];
    s->control_topic_len = head[6];
    r_get(r, s->id, E4_ID_LEN);
    r_get(r, s->key, sizeof s->key);
    r_get(r, s->c2_pk, E4_X25519_LEN);
    s->clock_skew = r_u32(r);
    r_get(r, s->control_topic, s->control_topic_len);
    s->control_topic[s->control_topic_len] = 0;
    if (r->err)
        return r->err;
    return identity_valid(s) ? E4_OK : E4_ERR_STORAGE_CORRUPT;
}

/* Topics then public keys; *over is set when they exceed the limits. */
static e4_err read_keys(e4_state *s, reader *r, int *over)
{
    uint32_t pubkey_cap = s->mode == E4_MODE_PK ? s->limits.pubkeys : 0;
    uint32_t ntopics = r_u32(r);
    e4_err err = r->err
                     ? r->err
                     : read_records(s, r, ntopics, s->limits.topics, TOPIC_RECORD, add_topic, over);
    if (err)
        return err;
    uint32_t npubkeys = r_u32(r);
    if (r->err)
        return r->err;
    if (s->mode == E4_MODE_SK && npubkeys)
        return E4_ERR_STORAGE_CORRUPT;
    if (wide(s))
        return read_wide_pubkeys(s, r, npubkeys, over);
    return read_records(s, r, npubkeys, pubkey_cap, PUBKEY_RECORD, add_pubkey, over);
}

static e4_err read_state(e4_state *s, reader *r, const uint8_t head[8])
{
    const uint8_t version = head[4];
    int over = 0;
    e4_err err = read_identity(s, r, head);
    if (err == E4_OK)
        err = read_suite_keys(s, r);
    if (err == E4_OK)
        err = read_keys(s, r, &over);
    if (err == E4_OK && version >= FORMAT_VERSION_V2)
        err = read_commands(s, r);
    if (err)
        return err;
    uint32_t want = r->crc, crc = r_u32(r);
    if (r->err)
        return r->err;
    uint8_t extra;
    long k = r->st->read(r->st->ctx, &extra, 1);
    if (k < 0)
        return E4_ERR_STORAGE_IO;
    if (crc != want || k != 0)
        return E4_ERR_STORAGE_CORRUPT;
    return over ? E4_ERR_STORAGE_CAPACITY : E4_OK;
}

e4_err e4_state_load(e4_state **out, void *mem, size_t mem_len, const e4_limits *limits,
                     const e4_storage *storage)
{
    if (!out || !storage || !storage->read)
        return E4_ERR_INVALID_ARGUMENT;
    e4_state *s;
    e4_err err = e4i_layout(&s, mem, mem_len, limits, E4_SUITE_BASE);
    if (err)
        return err;
    reader r = {.st = storage};
    uint8_t head[8];
    size_t laid_out = e4_state_size(limits);
    err = read_head(&r, head);
    if (err == E4_OK && E4_SUITE_KEYS_SIZE(head[7])) { /* the suite's own layout */
        err = e4i_layout(&s, mem, mem_len, limits, (e4_suite)head[7]);
        laid_out = err ? laid_out : e4_state_size_suite((e4_suite)head[7], limits);
    }
    if (err == E4_OK)
        err = read_state(s, &r, head);
    if (err == E4_OK) {
        e4i_hash16(s->control_hash, s->control_topic, s->control_topic_len);
        err = e4i_derive_cmd_key(s);
    }
    if (storage->abort)
        storage->abort(storage->ctx); /* end of reading: release the source */
    if (err != E4_OK) {
        e4c_wipe(mem, laid_out);
        return err;
    }
    *out = s;
    return E4_OK;
}
