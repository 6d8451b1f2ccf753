/* TLS on either side (OpenSSL, non-blocking): clients may connect with TLS
 * (--tls-cert/--tls-key) and the broker may be mqtts:// (its certificate
 * verified against --cafile/--capath or the system's CAs, and its host
 * name checked). Reads and writes of a side go through side_read and
 * side_write, TLS or not. */
#include "proxy.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

static SSL_CTX *server_ctx, *client_ctx;

static void tls_error(const char *what, const char *path)
{
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    cli_error("%s%s%s: %s", what, path ? " " : "", path ? path : "", buf);
}

static int server_setup(const proxy_conf *c)
{
    if (!(server_ctx = SSL_CTX_new(TLS_server_method()))) {
        tls_error("TLS", NULL);
        return 1;
    }
    SSL_CTX_set_min_proto_version(server_ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(server_ctx,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(server_ctx, c->tls_cert) != 1) {
        tls_error("--tls-cert", c->tls_cert);
        return 1;
    }
    if (SSL_CTX_use_PrivateKey_file(server_ctx, c->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(server_ctx) != 1) {
        tls_error("--tls-key", c->tls_key);
        return 1;
    }
    return 0;
}

static int client_setup(const proxy_conf *c)
{
    if (!(client_ctx = SSL_CTX_new(TLS_client_method()))) {
        tls_error("TLS", NULL);
        return 1;
    }
    SSL_CTX_set_min_proto_version(client_ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(client_ctx,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, NULL);
    if (c->cafile || c->capath) {
        if (SSL_CTX_load_verify_locations(client_ctx, c->cafile, c->capath) != 1) {
            tls_error(c->cafile ? "--cafile" : "--capath", c->cafile ? c->cafile : c->capath);
            return 1;
        }
    } else if (SSL_CTX_set_default_verify_paths(client_ctx) != 1) {
        tls_error("the system's CA certificates", NULL);
        return 1;
    }
    return 0;
}

int tls_setup(const proxy_conf *c)
{
    if (c->tls_cert && server_setup(c))
        return 1;
    if (c->broker_tls && client_setup(c))
        return 1;
    return 0;
}

void tls_free(void)
{
    SSL_CTX_free(server_ctx);
    SSL_CTX_free(client_ctx);
    server_ctx = client_ctx = NULL;
}

int tls_attach(struct side *s, bool server, const char *host)
{
    SSL *ssl;
    SSL_CTX *ctx = server ? server_ctx : client_ctx;
    if (!ctx)
        return 0; /* plain TCP on this side */
    if (!(ssl = SSL_new(ctx)) || SSL_set_fd(ssl, s->fd) != 1) {
        SSL_free(ssl);
        return -1;
    }
    if (server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_tlsext_host_name(ssl, host);
        if (SSL_set1_host(ssl, host) != 1) {
            SSL_free(ssl);
            return -1;
        }
        SSL_set_connect_state(ssl);
    }
    s->ssl = ssl;
    return 0;
}

void tls_detach(struct side *s)
{
    if (s->ssl) {
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
}

size_t tls_pending(const struct side *s)
{
    return s->ssl ? (size_t)SSL_pending(s->ssl) : 0;
}

/* After an SSL call returned n <= 0: -1 with errno EAGAIN (try again when
 * the socket allows), 0 at a clean end, -1 with EPROTO (reason in
 * s->pc's log). */
static ssize_t ssl_result(struct side *s, int n)
{
    char why[200];
    switch (SSL_get_error(s->ssl, n)) {
    case SSL_ERROR_WANT_READ: errno = EAGAIN; return -1;
    case SSL_ERROR_WANT_WRITE:
        s->tls_want_write = true;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN: return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == 0)
            errno = ECONNRESET;
        return -1;
    default:
        ERR_error_string_n(ERR_get_error(), why, sizeof why);
        plog("warn", "tls_error", s->pc->serial, why);
        ERR_clear_error();
        errno = EPROTO;
        return -1;
    }
}

ssize_t side_read(struct side *s, void *buf, size_t n)
{
    int r;
    if (!s->ssl)
        return recv(s->fd, buf, n, 0);
    s->tls_want_write = false;
    ERR_clear_error();
    r = SSL_read(s->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    return r > 0 ? r : ssl_result(s, r);
}

ssize_t side_write(struct side *s, const void *buf, size_t n)
{
    int r;
    if (!s->ssl)
        return send(s->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    s->tls_want_write = false;
    ERR_clear_error();
    r = SSL_write(s->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    return r > 0 ? r : ssl_result(s, r);
}
