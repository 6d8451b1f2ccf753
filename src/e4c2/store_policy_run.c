/*
 * Running due policies. Three short transactions: claim (the row locked,
 * its due time moved past a lease, so no other process takes it), run (the
 * rotation or rekey and the policy's new times, only if the claim is still
 * ours), and on failure the record of it with a backoff. A process that dies
 * mid-run leaves the lease to expire: another one retries.
 */
#include "store_auto.h"
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"

#define POLICY_LEASE 300
#define RETRY_FIRST 10
#define RETRY_MAX 3600

typedef struct claim {
    int found;
    int64_t id, now, lease;
    c2_policy_kind kind;
    char name[E4_TOPIC_MAX + 1];
    int64_t every, max_age, every_due, failures;
} claim;

#define CLAIM_SQL                                                                                \
    "SELECT p.id, p.kind, COALESCE(t.name, c.name), p.every, p.max_age, p.every_due, p.failures" \
    " FROM policies p LEFT JOIN topics t ON t.id = p.topic_id LEFT JOIN clients c ON c.id = "    \
    "p.client_id"                                                                                \
    " WHERE p.next_due <= $1 ORDER BY p.next_due LIMIT 1"

static int64_t opt_int(db_rows *r, int col)
{
    return db_is_null(r, col) ? 0 : db_int(r, col);
}

static c2_err claim_tx(store *s, void *arg, c2_error *e)
{
    claim *c = arg;
    db_rows *r = NULL;
    db_val p[2] = {DB_INT(c->now)};
    int rc;
    /* PostgreSQL: a row another process holds is skipped, not waited for
     * (SQLite has one writer at a time) */
    if (db_query(s->d, &r,
                 db_kind_of(s->d) == DB_PG ? CLAIM_SQL " FOR UPDATE OF p SKIP LOCKED" : CLAIM_SQL,
                 p, 1) != DB_OK)
        return db_error(s, e, "cannot look for due policies");
    rc = db_next(r);
    if (rc == 1) {
        c->found = 1;
        c->id = db_int(r, 0);
        c->kind = (c2_policy_kind)db_int(r, 1);
        snprintf(c->name, sizeof c->name, "%s", db_text(r, 2) ? db_text(r, 2) : "");
        c->every = opt_int(r, 3);
        c->max_age = opt_int(r, 4);
        c->every_due = opt_int(r, 5);
        c->failures = db_int(r, 6);
    }
    db_rows_free(r);
    if (rc < 0)
        return db_error(s, e, "cannot look for due policies");
    if (!c->found)
        return C2_OK;
    p[0] = DB_INT(c->id);
    p[1] = DB_INT(c->lease);
    if (db_exec(s->d, "UPDATE policies SET next_due = $2 WHERE id = $1", p, 2) != 1)
        return db_error(s, e, "cannot claim a policy");
    return C2_OK;
}

static int64_t min_due(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* The policy's new times, if the claim is still ours (else C2_CONFLICT);
 * ran: it rotated or rekeyed now. */
static c2_err mark_done(store *s, const claim *c, int ran, int64_t every_due, int64_t next,
                        c2_error *e)
{
    db_val p[5] = {DB_INT(c->id), DB_INT(c->lease), every_due ? DB_INT(every_due) : DB_NULLV,
                   next ? DB_INT(next) : DB_NULLV, DB_INT(c->now)};
    int64_t n = ran ? db_exec(s->d,
                              "UPDATE policies SET every_due = $3, next_due = $4, last_run = $5,"
                              " last_error = NULL, failures = 0 WHERE id = $1 AND next_due = $2",
                              p, 5)
                    : db_exec(s->d,
                              "UPDATE policies SET every_due = $3, next_due = $4"
                              " WHERE id = $1 AND next_due = $2",
                              p, 4);
    if (n < 0)
        return db_error(s, e, "cannot record the policy's run");
    return n == 1 ? C2_OK : set_error(e, C2_CONFLICT, "the policy was claimed by another process");
}

static c2_err run_event(store *s, const claim *c, const char *type, const char *error, c2_error *e)
{
    char data[E4_TOPIC_MAX * 6 + 256 * 6 + 128], name[E4_TOPIC_MAX * 6 + 1], err[256 * 6 + 1];
    json_escape(name, sizeof name, c->name);
    json_escape(err, sizeof err, error ? error : "");
    if (error)
        snprintf(data, sizeof data,
                 "{\"kind\":\"%s\",\"target\":\"%s\",\"error\":\"%s\",\"failures\":%lld}",
                 c->kind == C2_POLICY_TOPIC ? "topic" : "client", name, err,
                 (long long)c->failures + 1);
    else
        snprintf(data, sizeof data, "{\"kind\":\"%s\",\"target\":\"%s\"}",
                 c->kind == C2_POLICY_TOPIC ? "topic" : "client", name);
    return event_add(s, type, data, e);
}

static c2_err run_topic(store *s, claim *c, int *ran, c2_error *e)
{
    topic_row t;
    int due_every = c->every && c->every_due && c->every_due <= c->now, due_age;
    int64_t every_due = c->every_due;
    if (topic_resolve(s, c->name, &t, e) != C2_OK)
        return e->code;
    due_age = c->max_age && t.t.rotated_at + c->max_age <= c->now;
    *ran = due_every || due_age;
    if (*ran) {
        every_due = c->every ? c->now + c->every : 0;
        if (mark_done(s, c, 1, every_due, min_due(every_due, c->max_age ? c->now + c->max_age : 0),
                      e) != C2_OK ||
            topic_rotate_locked(s, &t, e) != C2_OK)
            return e->code;
        return run_event(s, c, "policy.run", NULL, e);
    }
    /* a manual rotation made the key young again: only the due time moves */
    return mark_done(s, c, 0, every_due,
                     min_due(every_due, c->max_age ? t.t.rotated_at + c->max_age : 0), e);
}

static c2_err run_client(store *s, claim *c, int *ran, c2_error *e)
{
    int64_t every_due = c->every ? c->now + c->every : 0;
    *ran = c->every && c->every_due && c->every_due <= c->now;
    if (!*ran)
        return mark_done(s, c, 0, c->every_due, c->every_due, e);
    if (mark_done(s, c, 1, every_due, every_due, e) != C2_OK ||
        client_rekey_locked(s, c->name, e) != C2_OK)
        return e->code;
    return run_event(s, c, "policy.run", NULL, e);
}

struct run_arg {
    claim *c;
    int ran;
};

static c2_err run_tx(store *s, void *arg, c2_error *e)
{
    struct run_arg *a = arg;
    return a->c->kind == C2_POLICY_TOPIC ? run_topic(s, a->c, &a->ran, e)
                                         : run_client(s, a->c, &a->ran, e);
}

struct fail_arg {
    claim *c;
    const char *error;
};

static c2_err fail_tx(store *s, void *arg, c2_error *e)
{
    struct fail_arg *a = arg;
    int64_t wait = RETRY_FIRST;
    for (int64_t i = 0; i < a->c->failures && wait < RETRY_MAX; i++)
        wait *= 2;
    db_val p[4] = {DB_INT(a->c->id), DB_INT(a->c->lease), DB_TEXT(a->error),
                   DB_INT(a->c->now + (wait < RETRY_MAX ? wait : RETRY_MAX))};
    if (db_exec(s->d,
                "UPDATE policies SET failures = failures + 1, last_error = $3, next_due = $4"
                " WHERE id = $1 AND next_due = $2",
                p, 4) < 0)
        return db_error(s, e, "cannot record the policy's failure");
    return run_event(s, a->c, "policy.failed", a->error, e);
}

/* The run rolled back: say why on the policy, in an event and a metric. */
static c2_err record_failure(store *s, claim *c, const c2_error *why, c2_policy_run *out,
                             c2_error *e)
{
    struct fail_arg fa = {c, out->error};
    out->failed = 1;
    snprintf(out->error, sizeof out->error, "%s", why->message);
    metrics_policy_run(c->kind == C2_POLICY_CLIENT, 1);
    return store_tx(s, fail_tx, &fa, e);
}

c2_err store_policy_run_due(store *s, c2_policy_run *out, c2_error *e)
{
    claim c = {0};
    struct run_arg ra = {&c, 0};
    c2_error fe = {0};
    memset(out, 0, sizeof *out);
    c.now = now_s();
    c.lease = c.now + POLICY_LEASE;
    if (store_tx(s, claim_tx, &c, e) != C2_OK)
        return e->code;
    if (!c.found)
        return C2_OK;
    out->ran = 1;
    out->kind = c.kind;
    if (store_tx(s, run_tx, &ra, &fe) == C2_OK) {
        if (ra.ran)
            metrics_policy_run(c.kind == C2_POLICY_CLIENT, 0);
        return C2_OK;
    }
    if (fe.code == C2_CONFLICT)
        return C2_OK; /* the lease ran out and another process took it */
    return record_failure(s, &c, &fe, out, e);
}
