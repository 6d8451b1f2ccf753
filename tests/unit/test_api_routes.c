/*
 * test_api_routes.c - e4c2's route table (src/e4c2/api_routes.def through
 * api_route.c): matching, 404/405 with Allow, access levels; and the
 * embedded OpenAPI document (docs/e4c2-openapi.json) against the table,
 * both ways: the same paths and methods, path and query parameters, request
 * bodies and security; and its enums of sync statuses and command states
 * against the names the API renders.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "api_route.h"
#include "openapi_doc.h"
#include "store.h"

/* ---- matching ------------------------------------------------------------- */

static void matches(int line, const char *method, const char *path, api_route_id id, const char *p0,
                    const char *p1)
{
    api_match m;
    api_error e;
    char out[API_PARAMS_MAX][E4_TOPIC_MAX + 1];
    if (api_route_match(method, path, &m, &e) != 0)
        fail_msg("line %d: %s %s: %d %s", line, method, path, e.status, e.message);
    if (m.route->id != id)
        fail_msg("line %d: %s %s matched %s", line, method, path, m.route->pattern);
    if (api_route_params(&m, out, &e) != 0)
        fail_msg("line %d: params: %s", line, e.message);
    assert_int_equal(m.nparams, (p0 != NULL) + (p1 != NULL));
    if (p0)
        assert_string_equal(out[0], p0);
    if (p1)
        assert_string_equal(out[1], p1);
}
#define MATCH(method, path, id, p0, p1) matches(__LINE__, method, path, API_R_##id, p0, p1)

static void rejected(int line, const char *method, const char *path, int status, const char *allow)
{
    api_match m;
    api_error e;
    char buf[64];
    if (api_route_match(method, path, &m, &e) == 0)
        fail_msg("line %d: %s %s matched %s", line, method, path, m.route->pattern);
    if (e.status != status)
        fail_msg("line %d: %s %s: %d, want %d", line, method, path, e.status, status);
    assert_string_equal(e.code, status == 404 ? "not_found" : "method_not_allowed");
    api_allow_string(m.allow, buf, sizeof buf);
    assert_string_equal(buf, allow);
    if (status == 405 && !strstr(e.message, allow))
        fail_msg("line %d: message \"%s\" does not list %s", line, e.message, allow);
}
#define NOT_FOUND(method, path) rejected(__LINE__, method, path, 404, "")
#define NOT_ALLOWED(method, path, allow) rejected(__LINE__, method, path, 405, allow)

static void test_match(void **state)
{
    (void)state;
    MATCH("GET", "/healthz", HEALTHZ, NULL, NULL);
    MATCH("HEAD", "/healthz", HEALTHZ, NULL, NULL);
    MATCH("GET", "/v1/clients", CLIENTS_LIST, NULL, NULL);
    MATCH("POST", "/v1/clients", CLIENT_ADD, NULL, NULL);
    MATCH("POST", "/v1/clients/import", CLIENTS_IMPORT, NULL, NULL);
    MATCH("GET", "/v1/clients/import", CLIENT_GET, "import", NULL); /* a client named so */
    MATCH("DELETE", "/v1/clients/import", CLIENT_REMOVE, "import", NULL);
    MATCH("GET", "/v1/clients/dev%201", CLIENT_GET, "dev 1", NULL);
    MATCH("GET", "/v1/clients/a+b", CLIENT_GET, "a+b", NULL);
    MATCH("POST", "/v1/clients/d/rekey", CLIENT_REKEY, "d", NULL);
    MATCH("DELETE", "/v1/clients/d/pubkeys", PUBKEYS_RESET, "d", NULL);
    MATCH("DELETE", "/v1/clients/d/pubkeys/s%2F1", PUBKEY_REMOVE, "d", "s/1");
    MATCH("DELETE", "/v1/clients/d/links/s", LINK_REMOVE, "d", "s");
    MATCH("GET", "/v1/topics/a%2Fb%2Fc", TOPIC_GET, "a/b/c", NULL);
    MATCH("POST", "/v1/topics/a%2Fb/members/leave", MEMBERS_LEAVE, "a/b", NULL);
    MATCH("DELETE", "/v1/topics/a%2Fb/members/leave", MEMBER_REMOVE, "a/b", "leave");
    MATCH("DELETE", "/v1/topics/t/members/%C3%A9", MEMBER_REMOVE, "t", "\xc3\xa9");
    MATCH("POST", "/v1/c2/rotate-key/finish", C2_ROTATE_FINISH, NULL, NULL);
    MATCH("GET", "/v1/events", EVENTS, NULL, NULL);

    NOT_FOUND("GET", "/v1/nope");
    NOT_FOUND("GET", "/v1/clients/");
    NOT_FOUND("GET", "/v1//clients");
    NOT_FOUND("GET", "/v1/topics/a/b"); /* an unencoded '/' in a topic */
    NOT_FOUND("GET", "/healthz/");
    NOT_FOUND("GET", "healthz");
    NOT_FOUND("GET", "");
    NOT_FOUND("GET", "/");
    NOT_FOUND("GET", "/v1/%63lients"); /* literal segments are not decoded */
    NOT_FOUND("PATCH", "/v2/clients");
    NOT_ALLOWED("PUT", "/v1/status", "GET");
    NOT_ALLOWED("POST", "/healthz", "GET");
    NOT_ALLOWED("PATCH", "/v1/clients", "GET, POST");
    NOT_ALLOWED("OPTIONS", "/v1/clients/x", "GET, DELETE");
    NOT_ALLOWED("POST", "/v1/clients/x", "GET, DELETE");
    NOT_ALLOWED("PUT", "/v1/clients/import", "GET, POST, DELETE");
    NOT_ALLOWED("GET", "/v1/clients/x/rekey", "POST");
    NOT_ALLOWED("POST", "/v1/clients/x/pubkeys/y", "DELETE");
    NOT_ALLOWED("GET", "/v1/topics/t/members/leave", "POST, DELETE");
    NOT_ALLOWED("DELETE", "/v1/events", "GET");
    NOT_ALLOWED("get", "/v1/status", "GET"); /* methods are case-sensitive */
}

static void test_bad_params(void **state)
{
    api_match m;
    api_error e;
    char out[API_PARAMS_MAX][E4_TOPIC_MAX + 1];
    (void)state;
    assert_int_equal(api_route_match("GET", "/v1/topics/a%zz", &m, &e), 0);
    assert_int_equal(api_route_params(&m, out, &e), -1);
    assert_int_equal(e.status, 400);
    assert_non_null(strstr(e.message, "topic: malformed percent-encoding"));
    assert_int_equal(api_route_match("DELETE", "/v1/clients/a/links/b%00", &m, &e), 0);
    assert_int_equal(api_route_params(&m, out, &e), -1);
    assert_non_null(strstr(e.message, "source must not contain NUL"));
}

static void test_table(void **state)
{
    const api_route *r;
    char name[16];
    (void)state;
    for (size_t i = 0; (r = api_route_at(i)) != NULL; i++) {
        assert_int_equal(r->id, i);
        /* reads are GETs, writes are the other methods */
        if (r->access == API_WRITE)
            assert_int_not_equal(r->method, API_GET);
        else
            assert_int_equal(r->method, API_GET);
        if (r->access == API_PUBLIC)
            assert_string_equal(r->pattern, "/healthz");
        if (r->body != API_BODY_NONE) /* PUT: policies and monitoring, a whole setting */
            assert_true(r->method == API_POST || r->method == API_PUT);
        for (size_t k = 0; api_route_param_name(r, k, name, sizeof name); k++)
            assert_true(!strcmp(name, "client") || !strcmp(name, "topic") ||
                        !strcmp(name, "source"));
        /* no two routes with the same method and pattern */
        for (size_t j = 0; j < i; j++)
            assert_false(api_route_at(j)->method == r->method &&
                         !strcmp(api_route_at(j)->pattern, r->pattern));
    }
    assert_null(api_route_at(API_R_COUNT));
    assert_string_equal(api_method_name(API_DELETE), "DELETE");
    assert_int_equal(api_method_parse("HEAD"), API_GET);
    assert_int_equal(api_method_parse("PATCH"), 0);
}

/* ---- the OpenAPI document against the table ------------------------------- */

static json_t *g_doc;

static int setup_doc(void **state)
{
    json_error_t err;
    (void)state;
    g_doc = json_loadb(e4c2_openapi_json, e4c2_openapi_json_len, JSON_REJECT_DUPLICATES, &err);
    if (!g_doc)
        fprintf(stderr, "docs/e4c2-openapi.json: line %d: %s\n", err.line, err.text);
    return g_doc ? 0 : -1;
}

static int teardown_doc(void **state)
{
    (void)state;
    json_decref(g_doc);
    return 0;
}

static void lower(char *out, const char *s)
{
    for (; *s; s++)
        *out++ = (char)tolower((unsigned char)*s);
    *out = 0;
}

/* A parameter object, following "$ref": "#/components/parameters/NAME". */
static json_t *param_object(json_t *p)
{
    const char *ref = json_string_value(json_object_get(p, "$ref"));
    const char *prefix = "#/components/parameters/";
    if (!ref)
        return p;
    assert_int_equal(strncmp(ref, prefix, strlen(prefix)), 0);
    p = json_object_get(json_object_get(json_object_get(g_doc, "components"), "parameters"),
                        ref + strlen(prefix));
    assert_non_null(p);
    return p;
}

/* The operation's parameters "in" where, as "a,b," in document order. */
static void doc_params(json_t *op, const char *where, char *out, size_t cap)
{
    size_t i;
    json_t *p;
    out[0] = 0;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
    {
        p = param_object(p);
        if (!strcmp(json_string_value(json_object_get(p, "in")), where)) {
            strncat(out, json_string_value(json_object_get(p, "name")), cap - strlen(out) - 2);
            strcat(out, ",");
        }
    }
}

static void route_query(const api_route *r, char *out)
{
    static const char *const names[] = {"offset", "limit",  "search", "after",
                                        "rotate", "behind", "hours"};
    static const unsigned flags[] = {API_Q_OFFSET, API_Q_LIMIT,  API_Q_SEARCH, API_Q_AFTER,
                                     API_Q_ROTATE, API_Q_BEHIND, API_Q_HOURS};
    unsigned known = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        known |= flags[i];
    assert_int_equal(r->query & ~known, 0); /* a new query flag needs a name here */
    /* document order: after comes first for events */
    if (r->query & API_Q_AFTER)
        strcat(out, "after,");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if ((r->query & flags[i]) && flags[i] != API_Q_AFTER)
            strcat(strcat(out, names[i]), ",");
}

static void route_path_params(const api_route *r, char *out)
{
    char name[16];
    out[0] = 0;
    for (size_t k = 0; api_route_param_name(r, k, name, sizeof name); k++)
        strcat(strcat(out, name), ",");
}

static void check_operation(const api_route *r, json_t *op)
{
    char want[128], got[128];
    json_t *sec = json_object_get(op, "security"), *body = json_object_get(op, "requestBody");
    json_t *responses = json_object_get(op, "responses");
    route_path_params(r, want);
    doc_params(op, "path", got, sizeof got);
    if (strcmp(want, got))
        fail_msg("%s %s: path parameters %s in the table, %s in the document",
                 api_method_name(r->method), r->pattern, want, got);
    route_query(r, want);
    doc_params(op, "query", got, sizeof got);
    if (strcmp(want, got))
        fail_msg("%s %s: query parameters %s in the table, %s in the document",
                 api_method_name(r->method), r->pattern, want, got);
    /* public: "security": []; the others inherit the bearer scheme */
    assert_int_equal(r->access == API_PUBLIC, json_is_array(sec) && json_array_size(sec) == 0);
    assert_int_equal(r->access != API_PUBLIC, sec == NULL);
    assert_int_equal(r->body != API_BODY_NONE, body != NULL);
    if (body)
        assert_non_null(json_object_get(json_object_get(body, "content"), "application/json"));
    assert_int_equal(r->body == API_BODY_IMPORT, json_object_get(json_object_get(body, "content"),
                                                                 "application/x-ndjson") != NULL);
    assert_non_null(json_object_get(responses, "405"));
    if (r->access != API_PUBLIC)
        assert_non_null(json_object_get(responses, "401"));
    assert_int_equal(r->access == API_WRITE, json_object_get(responses, "403") != NULL);
    if (r->body != API_BODY_NONE) {
        assert_non_null(json_object_get(responses, "413"));
        assert_non_null(json_object_get(responses, "415"));
    }
}

static void test_openapi_has_every_route(void **state)
{
    json_t *paths = json_object_get(g_doc, "paths");
    const api_route *r;
    char method[8];
    (void)state;
    assert_string_equal(json_string_value(json_object_get(g_doc, "openapi")), "3.0.3");
    for (size_t i = 0; (r = api_route_at(i)) != NULL; i++) {
        json_t *op;
        lower(method, api_method_name(r->method));
        op = json_object_get(json_object_get(paths, r->pattern), method);
        if (!op)
            fail_msg("%s %s is not in docs/e4c2-openapi.json", api_method_name(r->method),
                     r->pattern);
        check_operation(r, op);
    }
}

static const api_route *find_route(const char *method, const char *pattern)
{
    const api_route *r;
    for (size_t i = 0; (r = api_route_at(i)) != NULL; i++)
        if (!strcasecmp(api_method_name(r->method), method) && !strcmp(r->pattern, pattern))
            return r;
    return NULL;
}

static void test_every_documented_route_exists(void **state)
{
    const char *path, *method;
    json_t *item, *op;
    size_t n = 0;
    (void)state;
    json_object_foreach(json_object_get(g_doc, "paths"), path, item)
    {
        json_object_foreach(item, method, op)
        {
            if (!find_route(method, path))
                fail_msg("docs/e4c2-openapi.json documents %s %s, which the route table lacks",
                         method, path);
            n++;
        }
    }
    assert_int_equal(n, API_R_COUNT);
}

static void test_openapi_components(void **state)
{
    json_t *c = json_object_get(g_doc, "components"), *schemas = json_object_get(c, "schemas");
    json_t *bearer = json_object_get(json_object_get(c, "securitySchemes"), "bearer");
    static const char *const needed[] = {"Client",      "Topic",  "Command",         "Event",
                                         "Token",       "Error",  "ClientPage",      "TopicPage",
                                         "CommandPage", "Status", "RotationFinished"};
    (void)state;
    assert_string_equal(json_string_value(json_object_get(bearer, "type")), "http");
    assert_string_equal(json_string_value(json_object_get(bearer, "scheme")), "bearer");
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (!json_object_get(schemas, needed[i]))
            fail_msg("schema %s missing", needed[i]);
    assert_int_equal(strlen(e4c2_openapi_json), e4c2_openapi_json_len);
}

/* A schema's property, through the components. */
static json_t *schema_prop(const char *schema, const char *prop)
{
    json_t *schemas = json_object_get(json_object_get(g_doc, "components"), "schemas");
    json_t *props = json_object_get(json_object_get(schemas, schema), "properties");
    json_t *p = json_object_get(props, prop);
    if (!p)
        fail_msg("schema %s has no property %s", schema, prop);
    return p;
}

/* The enum of a string property lists exactly name(0..n-1), in order. */
static void enum_is(const char *schema, const char *prop, const char *(*name)(int), int n)
{
    json_t *e = json_object_get(schema_prop(schema, prop), "enum");
    if (json_array_size(e) != (size_t)n)
        fail_msg("%s.%s: %zu values in the document, %d in the code", schema, prop,
                 json_array_size(e), n);
    for (int i = 0; i < n; i++)
        if (strcmp(json_string_value(json_array_get(e, (size_t)i)), name(i)))
            fail_msg("%s.%s[%d]: \"%s\" in the document, \"%s\" in the code", schema, prop, i,
                     json_string_value(json_array_get(e, (size_t)i)), name(i));
}

static const char *sync_name(int i)
{
    return c2_sync_name((c2_sync)i);
}
static const char *cmd_state_name(int i)
{
    return c2_cmd_state_name((c2_cmd_state)i);
}

static void test_openapi_sync_enums(void **state)
{
    json_t *counts = json_object_get(schema_prop("Status", "sync"), "properties");
    (void)state;
    enum_is("Client", "sync", sync_name, C2_SYNC_COUNT);
    enum_is("Command", "state", cmd_state_name, C2_CMD_CLOSED + 1);
    assert_int_equal(json_object_size(counts), C2_SYNC_COUNT);
    for (int i = 0; i < C2_SYNC_COUNT; i++)
        if (!json_object_get(counts, sync_name(i)))
            fail_msg("Status.sync lacks %s", sync_name(i));
    assert_string_equal(
        json_string_value(json_object_get(schema_prop("Command", "refused"), "type")), "string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_openapi_has_every_route),
        cmocka_unit_test(test_every_documented_route_exists),
        cmocka_unit_test(test_openapi_components),
        cmocka_unit_test(test_openapi_sync_enums),
    };
    return cmocka_run_group_tests(tests, setup_doc, teardown_doc);
}
