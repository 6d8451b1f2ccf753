/*
 * Fuzz the stateless parsers of the fips-pk and pq-pk suites (the state
 * does not know these suites yet): e4_fips_pk_unprotect, e4_pq_pk_unprotect,
 * e4_pq_pk_key_open and e4_pq_pk_command_open, each with fixed keys.
 *
 * Input: selector byte || message; selector % 4 picks the parser. Seeds
 * (fuzz/corpus/fuzz_e4_suites_pk) are valid messages under those keys at
 * NOW, so mutations reach the signatures, the decapsulation and the
 * decryption.
 *
 * Invariants: no crash or sanitizer report; success only for a message of
 * at least the format's overhead, with out_len = in_len - overhead (a key
 * message: exactly its length, and the same K_epoch twice); on error the
 * outputs are untouched and the error is a named one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <e4/e4.h>

#include "internal.h"

#define NOW UINT64_C(1700000000)
#include "fuzz_e4_common.h"

typedef struct keys {
    uint8_t topic[32], cmd[32];
    uint8_t p256_sk[32], p256_pk[33];
    uint8_t ed_sk[64], ed_pk[32], mldsa_seed[32], mldsa_pk[E4_MLDSA65_PK_LEN];
    uint8_t xwing_seed[32];
} keys;
static keys g_k;
static int g_ready;

/* Shared with the seed generator: every key is fixed_key(tag). */
static void fixed_key(uint8_t key[32], uint8_t tag)
{
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(tag * 29 + i + 3);
}

static void setup(void)
{
    uint8_t seed[32];
    CHECK(e4c_init() == 0);
    fixed_key(g_k.topic, 1);
    fixed_key(g_k.cmd, 2);
    fixed_key(g_k.p256_sk, 3);
    CHECK(e4c_p256_public(g_k.p256_pk, g_k.p256_sk) == 0);
    fixed_key(seed, 4);
    CHECK(e4c_ed25519_seed_keypair(g_k.ed_pk, g_k.ed_sk, seed) == 0);
    fixed_key(g_k.mldsa_seed, 5);
    CHECK(e4_mldsa65_public(g_k.mldsa_pk, g_k.mldsa_seed) == E4_OK);
    fixed_key(g_k.xwing_seed, 6);
    g_ready = 1;
}

static int named(e4_err rc)
{
    return rc < 0 && strcmp(e4_strerror(rc), e4_strerror((e4_err)-999)) != 0;
}

static void check_message(e4_err rc, size_t in_len, size_t overhead, size_t out_len)
{
    if (rc == E4_OK)
        CHECK(in_len >= overhead && out_len == in_len - overhead);
    else
        CHECK(named(rc) && out_len == 0xdeadbeef);
}

static void fuzz_key_open(const uint8_t *in, size_t in_len)
{
    uint8_t k1[32], k2[32];
    uint32_t e1 = 0xdeadbeef, e2 = 0;
    memset(k1, 0xa5, sizeof k1);
    e4_err rc =
        e4_pq_pk_key_open(k1, &e1, in, in_len, g_k.ed_pk, g_k.mldsa_pk, g_k.xwing_seed, NOW, 0);
    if (rc != E4_OK) {
        CHECK(named(rc) && e1 == 0xdeadbeef);
        return;
    }
    CHECK(in_len == E4_PQ_PK_KEY_MSG_LEN);
    CHECK(e4_pq_pk_key_open(k2, &e2, in, in_len, g_k.ed_pk, g_k.mldsa_pk, g_k.xwing_seed, NOW, 0) ==
          E4_OK);
    CHECK(e1 == e2 && memcmp(k1, k2, 32) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ready)
        setup();
    if (size < 1)
        return 0;
    const uint8_t *in = data + 1;
    const size_t in_len = size - 1;
    uint8_t *out = malloc(in_len ? in_len : 1); /* exact size: ASan sees any overflow */
    size_t out_len = 0xdeadbeef;
    uint32_t epoch = 0;
    e4_err rc;
    switch (data[0] % 4) {
    case 0:
        rc = e4_fips_pk_unprotect(g_k.topic, g_k.p256_pk, in, in_len, out, &out_len, NOW, 0);
        check_message(rc, in_len, E4_FIPS_PK_OVERHEAD, out_len);
        break;
    case 1:
        rc = e4_pq_pk_unprotect(g_k.topic, g_k.ed_pk, g_k.mldsa_pk, in, in_len, out, &out_len, NOW,
                                0);
        check_message(rc, in_len, E4_PQ_PK_OVERHEAD, out_len);
        break;
    case 2: fuzz_key_open(in, in_len); break;
    default:
        rc = e4_pq_pk_command_open(g_k.cmd, in, in_len, out, &out_len, &epoch, NOW, 0);
        check_message(rc, in_len, E4_PQ_PK_CMD_OVERHEAD, out_len);
        break;
    }
    free(out);
    return 0;
}
