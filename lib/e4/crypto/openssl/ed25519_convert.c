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

/* The field and the curve constant, with the scratch numbers the
 * conversion uses, all from one BN_CTX frame. */
typedef struct {
    BN_CTX *ctx;
    BIGNUM *p, *e, *d, *y, *y2, *num, *den, *t, *one;
} field;

/* p = 2^255 - 19; d = -121665 / 121666 mod p, the inverse computed as
 * x^(p-2), which is also how the reference's FeInvert behaves (0 maps to 0). */
static int field_init(field *f)
{
    BIGNUM **all[] = {&f->p, &f->e, &f->d, &f->y, &f->y2, &f->num, &f->den, &f->t, &f->one};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        *all[i] = BN_CTX_get(f->ctx);
    if (f->one == NULL) /* the last get fails if any earlier one did */
        return -1;
    BN_zero(f->p);
    return BN_set_bit(f->p, 255) && BN_sub_word(f->p, 19) && BN_one(f->one) &&
                   BN_copy(f->e, f->p) && BN_sub_word(f->e, 2) && BN_set_word(f->t, 121666) &&
                   BN_mod_exp(f->t, f->t, f->e, f->p, f->ctx) && BN_set_word(f->d, 121665) &&
                   BN_mod_sub(f->d, f->p, f->d, f->p, f->ctx) &&
                   BN_mod_mul(f->d, f->d, f->t, f->p, f->ctx)
               ? 0
               : -1;
}

/* y = low 255 bits, reduced mod p: the reference's FeFromBytes drops the
 * sign bit and its arithmetic works mod p, so y = p encodes 0 and
 * y in [p, 2^255) is accepted as y - p. */
static int decode_y(field *f, const uint8_t ed_pk[32])
{
    uint8_t enc[32];
    memcpy(enc, ed_pk, 32);
    enc[31] &= 0x7f;
    return bn_from_le32(enc, f->y) != NULL && BN_nnmod(f->y, f->y, f->p, f->ctx) ? 0 : -1;
}

/* On-curve test: -x^2 + y^2 = 1 + d x^2 y^2  <=>  x^2 = (y^2 - 1) / (d y^2 + 1).
 * A point exists iff that quotient is a square (0 included), checked with
 * Euler's criterion q^((p-1)/2) in {0, 1}. d y^2 + 1 is never 0 because
 * -1/d is not a square mod p. The reference's decoding accepts exactly
 * these y (its square-root candidate passes v x^2 = +-u for every square),
 * whatever the sign bit, so x = 0 with the sign bit set is accepted too.
 * 0 on the curve; -1 not (e4go panics, we fail) or an error. */
static int on_curve(field *f)
{
    BN_CTX *c = f->ctx;
    if (!BN_mod_sqr(f->y2, f->y, f->p, c) || !BN_mod_sub(f->num, f->y2, f->one, f->p, c) ||
        !BN_mod_mul(f->den, f->d, f->y2, f->p, c) || !BN_mod_add(f->den, f->den, f->one, f->p, c) ||
        !BN_mod_exp(f->t, f->den, f->e, f->p, c) || !BN_mod_mul(f->t, f->num, f->t, f->p, c))
        return -1;
    if (!BN_copy(f->e, f->p) || !BN_sub_word(f->e, 1) || !BN_rshift1(f->e, f->e) ||
        !BN_mod_exp(f->t, f->t, f->e, f->p, c))
        return -1;
    return BN_is_zero(f->t) || BN_is_one(f->t) ? 0 : -1;
}

/* u = (1 + y) * (1 - y)^(p-2): y = 1 (identity) gives u = 0, like the
 * reference's FeInvert(0) = 0. */
static int montgomery_u(field *f, uint8_t x_pk[32])
{
    BN_CTX *c = f->ctx;
    if (!BN_copy(f->e, f->p) || !BN_sub_word(f->e, 2) ||
        !BN_mod_sub(f->den, f->one, f->y, f->p, c) || !BN_mod_exp(f->den, f->den, f->e, f->p, c) ||
        !BN_mod_add(f->num, f->one, f->y, f->p, c) || !BN_mod_mul(f->t, f->num, f->den, f->p, c))
        return -1;
    return bn_to_le32(f->t, x_pk);
}

int e4c_ed25519_pk_to_x25519(uint8_t x_pk[32], const uint8_t ed_pk[32])
{
    if (x_pk == NULL || ed_pk == NULL)
        return -1;
    field f = {.ctx = BN_CTX_new()};
    if (f.ctx == NULL)
        return -1;
    BN_CTX_start(f.ctx);
    int rc = field_init(&f) == 0 && decode_y(&f, ed_pk) == 0 && on_curve(&f) == 0 &&
                     montgomery_u(&f, x_pk) == 0
                 ? 0
                 : -1;
    BN_CTX_end(f.ctx);
    BN_CTX_free(f.ctx);
    return rc;
}
