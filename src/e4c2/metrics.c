/*
 * metrics: process-wide counters and the Prometheus text exposition
 * (format 0.0.4) served at /metrics.
 */
#include "metrics.h"

#include "store_auto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

c2_metrics g_metrics;

#define X_STATUS(code) code,
static const int STATUSES[] = {METRICS_STATUSES(X_STATUS)};
#undef X_STATUS
#define N_STATUSES (sizeof STATUSES / sizeof STATUSES[0])

_Static_assert(N_STATUSES + 1 <= sizeof g_metrics.api_by_status / sizeof g_metrics.api_by_status[0],
               "api_by_status has a slot per status and one for the others");

/* Upper bounds of the rotation histogram's buckets, in microseconds (the
 * last bucket, +Inf, has none). */
static const uint64_t BUCKET_US[] = {1000, 10000, 100000, 1000000, 10000000, 60000000, 600000000};
static const char *const BUCKET_LE[] = {"0.001", "0.01", "0.1", "1", "10", "60", "600", "+Inf"};
#define N_BUCKETS (sizeof g_metrics.rotation_buckets / sizeof g_metrics.rotation_buckets[0])

_Static_assert(sizeof BUCKET_US / sizeof BUCKET_US[0] + 1 == N_BUCKETS, "bucket bounds");
_Static_assert(sizeof BUCKET_LE / sizeof BUCKET_LE[0] == N_BUCKETS, "bucket labels");

void metrics_api_request(int http_status)
{
    size_t i = 0;
    while (i < N_STATUSES && STATUSES[i] != http_status)
        i++;
    atomic_fetch_add(&g_metrics.api_by_status[i], 1);
}

void metrics_rotation(uint64_t micros)
{
    size_t i = 0;
    while (i + 1 < N_BUCKETS && micros > BUCKET_US[i])
        i++;
    atomic_fetch_add(&g_metrics.rotations, 1);
    atomic_fetch_add(&g_metrics.rotation_us_sum, micros);
    atomic_fetch_add(&g_metrics.rotation_buckets[i], 1);
}

void metrics_policy_check(void)
{
    atomic_fetch_add(&g_metrics.policy_checks, 1);
}

void metrics_policy_run(int client, int failed)
{
    atomic_fetch_add(
        failed ? &g_metrics.policy_failures[client != 0] : &g_metrics.policy_runs[client != 0], 1);
}

/* ---- the exposition ------------------------------------------------------- */

typedef struct text {
    char *s;
    size_t len, cap;
    int oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    int n;
    for (int tries = 0; tries < 2 && !t->oom; tries++) {
        va_start(ap, fmt);
        n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n + 1;
        char *p = n < 0 ? NULL : realloc(t->s, cap);
        if (!p)
            t->oom = 1;
        else {
            t->s = p;
            t->cap = cap;
        }
    }
}

static void metric(text *t, const char *name, const char *type, const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(text *t, const char *name, const char *help, long long v)
{
    metric(t, name, "gauge", help);
    put(t, "%s %lld\n", name, v);
}

static void counter(text *t, const char *name, const char *help, unsigned long long v)
{
    metric(t, name, "counter", help);
    put(t, "%s %llu\n", name, v);
}

static void store_gauges(text *t, store *s)
{
    c2_status st;
    c2_error e = {0};
    memset(&st, 0, sizeof st);
    if (!s || store_status(s, &st, &e) != C2_OK)
        return; /* the database is away: the process counters still help */
    gauge(t, "e4c2_clients", "Clients registered.", st.clients);
    gauge(t, "e4c2_topics", "Topics registered.", st.topics);
    gauge(t, "e4c2_memberships", "Client-topic memberships.", st.memberships);
    gauge(t, "e4c2_outbox_pending", "Commands waiting in the outbox.", st.outbox_pending);
    gauge(t, "e4c2_outbox_oldest_age_seconds", "Age of the oldest pending command.",
          st.outbox_oldest_age);
    metric(t, "e4c2_clients_by_sync", "gauge", "Clients by sync status (receipts).");
    for (int i = 0; i < C2_SYNC_COUNT; i++)
        put(t, "e4c2_clients_by_sync{status=\"%s\"} %lld\n", c2_sync_name((c2_sync)i),
            (long long)st.sync[i]);
}

static void receipts(text *t)
{
    metric(t, "e4c2_receipts_total", "counter", "Receipts accepted, by kind and outcome.");
    put(t, "e4c2_receipts_total{kind=\"applied\"} %llu\n",
        (unsigned long long)atomic_load(&g_metrics.receipts_applied));
    put(t, "e4c2_receipts_total{kind=\"refused\"} %llu\n",
        (unsigned long long)atomic_load(&g_metrics.receipts_refused));
    put(t, "e4c2_receipts_total{kind=\"state\"} %llu\n",
        (unsigned long long)atomic_load(&g_metrics.receipts_state));
    metric(t, "e4c2_receipts_rejected_total", "counter", "Receipts not acted upon, by reason.");
#define REJECTED(name)                                                  \
    put(t, "e4c2_receipts_rejected_total{reason=\"" #name "\"} %llu\n", \
        (unsigned long long)atomic_load(&g_metrics.receipts_rejected[SYNC_REJECT_##name]));
    SYNC_REJECT_REASONS(REJECTED)
#undef REJECTED
    counter(t, "e4c2_repairs_total", "State repairs queued.", atomic_load(&g_metrics.repairs));
    counter(t, "e4c2_repair_differences_total",
            "Differences the repairs covered (one command each).",
            atomic_load(&g_metrics.repair_commands));
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void put_label(text *t, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            put(t, "\\%c", *v);
        else if (*v == '\n')
            put(t, "\\n");
        else
            put(t, "%c", *v);
    }
}

struct traffic_acc {
    text *t;
    int64_t skew[C2_SKEW_BUCKETS];
    int64_t skew_sum;
};

static int traffic_topic(void *ctx, const c2_traffic *tr)
{
    struct traffic_acc *a = ctx;
    for (int r = 0; r < C2_TR_COUNT; r++) {
        put(a->t, "e4c2_traffic_messages_total{topic=\"");
        put_label(a->t, tr->topic);
        put(a->t, "\",result=\"%s\"} %lld\n", c2_traffic_result_name((c2_traffic_result)r),
            (long long)tr->counts[r]);
    }
    for (int i = 0; i < C2_SKEW_BUCKETS; i++)
        a->skew[i] += tr->skew[i];
    a->skew_sum += tr->skew_sum;
    return 0;
}

/* From the database (what every process flushed): the same numbers in
 * every e4c2 on it. At most the first 1,000 monitored topics. */
static void traffic_metrics(text *t, store *s)
{
    struct traffic_acc a = {t, {0}, 0};
    c2_page pg = {0, 1000, NULL};
    int64_t total = 0, cumulative = 0;
    c2_error e = {0};
    const char *name = "e4c2_traffic_skew_seconds";
    metric(t, "e4c2_traffic_messages_total", "counter",
           "Messages seen on monitored topics, by result.");
    if (!s || store_monitoring_list(s, &pg, traffic_topic, &a, &total, &e) != C2_OK)
        return;
    metric(t, name, "histogram", "Distance of monitored messages' timestamps from the clock.");
    for (int i = 0; i < C2_SKEW_BUCKETS; i++) {
        cumulative += a.skew[i];
        if (i + 1 < C2_SKEW_BUCKETS)
            put(t, "%s_bucket{le=\"%lld\"} %lld\n", name, (long long)C2_SKEW_LE[i],
                (long long)cumulative);
        else
            put(t, "%s_bucket{le=\"+Inf\"} %lld\n", name, (long long)cumulative);
    }
    put(t, "%s_sum %lld\n", name, (long long)a.skew_sum);
    put(t, "%s_count %lld\n", name, (long long)cumulative);
}

static void policies(text *t)
{
    static const char *const kinds[] = {"topic", "client"};
    metric(t, "e4c2_policy_runs_total", "counter",
           "Rotation policies run (rotations and rekeys they made).");
    for (int i = 0; i < 2; i++)
        put(t, "e4c2_policy_runs_total{kind=\"%s\"} %llu\n", kinds[i],
            (unsigned long long)atomic_load(&g_metrics.policy_runs[i]));
    metric(t, "e4c2_policy_failures_total", "counter",
           "Policy runs that failed (retried with backoff).");
    for (int i = 0; i < 2; i++)
        put(t, "e4c2_policy_failures_total{kind=\"%s\"} %llu\n", kinds[i],
            (unsigned long long)atomic_load(&g_metrics.policy_failures[i]));
    metric(t, "e4c2_policy_checks_total", "counter",
           "Scheduler passes that found no (more) policy due.");
    put(t, "e4c2_policy_checks_total %llu\n",
        (unsigned long long)atomic_load(&g_metrics.policy_checks));
}

static void api_requests(text *t)
{
    metric(t, "e4c2_api_requests_total", "counter", "HTTP API responses by status.");
    for (size_t i = 0; i <= N_STATUSES; i++) {
        unsigned long long v = atomic_load(&g_metrics.api_by_status[i]);
        if (i < N_STATUSES)
            put(t, "e4c2_api_requests_total{status=\"%d\"} %llu\n", STATUSES[i], v);
        else
            put(t, "e4c2_api_requests_total{status=\"other\"} %llu\n", v);
    }
}

static void rotation_histogram(text *t)
{
    unsigned long long cumulative = 0;
    const char *name = "e4c2_rotation_duration_seconds";
    metric(t, name, "histogram", "Time to commit a topic rotation and its commands.");
    for (size_t i = 0; i < N_BUCKETS; i++) {
        cumulative += atomic_load(&g_metrics.rotation_buckets[i]);
        put(t, "%s_bucket{le=\"%s\"} %llu\n", name, BUCKET_LE[i], cumulative);
    }
    put(t, "%s_sum %.6f\n", name, (double)atomic_load(&g_metrics.rotation_us_sum) / 1e6);
    put(t, "%s_count %llu\n", name, cumulative);
}

char *metrics_render(store *s)
{
    text t = {malloc(4096), 0, 4096, 0};
    if (!t.s)
        return NULL;
    t.s[0] = 0;
    store_gauges(&t, s);
    counter(&t, "e4c2_commands_sent_total", "Commands delivered to the broker.",
            atomic_load(&g_metrics.commands_sent));
    counter(&t, "e4c2_send_failures_total", "Publishes refused or lost with the connection.",
            atomic_load(&g_metrics.send_failures));
    gauge(&t, "e4c2_broker_connected", "1 when the publisher is connected to the broker.",
          (long long)atomic_load(&g_metrics.broker_connected));
    api_requests(&t);
    rotation_histogram(&t);
    receipts(&t);
    policies(&t);
    traffic_metrics(&t, s);
    if (t.oom) {
        free(t.s);
        return NULL;
    }
    return t.s;
}
