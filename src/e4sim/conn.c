/* The MQTT connections. Connection k serves the devices whose conn is k: it
 * connects with clean session off and a stable client id, and subscribes to
 * each device's control topic at QoS 2, many topic filters per SUBSCRIBE.
 * The broker thus queues the commands C2 sends while the simulator is down
 * (or the connection offline) and delivers them when it comes back with the
 * same devices file (or --seed) and --connections. Callbacks run on the
 * connection's own network thread. Each acknowledged SUBSCRIBE makes its
 * devices due for a STATE receipt. */
#include "sim.h"
#include "../e4/cli.h"

#include <errno.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void conn_client_id(const sim *s, uint32_t k, char out[24])
{
    uint8_t d[32];
    char hex[13], tail[16];
    const char *seed = s->opts->seed;

    snprintf(tail, sizeof tail, "/%u", (unsigned)s->nconns);
    if (seed)
        sim_sha3(d, seed, strlen(seed), tail, strlen(tail));
    else
        sim_sha3(d, s->fleet.digest, sizeof s->fleet.digest, tail, strlen(tail));
    hex_encode(hex, d, 6);
    snprintf(out, 24, "e4sim-%u-%s", (unsigned)k, hex);
}

static void fail(sim *s, const char *fmt, const char *what, unsigned k)
{
    pthread_mutex_lock(&s->lock);
    if (!s->failed) {
        s->failed = 1;
        snprintf(s->failure, sizeof s->failure, fmt, k, what);
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void conn_ready(sim_conn *c)
{
    sim *s = c->sim;
    c->subscribed = 1;
    pthread_mutex_lock(&s->lock);
    s->ready_conns++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* A subscription round is complete (network thread). */
static void round_done(sim_conn *c)
{
    sim *s = c->sim;
    if (!c->subscribed)
        conn_ready(c);
    pthread_mutex_lock(&s->lock);
    c->rounds++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* Every control topic of c, batch topic filters per SUBSCRIBE. */
static void subscribe_all(sim_conn *c)
{
    size_t batch = c->sim->opts->batch, i;
    c->nmids = c->acked = 0;
    c->send_failed = 0;
    for (i = 0; i < c->ntopics; i += batch) {
        int n = (int)(c->ntopics - i < batch ? c->ntopics - i : batch), mid = 0;
        int rc = mosquitto_subscribe_multiple(c->mosq, &mid, n, c->topics + i, 2, 0, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "e4sim: connection %u: subscribe: %s\n", (unsigned)c->index,
                    mosquitto_strerror(rc));
            c->send_failed = 1;
            return; /* the next reconnection tries again */
        }
        c->mids[c->nmids++] = mid;
    }
    if (c->ntopics == 0)
        round_done(c);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags)
{
    sim_conn *c = obj;
    const sim_opts *o = c->sim->opts;
    if (rc != 0) {
        if (!c->subscribed)
            fail(c->sim, "connection %u refused: %s", mosquitto_connack_string(rc), c->index);
        else
            fprintf(stderr, "e4sim: connection %u refused: %s\n", (unsigned)c->index,
                    mosquitto_connack_string(rc));
        return;
    }
    if (!o->quiet)
        fprintf(stderr, "e4sim: connection %u (%s) %s: %s session, %zu control topics\n",
                (unsigned)c->index, c->client_id, c->connected_once ? "reconnected" : "connected",
                (flags & 1) ? "resumed" : "new", c->ntopics);
    c->connected_once = 1;
    pthread_mutex_lock(&c->lock);
    c->online = 1;
    pthread_mutex_unlock(&c->lock);
    subscribe_all(c);
}

/* The devices of SUBSCRIBE batch b may be told about: a STATE is due. */
static void batch_subscribed(sim_conn *c, size_t b)
{
    size_t batch = c->sim->opts->batch, i;
    pthread_mutex_lock(&c->lock);
    for (i = b * batch; i < c->ntopics && i < (b + 1) * batch; i++)
        rs_subscribed(&c->devs[i]->schedule);
    pthread_mutex_unlock(&c->lock);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int count, const int *granted)
{
    sim_conn *c = obj;
    size_t i, b;
    int refused = 0;

    for (b = 0; b < c->nmids && c->mids[b] != mid; b++)
        ;
    if (b == c->nmids)
        return; /* from an earlier connection */
    c->mids[b] = -1;
    c->acked++;
    for (i = 0; i < (size_t)count; i++)
        refused += granted[i] == 0x80;
    if (refused && !c->subscribed)
        fail(c->sim, "connection %u: %s", "the broker refused control-topic subscriptions",
             c->index);
    else if (refused)
        fprintf(stderr, "e4sim: connection %u: the broker refused %d control-topic subscriptions\n",
                (unsigned)c->index, refused);
    batch_subscribed(c, b);
    if (c->acked == c->nmids && !c->send_failed)
        round_done(c);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    sim_conn *c = obj;
    int quiet;
    pthread_mutex_lock(&c->lock);
    c->online = 0;
    quiet = c->offline;
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_lock(&c->sim->lock);
    quiet |= c->sim->stopping;
    pthread_mutex_unlock(&c->sim->lock);
    if (!quiet)
        fprintf(stderr, "e4sim: connection %u lost: %s; reconnecting\n", (unsigned)c->index,
                mosquitto_strerror(rc));
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m)
{
    dispatch_message(obj, m->topic, m->payload, m->payloadlen);
}

/* The control topics of c's devices (pointers into the fleet). */
static int collect_topics(sim_conn *c)
{
    fleet *f = &c->sim->fleet;
    size_t i, n = 0, batch = c->sim->opts->batch;

    for (i = 0; i < f->n; i++)
        n += f->dev[i].conn == c->index;
    c->topics = malloc((n ? n : 1) * sizeof *c->topics);
    c->devs = malloc((n ? n : 1) * sizeof *c->devs);
    c->mids = malloc((n / batch + 1) * sizeof *c->mids);
    if (!c->topics || !c->devs || !c->mids)
        return -1;
    for (i = 0; i < f->n; i++)
        if (f->dev[i].conn == c->index) {
            c->devs[c->ntopics] = &f->dev[i];
            c->topics[c->ntopics++] = f->dev[i].control_topic;
        }
    return 0;
}

static int conn_create(sim_conn *c)
{
    const sim_opts *o = c->sim->opts;
    int rc;

    c->mosq = mosquitto_new(c->client_id, false, c);
    if (!c->mosq) {
        cli_error("cannot create an MQTT client: %s", strerror(errno));
        return 1;
    }
    mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_reconnect_delay_set(c->mosq, 1, 30, true);
    if (o->username || o->password) {
        rc = mosquitto_username_pw_set(c->mosq, o->username, o->password);
        if (rc != MOSQ_ERR_SUCCESS) {
            cli_error("MQTT user name: %s", mosquitto_strerror(rc));
            return 1;
        }
    }
    mosquitto_connect_with_flags_callback_set(c->mosq, on_connect);
    mosquitto_subscribe_callback_set(c->mosq, on_subscribe);
    mosquitto_disconnect_callback_set(c->mosq, on_disconnect);
    mosquitto_message_callback_set(c->mosq, on_message);
    return 0;
}

/* The network thread; it must leave SIGINT/SIGTERM to the main thread. */
static int loop_start(sim_conn *c)
{
    sigset_t set, old;
    int rc;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    rc = mosquitto_loop_start(c->mosq);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        cli_error("cannot start a network thread: %s", mosquitto_strerror(rc));
        return 1;
    }
    return 0;
}

static int conn_connect(sim_conn *c, const char *host, int port)
{
    int rc = mosquitto_connect(c->mosq, host, port, (int)c->sim->opts->keepalive);
    if (rc != MOSQ_ERR_SUCCESS) {
        cli_error("cannot connect to %s:%d: %s", host, port,
                  rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return 1;
    }
    return loop_start(c);
}

int conns_start(sim *s, const char *host, int port)
{
    uint32_t k;
    s->conns = calloc(s->nconns, sizeof *s->conns);
    if (!s->conns) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    for (k = 0; k < s->nconns; k++) {
        sim_conn *c = &s->conns[k];
        c->sim = s;
        c->index = k;
        pthread_mutex_init(&c->lock, NULL);
        conn_client_id(s, k, c->client_id);
        if (collect_topics(c) != 0) {
            cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
            return 1;
        }
        if (conn_create(c) != 0 || conn_connect(c, host, port) != 0)
            return 1;
    }
    return 0;
}

int conns_wait_ready(sim *s, uint32_t timeout_s, volatile const sig_atomic_t *stop)
{
    uint64_t deadline = sim_now_ms() + (uint64_t)timeout_s * 1000u;
    int ready;

    pthread_mutex_lock(&s->lock);
    while (s->ready_conns < s->nconns && !s->failed && !*stop && sim_now_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    ready = s->ready_conns == s->nconns && !s->failed;
    if (!ready && !*stop)
        cli_error("%s", s->failed ? s->failure : "subscriptions not acknowledged in time");
    pthread_mutex_unlock(&s->lock);
    return ready ? 0 : 1;
}

void conns_stop(sim *s)
{
    uint32_t k;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_mutex_unlock(&s->lock);
    for (k = 0; s->conns && k < s->nconns; k++) {
        sim_conn *c = &s->conns[k];
        if (c->mosq) {
            mosquitto_disconnect(c->mosq);
            mosquitto_loop_stop(c->mosq, false);
            mosquitto_destroy(c->mosq);
        }
        free(c->topics);
        free(c->devs);
        free(c->mids);
        pthread_mutex_destroy(&c->lock);
    }
    free(s->conns);
    s->conns = NULL;
}

/* ---- offline and online (main thread) ------------------------------------ */

/* A clean DISCONNECT (clean session off: the broker keeps the session and
 * queues what comes for it), then the network thread ends. */
static void conn_offline(sim_conn *c)
{
    pthread_mutex_lock(&c->lock);
    c->online = 0;
    c->offline = 1;
    pthread_mutex_unlock(&c->lock);
    mosquitto_disconnect(c->mosq);
    mosquitto_loop_stop(c->mosq, false);
}

int conns_offline(sim *s, uint32_t k0, uint32_t k1)
{
    int changed = 0;
    for (uint32_t k = k0; k < k1; k++) {
        if (s->conns[k].offline)
            continue;
        conn_offline(&s->conns[k]);
        changed++;
    }
    return changed;
}

/* Until connection c completed a subscription round after `after`. */
static int wait_round(sim *s, sim_conn *c, uint64_t after, uint64_t deadline)
{
    int done;
    pthread_mutex_lock(&s->lock);
    while (c->rounds <= after && !s->stopping && !cli_stop_signal && sim_now_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    done = c->rounds > after;
    pthread_mutex_unlock(&s->lock);
    return done;
}

/* Reconnect with the same session: the broker delivers what it queued. */
static int conn_online(sim *s, sim_conn *c, uint64_t deadline)
{
    uint64_t rounds;
    int rc;
    pthread_mutex_lock(&s->lock);
    rounds = c->rounds;
    pthread_mutex_unlock(&s->lock);
    c->offline = 0;
    rc = mosquitto_reconnect(c->mosq);
    if (rc != MOSQ_ERR_SUCCESS) {
        /* the network thread keeps trying, as after a lost connection */
        fprintf(stderr, "e4sim: connection %u: reconnect: %s\n", (unsigned)c->index,
                rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    }
    if (loop_start(c) != 0)
        return -1;
    return wait_round(s, c, rounds, deadline) ? 0 : -1;
}

int conns_online(sim *s, uint32_t k0, uint32_t k1, uint32_t timeout_s)
{
    uint64_t deadline = sim_now_ms() + (uint64_t)timeout_s * 1000u;
    int changed = 0, failed = 0;
    for (uint32_t k = k0; k < k1; k++) {
        if (!s->conns[k].offline)
            continue;
        failed |= conn_online(s, &s->conns[k], deadline) != 0;
        changed++;
    }
    return failed ? -1 : changed;
}
