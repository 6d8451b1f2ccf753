/*
 * ML-KEM-768, ML-DSA-65 and X-Wing of libe4 against @noble/post-quantum,
 * byte for byte. The oracle (node/oracle.mjs) runs at test time on inputs
 * derived from a seed (E4_PQ_SEED in hex, or a fresh random one printed
 * first, so a failure can be replayed) and prints, per case, the inputs and
 * noble's outputs; every one is recomputed here:
 *   ML-KEM: keygen from d || z, encapsulation with fixed m, decapsulation of
 *           the ciphertext and (implicit rejection) of a corrupted one;
 *   ML-DSA: keygen from the seed, deterministic and hedged (fixed rnd)
 *           signing with a context, verification of noble's signature, of a
 *           corrupted one and under a wrong context, agreeing with noble;
 *   X-Wing: noble's ml_kem768_x25519: keygen from the seed, encapsulation
 *           with a fixed eseed, decapsulation, and of a corrupted ciphertext.
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

#include "crypto.h"
#include "pq/pq.h"

#define CASES 100

static json_t *cases; /* array of the oracle's objects */
static char seed_hex[33];
static unsigned mismatches;

/* ---- the oracle ------------------------------------------------------------ */

static int load_oracle(void **state)
{
    (void)state;
    const char *env = getenv("E4_PQ_SEED");
    uint8_t seed[16];
    if (e4c_init() != 0)
        return -1;
    if (env && strlen(env) == 32) {
        memcpy(seed_hex, env, 32);
    } else {
        e4c_random(seed, sizeof seed);
        for (int i = 0; i < 16; i++)
            snprintf(seed_hex + 2 * i, 3, "%02x", seed[i]);
    }
    printf("# oracle seed (replay with E4_PQ_SEED=%s)\n", seed_hex);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' '%s/oracle.mjs' %s %d", E4_NODE, E4_PQ_NODE_DIR, seed_hex,
             CASES);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    cases = json_array();
    json_error_t err;
    json_t *o;
    while ((o = json_loadf(p, JSON_DISABLE_EOF_CHECK, &err)) != NULL)
        json_array_append_new(cases, o);
    int status = pclose(p);
    if (status != 0) {
        fprintf(stderr,
                "oracle failed (status %d): are node (%s) and @noble/post-quantum in %s "
                "installed (scripts/install-deps.sh)?\n",
                status, E4_NODE, E4_PQ_NODE_DIR);
        return -1;
    }
    return 0;
}

static int free_oracle(void **state)
{
    (void)state;
    json_decref(cases);
    return 0;
}

/* A hex field of exactly n bytes (n = 0: any length, returned in *len). */
static uint8_t *field(const json_t *o, const char *key, size_t n, size_t *len)
{
    const char *h = json_string_value(json_object_get(o, key));
    if (!h)
        fail_msg("oracle object without \"%s\"", key);
    size_t bytes = strlen(h) / 2;
    if (n && bytes != n)
        fail_msg("\"%s\": %zu bytes, expected %zu", key, bytes, n);
    uint8_t *b = malloc(bytes + 1);
    assert_non_null(b);
    for (size_t i = 0; i < bytes; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1)
            fail_msg("\"%s\": not hex", key);
        b[i] = (uint8_t)v;
    }
    if (len)
        *len = bytes;
    return b;
}

static int flag(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_boolean(v))
        fail_msg("oracle object without boolean \"%s\"", key);
    return json_is_true(v);
}

/* Soft check: report every mismatch, fail at the end of the test. */
static void expect_same(const char *kind, size_t i, const char *what, const uint8_t *mine,
                        const uint8_t *noble, size_t n)
{
    if (memcmp(mine, noble, n) == 0)
        return;
    size_t at = 0;
    while (mine[at] == noble[at])
        at++;
    fprintf(stderr, "%s case %zu: %s differs from noble at byte %zu of %zu\n", kind, i, what, at,
            n);
    mismatches++;
}

static void expect_int(const char *kind, size_t i, const char *what, int mine, int noble)
{
    if (mine == noble)
        return;
    fprintf(stderr, "%s case %zu: %s is %d here, %d in noble\n", kind, i, what, mine, noble);
    mismatches++;
}

/* Runs check on every case of one kind; asserts that there were CASES. */
static void each_case(const char *kind, void (*check)(const json_t *, size_t))
{
    size_t i, n = 0;
    json_t *o;
    mismatches = 0;
    json_array_foreach(cases, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "kind")), kind) == 0)
            check(o, n++);
    }
    assert_int_equal(n, CASES);
    if (mismatches)
        fail_msg("%u mismatches with noble (seed %s)", mismatches, seed_hex);
}

/* ---- the KEMs: ML-KEM-768 and X-Wing ---------------------------------------- */

/* What differs between the two KEMs' encapsulation checks. */
typedef struct kem {
    const char *kind;
    size_t ct_len;
    const char *rand_name; /* the fixed encapsulation randomness */
    size_t rand_len;
    int (*encaps)(uint8_t *ct, uint8_t *ss, const uint8_t *pk, const uint8_t *rand);
    int (*decaps)(uint8_t *ss, const uint8_t *ct, const uint8_t *sk);
} kem;

static const kem MLKEM = {"mlkem", E4PQ_MLKEM768_CT,     "m",
                          32,      e4pq_mlkem768_encaps, e4pq_mlkem768_decaps};
static const kem XWING = {"xwing",          E4PQ_XWING_CT,     "eseed",
                          E4PQ_XWING_ESEED, e4pq_xwing_encaps, e4pq_xwing_decaps};

/* Encapsulation to noble's pk with its randomness, decapsulation of its
 * ciphertext with sk, and implicit rejection of its corrupted one. */
static void check_kem_exchange(const kem *k, const json_t *o, size_t i, const uint8_t *pk,
                               const uint8_t *sk)
{
    uint8_t *rand = field(o, k->rand_name, k->rand_len, NULL);
    uint8_t *ct = field(o, "ct", k->ct_len, NULL), *ss = field(o, "ss", 32, NULL);
    uint8_t *bad = field(o, "bad_ct", k->ct_len, NULL), *bad_ss = field(o, "bad_ss", 32, NULL);
    uint8_t *my_ct = malloc(k->ct_len), my_ss[32];
    assert_non_null(my_ct);
    expect_int(k->kind, i, "encaps", k->encaps(my_ct, my_ss, pk, rand), 0);
    expect_same(k->kind, i, "ct", my_ct, ct, k->ct_len);
    expect_same(k->kind, i, "ss", my_ss, ss, 32);
    expect_int(k->kind, i, "decaps", k->decaps(my_ss, ct, sk), 0);
    expect_same(k->kind, i, "decaps ss", my_ss, ss, 32);
    expect_int(k->kind, i, "decaps bad", k->decaps(my_ss, bad, sk), 0);
    expect_same(k->kind, i, "implicit rejection ss", my_ss, bad_ss, 32);
    free(rand), free(ct), free(ss), free(bad), free(bad_ss), free(my_ct);
}

/* ---- ML-KEM-768 ------------------------------------------------------------ */

static void check_mlkem(const json_t *o, size_t i)
{
    uint8_t *dz = field(o, "dz", 64, NULL);
    uint8_t *ek = field(o, "ek", E4PQ_MLKEM768_EK, NULL),
            *dk = field(o, "dk", E4PQ_MLKEM768_DK, NULL);
    uint8_t my_ek[E4PQ_MLKEM768_EK], my_dk[E4PQ_MLKEM768_DK];
    e4pq_mlkem768_keygen(my_ek, my_dk, dz, dz + 32);
    expect_same("mlkem", i, "ek", my_ek, ek, sizeof my_ek);
    expect_same("mlkem", i, "dk", my_dk, dk, sizeof my_dk);
    check_kem_exchange(&MLKEM, o, i, ek, dk);
    free(dz), free(ek), free(dk);
}

static void test_mlkem768(void **state)
{
    (void)state;
    each_case("mlkem", check_mlkem);
}

/* ---- ML-DSA-65 ------------------------------------------------------------- */

typedef struct dsa_case {
    uint8_t *seed, *rnd, *msg, *ctx, *pk, *sk, *sig, *sig_hedged, *bad, *wrong_ctx;
    size_t msg_len, ctx_len, wrong_ctx_len;
} dsa_case;

static void dsa_case_load(dsa_case *c, const json_t *o)
{
    c->seed = field(o, "seed", 32, NULL);
    c->rnd = field(o, "rnd", 32, NULL);
    c->msg = field(o, "msg", 0, &c->msg_len);
    c->ctx = field(o, "ctx", 0, &c->ctx_len);
    c->pk = field(o, "pk", E4PQ_MLDSA65_PK, NULL);
    c->sk = field(o, "sk", E4PQ_MLDSA65_SK, NULL);
    c->sig = field(o, "sig", E4PQ_MLDSA65_SIG, NULL);
    c->sig_hedged = field(o, "sig_hedged", E4PQ_MLDSA65_SIG, NULL);
    c->bad = field(o, "bad_sig", E4PQ_MLDSA65_SIG, NULL);
    c->wrong_ctx = field(o, "wrong_ctx", 0, &c->wrong_ctx_len);
}

static void dsa_case_free(dsa_case *c)
{
    free(c->seed), free(c->rnd), free(c->msg), free(c->ctx), free(c->pk), free(c->sk);
    free(c->sig), free(c->sig_hedged), free(c->bad), free(c->wrong_ctx);
}

static int verifies(const uint8_t *sig, const dsa_case *c, const uint8_t *ctx, size_t ctx_len)
{
    return e4pq_mldsa65_verify(sig, c->msg, c->msg_len, ctx, ctx_len, c->pk) == 0;
}

static void check_mldsa(const json_t *o, size_t i)
{
    dsa_case c;
    dsa_case_load(&c, o);
    uint8_t pk[E4PQ_MLDSA65_PK], sk[E4PQ_MLDSA65_SK], sig[E4PQ_MLDSA65_SIG];
    e4pq_mldsa65_keygen(pk, sk, c.seed);
    expect_same("mldsa", i, "pk", pk, c.pk, sizeof pk);
    expect_same("mldsa", i, "sk", sk, c.sk, sizeof sk);
    expect_int("mldsa", i, "sign",
               e4pq_mldsa65_sign(sig, c.msg, c.msg_len, c.ctx, c.ctx_len, c.sk, NULL), 0);
    expect_same("mldsa", i, "deterministic signature", sig, c.sig, sizeof sig);
    expect_int("mldsa", i, "sign",
               e4pq_mldsa65_sign(sig, c.msg, c.msg_len, c.ctx, c.ctx_len, c.sk, c.rnd), 0);
    expect_same("mldsa", i, "hedged signature", sig, c.sig_hedged, sizeof sig);
    expect_int("mldsa", i, "verify valid", verifies(c.sig, &c, c.ctx, c.ctx_len), flag(o, "valid"));
    expect_int("mldsa", i, "verify hedged", verifies(c.sig_hedged, &c, c.ctx, c.ctx_len), 1);
    expect_int("mldsa", i, "verify corrupted", verifies(c.bad, &c, c.ctx, c.ctx_len),
               flag(o, "bad_valid"));
    expect_int("mldsa", i, "verify wrong context",
               verifies(c.sig, &c, c.wrong_ctx, c.wrong_ctx_len), flag(o, "wrong_ctx_valid"));
    dsa_case_free(&c);
}

static void test_mldsa65(void **state)
{
    (void)state;
    each_case("mldsa", check_mldsa);
}

/* ---- X-Wing ------------------------------------------------------------------ */

static void check_xwing(const json_t *o, size_t i)
{
    uint8_t *seed = field(o, "seed", 32, NULL), *sk = field(o, "sk", 32, NULL);
    uint8_t *pk = field(o, "pk", E4PQ_XWING_PK, NULL), my_pk[E4PQ_XWING_PK];
    expect_same("xwing", i, "secret key = seed", sk, seed, 32);
    expect_int("xwing", i, "keygen", e4pq_xwing_keygen(my_pk, seed), 0);
    expect_same("xwing", i, "pk", my_pk, pk, sizeof my_pk);
    check_kem_exchange(&XWING, o, i, pk, seed);
    free(seed), free(sk), free(pk);
}

static void test_xwing(void **state)
{
    (void)state;
    each_case("xwing", check_xwing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlkem768),
        cmocka_unit_test(test_mldsa65),
        cmocka_unit_test(test_xwing),
    };
    return cmocka_run_group_tests(tests, load_oracle, free_oracle);
}
