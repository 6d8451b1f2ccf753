/*
 * e4go v1.1 vectors, key sections through the public API: password_derivation
 * (e4_derive_key / e4_derive_ed25519 / e4_validate_password, client ids, and
 * the e4go_checks: clients made from the password accept commands) and
 * ed_to_curve (e4_ed25519_sk_to_x25519 / e4_ed25519_pk_to_x25519;
 * E4_ERR_INVALID_KEY where the reference panics).
 */
#include "vectors_util.h"

#include "crypto.h" /* e4c_ed25519_seed_keypair, e4c_x25519, e4c_sha3_256 */

/* A ResetTopics command protected under key at now, sent to s. */
static e4_err probe_command(e4_state *s, const uint8_t key[32], uint64_t now)
{
    static const uint8_t cmd[] = {E4_CMD_RESET_TOPICS};
    uint8_t prot[1 + E4_SK_OVERHEAD], out[8];
    size_t n;
    assert_int_equal(e4_sk_protect(key, now, cmd, 1, prot), E4_OK);
    return e4_unprotect(s, e4_state_control_topic(s), prot, sizeof prot, out, sizeof out, &n, now);
}

static void test_password_derivation(void **state)
{
    (void)state;
    TB_REQUIRE_PK();
    vu_begin();
    const json_t *arr = vu_section("password_derivation"), *e;
    size_t i, checked = 0;
    const uint64_t now = 1700000000;
    json_array_foreach(arr, i, e)
    {
        vu_set_entry(vu_name(e));
        size_t plen;
        free(vu_hex(e, "password_hex", &plen));
        char *pw = vu_text(e, "password_hex");
        VU_EXPECT(plen == vu_u64(e, "password_bytes"), "password_bytes");
        if (vu_has(e, "password"))
            VU_EXPECT(strcmp(pw, vu_str(e, "password")) == 0, "password text vs password_hex");
        uint8_t key[32], sk[64], pk[32];
        if (vu_has(e, "error")) {
            const int want = vu_expected(e, "error");
            VU_EXPECT(want == E4_ERR_INVALID_PASSWORD, "error maps to %s", e4_strerror(want));
            VU_EXPECT_ERR(e4_validate_password(pw), want, "e4_validate_password");
            VU_EXPECT_ERR(e4_derive_key(key, pw), want, "e4_derive_key");
            VU_EXPECT_ERR(e4_derive_ed25519(sk, pk, pw), want, "e4_derive_ed25519");
        } else {
            uint8_t xsk[32], xpk[32], id[16], c2sk[32], c2pk[32], ss[32], shared[32], shared2[32];
            VU_EXPECT_ERR(e4_validate_password(pw), E4_OK, "e4_validate_password");
            VU_EXPECT_ERR(e4_derive_key(key, pw), E4_OK, "e4_derive_key");
            VU_EXPECT_HEX(e, "derive_sym_key", key, 32);
            VU_EXPECT_HEX(e, "ed25519_seed", key, 32);
            VU_EXPECT_ERR(e4_derive_ed25519(sk, pk, pw), E4_OK, "e4_derive_ed25519");
            VU_EXPECT_HEX(e, "ed25519_private", sk, 64);
            VU_EXPECT_HEX(e, "ed25519_public", pk, 32);
            VU_EXPECT_ERR(e4_ed25519_sk_to_x25519(xsk, sk), E4_OK, "e4_ed25519_sk_to_x25519");
            VU_EXPECT_HEX(e, "curve25519_private", xsk, 32);
            VU_EXPECT_ERR(e4_ed25519_pk_to_x25519(xpk, pk), E4_OK, "e4_ed25519_pk_to_x25519");
            VU_EXPECT_HEX(e, "curve25519_public", xpk, 32);
            VU_EXPECT_ERR(e4_hash_id(id, vu_str(e, "client_name")), E4_OK, "e4_hash_id");
            VU_EXPECT_HEX(e, "client_id", id, 16);
            VU_EXPECT(json_array_size(json_object_get(e, "e4go_checks")) == 3,
                      "e4go_checks: expected the 3 documented checks");

            /* SymNameAndPassword client: accepts a command under derive_sym_key */
            e4_state *s = vu_state_sk(id, key);
            VU_EXPECT_ERR(probe_command(s, key, now), E4_COMMAND,
                          "SK client from password: command under derive_sym_key");
            vu_state_free(s);
            /* PubNameAndPassword client: accepts a command under
             * SHA3(X25519(curve25519_private, c2pub)) */
            assert_int_equal(e4_x25519_keypair(c2sk, c2pk), E4_OK);
            VU_EXPECT(e4c_x25519(ss, xsk, c2pk) == 0, "X25519");
            e4c_sha3_256(shared, ss, 32);
            VU_EXPECT_ERR(e4_c2_shared_key(shared2, c2sk, pk), E4_OK, "e4_c2_shared_key");
            VU_EXPECT_MEM(shared2, 32, shared, 32, "C2-side shared key");
            s = vu_state_pk(id, sk, c2pk);
            VU_EXPECT_ERR(probe_command(s, shared, now), E4_COMMAND,
                          "PK client from password: command under the shared key");
            vu_state_free(s);
        }
        free(pw);
        checked++;
    }
    vu_end_section("password_derivation", checked);
    vu_end("password_derivation");
}

static void test_ed_to_curve(void **state)
{
    (void)state;
    TB_REQUIRE_PK();
    vu_begin();
    const json_t *arr = vu_section("ed_to_curve"), *e;
    size_t i, checked = 0;
    json_array_foreach(arr, i, e)
    {
        vu_set_entry(vu_name(e));
        const char *kind = vu_str(e, "kind");
        uint8_t sk[64], pk[32], seed[32], xsk[32], xpk[32], ksk[64], kpk[32];
        if (strcmp(kind, "keypair") == 0) {
            vu_hex_n(e, "ed25519_seed", seed, 32);
            vu_hex_n(e, "ed25519_private", sk, 64);
            vu_hex_n(e, "ed25519_public", pk, 32);
            VU_EXPECT(e4c_ed25519_seed_keypair(kpk, ksk, seed) == 0, "seed_keypair");
            VU_EXPECT_MEM(ksk, 64, sk, 64, "private key of the seed");
            VU_EXPECT_MEM(kpk, 32, pk, 32, "public key of the seed");
            VU_EXPECT_ERR(e4_ed25519_sk_to_x25519(xsk, sk), E4_OK, "e4_ed25519_sk_to_x25519");
            VU_EXPECT_HEX(e, "curve25519_private", xsk, 32);
            VU_EXPECT_ERR(e4_ed25519_pk_to_x25519(xpk, pk), E4_OK, "e4_ed25519_pk_to_x25519");
            VU_EXPECT_HEX(e, "curve25519_public", xpk, 32);
            VU_EXPECT_ERR(e4_x25519_public(kpk, xsk), E4_OK, "e4_x25519_public");
            VU_EXPECT_HEX(e, "curve25519_public", kpk, 32);
        } else if (strcmp(kind, "private_only") == 0) {
            vu_hex_n(e, "ed25519_private", sk, 64);
            VU_EXPECT_ERR(e4_ed25519_sk_to_x25519(xsk, sk), E4_OK, "e4_ed25519_sk_to_x25519");
            VU_EXPECT_HEX(e, "curve25519_private", xsk, 32);
            if (vu_has(e, "ed25519_public_of_seed")) {
                VU_EXPECT(e4c_ed25519_seed_keypair(kpk, ksk, sk) == 0, "seed_keypair");
                VU_EXPECT_HEX(e, "ed25519_public_of_seed", kpk, 32);
                VU_EXPECT(memcmp(kpk, sk + 32, 32) != 0, "second half should be junk");
            }
        } else if (strcmp(kind, "public_edge") == 0) {
            vu_hex_n(e, "ed25519_public", pk, 32);
            const json_t *ok = json_object_get(e, "ok");
            VU_EXPECT(json_is_boolean(ok), "missing boolean ok");
            if (json_is_true(ok)) {
                VU_EXPECT_ERR(e4_ed25519_pk_to_x25519(xpk, pk), E4_OK, "e4_ed25519_pk_to_x25519");
                VU_EXPECT_HEX(e, "curve25519_public", xpk, 32);
            } else {
                const int want = vu_expected(e, "e4go_result"); /* "panic: ..." */
                VU_EXPECT(want == E4_ERR_INVALID_KEY, "panic maps to %s", e4_strerror(want));
                VU_EXPECT_ERR(e4_ed25519_pk_to_x25519(xpk, pk), E4_ERR_INVALID_KEY,
                              "e4_ed25519_pk_to_x25519 (e4go panics)");
            }
        } else {
            VU_EXPECT(0, "unknown kind %s", kind);
        }
        checked++;
    }
    vu_end_section("ed_to_curve", checked);
    vu_end("ed_to_curve");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_derivation),
        cmocka_unit_test(test_ed_to_curve),
    };
    return cmocka_run_group_tests(tests, vu_group_setup, vu_group_teardown);
}
