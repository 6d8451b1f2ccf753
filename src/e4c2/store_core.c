/* The store's shared machinery: the pool, transactions, errors, rows. */
#include "store_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "meta.h"
#include "notify.h"
#include "schema.h"

struct store_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int size, free_count;
    store *all;
    store **free_list;
};

int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

c2_err set_error(c2_error *e, c2_err code, const char *fmt, ...)
{
    va_list ap;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return code;
}

c2_err db_error(store *s, c2_error *e, const char *what)
{
    db_status st = db_last_status(s->d);
    c2_err code = st == DB_BUSY || st == DB_CONN ? C2_UNAVAILABLE : C2_INTERNAL;
    return set_error(e, code, "%s: %s", what, db_errmsg(s->d));
}

c2_err store_tx(store *s, c2_err (*fn)(store *, void *, c2_error *), void *arg, c2_error *e)
{
    int attempt;
    c2_err rc = C2_UNAVAILABLE;
    for (attempt = 0; attempt < 8; attempt++) {
        s->c2_loaded = 0;
        s->wrote_news = 0;
        if (db_begin(s->d) != DB_OK) {
            rc = db_error(s, e, "cannot start a transaction");
        } else {
            rc = fn(s, arg, e);
            if (rc == C2_OK)
                rc = outbox_flush(s, e);
            s->nqueued = 0; /* a failed transaction queued nothing */
            if (rc == C2_OK && db_commit(s->d) != DB_OK)
                rc = db_error(s, e, "cannot commit");
            if (rc != C2_OK)
                db_rollback(s->d);
        }
        sodium_memzero(s->c2_sk, sizeof s->c2_sk);
        s->c2_loaded = 0;
        if (rc != C2_UNAVAILABLE || db_last_status(s->d) != DB_BUSY)
            break;
        usleep(10000u << attempt); /* a concurrent writer: back off and retry */
    }
    /* wake the publisher and event streams only for news: a claim that
     * found nothing must not wake the publisher that made it */
    if (rc == C2_OK && s->wrote_news)
        notify_changed();
    return rc;
}

/* ---- opening ------------------------------------------------------------ */

static int store_init(store *s, const char *url, keyring *kr, c2_error *e)
{
    char err[256], mode[16];
    s->kr = kr;
    s->d = db_open(url, err, sizeof err);
    if (!s->d) {
        set_error(e, C2_UNAVAILABLE, "%s", err);
        return -1;
    }
    if (schema_migrate(s->d, e) != 0 || meta_get_text(s->d, "mode", mode, sizeof mode, e) != 0)
        return -1;
    if (c2_mode_parse(mode, &s->mode, &s->suite) != 0) {
        set_error(e, C2_INVALID, "the database's mode \"%.16s\" is unknown to this e4c2", mode);
        return -1;
    }
    return 0;
}

store_pool *store_pool_open(const char *url, keyring *kr, int size, c2_error *e)
{
    store_pool *p = calloc(1, sizeof *p);
    int i;
    if (!p || !(p->all = calloc((size_t)size, sizeof *p->all)) ||
        !(p->free_list = calloc((size_t)size, sizeof *p->free_list))) {
        set_error(e, C2_INTERNAL, "out of memory");
        store_pool_close(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->size = size;
    for (i = 0; i < size; i++) {
        if (store_init(&p->all[i], url, kr, e) != 0) {
            store_pool_close(p);
            return NULL;
        }
        p->free_list[p->free_count++] = &p->all[i];
    }
    return p;
}

void store_pool_close(store_pool *p)
{
    int i;
    if (!p)
        return;
    for (i = 0; p->all && i < p->size; i++) {
        if (p->all[i].d)
            db_close(p->all[i].d);
        free(p->all[i].queued);
    }
    free(p->all);
    free(p->free_list);
    free(p);
}

store *store_pool_get(store_pool *p)
{
    store *s;
    pthread_mutex_lock(&p->lock);
    while (p->free_count == 0)
        pthread_cond_wait(&p->cond, &p->lock);
    s = p->free_list[--p->free_count];
    pthread_mutex_unlock(&p->lock);
    return s;
}

void store_pool_put(store_pool *p, store *s)
{
    pthread_mutex_lock(&p->lock);
    p->free_list[p->free_count++] = s;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

c2_mode store_mode(const store *s)
{
    return s->mode;
}

e4_suite store_suite(const store *s)
{
    return s->suite;
}

/* ---- small helpers ------------------------------------------------------ */

void hex_encode(char *out, const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = 0;
}

void json_escape(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    const unsigned char *c;
    for (c = (const unsigned char *)s; *c && n + 7 < cap; c++) {
        if (*c == '"' || *c == '\\')
            out[n++] = '\\', out[n++] = (char)*c;
        else if (*c < 0x20)
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", *c);
        else
            out[n++] = (char)*c;
    }
    out[n] = 0;
}

void key_id_of(uint8_t out[C2_KEY_ID_LEN], const uint8_t key[E4_KEY_LEN])
{
    uint8_t h[32];
    unsigned int n = sizeof h;
    EVP_Digest(key, E4_KEY_LEN, h, &n, EVP_sha3_256(), NULL);
    memcpy(out, h, C2_KEY_ID_LEN);
}

c2_err page_check(const c2_page *pg, int64_t *offset, int64_t *limit, c2_error *e)
{
    *offset = pg ? pg->offset : 0;
    *limit = pg && pg->limit ? pg->limit : 100;
    if (*offset < 0)
        return set_error(e, C2_INVALID, "offset must be >= 0");
    if (*limit < 1 || *limit > 1000)
        return set_error(e, C2_INVALID, "limit must be between 1 and 1000");
    return C2_OK;
}

void like_pattern(char *buf, size_t cap, const char *search)
{
    size_t n = 0;
    buf[n++] = '%';
    for (; search && *search && n + 4 < cap; search++) {
        if (*search == '%' || *search == '_' || *search == '\\')
            buf[n++] = '\\';
        buf[n++] = *search;
    }
    buf[n++] = '%';
    buf[n] = 0;
}

c2_err page_query(store *s, const char *what, const char *columns, const char *from_where,
                  const char *order, db_val *p, int np, const c2_page *pg, int64_t *total,
                  int (*emit)(db_rows *, void *), void *ctx, c2_error *e)
{
    char sql[1024];
    int64_t offset, limit;
    int found = 0, rc;
    db_rows *r = NULL;
    if (page_check(pg, &offset, &limit, e) != C2_OK)
        return e->code;
    snprintf(sql, sizeof sql, "SELECT count(*) %s", from_where);
    if (db_query_int(s->d, total, &found, sql, p, np) != DB_OK)
        return db_error(s, e, what);
    snprintf(sql, sizeof sql, "SELECT %s %s ORDER BY %s LIMIT $%d OFFSET $%d", columns, from_where,
             order, np + 1, np + 2);
    p[np] = DB_INT(limit);
    p[np + 1] = DB_INT(offset);
    if (db_query(s->d, &r, sql, p, np + 2) != DB_OK)
        return db_error(s, e, what);
    while ((rc = db_next(r)) == 1 && !emit(r, ctx))
        ;
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, what) : C2_OK;
}
