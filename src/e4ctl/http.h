/* e4ctl's HTTP client: one libcurl handle (connections are reused), the
 * token as a Bearer header, clear messages for transport failures. */
#ifndef E4CTL_HTTP_H
#define E4CTL_HTTP_H

#include <stddef.h>

struct http;

struct http_req {
    const char *method; /* GET, POST, DELETE */
    const char *path;   /* "/v1/..." appended to the base URL */
    const char *body;   /* NULL: none (POST sends an empty body) */
    size_t body_len;
    const char *content_type;
    const char *accept;        /* default application/json */
    const char *last_event_id; /* sent as Last-Event-ID when set */
    long timeout;              /* whole transfer, seconds; 0: none */
    long idle_timeout;         /* abort after this many seconds without a byte; 0: off */
    /* Streaming: with a 2xx status the body goes to sink as it arrives (return
     * nonzero to stop); any other status is collected as usual. */
    int (*sink)(void *ud, const char *data, size_t len);
    void *sink_ud;
};

struct http_resp {
    long status;
    char *body; /* NUL-terminated (collected answers), wiped on free */
    size_t len;
    char content_type[128];
    int streamed; /* the body went to the sink */
    int stopped;  /* the sink asked to stop */
};

/* NULL without memory. token may be NULL (no Authorization header). */
struct http *http_new(const char *base_url, const char *token, const char *cacert);
void http_free(struct http *h);
const char *http_base(const struct http *h);
/* 0 when an answer came (whatever its status), -1 with err set on a transport
 * failure ("cannot reach e4c2 at URL: ..."). */
int http_do(struct http *h, const struct http_req *r, struct http_resp *resp, char *err,
            size_t errlen);
void http_resp_free(struct http_resp *resp);
/* libcurl's version, for --version. */
const char *http_library_version(void);
int http_global_init(void);
void http_global_cleanup(void);

#endif
