/*
 * api_pubkeys: public keys held by clients, links (PK mode) and C2's own
 * key: /v1/clients/{client}/pubkeys, /v1/clients/{client}/links, /v1/c2/.
 */
#include "api.h"
#include "suite.h"

typedef c2_err list_fn(store *, const char *, const c2_page *, int (*)(void *, const c2_client *),
                       void *, int64_t *, c2_error *);
typedef c2_err pair_fn(store *, const char *, const char *, c2_error *);

static int list_clients(api_req *r, list_fn *fn)
{
    api_rows rows = {json_array(), r->mode};
    c2_page pg = api_page_of(r);
    int64_t total = 0;
    c2_error e = {0};
    if (fn(r->s, r->param[0], &pg, api_each_client, &rows, &total, &e) != C2_OK) {
        json_decref(rows.items);
        return api_reply_c2(r, &e);
    }
    return api_reply_page(r, rows.items, total);
}

/* Answer {} once fn(target, source) succeeds. */
static int pair(api_req *r, pair_fn *fn, const char *source)
{
    c2_error e = {0};
    if (fn(r->s, r->param[0], source, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, json_object());
}

/* The same with source from the body {"source": ref}. */
static int pair_body(api_req *r, pair_fn *fn)
{
    const char *source;
    if (api_parse_source(r->body, &source, &r->err) != 0)
        return -1;
    return pair(r, fn, source);
}

int api_pubkeys_list(api_req *r)
{
    return list_clients(r, store_pubkeys_of);
}

int api_pubkey_send(api_req *r)
{
    return pair_body(r, store_pubkey_send);
}

int api_pubkey_remove(api_req *r)
{
    return pair(r, store_pubkey_remove, r->param[1]);
}

int api_pubkeys_reset(api_req *r)
{
    c2_error e = {0};
    if (store_pubkey_reset(r->s, r->param[0], &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, json_object());
}

int api_links_list(api_req *r)
{
    return list_clients(r, store_links_of);
}

int api_link_add(api_req *r)
{
    return pair_body(r, store_link);
}

int api_link_remove(api_req *r)
{
    return pair(r, store_unlink, r->param[1]);
}

/* pubkey: C2's public keys as SetC2Key carries them (devices' --c2-pubkey). */
static int reply_c2_key(api_req *r, const uint8_t pk[C2_OWN_PK_MAX], int64_t generation)
{
    char hex[2 * C2_OWN_PK_MAX + 1];
    api_hex_encode(hex, pk, c2_own_pk_len(store_suite(r->s)));
    return api_reply(r, 200,
                     json_pack("{sssssI}", "pubkey", hex, "suite",
                               c2_mode_name(r->mode, store_suite(r->s)), "generation",
                               (json_int_t)generation));
}

int api_c2_pubkey(api_req *r)
{
    uint8_t pk[C2_OWN_PK_MAX];
    int64_t generation = 0;
    c2_error e = {0};
    if (store_c2_pubkey(r->s, pk, &generation, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return reply_c2_key(r, pk, generation);
}

int api_c2_rotate(api_req *r)
{
    uint8_t pk[C2_OWN_PK_MAX];
    int64_t generation = 0;
    c2_error e = {0};
    if (store_c2_rotate(r->s, pk, &generation, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return reply_c2_key(r, pk, generation);
}

static int add_straggler(void *ctx, const c2_client *c)
{
    char id[2 * E4_ID_LEN + 1];
    api_hex_encode(id, c->id, E4_ID_LEN);
    json_array_append_new(ctx, json_pack("{ssss}", "id", id, "name", c->name));
    return 0;
}

int api_c2_rotate_finish(api_req *r)
{
    int64_t unsent = 0, nstragglers = 0;
    c2_error e = {0};
    json_t *list = json_array();
    if (!list ||
        store_c2_rotate_finish(r->s, &unsent, add_straggler, list, &nstragglers, &e) != C2_OK) {
        json_decref(list);
        return list ? api_reply_c2(r, &e) : api_reply(r, 500, NULL);
    }
    return api_reply(r, 200,
                     json_pack("{sIsIso}", "unsent", (json_int_t)unsent, "unconfirmed",
                               (json_int_t)nstragglers, "stragglers", list));
}
