#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Each migration is written once; words between '%' are the only dialect
 * differences: %BLOB% (BLOB / BYTEA), %INT% (INTEGER / BIGINT) and %SERIAL%
 * (an auto-increment primary key).
 *
 * The outbox keeps the client's id and not a foreign key: the commands sent
 * to a removed client (ResetTopics) must still go out after its row is gone.
 * An outbox row's rid is 16 random bytes bound into its sealing; nothing
 * looks rows up by it, so it has no index (a random key would make every
 * insert touch a random page).
 * Each outbox row carries the key that protects it, sealed, chosen when the
 * command is made: a SetIDKey travels under the old key and the commands
 * after it under the new one, whatever is sent when.
 */
static const char *const migrations[] = {
    /* 1 */
    "CREATE TABLE meta (k TEXT PRIMARY KEY, t TEXT, b %BLOB%, i %INT%);"
    "CREATE TABLE clients ("
    " id %SERIAL%, eid %BLOB% NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,"
    " key_sealed %BLOB%, pubkey %BLOB%, created %INT% NOT NULL);"
    "CREATE TABLE topics ("
    " id %SERIAL%, name TEXT NOT NULL UNIQUE, hash %BLOB% NOT NULL UNIQUE,"
    " key_sealed %BLOB% NOT NULL, key_id %BLOB% NOT NULL, version %INT% NOT NULL,"
    " created %INT% NOT NULL, rotated_at %INT% NOT NULL);"
    "CREATE TABLE members ("
    " topic_id %INT% NOT NULL REFERENCES topics(id) ON DELETE CASCADE,"
    " client_id %INT% NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
    " joined %INT% NOT NULL, PRIMARY KEY (topic_id, client_id));"
    "CREATE INDEX members_by_client ON members (client_id);"
    "CREATE TABLE pubkeys_sent ("
    " target_id %INT% NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
    " source_id %INT% NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
    " PRIMARY KEY (target_id, source_id));"
    "CREATE INDEX pubkeys_by_source ON pubkeys_sent (source_id);"
    "CREATE TABLE links ("
    " target_id %INT% NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
    " source_id %INT% NOT NULL REFERENCES clients(id) ON DELETE CASCADE,"
    " PRIMARY KEY (target_id, source_id));"
    "CREATE INDEX links_by_source ON links (source_id);"
    "CREATE TABLE c2keys ("
    " generation %INT% PRIMARY KEY, pk %BLOB% NOT NULL, sk_sealed %BLOB% NOT NULL,"
    " created %INT% NOT NULL, retired %INT%);"
    "CREATE TABLE outbox ("
    " seq %SERIAL%, rid %BLOB% NOT NULL, client_eid %BLOB% NOT NULL,"
    " client_id %INT% REFERENCES clients(id) ON DELETE SET NULL,"
    " opcode %INT% NOT NULL, topic TEXT, subject %BLOB%,"
    " key_sealed %BLOB% NOT NULL, cmd_sealed %BLOB% NOT NULL,"
    " state %INT% NOT NULL DEFAULT 0, created %INT% NOT NULL, sent_at %INT%,"
    " attempts %INT% NOT NULL DEFAULT 0, next_try %INT% NOT NULL DEFAULT 0,"
    " lease_owner TEXT, lease_until %INT% NOT NULL DEFAULT 0, last_error TEXT);"
    "CREATE INDEX outbox_queue ON outbox (seq) WHERE state = 0;"
    "CREATE INDEX outbox_pending_by_client ON outbox (client_eid, seq) WHERE state = 0;"
    "CREATE INDEX outbox_by_client ON outbox (client_eid, seq);"
    "CREATE TABLE events (id %SERIAL%, at %INT% NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);"
    "CREATE TABLE tokens ("
    " id %SERIAL%, name TEXT NOT NULL UNIQUE, hash %BLOB% NOT NULL UNIQUE,"
    " read_only %INT% NOT NULL, created %INT% NOT NULL, last_used %INT%);",
    /* 2: receipts and state sync (e4-sync.md). Per client: what it last
     * reported (the STATE plaintext: hashes and 64-bit checks, no key), when,
     * the C2 key generation it holds, and the repair bookkeeping. Per
     * member: the topic key version it reported. Per command: the digest of
     * what was sent, and what the device said of it (state 2 applied,
     * 3 refused with result, 4 closed: its effect was already reported).
     * Receipts look commands up among the client's newest (outbox_by_client,
     * backwards): an index on the digest cost every sent-mark 15%. */
    "ALTER TABLE clients ADD COLUMN sync %INT% NOT NULL DEFAULT 0;"
    "ALTER TABLE clients ADD COLUMN state_at %INT%;"
    "ALTER TABLE clients ADD COLUMN state_ts %INT%;"
    "ALTER TABLE clients ADD COLUMN reported %BLOB%;"
    "ALTER TABLE clients ADD COLUMN c2_gen %INT%;"
    "ALTER TABLE clients ADD COLUMN repair_at %INT% NOT NULL DEFAULT 0;"
    "ALTER TABLE clients ADD COLUMN sync_due %INT%;"
    "CREATE INDEX clients_sync_due ON clients (sync_due) WHERE sync_due IS NOT NULL;"
    "ALTER TABLE members ADD COLUMN held_version %INT%;"
    "ALTER TABLE outbox ADD COLUMN digest %BLOB%;"
    "ALTER TABLE outbox ADD COLUMN result %INT%;"
    "ALTER TABLE outbox ADD COLUMN done_at %INT%;"
    "ALTER TABLE outbox ADD COLUMN repair %INT% NOT NULL DEFAULT 0;",
    /* 3: rotation policies and traffic monitoring (issue 8). A policy is
     * one row per topic or client (kind 1 topic, 2 client), removed with
     * its subject. every_due is when the interval comes due; next_due the
     * earliest of that, the key's maximum age and a retry: the scheduler
     * claims rows by next_due. A topic keeps its previous key sealed for
     * the monitor (messages of the key transition). Monitoring counters are
     * totals per topic plus one row per topic and minute; never a payload
     * byte. rotations_hourly counts rotations for the overview's chart
     * (events are trimmed). */
    "CREATE TABLE policies ("
    " id %SERIAL%, kind %INT% NOT NULL,"
    " topic_id %INT% UNIQUE REFERENCES topics(id) ON DELETE CASCADE,"
    " client_id %INT% UNIQUE REFERENCES clients(id) ON DELETE CASCADE,"
    " every %INT%, max_age %INT%, on_join %INT% NOT NULL DEFAULT 0, on_leave %INT% NOT NULL "
    "DEFAULT 1,"
    " every_due %INT%, next_due %INT%, last_run %INT%, last_error TEXT,"
    " failures %INT% NOT NULL DEFAULT 0);"
    "CREATE INDEX policies_due ON policies (next_due) WHERE next_due IS NOT NULL;"
    "ALTER TABLE topics ADD COLUMN prev_key_sealed %BLOB%;"
    "CREATE TABLE rotations_hourly (at %INT% PRIMARY KEY, n %INT% NOT NULL);"
    "CREATE TABLE monitors ("
    " topic_id %INT% PRIMARY KEY REFERENCES topics(id) ON DELETE CASCADE,"
    " enabled %INT% NOT NULL, since %INT% NOT NULL,"
    " valid %INT% NOT NULL DEFAULT 0, unprotected %INT% NOT NULL DEFAULT 0,"
    " not_authentic %INT% NOT NULL DEFAULT 0, replayed %INT% NOT NULL DEFAULT 0,"
    " too_old %INT% NOT NULL DEFAULT 0, in_future %INT% NOT NULL DEFAULT 0,"
    " unknown_signer %INT% NOT NULL DEFAULT 0,"
    " skew0 %INT% NOT NULL DEFAULT 0, skew1 %INT% NOT NULL DEFAULT 0, skew2 %INT% NOT NULL DEFAULT "
    "0,"
    " skew3 %INT% NOT NULL DEFAULT 0, skew4 %INT% NOT NULL DEFAULT 0, skew5 %INT% NOT NULL DEFAULT "
    "0,"
    " skew6 %INT% NOT NULL DEFAULT 0, skew7 %INT% NOT NULL DEFAULT 0, skew_sum %INT% NOT NULL "
    "DEFAULT 0,"
    " last_kind TEXT, last_at %INT%);"
    "CREATE TABLE traffic_minutes ("
    " topic_id %INT% NOT NULL REFERENCES topics(id) ON DELETE CASCADE, at %INT% NOT NULL,"
    " valid %INT% NOT NULL, anomalies %INT% NOT NULL, PRIMARY KEY (topic_id, at));"
    "CREATE TABLE monitor_lease (id %INT% PRIMARY KEY, owner TEXT NOT NULL, until %INT% NOT NULL);",
    /* 4: cipher suites (e4-suites.md). clients.pubkey holds the suite's key
     * set, c2keys its own (both variable-length already). pq-pk: each client's
     * last key establishment (epoch, only ever incremented, in the
     * transaction that queues it: the row lock keeps two processes from
     * handing out one epoch) and its K_epoch, sealed for (id, epoch); NULL
     * until the first command, and again after a rekey. Each outbox row
     * knows the epoch it travels under (or, for an establishment, sets up), and
     * an establishment the C2 key generation its client holds when it is queued
     * (signed with that key when sent, though a rotation came in between). */
    "ALTER TABLE clients ADD COLUMN epoch %INT% NOT NULL DEFAULT 0;"
    "ALTER TABLE clients ADD COLUMN epoch_key_sealed %BLOB%;"
    "ALTER TABLE outbox ADD COLUMN epoch %INT% NOT NULL DEFAULT 0;"
    "ALTER TABLE outbox ADD COLUMN c2_gen %INT%;",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static const char *dialect_word(db_kind k, const char *word, size_t len)
{
    static const struct {
        const char *word, *sqlite, *pg;
    } words[] = {
        {"BLOB", "BLOB", "BYTEA"},
        {"INT", "INTEGER", "BIGINT"},
        {"SERIAL", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"},
    };
    size_t i;
    for (i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].word) == len && !memcmp(words[i].word, word, len))
            return k == DB_PG ? words[i].pg : words[i].sqlite;
    return NULL;
}

/* The migration text with %WORD% replaced; malloc'ed. */
static char *translate(db_kind k, const char *sql)
{
    size_t cap = strlen(sql) * 2 + 64, n = 0;
    char *out = malloc(cap);
    while (out && *sql) {
        const char *end = *sql == '%' ? strchr(sql + 1, '%') : NULL;
        const char *w = end ? dialect_word(k, sql + 1, (size_t)(end - sql - 1)) : NULL;
        if (w) {
            n += (size_t)snprintf(out + n, cap - n, "%s", w);
            sql = end + 1;
        } else {
            out[n++] = *sql++;
        }
    }
    if (out)
        out[n] = 0;
    return out;
}

int schema_version(db *d)
{
    int64_t v = 0;
    int found = 0;
    if (db_query_int(d, &v, &found, "SELECT version FROM schema_version", NULL, 0) != DB_OK)
        return 0;
    return found ? (int)v : 0;
}

/* Several e4c2 processes may start at once on one PostgreSQL: the first
 * takes the lock and migrates, the others find the work done. */
static int locked_version(db *d)
{
    if (db_kind_of(d) == DB_PG &&
        db_exec_script(d, "SELECT pg_advisory_xact_lock(4244252)") != DB_OK)
        return -1;
    return schema_version(d);
}

static int apply(db *d, int version, c2_error *e)
{
    char *sql = translate(db_kind_of(d), migrations[version - 1]);
    db_val p[1] = {DB_INT(version)};
    int ok = sql && db_begin(d) == DB_OK, current = ok ? locked_version(d) : -1;
    if (ok && current >= version) {
        free(sql);
        db_rollback(d);
        return 0;
    }
    ok = ok && current == version - 1 && db_exec_script(d, sql) == DB_OK &&
         db_exec(d, "UPDATE schema_version SET version = $1", p, 1) == 1 && db_commit(d) == DB_OK;
    free(sql);
    if (ok)
        return 0;
    e->code = C2_INTERNAL;
    snprintf(e->message, sizeof e->message, "schema migration %d failed: %s", version,
             db_errmsg(d));
    db_rollback(d);
    return -1;
}

int schema_migrate(db *d, c2_error *e)
{
    int v;
    if (db_exec_script(d, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)") !=
            DB_OK ||
        db_exec(d,
                "INSERT INTO schema_version (version) SELECT 0 WHERE NOT EXISTS "
                "(SELECT 1 FROM schema_version)",
                NULL, 0) < 0) {
        e->code = C2_UNAVAILABLE;
        snprintf(e->message, sizeof e->message, "cannot prepare the schema: %s", db_errmsg(d));
        return -1;
    }
    v = schema_version(d);
    if (v > NMIGRATIONS) {
        e->code = C2_INVALID;
        snprintf(e->message, sizeof e->message,
                 "the database has schema version %d, newer than this e4c2 (%d): upgrade e4c2", v,
                 NMIGRATIONS);
        return -1;
    }
    for (v = v + 1; v <= NMIGRATIONS; v++)
        if (apply(d, v, e) != 0)
            return -1;
    return 0;
}
