/*
 * ML-KEM's ring R_q = Z_3329[X]/(X^256 + 1) (FIPS 203, section 4): the NTT,
 * sampling and byte encodings. Internal to lib/e4/pq.
 *
 * Coefficients are int16_t. Multiplication uses Montgomery reduction with
 * R = 2^16; the NTT tables hold zeta * R mod q, so the NTT itself stays in
 * the normal domain, a product of two NTT-domain polynomials carries a
 * factor R^-1, and the inverse NTT multiplies it back (its final scale is
 * R^2 / 128). Values between steps are "small" representatives (|a| < 2^15),
 * made canonical ([0, q)) only when encoded.
 */
#ifndef E4_PQ_MLKEM_POLY_H
#define E4_PQ_MLKEM_POLY_H

#include <stdint.h>

#define KEM_N 256
#define KEM_Q 3329
#define KEM_K 3

typedef struct kem_poly {
    int16_t c[KEM_N];
} kem_poly;

/* The 128 zetas 17^BitRev7(i) * R mod q (centered), exported for the test
 * that recomputes them. */
extern const int16_t e4pq_kem_zetas[128];

void kem_ntt(kem_poly *a);
void kem_invntt(kem_poly *a);
/* r = a o b in the NTT domain (Algorithm 11), times R^-1. */
void kem_basemul(kem_poly *r, const kem_poly *a, const kem_poly *b);
void kem_add(kem_poly *r, const kem_poly *a);
void kem_sub(kem_poly *r, const kem_poly *a);
/* Barrett: each coefficient to its representative in [-(q-1)/2, (q-1)/2]. */
void kem_reduce(kem_poly *a);
/* Multiply by R (after a basemul whose result stays in the NTT domain). */
void kem_tomont(kem_poly *a);

/* SampleNTT(rho || x || y) (Algorithm 7); public data. */
void kem_sample_ntt(kem_poly *a, const uint8_t rho[32], uint8_t x, uint8_t y);
/* SamplePolyCBD_2(PRF_2(seed, nonce)) (Algorithms 8, and PRF of 4.1). */
void kem_sample_cbd2(kem_poly *a, const uint8_t seed[32], uint8_t nonce);

/* ByteEncode_12 of the canonical coefficients / ByteDecode_12. */
void kem_tobytes(uint8_t out[384], const kem_poly *a);
void kem_frombytes(kem_poly *a, const uint8_t in[384]);
/* ByteEncode_d(Compress_d(a)) and Decompress_d(ByteDecode_d(in)), d in
 * 1..11; out/in are 32 * d bytes. */
void kem_compress(uint8_t *out, const kem_poly *a, unsigned d);
void kem_decompress(kem_poly *a, const uint8_t *in, unsigned d);

/* Compress_d of one canonical coefficient, exported for the exhaustive test. */
uint16_t e4pq_kem_compress_coeff(uint16_t x, unsigned d);

#endif
