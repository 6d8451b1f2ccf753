/*
 * libe4: end-to-end protection of pub/sub payloads, byte-compatible with the
 * E4 reference protocol (e4go v1.1).
 *
 * Two layers:
 *
 *   e4_state   the core. The caller provides its memory (see E4_STATE_SIZE),
 *              passes the clock explicitly, and libe4 never allocates. Made
 *              for small devices. Not thread-safe: one state, one thread (or
 *              the caller's lock).
 *
 *   e4_client  the hosted convenience layer (e4/client.h): allocates, reads
 *              the system clock, keeps a file store, rejects replays by
 *              default, and is safe for concurrent protect/unprotect from
 *              several threads.
 *
 * Conventions, for every function unless its comment says otherwise:
 *   - Outputs come first; a buffer's size sits beside it; a fixed-size array
 *     is written with its length constant (E4_KEY_LEN...), which is the
 *     capacity the caller must provide.
 *   - A function that can fail returns an e4_err: E4_OK (0), or a positive
 *     status that is still a success (E4_COMMAND), or a negative E4_ERR_*.
 *     e4_strerror() names each. The result must be looked at (E4_NODISCARD).
 *     On failure, outputs are unspecified and the state is unchanged.
 *   - Input and output buffers must not overlap.
 *   - Buffers given to libe4 are never retained after a call returns.
 *   - Returned strings are NUL-terminated and never NULL: e4_strerror() and
 *     e4_version() are static; a state's or client's control topic lives
 *     until the state or client is changed, wiped or freed.
 */
#ifndef E4_E4_H
#define E4_E4_H

#include <stddef.h>
#include <stdint.h>

/* E4_API marks the public functions: the library is built with
 * -fvisibility=hidden, so nothing else is exported. E4_NODISCARD marks the
 * functions whose result must be looked at (every e4_err). */
#if defined(__GNUC__) || defined(__clang__)
#define E4_API __attribute__((visibility("default")))
#define E4_NODISCARD __attribute__((warn_unused_result))
#else
#define E4_API
#define E4_NODISCARD
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define E4_ID_LEN 16
#define E4_TOPIC_HASH_LEN 16
#define E4_KEY_LEN 32        /* symmetric keys: client, topic, C2 shared */
#define E4_ED25519_SK_LEN 64 /* seed(32) || public(32) */
#define E4_ED25519_PK_LEN 32
#define E4_X25519_LEN 32
#define E4_TIMESTAMP_LEN 8
#define E4_TAG_LEN 16
#define E4_SIGNATURE_LEN 64
#define E4_SK_OVERHEAD 24        /* ts || tag */
#define E4_PK_OVERHEAD 104       /* ts || signer id || tag || ... || signature */
#define E4_TOPIC_MAX 512         /* a topic is 1..512 bytes */
#define E4_NAME_MAX 255          /* a name is 1..255 bytes of UTF-8 */
#define E4_PASSWORD_MIN 16       /* a password is at least 16 bytes of UTF-8 */
#define E4_CONTROL_TOPIC_MAX 128 /* longest control-topic override */
#define E4_MAX_DELAY 600         /* seconds a timestamp may be in the past */
#define E4_TRANSITION_TTL 3600   /* seconds an old topic key stays usable */
/* Cipher suites (spec e4-suites.md). BASE is the reference's SK and PK
 * formats, the default; every other suite's messages start with the
 * authenticated header 0xE4 || suite(1) || ts(8). */
typedef enum e4_suite {
    E4_SUITE_BASE = 0x00,
    E4_SUITE_FIPS_SK = 0x10, /* AES-256-GCM */
    E4_SUITE_FIPS_PK = 0x11, /* AES-256-GCM, ECDSA P-256, ECDH command key */
    E4_SUITE_PQ_PK = 0x21    /* AES-SIV, Ed25519 + ML-DSA-65, X-Wing command key */
} e4_suite;
#define E4_SUITE_MAGIC 0xE4
#define E4_SUITE_HEADER_LEN 10 /* 0xE4 || suite || ts */
#define E4_GCM_IV_LEN 12
#define E4_FIPS_SK_OVERHEAD 38  /* header || iv || tag */
#define E4_FIPS_PK_OVERHEAD 118 /* header || signer id || iv || tag || signature */
#define E4_P256_SK_LEN 32       /* big-endian scalar in [1, n-1] */
#define E4_P256_PK_LEN 33       /* compressed SEC1 point */
#define E4_P256_SIG_LEN 64      /* r || s, low-S */
#define E4_MLDSA65_SEED_LEN 32  /* an ML-DSA-65 private key is its seed */
#define E4_MLDSA65_PK_LEN 1952
#define E4_MLDSA65_SIG_LEN 3309
#define E4_XWING_SEED_LEN 32 /* an X-Wing private key is its seed */
#define E4_XWING_PK_LEN 1216
#define E4_XWING_CT_LEN 1120
/* pq-pk: header || signer id || V || sig_ed25519 || sig_mldsa65 */
#define E4_PQ_PK_OVERHEAD 3415
/* pq-pk control topic: header || kind || epoch || ct || both signatures */
#define E4_PQ_PK_KEY_MSG_LEN \
    (E4_SUITE_HEADER_LEN + 1 + 4 + E4_XWING_CT_LEN + 64 + E4_MLDSA65_SIG_LEN)
/* pq-pk command: header || kind || epoch || V || C */
#define E4_PQ_PK_CMD_OVERHEAD (E4_SUITE_HEADER_LEN + 1 + 4 + 16)
/* Largest payload protect accepts (the protected message, payload plus at
 * most E4_PK_OVERHEAD, stays below 2 GiB); larger: E4_ERR_INVALID_ARGUMENT. */
#define E4_PAYLOAD_MAX (0x7fffffffu - E4_PK_OVERHEAD)

typedef enum e4_err {
    E4_OK = 0,
    E4_COMMAND = 1, /* unprotect: a C2 command was applied, no payload */

    E4_ERR_INVALID_ARGUMENT = -1, /* NULL pointer, bad size, wrong mode... */
    E4_ERR_BUFFER_TOO_SMALL = -2,
    E4_ERR_INVALID_TOPIC = -3, /* topic length outside 1..512 */
    E4_ERR_INVALID_NAME = -4,
    E4_ERR_INVALID_PASSWORD = -5,
    E4_ERR_ZERO_KEY = -6,    /* an all-zero key is never valid */
    E4_ERR_INVALID_KEY = -7, /* not a usable curve point / low-order point */

    E4_ERR_TOO_SHORT = -10,
    E4_ERR_TIMESTAMP_IN_FUTURE = -11,
    E4_ERR_TIMESTAMP_TOO_OLD = -12,
    E4_ERR_TOPIC_KEY_NOT_FOUND = -13,
    E4_ERR_NOT_AUTHENTIC = -14,
    E4_ERR_PUBKEY_NOT_FOUND = -15,
    E4_ERR_INVALID_SIGNATURE = -16,
    E4_ERR_REPLAYED = -17,
    E4_ERR_WRONG_SUITE = -18, /* magic or suite byte not the receiver's suite */

    E4_ERR_INVALID_COMMAND = -20, /* unknown command byte or empty command */
    E4_ERR_INVALID_ARG_LENGTH = -21,
    E4_ERR_UNSUPPORTED_COMMAND = -22, /* public-key command sent to an SK client */
    E4_ERR_TOPICS_FULL = -23,         /* topic capacity reached */
    E4_ERR_PUBKEYS_FULL = -24,        /* public-key capacity reached */

    E4_ERR_STORAGE_IO = -30,       /* the storage callbacks failed */
    E4_ERR_STORAGE_CORRUPT = -31,  /* truncated, damaged or not an e4 state */
    E4_ERR_STORAGE_VERSION = -32,  /* written by an unknown format version */
    E4_ERR_STORAGE_CAPACITY = -33, /* the saved state does not fit the limits */

    E4_ERR_CRYPTO = -40,      /* the crypto backend failed */
    E4_ERR_NO_MEMORY = -41,   /* hosted layer only */
    E4_ERR_UNSUPPORTED = -42, /* not in this crypto backend (PK mode in the portable one) */

    /* receipts (e4/receipt.h), reported on C2's side */
    E4_ERR_RECEIPT_MAGIC = -50,   /* first byte is not 0xE4 */
    E4_ERR_RECEIPT_VERSION = -51, /* not version 1 */
    E4_ERR_RECEIPT_KIND = -52,    /* neither APPLIED nor STATE */
    E4_ERR_RECEIPT_LENGTH = -53,  /* size disagrees with the kind or the counts */
    E4_ERR_RECEIPT_ORDER = -54    /* STATE entries not strictly ascending */
} e4_err;

E4_API const char *e4_strerror(e4_err err);
E4_API const char *e4_version(void);

/* ---- identities, topics, keys --------------------------------------- */

/* SHA3-256(topic)[0:16] and SHA3-256(name)[0:16]. Like the reference they
 * hash any string; the e4_validate_* functions check the protocol's rules
 * (topic 1..512 bytes; name 1..255 bytes of UTF-8; password >= 16 bytes of
 * UTF-8) where a program wants them enforced. */
E4_API E4_NODISCARD e4_err e4_hash_topic(uint8_t hash[E4_TOPIC_HASH_LEN], const char *topic);
E4_API E4_NODISCARD e4_err e4_hash_id(uint8_t id[E4_ID_LEN], const char *name);
E4_API E4_NODISCARD e4_err e4_validate_topic(const char *topic);
E4_API E4_NODISCARD e4_err e4_validate_name(const char *name);
E4_API E4_NODISCARD e4_err e4_validate_password(const char *password);
/* "e4/" + hex(id), NUL-terminated. */
#define E4_DEFAULT_CONTROL_TOPIC_LEN (3 + 2 * E4_ID_LEN + 1)
E4_API void e4_default_control_topic(char buf[E4_DEFAULT_CONTROL_TOPIC_LEN],
                                     const uint8_t id[E4_ID_LEN]);

/* The source of random bytes for key generation: fn(ctx, buf, len) fills buf
 * and returns 0. Devices (the portable crypto backend) must set one, e.g.
 * their TRNG, before generating keys; protect and unprotect need none. On
 * hosts it replaces the system CSPRNG (tests). NULL restores the default. */
typedef int (*e4_random_fn)(void *ctx, uint8_t *buf, size_t len);
E4_API void e4_set_random(e4_random_fn fn, void *ctx);

/* Random keys from the system CSPRNG (or the source set above). */
E4_API void e4_random_key(uint8_t key[E4_KEY_LEN]);
E4_API void e4_random_id(uint8_t id[E4_ID_LEN]);
E4_API E4_NODISCARD e4_err e4_ed25519_keypair(uint8_t sk[E4_ED25519_SK_LEN],
                                              uint8_t pk[E4_ED25519_PK_LEN]);
E4_API E4_NODISCARD e4_err e4_x25519_keypair(uint8_t sk[E4_X25519_LEN], uint8_t pk[E4_X25519_LEN]);

/* Argon2i(password, empty salt, t=1, m=64 MiB, p=4), as the reference does.
 * Takes about a quarter of a second and 64 MiB of heap: hosted use only. */
E4_API E4_NODISCARD e4_err e4_derive_key(uint8_t key[E4_KEY_LEN], const char *password);
/* The same output used as the Ed25519 seed. */
E4_API E4_NODISCARD e4_err e4_derive_ed25519(uint8_t sk[E4_ED25519_SK_LEN],
                                             uint8_t pk[E4_ED25519_PK_LEN], const char *password);

/* Ed25519 -> X25519, as the reference (C2 uses the public form). */
E4_API E4_NODISCARD e4_err e4_ed25519_sk_to_x25519(uint8_t x_sk[E4_X25519_LEN],
                                                   const uint8_t ed_sk[E4_ED25519_SK_LEN]);
E4_API E4_NODISCARD e4_err e4_ed25519_pk_to_x25519(uint8_t x_pk[E4_X25519_LEN],
                                                   const uint8_t ed_pk[E4_ED25519_PK_LEN]);
E4_API E4_NODISCARD e4_err e4_x25519_public(uint8_t pk[E4_X25519_LEN],
                                            const uint8_t sk[E4_X25519_LEN]);

/* Constant-time comparison (1 when equal) and wiping, for applications. */
E4_API int e4_memeq(const void *a, const void *b, size_t len);
E4_API void e4_wipe(void *p, size_t len);

/* ---- stateless message functions (tools, C2, tests) -------------------- */

/* Every protect function refuses, before writing anything: an all-zero key
 * (E4_ERR_ZERO_KEY, also on unprotect), a timestamp >= 2^63 (no receiver can
 * accept it) or a payload over E4_PAYLOAD_MAX (E4_ERR_INVALID_ARGUMENT). */

/* SK format: ts || tag || ciphertext; out needs plain_len + 24 bytes. */
E4_API E4_NODISCARD e4_err e4_sk_protect(const uint8_t key[E4_KEY_LEN], uint64_t ts,
                                         const uint8_t *plain, size_t plain_len, uint8_t *out);
/* Checks length, timestamp window (max_delay seconds back, skew ahead), then
 * authenticity; out needs in_len - 24 bytes. */
E4_API E4_NODISCARD e4_err e4_sk_unprotect(const uint8_t key[E4_KEY_LEN], const uint8_t *in,
                                           size_t in_len, uint8_t *out, size_t *out_len,
                                           uint64_t now, uint32_t skew);

/* PK format: ts || signer id || tag || ciphertext || signature;
 * out needs plain_len + 104 bytes. */
E4_API E4_NODISCARD e4_err e4_pk_protect(const uint8_t key[E4_KEY_LEN],
                                         const uint8_t signer_id[E4_ID_LEN],
                                         const uint8_t ed25519_sk[E4_ED25519_SK_LEN], uint64_t ts,
                                         const uint8_t *plain, size_t plain_len, uint8_t *out);
/* The timestamp an SK or PK message claims (unix seconds), not checked nor
 * authenticated: for monitors measuring clock skew (E4_ERR_TOO_SHORT if the
 * message is shorter than a timestamp). */
e4_err e4_message_timestamp(uint64_t *ts, const uint8_t *in, size_t in_len);
/* The signer id of a PK message (E4_ERR_TOO_SHORT if it cannot be one). */
E4_API E4_NODISCARD e4_err e4_pk_signer(uint8_t id[E4_ID_LEN], const uint8_t *in, size_t in_len);
/* Checks length, timestamp, signature with signer_pk, then authenticity. */
E4_API E4_NODISCARD e4_err e4_pk_unprotect(const uint8_t key[E4_KEY_LEN],
                                           const uint8_t signer_pk[E4_ED25519_PK_LEN],
                                           const uint8_t *in, size_t in_len, uint8_t *out,
                                           size_t *out_len, uint64_t now, uint32_t skew);

/* fips-sk format: 0xE4 || 0x10 || ts || iv || C || tag, C and tag =
 * AES-256-GCM(key, iv, AD = header, plain); out needs plain_len + 38 bytes.
 * iv NULL takes 12 fresh random bytes (the normal case); a given iv is for
 * test vectors and must never repeat under one key. */
E4_API E4_NODISCARD e4_err e4_fips_sk_protect(const uint8_t key[E4_KEY_LEN], uint64_t ts,
                                              const uint8_t iv[E4_GCM_IV_LEN], const uint8_t *plain,
                                              size_t plain_len, uint8_t *out);
/* Checks length (E4_ERR_TOO_SHORT), header (E4_ERR_WRONG_SUITE), timestamp
 * window, then authenticity; out needs in_len - 38 bytes (an empty payload
 * is valid). */
E4_API E4_NODISCARD e4_err e4_fips_sk_unprotect(const uint8_t key[E4_KEY_LEN], const uint8_t *in,
                                                size_t in_len, uint8_t *out, size_t *out_len,
                                                uint64_t now, uint32_t skew);

/* fips-pk format, stateless (the state: e4_state_init_fips_pk):
 * 0xE4 || 0x11 || ts || signer id || iv || C || tag || sig, C and tag =
 * AES-256-GCM(key, iv, AD = header, plain), sig = ECDSA-P256-SHA256 (r || s,
 * low-S) over everything before it; out needs plain_len + 118 bytes. iv
 * NULL: random, as e4_fips_sk_protect. */
E4_API E4_NODISCARD e4_err e4_fips_pk_protect(const uint8_t key[E4_KEY_LEN],
                                              const uint8_t signer_id[E4_ID_LEN],
                                              const uint8_t sign_sk[E4_P256_SK_LEN], uint64_t ts,
                                              const uint8_t iv[E4_GCM_IV_LEN], const uint8_t *plain,
                                              size_t plain_len, uint8_t *out);
/* The signer id of a fips-pk message (E4_ERR_TOO_SHORT, E4_ERR_WRONG_SUITE). */
E4_API E4_NODISCARD e4_err e4_fips_pk_signer(uint8_t id[E4_ID_LEN], const uint8_t *in,
                                             size_t in_len);
/* Checks length, header, timestamp window, the signature with signer_pk
 * (E4_ERR_INVALID_SIGNATURE, also for a high-S one, r or s of 0 or >= n, or
 * a signer_pk that is not a compressed point), then authenticity. */
E4_API E4_NODISCARD e4_err e4_fips_pk_unprotect(const uint8_t key[E4_KEY_LEN],
                                                const uint8_t signer_pk[E4_P256_PK_LEN],
                                                const uint8_t *in, size_t in_len, uint8_t *out,
                                                size_t *out_len, uint64_t now, uint32_t skew);
/* The fips-pk command key between C2 and a client, from either side:
 * SHA3-256(00000001 || x(ECDH(agree_sk, peer_agree_pk)) || "E4 fips-pk
 * command key v1") (SP 800-56C one-step KDF). Commands then use the fips-sk
 * format under it. E4_ERR_INVALID_KEY for a bad scalar or point. */
E4_API E4_NODISCARD e4_err e4_fips_pk_command_key(uint8_t key[E4_KEY_LEN],
                                                  const uint8_t agree_sk[E4_P256_SK_LEN],
                                                  const uint8_t peer_agree_pk[E4_P256_PK_LEN]);
/* A random P-256 key pair (for signing or for key agreement: one each). */
E4_API E4_NODISCARD e4_err e4_p256_keypair(uint8_t sk[E4_P256_SK_LEN], uint8_t pk[E4_P256_PK_LEN]);

/* pq-pk format (hybrid), stateless (the state: e4_state_init_pq_pk):
 * M = 0xE4 || 0x21 || ts || signer id || V || C with V || C =
 * AES-SIV(key, AD = [header], plain); message = M || Ed25519(M) ||
 * ML-DSA-65(M, ctx "E4 pq-pk v1", hedged). out needs plain_len + 3,415. */
E4_API E4_NODISCARD e4_err e4_pq_pk_protect(const uint8_t key[E4_KEY_LEN],
                                            const uint8_t signer_id[E4_ID_LEN],
                                            const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                                            const uint8_t mldsa_seed[E4_MLDSA65_SEED_LEN],
                                            uint64_t ts, const uint8_t *plain, size_t plain_len,
                                            uint8_t *out);
E4_API E4_NODISCARD e4_err e4_pq_pk_signer(uint8_t id[E4_ID_LEN], const uint8_t *in, size_t in_len);
/* Checks length, header, timestamp, both signatures (either failing:
 * E4_ERR_INVALID_SIGNATURE), then authenticity. */
E4_API E4_NODISCARD e4_err e4_pq_pk_unprotect(const uint8_t key[E4_KEY_LEN],
                                              const uint8_t signer_ed25519_pk[E4_ED25519_PK_LEN],
                                              const uint8_t signer_mldsa_pk[E4_MLDSA65_PK_LEN],
                                              const uint8_t *in, size_t in_len, uint8_t *out,
                                              size_t *out_len, uint64_t now, uint32_t skew);
/* The public keys of an ML-DSA-65 seed and of an X-Wing seed. */
E4_API E4_NODISCARD e4_err e4_mldsa65_public(uint8_t pk[E4_MLDSA65_PK_LEN],
                                             const uint8_t seed[E4_MLDSA65_SEED_LEN]);
E4_API E4_NODISCARD e4_err e4_xwing_public(uint8_t pk[E4_XWING_PK_LEN],
                                           const uint8_t seed[E4_XWING_SEED_LEN]);

/* pq-pk key establishment, C2's side: X-Wing encapsulation to the client's
 * key (eseed NULL: 64 random bytes; given: test vectors), signed by C2 with
 * both keys (ML-DSA context "E4 pq-pk c2 v1"); *out is
 * E4_PQ_PK_KEY_MSG_LEN bytes and cmd_key receives
 * K_epoch = SHA3-256("E4 pq-pk command key v1" || epoch(4, LE) || ss). */
E4_API E4_NODISCARD e4_err e4_pq_pk_key_establish(uint8_t out[E4_PQ_PK_KEY_MSG_LEN],
                                                  uint8_t cmd_key[E4_KEY_LEN],
                                                  const uint8_t c2_ed25519_sk[E4_ED25519_SK_LEN],
                                                  const uint8_t c2_mldsa_seed[E4_MLDSA65_SEED_LEN],
                                                  const uint8_t client_xwing_pk[E4_XWING_PK_LEN],
                                                  uint32_t epoch, uint64_t ts,
                                                  const uint8_t eseed[64]);
/* The same in two steps, for a C2 that queues the establishment and sends
 * it later (the timestamp is signed when it is sent): encaps gives the
 * X-Wing ciphertext and K_epoch (eseed as above); sign writes the whole
 * message around ct (ct may point into out) at ts.
 * e4_pq_pk_key_establish = encaps, then sign. */
E4_API E4_NODISCARD e4_err e4_pq_pk_key_encaps(uint8_t ct[E4_XWING_CT_LEN],
                                               uint8_t cmd_key[E4_KEY_LEN],
                                               const uint8_t client_xwing_pk[E4_XWING_PK_LEN],
                                               uint32_t epoch, const uint8_t eseed[64]);
E4_API E4_NODISCARD e4_err e4_pq_pk_key_sign(uint8_t out[E4_PQ_PK_KEY_MSG_LEN],
                                             const uint8_t ct[E4_XWING_CT_LEN], uint32_t epoch,
                                             uint64_t ts,
                                             const uint8_t c2_ed25519_sk[E4_ED25519_SK_LEN],
                                             const uint8_t c2_mldsa_seed[E4_MLDSA65_SEED_LEN]);
/* The client's side: header, timestamp, C2's two signatures, then
 * decapsulation; gives K_epoch and the epoch (whose order, no rollback, is
 * the state's to check). */
E4_API E4_NODISCARD e4_err e4_pq_pk_key_open(uint8_t cmd_key[E4_KEY_LEN], uint32_t *epoch,
                                             const uint8_t *in, size_t in_len,
                                             const uint8_t c2_ed25519_pk[E4_ED25519_PK_LEN],
                                             const uint8_t c2_mldsa_pk[E4_MLDSA65_PK_LEN],
                                             const uint8_t xwing_seed[E4_XWING_SEED_LEN],
                                             uint64_t now, uint32_t skew);
/* A command under K_epoch: header || 0x02 || epoch || V || C, V || C =
 * AES-SIV(K_epoch, AD = [header || 0x02 || epoch], cmd); out needs
 * cmd_len + E4_PQ_PK_CMD_OVERHEAD. open gives the command and its epoch. */
E4_API E4_NODISCARD e4_err e4_pq_pk_command_protect(const uint8_t cmd_key[E4_KEY_LEN],
                                                    uint32_t epoch, uint64_t ts, const uint8_t *cmd,
                                                    size_t cmd_len, uint8_t *out);
E4_API E4_NODISCARD e4_err e4_pq_pk_command_open(const uint8_t cmd_key[E4_KEY_LEN],
                                                 const uint8_t *in, size_t in_len, uint8_t *out,
                                                 size_t *out_len, uint32_t *epoch, uint64_t now,
                                                 uint32_t skew);

/* ---- C2 side: commands --------------------------------------------------- */

typedef enum e4_command {
    E4_CMD_REMOVE_TOPIC = 0x00,  /* topic_hash(16) */
    E4_CMD_RESET_TOPICS = 0x01,  /* none */
    E4_CMD_SET_ID_KEY = 0x02,    /* key(32) SK, Ed25519 private key(64) PK */
    E4_CMD_SET_TOPIC_KEY = 0x03, /* key(32) || topic_hash(16) */
    E4_CMD_REMOVE_PUBKEY = 0x04, /* id(16) */
    E4_CMD_RESET_PUBKEYS = 0x05, /* none */
    E4_CMD_SET_PUBKEY = 0x06,    /* ed25519_public(32) || id(16) */
    E4_CMD_SET_C2_KEY = 0x07     /* x25519_public(32) */
} e4_command;
#define E4_COMMAND_MAX 65

/* Build the command plaintext opcode || args (args in wire order, exact
 * length checked). Protect it with e4_sk_protect under the client's key
 * (SK mode) or e4_c2_shared_key() (PK mode). */
E4_API E4_NODISCARD e4_err e4_command_build(uint8_t out[E4_COMMAND_MAX], size_t *out_len,
                                            e4_command cmd, const uint8_t *args, size_t args_len);
/* The same in a suite, with the suite's argument sizes (fips-sk as base SK;
 * fips-pk: SetIDKey sign_sk(32) || agree_sk(32), SetPubKey sign_pk(33) ||
 * id, SetC2Key c2_agree_pk(33); pq-pk: SetIDKey ed25519_sk(64) ||
 * mldsa_seed(32) || xwing_seed(32), SetPubKey ed25519_pk(32) ||
 * mldsa_pk(1952) || id, SetC2Key c2_ed25519_pk(32) || c2_mldsa_pk(1952));
 * out holds out_cap bytes, at most E4_SUITE_COMMAND_MAX needed. Protect it
 * with e4_fips_sk_protect (fips-sk: the client key; fips-pk:
 * e4_fips_pk_command_key) or e4_pq_pk_command_protect (pq-pk). */
#define E4_SUITE_COMMAND_MAX (1 + E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN + E4_ID_LEN)
E4_API E4_NODISCARD e4_err e4_command_build_suite(uint8_t *out, size_t out_cap, size_t *out_len,
                                                  e4_suite suite, e4_command cmd,
                                                  const uint8_t *args, size_t args_len);
/* A command's argument length in a suite; SIZE_MAX when the suite has no
 * such command or the suite is unknown. Base gives the PK lengths (base
 * SetIDKey is 32 bytes for an SK client). */
E4_API size_t e4_command_args_len(e4_suite suite, e4_command cmd);
/* The key protecting commands to a PK client:
 * SHA3-256(X25519(c2_x25519_sk, x_pub(client_ed25519_pk))). */
E4_API E4_NODISCARD e4_err e4_c2_shared_key(uint8_t key[E4_KEY_LEN],
                                            const uint8_t c2_x25519_sk[E4_X25519_LEN],
                                            const uint8_t client_ed25519_pk[E4_ED25519_PK_LEN]);

/* ---- the core state --------------------------------------------------- */

typedef struct e4_state e4_state;

/* Capacities fixed when the state is created. replay = 0 disables the
 * replay cache; otherwise it remembers that many recent messages. The C2
 * commands it remembers as applied are saved with the state (storage format
 * version 2 and later; older files still load) and reloaded, so a command replayed
 * after a restart is refused too (no key rollback). */
typedef struct e4_limits {
    uint32_t topics;
    uint32_t pubkeys; /* public-key mode only; 0 in SK mode */
    uint32_t replay;
} e4_limits;

/* Bytes of caller memory a state with these limits needs (8-byte aligned),
 * in the base suite (and fips-sk, whose keys are the base SK ones).
 * E4_STATE_SIZE is the same figure as a constant expression, for static
 * buffers on devices. The public-key suites need more: the suite's own and
 * C2 keys beside the header, and longer public-key entries:
 *
 *   suite          suite keys   per public key   16 peers, 16 topics, 64 replay
 *   base, fips-sk       0            56            448 + 1536 + 896 + 1536 = 4,416
 *   fips-pk            40            64            4,584
 *   pq-pk           2,104         2,008            37,752
 *
 * (a pq-pk peer's keys are Ed25519 32 + ML-DSA-65 1,952 bytes, and C2's the
 * same; the X-Wing and ML-DSA private keys are kept as 32-byte seeds).
 * e4_state_size_suite and E4_STATE_SIZE_SUITE give the size in any suite. */
E4_API size_t e4_state_size(const e4_limits *limits);
E4_API size_t e4_state_size_suite(e4_suite suite, const e4_limits *limits);
#define E4_STATE_HEADER_SIZE 448
#define E4_TOPIC_ENTRY_SIZE 96 /* slot + two index words */
#define E4_PUBKEY_ENTRY_SIZE 56
#define E4_PUBKEY_ENTRY_SIZE_FIPS_PK 64 /* id(16) pk(33) padded to 56, index words */
#define E4_PUBKEY_ENTRY_SIZE_PQ_PK 2008 /* id(16) ed25519(32) mldsa65(1952), index words */
#define E4_SUITE_KEYS_SIZE_FIPS_PK 40   /* C2's agreement key */
#define E4_SUITE_KEYS_SIZE_PQ_PK 2104   /* seeds, C2's two keys, the previous epoch */
#define E4_REPLAY_ENTRY_SIZE 24
#define E4_PUBKEY_ENTRY_SIZE_OF(suite)                                    \
    ((suite) == E4_SUITE_PQ_PK     ? (size_t)E4_PUBKEY_ENTRY_SIZE_PQ_PK   \
     : (suite) == E4_SUITE_FIPS_PK ? (size_t)E4_PUBKEY_ENTRY_SIZE_FIPS_PK \
                                   : (size_t)E4_PUBKEY_ENTRY_SIZE)
#define E4_SUITE_KEYS_SIZE(suite)                                       \
    ((suite) == E4_SUITE_PQ_PK     ? (size_t)E4_SUITE_KEYS_SIZE_PQ_PK   \
     : (suite) == E4_SUITE_FIPS_PK ? (size_t)E4_SUITE_KEYS_SIZE_FIPS_PK \
                                   : (size_t)0)
#define E4_STATE_SIZE_SUITE(suite, topics, pubkeys, replay)                                    \
    ((size_t)E4_STATE_HEADER_SIZE + E4_SUITE_KEYS_SIZE(suite) +                                \
     (size_t)(topics)*E4_TOPIC_ENTRY_SIZE + (size_t)(pubkeys)*E4_PUBKEY_ENTRY_SIZE_OF(suite) + \
     (size_t)(((replay) + 3u) & ~3u) * E4_REPLAY_ENTRY_SIZE)
#define E4_STATE_SIZE(topics, pubkeys, replay) \
    E4_STATE_SIZE_SUITE(E4_SUITE_BASE, topics, pubkeys, replay)

/* Create a symmetric-key (SK) or public-key (PK) client state in mem.
 * *out points into mem; nothing else is allocated. */
E4_API E4_NODISCARD e4_err e4_state_init_sk(e4_state **out, void *mem, size_t mem_len,
                                            const e4_limits *limits, const uint8_t id[E4_ID_LEN],
                                            const uint8_t key[E4_KEY_LEN]);
E4_API E4_NODISCARD e4_err e4_state_init_pk(e4_state **out, void *mem, size_t mem_len,
                                            const e4_limits *limits, const uint8_t id[E4_ID_LEN],
                                            const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                                            const uint8_t c2_x25519_pk[E4_X25519_LEN]);
/* The same as e4_state_init_sk in the fips-sk suite: messages and commands
 * in the fips-sk format (AES-256-GCM) under the same keys. Needs a backend
 * with GCM (E4_ERR_UNSUPPORTED in the portable one). */
E4_API E4_NODISCARD e4_err e4_state_init_fips_sk(e4_state **out, void *mem, size_t mem_len,
                                                 const e4_limits *limits,
                                                 const uint8_t id[E4_ID_LEN],
                                                 const uint8_t key[E4_KEY_LEN]);
/* A fips-pk state (mode PK): own signing and agreement P-256 private keys
 * (32-byte big-endian scalars) and C2's agreement public key (compressed);
 * commands come in the fips-sk format under e4_fips_pk_command_key. mem
 * needs e4_state_size_suite(E4_SUITE_FIPS_PK, limits) bytes. Needs a backend
 * with GCM and P-256 (E4_ERR_UNSUPPORTED otherwise). E4_ERR_INVALID_KEY,
 * with mem untouched, for a scalar outside [1, n-1] or a c2_agree_pk that is
 * not a compressed point on the curve. */
E4_API E4_NODISCARD e4_err e4_state_init_fips_pk(e4_state **out, void *mem, size_t mem_len,
                                                 const e4_limits *limits,
                                                 const uint8_t id[E4_ID_LEN],
                                                 const uint8_t sign_sk[E4_P256_SK_LEN],
                                                 const uint8_t agree_sk[E4_P256_SK_LEN],
                                                 const uint8_t c2_agree_pk[E4_P256_PK_LEN]);
/* A pq-pk state (mode PK): own Ed25519 key, ML-DSA-65 and X-Wing seeds, and
 * C2's Ed25519 and ML-DSA-65 public keys. It has no command key until C2's
 * first key establishment on the control topic (epochs: the current and the
 * previous key are kept, an epoch not above the current one is refused as
 * E4_ERR_REPLAYED). mem needs e4_state_size_suite(E4_SUITE_PQ_PK, limits). */
E4_API E4_NODISCARD e4_err e4_state_init_pq_pk(e4_state **out, void *mem, size_t mem_len,
                                               const e4_limits *limits, const uint8_t id[E4_ID_LEN],
                                               const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                                               const uint8_t mldsa_seed[E4_MLDSA65_SEED_LEN],
                                               const uint8_t xwing_seed[E4_XWING_SEED_LEN],
                                               const uint8_t c2_ed25519_pk[E4_ED25519_PK_LEN],
                                               const uint8_t c2_mldsa_pk[E4_MLDSA65_PK_LEN]);
/* The current pq-pk command-key epoch; 0 before the first key
 * establishment and in other suites. */
E4_API uint32_t e4_state_epoch(const e4_state *s);
/* Wipe every key in the state; the memory may then be reused. */
E4_API void e4_state_wipe(e4_state *s);

typedef enum e4_mode { E4_MODE_SK = 1, E4_MODE_PK = 2 } e4_mode;
E4_API e4_mode e4_state_mode(const e4_state *s);
E4_API e4_suite e4_state_suite(const e4_state *s);
E4_API void e4_state_id(const e4_state *s, uint8_t id[E4_ID_LEN]);
E4_API const e4_limits *e4_state_limits(const e4_state *s);
E4_API uint32_t e4_state_topic_count(const e4_state *s);
E4_API uint32_t e4_state_pubkey_count(const e4_state *s);

/* Seconds a timestamp may lie in the future (default 0, as the reference). */
E4_API void e4_state_set_clock_skew(e4_state *s, uint32_t seconds);
/* Whether the replay cache refuses data messages seen before (default 1).
 * 0 leaves that to the caller, e.g. a proxy that delivers one broker
 * message to several devices and checks replays per device; C2 commands
 * are always checked (no key rollback). Not saved with the state. */
E4_API void e4_state_set_data_replay_check(e4_state *s, int on);
/* Override the control topic (default "e4/<hex id>"); 1..128 bytes. */
E4_API E4_NODISCARD e4_err e4_state_set_control_topic(e4_state *s, const char *topic);
E4_API const char *e4_state_control_topic(const e4_state *s);

/* Local key management (what C2 commands do, for provisioning and tests).
 * These are persisted like commands when storage is set. The topic must
 * pass e4_validate_topic (E4_ERR_INVALID_TOPIC); a zero key is refused. */
E4_API E4_NODISCARD e4_err e4_state_set_topic_key(e4_state *s, const char *topic,
                                                  const uint8_t key[E4_KEY_LEN], uint64_t now);
E4_API E4_NODISCARD e4_err e4_state_set_pubkey(e4_state *s, const uint8_t id[E4_ID_LEN],
                                               const uint8_t pk[E4_ED25519_PK_LEN]);

/* A peer's public key in the state's suite: base 32 bytes (Ed25519),
 * fips-pk 33 (compressed P-256 signing key), pq-pk 1,984 (Ed25519 ||
 * ML-DSA-65); E4_ERR_INVALID_ARG_LENGTH for another length. A fips-pk key
 * that is not a compressed point on P-256 is E4_ERR_INVALID_KEY (as the
 * SetPubKey and SetC2Key commands), and the state is left unchanged. */
E4_API E4_NODISCARD e4_err e4_state_set_suite_pubkey(e4_state *s, const uint8_t id[E4_ID_LEN],
                                                     const uint8_t *pk, size_t pk_len);

/* Bytes a protected message of a payload of plain_len takes. */
E4_API size_t e4_protected_len(const e4_state *s, size_t plain_len);

/* Protect plain for topic at time now (unix seconds) into out. */
E4_API E4_NODISCARD e4_err e4_protect(e4_state *s, const char *topic, const uint8_t *plain,
                                      size_t plain_len, uint8_t *out, size_t out_cap,
                                      size_t *out_len, uint64_t now);

/* Unprotect a message received on topic. Returns E4_OK with the payload in
 * out, or E4_COMMAND when the message was a C2 command on the control topic
 * (it has been applied and persisted; *out_len is 0). out needs in_len bytes
 * at most. On error out holds no plaintext (it may have been zeroed) and the
 * state is unchanged. */
E4_API E4_NODISCARD e4_err e4_unprotect(e4_state *s, const char *topic, const uint8_t *in,
                                        size_t in_len, uint8_t *out, size_t out_cap,
                                        size_t *out_len, uint64_t now);

/* The same with the topic hash already computed (saves a SHA3 per call). */
E4_API E4_NODISCARD e4_err e4_protect_hashed(e4_state *s,
                                             const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                                             const uint8_t *plain, size_t plain_len, uint8_t *out,
                                             size_t out_cap, size_t *out_len, uint64_t now);
E4_API E4_NODISCARD e4_err e4_unprotect_hashed(e4_state *s,
                                               const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                                               const uint8_t *in, size_t in_len, uint8_t *out,
                                               size_t out_cap, size_t *out_len, uint64_t now);

/* Iterate stored keys (for tools: `keys`). Returns E4_OK while i is valid. */
E4_API E4_NODISCARD e4_err e4_state_topic_at(const e4_state *s, uint32_t i,
                                             uint8_t hash[E4_TOPIC_HASH_LEN],
                                             uint8_t key[E4_KEY_LEN], int *has_old_key);
E4_API E4_NODISCARD e4_err e4_state_pubkey_at(const e4_state *s, uint32_t i, uint8_t id[E4_ID_LEN],
                                              uint8_t pk[E4_ED25519_PK_LEN]);

/* ---- durable state ------------------------------------------------------ */

/* A place to keep the state. save: begin, write..., commit must replace the
 * previous version atomically (or abort on failure). load: read returns the
 * number of bytes read (0 at the end), or < 0 on error. Return 0 on success. */
typedef struct e4_storage {
    void *ctx;
    int (*begin)(void *ctx);
    int (*write)(void *ctx, const void *data, size_t len);
    int (*commit)(void *ctx);
    void (*abort)(void *ctx);
    long (*read)(void *ctx, void *data, size_t len);
} e4_storage;

/* Once set, every change (command, local key change) is written before the
 * call that made it returns; if writing fails the change is not applied.
 * The storage struct must outlive the state. NULL detaches. */
E4_API void e4_state_set_storage(e4_state *s, const e4_storage *storage);
E4_API E4_NODISCARD e4_err e4_state_save(const e4_state *s, const e4_storage *storage);
/* Load a saved state into mem. A truncated or damaged store is an error and
 * leaves no state behind. */
E4_API E4_NODISCARD e4_err e4_state_load(e4_state **out, void *mem, size_t mem_len,
                                         const e4_limits *limits, const e4_storage *storage);

/* The file store: atomic replace (temporary file PATH.e4save-XXXXXX, mode
 * 0600, fsync, rename, fsync of the directory). The struct is caller memory;
 * path must outlive it. A save holds an exclusive flock(2) on its temporary
 * file; a load first removes the temporaries of PATH that no live writer
 * holds (left by a process killed while saving: they contain keys). */
#define E4_FILE_STORE_ERROR_MAX 512
typedef struct e4_file_store {
    e4_storage storage; /* pass &fs.storage */
    const char *path;
    int fd;
    char tmp_path[4096];
    char error[E4_FILE_STORE_ERROR_MAX]; /* see e4_file_store_error */
} e4_file_store;
E4_API void e4_file_store_init(e4_file_store *fs, const char *path);
/* Why the last load or save through fs failed (E4_ERR_STORAGE_IO): the
 * operation, the path and the system's reason, e.g. "cannot create a
 * temporary file beside /var/lib/e4/dev.e4: Read-only file system". "" when
 * the last operation did not fail in the file system. Never holds key
 * material. Valid until the next operation on fs. */
E4_API const char *e4_file_store_error(const e4_file_store *fs);

#ifdef __cplusplus
}
#endif
#endif
