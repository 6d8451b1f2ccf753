/* e4c2 run: unlock the keys, serve the API, deliver the outbox. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <sodium.h>

#include "commands.h"
#include "http.h"
#include "http_ui.h"
#include "log.h"
#include "monitor.h"
#include "publisher.h"
#include "receiver.h"
#include "scheduler.h"
#include "schema.h"

typedef struct run_plan {
    publisher_config pub;
    http_config http;
    char host[256];
    char password[1024];
    int pool;
    int publishers;
    int receipts; /* subscribe to receipts (default on) */
    int state_interval, clock_skew;
    int policies, monitor, monitor_flush;
} run_plan;

#define MAX_PUBLISHERS 16

/* mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; [v6]:PORT. */
static int parse_broker(run_plan *r, const char *url)
{
    const char *h = url, *colon;
    size_t hl;
    r->pub.tls = !strncmp(url, "mqtts://", 8);
    if (!strncmp(url, "mqtt://", 7) || r->pub.tls)
        h = url + (r->pub.tls ? 8 : 7);
    r->pub.port = r->pub.tls ? 8883 : 1883;
    if (*h == '[') {
        const char *close = strchr(h, ']');
        if (!close)
            return -1;
        hl = (size_t)(close - h - 1);
        h++;
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strrchr(h, ':');
        hl = colon ? (size_t)(colon - h) : strlen(h);
    }
    if (hl == 0 || hl >= sizeof r->host)
        return -1;
    memcpy(r->host, h, hl);
    r->host[hl] = 0;
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (*end || port < 1 || port > 65535)
            return -1;
        r->pub.port = (int)port;
    }
    r->pub.host = r->host;
    return 0;
}

static int positive(const char *s, int dflt, int max, int *out)
{
    char *end;
    long v;
    if (!s) {
        *out = dflt;
        return 0;
    }
    v = strtol(s, &end, 10);
    if (*end || v < 1 || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

/* Unset, "on" or "off". */
static int on_off(const char *v)
{
    return !v || !strcmp(v, "on") || !strcmp(v, "off");
}

static int read_password(run_plan *r, const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n;
    if (!f)
        return -1;
    n = fread(r->password, 1, sizeof r->password - 1, f);
    fclose(f);
    while (n && (r->password[n - 1] == '\n' || r->password[n - 1] == '\r'))
        n--;
    r->password[n] = 0;
    r->pub.password = r->password;
    return 0;
}

/* The threads' switches; NULL or what is wrong. */
static const char *validate_workers(const c2_config *cfg, run_plan *r)
{
    if (!on_off(cfg->receipts) || !on_off(cfg->policies) || !on_off(cfg->monitor))
        return "--receipts, --policies and --monitor are on or off";
    if (positive(cfg->monitor_flush, 5, 60, &r->monitor_flush))
        return "--monitor-flush takes 1..60 seconds";
    r->receipts = !cfg->receipts || !strcmp(cfg->receipts, "on");
    r->policies = !cfg->policies || !strcmp(cfg->policies, "on");
    r->monitor = !cfg->monitor || !strcmp(cfg->monitor, "on");
    return NULL;
}

static int validate(const c2_config *cfg, run_plan *r)
{
    const char *bad = NULL;
    memset(r, 0, sizeof *r);
    if (!cfg->broker || parse_broker(r, cfg->broker) != 0)
        bad = "--broker mqtt://HOST:PORT (or mqtts://) is required";
    else if (positive(cfg->lease, 30, 86400, &r->pub.lease_s) ||
             positive(cfg->pool, 8, 256, &r->pool) ||
             positive(cfg->publishers, 4, MAX_PUBLISHERS, &r->publishers) ||
             positive(cfg->max_inflight, 20, 65535, &r->pub.max_inflight))
        bad = "--lease (1..86400), --pool (1..256), --publishers (1..16) and --max-inflight "
              "(1..65535) "
              "take a positive number";
    else if (positive(cfg->state_interval, 3600, 7 * 86400, &r->state_interval) ||
             (cfg->clock_skew && strcmp(cfg->clock_skew, "0") &&
              positive(cfg->clock_skew, 0, 3600, &r->clock_skew)))
        bad = "--state-interval (1..604800) and --clock-skew (0..3600) take a number of seconds";
    else if (!cfg->tls_cert != !cfg->tls_key)
        bad = "--tls-cert and --tls-key go together";
    else if (cfg->broker_password_file && read_password(r, cfg->broker_password_file) != 0)
        bad = "cannot read --broker-password-file";
    if (!bad)
        bad = validate_workers(cfg, r);
    if (bad) {
        fprintf(stderr, "e4c2 run: %s\n", bad);
        return 2;
    }
    store_set_state_interval(r->state_interval);
    r->pub.cafile = cfg->broker_cafile;
    r->pub.username = cfg->broker_username;
    r->http.listen = cfg->listen ? cfg->listen : "127.0.0.1:8640";
    r->http.tls_cert_file = cfg->tls_cert;
    r->http.tls_key_file = cfg->tls_key;
    r->http.ui_dir = cfg->ui_dir ? cfg->ui_dir : http_ui_default_dir();
    r->http.threads = 64; /* connections; each request borrows a store briefly */
    return 0;
}

static keyring *unlock(const c2_config *cfg, keyring_source *src, char *pass, size_t cap,
                       c2_error *e)
{
    keyring *kr = NULL;
    db *d;
    if ((d = open_database(cfg))) {
        if (schema_migrate(d, e) == 0)
            kr = keyring_unlock(d, src, e);
        db_close(d);
    }
    sodium_memzero(pass, cap);
    if (!kr && e->message[0])
        fprintf(stderr, "e4c2 run: %s\n", e->message);
    return kr;
}

/* Several publishers, each its own MQTT connection and database
 * connection, share the outbox like separate processes (leases): while one
 * does its database work, the others keep their MQTT windows full. */
static int start_publishers(run_plan *r, store_pool *pool, publisher **pubs, c2_error *e)
{
    int i;
    for (i = 0; i < r->publishers; i++)
        if (!(pubs[i] = publisher_start(&r->pub, pool, e)))
            return -1;
    return 0;
}

static void stop_publishers(publisher **pubs, int n)
{
    int i;
    for (i = 0; i < n; i++)
        publisher_stop(pubs[i]);
}

/* The threads besides the API: publishers, receipts, policies, monitoring. */
typedef struct workers {
    publisher *pubs[MAX_PUBLISHERS];
    receiver *rcv;
    scheduler *sched;
    monitor *mon;
} workers;

static int start_workers(run_plan *r, store_pool *pool, workers *w, c2_error *e)
{
    monitor_config mc = {&r->pub, r->monitor_flush, (uint32_t)r->clock_skew};
    if (start_publishers(r, pool, w->pubs, e) != 0 ||
        (r->receipts && !(w->rcv = receiver_start(&r->pub, r->clock_skew, pool, e))) ||
        (r->policies && !(w->sched = scheduler_start(pool, e))) ||
        (r->monitor && !(w->mon = monitor_start(&mc, pool, e))))
        return -1;
    return 0;
}

static void stop_workers(run_plan *r, workers *w)
{
    monitor_stop(w->mon);
    scheduler_stop(w->sched);
    receiver_stop(w->rcv);
    stop_publishers(w->pubs, r->publishers);
}

/* Serve until SIGTERM, SIGINT or SIGHUP. */
static int serve(run_plan *r, store_pool *pool)
{
    c2_error e = {0};
    workers w = {{0}, NULL, NULL, NULL};
    sigset_t set;
    int sig = 0;
    http_server *http = NULL;
    if (start_workers(r, pool, &w, &e) == 0)
        http = http_start(&r->http, pool, &e);
    if (!http) {
        fprintf(stderr, "e4c2 run: %s\n", e.message);
        stop_workers(r, &w);
        return 1;
    }
    log_info("e4c2 is running", "listen", r->http.listen);
    if (http_ui_installed(r->http.ui_dir))
        log_info("the web console is served at /ui/", "dir", r->http.ui_dir);
    else
        log_warn("the web console is not installed: /ui/ answers 404", "dir", r->http.ui_dir);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigwait(&set, &sig);
    log_info("stopping: finishing the commands in flight", "signal",
             sig == SIGINT   ? "SIGINT"
             : sig == SIGHUP ? "SIGHUP"
                             : "SIGTERM");
    http_stop(http);
    stop_workers(r, &w);
    log_info("stopped", NULL, NULL);
    return 0;
}

int cmd_run(const c2_config *cfg)
{
    c2_error e = {0};
    char pass[1024];
    keyring_source src;
    run_plan r;
    keyring *kr;
    store_pool *pool;
    sigset_t set;
    int rc = validate(cfg, &r);
    if (rc || (rc = master_key_source(cfg, &src, pass, sizeof pass)) != 0)
        return rc;
    /* every thread inherits the mask: only serve() receives the signals */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    mosquitto_lib_init();
    if (!(kr = unlock(cfg, &src, pass, sizeof pass, &e)))
        return 1;
    pool = store_pool_open(config_db_url(cfg), kr,
                           r.pool + r.publishers + r.receipts + r.policies + r.monitor, &e);
    if (!pool) {
        fprintf(stderr, "e4c2 run: %s\n", e.message);
        keyring_free(kr);
        return 1;
    }
    rc = serve(&r, pool);
    store_pool_close(pool);
    keyring_free(kr);
    sodium_memzero(r.password, sizeof r.password);
    mosquitto_lib_cleanup();
    return rc;
}
