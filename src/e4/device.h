/*
 * e4 client: internal interfaces of the command-line device.
 *
 * Threads: the main thread parses options, reads stdin and publishes; the
 * libmosquitto network thread (mosquitto_loop_start) runs the callbacks,
 * which unprotect received messages. e4_client is thread-safe; everything in
 * client_ctx below `lock` is guarded by it, and every output line is written
 * under out_lock and flushed.
 */
#ifndef E4_CLI_DEVICE_H
#define E4_CLI_DEVICE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <e4/client.h>
#include <e4/receipt.h>

#include "cli.h"

struct mosquitto;

enum pending_kind { PEND_SUB = 1, PEND_UNSUB, PEND_PUB, PEND_RECEIPT };

/* An MQTT request waiting for its acknowledgement. A request is sent and
 * registered under c->lock, so its acknowledgement (network thread, which
 * takes c->lock) always finds it; any other acknowledgement is unsolicited
 * and ignored. */
struct pending {
    int mid;
    int kind;
    int granted;                /* SUBACK: granted QoS (0x80 = refused) */
    int initial;                /* one of the subscriptions made before "ready" */
    int silent;                 /* a resubscription after a reconnect */
    int clear;                  /* PUB: published without protection */
    int rkind;                  /* RECEIPT: E4_RECEIPT_APPLIED or _STATE */
    int rresult;                /* APPLIED: 0, or the refusal's -e4_err */
    uint32_t rtopics, rpubkeys; /* STATE: the counts it reports */
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
    size_t max_message; /* --max-message: larger PUBLISH payloads are dropped */
    char *control_topic;

    pthread_mutex_t out_lock;

    /* The last error libmosquitto logged (an OpenSSL reason after a failed
     * TLS handshake...): its own lock, as the library logs from inside
     * calls made with `lock` held. */
    pthread_mutex_t log_lock;
    char last_error[256];
    int tls_failed; /* a TLS error was logged */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    int connected_once;
    int connack_refused; /* CONNACK return code when the broker refused */
    int ready;
    int initial_pending;
    int stopping;
    struct pending *pend;
    size_t npend, cap_pend;
    unsigned long unsolicited; /* acknowledgements of no request in flight */
    char **subs;               /* current subscriptions, for resubscription */
    size_t nsubs;

    /* Receipts (client_receipts.c). receipts, verbose and state_interval
     * are set before the network thread starts; the schedule is under
     * lock; applied/have_applied belong to the network thread. */
    int receipts; /* 0 with --no-receipts */
    int verbose;
    uint32_t state_interval; /* seconds between periodic STATEs, 0: none */
    int wake[2];             /* network thread -> main loop: a STATE may be due */
    int online;              /* connected and the control topic subscribed */
    receipt_schedule schedule;
    uint8_t applied[E4_RECEIPT_APPLIED_LEN];
    int have_applied;

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
/* A TCP connection to host:port within timeout_s seconds, closed at once
 * (client_connect.c). 0, or -1 with the reason in why. */
int client_tcp_probe(const char *host, int port, uint32_t timeout_s, char *why, size_t why_len);
/* e4_strerror, naming the option that raises a capacity that was reached. */
const char *client_strerror(e4_err err);
void out_error(client_ctx *c, const char *op, const char *topic, e4_err err, const char *msg);
/* A bare event: "disconnected", "reconnected"... with an optional detail. */
void out_event(client_ctx *c, const char *event, const char *detail);
/* The `keys` listing: hashes and ids only, never key material. */
void out_keys(client_ctx *c);
/* A receipt the broker acknowledged (--verbose only). */
void out_receipt(client_ctx *c, const struct pending *p);

/* ---- MQTT (client_mqtt.c) ---- */
void broker_set_callbacks(client_ctx *c);
/* The last error libmosquitto logged, short form ("" when none): copied to
 * buf (size n). */
void broker_last_error(client_ctx *c, char *buf, size_t n);
/* 1 when libmosquitto logged a TLS (OpenSSL) error. */
int broker_tls_failed(client_ctx *c);
/* Requests from the main thread; report problems as error lines. */
void broker_subscribe(client_ctx *c, const char *topic);
void broker_unsubscribe(client_ctx *c, const char *topic);
void broker_publish(client_ctx *c, const char *topic, const uint8_t *payload, size_t len,
                    int clear);
/* A receipt to the receipt topic, QoS 1, from either thread; info gives
 * rkind, rresult, rtopics and rpubkeys for the --verbose line. */
void broker_publish_receipt(client_ctx *c, const uint8_t *receipt, size_t len,
                            const struct pending *info);
/* Number of requests (publish, subscribe, unsubscribe) not yet
 * acknowledged (lock not held). */
size_t broker_pending_requests(client_ctx *c);

/* ---- receipts (client_receipts.c) ---- */
/* Before the network thread starts: the wake pipe and the receipt sink.
 * 0, or 1 (reported). Nothing happens when c->receipts is 0. */
int receipts_init(client_ctx *c);
void receipts_close(client_ctx *c);
/* Network thread: the control topic subscription was acknowledged (a
 * STATE is due), or the connection was lost (lock held in both). */
void receipts_online_locked(client_ctx *c, int online);
/* Network thread, before e4_client_unprotect of a control-topic message
 * and after it (err its result): publishes the APPLIED the sink received
 * and counts the message towards the burst STATE. */
void receipts_before_control(client_ctx *c);
void receipts_after_control(client_ctx *c, e4_err err);
/* Main thread: the wake descriptor to poll (-1 when receipts are off), the
 * poll timeout until the next STATE is due (-1: none), and the tick that
 * sends it when due. */
int receipts_wake_fd(const client_ctx *c);
int receipts_timeout_ms(client_ctx *c);
void receipts_tick(client_ctx *c);

/* ---- helpers (client_names.c) ---- */
void names_add(client_ctx *c, const char *topic);
const char *names_find(const client_ctx *c, const uint8_t hash[E4_TOPIC_HASH_LEN]);
void names_free(client_ctx *c);

/* ---- stdin (client_input.c) ---- */
/* Handle one input line (without the newline). Returns 1 to stop. */
int input_line(client_ctx *c, char *line);

#endif
