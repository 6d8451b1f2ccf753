/*
 * db: the one SQL interface e4c2's store is written against, with two
 * drivers, SQLite (db_sqlite.c) and PostgreSQL (db_pg.c).
 *
 * SQL is written once, with PostgreSQL-style placeholders $1..$n; the SQLite
 * driver rewrites them to ?1..?n. Where the dialects differ (DDL, locking
 * clauses) the caller asks db_kind(). Values in and out are typed:
 * integers (int64), text (UTF-8) and blobs; results of PostgreSQL are read in
 * text form and bytea columns decoded, so both drivers return the same bytes.
 *
 * A db is one connection, used by one thread at a time. Write transactions
 * start with db_begin(): BEGIN IMMEDIATE on SQLite (writers queue on the
 * busy timeout instead of failing on upgrade), BEGIN on PostgreSQL (READ
 * COMMITTED).
 *
 * Both drivers behave alike where the databases differ (db.c):
 * - after a statement fails inside a transaction, every statement fails
 *   until db_rollback() (PostgreSQL's rule, enforced on SQLite too), and
 *   db_commit() of such a transaction rolls back and fails; use ON CONFLICT
 *   rather than catching DB_UNIQUE and carrying on;
 * - errors of INSERT/UPDATE ... RETURNING come from db_query(), not db_next();
 * - the number of parameters must match the highest $N of the SQL;
 * - blob columns come back as bytes (never "\x..."), an empty blob as a
 *   non-NULL pointer of length 0, SQL NULL as NULL.
 * PostgreSQL types the parameters: DB_INT is bigint (write
 * CAST($1 AS INTEGER) where a function wants an integer), DB_TEXT text,
 * DB_BLOB bytea, DB_NULLV takes its type from the context ("$1 IS NULL"
 * alone has none). db_exec_script() runs a multi-statement script
 * atomically on PostgreSQL but not on SQLite: wrap it in db_begin().
 */
#ifndef E4C2_DB_H
#define E4C2_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct db db;
typedef struct db_rows db_rows;

typedef enum db_kind { DB_SQLITE = 1, DB_PG = 2 } db_kind;

/* What went wrong, so the store can answer with a precise error. */
typedef enum db_status {
    DB_OK = 0,
    DB_ERR = -1,         /* anything else; db_errmsg() says what */
    DB_UNIQUE = -2,      /* a unique or primary-key constraint */
    DB_FOREIGN_KEY = -3, /* a foreign-key constraint */
    DB_BUSY = -4,        /* locked / serialization failure: retry the transaction */
    DB_CONN = -5         /* the connection is gone */
} db_status;

typedef enum db_type { DBV_NULL = 0, DBV_INT, DBV_TEXT, DBV_BLOB } db_type;

typedef struct db_val {
    db_type type;
    int64_t i;
    const void *p; /* text (NUL-terminated) or blob bytes */
    size_t len;    /* blob length */
} db_val;

#define DB_NULLV ((db_val){.type = DBV_NULL})
#define DB_INT(x) ((db_val){.type = DBV_INT, .i = (int64_t)(x)})
#define DB_TEXT(s) ((db_val){.type = DBV_TEXT, .p = (s)})
#define DB_BLOB(b, n) ((db_val){.type = DBV_BLOB, .p = (b), .len = (n)})

/* url: "sqlite:PATH" (PATH may be ":memory:"), "postgresql://..." or
 * "postgres://...". A path without a scheme is a SQLite file. On failure
 * returns NULL and writes a message (never containing a password) to err. */
db *db_open(const char *url, char *err, size_t err_len);
void db_close(db *d);
db_kind db_kind_of(const db *d);

/* Run one statement. Returns the number of rows changed (>= 0) or a
 * db_status < 0. */
int64_t db_exec(db *d, const char *sql, const db_val *params, int nparams);
/* Run several ';'-separated statements without parameters (migrations). */
db_status db_exec_script(db *d, const char *sql);

/* Run a query; iterate with db_next() (1: a row, 0: done, < 0: db_status),
 * then db_rows_free(). One result set open per connection at a time. */
db_status db_query(db *d, db_rows **out, const char *sql, const db_val *params, int nparams);
int db_next(db_rows *r);
int db_column_count(const db_rows *r);
int db_is_null(const db_rows *r, int col);
int64_t db_int(const db_rows *r, int col);
/* Valid until the next db_next() or db_rows_free(). */
const char *db_text(const db_rows *r, int col);
const uint8_t *db_blob(const db_rows *r, int col, size_t *len);
void db_rows_free(db_rows *r);

/* Convenience: the first column of the first row as an integer
 * (*found = 0 when there is no row). */
db_status db_query_int(db *d, int64_t *out, int *found, const char *sql, const db_val *params,
                       int nparams);

/* For a connection whose commits may be lost in a power failure without
 * harm (the publisher's "sent" marks: a lost mark is a resend, which devices
 * absorb): no flush at each commit (SQLite synchronous=NORMAL in WAL, still
 * safe against a crash of the process; PostgreSQL synchronous_commit=off). */
db_status db_relax_durability(db *d);

db_status db_begin(db *d);
db_status db_commit(db *d);
void db_rollback(db *d); /* never fails; a no-op outside a transaction */

/* The last error's message and status. Messages never contain parameter
 * values (keys are parameters). */
const char *db_errmsg(const db *d);
db_status db_last_status(const db *d);

#endif
