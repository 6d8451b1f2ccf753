/*
 * The console's file server: which names under /ui/ may be opened
 * (src/e4c2/ui_files.c) and with which content type; and the route the
 * console asks its token's access with (GET /v1/whoami, any token, GET only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_route.h"
#include "ui_files.h"

static void test_names_allowed(void **state)
{
    const char *ok[] = {"",           "index.html", "console.js", "console.css", "img/logo.svg",
                        "a-b_c.1.js", "x/y/z.png"};
    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(ui_name_ok(ok[i]), 0);
}

static void test_names_refused(void **state)
{
    const char *bad[] = {"..",
                         "../e4c2.db",
                         "a/../../etc/passwd",
                         "%2e%2e/x",
                         "..%2fx",
                         ".hidden",
                         "a/.git/config",
                         "/etc/passwd",
                         "a//b",
                         "dir/",
                         "a\\b",
                         "a b",
                         "a\n",
                         "c%00.js",
                         "a/./b",
                         "~root",
                         "a;b",
                         "a?b"};
    char longname[UI_NAME_MAX + 2];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ui_name_ok(bad[i]) != -1)
            fail_msg("\"%s\" must be refused", bad[i]);
    }
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(ui_name_ok(longname), -1);
    longname[UI_NAME_MAX] = 0;
    assert_int_equal(ui_name_ok(longname), 0);
}

static void test_content_types(void **state)
{
    (void)state;
    assert_string_equal(ui_content_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(ui_content_type("console.js"), "text/javascript; charset=utf-8");
    assert_string_equal(ui_content_type("console.css"), "text/css; charset=utf-8");
    assert_string_equal(ui_content_type("a/b.svg"), "image/svg+xml");
    assert_string_equal(ui_content_type("shot.png"), "image/png");
    assert_null(ui_content_type("e4c2.db")); /* not a console file type: never served */
    assert_null(ui_content_type("html"));
    assert_null(ui_content_type("Makefile"));
}

static void test_whoami_route(void **state)
{
    api_match m;
    api_error e;
    (void)state;
    assert_int_equal(api_route_match("GET", "/v1/whoami", &m, &e), 0);
    assert_int_equal(m.route->access, API_READ); /* a read-only token may ask */
    assert_int_equal(api_route_match("POST", "/v1/whoami", &m, &e), -1);
    assert_int_equal(e.status, 405);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_allowed),
        cmocka_unit_test(test_names_refused),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_whoami_route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
