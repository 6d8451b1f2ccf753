/*
 * e4c2_monitor_load DB_URL KEY_FILE HOST:PORT RATE SECONDS: the load of
 * bench/e4c2_monitor.sh. Reads the monitored topics and their current keys
 * from e4c2's database (as the monitor does), then publishes RATE valid E4
 * messages per second in total, round robin over the topics, for SECONDS
 * (QoS 0, 64-byte payloads, each message distinct). In public-key mode the
 * messages are signed by a client it adds (bench-signer-N, a fresh Ed25519
 * pair), as a device's would be. Prints the number sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <sodium.h>

#include "keyring.h"
#include "store_auto.h"
#include "store_internal.h"
#include "check.h"

#define PAYLOAD 64
#define TOPICS_MAX 10000

typedef struct load_topic {
    char name[E4_TOPIC_MAX + 1];
    uint8_t key[E4_KEY_LEN];
} load_topic;

typedef struct topics {
    load_topic *t;
    size_t n;
    c2_mode mode;
    uint8_t signer_id[E4_ID_LEN];
    uint8_t signer_sk[E4_ED25519_SK_LEN];
} topics;

static void fail(const char *what, const char *why)
{
    fprintf(stderr, "e4c2_monitor_load: %s%s%s\n", what, why ? ": " : "", why ? why : "");
    exit(1);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int take(void *ctx, const c2_monitored *m)
{
    topics *ts = ctx;
    if (ts->n == TOPICS_MAX)
        return 1;
    snprintf(ts->t[ts->n].name, sizeof ts->t[ts->n].name, "%s", m->name);
    memcpy(ts->t[ts->n++].key, m->key, E4_KEY_LEN);
    return 0;
}

/* PK: a client whose key signs the load (the monitor finds its public key). */
static void add_signer(store *s, topics *ts)
{
    uint8_t pk[E4_ED25519_PK_LEN], rnd[4];
    char name[40];
    c2_new_client nc = {0};
    c2_error e = {0};
    randombytes_buf(rnd, sizeof rnd);
    snprintf(name, sizeof name, "bench-signer-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    if (e4_ed25519_keypair(ts->signer_sk, pk) != E4_OK)
        fail("cannot make a key pair", NULL);
    nc.name = name;
    nc.pubkey = pk;
    if (store_client_add(s, &nc, NULL, NULL, &e) != C2_OK)
        fail("cannot add the signing client", e.message);
    CHECK(e4_hash_id(ts->signer_id, name) == E4_OK);
}

static void read_topics(const char *url, const char *key_file, topics *ts)
{
    keyring_source src = {.key_file = key_file};
    c2_error e = {0};
    char err[256];
    db *d = db_open(url, err, sizeof err);
    keyring *kr;
    store_pool *pool;
    store *s;
    if (!d || !(kr = keyring_unlock(d, &src, &e)))
        fail("cannot open the database", d ? e.message : err);
    db_close(d);
    if (!(pool = store_pool_open(url, kr, 1, &e)))
        fail("cannot open the store", e.message);
    s = store_pool_get(pool);
    if (store_monitored_topics(s, take, ts, &e) != C2_OK)
        fail("cannot read the monitored topics", e.message);
    ts->mode = store_mode(s);
    if (ts->mode == C2_MODE_PK)
        add_signer(s, ts);
    store_pool_put(pool, s);
    store_pool_close(pool);
    keyring_free(kr);
}

static struct mosquitto *connect_to(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    struct mosquitto *m;
    if (!colon || (size_t)(colon - hostport) >= sizeof host)
        fail("HOST:PORT expected", hostport);
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = 0;
    if (!(m = mosquitto_new(NULL, true, NULL)) ||
        mosquitto_connect(m, host, atoi(colon + 1), 30) != 0)
        fail("cannot connect to the broker", hostport);
    return m;
}

/* Publish rate messages/s for secs seconds, paced every 10 ms. */
static long run(struct mosquitto *m, const topics *ts, long rate, double secs)
{
    uint8_t plain[PAYLOAD], out[PAYLOAD + E4_PK_OVERHEAD];
    size_t len = ts->mode == C2_MODE_PK ? sizeof out : PAYLOAD + E4_SK_OVERHEAD;
    double t0 = seconds(), now;
    long sent = 0;
    while ((now = seconds() - t0) < secs) {
        long due = (long)(now * (double)rate);
        for (; sent < due; sent++) {
            const load_topic *t = &ts->t[(size_t)sent % ts->n];
            randombytes_buf(plain, sizeof plain);
            if ((ts->mode == C2_MODE_PK
                     ? e4_pk_protect(t->key, ts->signer_id, ts->signer_sk, (uint64_t)time(NULL),
                                     plain, sizeof plain, out)
                     : e4_sk_protect(t->key, (uint64_t)time(NULL), plain, sizeof plain, out)) !=
                E4_OK)
                fail("protect", NULL);
            if (mosquitto_publish(m, NULL, t->name, (int)len, out, 0, false) != 0)
                fail("publish", NULL);
        }
        mosquitto_loop(m, 10, 1);
    }
    for (int i = 0; i < 50; i++) /* let the last publishes out */
        mosquitto_loop(m, 10, 1);
    return sent;
}

int main(int argc, char **argv)
{
    topics ts = {calloc(TOPICS_MAX, sizeof(load_topic)), 0, C2_MODE_SK, {0}, {0}};
    struct mosquitto *m;
    long sent;
    if (argc != 6)
        fail("usage: e4c2_monitor_load DB_URL KEY_FILE HOST:PORT RATE SECONDS", NULL);
    if (!ts.t || sodium_init() < 0)
        fail("cannot start", NULL);
    mosquitto_lib_init();
    read_topics(argv[1], argv[2], &ts);
    if (!ts.n)
        fail("no monitored topic", NULL);
    m = connect_to(argv[3]);
    sent = run(m, &ts, atol(argv[4]), atof(argv[5]));
    printf("%ld\n", sent);
    mosquitto_disconnect(m);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    sodium_memzero(ts.t, TOPICS_MAX * sizeof *ts.t);
    sodium_memzero(ts.signer_sk, sizeof ts.signer_sk);
    free(ts.t);
    return 0;
}
