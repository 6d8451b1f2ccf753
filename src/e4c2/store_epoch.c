/*
 * pq-pk key establishment (e4-suites.md): commands to a client travel under
 * K_epoch, which C2 sets up with a signed X-Wing encapsulation to the
 * client's key. The encapsulation is made when the first command is queued
 * (K_epoch must be known to seal the commands after it); the signature and
 * its timestamp when the publisher sends it (publisher.c), so a queued
 * establishment is never too old on arrival. An epoch is taken by
 * incrementing clients.epoch in the transaction that queues it: the row
 * lock makes concurrent processes take different ones, and a rolled-back
 * transaction gives its epoch back with everything else it did.
 */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define ROW_ID_LEN (E4_ID_LEN + 8)

/* The row identity bound into a K_epoch's sealing: id || epoch. */
static void epoch_row_id(uint8_t out[ROW_ID_LEN], const uint8_t id[E4_ID_LEN], int64_t epoch)
{
    memcpy(out, id, E4_ID_LEN);
    memcpy(out + E4_ID_LEN, &epoch, sizeof epoch);
}

typedef struct epoch_row {
    int64_t epoch;
    uint8_t sealed[E4_KEY_LEN + SEAL_OVERHEAD];
    size_t sealed_len; /* 0: no K_epoch (never established, or rekeyed) */
    uint8_t pubkey[C2_PUBKEY_MAX];
    size_t pubkey_len;
} epoch_row;

/* Read now, not from the client_row: an establishment or a rekey earlier
 * in this transaction changed them. */
static c2_err read_epoch(store *s, const client_row *c, epoch_row *out, c2_error *e)
{
    db_val p[1] = {DB_INT(c->rowid)};
    db_rows *r = NULL;
    const uint8_t *b;
    size_t n = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if (db_query(s->d, &r, "SELECT epoch, epoch_key_sealed, pubkey FROM clients WHERE id = $1", p,
                 1) != DB_OK)
        return db_error(s, e, "cannot read the client's epoch");
    rc = db_next(r);
    if (rc == 1) {
        out->epoch = db_int(r, 0);
        b = db_is_null(r, 1) ? NULL : db_blob(r, 1, &n);
        if (b && n == sizeof out->sealed)
            memcpy(out->sealed, b, out->sealed_len = n);
        b = db_blob(r, 2, &n);
        if (b && n <= sizeof out->pubkey)
            memcpy(out->pubkey, b, out->pubkey_len = n);
    }
    db_rows_free(r);
    if (rc < 0)
        return db_error(s, e, "cannot read the client's epoch");
    return rc == 1 ? C2_OK : set_error(e, C2_NOT_FOUND, "client %.200s is gone", c->name);
}

static c2_err epoch_event(store *s, const client_row *c, int64_t epoch, c2_error *e)
{
    char data[96], hex[2 * E4_ID_LEN + 1];
    hex_encode(hex, c->id, E4_ID_LEN);
    snprintf(data, sizeof data, "{\"id\":\"%s\",\"epoch\":%lld}", hex, (long long)epoch);
    return event_add(s, "client.key_established", data, e);
}

/* A new epoch, its encapsulation queued, its K_epoch sealed in the row. */
static c2_err establish(store *s, const client_row *c, const epoch_row *row,
                        uint8_t key[E4_KEY_LEN], int64_t *epoch, c2_error *e)
{
    uint8_t ct[E4_XWING_CT_LEN], sealed[E4_KEY_LEN + SEAL_OVERHEAD], rid[ROW_ID_LEN];
    const uint8_t *xwing_pk = row->pubkey + E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN;
    db_val p[1] = {DB_INT(c->rowid)}, q[2] = {DB_BLOB(sealed, sizeof sealed), DB_INT(c->rowid)};
    int64_t next = 0;
    int found = 0;
    if (row->pubkey_len != c2_client_pk_len(E4_SUITE_PQ_PK))
        return set_error(e, C2_INTERNAL, "client %.200s has no pq-pk public keys", c->name);
    /* the generation the client holds: the newest, or during a rotation
     * (store_c2key.c loads the old one first) the old one */
    if (!s->c2_loaded && c2_key_load(s, e) != C2_OK)
        return e->code;
    if (db_query_int(s->d, &next, &found,
                     "UPDATE clients SET epoch = epoch + 1 WHERE id = $1 RETURNING epoch", p,
                     1) != DB_OK ||
        !found)
        return db_error(s, e, "cannot take a new epoch");
    if (next > (int64_t)UINT32_MAX)
        return set_error(e, C2_CONFLICT, "client %.200s has used every epoch: rekey it", c->name);
    if (e4_pq_pk_key_encaps(ct, key, xwing_pk, (uint32_t)next, NULL) != E4_OK)
        return set_error(e, C2_INTERNAL, "cannot encapsulate to the X-Wing key of %.200s", c->name);
    epoch_row_id(rid, c->id, next);
    if (seal(s->kr, sealed, "clients.epoch_key", rid, sizeof rid, key, E4_KEY_LEN) != 0)
        return set_error(e, C2_INTERNAL, "cannot seal the command key");
    if (db_exec(s->d, "UPDATE clients SET epoch_key_sealed = $1 WHERE id = $2", q, 2) != 1)
        return db_error(s, e, "cannot store the command key");
    *epoch = next;
    if (outbox_add_epoch(s, c, key, next, C2_OP_KEY_ESTABLISH, ct, sizeof ct, NULL, NULL, e) !=
        C2_OK)
        return e->code;
    return epoch_event(s, c, next, e);
}

static c2_err open_epoch_key(store *s, const client_row *c, const epoch_row *row,
                             uint8_t key[E4_KEY_LEN], int64_t *epoch, c2_error *e)
{
    uint8_t rid[ROW_ID_LEN];
    epoch_row_id(rid, c->id, row->epoch);
    c2_err rc = unseal_client_key(s, c, key, "clients.epoch_key", rid, sizeof rid, row->sealed,
                                  row->sealed_len, "command key", e);
    if (rc == C2_OK)
        *epoch = row->epoch;
    return rc;
}

/* The client's K_epoch; with make, established now when it has none
 * (otherwise C2_NOT_FOUND). */
static c2_err epoch_key(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], int64_t *epoch,
                        int make, c2_error *e)
{
    epoch_row row;
    c2_err rc = read_epoch(s, c, &row, e);
    if (rc != C2_OK || row.sealed_len)
        return rc != C2_OK ? rc : open_epoch_key(s, c, &row, key, epoch, e);
    if (!make)
        return C2_NOT_FOUND;
    rc = establish(s, c, &row, key, epoch, e);
    if (rc != C2_OK)
        sodium_memzero(key, E4_KEY_LEN);
    return rc;
}

c2_err pq_epoch_key(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], int64_t *epoch,
                    c2_error *e)
{
    return epoch_key(s, c, key, epoch, 1, e);
}

c2_err pq_epoch_current(store *s, const client_row *c, uint8_t key[E4_KEY_LEN], int64_t *epoch,
                        c2_error *e)
{
    return epoch_key(s, c, key, epoch, 0, e);
}

c2_err pq_epoch_forget(store *s, const client_row *c, c2_error *e)
{
    db_val p[1] = {DB_INT(c->rowid)};
    if (db_exec(s->d, "UPDATE clients SET epoch_key_sealed = NULL WHERE id = $1", p, 1) != 1)
        return db_error(s, e, "cannot forget the command key");
    return C2_OK;
}
