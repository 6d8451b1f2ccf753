/* Clients: add, import, show, list, remove, reset, rekey. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* A client ready to insert: its id, name and key material. */
typedef struct prepared {
    uint8_t id[E4_ID_LEN];
    const char *name;
    uint8_t key[E4_KEY_LEN];       /* SK */
    uint8_t pubkey[C2_PUBKEY_MAX]; /* PK: the suite's key set */
    size_t pubkey_len;
    uint8_t key_sealed[E4_KEY_LEN + SEAL_OVERHEAD];
} prepared;

/* What the suite allows: a password only where a key derives from it, a
 * pubkey of the suite's size. */
static c2_err check_suite_material(store *s, const c2_new_client *nc, c2_error *e)
{
    if (s->mode == C2_MODE_PK && s->suite != E4_SUITE_BASE && nc->password)
        return set_error(e, C2_INVALID,
                         "password is for sk, fips-sk and pk modes; this C2 is in %s",
                         c2_mode_name(s->mode, s->suite));
    if (nc->pubkey && nc->pubkey_len != c2_client_pk_len(s->suite))
        return set_error(e, C2_INVALID, "pubkey must be %zu bytes in %s mode",
                         c2_client_pk_len(s->suite), c2_mode_name(s->mode, s->suite));
    return C2_OK;
}

static c2_err check_material(store *s, const c2_new_client *nc, int allow_generate, c2_error *e)
{
    int given = !!nc->key + !!nc->password + !!nc->pubkey;
    if (e4_validate_name(nc->name ? nc->name : "") != E4_OK)
        return set_error(e, C2_INVALID, "name must be 1 to 255 bytes of UTF-8");
    if (given > 1)
        return set_error(e, C2_INVALID, "give at most one of key, password and pubkey");
    if (s->mode == C2_MODE_SK && nc->pubkey)
        return set_error(e, C2_WRONG_MODE, "pubkey is for public-key mode; this C2 is in sk mode");
    if (s->mode == C2_MODE_PK && nc->key)
        return set_error(e, C2_WRONG_MODE,
                         "key is for symmetric-key mode; this C2 is in pk mode (give pubkey)");
    if (!given && !allow_generate)
        return set_error(e, C2_INVALID, "a key, password or pubkey is required");
    if (check_suite_material(s, nc, e) != C2_OK)
        return e->code;
    if (nc->password && e4_validate_password(nc->password) != E4_OK)
        return set_error(e, C2_INVALID, "password must be at least 16 bytes of UTF-8");
    if (nc->key && sodium_is_zero(nc->key, E4_KEY_LEN))
        return set_error(e, C2_INVALID, "key must not be all zero");
    return C2_OK;
}

static c2_err pk_material(store *s, const c2_new_client *nc, prepared *p, c2_generated *gen,
                          c2_error *e)
{
    uint8_t sk[C2_CLIENT_SK_MAX];
    const char *problem;
    int rc = 0;
    p->pubkey_len = c2_client_pk_len(s->suite);
    if (nc->pubkey)
        memcpy(p->pubkey, nc->pubkey, p->pubkey_len);
    else if (nc->password)
        rc = e4_derive_ed25519(sk, p->pubkey, nc->password) == E4_OK ? 0 : -1;
    else
        rc = c2_client_keygen(s->suite, sk, p->pubkey);
    if (rc == 0 && !nc->pubkey && !nc->password && gen) {
        gen->has_key = 1;
        gen->key_len = c2_client_sk_len(s->mode, s->suite);
        memcpy(gen->key, sk, gen->key_len);
    }
    sodium_memzero(sk, sizeof sk);
    if (rc != 0)
        return set_error(e, C2_INTERNAL, "cannot make the client's keys");
    if ((problem = c2_client_pk_problem(s->suite, p->pubkey)) != NULL)
        return set_error(e, C2_INVALID, "%s", problem);
    return C2_OK;
}

static c2_err sk_material(store *s, const c2_new_client *nc, prepared *p, c2_generated *gen,
                          c2_error *e)
{
    if (nc->key)
        memcpy(p->key, nc->key, E4_KEY_LEN);
    else if (nc->password && e4_derive_key(p->key, nc->password) != E4_OK)
        return set_error(e, C2_INTERNAL, "cannot derive the key from the password");
    else if (!nc->password)
        e4_random_key(p->key);
    if (!nc->key && !nc->password && gen) {
        gen->has_key = 1;
        gen->key_len = E4_KEY_LEN;
        memcpy(gen->key, p->key, E4_KEY_LEN);
    }
    if (seal(s->kr, p->key_sealed, "clients.key", p->id, E4_ID_LEN, p->key, E4_KEY_LEN) != 0)
        return set_error(e, C2_INTERNAL, "cannot seal the client key");
    return C2_OK;
}

static c2_err prepare(store *s, const c2_new_client *nc, int allow_generate, prepared *p,
                      c2_generated *gen, c2_error *e)
{
    c2_err rc = check_material(s, nc, allow_generate, e);
    memset(p, 0, sizeof *p);
    p->name = nc->name;
    if (rc != C2_OK)
        return rc;
    if (nc->id)
        memcpy(p->id, nc->id, E4_ID_LEN);
    else if (e4_hash_id(p->id, nc->name) != E4_OK)
        return set_error(e, C2_INTERNAL, "cannot hash the client name");
    rc = s->mode == C2_MODE_SK ? sk_material(s, nc, p, gen, e) : pk_material(s, nc, p, gen, e);
    sodium_memzero(p->key, sizeof p->key);
    return rc;
}

/* Which of name and id is taken, for a precise conflict; checked before
 * inserting (PostgreSQL reads nothing more in a failed transaction). */
static c2_err check_free(store *s, const prepared *p, c2_error *e)
{
    int64_t n = 0;
    int by_name = 0, by_id = 0;
    db_val q[1] = {DB_TEXT(p->name)}, r[1] = {DB_BLOB(p->id, E4_ID_LEN)};
    char hex[2 * E4_ID_LEN + 1];
    if (db_query_int(s->d, &n, &by_name, "SELECT 1 FROM clients WHERE name = $1", q, 1) != DB_OK ||
        db_query_int(s->d, &n, &by_id, "SELECT 1 FROM clients WHERE eid = $1", r, 1) != DB_OK)
        return db_error(s, e, "cannot read clients");
    if (by_name)
        return set_error(e, C2_CONFLICT, "a client named \"%.200s\" exists", p->name);
    hex_encode(hex, p->id, E4_ID_LEN);
    if (by_id)
        return set_error(e, C2_CONFLICT, "a client with id %s exists", hex);
    return C2_OK;
}

#define INSERT_BATCH 100

/* One multi-row INSERT of n prepared clients (fewer round trips). */
static c2_err insert_clients(store *s, const prepared *ps, int n, c2_error *e)
{
    char sql[INSERT_BATCH * 40 + 128];
    db_val p[INSERT_BATCH * 5];
    size_t len = (size_t)snprintf(
        sql, sizeof sql, "INSERT INTO clients (eid, name, key_sealed, pubkey, created) VALUES ");
    int i, k = 0;
    int64_t now = now_s();
    for (i = 0; i < n; i++, k += 5) {
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s($%d,$%d,$%d,$%d,$%d)",
                                i ? "," : "", k + 1, k + 2, k + 3, k + 4, k + 5);
        p[k] = DB_BLOB(ps[i].id, E4_ID_LEN);
        p[k + 1] = DB_TEXT(ps[i].name);
        p[k + 2] =
            s->mode == C2_MODE_SK ? DB_BLOB(ps[i].key_sealed, sizeof ps[i].key_sealed) : DB_NULLV;
        p[k + 3] = s->mode == C2_MODE_PK ? DB_BLOB(ps[i].pubkey, ps[i].pubkey_len) : DB_NULLV;
        p[k + 4] = DB_INT(now);
    }
    if (db_exec(s->d, sql, p, k) == n)
        return C2_OK;
    if (db_last_status(s->d) != DB_UNIQUE)
        return db_error(s, e, "cannot add clients");
    return set_error(e, C2_CONFLICT,
                     "a client name or id in this batch exists already or is repeated");
}

struct add_arg {
    const c2_new_client *nc;
    c2_client *out;
    c2_generated *gen;
};

static c2_err add_tx(store *s, void *arg, c2_error *e)
{
    struct add_arg *a = arg;
    prepared p;
    char data[400], hex[2 * E4_ID_LEN + 1];
    client_row row;
    c2_err rc = prepare(s, a->nc, 1, &p, a->gen, e);
    if (rc == C2_OK)
        rc = check_free(s, &p, e);
    if (rc == C2_OK)
        rc = insert_clients(s, &p, 1, e);
    if (rc == C2_OK)
        rc = client_resolve(s, a->nc->name, &row, e);
    if (rc != C2_OK)
        return rc;
    if (a->out)
        client_public(&row, a->out);
    hex_encode(hex, row.id, E4_ID_LEN);
    snprintf(data, sizeof data, "{\"id\":\"%s\"}", hex);
    return event_add(s, "client.added", data, e);
}

c2_err store_client_add(store *s, const c2_new_client *nc, c2_client *out, c2_generated *gen,
                        c2_error *e)
{
    struct add_arg a = {nc, out, gen};
    c2_err rc;
    if (gen)
        memset(gen, 0, sizeof *gen);
    rc = store_tx(s, add_tx, &a, e);
    if (rc != C2_OK && gen)
        sodium_memzero(gen, sizeof *gen);
    return rc;
}

struct import_arg {
    const c2_new_client *list;
    size_t n;
};

static c2_err import_tx(store *s, void *arg, c2_error *e)
{
    struct import_arg *a = arg;
    prepared *batch = malloc(INSERT_BATCH * sizeof *batch);
    size_t i = 0, k;
    char data[64];
    c2_err rc = batch ? C2_OK : set_error(e, C2_INTERNAL, "out of memory");
    while (rc == C2_OK && i < a->n) {
        for (k = 0; rc == C2_OK && k < INSERT_BATCH && i + k < a->n; k++)
            rc = prepare(s, &a->list[i + k], 0, &batch[k], NULL, e);
        if (rc != C2_OK) {
            char msg[sizeof e->message];
            snprintf(msg, sizeof msg, "%s", e->message);
            set_error(e, e->code, "clients[%zu]: %s", i + k - 1, msg);
        } else {
            rc = insert_clients(s, batch, (int)k, e);
        }
        i += k;
    }
    if (batch)
        sodium_memzero(batch, INSERT_BATCH * sizeof *batch);
    free(batch);
    snprintf(data, sizeof data, "{\"count\":%zu}", a->n);
    return rc == C2_OK ? event_add(s, "clients.imported", data, e) : rc;
}

c2_err store_clients_import(store *s, const c2_new_client *list, size_t n, c2_error *e)
{
    struct import_arg a = {list, n};
    if (n == 0)
        return set_error(e, C2_INVALID, "nothing to import");
    return store_tx(s, import_tx, &a, e);
}
