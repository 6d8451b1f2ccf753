/*
 * monitor: traffic monitoring of opted-in topics (issue 8).
 *
 * One thread and MQTT connection, in the one e4c2 that holds the monitoring
 * lease (store_monitor_lease). It subscribes to every monitored topic
 * (QoS 0), checks each message with libe4's stateless unprotect under the
 * topic key C2 holds (and the previous one during the key transition) and
 * counts the result; the payload is opened into a scratch buffer that is
 * wiped at once, never stored nor logged. Counts go to the database every
 * flush interval; an anomaly becomes a traffic.anomaly event at most once
 * per topic and kind per 10 seconds, carrying the count since the last.
 *
 * monitor_check is the pure part (unit-tested, fuzzed): one message in, one
 * result out.
 */
#ifndef E4C2_MONITOR_H
#define E4C2_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "publisher.h"
#include "store_auto.h"

#define MONITOR_REPLAY_CACHE 2048 /* recent valid messages remembered per topic */
/* a claimed time further than this from the clock: not an E4 message */
#define MONITOR_PLAUSIBLE_S (366LL * 86400)

/* What checking a message needs: the topic's keys, the mode and suite, the
 * clock, and (PK modes) a way to find a signer's signing keys (0 found, -1
 * unknown). */
typedef struct monitor_keys {
    uint8_t key[E4_KEY_LEN];
    int has_prev;
    uint8_t prev_key[E4_KEY_LEN];
    c2_mode mode;
    e4_suite suite;
    uint32_t clock_skew;
    int (*pubkey)(void *ctx, const uint8_t id[E4_ID_LEN], uint8_t pk[C2_SIGN_PK_MAX]);
    void *pubkey_ctx;
} monitor_keys;

/* A per-topic memory of recent valid messages (keyed hashes). */
typedef struct monitor_replay {
    uint8_t hash_key[16];
    uint64_t seen[MONITOR_REPLAY_CACHE];
    size_t next, n;
} monitor_replay;

void monitor_replay_init(monitor_replay *r);

/* Classify one message. scratch (scratch_len >= len) receives the opened
 * payload and is wiped before returning. *skew gets |now - claimed time| and
 * *has_skew 1 when the message looks like E4 (a plausible time). */
c2_traffic_result monitor_check(const monitor_keys *k, monitor_replay *rp, const uint8_t *msg,
                                size_t len, uint64_t now, uint8_t *scratch, size_t scratch_len,
                                int64_t *skew, int *has_skew);
/* The skew bucket of a distance in seconds (0..C2_SKEW_BUCKETS-1). */
int monitor_skew_bucket(int64_t skew);

typedef struct monitor monitor;

typedef struct monitor_config {
    const publisher_config *broker;
    int flush_s;         /* seconds between flushes to the database (1..60) */
    uint32_t clock_skew; /* seconds a message may be ahead of the clock */
} monitor_config;

monitor *monitor_start(const monitor_config *cfg, store_pool *pool, c2_error *e);
void monitor_stop(monitor *m);

#endif
