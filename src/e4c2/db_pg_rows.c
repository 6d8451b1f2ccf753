/*
 * db_pg_rows: PostgreSQL result sets. libpq hands every value as text;
 * bytea columns (a backslash, 'x', hex digits) are decoded here, row by
 * row, into buffers the row set owns and wipes (they may hold key
 * material), so the caller gets bytes, as from SQLite. Booleans read as
 * integers give 1 / 0.
 */
#include "db_pg.h"

#include <stdlib.h>
#include <string.h>

#include "hex.h"

typedef struct pg_col {
    uint8_t *buf; /* the decoded bytea of the current row, NUL-terminated */
    size_t len, cap;
    Oid type;
} pg_col;

typedef struct pg_rows {
    db_rows base;
    PGresult *res;
    int nrows, row;
    pg_col cols[];
} pg_rows;

db_rows *pg_rows_new(db *d, PGresult *res)
{
    int ncols = PQnfields(res);
    pg_rows *r = calloc(1, sizeof *r + (size_t)ncols * sizeof(pg_col));
    if (!r) {
        PQclear(res);
        return NULL;
    }
    r->base = (db_rows){.d = d, .ncols = ncols};
    r->res = res;
    r->nrows = PQntuples(res);
    r->row = -1;
    for (int c = 0; c < ncols; c++)
        r->cols[c].type = PQftype(res, c);
    return &r->base;
}

/* "\x0aff..." into c->buf; -1 if it is not hex bytea. */
static int bytea_decode(pg_col *c, const char *s, size_t n)
{
    if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2)
        return -1;
    size_t len = (n - 2) / 2;
    if (len + 1 > c->cap) {
        uint8_t *b = malloc(len + 1);
        if (!b)
            return -1;
        if (c->buf)
            explicit_bzero(c->buf, c->cap);
        free(c->buf);
        c->buf = b;
        c->cap = len + 1;
    }
    for (size_t i = 0; i < len; i++) {
        int hi = hex_digit((unsigned char)s[2 + 2 * i]),
            lo = hex_digit((unsigned char)s[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return -1;
        c->buf[i] = (uint8_t)(hi << 4 | lo);
    }
    c->buf[len] = '\0';
    c->len = len;
    return 0;
}

int pg_next(db_rows *base)
{
    pg_rows *r = (pg_rows *)base;
    if (r->row + 1 >= r->nrows) {
        r->row = r->nrows;
        return 0;
    }
    r->row++;
    for (int c = 0; c < base->ncols; c++) {
        if (r->cols[c].type != OID_BYTEA || PQgetisnull(r->res, r->row, c))
            continue;
        if (bytea_decode(&r->cols[c], PQgetvalue(r->res, r->row, c),
                         (size_t)PQgetlength(r->res, r->row, c)) != 0)
            return db_fail(base->d, DB_ERR, "column %d: bad bytea value", c + 1);
    }
    return 1;
}

int pg_is_null(const db_rows *base, int col)
{
    const pg_rows *r = (const pg_rows *)base;
    return PQgetisnull(r->res, r->row, col);
}

int64_t pg_int(const db_rows *base, int col)
{
    const pg_rows *r = (const pg_rows *)base;
    const char *v = PQgetvalue(r->res, r->row, col);
    if (r->cols[col].type == OID_BOOL) /* "t" / "f", as SQLite's 1 / 0 */
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

const char *pg_text(const db_rows *base, int col)
{
    const pg_rows *r = (const pg_rows *)base;
    if (PQgetisnull(r->res, r->row, col))
        return NULL;
    if (r->cols[col].type == OID_BYTEA)
        return (const char *)r->cols[col].buf;
    return PQgetvalue(r->res, r->row, col);
}

const uint8_t *pg_blob(const db_rows *base, int col, size_t *len)
{
    const pg_rows *r = (const pg_rows *)base;
    if (PQgetisnull(r->res, r->row, col))
        return NULL;
    if (r->cols[col].type == OID_BYTEA) {
        *len = r->cols[col].len;
        return r->cols[col].buf;
    }
    *len = (size_t)PQgetlength(r->res, r->row, col);
    return (const uint8_t *)PQgetvalue(r->res, r->row, col);
}

void pg_rows_free(db_rows *base)
{
    pg_rows *r = (pg_rows *)base;
    for (int c = 0; c < base->ncols; c++) {
        if (r->cols[c].buf)
            explicit_bzero(r->cols[c].buf, r->cols[c].cap); /* may be key material */
        free(r->cols[c].buf);
    }
    PQclear(r->res);
    free(r);
}
