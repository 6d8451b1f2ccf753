/*
 * Internals of lib/e4/pq that noble cannot see, checked exhaustively or
 * against OpenSSL:
 * - the NTT tables, recomputed from the roots of unity 17 and 1753;
 * - ML-KEM's Compress_d for every coefficient and d, against exact division;
 * - ML-DSA's Decompose for every coefficient, against FIPS 204's definition;
 * - the one Keccak: SHAKE128/256, SHA3-256/512 against OpenSSL's, absorbed
 *   and squeezed in random pieces;
 * - the refusals: a non-canonical ML-KEM key, a dk whose H(ek) is wrong,
 *   a context over 255 bytes, a low-order X25519 part of X-Wing;
 * - X-Wing against its draft's own test vectors (xwing-draft-vectors.json).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "pq/mldsa_poly.h"
#include "pq/mlkem_poly.h"
#include "pq/pq.h"

static unsigned bitrev(unsigned x, unsigned bits)
{
    unsigned r = 0;
    for (unsigned i = 0; i < bits; i++)
        r |= ((x >> i) & 1) << (bits - 1 - i);
    return r;
}

static int64_t powmod(int64_t b, unsigned e, int64_t m)
{
    int64_t r = 1;
    for (b %= m; e; e >>= 1, b = b * b % m)
        if (e & 1)
            r = r * b % m;
    return r;
}

/* x * 2^shift mod q, centered. */
static int64_t centered_mont(int64_t x, unsigned shift, int64_t q)
{
    int64_t r = x;
    for (unsigned i = 0; i < shift; i++)
        r = r * 2 % q;
    return r > q / 2 ? r - q : r;
}

static void test_zeta_tables(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 128; i++)
        assert_int_equal(e4pq_kem_zetas[i],
                         centered_mont(powmod(17, bitrev(i, 7), KEM_Q), 16, KEM_Q));
    for (unsigned i = 0; i < 256; i++)
        assert_int_equal(e4pq_dsa_zetas[i],
                         centered_mont(powmod(1753, bitrev(i, 8), DSA_Q), 32, DSA_Q));
}

static void test_kem_compress(void **state)
{
    (void)state;
    for (unsigned d = 1; d <= 11; d++)
        for (unsigned x = 0; x < KEM_Q; x++) {
            /* round(2^d x / q) = floor((2^(d+1) x + q) / 2q) */
            unsigned want = (((x << (d + 1)) + KEM_Q) / (2 * KEM_Q)) & ((1u << d) - 1);
            if (e4pq_kem_compress_coeff((uint16_t)x, d) != want)
                fail_msg("Compress_%u(%u) = %u, want %u", d, x,
                         e4pq_kem_compress_coeff((uint16_t)x, d), want);
        }
}

static void test_dsa_decompose(void **state)
{
    (void)state;
    const int32_t alpha = 2 * DSA_GAMMA2;
    for (int32_t r = 0; r < DSA_Q; r++) {
        int32_t r0 = r % alpha, r1, got0;
        if (r0 > alpha / 2)
            r0 -= alpha;
        if (r - r0 == DSA_Q - 1) {
            r1 = 0;
            r0 -= 1;
        } else {
            r1 = (r - r0) / alpha;
        }
        int32_t got1 = e4pq_dsa_decompose(&got0, r);
        if (got1 != r1 || got0 != r0)
            fail_msg("Decompose(%d) = (%d, %d), want (%d, %d)", r, got1, got0, r1, r0);
    }
}

static void ossl_xof(const char *name, const uint8_t *in, size_t n, uint8_t *out, size_t outlen)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_DigestInit_ex(c, EVP_get_digestbyname(name), NULL), 1);
    assert_int_equal(EVP_DigestUpdate(c, in, n), 1);
    if (strncmp(name, "SHAKE", 5) == 0) {
        assert_int_equal(EVP_DigestFinalXOF(c, out, outlen), 1);
    } else {
        unsigned len;
        assert_int_equal(EVP_DigestFinal_ex(c, out, &len), 1);
        assert_int_equal(len, outlen);
    }
    EVP_MD_CTX_free(c);
}

/* Absorb in random pieces, squeeze in random pieces. */
static void ours_xof(int which, const uint8_t *in, size_t n, uint8_t *out, size_t outlen)
{
    e4c_xof x;
    (which == 128 ? e4c_shake128_init : e4c_shake256_init)(&x);
    for (size_t at = 0; at < n;) {
        size_t piece = (size_t)rand() % (n - at + 1);
        e4c_xof_absorb(&x, in + at, piece);
        at += piece;
    }
    for (size_t at = 0; at < outlen;) {
        size_t piece = (size_t)rand() % (outlen - at + 1);
        e4c_xof_squeeze(&x, out + at, piece);
        at += piece;
    }
}

static void test_keccak_vs_openssl(void **state)
{
    (void)state;
    uint8_t in[700], a[900], b[900];
    srand(12);
    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)rand() % sizeof in, outlen = 1 + (size_t)rand() % sizeof a;
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)rand();
        ours_xof(128, in, n, a, outlen);
        ossl_xof("SHAKE128", in, n, b, outlen);
        assert_memory_equal(a, b, outlen);
        ours_xof(256, in, n, a, outlen);
        ossl_xof("SHAKE256", in, n, b, outlen);
        assert_memory_equal(a, b, outlen);
        size_t split = n ? (size_t)rand() % n : 0;
        e4c_sha3_512(a, in, split, in + split, n - split);
        ossl_xof("SHA3-512", in, n, b, 64);
        assert_memory_equal(a, b, 64);
        e4c_keccak_sha3_256(a, in, split, in + split, n - split);
        ossl_xof("SHA3-256", in, n, b, 32);
        assert_memory_equal(a, b, 32);
    }
}

static void test_mlkem_refusals(void **state)
{
    (void)state;
    uint8_t seed[64] = {1, 2, 3}, ek[E4PQ_MLKEM768_EK], dk[E4PQ_MLKEM768_DK];
    uint8_t ct[E4PQ_MLKEM768_CT], ss[32], ss2[32], m[32] = {9};
    e4pq_mlkem768_keygen(ek, dk, seed, seed + 32);
    assert_int_equal(e4pq_mlkem768_encaps(ct, ss, ek, m), 0);
    assert_int_equal(e4pq_mlkem768_decaps(ss2, ct, dk), 0);
    assert_memory_equal(ss, ss2, 32);
    uint8_t bad_ek[E4PQ_MLKEM768_EK]; /* coefficient 0 = 0xfff >= q */
    memcpy(bad_ek, ek, sizeof ek);
    bad_ek[0] = 0xff;
    bad_ek[1] |= 0x0f;
    assert_int_equal(e4pq_mlkem768_encaps(ct, ss, bad_ek, m), -1);
    dk[E4PQ_MLKEM768_DK - 40] ^= 1; /* inside H(ek) */
    assert_int_equal(e4pq_mlkem768_decaps(ss2, ct, dk), -1);
}

static void test_mldsa_refusals(void **state)
{
    (void)state;
    uint8_t seed[32] = {7}, pk[E4PQ_MLDSA65_PK], sk[E4PQ_MLDSA65_SK], sig[E4PQ_MLDSA65_SIG];
    uint8_t ctx[256] = {0}, msg[3] = {1, 2, 3};
    e4pq_mldsa65_keygen(pk, sk, seed);
    assert_int_equal(e4pq_mldsa65_sign(sig, msg, 3, ctx, 256, sk, NULL), -1);
    assert_int_equal(e4pq_mldsa65_sign_hedged(sig, msg, 3, ctx, 255, sk), 0);
    assert_int_equal(e4pq_mldsa65_verify(sig, msg, 3, ctx, 255, pk), 0);
    assert_int_equal(e4pq_mldsa65_verify(sig, msg, 3, ctx, 256, pk), -1);
    assert_int_equal(e4pq_mldsa65_verify(sig, msg, 2, ctx, 255, pk), -1);
    sig[E4PQ_MLDSA65_SIG - 1] = 56; /* hint count over omega */
    assert_int_equal(e4pq_mldsa65_verify(sig, msg, 3, ctx, 255, pk), -1);
}

static void test_xwing_low_order(void **state)
{
    (void)state;
    uint8_t seed[32] = {5}, pk[E4PQ_XWING_PK], ct[E4PQ_XWING_CT], ss[32], eseed[64] = {3};
    assert_int_equal(e4pq_xwing_keygen(pk, seed), 0);
    assert_int_equal(e4pq_xwing_encaps(ct, ss, pk, eseed), 0);
    memset(ct + E4PQ_MLKEM768_CT, 0, 32); /* the point 0 has order 4 */
    assert_int_equal(e4pq_xwing_decaps(ss, ct, seed), -1);
    memset(pk + E4PQ_MLKEM768_EK, 0, 32);
    assert_int_equal(e4pq_xwing_encaps(ct, ss, pk, eseed), -1);
}

/* A hex string of exactly n bytes. */
static void hex_n(const json_t *o, const char *key, uint8_t *out, size_t n)
{
    const char *h = json_string_value(json_object_get(o, key));
    assert_non_null(h);
    assert_int_equal(strlen(h), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void test_xwing_draft_vectors(void **state)
{
    (void)state;
    json_error_t err;
    json_t *doc = json_load_file(E4_PQ_DIR "/xwing-draft-vectors.json", 0, &err);
    if (!doc)
        fail_msg("xwing-draft-vectors.json: %s", err.text);
    json_t *vectors = json_object_get(doc, "vectors"), *v;
    size_t i;
    assert_int_equal(json_array_size(vectors), 3);
    json_array_foreach(vectors, i, v)
    {
        uint8_t seed[32], eseed[64], ss[32], pk_head[36], ct_tail[40];
        uint8_t pk[E4PQ_XWING_PK], ct[E4PQ_XWING_CT], my_ss[32];
        hex_n(v, "seed", seed, sizeof seed);
        hex_n(v, "eseed", eseed, sizeof eseed);
        hex_n(v, "ss", ss, sizeof ss);
        hex_n(v, "pk_head", pk_head, sizeof pk_head);
        hex_n(v, "ct_tail", ct_tail, sizeof ct_tail);
        assert_int_equal(e4pq_xwing_keygen(pk, seed), 0);
        assert_memory_equal(pk, pk_head, sizeof pk_head);
        assert_int_equal(e4pq_xwing_encaps(ct, my_ss, pk, eseed), 0);
        assert_memory_equal(ct + sizeof ct - sizeof ct_tail, ct_tail, sizeof ct_tail);
        assert_memory_equal(my_ss, ss, 32);
        assert_int_equal(e4pq_xwing_decaps(my_ss, ct, seed), 0);
        assert_memory_equal(my_ss, ss, 32);
    }
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeta_tables),     cmocka_unit_test(test_kem_compress),
        cmocka_unit_test(test_dsa_decompose),   cmocka_unit_test(test_keccak_vs_openssl),
        cmocka_unit_test(test_mlkem_refusals),  cmocka_unit_test(test_mldsa_refusals),
        cmocka_unit_test(test_xwing_low_order), cmocka_unit_test(test_xwing_draft_vectors),
    };
    if (e4c_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
