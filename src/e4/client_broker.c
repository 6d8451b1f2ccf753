/* e4 client: libmosquitto callbacks and requests. */
#include "device.h"
#include "cli.h"

#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- pending requests (c->lock held) ---- */

static struct pending *pend_find(client_ctx *c, int mid)
{
    size_t i;
    for (i = 0; i < c->npend; i++)
        if (c->pend[i].mid == mid)
            return &c->pend[i];
    return NULL;
}

static void pend_remove(client_ctx *c, struct pending *p)
{
    size_t i = (size_t)(p - c->pend);
    free(p->topic);
    c->pend[i] = c->pend[--c->npend];
}

static struct pending *pend_add(client_ctx *c, int mid)
{
    struct pending *p;
    if (c->npend == c->cap_pend) {
        size_t cap = c->cap_pend ? 2 * c->cap_pend : 16;
        struct pending *np = realloc(c->pend, cap * sizeof *np);
        if (!np)
            return NULL;
        c->pend = np;
        c->cap_pend = cap;
    }
    p = &c->pend[c->npend++];
    memset(p, 0, sizeof *p);
    p->mid = mid;
    return p;
}

/* ---- subscriptions list (c->lock held) ---- */

static size_t subs_index(client_ctx *c, const char *topic)
{
    size_t i;
    for (i = 0; i < c->nsubs; i++)
        if (!strcmp(c->subs[i], topic))
            return i;
    return SIZE_MAX;
}

static void subs_add(client_ctx *c, const char *topic)
{
    char **ns, *copy;
    if (subs_index(c, topic) != SIZE_MAX)
        return;
    copy = strdup(topic);
    ns = realloc(c->subs, (c->nsubs + 1) * sizeof *ns);
    if (!copy || !ns) {
        free(copy);
        if (ns)
            c->subs = ns;
        return;
    }
    c->subs = ns;
    c->subs[c->nsubs++] = copy;
}

static void subs_remove(client_ctx *c, const char *topic)
{
    size_t i = subs_index(c, topic);
    if (i == SIZE_MAX)
        return;
    free(c->subs[i]);
    c->subs[i] = c->subs[--c->nsubs];
}

/* The acknowledgement of p arrived: report it (c->lock held). */
static void complete(client_ctx *c, struct pending *p, int granted)
{
    switch (p->kind) {
    case PEND_SUB:
        if (granted == 0x80) {
            subs_remove(c, p->topic);
            out_error(c, "subscribe", p->topic, E4_OK, "subscription refused by the broker");
        } else if (!p->silent) {
            out_subscribed(c, p->topic, granted);
        }
        /* commands can arrive from now on: C2 wants to know what we hold */
        if (granted != 0x80 && !strcmp(p->topic, c->control_topic))
            receipts_online_locked(c, 1);
        if (p->initial && --c->initial_pending == 0 && !c->ready) {
            c->ready = 1;
            out_ready(c);
        }
        break;
    case PEND_UNSUB: out_unsubscribed(c, p->topic); break;
    case PEND_PUB: out_published(c, p->topic, p->clear); break;
    case PEND_RECEIPT:
        if (c->verbose)
            out_receipt(c, p);
        break;
    }
    pend_remove(c, p);
    pthread_cond_broadcast(&c->cond);
}

/* An acknowledgement from the network thread: it counts only for a request
 * of that kind in flight; anything else is logged (the first few, then every
 * 1000th) and ignored. */
static void acked(client_ctx *c, int mid, int kind, int granted)
{
    static const char *const names[] = {"", "SUBACK", "UNSUBACK", "PUBACK", "PUBACK"};
    struct pending *p;
    pthread_mutex_lock(&c->lock);
    p = pend_find(c, mid);
    if (p && (p->kind == kind || (kind == PEND_PUB && p->kind == PEND_RECEIPT))) {
        complete(c, p, granted);
    } else if (++c->unsolicited <= 3 || c->unsolicited % 1000 == 0) {
        fprintf(stderr, "%s: ignored an unsolicited %s (message id %d; %lu so far)\n", cli_prog,
                names[kind], mid, c->unsolicited);
    }
    pthread_mutex_unlock(&c->lock);
}

/* Register a request just sent (c->lock held): req gives its kind and
 * details. */
static void track_locked(client_ctx *c, int mid, const struct pending *req, const char *topic)
{
    struct pending *p = pend_find(c, mid);
    if (p) /* a request lost with its connection: its id was reused */
        pend_remove(c, p);
    p = pend_add(c, mid);
    if (!p)
        return;
    p->kind = req->kind;
    p->clear = req->clear;
    p->rkind = req->rkind;
    p->rresult = req->rresult;
    p->rtopics = req->rtopics;
    p->rpubkeys = req->rpubkeys;
    p->topic = strdup(topic);
    if (!p->topic)
        pend_remove(c, p);
}

/* ---- callbacks (network thread) ---- */

/* Subscribe from a callback (c->lock held; the acknowledgement cannot be
 * processed before this callback returns). */
static void subscribe_locked(client_ctx *c, const char *topic, int qos, int initial, int silent)
{
    int mid = 0, rc = mosquitto_subscribe(c->mosq, &mid, topic, qos);
    struct pending *p;
    if (rc != MOSQ_ERR_SUCCESS) {
        out_error(c, "subscribe", topic, E4_OK, mosquitto_strerror(rc));
        return;
    }
    p = pend_add(c, mid);
    if (!p)
        return;
    p->kind = PEND_SUB;
    p->initial = initial;
    p->silent = silent;
    p->topic = strdup(topic);
    if (!p->topic) {
        pend_remove(c, p);
        return;
    }
    if (initial)
        c->initial_pending++;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    client_ctx *c = obj;
    size_t i;
    int first;

    pthread_mutex_lock(&c->lock);
    if (rc != 0) {
        if (!c->connected_once)
            c->connack_refused = rc;
        out_error(c, "connection", NULL, E4_OK, mosquitto_connack_string(rc));
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->lock);
        return;
    }
    first = !c->connected_once;
    c->connected_once = 1;
    if (!first)
        out_event(c, "reconnected", NULL);
    /* (Re)subscribe everything: a new session needs it, and a persistent
     * one (the default) takes it as a no-op, which also covers a broker
     * that lost the session. The control topic always at QoS 2: C2 sends
     * commands exactly once, and queues them for the session while the
     * client is away. */
    for (i = 0; i < c->nsubs; i++)
        subscribe_locked(c, c->subs[i], c->qos, first, !first);
    subscribe_locked(c, c->control_topic, 2, first, !first);
    pthread_mutex_unlock(&c->lock);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    client_ctx *c = obj;
    int stopping;
    pthread_mutex_lock(&c->lock);
    stopping = c->stopping;
    receipts_online_locked(c, 0);
    pthread_mutex_unlock(&c->lock);
    if (!stopping && rc != 0) {
        char detail[400], why[256];
        broker_last_error(c, why, sizeof why);
        if (rc == MOSQ_ERR_TLS && why[0])
            snprintf(detail, sizeof detail, "%s (%s)", mosquitto_strerror(rc), why);
        else
            snprintf(detail, sizeof detail, "%s", mosquitto_strerror(rc));
        out_event(c, "disconnected", detail);
    }
}

/* libmosquitto's log: keep the last error. The TLS failures are only told
 * here: "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify
 * failed" is kept as "certificate verify failed". Called from any thread,
 * possibly with c->lock held: only log_lock is taken. */
static void on_log(struct mosquitto *mosq, void *obj, int level, const char *str)
{
    client_ctx *c = obj;
    const char *s = str;
    int tls = 0;
    (void)mosq;
    if (level != MOSQ_LOG_ERR || !str)
        return;
    if (!strncmp(str, "OpenSSL Error", 13)) {
        const char *last = strrchr(str, ':');
        tls = 1;
        if (last && last[1])
            s = last + 1 + (last[1] == ' ');
    } else if (!strncmp(str, "Error: ", 7)) {
        s = str + 7;
    }
    pthread_mutex_lock(&c->log_lock);
    snprintf(c->last_error, sizeof c->last_error, "%s", s);
    if (tls)
        c->tls_failed = 1;
    pthread_mutex_unlock(&c->log_lock);
    /* wait_ready polls; this only shortens its wait */
    pthread_cond_broadcast(&c->cond);
}

int broker_tls_failed(client_ctx *c)
{
    int failed;
    pthread_mutex_lock(&c->log_lock);
    failed = c->tls_failed;
    pthread_mutex_unlock(&c->log_lock);
    return failed;
}

void broker_last_error(client_ctx *c, char *buf, size_t n)
{
    pthread_mutex_lock(&c->log_lock);
    snprintf(buf, n, "%s", c->last_error);
    pthread_mutex_unlock(&c->log_lock);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted_qos)
{
    acked(obj, mid, PEND_SUB, qos_count > 0 ? granted_qos[0] : 0x80);
}

static void on_unsubscribe(struct mosquitto *mosq, void *obj, int mid)
{
    acked(obj, mid, PEND_UNSUB, 0);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
    acked(obj, mid, PEND_PUB, 0);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    client_ctx *c = obj;
    size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0, out_len = 0;
    int is_control = !strcmp(msg->topic, c->control_topic);
    uint8_t *out;
    e4_err err;

    if (c->max_message && len > c->max_message) {
        char why[128];
        snprintf(why, sizeof why, "message of %zu bytes dropped: more than --max-message %zu", len,
                 c->max_message);
        out_error(c, is_control ? "command" : "receive", msg->topic, E4_OK, why);
        return;
    }
    out = malloc(len + 1);
    if (!out) {
        out_error(c, is_control ? "command" : "receive", msg->topic, E4_ERR_NO_MEMORY, NULL);
        return;
    }
    static const uint8_t empty[1];
    const uint8_t *in = msg->payload && len ? (const uint8_t *)msg->payload : empty;

    if (is_control)
        receipts_before_control(c);
    err = e4_client_unprotect(c->e4, msg->topic, in, len, out, len, &out_len);
    if (err == E4_OK)
        out_message(c, msg->topic, out, out_len);
    else if (err == E4_COMMAND)
        out_command(c, msg->topic);
    else
        out_error(c, is_control ? "command" : "receive", msg->topic, err, NULL);
    e4_wipe(out, out_len);
    free(out);
    if (is_control)
        receipts_after_control(c, err);
}

void broker_set_callbacks(client_ctx *c)
{
    mosquitto_connect_callback_set(c->mosq, on_connect);
    mosquitto_disconnect_callback_set(c->mosq, on_disconnect);
    mosquitto_subscribe_callback_set(c->mosq, on_subscribe);
    mosquitto_unsubscribe_callback_set(c->mosq, on_unsubscribe);
    mosquitto_publish_callback_set(c->mosq, on_publish);
    mosquitto_message_callback_set(c->mosq, on_message);
    mosquitto_log_callback_set(c->mosq, on_log);
}

/* ---- requests (main thread) ---- */

void broker_subscribe(client_ctx *c, const char *topic)
{
    int mid = 0, rc;
    if (mosquitto_sub_topic_check(topic) != MOSQ_ERR_SUCCESS) {
        out_error(c, "subscribe", topic, E4_OK, "invalid topic filter");
        return;
    }
    pthread_mutex_lock(&c->lock);
    subs_add(c, topic);
    rc = mosquitto_subscribe(c->mosq, &mid, topic, c->qos);
    if (rc == MOSQ_ERR_SUCCESS)
        track_locked(c, mid, &(struct pending){.kind = PEND_SUB}, topic);
    pthread_mutex_unlock(&c->lock);
    if (rc != MOSQ_ERR_SUCCESS)
        out_error(c, "subscribe", topic, E4_OK, mosquitto_strerror(rc));
}

void broker_unsubscribe(client_ctx *c, const char *topic)
{
    int mid = 0, rc;
    pthread_mutex_lock(&c->lock);
    subs_remove(c, topic);
    rc = mosquitto_unsubscribe(c->mosq, &mid, topic);
    if (rc == MOSQ_ERR_SUCCESS)
        track_locked(c, mid, &(struct pending){.kind = PEND_UNSUB}, topic);
    pthread_mutex_unlock(&c->lock);
    if (rc != MOSQ_ERR_SUCCESS)
        out_error(c, "unsubscribe", topic, E4_OK, mosquitto_strerror(rc));
}

void broker_publish(client_ctx *c, const char *topic, const uint8_t *payload, size_t len, int clear)
{
    uint8_t *buf = NULL;
    size_t out_len = len;
    int mid = 0, rc;

    if (mosquitto_pub_topic_check(topic) != MOSQ_ERR_SUCCESS) {
        out_error(c, "publish", topic, E4_OK, "invalid topic (no wildcards in a publish)");
        return;
    }
    if (!clear) {
        size_t cap = e4_client_protected_len(c->e4, len);
        e4_err err;
        buf = malloc(cap ? cap : 1);
        if (!buf) {
            out_error(c, "publish", topic, E4_ERR_NO_MEMORY, NULL);
            return;
        }
        err = e4_client_protect(c->e4, topic, payload, len, buf, cap, &out_len);
        if (err != E4_OK) {
            out_error(c, "publish", topic, err, NULL);
            free(buf);
            return;
        }
        payload = buf;
    }
    if (out_len > 268435455u) {
        out_error(c, "publish", topic, E4_OK, "payload too large for MQTT");
        free(buf);
        return;
    }
    pthread_mutex_lock(&c->lock);
    rc = mosquitto_publish(c->mosq, &mid, topic, (int)out_len, payload, c->qos, false);
    if (rc == MOSQ_ERR_SUCCESS)
        track_locked(c, mid, &(struct pending){.kind = PEND_PUB, .clear = clear}, topic);
    pthread_mutex_unlock(&c->lock);
    free(buf);
    if (rc != MOSQ_ERR_SUCCESS)
        out_error(c, "publish", topic, E4_OK, mosquitto_strerror(rc));
}

void broker_publish_receipt(client_ctx *c, const uint8_t *receipt, size_t len,
                            const struct pending *info)
{
    const char *topic = e4_client_receipt_topic(c->e4);
    struct pending req = *info;
    int mid = 0, rc;
    req.kind = PEND_RECEIPT;
    pthread_mutex_lock(&c->lock);
    rc = mosquitto_publish(c->mosq, &mid, topic, (int)len, receipt, 1, false);
    if (rc == MOSQ_ERR_SUCCESS)
        track_locked(c, mid, &req, topic);
    pthread_mutex_unlock(&c->lock);
    if (rc != MOSQ_ERR_SUCCESS)
        out_error(c, "receipt", topic, E4_OK, mosquitto_strerror(rc));
}

size_t broker_pending_requests(client_ctx *c)
{
    size_t n;
    pthread_mutex_lock(&c->lock);
    n = c->npend;
    pthread_mutex_unlock(&c->lock);
    return n;
}
