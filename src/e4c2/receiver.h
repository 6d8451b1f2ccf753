/*
 * receiver: one thread and MQTT connection that subscribes to every
 * device's receipt topic (e4/+/receipts, QoS 1) and hands the receipts to
 * sync.c a batch at a time (up to 1,024, or what came in 20 ms); once a
 * second it also looks again at the clients sync.c put aside.
 *
 * The subscription is not persistent: receipts sent while C2 is away are
 * lost, and the devices' next STATE (at reconnection, after commands, and
 * every state interval) brings C2 up to date.
 */
#ifndef E4C2_RECEIVER_H
#define E4C2_RECEIVER_H

#include "publisher.h"

typedef struct receiver receiver;

receiver *receiver_start(const publisher_config *cfg, int64_t clock_skew, store_pool *pool,
                         c2_error *e);
void receiver_stop(receiver *r);

#endif
