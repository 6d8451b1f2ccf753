/*
 * e4c2_bare_pub: the baseline for e4c2's publisher. A bare libmosquitto
 * QoS 2 publisher that does what e4c2 does on the wire when it rotates a
 * topic, and nothing else (no database, no protection): N messages of SIZE
 * random bytes to N distinct topics e4/<32 hex> (as C2 commands), not
 * retained, MQTT 3.1.1, with the same window (max_inflight 20 by default) and
 * at most 1024 messages handed to libmosquitto at a time (e4c2's batch).
 *
 * It counts the on_publish callbacks (for QoS 2: the broker's PUBCOMP) and
 * prints the time from the first publish to the last PUBCOMP, and the rate:
 *
 *   e4c2_bare_pub [OPTIONS] HOST:PORT
 *   bare_pub messages=10000 size=73 inflight=20 topics=random seconds=0.412345 rate=24251.2
 *
 * Benchmark only: never part of the pass/fail tests.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <mosquitto.h>

#define TOPIC_LEN 35 /* "e4/" + 32 hex */

typedef struct bench {
    long n;         /* messages to send */
    long published; /* handed to libmosquitto */
    long completed; /* PUBCOMP seen */
    int connected;  /* 1 connected, -1 refused */
    int lost;       /* disconnected before the end */
    double t_last;  /* time of the last PUBCOMP */
} bench;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
    bench *b = obj;
    (void)m;
    b->connected = rc == 0 ? 1 : -1;
    if (rc != 0)
        fprintf(stderr, "e4c2_bare_pub: the broker refused the connection: %s\n",
                mosquitto_connack_string(rc));
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
    bench *b = obj;
    (void)m;
    (void)rc;
    if (b->completed < b->n)
        b->lost = 1;
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
    bench *b = obj;
    (void)m;
    (void)mid;
    b->completed++;
    if (b->completed == b->n)
        b->t_last = now_s();
}

static void fill_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t r = getrandom(p, len, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            perror("e4c2_bare_pub: getrandom");
            exit(1);
        }
        p += r;
        len -= (size_t)r;
    }
}

static void hex(char *out, const unsigned char *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* The ids of an --ids file: one 32-hex-digit id per line (other lines are
 * an error). Returns the number read, or -1. */
static long read_ids(const char *path, char (*topics)[TOPIC_LEN + 1], long max)
{
    FILE *f = fopen(path, "r");
    char line[256];
    long n = 0, lineno = 0;
    if (!f) {
        fprintf(stderr, "e4c2_bare_pub: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (n < max && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\r\n");
        lineno++;
        line[len] = '\0';
        if (len == 0)
            continue;
        if (len != 32 || strspn(line, "0123456789abcdef") != 32) {
            fprintf(stderr, "e4c2_bare_pub: %s:%ld: not a 32-hex-digit id\n", path, lineno);
            fclose(f);
            return -1;
        }
        memcpy(topics[n], "e4/", 3);
        memcpy(topics[n] + 3, line, 33);
        n++;
    }
    fclose(f);
    return n;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: e4c2_bare_pub [OPTION]... HOST:PORT\n"
            "A bare libmosquitto QoS 2 publisher, the baseline for e4c2's publisher:\n"
            "N messages of SIZE random bytes to N distinct topics e4/<32 hex>.\n\n"
            "  -n, --messages N   messages (default 10000)\n"
            "  -s, --size BYTES   payload size (default 73: an SK SetTopicKey command)\n"
            "  -i, --inflight N   MQTT window, mosquitto_max_inflight_messages_set (default 20,\n"
            "                     as e4c2; mosquitto drops 3.1.1 QoS 2 publishes beyond its\n"
            "                     max_inflight_messages)\n"
            "  -b, --batch N      messages handed to libmosquitto ahead of PUBCOMP (default 1024,\n"
            "                     as e4c2)\n"
            "      --ids FILE     topics e4/<id> for the ids in FILE (one 32-hex id a line,\n"
            "                     at least N lines) instead of random ones\n"
            "  -t, --timeout SEC  give up after SEC seconds (default 300)\n"
            "  -h, --help\n\n"
            "Prints one line: bare_pub messages=N size=N inflight=N topics=random|ids\n"
            "seconds=S rate=MSG_PER_S (time from the first publish to the last PUBCOMP).\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"messages", required_argument, NULL, 'n'}, {"size", required_argument, NULL, 's'},
        {"inflight", required_argument, NULL, 'i'}, {"batch", required_argument, NULL, 'b'},
        {"ids", required_argument, NULL, 'I'},      {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    bench b = {0};
    long n = 10000, size = 73, inflight = 20, batch = 1024;
    double timeout = 300, t0, deadline, elapsed;
    const char *ids = NULL;
    char host[256], *colon, *end, client_id[32];
    char(*topics)[TOPIC_LEN + 1];
    unsigned char *payload, rnd[16];
    struct mosquitto *mosq;
    long port, i;
    int c, rc;

    while ((c = getopt_long(argc, argv, "n:s:i:b:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            n = strtol(optarg, &end, 10);
            if (*end || n <= 0)
                goto bad;
            break;
        case 's':
            size = strtol(optarg, &end, 10);
            if (*end || size < 0 || size > 1 << 20)
                goto bad;
            break;
        case 'i':
            inflight = strtol(optarg, &end, 10);
            if (*end || inflight <= 0 || inflight > 65535)
                goto bad;
            break;
        case 'b':
            batch = strtol(optarg, &end, 10);
            if (*end || batch <= 0)
                goto bad;
            break;
        case 't':
            timeout = strtod(optarg, &end);
            if (*end || timeout <= 0)
                goto bad;
            break;
        case 'I': ids = optarg; break;
        case 'h': usage(stdout); return 0;
        default: goto usage_error;
        }
    }
    if (optind != argc - 1)
        goto usage_error;
    if (strlen(argv[optind]) >= sizeof host)
        goto bad;
    strcpy(host, argv[optind]);
    colon = strrchr(host, ':');
    if (!colon)
        goto bad;
    *colon = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535 || !*host)
        goto bad;

    /* Everything random is made before the clock starts. */
    topics = malloc((size_t)n * sizeof *topics);
    payload = malloc((size_t)n * (size_t)(size ? size : 1));
    if (!topics || !payload) {
        fprintf(stderr, "e4c2_bare_pub: out of memory\n");
        return 1;
    }
    fill_random(payload, (size_t)n * (size_t)size);
    if (ids) {
        long got = read_ids(ids, topics, n);
        if (got < 0)
            return 1;
        if (got < n) {
            fprintf(stderr, "e4c2_bare_pub: %s: %ld ids, %ld needed\n", ids, got, n);
            return 1;
        }
    } else {
        for (i = 0; i < n; i++) {
            char h[33];
            fill_random(rnd, sizeof rnd);
            hex(h, rnd, sizeof rnd);
            snprintf(topics[i], TOPIC_LEN + 1, "e4/%s", h);
        }
    }
    fill_random(rnd, 6);
    memcpy(client_id, "e4c2-bare-", 10);
    hex(client_id + 10, rnd, 6);

    mosquitto_lib_init();
    b.n = n;
    mosq = mosquitto_new(client_id, true, &b);
    if (!mosq) {
        fprintf(stderr, "e4c2_bare_pub: mosquitto_new failed\n");
        return 1;
    }
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_max_inflight_messages_set(mosq, (unsigned)inflight);
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_disconnect_callback_set(mosq, on_disconnect);
    mosquitto_publish_callback_set(mosq, on_publish);
    rc = mosquitto_connect(mosq, host, (int)port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "e4c2_bare_pub: cannot connect to %s:%ld: %s\n", host, port,
                rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return 1;
    }
    deadline = now_s() + 10;
    while (b.connected == 0) {
        rc = mosquitto_loop(mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS || now_s() > deadline) {
            fprintf(stderr, "e4c2_bare_pub: no CONNACK from %s:%ld\n", host, port);
            return 1;
        }
    }
    if (b.connected < 0)
        return 1;

    /* As e4c2's publisher: hand a batch to libmosquitto (it holds back what
     * exceeds the window and sends it as PUBCOMPs come), then loop. */
    t0 = now_s();
    deadline = t0 + timeout;
    while (b.completed < n) {
        while (b.published < n && b.published - b.completed < batch) {
            rc = mosquitto_publish(mosq, NULL, topics[b.published], (int)size,
                                   payload + (size_t)b.published * (size_t)size, 2, false);
            if (rc != MOSQ_ERR_SUCCESS) {
                fprintf(stderr, "e4c2_bare_pub: publish %ld: %s\n", b.published,
                        mosquitto_strerror(rc));
                return 1;
            }
            b.published++;
        }
        rc = mosquitto_loop(mosq, 10, 1);
        if (rc != MOSQ_ERR_SUCCESS || b.lost) {
            fprintf(stderr, "e4c2_bare_pub: lost the broker after %ld of %ld PUBCOMPs: %s\n",
                    b.completed, n, mosquitto_strerror(rc));
            return 1;
        }
        if (now_s() > deadline) {
            fprintf(stderr,
                    "e4c2_bare_pub: timeout: %ld of %ld PUBCOMPs after %.0f s (does the broker "
                    "allow a window of %ld? "
                    "mosquitto drops 3.1.1 QoS 2 publishes beyond max_inflight_messages)\n",
                    b.completed, n, timeout, inflight);
            return 1;
        }
    }
    elapsed = b.t_last - t0;
    printf("bare_pub messages=%ld size=%ld inflight=%ld topics=%s seconds=%.6f rate=%.1f\n", n,
           size, inflight, ids ? "ids" : "random", elapsed,
           elapsed > 0 ? (double)n / elapsed : 0.0);
    fflush(stdout);
    mosquitto_disconnect(mosq);
    mosquitto_loop(mosq, 100, 1);
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    free(topics);
    free(payload);
    return 0;

bad:
    fprintf(stderr, "e4c2_bare_pub: invalid argument\n");
usage_error:
    usage(stderr);
    return 2;
}
