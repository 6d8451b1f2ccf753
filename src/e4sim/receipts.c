/* Receipts of the simulated devices (docs/receipts.md). APPLIED receipts
 * go out from the network threads (dispatch.c); STATE receipts from one
 * thread that looks at every device ten times a second and sends those that
 * receipt_schedule.c says are due: after each subscription of a device's
 * control topic, after bursts of control messages, every --state-interval.
 * Devices of a connection that is offline or reconnecting wait: the
 * acknowledged resubscription makes them due again. --state-rate caps the
 * STATEs per second (a fleet that connects at once would otherwise flood
 * C2's subscription); the devices left over are due at the next tick. The
 * STATE is built
 * under the connection's lock (the network thread is the one that changes
 * the states) and published outside it. */
#include "sim.h"

#include <e4/receipt.h>

#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS 100

void receipts_publish(sim_conn *c, const sim_device *d, const uint8_t *r, size_t len,
                      enum sim_receipt_count what)
{
    char topic[E4_RECEIPT_TOPIC_MAX];
    int rc = MOSQ_ERR_INVAL;
    if (e4_receipt_topic(topic, sizeof topic, d->control_topic) == E4_OK && len <= INT32_MAX)
        rc = mosquitto_publish(c->mosq, NULL, topic, (int)len, r, 1, false);
    if (rc != MOSQ_ERR_SUCCESS && c->sim->opts->verbose)
        fprintf(stderr, "e4sim: %s: receipt not sent: %s\n", d->name, mosquitto_strerror(rc));
    tracker_receipt(&c->sim->tracker, rc == MOSQ_ERR_SUCCESS ? what : SIM_RECEIPT_FAILED);
}

/* Room for n bytes in *buf. 0, or -1 without memory. */
static int reserve(uint8_t **buf, size_t *cap, size_t n)
{
    uint8_t *nb;
    if (n <= *cap)
        return 0;
    nb = realloc(*buf, n);
    if (!nb)
        return -1;
    *buf = nb;
    *cap = n;
    return 0;
}

/* d's STATE into *buf when it is due at now (c's lock held): its length,
 * or 0 when nothing is to be sent. */
static size_t state_if_due(sim_conn *c, sim_device *d, uint64_t now, uint8_t **buf, size_t *cap)
{
    size_t len = 0;
    if (!c->online || rs_due(&d->schedule, c->sim->opts->state_interval) > now)
        return 0;
    rs_sent(&d->schedule, now); /* a failure is not retried before the next event */
    if (reserve(buf, cap, e4_receipt_state_len(d->state)) != 0 ||
        e4_receipt_state(d->state, *buf, *cap, &len, (uint64_t)time(NULL)) != E4_OK) {
        tracker_receipt(&c->sim->tracker, SIM_RECEIPT_FAILED);
        return 0;
    }
    return len;
}

/* The due STATEs of c's devices, at most *budget (< 0: no limit). */
static void scan_conn(sim_conn *c, uint8_t **buf, size_t *cap, int64_t *budget)
{
    for (size_t i = 0; i < c->ntopics && *budget != 0; i++) {
        sim_device *d = c->devs[i];
        pthread_mutex_lock(&c->lock);
        size_t len = state_if_due(c, d, sim_now_ms(), buf, cap);
        pthread_mutex_unlock(&c->lock);
        if (len) {
            receipts_publish(c, d, *buf, len, SIM_SENT_STATE);
            *budget -= *budget > 0;
        }
    }
}

/* Wait one tick or until stopped; 1 when stopping (s->lock held). */
static int tick_wait(sim *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += TICK_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    if (!s->stopping)
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    return s->stopping;
}

static void *receipt_thread(void *arg)
{
    sim *s = arg;
    uint8_t *buf = NULL;
    size_t cap = 0;
    pthread_mutex_lock(&s->lock);
    uint32_t rate = s->opts->state_rate;
    while (!tick_wait(s)) {
        /* per tick; a rate below the tick frequency still sends one a tick */
        int64_t budget = rate ? (rate * (int64_t)TICK_MS + 999) / 1000 : -1;
        pthread_mutex_unlock(&s->lock);
        for (uint32_t k = 0; k < s->nconns && budget != 0; k++)
            scan_conn(&s->conns[k], &buf, &cap, &budget);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    free(buf);
    return NULL;
}

int receipts_start(sim *s)
{
    sigset_t set, old;
    int rc;
    if (s->opts->no_receipts)
        return 0;
    /* signals are the main thread's */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    rc = pthread_create(&s->receipt_thread, NULL, receipt_thread, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        cli_error("cannot start the receipt thread: %s", strerror(rc));
        return 1;
    }
    s->receipt_thread_started = 1;
    return 0;
}

void receipts_stop(sim *s)
{
    if (!s->receipt_thread_started)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->receipt_thread, NULL);
    s->receipt_thread_started = 0;
}
