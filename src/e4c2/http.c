/*
 * http: starting and stopping e4c2's HTTP server (libmicrohttpd).
 *
 * Threading: one thread per connection (MHD_USE_THREAD_PER_CONNECTION with
 * MHD's internal polling thread), bounded by MHD_OPTION_CONNECTION_LIMIT
 * (http_config.threads). Chosen over a thread pool with suspend/resume
 * because handlers block anyway (store_pool_get, database transactions,
 * Argon2 for passwords) and event streams block in their content reader
 * (notify_wait); with one thread per connection a slow request or a stream
 * holds only its own thread, the code stays sequential, and the limit caps
 * both threads and sockets. A stream holds no pooled store while waiting.
 *
 * URLs: MHD's unescaping is disabled (keep_escaped) so that the raw path
 * can be split on '/' before each segment is percent-decoded: topics
 * contain '/', sent as %2F. Query parameters are decoded by api_parse.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api.h"
#include "http_conn.h"
#include "log.h"

#define HTTP_DEFAULT_LISTEN "127.0.0.1:8640"
#define HTTP_DEFAULT_CONNECTIONS 64
#define HTTP_IDLE_TIMEOUT_S 60 /* idle keep-alive connections; streams write every 15 s */
#define HTTP_PEM_MAX (1 << 20)

struct http_server {
    struct MHD_Daemon *d;
    store_pool *pool;
    atomic_int stopping;
    atomic_int starting;
    char *cert, *key;    /* PEM, NUL-terminated; the key is wiped at stop */
    char *ui_dir;        /* the console's files, or NULL */
    char start_err[200]; /* MHD's last message while starting */
};

store_pool *http_pool(const http_server *h)
{
    return h->pool;
}

const char *http_ui_dir(const http_server *h)
{
    return h->ui_dir;
}

int http_stopping(const http_server *h)
{
    return atomic_load(&((http_server *)h)->stopping);
}

static int fail(c2_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(c2_error *e, const char *fmt, ...)
{
    va_list ap;
    e->code = C2_INVALID;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- the listening address ------------------------------------------------ */

/* "HOST:PORT" or "[IPV6]:PORT" into host and port. */
static int split_listen(const char *spec, char *host, size_t cap, long *port, c2_error *e)
{
    const char *sep, *h = spec;
    char *end;
    size_t n;
    if (spec[0] == '[') {
        sep = strchr(spec, ']');
        if (!sep || sep[1] != ':')
            return fail(e, "listen \"%s\": expected [IPv6]:PORT", spec);
        h = spec + 1;
        n = (size_t)(sep - h);
        sep++;
    } else {
        sep = strrchr(spec, ':');
        if (!sep)
            return fail(e, "listen \"%s\": expected HOST:PORT", spec);
        n = (size_t)(sep - spec);
        if (memchr(spec, ':', n))
            return fail(e, "listen \"%s\": put an IPv6 address in brackets, as [::1]:8640", spec);
    }
    if (n == 0 || n >= cap)
        return fail(e, "listen \"%s\": missing or too long host", spec);
    memcpy(host, h, n);
    host[n] = 0;
    errno = 0;
    *port = strtol(sep + 1, &end, 10);
    if (!sep[1] || *end || errno || *port < 0 || *port > 65535)
        return fail(e, "listen \"%s\": the port must be 0 to 65535", spec);
    return 0;
}

static int resolve_listen(const char *spec, struct sockaddr_storage *ss, int *v6, c2_error *e)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    char host[256];
    long port = 0;
    int rc;
    if (split_listen(spec, host, sizeof host, &port, e) != 0)
        return -1;
    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res)
        return fail(e, "listen \"%s\": %s", spec, gai_strerror(rc));
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    if (*v6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    freeaddrinfo(res);
    return 0;
}

/* ---- TLS ------------------------------------------------------------------ */

static char *read_pem(const char *path, const char *what, c2_error *e)
{
    FILE *f = fopen(path, "rb");
    char *buf = f ? calloc(1, HTTP_PEM_MAX + 1) : NULL;
    size_t n = buf ? fread(buf, 1, HTTP_PEM_MAX + 1, f) : 0;
    int err = errno;
    if (f)
        fclose(f);
    if (!buf || n == 0 || n > HTTP_PEM_MAX) {
        if (buf)
            e4_wipe(buf, HTTP_PEM_MAX + 1);
        free(buf);
        fail(e, "cannot read the TLS %s %s: %s", what, path,
             !f  ? strerror(err)
             : n ? "larger than 1 MiB"
                 : "empty or unreadable");
        return NULL;
    }
    return buf;
}

static int load_tls(http_server *h, const http_config *cfg, c2_error *e)
{
    int has_cert = cfg->tls_cert_file && *cfg->tls_cert_file;
    int has_key = cfg->tls_key_file && *cfg->tls_key_file;
    if (!has_cert && !has_key)
        return 0;
    if (!has_cert || !has_key)
        return fail(e, "HTTPS needs both a certificate and a key file");
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return fail(e, "this libmicrohttpd was built without TLS");
    h->cert = read_pem(cfg->tls_cert_file, "certificate", e);
    h->key = h->cert ? read_pem(cfg->tls_key_file, "key", e) : NULL;
    return h->key ? 0 : -1;
}

/* ---- MHD callbacks -------------------------------------------------------- */

static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    return strlen(s);
}

/* MHD's messages go to the log (log.h); the last one while starting says
 * why the start failed. */
static void on_log(void *cls, const char *fmt, va_list ap)
{
    http_server *h = cls;
    char msg[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\r\n")] = 0;
    if (atomic_load(&h->starting))
        snprintf(h->start_err, sizeof h->start_err, "%s", msg);
    log_warn("http server", "detail", msg);
}

/* ---- start and stop ------------------------------------------------------- */

static struct MHD_Daemon *start_daemon(http_server *h, const struct sockaddr_storage *ss, int v6,
                                       unsigned limit)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) | (h->cert ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls[] = {
        {h->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, h->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, h->key},
        {MHD_OPTION_END, 0, NULL},
    };
    uint16_t port = ntohs(v6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
                             : ((const struct sockaddr_in *)ss)->sin_port);
    /* the address is MHD_OPTION_SOCK_ADDR; port is only for MHD's messages */
    return MHD_start_daemon(flags, port, NULL, NULL, http_on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
                            on_log, h, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
                            MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
                            http_on_completed, h, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
                            MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
}

static void free_server(http_server *h)
{
    if (h->key)
        e4_wipe(h->key, HTTP_PEM_MAX + 1);
    free(h->key);
    free(h->cert);
    free(h->ui_dir);
    free(h);
}

http_server *http_start(const http_config *cfg, store_pool *pool, c2_error *e)
{
    const char *listen = cfg->listen && *cfg->listen ? cfg->listen : HTTP_DEFAULT_LISTEN;
    unsigned limit = cfg->threads > 0 ? (unsigned)cfg->threads : HTTP_DEFAULT_CONNECTIONS;
    struct sockaddr_storage ss;
    int v6 = 0;
    http_server *h = calloc(1, sizeof *h);
    if (!h) {
        fail(e, "out of memory");
        e->code = C2_INTERNAL;
        return NULL;
    }
    h->pool = pool;
    h->ui_dir = cfg->ui_dir ? strdup(cfg->ui_dir) : NULL;
    if (resolve_listen(listen, &ss, &v6, e) != 0 || load_tls(h, cfg, e) != 0) {
        free_server(h);
        return NULL;
    }
    api_json_wipe_on_free();
    atomic_store(&h->starting, 1);
    h->d = start_daemon(h, &ss, v6, limit);
    atomic_store(&h->starting, 0);
    if (!h->d) {
        fail(e, "cannot serve HTTP on %s: %s", listen,
             h->start_err[0] ? h->start_err : "address in use or not available");
        e->code = C2_UNAVAILABLE;
        free_server(h);
        return NULL;
    }
    return h;
}

int http_port(const http_server *h)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : -1;
}

void http_stop(http_server *h)
{
    if (!h)
        return;
    atomic_store(&h->stopping, 1);
    MHD_stop_daemon(h->d);
    free_server(h);
}
