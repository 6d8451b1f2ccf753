/* A STATE receipt against what the client should hold: record, compare,
 * and repair the difference (e4-sync.md, "What C2 does with them"). */
#include "sync_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* What the client should hold of one topic. */
typedef struct want_topic {
    topic_row t;
    int64_t held; /* members.held_version, -1 when NULL */
    uint8_t check[E4_CHECK_LEN];
} want_topic;

typedef struct want_pubkey {
    uint8_t id[E4_ID_LEN];
    uint8_t pk[E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN]; /* the signing part (SetPubKey's) */
    uint8_t check[E4_CHECK_LEN];
} want_pubkey;

/* The client, what it should hold, and what it reported. */
typedef struct sync_view {
    client_row c;
    int64_t repair_at, state_ts;
    int64_t nsent; /* its commands sent and not confirmed */
    want_topic *topics;
    size_t ntopics;
    want_pubkey *pubkeys;
    size_t npubkeys;
    e4_receipt got;
    int64_t gen;  /* C2 key generation the client holds (PK) */
    int dry;      /* first pass: count differences, record held versions */
    int removing; /* queueing pass: 1 removals, 0 the keys to set */
    size_t ndiff;
} sync_view;

static int by_topic_hash(const void *a, const void *b)
{
    return memcmp(((const want_topic *)a)->t.t.hash, ((const want_topic *)b)->t.t.hash,
                  E4_TOPIC_HASH_LEN);
}

static int by_pubkey_id(const void *a, const void *b)
{
    return memcmp(((const want_pubkey *)a)->id, ((const want_pubkey *)b)->id, E4_ID_LEN);
}

/* One row per membership (or one row without topic): the client, its
 * repair bookkeeping, and each topic it should hold. */
#define VIEW_SQL                                                                              \
    "SELECT " CLIENT_COLUMNS ", c.repair_at, c.state_ts, c.sync,"                             \
    " (SELECT count(*) FROM (SELECT o.state FROM outbox o WHERE o.client_eid = c.eid"         \
    " ORDER BY o.seq DESC LIMIT " SYNC_RECENT                                                 \
    ") AS recent WHERE recent.state = 1), " TOPIC_COLUMNS ", m.held_version"                  \
    " FROM clients c LEFT JOIN members m ON m.client_id = c.id LEFT JOIN topics t ON t.id = " \
    "m.topic_id"                                                                              \
    " WHERE c.eid = $1"
#define VIEW_TOPIC_COL 10

static int add_topic(sync_view *v, db_rows *r, size_t *cap)
{
    if (v->ntopics == *cap) {
        want_topic *n = realloc(v->topics, (*cap = *cap ? *cap * 2 : 8) * sizeof *n);
        if (!n)
            return -1;
        v->topics = n;
    }
    topic_read(r, VIEW_TOPIC_COL, &v->topics[v->ntopics].t);
    v->topics[v->ntopics].held =
        db_is_null(r, VIEW_TOPIC_COL + 8) ? -1 : db_int(r, VIEW_TOPIC_COL + 8);
    v->ntopics++;
    return 0;
}

static c2_err load_view(store *s, sync_ctx *x, sync_view *v, const uint8_t id[E4_ID_LEN],
                        c2_error *e)
{
    db_val p[1] = {DB_BLOB(id, E4_ID_LEN)};
    db_rows *r = NULL;
    size_t cap = 0;
    int rc, rows = 0, oom = 0;
    /* PostgreSQL: several e4c2 processes receive the same STATE; the row
     * lock makes the second see the first one's repair (SQLite writers are
     * serialised already) */
    if (db_query(s->d, &r, db_kind_of(s->d) == DB_PG ? VIEW_SQL " FOR UPDATE OF c" : VIEW_SQL, p,
                 1) != DB_OK)
        return db_error(s, e, "cannot read a client");
    while ((rc = db_next(r)) == 1 && !oom) {
        if (!rows++) {
            client_read(r, 0, &v->c);
            v->repair_at = db_int(r, 6);
            v->state_ts = db_is_null(r, 7) ? 0 : db_int(r, 7);
            v->nsent = db_int(r, 9);
        }
        if (!db_is_null(r, VIEW_TOPIC_COL))
            oom = add_topic(v, r, &cap) != 0;
    }
    db_rows_free(r);
    if (rc < 0)
        return db_error(s, e, "cannot read a client");
    if (oom)
        return set_error(e, C2_INTERNAL, "out of memory");
    return rows ? C2_OK : set_error(e, C2_NOT_FOUND, "no such client");
}

/* The checks of the topic keys it should hold, sorted by topic hash. */
static c2_err check_topics(store *s, sync_ctx *x, sync_view *v, c2_error *e)
{
    for (size_t i = 0; i < v->ntopics; i++)
        if (sync_topic_check(s, x, &v->topics[i].t, v->topics[i].check, e) != C2_OK)
            return e->code;
    if (v->ntopics > 1)
        qsort(v->topics, v->ntopics, sizeof *v->topics, by_topic_hash);
    return C2_OK;
}

static c2_err load_pubkeys(store *s, sync_view *v, c2_error *e)
{
    db_val p[1] = {DB_INT(v->c.rowid)};
    db_rows *r = NULL;
    size_t cap = 0, n;
    int rc;
    if (s->mode != C2_MODE_PK)
        return C2_OK;
    if (db_query(s->d, &r,
                 "SELECT c.eid, c.pubkey FROM pubkeys_sent p JOIN clients c ON c.id = p.source_id"
                 " WHERE p.target_id = $1",
                 p, 1) != DB_OK)
        return db_error(s, e, "cannot read the public keys sent");
    while ((rc = db_next(r)) == 1) {
        const uint8_t *id = db_blob(r, 0, &n), *pk;
        want_pubkey *w;
        if (n != E4_ID_LEN)
            continue;
        if (v->npubkeys == cap) {
            want_pubkey *m = realloc(v->pubkeys, (cap = cap ? cap * 2 : 8) * sizeof *m);
            if (!m)
                break;
            v->pubkeys = m;
        }
        w = &v->pubkeys[v->npubkeys];
        memcpy(w->id, id, E4_ID_LEN);
        pk = db_blob(r, 1, &n);
        if (n != c2_client_pk_len(s->suite))
            continue;
        memcpy(w->pk, pk, c2_client_sign_pk_len(s->suite));
        v->npubkeys += e4_key_check(w->check, w->pk, c2_client_sign_pk_len(s->suite)) == E4_OK;
    }
    db_rows_free(r);
    if (rc != 0)
        return rc < 0 ? db_error(s, e, "cannot read the public keys sent")
                      : set_error(e, C2_INTERNAL, "out of memory");
    if (v->npubkeys > 1)
        qsort(v->pubkeys, v->npubkeys, sizeof *v->pubkeys, by_pubkey_id);
    return C2_OK;
}

/* ---- the difference ----------------------------------------------------- */

/* Walk what was reported (sorted 24-byte entries: id || check) against what
 * is wanted (sorted; want points at the first id, entries are stride bytes
 * apart, each check check_off bytes after its id): each id is "extra"
 * (reported only), "wanted" (missing, or reported with another check) or
 * the "same". */
typedef struct diff_ops {
    c2_err (*extra)(store *, sync_view *, const uint8_t *id, c2_error *);
    c2_err (*want)(store *, sync_view *, size_t i, c2_error *);
    c2_err (*same)(store *, sync_view *, size_t i, c2_error *);
} diff_ops;

static c2_err diff_walk(store *s, sync_view *v, const uint8_t *got, uint32_t ngot,
                        const uint8_t *want, size_t nwant, size_t stride, size_t check_off,
                        const diff_ops *ops, c2_error *e)
{
    size_t i = 0, j = 0;
    while (i < ngot || j < nwant) {
        const uint8_t *g = i < ngot ? got + i * E4_RECEIPT_ENTRY_LEN : NULL;
        const uint8_t *w = j < nwant ? want + j * stride : NULL;
        int cmp = !g ? 1 : !w ? -1 : memcmp(g, w, E4_ID_LEN);
        c2_err rc;
        if (cmp < 0) {
            rc = ops->extra(s, v, g, e);
            i++;
        } else if (cmp > 0) {
            rc = ops->want(s, v, j++, e);
        } else {
            int differ = sodium_memcmp(g + E4_ID_LEN, w + check_off, E4_CHECK_LEN) != 0;
            rc = (differ ? ops->want : ops->same)(s, v, j++, e);
            i++;
        }
        if (rc != C2_OK)
            return rc;
    }
    return C2_OK;
}

/* The handlers count on the first (dry) pass and queue commands on the
 * second; the first also records which topic keys the member holds. */
static c2_err topic_extra(store *s, sync_view *v, const uint8_t *hash, c2_error *e)
{
    v->ndiff++;
    return v->dry || !v->removing
               ? C2_OK
               : outbox_add(s, &v->c, E4_CMD_REMOVE_TOPIC, hash, E4_TOPIC_HASH_LEN, NULL, NULL, e);
}

static c2_err topic_want(store *s, sync_view *v, size_t i, c2_error *e)
{
    uint8_t args[E4_KEY_LEN + E4_TOPIC_HASH_LEN];
    const topic_row *t = &v->topics[i].t;
    c2_err rc;
    v->ndiff++;
    if (v->dry || v->removing)
        return C2_OK;
    if (topic_key(s, t, args, e) != C2_OK)
        return e->code;
    memcpy(args + E4_KEY_LEN, t->t.hash, E4_TOPIC_HASH_LEN);
    rc = outbox_add(s, &v->c, E4_CMD_SET_TOPIC_KEY, args, sizeof args, t->t.name, NULL, e);
    sodium_memzero(args, sizeof args);
    return rc;
}

static c2_err topic_same(store *s, sync_view *v, size_t i, c2_error *e)
{
    want_topic *w = &v->topics[i];
    db_val p[3] = {DB_INT(w->t.t.version), DB_INT(w->t.rowid), DB_INT(v->c.rowid)};
    if (!v->dry || w->held == w->t.t.version)
        return C2_OK;
    if (db_exec(s->d, "UPDATE members SET held_version = $1 WHERE topic_id = $2 AND client_id = $3",
                p, 3) < 0)
        return db_error(s, e, "cannot record the key version a member holds");
    return C2_OK;
}

static c2_err pubkey_extra(store *s, sync_view *v, const uint8_t *id, c2_error *e)
{
    v->ndiff++;
    return v->dry || !v->removing
               ? C2_OK
               : outbox_add(s, &v->c, E4_CMD_REMOVE_PUBKEY, id, E4_ID_LEN, NULL, id, e);
}

static c2_err pubkey_want(store *s, sync_view *v, size_t i, c2_error *e)
{
    uint8_t args[C2_SETPUBKEY_MAX];
    const want_pubkey *w = &v->pubkeys[i];
    size_t n;
    v->ndiff++;
    if (v->dry || v->removing)
        return C2_OK;
    n = c2_setpubkey_args(s->suite, args, w->pk, w->id);
    return outbox_add(s, &v->c, E4_CMD_SET_PUBKEY, args, n, NULL, w->id, e);
}

static c2_err pubkey_same(store *s, sync_view *v, size_t i, c2_error *e)
{
    (void)s, (void)v, (void)i, (void)e;
    return C2_OK;
}

static const diff_ops topic_ops = {topic_extra, topic_want, topic_same};
static const diff_ops pubkey_ops = {pubkey_extra, pubkey_want, pubkey_same};

/* SetC2Key when the client holds an older pair, under that pair. */
static c2_err c2_key_diff(store *s, sync_ctx *x, sync_view *v, c2_error *e)
{
    uint8_t key[E4_KEY_LEN];
    const c2_pair *old = NULL;
    c2_err rc;
    int i;
    if (s->mode != C2_MODE_PK || x->npairs == 0 ||
        !sodium_memcmp(v->got.c2_check, x->pairs[0].check, E4_CHECK_LEN))
        return C2_OK;
    v->ndiff++;
    if (s->suite == E4_SUITE_PQ_PK) /* commands travel under K_epoch, whatever C2 key it holds */
        return v->dry ? C2_OK
                      : outbox_add(s, &v->c, E4_CMD_SET_C2_KEY, x->pairs[0].pk, x->pairs[0].pk_len,
                                   NULL, NULL, e);
    for (i = 1; i < x->npairs; i++)
        if (x->pairs[i].gen == v->gen)
            old = &x->pairs[i];
    if (v->dry || !old)
        return C2_OK; /* without the pair it holds, nothing C2 sends can reach it */
    if ((s->suite == E4_SUITE_FIPS_PK
             ? e4_fips_pk_command_key(key, old->sk, v->c.pubkey + E4_P256_PK_LEN)
             : e4_c2_shared_key(key, old->sk, v->c.pubkey)) != E4_OK)
        return set_error(e, C2_INTERNAL, "cannot derive the old command key of client %.200s",
                         v->c.name);
    rc = outbox_add_keyed(s, &v->c, key, E4_CMD_SET_C2_KEY, x->pairs[0].pk, x->pairs[0].pk_len,
                          NULL, NULL, e);
    sodium_memzero(key, sizeof key);
    return rc;
}

static c2_err walk_topics(store *s, sync_view *v, c2_error *e)
{
    const uint8_t *want =
        v->topics ? (const uint8_t *)v->topics + offsetof(want_topic, t.t.hash) : NULL;
    return diff_walk(s, v, v->got.topics, v->got.ntopics, want, v->ntopics, sizeof *v->topics,
                     offsetof(want_topic, check) - offsetof(want_topic, t.t.hash), &topic_ops, e);
}

static c2_err walk_pubkeys(store *s, sync_view *v, c2_error *e)
{
    return diff_walk(s, v, v->got.pubkeys, v->got.npubkeys, (const uint8_t *)v->pubkeys,
                     v->npubkeys, sizeof *v->pubkeys, offsetof(want_pubkey, check), &pubkey_ops, e);
}

/* Count the differences (and record the versions held): dry. Queue the
 * repair in the spec's order: SetC2Key, RemoveTopic..., SetTopicKey...,
 * RemovePubKey..., SetPubKey.... */
static c2_err diff_pass(store *s, sync_ctx *x, sync_view *v, int dry, c2_error *e)
{
    v->dry = dry;
    v->ndiff = 0;
    if (c2_key_diff(s, x, v, e) != C2_OK)
        return e->code;
    if (dry)
        return walk_topics(s, v, e) != C2_OK || walk_pubkeys(s, v, e) != C2_OK ? e->code : C2_OK;
    for (v->removing = 1; v->removing >= 0; v->removing--)
        if (walk_topics(s, v, e) != C2_OK)
            return e->code;
    for (v->removing = 1; v->removing >= 0; v->removing--)
        if (walk_pubkeys(s, v, e) != C2_OK)
            return e->code;
    return C2_OK;
}

/* ---- acting on the comparison ------------------------------------------ */

/* What stands between this STATE and a repair: commands still queued for
 * the client (they will go out: look again later), or commands sent when
 * or after the device made its STATE (it did not know of them yet: its
 * next STATE, after it receives them, will tell). */
typedef enum pending { PENDING_NONE, PENDING_QUEUED, PENDING_NEWER } pending;

static c2_err pending_of(store *s, const sync_view *v, pending *out, c2_error *e)
{
    int64_t queued = 0, last_sent = 0;
    int found = 0;
    db_val p[1] = {DB_BLOB(v->c.id, E4_ID_LEN)};
    /* per client, commands go out in seq order: the newest one not queued
     * was sent last (whatever became of it since: applied, refused...) */
    if (db_query_int(s->d, &queued, &found,
                     "SELECT count(*) FROM outbox WHERE client_eid = $1 AND state = 0", p,
                     1) != DB_OK ||
        db_query_int(s->d, &last_sent, &found,
                     "SELECT COALESCE(sent_at, 0) FROM outbox WHERE client_eid = $1"
                     " AND state > 0 ORDER BY seq DESC LIMIT 1",
                     p, 1) != DB_OK)
        return db_error(s, e, "cannot read the outbox");
    *out = queued                                     ? PENDING_QUEUED
           : found && last_sent >= (int64_t)v->got.ts ? PENDING_NEWER
                                                      : PENDING_NONE;
    return C2_OK;
}

/* In sync: the commands sent and not confirmed are reflected by the state
 * (applied without a receipt, or superseded). Queued ones still go out:
 * closing them here could race with an operation queueing more. */
static c2_err close_sent(store *s, const sync_view *v, c2_error *e)
{
    db_val p[2] = {DB_INT(now_s()), DB_BLOB(v->c.id, E4_ID_LEN)};
    if (db_exec(s->d,
                "UPDATE outbox SET state = 4, done_at = $1 WHERE seq IN (" SYNC_RECENT_SEQS
                ") AND state = 1",
                p, 2) < 0)
        return db_error(s, e, "cannot close commands");
    return C2_OK;
}

typedef struct verdict {
    int sync;       /* 1 in sync, 2 repairing */
    int64_t due_ms; /* look again then; 0: no need */
    int64_t repair_at;
    int repaired;
} verdict;

static c2_err decide(store *s, sync_ctx *x, sync_view *v, int64_t at_ms, verdict *out, c2_error *e)
{
    int64_t now = now_ms();
    pending pend = PENDING_NONE;
    out->sync = v->ndiff ? 2 : 1;
    out->repair_at = v->repair_at;
    if (!v->ndiff)
        return v->nsent ? close_sent(s, v, e) : C2_OK;
    if (at_ms <= v->repair_at)
        return C2_OK; /* a state from before the last repair: that repair answers it */
    if (now < v->repair_at + SYNC_REPAIR_MS) {
        out->due_ms = v->repair_at + SYNC_REPAIR_MS; /* one repair in flight at a time */
        return C2_OK;
    }
    if (pending_of(s, v, &pend, e) != C2_OK)
        return e->code;
    if (pend == PENDING_QUEUED)
        out->due_ms = now + SYNC_QUEUED_RECHECK_MS;
    if (pend != PENDING_NONE)
        return C2_OK;
    s->repairing = 1;
    if (diff_pass(s, x, v, 0, e) != C2_OK) {
        s->repairing = 0;
        return e->code;
    }
    s->repairing = 0;
    out->repair_at = now;
    out->repaired = 1;
    return C2_OK;
}

static c2_err record(store *s, const sync_view *v, const verdict *d, int64_t at_ms, c2_error *e)
{
    db_val p[8] = {DB_INT(d->sync),
                   DB_INT(at_ms),
                   DB_INT((int64_t)v->got.ts),
                   DB_BLOB(v->got.plain, v->got.plain_len),
                   s->mode == C2_MODE_PK ? DB_INT(v->gen) : DB_NULLV,
                   DB_INT(d->repair_at),
                   d->due_ms ? DB_INT(d->due_ms) : DB_NULLV,
                   DB_INT(v->c.rowid)};
    if (db_exec(s->d,
                "UPDATE clients SET sync = $1, state_at = $2, state_ts = $3, reported = $4, c2_gen "
                "= $5,"
                " repair_at = $6, sync_due = $7 WHERE id = $8",
                p, 8) < 0)
        return db_error(s, e, "cannot record the client's state");
    return C2_OK;
}

static c2_err repair_event(store *s, const sync_view *v, c2_error *e)
{
    char data[160], hex[2 * E4_ID_LEN + 1];
    hex_encode(hex, v->c.id, E4_ID_LEN);
    snprintf(data, sizeof data, "{\"client\":\"%s\",\"differences\":%zu}", hex, v->ndiff);
    return event_add(s, "client.repair", data, e);
}

static void view_free(sync_view *v)
{
    if (v->topics)
        sodium_memzero(v->topics, v->ntopics * sizeof *v->topics);
    free(v->topics);
    free(v->pubkeys);
}

/* The generation of the C2 key the client holds: the pair whose receipt
 * key opened its STATE, or in pq-pk (receipts under K_epoch) the pair whose
 * check the STATE reports (0: none C2 keeps). */
static int64_t held_generation(const store *s, const sync_ctx *x, const sync_view *v)
{
    if (s->suite != E4_SUITE_PQ_PK)
        return v->gen;
    for (int i = 0; v->got.c2_check && i < x->npairs; i++)
        if (!sodium_memcmp(v->got.c2_check, x->pairs[i].check, E4_CHECK_LEN))
            return x->pairs[i].gen;
    return 0;
}

c2_err sync_state_apply(store *s, sync_ctx *x, const uint8_t id[E4_ID_LEN], const uint8_t *plain,
                        size_t plain_len, uint64_t ts, int64_t gen, int64_t at_ms, c2_error *e)
{
    sync_view v;
    verdict d = {0};
    c2_err rc;
    memset(&v, 0, sizeof v);
    v.gen = gen;
    if (e4_receipt_parse(&v.got, plain, plain_len) != E4_OK || v.got.kind != E4_RECEIPT_STATE)
        return set_error(e, C2_INVALID, "not a STATE receipt");
    v.got.ts = ts;
    if ((rc = load_view(s, x, &v, id, e)) != C2_OK || (int64_t)ts < v.state_ts) {
        if (rc == C2_OK)
            sync_count_reject(SYNC_REJECT_out_of_order); /* older than the state recorded */
        view_free(&v);
        return rc;
    }
    rc = sync_pairs(s, x, 0, e);
    v.gen = held_generation(s, x, &v);
    if (rc == C2_OK && (rc = check_topics(s, x, &v, e)) == C2_OK &&
        (rc = load_pubkeys(s, &v, e)) == C2_OK && (rc = diff_pass(s, x, &v, 1, e)) == C2_OK &&
        (rc = decide(s, x, &v, at_ms, &d, e)) == C2_OK &&
        (rc = record(s, &v, &d, at_ms, e)) == C2_OK && d.repaired)
        rc = repair_event(s, &v, e);
    if (rc == C2_OK && d.repaired)
        sync_count_repair(v.ndiff);
    view_free(&v);
    return rc;
}
