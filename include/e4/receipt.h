/*
 * Receipts and state sync, the e4-sync extension version 1
 * (shared spec e4-sync.md; docs/receipts.md).
 *
 * A device tells C2 what became of each command it authenticated (APPLIED)
 * and which keys it holds (STATE), on its receipt topic "<control>/receipts",
 * protected like an SK message under the receipt key
 * R = SHA3-256("e4-receipt-v1" || K), K being the key that protects commands
 * to the device. C2 compares a STATE with what the device should hold and
 * repairs the difference. No format of the base protocol changes.
 *
 * Device side: e4_receipt_applied() and e4_receipt_state() work on the core
 * state without heap. C2 side: e4_receipt_open() authenticates and parses,
 * e4_receipt_state_expected() builds the STATE a device should report.
 */
#ifndef E4_RECEIPT_H
#define E4_RECEIPT_H

#include <e4/e4.h>

#ifdef __cplusplus
extern "C" {
#endif

#define E4_RECEIPT_MAGIC 0xE4
#define E4_RECEIPT_VERSION 0x01
#define E4_DIGEST_LEN 16        /* SHA3-256(protected command)[0:16] */
#define E4_CHECK_LEN 8          /* SHA3-256("e4-check-v1" || key)[0:8] */
#define E4_RECEIPT_ENTRY_LEN 24 /* hash or id (16) || check (8) */
#define E4_RECEIPT_SUFFIX "/receipts"
/* control topic + "/receipts" + NUL */
#define E4_RECEIPT_TOPIC_MAX (E4_CONTROL_TOPIC_MAX + 10)
/* An APPLIED receipt, protected: ts || tag || E4 01 01 digest result */
#define E4_RECEIPT_APPLIED_LEN (E4_SK_OVERHEAD + 3 + E4_DIGEST_LEN + 1)
/* A STATE plaintext with nt topics and np public keys. */
#define E4_RECEIPT_STATE_PLAIN_LEN(nt, np)                                                       \
    ((size_t)3 + 4 + (size_t)(nt)*E4_RECEIPT_ENTRY_LEN + 4 + (size_t)(np)*E4_RECEIPT_ENTRY_LEN + \
     E4_CHECK_LEN)

typedef enum e4_receipt_kind { E4_RECEIPT_APPLIED = 0x01, E4_RECEIPT_STATE = 0x02 } e4_receipt_kind;

/* ---- keys, checks, digests ------------------------------------------------ */

/* R = SHA3-256("e4-receipt-v1" || cmd_key). */
E4_API E4_NODISCARD e4_err e4_receipt_key(uint8_t rkey[E4_KEY_LEN],
                                          const uint8_t cmd_key[E4_KEY_LEN]);
/* check(x) = SHA3-256("e4-check-v1" || x)[0:8]. */
E4_API E4_NODISCARD e4_err e4_key_check(uint8_t check[E4_CHECK_LEN], const uint8_t *x, size_t len);
/* SHA3-256(protected command bytes as received)[0:16]. */
E4_API E4_NODISCARD e4_err e4_command_digest(uint8_t digest[E4_DIGEST_LEN], const uint8_t *cmd,
                                             size_t len);
/* "<control_topic>/receipts" into buf (E4_RECEIPT_TOPIC_MAX bytes suffice). */
E4_API E4_NODISCARD e4_err e4_receipt_topic(char *buf, size_t cap, const char *control_topic);

/* ---- device side (core, no heap) ------------------------------------------ */

/* 1 when err, returned by e4_unprotect() for a message on the control topic,
 * means the command authenticated and was refused: an APPLIED receipt
 * reports it. 0 for E4_OK, E4_COMMAND and every failure before or of
 * authentication (too short, time window, not authentic, replayed). */
E4_API int e4_err_is_refusal(e4_err err);

/* APPLIED for the protected command cmd (as received), result E4_COMMAND
 * (applied) or a refusal; protected at time now under s's receipt key. */
E4_API E4_NODISCARD e4_err e4_receipt_applied(const e4_state *s, const uint8_t *cmd, size_t cmd_len,
                                              e4_err result, uint8_t out[E4_RECEIPT_APPLIED_LEN],
                                              uint64_t now);

/* Bytes of the protected STATE of s as it is now. */
E4_API size_t e4_receipt_state_len(const e4_state *s);
/* STATE of s (current topic keys sorted by hash, public keys sorted by id,
 * C2 key check), protected at time now. Sorted in out: no heap. */
E4_API E4_NODISCARD e4_err e4_receipt_state(const e4_state *s, uint8_t *out, size_t out_cap,
                                            size_t *out_len, uint64_t now);

/* ---- C2 side ---------------------------------------------------------------- */

/* A receipt's content; the pointers point into the caller's plaintext buffer. */
typedef struct e4_receipt {
    e4_receipt_kind kind;
    uint64_t ts; /* e4_receipt_open only */
    /* APPLIED */
    uint8_t digest[E4_DIGEST_LEN];
    uint8_t result; /* 0 applied, else -(e4_err) of the refusal */
    /* STATE */
    uint32_t ntopics, npubkeys;
    const uint8_t *topics;   /* ntopics x (topic hash || check), ascending */
    const uint8_t *pubkeys;  /* npubkeys x (id || check), ascending */
    const uint8_t *c2_check; /* E4_CHECK_LEN bytes; zero in SK mode */
    const uint8_t *plain;    /* the whole plaintext (to keep or compare) */
    size_t plain_len;
} e4_receipt;

/* Check the timestamp window (E4_MAX_DELAY back, skew ahead) and
 * authenticity under rkey, then parse. plain receives in_len - 24 bytes.
 * Errors: E4_ERR_TOO_SHORT, E4_ERR_TIMESTAMP_*, E4_ERR_NOT_AUTHENTIC, and
 * those of e4_receipt_parse(). */
E4_API E4_NODISCARD e4_err e4_receipt_open(e4_receipt *r, uint8_t *plain, size_t plain_cap,
                                           const uint8_t rkey[E4_KEY_LEN], const uint8_t *in,
                                           size_t in_len, uint64_t now, uint32_t skew);
/* Parse an authenticated plaintext: E4_ERR_RECEIPT_MAGIC, _VERSION, _KIND,
 * _LENGTH (sizes disagree with the counts), _ORDER (entries not strictly
 * ascending). */
E4_API E4_NODISCARD e4_err e4_receipt_parse(e4_receipt *r, const uint8_t *plain, size_t len);

typedef struct e4_topic_key {
    uint8_t hash[E4_TOPIC_HASH_LEN];
    uint8_t key[E4_KEY_LEN];
} e4_topic_key;

typedef struct e4_peer_key {
    uint8_t id[E4_ID_LEN];
    uint8_t pk[E4_ED25519_PK_LEN];
} e4_peer_key;

/* The STATE plaintext a device holding exactly these keys reports (input in
 * any order; c2_pk NULL in SK mode). out needs
 * E4_RECEIPT_STATE_PLAIN_LEN(ntopics, npubkeys) bytes. Compare with
 * e4_memeq(). */
E4_API E4_NODISCARD e4_err e4_receipt_state_expected(uint8_t *out, size_t out_cap, size_t *out_len,
                                                     const e4_topic_key *topics, uint32_t ntopics,
                                                     const e4_peer_key *pubkeys, uint32_t npubkeys,
                                                     const uint8_t *c2_pk);

#ifdef __cplusplus
}
#endif
#endif
