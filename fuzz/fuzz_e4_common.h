/*
 * Harness code shared by the e4 fuzz targets (fuzz_e4_*.c): the CHECK
 * invariant macro, an in-memory e4_storage and a comparison of two states.
 * Static functions in a header: each target is one translation unit.
 */
#ifndef E4_FUZZ_COMMON_H
#define E4_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <e4/e4.h>

#include "internal.h"

#define CHECK(c)                                                                       \
    do {                                                                               \
        if (!(c)) {                                                                    \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* ---- an in-memory e4_storage ------------------------------------------ */

typedef struct memstore {
    e4_storage st;
    uint8_t buf[4096], pending[4096];
    size_t len, plen, pos;
} memstore;

static int ms_begin(void *c) { ((memstore *)c)->plen = 0; return 0; }
static int ms_write(void *c, const void *d, size_t n)
{
    memstore *m = c;
    if (n > sizeof m->pending - m->plen)
        return -1;
    memcpy(m->pending + m->plen, d, n);
    m->plen += n;
    return 0;
}
static int ms_commit(void *c)
{
    memstore *m = c;
    memcpy(m->buf, m->pending, m->plen);
    m->len = m->plen;
    m->pos = 0;
    return 0;
}
static void ms_abort(void *c) { ((memstore *)c)->plen = 0; ((memstore *)c)->pos = 0; }
static long ms_read(void *c, void *d, size_t n)
{
    memstore *m = c;
    size_t k = m->len - m->pos < n ? m->len - m->pos : n;
    memcpy(d, m->buf + m->pos, k);
    m->pos += k;
    return (long)k;
}
static inline void ms_init(memstore *m)
{
    memset(m, 0, sizeof *m);
    m->st = (e4_storage){m, ms_begin, ms_write, ms_commit, ms_abort, ms_read};
}

/* Everything a state keeps across a restart (the replay cache is not kept);
 * topics and pubkeys compared as sets. */
static inline int states_equal(const e4_state *a, const e4_state *b)
{
    if (a->mode != b->mode || a->suite != b->suite || a->clock_skew != b->clock_skew ||
        a->control_topic_len != b->control_topic_len || a->ntopics != b->ntopics ||
        a->npubkeys != b->npubkeys || memcmp(a->id, b->id, E4_ID_LEN) != 0 ||
        memcmp(a->key, b->key, sizeof a->key) != 0 || memcmp(a->c2_pk, b->c2_pk, 32) != 0 ||
        memcmp(a->cmd_key, b->cmd_key, 32) != 0 ||
        memcmp(a->control_hash, b->control_hash, 16) != 0 ||
        memcmp(a->control_topic, b->control_topic, a->control_topic_len) != 0)
        return 0;
    for (uint32_t i = 0; i < a->ntopics; i++) {
        const topic_slot *t = &a->topics[i], *u = e4i_topic_find(b, t->hash);
        if (!u || memcmp(t->key, u->key, 32) != 0 ||
            (t->old_ts == NO_OLD_KEY) != (u->old_ts == NO_OLD_KEY))
            return 0;
        if (t->old_ts != NO_OLD_KEY && (t->old_ts != u->old_ts || memcmp(t->old_key, u->old_key, 32)))
            return 0;
    }
    for (uint32_t i = 0; i < a->npubkeys; i++) {
        const pubkey_slot *p = &a->pubkeys[i], *q = e4i_pubkey_find(b, p->id);
        if (!q || memcmp(p->pk, q->pk, 32) != 0)
            return 0;
    }
    return 1;
}

#endif /* E4_FUZZ_COMMON_H */
