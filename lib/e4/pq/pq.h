/*
 * Post-quantum primitives of libe4, written here from the standards:
 * ML-KEM-768 (FIPS 203), ML-DSA-65 (FIPS 204) and X-Wing
 * (draft-connolly-cfrg-xwing-kem: ML-KEM-768 + X25519). Internal to libe4
 * (the pq-pk suite builds on them); not part of the public API.
 *
 * All of it is heap-free and constant-time in its secrets: no branch and no
 * memory index depends on a secret, except where the standards sample by
 * rejection from secret-derived bytes (ML-DSA's ExpandS and its masking
 * loop), whose timing says only how often a sample was thrown away, which
 * is independent of the kept values. Secrets on the stack are wiped before
 * returning. Stack use (x86-64, measured by the bench): see
 * docs/libe4.md, "Post-quantum primitives".
 *
 * SHAKE and SHA3 come from crypto.h (crypto/keccak.c), X25519 from the
 * backend (libsodium). Results are 0 on success and -1 on failure.
 */
#ifndef E4_PQ_H
#define E4_PQ_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define E4PQ_MUST_USE __attribute__((warn_unused_result))
#else
#define E4PQ_MUST_USE
#endif

/* ---- ML-KEM-768 (FIPS 203) ---------------------------------------------- */

#define E4PQ_MLKEM768_EK 1184 /* encapsulation (public) key */
#define E4PQ_MLKEM768_DK 2400 /* decapsulation key: dk_PKE || ek || H(ek) || z */
#define E4PQ_MLKEM768_CT 1088
#define E4PQ_MLKEM_SS 32

/* ML-KEM.KeyGen_internal(d, z) (Algorithm 16). */
void e4pq_mlkem768_keygen(uint8_t ek[E4PQ_MLKEM768_EK], uint8_t dk[E4PQ_MLKEM768_DK],
                          const uint8_t d[32], const uint8_t z[32]);
/* ML-KEM.Encaps_internal(ek, m) (Algorithm 17) after the input check of
 * 7.2: fails when ek is not a canonical encoding. */
E4PQ_MUST_USE int e4pq_mlkem768_encaps(uint8_t ct[E4PQ_MLKEM768_CT], uint8_t ss[E4PQ_MLKEM_SS],
                                       const uint8_t ek[E4PQ_MLKEM768_EK], const uint8_t m[32]);
/* ML-KEM.Decaps (Algorithm 18) after the hash check of 7.3: fails when dk's
 * H(ek) does not match its ek. A corrupted ciphertext is not a failure:
 * the answer is then the implicit-rejection key J(z || ct), chosen in
 * constant time. */
E4PQ_MUST_USE int e4pq_mlkem768_decaps(uint8_t ss[E4PQ_MLKEM_SS],
                                       const uint8_t ct[E4PQ_MLKEM768_CT],
                                       const uint8_t dk[E4PQ_MLKEM768_DK]);

/* ---- ML-DSA-65 (FIPS 204), pure ------------------------------------------ */

#define E4PQ_MLDSA65_PK 1952
#define E4PQ_MLDSA65_SK 4032
#define E4PQ_MLDSA65_SIG 3309
#define E4PQ_MLDSA_CTX_MAX 255

/* ML-DSA.KeyGen_internal(xi) (Algorithm 6): the 32-byte seed is the key. */
void e4pq_mldsa65_keygen(uint8_t pk[E4PQ_MLDSA65_PK], uint8_t sk[E4PQ_MLDSA65_SK],
                         const uint8_t seed[32]);
/* ML-DSA.Sign (Algorithm 2) with the randomness given: rnd = 32 zero bytes
 * (or NULL) is the deterministic variant, 32 fresh random bytes the hedged
 * one. Fails only when ctx_len > 255. */
E4PQ_MUST_USE int e4pq_mldsa65_sign(uint8_t sig[E4PQ_MLDSA65_SIG], const uint8_t *msg,
                                    size_t msg_len, const uint8_t *ctx, size_t ctx_len,
                                    const uint8_t sk[E4PQ_MLDSA65_SK], const uint8_t rnd[32]);
/* Hedged signing with 32 bytes from the backend's randomness source. */
E4PQ_MUST_USE int e4pq_mldsa65_sign_hedged(uint8_t sig[E4PQ_MLDSA65_SIG], const uint8_t *msg,
                                           size_t msg_len, const uint8_t *ctx, size_t ctx_len,
                                           const uint8_t sk[E4PQ_MLDSA65_SK]);
/* ML-DSA.Verify (Algorithm 3): 0 when sig is valid for msg and ctx. */
E4PQ_MUST_USE int e4pq_mldsa65_verify(const uint8_t sig[E4PQ_MLDSA65_SIG], const uint8_t *msg,
                                      size_t msg_len, const uint8_t *ctx, size_t ctx_len,
                                      const uint8_t pk[E4PQ_MLDSA65_PK]);

/* ---- X-Wing (ML-KEM-768 + X25519) ---------------------------------------- */

#define E4PQ_XWING_SEED 32 /* the decapsulation key is its seed */
#define E4PQ_XWING_PK 1216 /* pk_M(1184) || pk_X(32) */
#define E4PQ_XWING_CT 1120 /* ct_M(1088) || ct_X(32) */
#define E4PQ_XWING_ESEED 64
#define E4PQ_XWING_SS 32

/* GenerateKeyPairDerand. Fails only if the backend has no X25519. */
E4PQ_MUST_USE int e4pq_xwing_keygen(uint8_t pk[E4PQ_XWING_PK], const uint8_t seed[32]);
/* EncapsulateDerand with eseed = m(32) || ek_X(32). Fails on a public key
 * whose ML-KEM part is not canonical or whose X25519 part has low order. */
E4PQ_MUST_USE int e4pq_xwing_encaps(uint8_t ct[E4PQ_XWING_CT], uint8_t ss[E4PQ_XWING_SS],
                                    const uint8_t pk[E4PQ_XWING_PK],
                                    const uint8_t eseed[E4PQ_XWING_ESEED]);
/* Encapsulate with 64 bytes from the backend's randomness source. */
E4PQ_MUST_USE int e4pq_xwing_encaps_random(uint8_t ct[E4PQ_XWING_CT], uint8_t ss[E4PQ_XWING_SS],
                                           const uint8_t pk[E4PQ_XWING_PK]);
/* Decapsulate. Fails only on a low-order X25519 ciphertext part (public
 * data; the all-zero X25519 output is refused, as libsodium and noble do). */
E4PQ_MUST_USE int e4pq_xwing_decaps(uint8_t ss[E4PQ_XWING_SS], const uint8_t ct[E4PQ_XWING_CT],
                                    const uint8_t seed[32]);

#endif
