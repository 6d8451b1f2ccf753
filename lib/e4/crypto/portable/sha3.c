/*
 * SHA3-256 (FIPS 202): Keccak-p[1600, 24] with rate 1088 bits, suffix 01.
 * Only xors, ands, nots and fixed rotations: no secret-dependent branch or
 * memory access. Lanes are 64-bit words, A[x + 5y]; bytes enter a lane
 * little-endian (FIPS 202, B.1).
 */
#include "crypto.h"
#include "portable.h"

#define RATE 136 /* bytes: (1600 - 2 * 256) / 8 */

/* Round constants RC[i] of the iota step (FIPS 202, 3.2.5, Algorithm 5). */
static const uint64_t round_constants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

/* Rotation offsets of rho for lane x + 5y (FIPS 202, 3.2.2, Table 2). */
static const uint8_t rho_offsets[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                        25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

typedef struct sha3 {
    uint64_t a[25];
    size_t pos; /* bytes absorbed into the current block */
} sha3;

static uint64_t rotl64(uint64_t x, unsigned k)
{
    return k ? (x << k) | (x >> (64 - k)) : x;
}

static void theta(uint64_t a[25])
{
    uint64_t c[5];
    for (int x = 0; x < 5; x++)
        c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; x++) {
        uint64_t d = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
        for (int y = 0; y < 25; y += 5)
            a[x + y] ^= d;
    }
}

/* rho and pi together: lane (x, y) moves to (y, 2x + 3y) rotated; then chi
 * row by row, and iota. */
static void rho_pi_chi_iota(uint64_t a[25], int round)
{
    uint64_t b[25];
    for (int x = 0; x < 5; x++)
        for (int y = 0; y < 5; y++)
            b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl64(a[x + 5 * y], rho_offsets[x + 5 * y]);
    for (int y = 0; y < 25; y += 5)
        for (int x = 0; x < 5; x++)
            a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
    a[0] ^= round_constants[round];
    e4p_wipe(b, sizeof b);
}

static void keccak_f(uint64_t a[25])
{
    for (int round = 0; round < 24; round++) {
        theta(a);
        rho_pi_chi_iota(a, round);
    }
}

static void absorb(sha3 *h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h->a[h->pos / 8] ^= (uint64_t)p[i] << (8 * (h->pos % 8));
        if (++h->pos == RATE) {
            keccak_f(h->a);
            h->pos = 0;
        }
    }
}

/* pad10*1 after the SHA3 domain bits 01: 0x06 ... 0x80 (FIPS 202, B.2). */
static void finish(sha3 *h, uint8_t out[32])
{
    h->a[h->pos / 8] ^= (uint64_t)0x06 << (8 * (h->pos % 8));
    h->a[(RATE - 1) / 8] ^= (uint64_t)0x80 << (8 * ((RATE - 1) % 8));
    keccak_f(h->a);
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(h->a[i / 8] >> (8 * (i % 8)));
    e4p_wipe(h, sizeof *h);
}

void e4c_sha3_256_cat(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
    sha3 h = {{0}, 0};
    absorb(&h, a, alen);
    absorb(&h, b, blen);
    finish(&h, out);
}

void e4c_sha3_256(uint8_t out[32], const void *in, size_t len)
{
    e4c_sha3_256_cat(out, in, len, NULL, 0);
}
