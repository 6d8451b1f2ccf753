/*
 * Fuzz e4c2's API request parsing (src/e4c2/api_parse.c, api_body.c,
 * api_route.c): everything a client controls before the store is called.
 *
 * Input: selector(1) || flags(1) || data. The selector picks the parser:
 *   0 route: data = METHOD '\n' PATH; match and decode the path parameters
 *   1 query: data = k=v&k=v... with flags as the accepted parameters
 *   2 client body (flags & 3: mode 0, SK, PK)
 *   3 import (flags & 1: JSON lines; flags & 6: mode)
 *   4 members / source / new topic / empty body (flags & 3)
 *   5 headers: Authorization, Content-Type, Accept, Last-Event-ID, Content-Length
 *   6 percent-decoding of a raw segment (flags: output capacity)
 *   7 policy bodies (flags & 1: a client's, else a topic's) and the monitor
 *     switch (flags & 2)
 *
 * Invariants: every rejection has a status among those the API answers, a
 * code and a non-empty message that never contains a key, a password or a
 * token from the input; what is accepted is within the documented bounds
 * (lengths, UTF-8, no NUL, limit 1..1000, at most one secret per client);
 * decoded keys are wiped when a client is rejected.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "api_route.h"
#include "mqtt.h"

#include "check.h"
#include "suite.h"

static void check_error(const api_error *e)
{
    static const int statuses[] = {400, 401, 404, 405, 409, 413, 415, 500};
    int known = 0;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        known |= e->status == statuses[i];
    CHECK(known);
    CHECK(e->code && e->code[0]);
    CHECK(strlen(e->message) > 0 && strlen(e->message) < sizeof e->message);
}

static int valid_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n >= 1 && n <= max && mqtt_utf8_validate((const uint8_t *)s, n, NULL) == MQTT_OK;
}

/* A secret (of at least 8 bytes) the message must never contain, unless the
 * input also used it as a field name (unknown fields are quoted). */
static void check_not_leaked(const json_t *obj, const api_error *e, const char *secret)
{
    const char *key;
    json_t *v;
    if (!secret || strlen(secret) < 8)
        return;
    json_object_foreach((json_t *)obj, key, v) if (strstr(key, secret)) return;
    CHECK(strstr(e->message, secret) == NULL);
}

static void fuzz_route(char *s)
{
    char *nl = strchr(s, '\n');
    char out[API_PARAMS_MAX][E4_TOPIC_MAX + 1];
    api_match m;
    api_error e;
    if (!nl)
        return;
    *nl = 0;
    if (api_route_match(s, nl + 1, &m, &e) != 0) {
        check_error(&e);
        CHECK(e.status == 404 ? m.allow == 0 : e.status == 405 && m.allow != 0);
        return;
    }
    CHECK(m.route && (m.allow & m.route->method));
    if (api_route_params(&m, out, &e) != 0) {
        CHECK(e.status == 400);
        return;
    }
    for (size_t i = 0; i < m.nparams; i++)
        CHECK(valid_text(out[i], E4_TOPIC_MAX));
}

static void check_query(const api_query *q)
{
    CHECK(q->limit >= 1 && q->limit <= API_LIMIT_MAX && q->offset >= 0 && q->after >= 0);
    CHECK(q->rotate >= -1 && q->rotate <= 1 && q->hours >= 1 && q->hours <= 168);
    CHECK(!q->has_search || valid_text(q->search, E4_TOPIC_MAX));
}

static void fuzz_query(char *s, unsigned allowed)
{
    api_kv kv[16];
    size_t n = 0;
    api_query q;
    api_error e;
    for (char *p = s; p && n < 16;) {
        char *amp = strchr(p, '&'), *eq;
        if (amp)
            *amp = 0;
        eq = strchr(p, '=');
        if (eq)
            *eq = 0;
        kv[n].key = p;
        kv[n++].value = eq ? eq + 1 : NULL;
        p = amp ? amp + 1 : NULL;
    }
    if (api_parse_query(kv, n, allowed, &q, &e) != 0) {
        CHECK(e.status == 400);
        check_error(&e);
        return;
    }
    check_query(&q);
}

static const char *str_of(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

static void check_client(const json_t *obj, int rc, const api_client_in *in,
                         const c2_new_client *nc, const api_error *e)
{
    static const api_client_in zero;
    if (rc != 0) {
        check_error(e);
        CHECK(memcmp(in, &zero, sizeof zero) == 0);
        check_not_leaked(obj, e, str_of(obj, "password"));
        check_not_leaked(obj, e, str_of(obj, "key"));
        check_not_leaked(obj, e, str_of(obj, "pubkey"));
        return;
    }
    CHECK(valid_text(nc->name, E4_NAME_MAX));
    CHECK(!!nc->key + !!nc->password + !!nc->pubkey <= 1);
    CHECK(!nc->password || strlen(nc->password) >= E4_PASSWORD_MIN);
    CHECK(!nc->key || nc->key == in->key);
}

static c2_mode mode_of(unsigned bits)
{
    return bits == 1 ? C2_MODE_SK : bits == 2 ? C2_MODE_PK : (c2_mode)0;
}

static e4_suite suite_of(unsigned bits)
{
    static const e4_suite suites[4] = {E4_SUITE_BASE, E4_SUITE_FIPS_SK, E4_SUITE_FIPS_PK,
                                       E4_SUITE_PQ_PK};
    return suites[bits & 3];
}

static void fuzz_client(const char *data, size_t len, unsigned flags)
{
    api_error e;
    api_client_in in;
    c2_new_client nc;
    json_t *j = api_json_parse(data, len, &e);
    if (!j) {
        check_error(&e);
        return;
    }
    memset(&in, 0xa5, sizeof in);
    check_client(j,
                 api_parse_client_suite(j, mode_of(flags & 3), suite_of(flags >> 2), &in, &nc, &e),
                 &in, &nc, &e);
    CHECK(!nc.pubkey || nc.pubkey_len == c2_client_pk_len(suite_of(flags >> 2)));
    api_client_in_wipe(&in);
    json_decref(j);
}

static void fuzz_import(const char *data, size_t len, unsigned flags)
{
    api_import im;
    api_error e;
    if (api_parse_import_suite(data, len, flags & 1, mode_of((flags >> 1) & 3),
                               suite_of(flags >> 3), &im, &e) != 0) {
        check_error(&e);
        CHECK(im.root == NULL && im.in == NULL && im.list == NULL);
        return;
    }
    /* JSON lines are converted line by line (no tree is kept); an array
     * body keeps its tree */
    CHECK(im.n >= 1 &&
          ((flags & 1) ? im.root == NULL && im.owns_strings : im.n == json_array_size(im.root)));
    for (size_t i = 0; i < im.n; i++)
        check_client(im.root ? json_array_get(im.root, i) : NULL, 0, &im.in[i], &im.list[i], &e);
    api_import_free(&im);
}

static int fuzz_members(const json_t *j, unsigned flags, api_error *e)
{
    api_refs refs;
    int rc = api_parse_members(j, flags & 4 ? "rotate" : "share_pubkeys", !!(flags & 4), &refs, e);
    if (rc != 0)
        return rc;
    CHECK(refs.n >= 1 && refs.n <= API_REFS_MAX);
    for (size_t i = 0; i < refs.n; i++)
        CHECK(valid_text(refs.refs[i], E4_NAME_MAX));
    free(refs.refs);
    return 0;
}

static void fuzz_bodies(const char *data, size_t len, unsigned flags)
{
    api_error e;
    const char *s = NULL;
    int rc;
    json_t *j = api_json_parse(data, len, &e);
    if (!j) {
        check_error(&e);
        return;
    }
    switch (flags & 3) {
    case 0: rc = fuzz_members(j, flags, &e); break;
    case 1:
        rc = api_parse_source(j, &s, &e);
        CHECK(rc != 0 || valid_text(s, E4_NAME_MAX));
        break;
    case 2:
        rc = api_parse_topic_new(j, &s, &e);
        CHECK(rc != 0 || (valid_text(s, E4_TOPIC_MAX) && !strpbrk(s, "+#")));
        break;
    default: rc = api_parse_empty(j, &e); CHECK(rc != 0 || json_object_size(j) == 0);
    }
    if (rc != 0)
        check_error(&e);
    json_decref(j);
}

static int interval_ok(int64_t v)
{
    return v == 0 || (v >= C2_INTERVAL_MIN && v <= C2_INTERVAL_MAX);
}

/* An accepted policy is within the documented bounds, and of its kind. */
static void check_policy(const c2_policy *p, int client)
{
    CHECK(interval_ok(p->every) && interval_ok(p->max_age));
    CHECK((p->on_join == 0 || p->on_join == 1) && (p->on_leave == 0 || p->on_leave == 1));
    CHECK(!client || (p->max_age == 0 && p->on_join == 0 && p->on_leave == 1));
}

static void fuzz_policy(const char *data, size_t len, unsigned flags)
{
    api_error e;
    c2_policy p;
    int enabled = -1, rc;
    json_t *j = api_json_parse(data, len, &e);
    if (!j) {
        check_error(&e);
        return;
    }
    if (flags & 2) {
        rc = api_parse_monitor(j, &enabled, &e);
        CHECK(rc != 0 || enabled == 0 || enabled == 1);
    } else {
        rc = api_parse_policy(j, flags & 1 ? C2_POLICY_CLIENT : C2_POLICY_TOPIC, &p, &e);
        if (rc == 0)
            check_policy(&p, flags & 1);
    }
    if (rc != 0) {
        CHECK(e.status == 400);
        check_error(&e);
    }
    json_decref(j);
}

static void fuzz_headers(const char *s, unsigned flags)
{
    char tok[API_TOKEN_MAX + 1];
    api_error e;
    int64_t id;
    int nd;
    if (api_parse_bearer(s, tok, sizeof tok, &e) == 0) {
        CHECK(strlen(tok) >= 1 && strlen(tok) <= API_TOKEN_MAX && strstr(s, tok));
    } else { /* fixed messages: nothing of the header in them */
        CHECK(e.status == 401);
        CHECK(!strcmp(e.message, "malformed bearer token") ||
              !strcmp(e.message, "the Authorization header must use the Bearer scheme") ||
              !strncmp(e.message, "missing bearer token", 20));
    }
    if (api_check_content_type((api_body_kind)(flags % 3), s, flags & 4, &nd, &e) != 0)
        CHECK(e.status == 415);
    (void)api_accepts_sse(s);
    if (api_parse_event_id(s, &id, &e) == 0)
        CHECK(id >= 0);
    if (api_check_length((api_body_kind)(flags % 3), s, &e) != 0)
        CHECK(e.status == 400 || e.status == 413);
}

static void fuzz_percent(const char *s, size_t len, unsigned flags)
{
    char out[E4_TOPIC_MAX + 1];
    size_t cap = (flags % sizeof out) + 1;
    long n = api_percent_decode(s, len, out, cap);
    CHECK(n >= API_PCT_UTF8 && n < (long)cap);
    if (n >= 0)
        CHECK(strlen(out) == (size_t)n && n <= (long)len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    api_json_wipe_on_free();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    unsigned flags;
    if (size < 2 || size > (1u << 16))
        return 0;
    flags = data[1];
    s = malloc(size - 1); /* data as a NUL-terminated string, for the text parsers */
    if (!s)
        return 0;
    memcpy(s, data + 2, size - 2);
    s[size - 2] = 0;
    switch (data[0] % 8) {
    case 0: fuzz_route(s); break;
    case 1: fuzz_query(s, flags & 127); break;
    case 2: fuzz_client((const char *)data + 2, size - 2, flags); break;
    case 3: fuzz_import((const char *)data + 2, size - 2, flags); break;
    case 4: fuzz_bodies((const char *)data + 2, size - 2, flags); break;
    case 5: fuzz_headers(s, flags); break;
    case 6: fuzz_percent((const char *)data + 2, size - 2, flags); break;
    default: fuzz_policy((const char *)data + 2, size - 2, flags); break;
    }
    free(s);
    return 0;
}
