/* Topics: add, show, list, rotate, remove, join, leave. */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "metrics.h"

#define TOPIC_COUNTS                                                                          \
    ", (SELECT count(*) FROM members m WHERE m.topic_id = t.id)"                              \
    ", (SELECT count(DISTINCT o.client_eid) FROM outbox o WHERE o.state = 0 AND o.opcode = 3" \
    " AND o.topic = t.name)"                                                                  \
    ", (SELECT count(*) FROM members m WHERE m.topic_id = t.id"                               \
    " AND (m.held_version IS NULL OR m.held_version < t.version))"

static void topic_with_counts(db_rows *r, c2_topic *out)
{
    topic_row row;
    topic_read(r, 0, &row);
    *out = row.t;
    out->members = db_int(r, 8);
    out->behind = db_int(r, 9);
    out->not_current = db_int(r, 10);
}

struct topic_emit {
    int (*each)(void *, const c2_topic *);
    void *ctx;
};

static int emit_topic(db_rows *r, void *arg)
{
    struct topic_emit *te = arg;
    c2_topic t;
    topic_with_counts(r, &t);
    return te->each(te->ctx, &t);
}

c2_err topic_page(store *s, const char *from_where, db_val *p, int np, const c2_page *pg,
                  int (*each)(void *, const c2_topic *), void *ctx, int64_t *total, c2_error *e)
{
    struct topic_emit te = {each, ctx};
    return page_query(s, "cannot list topics", TOPIC_COLUMNS TOPIC_COUNTS, from_where, "t.name", p,
                      np, pg, total, emit_topic, &te, e);
}

c2_err store_topic_list(store *s, const c2_page *pg, int (*each)(void *, const c2_topic *),
                        void *ctx, int64_t *total, c2_error *e)
{
    char like[2 * E4_TOPIC_MAX + 8];
    db_val p[3];
    if (pg && pg->search && *pg->search) {
        like_pattern(like, sizeof like, pg->search);
        p[0] = DB_TEXT(like);
        return topic_page(s, "FROM topics t WHERE t.name LIKE $1 ESCAPE '\\'", p, 1, pg, each, ctx,
                          total, e);
    }
    return topic_page(s, "FROM topics t", p, 0, pg, each, ctx, total, e);
}

static int copy_one(void *ctx, const c2_topic *t)
{
    *(c2_topic *)ctx = *t;
    return 1;
}

c2_err store_topic_get(store *s, const char *name, c2_topic *out, c2_error *e)
{
    int64_t total = 0;
    db_val p[3] = {DB_TEXT(name ? name : "")};
    c2_page pg = {0, 1, NULL};
    out->name[0] = 0;
    if (topic_page(s, "FROM topics t WHERE t.name = $1", p, 1, &pg, copy_one, out, &total, e) !=
        C2_OK)
        return e->code;
    if (!out->name[0])
        return set_error(e, C2_NOT_FOUND, "no topic named \"%.200s\"", name ? name : "");
    return C2_OK;
}

static c2_err topic_event(store *s, const char *type, const char *name, int64_t version,
                          c2_error *e)
{
    char data[E4_TOPIC_MAX * 6 + 64], esc[E4_TOPIC_MAX * 6 + 1];
    json_escape(esc, sizeof esc, name);
    snprintf(data, sizeof data, "{\"topic\":\"%s\",\"version\":%lld}", esc, (long long)version);
    return event_add(s, type, data, e);
}

struct topic_arg {
    const char *name;
    c2_topic *out;
    const char *const *refs;
    size_t n;
    int flag; /* join: share_pubkeys; leave: rotate */
};

static c2_err add_tx(store *s, void *arg, c2_error *e)
{
    struct topic_arg *a = arg;
    uint8_t key[E4_KEY_LEN], sealed[E4_KEY_LEN + SEAL_OVERHEAD], id[C2_KEY_ID_LEN],
        hash[E4_TOPIC_HASH_LEN];
    int64_t now = now_s();
    c2_err rc = topic_new_key(s, a->name, 1, key, sealed, id, e);
    sodium_memzero(key, sizeof key);
    if (rc == C2_OK && e4_hash_topic(hash, a->name) != E4_OK)
        rc = set_error(e, C2_INTERNAL, "cannot hash the topic name");
    if (rc == C2_OK) {
        db_val p[6] = {DB_TEXT(a->name),
                       DB_BLOB(hash, sizeof hash),
                       DB_BLOB(sealed, sizeof sealed),
                       DB_BLOB(id, sizeof id),
                       DB_INT(now),
                       DB_INT(now)};
        if (db_exec(
                s->d,
                "INSERT INTO topics (name, hash, key_sealed, key_id, version, created, rotated_at)"
                " VALUES ($1, $2, $3, $4, 1, $5, $6)",
                p, 6) != 1)
            return db_last_status(s->d) == DB_UNIQUE
                       ? set_error(e, C2_CONFLICT, "topic \"%.200s\" exists", a->name)
                       : db_error(s, e, "cannot add the topic");
        rc = topic_event(s, "topic.added", a->name, 1, e);
    }
    return rc;
}

c2_err store_topic_add(store *s, const char *name, c2_topic *out, c2_error *e)
{
    struct topic_arg a = {name, out, NULL, 0, 0};
    if (!name || e4_validate_topic(name) != E4_OK)
        return set_error(e, C2_INVALID, "a topic is 1 to 512 bytes");
    if (store_tx(s, add_tx, &a, e) != C2_OK)
        return e->code;
    return out ? store_topic_get(s, name, out, e) : C2_OK;
}

/* ---- rotation ------------------------------------------------------------ */

struct send_key {
    uint8_t args[E4_KEY_LEN + E4_TOPIC_HASH_LEN];
    const char *topic;
};

static c2_err send_topic_key(store *s, const client_row *c, void *arg, c2_error *e)
{
    struct send_key *k = arg;
    return outbox_add(s, c, E4_CMD_SET_TOPIC_KEY, k->args, sizeof k->args, k->topic, NULL, e);
}

/* One more rotation in the hour of now (the overview's chart). */
static c2_err count_rotation(store *s, int64_t now, c2_error *e)
{
    db_val p[1] = {DB_INT(now - now % 3600)};
    if (db_exec(s->d,
                "INSERT INTO rotations_hourly (at, n) VALUES ($1, 1)"
                " ON CONFLICT (at) DO UPDATE SET n = rotations_hourly.n + 1",
                p, 1) != 1)
        return db_error(s, e, "cannot count the rotation");
    return C2_OK;
}

/* New key and version for t, sent to every member, in this transaction. */
c2_err topic_rotate_locked(store *s, topic_row *t, c2_error *e)
{
    struct send_key k = {.topic = t->t.name};
    uint8_t sealed[E4_KEY_LEN + SEAL_OVERHEAD], id[C2_KEY_ID_LEN];
    int64_t version = t->t.version + 1, now = now_s(), start = now_ms();
    c2_err rc = topic_new_key(s, t->t.name, version, k.args, sealed, id, e);
    if (rc == C2_OK) {
        db_val p[6] = {DB_BLOB(sealed, sizeof sealed),
                       DB_BLOB(id, sizeof id),
                       DB_INT(version),
                       DB_INT(now),
                       DB_INT(t->rowid),
                       DB_INT(t->t.version)};
        memcpy(k.args + E4_KEY_LEN, t->t.hash, E4_TOPIC_HASH_LEN);
        /* the version check makes concurrent rotations of one topic serial */
        /* the previous key stays (sealed for its version) for the monitor */
        if (db_exec(s->d,
                    "UPDATE topics SET prev_key_sealed = key_sealed, key_sealed = $1, key_id = $2,"
                    " version = $3, rotated_at = $4 WHERE id = $5 AND version = $6",
                    p, 6) != 1)
            rc = db_last_status(s->d) == DB_OK
                     ? set_error(e, C2_UNAVAILABLE, "topic changed meanwhile; retry")
                     : db_error(s, e, "cannot rotate");
    }
    if (rc == C2_OK)
        rc = count_rotation(s, now, e);
    if (rc == C2_OK)
        rc = for_each_member(s, t->rowid, send_topic_key, &k, e);
    sodium_memzero(k.args, sizeof k.args);
    if (rc == C2_OK) {
        t->t.version = version;
        rc = topic_event(s, "topic.rotated", t->t.name, version, e);
    }
    if (rc == C2_OK) /* every rotation: explicit, after a leave or a removal */
        metrics_rotation((uint64_t)(now_ms() - start) * 1000u);
    return rc;
}

static c2_err rotate_tx(store *s, void *arg, c2_error *e)
{
    struct topic_arg *a = arg;
    topic_row t;
    if (topic_resolve(s, a->name, &t, e) != C2_OK)
        return e->code;
    return topic_rotate_locked(s, &t, e);
}

static c2_err topic_tx_then_get(store *s, c2_err (*fn)(store *, void *, c2_error *),
                                struct topic_arg *a, c2_error *e)
{
    if (store_tx(s, fn, a, e) != C2_OK)
        return e->code;
    return a->out ? store_topic_get(s, a->name, a->out, e) : C2_OK;
}

c2_err store_topic_rotate(store *s, const char *name, c2_topic *out, c2_error *e)
{
    struct topic_arg a = {name, out, NULL, 0, 0};
    return topic_tx_then_get(s, rotate_tx, &a, e);
}

/* ---- removal --------------------------------------------------------------- */

static c2_err send_remove(store *s, const client_row *c, void *arg, c2_error *e)
{
    const topic_row *t = arg;
    return outbox_add(s, c, E4_CMD_REMOVE_TOPIC, t->t.hash, E4_TOPIC_HASH_LEN, t->t.name, NULL, e);
}

static c2_err remove_tx(store *s, void *arg, c2_error *e)
{
    struct topic_arg *a = arg;
    topic_row t;
    db_val p[1];
    if (topic_resolve(s, a->name, &t, e) != C2_OK ||
        for_each_member(s, t.rowid, send_remove, &t, e) != C2_OK)
        return e->code;
    p[0] = DB_INT(t.rowid);
    if (db_exec(s->d, "DELETE FROM topics WHERE id = $1", p, 1) != 1)
        return db_error(s, e, "cannot remove the topic");
    return topic_event(s, "topic.removed", t.t.name, t.t.version, e);
}

c2_err store_topic_remove(store *s, const char *name, c2_error *e)
{
    struct topic_arg a = {name, NULL, NULL, 0, 0};
    return store_tx(s, remove_tx, &a, e);
}
