/* The receipt side's caches: receipt keys by client, C2's key pairs, topic
 * key checks. Every receipt would otherwise cost an unseal and, in PK mode,
 * an X25519 per C2 key pair. */
#include "sync_internal.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define KEYS_MAX (1u << 18) /* entries before the cache starts over */
#define PAIRS_TTL_MS 5000

static size_t slot_of(const uint8_t *id, size_t cap)
{
    uint64_t h;
    memcpy(&h, id, sizeof h); /* ids are hashes: their bytes are uniform */
    return (size_t)h & (cap - 1);
}

static void keys_clear(sync_ctx *x)
{
    if (x->keys)
        sodium_memzero(x->keys, x->keys_cap * sizeof *x->keys);
    x->keys_used = 0;
}

static rkey_entry *keys_find(rkey_entry *keys, size_t cap, const uint8_t id[E4_ID_LEN])
{
    size_t i;
    for (i = slot_of(id, cap);; i = (i + 1) & (cap - 1))
        if (!keys[i].used || !memcmp(keys[i].id, id, E4_ID_LEN))
            return &keys[i];
}

/* Room for one more entry: the table doubles, or starts over at its cap. */
static int keys_room(sync_ctx *x)
{
    rkey_entry *old = x->keys;
    size_t cap = x->keys_cap, j;
    if (old && x->keys_used * 4 < cap * 3)
        return 0;
    if (cap >= KEYS_MAX) {
        keys_clear(x);
        return 0;
    }
    cap = cap ? cap * 2 : 1024;
    if (!(x->keys = calloc(cap, sizeof *x->keys))) {
        x->keys = old;
        return -1;
    }
    for (j = 0; j < x->keys_cap; j++)
        if (old[j].used)
            *keys_find(x->keys, cap, old[j].id) = old[j];
    if (old)
        sodium_memzero(old, x->keys_cap * sizeof *old);
    free(old);
    x->keys_cap = cap;
    return 0;
}

static c2_err load_pairs(store *s, sync_ctx *x, c2_error *e)
{
    db_rows *r = NULL;
    int rc;
    sodium_memzero(x->pairs, sizeof x->pairs);
    x->npairs = 0;
    if (db_query(s->d, &r,
                 "SELECT generation, pk, sk_sealed FROM c2keys WHERE retired IS NULL"
                 " ORDER BY generation DESC",
                 NULL, 0) != DB_OK)
        return db_error(s, e, "cannot read the C2 keys");
    while (x->npairs < SYNC_MAX_GENS && (rc = db_next(r)) == 1) {
        c2_pair *p = &x->pairs[x->npairs];
        size_t pl = 0, sl = 0, len = 0;
        const uint8_t *pk = db_blob(r, 1, &pl), *sealed = db_blob(r, 2, &sl);
        p->gen = db_int(r, 0);
        if (pl != c2_own_pk_len(s->suite) ||
            unseal(s->kr, p->sk, sizeof p->sk, &len, "c2keys.sk", &p->gen, sizeof p->gen, sealed,
                   sl) != 0 ||
            len != c2_own_sk_len(s->suite)) {
            db_rows_free(r);
            return set_error(e, C2_INTERNAL,
                             "a C2 private key does not open: the database was altered");
        }
        memcpy(p->pk, pk, pl);
        p->pk_len = pl;
        x->npairs += e4_key_check(p->check, p->pk, pl) == E4_OK;
    }
    db_rows_free(r);
    x->pairs_loaded_ms = now_ms();
    return C2_OK;
}

c2_err sync_pairs(store *s, sync_ctx *x, int reload, c2_error *e)
{
    if (s->mode != C2_MODE_PK)
        return C2_OK;
    if (!reload && x->npairs && now_ms() - x->pairs_loaded_ms < PAIRS_TTL_MS)
        return C2_OK;
    return load_pairs(s, x, e);
}

/* The command key of c under C2's pair p (PK and fips-pk). */
static e4_err pair_command_key(store *s, uint8_t cmd[E4_KEY_LEN], const c2_pair *p,
                               const client_row *c)
{
    if (c->pubkey_len != c2_client_pk_len(s->suite))
        return E4_ERR_INVALID_KEY;
    if (s->suite == E4_SUITE_FIPS_PK)
        return e4_fips_pk_command_key(cmd, p->sk, c->pubkey + E4_P256_PK_LEN);
    return e4_c2_shared_key(cmd, p->sk, c->pubkey);
}

/* pq-pk: the receipt key of the client's current K_epoch (none before its
 * first establishment); its C2 generation is read from its STATE. */
static c2_err derive_epoch_key(store *s, const client_row *c, rkey_entry *k, c2_error *e)
{
    uint8_t cmd[E4_KEY_LEN];
    int64_t epoch = 0;
    c2_err rc = pq_epoch_current(s, c, cmd, &epoch, e);
    if (rc == C2_NOT_FOUND)
        return C2_OK;
    if (rc == C2_OK && e4_receipt_key(k->rkey[0], cmd) == E4_OK)
        k->gen[k->nkeys++] = 0;
    sodium_memzero(cmd, sizeof cmd);
    return rc;
}

/* The client's command keys -> receipt keys. */
static c2_err derive_keys(store *s, sync_ctx *x, const client_row *c, rkey_entry *k, c2_error *e)
{
    uint8_t cmd[E4_KEY_LEN];
    size_t len = 0;
    int i;
    k->nkeys = 0;
    if (s->suite == E4_SUITE_PQ_PK)
        return derive_epoch_key(s, c, k, e);
    if (s->mode == C2_MODE_SK) {
        if (unseal(s->kr, cmd, sizeof cmd, &len, "clients.key", c->id, E4_ID_LEN, c->key_sealed,
                   c->key_sealed_len) != 0 ||
            len != E4_KEY_LEN)
            return set_error(e, C2_INTERNAL, "the key of client %.200s does not open", c->name);
        k->nkeys = e4_receipt_key(k->rkey[0], cmd) == E4_OK;
        k->gen[0] = 0;
    }
    for (i = 0; s->mode == C2_MODE_PK && i < x->npairs; i++) {
        if (pair_command_key(s, cmd, &x->pairs[i], c) != E4_OK)
            continue; /* a client key C2 cannot agree with: no receipt opens */
        if (e4_receipt_key(k->rkey[k->nkeys], cmd) == E4_OK)
            k->gen[k->nkeys++] = x->pairs[i].gen;
    }
    sodium_memzero(cmd, sizeof cmd);
    return C2_OK;
}

const rkey_entry *sync_client_keys(store *s, sync_ctx *x, const uint8_t id[E4_ID_LEN], int reload,
                                   c2_error *e)
{
    rkey_entry *k = keys_room(x) == 0 ? keys_find(x->keys, x->keys_cap, id) : NULL;
    db_val p[1] = {DB_BLOB(id, E4_ID_LEN)};
    db_rows *r = NULL;
    client_row c;
    int rc;
    if (!k) {
        set_error(e, C2_INTERNAL, "out of memory");
        return NULL;
    }
    if (k->used && !reload)
        return k;
    if (sync_pairs(s, x, reload, e) != C2_OK)
        return NULL;
    if (db_query(s->d, &r, "SELECT " CLIENT_COLUMNS " FROM clients c WHERE c.eid = $1", p, 1) !=
        DB_OK) {
        db_error(s, e, "cannot read a client");
        return NULL;
    }
    rc = db_next(r);
    if (rc == 1)
        client_read(r, 0, &c);
    db_rows_free(r);
    if (rc != 1) {
        if (rc < 0)
            db_error(s, e, "cannot read a client");
        return NULL; /* stays as it was: a removed client's entry is not reused */
    }
    if (!k->used)
        x->keys_used++;
    memset(k, 0, sizeof *k);
    memcpy(k->id, id, E4_ID_LEN);
    k->used = 1;
    k->loaded_ms = now_ms();
    if (derive_keys(s, x, &c, k, e) != C2_OK)
        return NULL;
    return k;
}

static check_entry *check_slot(sync_ctx *x, int64_t topic_id)
{
    size_t i;
    if (!x->checks) {
        x->checks_cap = 4096;
        if (!(x->checks = calloc(x->checks_cap, sizeof *x->checks)))
            return NULL;
    }
    if (x->checks_used * 2 >= x->checks_cap) { /* a bounded cache: start over */
        memset(x->checks, 0, x->checks_cap * sizeof *x->checks);
        x->checks_used = 0;
    }
    for (i = (size_t)topic_id * 0x9E3779B97F4A7C15ull >> 40 & (x->checks_cap - 1);;
         i = (i + 1) & (x->checks_cap - 1))
        if (!x->checks[i].topic_id || x->checks[i].topic_id == topic_id)
            return &x->checks[i];
}

c2_err sync_topic_check(store *s, sync_ctx *x, const topic_row *t, uint8_t check[E4_CHECK_LEN],
                        c2_error *e)
{
    uint8_t key[E4_KEY_LEN];
    check_entry *c = check_slot(x, t->rowid);
    if (!c)
        return set_error(e, C2_INTERNAL, "out of memory");
    if (c->topic_id == t->rowid && c->version == t->t.version) {
        memcpy(check, c->check, E4_CHECK_LEN);
        return C2_OK;
    }
    if (topic_key(s, t, key, e) != C2_OK)
        return e->code;
    e4_err err = e4_key_check(check, key, sizeof key);
    sodium_memzero(key, sizeof key);
    if (err != E4_OK)
        return set_error(e, C2_INTERNAL, "cannot compute a key check");
    if (!c->topic_id)
        x->checks_used++;
    c->topic_id = t->rowid;
    c->version = t->t.version;
    memcpy(c->check, check, E4_CHECK_LEN);
    return C2_OK;
}
