/*
 * e4proxy_load: the load client of bench/e4proxy.sh, on lib/mqtt and plain
 * non-blocking sockets (one thread, so the client is not the bottleneck).
 *
 *   e4proxy_load throughput PUB_PORT SUB_PORT QOS COUNT SIZE
 *       COUNT publishes of SIZE bytes (QoS 0 or 1, at most 1000 in flight)
 *       from a publisher to a subscriber; prints
 *       "received N of COUNT in S s: R msg/s"
 *   e4proxy_load latency PUB_PORT SUB_PORT COUNT SIZE
 *       one QoS 0 message at a time; prints "p50_us X p99_us Y"
 *   e4proxy_load hold PORT N SECONDS
 *       N connections (CONNECT, CONNACK), held SECONDS, then a PINGREQ on
 *       each; prints "connected N" at once and "alive M" at the end
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mqtt.h"

#define TOPIC "bench/e4proxy"
#define RBUF (256 * 1024)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "e4proxy_load: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int dial(int port)
{
    struct sockaddr_in a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_packet(int fd, const mqtt_packet *p)
{
    uint8_t buf[1024];
    size_t len, off = 0;
    if (mqtt_encode(buf, sizeof buf, &len, p, MQTT_V311, 0) != MQTT_OK)
        die("encode");
    while (off < len) {
        ssize_t n = write(fd, buf + off, len - off);
        if (n <= 0)
            die("write");
        off += (size_t)n;
    }
}

/* One whole packet (blocking): its type. */
static int recv_packet(int fd)
{
    uint8_t buf[1024];
    size_t len = 0, plen;
    for (;;) {
        ssize_t n;
        mqtt_err e = mqtt_frame(buf, len, sizeof buf, &plen);
        if (e == MQTT_OK)
            return buf[0] >> 4;
        if (e != MQTT_NEED_MORE)
            return -1;
        n = read(fd, buf + len, plen ? plen - len : 1);
        if (n <= 0)
            return -1;
        len += (size_t)n;
    }
}

static int mqtt_open(int port, const char *cid)
{
    mqtt_packet p;
    int fd = dial(port);
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.client_id = mqtt_str(cid);
    p.connect.clean_start = true;
    p.connect.keep_alive = 600;
    send_packet(fd, &p);
    if (recv_packet(fd) != MQTT_CONNACK)
        die("CONNACK");
    return fd;
}

static void subscribe(int fd, int qos)
{
    mqtt_packet p;
    mqtt_sub s;
    memset(&s, 0, sizeof s);
    s.filter = mqtt_str(TOPIC);
    s.qos = (uint8_t)qos;
    mqtt_packet_init(&p, MQTT_SUBSCRIBE);
    p.subscribe.packet_id = 1;
    p.subscribe.subs = &s;
    p.subscribe.count = 1;
    send_packet(fd, &p);
    if (recv_packet(fd) != MQTT_SUBACK)
        die("SUBACK");
}

/* ---- a non-blocking reader ---- */

struct reader {
    int fd;
    uint8_t *buf;
    size_t len;
};

/* Read what is there; calls on(ctx, type, packet id) per packet. 0, or -1
 * at EOF. */
static int reader_pump(struct reader *r, void (*on)(void *, int, uint16_t), void *ctx)
{
    ssize_t n = read(r->fd, r->buf + r->len, RBUF - r->len);
    size_t off = 0, plen;
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n <= 0)
        return -1;
    r->len += (size_t)n;
    while (mqtt_frame(r->buf + off, r->len - off, RBUF, &plen) == MQTT_OK) {
        mqtt_packet p;
        uint16_t id = 0;
        if (mqtt_decode(r->buf + off, plen, MQTT_V311, &p) != MQTT_OK)
            die("decode");
        if (p.type == MQTT_PUBLISH)
            id = p.publish.packet_id;
        else if (p.type == MQTT_PUBACK)
            id = p.ack.packet_id;
        on(ctx, p.type, id);
        off += plen;
    }
    memmove(r->buf, r->buf + off, r->len - off);
    r->len -= off;
    return 0;
}

struct tp {
    int qos, sub_fd;
    long received, acked;
    double last;
    uint8_t acks[64 * 1024];
    size_t nacks;
};

static void on_sub(void *ctx, int type, uint16_t id)
{
    struct tp *t = ctx;
    if (type != MQTT_PUBLISH)
        return;
    t->received++;
    t->last = now_s();
    if (t->qos == 1 && t->nacks + 4 <= sizeof t->acks) {
        uint8_t *a = t->acks + t->nacks;
        a[0] = 0x40, a[1] = 2, a[2] = (uint8_t)(id >> 8), a[3] = (uint8_t)id;
        t->nacks += 4;
    }
}

static void on_pub(void *ctx, int type, uint16_t id)
{
    struct tp *t = ctx;
    if (type == MQTT_PUBACK)
        t->acked++;
}

/* Each payload differs (a sequence number first): E4 refuses a message
 * identical to one seen in the same second as a replay. */
static size_t encode_publish(uint8_t *out, size_t cap, int qos, uint16_t id, uint8_t *payload,
                             size_t size)
{
    static unsigned long seq;
    char num[24];
    mqtt_packet p;
    size_t len;
    int n = snprintf(num, sizeof num, "%020lu", ++seq);
    memcpy(payload, num, size < (size_t)n ? size : (size_t)n);
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.topic = mqtt_str(TOPIC);
    p.publish.qos = (uint8_t)qos;
    p.publish.packet_id = id;
    p.publish.payload = mqtt_bin(payload, size);
    if (mqtt_encode(out, cap, &len, &p, MQTT_V311, 0) != MQTT_OK)
        die("encode");
    return len;
}

static void flush_acks(struct tp *t)
{
    size_t off = 0;
    while (off < t->nacks) {
        ssize_t n = write(t->sub_fd, t->acks + off, t->nacks - off);
        if (n < 0 && errno == EAGAIN) {
            struct pollfd w = {t->sub_fd, POLLOUT, 0};
            poll(&w, 1, 100);
            continue;
        }
        if (n <= 0)
            die("write PUBACK");
        off += (size_t)n;
    }
    t->nacks = 0;
}

/* Fill the publisher's socket while the window allows. */
static long publish_some(int fd, int qos, long sent, long count, long acked, uint8_t *payload,
                         size_t size)
{
    static uint8_t out[64 * 1024];
    size_t len = 0, off = 0;
    while (sent < count && len + size + 64 < sizeof out && (qos == 0 || sent - acked < 1000)) {
        len += encode_publish(out + len, sizeof out - len, qos, (uint16_t)(sent % 65535 + 1),
                              payload, size);
        sent++;
    }
    while (off < len) {
        ssize_t n = write(fd, out + off, len - off);
        if (n < 0 && errno == EAGAIN) {
            struct pollfd w = {fd, POLLOUT, 0};
            poll(&w, 1, 100);
            continue;
        }
        if (n <= 0)
            die("write PUBLISH");
        off += (size_t)n;
    }
    return sent;
}

static int throughput(int pub_port, int sub_port, int qos, long count, size_t size)
{
    static struct tp t;
    uint8_t *payload = malloc(size);
    struct reader rs = {0}, rp = {0};
    double start, idle_since;
    long sent = 0;

    memset(payload, 'v', size);
    t.qos = qos;
    rs.fd = t.sub_fd = mqtt_open(sub_port, "bench-sub");
    subscribe(rs.fd, qos);
    rp.fd = mqtt_open(pub_port, "bench-pub");
    rs.buf = malloc(RBUF);
    rp.buf = malloc(RBUF);
    usleep(200000);
    start = idle_since = now_s();
    t.last = start;
    while (t.received < count) {
        struct pollfd fds[2] = {{rs.fd, POLLIN, 0},
                                {rp.fd, POLLIN | (sent < count ? POLLOUT : 0), 0}};
        long before = t.received;
        poll(fds, 2, 100);
        if ((fds[0].revents & POLLIN) && reader_pump(&rs, on_sub, &t) != 0)
            break;
        flush_acks(&t);
        if ((fds[1].revents & POLLIN) && reader_pump(&rp, on_pub, &t) != 0)
            break;
        if (fds[1].revents & POLLOUT)
            sent = publish_some(rp.fd, qos, sent, count, t.acked, payload, size);
        if (t.received != before)
            idle_since = now_s();
        else if (now_s() - idle_since > 3)
            break; /* lost messages: report what arrived */
    }
    printf("received %ld of %ld in %.3f s: %.0f msg/s\n", t.received, count, t.last - start,
           (double)t.received / (t.last - start));
    return t.received == count ? 0 : 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int latency(int pub_port, int sub_port, long count, size_t size)
{
    static uint8_t out[4096];
    uint8_t *payload = malloc(size);
    double *lat = malloc((size_t)count * sizeof *lat);
    int sub = mqtt_open(sub_port, "bench-lsub"), pub = mqtt_open(pub_port, "bench-lpub");
    long i;

    memset(payload, 'v', size);
    subscribe(sub, 0);
    usleep(200000);
    for (i = 0; i < count; i++) {
        size_t len = encode_publish(out, sizeof out, 0, 0, payload, size);
        double t0 = now_s();
        if (write(pub, out, len) != (ssize_t)len)
            die("write");
        if (recv_packet(sub) != MQTT_PUBLISH)
            die("receive");
        lat[i] = (now_s() - t0) * 1e6;
    }
    qsort(lat, (size_t)count, sizeof *lat, cmp_double);
    printf("p50_us %.1f p99_us %.1f\n", lat[count / 2], lat[count * 99 / 100]);
    return 0;
}

static int hold(int port, int n, int seconds)
{
    int *fds = malloc((size_t)n * sizeof *fds), i, alive = 0;
    char cid[32];
    for (i = 0; i < n; i++) {
        snprintf(cid, sizeof cid, "hold-%d", i);
        fds[i] = mqtt_open(port, cid);
    }
    printf("connected %d\n", n);
    fflush(stdout);
    sleep((unsigned)seconds);
    for (i = 0; i < n; i++) {
        mqtt_packet p;
        mqtt_packet_init(&p, MQTT_PINGREQ);
        send_packet(fds[i], &p);
    }
    for (i = 0; i < n; i++)
        alive += recv_packet(fds[i]) == MQTT_PINGRESP;
    printf("alive %d\n", alive);
    return alive == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "throughput"))
        return throughput(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atol(argv[5]),
                          (size_t)atol(argv[6]));
    if (argc == 6 && !strcmp(argv[1], "latency"))
        return latency(atoi(argv[2]), atoi(argv[3]), atol(argv[4]), (size_t)atol(argv[5]));
    if (argc == 5 && !strcmp(argv[1], "hold"))
        return hold(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: see the comment at the top of bench/e4proxy_load.c\n");
    return 2;
}
