/*
 * The core state: creation in caller memory, the topic and public-key
 * tables, the replay cache, and local key changes.
 */
#include "crypto.h"
#include "internal.h"

#include <string.h>

_Static_assert(sizeof(struct e4_state) <= E4_STATE_HEADER_SIZE, "E4_STATE_HEADER_SIZE too small");
_Static_assert(E4_STATE_HEADER_SIZE % 8 == 0, "header keeps 8-byte alignment");
_Static_assert(sizeof(topic_slot) + 2 * sizeof(uint32_t) == E4_TOPIC_ENTRY_SIZE, "topic entry");
_Static_assert(sizeof(pubkey_slot) == E4_ID_LEN, "pubkey slot: id, then the key");
_Static_assert(sizeof(pq_keys) == E4_SUITE_KEYS_SIZE_PQ_PK, "pq-pk suite keys");
_Static_assert(E4_SUITE_KEYS_SIZE_FIPS_PK >= E4_P256_PK_LEN && E4_SUITE_KEYS_SIZE_FIPS_PK % 8 == 0,
               "fips-pk suite keys");
_Static_assert(sizeof(replay_slot) == E4_REPLAY_ENTRY_SIZE, "replay entry");

size_t e4_state_size(const e4_limits *l)
{
    return l ? E4_STATE_SIZE(l->topics, l->pubkeys, l->replay) : 0;
}

size_t e4_state_size_suite(e4_suite suite, const e4_limits *l)
{
    return l ? E4_STATE_SIZE_SUITE(suite, l->topics, l->pubkeys, l->replay) : 0;
}

/* ---- key sizes per suite ----------------------------------------------------- */

size_t e4i_id_key_len(const e4_state *s)
{
    switch (s->suite) {
    case E4_SUITE_FIPS_PK: return 2 * E4_P256_SK_LEN;
    case E4_SUITE_PQ_PK: return E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN + E4_XWING_SEED_LEN;
    default: return s->mode == E4_MODE_PK ? E4_ED25519_SK_LEN : E4_KEY_LEN;
    }
}

size_t e4i_c2_key_len(const e4_state *s)
{
    switch (s->suite) {
    case E4_SUITE_FIPS_PK: return E4_P256_PK_LEN;
    case E4_SUITE_PQ_PK: return E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN;
    default: return E4_X25519_LEN;
    }
}

size_t e4i_pubkey_len(const e4_state *s)
{
    switch (s->suite) {
    case E4_SUITE_FIPS_PK: return E4_P256_PK_LEN;
    case E4_SUITE_PQ_PK: return E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN;
    default: return E4_ED25519_PK_LEN;
    }
}

size_t e4i_pubkey_stride(const e4_state *s)
{
    return E4_PUBKEY_ENTRY_SIZE_OF(s->suite) - 2 * sizeof(uint32_t);
}

pubkey_slot *e4i_pubkey_slot(const e4_state *s, uint32_t i)
{
    return (pubkey_slot *)(void *)((uint8_t *)s->pubkeys + (size_t)i * e4i_pubkey_stride(s));
}

uint8_t *e4i_c2_key(const e4_state *s)
{
    switch (s->suite) {
    case E4_SUITE_FIPS_PK: return s->suite_keys;
    case E4_SUITE_PQ_PK: return e4i_pq(s)->c2_ed25519_pk;
    default: return (uint8_t *)s->c2_pk;
    }
}

/* ---- open-addressing index over 16-byte keys ----------------------------- */

typedef struct table {
    uint8_t *slots; /* each slot starts with its 16-byte key */
    size_t stride;
    uint32_t *index;
    uint32_t size; /* index words: 2 x capacity */
} table;

static uint32_t home(const uint8_t *key, uint32_t size)
{
    uint32_t x;
    memcpy(&x, key, sizeof x);
    return (uint32_t)(((uint64_t)x * size) >> 32);
}

static uint8_t *slot_at(const table *t, uint32_t i)
{
    return t->slots + (size_t)i * t->stride;
}

/* The index word holding key, or the empty word where it would go. The
 * index is never full (it has twice the slots), so the probe ends. */
static uint32_t *index_find(const table *t, const uint8_t key[16])
{
    uint32_t i = home(key, t->size);
    while (t->index[i] && memcmp(slot_at(t, t->index[i] - 1), key, 16) != 0)
        i = i + 1 == t->size ? 0 : i + 1;
    return &t->index[i];
}

/* Backward-shift deletion keeps every probe sequence unbroken. */
static void index_delete(const table *t, uint32_t *word)
{
    uint32_t i = (uint32_t)(word - t->index);
    for (uint32_t j = i + 1 == t->size ? 0 : i + 1; t->index[j]; j = j + 1 == t->size ? 0 : j + 1) {
        uint32_t h = home(slot_at(t, t->index[j] - 1), t->size);
        int movable = j > i ? (h <= i || h > j) : (h <= i && h > j);
        if (movable) {
            t->index[i] = t->index[j];
            i = j;
        }
    }
    t->index[i] = 0;
}

static uint8_t *table_find(const table *t, const uint8_t key[16])
{
    if (!t->size)
        return NULL;
    uint32_t w = *index_find(t, key);
    return w ? slot_at(t, w - 1) : NULL;
}

static uint8_t *table_add(const table *t, uint32_t *count, uint32_t cap, const uint8_t key[16])
{
    if (!t->size)
        return NULL;
    uint32_t *w = index_find(t, key);
    if (*w)
        return slot_at(t, *w - 1);
    if (*count >= cap)
        return NULL;
    uint8_t *slot = slot_at(t, *count);
    memset(slot, 0, t->stride);
    memcpy(slot, key, 16);
    *w = ++*count;
    return slot;
}

/* Removes a slot: the last slot moves into its place. */
static void table_remove(const table *t, uint32_t *count, uint8_t *slot)
{
    uint32_t i = (uint32_t)((slot - t->slots) / t->stride), last = *count - 1;
    index_delete(t, index_find(t, slot));
    if (i != last) {
        uint8_t *moved = slot_at(t, last);
        memcpy(slot, moved, t->stride);
        *index_find(t, moved) = i + 1; /* its word still names last + 1 */
    }
    e4c_wipe(slot_at(t, last), t->stride);
    --*count;
}

static void table_clear(const table *t, uint32_t *count)
{
    e4c_wipe(t->slots, (size_t)*count * t->stride);
    memset(t->index, 0, (size_t)t->size * sizeof(uint32_t));
    *count = 0;
}

static table topics_of(const e4_state *s)
{
    return (table){(uint8_t *)s->topics, sizeof(topic_slot), s->topic_index, 2 * s->limits.topics};
}

static table pubkeys_of(const e4_state *s)
{
    return (table){(uint8_t *)s->pubkeys, e4i_pubkey_stride(s), s->pubkey_index,
                   2 * s->limits.pubkeys};
}

topic_slot *e4i_topic_find(const e4_state *s, const uint8_t hash[E4_TOPIC_HASH_LEN])
{
    table t = topics_of(s);
    return (topic_slot *)table_find(&t, hash);
}

topic_slot *e4i_topic_add(e4_state *s, const uint8_t hash[E4_TOPIC_HASH_LEN])
{
    table t = topics_of(s);
    uint32_t before = s->ntopics;
    topic_slot *slot = (topic_slot *)table_add(&t, &s->ntopics, s->limits.topics, hash);
    if (slot && s->ntopics != before)
        slot->old_ts = NO_OLD_KEY;
    return slot;
}

void e4i_topic_remove(e4_state *s, topic_slot *slot)
{
    table t = topics_of(s);
    e4c_siv_forget(slot->key);
    table_remove(&t, &s->ntopics, (uint8_t *)slot);
}

void e4i_topics_clear(e4_state *s)
{
    table t = topics_of(s);
    e4c_siv_forget(NULL);
    table_clear(&t, &s->ntopics);
}

pubkey_slot *e4i_pubkey_find(const e4_state *s, const uint8_t id[E4_ID_LEN])
{
    table t = pubkeys_of(s);
    return (pubkey_slot *)table_find(&t, id);
}

pubkey_slot *e4i_pubkey_add(e4_state *s, const uint8_t id[E4_ID_LEN])
{
    table t = pubkeys_of(s);
    return (pubkey_slot *)table_add(&t, &s->npubkeys, s->limits.pubkeys, id);
}

void e4i_pubkey_remove(e4_state *s, pubkey_slot *p)
{
    table t = pubkeys_of(s);
    table_remove(&t, &s->npubkeys, (uint8_t *)p);
}

void e4i_pubkeys_clear(e4_state *s)
{
    table t = pubkeys_of(s);
    table_clear(&t, &s->npubkeys);
}

/* ---- replay cache ------------------------------------------------------------
 * Buckets of 4 entries; each message may live in either of two buckets (two
 * independent hashes of its tag), which keeps entries from being pushed out
 * long before the cache is full. When both buckets are full the oldest entry
 * goes: messages past the timestamp window are the oldest, so they go first. */

static replay_slot *bucket(const e4_state *s, const uint8_t *h)
{
    return &s->replay[(size_t)home(h, s->replay_buckets) * REPLAY_WAYS];
}

static int replay_check_locked(e4_state *s, const uint8_t tag[E4_TAG_LEN], uint64_t ts,
                               int remember)
{
    replay_slot *b[2] = {bucket(s, tag), bucket(s, tag + 4)};
    replay_slot *free_slot[2] = {NULL, NULL}, *oldest = b[0];
    int nfree[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        for (int w = 0; w < REPLAY_WAYS; w++) {
            replay_slot *e = &b[k][w];
            if (e->ts == REPLAY_EMPTY) {
                free_slot[k] = e;
                nfree[k]++;
            } else if (e->ts == ts && memcmp(e->tag, tag, E4_TAG_LEN) == 0) {
                return 1;
            } else if (oldest->ts == REPLAY_EMPTY || e->ts < oldest->ts) {
                oldest = e;
            }
        }
    if (!remember)
        return 0;
    /* The emptier of the two buckets (the power of two choices), else the oldest. */
    replay_slot *victim = nfree[1] > nfree[0] ? free_slot[1] : nfree[0] ? free_slot[0] : oldest;
    memcpy(victim->tag, tag, E4_TAG_LEN);
    victim->ts = ts;
    return 0;
}

size_t e4i_replay_slots(const e4_state *s)
{
    return (size_t)s->replay_buckets * REPLAY_WAYS;
}

int e4i_replay_in_second(const e4_state *s, size_t i)
{
    return &s->replay[i - i % REPLAY_WAYS] != bucket(s, s->replay[i].tag);
}

/* Placing saved entries greedily again could fill a bucket with entries that
 * sat in their other one and push some out: a reload would forget commands
 * the saved cache held. Each goes back to the bucket it was in instead. */
void e4i_replay_restore(e4_state *s, const uint8_t tag[E4_TAG_LEN], uint64_t ts, int second)
{
    if (!s->replay_buckets || replay_check_locked(s, tag, ts, 0))
        return;
    replay_slot *b = bucket(s, second ? tag + 4 : tag);
    for (int w = 0; w < REPLAY_WAYS; w++)
        if (b[w].ts == REPLAY_EMPTY) {
            memcpy(b[w].tag, tag, E4_TAG_LEN);
            b[w].ts = ts;
            return;
        }
    replay_check_locked(s, tag, ts, 1);
}

int e4i_replay_check(e4_state *s, const uint8_t tag[E4_TAG_LEN], uint64_t ts, int remember)
{
    if (!s->replay_buckets)
        return 0;
    if (s->replay_lock)
        s->replay_lock(s->replay_lock_ctx, 1);
    int seen = replay_check_locked(s, tag, ts, remember);
    if (s->replay_lock)
        s->replay_lock(s->replay_lock_ctx, 0);
    return seen;
}

/* ---- creation ---------------------------------------------------------------- */

e4_err e4i_layout(e4_state **out, void *mem, size_t mem_len, const e4_limits *l, e4_suite suite)
{
    if (!out || !mem || !l)
        return E4_ERR_INVALID_ARGUMENT;
    if ((uintptr_t)mem % 8 != 0 || l->topics > (1u << 28) || l->pubkeys > (1u << 28) ||
        l->replay > (1u << 28))
        return E4_ERR_INVALID_ARGUMENT;
    if (mem_len < e4_state_size_suite(suite, l))
        return E4_ERR_BUFFER_TOO_SMALL;
    if (e4c_init() != 0)
        return E4_ERR_CRYPTO;
    memset(mem, 0, e4_state_size_suite(suite, l));
    e4_state *s = mem;
    uint8_t *p = (uint8_t *)mem + E4_STATE_HEADER_SIZE;
    s->magic = E4_STATE_MAGIC;
    s->limits = *l;
    s->suite = (uint8_t)suite;
    s->suite_keys = p;
    p += E4_SUITE_KEYS_SIZE(suite);
    s->topics = (topic_slot *)p;
    p += (size_t)l->topics * sizeof(topic_slot);
    s->topic_index = (uint32_t *)p;
    p += (size_t)l->topics * 2 * sizeof(uint32_t);
    s->pubkeys = (pubkey_slot *)p;
    p += (size_t)l->pubkeys * e4i_pubkey_stride(s);
    s->pubkey_index = (uint32_t *)p;
    p += (size_t)l->pubkeys * 2 * sizeof(uint32_t);
    s->replay = (replay_slot *)p;
    s->replay_buckets = (l->replay + REPLAY_WAYS - 1) / REPLAY_WAYS;
    for (size_t i = 0; i < (size_t)s->replay_buckets * REPLAY_WAYS; i++)
        s->replay[i].ts = REPLAY_EMPTY;
    *out = s;
    return E4_OK;
}

e4_err e4i_cmd_key_for(const e4_state *s, const uint8_t *id_key, const uint8_t *c2_key,
                       uint8_t out[E4_KEY_LEN])
{
    if (s->suite == E4_SUITE_FIPS_PK)
        return e4_fips_pk_command_key(out, id_key + E4_P256_SK_LEN, c2_key);
    if (s->suite == E4_SUITE_PQ_PK || s->mode == E4_MODE_SK) { /* pq-pk: set by C2 */
        memmove(out, s->suite == E4_SUITE_PQ_PK ? s->cmd_key : id_key, E4_KEY_LEN);
        return E4_OK;
    }
    uint8_t x_sk[32], shared[32];
    e4_err err = E4_OK;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    if (e4c_ed25519_sk_to_x25519(x_sk, id_key) != 0)
        err = E4_ERR_CRYPTO;
    else if (e4c_x25519(shared, x_sk, c2_key) != 0)
        err = E4_ERR_INVALID_KEY;
    else
        e4c_sha3_256(out, shared, sizeof shared);
    e4c_wipe(x_sk, sizeof x_sk);
    e4c_wipe(shared, sizeof shared);
    return err;
}

e4_err e4i_derive_cmd_key(e4_state *s)
{
    return e4i_cmd_key_for(s, s->key, e4i_c2_key(s), s->cmd_key);
}

static void set_default_control_topic(e4_state *s)
{
    e4_default_control_topic(s->control_topic, s->id);
    s->control_topic_len = (uint8_t)strlen(s->control_topic);
    e4i_hash16(s->control_hash, s->control_topic, s->control_topic_len);
}

e4_err e4_state_init_sk(e4_state **out, void *mem, size_t mem_len, const e4_limits *limits,
                        const uint8_t id[E4_ID_LEN], const uint8_t key[E4_KEY_LEN])
{
    if (!id || !key)
        return E4_ERR_INVALID_ARGUMENT;
    if (e4i_is_zero(key, E4_KEY_LEN))
        return E4_ERR_ZERO_KEY;
    e4_state *s;
    e4_err err = e4i_layout(&s, mem, mem_len, limits, E4_SUITE_BASE);
    if (err)
        return err;
    s->mode = E4_MODE_SK;
    memcpy(s->id, id, E4_ID_LEN);
    memcpy(s->key, key, E4_KEY_LEN);
    set_default_control_topic(s);
    e4i_derive_cmd_key(s);
    *out = s;
    return E4_OK;
}

e4_err e4_state_init_fips_sk(e4_state **out, void *mem, size_t mem_len, const e4_limits *limits,
                             const uint8_t id[E4_ID_LEN], const uint8_t key[E4_KEY_LEN])
{
    if (!e4c_has_gcm())
        return E4_ERR_UNSUPPORTED;
    e4_err err = e4_state_init_sk(out, mem, mem_len, limits, id, key);
    if (err == E4_OK)
        (*out)->suite = E4_SUITE_FIPS_SK;
    return err;
}

e4_err e4_state_init_pk(e4_state **out, void *mem, size_t mem_len, const e4_limits *limits,
                        const uint8_t id[E4_ID_LEN], const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                        const uint8_t c2_x25519_pk[E4_X25519_LEN])
{
    if (!id || !ed25519_sk || !c2_x25519_pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (e4i_is_zero(ed25519_sk, E4_ED25519_SK_LEN) || e4i_is_zero(c2_x25519_pk, E4_X25519_LEN))
        return E4_ERR_ZERO_KEY;
    e4_state *s;
    e4_err err = e4i_layout(&s, mem, mem_len, limits, E4_SUITE_BASE);
    if (err)
        return err;
    s->mode = E4_MODE_PK;
    memcpy(s->id, id, E4_ID_LEN);
    memcpy(s->key, ed25519_sk, E4_ED25519_SK_LEN);
    memcpy(s->c2_pk, c2_x25519_pk, E4_X25519_LEN);
    set_default_control_topic(s);
    if ((err = e4i_derive_cmd_key(s)) != E4_OK) {
        e4_state_wipe(s);
        return err;
    }
    *out = s;
    return E4_OK;
}

void e4_state_wipe(e4_state *s)
{
    if (!s || s->magic != E4_STATE_MAGIC)
        return;
    e4c_siv_forget(NULL);
    e4c_wipe(s, e4_state_size_suite((e4_suite)s->suite, &s->limits));
}

/* ---- accessors ---------------------------------------------------------------- */

e4_mode e4_state_mode(const e4_state *s)
{
    return (e4_mode)s->mode;
}
e4_suite e4_state_suite(const e4_state *s)
{
    return (e4_suite)s->suite;
}
void e4_state_id(const e4_state *s, uint8_t id[E4_ID_LEN])
{
    memcpy(id, s->id, E4_ID_LEN);
}
const e4_limits *e4_state_limits(const e4_state *s)
{
    return &s->limits;
}
uint32_t e4_state_topic_count(const e4_state *s)
{
    return s->ntopics;
}
uint32_t e4_state_pubkey_count(const e4_state *s)
{
    return s->npubkeys;
}
void e4_state_set_clock_skew(e4_state *s, uint32_t seconds)
{
    s->clock_skew = seconds;
}
void e4_state_set_data_replay_check(e4_state *s, int on)
{
    s->data_replay_off = !on;
}
const char *e4_state_control_topic(const e4_state *s)
{
    return s->control_topic;
}
void e4_state_set_storage(e4_state *s, const e4_storage *storage)
{
    s->storage = storage;
}

e4_err e4_state_set_control_topic(e4_state *s, const char *topic)
{
    if (!s || !topic)
        return E4_ERR_INVALID_ARGUMENT;
    size_t len = strlen(topic);
    if (len == 0 || len > E4_CONTROL_TOPIC_MAX)
        return E4_ERR_INVALID_TOPIC;
    memcpy(s->control_topic, topic, len + 1);
    s->control_topic_len = (uint8_t)len;
    e4i_hash16(s->control_hash, topic, len);
    return E4_OK;
}

e4_err e4_state_topic_at(const e4_state *s, uint32_t i, uint8_t hash[E4_TOPIC_HASH_LEN],
                         uint8_t key[E4_KEY_LEN], int *has_old_key)
{
    if (!s || i >= s->ntopics)
        return E4_ERR_INVALID_ARGUMENT;
    if (hash)
        memcpy(hash, s->topics[i].hash, E4_TOPIC_HASH_LEN);
    if (key)
        memcpy(key, s->topics[i].key, E4_KEY_LEN);
    if (has_old_key)
        *has_old_key = s->topics[i].old_ts != NO_OLD_KEY;
    return E4_OK;
}

e4_err e4_state_pubkey_at(const e4_state *s, uint32_t i, uint8_t id[E4_ID_LEN],
                          uint8_t pk[E4_ED25519_PK_LEN])
{
    if (!s || i >= s->npubkeys)
        return E4_ERR_INVALID_ARGUMENT;
    if (pk && e4i_pubkey_len(s) != E4_ED25519_PK_LEN)
        return E4_ERR_INVALID_ARGUMENT; /* a suite's longer key: id only */
    if (id)
        memcpy(id, e4i_pubkey_slot(s, i)->id, E4_ID_LEN);
    if (pk)
        memcpy(pk, e4i_pubkey_slot(s, i)->pk, E4_ED25519_PK_LEN);
    return E4_OK;
}

/* ---- local key changes: the same code path as C2 commands ---------------- */

e4_err e4_state_set_topic_key(e4_state *s, const char *topic, const uint8_t key[E4_KEY_LEN],
                              uint64_t now)
{
    if (!s || !topic || !key)
        return E4_ERR_INVALID_ARGUMENT;
    if (e4_validate_topic(topic) != E4_OK)
        return E4_ERR_INVALID_TOPIC;
    uint8_t cmd[1 + E4_KEY_LEN + E4_TOPIC_HASH_LEN];
    cmd[0] = E4_CMD_SET_TOPIC_KEY;
    memcpy(cmd + 1, key, E4_KEY_LEN);
    e4_err err = e4_hash_topic(cmd + 1 + E4_KEY_LEN, topic);
    if (err == E4_OK)
        err = e4i_command_apply(s, cmd, sizeof cmd, now, NULL, 0);
    e4c_wipe(cmd, sizeof cmd);
    return err;
}

e4_err e4_state_set_pubkey(e4_state *s, const uint8_t id[E4_ID_LEN],
                           const uint8_t pk[E4_ED25519_PK_LEN])
{
    if (!s || !id || !pk)
        return E4_ERR_INVALID_ARGUMENT;
    uint8_t cmd[1 + E4_ED25519_PK_LEN + E4_ID_LEN];
    cmd[0] = E4_CMD_SET_PUBKEY;
    memcpy(cmd + 1, pk, E4_ED25519_PK_LEN);
    memcpy(cmd + 1 + E4_ED25519_PK_LEN, id, E4_ID_LEN);
    return e4i_command_apply(s, cmd, sizeof cmd, 0, NULL, 0);
}

e4_err e4_state_set_suite_pubkey(e4_state *s, const uint8_t id[E4_ID_LEN], const uint8_t *pk,
                                 size_t pk_len)
{
    if (!s || !id || !pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (s->mode != E4_MODE_PK)
        return E4_ERR_UNSUPPORTED_COMMAND;
    if (pk_len != e4i_pubkey_len(s))
        return E4_ERR_INVALID_ARG_LENGTH;
    uint8_t cmd[1 + E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN + E4_ID_LEN];
    cmd[0] = E4_CMD_SET_PUBKEY;
    memcpy(cmd + 1, pk, pk_len);
    memcpy(cmd + 1 + pk_len, id, E4_ID_LEN);
    return e4i_command_apply(s, cmd, 1 + pk_len + E4_ID_LEN, 0, NULL, 0);
}

/* ---- the public-key suites ------------------------------------------------- */

e4_err e4_state_init_fips_pk(e4_state **out, void *mem, size_t mem_len, const e4_limits *limits,
                             const uint8_t id[E4_ID_LEN], const uint8_t sign_sk[E4_P256_SK_LEN],
                             const uint8_t agree_sk[E4_P256_SK_LEN],
                             const uint8_t c2_agree_pk[E4_P256_PK_LEN])
{
    if (!id || !sign_sk || !agree_sk || !c2_agree_pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_gcm() || !e4c_has_p256())
        return E4_ERR_UNSUPPORTED;
    if (e4i_is_zero(sign_sk, E4_P256_SK_LEN) || e4i_is_zero(agree_sk, E4_P256_SK_LEN))
        return E4_ERR_ZERO_KEY;
    uint8_t pub[E4_P256_PK_LEN];
    if (e4c_p256_public(pub, sign_sk) != 0 || /* a scalar outside [1, n-1] */
        e4c_p256_public(pub, agree_sk) != 0 || e4c_p256_check_public(c2_agree_pk) != 0)
        return E4_ERR_INVALID_KEY; /* refused before mem is touched */
    e4_state *s;
    e4_err err = e4i_layout(&s, mem, mem_len, limits, E4_SUITE_FIPS_PK);
    if (err)
        return err;
    s->mode = E4_MODE_PK;
    memcpy(s->id, id, E4_ID_LEN);
    memcpy(s->key, sign_sk, E4_P256_SK_LEN);
    memcpy(s->key + E4_P256_SK_LEN, agree_sk, E4_P256_SK_LEN);
    memcpy(e4i_c2_key(s), c2_agree_pk, E4_P256_PK_LEN);
    set_default_control_topic(s);
    if ((err = e4i_derive_cmd_key(s)) != E4_OK) {
        e4_state_wipe(s);
        return err;
    }
    *out = s;
    return E4_OK;
}

e4_err e4_state_init_pq_pk(e4_state **out, void *mem, size_t mem_len, const e4_limits *limits,
                           const uint8_t id[E4_ID_LEN], const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                           const uint8_t mldsa_seed[E4_MLDSA65_SEED_LEN],
                           const uint8_t xwing_seed[E4_XWING_SEED_LEN],
                           const uint8_t c2_ed25519_pk[E4_ED25519_PK_LEN],
                           const uint8_t c2_mldsa_pk[E4_MLDSA65_PK_LEN])
{
    if (!id || !ed25519_sk || !mldsa_seed || !xwing_seed || !c2_ed25519_pk || !c2_mldsa_pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    if (e4i_is_zero(ed25519_sk, E4_ED25519_SK_LEN) || e4i_is_zero(mldsa_seed, 32) ||
        e4i_is_zero(xwing_seed, 32) || e4i_is_zero(c2_ed25519_pk, E4_ED25519_PK_LEN) ||
        e4i_is_zero(c2_mldsa_pk, E4_MLDSA65_PK_LEN))
        return E4_ERR_ZERO_KEY;
    e4_state *s;
    e4_err err = e4i_layout(&s, mem, mem_len, limits, E4_SUITE_PQ_PK);
    if (err)
        return err;
    pq_keys *pq = e4i_pq(s);
    s->mode = E4_MODE_PK;
    memcpy(s->id, id, E4_ID_LEN);
    memcpy(s->key, ed25519_sk, E4_ED25519_SK_LEN);
    memcpy(pq->mldsa_seed, mldsa_seed, E4_MLDSA65_SEED_LEN);
    memcpy(pq->xwing_seed, xwing_seed, E4_XWING_SEED_LEN);
    memcpy(pq->c2_ed25519_pk, c2_ed25519_pk, E4_ED25519_PK_LEN);
    memcpy(pq->c2_mldsa_pk, c2_mldsa_pk, E4_MLDSA65_PK_LEN);
    set_default_control_topic(s);
    *out = s;
    return E4_OK;
}

uint32_t e4_state_epoch(const e4_state *s)
{
    return s && s->suite == E4_SUITE_PQ_PK ? e4i_pq(s)->epoch : 0;
}
