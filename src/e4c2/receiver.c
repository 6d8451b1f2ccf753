#include "receiver.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <e4/receipt.h>
#include <mosquitto.h>
#include <sodium.h>

#include "log.h"
#include "store_internal.h"
#include "sync.h"

#define BATCH_MAX 1024
#define BATCH_MS 20
#define SWEEP_MS 1000
#define RECEIPT_MAX (1u << 20) /* a STATE of 40,000 topics fits */

struct receiver {
    publisher_config cfg;
    store_pool *pool;
    store *st;
    sync_ctx *sync;
    pthread_t thread;
    atomic_int stopping;
    struct mosquitto *mosq;
    int connected;
    int64_t backoff_ms, next_connect_ms, first_ms, swept_ms;
    sync_receipt *batch; /* grows past BATCH_MAX if one read brings more */
    int n, cap;
};

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
    receiver *r = obj;
    r->connected = rc == 0;
    if (rc != 0) {
        log_warn("the broker refused the receipts connection", "reason",
                 mosquitto_connack_string(rc));
        return;
    }
    if (mosquitto_subscribe(m, NULL, "e4/+" E4_RECEIPT_SUFFIX, 1) != MOSQ_ERR_SUCCESS)
        log_error("cannot subscribe to receipts", "topic", "e4/+" E4_RECEIPT_SUFFIX);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
    (void)m, (void)rc;
    ((receiver *)obj)->connected = 0;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
    receiver *r = obj;
    sync_receipt *s;
    (void)m;
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : BATCH_MAX;
        sync_receipt *b = realloc(r->batch, (size_t)cap * sizeof *b);
        if (!b)
            return; /* the device sends its state again */
        r->batch = b;
        r->cap = cap;
    }
    s = &r->batch[r->n];
    if (sync_topic_client(s->client_id, msg->topic) != 0) {
        sync_count_reject(SYNC_REJECT_bad_topic);
        return;
    }
    if (msg->payloadlen <= 0 || (unsigned)msg->payloadlen > RECEIPT_MAX) {
        sync_count_reject(msg->payloadlen <= 0 ? SYNC_REJECT_too_short : SYNC_REJECT_bad_length);
        return;
    }
    if (!(s->payload = malloc((size_t)msg->payloadlen)))
        return;
    memcpy(s->payload, msg->payload, (size_t)msg->payloadlen);
    s->len = (size_t)msg->payloadlen;
    if (r->n++ == 0)
        r->first_ms = now_ms();
}

static void process(receiver *r, int force)
{
    c2_error e = {0};
    int i;
    if (!r->n || (!force && r->n < BATCH_MAX && now_ms() - r->first_ms < BATCH_MS))
        return;
    if (sync_receipts(r->st, r->sync, r->batch, r->n, &e) != C2_OK)
        log_error("cannot record receipts (devices send their state again)", "error", e.message);
    for (i = 0; i < r->n; i++)
        free(r->batch[i].payload);
    r->n = 0;
}

static void sweep(receiver *r)
{
    c2_error e = {0};
    if (now_ms() - r->swept_ms < SWEEP_MS)
        return;
    r->swept_ms = now_ms();
    if (sync_sweep(r->st, r->sync, &e) != C2_OK)
        log_error("cannot look at the clients' states again", "error", e.message);
}

static int connect_broker(receiver *r)
{
    char id[40];
    uint8_t rnd[6];
    randombytes_buf(rnd, sizeof rnd);
    snprintf(id, sizeof id, "e4c2-receipts-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5]);
    if (!(r->mosq = mosquitto_new(id, true, r)))
        return -1;
    mosquitto_int_option(r->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(r->mosq, on_connect);
    mosquitto_disconnect_callback_set(r->mosq, on_disconnect);
    mosquitto_message_callback_set(r->mosq, on_message);
    if (r->cfg.username)
        mosquitto_username_pw_set(r->mosq, r->cfg.username, r->cfg.password);
    if (r->cfg.tls)
        mosquitto_tls_set(r->mosq, r->cfg.cafile, r->cfg.cafile ? NULL : "/etc/ssl/certs", NULL,
                          NULL, NULL);
    if (mosquitto_connect(r->mosq, r->cfg.host, r->cfg.port, 30) != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(r->mosq);
        r->mosq = NULL;
        return -1;
    }
    return 0;
}

static void drop_connection(receiver *r)
{
    if (r->mosq)
        mosquitto_destroy(r->mosq);
    r->mosq = NULL;
    r->connected = 0;
    r->backoff_ms = r->backoff_ms ? (r->backoff_ms * 2 > 30000 ? 30000 : r->backoff_ms * 2) : 250;
    r->next_connect_ms = now_ms() + r->backoff_ms;
}

static void turn(receiver *r)
{
    int rc;
    if (!r->mosq && (now_ms() < r->next_connect_ms || connect_broker(r) != 0)) {
        if (!r->mosq && now_ms() >= r->next_connect_ms)
            drop_connection(r);
        usleep(50000);
        return;
    }
    /* read while the batch has room; a full batch is processed first */
    rc = r->n < BATCH_MAX ? mosquitto_loop(r->mosq, r->n ? 5 : 100, 1) : MOSQ_ERR_SUCCESS;
    process(r, r->n >= BATCH_MAX);
    sweep(r);
    if (rc != MOSQ_ERR_SUCCESS) {
        log_warn("lost the broker (receipts); connecting again", "reason", mosquitto_strerror(rc));
        drop_connection(r);
    } else if (r->connected) {
        r->backoff_ms = 0;
    }
}

static void *run(void *arg)
{
    receiver *r = arg;
    while (!atomic_load(&r->stopping))
        turn(r);
    process(r, 1);
    if (r->mosq) {
        mosquitto_disconnect(r->mosq);
        mosquitto_destroy(r->mosq);
        r->mosq = NULL;
    }
    return NULL;
}

receiver *receiver_start(const publisher_config *cfg, int64_t clock_skew, store_pool *pool,
                         c2_error *e)
{
    receiver *r = calloc(1, sizeof *r);
    if (!r || !(r->sync = sync_new(clock_skew))) {
        free(r);
        set_error(e, C2_INTERNAL, "out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    r->pool = pool;
    r->st = store_pool_get(pool);
    /* a receipt's record lost in a power failure is brought back by the
     * device's next STATE: no flush at each commit (see db.h) */
    db_relax_durability(r->st->d);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        store_pool_put(pool, r->st);
        sync_free(r->sync);
        free(r);
        set_error(e, C2_INTERNAL, "cannot start the receipts thread");
        return NULL;
    }
    return r;
}

void receiver_stop(receiver *r)
{
    if (!r)
        return;
    atomic_store(&r->stopping, 1);
    pthread_join(r->thread, NULL);
    store_pool_put(r->pool, r->st);
    sync_free(r->sync);
    free(r->batch);
    free(r);
}
