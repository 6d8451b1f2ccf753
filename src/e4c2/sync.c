/* Receipts in batches: open, then APPLIED marks a command, STATE goes to
 * sync_state.c. */
#include "sync_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "metrics.h"

#define LATE_MAX 4096
#define LATE_MS 10000
#define SWEEP_BATCH 256

static const char *const reject_names[] = {
#define SYNC_NAME(name) #name,
    SYNC_REJECT_REASONS(SYNC_NAME)
#undef SYNC_NAME
};

const char *sync_reject_name(sync_reject r)
{
    return r < SYNC_REJECT_COUNT ? reject_names[r] : "unknown";
}

void sync_count_reject(sync_reject r)
{
    if (r < SYNC_REJECT_COUNT)
        atomic_fetch_add(&g_metrics.receipts_rejected[r], 1);
}

void sync_count_repair(size_t commands)
{
    atomic_fetch_add(&g_metrics.repairs, 1);
    atomic_fetch_add(&g_metrics.repair_commands, commands);
}

sync_ctx *sync_new(int64_t clock_skew)
{
    sync_ctx *x = calloc(1, sizeof *x);
    if (x)
        x->skew = clock_skew;
    return x;
}

void sync_free(sync_ctx *x)
{
    if (!x)
        return;
    if (x->keys)
        sodium_memzero(x->keys, x->keys_cap * sizeof *x->keys);
    sodium_memzero(x->pairs, sizeof x->pairs);
    free(x->keys);
    free(x->checks);
    free(x->late);
    free(x);
}

int sync_topic_client(uint8_t id[E4_ID_LEN], const char *topic)
{
    static const char prefix[] = "e4/", suffix[] = E4_RECEIPT_SUFFIX;
    size_t n = strlen(topic), i;
    if (n != sizeof prefix - 1 + 2 * E4_ID_LEN + sizeof suffix - 1 ||
        memcmp(topic, prefix, sizeof prefix - 1) ||
        memcmp(topic + n - (sizeof suffix - 1), suffix, sizeof suffix - 1))
        return -1;
    topic += sizeof prefix - 1;
    for (i = 0; i < 2 * E4_ID_LEN; i++) {
        int c = topic[i], v = c >= '0' && c <= '9'   ? c - '0'
                              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                     : -1;
        if (v < 0)
            return -1;
        id[i / 2] = (uint8_t)(i % 2 ? id[i / 2] | v : v << 4);
    }
    return 0;
}

static sync_reject reject_of(e4_err err)
{
    switch (err) {
    case E4_ERR_TOO_SHORT: return SYNC_REJECT_too_short;
    case E4_ERR_TIMESTAMP_TOO_OLD: return SYNC_REJECT_too_old;
    case E4_ERR_TIMESTAMP_IN_FUTURE: return SYNC_REJECT_in_future;
    case E4_ERR_RECEIPT_MAGIC: return SYNC_REJECT_bad_magic;
    case E4_ERR_RECEIPT_VERSION: return SYNC_REJECT_bad_version;
    case E4_ERR_RECEIPT_KIND: return SYNC_REJECT_bad_kind;
    case E4_ERR_RECEIPT_LENGTH: return SYNC_REJECT_bad_length;
    case E4_ERR_RECEIPT_ORDER: return SYNC_REJECT_bad_order;
    default: return SYNC_REJECT_not_authentic;
    }
}

static void log_reject(const uint8_t id[E4_ID_LEN], sync_reject why)
{
    char hex[2 * E4_ID_LEN + 1];
    static int64_t last_ms;
    static uint64_t dropped;
    int64_t now = now_ms();
    /* at most a line a second: a flood of forgeries must not flood the log */
    if (now - last_ms < 1000) {
        dropped++;
        return;
    }
    last_ms = now;
    hex_encode(hex, id, E4_ID_LEN);
    log_warn(dropped ? "receipt rejected (and more, not logged)" : "receipt rejected",
             sync_reject_name(why), hex);
    dropped = 0;
}

/* Open under each key the client may use, newest C2 pair first. */
static e4_err open_with(const rkey_entry *k, sync_ctx *x, const sync_receipt *in, e4_receipt *r,
                        uint8_t *plain, int64_t *gen)
{
    e4_err err = E4_ERR_NOT_AUTHENTIC;
    int i;
    for (i = 0; i < k->nkeys && err == E4_ERR_NOT_AUTHENTIC; i++) {
        err = e4_receipt_open(r, plain, in->len, k->rkey[i], in->payload, in->len,
                              (uint64_t)now_s(), (uint32_t)x->skew);
        *gen = k->gen[i];
    }
    return err;
}

/* 1 opened, 0 rejected (counted), -1 database error. */
static int open_receipt(store *s, sync_ctx *x, const sync_receipt *in, e4_receipt *r,
                        uint8_t *plain, int64_t *gen, c2_error *e)
{
    const rkey_entry *k = sync_client_keys(s, x, in->client_id, 0, e);
    e4_err err;
    if (!k && e->code)
        return -1;
    err = k ? open_with(k, x, in, r, plain, gen) : E4_ERR_NOT_AUTHENTIC;
    /* a key changed since it was cached (rekey, C2 key rotation, a pq-pk
     * establishment): look again, but not more than four times a second per
     * client (forgeries), unless it had no key at all (a pq-pk client
     * reports its state before its first establishment) */
    if (err == E4_ERR_NOT_AUTHENTIC && (!k || !k->nkeys || now_ms() - k->loaded_ms > 250)) {
        k = sync_client_keys(s, x, in->client_id, 1, e);
        if (!k && e->code)
            return -1;
        if (k)
            err = open_with(k, x, in, r, plain, gen);
        else if (err == E4_ERR_NOT_AUTHENTIC) {
            sync_count_reject(SYNC_REJECT_unknown_client);
            log_reject(in->client_id, SYNC_REJECT_unknown_client);
            return 0;
        }
    }
    if (err != E4_OK) {
        sync_count_reject(reject_of(err));
        log_reject(in->client_id, reject_of(err));
        return 0;
    }
    return 1;
}

/* 1 a command was marked, 0 none matches (yet), < 0 database error. */
static int mark_applied(store *s, const uint8_t id[E4_ID_LEN], const uint8_t digest[E4_DIGEST_LEN],
                        uint8_t result)
{
    db_val p[5] = {DB_INT(now_s()), DB_BLOB(id, E4_ID_LEN), DB_INT(result ? 3 : 2),
                   result ? DB_INT(result) : DB_NULLV, DB_BLOB(digest, E4_DIGEST_LEN)};
    /* sent, or closed by a STATE that came first */
    int64_t n = db_exec(
        s->d,
        "UPDATE outbox SET done_at = $1, state = $3, result = $4 WHERE seq IN (" SYNC_RECENT_SEQS
        ") AND digest = $5 AND state IN (1, 4)",
        p, 5);
    return n < 0 ? -1 : n > 0;
}

static void late_add(sync_ctx *x, const uint8_t id[E4_ID_LEN], const e4_receipt *r)
{
    late_applied *l;
    if (x->nlate == x->late_cap) {
        int cap = x->late_cap ? x->late_cap * 2 : 64;
        late_applied *n = cap <= LATE_MAX ? realloc(x->late, (size_t)cap * sizeof *n) : NULL;
        if (!n) {
            sync_count_reject(SYNC_REJECT_unmatched);
            return;
        }
        x->late = n;
        x->late_cap = cap;
    }
    l = &x->late[x->nlate++];
    memcpy(l->client_id, id, E4_ID_LEN);
    memcpy(l->digest, r->digest, E4_DIGEST_LEN);
    l->result = r->result;
    l->expires_ms = now_ms() + LATE_MS;
}

static c2_err applied(store *s, sync_ctx *x, const uint8_t id[E4_ID_LEN], const e4_receipt *r,
                      c2_error *e)
{
    int rc = mark_applied(s, id, r->digest, r->result);
    if (rc < 0)
        return db_error(s, e, "cannot mark a command applied");
    if (rc == 0)
        late_add(x, id, r);
    atomic_fetch_add(r->result ? &g_metrics.receipts_refused : &g_metrics.receipts_applied, 1);
    return C2_OK;
}

static c2_err one_receipt(store *s, sync_ctx *x, const sync_receipt *in, c2_error *e)
{
    uint8_t *plain = malloc(in->len ? in->len : 1);
    e4_receipt r;
    int64_t gen = 0;
    c2_err rc = C2_OK;
    int opened;
    if (!plain)
        return set_error(e, C2_INTERNAL, "out of memory");
    opened = open_receipt(s, x, in, &r, plain, &gen, e);
    if (opened < 0)
        rc = e->code ? e->code : db_error(s, e, "cannot read a client");
    else if (opened && r.kind == E4_RECEIPT_APPLIED)
        rc = applied(s, x, in->client_id, &r, e);
    else if (opened) {
        atomic_fetch_add(&g_metrics.receipts_state, 1);
        rc = sync_state_apply(s, x, in->client_id, r.plain, r.plain_len, r.ts, gen, now_ms(), e);
        if (rc == C2_NOT_FOUND)
            rc = C2_OK; /* removed while its receipt was on the way */
    }
    sodium_memzero(plain, in->len);
    free(plain);
    return rc;
}

struct batch_arg {
    sync_ctx *x;
    const sync_receipt *r;
    int n;
};

static c2_err batch_tx(store *s, void *arg, c2_error *e)
{
    struct batch_arg *a = arg;
    int i;
    for (i = 0; i < a->n; i++)
        if (one_receipt(s, a->x, &a->r[i], e) != C2_OK)
            return e->code;
    return C2_OK;
}

c2_err sync_receipts(store *s, sync_ctx *x, const sync_receipt *r, int n, c2_error *e)
{
    struct batch_arg a = {x, r, n};
    int nlate = x->nlate;
    c2_err rc = n ? store_tx(s, batch_tx, &a, e) : C2_OK;
    if (rc != C2_OK)
        x->nlate = nlate; /* rolled back: those were never recorded */
    return rc;
}

/* ---- looking again -------------------------------------------------------- */

static c2_err late_tx(store *s, void *arg, c2_error *e)
{
    sync_ctx *x = arg;
    int64_t now = now_ms();
    int i, kept = 0;
    for (i = 0; i < x->nlate; i++) {
        late_applied *l = &x->late[i];
        int rc = mark_applied(s, l->client_id, l->digest, l->result);
        if (rc < 0)
            return db_error(s, e, "cannot mark a command applied");
        if (rc == 0 && now < l->expires_ms)
            x->late[kept++] = *l;
        else if (rc == 0)
            sync_count_reject(SYNC_REJECT_unmatched);
    }
    x->nlate = kept;
    return C2_OK;
}

static c2_err due_tx(store *s, void *arg, c2_error *e)
{
    sync_ctx *x = arg;
    db_val p[2] = {DB_INT(now_ms()), DB_INT(SWEEP_BATCH)};
    db_rows *r = NULL;
    struct due {
        uint8_t id[E4_ID_LEN];
        uint8_t *plain;
        size_t len;
        int64_t ts, gen, at;
    } * d;
    int n = 0, rc, i;
    c2_err out = C2_OK;
    if (!(d = calloc(SWEEP_BATCH, sizeof *d)))
        return set_error(e, C2_INTERNAL, "out of memory");
    if (db_query(s->d, &r,
                 "SELECT eid, reported, state_ts, c2_gen, state_at FROM clients"
                 " WHERE sync_due IS NOT NULL AND sync_due <= $1 ORDER BY sync_due LIMIT $2",
                 p, 2) != DB_OK) {
        free(d);
        return db_error(s, e, "cannot read the clients to look at again");
    }
    while (n < SWEEP_BATCH && (rc = db_next(r)) == 1) {
        size_t il = 0, pl = 0;
        const uint8_t *id = db_blob(r, 0, &il), *plain = db_blob(r, 1, &pl);
        if (il != E4_ID_LEN || !plain || !(d[n].plain = malloc(pl ? pl : 1)))
            continue;
        memcpy(d[n].id, id, il);
        memcpy(d[n].plain, plain, pl);
        d[n].len = pl;
        d[n].ts = db_int(r, 2);
        d[n].gen = db_is_null(r, 3) ? 0 : db_int(r, 3);
        d[n].at = db_int(r, 4);
        n++;
    }
    db_rows_free(r);
    for (i = 0; i < n; i++) {
        if (out == C2_OK)
            out = sync_state_apply(s, x, d[i].id, d[i].plain, d[i].len, (uint64_t)d[i].ts, d[i].gen,
                                   d[i].at, e);
        free(d[i].plain);
    }
    free(d);
    return out;
}

c2_err sync_sweep(store *s, sync_ctx *x, c2_error *e)
{
    if (x->nlate && store_tx(s, late_tx, x, e) != C2_OK)
        return e->code;
    return store_tx(s, due_tx, x, e);
}
