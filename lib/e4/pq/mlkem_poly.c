/*
 * ML-KEM's ring arithmetic, sampling and encodings (FIPS 203, sections 4.2
 * and 4.3). See mlkem_poly.h for the number representation.
 */
#include "pq/mlkem_poly.h"

#include "crypto.h"
#include "pq/xof.h"

#define QINV 62209u     /* q^-1 mod 2^16 */
#define BARRETT_V 20159 /* round(2^26 / q) */
#define MONT_R2 1353    /* R^2 mod q: fqmul by it multiplies by R */
#define INVNTT_F 1441   /* R^2 / 128 mod q: fqmul by it is * R / 128 */

/* 17^BitRev7(i) * 2^16 mod q, centered (FIPS 203, Appendix A, times R). */
const int16_t e4pq_kem_zetas[128] = {
    -1044, -758,  -359,  -1517, 1493,  1422,  287,   202,   -171,  622,   1577,  182,   962,
    -1202, -1474, 1468,  573,   -1325, 264,   383,   -829,  1458,  -1602, -130,  -681,  1017,
    732,   608,   -1542, 411,   -205,  -1571, 1223,  652,   -552,  1015,  -1293, 1491,  -282,
    -1544, 516,   -8,    -320,  -666,  -1618, -1162, 126,   1469,  -853,  -90,   -271,  830,
    107,   -1421, -247,  -951,  -398,  961,   -1508, -725,  448,   -1065, 677,   -1275, -1103,
    430,   555,   843,   -1251, 871,   1550,  105,   422,   587,   177,   -235,  -291,  -460,
    1574,  1653,  -246,  778,   1159,  -147,  -777,  1483,  -602,  1119,  -1590, 644,   -872,
    349,   418,   329,   -156,  -75,   817,   1097,  603,   610,   1322,  -1285, -1465, 384,
    -1215, -136,  1218,  -1335, -874,  220,   -1187, -1659, -1185, -1530, -1278, 794,   -1510,
    -854,  -870,  478,   -108,  -308,  996,   991,   958,   -1460, 1522,  1628};

/* a * R^-1 mod q for |a| < q * 2^15; result in (-q, q). */
static int16_t mont_reduce(int32_t a)
{
    int16_t t = (int16_t)(uint16_t)((uint32_t)a * QINV);
    return (int16_t)((a - (int32_t)t * KEM_Q) >> 16);
}

static int16_t fqmul(int16_t a, int16_t b)
{
    return mont_reduce((int32_t)a * b);
}

static int16_t barrett(int16_t a)
{
    int16_t t = (int16_t)(((int32_t)BARRETT_V * a + (1 << 25)) >> 26);
    return (int16_t)(a - t * KEM_Q);
}

/* Algorithm 9. Input |a| < 4096 (a decoded key may hold up to 4095); each
 * layer adds at most q, so |a| < 4096 + 7q < 2^15 throughout. */
void kem_ntt(kem_poly *p)
{
    int16_t *a = p->c;
    unsigned k = 1;
    for (unsigned len = 128; len >= 2; len >>= 1) {
        for (unsigned start = 0; start < KEM_N; start += 2 * len) {
            int16_t zeta = e4pq_kem_zetas[k++];
            for (unsigned j = start; j < start + len; j++) {
                int16_t t = fqmul(zeta, a[j + len]);
                a[j + len] = (int16_t)(a[j] - t);
                a[j] = (int16_t)(a[j] + t);
            }
        }
    }
    kem_reduce(p);
}

/* Algorithm 10, with the sums reduced at every layer; input |a| < q. */
void kem_invntt(kem_poly *p)
{
    int16_t *a = p->c;
    unsigned k = 127;
    for (unsigned len = 2; len <= 128; len <<= 1) {
        for (unsigned start = 0; start < KEM_N; start += 2 * len) {
            int16_t zeta = e4pq_kem_zetas[k--];
            for (unsigned j = start; j < start + len; j++) {
                int16_t t = a[j];
                a[j] = barrett((int16_t)(t + a[j + len]));
                a[j + len] = fqmul(zeta, (int16_t)(a[j + len] - t));
            }
        }
    }
    for (unsigned j = 0; j < KEM_N; j++)
        a[j] = fqmul(a[j], INVNTT_F);
}

/* Algorithms 11 and 12: 128 products mod X^2 - gamma_i, where gamma for
 * the pairs 4p, 4p+1 is zeta[64 + p] and for 4p+2, 4p+3 its negative. */
void kem_basemul(kem_poly *r, const kem_poly *a, const kem_poly *b)
{
    for (unsigned p = 0; p < 64; p++) {
        for (unsigned h = 0; h < 2; h++) {
            unsigned i = 4 * p + 2 * h;
            int16_t gamma = h ? (int16_t)-e4pq_kem_zetas[64 + p] : e4pq_kem_zetas[64 + p];
            int16_t a0 = a->c[i], a1 = a->c[i + 1], b0 = b->c[i], b1 = b->c[i + 1];
            r->c[i] = (int16_t)(fqmul(fqmul(a1, b1), gamma) + fqmul(a0, b0));
            r->c[i + 1] = (int16_t)(fqmul(a0, b1) + fqmul(a1, b0));
        }
    }
}

void kem_add(kem_poly *r, const kem_poly *a)
{
    for (unsigned i = 0; i < KEM_N; i++)
        r->c[i] = (int16_t)(r->c[i] + a->c[i]);
}

void kem_sub(kem_poly *r, const kem_poly *a)
{
    for (unsigned i = 0; i < KEM_N; i++)
        r->c[i] = (int16_t)(r->c[i] - a->c[i]);
}

void kem_reduce(kem_poly *a)
{
    for (unsigned i = 0; i < KEM_N; i++)
        a->c[i] = barrett(a->c[i]);
}

void kem_tomont(kem_poly *a)
{
    for (unsigned i = 0; i < KEM_N; i++)
        a->c[i] = fqmul(a->c[i], MONT_R2);
}

/* ---- sampling ------------------------------------------------------------- */

void kem_sample_ntt(kem_poly *a, const uint8_t rho[32], uint8_t x, uint8_t y)
{
    uint8_t idx[2] = {x, y}, buf[E4C_SHAKE128_RATE];
    e4c_xof s;
    pq_xof_seeded(&s, PQ_SHAKE128, rho, 32, idx, 2);
    unsigned n = 0;
    while (n < KEM_N) {
        e4c_xof_squeeze(&s, buf, sizeof buf);
        for (unsigned off = 0; off < sizeof buf && n < KEM_N; off += 3) {
            uint16_t d1 = (uint16_t)(buf[off] | (buf[off + 1] & 0x0f) << 8);
            uint16_t d2 = (uint16_t)(buf[off + 1] >> 4 | buf[off + 2] << 4);
            if (d1 < KEM_Q)
                a->c[n++] = (int16_t)d1;
            if (d2 < KEM_Q && n < KEM_N)
                a->c[n++] = (int16_t)d2;
        }
    }
}

/* CBD with eta = 2: each byte gives two coefficients, (b0 + b1) - (b2 + b3)
 * of its low and of its high nibble. */
void kem_sample_cbd2(kem_poly *a, const uint8_t seed[32], uint8_t nonce)
{
    uint8_t buf[64 * 2];
    e4c_xof s;
    pq_xof_seeded(&s, PQ_SHAKE256, seed, 32, &nonce, 1);
    e4c_xof_squeeze(&s, buf, sizeof buf);
    e4c_xof_wipe(&s);
    for (unsigned i = 0; i < sizeof buf; i++) {
        unsigned b = buf[i];
        unsigned t = (b & 0x55) + ((b >> 1) & 0x55); /* four 2-bit sums */
        a->c[2 * i] = (int16_t)((t & 3) - ((t >> 2) & 3));
        a->c[2 * i + 1] = (int16_t)(((t >> 4) & 3) - ((t >> 6) & 3));
    }
    e4c_wipe(buf, sizeof buf);
}

/* ---- encodings ------------------------------------------------------------ */

/* The representative in [0, q) of |a| < 2^15. */
static uint16_t canonical(int16_t a)
{
    int16_t r = barrett(a);
    r = (int16_t)(r + ((r >> 15) & KEM_Q));
    return (uint16_t)r;
}

void kem_tobytes(uint8_t out[384], const kem_poly *a)
{
    for (unsigned i = 0; i < KEM_N / 2; i++) {
        uint16_t t0 = canonical(a->c[2 * i]), t1 = canonical(a->c[2 * i + 1]);
        out[3 * i] = (uint8_t)t0;
        out[3 * i + 1] = (uint8_t)(t0 >> 8 | t1 << 4);
        out[3 * i + 2] = (uint8_t)(t1 >> 4);
    }
}

void kem_frombytes(kem_poly *a, const uint8_t in[384])
{
    for (unsigned i = 0; i < KEM_N / 2; i++) {
        a->c[2 * i] = (int16_t)((in[3 * i] | in[3 * i + 1] << 8) & 0xfff);
        a->c[2 * i + 1] = (int16_t)((in[3 * i + 1] >> 4 | in[3 * i + 2] << 4) & 0xfff);
    }
}

/* round(2^d x / q) mod 2^d = floor((2^d x + (q-1)/2) / q) mod 2^d, the
 * division as a multiplication by ceil(2^35 / q), exact for numerators
 * below 2^23 (the test checks every x and d). */
uint16_t e4pq_kem_compress_coeff(uint16_t x, unsigned d)
{
    uint64_t n = ((uint64_t)x << d) + (KEM_Q - 1) / 2;
    return (uint16_t)(((n * 10321340u) >> 35) & ((1u << d) - 1));
}

void kem_compress(uint8_t *out, const kem_poly *a, unsigned d)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    for (unsigned i = 0; i < KEM_N; i++) {
        acc |= (uint32_t)e4pq_kem_compress_coeff(canonical(a->c[i]), d) << bits;
        bits += d;
        while (bits >= 8) {
            *out++ = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
}

/* Decompress_d(y) = round(q y / 2^d). */
void kem_decompress(kem_poly *a, const uint8_t *in, unsigned d)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    for (unsigned i = 0; i < KEM_N; i++) {
        while (bits < d) {
            acc |= (uint32_t)*in++ << bits;
            bits += 8;
        }
        uint32_t y = acc & ((1u << d) - 1);
        acc >>= d;
        bits -= d;
        a->c[i] = (int16_t)((y * KEM_Q + (1u << (d - 1))) >> d);
    }
}
