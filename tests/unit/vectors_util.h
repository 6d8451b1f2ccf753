/*
 * Shared helpers for the tests that replay the e4go v1.1 reference vectors
 * (tests/vectors/e4go-v1.1-vectors.json, path in E4_VECTORS).
 *
 * - The file holds integers >= 2^63, so it is loaded with
 *   JSON_DECODE_INT_AS_REAL: every number is a double. Exact timestamps come
 *   from the `timestamp_le` hex fields; `now` values are < 2^53 and exact.
 * - Checks are "soft": VU_EXPECT* print the vector entry name and the details
 *   and count a failure, so one run lists every mismatch; each test ends with
 *   vu_end(), which fails the cmocka test when anything did not match.
 * - vu_section() returns a section and vu_end_section() asserts that the
 *   number of entries checked equals the file's `counts` value.
 *
 * Everything is static inline: one copy per test program, no prototypes.
 */
#ifndef E4_TESTS_VECTORS_UTIL_H
#define E4_TESTS_VECTORS_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <e4/e4.h>

#include "backend.h"
#include "hex.h"

#ifndef E4_VECTORS
#define E4_VECTORS "tests/vectors/e4go-v1.1-vectors.json"
#endif

/* ---- global state of one test program ------------------------------------ */

static json_t *vu_root_;
static const char *vu_entry_ = "(none)"; /* the entry being checked */
static unsigned vu_failures_;            /* mismatches since vu_begin() */
static unsigned vu_checks_;              /* individual checks performed */

static inline json_t *vu_root(void)
{
    if (!vu_root_) {
        json_error_t err;
        vu_root_ = json_load_file(E4_VECTORS, JSON_DECODE_INT_AS_REAL, &err);
        if (!vu_root_)
            fail_msg("cannot load %s: %s (line %d)", E4_VECTORS, err.text, err.line);
    }
    return vu_root_;
}

static inline int vu_group_setup(void **state)
{
    (void)state;
    if (e4_version() == NULL) /* also links the library in early */
        return -1;
    return vu_root() ? 0 : -1;
}

static inline int vu_group_teardown(void **state)
{
    (void)state;
    json_decref(vu_root_);
    vu_root_ = NULL;
    return 0;
}

static inline void vu_begin(void)
{
    vu_failures_ = 0;
    vu_checks_ = 0;
    vu_entry_ = "(none)";
}

static inline void vu_set_entry(const char *name)
{
    vu_entry_ = name ? name : "(unnamed)";
}

static inline void vu_failf(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "MISMATCH [%s] %s:%d: ", vu_entry_, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    vu_failures_++;
}

/* Ends a test: fails it when any soft check failed. */
static inline void vu_end(const char *what)
{
    print_message("%s: %u checks, %u mismatches\n", what, vu_checks_, vu_failures_);
    if (vu_failures_)
        fail_msg("%s: %u mismatch(es) against the reference vectors (see MISMATCH lines)", what,
                 vu_failures_);
}

/* ---- JSON access ---------------------------------------------------------- */

static inline const json_t *vu_section(const char *name)
{
    const json_t *arr = json_object_get(vu_root(), name);
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        fail_msg("vector section \"%s\" missing or empty", name);
    return arr;
}

static inline size_t vu_count(const char *section)
{
    const json_t *counts = json_object_get(vu_root(), "counts");
    const json_t *n = json_object_get(counts, section);
    if (!json_is_number(n))
        fail_msg("counts.%s missing", section);
    return (size_t)json_number_value(n);
}

/* Hard check: every entry of the section was checked (nothing skipped). */
static inline void vu_end_section(const char *section, size_t checked)
{
    size_t want = vu_count(section);
    size_t have = json_array_size(json_object_get(vu_root(), section));
    print_message("section %s: %zu of %zu entries checked (counts says %zu)\n", section, checked,
                  have, want);
    if (checked != want || have != want)
        fail_msg("section %s: checked %zu entries, file has %zu, counts says %zu", section, checked,
                 have, want);
}

static inline const char *vu_name(const json_t *e)
{
    const char *n = json_string_value(json_object_get(e, "name"));
    return n ? n : "(unnamed)";
}

static inline int vu_has(const json_t *e, const char *key)
{
    const json_t *v = json_object_get(e, key);
    return v != NULL && !json_is_null(v);
}

static inline const char *vu_str(const json_t *e, const char *key)
{
    const char *s = json_string_value(json_object_get(e, key));
    if (!s)
        fail_msg("[%s] missing string field \"%s\"", vu_entry_, key);
    return s;
}

/* An integer field (< 2^53, so the double is exact). */
static inline uint64_t vu_u64(const json_t *e, const char *key)
{
    const json_t *v = json_object_get(e, key);
    if (!json_is_number(v))
        fail_msg("[%s] missing number field \"%s\"", vu_entry_, key);
    double d = json_number_value(v);
    if (d < 0 || d >= 9007199254740992.0 || d != (double)(uint64_t)d)
        fail_msg("[%s] field \"%s\" = %g is not an exact integer < 2^53", vu_entry_, key, d);
    return (uint64_t)d;
}

/* Decodes a hex field into a fresh buffer, NUL-terminated one byte past the
 * end (so a text field can be used as a C string) and never NULL. */
static inline uint8_t *vu_hex(const json_t *e, const char *key, size_t *len)
{
    const char *h = vu_str(e, key);
    size_t n = strlen(h);
    if (n % 2)
        fail_msg("[%s] field \"%s\": odd hex length", vu_entry_, key);
    uint8_t *out = malloc(n / 2 + 1);
    assert_non_null(out);
    if (hex_decode_n(out, n / 2, h) != 0)
        fail_msg("[%s] field \"%s\": not hex", vu_entry_, key);
    out[n / 2] = 0;
    if (len)
        *len = n / 2;
    return out;
}

/* A hex field of exactly n bytes into buf. */
static inline void vu_hex_n(const json_t *e, const char *key, uint8_t *buf, size_t n)
{
    size_t len;
    uint8_t *b = vu_hex(e, key, &len);
    if (len != n)
        fail_msg("[%s] field \"%s\": %zu bytes, expected %zu", vu_entry_, key, len, n);
    memcpy(buf, b, n);
    free(b);
}

/* A hex field holding text (topic, name, password): a C string, malloc'd.
 * The protocol allows any bytes; a 0x00 byte could not pass through the
 * NUL-terminated API, so it is reported (no vector has one). */
static inline char *vu_text(const json_t *e, const char *hexkey)
{
    size_t len;
    uint8_t *b = vu_hex(e, hexkey, &len);
    if (memchr(b, 0, len) != NULL)
        fail_msg("[%s] field \"%s\" contains a NUL byte: not expressible as a C string", vu_entry_,
                 hexkey);
    return (char *)b;
}

/* The 8-byte little-endian timestamp of a `timestamp_le` field. */
static inline uint64_t vu_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline uint64_t vu_ts(const json_t *e, const char *key)
{
    uint8_t b[8];
    vu_hex_n(e, key, b, 8);
    return vu_le64(b);
}

/* ---- soft checks ---------------------------------------------------------------- */

static inline void vu_hexdump(const char *label, const uint8_t *b, size_t n)
{
    fprintf(stderr, "    %-9s (%zu) ", label, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02x", b[i]);
    fprintf(stderr, "\n");
}

#define VU_EXPECT(cond, ...)                           \
    do {                                               \
        vu_checks_++;                                  \
        if (!(cond))                                   \
            vu_failf(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

#define VU_EXPECT_ERR(got, want, what)                                       \
    do {                                                                     \
        int g_ = (int)(got), w_ = (int)(want);                               \
        VU_EXPECT(g_ == w_, "%s: got %d (%s), expected %d (%s)", (what), g_, \
                  e4_strerror((e4_err)g_), w_, e4_strerror((e4_err)w_));     \
    } while (0)

static inline void vu_expect_mem_(const char *file, int line, const char *what, const uint8_t *got,
                                  size_t got_len, const uint8_t *want, size_t want_len)
{
    vu_checks_++;
    if (got_len != want_len || (want_len && memcmp(got, want, want_len) != 0)) {
        vu_failf(file, line, "%s differs", what);
        vu_hexdump("got", got, got_len);
        vu_hexdump("expected", want, want_len);
    }
}
#define VU_EXPECT_MEM(got, got_len, want, want_len, what) \
    vu_expect_mem_(__FILE__, __LINE__, (what), (got), (got_len), (want), (want_len))

/* Compares bytes with a hex field of the current entry. */
static inline void vu_expect_hex_(const char *file, int line, const json_t *e, const char *key,
                                  const uint8_t *got, size_t got_len)
{
    size_t n;
    uint8_t *want = vu_hex(e, key, &n);
    vu_expect_mem_(file, line, key, got, got_len, want, n);
    free(want);
}
#define VU_EXPECT_HEX(e, key, got, got_len) \
    vu_expect_hex_(__FILE__, __LINE__, (e), (key), (got), (got_len))

/* ---- reference error strings -> e4_err ------------------------------------ */

#define VU_UNMAPPED 1000 /* not an e4_err: the string is unknown */

static inline int vu_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * The error texts e4go produces, mapped to the e4_err meaning the same thing.
 * "invalid <Name> length", "invalid symmetric key length, got..", "invalid
 * private key length, got.." -> INVALID_ARG_LENGTH; "... all zeros" ->
 * ZERO_KEY; the RemovePubKey error embeds raw id bytes after its prefix.
 */
static inline int vu_map_error(const char *s)
{
    if (strcmp(s, "ok") == 0)
        return E4_OK;
    if (strcmp(s, "siv: authentication failed") == 0)
        return E4_ERR_NOT_AUTHENTIC;
    if (strcmp(s, "ciphertext too short") == 0 || strcmp(s, "too short ciphertext") == 0 ||
        strcmp(s, "invalid length of protected message") == 0)
        return E4_ERR_TOO_SHORT;
    if (strcmp(s, "topic key not found") == 0)
        return E4_ERR_TOPIC_KEY_NOT_FOUND;
    if (strcmp(s, "timestamp too old") == 0)
        return E4_ERR_TIMESTAMP_TOO_OLD;
    if (strcmp(s, "timestamp received is in the future") == 0)
        return E4_ERR_TIMESTAMP_IN_FUTURE;
    if (strcmp(s, "signer public key not found") == 0)
        return E4_ERR_PUBKEY_NOT_FOUND;
    if (strcmp(s, "invalid signature") == 0)
        return E4_ERR_INVALID_SIGNATURE;
    if (strcmp(s, "invalid command") == 0)
        return E4_ERR_INVALID_COMMAND;
    if (strcmp(s, "this operation is not supported") == 0)
        return E4_ERR_UNSUPPORTED_COMMAND;
    if (vu_starts(s, "no public key exists for id"))
        return E4_ERR_PUBKEY_NOT_FOUND;
    if (strstr(s, "low order point") != NULL || vu_starts(s, "panic: could not convert"))
        return E4_ERR_INVALID_KEY;
    if (strstr(s, "all zeros") != NULL)
        return E4_ERR_ZERO_KEY;
    if (vu_starts(s, "invalid ") && strstr(s, " length") != NULL)
        return E4_ERR_INVALID_ARG_LENGTH;
    if (vu_starts(s, "topic must not be empty") || vu_starts(s, "topic cannot be empty") ||
        vu_starts(s, "topic too long"))
        return E4_ERR_INVALID_TOPIC;
    if (vu_starts(s, "name must not be empty") || vu_starts(s, "name length is invalid"))
        return E4_ERR_INVALID_NAME;
    if (vu_starts(s, "invalid password"))
        return E4_ERR_INVALID_PASSWORD;
    return VU_UNMAPPED;
}

/* The mapped error of a string field; an unknown text is a failure. */
static inline int vu_expected(const json_t *e, const char *key)
{
    const char *s = vu_str(e, key);
    int err = vu_map_error(s);
    VU_EXPECT(err != VU_UNMAPPED, "field %s: unknown reference error \"%s\"", key, s);
    return err;
}

/* ---- states ------------------------------------------------------------------ */

#define VU_TOPICS 8
#define VU_PUBKEYS 8

/* A state in malloc'd memory (8-byte aligned), replay cache off: the
 * reference has none, and some vectors repeat a message on purpose. */
static inline e4_state *vu_state_sk(const uint8_t id[E4_ID_LEN], const uint8_t key[E4_KEY_LEN])
{
    e4_limits l = {VU_TOPICS, 0, 0};
    void *mem = malloc(e4_state_size(&l));
    e4_state *s = NULL;
    assert_non_null(mem);
    e4_err err = e4_state_init_sk(&s, mem, e4_state_size(&l), &l, id, key);
    if (err != E4_OK)
        fail_msg("[%s] e4_state_init_sk: %s", vu_entry_, e4_strerror(err));
    return s;
}

static inline e4_state *vu_state_pk(const uint8_t id[E4_ID_LEN],
                                    const uint8_t ed_sk[E4_ED25519_SK_LEN],
                                    const uint8_t c2_pk[E4_X25519_LEN])
{
    e4_limits l = {VU_TOPICS, VU_PUBKEYS, 0};
    void *mem = malloc(e4_state_size(&l));
    e4_state *s = NULL;
    assert_non_null(mem);
    e4_err err = e4_state_init_pk(&s, mem, e4_state_size(&l), &l, id, ed_sk, c2_pk);
    if (err != E4_OK)
        fail_msg("[%s] e4_state_init_pk: %s", vu_entry_, e4_strerror(err));
    return s;
}

/* A PK state with a random identity and C2 key (for receivers). */
static inline e4_state *vu_state_pk_random(void)
{
    uint8_t id[E4_ID_LEN], sk[E4_ED25519_SK_LEN], pk[E4_ED25519_PK_LEN], c2sk[32], c2pk[32];
    e4_random_id(id);
    assert_int_equal(e4_ed25519_keypair(sk, pk), E4_OK);
    assert_int_equal(e4_x25519_keypair(c2sk, c2pk), E4_OK);
    return vu_state_pk(id, sk, c2pk);
}

static inline void vu_state_free(e4_state *s)
{
    if (s) {
        e4_state_wipe(s);
        free(s); /* the state sits at the start of its memory block */
    }
}

#endif
