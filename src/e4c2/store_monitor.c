/* Traffic monitoring's records: switch, counts, history, lease, keys. */
#include "store_auto.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* ---- on and off ------------------------------------------------------------ */

struct monitor_arg {
    const char *topic;
    int enabled;
};

static c2_err monitor_tx(store *s, void *arg, c2_error *e)
{
    struct monitor_arg *a = arg;
    char data[E4_TOPIC_MAX * 6 + 32], esc[E4_TOPIC_MAX * 6 + 1];
    topic_row t;
    db_val p[3];
    if (topic_resolve(s, a->topic, &t, e) != C2_OK)
        return e->code;
    p[0] = DB_INT(t.rowid);
    p[1] = DB_INT(a->enabled);
    p[2] = DB_INT(now_s());
    /* counts are kept across off and on; since is when they began */
    if (db_exec(s->d,
                "INSERT INTO monitors (topic_id, enabled, since) VALUES ($1, $2, $3)"
                " ON CONFLICT (topic_id) DO UPDATE SET enabled = $2",
                p, 3) != 1)
        return db_error(s, e, "cannot change the topic's monitoring");
    json_escape(esc, sizeof esc, t.t.name);
    snprintf(data, sizeof data, "{\"topic\":\"%s\"}", esc);
    return event_add(s, a->enabled ? "monitor.on" : "monitor.off", data, e);
}

c2_err store_monitor_set(store *s, const char *topic, int enabled, c2_error *e)
{
    struct monitor_arg a = {topic, enabled != 0};
    return store_tx(s, monitor_tx, &a, e);
}

/* ---- reading ---------------------------------------------------------------- */

#define TRAFFIC_COLUMNS                                                                           \
    "t.name, m.enabled, m.since, m.valid, m.unprotected, m.not_authentic, m.replayed, m.too_old," \
    " m.in_future, m.unknown_signer, m.last_kind, m.last_at, t.id, m.skew0, m.skew1, m.skew2, "   \
    "m.skew3,"                                                                                    \
    " m.skew4, m.skew5, m.skew6, m.skew7, m.skew_sum"

static void traffic_read(db_rows *r, c2_traffic *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->topic, sizeof out->topic, "%s", db_text(r, 0));
    out->enabled = (int)db_int(r, 1);
    out->since = db_int(r, 2);
    for (int i = 0; i < C2_TR_COUNT; i++)
        out->counts[i] = db_int(r, 3 + i);
    snprintf(out->last_kind, sizeof out->last_kind, "%s", db_is_null(r, 10) ? "" : db_text(r, 10));
    out->last_at = db_is_null(r, 11) ? 0 : db_int(r, 11);
    for (int i = 0; i < C2_SKEW_BUCKETS; i++)
        out->skew[i] = db_int(r, 13 + i);
    out->skew_sum = db_int(r, 13 + C2_SKEW_BUCKETS);
}

/* The last 60 minutes of one topic: history (every minute, zeros where
 * nothing came) and the rate of the last complete minute. */
static c2_err traffic_history(store *s, int64_t topic_id, c2_traffic *out, int history, c2_error *e)
{
    int64_t now = now_s(), minute = now - now % 60;
    db_val p[2] = {DB_INT(topic_id), DB_INT(minute - 59 * 60)};
    db_rows *r = NULL;
    int rc;
    out->nhist = history ? 60 : 0;
    for (int i = 0; i < out->nhist; i++)
        out->hist_at[i] = minute - (59 - i) * 60;
    if (db_query(s->d, &r,
                 "SELECT at, valid, anomalies FROM traffic_minutes WHERE topic_id = $1 AND at >= $2"
                 " ORDER BY at",
                 p, 2) != DB_OK)
        return db_error(s, e, "cannot read the traffic history");
    while ((rc = db_next(r)) == 1) {
        int64_t at = db_int(r, 0), n = db_int(r, 1) + db_int(r, 2);
        if (at == minute - 60 || (at == minute && !out->rate))
            out->rate = (double)n / (at == minute ? (double)(now - minute + 1) : 60.0);
        int64_t i = (at - (minute - 59 * 60)) / 60;
        if (history && i >= 0 && i < 60) {
            out->hist_valid[i] = db_int(r, 1);
            out->hist_anomalies[i] = db_int(r, 2);
        }
    }
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, "cannot read the traffic history") : C2_OK;
}

c2_err store_traffic_get(store *s, const char *topic, c2_traffic *out, c2_error *e)
{
    topic_row t;
    db_val p[1];
    db_rows *r = NULL;
    int rc;
    if (topic_resolve(s, topic, &t, e) != C2_OK)
        return e->code;
    memset(out, 0, sizeof *out);
    snprintf(out->topic, sizeof out->topic, "%s", t.t.name);
    p[0] = DB_INT(t.rowid);
    if (db_query(s->d, &r,
                 "SELECT " TRAFFIC_COLUMNS " FROM monitors m JOIN topics t ON t.id = m.topic_id"
                 " WHERE m.topic_id = $1",
                 p, 1) != DB_OK)
        return db_error(s, e, "cannot read the topic's traffic");
    rc = db_next(r);
    if (rc == 1)
        traffic_read(r, out);
    db_rows_free(r);
    if (rc < 0)
        return db_error(s, e, "cannot read the topic's traffic");
    return traffic_history(s, t.rowid, out, 1, e);
}

struct traffic_emit {
    store *s;
    int (*each)(void *, const c2_traffic *);
    void *ctx;
    c2_traffic *rows;
    int64_t *ids;
    int n;
};

static int collect_traffic(db_rows *r, void *arg)
{
    struct traffic_emit *te = arg;
    traffic_read(r, &te->rows[te->n]);
    te->ids[te->n++] = db_int(r, 12);
    return 0;
}

c2_err store_monitoring_list(store *s, const c2_page *pg, int (*each)(void *, const c2_traffic *),
                             void *ctx, int64_t *total, c2_error *e)
{
    int64_t limit = pg && pg->limit ? pg->limit : 100;
    struct traffic_emit te = {s, each, ctx, NULL, NULL, 0};
    db_val p[2];
    c2_err rc = C2_OK;
    if (limit < 1 || limit > 1000)
        return set_error(e, C2_INVALID, "limit must be between 1 and 1000");
    te.rows = calloc((size_t)limit, sizeof *te.rows);
    te.ids = calloc((size_t)limit, sizeof *te.ids);
    if (!te.rows || !te.ids)
        rc = set_error(e, C2_INTERNAL, "out of memory");
    /* the page is read whole before the rates: one result set at a time */
    if (rc == C2_OK)
        rc = page_query(s, "cannot list monitored topics", TRAFFIC_COLUMNS,
                        "FROM monitors m JOIN topics t ON t.id = m.topic_id WHERE m.enabled = 1",
                        "t.name", p, 0, pg, total, collect_traffic, &te, e);
    for (int i = 0; rc == C2_OK && i < te.n; i++)
        if ((rc = traffic_history(s, te.ids[i], &te.rows[i], 0, e)) == C2_OK &&
            each(ctx, &te.rows[i]))
            break;
    free(te.rows);
    free(te.ids);
    return rc;
}
