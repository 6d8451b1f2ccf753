/*
 * sync: C2's side of receipts and state sync (shared spec e4-sync.md).
 *
 * Receipts arrive on e4/<hex id>/receipts (receiver.c) and are handled here
 * a batch per transaction:
 * - APPLIED marks the command with that digest applied or refused;
 * - STATE is recorded, compared with what the client should hold (its
 *   memberships' current keys, the public keys sent to it, the current C2
 *   key), and then:
 *     equal      the client is in sync; its pending commands are closed;
 *     different  the difference is queued as a repair (SetC2Key, RemoveTopic,
 *                SetTopicKey, RemovePubKey, SetPubKey, in that order),
 *                unless commands for it are still queued or were sent after
 *                the device made its STATE, or a repair is in flight: then
 *                it is looked at again later, or the next STATE decides.
 * A receipt that does not open under the client's receipt key changes
 * nothing; it is counted by reason and logged without its bytes.
 *
 * A sync_ctx holds one thread's caches (receipt keys by client, topic key
 * checks, C2's key pairs); it is used with one store at a time.
 */
#ifndef E4C2_SYNC_H
#define E4C2_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Why receipts were not acted upon: one list, for metrics and logs. */
// clang-format off
#define SYNC_REJECT_REASONS(X)                                              \
    X(too_short) X(too_old) X(in_future) X(not_authentic) X(bad_magic)      \
    X(bad_version) X(bad_kind) X(bad_length) X(bad_order) X(unknown_client) \
    X(bad_topic) X(unmatched) X(out_of_order)
// clang-format on

typedef enum sync_reject {
#define SYNC_ENUM(name) SYNC_REJECT_##name,
    SYNC_REJECT_REASONS(SYNC_ENUM)
#undef SYNC_ENUM
        SYNC_REJECT_COUNT
} sync_reject;

const char *sync_reject_name(sync_reject r);
/* Count a rejected receipt (metrics). */
void sync_count_reject(sync_reject r);

/* One receipt as received. */
typedef struct sync_receipt {
    uint8_t client_id[E4_ID_LEN];
    uint8_t *payload;
    size_t len;
} sync_receipt;

typedef struct sync_ctx sync_ctx;

/* state_interval: the devices' STATE interval (seconds); clock_skew:
 * seconds a receipt's timestamp may be ahead. */
sync_ctx *sync_new(int64_t clock_skew);
void sync_free(sync_ctx *x);

/* Handle receipts in one transaction. */
c2_err sync_receipts(store *s, sync_ctx *x, const sync_receipt *r, int n, c2_error *e);
/* Look again at clients whose reported state was put aside (pending
 * commands, a repair in flight) and APPLIED receipts that came before
 * their command was marked sent. */
c2_err sync_sweep(store *s, sync_ctx *x, c2_error *e);

/* Parse "<control prefix>/<32 hex>/receipts": the client id. 0 or -1. */
int sync_topic_client(uint8_t id[E4_ID_LEN], const char *topic);

#endif
