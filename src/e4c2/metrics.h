/*
 * metrics: process-wide counters for /metrics (Prometheus text format).
 * Counters are atomics bumped from any thread; gauges that live in the
 * database (clients, topics, outbox depth and age) are read at scrape time.
 */
#ifndef E4C2_METRICS_H
#define E4C2_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "store.h"
#include "sync.h"

/* HTTP statuses counted one by one; others fall in "other". */
// clang-format off
#define METRICS_STATUSES(X) X(200) X(201) X(204) X(400) X(401) X(403) X(404) X(405) \
                            X(409) X(413) X(415) X(500) X(503)
// clang-format on

typedef struct c2_metrics {
    atomic_uint_fast64_t commands_sent;
    atomic_uint_fast64_t send_failures;    /* publish refused, connection lost mid-flow */
    atomic_uint_fast64_t broker_connected; /* gauge: 1 when the publisher is connected */
    atomic_uint_fast64_t rotations;
    atomic_uint_fast64_t rotation_us_sum;     /* time to commit a rotation and its outbox */
    atomic_uint_fast64_t rotation_buckets[8]; /* <= 1ms 10ms 100ms 1s 10s 60s 600s +Inf */
    atomic_uint_fast64_t api_by_status[16];   /* METRICS_STATUSES order, then other */
    atomic_uint_fast64_t receipts_applied;    /* APPLIED receipts: applied */
    atomic_uint_fast64_t receipts_refused;    /* APPLIED receipts: refused */
    atomic_uint_fast64_t receipts_state;      /* STATE receipts */
    atomic_uint_fast64_t receipts_rejected[SYNC_REJECT_COUNT];
    atomic_uint_fast64_t repairs;         /* repairs queued */
    atomic_uint_fast64_t repair_commands; /* differences they covered */
    atomic_uint_fast64_t policy_runs[2];  /* rotation policies run: topic, client */
    atomic_uint_fast64_t policy_failures[2];
    atomic_uint_fast64_t policy_checks; /* scheduler passes that found nothing (more) due */
} c2_metrics;

extern c2_metrics g_metrics;

void metrics_api_request(int http_status);
void metrics_rotation(uint64_t micros);
/* A policy run (client: 0 topic, 1 client) that succeeded or failed. */
void metrics_policy_run(int client, int failed);
/* The scheduler looked and found nothing (more) due. */
void metrics_policy_check(void);
/* The whole exposition, malloc'ed (NUL-terminated); NULL on allocation
 * failure. Reads gauges through s. */
char *metrics_render(store *s);

#endif
