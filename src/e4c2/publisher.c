#include "publisher.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>
#include <sodium.h>

#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "outbox.h"
#include "store_internal.h"

#define MAX_BATCH 1024

struct publisher {
    publisher_config cfg;
    store_pool *pool;
    store *st;
    pthread_t thread;
    atomic_int stopping;
    char owner[40];
    struct mosquitto *mosq;
    int connected;
    int64_t backoff_ms, next_connect_ms;
    int64_t renewed_ms;      /* last lease renewal */
    int64_t dry_until_ms;    /* the last claim found less than asked: not before */
    uint64_t dry_generation; /* ... unless something new was queued */
    int64_t first_done_ms;   /* when the oldest unmarked acknowledgement came */
    /* in flight, by message id (16 bits in MQTT) */
    outbox_item *items; /* MAX_BATCH slots */
    int *slot_of_mid;   /* 65536 entries, -1 when free */
    int *free_slots, nfree;
    const outbox_item **done; /* acknowledged, to mark */
    int ndone, inflight;
};

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
    publisher *p = obj;
    int slot = mid >= 0 && mid < 65536 ? p->slot_of_mid[mid] : -1;
    (void)m;
    if (slot < 0)
        return;
    p->slot_of_mid[mid] = -1;
    if (!p->ndone)
        p->first_done_ms = now_ms();
    p->done[p->ndone++] = &p->items[slot];
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
    publisher *p = obj;
    (void)m;
    p->connected = rc == 0;
    if (rc == 0) {
        p->backoff_ms = 0;
        atomic_store(&g_metrics.broker_connected, 1);
        log_info("connected to the broker", "broker", p->cfg.host);
    } else {
        log_warn("the broker refused the connection", "reason", mosquitto_connack_string(rc));
    }
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
    publisher *p = obj;
    (void)m;
    (void)rc;
    p->connected = 0;
    atomic_store(&g_metrics.broker_connected, 0);
}

static void free_slot(publisher *p, const outbox_item *it)
{
    int slot = (int)(it - p->items);
    sodium_memzero(&p->items[slot], sizeof p->items[slot]);
    p->free_slots[p->nfree++] = slot;
    p->inflight--;
}

/* Give every command in flight back to the queue (connection lost, stop). */
static void release_inflight(publisher *p, int64_t retry_ms, const char *why)
{
    int64_t seqs[MAX_BATCH];
    int mid, n = 0;
    c2_error e = {0};
    for (mid = 0; mid < 65536; mid++) {
        int slot = p->slot_of_mid[mid];
        if (slot < 0)
            continue;
        seqs[n++] = p->items[slot].seq;
        p->slot_of_mid[mid] = -1;
        free_slot(p, &p->items[slot]);
    }
    if (n && outbox_release(p->st, p->owner, seqs, n, retry_ms, why, &e) != C2_OK)
        log_error("cannot give commands back (their lease will expire)", "error", e.message);
    if (n)
        atomic_fetch_add(&g_metrics.send_failures, (uint64_t)n);
}

static int connect_broker(publisher *p)
{
    int rc;
    p->mosq = mosquitto_new(p->owner, true, p);
    if (!p->mosq)
        return -1;
    mosquitto_int_option(p->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_max_inflight_messages_set(p->mosq, (unsigned)p->cfg.max_inflight);
    mosquitto_publish_callback_set(p->mosq, on_publish);
    mosquitto_connect_callback_set(p->mosq, on_connect);
    mosquitto_disconnect_callback_set(p->mosq, on_disconnect);
    if (p->cfg.username)
        mosquitto_username_pw_set(p->mosq, p->cfg.username, p->cfg.password);
    if (p->cfg.tls &&
        mosquitto_tls_set(p->mosq, p->cfg.cafile, p->cfg.cafile ? NULL : "/etc/ssl/certs", NULL,
                          NULL, NULL) != MOSQ_ERR_SUCCESS)
        log_error("cannot set up TLS to the broker", "cafile", p->cfg.cafile ? p->cfg.cafile : "");
    rc = mosquitto_connect(p->mosq, p->cfg.host, p->cfg.port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(p->mosq);
        p->mosq = NULL;
        return -1;
    }
    return 0;
}

static void mark_done(publisher *p, int force);

static void disconnect_broker(publisher *p, const char *why)
{
    int64_t retry = now_ms() + 500;
    mark_done(p, 1); /* what the broker acknowledged is sent */
    release_inflight(p, retry, why);
    if (p->mosq) {
        mosquitto_destroy(p->mosq);
        p->mosq = NULL;
    }
    p->connected = 0;
    atomic_store(&g_metrics.broker_connected, 0);
    p->backoff_ms = p->backoff_ms ? (p->backoff_ms * 2 > 30000 ? 30000 : p->backoff_ms * 2) : 250;
    p->next_connect_ms = now_ms() + p->backoff_ms;
}

/* A pq-pk key establishment, signed now by C2's current keys. */
static e4_err sign_establishment(publisher *p, const outbox_item *it, uint8_t *msg, uint64_t ts)
{
    c2_error e = {0};
    e4_err rc = E4_ERR_INVALID_ARGUMENT;
    if (it->cmd_len != E4_XWING_CT_LEN || it->epoch <= 0 || it->epoch > (int64_t)UINT32_MAX)
        return rc;
    /* with the key its client held when it was queued; if that one was
     * retired since (rotation finished), the client holds the newest */
    if (c2_key_load_gen(p->st, it->c2_gen, &e) != C2_OK &&
        (e.code != C2_NOT_FOUND || c2_key_load_gen(p->st, 0, &e) != C2_OK)) {
        log_error("cannot sign a key establishment", "error", e.message);
        return E4_ERR_CRYPTO;
    }
    rc = e4_pq_pk_key_sign(msg, it->cmd, (uint32_t)it->epoch, ts, p->st->c2_sk,
                           p->st->c2_sk + E4_ED25519_SK_LEN);
    sodium_memzero(p->st->c2_sk, sizeof p->st->c2_sk);
    p->st->c2_loaded = 0;
    return rc;
}

/* The command protected in the suite, with the time of sending. */
static e4_err protect(publisher *p, const outbox_item *it, uint8_t *msg, size_t *len)
{
    uint64_t ts = (uint64_t)now_s();
    e4_suite suite = p->st->suite;
    if (it->opcode == C2_OP_KEY_ESTABLISH) {
        *len = E4_PQ_PK_KEY_MSG_LEN;
        return suite == E4_SUITE_PQ_PK ? sign_establishment(p, it, msg, ts)
                                       : E4_ERR_INVALID_ARGUMENT;
    }
    *len = c2_protected_len(suite, it->cmd_len);
    switch (suite) {
    case E4_SUITE_FIPS_SK:
    case E4_SUITE_FIPS_PK: return e4_fips_sk_protect(it->key, ts, NULL, it->cmd, it->cmd_len, msg);
    case E4_SUITE_PQ_PK:
        if (it->epoch <= 0 || it->epoch > (int64_t)UINT32_MAX)
            return E4_ERR_INVALID_ARGUMENT;
        return e4_pq_pk_command_protect(it->key, (uint32_t)it->epoch, ts, it->cmd, it->cmd_len,
                                        msg);
    default: return e4_sk_protect(it->key, ts, it->cmd, it->cmd_len, msg);
    }
}

#define MSG_MAX                                                       \
    (E4_PQ_PK_KEY_MSG_LEN > C2_OUTBOX_CMD_MAX + E4_PQ_PK_CMD_OVERHEAD \
         ? E4_PQ_PK_KEY_MSG_LEN                                       \
         : C2_OUTBOX_CMD_MAX + E4_PQ_PK_CMD_OVERHEAD)

static int publish_one(publisher *p, outbox_item *it)
{
    uint8_t msg[MSG_MAX];
    char topic[E4_DEFAULT_CONTROL_TOPIC_LEN];
    size_t len = 0;
    int mid = 0, rc;
    e4_err err;
    e4_default_control_topic(topic, it->client_id);
    err = protect(p, it, msg, &len);
    sodium_memzero(it->key, sizeof it->key);
    sodium_memzero(it->cmd, sizeof it->cmd);
    if (err != E4_OK || e4_command_digest(it->digest, msg, len) != E4_OK)
        return -1;
    rc = mosquitto_publish(p->mosq, &mid, topic, (int)len, msg, 2, false);
    if (rc != MOSQ_ERR_SUCCESS)
        return -1;
    p->slot_of_mid[mid & 0xffff] = (int)(it - p->items);
    return 0;
}

/* Claim what is due and publish it. Returns the number published. */
static int send_due(publisher *p, outbox_item *claimed)
{
    /* libmosquitto holds back what exceeds the MQTT window (max_inflight)
     * and sends it as acknowledgements come. Keep a pipeline a few windows
     * deep: enough to never starve the window, small enough that another
     * process shares the work and that leases cover only what is moving. */
    int depth = 32 * p->cfg.max_inflight > MAX_BATCH ? MAX_BATCH : 32 * p->cfg.max_inflight;
    int n = 0, i, room = depth - p->inflight;
    if (p->inflight > depth / 2)
        return 0;
    if (now_ms() < p->dry_until_ms && notify_generation() == p->dry_generation)
        return 0; /* nothing was due a moment ago and nothing new came */
    c2_error e = {0};
    if (room <= 0)
        return 0;
    p->dry_generation = notify_generation();
    if (outbox_claim(p->st, p->owner, now_ms(), (int64_t)p->cfg.lease_s * 1000, room, claimed, &n,
                     &e) != C2_OK) {
        log_error("cannot claim commands", "error", e.message);
        return 0;
    }
    p->dry_until_ms = n < room ? now_ms() + 250 : 0;
    for (i = 0; i < n; i++) {
        int slot = p->free_slots[--p->nfree];
        p->items[slot] = claimed[i];
        sodium_memzero(&claimed[i], sizeof claimed[i]);
        p->inflight++;
        if (publish_one(p, &p->items[slot]) != 0) {
            int64_t seq = p->items[slot].seq;
            free_slot(p, &p->items[slot]);
            outbox_release(p->st, p->owner, &seq, 1, now_ms() + 1000, "publish refused", &e);
            atomic_fetch_add(&g_metrics.send_failures, 1);
        }
    }
    return n;
}

/* Acknowledged commands are marked sent in batches: one commit for many
 * (a few milliseconds of delay; a command lost between PUBCOMP and the
 * commit is sent again, which devices absorb). */
static void mark_done(publisher *p, int force)
{
    c2_error e = {0};
    int i;
    if (!p->ndone ||
        (!force && p->ndone < 128 && p->ndone < p->inflight && now_ms() - p->first_done_ms < 20))
        return;
    if (outbox_mark_sent(p->st, p->done, p->ndone, &e) != C2_OK)
        log_error("cannot mark commands sent (they will be sent again)", "error", e.message);
    else
        atomic_fetch_add(&g_metrics.commands_sent, (uint64_t)p->ndone);
    for (i = 0; i < p->ndone; i++)
        free_slot(p, p->done[i]);
    p->ndone = 0;
}

/* While commands wait in flight, keep their leases: another process takes
 * a command over only from a process that stopped working. */
static void renew_leases(publisher *p)
{
    int64_t now = now_ms(), lease = (int64_t)p->cfg.lease_s * 1000;
    c2_error e = {0};
    if (!p->inflight || now - p->renewed_ms < lease / 3)
        return;
    p->renewed_ms = now;
    if (outbox_renew(p->st, p->owner, now + lease, &e) != C2_OK)
        log_error("cannot renew leases (another process may send these commands too)", "error",
                  e.message);
}

/* A connection, made anew with backoff while the broker is away.
 * 0 when there is one to use. */
static int ensure_connected(publisher *p)
{
    if (p->mosq)
        return 0;
    if (now_ms() >= p->next_connect_ms) {
        if (connect_broker(p) == 0)
            return 0;
        disconnect_broker(p, "cannot connect to the broker"); /* sets the backoff */
    }
    usleep(50000);
    return -1;
}

/* One turn: connect if needed, send what is due, process the network. */
static void turn(publisher *p, outbox_item *claimed, uint64_t *seen)
{
    int sent = 0, rc;
    if (ensure_connected(p) != 0)
        return;
    if (p->connected && !atomic_load(&p->stopping))
        sent = send_due(p, claimed);
    renew_leases(p);
    rc = mosquitto_loop(p->mosq, p->connected && !sent && !p->inflight ? 0 : 10, 1);
    mark_done(p, 0);
    if (rc != MOSQ_ERR_SUCCESS) {
        log_warn("lost the broker; commands in flight will be sent again", "reason",
                 mosquitto_strerror(rc));
        disconnect_broker(p, "connection to the broker lost");
        return;
    }
    if (!sent && !p->inflight && p->connected)
        *seen = notify_wait(*seen, 250); /* idle: wait for new commands (or poll) */
}

static void *run(void *arg)
{
    publisher *p = arg;
    outbox_item *claimed = calloc(MAX_BATCH, sizeof *claimed);
    uint64_t seen = notify_generation();
    int64_t deadline = 0;
    while (claimed) {
        if (atomic_load(&p->stopping)) {
            if (!deadline)
                deadline = now_ms() + 5000;
            if (!p->inflight || !p->mosq || now_ms() > deadline)
                break;
        }
        turn(p, claimed, &seen);
    }
    mark_done(p, 1);
    release_inflight(p, now_ms(), "e4c2 stopped before the broker acknowledged");
    if (p->mosq) {
        mosquitto_disconnect(p->mosq);
        mosquitto_destroy(p->mosq);
        p->mosq = NULL;
    }
    free(claimed);
    return NULL;
}

publisher *publisher_start(const publisher_config *cfg, store_pool *pool, c2_error *e)
{
    publisher *p = calloc(1, sizeof *p);
    uint8_t rnd[8];
    int i;
    if (!p || !(p->items = calloc(MAX_BATCH, sizeof *p->items)) ||
        !(p->slot_of_mid = malloc(65536 * sizeof *p->slot_of_mid)) ||
        !(p->free_slots = malloc(MAX_BATCH * sizeof *p->free_slots)) ||
        !(p->done = malloc(MAX_BATCH * sizeof *p->done))) {
        set_error(e, C2_INTERNAL, "out of memory");
        publisher_stop(p);
        return NULL;
    }
    p->cfg = *cfg;
    if (p->cfg.max_inflight <= 0 || p->cfg.max_inflight > 65535)
        p->cfg.max_inflight = 20;
    if (p->cfg.lease_s <= 0)
        p->cfg.lease_s = 30;
    for (i = 0; i < 65536; i++)
        p->slot_of_mid[i] = -1;
    for (i = 0; i < MAX_BATCH; i++)
        p->free_slots[p->nfree++] = MAX_BATCH - 1 - i;
    randombytes_buf(rnd, sizeof rnd);
    snprintf(p->owner, sizeof p->owner, "e4c2-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5]);
    p->pool = pool;
    p->st = store_pool_get(pool);
    db_relax_durability(p->st->d); /* see db.h: a lost "sent" mark is a resend */
    if (pthread_create(&p->thread, NULL, run, p) != 0) {
        set_error(e, C2_INTERNAL, "cannot start the publisher thread");
        store_pool_put(pool, p->st);
        p->st = NULL;
        publisher_stop(p);
        return NULL;
    }
    return p;
}

void publisher_stop(publisher *p)
{
    if (!p)
        return;
    if (p->st) {
        atomic_store(&p->stopping, 1);
        notify_changed();
        pthread_join(p->thread, NULL);
        store_pool_put(p->pool, p->st);
    }
    if (p->items)
        sodium_memzero(p->items, MAX_BATCH * sizeof *p->items);
    free(p->items);
    free(p->slot_of_mid);
    free(p->free_slots);
    free(p->done);
    free(p);
}
