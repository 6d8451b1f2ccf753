/*
 * store: every e4c2 operation, on one database connection.
 *
 * Each operation is one transaction: the change and the protected commands
 * it causes (the outbox) commit together or not at all. Keys are sealed at
 * rest (seal.h); they are unsealed only inside these functions, and wiped.
 *
 * A store is used by one thread at a time; threads take one from the pool
 * (store_pool_get/put). Clients are named by a reference: their name, or
 * their id in hex (32 characters); topics by their name.
 *
 * Listing functions page with offset/limit (limit 1..1000, 0 = 100) and
 * report the total, call `each` per row (a non-zero return stops), and never
 * hold more than a page in memory.
 */
#ifndef E4C2_STORE_H
#define E4C2_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <e4/e4.h>

typedef struct store store;
typedef struct store_pool store_pool;
typedef struct keyring keyring;

/* ---- errors: each becomes an HTTP status and a JSON error code ---------- */

typedef enum c2_err {
    C2_OK = 0,
    C2_INVALID,     /* 400 invalid_argument: malformed or out-of-range input */
    C2_NOT_FOUND,   /* 404 not_found: no such client, topic, member, token */
    C2_CONFLICT,    /* 409 conflict: name or id taken, already a member... */
    C2_WRONG_MODE,  /* 409 wrong_mode: a public-key operation in SK mode... */
    C2_UNAVAILABLE, /* 503 unavailable: database busy or gone; retry */
    C2_INTERNAL     /* 500 internal: storage or crypto failure */
} c2_err;

typedef struct c2_error {
    c2_err code;
    char message[256]; /* for people; never holds a key or a token */
} c2_error;

const char *c2_err_code(c2_err e); /* "invalid_argument", "not_found"... */
int c2_err_http_status(c2_err e);

/* ---- the model ---------------------------------------------------------- */

/* The family of a C2's mode: sk and fips-sk are SK, pk, fips-pk and pq-pk
 * are PK; the suite (store_suite, suite.h) says which formats and sizes. */
typedef enum c2_mode { C2_MODE_SK = 1, C2_MODE_PK = 2 } c2_mode;

/* The largest key sets of any suite (pq-pk): a client's public keys, its
 * private key set (SetIDKey), C2's own public and private keys. */
#define C2_PUBKEY_MAX (E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN + E4_XWING_PK_LEN)
#define C2_CLIENT_SK_MAX (E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN + E4_XWING_SEED_LEN)
#define C2_OWN_PK_MAX (E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN)
#define C2_OWN_SK_MAX (E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN)
/* A client's signing keys (what verifies its messages): pq-pk's the largest. */
#define C2_SIGN_PK_MAX (E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN)

#define C2_KEY_ID_LEN 8 /* key id: SHA3-256(key)[0:8], shown, never the key */

/* What C2 knows of a client's keys from its receipts (e4-sync.md). */
typedef enum c2_sync {
    C2_SYNC_UNKNOWN = 0, /* never sent a STATE (receipts off, or never connected) */
    C2_SYNC_IN_SYNC,     /* its last STATE matched what it should hold */
    C2_SYNC_REPAIRING,   /* it differs, or commands are on their way to it */
    C2_SYNC_STALE,       /* its last STATE is older than twice the interval */
    C2_SYNC_COUNT
} c2_sync;
const char *c2_sync_name(c2_sync s); /* "unknown", "in_sync", "repairing", "stale" */

typedef struct c2_client {
    uint8_t id[E4_ID_LEN];
    char name[E4_NAME_MAX + 1];
    int64_t created;               /* unix seconds */
    uint8_t pubkey[C2_PUBKEY_MAX]; /* PK modes: the suite's key set */
    size_t pubkey_len;
    int64_t topics;  /* memberships */
    int64_t pending; /* commands not yet sent */
    c2_sync sync;
    int64_t state_at;      /* unix seconds of its last STATE, 0 if none */
    int64_t c2_generation; /* PK: the C2 key it reported holding, 0 if unknown */
    int64_t epoch;         /* pq-pk: its last key establishment's epoch, 0 before the first */
} c2_client;

/* A client to create. Exactly one of key / password / pubkey, or none: then
 * C2 generates the key (SK) or the Ed25519 pair (PK). */
typedef struct c2_new_client {
    const char *name;
    const uint8_t *id;     /* NULL: e4_hash_id(name) */
    const uint8_t *key;    /* SK: 32 bytes */
    const char *password;  /* SK or PK: derived as the reference does */
    const uint8_t *pubkey; /* PK: the suite's public keys (suite.h), pubkey_len bytes */
    size_t pubkey_len;
} c2_new_client;

/* What C2 generated for a new client, shown once. */
typedef struct c2_generated {
    int has_key;
    uint8_t key[C2_CLIENT_SK_MAX]; /* SK: 32-byte key; PK: the SetIDKey private key set */
    size_t key_len;
} c2_generated;

typedef struct c2_topic {
    char name[E4_TOPIC_MAX + 1];
    uint8_t hash[E4_TOPIC_HASH_LEN];
    int64_t version; /* 1 at creation, + 1 per rotation */
    int64_t created;
    int64_t rotated_at; /* time of the last rotation (= created at first) */
    int64_t members;
    int64_t behind;      /* members with a command for this topic not yet sent */
    int64_t not_current; /* members that have not reported the current key version */
    uint8_t key_id[C2_KEY_ID_LEN];
} c2_topic;

/* The outbox's states, as stored. */
typedef enum c2_cmd_state {
    C2_CMD_PENDING = 0, /* "queued" */
    C2_CMD_SENT = 1,    /* the broker completed QoS 2 */
    C2_CMD_APPLIED = 2, /* the device's APPLIED receipt says applied */
    C2_CMD_REFUSED = 3, /* ... says refused, with a reason */
    C2_CMD_CLOSED = 4   /* no receipt, but the device's state shows its effect */
} c2_cmd_state;
const char *
c2_cmd_state_name(c2_cmd_state s); /* "queued", "sent", "applied", "refused", "closed" */

/* The outbox's opcode for a pq-pk key establishment (its "command" is the
 * X-Wing ciphertext, signed when it is sent); the others are e4_command. */
#define C2_OP_KEY_ESTABLISH 256

typedef struct c2_command {
    int64_t seq; /* global order; per client it is the send order */
    uint8_t client_id[E4_ID_LEN];
    int opcode;                    /* e4_command */
    char topic[E4_TOPIC_MAX + 1];  /* the topic it concerns, "" if none */
    uint8_t subject_id[E4_ID_LEN]; /* the public key's owner for pubkey commands */
    int has_subject;
    c2_cmd_state state;
    int64_t created;
    int64_t sent_at; /* 0 while pending */
    int64_t attempts;
    char last_error[128];
    int64_t done_at; /* applied, refused or closed at; 0 otherwise */
    int result;      /* refused: the libe4 error code (negative) */
    int repair;      /* queued to repair a difference the device reported */
    int64_t epoch;   /* pq-pk: the epoch it travels under (establishment: sets up) */
} c2_command;

typedef struct c2_status {
    c2_mode mode;
    e4_suite suite;
    int64_t clients, topics, memberships;
    int64_t outbox_pending;
    int64_t outbox_oldest_age; /* seconds, 0 when empty */
    int64_t commands_sent;
    int64_t c2_key_generation;   /* PK mode */
    int c2_key_rotating;         /* PK: an old C2 key is still kept */
    int64_t c2_key_unconfirmed;  /* PK: clients that never reported the newest C2 key */
    int64_t sync[C2_SYNC_COUNT]; /* clients per sync status */
} c2_status;

typedef struct c2_event {
    int64_t id;
    int64_t at;
    char type[48];    /* "client.added", "topic.rotated", "command.sent"... */
    const char *data; /* JSON object text */
} c2_event;

typedef struct c2_page {
    int64_t offset;
    int64_t limit;      /* 0 = 100; at most 1000 */
    const char *search; /* clients and topics: substring of the name, or NULL */
} c2_page;

typedef struct c2_token {
    int64_t id;
    char name[128];
    int read_only;
    int64_t created;
    int64_t last_used;
} c2_token;

/* ---- opening ------------------------------------------------------------ */

/* A pool of `size` connections to url, the schema migrated to the latest
 * version, the keyring unlocked (see keyring.h). */
store_pool *store_pool_open(const char *url, keyring *kr, int size, c2_error *e);
void store_pool_close(store_pool *p);
store *store_pool_get(store_pool *p); /* blocks until one is free */
void store_pool_put(store_pool *p, store *s);
c2_mode store_mode(const store *s);
e4_suite store_suite(const store *s);

/* ---- clients ------------------------------------------------------------ */

c2_err store_client_add(store *s, const c2_new_client *nc, c2_client *out, c2_generated *gen,
                        c2_error *e);
/* All or nothing: the first bad entry is named in the error (its index). */
c2_err store_clients_import(store *s, const c2_new_client *list, size_t n, c2_error *e);
c2_err store_client_get(store *s, const char *ref, c2_client *out, c2_error *e);
c2_err store_client_list(store *s, const c2_page *pg, int (*each)(void *, const c2_client *),
                         void *ctx, int64_t *total, c2_error *e);
/* ResetTopics (and ResetPubKeys in PK) to the device, memberships dropped,
 * its topics rotated for the remaining members, then the client deleted. */
c2_err store_client_remove(store *s, const char *ref, c2_error *e);
/* ResetTopics; memberships dropped. */
c2_err store_client_reset(store *s, const char *ref, c2_error *e);
/* SK: SetIDKey(fresh) under the old key. PK: fresh Ed25519 pair, SetIDKey
 * under the old shared key, SetPubKey(new) to every holder of the old key. */
c2_err store_client_rekey(store *s, const char *ref, c2_error *e);
c2_err store_client_topics(store *s, const char *ref, const c2_page *pg,
                           int (*each)(void *, const c2_topic *), void *ctx, int64_t *total,
                           c2_error *e);
c2_err store_client_commands(store *s, const char *ref, const c2_page *pg,
                             int (*each)(void *, const c2_command *), void *ctx, int64_t *total,
                             c2_error *e);

/* ---- topics ------------------------------------------------------------- */

c2_err store_topic_add(store *s, const char *name, c2_topic *out, c2_error *e);
c2_err store_topic_get(store *s, const char *name, c2_topic *out, c2_error *e);
c2_err store_topic_list(store *s, const c2_page *pg, int (*each)(void *, const c2_topic *),
                        void *ctx, int64_t *total, c2_error *e);
/* RemoveTopic to every member. */
c2_err store_topic_remove(store *s, const char *name, c2_error *e);
/* New key, version + 1, SetTopicKey to every member. */
c2_err store_topic_rotate(store *s, const char *name, c2_topic *out, c2_error *e);
c2_err store_topic_members(store *s, const char *name, const c2_page *pg,
                           int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                           c2_error *e);
/* Members that have not reported holding the topic's current key (a STATE
 * receipt with it), including those that never sent one. */
c2_err store_topic_members_behind(store *s, const char *name, const c2_page *pg,
                                  int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                                  c2_error *e);
/* SetTopicKey(current) to each joining client; PK with share_pubkeys: the
 * newcomers' public keys to the members and theirs to the newcomers. */
c2_err store_topic_join(store *s, const char *name, const char *const *refs, size_t n,
                        int share_pubkeys, c2_error *e);
/* RemoveTopic to each leaving client, then one rotation for the remaining
 * members: rotate 1 yes, 0 no, -1 as the topic's policy says (on_leave,
 * default yes). A join rotates too when the policy says on_join. */
c2_err store_topic_leave(store *s, const char *name, const char *const *refs, size_t n, int rotate,
                         c2_error *e);

/* ---- public keys and links (PK mode) ------------------------------------ */

/* SetPubKey(source's key) to target / RemovePubKey(source) / ResetPubKeys. */
c2_err store_pubkey_send(store *s, const char *target, const char *source, c2_error *e);
c2_err store_pubkey_remove(store *s, const char *target, const char *source, c2_error *e);
c2_err store_pubkey_reset(store *s, const char *target, c2_error *e);
/* The clients whose public key target was sent. */
c2_err store_pubkeys_of(store *s, const char *target, const c2_page *pg,
                        int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                        c2_error *e);
/* The reference's LinkClient: target is sent source's public key (and the
 * link is recorded; unlink removes it and sends RemovePubKey). */
c2_err store_link(store *s, const char *target, const char *source, c2_error *e);
c2_err store_unlink(store *s, const char *target, const char *source, c2_error *e);
c2_err store_links_of(store *s, const char *target, const c2_page *pg,
                      int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                      c2_error *e);

/* ---- C2's own key (PK mode) --------------------------------------------- */

/* C2's public key set (c2_own_pk_len(suite) bytes: suite.h). */
c2_err store_c2_pubkey(store *s, uint8_t pk[C2_OWN_PK_MAX], int64_t *generation, c2_error *e);
/* New X25519 pair; SetC2Key(new) to every client under the old shared key;
 * the old pair is kept until store_c2_rotate_finish. */
c2_err store_c2_rotate(store *s, uint8_t pk[C2_OWN_PK_MAX], int64_t *generation, c2_error *e);
/* Forget the old pair. *unsent: clients whose SetC2Key is still pending;
 * stragglers gets every client that never reported the new key (up to
 * max names, the count in *nstragglers). */
c2_err store_c2_rotate_finish(store *s, int64_t *unsent,
                              int (*straggler)(void *, const c2_client *), void *ctx,
                              int64_t *nstragglers, c2_error *e);

/* ---- sync (receipts) ------------------------------------------------------ */

/* The devices' STATE interval (seconds, default 3600): a client whose last
 * STATE is older than twice this is stale. Process-wide. */
void store_set_state_interval(int64_t seconds);

/* ---- status and events -------------------------------------------------- */

c2_err store_status(store *s, c2_status *out, c2_error *e);
/* Events with id > after, oldest first, at most limit (1..1000). */
c2_err store_events_since(store *s, int64_t after, int64_t limit,
                          int (*each)(void *, const c2_event *), void *ctx, c2_error *e);
int64_t store_last_event_id(store *s);

/* ---- API tokens --------------------------------------------------------- */

/* A new random token, printed once (token: "e4c2_" + 43 base64url chars);
 * only its SHA-256 is stored. */
c2_err store_token_create(store *s, const char *name, int read_only, char token[64], c2_error *e);
c2_err store_token_list(store *s, int (*each)(void *, const c2_token *), void *ctx, c2_error *e);
c2_err store_token_revoke(store *s, const char *name, c2_error *e);
/* C2_OK and the token's record when valid and not revoked; C2_NOT_FOUND otherwise. */
c2_err store_token_check(store *s, const char *token, c2_token *out);

#endif
