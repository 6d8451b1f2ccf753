/*
 * api_parse: errors, hex, path segments, query parameters and headers of
 * e4c2 API requests. JSON bodies are in api_body.c. No I/O, no MHD.
 */
#include "api_parse.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "mqtt.h"

/* ---- errors --------------------------------------------------------------- */

const char *api_status_code(int status)
{
    switch (status) {
    case 400: return "invalid_argument";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type";
    case 503: return "unavailable";
    default: return "internal";
    }
}

static int vfail(api_error *e, int status, const char *code, const char *fmt, va_list ap)
{
    e->status = status;
    e->code = code;
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    return -1;
}

int api_fail(api_error *e, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, status, api_status_code(status), fmt, ap);
    va_end(ap);
    return -1;
}

int api_fail_code(api_error *e, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, status, code, fmt, ap);
    va_end(ap);
    return -1;
}

int api_fail_c2(api_error *e, const c2_error *c2)
{
    c2_err code = c2->code == C2_OK ? C2_INTERNAL : c2->code;
    const char *msg = c2->message[0] ? c2->message : "internal error";
    return api_fail_code(e, c2_err_http_status(code), c2_err_code(code), "%s", msg);
}

/* ---- hex ------------------------------------------------------------------ */

int api_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hex_len)
{
    if (hex_len != 2 * n)
        return -1;
    if (hex_decode_n(out, n, hex) != 0) {
        e4_wipe(out, n);
        return -1;
    }
    return 0;
}

void api_hex_encode(char *out, const uint8_t *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

/* ---- percent-decoding and path segments ----------------------------------- */

long api_percent_decode(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            int h = len - i >= 3 ? hex_digit((unsigned char)in[i + 1]) : -1;
            int l = len - i >= 3 ? hex_digit((unsigned char)in[i + 2]) : -1;
            if (h < 0 || l < 0)
                return API_PCT_ESCAPE;
            c = (unsigned char)(h << 4 | l);
            i += 2;
        }
        if (c == 0)
            return API_PCT_NUL;
        if (o + 1 >= cap)
            return API_PCT_LONG;
        out[o++] = (char)c;
    }
    if (cap == 0)
        return API_PCT_LONG;
    out[o] = 0;
    if (mqtt_utf8_validate((const uint8_t *)out, o, NULL) != MQTT_OK)
        return API_PCT_UTF8;
    return (long)o;
}

int api_path_param(api_param_kind kind, const char *what, const char *raw, size_t len, char *out,
                   size_t cap, api_error *e)
{
    size_t max = kind == API_PARAM_TOPIC ? E4_TOPIC_MAX : E4_NAME_MAX;
    long n = api_percent_decode(raw, len, out, cap);
    if (n == API_PCT_ESCAPE)
        return api_fail(e, 400, "%s: malformed percent-encoding in the path", what);
    if (n == API_PCT_NUL)
        return api_fail(e, 400, "%s must not contain NUL (%%00)", what);
    if (n == API_PCT_UTF8)
        return api_fail(e, 400, "%s must be valid UTF-8", what);
    if (n <= 0 || (size_t)n > max)
        return api_fail(e, 400, "%s must be 1 to %zu bytes", what, max);
    return 0;
}

/* ---- query parameters ----------------------------------------------------- */

void api_quote(char *out, size_t cap, const char *s)
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; s[i] && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 40) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[o++] = (char)c;
            continue;
        }
        out[o++] = '\\';
        out[o++] = 'x';
        out[o++] = digits[c >> 4];
        out[o++] = digits[c & 15];
    }
    out[o] = 0;
}

/* A decimal integer in [min, max], digits only. */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    int64_t v = 0;
    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

#define API_OFFSET_MAX INT64_C(1000000000000000)

static int query_value(unsigned flag, const char *val, api_query *q, api_error *e)
{
    switch (flag) {
    case API_Q_OFFSET:
        return parse_int(val, 0, API_OFFSET_MAX, &q->offset) == 0
                   ? 0
                   : api_fail(e, 400, "offset must be a non-negative integer");
    case API_Q_LIMIT:
        return parse_int(val, 1, API_LIMIT_MAX, &q->limit) == 0
                   ? 0
                   : api_fail(e, 400, "limit must be an integer from 1 to %d", API_LIMIT_MAX);
    case API_Q_AFTER:
        q->has_after = 1;
        return parse_int(val, 0, INT64_MAX, &q->after) == 0
                   ? 0
                   : api_fail(e, 400, "after must be a non-negative integer");
    case API_Q_HOURS:
        return parse_int(val, 1, 168, &q->hours) == 0
                   ? 0
                   : api_fail(e, 400, "hours must be an integer from 1 to 168");
    case API_Q_ROTATE:
    case API_Q_BEHIND:
        if (strcmp(val, "true") == 0 || strcmp(val, "false") == 0) {
            *(flag == API_Q_ROTATE ? &q->rotate : &q->behind) = val[0] == 't';
            return 0;
        }
        return api_fail(e, 400, "%s must be true or false",
                        flag == API_Q_ROTATE ? "rotate" : "behind");
    default: /* API_Q_SEARCH */ q->has_search = val[0] != 0; return 0;
    }
}

static const struct {
    const char *name;
    unsigned flag;
} QUERY_PARAMS[] = {
    {"offset", API_Q_OFFSET}, {"limit", API_Q_LIMIT},   {"search", API_Q_SEARCH},
    {"after", API_Q_AFTER},   {"rotate", API_Q_ROTATE}, {"behind", API_Q_BEHIND},
    {"hours", API_Q_HOURS},
};

static unsigned query_flag(const char *key)
{
    for (size_t i = 0; i < sizeof QUERY_PARAMS / sizeof QUERY_PARAMS[0]; i++)
        if (strcmp(key, QUERY_PARAMS[i].name) == 0)
            return QUERY_PARAMS[i].flag;
    return 0;
}

static int query_one(const api_kv *kv, unsigned allowed, unsigned *seen, api_query *q, api_error *e)
{
    char key[16], val[E4_TOPIC_MAX + 1], shown[64];
    unsigned flag = 0;
    long n;
    if (api_percent_decode(kv->key, strlen(kv->key), key, sizeof key) >= 0)
        flag = query_flag(key);
    if (!(flag & allowed)) {
        api_quote(shown, sizeof shown, kv->key);
        return api_fail(e, 400, "unknown query parameter \"%s\"", shown);
    }
    if (*seen & flag)
        return api_fail(e, 400, "query parameter \"%s\" is given more than once", key);
    *seen |= flag;
    n = api_percent_decode(kv->value ? kv->value : "", kv->value ? strlen(kv->value) : 0,
                           flag == API_Q_SEARCH ? q->search : val,
                           flag == API_Q_SEARCH ? sizeof q->search : sizeof val);
    if (n < 0 && flag != API_Q_SEARCH)
        return query_value(flag, "", q, e);
    if (n == API_PCT_LONG)
        return api_fail(e, 400, "search must be at most %d bytes", E4_TOPIC_MAX);
    if (n < 0)
        return api_fail(e, 400, "search must be percent-encoded UTF-8 without NUL");
    return query_value(flag, flag == API_Q_SEARCH ? q->search : val, q, e);
}

int api_parse_query(const api_kv *kv, size_t n, unsigned allowed, api_query *q, api_error *e)
{
    unsigned seen = 0;
    memset(q, 0, sizeof *q);
    q->limit = API_LIMIT_DEFAULT;
    q->rotate = -1; /* not given: the topic's policy decides */
    q->hours = 24;
    for (size_t i = 0; i < n; i++)
        if (query_one(&kv[i], allowed, &seen, q, e) != 0)
            return -1;
    return 0;
}

/* ---- headers -------------------------------------------------------------- */

size_t api_body_limit(api_body_kind kind)
{
    return kind == API_BODY_IMPORT ? API_IMPORT_BODY_MAX : API_BODY_MAX;
}

int api_check_length(api_body_kind kind, const char *content_length, api_error *e)
{
    int64_t n = 0;
    if (!content_length)
        return 0;
    if (parse_int(content_length, 0, INT64_MAX, &n) != 0)
        return api_fail(e, 400, "Content-Length must be a non-negative integer");
    if ((uint64_t)n > api_body_limit(kind))
        return api_fail(e, 413, "request body exceeds %zu bytes", api_body_limit(kind));
    return 0;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Does the media type of header h (parameters ignored) equal type? */
static int media_is(const char *h, const char *type)
{
    size_t n = strlen(type);
    h = skip_ws(h);
    if (strncasecmp(h, type, n) != 0)
        return 0;
    h = skip_ws(h + n);
    return *h == 0 || *h == ';' || *h == ',';
}

int api_check_content_type(api_body_kind kind, const char *content_type, size_t body_len,
                           int *ndjson, api_error *e)
{
    *ndjson = 0;
    if (kind == API_BODY_NONE && body_len == 0)
        return 0;
    if (content_type && media_is(content_type, "application/json"))
        return 0;
    if (kind != API_BODY_IMPORT)
        return api_fail(e, 415, "Content-Type must be application/json");
    if (content_type && media_is(content_type, "application/x-ndjson")) {
        *ndjson = 1;
        return 0;
    }
    return api_fail(e, 415, "Content-Type must be application/json or application/x-ndjson");
}

/* RFC 7235 token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static size_t token68_len(const char *s)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789-._~+/";
    size_t n = strspn(s, chars);
    return n ? n + strspn(s + n, "=") : 0;
}

int api_parse_bearer(const char *h, char *tok, size_t cap, api_error *e)
{
    size_t n;
    if (!h)
        return api_fail(e, 401, "missing bearer token (Authorization: Bearer <token>)");
    h = skip_ws(h);
    if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
        return api_fail(e, 401, "the Authorization header must use the Bearer scheme");
    h = skip_ws(h + 6);
    n = token68_len(h);
    if (n == 0 || *skip_ws(h + n) != 0 || n > API_TOKEN_MAX || n >= cap)
        return api_fail(e, 401, "malformed bearer token");
    memcpy(tok, h, n);
    tok[n] = 0;
    return 0;
}

int api_accepts_sse(const char *accept)
{
    for (const char *p = accept; p && *p; p++) {
        if (media_is(p, "text/event-stream"))
            return 1;
        p = strchr(p, ',');
        if (!p)
            break;
    }
    return 0;
}

int api_parse_event_id(const char *s, int64_t *out, api_error *e)
{
    if (parse_int(s, 0, INT64_MAX, out) != 0)
        return api_fail(e, 400, "Last-Event-ID must be a non-negative integer");
    return 0;
}

/* ---- wiping jansson's memory ---------------------------------------------- */

static void wipe_free(void *p)
{
    if (p) {
        e4_wipe(p, malloc_usable_size(p));
        free(p);
    }
}

void api_json_wipe_on_free(void)
{
    json_set_alloc_funcs(malloc, wipe_free);
}
