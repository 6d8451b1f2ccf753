/*
 * api_body: JSON request bodies of the e4c2 API, checked field by field
 * (unknown fields, types, lengths, hex) into the store's types.
 */
#include "api_parse.h"

#include <stdlib.h>
#include <string.h>

#include "mqtt.h"
#include "suite.h"

/* ---- the whole body ------------------------------------------------------- */

/* jansson's error text without its " near '...'" part, which may quote the
 * body (a key or a password), and in our words where jansson's are obscure. */
static void json_reason(char *out, size_t cap, const char *text)
{
    static const char *const plain[][2] = {
        {"end of file expected", "trailing data after the JSON value"},
        {"'[' or '{' expected", "expected a JSON object or array"},
        {"JSON_ALLOW_NUL", "strings must not contain \\u0000"},
    };
    const char *near = strstr(text, " near ");
    size_t n = near ? (size_t)(near - text) : strlen(text);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (strstr(text, plain[i][0])) {
            text = plain[i][1];
            n = strlen(text);
        }
    if (n >= cap)
        n = cap - 1;
    memcpy(out, text, n);
    out[n] = 0;
}

static json_t *load(const char *buf, size_t len, const char *pfx, api_error *e)
{
    json_error_t jerr;
    char reason[128];
    json_t *j;
    if (len == 0) {
        api_fail(e, 400, "%srequest body is empty; expected JSON", pfx);
        return NULL;
    }
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        json_reason(reason, sizeof reason, jerr.text);
        api_fail(e, 400, "%sinvalid JSON at line %d, column %d: %s", pfx, jerr.line, jerr.column,
                 reason);
    }
    return j;
}

json_t *api_json_parse(const char *buf, size_t len, api_error *e)
{
    return load(buf, len, "", e);
}

/* ---- fields --------------------------------------------------------------- */

typedef enum ftype { F_STRING, F_BOOL, F_ARRAY, F_SECONDS } ftype;

typedef struct field {
    const char *name;
    ftype type;
    int required;
} field;

static const char *const TYPE_NAMES[] = {"a string", "true or false", "an array",
                                         "an integer number of seconds or null"};

static int type_ok(ftype t, const json_t *v)
{
    switch (t) {
    case F_STRING: return json_is_string(v);
    case F_BOOL: return json_is_boolean(v);
    case F_ARRAY: return json_is_array(v);
    default: return json_is_integer(v) || json_is_null(v);
    }
}

/* obj is an object, has only the fields f[], each of its type, and the
 * required ones. pfx starts every message ("clients[3]: " in imports). */
static int check_fields(const json_t *obj, const field *f, size_t n, const char *pfx, api_error *e)
{
    const char *key;
    json_t *v;
    char shown[64];
    if (!json_is_object(obj))
        return api_fail(e, 400, "%sexpected a JSON object", pfx);
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i = 0;
        while (i < n && strcmp(f[i].name, key) != 0)
            i++;
        if (i == n) {
            api_quote(shown, sizeof shown, key);
            return api_fail(e, 400, "%sunknown field \"%s\"", pfx, shown);
        }
        if (!type_ok(f[i].type, v))
            return api_fail(e, 400, "%s%s must be %s", pfx, key, TYPE_NAMES[f[i].type]);
    }
    for (size_t i = 0; i < n; i++)
        if (f[i].required && !json_object_get(obj, f[i].name))
            return api_fail(e, 400, "%smissing field \"%s\"", pfx, f[i].name);
    return 0;
}

static const char *str_field(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

static int valid_ref(const char *s)
{
    return e4_validate_name(s) == E4_OK;
}

/* ---- clients -------------------------------------------------------------- */

/* The C2's mode as parsing sees it (mode 0: no mode checks). */
typedef struct api_mode {
    c2_mode mode;
    e4_suite suite;
} api_mode;

static const field CLIENT_FIELDS[] = {
    {"name", F_STRING, 1},     {"id", F_STRING, 0},     {"key", F_STRING, 0},
    {"password", F_STRING, 0}, {"pubkey", F_STRING, 0},
};

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* A hex field of exactly n bytes into out (NULL when absent). */
static int hex_field(const json_t *obj, const char *name, uint8_t *out, size_t n,
                     const uint8_t **dst, const char *pfx, api_error *e)
{
    const json_t *v = json_object_get(obj, name);
    if (!v)
        return 0;
    if (api_hex_decode(out, n, json_string_value(v), json_string_length(v)) != 0)
        return api_fail(e, 400, "%s%s must be %zu hex characters", pfx, name, 2 * n);
    if (strcmp(name, "id") != 0 && all_zero(out, n)) /* an all-zero key is never valid */
        return api_fail(e, 400, "%s%s must not be all zeros", pfx, name);
    *dst = out;
    return 0;
}

/* pubkey: the suite's key set (any suite when mode checks are off: by length). */
static int pubkey_field(const json_t *obj, e4_suite suite, api_client_in *in, c2_new_client *nc,
                        const char *pfx, api_error *e)
{
    const json_t *v = json_object_get(obj, "pubkey");
    size_t n = c2_client_pk_len(suite);
    if (!v)
        return 0;
    if (n == E4_ED25519_PK_LEN)
        return hex_field(obj, "pubkey", in->pubkey, n, &nc->pubkey, pfx, e) ||
               !(nc->pubkey_len = n);
    if (!(in->suite_pubkey = calloc(1, n)))
        return api_fail(e, 500, "out of memory");
    if (hex_field(obj, "pubkey", in->suite_pubkey, n, &nc->pubkey, pfx, e))
        return -1;
    nc->pubkey_len = n;
    return 0;
}

static int client_mode(const c2_new_client *nc, api_mode m, const char *pfx, api_error *e)
{
    c2_mode mode = m.mode;
    if (mode == C2_MODE_PK && m.suite != E4_SUITE_BASE && nc->password)
        return api_fail(e, 400, "%spassword is for sk, fips-sk and pk modes, not %s", pfx,
                        c2_mode_name(mode, m.suite));
    if (mode == C2_MODE_PK && nc->key)
        return api_fail_code(
            e, 409, "wrong_mode",
            "%skey is for SK mode; this C2 runs in PK mode (give pubkey or password)", pfx);
    if (mode == C2_MODE_SK && nc->pubkey)
        return api_fail_code(
            e, 409, "wrong_mode",
            "%spubkey is for PK mode; this C2 runs in SK mode (give key or password)", pfx);
    return 0;
}

static int client_password(const json_t *obj, c2_new_client *nc, const char *pfx, api_error *e)
{
    const json_t *v = json_object_get(obj, "password");
    if (!v)
        return 0;
    if (json_string_length(v) > API_PASSWORD_MAX)
        return api_fail(e, 400, "%spassword must be at most %d bytes", pfx, API_PASSWORD_MAX);
    if (e4_validate_password(json_string_value(v)) != E4_OK)
        return api_fail(e, 400, "%spassword must be at least %d bytes of UTF-8", pfx,
                        E4_PASSWORD_MIN);
    nc->password = json_string_value(v);
    return 0;
}

static int client_fields(const json_t *obj, api_mode mode, api_client_in *in, c2_new_client *nc,
                         const char *pfx, api_error *e)
{
    int secrets;
    memset(nc, 0, sizeof *nc);
    in->suite_pubkey = NULL;
    if (check_fields(obj, CLIENT_FIELDS, sizeof CLIENT_FIELDS / sizeof CLIENT_FIELDS[0], pfx, e))
        return -1;
    nc->name = str_field(obj, "name");
    if (!valid_ref(nc->name))
        return api_fail(e, 400, "%sname must be 1 to %d bytes of UTF-8", pfx, E4_NAME_MAX);
    secrets = !!json_object_get(obj, "key") + !!json_object_get(obj, "password") +
              !!json_object_get(obj, "pubkey");
    if (secrets > 1)
        return api_fail(e, 400, "%sat most one of key, password and pubkey may be given", pfx);
    if (hex_field(obj, "id", in->id, E4_ID_LEN, &nc->id, pfx, e) ||
        hex_field(obj, "key", in->key, E4_KEY_LEN, &nc->key, pfx, e) ||
        pubkey_field(obj, mode.suite, in, nc, pfx, e) || client_password(obj, nc, pfx, e) ||
        client_mode(nc, mode, pfx, e))
        return -1;
    return 0;
}

/* On failure nothing decoded is left: in is wiped, nc cleared. */
static int parse_client(const json_t *obj, api_mode mode, api_client_in *in, c2_new_client *nc,
                        const char *pfx, api_error *e)
{
    if (client_fields(obj, mode, in, nc, pfx, e) == 0)
        return 0;
    api_client_in_wipe(in);
    memset(nc, 0, sizeof *nc);
    return -1;
}

int api_parse_client_suite(const json_t *obj, c2_mode mode, e4_suite suite, api_client_in *in,
                           c2_new_client *nc, api_error *e)
{
    api_mode m = {mode, suite};
    return parse_client(obj, m, in, nc, "", e);
}

int api_parse_client(const json_t *obj, c2_mode mode, api_client_in *in, c2_new_client *nc,
                     api_error *e)
{
    return api_parse_client_suite(obj, mode, E4_SUITE_BASE, in, nc, e);
}

void api_client_in_wipe(api_client_in *in)
{
    if (in->suite_pubkey)
        free(in->suite_pubkey); /* public keys: nothing to wipe */
    e4_wipe(in, sizeof *in);
}

/* ---- imports -------------------------------------------------------------- */

/* JSON lines are converted one line at a time, each line's JSON freed at
 * once: 100,000 clients never exist as one JSON tree (a few hundred bytes
 * each), only as the decoded entries. Names and passwords are copied. */
static size_t count_lines(const char *body, size_t len)
{
    size_t n = 0;
    for (const char *p = body, *end = body + len; p < end; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    return n;
}

static int own_strings(c2_new_client *nc, api_error *e)
{
    char *name = strdup(nc->name), *pw = nc->password ? strdup(nc->password) : NULL;
    if (!name || (nc->password && !pw)) {
        free(name);
        free(pw);
        return api_fail(e, 500, "out of memory");
    }
    nc->name = name;
    nc->password = pw;
    return 0;
}

static int import_line(api_import *im, size_t entry, const char *line, size_t n, api_mode mode,
                       api_error *e)
{
    char pfx[80];
    json_t *j;
    int rc;
    snprintf(pfx, sizeof pfx, "clients[%zu] (line %zu): ", entry, entry + 1);
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (!n)
        return api_fail(e, 400, "%sempty line", pfx);
    if (!(j = load(line, n, pfx, e)))
        return -1;
    rc = parse_client(j, mode, &im->in[entry], &im->list[entry], pfx, e);
    if (rc == 0)
        rc = own_strings(&im->list[entry], e);
    if (rc != 0)
        memset(&im->list[entry], 0, sizeof im->list[entry]);
    json_decref(j); /* wiped as freed: api_json_wipe_on_free */
    return rc;
}

static int import_lines(api_import *im, const char *body, size_t len, api_mode mode, api_error *e)
{
    size_t i = 0;
    im->owns_strings = 1;
    im->n = count_lines(body, len);
    im->in = calloc(im->n, sizeof *im->in);
    im->list = calloc(im->n, sizeof *im->list);
    if (!im->in || !im->list)
        return api_fail(e, 500, "out of memory");
    for (size_t entry = 0; entry < im->n; entry++) {
        const char *nl = memchr(body + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - body) : len;
        if (import_line(im, entry, body + i, end - i, mode, e) != 0)
            return -1;
        i = end + 1;
    }
    return 0;
}

static int import_entries(api_import *im, api_mode mode, api_error *e)
{
    char pfx[80];
    im->in = calloc(im->n, sizeof *im->in);
    im->list = calloc(im->n, sizeof *im->list);
    if (!im->in || !im->list)
        return api_fail(e, 500, "out of memory");
    for (size_t i = 0; i < im->n; i++) {
        snprintf(pfx, sizeof pfx, "clients[%zu]: ", i);
        if (parse_client(json_array_get(im->root, i), mode, &im->in[i], &im->list[i], pfx, e))
            return -1;
    }
    return 0;
}

int api_parse_import(const char *body, size_t len, int ndjson, c2_mode mode, api_import *out,
                     api_error *e)
{
    return api_parse_import_suite(body, len, ndjson, mode, E4_SUITE_BASE, out, e);
}

int api_parse_import_suite(const char *body, size_t len, int ndjson, c2_mode c2mode, e4_suite suite,
                           api_import *out, api_error *e)
{
    api_mode mode = {c2mode, suite};
    memset(out, 0, sizeof *out);
    if (len == 0)
        return api_fail(e, 400, "request body is empty; expected clients to import");
    if (ndjson) {
        if (import_lines(out, body, len, mode, e) == 0)
            return 0;
        api_import_free(out);
        return -1;
    }
    out->root = load(body, len, "", e);
    if (!out->root)
        return -1;
    if (!json_is_array(out->root)) {
        api_import_free(out);
        return api_fail(e, 400, "expected a JSON array of clients");
    }
    out->n = json_array_size(out->root);
    if (out->n == 0) {
        api_import_free(out);
        return api_fail(e, 400, "no clients to import");
    }
    if (import_entries(out, mode, e) != 0) {
        api_import_free(out);
        return -1;
    }
    return 0;
}

void api_import_free(api_import *im)
{
    for (size_t i = 0; im->owns_strings && im->list && i < im->n; i++) {
        free((char *)im->list[i].name);
        if (im->list[i].password)
            e4_wipe((char *)im->list[i].password, strlen(im->list[i].password));
        free((char *)im->list[i].password);
    }
    for (size_t i = 0; im->in && i < im->n; i++)
        api_client_in_wipe(&im->in[i]);
    free(im->in);
    free(im->list);
    json_decref(im->root);
    memset(im, 0, sizeof *im);
}

/* ---- other bodies --------------------------------------------------------- */

int api_parse_members(const json_t *obj, const char *flag_name, int flag_default, api_refs *out,
                      api_error *e)
{
    const field f[] = {{"clients", F_ARRAY, 1}, {flag_name, F_BOOL, 0}};
    const json_t *arr, *flag;
    memset(out, 0, sizeof *out);
    if (check_fields(obj, f, 2, "", e))
        return -1;
    arr = json_object_get(obj, "clients");
    out->n = json_array_size(arr);
    if (out->n == 0)
        return api_fail(e, 400, "clients must not be empty");
    if (out->n > API_REFS_MAX)
        return api_fail(e, 400, "clients must have at most %d entries", API_REFS_MAX);
    out->refs = calloc(out->n, sizeof *out->refs);
    if (!out->refs)
        return api_fail(e, 500, "out of memory");
    for (size_t i = 0; i < out->n; i++) {
        out->refs[i] = json_string_value(json_array_get(arr, i));
        if (!out->refs[i] || !valid_ref(out->refs[i])) {
            if (out->refs[i])
                api_fail(e, 400, "clients[%zu] must be 1 to %d bytes of UTF-8", i, E4_NAME_MAX);
            else
                api_fail(e, 400, "clients[%zu] must be a string", i);
            free(out->refs);
            memset(out, 0, sizeof *out);
            return -1;
        }
    }
    flag = json_object_get(obj, flag_name);
    out->flag = flag ? json_is_true(flag) : flag_default;
    return 0;
}

int api_parse_source(const json_t *obj, const char **source, api_error *e)
{
    static const field f[] = {{"source", F_STRING, 1}};
    *source = NULL;
    if (check_fields(obj, f, 1, "", e))
        return -1;
    if (!valid_ref(str_field(obj, "source")))
        return api_fail(e, 400, "source must be 1 to %d bytes of UTF-8", E4_NAME_MAX);
    *source = str_field(obj, "source");
    return 0;
}

int api_parse_topic_new(const json_t *obj, const char **name, api_error *e)
{
    static const field f[] = {{"name", F_STRING, 1}};
    const json_t *v;
    *name = NULL;
    if (check_fields(obj, f, 1, "", e))
        return -1;
    v = json_object_get(obj, "name");
    if (json_string_length(v) < 1 || json_string_length(v) > E4_TOPIC_MAX)
        return api_fail(e, 400, "name must be 1 to %d bytes", E4_TOPIC_MAX);
    if (mqtt_topic_name_validate((const uint8_t *)json_string_value(v), json_string_length(v)) !=
        MQTT_OK)
        return api_fail(e, 400, "name must be an MQTT topic name: UTF-8 without '+' or '#'");
    *name = json_string_value(v);
    return 0;
}

int api_parse_empty(const json_t *obj, api_error *e)
{
    return obj ? check_fields(obj, NULL, 0, "", e) : 0;
}

/* An interval field: absent or null is 0 (none); otherwise 60 s..10 years. */
static int interval_field(const json_t *obj, const char *name, int64_t *out, api_error *e)
{
    const json_t *v = json_object_get(obj, name);
    *out = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    if (json_is_integer(v) && (*out < C2_INTERVAL_MIN || *out > C2_INTERVAL_MAX))
        return api_fail(e, 400, "%s must be from %d seconds to 10 years (%lld seconds), or null",
                        name, C2_INTERVAL_MIN, (long long)C2_INTERVAL_MAX);
    return 0;
}

static int bool_field(const json_t *obj, const char *name, int dflt)
{
    const json_t *v = json_object_get(obj, name);
    return v ? json_is_true(v) : dflt;
}

int api_parse_policy(const json_t *obj, c2_policy_kind kind, c2_policy *out, api_error *e)
{
    static const field topic[] = {{"rotate_every", F_SECONDS, 0},
                                  {"max_age", F_SECONDS, 0},
                                  {"on_join", F_BOOL, 0},
                                  {"on_leave", F_BOOL, 0}};
    static const field client[] = {{"rekey_every", F_SECONDS, 0}};
    int is_topic = kind == C2_POLICY_TOPIC;
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->on_leave = 1;
    if (check_fields(obj, is_topic ? topic : client, is_topic ? 4 : 1, "", e) ||
        interval_field(obj, is_topic ? "rotate_every" : "rekey_every", &out->every, e) ||
        (is_topic && interval_field(obj, "max_age", &out->max_age, e)))
        return -1;
    if (is_topic) {
        out->on_join = bool_field(obj, "on_join", 0);
        out->on_leave = bool_field(obj, "on_leave", 1);
    }
    return 0;
}

int api_parse_monitor(const json_t *obj, int *enabled, api_error *e)
{
    static const field f[] = {{"enabled", F_BOOL, 1}};
    if (check_fields(obj, f, 1, "", e))
        return -1;
    *enabled = json_is_true(json_object_get(obj, "enabled"));
    return 0;
}
