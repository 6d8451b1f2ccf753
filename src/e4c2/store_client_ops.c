/* Clients: show, list, remove, reset, rekey, their topics and commands. */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define CLIENT_COUNTS                                                              \
    ", (SELECT count(*) FROM members m WHERE m.client_id = c.id)"                  \
    ", (SELECT count(*) FROM outbox o WHERE o.client_eid = c.eid AND o.state = 0)" \
    ", c.sync, c.state_at, c.c2_gen, c.epoch"

static void client_with_counts(db_rows *r, c2_client *out)
{
    client_row row;
    client_read(r, 0, &row);
    client_public(&row, out);
    out->topics = db_int(r, 6);
    out->pending = db_int(r, 7);
    out->state_at = db_is_null(r, 9) ? 0 : db_int(r, 9) / 1000;
    out->sync = client_sync_status((int)db_int(r, 8), out->state_at);
    out->c2_generation = db_is_null(r, 10) ? 0 : db_int(r, 10);
    out->epoch = db_int(r, 11);
}

c2_err store_client_get(store *s, const char *ref, c2_client *out, c2_error *e)
{
    client_row row;
    db_rows *r = NULL;
    db_val p[1];
    c2_err rc = client_resolve(s, ref, &row, e);
    if (rc != C2_OK)
        return rc;
    p[0] = DB_INT(row.rowid);
    if (db_query(s->d, &r, "SELECT " CLIENT_COLUMNS CLIENT_COUNTS " FROM clients c WHERE c.id = $1",
                 p, 1) != DB_OK)
        return db_error(s, e, "cannot read clients");
    rc = db_next(r) == 1 ? C2_OK : set_error(e, C2_NOT_FOUND, "no client named \"%.200s\"", ref);
    if (rc == C2_OK)
        client_with_counts(r, out);
    db_rows_free(r);
    return rc;
}

struct client_emit {
    int (*each)(void *, const c2_client *);
    void *ctx;
};

static int emit_client(db_rows *r, void *arg)
{
    struct client_emit *ce = arg;
    c2_client c;
    client_with_counts(r, &c);
    return ce->each(ce->ctx, &c);
}

/* A page of clients (with their counts) and the total. */
static c2_err client_page(store *s, const char *from_where, db_val *p, int np, const c2_page *pg,
                          int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                          c2_error *e)
{
    struct client_emit ce = {each, ctx};
    return page_query(s, "cannot list clients", CLIENT_COLUMNS CLIENT_COUNTS, from_where, "c.name",
                      p, np, pg, total, emit_client, &ce, e);
}

c2_err store_client_list(store *s, const c2_page *pg, int (*each)(void *, const c2_client *),
                         void *ctx, int64_t *total, c2_error *e)
{
    char like[2 * E4_NAME_MAX + 8];
    db_val p[3];
    if (pg && pg->search && *pg->search) {
        like_pattern(like, sizeof like, pg->search);
        p[0] = DB_TEXT(like);
        return client_page(s, "FROM clients c WHERE c.name LIKE $1 ESCAPE '\\'", p, 1, pg, each,
                           ctx, total, e);
    }
    return client_page(s, "FROM clients c", p, 0, pg, each, ctx, total, e);
}

c2_err store_topic_members(store *s, const char *name, const c2_page *pg,
                           int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                           c2_error *e)
{
    topic_row t;
    db_val p[3];
    if (topic_resolve(s, name, &t, e) != C2_OK)
        return e->code;
    p[0] = DB_INT(t.rowid);
    return client_page(
        s, "FROM members mm JOIN clients c ON c.id = mm.client_id WHERE mm.topic_id = $1", p, 1, pg,
        each, ctx, total, e);
}

c2_err store_topic_members_behind(store *s, const char *name, const c2_page *pg,
                                  int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                                  c2_error *e)
{
    topic_row t;
    db_val p[4];
    if (topic_resolve(s, name, &t, e) != C2_OK)
        return e->code;
    p[0] = DB_INT(t.rowid);
    p[1] = DB_INT(t.t.version);
    return client_page(
        s,
        "FROM members mm JOIN clients c ON c.id = mm.client_id WHERE mm.topic_id = $1"
        " AND (mm.held_version IS NULL OR mm.held_version < $2)",
        p, 2, pg, each, ctx, total, e);
}

/* Clients related to target through table (pubkeys_sent or links). */
c2_err client_relations(store *s, const char *table, const char *target, const c2_page *pg,
                        int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                        c2_error *e)
{
    client_row row;
    char from[160];
    db_val p[3];
    if (s->mode != C2_MODE_PK)
        return set_error(e, C2_WRONG_MODE, "public keys exist only in pk mode");
    if (client_resolve(s, target, &row, e) != C2_OK)
        return e->code;
    p[0] = DB_INT(row.rowid);
    snprintf(from, sizeof from,
             "FROM %s x JOIN clients c ON c.id = x.source_id WHERE x.target_id = $1", table);
    return client_page(s, from, p, 1, pg, each, ctx, total, e);
}

/* ---- topics and commands of a client ------------------------------------ */

c2_err store_client_topics(store *s, const char *ref, const c2_page *pg,
                           int (*each)(void *, const c2_topic *), void *ctx, int64_t *total,
                           c2_error *e)
{
    client_row row;
    db_val p[3];
    if (client_resolve(s, ref, &row, e) != C2_OK)
        return e->code;
    p[0] = DB_INT(row.rowid);
    return topic_page(s,
                      "FROM members mm JOIN topics t ON t.id = mm.topic_id WHERE mm.client_id = $1",
                      p, 1, pg, each, ctx, total, e);
}

static void command_read(db_rows *r, c2_command *c)
{
    size_t n = 0;
    const uint8_t *b;
    memset(c, 0, sizeof *c);
    c->seq = db_int(r, 0);
    b = db_blob(r, 1, &n);
    if (n == E4_ID_LEN)
        memcpy(c->client_id, b, n);
    c->opcode = (int)db_int(r, 2);
    if (!db_is_null(r, 3))
        snprintf(c->topic, sizeof c->topic, "%s", db_text(r, 3));
    b = db_is_null(r, 4) ? NULL : db_blob(r, 4, &n);
    if (b && n == E4_ID_LEN) {
        memcpy(c->subject_id, b, n);
        c->has_subject = 1;
    }
    c->state = (c2_cmd_state)db_int(r, 5);
    c->created = db_int(r, 6);
    c->sent_at = db_is_null(r, 7) ? 0 : db_int(r, 7);
    c->attempts = db_int(r, 8);
    if (!db_is_null(r, 9))
        snprintf(c->last_error, sizeof c->last_error, "%s", db_text(r, 9));
    c->done_at = db_is_null(r, 10) ? 0 : db_int(r, 10);
    c->result = db_is_null(r, 11) ? 0 : -(int)db_int(r, 11);
    c->repair = (int)db_int(r, 12);
    c->epoch = db_int(r, 13);
}

c2_err store_client_commands(store *s, const char *ref, const c2_page *pg,
                             int (*each)(void *, const c2_command *), void *ctx, int64_t *total,
                             c2_error *e)
{
    client_row row;
    int64_t offset, limit;
    int found = 0, rc;
    db_rows *r = NULL;
    db_val p[3];
    if (client_resolve(s, ref, &row, e) != C2_OK || page_check(pg, &offset, &limit, e) != C2_OK)
        return e->code;
    p[0] = DB_BLOB(row.id, E4_ID_LEN);
    p[1] = DB_INT(limit);
    p[2] = DB_INT(offset);
    if (db_query_int(s->d, total, &found, "SELECT count(*) FROM outbox WHERE client_eid = $1", p,
                     1) != DB_OK ||
        db_query(s->d, &r,
                 "SELECT seq, client_eid, opcode, topic, subject, state, created, sent_at,"
                 " attempts, last_error, done_at, result, repair, epoch FROM outbox"
                 " WHERE client_eid = $1"
                 " ORDER BY seq DESC LIMIT $2 OFFSET $3",
                 p, 3) != DB_OK)
        return db_error(s, e, "cannot read commands");
    while ((rc = db_next(r)) == 1) {
        c2_command c;
        command_read(r, &c);
        if (each(ctx, &c))
            break;
    }
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, "cannot read commands") : C2_OK;
}
