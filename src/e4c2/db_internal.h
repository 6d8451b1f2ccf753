/*
 * db_internal: what db.c shares with the two drivers (db_sqlite.c, db_pg.c).
 * Not for the store: it includes db.h only.
 *
 * db.c owns the rules common to both backends (argument checks, the
 * transaction state, error recording); a driver only talks to its library.
 */
#ifndef E4C2_DB_INTERNAL_H
#define E4C2_DB_INTERNAL_H

#include "db.h"

#define DB_ERRMSG_MAX 512
/* Prepared statements kept per connection. The store runs a few dozen
 * distinct statements; 64 keeps them all without growing without bound when
 * a caller builds SQL dynamically. */
#define DB_CACHE_SIZE 64

typedef struct db_driver {
    void (*close)(db *d);
    int64_t (*exec)(db *d, const char *sql, const db_val *params, int nparams);
    db_status (*exec_script)(db *d, const char *sql);
    db_status (*query)(db *d, db_rows **out, const char *sql, const db_val *params, int nparams);
    int (*next)(db_rows *r);
    int (*is_null)(const db_rows *r, int col);
    int64_t (*get_int)(const db_rows *r, int col);
    const char *(*get_text)(const db_rows *r, int col);
    const uint8_t *(*get_blob)(const db_rows *r, int col, size_t *len);
    void (*rows_free)(db_rows *r);
    db_status (*begin)(db *d);
    db_status (*commit)(db *d);
    void (*rollback)(db *d);
} db_driver;

/* Drivers embed this as their first member. */
struct db {
    const db_driver *drv;
    db_kind kind;
    db_status status;
    int in_tx;     /* db_begin() succeeded; no commit or rollback yet */
    int tx_failed; /* a statement failed inside it: only a rollback is accepted */
    char err[DB_ERRMSG_MAX];
};

/* Drivers embed this as their first member too. */
struct db_rows {
    db *d;
    int ncols;
    int on_row; /* the last db_next() returned 1: columns may be read */
};

/* Records an error on d and returns st. */
db_status db_fail(db *d, db_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* SQL text (db_sql.c). The highest $N placeholder of sql outside literals,
 * quoted identifiers and comments; when rewrite is a copy of sql, the '$'
 * of each placeholder there becomes '?'. sqlite: also `x` and [x] quote. */
int db_placeholders(const char *sql, char *rewrite, int sqlite);
/* Whether s holds only blanks, ';' and comments. */
int db_sql_blank(const char *s);

db *db_sqlite_open(const char *path, char *err, size_t err_len);
db *db_pg_open(const char *url, char *err, size_t err_len);

/* A small LRU of prepared statements keyed by text (db_cache.c). A driver
 * marks an entry busy while a result set uses its statement, so that it is
 * neither evicted nor handed out twice. */
typedef struct db_cache_entry {
    char *key; /* NULL: free slot */
    uint64_t hash;
    uint64_t used; /* tick of the last use */
    void *handle;  /* the driver's statement */
    int busy;
} db_cache_entry;

typedef struct db_cache {
    db_cache_entry e[DB_CACHE_SIZE];
    uint64_t tick;
} db_cache;

db_cache_entry *db_cache_find(db_cache *c, const char *key);
/* Stores handle under key. When the cache is full the least recently used
 * idle entry makes room and its handle is returned in *evicted for the driver
 * to release. NULL (nothing stored) when out of memory or every entry is busy. */
db_cache_entry *db_cache_add(db_cache *c, const char *key, void *handle, void **evicted);
/* Forgets an entry; the driver has released or will release its handle. */
void db_cache_drop(db_cache_entry *e);
/* Forgets every entry, calling release(handle, ctx) for each. */
void db_cache_clear(db_cache *c, void (*release)(void *handle, void *ctx), void *ctx);

/* PostgreSQL error messages, made safe to log (db_pg_msg.c). */
/* One line: newlines and tabs become spaces, runs of spaces one space,
 * leading and trailing spaces are cut. */
void pg_msg_one_line(char *msg);
/* Replaces every password of a postgresql:// URL (userinfo or password=
 * parameter, as written and percent-decoded) found in msg by "***". */
void pg_msg_scrub_url(char *msg, size_t cap, const char *url);
/* Replaces every occurrence of secret in msg by "***". */
void pg_msg_scrub(char *msg, size_t cap, const char *secret, size_t secret_len);
/* Data exceptions (SQLSTATE class 22) quote the offending value: replaces
 * the inside of every "..." by "?". */
void pg_msg_redact_quoted(char *msg);
/* 0..15 for a hex digit, else -1. */

#endif
