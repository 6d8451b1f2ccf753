/*
 * mqttinfo's --password-file route: a read error in the middle of the file
 * (a stream that yields part of a line, then fails with EIO) and at its
 * start (a directory) is reported as a read error with its cause, never as
 * "empty", and leaves nothing of the password in the buffer or the message;
 * a whole line, a missing line end at EOF, an empty and an overlong file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"

#define PART "hunter2-part"

/* A stream that gives PART, then fails. */
static ssize_t failing_read(void *cookie, char *buf, size_t size)
{
    int *calls = cookie;
    if ((*calls)++ == 0) {
        size_t n = strlen(PART) < size ? strlen(PART) : size;
        memcpy(buf, PART, n);
        return (ssize_t)n;
    }
    errno = EIO;
    return -1;
}

/* stderr goes to a temporary file while fn runs; its text is returned. */
static char *captured;
static int run_captured(int (*fn)(void *), void *arg)
{
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0 && dup2(fileno(tmp), 2) == 2);
    int rc = fn(arg);
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    long n = ftell(tmp);
    assert_true(n >= 0);
    free(captured);
    captured = calloc(1, (size_t)n + 1);
    rewind(tmp);
    assert_int_equal(fread(captured, 1, (size_t)n, tmp), (size_t)n);
    fclose(tmp);
    return rc;
}

static char buf[256];

static int read_failing(void *arg)
{
    (void)arg;
    int calls = 0;
    cookie_io_functions_t io = {.read = failing_read};
    FILE *f = fopencookie(&calls, "r", io);
    assert_non_null(f);
    int rc = mi_password_read(f, "pw.txt", buf, sizeof buf, "mqttinfo");
    assert_true(calls >= 2); /* the error came after the part */
    fclose(f);
    return rc;
}

static void assert_wiped(void)
{
    static const char zero[sizeof buf];
    assert_memory_equal(buf, zero, sizeof buf);
}

static void test_read_error_mid_file(void **st)
{
    (void)st;
    memset(buf, 'x', sizeof buf);
    assert_int_equal(run_captured(read_failing, NULL), -1);
    assert_wiped();
    assert_non_null(strstr(captured, "mqttinfo: cannot read the password file pw.txt: "));
    assert_non_null(strstr(captured, strerror(EIO)));
    assert_null(strstr(captured, "empty"));
    assert_null(strstr(captured, "hunter2"));
}

static int resolve_dir(void *arg)
{
    mi_options o;
    mi_options_defaults(&o);
    return mi_password_resolve(&o, arg, buf, sizeof buf, "mqttinfo");
}

static void test_read_error_at_start(void **st)
{
    (void)st;
    char dir[] = "/tmp/mi-pw-XXXXXX";
    assert_non_null(mkdtemp(dir));
    memset(buf, 'x', sizeof buf);
    assert_int_equal(run_captured(resolve_dir, dir), -1);
    rmdir(dir);
    assert_wiped();
    assert_non_null(strstr(captured, "cannot read the password file"));
    assert_non_null(strstr(captured, strerror(EISDIR)));
}

/* mi_password_read over a memory stream holding text. */
static int read_text(const char *text)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    int rc = mi_password_read(f, "pw.txt", buf, sizeof buf, "mqttinfo");
    fclose(f);
    return rc;
}

static int read_long(void *arg)
{
    return read_text(arg);
}

static void test_lines(void **st)
{
    (void)st;
    assert_int_equal(read_text("s3cret pass\r\nsecond line\n"), 0);
    assert_string_equal(buf, "s3cret pass");
    assert_int_equal(read_text("no line end"), 0);
    assert_string_equal(buf, "no line end");
    char *long_line = malloc(400);
    memset(long_line, 'a', 399);
    long_line[399] = 0;
    assert_int_equal(run_captured(read_long, long_line), -1);
    assert_wiped();
    assert_non_null(strstr(captured, "too long"));
    assert_int_equal(run_captured(read_long, ""), -1);
    assert_non_null(strstr(captured, "is empty"));
    free(long_line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_error_mid_file),
        cmocka_unit_test(test_read_error_at_start),
        cmocka_unit_test(test_lines),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(captured);
    return rc;
}
