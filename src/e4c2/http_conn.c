/*
 * http_conn: libmicrohttpd's side of a request: the access handler (called
 * once with the headers, once per body chunk, once at the end), the body
 * buffer (bounded, wiped), the response and its headers, the metrics.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http_conn.h"
#include "http_ui.h"
#include "metrics.h"

typedef struct http_req {
    api_req r;
    char *body;
    size_t len, cap;
    int too_large;
} http_req;

/* ---- the body ------------------------------------------------------------- */

static void body_append(http_req *q, const char *data, size_t n)
{
    size_t limit = api_body_limit(q->r.route->body);
    if (q->too_large || n > limit - q->len) {
        q->too_large = 1; /* the rest is read and dropped; 413 at the end */
        return;
    }
    if (q->len + n > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + n)
            cap *= 2;
        char *p = malloc(cap < limit ? cap : limit);
        if (!p) {
            q->too_large = 1;
            return;
        }
        if (q->body)
            memcpy(p, q->body, q->len);
        e4_wipe(q->body, q->cap);
        free(q->body);
        q->body = p;
        q->cap = cap < limit ? cap : limit;
    }
    memcpy(q->body + q->len, data, n);
    q->len += n;
}

/* ---- the response --------------------------------------------------------- */

static void wipe_text(void *p)
{
    e4_wipe(p, strlen(p));
    free(p);
}

static struct MHD_Response *error_response(api_req *r)
{
    size_t len = 0;
    json_t *j;
    if (r->err.status < 400) {
        r->err.status = 500;
        r->err.code = "internal";
    }
    j = api_error_json(&r->err);
    r->status = r->err.status;
    r->out = api_json_text(j, &len);
    r->out_len = len;
    r->content_type = NULL;
    json_decref(j);
    if (!r->out)
        return NULL;
    return MHD_create_response_from_buffer_with_free_callback(len, r->out, wipe_text);
}

static struct MHD_Response *make_response(api_req *r)
{
    struct MHD_Response *resp;
    char allow[64];
    if (r->response) {
        resp = r->response;
        r->response = NULL;
        return resp;
    }
    resp = r->out
               ? MHD_create_response_from_buffer_with_free_callback(r->out_len, r->out, wipe_text)
               : error_response(r);
    r->out = NULL; /* owned by the response now */
    if (!resp)
        return NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->content_type ? r->content_type : "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->status == 405 && api_allow_string(r->allow, allow, sizeof allow))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (r->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"e4c2\"");
    return resp;
}

static enum MHD_Result respond(http_req *q)
{
    api_req *r = &q->r;
    struct MHD_Response *resp;
    enum MHD_Result rc;
    if (!r->response && !r->out)
        r->status = r->err.status;
    resp = make_response(r);
    if (!resp)
        return MHD_NO;
    rc = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    metrics_api_request(r->status);
    return rc;
}

/* ---- the access handler --------------------------------------------------- */

enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    http_req *q = *con_cls;
    (void)version;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        *con_cls = q;
        q->r.srv = cls;
        q->r.conn = conn;
        if (http_ui_path(url)) {
            q->r.response = http_ui_answer(http_ui_dir(cls), method, url, &q->r.status);
            if (!q->r.response)
                api_fail(&q->r.err, 500, "out of memory");
            return respond(q);
        }
        return http_route_begin(&q->r, method, url) == 0 ? MHD_YES : respond(q);
    }
    if (*upload_size) {
        body_append(q, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->too_large)
        api_fail(&q->r.err, 413, "request body exceeds %zu bytes",
                 api_body_limit(q->r.route->body));
    else
        http_route_finish(&q->r, q->body ? q->body : "", q->len);
    return respond(q);
}

void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                       enum MHD_RequestTerminationCode toe)
{
    http_req *q = *con_cls;
    (void)cls, (void)conn, (void)toe;
    if (!q)
        return;
    if (q->body) {
        e4_wipe(q->body, q->cap);
        free(q->body);
    }
    json_decref(q->r.body);
    if (q->r.out)
        wipe_text(q->r.out);
    if (q->r.response)
        MHD_destroy_response(q->r.response);
    free(q);
    *con_cls = NULL;
}
