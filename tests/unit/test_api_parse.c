/*
 * test_api_parse.c - e4c2's API request parsing (src/e4c2/api_parse.c,
 * api_body.c): every rejection with its HTTP status, JSON error code and
 * message; secrets never in messages; decoded keys wiped on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_parse.h"

/* ---- helpers -------------------------------------------------------------- */

static void check_err(int line, int rc, const api_error *e, int status, const char *code,
                      const char *substr)
{
    if (rc == 0)
        fail_msg("line %d: accepted, want %d %s \"%s\"", line, status, code, substr);
    if (e->status != status || strcmp(e->code, code) != 0 || !strstr(e->message, substr))
        fail_msg("line %d: got %d %s \"%s\", want %d %s \"...%s...\"", line, e->status, e->code,
                 e->message, status, code, substr);
}
#define ERR(rc, e, status, code, substr) check_err(__LINE__, (rc), (e), (status), (code), (substr))
#define BAD(rc, e, substr) ERR(rc, e, 400, "invalid_argument", substr)

static void check_ok(int line, int rc, const api_error *e)
{
    if (rc != 0)
        fail_msg("line %d: rejected: %d %s \"%s\"", line, e->status, e->code, e->message);
}
#define OK(rc, e) check_ok(__LINE__, (rc), (e))

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = 0;
    return s;
}

static json_t *parse(const char *text)
{
    api_error e;
    json_t *j = api_json_parse(text, strlen(text), &e);
    if (!j)
        fail_msg("test JSON rejected: %s", e.message);
    return j;
}

/* ---- errors, hex, quoting ------------------------------------------------- */

static void test_errors(void **state)
{
    api_error e;
    c2_error c2 = {C2_NOT_FOUND, "no client \"x\""};
    (void)state;
    assert_string_equal(api_status_code(400), "invalid_argument");
    assert_string_equal(api_status_code(401), "unauthorized");
    assert_string_equal(api_status_code(403), "forbidden");
    assert_string_equal(api_status_code(404), "not_found");
    assert_string_equal(api_status_code(405), "method_not_allowed");
    assert_string_equal(api_status_code(409), "conflict");
    assert_string_equal(api_status_code(413), "payload_too_large");
    assert_string_equal(api_status_code(415), "unsupported_media_type");
    assert_string_equal(api_status_code(503), "unavailable");
    assert_string_equal(api_status_code(500), "internal");
    assert_string_equal(api_status_code(418), "internal");
    ERR(api_fail_c2(&e, &c2), &e, 404, "not_found", "no client \"x\"");
    c2 = (c2_error){C2_WRONG_MODE, "SK mode"};
    ERR(api_fail_c2(&e, &c2), &e, 409, "wrong_mode", "SK mode");
    c2 = (c2_error){C2_CONFLICT, "taken"};
    ERR(api_fail_c2(&e, &c2), &e, 409, "conflict", "taken");
    c2 = (c2_error){C2_UNAVAILABLE, ""};
    ERR(api_fail_c2(&e, &c2), &e, 503, "unavailable", "internal error");
    c2 = (c2_error){C2_OK, ""}; /* a store that forgot its error */
    ERR(api_fail_c2(&e, &c2), &e, 500, "internal", "internal error");
    c2 = (c2_error){C2_INVALID, "bad"};
    ERR(api_fail_c2(&e, &c2), &e, 400, "invalid_argument", "bad");
    assert_string_equal(c2_err_code(C2_INTERNAL), "internal");
    assert_int_equal(c2_err_http_status(C2_INTERNAL), 500);
}

static void test_hex(void **state)
{
    uint8_t b[4];
    char s[9];
    (void)state;
    assert_int_equal(api_hex_decode(b, 4, "00fFa19B", 8), 0);
    assert_memory_equal(b, "\x00\xff\xa1\x9b", 4);
    api_hex_encode(s, b, 4);
    assert_string_equal(s, "00ffa19b");
    assert_int_equal(api_hex_decode(b, 4, "00ffa19", 7), -1);   /* short */
    assert_int_equal(api_hex_decode(b, 4, "00ffa19b0", 9), -1); /* long */
    assert_int_equal(api_hex_decode(b, 4, "00ffa19g", 8), -1);  /* not hex */
    assert_int_equal(api_hex_decode(b, 4, "0x00ffa1", 8), -1);
    assert_int_equal(api_hex_decode(b, 4, "00 ffa19", 8), -1);
    assert_memory_equal(b, "\0\0\0\0", 4); /* wiped on failure */
}

static void test_quote(void **state)
{
    char out[64];
    char *lng = repeat('k', 100);
    (void)state;
    api_quote(out, sizeof out, "a\"b\\c\x01\xff");
    assert_string_equal(out, "a\\x22b\\x5cc\\x01\\xff");
    api_quote(out, sizeof out, lng);
    assert_int_equal(strlen(out), 43);
    assert_string_equal(out + 40, "...");
    free(lng);
}

/* ---- path segments -------------------------------------------------------- */

static void test_percent_decode(void **state)
{
    char out[8];
    (void)state;
    assert_int_equal(api_percent_decode("a%2Fb", 5, out, sizeof out), 3);
    assert_string_equal(out, "a/b");
    assert_int_equal(api_percent_decode("%2f%41", 6, out, sizeof out), 2);
    assert_string_equal(out, "/A");
    assert_int_equal(api_percent_decode("a+b", 3, out, sizeof out), 3); /* '+' is '+' in paths */
    assert_int_equal(api_percent_decode("%C3%A9", 6, out, sizeof out), 2);
    assert_int_equal(api_percent_decode("%zz", 3, out, sizeof out), API_PCT_ESCAPE);
    assert_int_equal(api_percent_decode("%2", 2, out, sizeof out), API_PCT_ESCAPE);
    assert_int_equal(api_percent_decode("ab%", 3, out, sizeof out), API_PCT_ESCAPE);
    assert_int_equal(api_percent_decode("%2G", 3, out, sizeof out), API_PCT_ESCAPE);
    assert_int_equal(api_percent_decode("a%00", 4, out, sizeof out), API_PCT_NUL);
    assert_int_equal(api_percent_decode("abcdefgh", 8, out, sizeof out), API_PCT_LONG);
    assert_int_equal(api_percent_decode("abcdefg", 7, out, sizeof out), 7);
    assert_int_equal(api_percent_decode("%C3%28", 6, out, sizeof out), API_PCT_UTF8);
    assert_int_equal(api_percent_decode("%ED%A0%80", 9, out, sizeof out), API_PCT_UTF8);
    assert_int_equal(api_percent_decode("\xff", 1, out, sizeof out), API_PCT_UTF8);
}

static void test_path_param(void **state)
{
    char out[E4_TOPIC_MAX + 1];
    api_error e;
    char *t512 = repeat('t', 512), *t513 = repeat('t', 513), *c256 = repeat('c', 256);
    (void)state;
    OK(api_path_param(API_PARAM_TOPIC, "topic", "a%2Fb%2Fc", 9, out, sizeof out, &e), &e);
    assert_string_equal(out, "a/b/c");
    OK(api_path_param(API_PARAM_TOPIC, "topic", t512, 512, out, sizeof out, &e), &e);
    OK(api_path_param(API_PARAM_CLIENT, "client", c256, 255, out, sizeof out, &e), &e);
    BAD(api_path_param(API_PARAM_TOPIC, "topic", t513, 513, out, sizeof out, &e), &e,
        "topic must be 1 to 512 bytes");
    BAD(api_path_param(API_PARAM_CLIENT, "client", c256, 256, out, sizeof out, &e), &e,
        "client must be 1 to 255 bytes");
    BAD(api_path_param(API_PARAM_CLIENT, "source", "", 0, out, sizeof out, &e), &e,
        "source must be 1 to 255 bytes");
    BAD(api_path_param(API_PARAM_TOPIC, "topic", "a%zz", 4, out, sizeof out, &e), &e,
        "topic: malformed percent-encoding");
    BAD(api_path_param(API_PARAM_CLIENT, "client", "a%00b", 5, out, sizeof out, &e), &e,
        "client must not contain NUL");
    BAD(api_path_param(API_PARAM_CLIENT, "client", "%ff", 3, out, sizeof out, &e), &e,
        "client must be valid UTF-8");
    free(t512), free(t513), free(c256);
}

/* ---- query parameters ----------------------------------------------------- */

static int query(unsigned allowed, api_query *q, api_error *e, const char *k1, const char *v1,
                 const char *k2, const char *v2)
{
    api_kv kv[2] = {{k1, v1}, {k2, v2}};
    return api_parse_query(kv, k2 ? 2 : k1 ? 1 : 0, allowed, q, e);
}

static void test_query_ok(void **state)
{
    api_query q;
    api_error e;
    (void)state;
    OK(query(API_Q_PAGE, &q, &e, NULL, NULL, NULL, NULL), &e);
    assert_int_equal(q.offset, 0);
    assert_int_equal(q.limit, 100);
    assert_int_equal(q.rotate, -1); /* not given: the policy decides */
    assert_int_equal(q.has_search, 0);
    assert_int_equal(q.has_after, 0);
    OK(query(API_Q_PAGE, &q, &e, "offset", "5", "limit", "1000"), &e);
    assert_int_equal(q.offset, 5);
    assert_int_equal(q.limit, 1000);
    OK(query(API_Q_PAGE | API_Q_SEARCH, &q, &e, "search", "a%2Fb c", "lim%69t", "1"), &e);
    assert_string_equal(q.search, "a/b c");
    assert_int_equal(q.has_search, 1);
    assert_int_equal(q.limit, 1);
    OK(query(API_Q_PAGE | API_Q_SEARCH, &q, &e, "search", "", NULL, NULL), &e);
    assert_int_equal(q.has_search, 0);
    OK(query(API_Q_EVENTS, &q, &e, "after", "42", NULL, NULL), &e);
    assert_int_equal(q.after, 42);
    assert_int_equal(q.has_after, 1);
    OK(query(API_Q_ROTATE, &q, &e, "rotate", "false", NULL, NULL), &e);
    assert_int_equal(q.rotate, 0);
    OK(query(API_Q_ROTATE, &q, &e, "rotate", "true", NULL, NULL), &e);
    assert_int_equal(q.rotate, 1);
}

/* members?behind=true: only the members not on the topic's current key */
static void test_query_behind(void **state)
{
    api_query q;
    api_error e;
    (void)state;
    OK(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, NULL, NULL, NULL, NULL), &e);
    assert_int_equal(q.behind, 0);
    OK(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", "true", NULL, NULL), &e);
    assert_int_equal(q.behind, 1);
    assert_int_equal(q.rotate, -1); /* the other flag keeps its default */
    OK(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", "false", "limit", "3"), &e);
    assert_int_equal(q.behind, 0);
    assert_int_equal(q.limit, 3);
    OK(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "beh%69nd", "%74rue", NULL, NULL), &e);
    assert_int_equal(q.behind, 1);
    BAD(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", "yes", NULL, NULL), &e,
        "behind must be true or false");
    BAD(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", "1", NULL, NULL), &e,
        "behind must be true or false");
    BAD(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", "TRUE", NULL, NULL), &e,
        "behind must be true or false");
    BAD(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", "", NULL, NULL), &e,
        "behind must be true or false");
    BAD(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", NULL, NULL, NULL), &e,
        "behind must be true or false");
    BAD(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", "%zz", NULL, NULL), &e,
        "behind must be true or false");
    BAD(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", "true", "behind", "false"), &e,
        "query parameter \"behind\" is given more than once");
    BAD(query(API_Q_PAGE | API_Q_BEHIND, &q, &e, "behind", "true", "behind", "true"), &e,
        "query parameter \"behind\" is given more than once");
    /* only where the route takes it (members), and not as rotate's twin */
    BAD(query(API_Q_PAGE, &q, &e, "behind", "true", NULL, NULL), &e,
        "unknown query parameter \"behind\"");
    BAD(query(API_Q_ROTATE, &q, &e, "behind", "false", NULL, NULL), &e,
        "unknown query parameter \"behind\"");
    BAD(query(API_Q_BEHIND, &q, &e, "rotate", "false", NULL, NULL), &e,
        "unknown query parameter \"rotate\"");
}

static void test_query_rejected(void **state)
{
    api_query q;
    api_error e;
    char *s513 = repeat('s', 513);
    (void)state;
    BAD(query(API_Q_PAGE, &q, &e, "limit", "0", NULL, NULL), &e,
        "limit must be an integer from 1 to 1000");
    BAD(query(API_Q_PAGE, &q, &e, "limit", "1001", NULL, NULL), &e, "limit must be an integer");
    BAD(query(API_Q_PAGE, &q, &e, "limit", "-1", NULL, NULL), &e, "limit must be an integer");
    BAD(query(API_Q_PAGE, &q, &e, "limit", "+5", NULL, NULL), &e, "limit must be an integer");
    BAD(query(API_Q_PAGE, &q, &e, "limit", "5x", NULL, NULL), &e, "limit must be an integer");
    BAD(query(API_Q_PAGE, &q, &e, "limit", "", NULL, NULL), &e, "limit must be an integer");
    BAD(query(API_Q_PAGE, &q, &e, "limit", NULL, NULL, NULL), &e, "limit must be an integer");
    BAD(query(API_Q_PAGE, &q, &e, "limit", "%zz", NULL, NULL), &e, "limit must be an integer");
    BAD(query(API_Q_PAGE, &q, &e, "offset", "-1", NULL, NULL), &e,
        "offset must be a non-negative integer");
    BAD(query(API_Q_PAGE, &q, &e, "offset", "99999999999999999999", NULL, NULL), &e,
        "offset must be a non-negative integer");
    BAD(query(API_Q_EVENTS, &q, &e, "after", "x", NULL, NULL), &e,
        "after must be a non-negative integer");
    BAD(query(API_Q_ROTATE, &q, &e, "rotate", "yes", NULL, NULL), &e,
        "rotate must be true or false");
    BAD(query(API_Q_ROTATE, &q, &e, "rotate", NULL, NULL, NULL), &e,
        "rotate must be true or false");
    BAD(query(API_Q_PAGE, &q, &e, "foo", "1", NULL, NULL), &e, "unknown query parameter \"foo\"");
    BAD(query(API_Q_PAGE, &q, &e, "search", "x", NULL, NULL), &e,
        "unknown query parameter \"search\"");
    BAD(query(0, &q, &e, "limit", "1", NULL, NULL), &e, "unknown query parameter \"limit\"");
    BAD(query(API_Q_PAGE, &q, &e, "a\x01", "1", NULL, NULL), &e,
        "unknown query parameter \"a\\x01\"");
    BAD(query(API_Q_PAGE, &q, &e, "limit", "1", "limit", "2"), &e,
        "query parameter \"limit\" is given more than once");
    BAD(query(API_Q_PAGE | API_Q_SEARCH, &q, &e, "search", s513, NULL, NULL), &e,
        "search must be at most 512 bytes");
    BAD(query(API_Q_PAGE | API_Q_SEARCH, &q, &e, "search", "a%00", NULL, NULL), &e,
        "search must be percent-encoded UTF-8 without NUL");
    BAD(query(API_Q_PAGE | API_Q_SEARCH, &q, &e, "search", "%ff", NULL, NULL), &e,
        "search must be percent-encoded UTF-8 without NUL");
    free(s513);
}

/* ---- headers -------------------------------------------------------------- */

static void test_length(void **state)
{
    api_error e;
    (void)state;
    OK(api_check_length(API_BODY_JSON, NULL, &e), &e);
    OK(api_check_length(API_BODY_JSON, "1048576", &e), &e);
    OK(api_check_length(API_BODY_IMPORT, "67108864", &e), &e);
    ERR(api_check_length(API_BODY_JSON, "1048577", &e), &e, 413, "payload_too_large",
        "request body exceeds 1048576 bytes");
    ERR(api_check_length(API_BODY_NONE, "1048577", &e), &e, 413, "payload_too_large",
        "exceeds 1048576 bytes");
    ERR(api_check_length(API_BODY_IMPORT, "67108865", &e), &e, 413, "payload_too_large",
        "exceeds 67108864 bytes");
    ERR(api_check_length(API_BODY_JSON, "99999999999999999999999", &e), &e, 400, "invalid_argument",
        "Content-Length must be a non-negative integer");
    ERR(api_check_length(API_BODY_JSON, "12a", &e), &e, 400, "invalid_argument",
        "Content-Length must be a non-negative integer");
    assert_int_equal(api_body_limit(API_BODY_JSON), 1 << 20);
    assert_int_equal(api_body_limit(API_BODY_IMPORT), 64 << 20);
}

static void test_content_type(void **state)
{
    api_error e;
    int nd = -1;
    (void)state;
    OK(api_check_content_type(API_BODY_JSON, "application/json", 2, &nd, &e), &e);
    assert_int_equal(nd, 0);
    OK(api_check_content_type(API_BODY_JSON, "Application/JSON; charset=utf-8", 2, &nd, &e), &e);
    OK(api_check_content_type(API_BODY_JSON, " application/json ;charset=utf-8", 2, &nd, &e), &e);
    OK(api_check_content_type(API_BODY_NONE, NULL, 0, &nd, &e), &e);
    OK(api_check_content_type(API_BODY_NONE, "text/plain", 0, &nd, &e), &e);
    OK(api_check_content_type(API_BODY_NONE, "application/json", 2, &nd, &e), &e);
    OK(api_check_content_type(API_BODY_IMPORT, "application/json", 2, &nd, &e), &e);
    assert_int_equal(nd, 0);
    OK(api_check_content_type(API_BODY_IMPORT, "application/x-ndjson", 2, &nd, &e), &e);
    assert_int_equal(nd, 1);
    ERR(api_check_content_type(API_BODY_JSON, "text/plain", 2, &nd, &e), &e, 415,
        "unsupported_media_type", "Content-Type must be application/json");
    ERR(api_check_content_type(API_BODY_JSON, NULL, 0, &nd, &e), &e, 415, "unsupported_media_type",
        "Content-Type must be application/json");
    ERR(api_check_content_type(API_BODY_JSON, "application/jsonx", 2, &nd, &e), &e, 415,
        "unsupported_media_type", "must be application/json");
    ERR(api_check_content_type(API_BODY_JSON, "application/x-ndjson", 2, &nd, &e), &e, 415,
        "unsupported_media_type", "must be application/json");
    ERR(api_check_content_type(API_BODY_NONE, "text/plain", 1, &nd, &e), &e, 415,
        "unsupported_media_type", "must be application/json");
    ERR(api_check_content_type(API_BODY_IMPORT, "text/csv", 2, &nd, &e), &e, 415,
        "unsupported_media_type", "application/json or application/x-ndjson");
    ERR(api_check_content_type(API_BODY_IMPORT, NULL, 2, &nd, &e), &e, 415,
        "unsupported_media_type", "application/json or application/x-ndjson");
}

static void test_bearer(void **state)
{
    char tok[API_TOKEN_MAX + 1];
    api_error e;
    char hdr[API_TOKEN_MAX + 16];
    (void)state;
    OK(api_parse_bearer("Bearer e4c2_abc-DEF_1.2~3+4/5", tok, sizeof tok, &e), &e);
    assert_string_equal(tok, "e4c2_abc-DEF_1.2~3+4/5");
    OK(api_parse_bearer("  bearer \t e4c2_x==  ", tok, sizeof tok, &e), &e);
    assert_string_equal(tok, "e4c2_x==");
    ERR(api_parse_bearer(NULL, tok, sizeof tok, &e), &e, 401, "unauthorized",
        "missing bearer token");
    ERR(api_parse_bearer("Basic dXNlcjpwYXNz", tok, sizeof tok, &e), &e, 401, "unauthorized",
        "must use the Bearer scheme");
    ERR(api_parse_bearer("Bearer", tok, sizeof tok, &e), &e, 401, "unauthorized",
        "must use the Bearer scheme");
    ERR(api_parse_bearer("Bearertoken", tok, sizeof tok, &e), &e, 401, "unauthorized",
        "must use the Bearer scheme");
    ERR(api_parse_bearer("Bearer ", tok, sizeof tok, &e), &e, 401, "unauthorized",
        "malformed bearer token");
    ERR(api_parse_bearer("Bearer secret1 secret2", tok, sizeof tok, &e), &e, 401, "unauthorized",
        "malformed bearer token");
    assert_null(strstr(e.message, "secret"));
    ERR(api_parse_bearer("Bearer a=b", tok, sizeof tok, &e), &e, 401, "unauthorized",
        "malformed bearer token");
    ERR(api_parse_bearer("Bearer a\"b", tok, sizeof tok, &e), &e, 401, "unauthorized",
        "malformed bearer token");
    memcpy(hdr, "Bearer ", 7);
    memset(hdr + 7, 'a', API_TOKEN_MAX);
    hdr[7 + API_TOKEN_MAX] = 0;
    OK(api_parse_bearer(hdr, tok, sizeof tok, &e), &e);
    hdr[7 + API_TOKEN_MAX] = 'a';
    hdr[8 + API_TOKEN_MAX] = 0;
    ERR(api_parse_bearer(hdr, tok, sizeof tok, &e), &e, 401, "unauthorized",
        "malformed bearer token");
}

static void test_accept_and_event_id(void **state)
{
    api_error e;
    int64_t id = -1;
    (void)state;
    assert_true(api_accepts_sse("text/event-stream"));
    assert_true(api_accepts_sse("TEXT/Event-Stream"));
    assert_true(api_accepts_sse("application/json, text/event-stream;q=0.9"));
    assert_true(api_accepts_sse("text/html,text/event-stream"));
    assert_false(api_accepts_sse("text/html"));
    assert_false(api_accepts_sse("text/event-streams"));
    assert_false(api_accepts_sse("*/*"));
    assert_false(api_accepts_sse(""));
    assert_false(api_accepts_sse(NULL));
    OK(api_parse_event_id("12", &id, &e), &e);
    assert_int_equal(id, 12);
    BAD(api_parse_event_id("-1", &id, &e), &e, "Last-Event-ID must be a non-negative integer");
    BAD(api_parse_event_id("", &id, &e), &e, "Last-Event-ID must be a non-negative integer");
    BAD(api_parse_event_id("1 ", &id, &e), &e, "Last-Event-ID must be a non-negative integer");
}

/* ---- JSON bodies ---------------------------------------------------------- */

static void json_rejected(int line, const char *text, size_t len, const char *substr)
{
    api_error e;
    json_t *j = api_json_parse(text, len, &e);
    if (j) {
        json_decref(j);
        fail_msg("line %d: accepted", line);
    }
    check_err(line, -1, &e, 400, "invalid_argument", substr);
}
#define JSON_BAD(text, substr) json_rejected(__LINE__, text, sizeof text - 1, substr)

static void test_json(void **state)
{
    api_error e;
    json_t *j;
    (void)state;
    j = api_json_parse("{\"a\": [1, 2]}", 13, &e);
    assert_non_null(j);
    json_decref(j);
    j = api_json_parse("  [] \n", 6, &e);
    assert_non_null(j);
    json_decref(j);
    JSON_BAD("", "request body is empty");
    JSON_BAD("{", "invalid JSON at line 1");
    JSON_BAD("{} x", "invalid JSON at line 1, column");
    JSON_BAD("{}{}", "invalid JSON");
    JSON_BAD("{\"a\":1,\"a\":2}", "invalid JSON");
    JSON_BAD("\"text\"", "invalid JSON");
    JSON_BAD("42", "invalid JSON");
    JSON_BAD("{\"a\":\"\\u0000\"}", "invalid JSON");
    JSON_BAD("{\"a\":\"x\0y\"}", "invalid JSON");
    JSON_BAD("{\"a\":\"\xff\"}", "invalid JSON");
    JSON_BAD("{\"a\":1,}", "invalid JSON");
    JSON_BAD("\xef\xbb\xbf{}", "invalid JSON");
    /* jansson quotes the input near an error: never in our messages */
    JSON_BAD("{\"password\": \"supersecretpassword1", "invalid JSON");
    j = api_json_parse("{\"password\": \"supersecretpassword1", 34, &e);
    assert_null(j);
    assert_null(strstr(e.message, "supersecret"));
    j = api_json_parse("{\"key\": 00112233}", 17, &e);
    assert_null(j);
    assert_null(strstr(e.message, "00112233"));
}

#define KEY64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define ID32 "00112233445566778899AABBCCDDEEFF"

static int client(const char *text, c2_mode mode, api_client_in *in, c2_new_client *nc,
                  api_error *e, json_t **keep)
{
    *keep = parse(text);
    return api_parse_client(*keep, mode, in, nc, e);
}

static void client_rejected(int line, const char *text, c2_mode mode, int status, const char *code,
                            const char *substr)
{
    api_client_in in;
    c2_new_client nc;
    api_error e;
    json_t *j;
    int rc = client(text, mode, &in, &nc, &e, &j);
    check_err(line, rc, &e, status, code, substr);
    assert_null(strstr(e.message, "1122334455"));    /* the key never */
    assert_null(strstr(e.message, "correct horse")); /* the password never */
    for (size_t i = 0; i < sizeof in; i++)           /* wiped */
        assert_int_equal(((uint8_t *)&in)[i], 0);
    json_decref(j);
}
#define CLIENT_BAD(text, substr) \
    client_rejected(__LINE__, text, C2_MODE_SK, 400, "invalid_argument", substr)

static void test_client_ok(void **state)
{
    api_client_in in;
    c2_new_client nc;
    api_error e;
    json_t *j;
    (void)state;
    OK(client("{\"name\":\"dev1\"}", C2_MODE_SK, &in, &nc, &e, &j), &e);
    assert_string_equal(nc.name, "dev1");
    assert_null(nc.id);
    assert_null(nc.key);
    assert_null(nc.password);
    assert_null(nc.pubkey);
    json_decref(j);
    OK(client("{\"name\":\"dev1\",\"id\":\"" ID32 "\",\"key\":\"" KEY64 "\"}", C2_MODE_SK, &in, &nc,
              &e, &j),
       &e);
    assert_ptr_equal(nc.id, in.id);
    assert_memory_equal(nc.id, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff",
                        16);
    assert_ptr_equal(nc.key, in.key);
    assert_int_equal(nc.key[31], 0xff);
    api_client_in_wipe(&in);
    assert_int_equal(in.key[31], 0);
    json_decref(j);
    OK(client("{\"name\":\"d\",\"password\":\"correct horse battery\"}", C2_MODE_PK, &in, &nc, &e,
              &j),
       &e);
    assert_string_equal(nc.password, "correct horse battery");
    json_decref(j);
    OK(client("{\"name\":\"d\",\"pubkey\":\"" KEY64 "\"}", C2_MODE_PK, &in, &nc, &e, &j), &e);
    assert_ptr_equal(nc.pubkey, in.pubkey);
    json_decref(j);
    /* mode 0: no mode checks */
    OK(client("{\"name\":\"d\",\"pubkey\":\"" KEY64 "\"}", 0, &in, &nc, &e, &j), &e);
    json_decref(j);
}

static void test_client_rejected(void **state)
{
    char text[2048];
    char *n256 = repeat('n', 256), *p1025 = repeat('p', 1025);
    (void)state;
    CLIENT_BAD("[]", "expected a JSON object");
    CLIENT_BAD("{\"name\":\"d\",\"kee\":\"" KEY64 "\"}", "unknown field \"kee\"");
    CLIENT_BAD("{}", "missing field \"name\"");
    CLIENT_BAD("{\"key\":\"" KEY64 "\"}", "missing field \"name\"");
    CLIENT_BAD("{\"name\":1}", "name must be a string");
    CLIENT_BAD("{\"name\":null}", "name must be a string");
    CLIENT_BAD("{\"name\":\"\"}", "name must be 1 to 255 bytes of UTF-8");
    snprintf(text, sizeof text, "{\"name\":\"%s\"}", n256);
    CLIENT_BAD(text, "name must be 1 to 255 bytes of UTF-8");
    CLIENT_BAD("{\"name\":\"d\",\"id\":\"0011\"}", "id must be 32 hex characters");
    CLIENT_BAD("{\"name\":\"d\",\"id\":\"" ID32 "00\"}", "id must be 32 hex characters");
    CLIENT_BAD("{\"name\":\"d\",\"id\":7}", "id must be a string");
    CLIENT_BAD("{\"name\":\"d\",\"key\":\"00112233445566778899\"}",
               "key must be 64 hex characters");
    CLIENT_BAD("{\"name\":\"d\",\"key\":"
               "\"zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}",
               "key must be 64 hex characters");
    CLIENT_BAD("{\"name\":\"d\",\"key\":"
               "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
               "key must not be all zeros");
    CLIENT_BAD("{\"name\":\"d\",\"key\":true}", "key must be a string");
    CLIENT_BAD("{\"name\":\"d\",\"pubkey\":\"0011\"}", "pubkey must be 64 hex characters");
    CLIENT_BAD("{\"name\":\"d\",\"key\":\"" KEY64 "\",\"password\":\"correct horse battery\"}",
               "at most one of key, password and pubkey may be given");
    CLIENT_BAD("{\"name\":\"d\",\"key\":\"" KEY64 "\",\"pubkey\":\"" KEY64 "\"}",
               "at most one of key, password and pubkey");
    CLIENT_BAD("{\"name\":\"d\",\"password\":\"correct horse\"}",
               "password must be at least 16 bytes of UTF-8");
    CLIENT_BAD("{\"name\":\"d\",\"password\":[\"correct horse battery\"]}",
               "password must be a string");
    snprintf(text, sizeof text, "{\"name\":\"d\",\"password\":\"%s\"}", p1025);
    CLIENT_BAD(text, "password must be at most 1024 bytes");
    /* a key decoded before a later field fails is wiped (checked by client_rejected) */
    CLIENT_BAD("{\"name\":\"d\",\"id\":\"" ID32 "\",\"pubkey\":\"0011\"}",
               "pubkey must be 64 hex characters");
    client_rejected(__LINE__, "{\"name\":\"d\",\"key\":\"" KEY64 "\"}", C2_MODE_PK, 409,
                    "wrong_mode", "key is for SK mode; this C2 runs in PK mode");
    client_rejected(__LINE__, "{\"name\":\"d\",\"pubkey\":\"" KEY64 "\"}", C2_MODE_SK, 409,
                    "wrong_mode", "pubkey is for PK mode; this C2 runs in SK mode");
    free(n256), free(p1025);
}

/* ---- imports -------------------------------------------------------------- */

static void import_rejected(int line, const char *body, int ndjson, const char *substr)
{
    api_import im;
    api_error e;
    int rc = api_parse_import(body, strlen(body), ndjson, C2_MODE_SK, &im, &e);
    check_err(line, rc, &e, 400, "invalid_argument", substr);
    assert_null(im.root);
    assert_null(im.in);
}
#define IMPORT_BAD(body, nd, substr) import_rejected(__LINE__, body, nd, substr)

static void test_import(void **state)
{
    api_import im;
    api_error e;
    const char *arr = "[{\"name\":\"a\"},{\"name\":\"b\",\"key\":\"" KEY64 "\"}]";
    const char *lines = "{\"name\":\"a\"}\r\n{\"name\":\"b\",\"key\":\"" KEY64 "\"}\n";
    (void)state;
    OK(api_parse_import(arr, strlen(arr), 0, C2_MODE_SK, &im, &e), &e);
    assert_int_equal(im.n, 2);
    assert_string_equal(im.list[0].name, "a");
    assert_string_equal(im.list[1].name, "b");
    assert_ptr_equal(im.list[1].key, im.in[1].key);
    api_import_free(&im);
    assert_null(im.root);
    OK(api_parse_import(lines, strlen(lines), 1, C2_MODE_SK, &im, &e), &e);
    assert_int_equal(im.n, 2);
    assert_string_equal(im.list[1].name, "b");
    api_import_free(&im);
    OK(api_parse_import("{\"name\":\"a\"}", 12, 1, C2_MODE_SK, &im, &e), &e);
    assert_int_equal(im.n, 1);
    api_import_free(&im);

    IMPORT_BAD("", 0, "request body is empty");
    IMPORT_BAD("", 1, "request body is empty");
    IMPORT_BAD("[]", 0, "no clients to import");
    IMPORT_BAD("{}", 0, "expected a JSON array of clients");
    IMPORT_BAD("[{\"name\":\"a\"},", 0, "invalid JSON");
    IMPORT_BAD("[{\"name\":\"a\"},{\"name\":\"b\",\"key\":\"zz\"}]", 0,
               "clients[1]: key must be 64 hex characters");
    IMPORT_BAD("[{\"name\":\"a\"},3]", 0, "clients[1]: expected a JSON object");
    IMPORT_BAD("[{\"name\":\"a\",\"x\":1}]", 0, "clients[0]: unknown field \"x\"");
    IMPORT_BAD("{\"name\":\"a\"}\n\n{\"name\":\"b\"}", 1, "clients[1] (line 2): empty line");
    IMPORT_BAD("\n", 1, "clients[0] (line 1): empty line");
    IMPORT_BAD("{\"name\":\"a\"}\n{\"name\":", 1, "clients[1] (line 2): invalid JSON");
    IMPORT_BAD("{\"name\":\"a\"} x", 1, "clients[0] (line 1): invalid JSON");
    IMPORT_BAD("{\"name\":\"a\"}\n[1]", 1, "clients[1] (line 2): expected a JSON object");
    IMPORT_BAD("{\"name\":\"a\"}\n{\"name\":\"b\",\"x\":1}\n", 1,
               "clients[1] (line 2): unknown field \"x\"");
    IMPORT_BAD("{\"name\":\"a\"}\n{\"name\":\"a\",\"name\":\"b\"}", 1,
               "clients[1] (line 2): invalid JSON");
}

/* ---- other bodies --------------------------------------------------------- */

static void test_members(void **state)
{
    api_refs r;
    api_error e;
    json_t *j;
    char *big;
    size_t o;
    (void)state;
    j = parse("{\"clients\":[\"a\",\"" ID32 "\"],\"share_pubkeys\":true}");
    OK(api_parse_members(j, "share_pubkeys", 0, &r, &e), &e);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.refs[1], ID32);
    assert_int_equal(r.flag, 1);
    free(r.refs);
    json_decref(j);
    j = parse("{\"clients\":[\"a\"]}");
    OK(api_parse_members(j, "rotate", 1, &r, &e), &e);
    assert_int_equal(r.flag, 1);
    free(r.refs);
    OK(api_parse_members(j, "share_pubkeys", 0, &r, &e), &e);
    assert_int_equal(r.flag, 0);
    free(r.refs);
    json_decref(j);
    j = parse("{\"clients\":[\"a\"],\"rotate\":false}");
    OK(api_parse_members(j, "rotate", 1, &r, &e), &e);
    assert_int_equal(r.flag, 0);
    free(r.refs);
    BAD(api_parse_members(j, "share_pubkeys", 0, &r, &e), &e, "unknown field \"rotate\"");
    json_decref(j);

#define MEMBERS_BAD(text, substr)                                           \
    do {                                                                    \
        json_t *jj = parse(text);                                           \
        BAD(api_parse_members(jj, "share_pubkeys", 0, &r, &e), &e, substr); \
        assert_null(r.refs);                                                \
        json_decref(jj);                                                    \
    } while (0)
    MEMBERS_BAD("{}", "missing field \"clients\"");
    MEMBERS_BAD("[]", "expected a JSON object");
    MEMBERS_BAD("{\"clients\":\"a\"}", "clients must be an array");
    MEMBERS_BAD("{\"clients\":[]}", "clients must not be empty");
    MEMBERS_BAD("{\"clients\":[\"a\",\"b\",\"c\",4]}", "clients[3] must be a string");
    MEMBERS_BAD("{\"clients\":[\"\"]}", "clients[0] must be 1 to 255 bytes of UTF-8");
    MEMBERS_BAD("{\"clients\":[\"a\"],\"share_pubkeys\":\"yes\"}",
                "share_pubkeys must be true or false");
    MEMBERS_BAD("{\"clients\":[\"a\"],\"share_pubkeys\":1}", "share_pubkeys must be true or false");
    big = malloc(10 * (API_REFS_MAX + 1) + 32);
    assert_non_null(big);
    o = (size_t)sprintf(big, "{\"clients\":[");
    for (int i = 0; i <= API_REFS_MAX; i++)
        o += (size_t)sprintf(big + o, "%s\"c\"", i ? "," : "");
    strcpy(big + o, "]}");
    MEMBERS_BAD(big, "clients must have at most 10000 entries");
    free(big);
}

static void test_source_topic_empty(void **state)
{
    api_error e;
    const char *s;
    json_t *j;
    char text[700];
    char *t512 = repeat('t', 512), *t513 = repeat('t', 513);
    (void)state;
    j = parse("{\"source\":\"dev2\"}");
    OK(api_parse_source(j, &s, &e), &e);
    assert_string_equal(s, "dev2");
    json_decref(j);
#define BODY_BAD(fn, text, substr)       \
    do {                                 \
        json_t *jj = parse(text);        \
        BAD(fn(jj, &s, &e), &e, substr); \
        assert_null(s);                  \
        json_decref(jj);                 \
    } while (0)
    BODY_BAD(api_parse_source, "{}", "missing field \"source\"");
    BODY_BAD(api_parse_source, "{\"source\":5}", "source must be a string");
    BODY_BAD(api_parse_source, "{\"source\":\"\"}", "source must be 1 to 255 bytes of UTF-8");
    BODY_BAD(api_parse_source, "{\"source\":\"a\",\"target\":\"b\"}", "unknown field \"target\"");
    BODY_BAD(api_parse_source, "[\"a\"]", "expected a JSON object");

    j = parse("{\"name\":\"a/b/c\"}");
    OK(api_parse_topic_new(j, &s, &e), &e);
    assert_string_equal(s, "a/b/c");
    json_decref(j);
    snprintf(text, sizeof text, "{\"name\":\"%s\"}", t512);
    j = parse(text);
    OK(api_parse_topic_new(j, &s, &e), &e);
    json_decref(j);
    snprintf(text, sizeof text, "{\"name\":\"%s\"}", t513);
    BODY_BAD(api_parse_topic_new, text, "name must be 1 to 512 bytes");
    BODY_BAD(api_parse_topic_new, "{\"name\":\"\"}", "name must be 1 to 512 bytes");
    BODY_BAD(api_parse_topic_new, "{\"name\":\"a/+/b\"}", "name must be an MQTT topic name");
    BODY_BAD(api_parse_topic_new, "{\"name\":\"a/#\"}", "name must be an MQTT topic name");
    BODY_BAD(api_parse_topic_new, "{}", "missing field \"name\"");
    BODY_BAD(api_parse_topic_new, "{\"name\":[]}", "name must be a string");
    BODY_BAD(api_parse_topic_new, "{\"name\":\"a\",\"key\":\"" KEY64 "\"}",
             "unknown field \"key\"");

    OK(api_parse_empty(NULL, &e), &e);
    j = parse("{}");
    OK(api_parse_empty(j, &e), &e);
    json_decref(j);
    j = parse("{\"force\":true}");
    BAD(api_parse_empty(j, &e), &e, "unknown field \"force\"");
    json_decref(j);
    j = parse("[]");
    BAD(api_parse_empty(j, &e), &e, "expected a JSON object");
    json_decref(j);
    free(t512), free(t513);
}

static void test_wipe_on_free(void **state)
{
    api_error e;
    json_t *j;
    (void)state;
    api_json_wipe_on_free(); /* every free below goes through the wipe */
    j = api_json_parse("{\"password\":\"correct horse battery staple\"}", 43, &e);
    assert_non_null(j);
    json_decref(j);
    json_set_alloc_funcs(malloc, free);
}

/* ---- policies, monitoring, hours ------------------------------------------- */

static int policy_of(const char *text, c2_policy_kind kind, c2_policy *p, api_error *e)
{
    json_t *j = parse(text);
    int rc = api_parse_policy(j, kind, p, e);
    json_decref(j);
    return rc;
}

static void test_policy_bodies(void **state)
{
    c2_policy p;
    api_query q;
    api_error e;
    json_t *j;
    int on = -1;
    (void)state;
    OK(policy_of("{}", C2_POLICY_TOPIC, &p, &e), &e); /* the defaults */
    assert_true(p.every == 0 && p.max_age == 0 && p.on_join == 0 && p.on_leave == 1);
    OK(policy_of("{\"rotate_every\":86400,\"max_age\":null,\"on_join\":true,\"on_leave\":false}",
                 C2_POLICY_TOPIC, &p, &e),
       &e);
    assert_true(p.every == 86400 && p.max_age == 0 && p.on_join == 1 && p.on_leave == 0);
    OK(policy_of("{\"rekey_every\":60}", C2_POLICY_CLIENT, &p, &e), &e);
    assert_int_equal(p.every, 60);
    BAD(policy_of("{\"rotate_every\":59}", C2_POLICY_TOPIC, &p, &e), &e,
        "rotate_every must be from 60 seconds");
    BAD(policy_of("{\"max_age\":400000000}", C2_POLICY_TOPIC, &p, &e), &e,
        "max_age must be from 60 seconds");
    BAD(policy_of("{\"rotate_every\":3600.5}", C2_POLICY_TOPIC, &p, &e), &e,
        "rotate_every must be an integer number of seconds or null");
    BAD(policy_of("{\"rotate_every\":\"1h\"}", C2_POLICY_TOPIC, &p, &e), &e,
        "rotate_every must be");
    BAD(policy_of("{\"on_join\":1}", C2_POLICY_TOPIC, &p, &e), &e, "on_join must be true or false");
    BAD(policy_of("{\"rekey_every\":3600}", C2_POLICY_TOPIC, &p, &e), &e,
        "unknown field \"rekey_every\"");
    BAD(policy_of("{\"rotate_every\":3600}", C2_POLICY_CLIENT, &p, &e), &e,
        "unknown field \"rotate_every\"");
    j = parse("{\"enabled\":false}");
    OK(api_parse_monitor(j, &on, &e), &e);
    assert_int_equal(on, 0);
    json_decref(j);
    j = parse("{}");
    BAD(api_parse_monitor(j, &on, &e), &e, "missing field \"enabled\"");
    json_decref(j);
    OK(query(API_Q_HOURS, &q, &e, NULL, NULL, NULL, NULL), &e);
    assert_int_equal(q.hours, 24);
    OK(query(API_Q_HOURS, &q, &e, "hours", "168", NULL, NULL), &e);
    assert_int_equal(q.hours, 168);
    BAD(query(API_Q_HOURS, &q, &e, "hours", "169", NULL, NULL), &e,
        "hours must be an integer from 1 to 168");
    BAD(query(API_Q_HOURS, &q, &e, "hours", "0", NULL, NULL), &e, "hours must be");
    BAD(query(API_Q_PAGE, &q, &e, "hours", "2", NULL, NULL), &e,
        "unknown query parameter \"hours\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_path_param),
        cmocka_unit_test(test_query_ok),
        cmocka_unit_test(test_query_rejected),
        cmocka_unit_test(test_query_behind),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_accept_and_event_id),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_client_ok),
        cmocka_unit_test(test_client_rejected),
        cmocka_unit_test(test_import),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_source_topic_empty),
        cmocka_unit_test(test_policy_bodies),
        cmocka_unit_test(test_wipe_on_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
