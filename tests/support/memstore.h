/*
 * memstore: an in-memory e4_storage for tests and fuzz targets, with
 * faults on demand. A save goes to `pending` and becomes `buf` at commit,
 * as a real store's temporary file becomes the state file. Header-only
 * (static inline): each test or fuzz target is one translation unit, and
 * may set MEMSTORE_CAP before including it (a fuzz target copies stores
 * often and keeps them small).
 */
#ifndef E4_SUPPORT_MEMSTORE_H
#define E4_SUPPORT_MEMSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <e4/e4.h>

#ifndef MEMSTORE_CAP
#define MEMSTORE_CAP 65536
#endif

typedef struct memstore {
    e4_storage st; /* hand &m->st to the library */
    uint8_t buf[MEMSTORE_CAP], pending[MEMSTORE_CAP];
    size_t len, plen, pos;
    long fail_write_after; /* < 0: never; else a write past this many bytes fails */
    int fail_begin, fail_commit, fail_read_at, read_chunk;
    int begins, commits, aborts; /* what the library did */
} memstore;

static inline int memstore_begin(void *c)
{
    memstore *m = c;
    m->begins++;
    m->plen = 0;
    return m->fail_begin ? -1 : 0;
}

static inline int memstore_write(void *c, const void *d, size_t n)
{
    memstore *m = c;
    if (n > sizeof m->pending - m->plen ||
        (m->fail_write_after >= 0 && m->plen + n > (size_t)m->fail_write_after))
        return -1;
    memcpy(m->pending + m->plen, d, n);
    m->plen += n;
    return 0;
}

static inline int memstore_commit(void *c)
{
    memstore *m = c;
    if (m->fail_commit)
        return -1;
    m->commits++;
    memcpy(m->buf, m->pending, m->plen);
    m->len = m->plen;
    m->pos = 0;
    return 0;
}

static inline void memstore_abort(void *c)
{
    memstore *m = c;
    m->aborts++;
    m->plen = 0;
    m->pos = 0;
}

static inline long memstore_read(void *c, void *d, size_t n)
{
    memstore *m = c;
    if (m->fail_read_at > 0 && m->pos >= (size_t)m->fail_read_at)
        return -1;
    if (m->read_chunk && n > (size_t)m->read_chunk)
        n = (size_t)m->read_chunk;
    size_t k = m->len - m->pos < n ? m->len - m->pos : n;
    memcpy(d, m->buf + m->pos, k);
    m->pos += k;
    return (long)k;
}

/* Empty, no faults. */
static inline void memstore_init(memstore *m)
{
    memset(m, 0, sizeof *m);
    m->st = (e4_storage){
        m, memstore_begin, memstore_write, memstore_commit, memstore_abort, memstore_read};
    m->fail_write_after = -1;
}

/* As if n bytes p had been saved (n <= MEMSTORE_CAP). */
static inline void memstore_set(memstore *m, const uint8_t *p, size_t n)
{
    memcpy(m->buf, p, n);
    m->len = n;
    m->pos = 0;
}

#endif
