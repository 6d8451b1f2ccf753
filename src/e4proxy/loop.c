/* The event loop: one epoll over the listener, a signalfd and both sockets
 * of every pair; level-triggered, non-blocking, one read of at most
 * READ_CHUNK bytes per event. Back-pressure: a side is not read while
 * either output buffer of its pair holds more than the high-water mark, so
 * a slow reader never makes the proxy buffer without limit. */
#define _GNU_SOURCE /* accept4 */
#include "proxy.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (64u * 1024u)
#define MAX_EVENTS 256

typedef struct loop {
    proxy *px;
    int epfd;
    int listen_kind, signal_kind; /* epoll tags */
    int listen_fd, sig_fd;
    struct sockaddr_storage broker;
    socklen_t broker_len;
    pconn *live, *dead;
    size_t nlive;
    size_t high_water;
    uint8_t *rbuf;
    int stopping;
} loop;

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- pairs ---- */

static void list_remove(pconn **head, pconn *pc)
{
    if (pc->prev)
        pc->prev->next = pc->next;
    else
        *head = pc->next;
    if (pc->next)
        pc->next->prev = pc->prev;
    pc->next = pc->prev = NULL;
}

static void list_push(pconn **head, pconn *pc)
{
    pc->prev = NULL;
    pc->next = *head;
    if (*head)
        (*head)->prev = pc;
    *head = pc;
}

static void side_close(loop *lp, struct side *s)
{
    tls_detach(s);
    if (s->fd >= 0) {
        epoll_ctl(lp->epfd, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        s->fd = -1;
    }
}

/* Best effort: what is buffered for s, without waiting. */
static void flush_now(struct side *s)
{
    while (s->fd >= 0 && s->out.len > 0 && !s->connecting) {
        ssize_t n = side_write(s, s->out.data, s->out.len);
        if (n <= 0)
            break;
        pbuf_consume(&s->out, (size_t)n);
    }
}

/* Close both sockets now (the broker sees the client's going at once, and
 * publishes its will unless it sent DISCONNECT); freed later. */
static void pair_close(loop *lp, pconn *pc, const char *why)
{
    if (pc->dead)
        return;
    flush_now(&pc->up);
    flush_now(&pc->down);
    side_close(lp, &pc->down);
    side_close(lp, &pc->up);
    pc->dead = true;
    list_remove(&lp->live, pc);
    list_push(&lp->dead, pc);
    lp->nlive--;
    METRIC_SUB(connections_open, 1);
    plog("info", "closed", pc->serial, why);
}

static void free_dead(loop *lp)
{
    while (lp->dead) {
        pconn *pc = lp->dead;
        list_remove(&lp->dead, pc);
        session_free(pc);
        free(pc);
    }
}

/* ---- interest and back-pressure ---- */

static void update_side(loop *lp, struct side *s, bool paused)
{
    uint32_t ev = 0;
    struct epoll_event e;

    if (s->fd < 0)
        return;
    s->paused = paused;
    if (!paused && !s->connecting)
        ev |= EPOLLIN;
    if (s->out.len > 0 || s->connecting || s->tls_want_write)
        ev |= EPOLLOUT;
    if (ev == s->ev)
        return;
    e.events = ev;
    e.data.ptr = s;
    epoll_ctl(lp->epfd, EPOLL_CTL_MOD, s->fd, &e);
    s->ev = ev;
}

static void update_pair(loop *lp, pconn *pc)
{
    bool full = pc->down.out.len > lp->high_water || pc->up.out.len > lp->high_water;
    update_side(lp, &pc->down, full);
    update_side(lp, &pc->up, full);
}

/* Write what s can take now: 0, or -1 on a socket error. */
static int flush_side(struct side *s)
{
    while (s->fd >= 0 && s->out.len > 0 && !s->connecting) {
        ssize_t n = side_write(s, s->out.data, s->out.len);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        pbuf_consume(&s->out, (size_t)n);
    }
    return 0;
}

/* ---- upstream ---- */

static int start_upstream(loop *lp, pconn *pc)
{
    struct epoll_event e;
    int one = 1, fd = socket(lp->broker.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    pc->want_upstream = false;
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&lp->broker, lp->broker_len) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    pc->up.fd = fd;
    if (tls_attach(&pc->up, false, lp->px->conf.broker_host) != 0)
        return -1;
    pc->up.connecting = true;
    pc->up.ev = EPOLLOUT;
    e.events = EPOLLOUT;
    e.data.ptr = &pc->up;
    if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &e) != 0)
        return -1;
    return 0;
}

/* The client gets "server unavailable" when the broker cannot be reached. */
static void upstream_failed(loop *lp, pconn *pc, int err)
{
    mqtt_packet ack;
    METRIC_ADD(connections_failed, 1);
    mqtt_packet_init(&ack, MQTT_CONNACK);
    ack.connack.reason_code =
        pc->version == MQTT_V5 ? MQTT_RC_SERVER_UNAVAILABLE : MQTT_V3_CONNACK_SERVER_UNAVAILABLE;
    pbuf_free(&pc->down.out);
    (void)session_send(pc, &pc->down, &ack);
    pair_close(lp, pc, err ? strerror(err) : "cannot reach the broker");
}

static void upstream_connected(loop *lp, pconn *pc)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(pc->up.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        upstream_failed(lp, pc, err);
        return;
    }
    pc->up.connecting = false;
}

/* ---- I/O events ---- */

/* After input was handled: start the broker connection, write, close a
 * refused client, apply back-pressure. */
static void after_input(loop *lp, pconn *pc)
{
    if (pc->want_upstream && start_upstream(lp, pc) != 0) {
        upstream_failed(lp, pc, errno);
        return;
    }
    if (flush_side(&pc->up) != 0 || flush_side(&pc->down) != 0) {
        pair_close(lp, pc, "write failed");
        return;
    }
    if (pc->state == PC_CLOSING) {
        pair_close(lp, pc, "refused");
        return;
    }
    update_pair(lp, pc);
}

static void on_readable(loop *lp, pconn *pc, struct side *s)
{
    ssize_t n = side_read(s, lp->rbuf, READ_CHUNK);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        const char *who = s == &pc->down ? (pc->clean_disconnect ? "client disconnected"
                                                                 : "client closed the connection")
                                         : "broker closed the connection";
        pair_close(lp, pc, n == 0 ? who : strerror(errno));
        return;
    }
    if (session_feed(lp->px, pc, s, lp->rbuf, (size_t)n) != 0) {
        pair_close(lp, pc, "protocol error");
        return;
    }
    after_input(lp, pc);
}

/* TLS records already decrypted raise no epoll event: read them while the
 * pair is not held back. */
static void tls_drain(loop *lp, pconn *pc)
{
    int i;
    for (i = 0; i < 2; i++) {
        struct side *s = i ? &pc->up : &pc->down;
        while (!pc->dead && !s->paused && tls_pending(s) > 0) {
            on_readable(lp, pc, s);
            if (!pc->dead)
                update_pair(lp, pc);
        }
    }
}

static void on_side_event(loop *lp, struct side *s, uint32_t events)
{
    pconn *pc = s->pc;

    if (pc->dead)
        return;
    if (s->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        upstream_connected(lp, pc);
        if (pc->dead)
            return;
    }
    if ((events & EPOLLOUT) && flush_side(s) != 0) {
        pair_close(lp, pc, "write failed");
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        on_readable(lp, pc, s);
    /* TLS: a handshake that read may now let a pending write go */
    if (!pc->dead && s->ssl && flush_side(s) != 0)
        pair_close(lp, pc, "write failed");
    if (!pc->dead)
        update_pair(lp, pc);
    tls_drain(lp, pc);
}

static void on_accept(loop *lp)
{
    for (;;) {
        int one = 1, fd = accept4(lp->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct epoll_event e;
        pconn *pc;

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                plog("warn", "accept_failed", 0, strerror(errno));
            return;
        }
        if (lp->nlive >= lp->px->conf.max_conns || !(pc = malloc(sizeof *pc))) {
            plog("warn", "refused", 0, "--max-connections reached");
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        session_init(pc, ++lp->px->next_serial);
        pc->down.fd = fd;
        if (tls_attach(&pc->down, true, NULL) != 0) {
            close(fd);
            free(pc);
            continue;
        }
        pc->down.ev = EPOLLIN;
        e.events = EPOLLIN;
        e.data.ptr = &pc->down;
        if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &e) != 0) {
            tls_detach(&pc->down);
            close(fd);
            free(pc);
            continue;
        }
        list_push(&lp->live, pc);
        lp->nlive++;
        METRIC_ADD(connections_total, 1);
        METRIC_ADD(connections_open, 1);
    }
}

/* ---- setup ---- */

static int resolve(const char *host, int port, int passive, struct sockaddr_storage *ss,
                   socklen_t *len, const char *what)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    snprintf(portstr, sizeof portstr, "%d", port);
    if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
        cli_error("%s %s: %s", what, host, gai_strerror(rc));
        return 1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int open_listener(loop *lp)
{
    proxy_conf *c = &lp->px->conf;
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1, fd;

    if (resolve(c->listen_host, c->listen_port, 1, &ss, &len, "--listen"))
        return 1;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (c->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 4096) != 0) {
        cli_error("--listen %s: %s", c->listen, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    lp->listen_fd = fd;
    return 0;
}

/* As many descriptors as the hard limit allows: two per client. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int open_signals(loop *lp)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    /* the control threads inherit the mask: the loop takes every signal */
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
        (lp->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        cli_error("signals: %s", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int add_fd(loop *lp, int fd, int *tag)
{
    struct epoll_event e;
    e.events = EPOLLIN;
    e.data.ptr = tag;
    return epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &e);
}

static int loop_open(loop *lp, proxy *px)
{
    memset(lp, 0, sizeof *lp);
    lp->px = px;
    lp->listen_fd = lp->sig_fd = lp->epfd = -1;
    lp->listen_kind = TAG_LISTEN;
    lp->signal_kind = TAG_SIGNAL;
    lp->high_water = 2u * (px->conf.max_packet > READ_CHUNK ? px->conf.max_packet : READ_CHUNK);
    raise_nofile();
    if (!(lp->rbuf = malloc(READ_CHUNK)) || (lp->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        cli_error("%s", strerror(errno));
        return 1;
    }
    if (resolve(px->conf.broker_host, px->conf.broker_port, 0, &lp->broker, &lp->broker_len,
                "--broker") ||
        open_signals(lp) || open_listener(lp))
        return 1;
    if (add_fd(lp, lp->listen_fd, &lp->listen_kind) || add_fd(lp, lp->sig_fd, &lp->signal_kind)) {
        cli_error("epoll: %s", strerror(errno));
        return 1;
    }
    return 0;
}

/* SIGTERM: no new clients; 5.0 clients are told the server shuts down;
 * what is buffered is written; every socket is closed. */
static void shutdown_all(loop *lp)
{
    mqtt_packet bye;
    mqtt_packet_init(&bye, MQTT_DISCONNECT);
    bye.disconnect.reason_code = MQTT_RC_SERVER_SHUTTING_DOWN;
    while (lp->live) {
        pconn *pc = lp->live;
        if (pc->version == MQTT_V5 && pc->state == PC_OPEN)
            (void)session_send(pc, &pc->down, &bye);
        pair_close(lp, pc, "shutting down");
    }
    free_dead(lp);
}

static void on_signal(loop *lp, int (*reload)(proxy *px))
{
    struct signalfd_siginfo si;
    while (read(lp->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            plog("info", "reload", 0,
                 reload(lp->px) == 0 ? "topic policy reloaded" : "reload failed: policy unchanged");
        } else {
            lp->stopping = 1;
        }
    }
}

static void tick(loop *lp, uint64_t *next_tick)
{
    size_t i;
    uint64_t now = mono_ms();
    if (now < *next_tick)
        return;
    *next_tick = now + 1000;
    for (i = 0; i < lp->px->nids; i++)
        control_tick(&lp->px->ids[i]);
}

int loop_run(proxy *px, int (*reload)(proxy *px))
{
    struct epoll_event events[MAX_EVENTS];
    uint64_t next_tick = 0;
    loop lp;
    int i, n, rc = 1;

    if (loop_open(&lp, px) == 0) {
        plog("info", "listening", 0, px->conf.listen);
        rc = 0;
        while (!lp.stopping) {
            n = epoll_wait(lp.epfd, events, MAX_EVENTS, 1000);
            for (i = 0; i < n; i++) {
                int kind = *(int *)events[i].data.ptr;
                if (kind == TAG_LISTEN)
                    on_accept(&lp);
                else if (kind == TAG_SIGNAL)
                    on_signal(&lp, reload);
                else
                    on_side_event(&lp, events[i].data.ptr, events[i].events);
            }
            free_dead(&lp);
            tick(&lp, &next_tick);
        }
        plog("info", "stopping", 0, NULL);
        shutdown_all(&lp);
    }
    if (lp.listen_fd >= 0)
        close(lp.listen_fd);
    if (lp.sig_fd >= 0)
        close(lp.sig_fd);
    if (lp.epfd >= 0)
        close(lp.epfd);
    free(lp.rbuf);
    return rc;
}
