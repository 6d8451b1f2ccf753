/* Internals shared by the store_*.c files. */
#ifndef E4C2_STORE_INTERNAL_H
#define E4C2_STORE_INTERNAL_H

#include <stdint.h>

#include "db.h"
#include "keyring.h"
#include "store.h"
#include "suite.h"

struct store {
    db *d;
    const keyring *kr;
    c2_mode mode;
    e4_suite suite;
    /* PK modes, loaded once per transaction that sends commands */
    int c2_loaded;
    int64_t c2_generation;
    uint8_t c2_sk[C2_OWN_SK_MAX];
    int wrote_news; /* this transaction queued commands or recorded events */
    int repairing;  /* commands queued now are a state repair (outbox.repair) */
    /* commands queued in this transaction, inserted a batch at a time */
    struct queued_command *queued;
    int nqueued;
};

#define OUTBOX_BATCH 64

/* The largest outbox payload: a pq-pk SetPubKey, or an X-Wing ciphertext. */
#define C2_OUTBOX_CMD_MAX \
    (E4_SUITE_COMMAND_MAX > E4_XWING_CT_LEN ? E4_SUITE_COMMAND_MAX : E4_XWING_CT_LEN)

/* One outbox row waiting for its batch INSERT. */
struct queued_command {
    uint8_t rid[16];
    uint8_t client_id[E4_ID_LEN];
    int64_t client_rowid;
    int opcode;
    char topic[E4_TOPIC_MAX + 1];
    int has_topic, has_subject;
    uint8_t subject[E4_ID_LEN];
    uint8_t key_sealed[E4_KEY_LEN + SEAL_OVERHEAD];
    uint8_t cmd_sealed[C2_OUTBOX_CMD_MAX + SEAL_OVERHEAD];
    size_t cmd_sealed_len;
    int64_t created;
    int repair;
    int64_t epoch;  /* pq-pk: the K_epoch it travels under (or establishes); 0 otherwise */
    int64_t c2_gen; /* pq-pk establishment: the C2 key generation that signs it */
};

/* A client row as the operations need it. */
typedef struct client_row {
    int64_t rowid;
    uint8_t id[E4_ID_LEN];
    char name[E4_NAME_MAX + 1];
    uint8_t pubkey[C2_PUBKEY_MAX];
    size_t pubkey_len;
    uint8_t key_sealed[E4_KEY_LEN + SEAL_OVERHEAD];
    size_t key_sealed_len;
    int64_t created;
} client_row;

typedef struct topic_row {
    int64_t rowid;
    c2_topic t;
    uint8_t key_sealed[E4_KEY_LEN + SEAL_OVERHEAD];
    size_t key_sealed_len;
} topic_row;

int64_t now_s(void);
int64_t now_ms(void);

c2_err set_error(c2_error *e, c2_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A database failure as an error: busy/gone -> C2_UNAVAILABLE. */
c2_err db_error(store *s, c2_error *e, const char *what);

/* Run fn in one write transaction, retried while the database is busy;
 * committed only when fn returns C2_OK; notifies waiters on commit. */
c2_err store_tx(store *s, c2_err (*fn)(store *, void *, c2_error *), void *arg, c2_error *e);

/* The columns client_read() expects, in order. */
#define CLIENT_COLUMNS "c.id, c.eid, c.name, c.pubkey, c.key_sealed, c.created"
void client_read(db_rows *r, int col, client_row *out);
c2_err client_resolve(store *s, const char *ref, client_row *out, c2_error *e);
void client_public(const client_row *r, c2_client *out);

#define TOPIC_COLUMNS \
    "t.id, t.name, t.hash, t.key_sealed, t.key_id, t.version, t.created, t.rotated_at"
void topic_read(db_rows *r, int col, topic_row *out);
c2_err topic_resolve(store *s, const char *name, topic_row *out, c2_error *e);
/* A fresh topic key, sealed for the topic's row (name, version). */
c2_err topic_new_key(store *s, const char *name, int64_t version, uint8_t key[E4_KEY_LEN],
                     uint8_t sealed[E4_KEY_LEN + SEAL_OVERHEAD], uint8_t key_id[C2_KEY_ID_LEN],
                     c2_error *e);
c2_err topic_key(store *s, const topic_row *t, uint8_t key[E4_KEY_LEN], c2_error *e);

/* Queue one command for a client: the command and the key that protects
 * it now (its key in SK mode, the C2 shared key in PK mode), both sealed. */
c2_err outbox_add(store *s, const client_row *c, e4_command op, const uint8_t *args,
                  size_t args_len, const char *topic, const uint8_t *subject, c2_error *e);
/* The same under an explicit protecting key (SetIDKey under the old key,
 * SetC2Key under the old shared key). */
c2_err outbox_add_keyed(store *s, const client_row *c, const uint8_t key[E4_KEY_LEN], e4_command op,
                        const uint8_t *args, size_t args_len, const char *topic,
                        const uint8_t *subject, c2_error *e);
/* The same, as a row of the given epoch (pq-pk; 0 otherwise), op an
 * e4_command or C2_OP_KEY_ESTABLISH. */
c2_err outbox_add_epoch(store *s, const client_row *c, const uint8_t key[E4_KEY_LEN], int64_t epoch,
                        int op, const uint8_t *args, size_t args_len, const char *topic,
                        const uint8_t *subject, c2_error *e);
/* PK: load C2's current private key for this transaction. */
c2_err c2_key_load(store *s, c2_error *e);
/* The same for a given generation (0: the newest), outside a transaction
 * (the publisher signing an establishment). */
c2_err c2_key_load_gen(store *s, int64_t generation, c2_error *e);
/* Insert the commands queued so far (before commit, and before deleting a
 * row they refer to). */
c2_err outbox_flush(store *s, c2_error *e);
/* The key protecting commands to c now. */
c2_err command_key(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], c2_error *e);
/* A client's 32-byte key sealed at `where` under rid; else an error naming
 * `what` of the client (the database was altered). */
c2_err unseal_client_key(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], const char *where,
                         const uint8_t *rid, size_t rid_len, const uint8_t *sealed,
                         size_t sealed_len, const char *what, c2_error *e);
/* The same and its epoch: in pq-pk the client's current K_epoch, made now
 * (a key establishment queued first, under a new epoch) when it has none;
 * 0 in the other suites. */
c2_err command_key_epoch(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], int64_t *epoch,
                         c2_error *e);
/* pq-pk (store_epoch.c): the client's K_epoch, established now if needed. */
c2_err pq_epoch_key(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], int64_t *epoch,
                    c2_error *e);
/* pq-pk: the client's current K_epoch without making one (C2_NOT_FOUND
 * when it has none): receipts. */
c2_err pq_epoch_current(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], int64_t *epoch,
                        c2_error *e);
/* pq-pk: forget the client's K_epoch (its X-Wing key changed): the next
 * command goes under a new establishment. */
c2_err pq_epoch_forget(store *s, const client_row *c, c2_error *e);

/* Record an event (data: a JSON object, or NULL for {}). */
c2_err event_add(store *s, const char *type, const char *data, c2_error *e);

/* Call fn for every client of "FROM from_where" (it names clients c and
 * uses $1 = arg), a page at a time in the order of key (a column equal to
 * c.id that an index orders), so fn may change the rows it is given. */
c2_err for_each_client(store *s, const char *from_where, const char *key, int64_t arg,
                       c2_err (*fn)(store *, const client_row *, void *, c2_error *), void *ctx,
                       c2_error *e);
/* Call fn for every member of topic_id (or every client when topic_id is
 * 0), a page at a time (no result set is open while fn runs). */
c2_err for_each_member(store *s, int64_t topic_id,
                       c2_err (*fn)(store *, const client_row *, void *, c2_error *), void *arg,
                       c2_error *e);

/* SELECT columns from_where ORDER BY order, a page of it, and its count;
 * emit gets each row (non-zero stops). p needs np + 2 slots. what names
 * the listing in errors ("cannot list clients"). */
c2_err page_query(store *s, const char *what, const char *columns, const char *from_where,
                  const char *order, db_val *p, int np, const c2_page *pg, int64_t *total,
                  int (*emit)(db_rows *, void *), void *ctx, c2_error *e);

/* Operations shared between the store files, inside a transaction. */
/* New key and version for t, sent to every member. */
c2_err topic_rotate_locked(store *s, topic_row *t, c2_error *e);
/* SetPubKey(source's key) to target, recorded as sent. */
c2_err pubkey_send_locked(store *s, const client_row *target, const client_row *source,
                          c2_error *e);
/* A page of the clients related to target through table (pubkeys_sent, links). */
c2_err client_relations(store *s, const char *table, const char *target, const c2_page *pg,
                        int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                        c2_error *e);
/* A page of topics (with their counts) of "from_where" ($1..$np in p). */
c2_err topic_page(store *s, const char *from_where, db_val *p, int np, const c2_page *pg,
                  int (*each)(void *, const c2_topic *), void *ctx, int64_t *total, c2_error *e);

/* Paging arguments checked: limit 1..1000 (0 = 100), offset >= 0. */
c2_err page_check(const c2_page *pg, int64_t *offset, int64_t *limit, c2_error *e);
/* "%search%" for LIKE, with % and _ escaped ('\'); buf >= 2 * strlen + 3. */
void like_pattern(char *buf, size_t cap, const char *search);

/* The sync status of a client from its row (sync column, last STATE in
 * seconds, 0 if none). */
c2_sync client_sync_status(int sync, int64_t state_at);

/* s as the inside of a JSON string (quotes, backslashes and controls
 * escaped), truncated to fit cap. */
void json_escape(char *out, size_t cap, const char *s);
/* SetIDKey (SK) or a new pair (PK) for a client, inside a transaction. */
c2_err client_rekey_locked(store *s, const char *ref, c2_error *e);

void hex_encode(char *out, const uint8_t *in, size_t len);
void key_id_of(uint8_t out[C2_KEY_ID_LEN], const uint8_t key[E4_KEY_LEN]);

#endif
