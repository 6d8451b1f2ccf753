/* C2's own key set (public-key modes: an X25519 pair in pk, a P-256
 * agreement pair in fips-pk, Ed25519 and ML-DSA-65 in pq-pk): creation and
 * rotation. */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "store_admin.h"

static c2_err insert_pair(db *d, const keyring *kr, e4_suite suite, int64_t gen,
                          uint8_t pk[C2_OWN_PK_MAX], c2_error *e)
{
    uint8_t sk[C2_OWN_SK_MAX], sealed[C2_OWN_SK_MAX + SEAL_OVERHEAD];
    size_t sk_len = c2_own_sk_len(suite);
    db_val p[4] = {DB_INT(gen), DB_BLOB(pk, c2_own_pk_len(suite)),
                   DB_BLOB(sealed, sk_len + SEAL_OVERHEAD), DB_INT(now_s())};
    int rc = c2_own_keygen(suite, sk, pk) != 0 ||
             seal(kr, sealed, "c2keys.sk", &gen, sizeof gen, sk, sk_len) != 0;
    sodium_memzero(sk, sizeof sk);
    if (rc)
        return set_error(e, C2_INTERNAL, "cannot make the C2 key pair");
    if (db_exec(d,
                "INSERT INTO c2keys (generation, pk, sk_sealed, created) VALUES ($1, $2, $3, $4)",
                p, 4) != 1)
        return set_error(e, C2_INTERNAL, "cannot store the C2 key: %s", db_errmsg(d));
    return C2_OK;
}

c2_err store_c2_create(db *d, const keyring *kr, e4_suite suite, c2_error *e)
{
    uint8_t pk[C2_OWN_PK_MAX];
    return insert_pair(d, kr, suite, 1, pk, e);
}

static c2_err current_pub(store *s, uint8_t pk[C2_OWN_PK_MAX], int64_t *gen, c2_error *e)
{
    db_rows *r = NULL;
    size_t n = 0;
    const uint8_t *b;
    int rc;
    if (s->mode != C2_MODE_PK)
        return set_error(e, C2_WRONG_MODE, "C2 has a key pair only in pk mode");
    if (db_query(s->d, &r, "SELECT generation, pk FROM c2keys ORDER BY generation DESC LIMIT 1",
                 NULL, 0) != DB_OK)
        return db_error(s, e, "cannot read the C2 key");
    rc = db_next(r);
    if (rc == 1) {
        *gen = db_int(r, 0);
        b = db_blob(r, 1, &n);
        memcpy(pk, b, n == c2_own_pk_len(s->suite) ? n : 0);
    }
    db_rows_free(r);
    return rc == 1 ? C2_OK : set_error(e, C2_INTERNAL, "the database has no C2 key");
}

c2_err store_c2_pubkey(store *s, uint8_t pk[C2_OWN_PK_MAX], int64_t *generation, c2_error *e)
{
    return current_pub(s, pk, generation, e);
}

struct rotate_arg {
    uint8_t pk[C2_OWN_PK_MAX];
    int64_t gen;
};

static c2_err send_c2_key(store *s, const client_row *c, void *arg, c2_error *e)
{
    struct rotate_arg *a = arg;
    return outbox_add(s, c, E4_CMD_SET_C2_KEY, a->pk, c2_own_pk_len(s->suite), NULL, NULL, e);
}

static c2_err rotate_tx(store *s, void *arg, c2_error *e)
{
    struct rotate_arg *a = arg;
    char data[64];
    uint8_t old[C2_OWN_PK_MAX];
    int64_t gen = 0;
    /* load the old private key now: every SetC2Key travels under it */
    if (current_pub(s, old, &gen, e) != C2_OK || c2_key_load(s, e) != C2_OK)
        return e->code;
    a->gen = gen + 1;
    if (insert_pair(s->d, s->kr, s->suite, a->gen, a->pk, e) != C2_OK ||
        for_each_member(s, 0, send_c2_key, a, e) != C2_OK)
        return e->code;
    snprintf(data, sizeof data, "{\"generation\":%lld}", (long long)a->gen);
    return event_add(s, "c2.key_rotated", data, e);
}

c2_err store_c2_rotate(store *s, uint8_t pk[C2_OWN_PK_MAX], int64_t *generation, c2_error *e)
{
    struct rotate_arg a;
    if (s->mode != C2_MODE_PK)
        return set_error(e, C2_WRONG_MODE, "C2 has a key pair only in pk mode");
    if (store_tx(s, rotate_tx, &a, e) != C2_OK)
        return e->code;
    memcpy(pk, a.pk, sizeof a.pk);
    *generation = a.gen;
    return C2_OK;
}

struct finish_arg {
    int64_t unsent, stragglers;
    int (*each)(void *, const c2_client *);
    void *ctx;
};

#define STRAGGLERS_WHERE \
    " FROM clients c WHERE c.c2_gen IS NULL OR c.c2_gen < (SELECT max(generation) FROM c2keys)"

/* The clients that never reported holding the newest C2 key, the first
 * 1,000 by name (read after the commit: a retried transaction must not
 * report them twice). */
static c2_err stragglers(store *s, struct finish_arg *a, c2_error *e)
{
    db_rows *r = NULL;
    int rc, stop = 0;
    if (db_query(s->d, &r, "SELECT " CLIENT_COLUMNS STRAGGLERS_WHERE " ORDER BY c.name LIMIT 1000",
                 NULL, 0) != DB_OK)
        return db_error(s, e, "cannot list the clients that did not confirm the C2 key");
    while ((rc = db_next(r)) == 1 && !stop && a->each) {
        client_row row;
        c2_client c;
        client_read(r, 0, &row);
        client_public(&row, &c);
        stop = a->each(a->ctx, &c);
    }
    db_rows_free(r);
    return rc < 0 ? db_error(s, e, "cannot list the clients that did not confirm the C2 key")
                  : C2_OK;
}

static c2_err finish_tx(store *s, void *arg, c2_error *e)
{
    struct finish_arg *a = arg;
    int64_t n = 0;
    int found = 0;
    char data[96];
    db_val p[1] = {DB_INT(now_s())};
    if (db_query_int(s->d, &n, &found, "SELECT count(*) FROM c2keys WHERE retired IS NULL", NULL,
                     0) != DB_OK)
        return db_error(s, e, "cannot read C2 keys");
    if (n < 2)
        return set_error(e, C2_CONFLICT, "no C2 key rotation is in progress");
    if (db_query_int(s->d, &a->unsent, &found,
                     "SELECT count(DISTINCT client_eid) FROM outbox"
                     " WHERE opcode = 7 AND state = 0",
                     NULL, 0) != DB_OK)
        return db_error(s, e, "cannot count pending commands");
    if (db_query_int(s->d, &a->stragglers, &found, "SELECT count(*)" STRAGGLERS_WHERE, NULL, 0) !=
        DB_OK)
        return db_error(s, e, "cannot count the clients that did not confirm the C2 key");
    if (db_exec(s->d,
                "UPDATE c2keys SET retired = $1 WHERE retired IS NULL AND generation <"
                " (SELECT max(generation) FROM c2keys)",
                p, 1) < 0 ||
        db_exec(s->d, "UPDATE c2keys SET sk_sealed = $1 WHERE retired IS NOT NULL",
                (db_val[]){DB_BLOB("", 0)}, 1) < 0)
        return db_error(s, e, "cannot retire the old C2 key");
    snprintf(data, sizeof data, "{\"unsent\":%lld,\"stragglers\":%lld}", (long long)a->unsent,
             (long long)a->stragglers);
    return event_add(s, "c2.key_rotation_finished", data, e);
}

c2_err store_c2_rotate_finish(store *s, int64_t *unsent,
                              int (*straggler)(void *, const c2_client *), void *ctx,
                              int64_t *nstragglers, c2_error *e)
{
    struct finish_arg a = {0, 0, straggler, ctx};
    c2_err rc;
    if (s->mode != C2_MODE_PK)
        return set_error(e, C2_WRONG_MODE, "C2 has a key pair only in pk mode");
    rc = store_tx(s, finish_tx, &a, e);
    if (rc == C2_OK)
        rc = stragglers(s, &a, e);
    *unsent = a.unsent;
    if (nstragglers)
        *nstragglers = a.stragglers;
    return rc;
}
