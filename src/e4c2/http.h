/*
 * http: e4c2's HTTP/JSON API server (libmicrohttpd), per
 * docs/e4c2-openapi.json.
 *
 * http_start listens and serves in its own threads until http_stop, which
 * ends every open request (event streams included, within about a second)
 * before it returns. Stop the server before closing the store pool.
 */
#ifndef E4C2_HTTP_H
#define E4C2_HTTP_H

#include "store.h"

typedef struct http_config {
    const char *listen; /* "HOST:PORT", default 127.0.0.1:8640; [::1]:PORT for IPv6;
                           port 0 picks a free port (see http_port) */
    const char *tls_cert_file, *tls_key_file; /* PEM files: HTTPS when both are set */
    int threads;        /* most connections served at once (one thread each); 0: 64 */
    const char *ui_dir; /* the console's files, served at /ui/ (http_ui.h); NULL: none */
} http_config;

typedef struct http_server http_server;

http_server *http_start(const http_config *cfg, store_pool *pool, c2_error *e);
void http_stop(http_server *h);
/* The port the server listens on (useful with port 0). */
int http_port(const http_server *h);

#endif
