/* Memberships: join (with the topic key) and leave (with a rotation). */
#include "store_auto.h"
#include "store_internal.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

struct members_arg {
    const char *topic;
    const char *const *refs;
    size_t n;
    int flag;
    c2_topic *out;
};

static c2_err share_with(store *s, const client_row *member, void *arg, c2_error *e)
{
    const client_row *newcomer = arg;
    if (member->rowid == newcomer->rowid)
        return C2_OK;
    if (pubkey_send_locked(s, member, newcomer, e) != C2_OK)
        return e->code;
    return pubkey_send_locked(s, newcomer, member, e);
}

static c2_err join_one(store *s, const topic_row *t, const uint8_t args[48], const char *ref,
                       int share, c2_error *e)
{
    client_row c;
    db_val p[3];
    if (client_resolve(s, ref, &c, e) != C2_OK)
        return e->code;
    p[0] = DB_INT(t->rowid);
    p[1] = DB_INT(c.rowid);
    p[2] = DB_INT(now_s());
    if (db_exec(s->d, "INSERT INTO members (topic_id, client_id, joined) VALUES ($1, $2, $3)", p,
                3) != 1)
        return db_last_status(s->d) == DB_UNIQUE
                   ? set_error(e, C2_CONFLICT, "%.100s is already a member of %.100s", c.name,
                               t->t.name)
                   : db_error(s, e, "cannot join");
    if (outbox_add(s, &c, E4_CMD_SET_TOPIC_KEY, args, 48, t->t.name, NULL, e) != C2_OK)
        return e->code;
    return share ? for_each_member(s, t->rowid, share_with, &c, e) : C2_OK;
}

static c2_err members_event(store *s, const char *type, const topic_row *t, size_t n, c2_error *e)
{
    char data[96];
    snprintf(data, sizeof data, "{\"topic_hash\":\"%02x%02x%02x%02x\",\"clients\":%zu}",
             t->t.hash[0], t->t.hash[1], t->t.hash[2], t->t.hash[3], n);
    return event_add(s, type, data, e);
}

static c2_err join_tx(store *s, void *arg, c2_error *e)
{
    struct members_arg *a = arg;
    topic_row t;
    uint8_t args[E4_KEY_LEN + E4_TOPIC_HASH_LEN];
    size_t i;
    c2_err rc = topic_resolve(s, a->topic, &t, e);
    if (rc == C2_OK && a->flag && s->mode != C2_MODE_PK)
        rc = set_error(e, C2_WRONG_MODE, "share_pubkeys is for pk mode");
    if (rc == C2_OK)
        rc = topic_key(s, &t, args, e);
    if (rc == C2_OK)
        memcpy(args + E4_KEY_LEN, t.t.hash, E4_TOPIC_HASH_LEN);
    for (i = 0; rc == C2_OK && i < a->n; i++)
        rc = join_one(s, &t, args, a->refs[i], a->flag, e);
    sodium_memzero(args, sizeof args);
    if (rc == C2_OK)
        rc = members_event(s, "topic.joined", &t, a->n, e);
    /* a policy may ask that newcomers not read what came before */
    return rc == C2_OK && topic_policy_flag(s, t.rowid, 1) ? topic_rotate_locked(s, &t, e) : rc;
}

static c2_err leave_one(store *s, const topic_row *t, const char *ref, c2_error *e)
{
    client_row c;
    db_val p[2];
    if (client_resolve(s, ref, &c, e) != C2_OK)
        return e->code;
    p[0] = DB_INT(t->rowid);
    p[1] = DB_INT(c.rowid);
    if (db_exec(s->d, "DELETE FROM members WHERE topic_id = $1 AND client_id = $2", p, 2) != 1)
        return db_last_status(s->d) == DB_OK
                   ? set_error(e, C2_NOT_FOUND, "%.100s is not a member of %.100s", c.name,
                               t->t.name)
                   : db_error(s, e, "cannot leave");
    return outbox_add(s, &c, E4_CMD_REMOVE_TOPIC, t->t.hash, E4_TOPIC_HASH_LEN, t->t.name, NULL, e);
}

static c2_err leave_tx(store *s, void *arg, c2_error *e)
{
    struct members_arg *a = arg;
    topic_row t;
    size_t i;
    c2_err rc = topic_resolve(s, a->topic, &t, e);
    for (i = 0; rc == C2_OK && i < a->n; i++)
        rc = leave_one(s, &t, a->refs[i], e);
    if (rc == C2_OK)
        rc = members_event(s, "topic.left", &t, a->n, e);
    /* the departed must not read what follows: a new key for those who
     * stay, unless asked otherwise (flag 0) or, when not asked (flag < 0),
     * the topic's policy says no */
    if (rc != C2_OK || a->flag == 0 || (a->flag < 0 && !topic_policy_flag(s, t.rowid, 0)))
        return rc;
    return topic_rotate_locked(s, &t, e);
}

static c2_err members_change(store *s, c2_err (*fn)(store *, void *, c2_error *),
                             struct members_arg *a, c2_error *e)
{
    if (a->n == 0)
        return set_error(e, C2_INVALID, "name at least one client");
    if (store_tx(s, fn, a, e) != C2_OK)
        return e->code;
    return C2_OK;
}

c2_err store_topic_join(store *s, const char *name, const char *const *refs, size_t n,
                        int share_pubkeys, c2_error *e)
{
    struct members_arg a = {name, refs, n, share_pubkeys, NULL};
    return members_change(s, join_tx, &a, e);
}

c2_err store_topic_leave(store *s, const char *name, const char *const *refs, size_t n, int rotate,
                         c2_error *e)
{
    struct members_arg a = {name, refs, n, rotate, NULL};
    return members_change(s, leave_tx, &a, e);
}
