/* Each identity's control connection: a libmosquitto client (its own
 * network thread) with a persistent session, subscribed to the control
 * topic at QoS 2; the C2 commands received there are applied (and saved)
 * by e4_client_unprotect, and take effect at once for the connections
 * using that identity. Receipts go to CONTROL/receipts as `e4 client`
 * sends them (the APPLIED of each command, STATEs on schedule). */
#include "proxy.h"

#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct control_link {
    struct mosquitto *mosq;
    proxy_identity *id;
    pthread_mutex_t lock; /* the schedule and online */
    receipt_schedule rs;
    uint32_t state_interval;
    int receipts, online, sub_mid;
    char *receipt_topic;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_connect(struct mosquitto *m, void *ctx, int rc)
{
    control_link *l = ctx;
    if (rc != 0) {
        plog("warn", "control_refused", 0, mosquitto_connack_string(rc));
        return;
    }
    plog("info", "control_connected", 0, l->id->control_topic);
    mosquitto_subscribe(m, &l->sub_mid, l->id->control_topic, 2);
}

static void on_subscribe(struct mosquitto *m, void *ctx, int mid, int n, const int *granted)
{
    control_link *l = ctx;
    if (mid != l->sub_mid)
        return;
    pthread_mutex_lock(&l->lock);
    l->online = 1;
    rs_subscribed(&l->rs);
    pthread_mutex_unlock(&l->lock);
}

static void on_disconnect(struct mosquitto *m, void *ctx, int rc)
{
    control_link *l = ctx;
    pthread_mutex_lock(&l->lock);
    l->online = 0;
    pthread_mutex_unlock(&l->lock);
    if (rc != 0)
        plog("warn", "control_disconnected", 0, l->id->control_topic);
}

static void on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
    control_link *l = ctx;
    size_t cap = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 1, olen = 0;
    uint8_t *out;
    e4_err err;

    if (strcmp(msg->topic, l->id->control_topic) != 0 || !(out = malloc(cap)))
        return;
    err = e4_client_unprotect(l->id->e4, msg->topic, msg->payload, (size_t)msg->payloadlen, out,
                              cap, &olen);
    e4_wipe(out, cap);
    free(out);
    METRIC_ADD(commands, 1);
    if (err == E4_COMMAND)
        plog("info", "command_applied", 0, l->id->control_topic);
    else
        plog("warn", "command_rejected", 0, e4_strerror(err));
    pthread_mutex_lock(&l->lock);
    rs_activity(&l->rs, mono_ms());
    pthread_mutex_unlock(&l->lock);
}

/* The APPLIED receipt of a command (called inside e4_client_unprotect). */
static void receipt_sink(void *ctx, const uint8_t *receipt, size_t len)
{
    control_link *l = ctx;
    mosquitto_publish(l->mosq, NULL, l->receipt_topic, (int)len, receipt, 1, false);
}

/* "e4-" and the first 20 hex digits of the E4 id (as `e4 client`), so the
 * broker keeps the session and queued commands across restarts. */
static void control_client_id(const proxy_identity *id, char buf[24])
{
    uint8_t eid[E4_ID_LEN];
    char hex[2 * E4_ID_LEN + 1];
    e4_client_id(id->e4, eid);
    hex_encode(hex, eid, sizeof eid);
    snprintf(buf, 24, "e4-%.20s", hex);
}

int control_start(proxy *px, proxy_identity *id)
{
    control_link *l = calloc(1, sizeof *l);
    char cid[24];
    int rc;

    if (!l || !(l->receipt_topic = strdup(e4_client_receipt_topic(id->e4)))) {
        free(l);
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    pthread_mutex_init(&l->lock, NULL);
    l->id = id;
    l->receipts = !px->conf.no_receipts;
    l->state_interval = px->conf.state_interval;
    id->link = l;
    control_client_id(id, cid);
    if (!(l->mosq = mosquitto_new(cid, false, l))) {
        cli_error("cannot create the control connection");
        return 1;
    }
    mosquitto_int_option(l->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_reconnect_delay_set(l->mosq, 1, 30, true);
    if (px->conf.username)
        mosquitto_username_pw_set(l->mosq, px->conf.username, px->conf.password);
    if (px->conf.broker_tls &&
        (rc = px->conf.cafile || px->conf.capath
                  ? mosquitto_tls_set(l->mosq, px->conf.cafile, px->conf.capath, NULL, NULL, NULL)
                  : mosquitto_int_option(l->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1)) !=
            MOSQ_ERR_SUCCESS) {
        cli_error("control connection TLS: %s", mosquitto_strerror(rc));
        return 1;
    }
    mosquitto_connect_callback_set(l->mosq, on_connect);
    mosquitto_subscribe_callback_set(l->mosq, on_subscribe);
    mosquitto_disconnect_callback_set(l->mosq, on_disconnect);
    mosquitto_message_callback_set(l->mosq, on_message);
    if (l->receipts)
        e4_client_set_receipt_sink(id->e4, receipt_sink, l);
    /* a broker that is down now is retried by the network thread */
    rc = mosquitto_connect_async(l->mosq, px->conf.broker_host, px->conf.broker_port,
                                 (int)px->conf.keepalive);
    if (rc != MOSQ_ERR_SUCCESS)
        plog("warn", "control_connect_failed", 0, mosquitto_strerror(rc));
    if ((rc = mosquitto_loop_start(l->mosq)) != MOSQ_ERR_SUCCESS) {
        cli_error("cannot start the control connection: %s", mosquitto_strerror(rc));
        return 1;
    }
    return 0;
}

void control_tick(proxy_identity *id)
{
    control_link *l = id->link;
    uint64_t now = mono_ms();
    uint8_t *buf = NULL;
    size_t len = 0;

    if (!l || !l->receipts)
        return;
    pthread_mutex_lock(&l->lock);
    if (l->online && now >= rs_due(&l->rs, l->state_interval) &&
        e4_client_state_receipt(id->e4, &buf, &len) == E4_OK) {
        mosquitto_publish(l->mosq, NULL, l->receipt_topic, (int)len, buf, 1, false);
        rs_sent(&l->rs, now);
    }
    pthread_mutex_unlock(&l->lock);
    free(buf);
}

void control_stop(proxy_identity *id)
{
    control_link *l = id->link;
    if (!l)
        return;
    if (l->mosq) {
        mosquitto_disconnect(l->mosq);
        mosquitto_loop_stop(l->mosq, false);
        mosquitto_destroy(l->mosq);
    }
    e4_client_set_receipt_sink(id->e4, NULL, NULL);
    pthread_mutex_destroy(&l->lock);
    free(l->receipt_topic);
    free(l);
    id->link = NULL;
}
