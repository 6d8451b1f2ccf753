/* mqttinfo: byte streams to a broker (TCP, TLS, WebSocket), every call
 * bounded by an absolute deadline (mi_now_ms() clock). */
#ifndef MQTTINFO_TRANSPORT_H
#define MQTTINFO_TRANSPORT_H

#include "mi.h"
#include "resolve.h"

#include <sys/socket.h>

/* Results of transport calls (negative) */
enum {
    MI_IO_CLOSED = -1,  /* the peer closed (or reset) the connection */
    MI_IO_TIMEOUT = -2, /* deadline reached */
    MI_IO_ERROR = -3,   /* anything else (message in the error buffer) */
    MI_IO_REFUSED = -4  /* connect: nothing listens */
};

/* A resolved endpoint, shared by every connection of one analysis. */
typedef struct {
    mi_target target;
    mi_addrs addrs; /* addresses of the host, tried in order (e.g. ::1 then 127.0.0.1) */
} mi_endpoint;

typedef struct mi_conn mi_conn;

/* Resolves the host before the deadline (see mi_resolve). 0 or -1 + err. */
int mi_endpoint_resolve(mi_endpoint *ep, const mi_target *t, int64_t deadline, char *err,
                        size_t errlen);

/* TLS setup shared by all connections of the process; call once before
 * threads start. 0 or -1 + err. */
int mi_tls_global_init(const mi_options *o, char *err, size_t errlen);
void mi_tls_global_free(void);

/* Opens a connection (TCP connect, TLS handshake, WebSocket upgrade).
 * tls (may be NULL) receives the TLS session details. Returns 0 or a
 * negative MI_IO_* code with a message in err. */
int mi_conn_open(mi_conn **out, const mi_endpoint *ep, const mi_options *o, int64_t deadline,
                 mi_tls_info *tls, char *err, size_t errlen);
/* Writes all n bytes: 0 or a negative MI_IO_* code. */
int mi_conn_write(mi_conn *c, const uint8_t *buf, size_t n, int64_t deadline);
/* Reads at most n bytes: >0 bytes read or a negative MI_IO_* code. */
int mi_conn_read(mi_conn *c, uint8_t *buf, size_t n, int64_t deadline);
void mi_conn_close(mi_conn *c);

#endif
