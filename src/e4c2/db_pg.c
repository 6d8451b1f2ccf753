/*
 * db_pg: the PostgreSQL driver of db.h, over libpq.
 *
 * Parameters travel typed, as db.h types them: integers as int8 in text
 * form, text as text (DB_TEXT(NULL) too: a NULL of type text), blobs as
 * bytea in binary form (no escaping, NUL bytes included). DB_NULLV alone
 * is untyped and takes its type from the context, which must give one
 * ("$1 IS NULL" alone does not: write CAST($1 AS TEXT) IS NULL). Results come
 * back in text form; bytea columns ("\x..." hex) are decoded into buffers
 * held by the row set, so both drivers hand the caller the same bytes.
 *
 * Each distinct (SQL, parameter types) is prepared once per connection
 * (db_cache.c, 64 entries): an insert is then one Bind/Execute round trip
 * without a parse and plan on the server.
 *
 * Errors keep only the primary message and the SQLSTATE; the DETAIL, which
 * repeats key values ("Key (eid)=(\x...) already exists"), is never read.
 * A connection lost outside a transaction is re-established on the next
 * call; inside one, the caller gets DB_CONN and must roll back and retry.
 */
#include "db_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pg_db {
    db base;
    PGconn *conn;
    db_cache cache;
    unsigned long stmt_seq; /* names prepared statements, never reused */
    char sqlstate[6];       /* of the last server error */
} pg_db;

/* libpq's parallel parameter arrays, in one allocation. */
typedef struct pg_params {
    int n;
    const char **values;
    int *lengths, *formats;
    Oid *types;
    char (*nums)[24];
    char *sig; /* one letter per parameter type: part of the cache key */
    void *block;
} pg_params;

/* Parameter i as libpq wants it; NULL on success, else what is wrong. */
static const char *pg_param(pg_params *pp, int i, const db_val *v)
{
    switch (v->type) {
    case DBV_INT:
        snprintf(pp->nums[i], 24, "%lld", (long long)v->i);
        pp->values[i] = pp->nums[i];
        pp->types[i] = OID_INT8;
        pp->sig[i] = 'i';
        return NULL;
    case DBV_TEXT:
        pp->values[i] = v->p;
        pp->types[i] = OID_TEXT;
        pp->sig[i] = 't';
        return NULL;
    case DBV_BLOB:
        if (v->len > 0x7fffffff)
            return "blob parameter over 2 GiB";
        /* A NULL value means SQL NULL to libpq, so an empty blob needs a pointer. */
        pp->values[i] = v->p ? v->p : "";
        pp->lengths[i] = (int)v->len;
        pp->formats[i] = 1;
        pp->types[i] = OID_BYTEA;
        pp->sig[i] = 'b';
        return NULL;
    case DBV_NULL: pp->sig[i] = 'u'; return NULL;
    }
    return "parameter of unknown type";
}

/* NULL on success, else what is wrong. */
static const char *pg_params_init(pg_params *pp, const db_val *p, int n)
{
    size_t per = sizeof(char *) + 2 * sizeof(int) + sizeof(Oid) + 24 + 1;
    char *b = calloc(1, (size_t)n * per + 1);
    if (!b)
        return "out of memory";
    *pp = (pg_params){.n = n, .block = b, .values = (const char **)(void *)b};
    pp->lengths = (int *)(void *)(b += (size_t)n * sizeof(char *));
    pp->formats = (int *)(void *)(b += (size_t)n * sizeof(int));
    pp->types = (Oid *)(void *)(b += (size_t)n * sizeof(int));
    pp->nums = (char(*)[24])(b += (size_t)n * sizeof(Oid));
    pp->sig = b + (size_t)n * 24;
    for (int i = 0; i < n; i++) {
        const char *bad = pg_param(pp, i, &p[i]);
        if (bad)
            return bad;
    }
    return NULL;
}

static db_status pg_map(const char *state)
{
    if (!state)
        return DB_ERR;
    if (!strcmp(state, "23505"))
        return DB_UNIQUE;
    if (!strcmp(state, "23503"))
        return DB_FOREIGN_KEY;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return DB_BUSY;
    if (!strncmp(state, "08", 2))
        return DB_CONN;
    return DB_ERR;
}

static db_status pg_conn_lost(pg_db *g, const char *what)
{
    char msg[DB_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", PQerrorMessage(g->conn));
    pg_msg_one_line(msg);
    const char *pass = PQpass(g->conn);
    if (pass)
        pg_msg_scrub(msg, sizeof msg, pass, strlen(pass));
    return db_fail(&g->base, DB_CONN, "%s: %s", what, msg);
}

/* DB_OK for a successful result, else records why not. */
static db_status pg_check(pg_db *g, const PGresult *res)
{
    ExecStatusType t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    g->sqlstate[0] = '\0';
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_EMPTY_QUERY)
        return DB_OK; /* empty: a blank script (db.c refuses blank statements) */
    if (PQstatus(g->conn) == CONNECTION_BAD)
        return pg_conn_lost(g, "PostgreSQL connection lost");
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char msg[DB_ERRMSG_MAX];
    /* Without a server message, libpq's own (client-side, no values). */
    snprintf(msg, sizeof msg, "%s", primary ? primary : PQerrorMessage(g->conn));
    if (state && !strncmp(state, "22", 2)) { /* data exceptions quote the value */
        char *colon = strstr(msg, ": ");
        if (colon)
            *colon = '\0';
        pg_msg_redact_quoted(msg);
    }
    pg_msg_one_line(msg);
    snprintf(g->sqlstate, sizeof g->sqlstate, "%s", state ? state : "");
    return db_fail(&g->base, pg_map(state), "%s (SQLSTATE %s)", msg[0] ? msg : "error",
                   state ? state : "none");
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* notices ("relation exists, skipping") are not errors */
}

/* What every session needs, after a connect or a reset. */
static db_status pg_session(pg_db *g)
{
    PQsetNoticeProcessor(g->conn, quiet, NULL);
    /* hex is the default, but a server may be configured for "escape".
     * Custom plans: a prepared statement's generic plan cannot use the
     * selectivity of its parameters (the outbox claim's "due now" and
     * "lease expired" filters), and fell to a scan costing 100x more. */
    PGresult *res =
        PQexec(g->conn, "SET bytea_output = 'hex'; SET plan_cache_mode = force_custom_plan");
    db_status st = pg_check(g, res);
    PQclear(res);
    return st;
}

static void forget_cb(void *handle, void *ctx)
{
    (void)ctx;
    free(handle);
}

/* The connection, re-established if it was lost outside a transaction. */
static db_status pg_alive(pg_db *g)
{
    if (PQstatus(g->conn) == CONNECTION_OK)
        return DB_OK;
    if (g->base.in_tx)
        return db_fail(&g->base, DB_CONN, "PostgreSQL connection lost in a transaction");
    PQreset(g->conn);
    db_cache_clear(&g->cache, forget_cb, NULL); /* they died with the session */
    if (PQstatus(g->conn) != CONNECTION_OK)
        return pg_conn_lost(g, "cannot reconnect to PostgreSQL");
    return pg_session(g);
}

static void pg_deallocate(pg_db *g, char *name)
{
    char sql[64];
    snprintf(sql, sizeof sql, "DEALLOCATE %s", name);
    if (PQstatus(g->conn) == CONNECTION_OK)
        PQclear(PQexec(g->conn, sql));
    free(name);
}

/* The prepared statement for key; *entry NULL when it could not be cached
 * (the caller deallocates it after use). */
static char *pg_statement(pg_db *g, const char *key, const char *sql, const pg_params *pp,
                          db_cache_entry **entry)
{
    db_cache_entry *e = db_cache_find(&g->cache, key);
    *entry = e;
    if (e)
        return e->handle;
    /* The server would accept unused parameters it was given types for; both
     * drivers refuse a count that does not match the SQL. */
    int want = db_placeholders(sql, NULL, 0);
    if (want != pp->n) {
        db_fail(&g->base, DB_ERR, "statement takes %d parameters, %d given", want, pp->n);
        return NULL;
    }
    char *name = malloc(32);
    if (!name) {
        db_fail(&g->base, DB_ERR, "out of memory");
        return NULL;
    }
    snprintf(name, 32, "e4c2_%lu", ++g->stmt_seq);
    PGresult *res = PQprepare(g->conn, name, sql, pp->n, pp->types);
    db_status st = pg_check(g, res);
    PQclear(res);
    if (st != DB_OK) {
        free(name);
        return NULL;
    }
    void *old = NULL;
    *entry = db_cache_add(&g->cache, key, name, &old);
    if (old)
        pg_deallocate(g, old);
    return name;
}

static char *cache_key(const char *sql, const char *sig)
{
    size_t a = strlen(sql), b = strlen(sig);
    char *k = malloc(a + b + 2);
    if (k) {
        memcpy(k, sql, a);
        k[a] = '\x1f'; /* cannot appear in the type letters */
        memcpy(k + a + 1, sig, b + 1);
    }
    return k;
}

/* Runs a statement with its parameters; NULL (status recorded) on error. */
static PGresult *pg_run(pg_db *g, const char *sql, const db_val *p, int n)
{
    if (pg_alive(g) != DB_OK)
        return NULL;
    pg_params pp = {0};
    const char *bad = pg_params_init(&pp, p, n);
    char *key = bad ? NULL : cache_key(sql, pp.sig);
    if (!key) {
        free(pp.block);
        db_fail(&g->base, DB_ERR, "%s", bad ? bad : "out of memory");
        return NULL;
    }
    db_cache_entry *e;
    char *name = pg_statement(g, key, sql, &pp, &e);
    PGresult *res = NULL;
    if (name) {
        res = PQexecPrepared(g->conn, name, n, pp.values, pp.lengths, pp.formats, 0);
        if (pg_check(g, res) != DB_OK) {
            PQclear(res);
            res = NULL;
        }
        /* 0A000: "cached plan must not change result type" after DDL;
         * 26000: the statement is gone. Prepare afresh next time. */
        if (!res && e && (!strcmp(g->sqlstate, "0A000") || !strcmp(g->sqlstate, "26000"))) {
            db_cache_drop(e);
            e = NULL;
        }
        if (!e)
            pg_deallocate(g, name);
    }
    free(key);
    free(pp.block);
    return res;
}

static int64_t pg_exec(db *d, const char *sql, const db_val *params, int nparams)
{
    pg_db *g = (pg_db *)d;
    PGresult *res = pg_run(g, sql, params, nparams);
    if (!res)
        return d->status;
    /* PQcmdTuples also counts the rows of a SELECT; db.h counts changes. */
    int64_t n = strncmp(PQcmdStatus(res), "SELECT", 6) ? strtoll(PQcmdTuples(res), NULL, 10) : 0;
    PQclear(res);
    return n;
}

static db_status pg_exec_script(db *d, const char *sql)
{
    pg_db *g = (pg_db *)d;
    db_status st = pg_alive(g);
    if (st != DB_OK)
        return st;
    PGresult *res = PQexec(g->conn, sql);
    st = pg_check(g, res);
    PQclear(res);
    return st;
}

static db_status pg_query(db *d, db_rows **out, const char *sql, const db_val *params, int nparams)
{
    PGresult *res = pg_run((pg_db *)d, sql, params, nparams);
    if (!res)
        return d->status;
    *out = pg_rows_new(d, res);
    return *out ? DB_OK : db_fail(d, DB_ERR, "out of memory");
}

static db_status pg_begin(db *d)
{
    return pg_exec_script(d, "BEGIN");
}

static db_status pg_commit(db *d)
{
    pg_db *g = (pg_db *)d;
    db_status st = pg_alive(g);
    if (st != DB_OK)
        return st;
    PGresult *res = PQexec(g->conn, "COMMIT");
    st = pg_check(g, res);
    /* COMMIT of a transaction the server aborted succeeds as "ROLLBACK". */
    if (st == DB_OK && !strcmp(PQcmdStatus(res), "ROLLBACK"))
        st = db_fail(d, DB_ERR, "the server rolled the transaction back");
    PQclear(res);
    return st;
}

static void pg_rollback(db *d)
{
    pg_db *g = (pg_db *)d;
    if (PQstatus(g->conn) == CONNECTION_OK && PQtransactionStatus(g->conn) != PQTRANS_IDLE)
        PQclear(PQexec(g->conn, "ROLLBACK"));
}

static void pg_close(db *d)
{
    pg_db *g = (pg_db *)d;
    db_cache_clear(&g->cache, forget_cb, NULL); /* PQfinish ends them on the server */
    PQfinish(g->conn);
    free(g);
}

static const db_driver pg_driver = {
    .close = pg_close,
    .exec = pg_exec,
    .exec_script = pg_exec_script,
    .query = pg_query,
    .next = pg_next,
    .is_null = pg_is_null,
    .get_int = pg_int,
    .get_text = pg_text,
    .get_blob = pg_blob,
    .rows_free = pg_rows_free,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
};

/* libpq's reason, without any password the URL or libpq holds. */
static void connect_error(PGconn *conn, const char *url, char *err, size_t err_len)
{
    char msg[DB_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", conn ? PQerrorMessage(conn) : "out of memory");
    pg_msg_one_line(msg);
    pg_msg_scrub_url(msg, sizeof msg, url);
    const char *pass = conn ? PQpass(conn) : NULL;
    if (pass)
        pg_msg_scrub(msg, sizeof msg, pass, strlen(pass));
    if (err && err_len)
        snprintf(err, err_len, "cannot connect to PostgreSQL: %s", msg);
}

db *db_pg_open(const char *url, char *err, size_t err_len)
{
    /* Defaults first: what the URL says is processed later and wins. */
    static const char *const keys[] = {"connect_timeout", "fallback_application_name",
                                       "client_encoding", "dbname", NULL};
    const char *vals[] = {"10", "e4c2", "UTF8", url, NULL};
    pg_db *g = calloc(1, sizeof *g);
    PGconn *conn = g ? PQconnectdbParams(keys, vals, 1) : NULL;
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        connect_error(conn, url, err, err_len);
        PQfinish(conn);
        free(g);
        return NULL;
    }
    g->base = (db){.drv = &pg_driver, .kind = DB_PG};
    g->conn = conn;
    if (pg_session(g) != DB_OK) {
        if (err && err_len)
            snprintf(err, err_len, "%s", g->base.err);
        pg_close(&g->base);
        return NULL;
    }
    return &g->base;
}
