/*
 * The fips-pk suite's stateless message format and command key (spec
 * e4-suites.md; the state: test_suite_state.c): the layout and its
 * signature checked against the backend's ECDSA, round trips of 0..65,536
 * bytes, truncation at every length, a corrupted byte at every offset,
 * wrong-suite headers, a wrong signer, the ECDSA edge cases (high-S, r or
 * s of 0 or >= n, signer keys off the curve) refused, and the command key agreed
 * from both sides and recomputed from its definition with OpenSSL's SHA3.
 */
#include <e4/e4.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "backend.h"
#include "p256_cases.h"

#define NOW 1800000000ull
#define BIG (65536 + E4_FIPS_PK_OVERHEAD)

typedef struct party {
    uint8_t id[16], sign_sk[32], sign_pk[33];
} party;

static void make_party(party *p)
{
    e4_random_id(p->id);
    assert_int_equal(e4_p256_keypair(p->sign_sk, p->sign_pk), E4_OK);
}

static void test_format(void **st)
{
    (void)st;
    party a;
    make_party(&a);
    uint8_t key[32], iv[12] = {9, 8, 7}, plain[50], msg[200], out[200], id[16];
    size_t n;
    e4_random_key(key);
    memset(plain, 0x61, sizeof plain);
    assert_int_equal(e4_fips_pk_protect(key, a.id, a.sign_sk, NOW, iv, plain, 50, msg), E4_OK);
    assert_int_equal(msg[0], 0xE4);
    assert_int_equal(msg[1], 0x11);
    assert_memory_equal(msg + 10, a.id, 16);
    assert_memory_equal(msg + 26, iv, 12);
    const size_t len = 50 + E4_FIPS_PK_OVERHEAD, signed_len = len - 64;
    assert_int_equal(e4c_p256_verify(msg + signed_len, msg, signed_len, a.sign_pk), 0);
    /* C || tag: AES-256-GCM under the key with the header as AD. */
    assert_int_equal(e4c_gcm_open(key, iv, msg, 10, msg + 38, 50, out), 0);
    assert_memory_equal(out, plain, 50);
    assert_int_equal(e4_fips_pk_signer(id, msg, len), E4_OK);
    assert_memory_equal(id, a.id, 16);
    assert_int_equal(e4_fips_pk_unprotect(key, a.sign_pk, msg, len, out, &n, NOW, 0), E4_OK);
    assert_int_equal(n, 50);
}

static void test_round_trips(void **st)
{
    (void)st;
    static const size_t sizes[] = {0, 1, 16, 64, 255, 4096, 65535, 65536};
    party a;
    make_party(&a);
    uint8_t key[32], *plain = malloc(65536), *msg = malloc(BIG), *out = malloc(BIG);
    assert_true(plain && msg && out);
    e4_random_key(key);
    for (size_t i = 0; i < 65536; i++)
        plain[i] = (uint8_t)(i * 13);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i], got = 1;
        assert_int_equal(e4_fips_pk_protect(key, a.id, a.sign_sk, NOW, NULL, plain, n, msg), E4_OK);
        assert_int_equal(e4_fips_pk_unprotect(key, a.sign_pk, msg, n + E4_FIPS_PK_OVERHEAD, out,
                                              &got, NOW + 3, 0),
                         E4_OK);
        assert_int_equal(got, n);
        assert_memory_equal(out, plain, n);
    }
    free(plain), free(msg), free(out);
}

static void test_truncated_corrupted_wrong(void **st)
{
    (void)st;
    party a, b;
    make_party(&a);
    make_party(&b);
    uint8_t key[32], plain[21], msg[160], bad[160], out[160];
    size_t n;
    e4_random_key(key);
    memset(plain, 0x33, sizeof plain);
    const size_t len = sizeof plain + E4_FIPS_PK_OVERHEAD;
    assert_int_equal(e4_fips_pk_protect(key, a.id, a.sign_sk, NOW, NULL, plain, sizeof plain, msg),
                     E4_OK);
    for (size_t l = 0; l < len; l++) {
        e4_err want = l < E4_FIPS_PK_OVERHEAD ? E4_ERR_TOO_SHORT : E4_ERR_INVALID_SIGNATURE;
        assert_int_equal(e4_fips_pk_unprotect(key, a.sign_pk, msg, l, out, &n, NOW, 0), want);
    }
    for (size_t off = 0; off < len; off++) {
        memcpy(bad, msg, len);
        bad[off] ^= 0x40;
        e4_err got = e4_fips_pk_unprotect(key, a.sign_pk, bad, len, out, &n, NOW, 0);
        e4_err want = off < 2 ? E4_ERR_WRONG_SUITE : E4_ERR_INVALID_SIGNATURE;
        if (off >= 2 && off < 10 &&
            (got == E4_ERR_TIMESTAMP_TOO_OLD || got == E4_ERR_TIMESTAMP_IN_FUTURE))
            want = got;
        if (got != want)
            fail_msg("offset %zu: got %d, want %d", off, got, want);
    }
    static const uint8_t heads[][2] = {{0xE4, 0x10}, {0xE4, 0x21}, {0xE4, 0x00}, {0x00, 0x11}};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        memcpy(bad, msg, len);
        bad[0] = heads[i][0], bad[1] = heads[i][1];
        assert_int_equal(e4_fips_pk_unprotect(key, a.sign_pk, bad, len, out, &n, NOW, 0),
                         E4_ERR_WRONG_SUITE);
    }
    assert_int_equal(e4_fips_pk_unprotect(key, b.sign_pk, msg, len, out, &n, NOW, 0),
                     E4_ERR_INVALID_SIGNATURE);
    uint8_t key2[32];
    e4_random_key(key2);
    assert_int_equal(e4_fips_pk_unprotect(key2, a.sign_pk, msg, len, out, &n, NOW, 0),
                     E4_ERR_NOT_AUTHENTIC);
    assert_int_equal(e4_fips_pk_unprotect(key, a.sign_pk, msg, len, out, &n, NOW + 601, 0),
                     E4_ERR_TIMESTAMP_TOO_OLD);
}

/* The high-S twin (r, n - s) of a valid signature (it would escape replay
 * detection), r or s of 0 or >= n, and a signer key that is not a
 * compressed point (the point at infinity's 00 prefix among them): all
 * E4_ERR_INVALID_SIGNATURE, before any decryption. */
static void test_signature_edge_cases(void **st)
{
    (void)st;
    party a;
    make_party(&a);
    uint8_t key[32], plain[5] = "valve", msg[160], out[160], bad_sig[P256_BAD_SIGS][64],
                     bad_pk[P256_BAD_KEYS][33], zero[33] = {0};
    size_t n, len = 5 + E4_FIPS_PK_OVERHEAD;
    e4_random_key(key);
    assert_int_equal(e4_fips_pk_protect(key, a.id, a.sign_sk, NOW, NULL, plain, 5, msg), E4_OK);
    uint8_t *sig = msg + len - 64, good[64];
    memcpy(good, sig, 64);
    p256_bad_sigs(bad_sig, good);
    for (int i = 0; i < P256_BAD_SIGS; i++) {
        memcpy(sig, bad_sig[i], 64);
        if (e4_fips_pk_unprotect(key, a.sign_pk, msg, len, out, &n, NOW, 0) !=
            E4_ERR_INVALID_SIGNATURE)
            fail_msg("bad signature %d not refused as invalid", i);
    }
    memcpy(sig, good, 64);
    p256_bad_keys(bad_pk, a.sign_pk);
    for (int i = 0; i < P256_BAD_KEYS; i++)
        if (e4_fips_pk_unprotect(key, bad_pk[i], msg, len, out, &n, NOW, 0) !=
            E4_ERR_INVALID_SIGNATURE)
            fail_msg("bad signer key %d not refused", i);
    assert_int_equal(e4_fips_pk_unprotect(key, zero, msg, len, out, &n, NOW, 0),
                     E4_ERR_INVALID_SIGNATURE);
    assert_int_equal(e4_fips_pk_unprotect(key, a.sign_pk, msg, len, out, &n, NOW, 0), E4_OK);
}

static void test_command_key(void **st)
{
    (void)st;
    uint8_t c2_sk[32], c2_pk[33], cl_sk[32], cl_pk[33], k1[32], k2[32], z[32];
    assert_int_equal(e4_p256_keypair(c2_sk, c2_pk), E4_OK);
    assert_int_equal(e4_p256_keypair(cl_sk, cl_pk), E4_OK);
    assert_int_equal(e4_fips_pk_command_key(k1, c2_sk, cl_pk), E4_OK);
    assert_int_equal(e4_fips_pk_command_key(k2, cl_sk, c2_pk), E4_OK);
    assert_memory_equal(k1, k2, 32);
    /* SHA3-256(00000001 || Z || label) with OpenSSL's SHA3. */
    assert_int_equal(e4c_p256_ecdh(z, c2_sk, cl_pk), 0);
    uint8_t in[4 + 32 + 25] = {0, 0, 0, 1}, want[32];
    unsigned wl;
    memcpy(in + 4, z, 32);
    memcpy(in + 36, "E4 fips-pk command key v1", 25);
    assert_int_equal(EVP_Digest(in, sizeof in, want, &wl, EVP_sha3_256(), NULL), 1);
    assert_memory_equal(k1, want, 32);
    uint8_t bad[P256_BAD_KEYS][33];
    p256_bad_keys(bad, cl_pk);
    for (int i = 0; i < P256_BAD_KEYS; i++)
        assert_int_equal(e4_fips_pk_command_key(k1, c2_sk, bad[i]), E4_ERR_INVALID_KEY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_truncated_corrupted_wrong),
        cmocka_unit_test(test_signature_edge_cases),
        cmocka_unit_test(test_command_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
