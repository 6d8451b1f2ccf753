/* Public-key mode: public keys sent to clients, links, C2's own key. */
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

c2_err pubkey_send_locked(store *s, const client_row *target, const client_row *source, c2_error *e)
{
    uint8_t args[C2_SETPUBKEY_MAX];
    size_t n = c2_setpubkey_args(s->suite, args, source->pubkey, source->id);
    db_val p[2] = {DB_INT(target->rowid), DB_INT(source->rowid)};
    if (db_exec(s->d,
                "INSERT INTO pubkeys_sent (target_id, source_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING",
                p, 2) < 0)
        return db_error(s, e, "cannot record a public key");
    return outbox_add(s, target, E4_CMD_SET_PUBKEY, args, n, NULL, source->id, e);
}

enum pair_op { PK_SEND, PK_REMOVE, PK_RESET, PK_LINK, PK_UNLINK };

struct pair_arg {
    const char *target, *source; /* source is unused by PK_RESET */
    enum pair_op op;
};

static c2_err resolve_pair(store *s, const struct pair_arg *a, client_row *t, client_row *src,
                           c2_error *e)
{
    if (s->mode != C2_MODE_PK)
        return set_error(e, C2_WRONG_MODE, "public keys exist only in pk mode");
    if (client_resolve(s, a->target, t, e) != C2_OK)
        return e->code;
    if (a->op != PK_RESET && client_resolve(s, a->source, src, e) != C2_OK)
        return e->code;
    if (a->op != PK_RESET && t->rowid == src->rowid)
        return set_error(e, C2_INVALID, "a client does not need its own public key");
    return C2_OK;
}

static c2_err remove_locked(store *s, const client_row *t, const client_row *src, c2_error *e)
{
    db_val p[2] = {DB_INT(t->rowid), DB_INT(src->rowid)};
    int64_t n =
        db_exec(s->d, "DELETE FROM pubkeys_sent WHERE target_id = $1 AND source_id = $2", p, 2);
    if (n < 0)
        return db_error(s, e, "cannot remove a public key");
    if (n == 0)
        return set_error(e, C2_NOT_FOUND, "%.100s does not hold the public key of %.100s", t->name,
                         src->name);
    return outbox_add(s, t, E4_CMD_REMOVE_PUBKEY, src->id, E4_ID_LEN, NULL, src->id, e);
}

static c2_err link_locked(store *s, const client_row *t, const client_row *src, int link,
                          c2_error *e)
{
    db_val p[2] = {DB_INT(t->rowid), DB_INT(src->rowid)};
    int64_t n = db_exec(s->d,
                        link ? "INSERT INTO links (target_id, source_id) VALUES ($1, $2)"
                             : "DELETE FROM links WHERE target_id = $1 AND source_id = $2",
                        p, 2);
    if (n < 0 && db_last_status(s->d) == DB_UNIQUE)
        return set_error(e, C2_CONFLICT, "%.100s is already linked to %.100s", t->name, src->name);
    if (n < 0)
        return db_error(s, e, "cannot change links");
    if (n == 0)
        return set_error(e, C2_NOT_FOUND, "%.100s is not linked to %.100s", t->name, src->name);
    if (link)
        return pubkey_send_locked(s, t, src, e);
    /* unlink: the key goes too, unless it was never recorded as sent */
    return remove_locked(s, t, src, e) == C2_NOT_FOUND ? C2_OK : e->code;
}

static c2_err pair_tx(store *s, void *arg, c2_error *e)
{
    struct pair_arg *a = arg;
    client_row t, src;
    db_val p[1];
    e->code = C2_OK;
    if (resolve_pair(s, a, &t, &src, e) != C2_OK)
        return e->code;
    switch (a->op) {
    case PK_SEND: return pubkey_send_locked(s, &t, &src, e);
    case PK_REMOVE: return remove_locked(s, &t, &src, e);
    case PK_LINK: return link_locked(s, &t, &src, 1, e);
    case PK_UNLINK: return link_locked(s, &t, &src, 0, e);
    case PK_RESET: break;
    }
    p[0] = DB_INT(t.rowid);
    if (db_exec(s->d, "DELETE FROM pubkeys_sent WHERE target_id = $1", p, 1) < 0)
        return db_error(s, e, "cannot reset public keys");
    return outbox_add(s, &t, E4_CMD_RESET_PUBKEYS, NULL, 0, NULL, NULL, e);
}

static c2_err pair(store *s, const char *target, const char *source, enum pair_op op, c2_error *e)
{
    struct pair_arg a = {target, source, op};
    return store_tx(s, pair_tx, &a, e);
}

c2_err store_pubkey_send(store *s, const char *target, const char *source, c2_error *e)
{
    return pair(s, target, source, PK_SEND, e);
}

c2_err store_pubkey_remove(store *s, const char *target, const char *source, c2_error *e)
{
    return pair(s, target, source, PK_REMOVE, e);
}

c2_err store_pubkey_reset(store *s, const char *target, c2_error *e)
{
    return pair(s, target, NULL, PK_RESET, e);
}

c2_err store_link(store *s, const char *target, const char *source, c2_error *e)
{
    return pair(s, target, source, PK_LINK, e);
}

c2_err store_unlink(store *s, const char *target, const char *source, c2_error *e)
{
    return pair(s, target, source, PK_UNLINK, e);
}

c2_err store_pubkeys_of(store *s, const char *target, const c2_page *pg,
                        int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                        c2_error *e)
{
    return client_relations(s, "pubkeys_sent", target, pg, each, ctx, total, e);
}

c2_err store_links_of(store *s, const char *target, const c2_page *pg,
                      int (*each)(void *, const c2_client *), void *ctx, int64_t *total,
                      c2_error *e)
{
    return client_relations(s, "links", target, pg, each, ctx, total, e);
}
