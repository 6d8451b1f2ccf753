#include "meta.h"

#include <stdio.h>
#include <string.h>

static const char put_sql[] =
    "INSERT INTO meta (k, t, b, i) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (k) DO UPDATE SET t = excluded.t, b = excluded.b, i = excluded.i";

static int put(db *d, const char *k, db_val t, db_val b, db_val i, c2_error *e)
{
    db_val p[4] = {DB_TEXT(k), t, b, i};
    if (db_exec(d, put_sql, p, 4) < 0) {
        e->code = C2_INTERNAL;
        snprintf(e->message, sizeof e->message, "cannot write setting %s: %s", k, db_errmsg(d));
        return -1;
    }
    return 0;
}

int meta_put_text(db *d, const char *k, const char *v, c2_error *e)
{
    return put(d, k, DB_TEXT(v), DB_NULLV, DB_NULLV, e);
}

int meta_put_blob(db *d, const char *k, const uint8_t *v, size_t len, c2_error *e)
{
    return put(d, k, DB_NULLV, DB_BLOB(v, len), DB_NULLV, e);
}

int meta_put_int(db *d, const char *k, int64_t v, c2_error *e)
{
    return put(d, k, DB_NULLV, DB_NULLV, DB_INT(v), e);
}

/* Runs the lookup; the caller reads column col of the row. */
static db_rows *get(db *d, const char *k, int col, c2_error *e)
{
    db_rows *r = NULL;
    db_val p[1] = {DB_TEXT(k)};
    if (db_query(d, &r, "SELECT t, b, i FROM meta WHERE k = $1", p, 1) != DB_OK) {
        e->code = C2_INTERNAL;
        snprintf(e->message, sizeof e->message, "cannot read setting %s: %s", k, db_errmsg(d));
        return NULL;
    }
    if (db_next(r) != 1 || db_is_null(r, col)) {
        db_rows_free(r);
        e->code = C2_NOT_FOUND;
        snprintf(e->message, sizeof e->message,
                 "setting %s missing: is this an e4c2 database (run `e4c2 init`)?", k);
        return NULL;
    }
    return r;
}

int meta_get_text(db *d, const char *k, char *out, size_t cap, c2_error *e)
{
    db_rows *r = get(d, k, 0, e);
    if (!r)
        return -1;
    snprintf(out, cap, "%s", db_text(r, 0));
    db_rows_free(r);
    return 0;
}

int meta_get_blob(db *d, const char *k, uint8_t *out, size_t cap, size_t *len, c2_error *e)
{
    size_t n = 0;
    const uint8_t *b;
    db_rows *r = get(d, k, 1, e);
    if (!r)
        return -1;
    b = db_blob(r, 1, &n);
    if (n > cap) {
        db_rows_free(r);
        e->code = C2_INTERNAL;
        snprintf(e->message, sizeof e->message, "setting %s is damaged", k);
        return -1;
    }
    memcpy(out, b, n);
    *len = n;
    db_rows_free(r);
    return 0;
}

int meta_get_int(db *d, const char *k, int64_t *out, c2_error *e)
{
    db_rows *r = get(d, k, 2, e);
    if (!r)
        return -1;
    *out = db_int(r, 2);
    db_rows_free(r);
    return 0;
}
