/*
 * e4go v1.1 vectors, message sections: symkey_message, pubkey_message and
 * library_crosscheck. Protect must give the recorded bytes (stateless and
 * through an e4_state with its clock at the timestamp); unprotect through a
 * state must give the recorded result.
 */
#include "vectors_util.h"

#include "crypto.h" /* e4c_ed25519_seed_keypair */

/* ---- symkey_message --------------------------------------------------------- */

/* fixed_ts: e4_sk_protect(topic_key, ts, pt) == protected; live: the same
 * (SIV is deterministic, so the live output is reproduced from its own ts).
 * Then unprotect on an SK state at `now` (the ts for fixed_ts entries, where
 * the reference's result is "ok", except for the 24-byte empty-plaintext
 * message, which e4go's unprotect rejects as "ciphertext too short"; the
 * recorded e4go_unprotect_result for live entries). */
static void test_symkey_message(void **state)
{
    (void)state;
    vu_begin();
    const json_t *arr = vu_section("symkey_message"), *e;
    size_t i, checked = 0;
    json_array_foreach(arr, i, e)
    {
        vu_set_entry(vu_name(e));
        const char *source = vu_str(e, "source");
        const int live = strcmp(source, "e4go_client_live") == 0;
        VU_EXPECT(live || strcmp(source, "fixed_ts") == 0, "unknown source %s", source);
        const char *topic = vu_str(e, "topic");
        uint8_t key[E4_KEY_LEN], hash[E4_TOPIC_HASH_LEN];
        size_t pt_len, prot_len;
        vu_hex_n(e, "topic_key", key, sizeof key);
        uint8_t *pt = vu_hex(e, "plaintext", &pt_len);
        uint8_t *prot = vu_hex(e, "protected", &prot_len);
        const uint64_t ts = vu_ts(e, "timestamp_le");
        VU_EXPECT(ts == vu_u64(e, "timestamp"), "timestamp_le %llu vs timestamp",
                  (unsigned long long)ts);
        VU_EXPECT(prot_len >= 8 && vu_le64(prot) == ts, "protected does not start with ts");
        VU_EXPECT_ERR(e4_hash_topic(hash, topic), E4_OK, "e4_hash_topic");
        VU_EXPECT_HEX(e, "topic_hash", hash, sizeof hash);
        if (vu_has(e, "plaintext_text"))
            VU_EXPECT(strlen(vu_str(e, "plaintext_text")) == pt_len &&
                          memcmp(vu_str(e, "plaintext_text"), pt, pt_len) == 0,
                      "plaintext_text differs");

        uint8_t *out = malloc(pt_len + E4_SK_OVERHEAD + 1);
        assert_non_null(out);
        VU_EXPECT_ERR(e4_sk_protect(key, ts, pt, pt_len, out), E4_OK, "e4_sk_protect");
        VU_EXPECT_HEX(e, "protected", out, pt_len + E4_SK_OVERHEAD);

        /* Through a state: protect at now = ts. */
        uint8_t id[E4_ID_LEN], ckey[E4_KEY_LEN];
        e4_random_id(id);
        e4_random_key(ckey);
        e4_state *s = vu_state_sk(id, ckey);
        VU_EXPECT_ERR(e4_state_set_topic_key(s, topic, key, ts), E4_OK, "set_topic_key");
        size_t n = 0;
        VU_EXPECT_ERR(e4_protect(s, topic, pt, pt_len, out, pt_len + E4_SK_OVERHEAD, &n, ts), E4_OK,
                      "e4_protect");
        VU_EXPECT_HEX(e, "protected", out, n);

        /* Unprotect. */
        uint64_t now = ts;
        int want = pt_len == 0 ? E4_ERR_TOO_SHORT : E4_OK;
        if (live) {
            now = vu_u64(e, "e4go_unprotect_now");
            want = vu_expected(e, "e4go_unprotect_result");
        }
        uint8_t *back = malloc(prot_len + 1);
        assert_non_null(back);
        n = 0;
        VU_EXPECT_ERR(e4_unprotect(s, topic, prot, prot_len, back, prot_len, &n, now), want,
                      "e4_unprotect");
        if (want == E4_OK)
            VU_EXPECT_MEM(back, n, pt, pt_len, "unprotected plaintext");
        n = 0;
        VU_EXPECT_ERR(e4_sk_unprotect(key, prot, prot_len, back, &n, now, 0), want,
                      "e4_sk_unprotect");
        if (want == E4_OK)
            VU_EXPECT_MEM(back, n, pt, pt_len, "e4_sk_unprotect plaintext");
        vu_state_free(s);
        free(pt);
        free(prot);
        free(out);
        free(back);
        checked++;
    }
    vu_end_section("symkey_message", checked);
    vu_end("symkey_message");
}

/* ---- pubkey_message --------------------------------------------------------- */

/* e4_pk_protect(topic_key, signer_id, signer_private, ts, pt) == protected; the
 * same through a PK state of the signer at now = ts; unprotect by a PK state
 * that knows the signer's public key (via e4_state_set_pubkey, as the live
 * e4go receiver learnt it via SetPubKey) at `now` (ts for fixed_ts entries,
 * where the result is "ok": every message is >= 104 bytes). */
static void test_pubkey_message(void **state)
{
    (void)state;
    TB_REQUIRE_PK();
    vu_begin();
    const json_t *arr = vu_section("pubkey_message"), *e;
    size_t i, checked = 0;
    json_array_foreach(arr, i, e)
    {
        vu_set_entry(vu_name(e));
        const char *source = vu_str(e, "source");
        const int live = strcmp(source, "e4go_client_live") == 0;
        VU_EXPECT(live || strcmp(source, "fixed_ts") == 0, "unknown source %s", source);
        const char *topic = vu_str(e, "topic");
        uint8_t key[E4_KEY_LEN], hash[E4_TOPIC_HASH_LEN], sid[E4_ID_LEN], seed[32],
            sk[E4_ED25519_SK_LEN], pk[E4_ED25519_PK_LEN], pk2[32], sk2[64];
        size_t pt_len, prot_len;
        vu_hex_n(e, "topic_key", key, sizeof key);
        vu_hex_n(e, "signer_id", sid, sizeof sid);
        vu_hex_n(e, "signer_ed25519_seed", seed, sizeof seed);
        vu_hex_n(e, "signer_ed25519_private", sk, sizeof sk);
        vu_hex_n(e, "signer_ed25519_public", pk, sizeof pk);
        uint8_t *pt = vu_hex(e, "plaintext", &pt_len);
        uint8_t *prot = vu_hex(e, "protected", &prot_len);
        const uint64_t ts = vu_ts(e, "timestamp_le");
        VU_EXPECT(ts == vu_u64(e, "timestamp"), "timestamp_le vs timestamp");
        VU_EXPECT_ERR(e4_hash_topic(hash, topic), E4_OK, "e4_hash_topic");
        VU_EXPECT_HEX(e, "topic_hash", hash, sizeof hash);
        if (vu_has(e, "signer_name")) {
            uint8_t id[E4_ID_LEN];
            assert_int_equal(e4_hash_id(id, vu_str(e, "signer_name")), E4_OK);
            VU_EXPECT_MEM(id, 16, sid, 16, "signer_id == e4_hash_id(signer_name)");
        }
        /* the key pair is the one of the seed */
        VU_EXPECT(e4c_ed25519_seed_keypair(pk2, sk2, seed) == 0, "seed_keypair failed");
        VU_EXPECT_MEM(sk2, 64, sk, 64, "Ed25519 private key of the seed");
        VU_EXPECT_MEM(pk2, 32, pk, 32, "Ed25519 public key of the seed");
        VU_EXPECT_MEM(sk, 32, seed, 32, "private key starts with the seed");
        VU_EXPECT_MEM(sk + 32, 32, pk, 32, "private key ends with the public key");

        uint8_t *out = malloc(pt_len + E4_PK_OVERHEAD + 1);
        assert_non_null(out);
        VU_EXPECT_ERR(e4_pk_protect(key, sid, sk, ts, pt, pt_len, out), E4_OK, "e4_pk_protect");
        VU_EXPECT_HEX(e, "protected", out, pt_len + E4_PK_OVERHEAD);
        VU_EXPECT_HEX(e, "signature", out + pt_len + E4_PK_OVERHEAD - 64, 64);
        uint8_t got_id[E4_ID_LEN];
        VU_EXPECT_ERR(e4_pk_signer(got_id, prot, prot_len), E4_OK, "e4_pk_signer");
        VU_EXPECT_MEM(got_id, 16, sid, 16, "e4_pk_signer id");

        /* the signer's own state protects at now = ts */
        uint8_t c2sk[32], c2pk[32];
        assert_int_equal(e4_x25519_keypair(c2sk, c2pk), E4_OK);
        e4_state *signer = vu_state_pk(sid, sk, c2pk);
        VU_EXPECT_ERR(e4_state_set_topic_key(signer, topic, key, ts), E4_OK, "set_topic_key");
        size_t n = 0;
        VU_EXPECT_ERR(e4_protect(signer, topic, pt, pt_len, out, pt_len + E4_PK_OVERHEAD, &n, ts),
                      E4_OK, "e4_protect (signer state)");
        VU_EXPECT_HEX(e, "protected", out, n);

        /* a receiver that knows the signer */
        uint64_t now = ts;
        int want = E4_OK;
        if (live) {
            now = vu_u64(e, "e4go_unprotect_now");
            want = vu_expected(e, "e4go_unprotect_result");
        }
        e4_state *rx = vu_state_pk_random();
        VU_EXPECT_ERR(e4_state_set_pubkey(rx, sid, pk), E4_OK, "set_pubkey");
        VU_EXPECT_ERR(e4_state_set_topic_key(rx, topic, key, now), E4_OK, "set_topic_key");
        uint8_t *back = malloc(prot_len + 1);
        assert_non_null(back);
        n = 0;
        VU_EXPECT_ERR(e4_unprotect(rx, topic, prot, prot_len, back, prot_len, &n, now), want,
                      "e4_unprotect (receiver)");
        if (want == E4_OK)
            VU_EXPECT_MEM(back, n, pt, pt_len, "unprotected plaintext");
        n = 0;
        VU_EXPECT_ERR(e4_pk_unprotect(key, pk, prot, prot_len, back, &n, now, 0), want,
                      "e4_pk_unprotect");
        if (want == E4_OK)
            VU_EXPECT_MEM(back, n, pt, pt_len, "e4_pk_unprotect plaintext");
        vu_state_free(signer);
        vu_state_free(rx);
        free(pt);
        free(prot);
        free(out);
        free(back);
        checked++;
    }
    vu_end_section("pubkey_message", checked);
    vu_end("pubkey_message");
}

/* ---- library_crosscheck ---------------------------------------------------- */

/* Apply a SetIDKey(new_sk) command to a PK state through its control topic,
 * protected with the shared key of C2's private key c2sk. */
static e4_err apply_set_id_key(e4_state *s, const uint8_t c2sk[32], const uint8_t old_pk[32],
                               const uint8_t new_sk[64], uint64_t now)
{
    uint8_t cmd[E4_COMMAND_MAX], shared[32], prot[E4_COMMAND_MAX + E4_SK_OVERHEAD], out[128];
    size_t cmd_len, n;
    e4_err err = e4_command_build(cmd, &cmd_len, E4_CMD_SET_ID_KEY, new_sk, 64);
    if (err == E4_OK)
        err = e4_c2_shared_key(shared, c2sk, old_pk);
    if (err == E4_OK)
        err = e4_sk_protect(shared, now, cmd, cmd_len, prot);
    if (err == E4_OK)
        err = e4_unprotect(s, e4_state_control_topic(s), prot, cmd_len + E4_SK_OVERHEAD, out,
                           sizeof out, &n, now);
    return err;
}

/* The timestamp is read out of library_output; regenerating with it must give
 * library_output (== regenerated_with_fixed_ts) byte for byte, both with the
 * stateless functions and through a state where the kind is a client's
 * ProtectMessage. */
static void test_library_crosscheck(void **state)
{
    (void)state;
    vu_begin();
    const json_t *arr = vu_section("library_crosscheck"), *e;
    size_t i, checked = 0;
    json_array_foreach(arr, i, e)
    {
        char label[160];
        const char *kind = vu_str(e, "kind");
        snprintf(label, sizeof label, "library_crosscheck[%zu] %s%s%s", i, kind,
                 vu_has(e, "command") ? " " : "",
                 vu_has(e, "command") ? json_string_value(json_object_get(e, "command")) : "");
        vu_set_entry(label);

        size_t lib_len, pt_len;
        uint8_t *lib = vu_hex(e, "library_output", &lib_len);
        uint8_t *pt = vu_hex(e, "plaintext", &pt_len);
        VU_EXPECT(lib_len >= 8, "library_output shorter than a timestamp");
        const uint64_t ts = lib_len >= 8 ? vu_le64(lib) : 0;
        VU_EXPECT(ts == vu_ts(e, "timestamp_le") && ts == vu_u64(e, "timestamp"),
                  "timestamp fields disagree with library_output");
        const json_t *win = json_object_get(e, "call_window_unix");
        VU_EXPECT(json_array_size(win) == 2 &&
                      ts >= (uint64_t)json_number_value(json_array_get(win, 0)) &&
                      ts <= (uint64_t)json_number_value(json_array_get(win, 1)),
                  "timestamp outside the call window");
        VU_EXPECT(json_is_true(json_object_get(e, "identical")), "identical is not true");
        VU_EXPECT_HEX(e, "regenerated_with_fixed_ts", lib, lib_len);

        uint8_t *out = malloc(pt_len + E4_PK_OVERHEAD + 1);
        assert_non_null(out);
        size_t n = 0;
        if (strcmp(kind, "symkey client.ProtectMessage") == 0) {
            uint8_t key[32], cid[16];
            const char *topic = vu_str(e, "topic");
            vu_hex_n(e, "key", key, 32);
            vu_hex_n(e, "client_id", cid, 16);
            VU_EXPECT_ERR(e4_sk_protect(key, ts, pt, pt_len, out), E4_OK, "e4_sk_protect");
            VU_EXPECT_MEM(out, pt_len + E4_SK_OVERHEAD, lib, lib_len, "e4_sk_protect output");
            uint8_t ck[32];
            e4_random_key(ck);
            e4_state *s = vu_state_sk(cid, ck);
            VU_EXPECT_ERR(e4_state_set_topic_key(s, topic, key, ts), E4_OK, "set_topic_key");
            VU_EXPECT_ERR(e4_protect(s, topic, pt, pt_len, out, pt_len + E4_PK_OVERHEAD, &n, ts),
                          E4_OK, "e4_protect");
            VU_EXPECT_MEM(out, n, lib, lib_len, "e4_protect output");
            vu_state_free(s);
        } else if (!tb_pk() && vu_starts(kind, "pubkey client.")) {
            /* no PK mode in this backend */
        } else if (strcmp(kind, "pubkey client.ProtectMessage") == 0 ||
                   strcmp(kind, "pubkey client.ProtectMessage after SetIDKey(64)") == 0) {
            const int after_set_id = strstr(kind, "SetIDKey") != NULL;
            uint8_t key[32], sid[16], sk[64], pk[32], c2sk[32], c2pk[32];
            const char *topic = vu_str(e, "topic");
            vu_hex_n(e, "topic_key", key, 32);
            vu_hex_n(e, "signer_id", sid, 16);
            vu_hex_n(e, "signer_ed25519_private", sk, 64);
            vu_hex_n(e, "signer_ed25519_public", pk, 32);
            if (vu_has(e, "sender_name")) {
                uint8_t id[16];
                assert_int_equal(e4_hash_id(id, vu_str(e, "sender_name")), E4_OK);
                VU_EXPECT_MEM(id, 16, sid, 16, "signer_id == e4_hash_id(sender_name)");
            }
            VU_EXPECT_ERR(e4_pk_protect(key, sid, sk, ts, pt, pt_len, out), E4_OK, "e4_pk_protect");
            VU_EXPECT_MEM(out, pt_len + E4_PK_OVERHEAD, lib, lib_len, "e4_pk_protect output");
            assert_int_equal(e4_x25519_keypair(c2sk, c2pk), E4_OK);
            e4_state *s;
            if (after_set_id) {
                /* a client with another identity key gets SetIDKey(signer key) */
                uint8_t osk[64], opk[32];
                assert_int_equal(e4_ed25519_keypair(osk, opk), E4_OK);
                s = vu_state_pk(sid, osk, c2pk);
                VU_EXPECT_ERR(apply_set_id_key(s, c2sk, opk, sk, ts), E4_COMMAND,
                              "SetIDKey(64) command");
            } else {
                s = vu_state_pk(sid, sk, c2pk);
            }
            VU_EXPECT_ERR(e4_state_set_topic_key(s, topic, key, ts), E4_OK, "set_topic_key");
            VU_EXPECT_ERR(e4_protect(s, topic, pt, pt_len, out, pt_len + E4_PK_OVERHEAD, &n, ts),
                          E4_OK, "e4_protect");
            VU_EXPECT_MEM(out, n, lib, lib_len, "e4_protect output");
            uint8_t back[256];
            VU_EXPECT(lib_len <= sizeof back, "library_output too long for the test buffer");
            if (lib_len <= sizeof back) {
                VU_EXPECT_ERR(e4_pk_unprotect(key, pk, lib, lib_len, back, &n, ts, 0), E4_OK,
                              "e4_pk_unprotect");
                VU_EXPECT_MEM(back, n, pt, pt_len, "plaintext");
            }
            vu_state_free(s);
        } else if (strcmp(kind, "e4crypto.ProtectSymKey command (symkey mode key)") == 0 ||
                   strcmp(kind, "e4crypto.ProtectSymKey command (pubkey mode key)") == 0) {
            uint8_t key[32];
            vu_hex_n(e, "key", key, 32);
            VU_EXPECT_HEX(e, "command_bytes", pt, pt_len);
            if (strstr(kind, "pubkey mode") && tb_pk()) {
                uint8_t csk[64], c2sk[32], c2pk[32], shared[32];
                vu_hex_n(e, "client_ed25519_private", csk, 64);
                vu_hex_n(e, "c2_curve25519_private", c2sk, 32);
                VU_EXPECT_ERR(e4_x25519_public(c2pk, c2sk), E4_OK, "e4_x25519_public");
                VU_EXPECT_HEX(e, "c2_curve25519_public", c2pk, 32);
                VU_EXPECT_ERR(e4_c2_shared_key(shared, c2sk, csk + 32), E4_OK, "e4_c2_shared_key");
                VU_EXPECT_MEM(shared, 32, key, 32, "shared key");
            }
            VU_EXPECT_ERR(e4_sk_protect(key, ts, pt, pt_len, out), E4_OK, "e4_sk_protect");
            VU_EXPECT_MEM(out, pt_len + E4_SK_OVERHEAD, lib, lib_len, "e4_sk_protect output");
        } else {
            VU_EXPECT(0, "unknown kind \"%s\"", kind);
        }
        free(lib);
        free(pt);
        free(out);
        checked++;
    }
    vu_end_section("library_crosscheck", checked);
    vu_end("library_crosscheck");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symkey_message),
        cmocka_unit_test(test_pubkey_message),
        cmocka_unit_test(test_library_crosscheck),
    };
    return cmocka_run_group_tests(tests, vu_group_setup, vu_group_teardown);
}
