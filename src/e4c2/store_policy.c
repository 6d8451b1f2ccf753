/* Rotation policies: set, show, list, and the scheduler's claim and run. */
#include "store_auto.h"
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"

#define POLICY_COLUMNS                                                                         \
    "p.kind, COALESCE(t.name, c.name), p.every, p.max_age, p.on_join, p.on_leave, p.next_due," \
    " p.last_run, p.last_error, p.failures"
#define POLICY_FROM                                                                          \
    "FROM policies p LEFT JOIN topics t ON t.id = p.topic_id LEFT JOIN clients c ON c.id = " \
    "p.client_id"

static void policy_defaults(c2_policy *p, c2_policy_kind kind, const char *target)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->on_leave = 1;
    snprintf(p->target, sizeof p->target, "%s", target);
}

static int64_t opt_int(db_rows *r, int col)
{
    return db_is_null(r, col) ? 0 : db_int(r, col);
}

static void policy_read(db_rows *r, c2_policy *p)
{
    policy_defaults(p, (c2_policy_kind)db_int(r, 0), db_text(r, 1) ? db_text(r, 1) : "");
    p->exists = 1;
    p->every = opt_int(r, 2);
    p->max_age = opt_int(r, 3);
    p->on_join = (int)db_int(r, 4);
    p->on_leave = (int)db_int(r, 5);
    p->next_due = opt_int(r, 6);
    p->last_run = opt_int(r, 7);
    snprintf(p->last_error, sizeof p->last_error, "%s", db_is_null(r, 8) ? "" : db_text(r, 8));
    p->failures = db_int(r, 9);
}

/* The row id of the topic or client a policy is about. */
static c2_err subject_rowid(store *s, c2_policy_kind kind, const char *target, int64_t *rowid,
                            c2_error *e)
{
    if (kind == C2_POLICY_TOPIC) {
        topic_row t;
        if (topic_resolve(s, target, &t, e) != C2_OK)
            return e->code;
        *rowid = t.rowid;
    } else {
        client_row c;
        if (client_resolve(s, target, &c, e) != C2_OK)
            return e->code;
        *rowid = c.rowid;
    }
    return C2_OK;
}

static const char *subject_column(c2_policy_kind kind)
{
    return kind == C2_POLICY_TOPIC ? "p.topic_id" : "p.client_id";
}

/* The stored policy of a subject, or the defaults (name kept). */
static c2_err policy_of(store *s, c2_policy_kind kind, int64_t rowid, const char *target,
                        c2_policy *out, c2_error *e)
{
    char sql[512];
    db_rows *r = NULL;
    db_val p[1] = {DB_INT(rowid)};
    int rc;
    policy_defaults(out, kind, target);
    snprintf(sql, sizeof sql, "SELECT " POLICY_COLUMNS " " POLICY_FROM " WHERE %s = $1",
             subject_column(kind));
    if (db_query(s->d, &r, sql, p, 1) != DB_OK)
        return db_error(s, e, "cannot read the policy");
    rc = db_next(r);
    if (rc == 1)
        policy_read(r, out);
    db_rows_free(r);
    if (rc < 0)
        return db_error(s, e, "cannot read the policy");
    if (kind == C2_POLICY_CLIENT) /* the client's name, also when asked by id */
        snprintf(out->target, sizeof out->target, "%s", target);
    return C2_OK;
}

c2_err store_policy_get(store *s, c2_policy_kind kind, const char *target, c2_policy *out,
                        c2_error *e)
{
    int64_t rowid = 0;
    if (kind == C2_POLICY_CLIENT) {
        client_row c;
        if (client_resolve(s, target, &c, e) != C2_OK)
            return e->code;
        return policy_of(s, kind, c.rowid, c.name, out, e);
    }
    if (subject_rowid(s, kind, target, &rowid, e) != C2_OK)
        return e->code;
    return policy_of(s, kind, rowid, target, out, e);
}

/* ---- set and clear ------------------------------------------------------- */

/* policy.set / policy.cleared: {"kind", "target"} */
static c2_err policy_event(store *s, const char *type, c2_policy_kind kind, const char *target,
                           c2_error *e)
{
    char data[E4_TOPIC_MAX * 6 + 64], esc[E4_TOPIC_MAX * 6 + 1];
    json_escape(esc, sizeof esc, target);
    snprintf(data, sizeof data, "{\"kind\":\"%s\",\"target\":\"%s\"}",
             kind == C2_POLICY_TOPIC ? "topic" : "client", esc);
    return event_add(s, type, data, e);
}

static int64_t min_due(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

static c2_err check_interval(const char *what, int64_t v, c2_error *e)
{
    if (v != 0 && (v < C2_INTERVAL_MIN || v > C2_INTERVAL_MAX))
        return set_error(e, C2_INVALID, "%s must be from %d seconds to 10 years", what,
                         C2_INTERVAL_MIN);
    return C2_OK;
}

struct set_arg {
    const c2_policy *in;
    int64_t rowid, rotated_at;
    const char *name;
};

static c2_err resolve_for_set(store *s, struct set_arg *a, c2_error *e)
{
    if (a->in->kind == C2_POLICY_TOPIC) {
        topic_row t;
        if (topic_resolve(s, a->in->target, &t, e) != C2_OK)
            return e->code;
        a->rowid = t.rowid;
        a->rotated_at = t.t.rotated_at;
    } else {
        client_row c;
        if (client_resolve(s, a->in->target, &c, e) != C2_OK)
            return e->code;
        a->rowid = c.rowid;
    }
    return C2_OK;
}

static c2_err set_tx(store *s, void *arg, c2_error *e)
{
    struct set_arg *a = arg;
    const c2_policy *in = a->in;
    const char *col = in->kind == C2_POLICY_TOPIC ? "topic_id" : "client_id";
    int64_t now = now_s(), every_due = in->every ? now + in->every : 0, next, n;
    char sql[512];
    if (resolve_for_set(s, a, e) != C2_OK)
        return e->code;
    next = min_due(every_due, in->max_age ? a->rotated_at + in->max_age : 0);
    db_val p[8] = {DB_INT(a->rowid),
                   DB_INT(in->kind),
                   in->every ? DB_INT(in->every) : DB_NULLV,
                   in->max_age ? DB_INT(in->max_age) : DB_NULLV,
                   DB_INT(in->on_join),
                   DB_INT(in->on_leave),
                   every_due ? DB_INT(every_due) : DB_NULLV,
                   next ? DB_INT(next) : DB_NULLV};
    snprintf(sql, sizeof sql,
             "UPDATE policies SET kind = $2, every = $3, max_age = $4, on_join = $5, on_leave = $6,"
             " every_due = $7, next_due = $8, last_error = NULL, failures = 0 WHERE %s = $1",
             col);
    n = db_exec(s->d, sql, p, 8);
    if (n == 0) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO policies (%s, kind, every, max_age, on_join, on_leave, every_due, "
                 "next_due)"
                 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                 col);
        n = db_exec(s->d, sql, p, 8);
    }
    if (n != 1)
        return db_error(s, e, "cannot store the policy");
    return policy_event(s, "policy.set", in->kind, in->target, e);
}

c2_err store_policy_set(store *s, const c2_policy *in, c2_policy *out, c2_error *e)
{
    struct set_arg a = {in, 0, 0, NULL};
    if (check_interval(in->kind == C2_POLICY_TOPIC ? "rotate_every" : "rekey_every", in->every,
                       e) != C2_OK ||
        check_interval("max_age", in->max_age, e) != C2_OK)
        return e->code;
    if (in->kind == C2_POLICY_CLIENT && (in->max_age || in->on_join || !in->on_leave))
        return set_error(e, C2_INVALID, "a client's policy has only rekey_every");
    if (store_tx(s, set_tx, &a, e) != C2_OK)
        return e->code;
    return out ? store_policy_get(s, in->kind, in->target, out, e) : C2_OK;
}

struct clear_arg {
    c2_policy_kind kind;
    const char *target;
};

static c2_err clear_tx(store *s, void *arg, c2_error *e)
{
    struct clear_arg *a = arg;
    int64_t rowid = 0;
    db_val p[1];
    if (subject_rowid(s, a->kind, a->target, &rowid, e) != C2_OK)
        return e->code;
    p[0] = DB_INT(rowid);
    if (db_exec(s->d,
                a->kind == C2_POLICY_TOPIC ? "DELETE FROM policies WHERE topic_id = $1"
                                           : "DELETE FROM policies WHERE client_id = $1",
                p, 1) < 0)
        return db_error(s, e, "cannot clear the policy");
    return policy_event(s, "policy.cleared", a->kind, a->target, e);
}

c2_err store_policy_clear(store *s, c2_policy_kind kind, const char *target, c2_error *e)
{
    struct clear_arg a = {kind, target};
    return store_tx(s, clear_tx, &a, e);
}

struct policy_emit {
    int (*each)(void *, const c2_policy *);
    void *ctx;
};

static int emit_policy(db_rows *r, void *arg)
{
    struct policy_emit *pe = arg;
    c2_policy p;
    policy_read(r, &p);
    return pe->each(pe->ctx, &p);
}

c2_err store_policy_list(store *s, const c2_page *pg, int (*each)(void *, const c2_policy *),
                         void *ctx, int64_t *total, c2_error *e)
{
    struct policy_emit pe = {each, ctx};
    db_val p[2];
    return page_query(s, "cannot list policies", POLICY_COLUMNS, POLICY_FROM, "p.kind, 2", p, 0, pg,
                      total, emit_policy, &pe, e);
}

int topic_policy_flag(store *s, int64_t topic_rowid, int join)
{
    db_val p[1] = {DB_INT(topic_rowid)};
    int64_t v = join ? 0 : 1;
    int found = 0;
    if (db_query_int(s->d, &v, &found,
                     join ? "SELECT on_join FROM policies WHERE topic_id = $1"
                          : "SELECT on_leave FROM policies WHERE topic_id = $1",
                     p, 1) != DB_OK ||
        !found)
        return join ? 0 : 1;
    return v != 0;
}
