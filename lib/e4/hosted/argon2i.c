/*
 * Argon2i version 0x13 (RFC 9106) with exactly the parameters of e4go's
 * password KDF: empty salt, no secret, no associated data, t = 1 pass,
 * m = 65536 KiB, p = 4 lanes, 32-byte tag.
 *
 * Written from RFC 9106 because every packaged Argon2 refuses a salt shorter
 * than 8 bytes, while the reference (golang.org/x/crypto/argon2.Key) happily
 * uses an empty one. The parameters are fixed, so the code is specialised to
 * them (one pass, no "XOR into the previous block" of later passes), but the
 * structure follows the RFC section by section so it can be reviewed against
 * it. H is BLAKE2b from libsodium.
 */
#include "crypto.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* Fixed parameters (RFC 9106 section 3.1 names in comments). */
#define A2_VERSION 0x13u     /* v */
#define A2_TYPE_I 1u         /* y: 0 = Argon2d, 1 = Argon2i, 2 = Argon2id */
#define A2_PASSES 1u         /* t */
#define A2_MEMORY_KIB 65536u /* m */
#define A2_LANES 4u          /* p */
#define A2_TAG_LEN 32u       /* T */

#define A2_SYNC_POINTS 4u                   /* slices per lane */
#define A2_BLOCK_BYTES 1024u                /* one memory block */
#define A2_BLOCK_WORDS (A2_BLOCK_BYTES / 8) /* 128 64-bit words */
/* m' = 4 * p * floor(m / 4p); here m is already a multiple of 4p. */
#define A2_BLOCKS (A2_SYNC_POINTS * A2_LANES * (A2_MEMORY_KIB / (A2_SYNC_POINTS * A2_LANES)))
#define A2_LANE_LEN (A2_BLOCKS / A2_LANES)            /* q = 16384 columns */
#define A2_SEGMENT_LEN (A2_LANE_LEN / A2_SYNC_POINTS) /* 4096 blocks per slice */

#define A2_PREHASH_LEN 64u /* H0 is a 64-byte BLAKE2b digest */

typedef struct {
    uint64_t v[A2_BLOCK_WORDS];
} a2_block;

static void store32_le(uint8_t out[4], uint32_t x)
{
    out[0] = (uint8_t)x;
    out[1] = (uint8_t)(x >> 8);
    out[2] = (uint8_t)(x >> 16);
    out[3] = (uint8_t)(x >> 24);
}

static uint64_t load64_le(const uint8_t in[8])
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--) {
        x = (x << 8) | in[i];
    }
    return x;
}

static void store64_le(uint8_t out[8], uint64_t x)
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(x >> (8 * i));
    }
}

/* Blocks are byte strings in the RFC; words are read little-endian. Doing the
 * conversion explicitly keeps the code correct on big-endian targets too. */
static void block_from_bytes(a2_block *b, const uint8_t in[A2_BLOCK_BYTES])
{
    for (size_t i = 0; i < A2_BLOCK_WORDS; i++) {
        b->v[i] = load64_le(in + 8 * i);
    }
}

static void block_to_bytes(uint8_t out[A2_BLOCK_BYTES], const a2_block *b)
{
    for (size_t i = 0; i < A2_BLOCK_WORDS; i++) {
        store64_le(out + 8 * i, b->v[i]);
    }
}

/* Feed LE32(x) to the hash; every length and parameter in H0/H' is encoded
 * this way. */
static int hash_update_le32(crypto_generichash_blake2b_state *st, uint32_t x)
{
    uint8_t buf[4];
    store32_le(buf, x);
    return crypto_generichash_blake2b_update(st, buf, sizeof buf);
}

/*
 * H' (RFC 9106 section 3.3), the variable-length hash:
 *   T <= 64: H^T(LE32(T) || A)
 *   T  > 64: r = ceil(T/32) - 2, V1 = H^64(LE32(T) || A), Vi = H^64(V(i-1)),
 *            V(r+1) = H^(T-32r)(V(r)); output W1 || ... || Wr || V(r+1) where
 *            Wi is the first 32 bytes of Vi.
 * The input A is given as two pieces (a1, a2) so callers need not build a
 * concatenated buffer (H0 || LE32(j) || LE32(i) for the first blocks).
 */
static int hash_prime(uint8_t *out, uint32_t outlen, const uint8_t *a1, size_t a1len,
                      const uint8_t *a2, size_t a2len)
{
    crypto_generichash_blake2b_state st;
    uint8_t v[64];
    int rc = -1;

    size_t first_len = outlen <= 64 ? outlen : 64;
    if (crypto_generichash_blake2b_init(&st, NULL, 0, first_len) != 0 ||
        hash_update_le32(&st, outlen) != 0 ||
        crypto_generichash_blake2b_update(&st, a1, a1len) != 0 ||
        (a2len > 0 && crypto_generichash_blake2b_update(&st, a2, a2len) != 0)) {
        goto done;
    }
    if (outlen <= 64) {
        rc = crypto_generichash_blake2b_final(&st, out, outlen);
        goto done;
    }
    if (crypto_generichash_blake2b_final(&st, v, 64) != 0) {
        goto done;
    }

    uint32_t r = (outlen + 31) / 32 - 2;
    memcpy(out, v, 32); /* W1 */
    out += 32;
    for (uint32_t i = 2; i <= r; i++) {
        if (crypto_generichash_blake2b(v, 64, v, 64, NULL, 0) != 0) {
            goto done;
        }
        memcpy(out, v, 32); /* Wi */
        out += 32;
    }
    /* V(r+1) is output in full; its length T - 32r is between 33 and 64. */
    rc = crypto_generichash_blake2b(out, outlen - 32 * r, v, 64, NULL, 0);

done:
    sodium_memzero(&st, sizeof st);
    sodium_memzero(v, sizeof v);
    return rc;
}

/*
 * H0 (RFC 9106 section 3.2): H^64 of all parameters and inputs, each
 * variable-length input preceded by its LE32 length. Salt, secret and
 * associated data are empty here, so only their zero lengths are hashed.
 */
static int initial_hash(uint8_t h0[A2_PREHASH_LEN], const uint8_t *pw, size_t pwlen)
{
    crypto_generichash_blake2b_state st;
    int rc = -1;

    if (crypto_generichash_blake2b_init(&st, NULL, 0, A2_PREHASH_LEN) != 0) {
        goto done;
    }
    if (hash_update_le32(&st, A2_LANES) != 0 ||      /* p */
        hash_update_le32(&st, A2_TAG_LEN) != 0 ||    /* T */
        hash_update_le32(&st, A2_MEMORY_KIB) != 0 || /* m */
        hash_update_le32(&st, A2_PASSES) != 0 ||     /* t */
        hash_update_le32(&st, A2_VERSION) != 0 ||    /* v */
        hash_update_le32(&st, A2_TYPE_I) != 0 ||     /* y */
        hash_update_le32(&st, (uint32_t)pwlen) != 0 ||
        (pwlen > 0 && crypto_generichash_blake2b_update(&st, pw, pwlen) != 0) ||
        hash_update_le32(&st, 0) != 0 || /* salt length; salt empty */
        hash_update_le32(&st, 0) != 0 || /* secret length; no secret */
        hash_update_le32(&st, 0) != 0) { /* associated data length; none */
        goto done;
    }
    rc = crypto_generichash_blake2b_final(&st, h0, A2_PREHASH_LEN);

done:
    sodium_memzero(&st, sizeof st);
    return rc;
}

/* ---- Compression function G (RFC 9106 section 3.5/3.6) ----------------- */

static inline uint64_t rotr64(uint64_t x, unsigned n)
{
    return (x >> n) | (x << (64 - n));
}

/* BlaMka: BLAKE2b's addition a + b becomes a + b + 2 * lo32(a) * lo32(b),
 * which makes the function more expensive to speed up in hardware. */
static inline uint64_t blamka(uint64_t a, uint64_t b)
{
    return a + b + 2 * (uint64_t)(uint32_t)a * (uint64_t)(uint32_t)b;
}

/* GB: BLAKE2b's quarter round without message words, with BlaMka adds. */
#define A2_GB(a, b, c, d)      \
    do {                       \
        a = blamka(a, b);      \
        d = rotr64(d ^ a, 32); \
        c = blamka(c, d);      \
        b = rotr64(b ^ c, 24); \
        a = blamka(a, b);      \
        d = rotr64(d ^ a, 16); \
        c = blamka(c, d);      \
        b = rotr64(b ^ c, 63); \
    } while (0)

/* Permutation P on sixteen 64-bit words: GB on the columns, then on the
 * diagonals of the 4x4 matrix v0..v15, as in a BLAKE2b round. */
#define A2_P(v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15) \
    do {                                                                           \
        A2_GB(v0, v4, v8, v12);                                                    \
        A2_GB(v1, v5, v9, v13);                                                    \
        A2_GB(v2, v6, v10, v14);                                                   \
        A2_GB(v3, v7, v11, v15);                                                   \
        A2_GB(v0, v5, v10, v15);                                                   \
        A2_GB(v1, v6, v11, v12);                                                   \
        A2_GB(v2, v7, v8, v13);                                                    \
        A2_GB(v3, v4, v9, v14);                                                    \
    } while (0)

/*
 * out = G(x, y): R = x XOR y viewed as an 8x8 matrix of 16-byte registers;
 * apply P to each row (registers 8i..8i+7 = words 16i..16i+15), then to each
 * column (register i of every row = words 2i, 2i+1, 2i+16, 2i+17, ...);
 * out = Z XOR R. out may alias x or y.
 */
static void compress(a2_block *out, const a2_block *x, const a2_block *y)
{
    a2_block r, z;

    for (size_t i = 0; i < A2_BLOCK_WORDS; i++) {
        r.v[i] = x->v[i] ^ y->v[i];
    }
    z = r;

    for (size_t i = 0; i < 8; i++) {
        uint64_t *w = &z.v[16 * i];
        A2_P(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13],
             w[14], w[15]);
    }
    for (size_t i = 0; i < 8; i++) {
        uint64_t *w = &z.v[2 * i];
        A2_P(w[0], w[1], w[16], w[17], w[32], w[33], w[48], w[49], w[64], w[65], w[80], w[81],
             w[96], w[97], w[112], w[113]);
    }

    for (size_t i = 0; i < A2_BLOCK_WORDS; i++) {
        out->v[i] = z.v[i] ^ r.v[i];
    }
    /* r and z hold material derived from the password. */
    sodium_memzero(&r, sizeof r);
    sodium_memzero(&z, sizeof z);
}

/* ---- Argon2i indexing (RFC 9106 section 3.4) --------------------------- */

/*
 * Argon2i derives reference indices from a counter, never from memory
 * contents (side-channel resistance): the address block is
 * G(0, G(0, Z || LE64(counter) || 0...)) with
 * Z = LE64(pass) || LE64(lane) || LE64(slice) || LE64(m') || LE64(t) || LE64(y).
 * Each 64-bit word of it gives J1 (low half) and J2 (high half) for one block.
 */
static void next_addresses(a2_block *addresses, a2_block *input, const a2_block *zero)
{
    input->v[6]++; /* the counter starts at 1 */
    compress(addresses, zero, input);
    compress(addresses, zero, addresses);
}

/*
 * Column (within lane ref_lane) of the block referenced while computing
 * block `index` of the current segment, during the first (and only) pass.
 * The reference set is every block already finished that a parallel
 * implementation may read: in the same lane, all blocks before the previous
 * one; in other lanes, only blocks of finished slices, minus the very last
 * one if we are at the first block of a slice (it may still be being
 * written). Since t = 1, the window starts at column 0.
 */
static uint32_t reference_column(uint32_t slice, uint32_t index, uint32_t j1, int same_lane)
{
    uint32_t area;
    if (same_lane) {
        /* slice 0: index - 1 (blocks 0..index-2); later slices add the
         * finished slices of this lane. */
        area = slice * A2_SEGMENT_LEN + index - 1;
    } else {
        area = slice * A2_SEGMENT_LEN - (index == 0 ? 1u : 0u);
    }
    /* Non-uniform mapping: x = J1^2 / 2^32, y = |R| * x / 2^32, z = |R| - 1 - y,
     * which favours recent blocks. */
    uint64_t x = ((uint64_t)j1 * j1) >> 32;
    uint64_t yv = ((uint64_t)area * x) >> 32;
    return (uint32_t)(area - 1 - yv);
}

/* Fill one segment (slice `slice` of lane `lane`) of the first pass. */
static void fill_segment(a2_block *mem, uint32_t lane, uint32_t slice)
{
    a2_block zero, input, addresses;
    memset(&zero, 0, sizeof zero);
    memset(&input, 0, sizeof input);
    input.v[0] = 0; /* pass r */
    input.v[1] = lane;
    input.v[2] = slice;
    input.v[3] = A2_BLOCKS;
    input.v[4] = A2_PASSES;
    input.v[5] = A2_TYPE_I;

    uint32_t start = 0;
    if (slice == 0) {
        /* Blocks 0 and 1 of each lane come from H', not from G; the address
         * words they would have used are skipped, not shifted. */
        start = 2;
        next_addresses(&addresses, &input, &zero);
    }

    a2_block *lane_base = mem + (size_t)lane * A2_LANE_LEN;
    for (uint32_t index = start; index < A2_SEGMENT_LEN; index++) {
        if (index % A2_BLOCK_WORDS == 0) {
            next_addresses(&addresses, &input, &zero);
        }
        uint64_t pseudo = addresses.v[index % A2_BLOCK_WORDS];
        uint32_t j1 = (uint32_t)pseudo;
        uint32_t j2 = (uint32_t)(pseudo >> 32);

        /* l = J2 mod p, except that the first slice of the first pass can
         * only reference its own lane (the others have nothing finished). */
        uint32_t ref_lane = slice == 0 ? lane : j2 % A2_LANES;
        uint32_t ref_col = reference_column(slice, index, j1, ref_lane == lane);

        uint32_t col = slice * A2_SEGMENT_LEN + index; /* >= 2, so col-1 is valid */
        compress(&lane_base[col], &lane_base[col - 1],
                 &mem[(size_t)ref_lane * A2_LANE_LEN + ref_col]);
    }
    sodium_memzero(&addresses, sizeof addresses);
    sodium_memzero(&input, sizeof input);
}

int e4c_argon2i_e4(uint8_t out[32], const uint8_t *password, size_t len)
{
    if (out == NULL || (password == NULL && len > 0) || len > UINT32_MAX) {
        return -1;
    }
    /* Harmless if already done; makes libsodium's BLAKE2b pick its fastest
     * implementation even when the caller skipped e4c_init(). */
    if (sodium_init() < 0) {
        return -1;
    }

    const size_t mem_bytes = (size_t)A2_BLOCKS * sizeof(a2_block);
    a2_block *mem = malloc(mem_bytes);
    if (mem == NULL) {
        return -1;
    }

    int rc = -1;
    uint8_t h0[A2_PREHASH_LEN];
    uint8_t buf[A2_BLOCK_BYTES];
    a2_block acc;

    if (initial_hash(h0, password, len) != 0) {
        goto done;
    }

    /* B[i][0] = H'^1024(H0 || LE32(0) || LE32(i)), B[i][1] likewise with 1. */
    for (uint32_t lane = 0; lane < A2_LANES; lane++) {
        for (uint32_t col = 0; col < 2; col++) {
            uint8_t suffix[8];
            store32_le(suffix, col);
            store32_le(suffix + 4, lane);
            if (hash_prime(buf, A2_BLOCK_BYTES, h0, sizeof h0, suffix, sizeof suffix) != 0) {
                goto done;
            }
            block_from_bytes(&mem[(size_t)lane * A2_LANE_LEN + col], buf);
        }
    }

    /* One pass. Slices are synchronisation points: slice s of every lane may
     * reference slices < s of any lane, so lanes are processed slice by slice
     * (sequentially here; the result is the same as a parallel run). */
    for (uint32_t slice = 0; slice < A2_SYNC_POINTS; slice++) {
        for (uint32_t lane = 0; lane < A2_LANES; lane++) {
            fill_segment(mem, lane, slice);
        }
    }

    /* C = XOR of the last block of every lane; tag = H'^T(C). */
    acc = mem[A2_LANE_LEN - 1];
    for (uint32_t lane = 1; lane < A2_LANES; lane++) {
        const a2_block *last = &mem[(size_t)lane * A2_LANE_LEN + A2_LANE_LEN - 1];
        for (size_t i = 0; i < A2_BLOCK_WORDS; i++) {
            acc.v[i] ^= last->v[i];
        }
    }
    block_to_bytes(buf, &acc);
    if (hash_prime(out, A2_TAG_LEN, buf, sizeof buf, NULL, 0) != 0) {
        goto done;
    }
    rc = 0;

done:
    sodium_memzero(mem, mem_bytes);
    free(mem);
    sodium_memzero(h0, sizeof h0);
    sodium_memzero(buf, sizeof buf);
    sodium_memzero(&acc, sizeof acc);
    if (rc != 0) {
        sodium_memzero(out, A2_TAG_LEN);
    }
    return rc;
}
