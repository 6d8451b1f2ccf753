/*
 * Keccak-p[1600, 24] and its sponges (FIPS 202): SHA3-256, SHA3-512,
 * SHAKE128 and SHAKE256. The one Keccak of libe4, shared by both crypto
 * backends: the portable backend's SHA3-256 and the post-quantum schemes'
 * SHAKE (lib/e4/pq) both run here. OpenSSL 3.0 cannot squeeze an XOF more
 * than once (EVP_DigestSqueeze came in 3.3), and the rejection samplers of
 * ML-KEM and ML-DSA squeeze block by block.
 *
 * Only xors, ands, nots and fixed rotations: no secret-dependent branch or
 * memory index. Lanes are 64-bit words A[x + 5y]; bytes enter a lane
 * little-endian (FIPS 202, B.1).
 */
#include "crypto.h"

#include <string.h>

/* Round constants RC[i] of the iota step (FIPS 202, 3.2.5, Algorithm 5). */
static const uint64_t round_constants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

#define ROTL(x, k) (((x) << (k)) | ((x) >> (64 - (k))))

#if defined(__GNUC__)
#define KECCAK_INLINE static inline __attribute__((always_inline))
#else
#define KECCAK_INLINE static inline
#endif

/* theta, then rho and pi together: lane (x, y) rotated by its rho offset
 * (FIPS 202, Table 2) moves to (y, 2x + 3y). Written out lane by lane with
 * constant indices, so that once inlined the compiler keeps the lanes in
 * registers (measured: 3x faster than the loops with x % 5). */
KECCAK_INLINE void theta_rho_pi(const uint64_t a[25], uint64_t b[25])
{
    uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
    uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
    uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
    uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
    uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
    uint64_t d0 = c4 ^ ROTL(c1, 1), d1 = c0 ^ ROTL(c2, 1), d2 = c1 ^ ROTL(c3, 1);
    uint64_t d3 = c2 ^ ROTL(c4, 1), d4 = c3 ^ ROTL(c0, 1);
    b[0] = a[0] ^ d0;
    b[1] = ROTL(a[6] ^ d1, 44);
    b[2] = ROTL(a[12] ^ d2, 43);
    b[3] = ROTL(a[18] ^ d3, 21);
    b[4] = ROTL(a[24] ^ d4, 14);
    b[5] = ROTL(a[3] ^ d3, 28);
    b[6] = ROTL(a[9] ^ d4, 20);
    b[7] = ROTL(a[10] ^ d0, 3);
    b[8] = ROTL(a[16] ^ d1, 45);
    b[9] = ROTL(a[22] ^ d2, 61);
    b[10] = ROTL(a[1] ^ d1, 1);
    b[11] = ROTL(a[7] ^ d2, 6);
    b[12] = ROTL(a[13] ^ d3, 25);
    b[13] = ROTL(a[19] ^ d4, 8);
    b[14] = ROTL(a[20] ^ d0, 18);
    b[15] = ROTL(a[4] ^ d4, 27);
    b[16] = ROTL(a[5] ^ d0, 36);
    b[17] = ROTL(a[11] ^ d1, 10);
    b[18] = ROTL(a[17] ^ d2, 15);
    b[19] = ROTL(a[23] ^ d3, 56);
    b[20] = ROTL(a[2] ^ d2, 62);
    b[21] = ROTL(a[8] ^ d3, 55);
    b[22] = ROTL(a[14] ^ d4, 39);
    b[23] = ROTL(a[15] ^ d0, 41);
    b[24] = ROTL(a[21] ^ d1, 2);
}

/* chi on one row of five lanes. */
#define CHI_ROW(y)                                    \
    do {                                              \
        a[y + 0] = b[y + 0] ^ (~b[y + 1] & b[y + 2]); \
        a[y + 1] = b[y + 1] ^ (~b[y + 2] & b[y + 3]); \
        a[y + 2] = b[y + 2] ^ (~b[y + 3] & b[y + 4]); \
        a[y + 3] = b[y + 3] ^ (~b[y + 4] & b[y + 0]); \
        a[y + 4] = b[y + 4] ^ (~b[y + 0] & b[y + 1]); \
    } while (0)

KECCAK_INLINE void chi_iota(uint64_t a[25], const uint64_t b[25], uint64_t rc)
{
    CHI_ROW(0);
    CHI_ROW(5);
    CHI_ROW(10);
    CHI_ROW(15);
    CHI_ROW(20);
    a[0] ^= rc;
}

/* The lanes live in locals (registers and spills, which C cannot wipe);
 * the state the caller passes is its own to wipe (e4c_xof_wipe). */
void e4c_keccak_f1600(uint64_t state[25])
{
    uint64_t a[25], b[25];
    memcpy(a, state, sizeof a);
    for (int round = 0; round < 24; round++) {
        theta_rho_pi(a, b);
        chi_iota(a, b, round_constants[round]);
    }
    memcpy(state, a, sizeof a);
}

/* ---- sponge --------------------------------------------------------------- */

static void sponge_init(e4c_xof *s, unsigned rate, uint8_t suffix)
{
    memset(s->a, 0, sizeof s->a);
    s->rate = rate;
    s->pos = 0;
    s->suffix = suffix;
    s->squeezing = 0;
}

void e4c_shake128_init(e4c_xof *s)
{
    sponge_init(s, E4C_SHAKE128_RATE, 0x1f);
}

void e4c_shake256_init(e4c_xof *s)
{
    sponge_init(s, E4C_SHAKE256_RATE, 0x1f);
}

static void xor_byte(uint64_t a[25], unsigned pos, uint8_t v)
{
    a[pos / 8] ^= (uint64_t)v << (8 * (pos % 8));
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void store64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void e4c_xof_absorb(e4c_xof *s, const void *in, size_t len)
{
    const uint8_t *p = in;
    while (len > 0 && s->pos % 8 != 0) { /* finish a partial lane */
        xor_byte(s->a, s->pos++, *p++);
        len--;
        if (s->pos == s->rate) {
            e4c_keccak_f1600(s->a);
            s->pos = 0;
        }
    }
    while (len >= 8) { /* whole lanes */
        s->a[s->pos / 8] ^= load64(p);
        s->pos += 8;
        p += 8;
        len -= 8;
        if (s->pos == s->rate) {
            e4c_keccak_f1600(s->a);
            s->pos = 0;
        }
    }
    while (len-- > 0)
        xor_byte(s->a, s->pos++, *p++); /* pos < rate: a lane is never split */
}

/* pad10*1 after the domain bits (FIPS 202, B.2), and the first block out. */
static void sponge_finish(e4c_xof *s)
{
    xor_byte(s->a, s->pos, s->suffix);
    xor_byte(s->a, s->rate - 1, 0x80);
    e4c_keccak_f1600(s->a);
    s->pos = 0;
    s->squeezing = 1;
}

void e4c_xof_squeeze(e4c_xof *s, uint8_t *out, size_t len)
{
    if (!s->squeezing)
        sponge_finish(s);
    while (len > 0) {
        if (s->pos == s->rate) {
            e4c_keccak_f1600(s->a);
            s->pos = 0;
        }
        if (s->pos % 8 == 0 && len >= 8) {
            store64(out, s->a[s->pos / 8]);
            s->pos += 8;
            out += 8;
            len -= 8;
            continue;
        }
        *out++ = (uint8_t)(s->a[s->pos / 8] >> (8 * (s->pos % 8)));
        s->pos++;
        len--;
    }
}

void e4c_xof_wipe(e4c_xof *s)
{
    e4c_wipe(s, sizeof *s);
}

static void sha3(uint8_t *out, size_t outlen, const void *a, size_t alen, const void *b,
                 size_t blen)
{
    e4c_xof s;
    sponge_init(&s, (unsigned)(200 - 2 * outlen), 0x06);
    e4c_xof_absorb(&s, a, alen);
    e4c_xof_absorb(&s, b, blen);
    e4c_xof_squeeze(&s, out, outlen);
    e4c_xof_wipe(&s);
}

void e4c_keccak_sha3_256(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
    sha3(out, 32, a, alen, b, blen);
}

void e4c_sha3_512(uint8_t out[64], const void *a, size_t alen, const void *b, size_t blen)
{
    sha3(out, 64, a, alen, b, blen);
}
