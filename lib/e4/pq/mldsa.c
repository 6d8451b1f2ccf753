/*
 * ML-DSA-65 (FIPS 204): key generation, pure signing (deterministic or
 * hedged, with a context string) and verification. k = 6, l = 5, eta = 4,
 * tau = 49, gamma1 = 2^19, gamma2 = (q - 1) / 32, omega = 55.
 *
 * Signing expands the matrix A once and keeps it (30 polynomials, 30 KiB)
 * with the NTT forms of s1, s2 and t0 for the whole rejection loop; its
 * stack is about 70 KiB in all. Key generation and verification expand A
 * one entry at a time (about 20 KiB).
 */
#include "pq/pq.h"

#include "crypto.h"
#include "pq/mldsa_poly.h"

#include <string.h>

#define T1_BYTES 320  /* 10 bits a coefficient */
#define T0_BYTES 416  /* 13 bits */
#define ETA_BYTES 128 /* 4 bits */
#define Z_BYTES 640   /* 20 bits */
#define W1_BYTES 128  /* 4 bits */
#define TR_BYTES 64
#define SK_S1 (32 + 32 + TR_BYTES)
#define SK_S2 (SK_S1 + DSA_L * ETA_BYTES)
#define SK_T0 (SK_S2 + DSA_K * ETA_BYTES)
#define SIG_Z DSA_CTILDE
#define SIG_H (SIG_Z + DSA_L * Z_BYTES)

typedef struct vec_l {
    dsa_poly p[DSA_L];
} vec_l;
typedef struct vec_k {
    dsa_poly p[DSA_K];
} vec_k;

/* H(a || b, outlen) = SHAKE256. */
static void shake256_2(uint8_t *out, size_t outlen, const void *a, size_t alen, const void *b,
                       size_t blen)
{
    e4c_xof x;
    e4c_shake256_init(&x);
    e4c_xof_absorb(&x, a, alen);
    e4c_xof_absorb(&x, b, blen);
    e4c_xof_squeeze(&x, out, outlen);
    e4c_xof_wipe(&x);
}

/* r = sum_j A[i][j] o v[j], A[i][j] = RejNTTPoly(rho || j || i), reduced. */
static void matrix_row(dsa_poly *r, const uint8_t rho[32], unsigned i, const vec_l *v)
{
    dsa_poly a;
    for (unsigned j = 0; j < DSA_L; j++) {
        dsa_sample_ntt(&a, rho, (uint8_t)j, (uint8_t)i);
        if (j == 0)
            dsa_pointwise(r, &a, v->p);
        else
            dsa_pointwise_acc(r, &a, v->p + j);
    }
    dsa_reduce(r);
}

/* mu = H(tr || M', 64), M' = 0 || |ctx| || ctx || M (Algorithms 2, 3, 7). */
static void message_rep(uint8_t mu[64], const uint8_t tr[TR_BYTES], const uint8_t *msg,
                        size_t msg_len, const uint8_t *ctx, size_t ctx_len)
{
    uint8_t prefix[2] = {0, (uint8_t)ctx_len};
    e4c_xof x;
    e4c_shake256_init(&x);
    e4c_xof_absorb(&x, tr, TR_BYTES);
    e4c_xof_absorb(&x, prefix, 2);
    e4c_xof_absorb(&x, ctx, ctx_len);
    e4c_xof_absorb(&x, msg, msg_len);
    e4c_xof_squeeze(&x, mu, 64);
    e4c_xof_wipe(&x);
}

/* ---- key generation (Algorithm 6) ----------------------------------------- */

typedef struct keygen_ws {
    uint8_t seeds[128]; /* rho(32) || rho'(64) || K(32) */
    vec_l s1, s1hat;
    vec_k s2;
    dsa_poly t, t1, t0;
} keygen_ws;

void e4pq_mldsa65_keygen(uint8_t pk[E4PQ_MLDSA65_PK], uint8_t sk[E4PQ_MLDSA65_SK],
                         const uint8_t seed[32])
{
    keygen_ws w;
    const uint8_t kl[2] = {DSA_K, DSA_L};
    shake256_2(w.seeds, sizeof w.seeds, seed, 32, kl, 2);
    const uint8_t *rho = w.seeds, *rhoprime = w.seeds + 32;
    for (unsigned j = 0; j < DSA_L; j++) {
        dsa_sample_eta(w.s1.p + j, rhoprime, (uint16_t)j);
        w.s1hat.p[j] = w.s1.p[j];
        dsa_ntt(w.s1hat.p + j);
        dsa_pack(sk + SK_S1 + j * ETA_BYTES, w.s1.p + j, 4, DSA_ETA);
    }
    memcpy(pk, rho, 32);
    for (unsigned i = 0; i < DSA_K; i++) {
        dsa_sample_eta(w.s2.p + i, rhoprime, (uint16_t)(DSA_L + i));
        dsa_pack(sk + SK_S2 + i * ETA_BYTES, w.s2.p + i, 4, DSA_ETA);
        matrix_row(&w.t, rho, i, &w.s1hat);
        dsa_invntt(&w.t);
        dsa_add(&w.t, w.s2.p + i);
        dsa_freeze(&w.t);
        dsa_power2round(&w.t1, &w.t0, &w.t);
        dsa_pack_simple(pk + 32 + i * T1_BYTES, &w.t1, 10);
        dsa_pack(sk + SK_T0 + i * T0_BYTES, &w.t0, 13, 1 << (DSA_D - 1));
    }
    memcpy(sk, rho, 32);
    memcpy(sk + 32, w.seeds + 96, 32);
    shake256_2(sk + 64, TR_BYTES, pk, E4PQ_MLDSA65_PK, NULL, 0);
    e4c_wipe(&w, sizeof w);
}

/* ---- signing (Algorithm 7) ------------------------------------------------- */

typedef struct sign_ws {
    dsa_poly a[DSA_K][DSA_L];
    vec_l s1hat, y, z;
    vec_k s2hat, t0hat, w;
    dsa_poly c, tmp, hint;
    uint8_t mu[64], rhopp[64], ctilde[DSA_CTILDE], w1[DSA_K * W1_BYTES];
} sign_ws;

static void sign_setup(sign_ws *w, const uint8_t sk[E4PQ_MLDSA65_SK])
{
    for (unsigned j = 0; j < DSA_L; j++) {
        dsa_unpack(w->s1hat.p + j, sk + SK_S1 + j * ETA_BYTES, 4, DSA_ETA);
        dsa_ntt(w->s1hat.p + j);
    }
    for (unsigned i = 0; i < DSA_K; i++) {
        dsa_unpack(w->s2hat.p + i, sk + SK_S2 + i * ETA_BYTES, 4, DSA_ETA);
        dsa_ntt(w->s2hat.p + i);
        dsa_unpack(w->t0hat.p + i, sk + SK_T0 + i * T0_BYTES, 13, 1 << (DSA_D - 1));
        dsa_ntt(w->t0hat.p + i);
        for (unsigned j = 0; j < DSA_L; j++)
            dsa_sample_ntt(&w->a[i][j], sk, (uint8_t)j, (uint8_t)i);
    }
}

/* y = ExpandMask(rho'', kappa); w = A y; c~ = H(mu || w1Encode(w1)). */
static void sign_commit(sign_ws *w, uint16_t kappa)
{
    for (unsigned j = 0; j < DSA_L; j++) {
        dsa_sample_mask(w->y.p + j, w->rhopp, (uint16_t)(kappa + j));
        w->z.p[j] = w->y.p[j];
        dsa_ntt(w->z.p + j);
    }
    for (unsigned i = 0; i < DSA_K; i++) {
        dsa_pointwise(w->w.p + i, &w->a[i][0], w->z.p);
        for (unsigned j = 1; j < DSA_L; j++)
            dsa_pointwise_acc(w->w.p + i, &w->a[i][j], w->z.p + j);
        dsa_reduce(w->w.p + i);
        dsa_invntt(w->w.p + i);
        dsa_freeze(w->w.p + i);
        dsa_highbits(&w->tmp, w->w.p + i);
        dsa_pack_simple(w->w1 + i * W1_BYTES, &w->tmp, 4);
    }
    shake256_2(w->ctilde, DSA_CTILDE, w->mu, 64, w->w1, sizeof w->w1);
    dsa_sample_in_ball(&w->c, w->ctilde);
    dsa_ntt(&w->c);
}

/* z = y + c s1; 0 when ||z|| < gamma1 - beta. */
static int sign_response(sign_ws *w)
{
    int over = 0;
    for (unsigned j = 0; j < DSA_L; j++) {
        dsa_pointwise(w->z.p + j, &w->c, w->s1hat.p + j);
        dsa_invntt(w->z.p + j);
        dsa_add(w->z.p + j, w->y.p + j);
        dsa_reduce(w->z.p + j);
        over |= dsa_norm_exceeds(w->z.p + j, DSA_GAMMA1 - DSA_BETA);
    }
    return over ? -1 : 0;
}

/* r = w - c s2 for every row; 0 when every r has low bits below
 * gamma2 - beta (the check that rejects most attempts, so it runs before
 * any c t0 is computed). */
static int sign_low_bits(sign_ws *w)
{
    for (unsigned i = 0; i < DSA_K; i++) {
        dsa_poly *r = w->w.p + i;
        dsa_pointwise(&w->tmp, &w->c, w->s2hat.p + i);
        dsa_invntt(&w->tmp);
        dsa_sub(r, &w->tmp);
        dsa_freeze(r);
        for (unsigned n = 0; n < DSA_N; n++)
            (void)e4pq_dsa_decompose(&w->hint.c[n], r->c[n]);
        if (dsa_norm_exceeds(&w->hint, DSA_GAMMA2 - DSA_BETA))
            return -1;
    }
    return 0;
}

/* Row i: c t0 must be small; the hint is HighBits(r + c t0) !=
 * HighBits(r). Returns the hint count so far, or -1. */
static int sign_hint_row(sign_ws *w, unsigned i, uint8_t *hints, int count)
{
    dsa_poly *r = w->w.p + i, *ct0 = &w->tmp;
    dsa_pointwise(ct0, &w->c, w->t0hat.p + i);
    dsa_invntt(ct0);
    dsa_reduce(ct0);
    if (dsa_norm_exceeds(ct0, DSA_GAMMA2))
        return -1;
    w->hint = *r; /* r + c t0 */
    dsa_add(&w->hint, ct0);
    dsa_freeze(&w->hint);
    for (unsigned n = 0; n < DSA_N; n++) {
        int32_t a0;
        if (e4pq_dsa_decompose(&a0, w->hint.c[n]) != e4pq_dsa_decompose(&a0, r->c[n])) {
            if (count >= DSA_OMEGA)
                return -1;
            hints[count++] = (uint8_t)n;
        }
    }
    return count;
}

/* sigEncode (Algorithm 26) with the hints written as they are found. */
static int sign_attempt(sign_ws *w, uint16_t kappa, uint8_t sig[E4PQ_MLDSA65_SIG])
{
    sign_commit(w, kappa);
    if (sign_response(w) != 0 || sign_low_bits(w) != 0)
        return -1;
    uint8_t *hints = sig + SIG_H;
    memset(hints, 0, DSA_OMEGA + DSA_K);
    int count = 0;
    for (unsigned i = 0; i < DSA_K; i++) {
        count = sign_hint_row(w, i, hints, count);
        if (count < 0)
            return -1;
        hints[DSA_OMEGA + i] = (uint8_t)count;
    }
    memcpy(sig, w->ctilde, DSA_CTILDE);
    for (unsigned j = 0; j < DSA_L; j++)
        dsa_pack(sig + SIG_Z + j * Z_BYTES, w->z.p + j, 20, DSA_GAMMA1);
    return 0;
}

int e4pq_mldsa65_sign(uint8_t sig[E4PQ_MLDSA65_SIG], const uint8_t *msg, size_t msg_len,
                      const uint8_t *ctx, size_t ctx_len, const uint8_t sk[E4PQ_MLDSA65_SK],
                      const uint8_t rnd[32])
{
    static const uint8_t zero[32];
    if (ctx_len > E4PQ_MLDSA_CTX_MAX)
        return -1;
    sign_ws w;
    sign_setup(&w, sk);
    message_rep(w.mu, sk + 64, msg, msg_len, ctx, ctx_len);
    e4c_xof x; /* rho'' = H(K || rnd || mu, 64) */
    e4c_shake256_init(&x);
    e4c_xof_absorb(&x, sk + 32, 32);
    e4c_xof_absorb(&x, rnd ? rnd : zero, 32);
    e4c_xof_absorb(&x, w.mu, 64);
    e4c_xof_squeeze(&x, w.rhopp, 64);
    e4c_xof_wipe(&x);
    for (uint16_t kappa = 0; sign_attempt(&w, kappa, sig) != 0; kappa += DSA_L)
        ;
    e4c_wipe(&w, sizeof w);
    return 0;
}

int e4pq_mldsa65_sign_hedged(uint8_t sig[E4PQ_MLDSA65_SIG], const uint8_t *msg, size_t msg_len,
                             const uint8_t *ctx, size_t ctx_len, const uint8_t sk[E4PQ_MLDSA65_SK])
{
    uint8_t rnd[32];
    e4c_random(rnd, sizeof rnd);
    int rc = e4pq_mldsa65_sign(sig, msg, msg_len, ctx, ctx_len, sk, rnd);
    e4c_wipe(rnd, sizeof rnd);
    return rc;
}

/* ---- verification (Algorithm 8) ------------------------------------------- */

/* HintBitUnpack (Algorithm 21): indices strictly increasing per row, counts
 * non-decreasing and at most omega, unused bytes zero. */
static int hint_unpack(vec_k *h, const uint8_t y[DSA_OMEGA + DSA_K])
{
    unsigned index = 0;
    memset(h, 0, sizeof *h);
    for (unsigned i = 0; i < DSA_K; i++) {
        unsigned end = y[DSA_OMEGA + i];
        if (end < index || end > DSA_OMEGA)
            return -1;
        for (unsigned first = index; index < end; index++) {
            if (index > first && y[index - 1] >= y[index])
                return -1;
            h->p[i].c[y[index]] = 1;
        }
    }
    for (; index < DSA_OMEGA; index++)
        if (y[index] != 0)
            return -1;
    return 0;
}

typedef struct verify_ws {
    vec_l z;
    vec_k h;
    dsa_poly c, t1, w;
    uint8_t mu[64], tr[TR_BYTES], ctilde[DSA_CTILDE], w1[DSA_K * W1_BYTES];
} verify_ws;

static int verify_decode(verify_ws *w, const uint8_t sig[E4PQ_MLDSA65_SIG])
{
    if (hint_unpack(&w->h, sig + SIG_H) != 0)
        return -1;
    int over = 0;
    for (unsigned j = 0; j < DSA_L; j++) {
        dsa_unpack(w->z.p + j, sig + SIG_Z + j * Z_BYTES, 20, DSA_GAMMA1);
        over |= dsa_norm_exceeds(w->z.p + j, DSA_GAMMA1 - DSA_BETA);
        dsa_ntt(w->z.p + j);
    }
    return over ? -1 : 0;
}

int e4pq_mldsa65_verify(const uint8_t sig[E4PQ_MLDSA65_SIG], const uint8_t *msg, size_t msg_len,
                        const uint8_t *ctx, size_t ctx_len, const uint8_t pk[E4PQ_MLDSA65_PK])
{
    verify_ws w;
    if (ctx_len > E4PQ_MLDSA_CTX_MAX || verify_decode(&w, sig) != 0)
        return -1;
    shake256_2(w.tr, TR_BYTES, pk, E4PQ_MLDSA65_PK, NULL, 0);
    message_rep(w.mu, w.tr, msg, msg_len, ctx, ctx_len);
    dsa_sample_in_ball(&w.c, sig);
    dsa_ntt(&w.c);
    for (unsigned i = 0; i < DSA_K; i++) { /* w' = A z - c t1 2^d */
        dsa_unpack_simple(&w.t1, pk + 32 + i * T1_BYTES, 10);
        dsa_shift_d(&w.t1);
        dsa_ntt(&w.t1);
        matrix_row(&w.w, pk, i, &w.z);
        dsa_pointwise(&w.t1, &w.c, &w.t1);
        dsa_sub(&w.w, &w.t1);
        dsa_reduce(&w.w);
        dsa_invntt(&w.w);
        dsa_freeze(&w.w);
        dsa_use_hint(&w.t1, &w.w, w.h.p + i);
        dsa_pack_simple(w.w1 + i * W1_BYTES, &w.t1, 4);
    }
    shake256_2(w.ctilde, DSA_CTILDE, w.mu, 64, w.w1, sizeof w.w1);
    return memcmp(w.ctilde, sig, DSA_CTILDE) == 0 ? 0 : -1;
}
