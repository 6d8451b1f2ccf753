/* Reading clients and topics, queueing commands, recording events. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hex.h"

static int parse_id(uint8_t id[E4_ID_LEN], const char *ref)
{
    if (strlen(ref) != 2 * E4_ID_LEN)
        return -1;
    return hex_decode_n(id, E4_ID_LEN, ref);
}

static void copy_blob(uint8_t *dst, size_t cap, size_t *len, db_rows *r, int col)
{
    size_t n = 0;
    const uint8_t *b = db_blob(r, col, &n);
    if (n > cap)
        n = 0;
    if (n)
        memcpy(dst, b, n);
    if (len)
        *len = n;
}

void client_read(db_rows *r, int col, client_row *out)
{
    memset(out, 0, sizeof *out);
    out->rowid = db_int(r, col);
    copy_blob(out->id, sizeof out->id, NULL, r, col + 1);
    snprintf(out->name, sizeof out->name, "%s", db_text(r, col + 2));
    if (!db_is_null(r, col + 3))
        copy_blob(out->pubkey, sizeof out->pubkey, &out->pubkey_len, r, col + 3);
    if (!db_is_null(r, col + 4))
        copy_blob(out->key_sealed, sizeof out->key_sealed, &out->key_sealed_len, r, col + 4);
    out->created = db_int(r, col + 5);
}

void client_public(const client_row *r, c2_client *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->id, r->id, E4_ID_LEN);
    memcpy(out->name, r->name, sizeof out->name);
    memcpy(out->pubkey, r->pubkey, sizeof out->pubkey);
    out->pubkey_len = r->pubkey_len;
    out->created = r->created;
}

/* 1 found, 0 not, < 0 database error */
static int client_lookup(store *s, const char *where, db_val key, client_row *out)
{
    char sql[256];
    db_rows *r = NULL;
    int rc;
    snprintf(sql, sizeof sql, "SELECT " CLIENT_COLUMNS " FROM clients c WHERE %s = $1", where);
    if (db_query(s->d, &r, sql, &key, 1) != DB_OK)
        return -1;
    rc = db_next(r);
    if (rc == 1)
        client_read(r, 0, out);
    db_rows_free(r);
    return rc;
}

c2_err client_resolve(store *s, const char *ref, client_row *out, c2_error *e)
{
    uint8_t id[E4_ID_LEN];
    int rc = 0;
    if (!ref || !*ref)
        return set_error(e, C2_INVALID, "a client name or id is required");
    if (parse_id(id, ref) == 0)
        rc = client_lookup(s, "c.eid", DB_BLOB(id, sizeof id), out);
    if (rc == 0)
        rc = client_lookup(s, "c.name", DB_TEXT(ref), out);
    if (rc < 0)
        return db_error(s, e, "cannot read clients");
    if (rc == 0)
        return set_error(e, C2_NOT_FOUND, "no client named \"%.200s\"", ref);
    return C2_OK;
}

void topic_read(db_rows *r, int col, topic_row *out)
{
    memset(out, 0, sizeof *out);
    out->rowid = db_int(r, col);
    snprintf(out->t.name, sizeof out->t.name, "%s", db_text(r, col + 1));
    copy_blob(out->t.hash, sizeof out->t.hash, NULL, r, col + 2);
    copy_blob(out->key_sealed, sizeof out->key_sealed, &out->key_sealed_len, r, col + 3);
    copy_blob(out->t.key_id, sizeof out->t.key_id, NULL, r, col + 4);
    out->t.version = db_int(r, col + 5);
    out->t.created = db_int(r, col + 6);
    out->t.rotated_at = db_int(r, col + 7);
}

c2_err topic_resolve(store *s, const char *name, topic_row *out, c2_error *e)
{
    db_rows *r = NULL;
    db_val p[1] = {DB_TEXT(name ? name : "")};
    int rc;
    if (!name || !*name)
        return set_error(e, C2_INVALID, "a topic name is required");
    if (db_query(s->d, &r, "SELECT " TOPIC_COLUMNS " FROM topics t WHERE t.name = $1", p, 1) !=
        DB_OK)
        return db_error(s, e, "cannot read topics");
    rc = db_next(r);
    if (rc == 1)
        topic_read(r, 0, out);
    db_rows_free(r);
    if (rc < 0)
        return db_error(s, e, "cannot read topics");
    if (rc == 0)
        return set_error(e, C2_NOT_FOUND, "no topic named \"%.200s\"", name);
    return C2_OK;
}

/* The row identity bound into a topic key's sealing: name NUL version. */
static size_t topic_row_id(uint8_t *buf, const char *name, int64_t version)
{
    size_t n = strlen(name) + 1;
    memcpy(buf, name, n);
    memcpy(buf + n, &version, sizeof version);
    return n + sizeof version;
}

c2_err topic_new_key(store *s, const char *name, int64_t version, uint8_t key[E4_KEY_LEN],
                     uint8_t sealed[E4_KEY_LEN + SEAL_OVERHEAD], uint8_t key_id[C2_KEY_ID_LEN],
                     c2_error *e)
{
    uint8_t row[E4_TOPIC_MAX + 16];
    size_t n = topic_row_id(row, name, version);
    e4_random_key(key);
    key_id_of(key_id, key);
    if (seal(s->kr, sealed, "topics.key", row, n, key, E4_KEY_LEN) != 0)
        return set_error(e, C2_INTERNAL, "cannot seal a topic key");
    return C2_OK;
}

c2_err topic_key(store *s, const topic_row *t, uint8_t key[E4_KEY_LEN], c2_error *e)
{
    uint8_t row[E4_TOPIC_MAX + 16];
    size_t n = topic_row_id(row, t->t.name, t->t.version), len = 0;
    if (unseal(s->kr, key, E4_KEY_LEN, &len, "topics.key", row, n, t->key_sealed,
               t->key_sealed_len) != 0 ||
        len != E4_KEY_LEN)
        return set_error(e, C2_INTERNAL,
                         "the key of topic \"%.200s\" does not open: "
                         "the database was altered",
                         t->t.name);
    return C2_OK;
}

c2_err c2_key_load_gen(store *s, int64_t generation, c2_error *e)
{
    db_rows *r = NULL;
    db_val p[1] = {DB_INT(generation)};
    size_t len = 0, n = 0;
    const uint8_t *b;
    int64_t gen;
    int rc;
    if (db_query(s->d, &r,
                 generation ? "SELECT generation, sk_sealed FROM c2keys WHERE generation = $1"
                            : "SELECT generation, sk_sealed FROM c2keys WHERE $1 = 0"
                              " ORDER BY generation DESC LIMIT 1",
                 p, 1) != DB_OK)
        return db_error(s, e, "cannot read the C2 key");
    rc = db_next(r);
    if (rc != 1) {
        db_rows_free(r);
        return rc < 0 ? db_error(s, e, "cannot read the C2 key")
                      : set_error(e, C2_NOT_FOUND, "the database has no such C2 key");
    }
    gen = db_int(r, 0);
    b = db_blob(r, 1, &n);
    rc =
        n ? unseal(s->kr, s->c2_sk, sizeof s->c2_sk, &len, "c2keys.sk", &gen, sizeof gen, b, n) : 1;
    db_rows_free(r);
    if (rc > 0) /* retired: its private key is gone */
        return set_error(e, C2_NOT_FOUND, "C2 key %lld is retired", (long long)gen);
    if (rc != 0 || len != c2_own_sk_len(s->suite))
        return set_error(e, C2_INTERNAL,
                         "the C2 private key does not open: the database was altered");
    s->c2_generation = gen;
    s->c2_loaded = 1;
    return C2_OK;
}

c2_err c2_key_load(store *s, c2_error *e)
{
    return c2_key_load_gen(s, 0, e);
}

c2_err unseal_client_key(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], const char *where,
                         const uint8_t *rid, size_t rid_len, const uint8_t *sealed,
                         size_t sealed_len, const char *what, c2_error *e)
{
    size_t len = 0;
    if (unseal(s->kr, key, E4_KEY_LEN, &len, where, rid, rid_len, sealed, sealed_len) != 0 ||
        len != E4_KEY_LEN)
        return set_error(e, C2_INTERNAL,
                         "the %s of client %.200s does not open: "
                         "the database was altered",
                         what, c->name);
    return C2_OK;
}

static c2_err sk_client_key(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], c2_error *e)
{
    return unseal_client_key(s, c, key, "clients.key", c->id, E4_ID_LEN, c->key_sealed,
                             c->key_sealed_len, "key", e);
}

c2_err command_key_epoch(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], int64_t *epoch,
                         c2_error *e)
{
    e4_err rc;
    *epoch = 0;
    if (s->mode == C2_MODE_SK)
        return sk_client_key(s, c, key, e);
    if (s->suite == E4_SUITE_PQ_PK)
        return pq_epoch_key(s, c, key, epoch, e);
    if (!s->c2_loaded && c2_key_load(s, e) != C2_OK)
        return e->code;
    if (c->pubkey_len != c2_client_pk_len(s->suite))
        return set_error(e, C2_INTERNAL, "client %.200s has no public key of this suite", c->name);
    rc = s->suite == E4_SUITE_FIPS_PK
             ? e4_fips_pk_command_key(key, s->c2_sk, c->pubkey + E4_P256_PK_LEN)
             : e4_c2_shared_key(key, s->c2_sk, c->pubkey);
    if (rc != E4_OK)
        return set_error(e, C2_INTERNAL, "cannot derive the command key of client %.200s", c->name);
    return C2_OK;
}

c2_err command_key(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], c2_error *e)
{
    int64_t epoch;
    return command_key_epoch(s, c, key, &epoch, e);
}

/* Clients that get commands no longer hold what C2 says they should: an
 * in_sync client becomes "repairing" until it reports the new state. */
static c2_err mark_out_of_sync(store *s, c2_error *e)
{
    char sql[128 + OUTBOX_BATCH * 6];
    db_val p[OUTBOX_BATCH];
    size_t len =
        (size_t)snprintf(sql, sizeof sql, "UPDATE clients SET sync = 2 WHERE sync = 1 AND id IN (");
    int i, k = 0;
    for (i = 0; i < s->nqueued; i++)
        if (s->queued[i].client_rowid) {
            len += (size_t)snprintf(sql + len, sizeof sql - len, "%s$%d", k ? "," : "", k + 1);
            p[k++] = DB_INT(s->queued[i].client_rowid);
        }
    snprintf(sql + len, sizeof sql - len, ")");
    if (k && db_exec(s->d, sql, p, k) < 0)
        return db_error(s, e, "cannot update the sync status");
    return C2_OK;
}

#define OUTBOX_COLS 12

/* One queued row's values, in the INSERT's column order. */
static void row_values(const struct queued_command *q, db_val *p)
{
    p[0] = DB_BLOB(q->rid, sizeof q->rid);
    p[1] = DB_BLOB(q->client_id, E4_ID_LEN);
    p[2] = q->client_rowid ? DB_INT(q->client_rowid) : DB_NULLV;
    p[3] = DB_INT(q->opcode);
    p[4] = q->has_topic ? DB_TEXT(q->topic) : DB_NULLV;
    p[5] = q->has_subject ? DB_BLOB(q->subject, E4_ID_LEN) : DB_NULLV;
    p[6] = DB_BLOB(q->key_sealed, sizeof q->key_sealed);
    p[7] = DB_BLOB(q->cmd_sealed, q->cmd_sealed_len);
    p[8] = DB_INT(q->created);
    p[9] = DB_INT(q->repair);
    p[10] = DB_INT(q->epoch);
    p[11] = q->c2_gen ? DB_INT(q->c2_gen) : DB_NULLV;
}

c2_err outbox_flush(store *s, c2_error *e)
{
    char sql[200 + OUTBOX_BATCH * OUTBOX_COLS * 7];
    db_val p[OUTBOX_BATCH * OUTBOX_COLS];
    size_t len =
        (size_t)snprintf(sql, sizeof sql,
                         "INSERT INTO outbox (rid, client_eid, client_id, opcode, topic, subject,"
                         " key_sealed, cmd_sealed, created, repair, epoch, c2_gen) VALUES ");
    int i, j, k = 0, n = s->nqueued;
    if (n == 0)
        return C2_OK;
    for (i = 0; i < n; i++, k += OUTBOX_COLS) {
        for (j = 0; j < OUTBOX_COLS; j++)
            len += (size_t)snprintf(sql + len, sizeof sql - len, "%s$%d",
                                    j   ? ","
                                    : i ? ",("
                                        : "(",
                                    k + j + 1);
        len += (size_t)snprintf(sql + len, sizeof sql - len, ")");
        row_values(&s->queued[i], &p[k]);
    }
    if (db_exec(s->d, sql, p, k) != n)
        return db_error(s, e, "cannot queue commands");
    if (mark_out_of_sync(s, e) != C2_OK)
        return e->code;
    s->nqueued = 0;
    return C2_OK;
}

/* Seal the command and the key protecting it into a queued row. */
/* The command's bytes in the suite's format; a key establishment's are its
 * X-Wing ciphertext. */
static e4_err build_command(store *s, uint8_t cmd[C2_OUTBOX_CMD_MAX], size_t *cmd_len, int op,
                            const uint8_t *args, size_t args_len)
{
    if (op == C2_OP_KEY_ESTABLISH) {
        if (args_len != E4_XWING_CT_LEN)
            return E4_ERR_INVALID_ARG_LENGTH;
        memcpy(cmd, args, args_len);
        *cmd_len = args_len;
        return E4_OK;
    }
    if (s->suite == E4_SUITE_BASE)
        return e4_command_build(cmd, cmd_len, (e4_command)op, args, args_len);
    return e4_command_build_suite(cmd, C2_OUTBOX_CMD_MAX, cmd_len, s->suite, (e4_command)op, args,
                                  args_len);
}

static c2_err queue_command(store *s, struct queued_command *q, const client_row *c,
                            const uint8_t key[E4_KEY_LEN], int64_t epoch, int op,
                            const uint8_t *args, size_t args_len, const char *topic,
                            const uint8_t *subject, c2_error *e)
{
    uint8_t cmd[C2_OUTBOX_CMD_MAX];
    size_t cmd_len = 0;
    c2_err rc = C2_OK;
    memset(q, 0, sizeof *q);
    q->epoch = epoch;
    /* an establishment is signed with the C2 key its client holds now */
    q->c2_gen = op == C2_OP_KEY_ESTABLISH ? s->c2_generation : 0;
    randombytes_buf(q->rid, sizeof q->rid);
    memcpy(q->client_id, c->id, E4_ID_LEN);
    q->client_rowid = c->rowid;
    q->opcode = op;
    q->created = now_s();
    q->repair = s->repairing;
    if ((q->has_topic = topic != NULL))
        snprintf(q->topic, sizeof q->topic, "%s", topic);
    if ((q->has_subject = subject != NULL))
        memcpy(q->subject, subject, E4_ID_LEN);
    if (build_command(s, cmd, &cmd_len, op, args, args_len) != E4_OK ||
        seal(s->kr, q->key_sealed, "outbox.key", q->rid, sizeof q->rid, key, E4_KEY_LEN) != 0 ||
        seal(s->kr, q->cmd_sealed, "outbox.cmd", q->rid, sizeof q->rid, cmd, cmd_len) != 0)
        rc = set_error(e, C2_INTERNAL, "cannot build command %d", (int)op);
    q->cmd_sealed_len = cmd_len + SEAL_OVERHEAD;
    sodium_memzero(cmd, sizeof cmd);
    return rc;
}

c2_err outbox_add_epoch(store *s, const client_row *c, const uint8_t key[E4_KEY_LEN], int64_t epoch,
                        int op, const uint8_t *args, size_t args_len, const char *topic,
                        const uint8_t *subject, c2_error *e)
{
    if (!s->queued && !(s->queued = calloc(OUTBOX_BATCH, sizeof *s->queued)))
        return set_error(e, C2_INTERNAL, "out of memory");
    if (s->nqueued == OUTBOX_BATCH && outbox_flush(s, e) != C2_OK)
        return e->code;
    if (queue_command(s, &s->queued[s->nqueued], c, key, epoch, op, args, args_len, topic, subject,
                      e) != C2_OK)
        return e->code;
    s->nqueued++;
    s->wrote_news = 1;
    return C2_OK;
}

c2_err outbox_add_keyed(store *s, const client_row *c, const uint8_t key[E4_KEY_LEN], e4_command op,
                        const uint8_t *args, size_t args_len, const char *topic,
                        const uint8_t *subject, c2_error *e)
{
    return outbox_add_epoch(s, c, key, 0, (int)op, args, args_len, topic, subject, e);
}

c2_err outbox_add(store *s, const client_row *c, e4_command op, const uint8_t *args,
                  size_t args_len, const char *topic, const uint8_t *subject, c2_error *e)
{
    uint8_t key[E4_KEY_LEN];
    int64_t epoch = 0;
    c2_err rc = command_key_epoch(s, c, key, &epoch, e);
    if (rc == C2_OK)
        rc = outbox_add_epoch(s, c, key, epoch, (int)op, args, args_len, topic, subject, e);
    sodium_memzero(key, sizeof key);
    return rc;
}

c2_err event_add(store *s, const char *type, const char *data, c2_error *e)
{
    int64_t id = 0;
    int found = 0;
    db_val p[3] = {DB_INT(now_s()), DB_TEXT(type), DB_TEXT(data ? data : "{}")};
    s->wrote_news = 1;
    if (db_query_int(s->d, &id, &found,
                     "INSERT INTO events (at, type, data) VALUES ($1, $2, $3) RETURNING id", p,
                     3) != DB_OK)
        return db_error(s, e, "cannot record an event");
    /* a bounded history: the last 10,000 events (trimmed now and then) */
    if (found && id % 512 == 0) {
        db_val q[1] = {DB_INT(id - 10000)};
        if (db_exec(s->d, "DELETE FROM events WHERE id <= $1", q, 1) < 0)
            return db_error(s, e, "cannot trim events");
    }
    return C2_OK;
}

#define MEMBER_PAGE 512

static c2_err client_keyset_page(store *s, const char *from_where, const char *key, int64_t arg,
                                 int64_t after, client_row *rows, int *n, c2_error *e)
{
    char sql[512];
    db_rows *r = NULL;
    db_val p[3] = {DB_INT(arg), DB_INT(after), DB_INT(MEMBER_PAGE)};
    int rc;
    *n = 0;
    snprintf(sql, sizeof sql, "SELECT " CLIENT_COLUMNS " FROM %s AND %s > $2 ORDER BY %s LIMIT $3",
             from_where, key, key);
    if (db_query(s->d, &r, sql, p, 3) != DB_OK)
        return db_error(s, e, "cannot read clients");
    while ((rc = db_next(r)) == 1)
        client_read(r, 0, &rows[(*n)++]);
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, "cannot read clients") : C2_OK;
}

c2_err for_each_client(store *s, const char *from_where, const char *key, int64_t arg,
                       c2_err (*fn)(store *, const client_row *, void *, c2_error *), void *ctx,
                       c2_error *e)
{
    client_row *rows = malloc(MEMBER_PAGE * sizeof *rows);
    int64_t after = 0;
    int n, i;
    c2_err rc = rows ? C2_OK : set_error(e, C2_INTERNAL, "out of memory");
    while (rc == C2_OK) {
        rc = client_keyset_page(s, from_where, key, arg, after, rows, &n, e);
        for (i = 0; rc == C2_OK && i < n; i++)
            rc = fn(s, &rows[i], ctx, e);
        if (n < MEMBER_PAGE)
            break;
        after = rows[n - 1].rowid;
    }
    free(rows);
    return rc;
}

c2_err for_each_member(store *s, int64_t topic_id,
                       c2_err (*fn)(store *, const client_row *, void *, c2_error *), void *arg,
                       c2_error *e)
{
    /* the keyset column is the one the index orders: members (topic_id, client_id) */
    if (topic_id)
        return for_each_client(
            s, "members m JOIN clients c ON c.id = m.client_id WHERE m.topic_id = $1",
            "m.client_id", topic_id, fn, arg, e);
    return for_each_client(s, "clients c WHERE $1 = 0", "c.id", 0, fn, arg, e);
}
