/*
 * Password KDF (Argon2i, empty salt) and Ed25519 -> X25519 conversion against
 * the e4go v1.1 vectors: sections `password_derivation` and `ed_to_curve`.
 * Only lib/e4/argon2i.c and lib/e4/ed25519_convert.c are exercised.
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

#include "backend.h"
#include "crypto.h"

#ifndef E4_VECTORS
#define E4_VECTORS "tests/vectors/e4go-v1.1-vectors.json"
#endif

static json_t *g_vectors;

/* ---- helpers ----------------------------------------------------------- */

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes hex into a fresh buffer (at least 1 byte allocated, so an empty
 * string gives a valid pointer); *len receives the byte count. NULL on
 * malformed input. */
static uint8_t *hex_decode(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0) {
        return NULL;
    }
    uint8_t *out = malloc(n / 2 + 1);
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_nibble(hex[2 * i]);
        int lo = hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

static void hex_print(const char *label, const uint8_t *b, size_t n)
{
    fprintf(stderr, "    %-6s ", label);
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "%02x", b[i]);
    }
    fprintf(stderr, "\n");
}

static const char *entry_name(const json_t *entry)
{
    const char *name = json_string_value(json_object_get(entry, "name"));
    return name != NULL ? name : "(unnamed)";
}

static const char *get_str(const json_t *entry, const char *key)
{
    const char *s = json_string_value(json_object_get(entry, key));
    if (s == NULL) {
        fail_msg("%s: missing string field \"%s\"", entry_name(entry), key);
    }
    return s;
}

/* Decodes entry[key] and requires exactly `len` bytes; caller frees. */
static uint8_t *get_bytes(const json_t *entry, const char *key, size_t len)
{
    size_t got = 0;
    uint8_t *b = hex_decode(get_str(entry, key), &got);
    if (b == NULL) {
        fail_msg("%s: field \"%s\" is not valid hex", entry_name(entry), key);
    }
    if (got != len) {
        free(b);
        fail_msg("%s: field \"%s\" has %zu bytes, expected %zu", entry_name(entry), key, got, len);
    }
    return b;
}

/* Compares a computed value with the vector's hex field; on mismatch prints
 * both and fails with the vector name. */
static void expect_bytes(const json_t *entry, const char *key, const uint8_t *got, size_t len)
{
    uint8_t *want = get_bytes(entry, key, len);
    int same = memcmp(got, want, len) == 0;
    if (!same) {
        fprintf(stderr, "  %s: %s mismatch\n", entry_name(entry), key);
        hex_print("want", want, len);
        hex_print("got", got, len);
    }
    free(want);
    if (!same) {
        fail_msg("%s: %s differs from the vector", entry_name(entry), key);
    }
}

static json_t *section(const char *name)
{
    json_t *arr = json_object_get(g_vectors, name);
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        fail_msg("vector section \"%s\" missing or empty", name);
    }
    /* The file records how many entries each section has; make sure the
     * array was not truncated. */
    json_t *count = json_object_get(json_object_get(g_vectors, "counts"), name);
    if (!json_is_number(count) || (size_t)json_number_value(count) != json_array_size(arr)) {
        fail_msg("section \"%s\": %zu entries, counts says %g", name, json_array_size(arr),
                 json_number_value(count));
    }
    return arr;
}

/* Checks curve25519_private (and curve25519_public if pub_key is given) of a
 * vector entry from its Ed25519 keys. */
static void check_ed_to_curve_keys(const json_t *entry, const char *pub_key)
{
    uint8_t x[32];

    uint8_t *ed_sk = get_bytes(entry, "ed25519_private", 64);
    int rc = e4c_ed25519_sk_to_x25519(x, ed_sk);
    free(ed_sk);
    if (rc != 0) {
        fail_msg("%s: e4c_ed25519_sk_to_x25519 failed", entry_name(entry));
    }
    expect_bytes(entry, "curve25519_private", x, 32);

    if (pub_key != NULL) {
        uint8_t *ed_pk = get_bytes(entry, pub_key, 32);
        rc = e4c_ed25519_pk_to_x25519(x, ed_pk);
        free(ed_pk);
        if (rc != 0) {
            fail_msg("%s: e4c_ed25519_pk_to_x25519 failed", entry_name(entry));
        }
        expect_bytes(entry, "curve25519_public", x, 32);
    }
}

/* ---- fixtures ---------------------------------------------------------- */

static int load_vectors(void **state)
{
    (void)state;
    json_error_t err;
    /* Some sections hold timestamps >= 2^63, which jansson's int64 integers
     * cannot represent: read all numbers as doubles (the counts and lengths
     * used here are small and exact). */
    g_vectors = json_load_file(E4_VECTORS, JSON_DECODE_INT_AS_REAL, &err);
    if (g_vectors == NULL) {
        fprintf(stderr, "cannot load %s: %s (line %d)\n", E4_VECTORS, err.text, err.line);
        return -1;
    }
    return 0;
}

static int free_vectors(void **state)
{
    (void)state;
    json_decref(g_vectors);
    g_vectors = NULL;
    return 0;
}

/* ---- tests ------------------------------------------------------------- */

/* Valid entries: Argon2i(password) == derive_sym_key == ed25519_seed, and the
 * curve keys of the derived Ed25519 key pair. Invalid entries (password rule)
 * are checked by the client layer, not by the KDF itself. */
static void test_password_derivation(void **state)
{
    TB_REQUIRE_PK();
    (void)state;
    json_t *arr = section("password_derivation");
    size_t valid = 0;

    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *entry = json_array_get(arr, i);
        if (json_object_get(entry, "error") != NULL) {
            continue;
        }
        valid++;

        size_t pwlen = 0;
        uint8_t *pw = hex_decode(get_str(entry, "password_hex"), &pwlen);
        if (pw == NULL) {
            fail_msg("%s: bad password_hex", entry_name(entry));
        }
        json_t *pwbytes = json_object_get(entry, "password_bytes");
        if (!json_is_number(pwbytes) || (size_t)json_number_value(pwbytes) != pwlen) {
            free(pw);
            fail_msg("%s: password_hex length disagrees with password_bytes", entry_name(entry));
        }

        uint8_t key[32];
        int rc = e4c_argon2i_e4(key, pw, pwlen);
        free(pw);
        if (rc != 0) {
            fail_msg("%s: e4c_argon2i_e4 failed", entry_name(entry));
        }
        expect_bytes(entry, "derive_sym_key", key, 32);
        expect_bytes(entry, "ed25519_seed", key, 32);

        /* The private key is seed || public; its first half must be our key. */
        uint8_t *ed_sk = get_bytes(entry, "ed25519_private", 64);
        int seed_ok = memcmp(ed_sk, key, 32) == 0;
        free(ed_sk);
        if (!seed_ok) {
            fail_msg("%s: ed25519_private does not start with the derived seed", entry_name(entry));
        }

        check_ed_to_curve_keys(entry, "ed25519_public");
    }
    if (valid == 0) {
        fail_msg("password_derivation: no valid entries");
    }
    print_message("password_derivation: %zu valid entries checked\n", valid);
}

static void test_ed_to_curve_keypair(void **state)
{
    TB_REQUIRE_PK();
    (void)state;
    json_t *arr = section("ed_to_curve");
    size_t n = 0;

    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *entry = json_array_get(arr, i);
        if (strcmp(get_str(entry, "kind"), "keypair") != 0) {
            continue;
        }
        n++;
        check_ed_to_curve_keys(entry, "ed25519_public");
    }
    if (n == 0) {
        fail_msg("ed_to_curve: no keypair entries");
    }
    print_message("ed_to_curve keypair: %zu entries checked\n", n);
}

/* The public half of the 64-byte private key is junk here and must be
 * ignored. Also check that changing it does not change the result. */
static void test_ed_to_curve_private_only(void **state)
{
    TB_REQUIRE_PK();
    (void)state;
    json_t *arr = section("ed_to_curve");
    size_t n = 0;

    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *entry = json_array_get(arr, i);
        if (strcmp(get_str(entry, "kind"), "private_only") != 0) {
            continue;
        }
        n++;
        check_ed_to_curve_keys(entry, NULL);

        uint8_t *ed_sk = get_bytes(entry, "ed25519_private", 64);
        uint8_t x[32];
        for (size_t j = 32; j < 64; j++) {
            ed_sk[j] ^= 0xa5;
        }
        int rc = e4c_ed25519_sk_to_x25519(x, ed_sk);
        free(ed_sk);
        if (rc != 0) {
            fail_msg("%s: e4c_ed25519_sk_to_x25519 failed", entry_name(entry));
        }
        expect_bytes(entry, "curve25519_private", x, 32);
    }
    if (n == 0) {
        fail_msg("ed_to_curve: no private_only entries");
    }
    print_message("ed_to_curve private_only: %zu entries checked\n", n);
}

/* Small-order, non-canonical and sign-flipped points convert like e4go does;
 * off-curve y (e4go panics) must fail. */
static void test_ed_to_curve_public_edge(void **state)
{
    TB_REQUIRE_PK();
    (void)state;
    json_t *arr = section("ed_to_curve");
    size_t n_ok = 0, n_fail = 0;

    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *entry = json_array_get(arr, i);
        if (strcmp(get_str(entry, "kind"), "public_edge") != 0) {
            continue;
        }
        json_t *ok = json_object_get(entry, "ok");
        if (!json_is_boolean(ok)) {
            fail_msg("%s: missing boolean \"ok\"", entry_name(entry));
        }

        uint8_t *ed_pk = get_bytes(entry, "ed25519_public", 32);
        uint8_t x[32];
        memset(x, 0xee, sizeof x);
        int rc = e4c_ed25519_pk_to_x25519(x, ed_pk);
        free(ed_pk);

        if (json_is_true(ok)) {
            n_ok++;
            if (rc != 0) {
                fail_msg("%s: conversion failed, e4go accepts it (%s)", entry_name(entry),
                         get_str(entry, "note"));
            }
            expect_bytes(entry, "curve25519_public", x, 32);
        } else {
            n_fail++;
            if (rc != -1) {
                fail_msg("%s: conversion returned %d, e4go rejects it (%s)", entry_name(entry), rc,
                         get_str(entry, "note"));
            }
        }
    }
    if (n_ok == 0 || n_fail == 0) {
        fail_msg("ed_to_curve public_edge: expected both accepted and rejected entries");
    }
    print_message("ed_to_curve public_edge: %zu accepted, %zu rejected\n", n_ok, n_fail);
}

/* Every ed_to_curve entry must be of a kind covered above, so a new kind in
 * the vector file cannot be silently skipped. */
static void test_ed_to_curve_kinds_known(void **state)
{
    (void)state;
    json_t *arr = section("ed_to_curve");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *entry = json_array_get(arr, i);
        const char *kind = get_str(entry, "kind");
        if (strcmp(kind, "keypair") != 0 && strcmp(kind, "private_only") != 0 &&
            strcmp(kind, "public_edge") != 0) {
            fail_msg("%s: unknown ed_to_curve kind \"%s\"", entry_name(entry), kind);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_derivation),
        cmocka_unit_test(test_ed_to_curve_kinds_known),
        cmocka_unit_test(test_ed_to_curve_keypair),
        cmocka_unit_test(test_ed_to_curve_private_only),
        cmocka_unit_test(test_ed_to_curve_public_edge),
    };
    return cmocka_run_group_tests_name("kdf", tests, load_vectors, free_vectors);
}
