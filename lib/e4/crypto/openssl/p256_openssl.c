/*
 * ECDSA and ECDH on P-256 for the fips-pk suite, on OpenSSL 3's EC_POINT and
 * EVP interfaces. Signatures travel as r || s and are normalised to low-S
 * (s <= n/2): a verifier that refused nothing else would accept (r, n - s)
 * too, a second encoding of the same signature that escapes replay
 * detection. OpenSSL's scalar multiplication is constant-time for secret
 * scalars (BN_FLG_CONSTTIME is set on them too).
 */
#include "crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

/* Everything one operation needs; p256_end frees it. */
typedef struct p256 {
    EC_GROUP *g;
    BN_CTX *bn;
    const BIGNUM *n;
} p256;

static int p256_begin(p256 *c)
{
    c->g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    c->bn = BN_CTX_new();
    c->n = c->g ? EC_GROUP_get0_order(c->g) : NULL;
    return c->g && c->bn && c->n ? 0 : -1;
}

static void p256_end(p256 *c)
{
    EC_GROUP_free(c->g);
    BN_CTX_free(c->bn);
}

int e4c_has_p256(void)
{
    return 1;
}

/* A private scalar in [1, n-1], or NULL. */
static BIGNUM *scalar(const p256 *c, const uint8_t sk[32])
{
    BIGNUM *d = BN_secure_new();
    if (!d || !BN_bin2bn(sk, 32, d) || BN_is_zero(d) || BN_cmp(d, c->n) >= 0) {
        BN_clear_free(d);
        return NULL;
    }
    BN_set_flags(d, BN_FLG_CONSTTIME);
    return d;
}

/* A compressed point on the curve (never the point at infinity), or NULL. */
static EC_POINT *point(const p256 *c, const uint8_t pk[33])
{
    EC_POINT *p = EC_POINT_new(c->g);
    if (!p || (pk[0] != 2 && pk[0] != 3) || EC_POINT_oct2point(c->g, p, pk, 33, c->bn) != 1 ||
        EC_POINT_is_at_infinity(c->g, p) || EC_POINT_is_on_curve(c->g, p, c->bn) != 1) {
        EC_POINT_free(p);
        return NULL;
    }
    return p;
}

int e4c_p256_check_public(const uint8_t pk[33])
{
    p256 c = {NULL, NULL, NULL};
    EC_POINT *p = NULL;
    int ok = p256_begin(&c) == 0 && (p = point(&c, pk)) != NULL;
    EC_POINT_free(p);
    p256_end(&c);
    return ok ? 0 : -1;
}

int e4c_p256_public(uint8_t pk[33], const uint8_t sk[32])
{
    p256 c = {NULL, NULL, NULL};
    int rc = -1;
    BIGNUM *d = NULL;
    EC_POINT *p = NULL;
    if (p256_begin(&c) == 0 && (d = scalar(&c, sk)) && (p = EC_POINT_new(c.g)) &&
        EC_POINT_mul(c.g, p, d, NULL, NULL, c.bn) == 1 &&
        EC_POINT_point2oct(c.g, p, POINT_CONVERSION_COMPRESSED, pk, 33, c.bn) == 33)
        rc = 0;
    EC_POINT_free(p);
    BN_clear_free(d);
    p256_end(&c);
    return rc;
}

/* The parameters of a P-256 key: group, public point, and d when given. */
static OSSL_PARAM *key_params(const uint8_t pk[33], const BIGNUM *d)
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    if (b && OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pk, 33) &&
        (!d || OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d)))
        params = OSSL_PARAM_BLD_to_param(b);
    OSSL_PARAM_BLD_free(b);
    return params;
}

/* An EVP key from the compressed public key, with the private scalar when
 * sk is given. */
static EVP_PKEY *evp_key(const uint8_t pk[33], const uint8_t *sk)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    BIGNUM *d = sk ? BN_secure_new() : NULL;
    OSSL_PARAM *params = NULL;
    int ok = ctx && (!sk || (d && BN_bin2bn(sk, 32, d)));
    ok = ok && (params = key_params(pk, d)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
         EVP_PKEY_fromdata(ctx, &key, sk ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) == 1;
    if (!ok) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    OSSL_PARAM_free(params); /* the scalar's copy: 3.0 has no OSSL_PARAM_clear_free */
    EVP_PKEY_CTX_free(ctx);
    BN_clear_free(d);
    return key;
}

/* sig = r || s with s replaced by n - s when above n/2. */
static int to_raw_low_s(uint8_t sig[64], const uint8_t *der, size_t der_len, const p256 *c)
{
    const uint8_t *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r, *s;
    BIGNUM *half = BN_dup(c->n), *low = BN_new();
    int ok = es && half && low && BN_rshift1(half, half);
    if (ok) {
        ECDSA_SIG_get0(es, &r, &s);
        ok = BN_cmp(s, half) <= 0 ? BN_copy(low, s) != NULL : BN_sub(low, c->n, s) == 1;
        ok = ok && BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(low, sig + 32, 32) == 32;
    }
    ECDSA_SIG_free(es);
    BN_free(half);
    BN_free(low);
    return ok ? 0 : -1;
}

int e4c_p256_sign(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t sk[32])
{
    uint8_t pk[33], der[80];
    size_t der_len = sizeof der;
    p256 c = {NULL, NULL, NULL};
    if (e4c_p256_public(pk, sk) != 0 || p256_begin(&c) != 0) {
        p256_end(&c);
        return -1;
    }
    EVP_PKEY *key = evp_key(pk, sk);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = key && md && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
             EVP_DigestSign(md, der, &der_len, msg, len) == 1 &&
             to_raw_low_s(sig, der, der_len, &c) == 0;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    p256_end(&c);
    return ok ? 0 : -1;
}

/* r || s as DER, after the range checks: 0 < r < n, 0 < s <= n/2. */
static int to_der(uint8_t der[80], size_t *der_len, const uint8_t sig[64], const p256 *c)
{
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    BIGNUM *half = BN_dup(c->n);
    ECDSA_SIG *es = ECDSA_SIG_new();
    int ok = r && s && half && es && BN_rshift1(half, half) && !BN_is_zero(r) &&
             BN_cmp(r, c->n) < 0 && !BN_is_zero(s) && BN_cmp(s, half) <= 0;
    if (ok && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es now */
        uint8_t *p = der;
        int n = i2d_ECDSA_SIG(es, NULL);
        ok = n > 0 && n <= 80 && i2d_ECDSA_SIG(es, &p) == n;
        *der_len = (size_t)n;
    } else {
        ok = 0;
    }
    BN_free(r);
    BN_free(s);
    BN_free(half);
    ECDSA_SIG_free(es);
    return ok ? 0 : -1;
}

int e4c_p256_verify(const uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t pk[33])
{
    uint8_t der[80];
    size_t der_len = 0;
    p256 c = {NULL, NULL, NULL};
    EC_POINT *p = NULL;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = NULL;
    int ok =
        p256_begin(&c) == 0 && (p = point(&c, pk)) != NULL && to_der(der, &der_len, sig, &c) == 0;
    ok = ok && (key = evp_key(pk, NULL)) != NULL && (md = EVP_MD_CTX_new()) != NULL;
    ok = ok && EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
         EVP_DigestVerify(md, der, der_len, msg, len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    EC_POINT_free(p);
    p256_end(&c);
    return ok ? 0 : -1;
}

int e4c_p256_ecdh(uint8_t z[32], const uint8_t sk[32], const uint8_t peer_pk[33])
{
    p256 c = {NULL, NULL, NULL};
    BIGNUM *d = NULL, *x = NULL;
    EC_POINT *peer = NULL, *shared = NULL;
    int ok = p256_begin(&c) == 0 && (d = scalar(&c, sk)) && (peer = point(&c, peer_pk)) &&
             (shared = EC_POINT_new(c.g)) && (x = BN_secure_new());
    ok = ok && EC_POINT_mul(c.g, shared, NULL, peer, d, c.bn) == 1 &&
         !EC_POINT_is_at_infinity(c.g, shared) &&
         EC_POINT_get_affine_coordinates(c.g, shared, x, NULL, c.bn) == 1 &&
         BN_bn2binpad(x, z, 32) == 32;
    EC_POINT_clear_free(shared);
    EC_POINT_free(peer);
    BN_clear_free(d);
    BN_clear_free(x);
    p256_end(&c);
    return ok ? 0 : -1;
}
