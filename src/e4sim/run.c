/* e4sim run: load the devices, connect, print "ready N", answer commands. */
#include "sim.h"
#include "../e4/cli.h"

#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t sim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int load(sim *s, const sim_opts *o)
{
    e4_limits sk = {o->max_topics, 0, o->replay};
    e4_limits pk = {o->max_topics, o->max_pubkeys, o->replay};
    uint64_t t0 = sim_now_ms();

    if (fleet_load(&s->fleet, o->devices, &sk, &pk, o->suite, s->nconns) != 0)
        return 1;
    if (!o->quiet)
        fprintf(stderr, "e4sim: %zu devices (%zu sk, %zu pk) loaded from %s in %llu ms\n",
                s->fleet.n, s->fleet.n - s->fleet.npk, s->fleet.npk, o->devices,
                (unsigned long long)(sim_now_ms() - t0));
    return 0;
}

static void sim_init(sim *s, const sim_opts *o)
{
    pthread_condattr_t attr;
    memset(s, 0, sizeof *s);
    s->opts = o;
    s->nconns = o->connections;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
}

static void sim_destroy(sim *s)
{
    fleet_free(&s->fleet);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
}

/* Connected and subscribed: 0, or 1 (reported). */
static int start(sim *s, const char *host, int port)
{
    uint64_t t0 = sim_now_ms(), ms;
    if (conns_start(s, host, port) != 0 || receipts_start(s) != 0 ||
        conns_wait_ready(s, s->opts->timeout, &cli_stop_signal) != 0)
        return 1;
    if (cli_stop_signal)
        return 0;
    ms = sim_now_ms() - t0;
    if (!s->opts->quiet)
        fprintf(stderr, "e4sim: %zu control topics subscribed on %u connections in %llu ms\n",
                s->fleet.n, (unsigned)s->nconns, (unsigned long long)ms);
    return 0;
}

int sim_run(const sim_opts *o)
{
    sim s;
    char *host = NULL;
    int port, rc;
    uint64_t t0 = sim_now_ms();

    if ((rc = arg_broker("--broker", o->broker, 1883, &host, &port)))
        return rc;
    sim_init(&s, o);
    if (tracker_init(&s.tracker) != 0) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        free(host);
        sim_destroy(&s);
        return 1;
    }
    rc = input_setup_signals() || load(&s, o);
    if (rc == 0) {
        mosquitto_lib_init();
        rc = start(&s, host, port);
        if (rc == 0 && !cli_stop_signal) {
            out_ready(&s, s.fleet.n, sim_now_ms() - t0);
            input_loop(&s, !o->no_stdin);
        }
        receipts_stop(&s);
        conns_stop(&s);
        mosquitto_lib_cleanup();
    }
    tracker_free(&s.tracker);
    sim_destroy(&s);
    free(host);
    return rc;
}
