/* monitor: the thread, its MQTT connection, the topics and their counts. */
#include "monitor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>
#include <sodium.h>

#include "log.h"
#include "store_internal.h"

#define REFRESH_MS 2000 /* lease renewal and topic list reload */
#define LEASE_S 15
#define EVENT_EVERY_MS 10000   /* one traffic.anomaly per topic and kind at most this often */
#define SCRATCH_MAX (1u << 20) /* larger messages are opened in a temporary buffer */
#define PK_CACHE 1024
#define PK_NEGATIVE_MS 10000 /* an unknown signer is looked up again after this */

typedef struct mtopic {
    char name[E4_TOPIC_MAX + 1];
    monitor_keys keys;
    monitor_replay replay;
    c2_traffic_delta d;
    int64_t pending[C2_TR_COUNT];  /* anomalies not yet in an event */
    int64_t event_ms[C2_TR_COUNT]; /* when the last event of each kind went out */
    int subscribed;
} mtopic;

typedef struct pk_entry {
    uint8_t id[E4_ID_LEN];
    uint8_t pk[C2_SIGN_PK_MAX];
    int found;
    int64_t at_ms;
} pk_entry;

struct monitor {
    monitor_config cfg;
    publisher_config broker;
    store_pool *pool;
    store *st;
    pthread_t thread;
    atomic_int stopping;
    struct mosquitto *mosq;
    int connected;
    int64_t backoff_ms, next_connect_ms, next_refresh_ms, next_flush_ms, minute;
    char owner[48];
    int leased;
    mtopic **topics; /* sorted by name */
    size_t n;
    uint8_t *scratch;
    pk_entry *pks;
};

/* ---- topics ------------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp((*(mtopic *const *)a)->name, (*(mtopic *const *)b)->name);
}

static mtopic *find_topic(monitor *m, const char *name)
{
    mtopic key, *kp = &key, **hit;
    if (strlen(name) > E4_TOPIC_MAX || !m->n)
        return NULL;
    strcpy(key.name, name);
    hit = bsearch(&kp, m->topics, m->n, sizeof *m->topics, by_name);
    return hit ? *hit : NULL;
}

static void topic_free(mtopic *t)
{
    if (t) {
        sodium_memzero(&t->keys, sizeof t->keys);
        free(t);
    }
}

static int signer_pubkey(void *ctx, const uint8_t id[E4_ID_LEN], uint8_t pk[C2_SIGN_PK_MAX])
{
    monitor *m = ctx;
    pk_entry *e = &m->pks[(id[0] | id[1] << 8) % PK_CACHE];
    c2_error err = {0};
    int found = 0;
    if (e->at_ms && !memcmp(e->id, id, E4_ID_LEN) &&
        (e->found || now_ms() - e->at_ms < PK_NEGATIVE_MS)) {
        memcpy(pk, e->pk, sizeof e->pk);
        return e->found ? 0 : -1;
    }
    if (store_client_pubkey(m->st, id, e->pk, &found, &err) != C2_OK)
        return -1;
    memcpy(e->id, id, E4_ID_LEN);
    e->found = found;
    e->at_ms = now_ms();
    memcpy(pk, e->pk, sizeof e->pk);
    return found ? 0 : -1;
}

struct reload {
    monitor *m;
    mtopic **list;
    size_t n, cap;
};

/* A monitored topic from the database: kept counts and replay memory if we
 * had it already, new keys either way. */
static int take_topic(void *ctx, const c2_monitored *mt)
{
    struct reload *rl = ctx;
    mtopic *t = find_topic(rl->m, mt->name);
    if (rl->n == rl->cap) {
        size_t cap = rl->cap ? rl->cap * 2 : 64;
        mtopic **l = realloc(rl->list, cap * sizeof *l);
        if (!l)
            return 1;
        rl->list = l;
        rl->cap = cap;
    }
    if (t && t->d.topic_rowid != mt->rowid)
        t = NULL; /* removed and added again: a new topic */
    if (!t) {
        if (!(t = calloc(1, sizeof *t)))
            return 1;
        snprintf(t->name, sizeof t->name, "%s", mt->name);
        monitor_replay_init(&t->replay);
        t->d.topic_rowid = mt->rowid;
        t->d.last_kind = -1;
    } else {
        t->subscribed |= 2; /* marks it kept (cleared below) */
    }
    memcpy(t->keys.key, mt->key, E4_KEY_LEN);
    t->keys.has_prev = mt->has_prev;
    memcpy(t->keys.prev_key, mt->prev_key, E4_KEY_LEN);
    t->keys.mode = store_mode(rl->m->st);
    t->keys.suite = store_suite(rl->m->st);
    t->keys.clock_skew = rl->m->cfg.clock_skew;
    t->keys.pubkey = signer_pubkey;
    t->keys.pubkey_ctx = rl->m;
    rl->list[rl->n++] = t;
    return 0;
}

/* Replace the topic list; those no longer monitored are unsubscribed. */
static void install(monitor *m, struct reload *rl)
{
    for (size_t i = 0; i < m->n; i++) {
        mtopic *t = m->topics[i];
        if (t->subscribed & 2) {
            t->subscribed &= 1;
            continue;
        }
        if ((t->subscribed & 1) && m->mosq)
            mosquitto_unsubscribe(m->mosq, NULL, t->name);
        topic_free(t);
    }
    free(m->topics);
    m->topics = rl->list;
    m->n = rl->n;
    if (m->n)
        qsort(m->topics, m->n, sizeof *m->topics, by_name);
}

static void drop_topics(monitor *m)
{
    struct reload none = {m, NULL, 0, 0};
    install(m, &none);
}

/* ---- counts, events, flushes ------------------------------------------------ */

static void flush(monitor *m)
{
    c2_traffic_delta *d = m->n ? calloc(m->n, sizeof *d) : NULL;
    c2_error e = {0};
    size_t k = 0;
    for (size_t i = 0; d && i < m->n; i++) {
        mtopic *t = m->topics[i];
        int64_t any = 0;
        for (int r = 0; r < C2_TR_COUNT; r++)
            any += t->d.counts[r];
        if (!any)
            continue;
        d[k++] = t->d;
        memset(t->d.counts, 0, sizeof t->d.counts);
        memset(t->d.skew, 0, sizeof t->d.skew);
        t->d.skew_sum = 0;
        t->d.last_kind = -1;
    }
    if (k && store_traffic_flush(m->st, d, k, &e) != C2_OK)
        log_error("cannot record traffic counts (they are lost)", "error", e.message);
    free(d);
}

static void anomaly_events(monitor *m)
{
    int64_t now = now_ms();
    char data[E4_TOPIC_MAX * 6 + 128], esc[E4_TOPIC_MAX * 6 + 1];
    c2_error e = {0};
    for (size_t i = 0; i < m->n; i++) {
        mtopic *t = m->topics[i];
        for (int r = 1; r < C2_TR_COUNT; r++) {
            if (!t->pending[r] || now - t->event_ms[r] < EVENT_EVERY_MS)
                continue;
            json_escape(esc, sizeof esc, t->name);
            snprintf(data, sizeof data,
                     "{\"topic\":\"%s\",\"kind\":\"%s\",\"count\":%lld,\"publisher\":null}", esc,
                     c2_traffic_result_name((c2_traffic_result)r), (long long)t->pending[r]);
            if (store_event(m->st, "traffic.anomaly", data, &e) != C2_OK)
                log_warn("cannot record a traffic anomaly event", "error", e.message);
            t->pending[r] = 0;
            t->event_ms[r] = now;
        }
    }
}

static void on_message(struct mosquitto *mq, void *obj, const struct mosquitto_message *msg)
{
    monitor *m = obj;
    mtopic *t = find_topic(m, msg->topic);
    size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    uint8_t *scratch = len <= SCRATCH_MAX ? m->scratch : malloc(len);
    int64_t skew = 0, now = now_s();
    int has_skew = 0;
    c2_traffic_result r;
    (void)mq;
    if (!t || !scratch)
        return;
    r = monitor_check(&t->keys, &t->replay, msg->payload, len, (uint64_t)now, scratch,
                      len ? len : 1, &skew, &has_skew);
    if (scratch != m->scratch)
        free(scratch);
    t->d.counts[r]++;
    t->d.minute = now - now % 60;
    if (has_skew) {
        t->d.skew[monitor_skew_bucket(skew)]++;
        t->d.skew_sum += skew;
    }
    if (r != C2_TR_valid) {
        t->d.last_kind = (int)r;
        t->d.last_at = now;
        t->pending[r]++;
    }
}

/* ---- the connection ------------------------------------------------------------ */

static void on_connect(struct mosquitto *mq, void *obj, int rc)
{
    monitor *m = obj;
    (void)mq;
    m->connected = rc == 0;
    if (rc != 0)
        log_warn("the broker refused the monitoring connection", "reason",
                 mosquitto_connack_string(rc));
    for (size_t i = 0; i < m->n; i++)
        m->topics[i]->subscribed = 0; /* a clean session: subscribe again */
}

static void on_disconnect(struct mosquitto *mq, void *obj, int rc)
{
    (void)mq, (void)rc;
    ((monitor *)obj)->connected = 0;
}

static int connect_broker(monitor *m)
{
    const publisher_config *c = &m->broker;
    if (!(m->mosq = mosquitto_new(m->owner, true, m)))
        return -1;
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_message_callback_set(m->mosq, on_message);
    if (c->username)
        mosquitto_username_pw_set(m->mosq, c->username, c->password);
    if (c->tls)
        mosquitto_tls_set(m->mosq, c->cafile, c->cafile ? NULL : "/etc/ssl/certs", NULL, NULL,
                          NULL);
    if (mosquitto_connect(m->mosq, c->host, c->port, 30) != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(m->mosq);
        m->mosq = NULL;
        return -1;
    }
    return 0;
}

static void disconnect(monitor *m)
{
    if (m->mosq) {
        mosquitto_disconnect(m->mosq);
        mosquitto_destroy(m->mosq);
    }
    m->mosq = NULL;
    m->connected = 0;
}

static void drop_connection(monitor *m)
{
    disconnect(m);
    m->backoff_ms = m->backoff_ms ? (m->backoff_ms * 2 > 30000 ? 30000 : m->backoff_ms * 2) : 250;
    m->next_connect_ms = now_ms() + m->backoff_ms;
}

static void subscribe_new(monitor *m)
{
    for (size_t i = 0; m->connected && i < m->n; i++)
        if (!m->topics[i]->subscribed &&
            mosquitto_subscribe(m->mosq, NULL, m->topics[i]->name, 0) == MOSQ_ERR_SUCCESS)
            m->topics[i]->subscribed = 1;
}

/* ---- the loop --------------------------------------------------------------------- */

/* Renew the lease and reload the topics; without the lease, monitor nothing. */
static void refresh(monitor *m)
{
    struct reload rl = {m, NULL, 0, 0};
    c2_error e = {0};
    int ours = 0;
    m->next_refresh_ms = now_ms() + REFRESH_MS;
    if (store_monitor_lease(m->st, m->owner, LEASE_S, &ours, &e) != C2_OK) {
        log_warn("cannot renew the monitoring lease", "error", e.message);
        return; /* keep what we have until the lease would have run out */
    }
    if (ours != m->leased)
        log_info(ours ? "monitoring: this process monitors"
                      : "monitoring: another process monitors",
                 "owner", m->owner);
    m->leased = ours;
    flush(m);
    if (!ours) {
        drop_topics(m);
        disconnect(m);
        return;
    }
    if (store_monitored_topics(m->st, take_topic, &rl, &e) != C2_OK) {
        log_warn("cannot read the monitored topics", "error", e.message);
        for (size_t i = 0; i < rl.n; i++)
            rl.list[i]->subscribed &= 1;
        free(rl.list);
        return;
    }
    install(m, &rl);
    if (!m->n)
        disconnect(m);
}

static void turn(monitor *m)
{
    int64_t now = now_ms();
    int rc;
    if (now >= m->next_refresh_ms)
        refresh(m);
    if (now >= m->next_flush_ms || now / 60000 != m->minute) {
        flush(m);
        m->next_flush_ms = now + (int64_t)m->cfg.flush_s * 1000;
        m->minute = now / 60000;
    }
    anomaly_events(m);
    if (!m->leased || !m->n) {
        usleep(100000);
        return;
    }
    if (!m->mosq && (now < m->next_connect_ms || connect_broker(m) != 0)) {
        if (!m->mosq && now >= m->next_connect_ms)
            drop_connection(m);
        usleep(50000);
        return;
    }
    subscribe_new(m);
    rc = mosquitto_loop(m->mosq, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
        log_warn("lost the broker (monitoring); connecting again", "reason",
                 mosquitto_strerror(rc));
        drop_connection(m);
    } else if (m->connected) {
        m->backoff_ms = 0;
    }
}

static void *run(void *arg)
{
    monitor *m = arg;
    while (!atomic_load(&m->stopping))
        turn(m);
    flush(m);
    anomaly_events(m);
    disconnect(m);
    drop_topics(m);
    store_monitor_release(m->st, m->owner);
    return NULL;
}

monitor *monitor_start(const monitor_config *cfg, store_pool *pool, c2_error *e)
{
    monitor *m = calloc(1, sizeof *m);
    uint8_t rnd[6];
    if (!m || !(m->scratch = malloc(SCRATCH_MAX)) || !(m->pks = calloc(PK_CACHE, sizeof *m->pks))) {
        if (m)
            free(m->scratch);
        free(m);
        set_error(e, C2_INTERNAL, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->broker = *cfg->broker;
    m->pool = pool;
    randombytes_buf(rnd, sizeof rnd);
    snprintf(m->owner, sizeof m->owner, "e4c2-monitor-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    m->st = store_pool_get(pool);
    if (pthread_create(&m->thread, NULL, run, m) != 0) {
        store_pool_put(pool, m->st);
        free(m->scratch);
        free(m->pks);
        free(m);
        set_error(e, C2_INTERNAL, "cannot start the monitoring thread");
        return NULL;
    }
    return m;
}

void monitor_stop(monitor *m)
{
    if (!m)
        return;
    atomic_store(&m->stopping, 1);
    pthread_join(m->thread, NULL);
    store_pool_put(m->pool, m->st);
    sodium_memzero(m->scratch, SCRATCH_MAX);
    free(m->scratch);
    sodium_memzero(m->pks, PK_CACHE * sizeof *m->pks);
    free(m->pks);
    free(m);
}
