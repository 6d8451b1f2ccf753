/* Which keys the devices hold and how many devices hold each (topic, key
 * id), kept up to date as commands are applied, so that `wait` and `count`
 * answer without scanning the fleet; plus the counters of `stats`. */
#include "sim.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct key_count {
    uint8_t topic_hash[E4_TOPIC_HASH_LEN];
    uint8_t key_id[SIM_KEY_ID_LEN];
    uint32_t count;
    uint32_t used;
};

#define INITIAL_SLOTS 1024

int tracker_init(tracker *t)
{
    pthread_condattr_t attr;
    memset(t, 0, sizeof *t);
    t->slots = calloc(INITIAL_SLOTS, sizeof *t->slots);
    if (!t->slots)
        return -1;
    t->cap = INITIAL_SLOTS;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cond, &attr);
    pthread_condattr_destroy(&attr);
    return 0;
}

void tracker_free(tracker *t)
{
    free(t->slots);
    t->slots = NULL;
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
}

static size_t slot_of(const uint8_t *th, const uint8_t *kid, size_t cap)
{
    uint64_t a, b;
    memcpy(&a, th, sizeof a);
    memcpy(&b, kid, sizeof b);
    return (size_t)(a ^ b) & (cap - 1);
}

/* The entry of (th, kid), or the empty slot where it goes (lock held). */
static struct key_count *probe(struct key_count *slots, size_t cap, const uint8_t *th,
                               const uint8_t *kid)
{
    size_t i = slot_of(th, kid, cap);
    for (;; i = (i + 1) & (cap - 1)) {
        struct key_count *k = &slots[i];
        if (!k->used || (!memcmp(k->topic_hash, th, E4_TOPIC_HASH_LEN) &&
                         !memcmp(k->key_id, kid, SIM_KEY_ID_LEN)))
            return k;
    }
}

static int grow(tracker *t)
{
    size_t cap = t->cap * 2, i;
    struct key_count *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (i = 0; i < t->cap; i++)
        if (t->slots[i].used)
            *probe(slots, cap, t->slots[i].topic_hash, t->slots[i].key_id) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

static void add(tracker *t, const held_key *h, int delta)
{
    struct key_count *k = probe(t->slots, t->cap, h->topic_hash, h->key_id);
    if (!k->used) {
        if (delta < 0 || ((t->used + 1) * 2 > t->cap && grow(t) != 0))
            return;
        k = probe(t->slots, t->cap, h->topic_hash, h->key_id);
        memcpy(k->topic_hash, h->topic_hash, E4_TOPIC_HASH_LEN);
        memcpy(k->key_id, h->key_id, SIM_KEY_ID_LEN);
        k->used = 1;
        t->used++;
    }
    k->count += (uint32_t)delta;
}

/* The keys d holds now, from its state (d's connection thread). */
static held_key *read_held(const sim_device *d, uint32_t *n)
{
    uint32_t i, count = e4_state_topic_count(d->state);
    held_key *h;

    *n = 0;
    if (count == 0 || !(h = malloc(count * sizeof *h)))
        return NULL;
    for (i = 0; i < count; i++) {
        uint8_t key[E4_KEY_LEN];
        if (e4_state_topic_at(d->state, i, h[*n].topic_hash, key, NULL) == E4_OK &&
            sim_key_id(h[*n].key_id, key) == 0)
            (*n)++;
        e4_wipe(key, sizeof key);
    }
    return h;
}

void tracker_command(tracker *t, sim_device *d)
{
    uint32_t n, i;
    held_key *now = read_held(d, &n), *old;

    pthread_mutex_lock(&t->lock);
    for (i = 0; i < d->nheld; i++)
        add(t, &d->held[i], -1);
    for (i = 0; i < n; i++)
        add(t, &now[i], 1);
    old = d->held;
    d->held = now;
    d->nheld = n;
    t->commands++;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    free(old);
}

void tracker_error(tracker *t, e4_err err)
{
    int kind = err < 0 && -err < SIM_ERR_KINDS ? -err : 0;
    pthread_mutex_lock(&t->lock);
    t->errors++;
    t->err_kind[kind]++;
    pthread_mutex_unlock(&t->lock);
}

void tracker_ignored(tracker *t)
{
    pthread_mutex_lock(&t->lock);
    t->ignored++;
    pthread_mutex_unlock(&t->lock);
}

static uint32_t count_locked(tracker *t, const uint8_t *th, const uint8_t *kid)
{
    struct key_count *k = probe(t->slots, t->cap, th, kid);
    return k->used ? k->count : 0;
}

uint32_t tracker_count(tracker *t, const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                       const uint8_t key_id[SIM_KEY_ID_LEN])
{
    uint32_t n;
    pthread_mutex_lock(&t->lock);
    n = count_locked(t, topic_hash, key_id);
    pthread_mutex_unlock(&t->lock);
    return n;
}

/* Wake up at most every 100 ms to notice *stop. */
static void wait_until(tracker *t, uint64_t deadline)
{
    struct timespec ts;
    uint64_t now = sim_now_ms(), ms = deadline - now;
    if (ms > 100)
        ms = 100;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&t->cond, &t->lock, &ts);
}

uint32_t tracker_wait(tracker *t, const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                      const uint8_t key_id[SIM_KEY_ID_LEN], uint32_t want, uint64_t deadline,
                      volatile const sig_atomic_t *stop)
{
    uint32_t n;
    pthread_mutex_lock(&t->lock);
    while ((n = count_locked(t, topic_hash, key_id)) < want && !*stop && sim_now_ms() < deadline)
        wait_until(t, deadline);
    pthread_mutex_unlock(&t->lock);
    return n;
}

int tracker_holds(tracker *t, const sim_device *d, const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                  uint8_t key_id[SIM_KEY_ID_LEN])
{
    uint32_t i;
    int found = 0;
    pthread_mutex_lock(&t->lock);
    for (i = 0; i < d->nheld && !found; i++) {
        if (!memcmp(d->held[i].topic_hash, topic_hash, E4_TOPIC_HASH_LEN)) {
            memcpy(key_id, d->held[i].key_id, SIM_KEY_ID_LEN);
            found = 1;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

void tracker_snapshot(tracker *t, tracker_stats *s)
{
    pthread_mutex_lock(&t->lock);
    s->commands = t->commands;
    s->errors = t->errors;
    s->ignored = t->ignored;
    memcpy(s->err_kind, t->err_kind, sizeof s->err_kind);
    pthread_mutex_unlock(&t->lock);
}

const char *tracker_kind_name(int kind)
{
    switch (-kind) {
    case E4_ERR_BUFFER_TOO_SMALL: return "too_long";
    case E4_ERR_TOO_SHORT: return "too_short";
    case E4_ERR_TIMESTAMP_IN_FUTURE: return "timestamp_in_future";
    case E4_ERR_TIMESTAMP_TOO_OLD: return "timestamp_too_old";
    case E4_ERR_TOPIC_KEY_NOT_FOUND: return "topic_key_not_found";
    case E4_ERR_NOT_AUTHENTIC: return "not_authentic";
    case E4_ERR_PUBKEY_NOT_FOUND: return "pubkey_not_found";
    case E4_ERR_INVALID_SIGNATURE: return "invalid_signature";
    case E4_ERR_REPLAYED: return "replayed";
    case E4_ERR_WRONG_SUITE: return "wrong_suite";
    case E4_ERR_INVALID_COMMAND: return "invalid_command";
    case E4_ERR_INVALID_ARG_LENGTH: return "invalid_arg_length";
    case E4_ERR_UNSUPPORTED_COMMAND: return "unsupported_command";
    case E4_ERR_TOPICS_FULL: return "topics_full";
    case E4_ERR_PUBKEYS_FULL: return "pubkeys_full";
    case E4_ERR_ZERO_KEY: return "zero_key";
    case E4_ERR_INVALID_KEY: return "invalid_key";
    default: return "other";
    }
}

void tracker_receipt(tracker *t, enum sim_receipt_count what)
{
    pthread_mutex_lock(&t->lock);
    t->receipts[what]++;
    pthread_mutex_unlock(&t->lock);
}

void tracker_receipts(tracker *t, uint64_t out[3])
{
    pthread_mutex_lock(&t->lock);
    memcpy(out, t->receipts, sizeof t->receipts);
    pthread_mutex_unlock(&t->lock);
}
