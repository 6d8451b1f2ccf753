/*
 * ML-DSA's ring arithmetic, rounding, sampling and bit packing (FIPS 204).
 * See mldsa_poly.h for the number representation.
 */
#include "pq/mldsa_poly.h"

#include "crypto.h"
#include "pq/xof.h"

#define QINV 58728449u /* q^-1 mod 2^32 */
#define INVNTT_F 41978 /* R^2 / 256 mod q: mont_reduce by it is * R / 256 */

/* 1753^BitRev8(i) * 2^32 mod q, centered (FIPS 204, Appendix B, times R). */
const int32_t e4pq_dsa_zetas[256] = {
    -4186625, 25847,    -2608894, -518909,  237124,   -777960,  -876248,  466468,   1826347,
    2353451,  -359251,  -2091905, 3119733,  -2884855, 3111497,  2680103,  2725464,  1024112,
    -1079900, 3585928,  -549488,  -1119584, 2619752,  -2108549, -2118186, -3859737, -1399561,
    -3277672, 1757237,  -19422,   4010497,  280005,   2706023,  95776,    3077325,  3530437,
    -1661693, -3592148, -2537516, 3915439,  -3861115, -3043716, 3574422,  -2867647, 3539968,
    -300467,  2348700,  -539299,  -1699267, -1643818, 3505694,  -3821735, 3507263,  -2140649,
    -1600420, 3699596,  811944,   531354,   954230,   3881043,  3900724,  -2556880, 2071892,
    -2797779, -3930395, -1528703, -3677745, -3041255, -1452451, 3475950,  2176455,  -1585221,
    -1257611, 1939314,  -4083598, -1000202, -3190144, -3157330, -3632928, 126922,   3412210,
    -983419,  2147896,  2715295,  -2967645, -3693493, -411027,  -2477047, -671102,  -1228525,
    -22981,   -1308169, -381987,  1349076,  1852771,  -1430430, -3343383, 264944,   508951,
    3097992,  44288,    -1100098, 904516,   3958618,  -3724342, -8578,    1653064,  -3249728,
    2389356,  -210977,  759969,   -1316856, 189548,   -3553272, 3159746,  -1851402, -2409325,
    -177440,  1315589,  1341330,  1285669,  -1584928, -812732,  -1439742, -3019102, -3881060,
    -3628969, 3839961,  2091667,  3407706,  2316500,  3817976,  -3342478, 2244091,  -2446433,
    -3562462, 266997,   2434439,  -1235728, 3513181,  -3520352, -3759364, -1197226, -3193378,
    900702,   1859098,  909542,   819034,   495491,   -1613174, -43260,   -522500,  -655327,
    -3122442, 2031748,  3207046,  -3556995, -525098,  -768622,  -3595838, 342297,   286988,
    -2437823, 4108315,  3437287,  -3342277, 1735879,  203044,   2842341,  2691481,  -2590150,
    1265009,  4055324,  1247620,  2486353,  1595974,  -3767016, 1250494,  2635921,  -3548272,
    -2994039, 1869119,  1903435,  -1050970, -1333058, 1237275,  -3318210, -1430225, -451100,
    1312455,  3306115,  -1962642, -1279661, 1917081,  -2546312, -1374803, 1500165,  777191,
    2235880,  3406031,  -542412,  -2831860, -1671176, -1846953, -2584293, -3724270, 594136,
    -3776993, -2013608, 2432395,  2454455,  -164721,  1957272,  3369112,  185531,   -1207385,
    -3183426, 162844,   1616392,  3014001,  810149,   1652634,  -3694233, -1799107, -3038916,
    3523897,  3866901,  269760,   2213111,  -975884,  1717735,  472078,   -426683,  1723600,
    -1803090, 1910376,  -1667432, -1104333, -260646,  -3833893, -2939036, -2235985, -420899,
    -2286327, 183443,   -976891,  1612842,  -3545687, -554416,  3919660,  -48306,   -1362209,
    3937738,  1400424,  -846154,  1976782,
};

/* a * R^-1 mod q for |a| < q * 2^31; result in (-q, q). */
static int32_t mont_reduce(int64_t a)
{
    int32_t t = (int32_t)(uint32_t)((uint64_t)a * QINV);
    return (int32_t)((a - (int64_t)t * DSA_Q) >> 32);
}

static int32_t reduce32(int32_t a)
{
    int32_t t = (a + (1 << 22)) >> 23;
    return a - t * DSA_Q;
}

static int32_t caddq(int32_t a)
{
    return a + ((a >> 31) & DSA_Q);
}

/* Algorithm 41. Inputs below 2^23 in size; every layer adds less than q. */
void dsa_ntt(dsa_poly *p)
{
    int32_t *a = p->c;
    unsigned k = 0;
    for (unsigned len = 128; len > 0; len >>= 1) {
        for (unsigned start = 0; start < DSA_N; start += 2 * len) {
            int64_t zeta = e4pq_dsa_zetas[++k];
            for (unsigned j = start; j < start + len; j++) {
                int32_t t = mont_reduce(zeta * a[j + len]);
                a[j + len] = a[j] - t;
                a[j] = a[j] + t;
            }
        }
    }
}

/* Algorithm 42 (zeta (w[j+len] - t) for -zeta (t - w[j+len])). With
 * inputs below q the sums stay below 256 q < 2^31. */
void dsa_invntt(dsa_poly *p)
{
    int32_t *a = p->c;
    unsigned k = 256;
    for (unsigned len = 1; len < DSA_N; len <<= 1) {
        for (unsigned start = 0; start < DSA_N; start += 2 * len) {
            int64_t zeta = e4pq_dsa_zetas[--k];
            for (unsigned j = start; j < start + len; j++) {
                int32_t t = a[j];
                a[j] = t + a[j + len];
                a[j + len] = mont_reduce(zeta * (a[j + len] - t));
            }
        }
    }
    for (unsigned j = 0; j < DSA_N; j++)
        a[j] = mont_reduce((int64_t)INVNTT_F * a[j]);
}

void dsa_pointwise(dsa_poly *r, const dsa_poly *a, const dsa_poly *b)
{
    for (unsigned i = 0; i < DSA_N; i++)
        r->c[i] = mont_reduce((int64_t)a->c[i] * b->c[i]);
}

void dsa_pointwise_acc(dsa_poly *r, const dsa_poly *a, const dsa_poly *b)
{
    for (unsigned i = 0; i < DSA_N; i++)
        r->c[i] += mont_reduce((int64_t)a->c[i] * b->c[i]);
}

void dsa_add(dsa_poly *r, const dsa_poly *a)
{
    for (unsigned i = 0; i < DSA_N; i++)
        r->c[i] += a->c[i];
}

void dsa_sub(dsa_poly *r, const dsa_poly *a)
{
    for (unsigned i = 0; i < DSA_N; i++)
        r->c[i] -= a->c[i];
}

void dsa_shift_d(dsa_poly *a)
{
    for (unsigned i = 0; i < DSA_N; i++)
        a->c[i] = (int32_t)((uint32_t)a->c[i] << DSA_D);
}

void dsa_reduce(dsa_poly *a)
{
    for (unsigned i = 0; i < DSA_N; i++)
        a->c[i] = reduce32(a->c[i]);
}

void dsa_freeze(dsa_poly *a)
{
    for (unsigned i = 0; i < DSA_N; i++)
        a->c[i] = caddq(reduce32(a->c[i]));
}

int dsa_norm_exceeds(const dsa_poly *a, int32_t bound)
{
    uint32_t over = 0;
    for (unsigned i = 0; i < DSA_N; i++) {
        int32_t t = caddq(reduce32(a->c[i]));
        t -= ((((DSA_Q - 1) / 2) - t) >> 31) & DSA_Q; /* centered */
        t = t - ((t >> 31) & (2 * t));                /* |t| */
        over |= (uint32_t)(bound - 1 - t) >> 31;      /* t >= bound */
    }
    return (int)over;
}

/* ---- rounding ------------------------------------------------------------- */

void dsa_power2round(dsa_poly *a1, dsa_poly *a0, const dsa_poly *a)
{
    for (unsigned i = 0; i < DSA_N; i++) {
        int32_t hi = (a->c[i] + (1 << (DSA_D - 1)) - 1) >> DSA_D;
        a0->c[i] = a->c[i] - (hi << DSA_D);
        a1->c[i] = hi;
    }
}

/* a1 = floor((a + gamma2 - 1) / (2 gamma2)), the division a multiplication
 * by ceil(2^44 / (2 gamma2)) (exact for every a < q; the test checks);
 * a1 = 16 is the wrap of q - 1 to 0, with a0 one less. */
int32_t e4pq_dsa_decompose(int32_t *a0, int32_t a)
{
    int32_t a1 = (int32_t)(((uint64_t)(a + DSA_GAMMA2 - 1) * 33587233u) >> 44);
    int32_t r0 = a - a1 * 2 * DSA_GAMMA2;
    int32_t wrap = (15 - a1) >> 31; /* -1 when a1 == 16 */
    *a0 = r0 + wrap;
    return a1 & ~wrap;
}

void dsa_highbits(dsa_poly *a1, const dsa_poly *a)
{
    int32_t a0;
    for (unsigned i = 0; i < DSA_N; i++)
        a1->c[i] = e4pq_dsa_decompose(&a0, a->c[i]);
}

/* Public data (verification): branches are fine. */
void dsa_use_hint(dsa_poly *a1, const dsa_poly *a, const dsa_poly *h)
{
    for (unsigned i = 0; i < DSA_N; i++) {
        int32_t a0, hi = e4pq_dsa_decompose(&a0, a->c[i]);
        if (h->c[i])
            hi = a0 > 0 ? (hi + 1) & 15 : (hi - 1) & 15;
        a1->c[i] = hi;
    }
}

/* ---- sampling ------------------------------------------------------------- */

void dsa_sample_ntt(dsa_poly *a, const uint8_t rho[32], uint8_t s, uint8_t r)
{
    uint8_t idx[2] = {s, r}, buf[E4C_SHAKE128_RATE];
    e4c_xof x;
    pq_xof_seeded(&x, PQ_SHAKE128, rho, 32, idx, 2);
    unsigned n = 0;
    while (n < DSA_N) {
        e4c_xof_squeeze(&x, buf, sizeof buf);
        for (unsigned off = 0; off < sizeof buf && n < DSA_N; off += 3) {
            uint32_t z =
                buf[off] | (uint32_t)buf[off + 1] << 8 | (uint32_t)(buf[off + 2] & 0x7f) << 16;
            if (z < DSA_Q)
                a->c[n++] = (int32_t)z;
        }
    }
}

/* Half-bytes below 9 give eta - b; the others are thrown away. Which ones
 * are thrown away is independent of the kept values. */
void dsa_sample_eta(dsa_poly *a, const uint8_t rhoprime[64], uint16_t index)
{
    uint8_t idx[2] = {(uint8_t)index, (uint8_t)(index >> 8)}, buf[E4C_SHAKE256_RATE];
    e4c_xof x;
    pq_xof_seeded(&x, PQ_SHAKE256, rhoprime, 64, idx, 2);
    unsigned n = 0;
    while (n < DSA_N) {
        e4c_xof_squeeze(&x, buf, sizeof buf);
        for (unsigned i = 0; i < sizeof buf && n < DSA_N; i++) {
            unsigned lo = buf[i] & 15, hi = buf[i] >> 4;
            if (lo < 9)
                a->c[n++] = DSA_ETA - (int32_t)lo;
            if (hi < 9 && n < DSA_N)
                a->c[n++] = DSA_ETA - (int32_t)hi;
        }
    }
    e4c_wipe(buf, sizeof buf);
    e4c_xof_wipe(&x);
}

void dsa_sample_mask(dsa_poly *a, const uint8_t rhopp[64], uint16_t kappa)
{
    uint8_t idx[2] = {(uint8_t)kappa, (uint8_t)(kappa >> 8)}, buf[32 * 20];
    e4c_xof x;
    pq_xof_seeded(&x, PQ_SHAKE256, rhopp, 64, idx, 2);
    e4c_xof_squeeze(&x, buf, sizeof buf);
    dsa_unpack(a, buf, 20, DSA_GAMMA1);
    e4c_wipe(buf, sizeof buf);
    e4c_xof_wipe(&x);
}

void dsa_sample_in_ball(dsa_poly *c, const uint8_t ctilde[DSA_CTILDE])
{
    uint8_t buf[E4C_SHAKE256_RATE];
    e4c_xof x;
    e4c_shake256_init(&x);
    e4c_xof_absorb(&x, ctilde, DSA_CTILDE);
    e4c_xof_squeeze(&x, buf, sizeof buf);
    uint64_t signs = 0;
    for (int i = 7; i >= 0; i--)
        signs = (signs << 8) | buf[i];
    unsigned pos = 8;
    for (unsigned i = 0; i < DSA_N; i++)
        c->c[i] = 0;
    for (unsigned i = DSA_N - DSA_TAU; i < DSA_N; i++) {
        unsigned j;
        do {
            if (pos == sizeof buf) {
                e4c_xof_squeeze(&x, buf, sizeof buf);
                pos = 0;
            }
            j = buf[pos++];
        } while (j > i);
        c->c[i] = c->c[j];
        c->c[j] = 1 - 2 * (int32_t)(signs & 1);
        signs >>= 1;
    }
}

/* ---- bit packing ----------------------------------------------------------- */

void dsa_pack(uint8_t *out, const dsa_poly *a, unsigned bits, int32_t b)
{
    uint64_t acc = 0;
    unsigned have = 0;
    for (unsigned i = 0; i < DSA_N; i++) {
        acc |= (uint64_t)(uint32_t)(b - a->c[i]) << have;
        have += bits;
        while (have >= 8) {
            *out++ = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
}

void dsa_unpack(dsa_poly *a, const uint8_t *in, unsigned bits, int32_t b)
{
    uint64_t acc = 0;
    unsigned have = 0;
    uint32_t mask = (1u << bits) - 1;
    for (unsigned i = 0; i < DSA_N; i++) {
        while (have < bits) {
            acc |= (uint64_t)*in++ << have;
            have += 8;
        }
        a->c[i] = b - (int32_t)(acc & mask);
        acc >>= bits;
        have -= bits;
    }
}

void dsa_pack_simple(uint8_t *out, const dsa_poly *a, unsigned bits)
{
    dsa_poly neg;
    for (unsigned i = 0; i < DSA_N; i++)
        neg.c[i] = -a->c[i];
    dsa_pack(out, &neg, bits, 0);
}

void dsa_unpack_simple(dsa_poly *a, const uint8_t *in, unsigned bits)
{
    dsa_unpack(a, in, bits, 0);
    for (unsigned i = 0; i < DSA_N; i++)
        a->c[i] = -a->c[i];
}
