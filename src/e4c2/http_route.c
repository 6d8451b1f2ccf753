/*
 * http_route: one request through the route table (api_routes.def): match,
 * token, parameters and body checks, then the route's handler with a
 * pooled store.
 */
#include <string.h>

#include "api.h"

static api_handler *const HANDLERS[API_R_COUNT] = {
#define ROUTE(id, method, pattern, handler, access, query, body) [API_R_##id] = handler,
#include "api_routes.def"
#undef ROUTE
};

#define QUERY_MAX 16

typedef struct query_args {
    api_kv kv[QUERY_MAX];
    size_t n;
    int overflow;
} query_args;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    query_args *q = cls;
    (void)kind;
    if (q->n == QUERY_MAX) {
        q->overflow = 1;
        return MHD_NO;
    }
    q->kv[q->n].key = key;
    q->kv[q->n++].value = value;
    return MHD_YES;
}

static int parse_query(api_req *r)
{
    query_args q = {.n = 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
    if (q.overflow)
        return api_fail(&r->err, 400, "too many query parameters (at most %d)", QUERY_MAX);
    return api_parse_query(q.kv, q.n, r->route->query, &r->q, &r->err);
}

int http_route_begin(api_req *r, const char *method, const char *url)
{
    api_match m;
    const char *length;
    int rc = api_route_match(method, url, &m, &r->err);
    r->allow = m.allow;
    if (rc != 0)
        return -1;
    r->route = m.route;
    if (r->route->access != API_PUBLIC && http_auth(r) != 0)
        return -1;
    if (api_route_params(&m, r->param, &r->err) != 0 || parse_query(r) != 0)
        return -1;
    length = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return api_check_length(r->route->body, length, &r->err);
}

/* The body, as the route wants it: r->body (JSON) or r->raw (imports). */
static int parse_body(api_req *r, const char *body, size_t len)
{
    const char *type =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (len > api_body_limit(r->route->body))
        return api_fail(&r->err, 413, "request body exceeds %zu bytes",
                        api_body_limit(r->route->body));
    if (api_check_content_type(r->route->body, type, len, &r->ndjson, &r->err) != 0)
        return -1;
    if (r->route->body == API_BODY_IMPORT) {
        r->raw = body;
        r->raw_len = len;
        return 0;
    }
    if (r->route->body == API_BODY_NONE && len == 0)
        return 0;
    r->body = api_json_parse(body, len, &r->err);
    if (!r->body)
        return -1;
    return r->route->body == API_BODY_NONE ? api_parse_empty(r->body, &r->err) : 0;
}

void http_route_finish(api_req *r, const char *body, size_t len)
{
    store_pool *pool = http_pool(r->srv);
    if (parse_body(r, body, len) != 0) {
        r->status = r->err.status;
        return;
    }
    if (r->route->access != API_PUBLIC) {
        r->s = store_pool_get(pool);
        r->mode = store_mode(r->s);
    }
    if (HANDLERS[r->route->id](r) != 0)
        r->status = r->err.status;
    if (r->s)
        store_pool_put(pool, r->s);
    r->s = NULL;
}
