/*
 * api_parse: pure parsing of e4c2 API requests (docs/e4c2-openapi.json).
 *
 * No libmicrohttpd and no store here, so that every function can be unit
 * tested and fuzzed (fuzz/fuzz_e4c2_api.c). Each rejection fills an
 * api_error with the HTTP status, the JSON error code and a precise message
 * that never contains a key, a password or a token.
 *
 * JSON bodies must be exactly one JSON object (or array for imports): no
 * trailing data, no duplicate keys, no NUL in strings, no unknown field.
 * Decoded keys live in caller-provided structs that the caller wipes
 * (api_client_in_wipe, api_import_free).
 */
#ifndef E4C2_API_PARSE_H
#define E4C2_API_PARSE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_auto.h"

#define API_BODY_MAX ((size_t)1 << 20)         /* 1 MiB */
#define API_IMPORT_BODY_MAX ((size_t)64 << 20) /* 64 MiB, POST /v1/clients/import */
#define API_REFS_MAX 10000                     /* clients in one join or leave */
#define API_PASSWORD_MAX 1024                  /* bytes */
#define API_TOKEN_MAX 256                      /* bytes of a bearer token */
#define API_LIMIT_DEFAULT 100
#define API_LIMIT_MAX 1000

typedef struct api_error {
    int status;        /* HTTP status: 400, 401, 403, 404, 405, 409, 413, 415, 500, 503 */
    const char *code;  /* "invalid_argument", ... (a static string) */
    char message[256]; /* for people; never holds a key, a password or a token */
} api_error;

/* Fill e (code from the status, see api_status_code) and return -1. */
int api_fail(api_error *e, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with an explicit code (409 is "conflict" or "wrong_mode"). */
int api_fail_code(api_error *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* s quoted for an error message: at most 40 bytes, anything but printable
 * ASCII as \xHH; out needs 64 bytes. */
void api_quote(char *out, size_t cap, const char *s);
/* The JSON error code of an HTTP status ("internal" for unknown ones). */
const char *api_status_code(int status);
/* Copy a c2_error (from the store) into e; returns -1. */
int api_fail_c2(api_error *e, const c2_error *c2);

/* ---- hex ----------------------------------------------------------------- */

/* Exactly 2*n hex digits (either case) into n bytes; 0 or -1. */
int api_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hex_len);
/* Lower-case hex of n bytes into out[2n + 1]. */
void api_hex_encode(char *out, const uint8_t *in, size_t n);

/* ---- path segments and query parameters -------------------------------- */

/* Percent-decode in[0..len) into out (cap bytes, NUL-terminated). Returns
 * the decoded length, or one of these (< 0): */
#define API_PCT_ESCAPE (-1) /* '%' not followed by two hex digits */
#define API_PCT_NUL (-2)    /* %00 */
#define API_PCT_LONG (-3)   /* the result does not fit in cap */
#define API_PCT_UTF8 (-4)   /* the result is not valid UTF-8 */
long api_percent_decode(const char *in, size_t len, char *out, size_t cap);

typedef enum api_param_kind {
    API_PARAM_CLIENT = 1, /* a client's name or 32-hex id: 1..255 bytes of UTF-8 */
    API_PARAM_TOPIC = 2   /* a topic: 1..512 bytes of UTF-8 */
} api_param_kind;

/* Decode one raw path segment named `what` ("client", "topic", "source"). */
int api_path_param(api_param_kind kind, const char *what, const char *raw, size_t len, char *out,
                   size_t cap, api_error *e);

/* Query parameters an endpoint accepts. */
enum {
    API_Q_OFFSET = 1u << 0,
    API_Q_LIMIT = 1u << 1,
    API_Q_SEARCH = 1u << 2,
    API_Q_AFTER = 1u << 3,
    API_Q_ROTATE = 1u << 4,
    API_Q_BEHIND = 1u << 5,
    API_Q_HOURS = 1u << 6,
    API_Q_PAGE = API_Q_OFFSET | API_Q_LIMIT,
    API_Q_EVENTS = API_Q_AFTER | API_Q_LIMIT
};

/* One query parameter as received: key and value still percent-encoded
 * ('+' already turned into ' ' by the HTTP layer); value NULL for "?key". */
typedef struct api_kv {
    const char *key;
    const char *value;
} api_kv;

typedef struct api_query {
    int64_t offset; /* default 0 */
    int64_t limit;  /* 1..1000, default 100 */
    int64_t after;  /* default 0 */
    int has_after;
    int rotate;    /* 1, 0, or -1 when not given (the topic's policy) */
    int behind;    /* members: only those not on the current key (0) */
    int64_t hours; /* stats history: 1..168, default 24 */
    int has_search;
    char search[E4_TOPIC_MAX + 1]; /* decoded */
} api_query;

/* Parse the query parameters; unknown or repeated ones are rejected. */
int api_parse_query(const api_kv *kv, size_t n, unsigned allowed, api_query *q, api_error *e);

/* ---- headers ------------------------------------------------------------- */

typedef enum api_body_kind {
    API_BODY_NONE = 0,  /* no body (an empty JSON object is tolerated) */
    API_BODY_JSON = 1,  /* a JSON object, application/json */
    API_BODY_IMPORT = 2 /* a JSON array (application/json) or JSON lines (application/x-ndjson) */
} api_body_kind;

size_t api_body_limit(api_body_kind kind);
/* 413 when a declared Content-Length (may be NULL) exceeds the limit; 400
 * when it is not a number. */
int api_check_length(api_body_kind kind, const char *content_length, api_error *e);
/* 415 unless the media type suits the body; *ndjson set for JSON lines. An
 * empty body on an API_BODY_NONE route is accepted whatever the type. */
int api_check_content_type(api_body_kind kind, const char *content_type, size_t body_len,
                           int *ndjson, api_error *e);
/* The token of "Authorization: Bearer <token>" into tok (API_TOKEN_MAX + 1
 * bytes); -1 when absent or malformed (the message says which, never the
 * token). */
int api_parse_bearer(const char *authorization, char *tok, size_t cap, api_error *e);
/* Does an Accept header ask for text/event-stream? */
int api_accepts_sse(const char *accept);
/* Last-Event-ID: a non-negative integer. */
int api_parse_event_id(const char *s, int64_t *out, api_error *e);

/* ---- JSON bodies --------------------------------------------------------- */

/* The whole buffer as one JSON object or array; NULL and a 400 otherwise. */
json_t *api_json_parse(const char *buf, size_t len, api_error *e);

/* A client to create, decoded. The c2_new_client filled by api_parse_client
 * points into this struct and into the JSON object, which must outlive it. */
typedef struct api_client_in {
    uint8_t id[E4_ID_LEN];
    uint8_t key[E4_KEY_LEN];
    uint8_t pubkey[E4_ED25519_PK_LEN];
    uint8_t *suite_pubkey; /* fips-pk, pq-pk: the larger key set, malloc'ed */
} api_client_in;

/* {"name", "id"?, "key"?, "password"?, "pubkey"?}; mode 0 skips the mode
 * checks (key is SK only, pubkey PK only: 409 wrong_mode otherwise). */
int api_parse_client(const json_t *obj, c2_mode mode, api_client_in *in, c2_new_client *nc,
                     api_error *e);
/* The same in a suite: pubkey is the suite's key set (suite.h), 400 for
 * another length. */
int api_parse_client_suite(const json_t *obj, c2_mode mode, e4_suite suite, api_client_in *in,
                           c2_new_client *nc, api_error *e);
void api_client_in_wipe(api_client_in *in);

/* POST /v1/clients/import: a JSON array of client objects, or JSON lines. */
typedef struct api_import {
    json_t *root; /* the parsed entries (a JSON array body); NULL for JSON lines */
    size_t n;
    api_client_in *in;   /* n decoded entries, wiped by api_import_free */
    c2_new_client *list; /* n entries pointing into in[] and root (or owned copies) */
    int owns_strings;    /* JSON lines: names and passwords are copies, freed (and wiped) */
} api_import;

int api_parse_import(const char *body, size_t len, int ndjson, c2_mode mode, api_import *out,
                     api_error *e);
int api_parse_import_suite(const char *body, size_t len, int ndjson, c2_mode mode, e4_suite suite,
                           api_import *out, api_error *e);
void api_import_free(api_import *im);

/* {"clients": [ref, ...], <flag>?: bool}: topic join (flag "share_pubkeys",
 * default 0) and leave (flag "rotate", default 1). refs points into obj;
 * free it with free(). */
typedef struct api_refs {
    const char **refs;
    size_t n;
    int flag;
} api_refs;

int api_parse_members(const json_t *obj, const char *flag_name, int flag_default, api_refs *out,
                      api_error *e);
/* {"source": ref} (pubkeys, links). */
int api_parse_source(const json_t *obj, const char **source, api_error *e);
/* {"name": topic} (POST /v1/topics). */
int api_parse_topic_new(const json_t *obj, const char **name, api_error *e);
/* PUT /v1/topics/{topic}/policy {"rotate_every", "max_age", "on_join",
 * "on_leave"} and /v1/clients/{client}/policy {"rekey_every"}: every field
 * optional (absent: the default), intervals integer seconds from 60 to 10
 * years or null. */
int api_parse_policy(const json_t *obj, c2_policy_kind kind, c2_policy *out, api_error *e);
/* PUT /v1/topics/{topic}/monitor {"enabled": bool}. */
int api_parse_monitor(const json_t *obj, int *enabled, api_error *e);
/* A body where no field is accepted: NULL or {}. */
int api_parse_empty(const json_t *obj, api_error *e);

/* Route jansson's frees through a wipe (malloc_usable_size bytes), so that
 * copies of keys and passwords made while parsing do not stay in freed
 * memory. Process-wide; call once at start-up, before other threads use
 * jansson (http_start calls it; calling it again is harmless). */
void api_json_wipe_on_free(void);

#endif
