/*
 * Ed25519 -> X25519 key conversion, bit-compatible with e4go, which uses
 * golang-ed25519's extra25519:
 *
 *  - private: clamp(SHA-512(seed)[0:32]); the public half of the 64-byte
 *    private key is never looked at.
 *  - public: decode y (low 255 bits, little-endian, reduced mod p, sign bit
 *    ignored), require that y belongs to some curve point, output the
 *    Montgomery u = (1 + y) / (1 - y) mod p with 1/0 taken as 0.
 *
 * libsodium's crypto_sign_ed25519_pk_to_curve25519 is not usable for the
 * public half: it rejects small-order and non-canonical points that e4go
 * converts (and that C2 may therefore have used). This is not a hot path, so
 * the field arithmetic uses OpenSSL BIGNUM (variable time; the input is a
 * public key).
 */
#include "crypto.h"

#include <string.h>

#include <openssl/bn.h>
#include <sodium.h>

int e4c_ed25519_sk_to_x25519(uint8_t x_sk[32], const uint8_t ed_sk[64])
{
    uint8_t h[crypto_hash_sha512_BYTES];

    if (x_sk == NULL || ed_sk == NULL) {
        return -1;
    }
    /* Only the 32-byte seed is hashed: e4go ignores the stored public half,
     * even when it does not match the seed. */
    if (crypto_hash_sha512(h, ed_sk, 32) != 0) {
        sodium_memzero(h, sizeof h);
        return -1;
    }
    h[0] &= 248;  /* multiple of the cofactor 8 */
    h[31] &= 127; /* below 2^255 ... */
    h[31] |= 64;  /* ... with bit 254 set */
    memcpy(x_sk, h, 32);
    sodium_memzero(h, sizeof h);
    return 0;
}

/* Little-endian 32 bytes -> BIGNUM (OpenSSL's BN_lebin2bn exists only since
 * 1.1.0; reversing keeps this independent of that). */
static BIGNUM *bn_from_le32(const uint8_t in[32], BIGNUM *r)
{
    uint8_t be[32];
    for (size_t i = 0; i < 32; i++) {
        be[i] = in[31 - i];
    }
    return BN_bin2bn(be, 32, r);
}

static int bn_to_le32(const BIGNUM *a, uint8_t out[32])
{
    uint8_t be[32];
    if (BN_bn2binpad(a, be, 32) != 32) {
        return -1;
    }
    for (size_t i = 0; i < 32; i++) {
        out[i] = be[31 - i];
    }
    return 0;
}

int e4c_ed25519_pk_to_x25519(uint8_t x_pk[32], const uint8_t ed_pk[32])
{
    if (x_pk == NULL || ed_pk == NULL) {
        return -1;
    }

    int rc = -1;
    BN_CTX *ctx = BN_CTX_new();
    if (ctx == NULL) {
        return -1;
    }
    BN_CTX_start(ctx);
    BIGNUM *p = BN_CTX_get(ctx);
    BIGNUM *e = BN_CTX_get(ctx);
    BIGNUM *d = BN_CTX_get(ctx);
    BIGNUM *y = BN_CTX_get(ctx);
    BIGNUM *y2 = BN_CTX_get(ctx);
    BIGNUM *num = BN_CTX_get(ctx);
    BIGNUM *den = BN_CTX_get(ctx);
    BIGNUM *t = BN_CTX_get(ctx);
    BIGNUM *one = BN_CTX_get(ctx);
    if (BN_CTX_get(ctx) == NULL) { /* the last get fails if any earlier one did */
        goto done;
    }

    /* p = 2^255 - 19 */
    BN_zero(p);
    if (!BN_set_bit(p, 255) || !BN_sub_word(p, 19) || !BN_one(one)) {
        goto done;
    }

    /* d = -121665 / 121666 mod p; the inverse is computed as x^(p-2), which
     * is also how the reference's FeInvert behaves (0 maps to 0). */
    if (!BN_copy(e, p) || !BN_sub_word(e, 2)) {
        goto done;
    }
    if (!BN_set_word(t, 121666) || !BN_mod_exp(t, t, e, p, ctx) ||
        !BN_set_word(d, 121665) || !BN_mod_sub(d, p, d, p, ctx) ||
        !BN_mod_mul(d, d, t, p, ctx)) {
        goto done;
    }

    /* y = low 255 bits, reduced mod p: the reference's FeFromBytes drops the
     * sign bit and its arithmetic works mod p, so y = p encodes 0 and
     * y in [p, 2^255) is accepted as y - p. */
    {
        uint8_t enc[32];
        memcpy(enc, ed_pk, 32);
        enc[31] &= 0x7f;
        if (bn_from_le32(enc, y) == NULL || !BN_nnmod(y, y, p, ctx)) {
            goto done;
        }
    }

    /* On-curve test: -x^2 + y^2 = 1 + d x^2 y^2  <=>  x^2 = (y^2 - 1) / (d y^2 + 1).
     * A point exists iff that quotient is a square (0 included), checked with
     * Euler's criterion q^((p-1)/2) in {0, 1}. d y^2 + 1 is never 0 because
     * -1/d is not a square mod p. The reference's decoding accepts exactly
     * these y (its square-root candidate passes v x^2 = +-u for every square),
     * whatever the sign bit, so x = 0 with the sign bit set is accepted too. */
    if (!BN_mod_sqr(y2, y, p, ctx) || !BN_mod_sub(num, y2, one, p, ctx) ||
        !BN_mod_mul(den, d, y2, p, ctx) || !BN_mod_add(den, den, one, p, ctx) ||
        !BN_mod_exp(t, den, e, p, ctx) || !BN_mod_mul(t, num, t, p, ctx)) {
        goto done;
    }
    if (!BN_copy(e, p) || !BN_sub_word(e, 1) || !BN_rshift1(e, e) ||
        !BN_mod_exp(t, t, e, p, ctx)) {
        goto done;
    }
    if (!BN_is_zero(t) && !BN_is_one(t)) {
        goto done; /* not on the curve: e4go panics, we fail */
    }

    /* u = (1 + y) * (1 - y)^(p-2): y = 1 (identity) gives u = 0, like the
     * reference's FeInvert(0) = 0. */
    if (!BN_copy(e, p) || !BN_sub_word(e, 2) || !BN_mod_sub(den, one, y, p, ctx) ||
        !BN_mod_exp(den, den, e, p, ctx) || !BN_mod_add(num, one, y, p, ctx) ||
        !BN_mod_mul(t, num, den, p, ctx)) {
        goto done;
    }
    if (bn_to_le32(t, x_pk) != 0) {
        goto done;
    }
    rc = 0;

done:
    BN_CTX_end(ctx);
    BN_CTX_free(ctx);
    return rc;
}
