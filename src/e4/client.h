/*
 * e4 client: internal interfaces of the command-line device.
 *
 * Threads: the main thread parses options, reads stdin and publishes; the
 * libmosquitto network thread (mosquitto_loop_start) runs the callbacks,
 * which unprotect received messages. e4_client is thread-safe; everything in
 * client_ctx below `lock` is guarded by it, and every output line is written
 * under out_lock and flushed.
 */
#ifndef E4_CLI_CLIENT_H
#define E4_CLI_CLIENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <e4/client.h>

struct mosquitto;

enum pending_kind { PEND_SUB = 1, PEND_UNSUB, PEND_PUB };

/* An MQTT request waiting for its acknowledgement (or an acknowledgement
 * that arrived before the request was registered: done = 1). */
struct pending {
    int mid;
    int kind;
    int done;
    int granted;   /* SUBACK: granted QoS (0x80 = refused) */
    int initial;   /* one of the subscriptions made before "ready" */
    int silent;    /* a resubscription after a reconnect */
    int clear;     /* PUB: published without protection */
    char *topic;
};

/* A topic the client has named (for `keys`: hash -> topic). */
struct topic_name {
    uint8_t hash[E4_TOPIC_HASH_LEN];
    char *topic;
};

typedef struct client_ctx {
    struct mosquitto *mosq;
    e4_client *e4;
    int json;
    int qos;
    char *control_topic;

    pthread_mutex_t out_lock;

    /* The last error libmosquitto logged (an OpenSSL reason after a failed
     * TLS handshake...): its own lock, as the library logs from inside
     * calls made with `lock` held. */
    pthread_mutex_t log_lock;
    char last_error[256];
    int tls_failed;        /* a TLS error was logged */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    int connected_once;
    int connack_refused;   /* CONNACK return code when the broker refused */
    int ready;
    int initial_pending;
    int stopping;
    struct pending *pend;
    size_t npend, cap_pend;
    char **subs;           /* current subscriptions, for resubscription */
    size_t nsubs;

    /* main thread only */
    struct topic_name *names;
    size_t nnames;
} client_ctx;

/* ---- output (client_out.c) ---- */
void out_ready(client_ctx *c);
void out_subscribed(client_ctx *c, const char *topic, int qos);
void out_unsubscribed(client_ctx *c, const char *topic);
void out_published(client_ctx *c, const char *topic, int clear);
void out_message(client_ctx *c, const char *topic, const uint8_t *payload, size_t len);
void out_command(client_ctx *c, const char *topic);
/* op: receive, command, publish, subscribe, unsubscribe, input, connection.
 * topic may be NULL; err is an e4_err or E4_OK when msg says it all. */
void out_error(client_ctx *c, const char *op, const char *topic, e4_err err, const char *msg);
/* A bare event: "disconnected", "reconnected"... with an optional detail. */
void out_event(client_ctx *c, const char *event, const char *detail);
/* The `keys` listing: hashes and ids only, never key material. */
void out_keys(client_ctx *c);

/* ---- MQTT (client_mqtt.c) ---- */
void mqtt_set_callbacks(client_ctx *c);
/* The last error libmosquitto logged, short form ("" when none): copied to
 * buf (size n). */
void mqtt_last_error(client_ctx *c, char *buf, size_t n);
/* 1 when libmosquitto logged a TLS (OpenSSL) error. */
int mqtt_tls_failed(client_ctx *c);
/* Requests from the main thread; report problems as error lines. */
void mqtt_subscribe(client_ctx *c, const char *topic);
void mqtt_unsubscribe(client_ctx *c, const char *topic);
void mqtt_publish(client_ctx *c, const char *topic, const uint8_t *payload, size_t len, int clear);
/* Number of requests (publish, subscribe, unsubscribe) not yet
 * acknowledged (lock not held). */
size_t mqtt_pending_requests(client_ctx *c);

/* ---- helpers (client_names.c) ---- */
void names_add(client_ctx *c, const char *topic);
const char *names_find(const client_ctx *c, const uint8_t hash[E4_TOPIC_HASH_LEN]);
void names_free(client_ctx *c);

/* ---- stdin (client_input.c) ---- */
/* Handle one input line (without the newline). Returns 1 to stop. */
int input_line(client_ctx *c, char *line);

#endif
