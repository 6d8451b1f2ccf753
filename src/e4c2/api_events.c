/*
 * api_events: GET /v1/events, as a JSON list or (Accept: text/event-stream)
 * a server-sent event stream.
 *
 * The stream's content reader runs in the connection's own thread (the
 * server is thread-per-connection, http.c), so it may block: it waits for
 * new rows with notify_wait() for at most a second at a time, reads them
 * with a store taken from the pool only for that read, and ends when the
 * server stops or the client goes away (checked after every wait). Other
 * e4c2 processes on the same database are seen by that one-second polling.
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "notify.h"

#define SSE_BATCH 100
#define SSE_KEEPALIVE_S 15
#define SSE_WAIT_MS 1000

/* ---- the JSON list -------------------------------------------------------- */

static int each_event(void *ctx, const c2_event *ev)
{
    return json_array_append_new(ctx, api_event_json(ev));
}

static int events_list(api_req *r)
{
    json_t *items = json_array();
    c2_error e = {0};
    if (store_events_since(r->s, r->q.after, r->q.limit, each_event, items, &e) != C2_OK) {
        json_decref(items);
        return api_reply_c2(r, &e);
    }
    return api_reply(r, 200, json_pack("{so}", "items", items));
}

/* ---- the stream ----------------------------------------------------------- */

typedef struct sse {
    http_server *srv;
    int fd;           /* the client's socket, watched for hang-ups */
    int64_t last_id;  /* the last event sent */
    time_t last_send; /* monotonic seconds */
    char *buf;        /* rendered, not yet given to MHD: buf[off..len) */
    size_t len, off, cap;
} sse;

static time_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static int append(sse *st, const char *s, size_t n)
{
    if (st->len + n > st->cap) {
        size_t cap = (st->len + n) * 2;
        char *p = realloc(st->buf, cap);
        if (!p)
            return -1;
        st->buf = p;
        st->cap = cap;
    }
    memcpy(st->buf + st->len, s, n);
    st->len += n;
    return 0;
}

/* "id: N\nevent: TYPE\ndata: JSON\n\n" */
static int sse_each(void *ctx, const c2_event *ev)
{
    sse *st = ctx;
    json_t *j = api_event_json(ev);
    size_t n = 0;
    char *data = api_json_text(j, &n), head[128], type[sizeof ev->type];
    int rc = -1;
    json_decref(j);
    snprintf(type, sizeof type, "%s", ev->type);
    type[strcspn(type, "\r\n")] = 0;
    snprintf(head, sizeof head, "id: %lld\nevent: %s\ndata: ", (long long)ev->id, type);
    if (data && append(st, head, strlen(head)) == 0 && append(st, data, n) == 0 &&
        append(st, "\n\n", 2) == 0)
        rc = 0;
    free(data);
    st->last_id = ev->id;
    return rc;
}

/* Render the events after last_id; store errors are retried after a wait. */
static void sse_fetch(sse *st)
{
    store_pool *pool = http_pool(st->srv);
    store *s = store_pool_get(pool);
    c2_error e = {0};
    store_events_since(s, st->last_id, SSE_BATCH, sse_each, st, &e);
    store_pool_put(pool, s);
}

static int client_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    if (fd < 0)
        return 0;
    if (poll(&p, 1, 0) < 0)
        return errno != EINTR;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
    sse *st = cls;
    (void)pos;
    for (;;) {
        if (st->off < st->len) {
            size_t n = st->len - st->off < max ? st->len - st->off : max;
            memcpy(out, st->buf + st->off, n);
            st->off += n;
            if (st->off == st->len)
                st->off = st->len = 0;
            st->last_send = mono_now();
            return (ssize_t)n;
        }
        if (http_stopping(st->srv) || client_gone(st->fd))
            return MHD_CONTENT_READER_END_OF_STREAM;
        uint64_t gen = notify_generation();
        sse_fetch(st);
        if (st->len)
            continue;
        if (mono_now() - st->last_send >= SSE_KEEPALIVE_S) {
            append(st, ": keep-alive\n\n", 14);
            continue;
        }
        notify_wait(gen, SSE_WAIT_MS);
    }
}

static void sse_free(void *cls)
{
    sse *st = cls;
    free(st->buf);
    free(st);
}

/* Where the stream starts: Last-Event-ID, else ?after=, else now. */
static int stream_start(api_req *r, int64_t *after)
{
    const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (last)
        return api_parse_event_id(last, after, &r->err);
    *after = r->q.has_after ? r->q.after : store_last_event_id(r->s);
    return 0;
}

static int events_stream(api_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    sse *st = calloc(1, sizeof *st);
    if (!st)
        return api_fail(&r->err, 500, "out of memory");
    st->srv = r->srv;
    st->fd = ci ? ci->connect_fd : -1;
    st->last_send = mono_now();
    if (stream_start(r, &st->last_id) != 0) {
        sse_free(st);
        return -1;
    }
    if (append(st, ": stream\n\n", 10) != 0) {
        sse_free(st);
        return api_fail(&r->err, 500, "out of memory");
    }
    r->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, st, sse_free);
    if (!r->response) {
        sse_free(st);
        return api_fail(&r->err, 500, "out of memory");
    }
    MHD_add_response_header(r->response, "Content-Type", "text/event-stream");
    MHD_add_response_header(r->response, "Cache-Control", "no-cache");
    MHD_add_response_header(r->response, "X-Accel-Buffering", "no");
    r->status = 200;
    return 0;
}

int api_events(api_req *r)
{
    const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
    return api_accepts_sse(accept) ? events_stream(r) : events_list(r);
}
