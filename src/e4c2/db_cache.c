/*
 * db_cache: the prepared-statement LRU shared by both drivers. Keys are the
 * SQL text (plus, for PostgreSQL, the parameter types), compared by content:
 * callers may build SQL in reused buffers, so a pointer is not an identity.
 * 64 entries are scanned linearly, which costs far less than the parse and
 * plan they save.
 */
#include "db_internal.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: only to skip most strcmp calls. */
static uint64_t key_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

db_cache_entry *db_cache_find(db_cache *c, const char *key)
{
    uint64_t h = key_hash(key);
    for (int i = 0; i < DB_CACHE_SIZE; i++) {
        db_cache_entry *e = &c->e[i];
        if (e->key && e->hash == h && strcmp(e->key, key) == 0) {
            e->used = ++c->tick;
            return e;
        }
    }
    return NULL;
}

/* A free slot, else the least recently used idle one; NULL if all are busy. */
static db_cache_entry *victim(db_cache *c)
{
    db_cache_entry *best = NULL;
    for (int i = 0; i < DB_CACHE_SIZE; i++) {
        db_cache_entry *e = &c->e[i];
        if (!e->key)
            return e;
        if (!e->busy && (!best || e->used < best->used))
            best = e;
    }
    return best;
}

db_cache_entry *db_cache_add(db_cache *c, const char *key, void *handle, void **evicted)
{
    *evicted = NULL;
    db_cache_entry *e = victim(c);
    char *copy = e ? strdup(key) : NULL;
    if (!copy)
        return NULL;
    if (e->key) {
        *evicted = e->handle;
        free(e->key);
    }
    *e = (db_cache_entry){.key = copy, .hash = key_hash(key), .used = ++c->tick, .handle = handle};
    return e;
}

void db_cache_drop(db_cache_entry *e)
{
    free(e->key);
    *e = (db_cache_entry){0};
}

void db_cache_clear(db_cache *c, void (*release)(void *handle, void *ctx), void *ctx)
{
    for (int i = 0; i < DB_CACHE_SIZE; i++) {
        if (c->e[i].key) {
            release(c->e[i].handle, ctx);
            db_cache_drop(&c->e[i]);
        }
    }
}
