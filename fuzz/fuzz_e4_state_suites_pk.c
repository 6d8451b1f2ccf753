/*
 * Fuzz e4_unprotect on fixed fips-pk and pq-pk states: data messages (the
 * signer's keys, signatures, decryption, key transition, replay) and the
 * control topic (fips-pk commands under the ECDH command key; pq-pk key
 * establishments with epochs and commands by epoch), with storage
 * attached so that every applied change is also saved and reloaded.
 *
 * Input: selector byte || message; selector % 4 picks fips-pk data,
 * fips-pk control, pq-pk data, pq-pk control. Each input starts from a
 * fresh state (a peer's key, a topic key, for pq-pk epoch 1).
 *
 * Invariants: no crash or sanitizer report; E4_OK only with out_len =
 * in_len - overhead; E4_COMMAND only on the control topic; on error the
 * saved state is unchanged; after a change the saved state loads back
 * equal to the one in memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <e4/e4.h>

#define NOW UINT64_C(1700000000)
#define MEMSTORE_CAP 16384 /* a pq-pk state with its keys */
#include "fuzz_e4_common.h"

#define TOPIC "fuzz/topic"
static const e4_limits LIMITS = {2, 2, 8};

/* Every key is fixed_bytes(tag) (the seeds in fuzz/corpus use the same). */
static void fixed_bytes(uint8_t *key, size_t len, uint8_t tag)
{
    for (size_t i = 0; i < len; i++)
        key[i] = (uint8_t)(tag * 29 + i + 3);
}
#define fixed_key(key, tag) fixed_bytes(key, 32, tag)

typedef struct fixture {
    uint8_t id[16], peer[16], topic[32];
    uint8_t p256_sign[32], p256_agree[32], c2_agree_pk[33], peer_p256_pk[33];
    uint8_t ed_sk[64], mldsa_seed[32], xwing_seed[32];
    uint8_t c2_ed_sk[64], c2_mldsa_seed[32], c2_keys[32 + E4_MLDSA65_PK_LEN];
    uint8_t peer_pq_pk[32 + E4_MLDSA65_PK_LEN];
    uint8_t establish[E4_PQ_PK_KEY_MSG_LEN];
} fixture;
static fixture g_f;
static void *g_mem, *g_mem2;
static memstore g_store;
static int g_ready;

static void setup(void)
{
    uint8_t seed[32], pk[32], sk[32], xwing_pk[E4_XWING_PK_LEN], key[32];
    CHECK(e4c_init() == 0);
    fixed_bytes(g_f.id, 16, 1);
    fixed_bytes(g_f.peer, 16, 2);
    fixed_key(g_f.topic, 3);
    fixed_key(g_f.p256_sign, 4);
    fixed_key(g_f.p256_agree, 5);
    fixed_key(sk, 6);
    CHECK(e4c_p256_public(g_f.c2_agree_pk, sk) == 0);
    fixed_key(sk, 7);
    CHECK(e4c_p256_public(g_f.peer_p256_pk, sk) == 0);
    fixed_key(seed, 8);
    CHECK(e4c_ed25519_seed_keypair(pk, g_f.ed_sk, seed) == 0);
    fixed_key(g_f.mldsa_seed, 9);
    fixed_key(g_f.xwing_seed, 10);
    fixed_key(seed, 11);
    CHECK(e4c_ed25519_seed_keypair(g_f.c2_keys, g_f.c2_ed_sk, seed) == 0);
    fixed_key(g_f.c2_mldsa_seed, 12);
    CHECK(e4_mldsa65_public(g_f.c2_keys + 32, g_f.c2_mldsa_seed) == E4_OK);
    fixed_key(seed, 13);
    uint8_t peer_ed_sk[64];
    CHECK(e4c_ed25519_seed_keypair(g_f.peer_pq_pk, peer_ed_sk, seed) == 0);
    fixed_key(seed, 14);
    CHECK(e4_mldsa65_public(g_f.peer_pq_pk + 32, seed) == E4_OK);
    CHECK(e4_xwing_public(xwing_pk, g_f.xwing_seed) == E4_OK);
    uint8_t eseed[64] = {1};
    CHECK(e4_pq_pk_key_establish(g_f.establish, key, g_f.c2_ed_sk, g_f.c2_mldsa_seed, xwing_pk, 1,
                                 NOW, eseed) == E4_OK);
    size_t size = e4_state_size_suite(E4_SUITE_PQ_PK, &LIMITS);
    g_mem = aligned_alloc(8, size);
    g_mem2 = aligned_alloc(8, size);
    g_ready = 1;
}

static e4_state *fresh(int pq)
{
    e4_state *s;
    uint8_t out[64];
    size_t n;
    size_t size = e4_state_size_suite(E4_SUITE_PQ_PK, &LIMITS);
    if (pq) {
        CHECK(e4_state_init_pq_pk(&s, g_mem, size, &LIMITS, g_f.id, g_f.ed_sk, g_f.mldsa_seed,
                                  g_f.xwing_seed, g_f.c2_keys, g_f.c2_keys + 32) == E4_OK);
        CHECK(e4_state_set_suite_pubkey(s, g_f.peer, g_f.peer_pq_pk, sizeof g_f.peer_pq_pk) ==
              E4_OK);
        CHECK(e4_unprotect(s, e4_state_control_topic(s), g_f.establish, sizeof g_f.establish, out,
                           sizeof out, &n, NOW) == E4_COMMAND);
    } else {
        CHECK(e4_state_init_fips_pk(&s, g_mem, size, &LIMITS, g_f.id, g_f.p256_sign, g_f.p256_agree,
                                    g_f.c2_agree_pk) == E4_OK);
        CHECK(e4_state_set_suite_pubkey(s, g_f.peer, g_f.peer_p256_pk, 33) == E4_OK);
    }
    CHECK(e4_state_set_topic_key(s, TOPIC, g_f.topic, NOW - 10) == E4_OK);
    memstore_init(&g_store);
    CHECK(e4_state_save(s, &g_store.st) == E4_OK);
    e4_state_set_storage(s, &g_store.st);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ready)
        setup();
    if (size < 1)
        return 0;
    const int pq = (data[0] >> 1) & 1, control = data[0] & 1;
    e4_state *s = fresh(pq);
    const uint8_t *in = data + 1;
    const size_t in_len = size - 1;
    uint8_t *out = malloc(in_len ? in_len : 1);
    uint8_t before[MEMSTORE_CAP];
    const size_t before_len = g_store.len;
    memcpy(before, g_store.buf, before_len);
    size_t out_len = 0;
    e4_err rc = e4_unprotect(s, control ? e4_state_control_topic(s) : TOPIC, in, in_len, out,
                             in_len, &out_len, NOW);
    if (rc == E4_OK)
        CHECK(!control && out_len == in_len - e4_protected_len(s, 0));
    else if (rc == E4_COMMAND)
        CHECK(control && out_len == 0);
    else
        CHECK(rc < 0 && g_store.len == before_len && memcmp(before, g_store.buf, before_len) == 0);
    e4_state *r;
    size_t mem = e4_state_size_suite(E4_SUITE_PQ_PK, &LIMITS);
    CHECK(e4_state_load(&r, g_mem2, mem, &LIMITS, &g_store.st) == E4_OK);
    CHECK(states_equal(s, r));
    CHECK(e4_state_epoch(s) == e4_state_epoch(r));
    e4_state_wipe(r);
    e4_state_wipe(s);
    free(out);
    return 0;
}
