/*
 * api: the interface between e4c2's HTTP layer (http*.c) and the endpoint
 * handlers (api_clients.c, api_topics.c, api_pubkeys.c, api_misc.c,
 * api_events.c). Internal to e4c2.
 *
 * A request goes: route match (404/405) -> token (401/403) -> path and query
 * parameters (400) -> declared length (413) -> body read -> Content-Type
 * (415) -> body parsed (400/413) -> handler, with a store from the pool held
 * only while the handler runs. A handler answers with api_reply* (0) or
 * fails with r->err filled (-1).
 */
#ifndef E4C2_API_H
#define E4C2_API_H

#include <microhttpd.h>

#include "api_json.h"
#include "api_parse.h"
#include "api_route.h"
#include "http.h"

typedef struct api_req {
    http_server *srv;
    struct MHD_Connection *conn;
    const api_route *route;
    unsigned allow; /* for 405: the methods the path takes */
    store *s;       /* pooled, while the handler runs */
    c2_mode mode;
    char token_name[sizeof((c2_token *)0)->name]; /* the request's token (http_auth) */
    int read_only;
    char param[API_PARAMS_MAX][E4_TOPIC_MAX + 1]; /* decoded path parameters */
    api_query q;
    json_t *body;    /* the parsed JSON body, or NULL */
    const char *raw; /* the raw body (imports) */
    size_t raw_len;
    int ndjson; /* the raw body is JSON lines */
    /* the answer */
    int status;
    char *out; /* malloc'ed, wiped when freed */
    size_t out_len;
    const char *content_type;      /* NULL: application/json */
    struct MHD_Response *response; /* prepared by the handler (streams) */
    api_error err;                 /* when the handler returns -1 */
} api_req;

typedef int api_handler(api_req *r);

#define ROUTE(id, method, pattern, handler, access, query, body) api_handler handler;
#include "api_routes.def"
#undef ROUTE

/* ---- answers (http_reply.c) ---------------------------------------------- */

/* Answer status with j as the body (j is stolen). */
int api_reply(api_req *r, int status, json_t *j);
/* Answer status with text (malloc'ed, taken) of the given content type. */
int api_reply_text(api_req *r, int status, const char *content_type, char *text, size_t len);
/* Fail with a store error. */
int api_reply_c2(api_req *r, const c2_error *e);
/* The page the request asks for (query offset, limit and search). */
c2_page api_page_of(const api_req *r);
/* Answer 200 with a page {"items", "total", "offset", "limit"} (items stolen). */
int api_reply_page(api_req *r, json_t *items, int64_t total);
/* The callbacks that add listed rows to a JSON array (ctx: api_rows). */
typedef struct api_rows {
    json_t *items;
    c2_mode mode;
} api_rows;
int api_each_client(void *ctx, const c2_client *c);
int api_each_topic(void *ctx, const c2_topic *t);

/* ---- the server (http.c) -------------------------------------------------- */

store_pool *http_pool(const http_server *h);
/* The directory of the console's files (http_ui.h), or NULL. */
const char *http_ui_dir(const http_server *h);
/* Non-zero once http_stop has begun: long requests (streams) end. */
int http_stopping(const http_server *h);

/* ---- the request path (http_route.c, http_auth.c) ------------------------ */

/* From the request line and headers; -1 with r->err to answer at once. */
int http_route_begin(api_req *r, const char *method, const char *url);
/* With the whole body: parse it, run the handler. */
void http_route_finish(api_req *r, const char *body, size_t len);
/* The bearer token of the request, checked against the store: 401 or 403. */
int http_auth(api_req *r);

#endif
