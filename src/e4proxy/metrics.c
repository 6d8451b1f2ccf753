/* Counters, and Prometheus /metrics on an optional port (libmicrohttpd,
 * its own thread: the counters are read and written atomically). */
#include "proxy.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

metrics proxy_metrics;

static const char *const drop_names[DROP_COUNT] = {
#define X(id, name) name,
    PROXY_DROP_REASONS(X)
#undef X
};

const char *drop_reason_name(enum drop_reason r)
{
    return (unsigned)r < DROP_COUNT ? drop_names[r] : "other";
}

enum drop_reason drop_reason_of(e4_err err)
{
    switch (err) {
    case E4_ERR_TOPIC_KEY_NOT_FOUND: return DROP_NO_KEY;
    case E4_ERR_NOT_AUTHENTIC:
    case E4_ERR_INVALID_SIGNATURE:
    case E4_ERR_PUBKEY_NOT_FOUND: return DROP_NOT_AUTHENTIC;
    case E4_ERR_TIMESTAMP_TOO_OLD: return DROP_TOO_OLD;
    case E4_ERR_TIMESTAMP_IN_FUTURE: return DROP_IN_FUTURE;
    case E4_ERR_REPLAYED: return DROP_REPLAYED;
    case E4_ERR_TOO_SHORT: return DROP_TOO_SHORT;
    case E4_ERR_INVALID_TOPIC: return DROP_BAD_TOPIC;
    default: return DROP_OTHER;
    }
}

static uint64_t get(const uint64_t *v)
{
    return __atomic_load_n(v, __ATOMIC_RELAXED);
}

struct text {
    char *s;
    size_t len, cap;
    int failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (t->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n >= 0 && t->s && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        char *ns = n < 0 ? NULL : realloc(t->s, t->cap + (size_t)n + 4096);
        if (!ns) {
            t->failed = 1;
            return;
        }
        t->s = ns;
        t->cap += (size_t)n + 4096;
    }
}

static void counter(struct text *t, const char *name, const char *help, const uint64_t *v)
{
    put(t, "# HELP e4proxy_%s %s\n# TYPE e4proxy_%s counter\ne4proxy_%s %llu\n", name, help, name,
        name, (unsigned long long)get(v));
}

char *metrics_render(size_t *len)
{
    struct text t = {0};
    int i;
    put(&t,
        "# HELP e4proxy_connections Client connections open now.\n"
        "# TYPE e4proxy_connections gauge\ne4proxy_connections %llu\n",
        (unsigned long long)get(&proxy_metrics.connections_open));
    counter(&t, "connections_total", "Client connections accepted.",
            &proxy_metrics.connections_total);
    counter(&t, "upstream_failures_total", "Connections to the broker that failed.",
            &proxy_metrics.connections_failed);
    counter(&t, "messages_protected_total", "Messages protected on their way to the broker.",
            &proxy_metrics.protected_msgs);
    counter(&t, "messages_unprotected_total", "Messages unprotected on their way to clients.",
            &proxy_metrics.unprotected_msgs);
    counter(&t, "messages_clear_total", "Messages passed unchanged (not protected topics).",
            &proxy_metrics.passed_clear);
    counter(&t, "commands_total", "C2 commands received on control topics.",
            &proxy_metrics.commands);
    put(&t, "# HELP e4proxy_messages_dropped_total Messages dropped, by reason.\n"
            "# TYPE e4proxy_messages_dropped_total counter\n");
    for (i = 0; i < DROP_COUNT; i++)
        put(&t, "e4proxy_messages_dropped_total{reason=\"%s\"} %llu\n", drop_names[i],
            (unsigned long long)get(&proxy_metrics.dropped[i]));
    put(&t,
        "# HELP e4proxy_bytes_total Bytes received, by side.\n"
        "# TYPE e4proxy_bytes_total counter\n"
        "e4proxy_bytes_total{from=\"clients\"} %llu\ne4proxy_bytes_total{from=\"broker\"} %llu\n",
        (unsigned long long)get(&proxy_metrics.bytes_from_clients),
        (unsigned long long)get(&proxy_metrics.bytes_from_broker));
    put(&t,
        "# HELP e4proxy_buffer_bytes Bytes in the connections' buffers now.\n"
        "# TYPE e4proxy_buffer_bytes gauge\ne4proxy_buffer_bytes %llu\n"
        "# HELP e4proxy_buffer_bytes_peak The most bytes ever in the connections' buffers.\n"
        "# TYPE e4proxy_buffer_bytes_peak gauge\ne4proxy_buffer_bytes_peak %llu\n",
        (unsigned long long)get(&proxy_metrics.buffer_bytes),
        (unsigned long long)get(&proxy_metrics.buffer_bytes_peak));
    counter(&t, "malformed_packets_total", "Connections closed for a malformed packet.",
            &proxy_metrics.malformed);
    counter(&t, "oversized_packets_total", "Connections closed for a packet over --max-packet.",
            &proxy_metrics.oversized);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    *len = t.len;
    return t.s;
}

static struct MHD_Daemon *daemon_;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **state)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    unsigned status = MHD_HTTP_OK;
    size_t len = 0;
    char *body = NULL;

    if (strcmp(method, "GET") != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
    } else if (strcmp(url, "/metrics") != 0) {
        status = MHD_HTTP_NOT_FOUND;
    } else if (!(body = metrics_render(&len))) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (body)
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    else
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (body)
        MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

int metrics_start(const char *host, int port)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    snprintf(portstr, sizeof portstr, "%d", port);
    if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
        cli_error("--metrics %s: %s", host, gai_strerror(rc));
        return 1;
    }
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                                   (res->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                               (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
                               res->ai_addr, MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_END);
    freeaddrinfo(res);
    if (!daemon_) {
        cli_error("--metrics %s:%d: cannot listen", host, port);
        return 1;
    }
    return 0;
}

void metrics_stop(void)
{
    if (daemon_)
        MHD_stop_daemon(daemon_);
    daemon_ = NULL;
}
