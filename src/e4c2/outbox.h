/*
 * outbox: the publisher's side of the command queue.
 *
 * A command is claimed with a lease (owner, expiry) so that several e4c2
 * processes on one PostgreSQL share the work: each row is claimed by one
 * (FOR UPDATE SKIP LOCKED), only the oldest pending command of a client is
 * ever claimable (per-client order), and a lease left by a killed process
 * expires and the command is claimed again. A resend after a crash between
 * the broker's acknowledgement and the commit is possible; devices absorb it.
 */
#ifndef E4C2_OUTBOX_H
#define E4C2_OUTBOX_H

#include <stdint.h>

#include <e4/receipt.h>

#include "store.h"
#include "store_internal.h"

typedef struct outbox_item {
    int64_t seq;
    uint8_t client_id[E4_ID_LEN];
    int opcode; /* e4_command, or C2_OP_KEY_ESTABLISH (cmd: the X-Wing ciphertext) */
    int64_t attempts;
    int64_t epoch;           /* pq-pk: the epoch it travels under or establishes */
    int64_t c2_gen;          /* pq-pk establishment: the C2 key that signs it (0: newest) */
    uint8_t key[E4_KEY_LEN]; /* unsealed: wipe after use */
    uint8_t cmd[C2_OUTBOX_CMD_MAX];
    size_t cmd_len;
    uint8_t digest[E4_DIGEST_LEN]; /* of the protected command, set when published */
} outbox_item;

/* Claim up to max heads of client queues, due at now_ms, leased to owner
 * until now_ms + lease_ms. */
c2_err outbox_claim(store *s, const char *owner, int64_t now_ms, int64_t lease_ms, int max,
                    outbox_item *items, int *n, c2_error *e);
/* The broker completed the QoS 2 flow of these commands. */
c2_err outbox_mark_sent(store *s, const outbox_item *const *items, int n, c2_error *e);
/* Extend the lease of every command owner still holds (it is alive and
 * working: others must not take them over). */
c2_err outbox_renew(store *s, const char *owner, int64_t until_ms, c2_error *e);
/* Give commands back (connection lost, shutting down): due again at retry_ms. */
c2_err outbox_release(store *s, const char *owner, const int64_t *seqs, int n, int64_t retry_ms,
                      const char *why, c2_error *e);

#endif
