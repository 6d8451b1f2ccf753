/*
 * e4_client, the hosted layer: heap memory, system clock, file store, replay
 * cache on by default, and a reader-writer lock so that several threads
 * protect and unprotect at once while C2 commands get the state alone.
 */
#include <e4/client.h>
#include <e4/receipt.h>

#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define DEFAULT_TOPICS 1024
#define DEFAULT_PUBKEYS 256
#define DEFAULT_REPLAY 4096
#define MAX_GROWTH (1u << 24)

struct e4_client {
    pthread_rwlock_t lock;
    pthread_mutex_t replay_mutex;
    e4_state *state;
    void *mem;
    e4_file_store store;
    char *path;
    uint64_t (*clock)(void *ctx);
    void *clock_ctx;
    char receipt_topic[E4_RECEIPT_TOPIC_MAX];
    e4_receipt_sink sink; /* under lock, like the state */
    void *sink_ctx;
};

/* The reason of the last E4_ERR_STORAGE_IO an e4_client call returned to
 * this thread (a copy: the client may be gone, or saving again). */
static _Thread_local char storage_error[E4_FILE_STORE_ERROR_MAX];

const char *e4_client_storage_error(void)
{
    return storage_error;
}

/* Under the client's write lock (or before anyone else sees c). */
static e4_err note_storage(const e4_client *c, e4_err err)
{
    if (err == E4_ERR_STORAGE_IO)
        memcpy(storage_error, c->store.error, sizeof storage_error);
    return err;
}

static uint64_t system_clock(void *ctx)
{
    (void)ctx;
    return (uint64_t)time(NULL);
}

static void replay_lock(void *ctx, int lock)
{
    if (lock)
        pthread_mutex_lock(ctx);
    else
        pthread_mutex_unlock(ctx);
}

static e4_limits limits_of(const e4_client_options *o, e4_mode mode)
{
    e4_limits l = {
        .topics = o && o->max_topics ? o->max_topics : DEFAULT_TOPICS,
        .pubkeys =
            mode == E4_MODE_PK ? (o && o->max_pubkeys ? o->max_pubkeys : DEFAULT_PUBKEYS) : 0,
        .replay = !o || !o->replay_cache || o->replay_cache == E4_REPLAY_COMMANDS_ONLY
                      ? DEFAULT_REPLAY
                  : o->replay_cache == E4_REPLAY_OFF ? 0
                                                     : o->replay_cache,
    };
    return l;
}

static void client_free_memory(e4_client *c)
{
    if (c->state)
        e4_state_wipe(c->state);
    free(c->mem);
    free(c->path);
    pthread_rwlock_destroy(&c->lock);
    pthread_mutex_destroy(&c->replay_mutex);
    free(c);
}

static e4_client *client_alloc(const e4_limits *l, const e4_client_options *o, e4_suite suite)
{
    e4_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_rwlock_init(&c->lock, NULL);
    pthread_mutex_init(&c->replay_mutex, NULL);
    c->clock = system_clock;
    c->mem = aligned_alloc(8, (e4_state_size_suite(suite, l) + 7) & ~(size_t)7);
    if (o && o->state_path && !(c->path = strdup(o->state_path))) {
        free(c->mem);
        c->mem = NULL;
    }
    if (!c->mem) {
        client_free_memory(c);
        return NULL;
    }
    if (c->path)
        e4_file_store_init(&c->store, c->path);
    return c;
}

/* Options that apply to any state, new or loaded; then durable from now on. */
static e4_err client_finish(e4_client *c, const e4_client_options *o, int save_now)
{
    e4_state *s = c->state;
    e4_err err = E4_OK;
    if (o && o->clock_skew)
        e4_state_set_clock_skew(s, o->clock_skew);
    if (o && o->control_topic && (err = e4_state_set_control_topic(s, o->control_topic)) != E4_OK)
        return err;
    s->replay_lock = replay_lock;
    s->replay_lock_ctx = &c->replay_mutex;
    if (o && o->replay_cache == E4_REPLAY_COMMANDS_ONLY)
        e4_state_set_data_replay_check(s, 0);
    if ((err = e4_receipt_topic(c->receipt_topic, sizeof c->receipt_topic,
                                e4_state_control_topic(s))) != E4_OK)
        return err;
    if (c->path) {
        if (save_now && (err = e4_state_save(s, &c->store.storage)) != E4_OK)
            return err;
        e4_state_set_storage(s, &c->store.storage);
    }
    return E4_OK;
}

/* A new identity's keys, by suite: k[0] the SK client key, the Ed25519
 * private key (base PK, pq-pk) or the P-256 signing key (fips-pk); then the
 * suite's other own keys and C2's keys, in the order of the state's init. */
typedef struct identity {
    e4_mode mode;
    e4_suite suite;
    const uint8_t *id, *k[5];
} identity;

static e4_err init_state(e4_client *c, const identity *i, const e4_limits *l)
{
    size_t size = e4_state_size_suite(i->suite, l);
    switch (i->suite) {
    case E4_SUITE_FIPS_SK: return e4_state_init_fips_sk(&c->state, c->mem, size, l, i->id, i->k[0]);
    case E4_SUITE_FIPS_PK:
        return e4_state_init_fips_pk(&c->state, c->mem, size, l, i->id, i->k[0], i->k[1], i->k[2]);
    case E4_SUITE_PQ_PK:
        return e4_state_init_pq_pk(&c->state, c->mem, size, l, i->id, i->k[0], i->k[1], i->k[2],
                                   i->k[3], i->k[4]);
    default:
        return i->mode == E4_MODE_PK
                   ? e4_state_init_pk(&c->state, c->mem, size, l, i->id, i->k[0], i->k[1])
                   : e4_state_init_sk(&c->state, c->mem, size, l, i->id, i->k[0]);
    }
}

static e4_err client_create(e4_client **out, const identity *i, const e4_client_options *opt)
{
    if (!out)
        return E4_ERR_INVALID_ARGUMENT;
    e4_limits l = limits_of(opt, i->mode);
    e4_client *c = client_alloc(&l, opt, i->suite);
    if (!c)
        return E4_ERR_NO_MEMORY;
    e4_err err = init_state(c, i, &l);
    if (err == E4_OK)
        err = note_storage(c, client_finish(c, opt, 1));
    if (err != E4_OK) {
        client_free_memory(c);
        return err;
    }
    *out = c;
    return E4_OK;
}

e4_err e4_client_new_sk(e4_client **out, const uint8_t id[E4_ID_LEN], const uint8_t key[E4_KEY_LEN],
                        const e4_client_options *opt)
{
    const identity i = {E4_MODE_SK, E4_SUITE_BASE, id, {key}};
    return client_create(out, &i, opt);
}

e4_err e4_client_new_fips_sk(e4_client **out, const uint8_t id[E4_ID_LEN],
                             const uint8_t key[E4_KEY_LEN], const e4_client_options *opt)
{
    const identity i = {E4_MODE_SK, E4_SUITE_FIPS_SK, id, {key}};
    return client_create(out, &i, opt);
}

e4_err e4_client_new_pk(e4_client **out, const uint8_t id[E4_ID_LEN],
                        const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                        const uint8_t c2_x25519_pk[E4_X25519_LEN], const e4_client_options *opt)
{
    const identity i = {E4_MODE_PK, E4_SUITE_BASE, id, {ed25519_sk, c2_x25519_pk}};
    return client_create(out, &i, opt);
}

e4_err e4_client_new_fips_pk(e4_client **out, const uint8_t id[E4_ID_LEN],
                             const uint8_t sign_sk[E4_P256_SK_LEN],
                             const uint8_t agree_sk[E4_P256_SK_LEN],
                             const uint8_t c2_agree_pk[E4_P256_PK_LEN],
                             const e4_client_options *opt)
{
    const identity i = {E4_MODE_PK, E4_SUITE_FIPS_PK, id, {sign_sk, agree_sk, c2_agree_pk}};
    return client_create(out, &i, opt);
}

e4_err e4_client_new_pq_pk(e4_client **out, const uint8_t id[E4_ID_LEN],
                           const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                           const uint8_t mldsa_seed[E4_MLDSA65_SEED_LEN],
                           const uint8_t xwing_seed[E4_XWING_SEED_LEN],
                           const uint8_t c2_ed25519_pk[E4_ED25519_PK_LEN],
                           const uint8_t c2_mldsa_pk[E4_MLDSA65_PK_LEN],
                           const e4_client_options *opt)
{
    const identity i = {E4_MODE_PK,
                        E4_SUITE_PQ_PK,
                        id,
                        {ed25519_sk, mldsa_seed, xwing_seed, c2_ed25519_pk, c2_mldsa_pk}};
    return client_create(out, &i, opt);
}

/* The saved state may hold more keys than the configured capacity: the
 * hosted layer grows to fit it rather than refusing to start. */
e4_err e4_client_open(e4_client **out, const e4_client_options *opt)
{
    if (!out || !opt || !opt->state_path)
        return E4_ERR_INVALID_ARGUMENT;
    e4_limits l = limits_of(opt, E4_MODE_PK); /* the mode is not known yet */
    e4_suite room = E4_SUITE_BASE; /* nor the suite: a fips-pk or pq-pk file needs more */
    for (;;) {
        e4_client *c = client_alloc(&l, opt, room);
        if (!c)
            return E4_ERR_NO_MEMORY;
        e4_err err =
            e4_state_load(&c->state, c->mem, e4_state_size_suite(room, &l), &l, &c->store.storage);
        if (err == E4_OK)
            err = client_finish(c, opt, opt->control_topic || opt->clock_skew);
        note_storage(c, err);
        if (err == E4_OK) {
            *out = c;
            return E4_OK;
        }
        client_free_memory(c);
        if (err == E4_ERR_BUFFER_TOO_SMALL && room == E4_SUITE_BASE) {
            room = E4_SUITE_PQ_PK; /* the largest suite state */
            continue;
        }
        if (err != E4_ERR_STORAGE_CAPACITY || l.topics >= MAX_GROWTH)
            return err;
        l.topics *= 2;
        l.pubkeys *= 2;
    }
}

void e4_client_free(e4_client *c)
{
    if (c)
        client_free_memory(c);
}

size_t e4_client_protected_len(const e4_client *c, size_t plain_len)
{
    return e4_protected_len(c->state, plain_len);
}

e4_err e4_client_protect(e4_client *c, const char *topic, const uint8_t *plain, size_t plain_len,
                         uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (!c)
        return E4_ERR_INVALID_ARGUMENT;
    uint8_t hash[E4_TOPIC_HASH_LEN];
    e4_err err = e4_hash_topic(hash, topic);
    if (err)
        return err;
    pthread_rwlock_rdlock(&c->lock);
    err = e4_protect_hashed(c->state, hash, plain, plain_len, out, out_cap, out_len,
                            c->clock(c->clock_ctx));
    pthread_rwlock_unlock(&c->lock);
    return err;
}

/* A message on the control topic: the state alone (a command changes it),
 * then, outside the lock, the APPLIED receipt of a command that
 * authenticated goes to the sink. */
static e4_err unprotect_command(e4_client *c, const uint8_t hash[E4_TOPIC_HASH_LEN],
                                const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                                size_t *out_len)
{
    uint8_t receipt[E4_RECEIPT_APPLIED_LEN];
    e4_receipt_sink sink = NULL;
    void *sink_ctx = NULL;
    pthread_rwlock_wrlock(&c->lock);
    uint64_t now = c->clock(c->clock_ctx);
    e4_err err = note_storage(
        c, e4_unprotect_hashed(c->state, hash, in, in_len, out, out_cap, out_len, now));
    if (c->sink && (err == E4_COMMAND || e4_err_is_refusal(err)) &&
        e4_receipt_applied(c->state, in, in_len, err, receipt, now) == E4_OK) {
        sink = c->sink;
        sink_ctx = c->sink_ctx;
    }
    pthread_rwlock_unlock(&c->lock);
    if (sink)
        sink(sink_ctx, receipt, sizeof receipt);
    return err;
}

e4_err e4_client_unprotect(e4_client *c, const char *topic, const uint8_t *in, size_t in_len,
                           uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (!c)
        return E4_ERR_INVALID_ARGUMENT;
    uint8_t hash[E4_TOPIC_HASH_LEN];
    e4_err err = e4_hash_topic(hash, topic);
    if (err)
        return err;
    /* Messages only read the state; commands change it and run alone. */
    if (memcmp(hash, c->state->control_hash, E4_TOPIC_HASH_LEN) == 0)
        return unprotect_command(c, hash, in, in_len, out, out_cap, out_len);
    pthread_rwlock_rdlock(&c->lock);
    err = e4_unprotect_hashed(c->state, hash, in, in_len, out, out_cap, out_len,
                              c->clock(c->clock_ctx));
    pthread_rwlock_unlock(&c->lock);
    return err;
}

e4_mode e4_client_mode(const e4_client *c)
{
    return e4_state_mode(c->state);
}
e4_suite e4_client_suite(const e4_client *c)
{
    return e4_state_suite(c->state);
}
void e4_client_id(const e4_client *c, uint8_t id[E4_ID_LEN])
{
    e4_state_id(c->state, id);
}
const char *e4_client_control_topic(const e4_client *c)
{
    return e4_state_control_topic(c->state);
}
const char *e4_client_receipt_topic(const e4_client *c)
{
    return c->receipt_topic;
}

void e4_client_set_receipt_sink(e4_client *c, e4_receipt_sink sink, void *ctx)
{
    pthread_rwlock_wrlock(&c->lock);
    c->sink = sink;
    c->sink_ctx = sink ? ctx : NULL;
    pthread_rwlock_unlock(&c->lock);
}

e4_err e4_client_state_receipt(e4_client *c, uint8_t **out, size_t *out_len)
{
    if (!c || !out || !out_len)
        return E4_ERR_INVALID_ARGUMENT;
    pthread_rwlock_rdlock(&c->lock);
    size_t cap = e4_receipt_state_len(c->state);
    uint8_t *buf = malloc(cap);
    e4_err err = buf ? e4_receipt_state(c->state, buf, cap, out_len, c->clock(c->clock_ctx))
                     : E4_ERR_NO_MEMORY;
    pthread_rwlock_unlock(&c->lock);
    if (err != E4_OK) {
        free(buf);
        return err;
    }
    *out = buf;
    return E4_OK;
}

e4_err e4_client_set_topic_key(e4_client *c, const char *topic, const uint8_t key[E4_KEY_LEN])
{
    if (!c)
        return E4_ERR_INVALID_ARGUMENT;
    pthread_rwlock_wrlock(&c->lock);
    e4_err err =
        note_storage(c, e4_state_set_topic_key(c->state, topic, key, c->clock(c->clock_ctx)));
    pthread_rwlock_unlock(&c->lock);
    return err;
}

e4_err e4_client_set_pubkey(e4_client *c, const uint8_t id[E4_ID_LEN],
                            const uint8_t pk[E4_ED25519_PK_LEN])
{
    if (!c)
        return E4_ERR_INVALID_ARGUMENT;
    pthread_rwlock_wrlock(&c->lock);
    e4_err err = note_storage(c, e4_state_set_pubkey(c->state, id, pk));
    pthread_rwlock_unlock(&c->lock);
    return err;
}

e4_err e4_client_set_suite_pubkey(e4_client *c, const uint8_t id[E4_ID_LEN], const uint8_t *pk,
                                  size_t pk_len)
{
    if (!c)
        return E4_ERR_INVALID_ARGUMENT;
    pthread_rwlock_wrlock(&c->lock);
    e4_err err = note_storage(c, e4_state_set_suite_pubkey(c->state, id, pk, pk_len));
    pthread_rwlock_unlock(&c->lock);
    return err;
}

void e4_client_set_clock(e4_client *c, uint64_t (*now)(void *ctx), void *ctx)
{
    pthread_rwlock_wrlock(&c->lock);
    c->clock = now ? now : system_clock;
    c->clock_ctx = now ? ctx : NULL;
    pthread_rwlock_unlock(&c->lock);
}

void e4_client_inspect(e4_client *c, void (*f)(const e4_state *s, void *ctx), void *ctx)
{
    pthread_rwlock_rdlock(&c->lock);
    f(c->state, ctx);
    pthread_rwlock_unlock(&c->lock);
}
