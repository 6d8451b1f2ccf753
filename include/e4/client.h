/*
 * e4_client: the hosted convenience layer over e4_state (see e4/e4.h).
 *
 * It allocates its own memory, reads the system clock, keeps its state in a
 * file store (written atomically after every change) when given a path,
 * rejects replayed messages by default, and may be used from several threads
 * at once: protect and unprotect of messages run concurrently; C2 commands
 * and key changes take the client exclusively.
 */
#ifndef E4_CLIENT_H
#define E4_CLIENT_H

#include <e4/e4.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct e4_client e4_client;

#define E4_REPLAY_OFF UINT32_MAX
/* replay_cache: the default cache, for C2 commands only (data messages:
 * e4_state_set_data_replay_check(s, 0)). */
#define E4_REPLAY_COMMANDS_ONLY (UINT32_MAX - 1)

/* Zero-initialise, then set what you need; zero fields take the defaults. */
typedef struct e4_client_options {
    uint32_t max_topics;       /* default 1024 */
    uint32_t max_pubkeys;      /* default 256 (PK mode) */
    uint32_t replay_cache;     /* messages remembered, default 4096; E4_REPLAY_OFF disables */
    uint32_t clock_skew;       /* seconds a timestamp may be ahead, default 0 */
    const char *state_path;    /* file store; NULL keeps the state in memory only */
    const char *control_topic; /* override of "e4/<hex id>" */
} e4_client_options;

/* A new identity. With state_path set, the state is saved there at once
 * (an existing file is replaced). */
E4_API E4_NODISCARD e4_err e4_client_new_sk(e4_client **out, const uint8_t id[E4_ID_LEN],
                                            const uint8_t key[E4_KEY_LEN],
                                            const e4_client_options *opt);
E4_API E4_NODISCARD e4_err e4_client_new_pk(e4_client **out, const uint8_t id[E4_ID_LEN],
                                            const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                                            const uint8_t c2_x25519_pk[E4_X25519_LEN],
                                            const e4_client_options *opt);
/* A new SK identity in the fips-sk suite (e4_state_init_fips_sk): messages
 * and commands in AES-256-GCM under the same keys. */
E4_API E4_NODISCARD e4_err e4_client_new_fips_sk(e4_client **out, const uint8_t id[E4_ID_LEN],
                                                 const uint8_t key[E4_KEY_LEN],
                                                 const e4_client_options *opt);
/* New identities in the public-key suites (e4_state_init_fips_pk,
 * e4_state_init_pq_pk): the same keys, in the same order. */
E4_API E4_NODISCARD e4_err e4_client_new_fips_pk(e4_client **out, const uint8_t id[E4_ID_LEN],
                                                 const uint8_t sign_sk[E4_P256_SK_LEN],
                                                 const uint8_t agree_sk[E4_P256_SK_LEN],
                                                 const uint8_t c2_agree_pk[E4_P256_PK_LEN],
                                                 const e4_client_options *opt);
E4_API E4_NODISCARD e4_err e4_client_new_pq_pk(e4_client **out, const uint8_t id[E4_ID_LEN],
                                               const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                                               const uint8_t mldsa_seed[E4_MLDSA65_SEED_LEN],
                                               const uint8_t xwing_seed[E4_XWING_SEED_LEN],
                                               const uint8_t c2_ed25519_pk[E4_ED25519_PK_LEN],
                                               const uint8_t c2_mldsa_pk[E4_MLDSA65_PK_LEN],
                                               const e4_client_options *opt);
/* Load the state saved at opt->state_path (in the suite it was saved in). */
E4_API E4_NODISCARD e4_err e4_client_open(e4_client **out, const e4_client_options *opt);
/* After an e4_client call returned E4_ERR_STORAGE_IO: why, as
 * e4_file_store_error() gives it (operation, path, the system's reason, e.g.
 * "cannot open /var/lib/e4/dev.e4: Permission denied"). Per thread: the last
 * such failure in the calling thread, "" if none; valid until the thread's
 * next e4_client call fails the same way. Usable after a failed open/new. */
E4_API const char *e4_client_storage_error(void);
/* Wipes every key and frees. */
E4_API void e4_client_free(e4_client *c);

E4_API size_t e4_client_protected_len(const e4_client *c, size_t plain_len);
E4_API E4_NODISCARD e4_err e4_client_protect(e4_client *c, const char *topic, const uint8_t *plain,
                                             size_t plain_len, uint8_t *out, size_t out_cap,
                                             size_t *out_len);
/* E4_OK with the payload, E4_COMMAND when a C2 command was applied. */
E4_API E4_NODISCARD e4_err e4_client_unprotect(e4_client *c, const char *topic, const uint8_t *in,
                                               size_t in_len, uint8_t *out, size_t out_cap,
                                               size_t *out_len);

E4_API e4_mode e4_client_mode(const e4_client *c);
E4_API e4_suite e4_client_suite(const e4_client *c);
E4_API void e4_client_id(const e4_client *c, uint8_t id[E4_ID_LEN]);
/* The topic C2 sends commands on; subscribe to it. Valid while c lives. */
E4_API const char *e4_client_control_topic(const e4_client *c);

E4_API E4_NODISCARD e4_err e4_client_set_topic_key(e4_client *c, const char *topic,
                                                   const uint8_t key[E4_KEY_LEN]);
E4_API E4_NODISCARD e4_err e4_client_set_pubkey(e4_client *c, const uint8_t id[E4_ID_LEN],
                                                const uint8_t pk[E4_ED25519_PK_LEN]);
/* A peer's key in the client's suite (e4_state_set_suite_pubkey: 32, 33
 * or 1,984 bytes). */
E4_API E4_NODISCARD e4_err e4_client_set_suite_pubkey(e4_client *c, const uint8_t id[E4_ID_LEN],
                                                      const uint8_t *pk, size_t pk_len);

/* ---- receipts (e4/receipt.h, docs/receipts.md) ---- */

/* "<control topic>/receipts": publish receipts there (QoS 1). Valid while c
 * lives. */
E4_API const char *e4_client_receipt_topic(const e4_client *c);
/* Called with an APPLIED receipt (E4_RECEIPT_APPLIED_LEN bytes, valid
 * during the call) for every command that authenticated on the control
 * topic, applied or refused (e4_err_is_refusal); never for messages that
 * did not authenticate. */
typedef void (*e4_receipt_sink)(void *ctx, const uint8_t *receipt, size_t len);
/* From now on e4_client_unprotect() calls sink, in the calling thread,
 * after releasing the client's lock (sink may call e4_client_* functions).
 * NULL stops it. */
E4_API void e4_client_set_receipt_sink(e4_client *c, e4_receipt_sink sink, void *ctx);
/* A STATE receipt of the keys held now, protected at the client's clock:
 * *out is malloc'ed (the caller frees it), *out_len its length. */
E4_API E4_NODISCARD e4_err e4_client_state_receipt(e4_client *c, uint8_t **out, size_t *out_len);

/* Replace the clock (tests, replaying captures). NULL restores time(). */
E4_API void e4_client_set_clock(e4_client *c, uint64_t (*now)(void *ctx), void *ctx);

/* Call f with the state under the client's lock, for read-only inspection
 * (listing keys). f must not keep the pointer. */
E4_API void e4_client_inspect(e4_client *c, void (*f)(const e4_state *s, void *ctx), void *ctx);

#ifdef __cplusplus
}
#endif
#endif
