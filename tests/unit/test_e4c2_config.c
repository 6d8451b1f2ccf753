/*
 * test_e4c2_config.c - e4c2's configuration file (src/e4c2/config.c,
 * config_parse_text and config_load_file): "key = value" lines, comments,
 * blank lines, '_' for '-', errors that name the line, later lines win.
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

#include "config.h"

/* ---- helpers -------------------------------------------------------------- */

static char err[256];

static int parse(c2_config *c, const char *text)
{
    memset(err, 0, sizeof err);
    return config_parse_text(c, text, strlen(text), err, sizeof err);
}

static void check_ok(int line, c2_config *c, const char *text)
{
    if (parse(c, text) != 0)
        fail_msg("line %d: refused: %s", line, err);
}
#define OK(c, text) check_ok(__LINE__, (c), (text))

/* Refused, with an error that starts with want ("line N: ..."). */
static void check_bad(int line, const char *text, const char *want)
{
    c2_config c;
    memset(&c, 0, sizeof c);
    if (parse(&c, text) == 0)
        fail_msg("line %d: accepted, want \"%s\"", line, want);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("line %d: got \"%s\", want \"%s...\"", line, err, want);
    config_free(&c); /* what earlier lines set is freed (ASan: no leak) */
}
#define BAD(text, want) check_bad(__LINE__, (text), (want))

#define STR(got, want) assert_string_equal((got) ? (got) : "(null)", (want))

/* ---- cases ----------------------------------------------------------------- */

static void test_key_value(void **state)
{
    c2_config c;
    (void)state;
    memset(&c, 0, sizeof c);
    OK(&c, "db = sqlite:/var/lib/e4c2/e4c2.db\n"
           "listen=127.0.0.1:9000\n"
           "   broker   =   mqtt://127.0.0.1:1883   \n"
           "log-level = debug"); /* the last line needs no newline */
    STR(c.db, "sqlite:/var/lib/e4c2/e4c2.db");
    STR(c.listen, "127.0.0.1:9000");
    STR(c.broker, "mqtt://127.0.0.1:1883");
    STR(c.log_level, "debug");
    assert_null(c.passphrase_file);
    assert_null(c.mode);
    assert_int_equal(c.read_only, 0);
    assert_int_equal(c.json, 0);
    config_free(&c);
    assert_null(c.db);
    assert_null(c.listen);
}

static void test_comments_and_blanks(void **state)
{
    c2_config c;
    (void)state;
    memset(&c, 0, sizeof c);
    OK(&c, "");
    OK(&c, "\n\n\n");
    OK(&c, "# a comment\n"
           "   # an indented comment = with an equals sign\n"
           "\t\n"
           "   \n"
           "#db = sqlite:commented-out.db\n"
           "mode = pk\n"
           "\n");
    assert_null(c.db);
    STR(c.mode, "pk");
    config_free(&c);
}

static void test_underscores_for_dashes(void **state)
{
    c2_config c;
    (void)state;
    memset(&c, 0, sizeof c);
    OK(&c, "passphrase_file = /etc/e4c2/passphrase\n"
           "key-file = /etc/e4c2/master.key\n"
           "broker_password_file = /etc/e4c2/mqtt.pass\n"
           "broker_cafile = ca.pem\n"
           "broker-username = c2\n"
           "kdf_ops = 3\nkdf_mem = 65536\n"
           "tls_cert = cert.pem\ntls_key = key.pem\n"
           "lease = 30\npool = 8\nmax_inflight = 20\n");
    STR(c.passphrase_file, "/etc/e4c2/passphrase");
    STR(c.key_file, "/etc/e4c2/master.key");
    STR(c.broker_password_file, "/etc/e4c2/mqtt.pass");
    STR(c.broker_cafile, "ca.pem");
    STR(c.broker_username, "c2");
    STR(c.kdf_ops, "3");
    STR(c.kdf_mem, "65536");
    STR(c.tls_cert, "cert.pem");
    STR(c.tls_key, "key.pem");
    STR(c.lease, "30");
    STR(c.pool, "8");
    STR(c.max_inflight, "20");
    config_free(&c);
}

static void test_values(void **state)
{
    c2_config c;
    (void)state;
    memset(&c, 0, sizeof c);
    /* the value is everything after the first '=', trimmed */
    OK(&c, "db = postgresql://c2@db/e4c2?sslmode=require&application_name=e4c2\n");
    STR(c.db, "postgresql://c2@db/e4c2?sslmode=require&application_name=e4c2");
    /* CRLF line ends */
    OK(&c, "broker = mqtts://b:8883\r\nlisten = 0.0.0.0:8640\r\n");
    STR(c.broker, "mqtts://b:8883");
    STR(c.listen, "0.0.0.0:8640");
    /* spaces inside a value are kept */
    OK(&c, "broker_username = c2 operator\n");
    STR(c.broker_username, "c2 operator");
    config_free(&c);
}

static void test_later_values_win(void **state)
{
    c2_config c;
    (void)state;
    memset(&c, 0, sizeof c);
    OK(&c, "db = sqlite:first.db\nlog_level = info\ndb = sqlite:second.db\nlog-level = warn\n");
    STR(c.db, "sqlite:second.db");
    STR(c.log_level, "warn");
    /* and a second text (or file) over the first */
    OK(&c, "db = sqlite:third.db\n");
    STR(c.db, "sqlite:third.db");
    STR(c.log_level, "warn");
    config_free(&c);
}

static void test_errors_name_the_line(void **state)
{
    char long_value[4200];
    (void)state;
    BAD("colour = blue\n", "line 1: unknown setting \"colour\"");
    BAD("# settings\n\ndb = sqlite:x.db\ncolour = blue\n", "line 4: unknown setting \"colour\"");
    BAD("db sqlite:x.db\n", "line 1: expected \"key = value\"");
    BAD("db = a\n\n  listen 127.0.0.1:1\n", "line 3: expected \"key = value\"");
    BAD("db =\n", "line 1: db needs a value");
    BAD("mode = pk\ndb =   \t \n", "line 2: db needs a value");
    BAD("= sqlite:x.db\n", "line 1: unknown setting \"\"");
    /* a key is a whole name: no prefix, no suffix, no other case */
    BAD("d = x\n", "line 1: unknown setting \"d\"");
    BAD("dbx = x\n", "line 1: unknown setting \"dbx\"");
    BAD("DB = x\n", "line 1: unknown setting \"DB\"");
    BAD("log--level = x\n", "line 1: unknown setting");
    /* flags that are not settings */
    BAD("config = other.conf\n", "line 1: unknown setting \"config\"");
    BAD("read_only = 1\n", "line 1: unknown setting \"read_only\"");
    /* a value of 4095 bytes is the most */
    memcpy(long_value, "db = ", 5);
    memset(long_value + 5, 'x', 4096);
    long_value[5 + 4096] = 0;
    BAD(long_value, "line 1: db needs a value (1 to 4095 bytes)");
    {
        c2_config c;
        memset(&c, 0, sizeof c);
        long_value[5 + 4095] = 0;
        OK(&c, long_value);
        assert_int_equal(strlen(c.db), 4095);
        config_free(&c);
    }
    /* a NUL inside a value */
    {
        c2_config c;
        static const char text[] = "db = a\0b\n";
        memset(&c, 0, sizeof c);
        assert_int_equal(config_parse_text(&c, text, sizeof text - 1, err, sizeof err), -1);
        assert_non_null(strstr(err, "line 1: db needs a value"));
        config_free(&c);
    }
}

static void test_error_buffer_small(void **state)
{
    c2_config c;
    char small[8];
    (void)state;
    memset(&c, 0, sizeof c);
    memset(small, 'z', sizeof small);
    assert_int_equal(config_parse_text(&c, "colour = blue", 13, small, 6), -1);
    assert_string_equal(small, "line ");
    assert_int_equal(small[6], 'z');
    config_free(&c);
}

static void test_load_file(void **state)
{
    const char *dir = getenv("TMPDIR");
    char path[512], msg[512];
    c2_config c;
    FILE *f;
    int fd;
    (void)state;
    memset(&c, 0, sizeof c);
    snprintf(path, sizeof path, "%s/e4c2-test-config.XXXXXX", dir && *dir ? dir : "/tmp");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("# e4c2\ndb = sqlite:from-file.db\nbogus = 1\n", f);
    fclose(f);
    assert_int_equal(config_load_file(&c, path, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, "line 3: unknown setting \"bogus\""));
    config_free(&c);

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("db = sqlite:from-file.db\n", f);
    fclose(f);
    assert_int_equal(config_load_file(&c, path, msg, sizeof msg), 0);
    STR(c.db, "sqlite:from-file.db");
    config_free(&c);
    unlink(path);

    assert_int_equal(config_load_file(&c, "/nonexistent/e4c2.conf", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "cannot open /nonexistent/e4c2.conf"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_value),
        cmocka_unit_test(test_comments_and_blanks),
        cmocka_unit_test(test_underscores_for_dashes),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_later_values_win),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_error_buffer_small),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
