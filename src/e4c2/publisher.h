/*
 * publisher: sends the outbox to the broker, one thread, one MQTT
 * connection (libmosquitto, QoS 2, not retained).
 *
 * Commands are protected when they are sent, with the time of sending, so a
 * command that waited (broker down, C2 stopped) is still inside the device's
 * 600 s window. A command is marked sent when the broker completes the QoS 2
 * flow (PUBCOMP). On a lost connection every command in flight is given back
 * and the connection is made anew, with backoff.
 */
#ifndef E4C2_PUBLISHER_H
#define E4C2_PUBLISHER_H

#include "store.h"

typedef struct publisher_config {
    const char *host;
    int port;
    int tls;            /* mqtts:// */
    const char *cafile; /* TLS: CA to verify the broker */
    const char *username;
    const char *password; /* read from a file by the caller */
    int max_inflight;     /* MQTT window, default 20: mosquitto silently drops
                             QoS 2 messages of a 3.1.1 client beyond its
                             max_inflight_messages (20 by default) */
    int lease_s;          /* claim lease, default 30 */
} publisher_config;

typedef struct publisher publisher;

publisher *publisher_start(const publisher_config *cfg, store_pool *pool, c2_error *e);
/* Finish what is in flight (at most a few seconds), give back the rest, stop. */
void publisher_stop(publisher *p);

#endif
