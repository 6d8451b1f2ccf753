/*
 * ML-DSA's ring R_q = Z_8380417[X]/(X^256 + 1) (FIPS 204, sections 7.4 to
 * 7.6 and 8.3): the NTT, rounding, sampling and bit packing. Internal to
 * lib/e4/pq.
 *
 * Coefficients are int32_t. Multiplication uses Montgomery reduction with
 * R = 2^32; the NTT tables hold zeta * R mod q, so the NTT stays in the
 * normal domain, a pointwise product carries R^-1, and the inverse NTT
 * (final scale R^2 / 256) multiplies it back. Between steps values are
 * small representatives (|a| < 2^31), made canonical where the standard
 * needs [0, q) (rounding, packing).
 */
#ifndef E4_PQ_MLDSA_POLY_H
#define E4_PQ_MLDSA_POLY_H

#include <stddef.h>
#include <stdint.h>

#define DSA_N 256
#define DSA_Q 8380417
#define DSA_K 6
#define DSA_L 5
#define DSA_D 13
#define DSA_ETA 4
#define DSA_TAU 49
#define DSA_BETA (DSA_TAU * DSA_ETA)
#define DSA_GAMMA1 (1 << 19)
#define DSA_GAMMA2 ((DSA_Q - 1) / 32)
#define DSA_OMEGA 55
#define DSA_CTILDE 48 /* lambda / 4 */

typedef struct dsa_poly {
    int32_t c[DSA_N];
} dsa_poly;

/* 1753^BitRev8(i) * R mod q (centered), exported for the table test. */
extern const int32_t e4pq_dsa_zetas[256];

void dsa_ntt(dsa_poly *a);
/* Input |a| < q (reduce first). */
void dsa_invntt(dsa_poly *a);
/* r = a o b (times R^-1); r += a o b. */
void dsa_pointwise(dsa_poly *r, const dsa_poly *a, const dsa_poly *b);
void dsa_pointwise_acc(dsa_poly *r, const dsa_poly *a, const dsa_poly *b);
void dsa_add(dsa_poly *r, const dsa_poly *a);
void dsa_sub(dsa_poly *r, const dsa_poly *a);
void dsa_shift_d(dsa_poly *a); /* a * 2^d */
/* To |a| <= 6283008 (< q), congruent. */
void dsa_reduce(dsa_poly *a);
/* To [0, q). */
void dsa_freeze(dsa_poly *a);
/* 1 when some centered coefficient has |a| >= bound; constant time. */
int dsa_norm_exceeds(const dsa_poly *a, int32_t bound);

/* Power2Round (Algorithm 35) of a canonical a: a = a1 * 2^d + a0. */
void dsa_power2round(dsa_poly *a1, dsa_poly *a0, const dsa_poly *a);
/* Decompose (Algorithm 36) of one canonical coefficient; exported for the
 * exhaustive test. */
int32_t e4pq_dsa_decompose(int32_t *a0, int32_t a);
/* HighBits of every (canonical) coefficient. */
void dsa_highbits(dsa_poly *a1, const dsa_poly *a);
/* UseHint (Algorithm 40) on canonical a with hints h (0/1). */
void dsa_use_hint(dsa_poly *a1, const dsa_poly *a, const dsa_poly *h);

/* RejNTTPoly(rho || s || r) (Algorithms 30, 32); public. */
void dsa_sample_ntt(dsa_poly *a, const uint8_t rho[32], uint8_t s, uint8_t r);
/* RejBoundedPoly(rho' || IntegerToBytes(index, 2)) with eta = 4 (Algorithm 31). */
void dsa_sample_eta(dsa_poly *a, const uint8_t rhoprime[64], uint16_t index);
/* One polynomial of ExpandMask (Algorithm 34): BitUnpack(H(rho'' || kappa, 640)). */
void dsa_sample_mask(dsa_poly *a, const uint8_t rhopp[64], uint16_t kappa);
/* SampleInBall(c~) (Algorithm 29); c~ is public (part of the signature). */
void dsa_sample_in_ball(dsa_poly *c, const uint8_t ctilde[DSA_CTILDE]);

/* SimpleBitPack / BitPack with offset b (b - a_i) in `bits` bits per
 * coefficient, and the reverse; 32 * bits bytes. */
void dsa_pack(uint8_t *out, const dsa_poly *a, unsigned bits, int32_t b);
void dsa_unpack(dsa_poly *a, const uint8_t *in, unsigned bits, int32_t b);
void dsa_pack_simple(uint8_t *out, const dsa_poly *a, unsigned bits);
void dsa_unpack_simple(dsa_poly *a, const uint8_t *in, unsigned bits);

#endif
