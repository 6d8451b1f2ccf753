/*
 * db_pg: what the PostgreSQL driver's two files share: db_pg.c
 * (connection, statements, errors) and db_pg_rows.c (result sets).
 */
#ifndef E4C2_DB_PG_H
#define E4C2_DB_PG_H

#include "db_internal.h"

#include <libpq-fe.h>

enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_TEXT = 25 };

/* A row set over res, which it owns from now on (freed on failure too);
 * NULL when out of memory. */
db_rows *pg_rows_new(db *d, PGresult *res);
int pg_next(db_rows *r);
int pg_is_null(const db_rows *r, int col);
int64_t pg_int(const db_rows *r, int col);
const char *pg_text(const db_rows *r, int col);
const uint8_t *pg_blob(const db_rows *r, int col, size_t *len);
void pg_rows_free(db_rows *r);

#endif
