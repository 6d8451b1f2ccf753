/*
 * db: the backend-independent half of db.h. Chooses the driver from the URL,
 * checks arguments, and keeps the transaction state, so both backends obey
 * the same rules:
 *
 * - After a statement fails inside db_begin()..db_commit(), PostgreSQL
 *   refuses every further statement until ROLLBACK, while SQLite would carry
 *   on. The store is written once for both, so both refuse: code that works
 *   on SQLite cannot then break on PostgreSQL. (Use ON CONFLICT instead of
 *   catching a DB_UNIQUE and continuing.)
 * - A failed commit leaves no transaction open (SQLite keeps it open on some
 *   errors; PostgreSQL never does): db_commit() rolls back.
 * - db_rollback() keeps the error that led to it, for the caller to report.
 */
#include "db_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

db_status db_fail(db *d, db_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    d->status = st;
    return st;
}

static void put_err(char *err, size_t err_len, const char *msg)
{
    if (err && err_len)
        snprintf(err, err_len, "%s", msg);
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Names only the scheme of an unknown URL: the rest may hold a password. */
static db *unknown_scheme(const char *url, const char *sep, char *err, size_t err_len)
{
    int n = (int)(sep - url);
    for (int i = 0; i < n; i++) {
        char c = url[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.'))
            n = 0;
    }
    if (err && err_len)
        snprintf(err, err_len,
                 "unsupported database URL scheme \"%.*s\" "
                 "(use sqlite:PATH or postgresql://...)",
                 n > 32 ? 32 : n, url);
    return NULL;
}

db *db_open(const char *url, char *err, size_t err_len)
{
    if (!url || !*url) {
        put_err(err, err_len, "empty database URL");
        return NULL;
    }
    if (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://"))
        return db_pg_open(url, err, err_len);
    if (has_prefix(url, "sqlite:")) {
        const char *path = url + strlen("sqlite:");
        if (has_prefix(path, "//")) /* sqlite:///abs/path, sqlite://rel/path */
            path += 2;
        if (!*path) {
            put_err(err, err_len, "sqlite: URL without a path");
            return NULL;
        }
        return db_sqlite_open(path, err, err_len);
    }
    const char *sep = strstr(url, "://");
    if (sep)
        return unknown_scheme(url, sep, err, err_len);
    return db_sqlite_open(url, err, err_len);
}

void db_close(db *d)
{
    if (d)
        d->drv->close(d);
}

db_kind db_kind_of(const db *d)
{
    return d->kind;
}

/* Checks common to every statement; DB_OK when the driver may run it. */
static db_status may_run(db *d, const char *sql, const db_val *params, int nparams)
{
    if (!sql || nparams < 0 || (nparams > 0 && !params))
        return db_fail(d, DB_ERR, "bad arguments to a db call");
    if (d->tx_failed)
        return db_fail(d, DB_ERR, "transaction aborted by an earlier error: roll it back");
    return DB_OK;
}

/* Records the outcome of a statement. */
static void ran(db *d, db_status st)
{
    if (st == DB_OK) {
        d->status = DB_OK;
        d->err[0] = '\0';
    } else if (d->in_tx) {
        d->tx_failed = 1;
    }
}

/* A statement, as opposed to a script, must say something. */
static db_status may_run_one(db *d, const char *sql, const db_val *params, int nparams)
{
    db_status st = may_run(d, sql, params, nparams);
    if (st == DB_OK && db_sql_blank(sql))
        st = db_fail(d, DB_ERR, "empty statement");
    return st;
}

int64_t db_exec(db *d, const char *sql, const db_val *params, int nparams)
{
    if (!d)
        return DB_ERR;
    db_status st = may_run_one(d, sql, params, nparams);
    if (st != DB_OK)
        return st;
    int64_t n = d->drv->exec(d, sql, params, nparams);
    ran(d, n < 0 ? (db_status)n : DB_OK);
    return n;
}

db_status db_exec_script(db *d, const char *sql)
{
    if (!d)
        return DB_ERR;
    db_status st = may_run(d, sql, NULL, 0);
    if (st == DB_OK)
        st = d->drv->exec_script(d, sql);
    ran(d, st);
    return st;
}

db_status db_query(db *d, db_rows **out, const char *sql, const db_val *params, int nparams)
{
    if (!out)
        return d ? db_fail(d, DB_ERR, "bad arguments to a db call") : DB_ERR;
    *out = NULL;
    if (!d)
        return DB_ERR;
    db_status st = may_run_one(d, sql, params, nparams);
    if (st == DB_OK)
        st = d->drv->query(d, out, sql, params, nparams);
    ran(d, st);
    return st;
}

int db_next(db_rows *r)
{
    if (!r)
        return DB_ERR;
    int rc = r->d->drv->next(r);
    r->on_row = rc == 1;
    if (rc < 0)
        ran(r->d, (db_status)rc);
    return rc;
}

int db_column_count(const db_rows *r)
{
    return r ? r->ncols : 0;
}

static int readable(const db_rows *r, int col)
{
    return r && r->on_row && col >= 0 && col < r->ncols;
}

int db_is_null(const db_rows *r, int col)
{
    return readable(r, col) ? r->d->drv->is_null(r, col) : 1;
}

int64_t db_int(const db_rows *r, int col)
{
    return readable(r, col) ? r->d->drv->get_int(r, col) : 0;
}

const char *db_text(const db_rows *r, int col)
{
    return readable(r, col) ? r->d->drv->get_text(r, col) : NULL;
}

const uint8_t *db_blob(const db_rows *r, int col, size_t *len)
{
    if (!readable(r, col)) {
        if (len)
            *len = 0;
        return NULL;
    }
    size_t n = 0;
    const uint8_t *p = r->d->drv->get_blob(r, col, &n);
    if (len)
        *len = n;
    return p;
}

void db_rows_free(db_rows *r)
{
    if (r)
        r->d->drv->rows_free(r);
}

db_status db_query_int(db *d, int64_t *out, int *found, const char *sql, const db_val *params,
                       int nparams)
{
    db_rows *r;
    if (found)
        *found = 0;
    db_status st = db_query(d, &r, sql, params, nparams);
    if (st != DB_OK)
        return st;
    int rc = db_next(r);
    if (rc == 1) {
        if (out)
            *out = db_int(r, 0);
        if (found)
            *found = 1;
    }
    db_rows_free(r);
    return rc < 0 ? (db_status)rc : DB_OK;
}

db_status db_begin(db *d)
{
    if (d->in_tx)
        return db_fail(d, DB_ERR, "a transaction is already open");
    db_status st = d->drv->begin(d);
    ran(d, st);
    if (st == DB_OK)
        d->in_tx = 1;
    return st;
}

db_status db_commit(db *d)
{
    if (!d->in_tx)
        return db_fail(d, DB_ERR, "commit without a transaction");
    if (d->tx_failed) {
        db_rollback(d);
        return db_fail(d, DB_ERR, "transaction rolled back: a statement in it failed");
    }
    db_status st = d->drv->commit(d);
    if (st != DB_OK) {
        db_rollback(d);
        return st;
    }
    d->in_tx = 0;
    ran(d, DB_OK);
    return DB_OK;
}

void db_rollback(db *d)
{
    if (!d || !d->in_tx)
        return;
    db_status st = d->status;
    char err[DB_ERRMSG_MAX];
    memcpy(err, d->err, sizeof err);
    d->drv->rollback(d);
    d->in_tx = 0;
    d->tx_failed = 0;
    d->status = st;
    memcpy(d->err, err, sizeof err);
}

const char *db_errmsg(const db *d)
{
    return d ? d->err : "no database";
}

db_status db_last_status(const db *d)
{
    return d ? d->status : DB_ERR;
}

db_status db_relax_durability(db *d)
{
    return db_exec_script(d, db_kind_of(d) == DB_PG ? "SET synchronous_commit = off"
                                                    : "PRAGMA synchronous = NORMAL");
}
