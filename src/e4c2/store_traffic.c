/* Traffic monitoring's writes (counts, lease, events) and what the monitor
 * reads (keys), and the overview's hourly history. */
#include "store_auto.h"
#include "store_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define HISTORY_KEEP 7200 /* seconds of minute rows kept */

/* ---- flushing ------------------------------------------------------------------ */

static c2_err flush_one(store *s, const c2_traffic_delta *d, c2_error *e)
{
    int64_t anomalies = 0, n;
    db_val p[19] = {DB_INT(d->topic_rowid)};
    for (int i = 1; i < C2_TR_COUNT; i++)
        anomalies += d->counts[i];
    for (int i = 0; i < C2_TR_COUNT; i++)
        p[1 + i] = DB_INT(d->counts[i]);
    for (int i = 0; i < C2_SKEW_BUCKETS; i++)
        p[10 + i] = DB_INT(d->skew[i]);
    p[8] = d->last_kind >= 0 ? DB_TEXT(c2_traffic_result_name((c2_traffic_result)d->last_kind))
                             : DB_NULLV;
    p[9] = d->last_kind >= 0 ? DB_INT(d->last_at) : DB_NULLV;
    p[18] = DB_INT(d->skew_sum);
    if (db_exec(
            s->d,
            "UPDATE monitors SET valid = valid + $2, unprotected = unprotected + $3,"
            " not_authentic = not_authentic + $4, replayed = replayed + $5, too_old = too_old + $6,"
            " in_future = in_future + $7, unknown_signer = unknown_signer + $8,"
            " last_kind = COALESCE($9, last_kind), last_at = COALESCE($10, last_at),"
            " skew0 = skew0 + $11, skew1 = skew1 + $12, skew2 = skew2 + $13, skew3 = skew3 + $14,"
            " skew4 = skew4 + $15, skew5 = skew5 + $16, skew6 = skew6 + $17, skew7 = skew7 + $18,"
            " skew_sum = skew_sum + $19 WHERE topic_id = $1",
            p, 19) < 0)
        return db_error(s, e, "cannot record traffic");
    p[1] = DB_INT(d->minute);
    p[2] = DB_INT(d->counts[C2_TR_valid]);
    p[3] = DB_INT(anomalies);
    n = db_exec(s->d,
                "INSERT INTO traffic_minutes (topic_id, at, valid, anomalies) SELECT $1, $2, $3, $4"
                " WHERE EXISTS (SELECT 1 FROM topics WHERE id = $1)"
                " ON CONFLICT (topic_id, at) DO UPDATE SET valid = traffic_minutes.valid + $3,"
                " anomalies = traffic_minutes.anomalies + $4",
                p, 4);
    return n < 0 ? db_error(s, e, "cannot record traffic") : C2_OK;
}

struct flush_arg {
    const c2_traffic_delta *d;
    size_t n;
};

static c2_err flush_tx(store *s, void *arg, c2_error *e)
{
    struct flush_arg *a = arg;
    db_val p[1] = {DB_INT(now_s() - HISTORY_KEEP)};
    for (size_t i = 0; i < a->n; i++)
        if (flush_one(s, &a->d[i], e) != C2_OK)
            return e->code;
    if (db_exec(s->d, "DELETE FROM traffic_minutes WHERE at < $1", p, 1) < 0)
        return db_error(s, e, "cannot trim the traffic history");
    return C2_OK;
}

c2_err store_traffic_flush(store *s, const c2_traffic_delta *d, size_t n, c2_error *e)
{
    struct flush_arg a = {d, n};
    return n ? store_tx(s, flush_tx, &a, e) : C2_OK;
}

/* ---- the lease ------------------------------------------------------------------- */

struct lease_arg {
    const char *owner;
    int64_t ttl;
    int *ours;
};

static c2_err lease_tx(store *s, void *arg, c2_error *e)
{
    struct lease_arg *a = arg;
    int64_t now = now_s(), n;
    db_val p[3] = {DB_TEXT(a->owner), DB_INT(now + a->ttl), DB_INT(now)};
    n = db_exec(s->d,
                "UPDATE monitor_lease SET owner = $1, until = $2 WHERE id = 1 AND (owner = $1 OR "
                "until < $3)",
                p, 3);
    if (n == 0)
        n = db_exec(s->d,
                    "INSERT INTO monitor_lease (id, owner, until) VALUES (1, $1, $2) ON CONFLICT "
                    "(id) DO NOTHING",
                    p, 2);
    if (n < 0)
        return db_error(s, e, "cannot take the monitoring lease");
    *a->ours = n == 1;
    return C2_OK;
}

c2_err store_monitor_lease(store *s, const char *owner, int64_t ttl, int *ours, c2_error *e)
{
    struct lease_arg a = {owner, ttl, ours};
    *ours = 0;
    return store_tx(s, lease_tx, &a, e);
}

void store_monitor_release(store *s, const char *owner)
{
    db_val p[1] = {DB_TEXT(owner)};
    db_exec(s->d, "DELETE FROM monitor_lease WHERE id = 1 AND owner = $1", p, 1);
}

struct event_arg {
    const char *type, *data;
};

static c2_err event_tx(store *s, void *arg, c2_error *e)
{
    struct event_arg *a = arg;
    return event_add(s, a->type, a->data, e);
}

c2_err store_event(store *s, const char *type, const char *data, c2_error *e)
{
    struct event_arg a = {type, data};
    return store_tx(s, event_tx, &a, e);
}

/* ---- what the monitor needs ------------------------------------------------------ */

static c2_err monitored_row(store *s, db_rows *r, c2_monitored *m, c2_error *e)
{
    topic_row t;
    size_t prev_len = 0;
    const uint8_t *prev;
    memset(m, 0, sizeof *m);
    topic_read(r, 0, &t);
    m->rowid = t.rowid;
    m->version = t.t.version;
    snprintf(m->name, sizeof m->name, "%s", t.t.name);
    if (topic_key(s, &t, m->key, e) != C2_OK)
        return e->code;
    prev = db_blob(r, 8, &prev_len);
    /* the previous key, while devices may still use it (libe4 keeps an old
     * key as long) */
    if (prev && prev_len == sizeof t.key_sealed && t.t.version > 1 &&
        db_int(r, 9) + E4_TRANSITION_TTL > now_s()) {
        memcpy(t.key_sealed, prev, prev_len);
        t.t.version--;
        m->has_prev = topic_key(s, &t, m->prev_key, e) == C2_OK;
    }
    return C2_OK;
}

c2_err store_monitored_topics(store *s, int (*each)(void *, const c2_monitored *), void *ctx,
                              c2_error *e)
{
    db_rows *r = NULL;
    c2_monitored m;
    int rc;
    c2_err err = C2_OK;
    if (db_query(s->d, &r,
                 "SELECT " TOPIC_COLUMNS ", t.prev_key_sealed, t.rotated_at FROM monitors m"
                 " JOIN topics t ON t.id = m.topic_id WHERE m.enabled = 1 ORDER BY t.id",
                 NULL, 0) != DB_OK)
        return db_error(s, e, "cannot read the monitored topics");
    while ((rc = db_next(r)) == 1) {
        err = monitored_row(s, r, &m, e);
        if (err == C2_OK && each(ctx, &m))
            rc = 0;
        sodium_memzero(&m, sizeof m);
        if (err != C2_OK || rc == 0)
            break;
    }
    db_rows_free(r);
    if (err != C2_OK)
        return err;
    return rc < 0 ? db_error(s, e, "cannot read the monitored topics") : C2_OK;
}

c2_err store_client_pubkey(store *s, const uint8_t id[E4_ID_LEN], uint8_t pk[C2_SIGN_PK_MAX],
                           int *found, c2_error *e)
{
    db_rows *r = NULL;
    db_val p[1] = {DB_BLOB(id, E4_ID_LEN)};
    size_t len = 0;
    const uint8_t *b;
    int rc;
    *found = 0;
    if (db_query(s->d, &r, "SELECT pubkey FROM clients WHERE eid = $1", p, 1) != DB_OK)
        return db_error(s, e, "cannot read a public key");
    rc = db_next(r);
    if (rc == 1 && (b = db_blob(r, 0, &len)) && len == c2_client_pk_len(s->suite)) {
        memcpy(pk, b, c2_client_sign_pk_len(s->suite));
        *found = 1;
    }
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, "cannot read a public key") : C2_OK;
}

/* ---- the overview's chart ------------------------------------------------- */

/* Add per-hour counts of sql ($1 = since) into field at offset off. */
static c2_err hourly(store *s, const char *sql, int64_t since, c2_hour *out, int hours, size_t off,
                     c2_error *e)
{
    db_rows *r = NULL;
    db_val p[1] = {DB_INT(since)};
    int rc;
    if (db_query(s->d, &r, sql, p, 1) != DB_OK)
        return db_error(s, e, "cannot read the history");
    while ((rc = db_next(r)) == 1) {
        int64_t i = (db_int(r, 0) - since) / 3600;
        if (i >= 0 && i < hours)
            *(int64_t *)((char *)&out[i] + off) += db_int(r, 1);
    }
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, "cannot read the history") : C2_OK;
}

c2_err store_stats_history(store *s, int hours, c2_hour *out, c2_error *e)
{
    int64_t now = now_s(), since = now - now % 3600 - (int64_t)(hours - 1) * 3600;
    if (hours < 1 || hours > 168)
        return set_error(e, C2_INVALID, "hours must be from 1 to 168");
    for (int i = 0; i < hours; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].at = since + (int64_t)i * 3600;
    }
    if (hourly(s,
               "SELECT created - created % 3600 AS h, count(*) FROM outbox WHERE created >= $1 "
               "GROUP BY h",
               since, out, hours, offsetof(c2_hour, queued), e) != C2_OK ||
        hourly(s,
               "SELECT sent_at - sent_at % 3600 AS h, count(*) FROM outbox WHERE sent_at >= $1 "
               "GROUP BY h",
               since, out, hours, offsetof(c2_hour, sent), e) != C2_OK ||
        hourly(s, "SELECT at, n FROM rotations_hourly WHERE at >= $1", since, out, hours,
               offsetof(c2_hour, rotations), e) != C2_OK)
        return e->code;
    return C2_OK;
}
