/* mqttinfo: name resolution with a deadline. getaddrinfo() has none (glibc
 * waits 5 s per attempt and name server), so a name is resolved in a
 * detached thread that the caller may abandon; the lookup is shared by the
 * two sides and freed by whichever lets go of it last. */
#include "resolve.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESOLVER_STACK (512 * 1024)
#define RESOLVER_SLICE_MS 100 /* how often a waiting caller looks at mi_cancelled() */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs; /* 2 while the caller waits, 1 once either side let go */
    bool done;
    int rc;
    struct addrinfo *res;
    char host[256];
    char port[8];
} lookup;

static mi_lookup_fn g_lookup;

void mi_resolve_set_lookup(mi_lookup_fn fn)
{
    g_lookup = fn;
}

static int do_lookup(const char *host, const char *port, int flags, struct addrinfo **res)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | flags;
    if (!(flags & AI_NUMERICHOST) && g_lookup)
        return g_lookup(host, port, &hints, res);
    return getaddrinfo(host, port, &hints, res);
}

static void lookup_release(lookup *l)
{
    pthread_mutex_lock(&l->mu);
    bool last = --l->refs == 0;
    pthread_mutex_unlock(&l->mu);
    if (!last)
        return;
    if (l->res)
        freeaddrinfo(l->res);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static void *lookup_thread(void *arg)
{
    lookup *l = arg;
    struct addrinfo *res = NULL;
    int rc = do_lookup(l->host, l->port, 0, &res);
    pthread_mutex_lock(&l->mu);
    l->rc = rc;
    l->res = res;
    l->done = true;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    lookup_release(l);
    return NULL;
}

static void copy_addrs(const struct addrinfo *res, mi_addrs *out)
{
    out->n = 0;
    for (const struct addrinfo *ai = res; ai && out->n < MI_MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof out->addr[0])
            continue;
        memcpy(&out->addr[out->n], ai->ai_addr, ai->ai_addrlen);
        out->len[out->n++] = ai->ai_addrlen;
    }
}

/* CLOCK_MONOTONIC time `ms` from now, for pthread_cond_timedwait. */
static struct timespec abs_after(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = (int64_t)ts.tv_nsec + ms * 1000000;
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

/* Waits for the lookup until the deadline; true when it finished. */
static bool wait_done(lookup *l, int64_t deadline)
{
    pthread_mutex_lock(&l->mu);
    for (;;) {
        int64_t left = deadline - mi_now_ms();
        if (l->done || left <= 0 || mi_cancelled())
            break;
        struct timespec ts = abs_after(left < RESOLVER_SLICE_MS ? left : RESOLVER_SLICE_MS);
        pthread_cond_timedwait(&l->cv, &l->mu, &ts);
    }
    bool done = l->done;
    pthread_mutex_unlock(&l->mu);
    return done;
}

static lookup *lookup_start(const char *host, const char *port)
{
    lookup *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    mi_strlcpy(l->host, host, sizeof l->host);
    mi_strlcpy(l->port, port, sizeof l->port);
    l->refs = 2;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&l->mu, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, RESOLVER_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int rc = pthread_create(&t, &attr, lookup_thread, l);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_cond_destroy(&l->cv);
        pthread_mutex_destroy(&l->mu);
        free(l);
        return NULL;
    }
    return l;
}

static int resolve_name(const char *host, const char *port, int64_t deadline, mi_addrs *out,
                        char *err, size_t errlen)
{
    lookup *l = lookup_start(host, port);
    if (!l) {
        snprintf(err, errlen, "cannot resolve %s: no resolver thread", host);
        return -1;
    }
    int rc = -1;
    if (!wait_done(l, deadline))
        snprintf(err, errlen, "cannot resolve %s: no answer (timeout)", host);
    else if (l->rc != 0 || !l->res)
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(l->rc));
    else {
        copy_addrs(l->res, out);
        rc = 0;
    }
    lookup_release(l);
    return rc;
}

int mi_resolve(const char *host, int port, int64_t deadline, mi_addrs *out, char *err,
               size_t errlen)
{
    char ports[8];
    snprintf(ports, sizeof ports, "%d", port);
    memset(out, 0, sizeof *out);
    struct addrinfo *res = NULL;
    int rc;
    if (do_lookup(host, ports, AI_NUMERICHOST, &res) == 0) {
        copy_addrs(res, out);
        freeaddrinfo(res);
        rc = 0;
    } else {
        rc = resolve_name(host, ports, deadline, out, err, errlen);
    }
    if (rc == 0 && out->n == 0) {
        snprintf(err, errlen, "cannot resolve %s", host);
        rc = -1;
    }
    return rc;
}
