/*
 * e4go v1.1 vectors, section `key_transition`: the steps of each entry are
 * replayed in order on ONE client state with its clock at the step's `now`.
 *   apply_command   : e4_unprotect on the receiving topic -> E4_COMMAND (or
 *                     the mapped error); the protected bytes carry
 *                     command_bytes under the command key.
 *   unprotect       : the mapped result, and the plaintext when "ok".
 *   protect_message : e4_protect output == protected.
 * "expiry" entries: steps 1-2 are the fixed-ts commands at S-5 and S, so
 * replaying them with the clock at their `now` stores the old key with
 * timestamp S, exactly the state e4go was reloaded with (old_key_entry is
 * checked against the state after step 2).
 */
#include "vectors_util.h"

#include "crypto.h"   /* e4c_siv_open, e4c_sha3_256 */
#include "internal.h" /* read the stored transition key (old_key_entry) */

#define BUF 512

/* The transition key and its timestamp as e4go stores them: old_key || LE64(ts). */
static int old_key_entry(const e4_state *s, const uint8_t hash[16], uint8_t entry[40])
{
    const topic_slot *t = e4i_topic_find(s, hash);
    if (!t || t->old_ts == NO_OLD_KEY)
        return 0;
    memcpy(entry, t->old_key, 32);
    for (int i = 0; i < 8; i++)
        entry[32 + i] = (uint8_t)(t->old_ts >> (8 * i));
    return 1;
}

static void run_entry(const json_t *e, size_t idx, size_t *steps_checked)
{
    const char *kind = vu_str(e, "kind"), *mode = vu_str(e, "mode");
    const int pk = strcmp(mode, "pubkey") == 0, expiry = strcmp(kind, "expiry") == 0;
    char label[96];
    snprintf(label, sizeof label, "key_transition[%zu] %s/%s", idx, kind, mode);
    vu_set_entry(label);
    VU_EXPECT(pk || strcmp(mode, "symkey") == 0, "unknown mode");
    VU_EXPECT(expiry || strcmp(kind, "live") == 0, "unknown kind");

    uint8_t id[16], cmd_key[32], hash[16], idx_hash[32];
    const char *topic = vu_str(e, "topic");
    vu_hex_n(e, "client_id", id, 16);
    assert_int_equal(e4_hash_topic(hash, topic), E4_OK);
    VU_EXPECT_HEX(e, "topic_hash", hash, 16);
    e4c_sha3_256(idx_hash, hash, 16);
    VU_EXPECT_HEX(e, "old_key_storage_index", idx_hash, 16);

    e4_state *s;
    const char *rt;
    uint8_t client_pk[32] = {0};
    if (pk) {
        uint8_t csk[64], c2pk[32], c2sk[32];
        vu_hex_n(e, "client_ed25519_private", csk, 64);
        vu_hex_n(e, "client_ed25519_public", client_pk, 32);
        VU_EXPECT_MEM(csk + 32, 32, client_pk, 32, "client public key");
        vu_hex_n(e, "c2_curve25519_public", c2pk, 32);
        vu_hex_n(e, "c2_curve25519_private", c2sk, 32);
        vu_hex_n(e, "shared_key", cmd_key, 32);
        uint8_t shared[32];
        VU_EXPECT_ERR(e4_c2_shared_key(shared, c2sk, csk + 32), E4_OK, "e4_c2_shared_key");
        VU_EXPECT_MEM(shared, 32, cmd_key, 32, "shared_key");
        s = vu_state_pk(id, csk, c2pk);
        rt = vu_str(e, "client_receiving_topic");
        /* the signer whose messages the steps carry */
        uint8_t sid[16], spk[32], nid[16];
        vu_hex_n(e, "signer_id", sid, 16);
        vu_hex_n(e, "signer_ed25519_public", spk, 32);
        assert_int_equal(e4_hash_id(nid, vu_str(e, "signer_name")), E4_OK);
        VU_EXPECT_MEM(nid, 16, sid, 16, "signer_id == e4_hash_id(signer_name)");
    } else {
        vu_hex_n(e, "client_key", cmd_key, 32);
        s = vu_state_sk(id, cmd_key);
        rt = vu_str(e, "receiving_topic");
    }
    VU_EXPECT(strcmp(e4_state_control_topic(s), rt) == 0, "control topic");

    const json_t *keys = json_object_get(e, "keys"), *steps = json_object_get(e, "steps"), *st;
    size_t j;
    uint64_t prev_now = 0;
    json_array_foreach(steps, j, st)
    {
        char slabel[160];
        const char *action = vu_str(st, "action");
        snprintf(slabel, sizeof slabel, "%s step %llu (%s: %s)", label,
                 (unsigned long long)vu_u64(st, "step"), action, vu_str(st, "description"));
        vu_set_entry(slabel);
        const uint64_t now = vu_u64(st, "now");
        VU_EXPECT(now >= prev_now, "clock goes backwards");
        prev_now = now;
        VU_EXPECT(vu_u64(st, "step") == j + 1, "steps out of order");
        size_t len, n = 0;
        uint8_t *prot = vu_hex(st, "protected", &len), out[BUF];
        int want = vu_expected(st, "result");

        if (strcmp(action, "apply_command") == 0) {
            size_t cmd_len;
            uint8_t *cmd = vu_hex(st, "command_bytes", &cmd_len);
            VU_EXPECT(len == cmd_len + 24 &&
                          e4c_siv_open(cmd_key, prot, 8, prot + 8, cmd_len, out) == 0 &&
                          memcmp(out, cmd, cmd_len) == 0,
                      "protected does not carry command_bytes under the command key");
            if (json_is_true(json_object_get(st, "synthetic")))
                VU_EXPECT(vu_le64(prot) == now, "synthetic command ts != now");
            VU_EXPECT_ERR(e4_unprotect(s, rt, prot, len, out, sizeof out, &n, now),
                          want == E4_OK ? E4_COMMAND : want, "apply_command");
            free(cmd);
        } else if (strcmp(action, "unprotect") == 0) {
            const char *t = vu_str(st, "topic");
            const char *kname = vu_str(st, "key_used_by_sender");
            VU_EXPECT(json_object_get(keys, kname) != NULL, "unknown key %s", kname);
            /* An expired transition key reports "timestamp too old", as in
             * e4go, which validates the old key's stored timestamp. */
            VU_EXPECT_ERR(e4_unprotect(s, t, prot, len, out, sizeof out, &n, now), want,
                          "unprotect");
            if (want == E4_OK) {
                size_t pt_len;
                uint8_t *pt = vu_hex(st, "plaintext", &pt_len);
                VU_EXPECT_MEM(out, n, pt, pt_len, "plaintext");
                free(pt);
            }
        } else if (strcmp(action, "protect_message") == 0) {
            size_t pt_len;
            uint8_t *pt = vu_hex(st, "plaintext_in", &pt_len), k[32];
            VU_EXPECT_ERR(e4_protect(s, vu_str(st, "topic"), pt, pt_len, out, sizeof out, &n, now),
                          want, "e4_protect");
            VU_EXPECT_MEM(out, n, prot, len, "protected");
            /* and it is encrypted with the recorded key (PK: signed by the client) */
            vu_hex_n(keys, vu_str(st, "encrypted_with"), k, 32);
            uint8_t back[BUF];
            size_t m = 0;
            VU_EXPECT_ERR(pk ? e4_pk_unprotect(k, client_pk, prot, len, back, &m, now, 0)
                             : e4_sk_unprotect(k, prot, len, back, &m, now, 0),
                          E4_OK, "protected opens with encrypted_with");
            VU_EXPECT_MEM(back, m, pt, pt_len, "protected carries plaintext_in");
            free(pt);
        } else {
            VU_EXPECT(0, "unknown action %s", action);
        }

        /* expiry: after step 2 the stored transition key is old_key_entry */
        if (expiry && j == 1) {
            uint8_t entry[40];
            VU_EXPECT(old_key_entry(s, hash, entry), "no transition key after rotation");
            VU_EXPECT_HEX(e, "old_key_entry", entry, 40);
            VU_EXPECT(now - vu_le64(entry + 32) == 0 &&
                          vu_u64(json_array_get(steps, 2), "now") - vu_le64(entry + 32) ==
                              vu_u64(e, "rotation_age_seconds"),
                      "rotation age");
        }
        free(prot);
        (*steps_checked)++;
    }
    vu_state_free(s);
}

static void test_key_transition(void **state)
{
    (void)state;
    vu_begin();
    const json_t *arr = vu_section("key_transition"), *e;
    size_t i, checked = 0, steps = 0;
    json_array_foreach(arr, i, e)
    {
        if (tb_pk() || strcmp(vu_str(e, "mode"), "pubkey") != 0)
            run_entry(e, i, &steps);
        checked++;
    }
    print_message("key_transition: %zu steps replayed\n", steps);
    vu_end_section("key_transition", checked);
    vu_end("key_transition");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_transition),
    };
    return cmocka_run_group_tests(tests, vu_group_setup, vu_group_teardown);
}
