/*
 * store_auto: rotation policies, traffic monitoring records and the
 * overview's chart history (issue 8), on the same store as store.h.
 *
 * Policies run through the same operations and outbox as manual rotations
 * and rekeys. Several e4c2 on one database: a due policy is claimed in a
 * transaction (PostgreSQL: FOR UPDATE SKIP LOCKED) that moves its due time
 * past a lease, so exactly one process runs it; a run that fails is
 * recorded and retried with backoff.
 *
 * Monitoring: what the monitor (monitor.c) counted is added to per-topic
 * totals and per-minute rows; only one process monitors at a time (a lease
 * row). No payload byte ever reaches these tables.
 */
#ifndef E4C2_STORE_AUTO_H
#define E4C2_STORE_AUTO_H

#include "store.h"

#define C2_INTERVAL_MIN 60                   /* seconds */
#define C2_INTERVAL_MAX (10LL * 366 * 86400) /* ten years */

typedef enum c2_policy_kind { C2_POLICY_TOPIC = 1, C2_POLICY_CLIENT = 2 } c2_policy_kind;

typedef struct c2_policy {
    c2_policy_kind kind;
    char target[E4_TOPIC_MAX + 1]; /* topic name, or client name */
    int exists;                    /* 0: no row, the defaults */
    int64_t every;                 /* rotate_every (topic) / rekey_every (client); 0 = none */
    int64_t max_age;               /* topic: rotate when the key is older; 0 = none */
    int on_join, on_leave;         /* topic: rotate on a join / on a leave (default 0 / 1) */
    int64_t next_due, last_run;    /* unix seconds; 0 = none */
    char last_error[256];          /* "" = none */
    int64_t failures;              /* consecutive failed runs */
} c2_policy;

/* The policy of a topic or client (defaults when it has none); 404 when
 * the topic or client does not exist. */
c2_err store_policy_get(store *s, c2_policy_kind kind, const char *target, c2_policy *out,
                        c2_error *e);
/* Create or replace (in->kind, in->target): every, max_age, on_join,
 * on_leave; intervals 0 or C2_INTERVAL_MIN..MAX. out gets the result. */
c2_err store_policy_set(store *s, const c2_policy *in, c2_policy *out, c2_error *e);
/* Back to the defaults. */
c2_err store_policy_clear(store *s, c2_policy_kind kind, const char *target, c2_error *e);
c2_err store_policy_list(store *s, const c2_page *pg, int (*each)(void *, const c2_policy *),
                         void *ctx, int64_t *total, c2_error *e);

/* The result of one scheduler step. */
typedef struct c2_policy_run {
    int ran;    /* a due policy was claimed */
    int failed; /* ... and its run failed (recorded, retried later) */
    c2_policy_kind kind;
    char error[256];
} c2_policy_run;

/* Claim the most overdue policy (if any) and run it now. */
c2_err store_policy_run_due(store *s, c2_policy_run *out, c2_error *e);

/* Inside a topic's join/leave transaction: its on_join / on_leave (the
 * defaults without a policy). */
int topic_policy_flag(store *s, int64_t topic_rowid, int join);

/* ---- monitoring ------------------------------------------------------------ */

/* What the monitor counts, in this order everywhere (API, metrics, table). */
#define C2_TRAFFIC_RESULTS(X) \
    X(valid) X(unprotected) X(not_authentic) X(replayed) X(too_old) X(in_future) X(unknown_signer)

typedef enum c2_traffic_result {
#define C2_TR_ENUM(name) C2_TR_##name,
    C2_TRAFFIC_RESULTS(C2_TR_ENUM)
#undef C2_TR_ENUM
        C2_TR_COUNT
} c2_traffic_result;
const char *c2_traffic_result_name(c2_traffic_result r);

/* Skew buckets: |now - message time| <= le seconds; the last is +Inf. */
#define C2_SKEW_BUCKETS 8
extern const int64_t C2_SKEW_LE[C2_SKEW_BUCKETS - 1]; /* 1 5 30 60 300 600 3600 */

typedef struct c2_traffic {
    char topic[E4_TOPIC_MAX + 1];
    int enabled;
    int64_t since;
    int64_t counts[C2_TR_COUNT];
    int64_t skew[C2_SKEW_BUCKETS];
    int64_t skew_sum;   /* seconds, summed over the messages in skew[] */
    double rate;        /* messages per second over the last minute */
    char last_kind[24]; /* "" = none */
    int64_t last_at;
    int64_t hist_at[60], hist_valid[60], hist_anomalies[60]; /* last 60 minutes */
    int nhist;
} c2_traffic;

/* Turn monitoring of a topic on or off (events monitor.on / monitor.off);
 * turning it on again keeps the counts. */
c2_err store_monitor_set(store *s, const char *topic, int enabled, c2_error *e);
/* A topic's traffic record (enabled 0 and zeros when never monitored). */
c2_err store_traffic_get(store *s, const char *topic, c2_traffic *out, c2_error *e);
/* Every monitored topic's counts and rate (no history). */
c2_err store_monitoring_list(store *s, const c2_page *pg, int (*each)(void *, const c2_traffic *),
                             void *ctx, int64_t *total, c2_error *e);

/* One topic's counts since the last flush. */
typedef struct c2_traffic_delta {
    int64_t topic_rowid;
    int64_t counts[C2_TR_COUNT];
    int64_t skew[C2_SKEW_BUCKETS];
    int64_t skew_sum;
    int last_kind; /* c2_traffic_result, or -1 */
    int64_t last_at;
    int64_t minute; /* the minute (unix seconds, floor 60) counted in */
} c2_traffic_delta;

/* Add the deltas to the totals and minute rows, in one transaction; rows
 * older than two hours are dropped. */
c2_err store_traffic_flush(store *s, const c2_traffic_delta *d, size_t n, c2_error *e);
/* Take or renew the monitoring lease for owner (ttl seconds): 1 if ours. */
c2_err store_monitor_lease(store *s, const char *owner, int64_t ttl, int *ours, c2_error *e);
void store_monitor_release(store *s, const char *owner);

/* A monitored topic with the keys to check its messages (wiped by the
 * caller). has_prev: the previous key, within E4_TRANSITION_TTL of the
 * rotation. */
typedef struct c2_monitored {
    int64_t rowid;
    char name[E4_TOPIC_MAX + 1];
    int64_t version;
    uint8_t key[E4_KEY_LEN];
    int has_prev;
    uint8_t prev_key[E4_KEY_LEN];
} c2_monitored;
c2_err store_monitored_topics(store *s, int (*each)(void *, const c2_monitored *), void *ctx,
                              c2_error *e);
/* PK modes: the signing keys of the client with this id (suite.h:
 * c2_client_sign_pk_len bytes); *found 1 or 0. */
c2_err store_client_pubkey(store *s, const uint8_t id[E4_ID_LEN], uint8_t pk[C2_SIGN_PK_MAX],
                           int *found, c2_error *e);
/* Record an event (traffic.anomaly) outside an operation. */
c2_err store_event(store *s, const char *type, const char *data, c2_error *e);

/* ---- the overview's chart ------------------------------------------------- */

typedef struct c2_hour {
    int64_t at; /* the hour's start, unix seconds */
    int64_t queued, sent, rotations;
} c2_hour;
/* The last `hours` hours (1..168), oldest first: out holds hours entries. */
c2_err store_stats_history(store *s, int hours, c2_hour *out, c2_error *e);

#endif
