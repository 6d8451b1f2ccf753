#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "store_internal.h"

static const char claim_sql[] =
    "SELECT o.seq, o.rid, o.client_eid, o.key_sealed, o.cmd_sealed, o.opcode, o.attempts,"
    " o.epoch, o.c2_gen"
    " FROM outbox o WHERE o.state = 0 AND o.next_try <= $1 AND o.lease_until < $1"
    " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 0 AND p.client_eid = o.client_eid"
    " AND p.seq < o.seq) ORDER BY o.seq LIMIT $2";

static int read_item(store *s, db_rows *r, outbox_item *it)
{
    size_t rid_len = 0, n = 0, ks = 0, cs = 0, klen = 0;
    const uint8_t *rid = db_blob(r, 1, &rid_len), *id = db_blob(r, 2, &n);
    const uint8_t *key = db_blob(r, 3, &ks), *cmd = db_blob(r, 4, &cs);
    memset(it, 0, sizeof *it);
    it->seq = db_int(r, 0);
    it->opcode = (int)db_int(r, 5);
    it->attempts = db_int(r, 6);
    it->epoch = db_int(r, 7);
    it->c2_gen = db_is_null(r, 8) ? 0 : db_int(r, 8);
    if (n != E4_ID_LEN || cs > C2_OUTBOX_CMD_MAX + SEAL_OVERHEAD)
        return -1;
    memcpy(it->client_id, id, n);
    if (unseal(s->kr, it->key, sizeof it->key, &klen, "outbox.key", rid, rid_len, key, ks) != 0 ||
        klen != E4_KEY_LEN ||
        unseal(s->kr, it->cmd, sizeof it->cmd, &it->cmd_len, "outbox.cmd", rid, rid_len, cmd, cs) !=
            0)
        return -1;
    return 0;
}

/* UPDATE ... WHERE seq IN (up to 200 at a time) */
static c2_err update_seqs(store *s, const char *set, const char *cond, const db_val *head,
                          int nhead, const int64_t *seqs, int n, c2_error *e)
{
    char sql[256 + 200 * 8];
    db_val p[8 + 200];
    int i, k, done = 0;
    while (done < n) {
        int chunk = n - done > 200 ? 200 : n - done;
        size_t len =
            (size_t)snprintf(sql, sizeof sql, "UPDATE outbox SET %s WHERE %s seq IN (", set, cond);
        memcpy(p, head, (size_t)nhead * sizeof *head);
        for (i = 0, k = nhead; i < chunk; i++, k++) {
            len += (size_t)snprintf(sql + len, sizeof sql - len, "%s$%d", i ? "," : "", k + 1);
            p[k] = DB_INT(seqs[done + i]);
        }
        snprintf(sql + len, sizeof sql - len, ") AND state = 0");
        if (db_exec(s->d, sql, p, k) < 0)
            return db_error(s, e, "cannot update the outbox");
        done += chunk;
    }
    return C2_OK;
}

struct claim_arg {
    const char *owner;
    int64_t now, lease;
    int max, n;
    outbox_item *items;
};

static c2_err claim_tx(store *s, void *arg, c2_error *e)
{
    struct claim_arg *a = arg;
    char sql[sizeof claim_sql + 32];
    int64_t seqs[1024];
    db_val p[2] = {DB_INT(a->now), DB_INT(a->max)},
           head[2] = {DB_TEXT(a->owner), DB_INT(a->now + a->lease)};
    db_rows *r = NULL;
    int rc, bad = 0;
    snprintf(sql, sizeof sql, "%s%s", claim_sql,
             db_kind_of(s->d) == DB_PG ? " FOR UPDATE SKIP LOCKED" : "");
    a->n = 0;
    if (db_query(s->d, &r, sql, p, 2) != DB_OK)
        return db_error(s, e, "cannot read the outbox");
    while (a->n < a->max && (rc = db_next(r)) == 1) {
        if (read_item(s, r, &a->items[a->n]) != 0) {
            bad++; /* a damaged row is never sent; it stays visible as pending */
            continue;
        }
        seqs[a->n] = a->items[a->n].seq;
        a->n++;
    }
    db_rows_free(r);
    if (bad)
        log_error("outbox rows do not open: the database was altered", NULL, NULL);
    return update_seqs(s, "lease_owner = $1, lease_until = $2, attempts = attempts + 1", "", head,
                       2, seqs, a->n, e);
}

c2_err outbox_claim(store *s, const char *owner, int64_t now_ms, int64_t lease_ms, int max,
                    outbox_item *items, int *n, c2_error *e)
{
    struct claim_arg a = {owner, now_ms, lease_ms, max > 1024 ? 1024 : max, 0, items};
    c2_err rc = store_tx(s, claim_tx, &a, e);
    if (rc != C2_OK) {
        sodium_memzero(items, (size_t)a.n * sizeof *items);
        a.n = 0;
    }
    *n = a.n;
    return rc;
}

struct mark_arg {
    const outbox_item *const *items;
    int n;
};

static const char *const opcode_names[] = {"remove_topic",  "reset_topics",  "set_id_key",
                                           "set_topic_key", "remove_pubkey", "reset_pubkeys",
                                           "set_pubkey",    "set_c2_key"};

/* One "commands.sent" event per batch, listing the commands: an event per
 * command made a rotation of 10,000 members 10,000 inserts, and pushed
 * everything else out of the bounded history. */
static c2_err sent_event(store *s, const outbox_item *const *items, int n, c2_error *e)
{
    size_t cap = 64 + (size_t)n * 100, len;
    char *data = malloc(cap), hex[2 * E4_ID_LEN + 1];
    c2_err rc;
    int i;
    if (!data)
        return set_error(e, C2_INTERNAL, "out of memory");
    len = (size_t)snprintf(data, cap, "{\"count\":%d,\"commands\":[", n);
    for (i = 0; i < n; i++) {
        int op = items[i]->opcode;
        hex_encode(hex, items[i]->client_id, E4_ID_LEN);
        len += (size_t)snprintf(data + len, cap - len,
                                "%s{\"seq\":%lld,\"client\":\"%s\",\"command\":\"%s\"}",
                                i ? "," : "", (long long)items[i]->seq, hex,
                                op >= 0 && op < 8           ? opcode_names[op]
                                : op == C2_OP_KEY_ESTABLISH ? "key_establishment"
                                                            : "unknown");
    }
    snprintf(data + len, cap - len, "]}");
    rc = event_add(s, "commands.sent", data, e);
    free(data);
    return rc;
}

/* Mark a chunk sent with the digest of what went out (APPLIED receipts name
 * commands by it): one UPDATE joined with the list of (seq, digest). */
static c2_err mark_chunk(store *s, const outbox_item *const *items, int n, int64_t now, c2_error *e)
{
    /* a row: " UNION ALL SELECT CAST($NNN AS BIGINT) AS s, CAST($NNN AS BYTEA) AS d" */
    char sql[256 + 100 * 96];
    db_val p[1 + 2 * 100];
    int pg = db_kind_of(s->d) == DB_PG, i, k = 1;
    size_t len = (size_t)snprintf(sql, sizeof sql,
                                  "UPDATE outbox SET state = 1, sent_at = $1, digest = v.d,"
                                  " lease_owner = NULL, last_error = NULL FROM (");
    p[0] = DB_INT(now);
    for (i = 0; i < n; i++, k += 2) {
        len += (size_t)snprintf(sql + len, sizeof sql - len,
                                pg ? "%sSELECT CAST($%d AS BIGINT) AS s, CAST($%d AS BYTEA) AS d"
                                   : "%sSELECT $%d AS s, $%d AS d",
                                i ? " UNION ALL " : "", k + 1, k + 2);
        p[k] = DB_INT(items[i]->seq);
        p[k + 1] = DB_BLOB(items[i]->digest, E4_DIGEST_LEN);
    }
    snprintf(sql + len, sizeof sql - len, ") AS v WHERE outbox.seq = v.s AND outbox.state = 0");
    if (db_exec(s->d, sql, p, k) < 0)
        return db_error(s, e, "cannot update the outbox");
    return C2_OK;
}

static c2_err mark_tx(store *s, void *arg, c2_error *e)
{
    struct mark_arg *a = arg;
    db_val count[1] = {DB_INT(a->n)};
    int64_t now = now_s();
    int done;
    for (done = 0; done < a->n; done += 100)
        if (mark_chunk(s, a->items + done, a->n - done > 100 ? 100 : a->n - done, now, e) != C2_OK)
            return e->code;
    /* a counter, not count(*) over every command ever sent */
    if (db_exec(s->d,
                "INSERT INTO meta (k, i) VALUES ('commands_sent', $1)"
                " ON CONFLICT (k) DO UPDATE SET i = meta.i + excluded.i",
                count, 1) < 0)
        return db_error(s, e, "cannot count sent commands");
    return sent_event(s, a->items, a->n, e);
}

c2_err outbox_mark_sent(store *s, const outbox_item *const *items, int n, c2_error *e)
{
    struct mark_arg a = {items, n > 1024 ? 1024 : n};
    return n ? store_tx(s, mark_tx, &a, e) : C2_OK;
}

struct release_arg {
    const char *owner, *why;
    const int64_t *seqs;
    int n;
    int64_t retry;
};

static c2_err release_tx(store *s, void *arg, c2_error *e)
{
    struct release_arg *a = arg;
    db_val head[3] = {DB_INT(a->retry), DB_TEXT(a->why), DB_TEXT(a->owner)};
    return update_seqs(s, "lease_owner = NULL, lease_until = 0, next_try = $1, last_error = $2",
                       "lease_owner = $3 AND", head, 3, a->seqs, a->n, e);
}

c2_err outbox_release(store *s, const char *owner, const int64_t *seqs, int n, int64_t retry_ms,
                      const char *why, c2_error *e)
{
    struct release_arg a = {owner, why, seqs, n, retry_ms};
    return n ? store_tx(s, release_tx, &a, e) : C2_OK;
}

static c2_err renew_tx(store *s, void *arg, c2_error *e)
{
    const db_val *p = arg;
    if (db_exec(s->d, "UPDATE outbox SET lease_until = $1 WHERE lease_owner = $2 AND state = 0", p,
                2) < 0)
        return db_error(s, e, "cannot renew leases");
    return C2_OK;
}

c2_err outbox_renew(store *s, const char *owner, int64_t until_ms, c2_error *e)
{
    db_val p[2] = {DB_INT(until_ms), DB_TEXT(owner)};
    return store_tx(s, renew_tx, p, e);
}
