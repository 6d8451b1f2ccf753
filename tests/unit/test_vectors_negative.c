/*
 * e4go v1.1 vectors, section `negative`: every entry is replayed on a state
 * built as the entry describes, with the clock at `now`, and the result must
 * be the reference error mapped to e4_err (vu_map_error), except for three
 * documented, deliberate differences where OUR behaviour is asserted:
 *
 *  D1 PK message of 73..103 bytes: e4go checks only len > 72 and then says
 *     "invalid signature" (and can panic on 73..87); the spec requires at
 *     least 8+16+16+64 = 104 bytes -> E4_ERR_TOO_SHORT.
 *  D2 SetPubKey with an all-zero public key: e4go ignores AddPubKey's error,
 *     reports "ok" and stores nothing; we report E4_ERR_ZERO_KEY and store
 *     nothing.
 *  D3 SetC2Key with a low-order point: both refuse (mapped: INVALID_KEY), but
 *     e4go has already replaced the C2 key in memory (corrupt state); we keep
 *     the old C2 key, so commands under the old shared key still work.
 *
 * After every command entry, a command under the client's original command
 * key must still be accepted (a refused command changed nothing) unless the
 * entry changed that key.
 */
#include "vectors_util.h"

#include "crypto.h" /* e4c_siv_open */

#define BUF 512

/* e4crypto.Decrypt(key, protected[:8], protected[8:]): no clock check;
 * "too short ciphertext" when the SIV part is < 16 bytes. */
static int reference_decrypt(const uint8_t key[32], const uint8_t *p, size_t len, uint8_t *out,
                             size_t *out_len)
{
    if (len < 8 + 16)
        return E4_ERR_TOO_SHORT;
    size_t n = len - 24;
    if (e4c_siv_open(key, p, 8, p + 8, n, out) != 0)
        return E4_ERR_NOT_AUTHENTIC;
    *out_len = n;
    return E4_OK;
}

static e4_err unprotect(e4_state *s, const char *topic, const uint8_t *p, size_t len, uint8_t *out,
                        size_t *out_len, uint64_t now)
{
    *out_len = 0;
    return e4_unprotect(s, topic, p, len, out, BUF, out_len, now);
}

/* kind symkey_message: an SK client holding topic_key for client_topic. */
static void neg_symkey_message(const json_t *e, const uint8_t *prot, size_t len, uint64_t now)
{
    uint8_t key[32], id[16], ck[32], out[BUF];
    size_t n, pt_len;
    vu_hex_n(e, "topic_key", key, 32);
    uint8_t *pt = vu_hex(e, "plaintext", &pt_len);
    e4_random_id(id);
    e4_random_key(ck);
    e4_state *s = vu_state_sk(id, ck);
    VU_EXPECT_ERR(e4_state_set_topic_key(s, vu_str(e, "client_topic"), key, now), E4_OK,
                  "set_topic_key");
    const int want = vu_expected(e, "expected_error");
    VU_EXPECT_ERR(unprotect(s, vu_str(e, "topic"), prot, len, out, &n, now), want,
                  "SK client unprotect");
    if (want == E4_OK)
        VU_EXPECT_MEM(out, n, pt, pt_len, "plaintext");
    if (vu_has(e, "decrypt_error")) {
        const int dw = vu_expected(e, "decrypt_error");
        VU_EXPECT_ERR(reference_decrypt(key, prot, len, out, &n), dw, "Decrypt (decrypt_error)");
        if (dw == E4_OK && len > 24)
            VU_EXPECT_MEM(out, n, pt, pt_len, "Decrypt plaintext");
    }
    vu_state_free(s);
    free(pt);
}

/* kind symkey_message_fixed: e4crypto.Decrypt only. */
static void neg_symkey_fixed(const json_t *e, const uint8_t *prot, size_t len)
{
    uint8_t key[32], out[BUF];
    size_t n, pt_len;
    vu_hex_n(e, "topic_key", key, 32);
    uint8_t *pt = vu_hex(e, "plaintext", &pt_len);
    const int want = vu_expected(e, "expected_error");
    VU_EXPECT_ERR(reference_decrypt(key, prot, len, out, &n), want, "Decrypt");
    if (want == E4_OK)
        VU_EXPECT_MEM(out, n, pt, pt_len, "plaintext");
    if (vu_has(e, "decrypt_error"))
        VU_EXPECT_ERR(reference_decrypt(key, prot, len, out, &n), vu_expected(e, "decrypt_error"),
                      "Decrypt (decrypt_error)");
    /* the same bytes through e4_sk_unprotect with the clock at their ts */
    if (len >= 8) {
        uint64_t ts = vu_le64(prot);
        int w2 = want == E4_ERR_TOO_SHORT || len <= 24 ? E4_ERR_TOO_SHORT : want;
        VU_EXPECT_ERR(e4_sk_unprotect(key, prot, len, out, &n, ts, 0), w2,
                      "e4_sk_unprotect at now = ts");
    }
    free(pt);
}

/* kind pubkey_message: a PK receiver knowing receiver_known_signers, with
 * topic_key for client_topic. "sender A itself" is the sender's own state. */
static void neg_pubkey_message(const json_t *e, const uint8_t *prot, size_t len, uint64_t now)
{
    uint8_t key[32], out[BUF], sid[16], ssk[64], spk[32], c2sk[32], c2pk[32];
    size_t n, pt_len;
    vu_hex_n(e, "topic_key", key, 32);
    vu_hex_n(e, "sender_id", sid, 16);
    vu_hex_n(e, "sender_ed25519_private", ssk, 64);
    vu_hex_n(e, "sender_ed25519_public", spk, 32);
    uint8_t *pt = vu_hex(e, "plaintext", &pt_len);
    {
        uint8_t id[16];
        assert_int_equal(e4_hash_id(id, vu_str(e, "sender_name")), E4_OK);
        VU_EXPECT_MEM(id, 16, sid, 16, "sender_id == e4_hash_id(sender_name)");
    }
    e4_state *s;
    if (strcmp(vu_str(e, "receiver"), "sender A itself") == 0) {
        assert_int_equal(e4_x25519_keypair(c2sk, c2pk), E4_OK);
        s = vu_state_pk(sid, ssk, c2pk);
    } else {
        s = vu_state_pk_random();
    }
    const json_t *signers = json_object_get(e, "receiver_known_signers"), *k;
    size_t j;
    json_array_foreach(signers, j, k)
    {
        uint8_t kid[16], kpk[32], hid[16];
        vu_hex_n(k, "id", kid, 16);
        vu_hex_n(k, "ed25519_public", kpk, 32);
        assert_int_equal(e4_hash_id(hid, vu_str(k, "name")), E4_OK);
        VU_EXPECT_MEM(hid, 16, kid, 16, "known signer id == e4_hash_id(name)");
        VU_EXPECT_ERR(e4_state_set_pubkey(s, kid, kpk), E4_OK, "set_pubkey(known signer)");
    }
    VU_EXPECT_ERR(e4_state_set_topic_key(s, vu_str(e, "client_topic"), key, now), E4_OK,
                  "set_topic_key");
    int want = vu_expected(e, "expected_error");
    if (len >= 73 && len <= 103 && want == E4_ERR_INVALID_SIGNATURE) {
        /* D1: deliberate difference, see the top of the file. */
        print_message("  [%s] deliberate difference D1: %zu-byte PK message, e4go \"%s\", "
                      "we require >= 104 bytes -> E4_ERR_TOO_SHORT\n",
                      vu_entry_, len, vu_str(e, "expected_error"));
        want = E4_ERR_TOO_SHORT;
    }
    VU_EXPECT_ERR(unprotect(s, vu_str(e, "topic"), prot, len, out, &n, now), want,
                  "PK receiver unprotect");
    if (want == E4_OK)
        VU_EXPECT_MEM(out, n, pt, pt_len, "plaintext");
    vu_state_free(s);
    free(pt);
}

/* kinds symkey_command / pubkey_command. */
static void neg_command(const json_t *e, const uint8_t *prot, size_t len, uint64_t now, int pk)
{
    uint8_t id[16], cmd_key[32], out[BUF], csk[64], c2pk[32];
    size_t n, cmd_len;
    e4_state *s;
    vu_hex_n(e, "client_id", id, 16);
    uint8_t *cmd = vu_hex(e, "command_bytes", &cmd_len);
    const char *rt;
    if (pk) {
        uint8_t c2sk[32], shared[32], xpk[32];
        vu_hex_n(e, "client_ed25519_private", csk, 64);
        vu_hex_n(e, "c2_curve25519_private", c2sk, 32);
        vu_hex_n(e, "c2_curve25519_public", c2pk, 32);
        vu_hex_n(e, "shared_key", cmd_key, 32);
        VU_EXPECT_ERR(e4_c2_shared_key(shared, c2sk, csk + 32), E4_OK, "e4_c2_shared_key");
        VU_EXPECT_MEM(shared, 32, cmd_key, 32, "shared_key");
        VU_EXPECT_ERR(e4_x25519_public(xpk, c2sk), E4_OK, "c2 public");
        VU_EXPECT_MEM(xpk, 32, c2pk, 32, "c2_curve25519_public");
        s = vu_state_pk(id, csk, c2pk);
        rt = vu_str(e, "client_receiving_topic");
    } else {
        vu_hex_n(e, "client_key", cmd_key, 32);
        s = vu_state_sk(id, cmd_key);
        rt = vu_str(e, "receiving_topic");
    }
    VU_EXPECT(strcmp(e4_state_control_topic(s), rt) == 0, "control topic %s vs %s",
              e4_state_control_topic(s), rt);
    int want = vu_expected(e, "expected_error");
    if (want == E4_OK)
        want = E4_COMMAND;
    const int op = cmd_len ? cmd[0] : -1;
    static const uint8_t zeros[32] = {0};
    if (pk && op == E4_CMD_SET_PUBKEY && cmd_len == 49 && memcmp(cmd + 1, zeros, 32) == 0) {
        /* D2: deliberate difference, see the top of the file. */
        VU_EXPECT(want == E4_COMMAND, "e4go reports ok for SetPubKey(zero key)");
        print_message("  [%s] deliberate difference D2: SetPubKey(zero key), e4go \"ok\" and "
                      "stores nothing; we return E4_ERR_ZERO_KEY and store nothing\n",
                      vu_entry_);
        want = E4_ERR_ZERO_KEY;
    }

    /* the protected bytes carry command_bytes under the command key (when
     * the entry is not about a wrong key or a malformed envelope) */
    if (len > 24 && want != E4_ERR_NOT_AUTHENTIC) {
        VU_EXPECT(e4c_siv_open(cmd_key, prot, 8, prot + 8, len - 24, out) == 0,
                  "protected does not open under the command key");
        VU_EXPECT_MEM(out, len - 24, cmd, cmd_len, "command_bytes");
    } else if (len == 24) {
        VU_EXPECT(cmd_len == 0, "24-byte envelope with a non-empty command");
    }

    VU_EXPECT_ERR(unprotect(s, rt, prot, len, out, &n, now), want, "command");
    VU_EXPECT(n == 0, "a command returned %zu payload bytes", n);

    /* postconditions */
    if (op == E4_CMD_SET_PUBKEY && pk && cmd_len == 49) {
        if (want == E4_COMMAND) /* pub-neg-68: spec order parsed as key||id */
            VU_EXPECT(e4_state_pubkey_count(s) == 1, "SetPubKey stored %u keys",
                      e4_state_pubkey_count(s));
        else
            VU_EXPECT(e4_state_pubkey_count(s) == 0, "refused SetPubKey stored a key");
        uint8_t gid[16], gpk[32];
        if (want == E4_COMMAND && e4_state_pubkey_at(s, 0, gid, gpk) == E4_OK) {
            VU_EXPECT_MEM(gpk, 32, cmd + 1, 32, "stored public key == args[0:32]");
            VU_EXPECT_MEM(gid, 16, cmd + 33, 16, "stored id == args[32:48]");
        }
    }
    if (op == E4_CMD_REMOVE_PUBKEY && vu_has(e, "expected_error_hex")) {
        size_t hl;
        uint8_t *h = vu_hex(e, "expected_error_hex", &hl);
        static const char prefix[] = "no public key exists for id: ";
        VU_EXPECT(cmd_len == 17 && hl == sizeof prefix - 1 + 16 &&
                      memcmp(h, prefix, sizeof prefix - 1) == 0 &&
                      memcmp(h + sizeof prefix - 1, cmd + 1, 16) == 0,
                  "expected_error_hex is not prefix || raw id");
        free(h);
    }
    if (op == E4_CMD_SET_C2_KEY && want == E4_ERR_INVALID_KEY)
        print_message("  [%s] deliberate difference D3: low-order C2 key refused and the old "
                      "C2 key kept (e4go replaces it in memory)\n",
                      vu_entry_);
    /* nothing refused changed the command key (D3 included); the accepted
     * entries of this section do not change it either */
    {
        static const uint8_t probe[] = {E4_CMD_RESET_TOPICS};
        uint8_t p[1 + E4_SK_OVERHEAD];
        assert_int_equal(e4_sk_protect(cmd_key, now, probe, 1, p), E4_OK);
        VU_EXPECT_ERR(unprotect(s, rt, p, sizeof p, out, &n, now), E4_COMMAND,
                      "afterwards, a command under the original command key");
    }
    vu_state_free(s);
    free(cmd);
}

static void test_negative(void **state)
{
    (void)state;
    vu_begin();
    const json_t *arr = vu_section("negative"), *e;
    size_t i, checked = 0, d[5] = {0};
    json_array_foreach(arr, i, e)
    {
        vu_set_entry(vu_name(e));
        const char *kind = vu_str(e, "kind");
        size_t len;
        uint8_t *prot = vu_hex(e, "protected", &len);
        if (vu_has(e, "protected_len"))
            VU_EXPECT(len == vu_u64(e, "protected_len"), "protected_len");
        if (vu_has(e, "timestamp_le")) {
            VU_EXPECT(len >= 8 && vu_le64(prot) == vu_ts(e, "timestamp_le"),
                      "timestamp_le vs the protected bytes");
            /* `timestamp` is a double here; it is exact below 2^53 only */
            double t = json_number_value(json_object_get(e, "timestamp"));
            if (t < 9007199254740992.0)
                VU_EXPECT((uint64_t)t == vu_ts(e, "timestamp_le"), "timestamp vs timestamp_le");
        }
        if (strcmp(kind, "symkey_message") == 0) {
            neg_symkey_message(e, prot, len, vu_u64(e, "now"));
            d[0]++;
        } else if (strcmp(kind, "symkey_message_fixed") == 0) {
            VU_EXPECT(!vu_has(e, "now"), "fixed entries have now = null");
            neg_symkey_fixed(e, prot, len);
            d[1]++;
        } else if (strcmp(kind, "pubkey_message") == 0) {
            if (tb_pk())
                neg_pubkey_message(e, prot, len, vu_u64(e, "now"));
            d[2]++;
        } else if (strcmp(kind, "symkey_command") == 0) {
            neg_command(e, prot, len, vu_u64(e, "now"), 0);
            d[3]++;
        } else if (strcmp(kind, "pubkey_command") == 0) {
            if (tb_pk())
                neg_command(e, prot, len, vu_u64(e, "now"), 1);
            d[4]++;
        } else {
            VU_EXPECT(0, "unknown kind %s", kind);
            free(prot);
            continue;
        }
        free(prot);
        checked++;
    }
    print_message("negative: symkey_message %zu, symkey_message_fixed %zu, pubkey_message %zu, "
                  "symkey_command %zu, pubkey_command %zu\n",
                  d[0], d[1], d[2], d[3], d[4]);
    vu_end_section("negative", checked);
    vu_end("negative");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negative),
    };
    return cmocka_run_group_tests(tests, vu_group_setup, vu_group_teardown);
}
