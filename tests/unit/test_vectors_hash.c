/*
 * e4go v1.1 vectors, primitive sections: topic_hash, id_alias, sha3_256,
 * aes_siv. Every entry is checked; the number checked must equal `counts`.
 */
#include "vectors_util.h"

#include "crypto.h" /* e4c_sha3_256, e4c_siv_seal/open (lib/e4 is on the include path) */

/* topic_hash: e4_hash_topic == hash, full SHA3-256, the key-transition index
 * SHA3-256(hash)[:16], and e4_validate_topic ("ok" <-> E4_OK). No topic has a
 * 0x00 byte (vu_text fails if one does), so the C-string API covers them all. */
static void test_topic_hash(void **state)
{
    (void)state;
    vu_begin();
    const json_t *arr = vu_section("topic_hash"), *e;
    size_t i, checked = 0;
    json_array_foreach(arr, i, e)
    {
        char label[64];
        snprintf(label, sizeof label, "topic_hash[%zu]", i);
        vu_set_entry(label);
        size_t len;
        char *topic = vu_text(e, "topic_hex");
        uint8_t *raw = vu_hex(e, "topic_hex", &len);
        VU_EXPECT(len == vu_u64(e, "topic_len"), "topic_len %zu vs field", len);
        VU_EXPECT(strcmp(topic, vu_str(e, "topic")) == 0, "topic text differs from topic_hex");

        uint8_t hash[E4_TOPIC_HASH_LEN], full[32], hh[32];
        VU_EXPECT_ERR(e4_hash_topic(hash, topic), E4_OK, "e4_hash_topic");
        VU_EXPECT_HEX(e, "hash", hash, sizeof hash);
        e4c_sha3_256(full, raw, len);
        VU_EXPECT_HEX(e, "sha3_256_full", full, sizeof full);
        e4c_sha3_256(hh, hash, sizeof hash);
        VU_EXPECT_HEX(e, "hash_of_hash", hh, 16);

        const char *v = vu_str(e, "validate_topic");
        int want = strcmp(v, "ok") == 0 ? E4_OK : E4_ERR_INVALID_TOPIC;
        VU_EXPECT(vu_map_error(v) == want, "validate_topic text \"%s\" maps to %s", v,
                  e4_strerror(vu_map_error(v)));
        VU_EXPECT_ERR(e4_validate_topic(topic), want, "e4_validate_topic");
        free(topic);
        free(raw);
        checked++;
    }
    vu_end_section("topic_hash", checked);
    vu_end("topic_hash");
}

/* id_alias: e4_hash_id(name) == id; "e4/"+hex(id) == receiving_topic;
 * e4_validate_name ("ok" <-> E4_OK, else E4_ERR_INVALID_NAME). */
static void test_id_alias(void **state)
{
    (void)state;
    vu_begin();
    const json_t *arr = vu_section("id_alias"), *e;
    size_t i, checked = 0;
    json_array_foreach(arr, i, e)
    {
        char label[64];
        snprintf(label, sizeof label, "id_alias[%zu]", i);
        vu_set_entry(label);
        size_t len;
        char *name = vu_text(e, "name_hex");
        free(vu_hex(e, "name_hex", &len));
        VU_EXPECT(len == vu_u64(e, "name_len"), "name_len %zu vs field", len);
        VU_EXPECT(strcmp(name, vu_str(e, "name")) == 0, "name text differs from name_hex");

        uint8_t id[E4_ID_LEN];
        char topic[E4_DEFAULT_CONTROL_TOPIC_LEN];
        VU_EXPECT_ERR(e4_hash_id(id, name), E4_OK, "e4_hash_id");
        VU_EXPECT_HEX(e, "id", id, sizeof id);
        e4_default_control_topic(topic, id);
        VU_EXPECT(strcmp(topic, vu_str(e, "receiving_topic")) == 0, "control topic %s, expected %s",
                  topic, vu_str(e, "receiving_topic"));

        const char *v = vu_str(e, "validate_name");
        int want = strcmp(v, "ok") == 0 ? E4_OK : E4_ERR_INVALID_NAME;
        VU_EXPECT(vu_map_error(v) == want, "validate_name text \"%s\" maps to %s", v,
                  e4_strerror(vu_map_error(v)));
        VU_EXPECT_ERR(e4_validate_name(name), want, "e4_validate_name");
        free(name);
        checked++;
    }
    vu_end_section("id_alias", checked);
    vu_end("id_alias");
}

static void test_sha3_256(void **state)
{
    (void)state;
    vu_begin();
    const json_t *arr = vu_section("sha3_256"), *e;
    size_t i, checked = 0;
    json_array_foreach(arr, i, e)
    {
        char label[64];
        snprintf(label, sizeof label, "sha3_256[%zu]", i);
        vu_set_entry(label);
        size_t len;
        uint8_t *in = vu_hex(e, "input", &len), out[32];
        VU_EXPECT(len == vu_u64(e, "input_len"), "input_len %zu vs field", len);
        if (vu_has(e, "input_text"))
            VU_EXPECT(strlen(vu_str(e, "input_text")) == len &&
                          memcmp(vu_str(e, "input_text"), in, len) == 0,
                      "input_text differs from input");
        e4c_sha3_256(out, in, len);
        VU_EXPECT_HEX(e, "sha3_256", out, sizeof out);
        free(in);
        checked++;
    }
    vu_end_section("sha3_256", checked);
    vu_end("sha3_256");
}

/* aes_siv: e4c_siv_seal(key, ad, pt) == output == tag||ciphertext; open gives
 * the plaintext back; any altered bit (tag, ciphertext, AD) fails to open. */
static void test_aes_siv(void **state)
{
    (void)state;
    vu_begin();
    const json_t *arr = vu_section("aes_siv"), *e;
    size_t i, checked = 0;
    json_array_foreach(arr, i, e)
    {
        vu_set_entry(vu_name(e));
        uint8_t key[32];
        size_t ad_len, pt_len, out_len;
        vu_hex_n(e, "key", key, sizeof key);
        uint8_t *ad = vu_hex(e, "ad", &ad_len);
        uint8_t *pt = vu_hex(e, "plaintext", &pt_len);
        uint8_t *want = vu_hex(e, "output", &out_len);
        uint8_t *out = malloc(pt_len + 16 + 1), *back = malloc(pt_len + 1);
        assert_non_null(out);
        assert_non_null(back);

        VU_EXPECT(out_len == pt_len + 16, "output length %zu for %zu-byte plaintext", out_len,
                  pt_len);
        VU_EXPECT(e4c_siv_seal(key, ad, ad_len, pt, pt_len, out) == 0, "e4c_siv_seal failed");
        VU_EXPECT_HEX(e, "output", out, pt_len + 16);
        VU_EXPECT_HEX(e, "tag", out, 16);
        VU_EXPECT_HEX(e, "ciphertext", out + 16, pt_len);
        if (vu_has(e, "plaintext_text"))
            VU_EXPECT(strlen(vu_str(e, "plaintext_text")) == pt_len &&
                          memcmp(vu_str(e, "plaintext_text"), pt, pt_len) == 0,
                      "plaintext_text differs from plaintext");

        if (out_len == pt_len + 16) {
            VU_EXPECT(e4c_siv_open(key, ad, ad_len, want, pt_len, back) == 0,
                      "e4c_siv_open of the vector output failed");
            VU_EXPECT_MEM(back, pt_len, pt, pt_len, "opened plaintext");
            /* tamper: first tag byte, last byte, AD */
            want[0] ^= 0x01;
            VU_EXPECT(e4c_siv_open(key, ad, ad_len, want, pt_len, back) != 0,
                      "open accepted a tampered tag");
            want[0] ^= 0x01;
            want[out_len - 1] ^= 0x80;
            VU_EXPECT(e4c_siv_open(key, ad, ad_len, want, pt_len, back) != 0,
                      "open accepted a tampered last byte");
            want[out_len - 1] ^= 0x80;
            if (ad_len) {
                ad[ad_len - 1] ^= 0x01;
                VU_EXPECT(e4c_siv_open(key, ad, ad_len, want, pt_len, back) != 0,
                          "open accepted a tampered AD");
                ad[ad_len - 1] ^= 0x01;
            } else {
                uint8_t one = 0;
                VU_EXPECT(e4c_siv_open(key, &one, 1, want, pt_len, back) != 0,
                          "open accepted an AD of 1 byte for an empty AD");
            }
            key[5] ^= 0x10;
            VU_EXPECT(e4c_siv_open(key, ad, ad_len, want, pt_len, back) != 0,
                      "open accepted a wrong key");
        }
        free(ad);
        free(pt);
        free(want);
        free(out);
        free(back);
        checked++;
    }
    vu_end_section("aes_siv", checked);
    vu_end("aes_siv");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_hash),
        cmocka_unit_test(test_id_alias),
        cmocka_unit_test(test_sha3_256),
        cmocka_unit_test(test_aes_siv),
    };
    return cmocka_run_group_tests(tests, vu_group_setup, vu_group_teardown);
}
