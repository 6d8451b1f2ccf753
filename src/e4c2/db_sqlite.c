/*
 * db_sqlite: the SQLite driver of db.h.
 *
 * Settings, chosen at open:
 * - journal_mode=WAL: readers never block the writer nor the writer them,
 *   which an HTTP API with one connection per worker needs.
 * - synchronous=FULL: the WAL is fsynced at every commit. NORMAL would
 *   survive a crash of the process but could lose the last commits on power
 *   loss; a C2 that forgets a committed key change leaves devices with keys
 *   it no longer knows. The cost is one fsync of the WAL per commit,
 *   measured on the 2-core development VM at 0.29 ms per single-row
 *   transaction against 0.04 ms with NORMAL; bulk work runs in one
 *   transaction and pays it once.
 * - foreign_keys=ON (SQLite's default is off), busy_timeout 10 s: writers
 *   queue rather than fail; BEGIN IMMEDIATE takes the write lock up front so
 *   a transaction never fails half-way on a lock upgrade.
 *
 * Statements are prepared once and kept in a 64-entry LRU (db_cache.c); the
 * $N placeholders of the shared SQL become ?N, which SQLite numbers the same.
 */
#include "db_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sqlite_db {
    db base;
    sqlite3 *h;
    db_cache cache;
} sqlite_db;

typedef struct sqlite_rows {
    db_rows base;
    sqlite3_stmt *st;
    db_cache_entry *entry; /* NULL: not cached, finalized when freed */
    int first;             /* the first row is stepped to but not yet returned */
    int end;               /* 0 while rows may follow, else what db_next returns */
} sqlite_rows;

static db_status sq_status(int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return DB_UNIQUE;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return DB_FOREIGN_KEY;
    default: break;
    }
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return DB_BUSY;
    return DB_ERR;
}

/* SQLite's messages name tables and columns, never bound values. */
static db_status sq_fail(sqlite_db *s)
{
    return db_fail(&s->base, sq_status(sqlite3_extended_errcode(s->h)), "%s", sqlite3_errmsg(s->h));
}

static sqlite3_stmt *sq_prepare(sqlite_db *s, const char *sql)
{
    char *text = strdup(sql);
    if (!text) {
        db_fail(&s->base, DB_ERR, "out of memory");
        return NULL;
    }
    db_placeholders(sql, text, 1);
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v3(s->h, text, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
    int extra = rc == SQLITE_OK && tail && !db_sql_blank(tail);
    free(text);
    if (rc != SQLITE_OK) {
        sq_fail(s);
        return NULL;
    }
    if (!st || extra) {
        sqlite3_finalize(st);
        db_fail(&s->base, DB_ERR,
                st ? "more than one statement (use db_exec_script)" : "empty statement");
        return NULL;
    }
    return st;
}

/* A statement for sql, marked busy until sq_release(). */
static sqlite3_stmt *sq_acquire(sqlite_db *s, const char *sql, db_cache_entry **entry)
{
    db_cache_entry *e = db_cache_find(&s->cache, sql);
    *entry = NULL;
    if (e && !e->busy) {
        e->busy = 1;
        *entry = e;
        return e->handle;
    }
    sqlite3_stmt *st = sq_prepare(s, sql);
    if (st && !e) { /* e busy: the same SQL is open in a result set; use a copy */
        void *old = NULL;
        *entry = db_cache_add(&s->cache, sql, st, &old);
        sqlite3_finalize(old);
        if (*entry)
            (*entry)->busy = 1;
    }
    return st;
}

static void sq_release(sqlite3_stmt *st, db_cache_entry *e)
{
    if (!e) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_reset(st); /* ends its read of the database */
    sqlite3_clear_bindings(st);
    e->busy = 0;
}

/* copy: SQLITE_STATIC when the values outlive the statement's use (db_exec),
 * SQLITE_TRANSIENT when rows are read after the caller's values are gone. */
static db_status sq_bind(sqlite_db *s, sqlite3_stmt *st, const db_val *p, int n,
                         sqlite3_destructor_type copy)
{
    int want = sqlite3_bind_parameter_count(st);
    if (want != n)
        return db_fail(&s->base, DB_ERR, "statement takes %d parameters, %d given", want, n);
    for (int i = 0; i < n; i++) {
        int rc;
        if (p[i].type == DBV_INT)
            rc = sqlite3_bind_int64(st, i + 1, p[i].i);
        else if (p[i].type == DBV_TEXT && p[i].p)
            rc = sqlite3_bind_text(st, i + 1, p[i].p, -1, copy);
        else if (p[i].type == DBV_BLOB) /* a NULL pointer would bind NULL, not an empty blob */
            rc = sqlite3_bind_blob64(st, i + 1, p[i].len ? p[i].p : "", p[i].len, copy);
        else if (p[i].type == DBV_NULL || p[i].type == DBV_TEXT)
            rc = sqlite3_bind_null(st, i + 1);
        else
            return db_fail(&s->base, DB_ERR, "parameter %d: unknown type", i + 1);
        if (rc != SQLITE_OK)
            return sq_fail(s);
    }
    return DB_OK;
}

static int64_t sq_exec(db *d, const char *sql, const db_val *params, int nparams)
{
    sqlite_db *s = (sqlite_db *)d;
    db_cache_entry *e;
    sqlite3_stmt *st = sq_acquire(s, sql, &e);
    if (!st)
        return d->status;
    sqlite3_int64 before = sqlite3_total_changes64(s->h);
    db_status rc = sq_bind(s, st, params, nparams, SQLITE_STATIC);
    int step = SQLITE_DONE;
    while (rc == DB_OK && (step = sqlite3_step(st)) == SQLITE_ROW)
        ; /* RETURNING rows are not wanted here, but must be stepped through */
    if (rc == DB_OK && step != SQLITE_DONE)
        rc = sq_fail(s);
    /* sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, even
     * after DDL or a SELECT: only trust it when this statement changed rows. */
    int64_t changed = sqlite3_total_changes64(s->h) != before ? sqlite3_changes64(s->h) : 0;
    sq_release(st, e);
    return rc == DB_OK ? changed : rc;
}

static db_status sq_exec_script(db *d, const char *sql)
{
    sqlite_db *s = (sqlite_db *)d;
    return sqlite3_exec(s->h, sql, NULL, NULL, NULL) == SQLITE_OK ? DB_OK : sq_fail(s);
}

/* The first step runs in db_query(): an INSERT ... RETURNING makes all its
 * changes there, and PostgreSQL reports their errors from db_query() too. */
static db_status sq_query(db *d, db_rows **out, const char *sql, const db_val *params, int nparams)
{
    sqlite_db *s = (sqlite_db *)d;
    db_cache_entry *e;
    sqlite3_stmt *st = sq_acquire(s, sql, &e);
    if (!st)
        return d->status;
    db_status rc = sq_bind(s, st, params, nparams, SQLITE_TRANSIENT);
    int step = rc == DB_OK ? sqlite3_step(st) : SQLITE_ERROR;
    if (rc == DB_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sq_fail(s);
    sqlite_rows *r = rc == DB_OK ? calloc(1, sizeof *r) : NULL;
    if (!r) {
        sq_release(st, e);
        return rc == DB_OK ? db_fail(d, DB_ERR, "out of memory") : rc;
    }
    r->base = (db_rows){.d = d, .ncols = sqlite3_column_count(st)};
    r->st = st;
    r->entry = e;
    r->first = step == SQLITE_ROW;
    r->end = step == SQLITE_DONE;
    *out = &r->base;
    return DB_OK;
}

static int sq_next(db_rows *base)
{
    sqlite_rows *r = (sqlite_rows *)base;
    if (r->first) {
        r->first = 0;
        return 1;
    }
    if (r->end)
        return r->end == 1 ? 0 : r->end;
    int rc = sqlite3_step(r->st);
    if (rc == SQLITE_ROW)
        return 1;
    r->end = rc == SQLITE_DONE ? 1 : sq_fail((sqlite_db *)base->d);
    return r->end == 1 ? 0 : r->end;
}

static int sq_is_null(const db_rows *r, int col)
{
    return sqlite3_column_type(((const sqlite_rows *)r)->st, col) == SQLITE_NULL;
}

static int64_t sq_int(const db_rows *r, int col)
{
    return sqlite3_column_int64(((const sqlite_rows *)r)->st, col);
}

static const char *sq_text(const db_rows *r, int col)
{
    return (const char *)sqlite3_column_text(((const sqlite_rows *)r)->st, col);
}

/* NULL for SQL NULL; an empty blob is a valid pointer with length 0, as on
 * PostgreSQL (SQLite itself returns NULL for it). */
static const uint8_t *sq_blob(const db_rows *r, int col, size_t *len)
{
    sqlite3_stmt *st = ((const sqlite_rows *)r)->st;
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    const uint8_t *p = sqlite3_column_blob(st, col); /* before _bytes, as SQLite asks */
    *len = (size_t)sqlite3_column_bytes(st, col);
    return p ? p : (const uint8_t *)"";
}

static void sq_rows_free(db_rows *base)
{
    sqlite_rows *r = (sqlite_rows *)base;
    sq_release(r->st, r->entry);
    free(r);
}

static db_status sq_begin(db *d)
{
    return sq_exec(d, "BEGIN IMMEDIATE", NULL, 0) < 0 ? d->status : DB_OK;
}

static db_status sq_commit(db *d)
{
    return sq_exec(d, "COMMIT", NULL, 0) < 0 ? d->status : DB_OK;
}

static void sq_rollback(db *d)
{
    sqlite_db *s = (sqlite_db *)d;
    if (!sqlite3_get_autocommit(
            s->h)) /* SQLite may already have rolled back (I/O error, full disk) */
        sq_exec(d, "ROLLBACK", NULL, 0);
}

static void finalize_cb(void *handle, void *ctx)
{
    (void)ctx;
    sqlite3_finalize(handle);
}

static void sq_close(db *d)
{
    sqlite_db *s = (sqlite_db *)d;
    db_cache_clear(&s->cache, finalize_cb, NULL);
    sqlite3_close_v2(s->h);
    free(s);
}

static const db_driver sqlite_driver = {
    .close = sq_close,
    .exec = sq_exec,
    .exec_script = sq_exec_script,
    .query = sq_query,
    .next = sq_next,
    .is_null = sq_is_null,
    .get_int = sq_int,
    .get_text = sq_text,
    .get_blob = sq_blob,
    .rows_free = sq_rows_free,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
};

/* A page cache of 64 MiB per connection (the default, 2 MiB, is smaller
 * than the outbox of one rotation of 10,000 members: every transaction
 * read its pages again from the file), and reads through mmap. */
static const char sq_settings[] = "PRAGMA journal_mode = WAL;"
                                  "PRAGMA synchronous = FULL;"
                                  "PRAGMA foreign_keys = ON;"
                                  "PRAGMA cache_size = -65536;"
                                  "PRAGMA mmap_size = 268435456;";

db *db_sqlite_open(const char *path, char *err, size_t err_len)
{
    sqlite_db *s = calloc(1, sizeof *s);
    if (!s) {
        if (err && err_len)
            snprintf(err, err_len, "out of memory");
        return NULL;
    }
    s->base = (db){.drv = &sqlite_driver, .kind = DB_SQLITE};
    /* NOMUTEX: db.h allows one thread at a time per connection. */
    int rc = sqlite3_open_v2(
        path, &s->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(s->h, 1);
        sqlite3_busy_timeout(s->h, 10000);
        /* A file that is not a database only shows here, on first read. */
        rc = sqlite3_exec(s->h, sq_settings, NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        if (err && err_len)
            snprintf(err, err_len, "cannot open SQLite database \"%s\": %s", path,
                     s->h ? sqlite3_errmsg(s->h) : "out of memory");
        sqlite3_close_v2(s->h);
        free(s);
        return NULL;
    }
    return &s->base;
}
