/* mqttinfo: name resolution bounded by a deadline. */
#ifndef MQTTINFO_RESOLVE_H
#define MQTTINFO_RESOLVE_H

#include "mi.h"

#include <netdb.h>
#include <sys/socket.h>

#define MI_MAX_ADDRS 4

/* The addresses of a host, in the resolver's order (e.g. ::1, 127.0.0.1). */
typedef struct {
    int n;
    struct sockaddr_storage addr[MI_MAX_ADDRS];
    socklen_t len[MI_MAX_ADDRS];
} mi_addrs;

/* Resolves host (TCP, the given port) before the deadline (mi_now_ms()
 * clock). Numeric addresses never touch DNS. A name is looked up by
 * getaddrinfo() in a detached thread, which cannot be interrupted: when the
 * deadline passes first (or mi_cancel() is called), the lookup is abandoned
 * and its thread frees what it allocated when getaddrinfo() returns.
 * Returns 0, or -1 with a message in err ("... timeout" when the deadline
 * passed). */
int mi_resolve(const char *host, int port, int64_t deadline, mi_addrs *out, char *err,
               size_t errlen);

/* Tests only: the lookup function (getaddrinfo when NULL). */
typedef int (*mi_lookup_fn)(const char *host, const char *port, const struct addrinfo *hints,
                            struct addrinfo **res);
void mi_resolve_set_lookup(mi_lookup_fn fn);

#endif
