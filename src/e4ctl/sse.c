/* events --follow: the server-sent event stream, one line per event, with
 * reconnection (Last-Event-ID, backoff) after a dropped connection. */
#include "run.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"

#define SSE_LINE_MAX (1u << 20) /* an event is far smaller */
#define SSE_IDLE 45L            /* the server sends a keep-alive every 15 s */
#define SSE_BACKOFF_MAX 30u

enum follow_result { F_RETRY, F_FATAL };

struct sse {
    const struct ctl_ctx *ctx;
    const struct http_resp *resp;
    struct sbuf line, data;
    char event[128];
    char last_id[24]; /* decimal, the last event seen */
    char why[768];    /* why the stream ended */
    int checked, bad_type, too_long, out_error, got_bytes;
};

static void reset_event(struct sse *s)
{
    sb_wipe(&s->data);
    s->event[0] = '\0';
}

/* The event as the API's event object: the data when it is one, else built. */
static json_t *event_object(const struct sse *s, json_t *data)
{
    json_t *ev;
    if (json_is_object(data) && json_object_get(data, "type") && json_object_get(data, "id"))
        return json_incref(data);
    ev = json_object();
    json_object_set_new(ev, "id", json_integer(s->last_id[0] ? atoll(s->last_id) : 0));
    json_object_set_new(ev, "type", json_string(s->event[0] ? s->event : "message"));
    json_object_set(ev, "data", data);
    return ev;
}

static void dispatch(struct sse *s)
{
    json_t *data, *ev;
    char *line;
    if (s->data.len == 0) {
        reset_event(s);
        return;
    }
    s->data.s[--s->data.len] = '\0'; /* the last "\n" */
    data = json_loadb(s->data.s, s->data.len, JSON_DECODE_ANY, NULL);
    if (!data)
        data = json_string(ctl_utf8_valid(s->data.s, s->data.len) ? s->data.s : "(not UTF-8)");
    ev = event_object(s, data);
    if (s->ctx->json) {
        line = ctl_json_dump(ev);
        printf("%s\n", line ? line : "{}");
        free(line);
    } else {
        render_event_line(ev);
    }
    if (fflush(stdout) != 0)
        s->out_error = errno ? errno : EIO;
    json_decref(ev);
    json_decref(data);
    reset_event(s);
}

static int all_digits(const char *v)
{
    size_t n = strspn(v, "0123456789");
    return n > 0 && n < 21 && v[n] == '\0';
}

static void field(struct sse *s, const char *name, const char *value)
{
    if (!strcmp(name, "data")) {
        sb_adds(&s->data, value);
        sb_add(&s->data, "\n", 1);
    } else if (!strcmp(name, "event")) {
        snprintf(s->event, sizeof s->event, "%s", value);
    } else if (!strcmp(name, "id") && all_digits(value)) {
        snprintf(s->last_id, sizeof s->last_id, "%s", value);
    } /* "retry" and unknown fields: ignored */
}

static void process_line(struct sse *s, char *line, size_t len)
{
    char *colon, *value;
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    if (len == 0) {
        dispatch(s);
        return;
    }
    if (line[0] == ':')
        return; /* comment: the keep-alive */
    colon = strchr(line, ':');
    value = colon ? colon + 1 : line + len;
    if (colon)
        *colon = '\0';
    if (*value == ' ')
        value++;
    field(s, line, value);
}

static int sink(void *ud, const char *p, size_t n)
{
    struct sse *s = ud;
    size_t i;
    if (!s->checked) {
        s->checked = 1;
        s->bad_type = strncmp(s->resp->content_type, "text/event-stream", 17) != 0;
    }
    if (s->bad_type)
        return 1;
    s->got_bytes = 1;
    for (i = 0; i < n && !s->out_error; i++) {
        if (p[i] != '\n') {
            sb_add(&s->line, p + i, 1);
            s->too_long = s->line.len > SSE_LINE_MAX || s->line.oom;
            if (s->too_long)
                return 1;
            continue;
        }
        process_line(s, s->line.s ? s->line.s : (char *)"", s->line.len);
        sb_wipe(&s->line);
    }
    return s->out_error != 0;
}

/* After a 2xx answer: what to do once the stream ended. */
static enum follow_result stream_ended(struct sse *s, const char *base, int transport,
                                       const char *err)
{
    if (s->out_error) {
        if (s->out_error != EPIPE)
            ctl_error("cannot write to standard output: %s", strerror(s->out_error));
        return F_FATAL;
    }
    if (s->bad_type) {
        ctl_error("e4c2 at %s did not answer with an event stream (Content-Type: %s)", base,
                  s->resp->content_type);
        return F_FATAL;
    }
    snprintf(s->why, sizeof s->why, "the event stream from %s ended%s%s", base,
             transport || s->too_long ? ": " : "",
             s->too_long ? "a line longer than 1 MiB"
             : transport ? err
                         : "");
    return F_RETRY;
}

static enum follow_result follow_once(const struct ctl_request *req, struct ctl_ctx *ctx,
                                      struct sse *s, int first)
{
    struct http_req r;
    struct http_resp resp;
    char err[640], path[64];
    enum follow_result res;
    int rc;

    snprintf(path, sizeof path, "%s%s%s", req->cmd->route, s->last_id[0] ? "?after=" : "",
             s->last_id);
    memset(&r, 0, sizeof r);
    r.method = "GET";
    r.path = path;
    r.accept = "text/event-stream";
    r.last_event_id = s->last_id[0] ? s->last_id : NULL;
    r.idle_timeout = SSE_IDLE;
    r.sink = sink;
    r.sink_ud = s;
    s->resp = &resp;
    s->checked = s->bad_type = s->too_long = s->got_bytes = 0;
    rc = http_do(ctx->http, &r, &resp, err, sizeof err);
    if (resp.streamed) {
        res = stream_ended(s, http_base(ctx->http), rc != 0, err);
    } else if (rc != 0) {
        snprintf(s->why, sizeof s->why, "%s", err);
        res = first ? F_FATAL : F_RETRY;
        if (res == F_FATAL)
            ctl_error("%s", err);
    } else {
        ctl_api_error(ctx, &resp); /* 5xx (unavailable...): try again later */
        snprintf(s->why, sizeof s->why, "HTTP %ld", resp.status);
        res = resp.status >= 500 ? F_RETRY : F_FATAL;
    }
    http_resp_free(&resp);
    s->resp = NULL; /* it pointed at this frame */
    sb_wipe(&s->line);
    reset_event(s);
    return res;
}

int ctl_follow(const struct ctl_request *req, struct ctl_ctx *ctx)
{
    struct sse s;
    unsigned backoff = 1;
    int first = 1;

    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    if (req->set & O_AFTER)
        snprintf(s.last_id, sizeof s.last_id, "%llu", req->after);
    for (;;) {
        if (follow_once(req, ctx, &s, first) == F_FATAL)
            return CTL_EXIT_FAIL;
        if (s.got_bytes)
            backoff = 1; /* the connection worked: start the backoff again */
        first = 0;
        ctl_error("%s; reconnecting in %u s", s.why, backoff);
        sleep(backoff);
        backoff = backoff * 2 > SSE_BACKOFF_MAX ? SSE_BACKOFF_MAX : backoff * 2;
    }
}
