/*
 * The layout of an e4_state and the helpers the core files share. Nothing
 * here is public: applications see e4_state as opaque.
 *
 * One state lives in one block of caller memory:
 *
 *   struct e4_state | suite keys | topic slots | topic index | pubkey slots | pubkey index | replay
 slots

 * The suite keys (fips-pk: C2's agreement key; pq-pk: pq_keys) and the
 * public-key slots' size depend on the suite (E4_STATE_SIZE_SUITE).
 *
 * Slots are dense arrays (0..count-1); each index is an open-addressing table
 * of 2 x capacity words holding slot + 1 (0 = empty), keyed by the first
 * bytes of the 16-byte hash or id, which are uniformly distributed because
 * they come from SHA3. Lookups cost the same with 1 or 10,000 keys.
 */
#ifndef E4_INTERNAL_H
#define E4_INTERNAL_H

#include <e4/e4.h>
#include <stdint.h>
#include <string.h>

#include "crypto.h"

#define E4_STATE_MAGIC 0x45345354u /* "E4ST" */
#define NO_OLD_KEY UINT64_MAX      /* topic_slot.old_ts when there is none */

typedef struct topic_slot {
    uint8_t hash[E4_TOPIC_HASH_LEN];
    uint8_t key[E4_KEY_LEN];
    uint8_t old_key[E4_KEY_LEN]; /* the key-transition key, when old_ts is set */
    uint64_t old_ts;
} topic_slot;

/* id, then the suite's public key (e4i_pubkey_len); slots are
 * e4i_pubkey_stride bytes apart. */
typedef struct pubkey_slot {
    uint8_t id[E4_ID_LEN];
    uint8_t pk[];
} pubkey_slot;

/* pq-pk's keys beyond the header: the own-key seeds, C2's keys, and the
 * previous epoch's command key (the current one is cmd_key). */
typedef struct pq_keys {
    uint8_t mldsa_seed[E4_MLDSA65_SEED_LEN]; /* followed by xwing_seed: SetIDKey's layout */
    uint8_t xwing_seed[E4_XWING_SEED_LEN];
    uint8_t c2_ed25519_pk[E4_ED25519_PK_LEN]; /* followed by c2_mldsa_pk: SetC2Key's layout */
    uint8_t c2_mldsa_pk[E4_MLDSA65_PK_LEN];
    uint8_t prev_key[E4_KEY_LEN];
    uint32_t epoch, prev_epoch;
    uint64_t prev_since; /* when prev_key stopped being current */
    uint8_t has_key, has_prev;
} pq_keys;

typedef struct replay_slot {
    uint8_t tag[E4_TAG_LEN]; /* SIV tag, xored with the signer id in PK mode */
    uint64_t ts;             /* message timestamp; REPLAY_EMPTY when free */
} replay_slot;
#define REPLAY_EMPTY UINT64_MAX
/* Set in replay_slot.ts for an applied C2 command (timestamps are < 2^63):
 * those entries are saved with the state, so that a command replayed after
 * a restart is still refused (no key rollback), and are evicted last. */
#define REPLAY_COMMAND (UINT64_C(1) << 63)
#define REPLAY_WAYS 4

struct e4_state {
    uint32_t magic;
    uint8_t mode; /* e4_mode */
    uint8_t control_topic_len;
    uint8_t suite;           /* e4_suite */
    uint8_t data_replay_off; /* e4_state_set_data_replay_check(s, 0) */
    e4_limits limits;
    uint32_t ntopics, npubkeys;
    uint32_t clock_skew;
    uint32_t replay_buckets;
    uint8_t id[E4_ID_LEN];
    uint8_t key[E4_ED25519_SK_LEN]; /* SK: 32-byte client key; PK: Ed25519 private key */
    uint8_t c2_pk[E4_X25519_LEN];   /* PK: C2's X25519 public key */
    uint8_t cmd_key[E4_KEY_LEN];    /* the key protecting commands (derived in PK mode) */
    uint8_t *suite_keys;            /* E4_SUITE_KEYS_SIZE(suite) bytes after the header */
    uint8_t control_hash[E4_TOPIC_HASH_LEN];
    char control_topic[E4_CONTROL_TOPIC_MAX + 1];
    const e4_storage *storage;
    /* Set by the hosted layer, whose readers share one state: serialises the
     * replay cache, the only thing unprotecting a message writes. */
    void (*replay_lock)(void *ctx, int lock);
    void *replay_lock_ctx;
    topic_slot *topics;
    uint32_t *topic_index;
    pubkey_slot *pubkeys;
    uint32_t *pubkey_index;
    replay_slot *replay;
};

/* state.c: tables */
topic_slot *e4i_topic_find(const e4_state *s, const uint8_t hash[E4_TOPIC_HASH_LEN]);
topic_slot *e4i_topic_add(e4_state *s, const uint8_t hash[E4_TOPIC_HASH_LEN]); /* NULL: full */
void e4i_topic_remove(e4_state *s, topic_slot *t);
void e4i_topics_clear(e4_state *s);
pubkey_slot *e4i_pubkey_find(const e4_state *s, const uint8_t id[E4_ID_LEN]);
pubkey_slot *e4i_pubkey_add(e4_state *s, const uint8_t id[E4_ID_LEN]);
void e4i_pubkey_remove(e4_state *s, pubkey_slot *p);
void e4i_pubkeys_clear(e4_state *s);
/* 1 when (tag, ts) was seen; else 0, and with remember set it is recorded
 * (check and record are one step for concurrent readers). */
int e4i_replay_check(e4_state *s, const uint8_t tag[E4_TAG_LEN], uint64_t ts, int remember);
/* The cache's slots (buckets x REPLAY_WAYS), for saving command entries. */
size_t e4i_replay_slots(const e4_state *s);
/* Whether slot i holds its entry in the entry's second bucket. */
int e4i_replay_in_second(const e4_state *s, size_t i);
/* A saved entry back into the bucket it sat in (second: the second one), so
 * that a reload rebuilds the same cache; where that bucket is full, as
 * e4i_replay_check with remember. */
void e4i_replay_restore(e4_state *s, const uint8_t tag[E4_TAG_LEN], uint64_t ts, int second);
/* Recomputes cmd_key (PK: SHA3(X25519(x_sk, c2_pk)); SK: the client key;
 * fips-pk: e4_fips_pk_command_key; pq-pk: unchanged, set by C2). */
e4_err e4i_derive_cmd_key(e4_state *s);
/* The command key the state would have with this own key and C2 key. */
e4_err e4i_cmd_key_for(const e4_state *s, const uint8_t *id_key, const uint8_t *c2_key,
                       uint8_t out[E4_KEY_LEN]);
e4_err e4i_layout(e4_state **out, void *mem, size_t mem_len, const e4_limits *limits,
                  e4_suite suite);
/* Key sizes in the state's suite: own key (SetIDKey), C2 key (SetC2Key),
 * a peer's public key (SetPubKey); and where C2's key is kept. */
size_t e4i_id_key_len(const e4_state *s);
size_t e4i_c2_key_len(const e4_state *s);
size_t e4i_pubkey_len(const e4_state *s);
size_t e4i_pubkey_stride(const e4_state *s);
pubkey_slot *e4i_pubkey_slot(const e4_state *s, uint32_t i);
uint8_t *e4i_c2_key(const e4_state *s);
static inline pq_keys *e4i_pq(const e4_state *s)
{
    return (pq_keys *)(void *)s->suite_keys;
}

/* message.c: the checks every format shares. */
e4_err e4i_check_timestamp(uint64_t ts, uint64_t now, uint32_t skew);
e4_err e4i_check_protect(const uint8_t key[E4_KEY_LEN], uint64_t ts, size_t plain_len);
/* A suite message: at least `overhead` bytes (E4_ERR_TOO_SHORT), then
 * magic and suite byte (E4_ERR_WRONG_SUITE). */
e4_err e4i_check_suite_header(const uint8_t *in, size_t in_len, e4_suite suite, size_t overhead);

/* suite_fips_pk.c, suite_pq_pk.c: decryption alone (after the caller's
 * checks and signature verification), for the key-transition retry. */
e4_err e4i_fips_pk_decrypt(const uint8_t key[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                           uint8_t *out, size_t *out_len);
e4_err e4i_pq_pk_decrypt(const uint8_t key[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                         uint8_t *out, size_t *out_len);

/* suite_fips_sk.c: the fips-sk format after the caller's length check. */
e4_err e4i_fips_sk_open(const uint8_t key[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t *out_len);
/* The 16 bytes identifying a message for the replay cache (its tag). */
const uint8_t *e4i_fips_sk_tag(const uint8_t *in, size_t in_len);

/* command.c: tag and ts identify a C2 command (its SIV tag and timestamp),
 * saved with the change; NULL for local changes. */
e4_err e4i_command_apply(e4_state *s, const uint8_t *cmd, size_t len, uint64_t now,
                         const uint8_t *tag, uint64_t ts);

/* storage.c: writes the state as it would be after the pending edit (or as
 * it is, when edit is NULL). Used before a change is applied in memory, so
 * that a failed write leaves memory and storage both unchanged. */
typedef enum e4i_edit_op {
    EDIT_NONE,
    EDIT_TOPIC_SET,
    EDIT_TOPIC_REMOVE,
    EDIT_TOPICS_RESET,
    EDIT_PUBKEY_SET,
    EDIT_PUBKEY_REMOVE,
    EDIT_PUBKEYS_RESET,
    EDIT_ID_KEY,
    EDIT_C2_KEY,
    EDIT_EPOCH /* pq-pk: key = the new K_epoch, epoch its number, now its time */
} e4i_edit_op;
typedef struct e4i_edit {
    e4i_edit_op op;
    const uint8_t *hash; /* topic hash or pubkey id */
    const uint8_t *key;  /* new topic key, pubkey, id key or C2 key */
    uint64_t now;
    uint32_t epoch;
    const uint8_t *cmd_tag; /* the command making the edit, or NULL */
    uint64_t cmd_ts;
} e4i_edit;
e4_err e4i_persist(const e4_state *s, const e4i_edit *edit);

static inline void e4i_store64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t e4i_load64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* SHA3-256(data)[0:16]: topic hashes, ids, key-transition indexes. */
static inline void e4i_hash16(uint8_t out[16], const void *data, size_t len)
{
    uint8_t full[32];
    e4c_sha3_256(full, data, len);
    memcpy(out, full, 16);
}

static inline int e4i_is_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

#endif
