/* mqttinfo: TCP (non-blocking connect), TLS (OpenSSL) and WebSocket client
 * framing (RFC 6455, subprotocol "mqtt"), every operation bounded by a
 * deadline. */
#define _GNU_SOURCE /* memmem */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define WS_RAW_CAP 16384

struct mi_conn {
    int fd;
    SSL *ssl;
    bool ws;
    /* WebSocket receive state */
    uint8_t raw[WS_RAW_CAP];
    size_t raw_off, raw_len;
    uint64_t ws_left; /* payload bytes left in the current data frame */
    bool ws_masked;   /* servers must not mask, but tolerate it */
    uint8_t ws_mask[4];
    uint64_t ws_pos;
    bool ws_closed;
    char err[160];
};

static SSL_CTX *g_ctx;

int mi_endpoint_resolve(mi_endpoint *ep, const mi_target *t, int64_t deadline, char *err,
                        size_t errlen)
{
    memset(ep, 0, sizeof *ep);
    ep->target = *t;
    return mi_resolve(t->host, t->port, deadline, &ep->addrs, err, errlen);
}

int mi_tls_global_init(const mi_options *o, char *err, size_t errlen)
{
    if (g_ctx)
        return 0;
    g_ctx = SSL_CTX_new(TLS_client_method());
    if (!g_ctx) {
        snprintf(err, errlen, "TLS: cannot create context");
        return -1;
    }
    SSL_CTX_set_min_proto_version(g_ctx, TLS1_VERSION);
    SSL_CTX_set_default_verify_paths(g_ctx);
    if (o->cafile && SSL_CTX_load_verify_locations(g_ctx, o->cafile, NULL) != 1) {
        snprintf(err, errlen, "TLS: cannot load CA file %s", o->cafile);
        SSL_CTX_free(g_ctx);
        g_ctx = NULL;
        return -1;
    }
    /* Verification is decided after the handshake, so that the report can
     * describe an unverified certificate. */
    SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, NULL);
    return 0;
}

void mi_tls_global_free(void)
{
    SSL_CTX_free(g_ctx);
    g_ctx = NULL;
}

/* Milliseconds to the deadline, in slices of at most MI_WAIT_SLICE_MS so
 * that a cancellation (mi_cancel) is noticed; 0 when the deadline has passed
 * or the process is stopping. */
#define MI_WAIT_SLICE_MS 100
static int remaining(int64_t deadline)
{
    int64_t left = deadline - mi_now_ms();
    if (left <= 0 || mi_cancelled())
        return 0;
    return left > MI_WAIT_SLICE_MS ? MI_WAIT_SLICE_MS : (int)left;
}

/* Waits for fd to become readable/writable. 0 ready, MI_IO_TIMEOUT. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int ms = remaining(deadline);
        if (ms == 0)
            return MI_IO_TIMEOUT;
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll(&p, 1, ms);
        if (rc > 0)
            return 0;
        if (rc == 0)
            continue; /* one slice elapsed: look at the deadline again */
        if (errno != EINTR)
            return MI_IO_ERROR;
    }
}

static int tcp_connect_one(const mi_endpoint *ep, int i, int64_t deadline, int *fdout, char *err,
                           size_t errlen)
{
    const mi_addrs *ad = &ep->addrs;
    int fd = socket(ad->addr[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return MI_IO_ERROR;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, (const struct sockaddr *)&ad->addr[i], ad->len[i]);
    if (rc != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        snprintf(err, errlen, "connect: %s", strerror(e));
        return e == ECONNREFUSED ? MI_IO_REFUSED : MI_IO_ERROR;
    }
    if (rc != 0) {
        if (wait_fd(fd, POLLOUT, deadline) != 0) {
            close(fd);
            snprintf(err, errlen, "connect: no answer (timeout)");
            return MI_IO_TIMEOUT;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        if (soerr != 0) {
            close(fd);
            snprintf(err, errlen, "connect: %s", strerror(soerr));
            return soerr == ECONNREFUSED ? MI_IO_REFUSED : MI_IO_ERROR;
        }
    }
    *fdout = fd;
    return 0;
}

/* Tries the host's addresses in order until one accepts (a timeout ends
 * the attempt: the deadline is shared). */
static int tcp_connect(const mi_endpoint *ep, int64_t deadline, int *fdout, char *err,
                       size_t errlen)
{
    int rc = MI_IO_ERROR;
    for (int i = 0; i < ep->addrs.n; i++) {
        rc = tcp_connect_one(ep, i, deadline, fdout, err, errlen);
        if (rc == 0 || rc == MI_IO_TIMEOUT)
            return rc;
    }
    return rc;
}

/* ---- raw layer: TCP or TLS ---- */

static int ssl_wait(mi_conn *c, int sslerr, int64_t deadline)
{
    if (sslerr == SSL_ERROR_WANT_READ)
        return wait_fd(c->fd, POLLIN, deadline);
    if (sslerr == SSL_ERROR_WANT_WRITE)
        return wait_fd(c->fd, POLLOUT, deadline);
    return MI_IO_ERROR;
}

static int raw_write(mi_conn *c, const uint8_t *buf, size_t n, int64_t deadline)
{
    size_t done = 0;
    while (done < n) {
        if (c->ssl) {
            ERR_clear_error();
            int w = SSL_write(c->ssl, buf + done, (int)(n - done));
            if (w > 0) {
                done += (size_t)w;
                continue;
            }
            int e = SSL_get_error(c->ssl, w);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                int rc = ssl_wait(c, e, deadline);
                if (rc)
                    return rc;
                continue;
            }
            snprintf(c->err, sizeof c->err, "TLS write failed");
            return (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) ? MI_IO_CLOSED
                                                                          : MI_IO_ERROR;
        }
        ssize_t w = send(c->fd, buf + done, n - done, MSG_NOSIGNAL);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(c->fd, POLLOUT, deadline);
            if (rc)
                return rc;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
            return MI_IO_CLOSED;
        snprintf(c->err, sizeof c->err, "send: %s", strerror(errno));
        return MI_IO_ERROR;
    }
    return 0;
}

/* One SSL_read: > 0 bytes, 0 to wait and try again, or MI_IO_*. */
static int ssl_read_once(mi_conn *c, uint8_t *buf, size_t n, int64_t deadline)
{
    ERR_clear_error();
    int r = SSL_read(c->ssl, buf, (int)n);
    if (r > 0)
        return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return ssl_wait(c, e, deadline);
    /* An abrupt close without close_notify is reported as an SSL error by
     * OpenSSL 3 (SSL_R_UNEXPECTED_EOF_WHILE_READING): a close too. */
    unsigned long le = ERR_peek_error();
    if (e != SSL_ERROR_ZERO_RETURN && e != SSL_ERROR_SYSCALL &&
        ERR_GET_REASON(le) != SSL_R_UNEXPECTED_EOF_WHILE_READING)
        snprintf(c->err, sizeof c->err, "TLS read failed");
    return MI_IO_CLOSED;
}

/* One recv: > 0 bytes, 0 to wait and try again, or MI_IO_*. */
static int tcp_read_once(mi_conn *c, uint8_t *buf, size_t n, int64_t deadline)
{
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r > 0)
        return (int)r;
    if (r == 0)
        return MI_IO_CLOSED;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return wait_fd(c->fd, POLLIN, deadline);
    if (errno == EINTR)
        return 0;
    if (errno == ECONNRESET || errno == EPIPE)
        return MI_IO_CLOSED;
    snprintf(c->err, sizeof c->err, "recv: %s", strerror(errno));
    return MI_IO_ERROR;
}

/* Reads of a peer that keeps sending never wait, so the deadline is
 * checked before every read, not only when a read would block. */
static int raw_read(mi_conn *c, uint8_t *buf, size_t n, int64_t deadline)
{
    for (;;) {
        if (remaining(deadline) == 0)
            return MI_IO_TIMEOUT;
        int r = c->ssl ? ssl_read_once(c, buf, n, deadline) : tcp_read_once(c, buf, n, deadline);
        if (r != 0)
            return r;
    }
}

/* ---- TLS ---- */

static void asn1_time_str(const ASN1_TIME *t, char *buf, size_t len)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (t && ASN1_TIME_to_tm(t, &tm) == 1)
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        mi_strlcpy(buf, "", len);
}

static void name_str(X509_NAME *n, char *buf, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b) {
        buf[0] = '\0';
        return;
    }
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char *data = NULL;
    long l = BIO_get_mem_data(b, &data);
    mi_sanitize(buf, len, (const uint8_t *)data, l > 0 ? (size_t)l : 0);
    BIO_free(b);
}

static bool is_ip_literal(const char *h)
{
    struct in6_addr a6;
    struct in_addr a4;
    return inet_pton(AF_INET, h, &a4) == 1 || inet_pton(AF_INET6, h, &a6) == 1;
}

static int tls_handshake(mi_conn *c, const mi_endpoint *ep, const mi_options *o, int64_t deadline,
                         mi_tls_info *info, char *err, size_t errlen)
{
    if (!g_ctx) {
        snprintf(err, errlen, "TLS not initialised");
        return MI_IO_ERROR;
    }
    c->ssl = SSL_new(g_ctx);
    if (!c->ssl) {
        snprintf(err, errlen, "TLS: SSL_new failed");
        return MI_IO_ERROR;
    }
    SSL_set_fd(c->ssl, c->fd);
    const char *host = ep->target.host;
    if (!is_ip_literal(host)) {
        SSL_set_tlsext_host_name(c->ssl, host);
        SSL_set1_host(c->ssl, host);
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host);
    }
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(c->ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            int rc = ssl_wait(c, e, deadline);
            if (rc == MI_IO_TIMEOUT) {
                snprintf(err, errlen, "TLS handshake: no answer (timeout)");
                return rc;
            }
            if (rc) {
                snprintf(err, errlen, "TLS handshake failed");
                return rc;
            }
            continue;
        }
        unsigned long le = ERR_peek_error();
        char es[120] = "connection closed";
        if (le)
            ERR_error_string_n(le, es, sizeof es);
        snprintf(err, errlen, "TLS handshake failed: %s", es);
        return MI_IO_ERROR;
    }
    long vr = SSL_get_verify_result(c->ssl);
    X509 *cert = SSL_get1_peer_certificate(c->ssl);
    if (info && !info->present) {
        memset(info, 0, sizeof *info);
        info->present = true;
        mi_strlcpy(info->version, SSL_get_version(c->ssl), sizeof info->version);
        mi_strlcpy(info->cipher, SSL_get_cipher_name(c->ssl), sizeof info->cipher);
        if (cert) {
            name_str(X509_get_subject_name(cert), info->subject, sizeof info->subject);
            name_str(X509_get_issuer_name(cert), info->issuer, sizeof info->issuer);
            asn1_time_str(X509_get0_notBefore(cert), info->not_before, sizeof info->not_before);
            asn1_time_str(X509_get0_notAfter(cert), info->not_after, sizeof info->not_after);
            info->self_signed = X509_check_issued(cert, cert) == X509_V_OK;
        }
        info->verified = cert != NULL && vr == X509_V_OK;
        if (!info->verified)
            mi_strlcpy(info->verify_error,
                       cert ? X509_verify_cert_error_string(vr) : "no certificate",
                       sizeof info->verify_error);
    }
    X509_free(cert);
    if (vr != X509_V_OK && !o->insecure) {
        snprintf(err, errlen, "TLS certificate not verified: %s (use --cafile or --insecure)",
                 X509_verify_cert_error_string(vr));
        return MI_IO_ERROR;
    }
    return 0;
}

/* ---- WebSocket ---- */

static void base64(const uint8_t *in, size_t n, char *out, size_t outlen)
{
    if (outlen < 4 * ((n + 2) / 3) + 1) {
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* Sends the upgrade request; key receives its Sec-WebSocket-Key. */
static int ws_send_request(mi_conn *c, const mi_target *t, int64_t deadline, char *key,
                           size_t keylen)
{
    uint8_t keyraw[16];
    char hex[33];
    mi_random_hex(hex, 32);
    for (int i = 0; i < 16; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        keyraw[i] = (uint8_t)v;
    }
    base64(keyraw, 16, key, keylen);
    bool v6 = strchr(t->host, ':') != NULL;
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n"
                     "User-Agent: mqttinfo/" E4_VERSION_STRING "\r\n\r\n",
                     t->path, v6 ? "[" : "", t->host, v6 ? "]" : "", t->port, key);
    if (n < 0 || (size_t)n >= sizeof req)
        return MI_IO_ERROR;
    return raw_write(c, (const uint8_t *)req, (size_t)n, deadline);
}

/* Reads the response headers into c->raw (NUL-terminated; the headers may
 * contain NUL bytes, so they are searched by length). *hdrlen: up to the
 * blank line; c->raw_len: everything read, frames that follow included. */
static int ws_read_headers(mi_conn *c, int64_t deadline, size_t *hdrlen, char *err, size_t errlen)
{
    size_t len = 0;
    const uint8_t *end = NULL;
    while (!end) {
        if (len >= sizeof c->raw - 1) {
            snprintf(err, errlen, "WebSocket: response headers too long");
            return MI_IO_ERROR;
        }
        int rc = raw_read(c, c->raw + len, sizeof c->raw - 1 - len, deadline);
        if (rc < 0) {
            snprintf(err, errlen, "WebSocket: %s before the upgrade response",
                     rc == MI_IO_TIMEOUT ? "timeout" : "connection closed");
            return rc;
        }
        len += (size_t)rc;
        c->raw[len] = '\0';
        end = memmem(c->raw, len, "\r\n\r\n", 4);
    }
    *hdrlen = (size_t)(end - c->raw) + 4;
    c->raw_len = len;
    return 0;
}

/* Whether a header line (from the start of the buffer to the blank line)
 * has Sec-WebSocket-Accept = base64(SHA1(key + GUID)). */
static bool ws_accept_ok(const uint8_t *hdr, size_t hdrlen, const char *key)
{
    static const char name[] = "Sec-WebSocket-Accept:";
    char cat[128];
    snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    uint8_t sha[EVP_MAX_MD_SIZE];
    unsigned shalen = 0;
    EVP_Digest(cat, strlen(cat), sha, &shalen, EVP_sha1(), NULL);
    char expect[64];
    base64(sha, shalen, expect, sizeof expect);
    size_t elen = strlen(expect), nlen = sizeof name - 1;
    for (size_t i = 0; i + 2 < hdrlen;) {
        const uint8_t *eol = memmem(hdr + i, hdrlen - i, "\r\n", 2);
        size_t next = (size_t)(eol - hdr) + 2, linelen = (size_t)(eol - hdr) - i;
        const char *line = (const char *)hdr + i;
        if (i > 0 && linelen > nlen && strncasecmp(line, name, nlen) == 0) {
            size_t v = nlen;
            while (v < linelen && (line[v] == ' ' || line[v] == '\t'))
                v++;
            if (linelen - v >= elen && memcmp(line + v, expect, elen) == 0)
                return true;
        }
        i = next;
    }
    return false;
}

static int ws_handshake(mi_conn *c, const mi_endpoint *ep, int64_t deadline, char *err,
                        size_t errlen)
{
    char key[32];
    int rc = ws_send_request(c, &ep->target, deadline, key, sizeof key);
    if (rc) {
        snprintf(err, errlen, "WebSocket: cannot send the upgrade request");
        return rc;
    }
    size_t hdrlen;
    rc = ws_read_headers(c, deadline, &hdrlen, err, errlen);
    if (rc)
        return rc;
    if (memcmp(c->raw, "HTTP/1.1 101", 12) != 0 && memcmp(c->raw, "HTTP/1.0 101", 12) != 0) {
        char status[64];
        const uint8_t *eol = memmem(c->raw, hdrlen, "\r\n", 2);
        mi_sanitize(status, sizeof status, c->raw, (size_t)(eol - c->raw));
        snprintf(err, errlen, "WebSocket upgrade refused: %s", status);
        return MI_IO_ERROR;
    }
    if (!ws_accept_ok(c->raw, hdrlen, key)) {
        snprintf(err, errlen, "WebSocket: bad or missing Sec-WebSocket-Accept");
        return MI_IO_ERROR;
    }
    c->raw_off = hdrlen;
    c->ws = true;
    return 0;
}

static int ws_write(mi_conn *c, const uint8_t *buf, size_t n, int64_t deadline)
{
    uint8_t hdr[14];
    size_t h = 0;
    hdr[h++] = 0x82; /* FIN, binary */
    if (n < 126) {
        hdr[h++] = (uint8_t)(0x80 | n);
    } else if (n <= 0xffff) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (uint8_t)(n >> 8);
        hdr[h++] = (uint8_t)n;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    uint16_t m1 = mi_random_u16(), m2 = mi_random_u16();
    uint8_t mask[4] = {(uint8_t)(m1 >> 8), (uint8_t)m1, (uint8_t)(m2 >> 8), (uint8_t)m2};
    memcpy(hdr + h, mask, 4);
    h += 4;
    uint8_t *frame = malloc(h + n);
    if (!frame)
        return MI_IO_ERROR;
    memcpy(frame, hdr, h);
    for (size_t i = 0; i < n; i++)
        frame[h + i] = buf[i] ^ mask[i & 3];
    int rc = raw_write(c, frame, h + n, deadline);
    free(frame);
    return rc;
}

/* Makes at least `need` bytes available in raw[raw_off..]. */
static int ws_fill(mi_conn *c, size_t need, int64_t deadline)
{
    while (c->raw_len - c->raw_off < need) {
        if (c->raw_off > 0) {
            memmove(c->raw, c->raw + c->raw_off, c->raw_len - c->raw_off);
            c->raw_len -= c->raw_off;
            c->raw_off = 0;
        }
        if (c->raw_len >= sizeof c->raw)
            return MI_IO_ERROR;
        int rc = raw_read(c, c->raw + c->raw_len, sizeof c->raw - c->raw_len, deadline);
        if (rc < 0)
            return rc;
        c->raw_len += (size_t)rc;
    }
    return 0;
}

/* Copies up to n bytes of the current data frame's payload (unmasked). */
static int ws_take_payload(mi_conn *c, uint8_t *buf, size_t n, int64_t deadline)
{
    int rc = ws_fill(c, 1, deadline);
    if (rc)
        return rc;
    size_t avail = c->raw_len - c->raw_off;
    size_t k = n < avail ? n : avail;
    if (k > c->ws_left)
        k = (size_t)c->ws_left;
    for (size_t i = 0; i < k; i++) {
        uint8_t b = c->raw[c->raw_off + i];
        buf[i] = c->ws_masked ? (uint8_t)(b ^ c->ws_mask[(c->ws_pos + i) & 3]) : b;
    }
    c->raw_off += k;
    c->ws_left -= k;
    c->ws_pos += k;
    return (int)k;
}

/* A frame header at raw[raw_off]. */
typedef struct {
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];
    size_t hl;     /* header length */
    uint64_t plen; /* payload length */
} ws_frame;

/* Reads (makes available) and decodes the next frame header. */
static int ws_header(mi_conn *c, ws_frame *fr, int64_t deadline)
{
    int rc = ws_fill(c, 2, deadline);
    if (rc)
        return rc;
    const uint8_t *p = c->raw + c->raw_off;
    fr->opcode = p[0] & 0x0f;
    fr->masked = p[1] & 0x80;
    fr->plen = p[1] & 0x7f;
    size_t ext = fr->plen == 126 ? 2 : fr->plen == 127 ? 8 : 0;
    fr->hl = 2 + ext + (fr->masked ? 4 : 0);
    rc = ws_fill(c, fr->hl, deadline);
    if (rc)
        return rc;
    p = c->raw + c->raw_off;
    if (ext)
        fr->plen = 0;
    for (size_t i = 0; i < ext; i++)
        fr->plen = fr->plen << 8 | p[2 + i];
    memset(fr->mask, 0, 4);
    if (fr->masked)
        memcpy(fr->mask, p + fr->hl - 4, 4);
    return 0;
}

/* A control frame (payload <= 125 bytes): close -> MI_IO_CLOSED, ping ->
 * pong, anything else ignored. */
static int ws_control(mi_conn *c, const ws_frame *fr, int64_t deadline)
{
    if (fr->plen > 125) {
        snprintf(c->err, sizeof c->err, "WebSocket: oversized control frame");
        return MI_IO_ERROR;
    }
    size_t pl = (size_t)fr->plen;
    int rc = ws_fill(c, fr->hl + pl, deadline);
    if (rc)
        return rc;
    static const uint8_t mk[4] = {0x12, 0x34, 0x56, 0x78};
    uint8_t pong[2 + 4 + 125] = {0x8a, (uint8_t)(0x80 | pl), 0x12, 0x34, 0x56, 0x78};
    for (size_t i = 0; i < pl; i++)
        pong[6 + i] = c->raw[c->raw_off + fr->hl + i] ^ fr->mask[i & 3] ^ mk[i & 3];
    c->raw_off += fr->hl + pl;
    if (fr->opcode == 0x8) {
        c->ws_closed = true;
        return MI_IO_CLOSED;
    }
    return fr->opcode == 0x9 ? raw_write(c, pong, 6 + pl, deadline) : 0;
}

static int ws_read(mi_conn *c, uint8_t *buf, size_t n, int64_t deadline)
{
    for (;;) {
        if (c->ws_closed)
            return MI_IO_CLOSED;
        if (remaining(deadline) == 0) /* e.g. a stream of pings */
            return MI_IO_TIMEOUT;
        if (c->ws_left > 0)
            return ws_take_payload(c, buf, n, deadline);
        ws_frame fr;
        int rc = ws_header(c, &fr, deadline);
        if (rc == 0 && fr.opcode >= 0x8)
            rc = ws_control(c, &fr, deadline);
        else if (rc == 0) { /* data frame (continuations included) */
            c->raw_off += fr.hl;
            c->ws_left = fr.plen;
            c->ws_masked = fr.masked;
            memcpy(c->ws_mask, fr.mask, 4);
            c->ws_pos = 0;
        }
        if (rc)
            return rc;
    }
}

/* ---- public ---- */

int mi_conn_open(mi_conn **out, const mi_endpoint *ep, const mi_options *o, int64_t deadline,
                 mi_tls_info *tls, char *err, size_t errlen)
{
    *out = NULL;
    mi_conn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return MI_IO_ERROR;
    }
    c->fd = -1;
    int rc = tcp_connect(ep, deadline, &c->fd, err, errlen);
    if (rc == 0 && (ep->target.transport == MI_TLS || ep->target.transport == MI_WSS))
        rc = tls_handshake(c, ep, o, deadline, tls, err, errlen);
    if (rc == 0 && (ep->target.transport == MI_WS || ep->target.transport == MI_WSS))
        rc = ws_handshake(c, ep, deadline, err, errlen);
    if (rc) {
        mi_conn_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

int mi_conn_write(mi_conn *c, const uint8_t *buf, size_t n, int64_t deadline)
{
    if (c->ws)
        return ws_write(c, buf, n, deadline);
    return raw_write(c, buf, n, deadline);
}

int mi_conn_read(mi_conn *c, uint8_t *buf, size_t n, int64_t deadline)
{
    if (c->ws)
        return ws_read(c, buf, n, deadline);
    return raw_read(c, buf, n, deadline);
}

void mi_conn_close(mi_conn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        /* One non-blocking attempt at close_notify; never wait for it. */
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}
