/*
 * Transaction cases: rollback, the same rules after an error on both
 * backends, a second connection's lock (DB_BUSY), a lost PostgreSQL
 * connection (DB_CONN, then reconnection).
 */
#include "test_db.h"

#include <time.h>

static int64_t count_named(db *d, const char *name)
{
    int64_t v = -1;
    db_val p[1] = {DB_TEXT(name)};
    CHECK_OK(d, db_query_int(d, &v, NULL, "SELECT COUNT(*) FROM client WHERE name = $1", p, 1));
    return v;
}

static int64_t insert_named(db *d, const char *eid, const char *name)
{
    db_val p[2] = {DB_BLOB(eid, strlen(eid)), DB_TEXT(name)};
    return db_exec(d, "INSERT INTO client (eid, name) VALUES ($1, $2)", p, 2);
}

static void case_rollback(db *d, const char *url)
{
    (void)url;
    CHECK_OK(d, db_begin(d));
    CHECK_IS(d, insert_named(d, "tx-1", "tx-one"), 1);
    CHECK(count_named(d, "tx-one") == 1); /* visible inside */
    db_rollback(d);
    CHECK(count_named(d, "tx-one") == 0);
    db_rollback(d); /* no-op outside a transaction */
    CHECK_OK(d, db_begin(d));
    CHECK_IS(d, db_begin(d), DB_ERR); /* no nesting */
    CHECK_IS(d, insert_named(d, "tx-1", "tx-one"), 1);
    CHECK_OK(d, db_commit(d));
    CHECK(count_named(d, "tx-one") == 1);
    CHECK_IS(d, db_commit(d), DB_ERR); /* nothing to commit */
}

/* After a failed statement, nothing but a rollback is accepted, on SQLite
 * as on PostgreSQL; the error that caused it survives the rollback. */
static void case_aborted(db *d, const char *url)
{
    (void)url;
    CHECK_OK(d, db_begin(d));
    CHECK_IS(d, insert_named(d, "tx-2", "tx-two"), 1);
    CHECK_IS(d, insert_named(d, "tx-1", "tx-dup"), DB_UNIQUE);
    CHECK(insert_named(d, "tx-3", "tx-three") < 0);
    printf("     after an error: %s\n", db_errmsg(d));
    CHECK_IS(d, insert_named(d, "tx-1", "tx-dup"), DB_ERR);
    CHECK_IS(d, db_exec(d, "SELECT 1", NULL, 0), DB_ERR);
    db_rollback(d);
    CHECK(db_last_status(d) == DB_ERR);
    CHECK(count_named(d, "tx-two") == 0 && count_named(d, "tx-three") == 0);
    /* A commit of an aborted transaction fails and ends it. */
    CHECK_OK(d, db_begin(d));
    CHECK_IS(d, insert_named(d, "tx-1", "tx-dup"), DB_UNIQUE);
    CHECK_IS(d, db_commit(d), DB_ERR);
    CHECK_OK(d, db_begin(d));
    CHECK_IS(d, insert_named(d, "tx-4", "tx-four"), 1);
    CHECK_OK(d, db_commit(d));
    CHECK(count_named(d, "tx-four") == 1);
}

static void busy_sqlite(db *d, db *d2)
{
    /* The first writer holds the lock; the second, told not to wait, is busy. */
    CHECK_OK(d2, db_exec_script(d2, "PRAGMA busy_timeout = 0"));
    CHECK_OK(d, db_begin(d));
    CHECK_IS(d2, db_begin(d2), DB_BUSY);
    CHECK(db_last_status(d2) == DB_BUSY);
    printf("     busy: %s\n", db_errmsg(d2));
    CHECK_IS(d, insert_named(d, "busy-1", "busy-one"), 1);
    CHECK_OK(d, db_commit(d));
    CHECK_OK(d2, db_begin(d2));
    CHECK(count_named(d2, "busy-one") == 1);
    db_rollback(d2);
}

static void busy_pg(db *d, db *d2)
{
    static const char lock[] = "SELECT id FROM client WHERE name = $1 FOR UPDATE NOWAIT";
    db_val p[1] = {DB_TEXT("tx-one")};
    db_rows *r;
    CHECK_OK(d, db_begin(d));
    CHECK_OK(d, db_query(d, &r, lock, p, 1));
    CHECK_IS(d, db_next(r), 1);
    db_rows_free(r);
    CHECK_OK(d2, db_begin(d2));
    CHECK_IS(d2, db_query(d2, &r, lock, p, 1), DB_BUSY);
    printf("     busy: %s\n", db_errmsg(d2));
    db_rollback(d2);
    db_rollback(d);
    CHECK_OK(d2, db_query(d2, &r, lock, p, 1)); /* free again (autocommit) */
    db_rows_free(r);
}

static void case_busy(db *d, const char *url)
{
    if (strstr(url, ":memory:")) /* a second connection would be another database */
        return;
    db *d2 = open_or_die(url);
    if (db_kind_of(d) == DB_PG)
        busy_pg(d, d2);
    else
        busy_sqlite(d, d2);
    db_close(d2);
}

/* Has another connection end d's server process; waits until it is gone. */
static void kill_backend(db *d, db *killer)
{
    int64_t pid = 0, alive = 1;
    CHECK_OK(d, db_query_int(d, &pid, NULL, "SELECT pg_backend_pid()", NULL, 0));
    db_val p[1] = {DB_INT(pid)};
    CHECK_OK(killer, db_query_int(killer, NULL, NULL,
                                  "SELECT pg_terminate_backend(CAST($1 AS INTEGER))", p, 1));
    for (int i = 0; i < 200 && alive; i++) {
        CHECK_OK(killer,
                 db_query_int(killer, &alive, NULL,
                              "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1", p, 1));
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    CHECK(alive == 0);
}

static void case_conn_lost(db *d, const char *url)
{
    if (db_kind_of(d) != DB_PG)
        return;
    db *killer = open_or_die(url);
    kill_backend(d, killer);
    CHECK_IS(d, db_exec(d, "SELECT 1", NULL, 0), DB_CONN);
    printf("     lost: %s\n", db_errmsg(d));
    /* Outside a transaction, the next call reconnects; cached statements are
     * prepared again. */
    CHECK(count_named(d, "tx-one") == 1);
    CHECK_OK(d, db_begin(d));
    CHECK_IS(d, insert_named(d, "lost-1", "lost-one"), 1);
    kill_backend(d, killer);
    CHECK_IS(d, insert_named(d, "lost-2", "lost-two"), DB_CONN);
    CHECK(db_commit(d) < 0);
    db_rollback(d);
    CHECK(count_named(d, "lost-one") == 0);
    db_close(killer);
}

const db_case db_tx_cases[] = {
    {"rollback", case_rollback},
    {"aborted", case_aborted},
    {"busy", case_busy},
    {"conn_lost", case_conn_lost},
    {NULL, NULL},
};
