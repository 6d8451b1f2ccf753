/*
 * ECDSA and ECDH on P-256 of the openssl backend (the fips-pk suite):
 * signatures verified by OpenSSL's own EVP code and the other way round,
 * low-S signing, and the edge cases verification must refuse (issue 12):
 * high-S signatures, r or s of zero or >= n, public keys off the curve,
 * the point at infinity, an uncompressed or unknown prefix; ECDH agreement
 * and its refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "p256_cases.h"

static void keypair(uint8_t sk[32], uint8_t pk[33])
{
    do {
        e4c_random(sk, 32);
    } while (e4c_p256_public(pk, sk) != 0); /* a scalar >= n: 2^-32, draw again */
}

/* OpenSSL's verdict on r || s, through a DER signature and its EVP. */
static int openssl_verifies(const uint8_t sig[64], const uint8_t *msg, size_t len,
                            const uint8_t pk[33])
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pk, 33),
        OSSL_PARAM_construct_end()};
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(kc), 1);
    assert_int_equal(EVP_PKEY_fromdata(kc, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
    ECDSA_SIG *es = ECDSA_SIG_new();
    assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)),
                     1);
    uint8_t der[80], *p = der;
    int n = i2d_ECDSA_SIG(es, &p);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL), 1);
    int ok = EVP_DigestVerify(md, der, (size_t)n, msg, len) == 1;
    EVP_MD_CTX_free(md);
    ECDSA_SIG_free(es);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(kc);
    return ok;
}

static void test_sign_verify_against_openssl(void **st)
{
    (void)st;
    uint8_t sk[32], pk[33], sig[64], msg[100], half[32];
    memcpy(half, P256_ORDER, 32); /* n >> 1 */
    for (int i = 31; i >= 0; i--)
        half[i] = (uint8_t)((P256_ORDER[i] >> 1) | (i ? (P256_ORDER[i - 1] & 1) << 7 : 0));
    for (int round = 0; round < 50; round++) {
        keypair(sk, pk);
        e4c_random(msg, sizeof msg);
        assert_int_equal(e4c_p256_sign(sig, msg, sizeof msg, sk), 0);
        assert_true(memcmp(sig + 32, half, 32) <= 0); /* low-S */
        assert_int_equal(e4c_p256_verify(sig, msg, sizeof msg, pk), 0);
        assert_true(openssl_verifies(sig, msg, sizeof msg, pk));
        msg[round % sizeof msg] ^= 1;
        assert_int_equal(e4c_p256_verify(sig, msg, sizeof msg, pk), -1);
        assert_false(openssl_verifies(sig, msg, sizeof msg, pk));
    }
}

static void test_signature_edge_cases(void **st)
{
    (void)st;
    uint8_t sk[32], pk[33], sig[64], bad[P256_BAD_SIGS][64], msg[] = "fips-pk";
    keypair(sk, pk);
    assert_int_equal(e4c_p256_sign(sig, msg, sizeof msg, sk), 0);
    p256_bad_sigs(bad, sig);
    /* High-S: (r, n - s) is valid ECDSA (OpenSSL accepts it) and refused here. */
    assert_true(openssl_verifies(bad[0], msg, sizeof msg, pk));
    for (int i = 0; i < P256_BAD_SIGS; i++) /* then r or s of 0, n, 2^256 - 1 */
        assert_int_equal(e4c_p256_verify(bad[i], msg, sizeof msg, pk), -1);
    /* r + n fits 32 bytes for no r here, so "r mod n" aliases cannot exist;
     * s = 1 (smallest valid range) is still a wrong signature. */
    memset(bad[0] + 32, 0, 32);
    bad[0][63] = 1;
    assert_int_equal(e4c_p256_verify(bad[0], msg, sizeof msg, pk), -1);
}

/* Every bad key (wrong prefix, the point at infinity's 00, x = p, x off the
 * curve): refused by verify, ECDH and the check a state runs on a key. */
static void test_public_key_edge_cases(void **st)
{
    (void)st;
    uint8_t sk[32], pk[33], sig[64], bad[P256_BAD_KEYS][33], z[32], msg[] = "fips-pk";
    keypair(sk, pk);
    assert_int_equal(e4c_p256_sign(sig, msg, sizeof msg, sk), 0);
    assert_int_equal(e4c_p256_check_public(pk), 0);
    p256_bad_keys(bad, pk);
    for (int i = 0; i < P256_BAD_KEYS; i++) {
        assert_int_equal(e4c_p256_check_public(bad[i]), -1);
        assert_int_equal(e4c_p256_verify(sig, msg, sizeof msg, bad[i]), -1);
        assert_int_equal(e4c_p256_ecdh(z, sk, bad[i]), -1);
    }
    memset(bad[0], 0, 33); /* the point at infinity's encoding, padded */
    assert_int_equal(e4c_p256_check_public(bad[0]), -1);
    assert_int_equal(e4c_p256_verify(sig, msg, sizeof msg, bad[0]), -1);
    for (int round = 0; round < 20; round++) { /* and every real key passes */
        keypair(sk, pk);
        assert_int_equal(e4c_p256_check_public(pk), 0);
    }
}

static void test_ecdh(void **st)
{
    (void)st;
    uint8_t a[32], A[33], b[32], B[33], z1[32], z2[32], zero[32] = {0};
    keypair(a, A);
    keypair(b, B);
    assert_int_equal(e4c_p256_ecdh(z1, a, B), 0);
    assert_int_equal(e4c_p256_ecdh(z2, b, A), 0);
    assert_memory_equal(z1, z2, 32);
    assert_int_equal(e4c_p256_ecdh(z1, zero, B), -1);       /* scalar 0 */
    assert_int_equal(e4c_p256_ecdh(z1, P256_ORDER, B), -1); /* scalar n */
    assert_int_equal(e4c_p256_public(A, zero), -1);
    assert_int_equal(e4c_p256_public(A, P256_ORDER), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify_against_openssl),
        cmocka_unit_test(test_signature_edge_cases),
        cmocka_unit_test(test_public_key_edge_cases),
        cmocka_unit_test(test_ecdh),
    };
    if (e4c_init() != 0 || !e4c_has_p256())
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
