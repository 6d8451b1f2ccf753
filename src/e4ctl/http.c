/* libcurl wrapper: method, path, body -> status and body. */
#include "http.h"

#include "ctl.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_ANSWER_MAX (64u << 20) /* a page of 1000 clients is far below */
#define HTTP_CONNECT_TIMEOUT 10L

struct http {
    CURL *curl;
    char *base;
    char *auth; /* "Authorization: Bearer ..." (wiped on free) */
    char *cacert;
    char errbuf[CURL_ERROR_SIZE];
};

struct wctx {
    struct http *h;
    const struct http_req *r;
    struct http_resp *resp;
    struct sbuf body;
    int decided, too_large;
};

int http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
    curl_global_cleanup();
}

const char *http_library_version(void)
{
    return curl_version_info(CURLVERSION_NOW)->version;
}

struct http *http_new(const char *base_url, const char *token, const char *cacert)
{
    struct http *h = calloc(1, sizeof *h);
    struct sbuf auth = {0};
    size_t n;

    if (!h)
        return NULL;
    h->curl = curl_easy_init();
    h->base = strdup(base_url);
    h->cacert = cacert ? strdup(cacert) : NULL;
    if (token) {
        sb_addf(&auth, "Authorization: Bearer %s", token);
        h->auth = sb_take(&auth);
    }
    if (!h->curl || !h->base || (cacert && !h->cacert) || (token && !h->auth)) {
        http_free(h);
        return NULL;
    }
    for (n = strlen(h->base); n > 0 && h->base[n - 1] == '/'; n--)
        h->base[n - 1] = '\0';
    return h;
}

void http_free(struct http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    free(h->base);
    free(h->cacert);
    ctl_wipe_str(h->auth);
    free(h);
}

const char *http_base(const struct http *h)
{
    return h->base;
}

void http_resp_free(struct http_resp *resp)
{
    if (resp->body)
        ctl_wipe_free(resp->body, resp->len);
    memset(resp, 0, sizeof *resp);
}

static void decide(struct wctx *w)
{
    char *ct = NULL;
    curl_easy_getinfo(w->h->curl, CURLINFO_RESPONSE_CODE, &w->resp->status);
    curl_easy_getinfo(w->h->curl, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(w->resp->content_type, sizeof w->resp->content_type, "%s", ct ? ct : "");
    w->resp->streamed = w->r->sink && w->resp->status / 100 == 2;
    w->decided = 1;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    struct wctx *w = ud;
    size_t n = size * nmemb;

    if (!w->decided)
        decide(w);
    if (w->resp->streamed) {
        if (w->r->sink(w->r->sink_ud, data, n)) {
            w->resp->stopped = 1;
            return 0;
        }
        return n;
    }
    if (w->body.len + n > HTTP_ANSWER_MAX) {
        w->too_large = 1;
        return 0;
    }
    sb_add(&w->body, data, n);
    return w->body.oom ? 0 : n;
}

/* The request's headers; NULL without memory. */
static struct curl_slist *headers(const struct http *h, const struct http_req *r)
{
    struct curl_slist *l = NULL, *t;
    char line[256];
    snprintf(line, sizeof line, "Accept: %s", r->accept ? r->accept : "application/json");
    l = curl_slist_append(l, line);
    snprintf(line, sizeof line, "Content-Type:%s%s", r->content_type ? " " : "",
             r->content_type ? r->content_type : "");
    t = l ? curl_slist_append(l, line) : NULL;
    t = t ? curl_slist_append(t, "Expect:") : NULL;
    if (t && r->last_event_id) {
        snprintf(line, sizeof line, "Last-Event-ID: %s", r->last_event_id);
        t = curl_slist_append(t, line);
    }
    if (t && h->auth)
        t = curl_slist_append(t, h->auth);
    if (!t)
        curl_slist_free_all(l);
    return t;
}

static void free_headers(struct curl_slist *l)
{
    struct curl_slist *p;
    for (p = l; p; p = p->next)
        explicit_bzero(p->data, strlen(p->data)); /* one of them holds the token */
    curl_slist_free_all(l);
}

static void set_method(CURL *c, const struct http_req *r)
{
    if (!strcmp(r->method, "GET")) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (!strcmp(r->method, "POST") || r->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->body ? r->body_len : 0));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
    }
    if (strcmp(r->method, "POST"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
}

static void setup(struct http *h, const struct http_req *r, const char *url,
                  struct curl_slist *hdrs, struct wctx *w)
{
    CURL *c = h->curl;
    curl_easy_reset(c); /* keeps the connection cache */
    curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85 */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* never send the token elsewhere */
    curl_easy_setopt(c, CURLOPT_USERAGENT, "e4ctl/" E4_VERSION_STRING);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, r->timeout);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (r->idle_timeout > 0) {
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, r->idle_timeout);
    }
    if (h->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, h->cacert);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
    set_method(c, r);
}

static int is_tls_error(CURLcode rc)
{
    return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
           rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
           rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ISSUER_ERROR;
}

static void describe(struct http *h, CURLcode rc, const struct wctx *w, char *err, size_t errlen)
{
    const char *why = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
    if (w->too_large)
        snprintf(err, errlen, "the answer of e4c2 at %s is larger than %u bytes", h->base,
                 HTTP_ANSWER_MAX);
    else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
             rc == CURLE_COULDNT_RESOLVE_PROXY)
        snprintf(err, errlen, "cannot reach e4c2 at %s: %s", h->base, why);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(err, errlen, "no answer from e4c2 at %s in time: %s", h->base, why);
    else if (is_tls_error(rc))
        snprintf(err, errlen, "TLS with e4c2 at %s failed: %s%s", h->base, why,
                 h->cacert ? "" : " (a private CA needs --cacert FILE)");
    else
        snprintf(err, errlen, "request to e4c2 at %s failed: %s", h->base, why);
}

int http_do(struct http *h, const struct http_req *r, struct http_resp *resp, char *err,
            size_t errlen)
{
    struct wctx w;
    struct sbuf url = {0};
    struct curl_slist *hdrs = headers(h, r);
    char *u;
    CURLcode rc;

    memset(resp, 0, sizeof *resp);
    memset(&w, 0, sizeof w);
    w.h = h, w.r = r, w.resp = resp;
    sb_adds(&url, h->base);
    sb_adds(&url, r->path);
    u = sb_take(&url);
    if (!u || !hdrs) {
        free(u);
        free_headers(hdrs);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    h->errbuf[0] = '\0';
    setup(h, r, u, hdrs, &w);
    rc = curl_easy_perform(h->curl);
    if (!w.decided && rc == CURLE_OK)
        decide(&w); /* an answer without a body */
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    free_headers(hdrs);
    free(u);
    resp->len = w.body.len;
    resp->body = sb_take(&w.body);
    if (rc != CURLE_OK && !(resp->stopped && rc == CURLE_WRITE_ERROR)) {
        describe(h, rc, &w, err, errlen);
        return -1;
    }
    return resp->body ? 0 : (snprintf(err, errlen, "out of memory"), -1);
}
