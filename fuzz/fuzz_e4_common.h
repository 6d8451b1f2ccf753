/*
 * Harness code shared by the e4 fuzz targets (fuzz_e4_*.c): a comparison of
 * two states, with CHECK and the in-memory store from tests/support.
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

/* Fuzz targets copy stores for every input: keep them small. */
#ifndef MEMSTORE_CAP
#define MEMSTORE_CAP 4096
#endif
#include "check.h"
#include "memstore.h"

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
        memcmp(a->control_topic, b->control_topic, a->control_topic_len) != 0 ||
        memcmp(a->suite_keys, b->suite_keys, E4_SUITE_KEYS_SIZE(a->suite)) != 0)
        return 0;
    for (uint32_t i = 0; i < a->ntopics; i++) {
        const topic_slot *t = &a->topics[i], *u = e4i_topic_find(b, t->hash);
        if (!u || memcmp(t->key, u->key, 32) != 0 ||
            (t->old_ts == NO_OLD_KEY) != (u->old_ts == NO_OLD_KEY))
            return 0;
        if (t->old_ts != NO_OLD_KEY &&
            (t->old_ts != u->old_ts || memcmp(t->old_key, u->old_key, 32)))
            return 0;
    }
    for (uint32_t i = 0; i < a->npubkeys; i++) {
        const pubkey_slot *p = e4i_pubkey_slot(a, i), *q = e4i_pubkey_find(b, p->id);
        if (!q || memcmp(p->pk, q->pk, e4i_pubkey_len(a)) != 0)
            return 0;
    }
    return 1;
}

#endif /* E4_FUZZ_COMMON_H */
