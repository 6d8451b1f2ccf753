/*
 * Differential test of the crypto backend against OpenSSL, on random inputs
 * (a seeded generator: E4_DIFF_SEED=<n> replays a run):
 *
 *   - SHA3-256 of random lengths, in one piece and split (e4c_sha3_256_cat);
 *   - the protocol's SIV (seal, open, and open of a tampered message)
 *     against OpenSSL's "AES-256-SIV" with the 64-byte key K || K;
 *   - with the portable backend, also its AES-256 block against AES-256-ECB
 *     and its CMAC against OpenSSL's CMAC, primitive by primitive.
 *
 * Built in both backends: for the openssl backend it checks the hand-built,
 * cached SIV against OpenSSL's own; for the portable one, everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "backend.h"
#include "crypto.h"
#ifdef E4_CRYPTO_PORTABLE
#include "crypto/portable/portable.h"
#endif

#define MAX_LEN 700

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: reproducible, not for keys */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void rng_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rng() >> 56);
}

static size_t rng_len(size_t max)
{
    return (size_t)(rng() % (max + 1));
}

static int setup(void **state)
{
    (void)state;
    const char *s = getenv("E4_DIFF_SEED");
    rng_state = s ? strtoull(s, NULL, 0) : 0x4534d1ffULL;
    if (!rng_state)
        rng_state = 1;
    print_message("seed 0x%llx (E4_DIFF_SEED)\n", (unsigned long long)rng_state);
    return 0;
}

static void ossl_sha3(const uint8_t *in, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    assert_int_equal(EVP_Digest(in, n, out, &len, EVP_sha3_256(), NULL), 1);
}

static void test_sha3(void **state)
{
    (void)state;
    static uint8_t in[3 * 136 + 7];
    uint8_t a[32], b[32], c[32];
    for (int i = 0; i < 2000; i++) {
        size_t n = rng_len(sizeof in), split = rng_len(n);
        rng_fill(in, n);
        e4c_sha3_256(a, in, n);
        e4c_sha3_256_cat(b, in, split, in + split, n - split);
        ossl_sha3(in, n, c);
        assert_memory_equal(a, c, 32);
        assert_memory_equal(b, c, 32);
    }
}

/* OpenSSL's RFC 5297 SIV with one AD item; n >= 1 (OpenSSL 3.0 refuses an
 * empty plaintext). out = tag || ciphertext. */
static void ossl_siv_seal(const uint8_t key[32], const uint8_t *ad, size_t ad_len, const uint8_t *p,
                          size_t n, uint8_t *out)
{
    uint8_t k2[64];
    int len;
    memcpy(k2, key, 32);
    memcpy(k2 + 32, key, 32);
    EVP_CIPHER *siv = EVP_CIPHER_fetch(NULL, "AES-256-SIV", NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_non_null(siv);
    assert_non_null(ctx);
    assert_int_equal(EVP_EncryptInit_ex2(ctx, siv, k2, NULL, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &len, ad, (int)ad_len), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, out + 16, &len, p, (int)n), 1);
    assert_int_equal(EVP_EncryptFinal_ex(ctx, out + 16 + len, &len), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out), 1);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(siv);
}

static void siv_one(const uint8_t key[32], const uint8_t *ad, size_t ad_len, const uint8_t *p,
                    size_t n)
{
    static uint8_t ours[MAX_LEN + 16], theirs[MAX_LEN + 16], back[MAX_LEN];
    assert_int_equal(e4c_siv_seal(key, ad, ad_len, p, n, ours), 0);
    ossl_siv_seal(key, ad, ad_len, p, n, theirs);
    assert_memory_equal(ours, theirs, n + 16);
    assert_int_equal(e4c_siv_open(key, ad, ad_len, theirs, n, back), 0);
    assert_memory_equal(back, p, n);
    size_t bit = rng_len((n + 16) * 8 - 1); /* any bit of tag or ciphertext */
    theirs[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    assert_int_equal(e4c_siv_open(key, ad, ad_len, theirs, n, back), -1);
}

static void test_siv(void **state)
{
    (void)state;
    static uint8_t p[MAX_LEN];
    uint8_t key[32], ad[40];
    for (int i = 0; i < 600; i++) {
        size_t n = 1 + rng_len(i < 300 ? 80 : MAX_LEN - 1);
        size_t ad_len = i % 4 ? 8 : rng_len(sizeof ad); /* mostly the timestamp */
        rng_fill(key, sizeof key);
        rng_fill(ad, ad_len);
        rng_fill(p, n);
        siv_one(key, ad, ad_len, p, n);
    }
}

#ifdef E4_CRYPTO_PORTABLE
static void test_aes_block(void **state)
{
    (void)state;
    uint8_t key[32], in[16], ours[16], theirs[32];
    int len;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    for (int i = 0; i < 3000; i++) {
        e4p_aes256 aes;
        rng_fill(key, sizeof key);
        rng_fill(in, sizeof in);
        e4p_aes256_init(&aes, key);
        e4p_aes256_encrypt(&aes, in, ours);
        assert_int_equal(EVP_EncryptInit_ex2(ctx, EVP_aes_256_ecb(), key, NULL, NULL), 1);
        EVP_CIPHER_CTX_set_padding(ctx, 0);
        assert_int_equal(EVP_EncryptUpdate(ctx, theirs, &len, in, 16), 1);
        assert_memory_equal(ours, theirs, 16);
    }
    EVP_CIPHER_CTX_free(ctx);
}

static void test_cmac(void **state)
{
    (void)state;
    static uint8_t m[MAX_LEN];
    uint8_t key[32], ours[16], theirs[16];
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    assert_non_null(mac);
    char cipher[] = "AES-256-CBC";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
                           OSSL_PARAM_construct_end()};
    for (int i = 0; i < 1000; i++) {
        size_t n = rng_len(i < 500 ? 64 : MAX_LEN), outl = 0;
        rng_fill(key, sizeof key);
        rng_fill(m, n);
        e4p_cmac(key, m, n, ours);
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
        assert_int_equal(EVP_MAC_init(ctx, key, 32, params), 1);
        assert_int_equal(EVP_MAC_update(ctx, m, n), 1);
        assert_int_equal(EVP_MAC_final(ctx, theirs, &outl, sizeof theirs), 1);
        EVP_MAC_CTX_free(ctx);
        assert_memory_equal(ours, theirs, 16);
    }
    EVP_MAC_free(mac);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha3),
        cmocka_unit_test(test_siv),
#ifdef E4_CRYPTO_PORTABLE
        cmocka_unit_test(test_aes_block),
        cmocka_unit_test(test_cmac),
#endif
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
