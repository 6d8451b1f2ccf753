/*
 * AES-CMAC (RFC 4493) and the AES-SIV of E4 (RFC 5297 with the 64-byte key
 * K || K and exactly one associated-data item) for the portable backend.
 *
 * Nothing is cached between calls (the OpenSSL backend caches expanded
 * keys): a device has no heap for a cache, and the key schedule is small
 * next to the blocks of a message. Each call expands the key once and uses
 * it for S2V and CTR, on the stack, wiped afterwards.
 */
#include "crypto.h"
#include "portable.h"

#include <string.h>

#define BLOCK 16

typedef struct cmac_key {
    e4p_aes256 aes;
    uint8_t k1[BLOCK], k2[BLOCK]; /* the CMAC subkeys */
} cmac_key;

/* Multiplication by x in GF(2^128) (RFC 4493 2.3, RFC 5297 2.3), without a
 * branch on the secret top bit. */
static void dbl(uint8_t b[BLOCK])
{
    uint8_t carry = b[0] >> 7;
    for (int i = 0; i < BLOCK - 1; i++)
        b[i] = (uint8_t)((b[i] << 1) | (b[i + 1] >> 7));
    b[BLOCK - 1] = (uint8_t)((b[BLOCK - 1] << 1) ^ (0x87u & (0u - carry)));
}

static void xor_into(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] ^= src[i];
}

static void cmac_key_init(cmac_key *k, const uint8_t key[32])
{
    e4p_aes256_init(&k->aes, key);
    memset(k->k1, 0, BLOCK);
    e4p_aes256_encrypt(&k->aes, k->k1, k->k1); /* L = AES(0^128) */
    dbl(k->k1);
    memcpy(k->k2, k->k1, BLOCK);
    dbl(k->k2);
}

/* CMAC(K, m ^ xorend(d)): with d set (then n >= 16), d is xored onto the
 * last 16 bytes of m as it is read (S2V's "xorend"); m is not modified. */
static void cmac(const cmac_key *k, const uint8_t *m, size_t n, const uint8_t *d,
                 uint8_t out[BLOCK])
{
    uint8_t x[BLOCK] = {0}, blk[BLOCK];
    size_t nblocks = n ? (n + BLOCK - 1) / BLOCK : 1;
    for (size_t b = 0; b < nblocks; b++) {
        size_t off = b * BLOCK, len = n - off < BLOCK ? n - off : BLOCK;
        memset(blk, 0, BLOCK);
        if (len)
            memcpy(blk, m + off, len);
        for (size_t i = 0; d && i < len; i++)
            if (off + i >= n - BLOCK)
                blk[i] ^= d[off + i - (n - BLOCK)];
        if (b == nblocks - 1) { /* the last block: complete, or padded 10* */
            if (len < BLOCK)
                blk[len] = 0x80;
            xor_into(blk, len == BLOCK ? k->k1 : k->k2, BLOCK);
        }
        xor_into(x, blk, BLOCK);
        e4p_aes256_encrypt(&k->aes, x, x);
    }
    memcpy(out, x, BLOCK);
    e4p_wipe(blk, sizeof blk);
    e4p_wipe(x, sizeof x);
}

void e4p_cmac(const uint8_t key[32], const uint8_t *m, size_t n, uint8_t out[16])
{
    cmac_key k;
    cmac_key_init(&k, key);
    cmac(&k, m, n, NULL, out);
    e4p_wipe(&k, sizeof k);
}

/* S2V (RFC 5297 2.4) with one AD item: D = dbl(CMAC(0)) ^ CMAC(ad); then
 * CMAC(p xorend D) when len(p) >= 16, else CMAC(dbl(D) ^ pad(p)). */
static void s2v(const cmac_key *k, const uint8_t *ad, size_t ad_len, const uint8_t *p, size_t n,
                uint8_t v[BLOCK])
{
    uint8_t d[BLOCK], t[BLOCK] = {0};
    cmac(k, t, BLOCK, NULL, d);
    dbl(d);
    cmac(k, ad, ad_len, NULL, t);
    xor_into(d, t, BLOCK);
    if (n >= BLOCK) {
        cmac(k, p, n, d, v);
    } else {
        dbl(d);
        memset(t, 0, BLOCK);
        if (n)
            memcpy(t, p, n);
        t[n] = 0x80;
        xor_into(t, d, BLOCK);
        cmac(k, t, BLOCK, NULL, v);
    }
    e4p_wipe(d, sizeof d);
    e4p_wipe(t, sizeof t);
}

/* out = in ^ AES-CTR(Q), Q = V with bits 63 and 31 cleared (RFC 5297 2.5),
 * a 128-bit big-endian counter; in and out may be the same buffer. */
static void ctr(const cmac_key *k, const uint8_t v[BLOCK], const uint8_t *in, size_t n,
                uint8_t *out)
{
    uint8_t q[BLOCK], ks[BLOCK];
    memcpy(q, v, BLOCK);
    q[8] &= 0x7f;
    q[12] &= 0x7f;
    for (size_t off = 0; off < n; off += BLOCK) {
        e4p_aes256_encrypt(&k->aes, q, ks);
        size_t len = n - off < BLOCK ? n - off : BLOCK;
        for (size_t i = 0; i < len; i++)
            out[off + i] = in[off + i] ^ ks[i];
        unsigned carry = 1; /* q += 1 */
        for (int i = BLOCK - 1; i >= 0; i--) {
            carry += q[i];
            q[i] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    e4p_wipe(ks, sizeof ks);
}

int e4c_siv_seal(const uint8_t key[32], const uint8_t *ad, size_t ad_len, const uint8_t *plain,
                 size_t n, uint8_t *out)
{
    cmac_key k;
    uint8_t v[BLOCK];
    cmac_key_init(&k, key);
    s2v(&k, ad, ad_len, plain, n, v); /* reads all of plain before out changes */
    memcpy(out, v, BLOCK);
    ctr(&k, v, plain, n, out + BLOCK);
    e4p_wipe(&k, sizeof k);
    return 0;
}

int e4c_siv_open(const uint8_t key[32], const uint8_t *ad, size_t ad_len, const uint8_t *in,
                 size_t n, uint8_t *out)
{
    cmac_key k;
    uint8_t v[BLOCK];
    cmac_key_init(&k, key);
    ctr(&k, in, in + BLOCK, n, out);
    s2v(&k, ad, ad_len, out, n, v);
    e4p_wipe(&k, sizeof k);
    if (e4c_memeq(v, in, BLOCK))
        return 0;
    e4p_wipe(out, n); /* never hand out unauthenticated plaintext */
    return -1;
}

void e4c_siv_forget(const uint8_t key[32])
{
    (void)key; /* nothing is cached */
}
