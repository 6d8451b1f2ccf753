/* Internals shared by sync.c, sync_keys.c and sync_state.c. */
#ifndef E4C2_SYNC_INTERNAL_H
#define E4C2_SYNC_INTERNAL_H

#include <e4/receipt.h>

#include "store_internal.h"
#include "sync.h"

#define SYNC_MAX_GENS 4              /* C2 key pairs kept at once (PK) */
#define SYNC_QUEUED_RECHECK_MS 10000 /* a STATE put aside for queued commands: look again */
/* Receipts concern a client's newest commands: APPLIED and closing look at
 * its last SYNC_RECENT (by seq, through outbox_by_client), never its whole
 * history. */
#define SYNC_RECENT "64"
#define SYNC_RECENT_SEQS \
    "SELECT seq FROM outbox WHERE client_eid = $2 ORDER BY seq DESC LIMIT " SYNC_RECENT
#define SYNC_REPAIR_MS 30000 /* a repair is in flight this long */

/* A client as receipts need it: its receipt keys, one per C2 key pair it
 * may hold (PK; one in SK mode). */
typedef struct rkey_entry {
    uint8_t id[E4_ID_LEN];
    int used;
    int nkeys;
    int64_t loaded_ms;
    int64_t gen[SYNC_MAX_GENS];
    uint8_t rkey[SYNC_MAX_GENS][E4_KEY_LEN];
} rkey_entry;

/* One of C2's key pairs (PK). */
typedef struct c2_pair {
    int64_t gen;
    uint8_t sk[C2_OWN_SK_MAX]; /* the suite's C2 key set (suite.h) */
    uint8_t pk[C2_OWN_PK_MAX];
    size_t pk_len;
    uint8_t check[E4_CHECK_LEN];
} c2_pair;

typedef struct check_entry {
    int64_t topic_id, version; /* topic_id 0: free */
    uint8_t check[E4_CHECK_LEN];
} check_entry;

/* An APPLIED whose command was not marked sent yet (the publisher marks in
 * batches): tried again until expires_ms. */
typedef struct late_applied {
    uint8_t client_id[E4_ID_LEN];
    uint8_t digest[E4_DIGEST_LEN];
    uint8_t result;
    int64_t expires_ms;
} late_applied;

struct sync_ctx {
    int64_t skew;
    rkey_entry *keys;
    size_t keys_cap, keys_used;
    c2_pair pairs[SYNC_MAX_GENS]; /* newest first */
    int npairs;
    int64_t pairs_loaded_ms;
    check_entry *checks;
    size_t checks_cap, checks_used;
    late_applied *late;
    int nlate, late_cap;
};

/* sync_keys.c */
/* The receipt keys of a client (loaded on a miss, or again with reload);
 * NULL when it is not a client (or the database failed: e set). */
const rkey_entry *sync_client_keys(store *s, sync_ctx *x, const uint8_t id[E4_ID_LEN], int reload,
                                   c2_error *e);
/* C2's key pairs in use (PK), newest first, reloaded when older than 5 s
 * or with reload. */
c2_err sync_pairs(store *s, sync_ctx *x, int reload, c2_error *e);
/* check(current key of the topic at version), cached. */
c2_err sync_topic_check(store *s, sync_ctx *x, const topic_row *t, uint8_t check[E4_CHECK_LEN],
                        c2_error *e);

/* sync_state.c */
/* Compare a STATE (plaintext, authenticated) of client id, made with C2
 * key generation gen (PK), received at now_ms, and act on it. Updates the
 * client's record. */
c2_err sync_state_apply(store *s, sync_ctx *x, const uint8_t id[E4_ID_LEN], const uint8_t *plain,
                        size_t plain_len, uint64_t ts, int64_t gen, int64_t at_ms, c2_error *e);

void sync_count_repair(size_t differences);

#endif
