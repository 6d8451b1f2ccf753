/*
 * C2 commands: building them (C2 side) and applying them (client side).
 *
 * Applying is two-phase so that nothing is ever half done: first every check
 * that can fail (opcode, exact argument length, key validity, capacity),
 * then the new state is written to storage, and only when that succeeded is
 * memory changed. A failed write leaves both exactly as they were.
 */
#include "internal.h"

/* What a planner looks at and fills: phase one of applying a command
 * (below), for one opcode. */
typedef struct plan_args {
    const e4_state *s;
    const uint8_t *a; /* the arguments, of the length the spec says */
    size_t alen;
    e4i_edit *e;          /* the edit that describes the command */
    int *noop;            /* set when the command changes nothing */
    uint8_t *new_cmd_key; /* E4_KEY_LEN: the command key after SetIDKey/SetC2Key */
} plan_args;

/* The command key a changed state would have: computed before anything
 * changes, so an unusable key is refused first. */
static e4_err probe_cmd_key(const e4_state *s, const uint8_t *id_key, const uint8_t *c2_key,
                            uint8_t new_cmd_key[E4_KEY_LEN])
{
    return e4i_cmd_key_for(s, id_key ? id_key : s->key, c2_key ? c2_key : e4i_c2_key(s),
                           new_cmd_key);
}

static e4_err plan_remove_topic(const plan_args *p)
{
    p->e->op = EDIT_TOPIC_REMOVE;
    p->e->hash = p->a;
    *p->noop = e4i_topic_find(p->s, p->a) == NULL;
    return E4_OK;
}

static e4_err plan_reset_topics(const plan_args *p)
{
    p->e->op = EDIT_TOPICS_RESET;
    *p->noop = p->s->ntopics == 0;
    return E4_OK;
}

/* Every part of a suite's key set must be non-zero (fips-pk: two scalars;
 * pq-pk: the Ed25519 key and two seeds, or C2's two public keys). */
static int has_zero_part(const e4_state *s, const uint8_t *a, size_t len, int c2)
{
    size_t first = len;
    if (s->suite == E4_SUITE_FIPS_PK && !c2)
        first = E4_P256_SK_LEN;
    else if (s->suite == E4_SUITE_PQ_PK)
        first = c2 ? E4_ED25519_PK_LEN : E4_ED25519_SK_LEN;
    if (e4i_is_zero(a, first))
        return 1;
    if (s->suite == E4_SUITE_PQ_PK && !c2)
        return e4i_is_zero(a + first, E4_MLDSA65_SEED_LEN) ||
               e4i_is_zero(a + first + E4_MLDSA65_SEED_LEN, E4_XWING_SEED_LEN);
    return first < len && e4i_is_zero(a + first, len - first);
}

static e4_err plan_set_id_key(const plan_args *p)
{
    if (has_zero_part(p->s, p->a, p->alen, 0))
        return E4_ERR_ZERO_KEY;
    uint8_t pub[E4_P256_PK_LEN];
    if (p->s->suite == E4_SUITE_FIPS_PK && e4c_p256_public(pub, p->a) != 0)
        return E4_ERR_INVALID_KEY; /* the signing scalar outside [1, n-1] */
    p->e->op = EDIT_ID_KEY;
    p->e->key = p->a;
    /* the command key follows the identity key (pq-pk: C2's establishment) */
    return probe_cmd_key(p->s, p->a, NULL, p->new_cmd_key);
}

static e4_err plan_set_topic_key(const plan_args *p)
{
    if (e4i_is_zero(p->a, E4_KEY_LEN))
        return E4_ERR_ZERO_KEY;
    const topic_slot *t = e4i_topic_find(p->s, p->a + E4_KEY_LEN);
    if (!t && p->s->ntopics >= p->s->limits.topics)
        return E4_ERR_TOPICS_FULL;
    p->e->op = EDIT_TOPIC_SET;
    p->e->key = p->a;
    p->e->hash = p->a + E4_KEY_LEN;
    *p->noop = t && e4c_memeq(t->key, p->a, E4_KEY_LEN); /* the same key again */
    return E4_OK;
}

static e4_err plan_remove_pubkey(const plan_args *p)
{
    if (!e4i_pubkey_find(p->s, p->a))
        return E4_ERR_PUBKEY_NOT_FOUND;
    p->e->op = EDIT_PUBKEY_REMOVE;
    p->e->hash = p->a;
    return E4_OK;
}

static e4_err plan_reset_pubkeys(const plan_args *p)
{
    p->e->op = EDIT_PUBKEYS_RESET;
    *p->noop = p->s->npubkeys == 0;
    return E4_OK;
}

static e4_err plan_set_pubkey(const plan_args *p)
{
    const size_t pk_len = p->alen - E4_ID_LEN;
    if (e4i_is_zero(p->a, E4_ED25519_PK_LEN) || e4i_is_zero(p->a, pk_len))
        return E4_ERR_ZERO_KEY;
    if (p->s->suite == E4_SUITE_FIPS_PK && e4c_p256_check_public(p->a) != 0)
        return E4_ERR_INVALID_KEY; /* never stored: a signer's key must be usable */
    const pubkey_slot *k = e4i_pubkey_find(p->s, p->a + pk_len);
    if (!k && p->s->npubkeys >= p->s->limits.pubkeys)
        return E4_ERR_PUBKEYS_FULL;
    p->e->op = EDIT_PUBKEY_SET;
    p->e->key = p->a;
    p->e->hash = p->a + pk_len;
    *p->noop = k && memcmp(k->pk, p->a, pk_len) == 0;
    return E4_OK;
}

static e4_err plan_set_c2_key(const plan_args *p)
{
    if (has_zero_part(p->s, p->a, p->alen, 1))
        return E4_ERR_ZERO_KEY;
    if (p->s->suite == E4_SUITE_FIPS_PK && e4c_p256_check_public(p->a) != 0)
        return E4_ERR_INVALID_KEY;
    p->e->op = EDIT_C2_KEY;
    p->e->key = p->a;
    return probe_cmd_key(p->s, NULL, p->a, p->new_cmd_key);
}

/* THE command table: exact argument lengths per mode (NA: not in that
 * mode) and how each is planned. */
typedef struct command_spec {
    size_t args_sk, args_pk;         /* base SK (and fips-sk), base PK */
    size_t args_fips_pk, args_pq_pk; /* the suites' argument changes */
    e4_err (*plan)(const plan_args *p);
} command_spec;

#define NA SIZE_MAX
static const command_spec specs[] = {
    [E4_CMD_REMOVE_TOPIC] = {16, 16, 16, 16, plan_remove_topic},
    [E4_CMD_RESET_TOPICS] = {0, 0, 0, 0, plan_reset_topics},
    [E4_CMD_SET_ID_KEY] = {32, 64, 64, 128, plan_set_id_key},
    [E4_CMD_SET_TOPIC_KEY] = {48, 48, 48, 48, plan_set_topic_key},
    [E4_CMD_REMOVE_PUBKEY] = {NA, 16, 16, 16, plan_remove_pubkey},
    [E4_CMD_RESET_PUBKEYS] = {NA, 0, 0, 0, plan_reset_pubkeys},
    [E4_CMD_SET_PUBKEY] = {NA, 48, 33 + 16, 32 + 1952 + 16, plan_set_pubkey},
    [E4_CMD_SET_C2_KEY] = {NA, 32, 33, 32 + 1952, plan_set_c2_key},
};

/* Whether args_len is the command's argument length in the suite (base:
 * either the SK or the PK one, as the reference's builders). */
static int args_fit(const command_spec *sp, e4_suite suite, size_t args_len)
{
    switch (suite) {
    case E4_SUITE_BASE: return args_len == sp->args_sk || args_len == sp->args_pk;
    case E4_SUITE_FIPS_SK: return args_len == sp->args_sk;
    case E4_SUITE_FIPS_PK: return args_len == sp->args_fips_pk;
    case E4_SUITE_PQ_PK: return args_len == sp->args_pq_pk;
    default: return 0;
    }
}

static e4_err build(uint8_t *out, size_t out_cap, size_t *out_len, e4_suite suite, e4_command cmd,
                    const uint8_t *args, size_t args_len)
{
    if (!out || !out_len || (!args && args_len))
        return E4_ERR_INVALID_ARGUMENT;
    if ((unsigned)cmd >= sizeof specs / sizeof specs[0])
        return E4_ERR_INVALID_COMMAND;
    if (!args_fit(&specs[cmd], suite, args_len))
        return E4_ERR_INVALID_ARG_LENGTH;
    if (out_cap < 1 + args_len)
        return E4_ERR_BUFFER_TOO_SMALL;
    /* Keys must never be all zero (the spec's rule; of the reference's builders
     * only SetC2Key's enforces it). */
    switch (cmd) {
    case E4_CMD_SET_ID_KEY:
    case E4_CMD_SET_C2_KEY:
        if (e4i_is_zero(args, args_len))
            return E4_ERR_ZERO_KEY;
        break;
    case E4_CMD_SET_TOPIC_KEY:
    case E4_CMD_SET_PUBKEY:
        if (e4i_is_zero(args, 32))
            return E4_ERR_ZERO_KEY;
        break;
    default: break;
    }
    out[0] = (uint8_t)cmd;
    if (args_len)
        memcpy(out + 1, args, args_len);
    *out_len = 1 + args_len;
    return E4_OK;
}

e4_err e4_command_build(uint8_t out[E4_COMMAND_MAX], size_t *out_len, e4_command cmd,
                        const uint8_t *args, size_t args_len)
{
    return build(out, E4_COMMAND_MAX, out_len, E4_SUITE_BASE, cmd, args, args_len);
}

size_t e4_command_args_len(e4_suite suite, e4_command cmd)
{
    if ((unsigned)cmd >= sizeof specs / sizeof specs[0])
        return SIZE_MAX;
    const command_spec *sp = &specs[cmd];
    switch (suite) {
    case E4_SUITE_BASE: return sp->args_pk;
    case E4_SUITE_FIPS_SK: return sp->args_sk;
    case E4_SUITE_FIPS_PK: return sp->args_fips_pk;
    case E4_SUITE_PQ_PK: return sp->args_pq_pk;
    default: return SIZE_MAX;
    }
}

e4_err e4_command_build_suite(uint8_t *out, size_t out_cap, size_t *out_len, e4_suite suite,
                              e4_command cmd, const uint8_t *args, size_t args_len)
{
    return build(out, out_cap, out_len, suite, cmd, args, args_len);
}

e4_err e4_c2_shared_key(uint8_t key[E4_KEY_LEN], const uint8_t c2_x25519_sk[E4_X25519_LEN],
                        const uint8_t client_ed25519_pk[E4_ED25519_PK_LEN])
{
    if (!key || !c2_x25519_sk || !client_ed25519_pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    uint8_t x_pk[32], shared[32];
    e4_err err = E4_OK;
    if (e4c_init() != 0)
        err = E4_ERR_CRYPTO;
    else if (e4c_ed25519_pk_to_x25519(x_pk, client_ed25519_pk) != 0 ||
             e4c_x25519(shared, c2_x25519_sk, x_pk) != 0)
        err = E4_ERR_INVALID_KEY;
    else
        e4c_sha3_256(key, shared, sizeof shared);
    e4c_wipe(shared, sizeof shared);
    return err;
}

/* ---- applying ---------------------------------------------------------- */

/* Phase one: everything that can refuse the command, and the edit that
 * describes it. *noop is set when the command changes nothing. */
static e4_err plan(const e4_state *s, const uint8_t *cmd, size_t len, uint64_t now, e4i_edit *e,
                   int *noop, uint8_t new_cmd_key[E4_KEY_LEN])
{
    if (len == 0 || cmd[0] >= sizeof specs / sizeof specs[0])
        return E4_ERR_INVALID_COMMAND;
    const command_spec *sp = &specs[cmd[0]];
    size_t want = s->mode == E4_MODE_PK ? sp->args_pk : sp->args_sk;
    if (s->suite == E4_SUITE_FIPS_PK || s->suite == E4_SUITE_PQ_PK)
        want = e4_command_args_len((e4_suite)s->suite, (e4_command)cmd[0]);
    if (want == NA)
        return E4_ERR_UNSUPPORTED_COMMAND;
    if (len - 1 != want)
        return E4_ERR_INVALID_ARG_LENGTH;
    *noop = 0;
    e->now = now;
    const plan_args p = {s, cmd + 1, len - 1, e, noop, new_cmd_key};
    return sp->plan(&p);
}

/* The own key: in the header, and in pq-pk the seeds beyond it. */
static void apply_id_key(e4_state *s, const uint8_t *key, const uint8_t new_cmd_key[E4_KEY_LEN])
{
    const size_t len = e4i_id_key_len(s), head = len < sizeof s->key ? len : sizeof s->key;
    e4c_siv_forget(s->cmd_key);
    e4c_wipe(s->key, sizeof s->key);
    memcpy(s->key, key, head);
    if (s->suite == E4_SUITE_PQ_PK)
        memcpy(e4i_pq(s)->mldsa_seed, key + head, len - head);
    memcpy(s->cmd_key, new_cmd_key, E4_KEY_LEN);
}

/* Phase three: the change in memory. Cannot fail. */
static void apply(e4_state *s, const e4i_edit *e, const uint8_t new_cmd_key[E4_KEY_LEN])
{
    switch (e->op) {
    case EDIT_TOPIC_REMOVE: e4i_topic_remove(s, e4i_topic_find(s, e->hash)); break;
    case EDIT_TOPICS_RESET: e4i_topics_clear(s); break;
    case EDIT_TOPIC_SET: {
        topic_slot *t = e4i_topic_find(s, e->hash);
        if (t) { /* rotation: keep the current key for the transition */
            e4c_siv_forget(t->old_key);
            memcpy(t->old_key, t->key, E4_KEY_LEN);
            t->old_ts = e->now;
        } else {
            t = e4i_topic_add(s, e->hash);
        }
        memcpy(t->key, e->key, E4_KEY_LEN);
        break;
    }
    case EDIT_PUBKEY_REMOVE: e4i_pubkey_remove(s, e4i_pubkey_find(s, e->hash)); break;
    case EDIT_PUBKEYS_RESET: e4i_pubkeys_clear(s); break;
    case EDIT_PUBKEY_SET: memcpy(e4i_pubkey_add(s, e->hash)->pk, e->key, e4i_pubkey_len(s)); break;
    case EDIT_ID_KEY: apply_id_key(s, e->key, new_cmd_key); break;
    case EDIT_C2_KEY:
        e4c_siv_forget(s->cmd_key);
        memcpy(e4i_c2_key(s), e->key, e4i_c2_key_len(s));
        memcpy(s->cmd_key, new_cmd_key, E4_KEY_LEN);
        break;
    case EDIT_EPOCH: /* not a command: see message.c */
    case EDIT_NONE: break;
    }
}

e4_err e4i_command_apply(e4_state *s, const uint8_t *cmd, size_t len, uint64_t now,
                         const uint8_t *tag, uint64_t ts)
{
    e4i_edit e = {.cmd_tag = tag, .cmd_ts = ts};
    int noop = 0;
    uint8_t new_cmd_key[E4_KEY_LEN];
    e4_err err = plan(s, cmd, len, now, &e, &noop, new_cmd_key);
    if (err == E4_OK && !noop && s->storage)
        err = e4i_persist(s, &e);
    if (err == E4_OK && !noop)
        apply(s, &e, new_cmd_key);
    e4c_wipe(new_cmd_key, sizeof new_cmd_key);
    return err;
}
