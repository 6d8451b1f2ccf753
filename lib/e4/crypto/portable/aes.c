/*
 * AES-256 encryption (FIPS 197) for the portable backend, constant time.
 *
 * Devices have no AES instructions, and a table-driven AES (the usual
 * S-box or T-table lookups) leaks the key through cache and timing on any
 * core with a cache or flash wait states, so no table is indexed by
 * secret data here. The S-box is computed: SubBytes is inversion in GF(2^8)
 * as x^254 (0 maps to 0, as FIPS 197 section 5.1.1 defines), then the affine
 * map. Both are done on four bytes at once, packed in a 32-bit word, with
 * shifts, masks, xors and subtractions only (not even a multiplication,
 * whose timing some cores make operand-dependent): no branch and no memory
 * access depends on a secret. This costs more cycles than a table (4 GF(2^8)
 * multiplications and 7 squarings per S-box word) but is small, simple to
 * review against the standard, and safe on every core.
 *
 * The state is four 32-bit column words; byte r of column c (FIPS 197's
 * s[r,c], input byte 4c + r) is bits 8r..8r+7 of word c.
 */
#include "portable.h"

#include <string.h>

#define LO7 0x7f7f7f7fu
#define BIT0 0x01010101u

/* 0xff in each byte whose bit 0 is set in bits (which holds nothing else):
 * b * 0x100 - b per byte, with no carry between bytes. A subtraction rather
 * than a multiplication, whose timing some cores make operand-dependent. */
E4P_INLINE uint32_t lanemask(uint32_t bits)
{
    return (bits << 8) - bits;
}

/* Multiplication by x of the four packed bytes, reducing by x^8 + x^4 +
 * x^3 + x + 1 (0x11b) under the mask of each byte's top bit. */
E4P_INLINE uint32_t xtime4(uint32_t a)
{
    return ((a & LO7) << 1) ^ (lanemask((a >> 7) & BIT0) & (0x1bu * BIT0));
}

/* Four GF(2^8) products at once. Each byte of b is walked bit by bit; the
 * bit becomes a 0x00/0xff byte mask, so the work is the same for any b. */
static uint32_t gf_mul4(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    for (int i = 0; i < 8; i++) {
        r ^= a & lanemask((b >> i) & BIT0);
        a = xtime4(a);
    }
    return r;
}

/* Squaring is linear in GF(2^8): bit i of a goes to x^(2i). Bits 0..3
 * land on bits 0, 2, 4, 6; x^8, x^10, x^12, x^14 reduce to 0x1b, 0x6c, 0xab,
 * 0x9a. A quarter of the work of gf_mul4, for 7 of the 11 products below. */
E4P_INLINE uint32_t gf_sq4(uint32_t a)
{
    uint32_t r =
        (a & BIT0) | ((a & 0x02020202u) << 1) | ((a & 0x04040404u) << 2) | ((a & 0x08080808u) << 3);
    r ^= lanemask((a >> 4) & BIT0) & (0x1bu * BIT0);
    r ^= lanemask((a >> 5) & BIT0) & (0x6cu * BIT0);
    r ^= lanemask((a >> 6) & BIT0) & (0xabu * BIT0);
    return r ^ (lanemask((a >> 7) & BIT0) & (0x9au * BIT0));
}

/* Inverse in GF(2^8) as x^254 = x^(128+64+32+16+8+4+2): an addition chain
 * of 7 squarings and 4 multiplications, the same for every input. */
static uint32_t gf_inv4(uint32_t x)
{
    uint32_t x2 = gf_sq4(x);
    uint32_t x3 = gf_mul4(x2, x);
    uint32_t x12 = gf_sq4(gf_sq4(x3));
    uint32_t x14 = gf_mul4(x12, x2);
    uint32_t t = gf_mul4(x12, x3); /* x^15 */
    for (int i = 0; i < 4; i++)
        t = gf_sq4(t); /* x^240 */
    return gf_mul4(t, x14);
}

/* Rotate each of the four packed bytes left by k (1..7). */
E4P_INLINE uint32_t rotl8x4(uint32_t a, unsigned k)
{
    uint32_t hi = (0xffu << k) & 0xffu, lo = 0xffu >> (8 - k);
    return ((a << k) & (hi * BIT0)) | ((a >> (8 - k)) & (lo * BIT0));
}

/* SubBytes on four bytes: inversion, then the affine map of FIPS 197
 * (5.1): b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ 0x63. */
static uint32_t sub_word(uint32_t w)
{
    uint32_t b = gf_inv4(w);
    return b ^ rotl8x4(b, 1) ^ rotl8x4(b, 2) ^ rotl8x4(b, 3) ^ rotl8x4(b, 4) ^ (0x63u * BIT0);
}

E4P_INLINE uint32_t ror32(uint32_t x, unsigned k)
{
    return (x >> k) | (x << (32 - k));
}

static uint32_t load32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Key expansion (FIPS 197 5.2) with Nk = 8. RotWord moves byte 0 to the
 * top: a right rotation of the little-endian packed word. */
void e4p_aes256_init(e4p_aes256 *ctx, const uint8_t key[32])
{
    uint32_t *w = ctx->rk, rcon = 1;
    for (int i = 0; i < 8; i++)
        w[i] = load32le(key + 4 * i);
    for (int i = 8; i < E4P_AES256_RK_WORDS; i++) {
        uint32_t t = w[i - 1];
        if (i % 8 == 0) {
            t = sub_word(ror32(t, 8)) ^ rcon;
            rcon = xtime4(rcon);
        } else if (i % 8 == 4) {
            t = sub_word(t);
        }
        w[i] = w[i - 8] ^ t;
    }
}

/* ShiftRows: row r of column c comes from column c + r. */
static void shift_rows(uint32_t s[4])
{
    uint32_t t[4];
    for (int c = 0; c < 4; c++)
        t[c] = (s[c] & 0x000000ffu) | (s[(c + 1) & 3] & 0x0000ff00u) |
               (s[(c + 2) & 3] & 0x00ff0000u) | (s[(c + 3) & 3] & 0xff000000u);
    memcpy(s, t, sizeof t);
}

/* MixColumns on one column: b_r = 2a_r ^ 3a_{r+1} ^ a_{r+2} ^ a_{r+3}
 * = 2(a_r ^ a_{r+1}) ^ a_{r+1} ^ a_{r+2} ^ a_{r+3}; rotating the word
 * right by 8 brings a_{r+1} to row r. */
static uint32_t mix_column(uint32_t a)
{
    uint32_t a1 = ror32(a, 8);
    return xtime4(a ^ a1) ^ a1 ^ ror32(a, 16) ^ ror32(a, 24);
}

void e4p_aes256_encrypt(const e4p_aes256 *ctx, const uint8_t in[16], uint8_t out[16])
{
    const uint32_t *rk = ctx->rk;
    uint32_t s[4];
    for (int c = 0; c < 4; c++)
        s[c] = load32le(in + 4 * c) ^ rk[c];
    for (int round = 1; round <= E4P_AES256_ROUNDS; round++) {
        for (int c = 0; c < 4; c++)
            s[c] = sub_word(s[c]);
        shift_rows(s);
        for (int c = 0; c < 4; c++) {
            if (round != E4P_AES256_ROUNDS) /* the last round has no MixColumns */
                s[c] = mix_column(s[c]);
            s[c] ^= rk[4 * round + c];
        }
    }
    for (int c = 0; c < 4; c++)
        store32le(out + 4 * c, s[c]);
    e4p_wipe(s, sizeof s);
}
