/*
 * test_e4c2_seal.c - e4c2's keyring and sealed values (src/e4c2/keyring.c):
 * the master key from a passphrase (Argon2id) or a key file, the check value
 * that makes a wrong passphrase a clear error at start-up, and seal/unseal
 * with the value's place (column, row) as associated data.
 *
 * Each test works on SQLite ":memory:" databases (db_open, schema_migrate);
 * Argon2id runs with its minimum cost (1 pass, 8 KiB) to stay fast.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "db.h"
#include "keyring.h"
#include "meta.h"
#include "schema.h"

#define PASS "correct horse battery staple"
#define PASS2 "another passphrase entirely"

static const uint8_t client_a[E4_ID_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                            0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static const uint8_t client_b[E4_ID_LEN] = {0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
                                            0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};

/* ---- helpers -------------------------------------------------------------- */

static db *new_db(void)
{
    char err[256];
    c2_error e = {0};
    db *d = db_open("sqlite::memory:", err, sizeof err);
    if (!d)
        fail_msg("db_open: %s", err);
    if (schema_migrate(d, &e) != 0)
        fail_msg("schema_migrate: %s", e.message);
    return d;
}

static keyring_source pass_src(const char *pass)
{
    keyring_source s = {.passphrase = pass, .kdf_ops = 1, .kdf_mem_kib = 8};
    return s;
}

static keyring *create_pass(db *d, const char *pass)
{
    keyring_source s = pass_src(pass);
    c2_error e = {0};
    keyring *kr = keyring_create(d, &s, &e);
    if (!kr)
        fail_msg("keyring_create: %s", e.message);
    return kr;
}

/* A temporary file holding n bytes; the path is malloc'ed. */
static char *temp_file(const void *bytes, size_t n)
{
    const char *dir = getenv("TMPDIR");
    char *path = malloc(512);
    int fd;
    assert_non_null(path);
    snprintf(path, 512, "%s/e4c2-test-key.XXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    close(fd);
    return path;
}

static void drop_file(char *path)
{
    unlink(path);
    free(path);
}

static keyring *key_file_keyring(db *d, int create, const void *bytes, size_t n, c2_error *e)
{
    char *path = temp_file(bytes, n);
    keyring_source s = {.key_file = path};
    keyring *kr;
    memset(e, 0, sizeof *e);
    kr = create ? keyring_create(d, &s, e) : keyring_unlock(d, &s, e);
    drop_file(path);
    return kr;
}

static void hex_of(char *out, const uint8_t *in, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", in[i]);
}

/* unseal into an exactly sized buffer; 0 and the plaintext, or -1. */
static int open_as(const keyring *kr, const char *where, const void *row, size_t row_len,
                   const uint8_t *sealed, size_t sealed_len, uint8_t *plain, size_t *len)
{
    uint8_t out[SEAL_MAX_PLAIN];
    size_t n = 0;
    int rc = unseal(kr, out, sizeof out, &n, where, row, row_len, sealed, sealed_len);
    if (rc == 0) {
        assert_int_equal(n, sealed_len - SEAL_OVERHEAD);
        if (plain)
            memcpy(plain, out, n);
        if (len)
            *len = n;
    }
    return rc;
}

/* ---- seal / unseal ------------------------------------------------------- */

static void test_round_trip(void **state)
{
    db *d = new_db();
    keyring *kr = create_pass(d, PASS);
    uint8_t key[E4_KEY_LEN], sealed[E4_KEY_LEN + SEAL_OVERHEAD], again[E4_KEY_LEN + SEAL_OVERHEAD];
    uint8_t plain[SEAL_MAX_PLAIN], max[SEAL_MAX_PLAIN], big[SEAL_MAX_PLAIN + SEAL_OVERHEAD];
    size_t len = 0;
    (void)state;
    randombytes_buf(key, sizeof key);
    assert_int_equal(seal(kr, sealed, "clients.key", client_a, E4_ID_LEN, key, sizeof key), 0);
    assert_int_equal(
        open_as(kr, "clients.key", client_a, E4_ID_LEN, sealed, sizeof sealed, plain, &len), 0);
    assert_int_equal(len, E4_KEY_LEN);
    assert_memory_equal(plain, key, E4_KEY_LEN);
    assert_memory_not_equal(sealed + 24, key, E4_KEY_LEN); /* not in clear */

    /* a random nonce: sealing twice gives two values that both open */
    assert_int_equal(seal(kr, again, "clients.key", client_a, E4_ID_LEN, key, sizeof key), 0);
    assert_memory_not_equal(sealed, again, sizeof sealed);
    assert_int_equal(
        open_as(kr, "clients.key", client_a, E4_ID_LEN, again, sizeof again, plain, &len), 0);
    assert_memory_equal(plain, key, E4_KEY_LEN);

    /* an empty row (meta.check) and an empty plaintext */
    assert_int_equal(seal(kr, big, "meta.x", NULL, 0, key, 0), 0);
    assert_int_equal(open_as(kr, "meta.x", NULL, 0, big, SEAL_OVERHEAD, plain, &len), 0);
    assert_int_equal(len, 0);

    /* exactly SEAL_MAX_PLAIN bytes */
    memset(max, 0x42, sizeof max);
    assert_int_equal(seal(kr, big, "outbox.cmd", client_a, E4_ID_LEN, max, sizeof max), 0);
    assert_int_equal(open_as(kr, "outbox.cmd", client_a, E4_ID_LEN, big, sizeof big, plain, &len),
                     0);
    assert_int_equal(len, SEAL_MAX_PLAIN);
    assert_memory_equal(plain, max, SEAL_MAX_PLAIN);
    keyring_free(kr);
    db_close(d);
}

static void test_too_long_refused(void **state)
{
    db *d = new_db();
    keyring *kr = create_pass(d, PASS);
    uint8_t plain[SEAL_MAX_PLAIN + 1], out[SEAL_MAX_PLAIN + 1 + SEAL_OVERHEAD], big_row[1100];
    (void)state;
    memset(plain, 1, sizeof plain);
    assert_int_equal(seal(kr, out, "outbox.cmd", client_a, E4_ID_LEN, plain, SEAL_MAX_PLAIN + 1),
                     -1);
    assert_int_equal(seal(kr, out, "outbox.cmd", client_a, E4_ID_LEN, plain, 100000), -1);
    /* a sealed value longer than SEAL_MAX_PLAIN + SEAL_OVERHEAD never opens */
    memset(out, 0, sizeof out);
    assert_int_equal(open_as(kr, "outbox.cmd", client_a, E4_ID_LEN, out, sizeof out, NULL, NULL),
                     -1);
    /* a place too long for the associated data is refused, not cut */
    memset(big_row, 7, sizeof big_row);
    assert_int_equal(seal(kr, out, "clients.key", big_row, sizeof big_row, plain, 32), -1);
    keyring_free(kr);
    db_close(d);
}

static void test_other_place_does_not_open(void **state)
{
    db *d = new_db();
    keyring *kr = create_pass(d, PASS);
    uint8_t key[E4_KEY_LEN], sealed[E4_KEY_LEN + SEAL_OVERHEAD], topic_row[16], topic_row2[16];
    int64_t v1 = 1, v2 = 2;
    (void)state;
    randombytes_buf(key, sizeof key);
    assert_int_equal(seal(kr, sealed, "clients.key", client_a, E4_ID_LEN, key, sizeof key), 0);
    /* another row of the same column */
    assert_int_equal(
        open_as(kr, "clients.key", client_b, E4_ID_LEN, sealed, sizeof sealed, NULL, NULL), -1);
    /* the same row in another column */
    assert_int_equal(
        open_as(kr, "outbox.key", client_a, E4_ID_LEN, sealed, sizeof sealed, NULL, NULL), -1);
    assert_int_equal(
        open_as(kr, "topics.key", client_a, E4_ID_LEN, sealed, sizeof sealed, NULL, NULL), -1);
    /* a row that is a prefix, or one byte longer */
    assert_int_equal(
        open_as(kr, "clients.key", client_a, E4_ID_LEN - 1, sealed, sizeof sealed, NULL, NULL), -1);
    assert_int_equal(open_as(kr, "clients.key", NULL, 0, sealed, sizeof sealed, NULL, NULL), -1);
    /* the column/row boundary is part of the place: "clients.ke" + "y..." */
    {
        uint8_t shifted[E4_ID_LEN + 1];
        shifted[0] = 'y';
        memcpy(shifted + 1, client_a, E4_ID_LEN);
        assert_int_equal(
            open_as(kr, "clients.ke", shifted, sizeof shifted, sealed, sizeof sealed, NULL, NULL),
            -1);
    }
    /* a topic key bound to (name, version) opens for no other version */
    memcpy(topic_row, "room", 5);
    memcpy(topic_row + 5, &v1, 8);
    memcpy(topic_row2, "room", 5);
    memcpy(topic_row2 + 5, &v2, 8);
    assert_int_equal(seal(kr, sealed, "topics.key", topic_row, 13, key, sizeof key), 0);
    assert_int_equal(open_as(kr, "topics.key", topic_row, 13, sealed, sizeof sealed, NULL, NULL),
                     0);
    assert_int_equal(open_as(kr, "topics.key", topic_row2, 13, sealed, sizeof sealed, NULL, NULL),
                     -1);
    keyring_free(kr);
    db_close(d);
}

static void test_damaged_does_not_open(void **state)
{
    db *d = new_db();
    keyring *kr = create_pass(d, PASS);
    uint8_t key[E4_KEY_LEN], sealed[E4_KEY_LEN + SEAL_OVERHEAD],
        bad[E4_KEY_LEN + SEAL_OVERHEAD + 1];
    size_t i, n;
    (void)state;
    randombytes_buf(key, sizeof key);
    assert_int_equal(seal(kr, sealed, "clients.key", client_a, E4_ID_LEN, key, sizeof key), 0);
    /* every byte: nonce, ciphertext, tag */
    for (i = 0; i < sizeof sealed; i++) {
        memcpy(bad, sealed, sizeof sealed);
        bad[i] ^= 0x01;
        if (open_as(kr, "clients.key", client_a, E4_ID_LEN, bad, sizeof sealed, NULL, NULL) != -1)
            fail_msg("a value with byte %zu changed opens", i);
    }
    /* cut to every shorter length, or extended by one byte */
    for (n = 0; n < sizeof sealed; n++)
        if (open_as(kr, "clients.key", client_a, E4_ID_LEN, sealed, n, NULL, NULL) != -1)
            fail_msg("a value cut to %zu bytes opens", n);
    memcpy(bad, sealed, sizeof sealed);
    bad[sizeof sealed] = 0;
    assert_int_equal(
        open_as(kr, "clients.key", client_a, E4_ID_LEN, bad, sizeof sealed + 1, NULL, NULL), -1);
    keyring_free(kr);
    db_close(d);
}

static void test_wrong_key_does_not_open(void **state)
{
    db *d1 = new_db(), *d2 = new_db(), *d3 = new_db();
    keyring *k1 = create_pass(d1, PASS), *k2 = create_pass(d2, PASS2), *k3 = create_pass(d3, PASS);
    uint8_t key[E4_KEY_LEN], sealed[E4_KEY_LEN + SEAL_OVERHEAD];
    (void)state;
    randombytes_buf(key, sizeof key);
    assert_int_equal(seal(k1, sealed, "clients.key", client_a, E4_ID_LEN, key, sizeof key), 0);
    /* another passphrase */
    assert_int_equal(
        open_as(k2, "clients.key", client_a, E4_ID_LEN, sealed, sizeof sealed, NULL, NULL), -1);
    /* the same passphrase over another database: another salt, another key */
    assert_int_equal(
        open_as(k3, "clients.key", client_a, E4_ID_LEN, sealed, sizeof sealed, NULL, NULL), -1);
    keyring_free(k1);
    keyring_free(k2);
    keyring_free(k3);
    db_close(d1);
    db_close(d2);
    db_close(d3);
}

/* ---- passphrase keyrings and the check value ----------------------------- */

static void test_unlock_passphrase(void **state)
{
    db *d = new_db();
    keyring *kr = create_pass(d, PASS), *again;
    keyring_source right = pass_src(PASS), wrong = pass_src(PASS2), shortp = pass_src("too short");
    keyring_source none = {0}, both = {.passphrase = PASS, .key_file = "/nonexistent"};
    uint8_t key[E4_KEY_LEN], sealed[E4_KEY_LEN + SEAL_OVERHEAD], plain[E4_KEY_LEN];
    c2_error e = {0};
    size_t len = 0;
    (void)state;
    randombytes_buf(key, sizeof key);
    assert_int_equal(seal(kr, sealed, "clients.key", client_a, E4_ID_LEN, key, sizeof key), 0);

    /* the right passphrase: the same key, values sealed before open */
    right.kdf_ops = right.kdf_mem_kib = 0; /* unlock reads the cost from the database */
    again = keyring_unlock(d, &right, &e);
    if (!again)
        fail_msg("keyring_unlock: %s", e.message);
    assert_int_equal(
        open_as(again, "clients.key", client_a, E4_ID_LEN, sealed, sizeof sealed, plain, &len), 0);
    assert_memory_equal(plain, key, E4_KEY_LEN);
    keyring_free(again);

    /* a wrong one: refused by the check value, clearly */
    memset(&e, 0, sizeof e);
    assert_null(keyring_unlock(d, &wrong, &e));
    assert_int_equal(e.code, C2_INVALID);
    assert_non_null(strstr(e.message, "wrong passphrase"));
    assert_null(strstr(e.message, PASS2));

    /* too short, none, both */
    memset(&e, 0, sizeof e);
    assert_null(keyring_unlock(d, &shortp, &e));
    assert_non_null(strstr(e.message, "at least 12 characters"));
    {
        db *fresh = new_db();
        memset(&e, 0, sizeof e);
        assert_null(keyring_create(fresh, &shortp, &e));
        assert_non_null(strstr(e.message, "at least 12 characters"));
        db_close(fresh);
    }
    memset(&e, 0, sizeof e);
    assert_null(keyring_unlock(d, &none, &e));
    assert_int_equal(e.code, C2_INVALID);
    memset(&e, 0, sizeof e);
    assert_null(keyring_unlock(d, &both, &e));
    assert_int_equal(e.code, C2_INVALID);

    /* a passphrase database opened with a key file: told which it needs */
    {
        uint8_t raw[32] = {0};
        memset(&e, 0, sizeof e);
        assert_null(key_file_keyring(d, 0, raw, sizeof raw, &e));
        assert_non_null(strstr(e.message, "initialised with a passphrase"));
    }
    keyring_free(kr);
    db_close(d);
}

static void test_check_value_tampered(void **state)
{
    db *d = new_db();
    keyring *kr = create_pass(d, PASS);
    keyring_source right = pass_src(PASS);
    c2_error e = {0};
    uint8_t check[256], salt[64];
    size_t n = 0, sn = 0;
    db_val p[1];
    (void)state;
    keyring_free(kr);
    assert_int_equal(meta_get_blob(d, "check", check, sizeof check, &n, &e), 0);
    assert_int_equal(n, sizeof "e4c2 master key check v1" + SEAL_OVERHEAD);

    /* one bit of the check value changed: the right passphrase no longer
     * proves itself, and start-up stops rather than work with garbage */
    check[n / 2] ^= 0x80;
    p[0] = DB_BLOB(check, n);
    assert_int_equal(db_exec(d, "UPDATE meta SET b = $1 WHERE k = 'check'", p, 1), 1);
    assert_null(keyring_unlock(d, &right, &e));
    assert_non_null(strstr(e.message, "wrong passphrase"));
    check[n / 2] ^= 0x80;
    assert_int_equal(db_exec(d, "UPDATE meta SET b = $1 WHERE k = 'check'", p, 1), 1);
    memset(&e, 0, sizeof e);
    kr = keyring_unlock(d, &right, &e);
    assert_non_null(kr);
    keyring_free(kr);

    /* another salt derives another key: refused the same way */
    assert_int_equal(meta_get_blob(d, "kdf_salt", salt, sizeof salt, &sn, &e), 0);
    salt[0] ^= 1;
    p[0] = DB_BLOB(salt, sn);
    assert_int_equal(db_exec(d, "UPDATE meta SET b = $1 WHERE k = 'kdf_salt'", p, 1), 1);
    memset(&e, 0, sizeof e);
    assert_null(keyring_unlock(d, &right, &e));
    assert_non_null(strstr(e.message, "wrong passphrase"));

    /* a salt of the wrong length: damaged parameters */
    p[0] = DB_BLOB(salt, 3);
    assert_int_equal(db_exec(d, "UPDATE meta SET b = $1 WHERE k = 'kdf_salt'", p, 1), 1);
    memset(&e, 0, sizeof e);
    assert_null(keyring_unlock(d, &right, &e));
    assert_int_equal(e.code, C2_INTERNAL);
    assert_non_null(strstr(e.message, "damaged"));
    db_close(d);
}

static void test_unlock_uninitialised(void **state)
{
    db *d = new_db();
    keyring_source right = pass_src(PASS);
    c2_error e = {0};
    (void)state;
    assert_null(keyring_unlock(d, &right, &e));
    assert_int_not_equal(e.code, C2_OK);
    db_close(d);
}

/* ---- key files ------------------------------------------------------------ */

static void test_key_file_forms(void **state)
{
    db *d = new_db();
    uint8_t raw[32], key[E4_KEY_LEN], sealed[E4_KEY_LEN + SEAL_OVERHEAD], plain[E4_KEY_LEN];
    char hex[64 + 8];
    c2_error e;
    keyring *kr, *k2;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof raw; i++)
        raw[i] = (uint8_t)(0xf0 ^ (i * 29));
    kr = key_file_keyring(d, 1, raw, sizeof raw, &e);
    if (!kr)
        fail_msg("keyring_create with 32 raw bytes: %s", e.message);
    randombytes_buf(key, sizeof key);
    assert_int_equal(seal(kr, sealed, "clients.key", client_a, E4_ID_LEN, key, sizeof key), 0);

    /* the same key as 64 hex digits (lower or upper case, with a newline
     * or CRLF or spaces after it) unlocks the database and opens values */
    hex_of(hex, raw, sizeof raw);
    {
        const char *tails[] = {"", "\n", "\r\n", "  \n"};
        for (i = 0; i < 4; i++) {
            char buf[80];
            size_t n = (size_t)snprintf(buf, sizeof buf, "%s%s", hex, tails[i]);
            if (i == 2) {
                size_t k;
                for (k = 0; k < 64; k++)
                    if (buf[k] >= 'a' && buf[k] <= 'f')
                        buf[k] = (char)(buf[k] - 'a' + 'A');
            }
            k2 = key_file_keyring(d, 0, buf, n, &e);
            if (!k2)
                fail_msg("keyring_unlock with hex form %zu: %s", i, e.message);
            assert_int_equal(
                open_as(k2, "clients.key", client_a, E4_ID_LEN, sealed, sizeof sealed, plain, NULL),
                0);
            assert_memory_equal(plain, key, sizeof key);
            keyring_free(k2);
        }
    }

    /* another key: a clear error that names the key file, not a passphrase */
    raw[0] ^= 1;
    assert_null(key_file_keyring(d, 0, raw, sizeof raw, &e));
    assert_int_equal(e.code, C2_INVALID);
    assert_non_null(strstr(e.message, "wrong master key"));
    raw[0] ^= 1;

    /* a key-file database opened with a passphrase */
    {
        keyring_source p = pass_src(PASS);
        memset(&e, 0, sizeof e);
        assert_null(keyring_unlock(d, &p, &e));
        assert_non_null(strstr(e.message, "initialised with a key file"));
    }
    keyring_free(kr);
    db_close(d);
}

static void expect_bad_key_file(const void *bytes, size_t n, const char *what)
{
    db *d = new_db();
    c2_error e;
    keyring *kr = key_file_keyring(d, 1, bytes, n, &e);
    if (kr)
        fail_msg("a key file of %s is accepted", what);
    assert_int_equal(e.code, C2_INVALID);
    if (!strstr(e.message, "must hold 32 bytes or 64 hex digits"))
        fail_msg("%s: unclear message \"%s\"", what, e.message);
    db_close(d);
}

static void test_key_file_bad_lengths(void **state)
{
    uint8_t raw[200];
    char hex[200];
    db *d;
    c2_error e = {0};
    keyring_source missing = {.key_file = "/nonexistent/e4c2/master.key"};
    (void)state;
    memset(raw, 0x11, sizeof raw);
    memset(hex, 'a', sizeof hex);
    expect_bad_key_file(raw, 1, "1 byte");
    expect_bad_key_file(raw, 16, "16 bytes");
    expect_bad_key_file(raw, 31, "31 bytes");
    expect_bad_key_file(raw, 33, "33 bytes");
    expect_bad_key_file(raw, 64, "64 raw bytes");
    expect_bad_key_file(hex, 62, "62 hex digits");
    expect_bad_key_file(hex, 63, "63 hex digits");
    expect_bad_key_file(hex, 65, "65 hex digits");
    expect_bad_key_file(hex, 128, "128 hex digits");
    hex[10] = 'g';
    expect_bad_key_file(hex, 64, "64 characters, one not hex");
    hex[10] = ' ';
    expect_bad_key_file(hex, 64, "64 characters with a space inside");
    expect_bad_key_file("", 0, "0 bytes");

    d = new_db();
    assert_null(keyring_create(d, &missing, &e));
    assert_int_equal(e.code, C2_INVALID);
    assert_non_null(strstr(e.message, "cannot open key file"));
    db_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_too_long_refused),
        cmocka_unit_test(test_other_place_does_not_open),
        cmocka_unit_test(test_damaged_does_not_open),
        cmocka_unit_test(test_wrong_key_does_not_open),
        cmocka_unit_test(test_unlock_passphrase),
        cmocka_unit_test(test_check_value_tampered),
        cmocka_unit_test(test_unlock_uninitialised),
        cmocka_unit_test(test_key_file_forms),
        cmocka_unit_test(test_key_file_bad_lengths),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
