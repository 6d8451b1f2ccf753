/* Status, events and API tokens. */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

static c2_err count(store *s, int64_t *out, const char *sql, c2_error *e)
{
    int found = 0;
    *out = 0;
    if (db_query_int(s->d, out, &found, sql, NULL, 0) != DB_OK)
        return db_error(s, e, "cannot read the status");
    return C2_OK;
}

static int64_t state_interval = 3600;

void store_set_state_interval(int64_t seconds)
{
    state_interval = seconds > 0 ? seconds : 3600;
}

c2_sync client_sync_status(int sync, int64_t state_at)
{
    if (!state_at)
        return C2_SYNC_UNKNOWN;
    if (state_at < now_s() - 2 * state_interval)
        return C2_SYNC_STALE;
    return sync == 1 ? C2_SYNC_IN_SYNC : C2_SYNC_REPAIRING;
}

/* Clients per sync status, by the rule of client_sync_status(). */
static c2_err sync_counts(store *s, int64_t out[C2_SYNC_COUNT], c2_error *e)
{
    db_val p[1] = {DB_INT((now_s() - 2 * state_interval) * 1000)};
    db_rows *r = NULL;
    int rc;
    if (db_query(s->d, &r,
                 "SELECT CASE WHEN state_at IS NULL THEN 0 WHEN state_at < $1 THEN 3"
                 " WHEN sync = 1 THEN 1 ELSE 2 END AS st, count(*) FROM clients GROUP BY st",
                 p, 1) != DB_OK)
        return db_error(s, e, "cannot count clients by sync status");
    while ((rc = db_next(r)) == 1) {
        int64_t st = db_int(r, 0);
        if (st >= 0 && st < C2_SYNC_COUNT)
            out[st] = db_int(r, 1);
    }
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, "cannot count clients by sync status") : C2_OK;
}

c2_err store_status(store *s, c2_status *out, c2_error *e)
{
    int64_t oldest = 0, rotating = 0;
    memset(out, 0, sizeof *out);
    out->mode = s->mode;
    out->suite = s->suite;
    if (count(s, &out->clients, "SELECT count(*) FROM clients", e) ||
        count(s, &out->topics, "SELECT count(*) FROM topics", e) ||
        count(s, &out->memberships, "SELECT count(*) FROM members", e) ||
        count(s, &out->outbox_pending, "SELECT count(*) FROM outbox WHERE state = 0", e) ||
        count(s, &oldest, "SELECT COALESCE(min(created), 0) FROM outbox WHERE state = 0", e) ||
        count(s, &out->commands_sent,
              "SELECT COALESCE(max(i), 0) FROM meta WHERE k = 'commands_sent'", e) ||
        count(s, &out->c2_key_generation, "SELECT COALESCE(max(generation), 0) FROM c2keys", e) ||
        count(s, &rotating, "SELECT count(*) FROM c2keys WHERE retired IS NULL", e) ||
        (s->mode == C2_MODE_PK &&
         count(s, &out->c2_key_unconfirmed,
               "SELECT count(*) FROM clients WHERE c2_gen IS NULL OR c2_gen <"
               " (SELECT max(generation) FROM c2keys)",
               e)))
        return e->code;
    out->outbox_oldest_age = oldest ? now_s() - oldest : 0;
    if (out->outbox_oldest_age < 0)
        out->outbox_oldest_age = 0;
    out->c2_key_rotating = rotating > 1;
    return sync_counts(s, out->sync, e);
}

c2_err store_events_since(store *s, int64_t after, int64_t limit,
                          int (*each)(void *, const c2_event *), void *ctx, c2_error *e)
{
    db_rows *r = NULL;
    db_val p[2] = {DB_INT(after), DB_INT(limit)};
    int rc;
    if (limit < 1 || limit > 1000)
        return set_error(e, C2_INVALID, "limit must be between 1 and 1000");
    if (db_query(s->d, &r,
                 "SELECT id, at, type, data FROM events WHERE id > $1 ORDER BY id LIMIT $2", p,
                 2) != DB_OK)
        return db_error(s, e, "cannot read events");
    while ((rc = db_next(r)) == 1) {
        c2_event ev;
        ev.id = db_int(r, 0);
        ev.at = db_int(r, 1);
        snprintf(ev.type, sizeof ev.type, "%s", db_text(r, 2));
        ev.data = db_text(r, 3);
        if (each(ctx, &ev))
            break;
    }
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, "cannot read events") : C2_OK;
}

int64_t store_last_event_id(store *s)
{
    int64_t id = 0;
    int found = 0;
    db_query_int(s->d, &id, &found, "SELECT COALESCE(max(id), 0) FROM events", NULL, 0);
    return id;
}

/* ---- tokens ------------------------------------------------------------------ */

#define TOKEN_PREFIX "e4c2_"

static void token_hash(uint8_t h[32], const char *token)
{
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
}

static c2_err token_create_tx(store *s, void *arg, c2_error *e)
{
    struct {
        const char *name;
        int ro;
        char *token;
    } *a = arg;
    uint8_t raw[32], h[32];
    db_val p[4] = {DB_TEXT(a->name), DB_BLOB(h, sizeof h), DB_INT(a->ro), DB_INT(now_s())};
    randombytes_buf(raw, sizeof raw);
    memcpy(a->token, TOKEN_PREFIX, sizeof TOKEN_PREFIX);
    sodium_bin2base64(a->token + 5, 64 - 5, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    token_hash(h, a->token);
    if (db_exec(s->d, "INSERT INTO tokens (name, hash, read_only, created) VALUES ($1, $2, $3, $4)",
                p, 4) != 1)
        return db_last_status(s->d) == DB_UNIQUE
                   ? set_error(e, C2_CONFLICT, "a token named \"%.100s\" exists", a->name)
                   : db_error(s, e, "cannot store the token");
    return event_add(s, "token.created", NULL, e);
}

c2_err store_token_create(store *s, const char *name, int read_only, char token[64], c2_error *e)
{
    struct {
        const char *name;
        int ro;
        char *token;
    } a = {name, read_only, token};
    c2_err rc;
    const char *c;
    if (!name || !*name || strlen(name) > 100)
        return set_error(e, C2_INVALID, "a token name is 1 to 100 characters");
    for (c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.'))
            return set_error(e, C2_INVALID,
                             "a token name has only letters, digits, '-', '_' and '.'");
    rc = store_tx(s, token_create_tx, &a, e);
    if (rc != C2_OK)
        sodium_memzero(token, 64);
    return rc;
}

c2_err store_token_list(store *s, int (*each)(void *, const c2_token *), void *ctx, c2_error *e)
{
    db_rows *r = NULL;
    int rc;
    if (db_query(s->d, &r,
                 "SELECT id, name, read_only, created, last_used FROM tokens ORDER BY name", NULL,
                 0) != DB_OK)
        return db_error(s, e, "cannot read tokens");
    while ((rc = db_next(r)) == 1) {
        c2_token t;
        t.id = db_int(r, 0);
        snprintf(t.name, sizeof t.name, "%s", db_text(r, 1));
        t.read_only = (int)db_int(r, 2);
        t.created = db_int(r, 3);
        t.last_used = db_is_null(r, 4) ? 0 : db_int(r, 4);
        if (each(ctx, &t))
            break;
    }
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, "cannot read tokens") : C2_OK;
}

c2_err store_token_revoke(store *s, const char *name, c2_error *e)
{
    db_val p[1] = {DB_TEXT(name ? name : "")};
    int64_t n = db_exec(s->d, "DELETE FROM tokens WHERE name = $1", p, 1);
    if (n < 0)
        return db_error(s, e, "cannot revoke the token");
    if (n == 0)
        return set_error(e, C2_NOT_FOUND, "no token named \"%.100s\"", name ? name : "");
    return C2_OK;
}

/* Looked up by SHA-256: the database compares digests, never the secret,
 * so the lookup time tells nothing about the token. */
c2_err store_token_check(store *s, const char *token, c2_token *out)
{
    uint8_t h[32];
    db_rows *r = NULL;
    db_val p[1] = {DB_BLOB(h, sizeof h)};
    int rc;
    if (!token || strncmp(token, TOKEN_PREFIX, 5) != 0 || strlen(token) > 100)
        return C2_NOT_FOUND;
    token_hash(h, token);
    if (db_query(s->d, &r,
                 "SELECT id, name, read_only, created, last_used FROM tokens WHERE hash = $1", p,
                 1) != DB_OK)
        return C2_UNAVAILABLE;
    rc = db_next(r);
    if (rc == 1 && out) {
        out->id = db_int(r, 0);
        snprintf(out->name, sizeof out->name, "%s", db_text(r, 1));
        out->read_only = (int)db_int(r, 2);
        out->created = db_int(r, 3);
        out->last_used = db_is_null(r, 4) ? 0 : db_int(r, 4);
    }
    db_rows_free(r);
    if (rc == 1 && out && now_s() - out->last_used >= 60) {
        /* at most a write a minute per token: "last used" is for people */
        db_val q[2] = {DB_INT(now_s()), DB_INT(out->id)};
        db_exec(s->d, "UPDATE tokens SET last_used = $1 WHERE id = $2", q, 2);
    }
    return rc == 1 ? C2_OK : rc < 0 ? C2_UNAVAILABLE : C2_NOT_FOUND;
}
