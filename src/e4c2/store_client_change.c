/* Clients: remove, reset and rekey, with the commands they cause. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct change_arg {
    const char *ref;
};

static c2_err client_event(store *s, const char *type, const client_row *c, c2_error *e)
{
    char data[64], hex[2 * E4_ID_LEN + 1];
    hex_encode(hex, c->id, E4_ID_LEN);
    snprintf(data, sizeof data, "{\"id\":\"%s\"}", hex);
    return event_add(s, type, data, e);
}

/* Drop every membership of c; with rotate, each of its topics gets a new key
 * for the members that stay. A page at a time: no open result set while
 * rotating. */
static c2_err drop_memberships(store *s, const client_row *c, int rotate, c2_error *e)
{
    db_val p[1] = {DB_INT(c->rowid)};
    db_rows *r = NULL;
    topic_row t;
    int rc;
    for (;;) {
        if (db_query(s->d, &r,
                     "SELECT " TOPIC_COLUMNS " FROM members m JOIN topics t ON t.id = m.topic_id"
                     " WHERE m.client_id = $1 ORDER BY t.id LIMIT 1",
                     p, 1) != DB_OK)
            return db_error(s, e, "cannot read memberships");
        rc = db_next(r);
        if (rc == 1)
            topic_read(r, 0, &t);
        db_rows_free(r);
        if (rc <= 0)
            return rc < 0 ? db_error(s, e, "cannot read memberships") : C2_OK;
        {
            db_val q[2] = {DB_INT(t.rowid), DB_INT(c->rowid)};
            if (db_exec(s->d, "DELETE FROM members WHERE topic_id = $1 AND client_id = $2", q, 2) !=
                1)
                return db_error(s, e, "cannot drop a membership");
        }
        if (rotate && topic_rotate_locked(s, &t, e) != C2_OK)
            return e->code;
    }
}

#define HOLDERS_OF "pubkeys_sent x JOIN clients c ON c.id = x.target_id WHERE x.source_id = $1"

static c2_err forget_pubkey(store *s, const client_row *holder, void *arg, c2_error *e)
{
    const client_row *c = arg;
    db_val q[2] = {DB_INT(holder->rowid), DB_INT(c->rowid)};
    if (db_exec(s->d, "DELETE FROM pubkeys_sent WHERE target_id = $1 AND source_id = $2", q, 2) !=
        1)
        return db_error(s, e, "cannot drop a public key");
    return outbox_add(s, holder, E4_CMD_REMOVE_PUBKEY, c->id, E4_ID_LEN, NULL, c->id, e);
}

/* PK: every client that holds c's public key is told to forget it. */
static c2_err unshare_pubkey(store *s, const client_row *c, c2_error *e)
{
    return for_each_client(s, HOLDERS_OF, "x.target_id", c->rowid, forget_pubkey, (void *)c, e);
}

static c2_err remove_tx(store *s, void *arg, c2_error *e)
{
    struct change_arg *a = arg;
    client_row c;
    db_val p[1];
    if (client_resolve(s, a->ref, &c, e) != C2_OK ||
        outbox_add(s, &c, E4_CMD_RESET_TOPICS, NULL, 0, NULL, NULL, e) != C2_OK ||
        (s->mode == C2_MODE_PK &&
         outbox_add(s, &c, E4_CMD_RESET_PUBKEYS, NULL, 0, NULL, NULL, e) != C2_OK) ||
        drop_memberships(s, &c, 1, e) != C2_OK ||
        (s->mode == C2_MODE_PK && unshare_pubkey(s, &c, e) != C2_OK))
        return e->code;
    p[0] = DB_INT(c.rowid);
    if (outbox_flush(s, e) != C2_OK) /* the queued rows refer to the client's row */
        return e->code;
    if (db_exec(s->d, "DELETE FROM clients WHERE id = $1", p, 1) != 1)
        return db_error(s, e, "cannot remove the client");
    return client_event(s, "client.removed", &c, e);
}

c2_err store_client_remove(store *s, const char *ref, c2_error *e)
{
    struct change_arg a = {ref};
    return store_tx(s, remove_tx, &a, e);
}

static c2_err reset_tx(store *s, void *arg, c2_error *e)
{
    struct change_arg *a = arg;
    client_row c;
    if (client_resolve(s, a->ref, &c, e) != C2_OK ||
        outbox_add(s, &c, E4_CMD_RESET_TOPICS, NULL, 0, NULL, NULL, e) != C2_OK ||
        drop_memberships(s, &c, 0, e) != C2_OK)
        return e->code;
    return client_event(s, "client.reset", &c, e);
}

c2_err store_client_reset(store *s, const char *ref, c2_error *e)
{
    struct change_arg a = {ref};
    return store_tx(s, reset_tx, &a, e);
}

static c2_err rekey_sk(store *s, client_row *c, c2_error *e)
{
    uint8_t key[E4_KEY_LEN], sealed[E4_KEY_LEN + SEAL_OVERHEAD];
    db_val p[2] = {DB_BLOB(sealed, sizeof sealed), DB_INT(c->rowid)};
    c2_err rc = C2_OK;
    e4_random_key(key);
    /* queued first: it travels under the old key */
    if (outbox_add(s, c, E4_CMD_SET_ID_KEY, key, sizeof key, NULL, NULL, e) != C2_OK)
        rc = e->code;
    else if (seal(s->kr, sealed, "clients.key", c->id, E4_ID_LEN, key, sizeof key) != 0)
        rc = set_error(e, C2_INTERNAL, "cannot seal the client key");
    else if (db_exec(s->d, "UPDATE clients SET key_sealed = $1 WHERE id = $2", p, 2) != 1)
        rc = db_error(s, e, "cannot store the new key");
    sodium_memzero(key, sizeof key);
    return rc;
}

static c2_err send_pubkey_to(store *s, const client_row *holder, void *arg, c2_error *e)
{
    const client_row *c = arg;
    uint8_t args[C2_SETPUBKEY_MAX];
    size_t n = c2_setpubkey_args(s->suite, args, c->pubkey, c->id);
    return outbox_add(s, holder, E4_CMD_SET_PUBKEY, args, n, NULL, c->id, e);
}

/* PK: c's new public key to every client that held the old one. */
static c2_err send_new_pubkey(store *s, const client_row *c, c2_error *e)
{
    return for_each_client(s, HOLDERS_OF, "x.target_id", c->rowid, send_pubkey_to, (void *)c, e);
}

/* PK modes: a fresh key set; SetIDKey under the key protecting commands
 * now (the old public key's, or the current K_epoch); in pq-pk the next
 * command goes under a new establishment to the new X-Wing key. */
static c2_err rekey_pk(store *s, client_row *c, c2_error *e)
{
    uint8_t sk[C2_CLIENT_SK_MAX], pk[C2_PUBKEY_MAX];
    size_t pk_len = c2_client_pk_len(s->suite);
    db_val p[2] = {DB_BLOB(pk, pk_len), DB_INT(c->rowid)};
    c2_err rc = C2_OK;
    if (c2_client_keygen(s->suite, sk, pk) != 0)
        rc = set_error(e, C2_INTERNAL, "cannot make a key pair");
    else if (outbox_add(s, c, E4_CMD_SET_ID_KEY, sk, c2_client_sk_len(s->mode, s->suite), NULL,
                        NULL, e) != C2_OK)
        rc = e->code;
    else if (db_exec(s->d, "UPDATE clients SET pubkey = $1 WHERE id = $2", p, 2) != 1)
        rc = db_error(s, e, "cannot store the new public key");
    else if (s->suite == E4_SUITE_PQ_PK)
        rc = pq_epoch_forget(s, c, e);
    sodium_memzero(sk, sizeof sk);
    if (rc != C2_OK)
        return rc;
    memcpy(c->pubkey, pk, pk_len);
    c->pubkey_len = pk_len;
    return send_new_pubkey(s, c, e);
}

c2_err client_rekey_locked(store *s, const char *ref, c2_error *e)
{
    client_row c;
    if (client_resolve(s, ref, &c, e) != C2_OK)
        return e->code;
    if ((s->mode == C2_MODE_SK ? rekey_sk(s, &c, e) : rekey_pk(s, &c, e)) != C2_OK)
        return e->code;
    return client_event(s, "client.rekeyed", &c, e);
}

static c2_err rekey_tx(store *s, void *arg, c2_error *e)
{
    struct change_arg *a = arg;
    return client_rekey_locked(s, a->ref, e);
}

c2_err store_client_rekey(store *s, const char *ref, c2_error *e)
{
    struct change_arg a = {ref};
    return store_tx(s, rekey_tx, &a, e);
}
