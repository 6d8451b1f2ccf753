/*
 * ML-KEM-768 (FIPS 203): K-PKE (section 5) and the KEM (sections 6, 7).
 * k = 3, eta1 = eta2 = 2, du = 10, dv = 4. The matrix A is expanded one
 * entry at a time where it is used, so the stack holds a few vectors of
 * polynomials, never the matrix.
 */
#include "pq/pq.h"

#include "crypto.h"
#include "pq/ct.h"
#include "pq/mlkem_poly.h"

#include <string.h>

#define POLY_BYTES 384
#define DU 10
#define DV 4
#define CT_U_BYTES (KEM_K * 32 * DU)
#define DK_PKE_BYTES (KEM_K * POLY_BYTES)

typedef struct kem_vec {
    kem_poly p[KEM_K];
} kem_vec;

/* The public key, decoded: t (NTT domain) and rho. */
typedef struct kem_pub {
    kem_vec t;
    uint8_t rho[32];
} kem_pub;

/* r = sum_j A[i][j] o v[j] (transpose: A[j][i]) for one row i; A[i][j] is
 * SampleNTT(rho || j || i). */
static void matrix_row(kem_poly *r, const uint8_t rho[32], unsigned i, const kem_vec *v,
                       int transpose)
{
    kem_poly a, prod;
    for (unsigned j = 0; j < KEM_K; j++) {
        if (transpose)
            kem_sample_ntt(&a, rho, (uint8_t)i, (uint8_t)j);
        else
            kem_sample_ntt(&a, rho, (uint8_t)j, (uint8_t)i);
        kem_basemul(j ? &prod : r, &a, v->p + j);
        if (j)
            kem_add(r, &prod);
    }
    kem_reduce(r);
}

/* K-PKE.KeyGen (Algorithm 13): ek = ByteEncode12(t) || rho, dk = ByteEncode12(s). */
static void pke_keygen(uint8_t ek[E4PQ_MLKEM768_EK], uint8_t dk_pke[DK_PKE_BYTES],
                       const uint8_t d[32])
{
    uint8_t seeds[64], kbyte = KEM_K; /* rho || sigma = G(d || k) */
    e4c_sha3_512(seeds, d, 32, &kbyte, 1);
    const uint8_t *rho = seeds, *sigma = seeds + 32;
    kem_vec s, e;
    uint8_t nonce = 0;
    for (unsigned i = 0; i < KEM_K; i++)
        kem_sample_cbd2(s.p + i, sigma, nonce++);
    for (unsigned i = 0; i < KEM_K; i++)
        kem_sample_cbd2(e.p + i, sigma, nonce++);
    for (unsigned i = 0; i < KEM_K; i++) {
        kem_ntt(s.p + i);
        kem_ntt(e.p + i);
    }
    for (unsigned i = 0; i < KEM_K; i++) {
        kem_poly t;
        matrix_row(&t, rho, i, &s, 0);
        kem_tomont(&t);
        kem_add(&t, e.p + i);
        kem_tobytes(ek + i * POLY_BYTES, &t);
        kem_tobytes(dk_pke + i * POLY_BYTES, s.p + i);
    }
    memcpy(ek + DK_PKE_BYTES, rho, 32);
    e4c_wipe(seeds, sizeof seeds);
    e4c_wipe(&s, sizeof s);
    e4c_wipe(&e, sizeof e);
}

/* K-PKE.Encrypt (Algorithm 14). */
static void pke_encrypt(uint8_t ct[E4PQ_MLKEM768_CT], const kem_pub *pub, const uint8_t m[32],
                        const uint8_t r[32])
{
    kem_vec y;
    kem_poly e, u, v, mu;
    for (unsigned i = 0; i < KEM_K; i++) {
        kem_sample_cbd2(y.p + i, r, (uint8_t)i);
        kem_ntt(y.p + i);
    }
    for (unsigned i = 0; i < KEM_K; i++) { /* u = NTT^-1(A^T o y) + e1 */
        matrix_row(&u, pub->rho, i, &y, 1);
        kem_invntt(&u);
        kem_sample_cbd2(&e, r, (uint8_t)(KEM_K + i));
        kem_add(&u, &e);
        kem_compress(ct + i * 32 * DU, &u, DU);
    }
    kem_basemul(&v, pub->t.p, y.p); /* v = NTT^-1(t^T o y) + e2 + mu */
    for (unsigned j = 1; j < KEM_K; j++) {
        kem_basemul(&u, pub->t.p + j, y.p + j);
        kem_add(&v, &u);
    }
    kem_reduce(&v);
    kem_invntt(&v);
    kem_sample_cbd2(&e, r, 2 * KEM_K);
    kem_add(&v, &e);
    kem_decompress(&mu, m, 1);
    kem_add(&v, &mu);
    kem_compress(ct + CT_U_BYTES, &v, DV);
    e4c_wipe(&y, sizeof y);
    e4c_wipe(&e, sizeof e);
    e4c_wipe(&u, sizeof u);
    e4c_wipe(&v, sizeof v);
    e4c_wipe(&mu, sizeof mu);
}

/* K-PKE.Decrypt (Algorithm 15): m = ByteEncode1(Compress1(v - NTT^-1(s^T o NTT(u)))). */
static void pke_decrypt(uint8_t m[32], const uint8_t dk_pke[DK_PKE_BYTES],
                        const uint8_t ct[E4PQ_MLKEM768_CT])
{
    kem_poly u, s, w, prod;
    for (unsigned i = 0; i < KEM_K; i++) {
        kem_decompress(&u, ct + i * 32 * DU, DU);
        kem_ntt(&u);
        kem_frombytes(&s, dk_pke + i * POLY_BYTES);
        kem_basemul(i ? &prod : &w, &s, &u);
        if (i)
            kem_add(&w, &prod);
    }
    kem_reduce(&w);
    kem_invntt(&w);
    kem_decompress(&u, ct + CT_U_BYTES, DV);
    kem_sub(&u, &w);
    kem_reduce(&u);
    kem_compress(m, &u, 1);
    e4c_wipe(&s, sizeof s);
    e4c_wipe(&w, sizeof w);
    e4c_wipe(&prod, sizeof prod);
    e4c_wipe(&u, sizeof u);
}

/* Decode ek; 7.2's modulus check: every coefficient below q, i.e. ek is
 * the encoding of its decoding. Public data. */
static int pub_decode(kem_pub *pub, const uint8_t ek[E4PQ_MLKEM768_EK])
{
    uint8_t again[POLY_BYTES];
    for (unsigned i = 0; i < KEM_K; i++) {
        kem_frombytes(pub->t.p + i, ek + i * POLY_BYTES);
        kem_tobytes(again, pub->t.p + i);
        if (memcmp(again, ek + i * POLY_BYTES, POLY_BYTES) != 0)
            return -1;
    }
    memcpy(pub->rho, ek + DK_PKE_BYTES, 32);
    return 0;
}

void e4pq_mlkem768_keygen(uint8_t ek[E4PQ_MLKEM768_EK], uint8_t dk[E4PQ_MLKEM768_DK],
                          const uint8_t d[32], const uint8_t z[32])
{
    pke_keygen(ek, dk, d);
    memcpy(dk + DK_PKE_BYTES, ek, E4PQ_MLKEM768_EK);
    e4c_sha3_256(dk + DK_PKE_BYTES + E4PQ_MLKEM768_EK, ek, E4PQ_MLKEM768_EK);
    memcpy(dk + DK_PKE_BYTES + E4PQ_MLKEM768_EK + 32, z, 32);
}

/* (K, r) = G(m || h); c = K-PKE.Encrypt(ek, m, r) (Algorithm 17). */
static void encaps_internal(uint8_t ct[E4PQ_MLKEM768_CT], uint8_t key[32], const kem_pub *pub,
                            const uint8_t m[32], const uint8_t h[32])
{
    uint8_t kr[64];
    e4c_sha3_512(kr, m, 32, h, 32);
    pke_encrypt(ct, pub, m, kr + 32);
    memcpy(key, kr, 32);
    e4c_wipe(kr, sizeof kr);
}

int e4pq_mlkem768_encaps(uint8_t ct[E4PQ_MLKEM768_CT], uint8_t ss[E4PQ_MLKEM_SS],
                         const uint8_t ek[E4PQ_MLKEM768_EK], const uint8_t m[32])
{
    kem_pub pub;
    uint8_t h[32];
    if (pub_decode(&pub, ek) != 0)
        return -1;
    e4c_sha3_256(h, ek, E4PQ_MLKEM768_EK);
    encaps_internal(ct, ss, &pub, m, h);
    return 0;
}

/* Algorithm 18, after 7.3's hash check of dk (public: the key's own
 * consistency, not the ciphertext). */
int e4pq_mlkem768_decaps(uint8_t ss[E4PQ_MLKEM_SS], const uint8_t ct[E4PQ_MLKEM768_CT],
                         const uint8_t dk[E4PQ_MLKEM768_DK])
{
    const uint8_t *ek = dk + DK_PKE_BYTES, *h = ek + E4PQ_MLKEM768_EK, *z = h + 32;
    uint8_t check[32], m[32], reject[32], again[E4PQ_MLKEM768_CT];
    kem_pub pub;
    e4c_sha3_256(check, ek, E4PQ_MLKEM768_EK);
    if (!e4c_memeq(check, h, 32) || pub_decode(&pub, ek) != 0)
        return -1;
    pke_decrypt(m, dk, ct);
    encaps_internal(again, ss, &pub, m, h);
    e4c_xof x; /* K-bar = J(z || c) */
    e4c_shake256_init(&x);
    e4c_xof_absorb(&x, z, 32);
    e4c_xof_absorb(&x, ct, E4PQ_MLKEM768_CT);
    e4c_xof_squeeze(&x, reject, 32);
    e4c_xof_wipe(&x);
    ct_select(ss, reject, 32, ct_differ_mask(ct, again, E4PQ_MLKEM768_CT));
    e4c_wipe(m, sizeof m);
    e4c_wipe(reject, sizeof reject);
    e4c_wipe(again, sizeof again);
    return 0;
}
