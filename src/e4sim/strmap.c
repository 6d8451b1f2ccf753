/* A fixed-size map from strings (not copied) to device indices: open
 * addressing, linear probing, FNV-1a. Filled once at load, then read-only
 * (safe to read from every thread). */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

struct strmap_slot {
    const char *key; /* NULL: empty */
    uint64_t hash;
    uint32_t value;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3u;
    }
    return h;
}

int strmap_init(strmap *m, size_t n)
{
    size_t cap = 16;
    if (n > SIZE_MAX / sizeof *m->slots / 4)
        return -1;
    while (cap < 2 * n + 1)
        cap *= 2;
    m->slots = calloc(cap, sizeof *m->slots);
    m->cap = m->slots ? cap : 0;
    return m->slots ? 0 : -1;
}

void strmap_free(strmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
}

/* The slot of key, or the empty slot where it would go (NULL when full). */
static struct strmap_slot *find(const strmap *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask, probes;
    for (probes = 0; probes < m->cap; probes++, i = (i + 1) & mask) {
        struct strmap_slot *s = &m->slots[i];
        if (!s->key || (s->hash == h && !strcmp(s->key, key)))
            return s;
    }
    return NULL;
}

int strmap_put(strmap *m, const char *key, uint32_t value, uint32_t *existing)
{
    uint64_t h = fnv1a(key);
    struct strmap_slot *s = m->cap ? find(m, key, h) : NULL;
    if (!s)
        return -1;
    if (s->key) {
        if (existing)
            *existing = s->value;
        return 1;
    }
    s->key = key;
    s->hash = h;
    s->value = value;
    return 0;
}

int strmap_get(const strmap *m, const char *key, uint32_t *value)
{
    struct strmap_slot *s;
    if (!m->cap)
        return 0;
    s = find(m, key, fnv1a(key));
    if (!s || !s->key)
        return 0;
    *value = s->value;
    return 1;
}
