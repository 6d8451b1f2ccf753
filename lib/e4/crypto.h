/*
 * The crypto backend interface of libe4: everything the protocol needs from
 * cryptography, and nothing else. The core (state.c, message.c, command.c)
 * calls only these functions, so a port to a microcontroller replaces the
 * backend files at link time and keeps the core. The default backend is
 * OpenSSL 3 (AES, SHA3) + libsodium (Ed25519, X25519, CSPRNG, BLAKE2b).
 *
 * Conventions: int results are 0 on success and -1 on failure.
 */
#ifndef E4_CRYPTO_H
#define E4_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* One-time global setup (idempotent, thread-safe). */
int e4c_init(void);

/* 1 when the backend implements Ed25519 and X25519 (public-key mode). The
 * portable backend does not: its e4c_ed25519_* and e4c_x25519* functions
 * fail, and the core answers E4_ERR_UNSUPPORTED before calling them. */
int e4c_has_pk(void);

void e4c_sha3_256(uint8_t out[32], const void *in, size_t len);
/* SHA3-256(a || b): a domain label and a key hashed without copying the key
 * next to the label on the stack. */
void e4c_sha3_256_cat(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen);

/* Keccak (FIPS 202), one implementation for both backends (crypto/keccak.c).
 * An XOF is absorbed, then squeezed any number of times in any amounts;
 * e4c_xof_wipe clears it (it holds whatever was absorbed). */
#define E4C_SHAKE128_RATE 168
#define E4C_SHAKE256_RATE 136
typedef struct e4c_xof {
    uint64_t a[25];
    unsigned rate, pos;
    uint8_t suffix, squeezing;
} e4c_xof;
void e4c_shake128_init(e4c_xof *s);
void e4c_shake256_init(e4c_xof *s);
void e4c_xof_absorb(e4c_xof *s, const void *in, size_t len);
void e4c_xof_squeeze(e4c_xof *s, uint8_t *out, size_t len);
void e4c_xof_wipe(e4c_xof *s);
/* SHA3-512(a || b) and SHA3-256(a || b) on this Keccak. */
void e4c_sha3_512(uint8_t out[64], const void *a, size_t alen, const void *b, size_t blen);
void e4c_keccak_sha3_256(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen);
void e4c_keccak_f1600(uint64_t a[25]);

/* RFC 5297 AES-SIV with the 64-byte key key||key and exactly one associated
 * data item (E4 uses the 8-byte timestamp; other lengths are supported for
 * the test vectors). seal writes tag(16) || ciphertext(n); plain may be
 * exactly out + 16 (sealed in place: receipts build their plaintext where
 * the ciphertext goes, having no heap for a copy), any other overlap is
 * undefined.
 * open reads tag || ciphertext (n = ciphertext length), writes n bytes of
 * plaintext only when authentic, and returns -1 otherwise. */
int e4c_siv_seal(const uint8_t key[32], const uint8_t *ad, size_t ad_len, const uint8_t *plain,
                 size_t n, uint8_t *out);
int e4c_siv_open(const uint8_t key[32], const uint8_t *ad, size_t ad_len, const uint8_t *in,
                 size_t n, uint8_t *out);
/* Drop any expanded copy of key the backend keeps (key replaced or
 * removed); NULL drops them all. */
void e4c_siv_forget(const uint8_t key[32]);

/* AES-256-GCM (SP 800-38D) with a 96-bit iv, for the fips-sk and fips-pk
 * suites. seal writes C(n) || tag(16); open reads the same (n = ciphertext
 * length) and writes the n bytes of plaintext only when authentic. The
 * portable backend has no GCM: e4c_has_gcm() is 0 and both fail. */
int e4c_has_gcm(void);
int e4c_gcm_seal(const uint8_t key[32], const uint8_t iv[12], const uint8_t *ad, size_t ad_len,
                 const uint8_t *plain, size_t n, uint8_t *out);
int e4c_gcm_open(const uint8_t key[32], const uint8_t iv[12], const uint8_t *ad, size_t ad_len,
                 const uint8_t *in, size_t n, uint8_t *out);

/* ECDSA and ECDH on P-256 (the fips-pk suite). Public keys are compressed
 * SEC1 points (33 bytes), private keys 32-byte big-endian scalars in
 * [1, n-1]. Signatures are r || s (32 + 32, big-endian) over SHA-256(msg);
 * sign produces low-S (s <= n/2), verify refuses high-S, r or s of 0 or
 * >= n, and public keys not on the curve. ECDH gives the x-coordinate of
 * sk * peer (fails on a point off the curve). The portable backend has
 * none: e4c_has_p256() is 0 and all fail. */
int e4c_has_p256(void);
int e4c_p256_public(uint8_t pk[33], const uint8_t sk[32]);
int e4c_p256_sign(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t sk[32]);
int e4c_p256_verify(const uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t pk[33]);
int e4c_p256_ecdh(uint8_t z[32], const uint8_t sk[32], const uint8_t peer_pk[33]);
/* 0 when pk is a compressed point on P-256: prefix 02 or 03, x < p, and x
 * on the curve (a public key is checked where it enters a state, so that
 * a stored key is always usable). */
int e4c_p256_check_public(const uint8_t pk[33]);

/* Ed25519 with the 64-byte seed||public private key. */
int e4c_ed25519_seed_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32]);
int e4c_ed25519_sign(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t sk[64]);
int e4c_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t pk[32]);

/* X25519; fails on a low-order peer point (all-zero shared secret). */
int e4c_x25519(uint8_t shared[32], const uint8_t sk[32], const uint8_t pk[32]);
int e4c_x25519_base(uint8_t pk[32], const uint8_t sk[32]);

/* Ed25519 -> X25519 as the reference: sk = clamp(SHA-512(seed)[0:32]);
 * pk = Montgomery u = (1+y)/(1-y) mod 2^255-19, which the reference also
 * computes for small-order and non-canonical points; fails (-1) only when y
 * is not on the curve. */
int e4c_ed25519_sk_to_x25519(uint8_t x_sk[32], const uint8_t ed_sk[64]);
int e4c_ed25519_pk_to_x25519(uint8_t x_pk[32], const uint8_t ed_pk[32]);

/* Argon2i v1.3, empty salt, t=1, m=65536 KiB, p=4, 32-byte output (RFC 9106).
 * Allocates 64 MiB. */
int e4c_argon2i_e4(uint8_t out[32], const uint8_t *password, size_t len);

/* The randomness source. The openssl backend uses libsodium's CSPRNG unless
 * a source is set; the portable backend has none of its own (a device has
 * its TRNG) and stops the program (trap) when asked for random bytes without
 * one, rather than hand out a predictable key. fn returns 0 on success. */
typedef int (*e4c_random_fn)(void *ctx, uint8_t *buf, size_t len);
void e4c_set_random(e4c_random_fn fn, void *ctx);
void e4c_random(void *buf, size_t len);
void e4c_wipe(void *p, size_t len);
/* Constant time; 1 when equal. */
int e4c_memeq(const void *a, const void *b, size_t len);

#endif
