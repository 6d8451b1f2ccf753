/*
 * Published vectors of the cipher suites (docs/vectors/e4-suites-v1.json):
 * fixed keys, timestamps, ivs and X-Wing randomness for a message and a
 * command of every suite. The test regenerates every vector and compares
 * byte for byte, except the signatures that are randomised by design (ECDSA
 * in fips-pk; ML-DSA-65, hedged, in pq-pk): those are compared up to the
 * signature and the file's signature must verify, so that the file stays a
 * valid message another implementation can open.
 *
 *   test_suite_vectors                 check the file (ctest)
 *   test_suite_vectors --write PATH    regenerate it (after a format change)
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
#include <jansson.h>

#include "backend.h"

#define TS 1800000000ull
#define VEC_MAX 8192

typedef struct keys {
    uint8_t client[32], topic[32], c2_cmd[32], ed_seed[32], ed_sk[64], ed_pk[32];
    uint8_t p256_sk[32], p256_pk[33], c2_agree_sk[32], c2_agree_pk[33];
    uint8_t mldsa_seed[32], mldsa_pk[E4_MLDSA65_PK_LEN], xwing_seed[32], xwing_pk[E4_XWING_PK_LEN];
    uint8_t id[16], iv[12], eseed[64];
} keys;

static void fill(uint8_t *p, size_t n, uint8_t tag)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(tag + 7 * i);
}

static void make_keys(keys *k)
{
    fill(k->client, 32, 0x10);
    fill(k->topic, 32, 0x20);
    fill(k->ed_seed, 32, 0x30);
    assert_int_equal(e4c_ed25519_seed_keypair(k->ed_pk, k->ed_sk, k->ed_seed), 0);
    fill(k->p256_sk, 32, 0x40);
    assert_int_equal(e4c_p256_public(k->p256_pk, k->p256_sk), 0);
    fill(k->c2_agree_sk, 32, 0x50);
    assert_int_equal(e4c_p256_public(k->c2_agree_pk, k->c2_agree_sk), 0);
    fill(k->mldsa_seed, 32, 0x60);
    assert_int_equal(e4_mldsa65_public(k->mldsa_pk, k->mldsa_seed), E4_OK);
    fill(k->xwing_seed, 32, 0x70);
    assert_int_equal(e4_xwing_public(k->xwing_pk, k->xwing_seed), E4_OK);
    assert_int_equal(e4_hash_id(k->id, "vector-device"), E4_OK);
    fill(k->iv, 12, 0x80);
    fill(k->eseed, 64, 0x90);
}

/* One vector: name, the message (or command) and how many leading bytes are
 * reproducible (the rest is a randomised signature). */
typedef struct vec {
    const char *name;
    uint8_t msg[VEC_MAX];
    size_t len, fixed;
} vec;

static const uint8_t PAYLOAD[] = "21.5 C, 48 % RH";
#define PAYLOAD_LEN (sizeof PAYLOAD - 1)

static void build(vec v[6], const keys *k, uint8_t *cmd_key_out)
{
    uint8_t cmd[E4_COMMAND_MAX], args[48], kdf[32];
    size_t clen;
    memcpy(args, k->topic, 32);
    assert_int_equal(e4_hash_topic(args + 32, "plant/line-3/temperature"), E4_OK);
    assert_int_equal(e4_command_build(cmd, &clen, E4_CMD_SET_TOPIC_KEY, args, 48), E4_OK);
    v[0] = (vec){.name = "fips-sk message"};
    assert_int_equal(e4_fips_sk_protect(k->topic, TS, k->iv, PAYLOAD, PAYLOAD_LEN, v[0].msg),
                     E4_OK);
    v[0].len = v[0].fixed = PAYLOAD_LEN + E4_FIPS_SK_OVERHEAD;
    v[1] = (vec){.name = "fips-sk command SetTopicKey"};
    assert_int_equal(e4_fips_sk_protect(k->client, TS, k->iv, cmd, clen, v[1].msg), E4_OK);
    v[1].len = v[1].fixed = clen + E4_FIPS_SK_OVERHEAD;
    v[2] = (vec){.name = "fips-pk message"};
    assert_int_equal(
        e4_fips_pk_protect(k->topic, k->id, k->p256_sk, TS, k->iv, PAYLOAD, PAYLOAD_LEN, v[2].msg),
        E4_OK);
    v[2].len = PAYLOAD_LEN + E4_FIPS_PK_OVERHEAD;
    v[2].fixed = v[2].len - E4_P256_SIG_LEN;
    v[3] = (vec){.name = "fips-pk command SetTopicKey"}; /* under K = KDF(ECDH(C2, client)) */
    assert_int_equal(e4_fips_pk_command_key(kdf, k->c2_agree_sk, k->p256_pk), E4_OK);
    assert_int_equal(e4_fips_sk_protect(kdf, TS, k->iv, cmd, clen, v[3].msg), E4_OK);
    v[3].len = v[3].fixed = clen + E4_FIPS_SK_OVERHEAD;
    v[4] = (vec){.name = "pq-pk message"};
    assert_int_equal(e4_pq_pk_protect(k->topic, k->id, k->ed_sk, k->mldsa_seed, TS, PAYLOAD,
                                      PAYLOAD_LEN, v[4].msg),
                     E4_OK);
    v[4].len = PAYLOAD_LEN + E4_PQ_PK_OVERHEAD;
    v[4].fixed = v[4].len - E4_MLDSA65_SIG_LEN; /* Ed25519 is deterministic */
    v[5] = (vec){.name = "pq-pk key establishment (epoch 1)"};
    assert_int_equal(e4_pq_pk_key_establish(v[5].msg, cmd_key_out, k->ed_sk, k->mldsa_seed,
                                            k->xwing_pk, 1, TS, k->eseed),
                     E4_OK);
    v[5].len = E4_PQ_PK_KEY_MSG_LEN;
    v[5].fixed = v[5].len - E4_MLDSA65_SIG_LEN;
}

static void pq_command(vec *v, const uint8_t cmd_key[32])
{
    uint8_t cmd[E4_COMMAND_MAX];
    size_t clen;
    assert_int_equal(e4_command_build(cmd, &clen, E4_CMD_RESET_TOPICS, NULL, 0), E4_OK);
    *v = (vec){.name = "pq-pk command ResetTopics (epoch 1)"};
    assert_int_equal(e4_pq_pk_command_protect(cmd_key, 1, TS, cmd, clen, v->msg), E4_OK);
    v->len = v->fixed = clen + E4_PQ_PK_CMD_OVERHEAD;
}

static char *hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        sprintf(s + 2 * i, "%02x", p[i]);
    return s;
}

static void put_hex(json_t *o, const char *key, const uint8_t *p, size_t n)
{
    char *h = hex(p, n);
    json_object_set_new(o, key, json_string(h));
    free(h);
}

static json_t *keys_json(const keys *k)
{
    json_t *o = json_object();
    put_hex(o, "client_key", k->client, 32);
    put_hex(o, "topic_key", k->topic, 32);
    put_hex(o, "device_id", k->id, 16);
    put_hex(o, "ed25519_seed", k->ed_seed, 32);
    put_hex(o, "p256_sign_sk", k->p256_sk, 32);
    put_hex(o, "p256_sign_pk", k->p256_pk, 33);
    put_hex(o, "c2_p256_agree_sk", k->c2_agree_sk, 32);
    put_hex(o, "mldsa65_seed", k->mldsa_seed, 32);
    put_hex(o, "xwing_seed", k->xwing_seed, 32);
    put_hex(o, "iv", k->iv, 12);
    put_hex(o, "xwing_eseed", k->eseed, 64);
    json_object_set_new(o, "timestamp", json_integer((json_int_t)TS));
    json_object_set_new(o, "payload", json_string((const char *)PAYLOAD));
    return o;
}

static int write_file(const char *path)
{
    keys k;
    static vec v[7];
    uint8_t cmd_key[32];
    make_keys(&k);
    build(v, &k, cmd_key);
    pq_command(&v[6], cmd_key);
    json_t *root = json_object(), *arr = json_array();
    json_object_set_new(root, "about",
                        json_string("E4 cipher suites v1 (spec e4-suites.md): inputs in 'keys'; "
                                    "every vector is a complete message. "
                                    "'fixed' bytes are reproducible from the inputs; after them "
                                    "comes a randomised signature (ECDSA, "
                                    "or hedged ML-DSA-65) that verifies with the keys. Written by "
                                    "tests/unit/test_suite_vectors --write."));
    json_object_set_new(root, "keys", keys_json(&k));
    for (int i = 0; i < 7; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(v[i].name));
        put_hex(o, "message", v[i].msg, v[i].len);
        json_object_set_new(o, "fixed", json_integer((json_int_t)v[i].fixed));
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "vectors", arr);
    int rc = json_dump_file(root, path, JSON_INDENT(1)) == 0 ? 0 : 1;
    json_decref(root);
    return rc;
}

/* The file's message of vector i, checked against v (fixed part) and by
 * opening it with the keys. */
static void check_vector(const json_t *o, const vec *v, const keys *k, const uint8_t cmd_key[32],
                         int i)
{
    const char *h = json_string_value(json_object_get(o, "message"));
    assert_non_null(h);
    assert_string_equal(json_string_value(json_object_get(o, "name")), v->name);
    assert_int_equal(strlen(h), 2 * v->len);
    assert_int_equal(json_integer_value(json_object_get(o, "fixed")), (json_int_t)v->fixed);
    uint8_t *m = malloc(v->len), out[VEC_MAX];
    for (size_t j = 0; j < v->len; j++) {
        unsigned b;
        assert_int_equal(sscanf(h + 2 * j, "%2x", &b), 1);
        m[j] = (uint8_t)b;
    }
    if (memcmp(m, v->msg, v->fixed) != 0)
        fail_msg("vector \"%s\" differs from its regeneration", v->name);
    size_t n = 0;
    uint32_t epoch = 0;
    uint8_t kdf[32], k2[32];
    switch (i) {
    case 0:
        assert_int_equal(e4_fips_sk_unprotect(k->topic, m, v->len, out, &n, TS, 0), E4_OK);
        break;
    case 1:
        assert_int_equal(e4_fips_sk_unprotect(k->client, m, v->len, out, &n, TS, 0), E4_OK);
        break;
    case 2:
        assert_int_equal(e4_fips_pk_unprotect(k->topic, k->p256_pk, m, v->len, out, &n, TS, 0),
                         E4_OK);
        break;
    case 3:
        assert_int_equal(e4_fips_pk_command_key(kdf, k->p256_sk, k->c2_agree_pk),
                         E4_OK); /* the client's side */
        assert_int_equal(e4_fips_sk_unprotect(kdf, m, v->len, out, &n, TS, 0), E4_OK);
        break;
    case 4:
        assert_int_equal(
            e4_pq_pk_unprotect(k->topic, k->ed_pk, k->mldsa_pk, m, v->len, out, &n, TS, 0), E4_OK);
        break;
    case 5:
        assert_int_equal(
            e4_pq_pk_key_open(k2, &epoch, m, v->len, k->ed_pk, k->mldsa_pk, k->xwing_seed, TS, 0),
            E4_OK);
        assert_int_equal(epoch, 1);
        assert_memory_equal(k2, cmd_key, 32);
        break;
    default:
        assert_int_equal(e4_pq_pk_command_open(cmd_key, m, v->len, out, &n, &epoch, TS, 0), E4_OK);
        break;
    }
    if (i == 0 || i == 2 || i == 4)
        assert_memory_equal(out, PAYLOAD, PAYLOAD_LEN);
    free(m);
}

static void test_vectors(void **st)
{
    TB_REQUIRE_PK();
    (void)st;
    keys k;
    static vec v[7];
    uint8_t cmd_key[32];
    make_keys(&k);
    build(v, &k, cmd_key);
    pq_command(&v[6], cmd_key);
    json_error_t err;
    json_t *root = json_load_file(E4_SUITE_VECTORS, 0, &err);
    if (!root)
        fail_msg("%s: %s", E4_SUITE_VECTORS, err.text);
    json_t *arr = json_object_get(root, "vectors");
    assert_int_equal(json_array_size(arr), 7);
    for (int i = 0; i < 7; i++)
        check_vector(json_array_get(arr, (size_t)i), &v[i], &k, cmd_key, i);
    json_decref(root);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_file(argv[2]);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vectors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
