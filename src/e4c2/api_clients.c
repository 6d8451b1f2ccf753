/*
 * api_clients: /v1/clients endpoints.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"

int api_clients_list(api_req *r)
{
    api_rows rows = {json_array(), r->mode};
    c2_page pg = api_page_of(r);
    int64_t total = 0;
    c2_error e = {0};
    if (store_client_list(r->s, &pg, api_each_client, &rows, &total, &e) != C2_OK) {
        json_decref(rows.items);
        return api_reply_c2(r, &e);
    }
    return api_reply_page(r, rows.items, total);
}

/* The client object, plus "key" when C2 generated it (shown this once). */
static json_t *added_json(const c2_client *c, c2_mode mode, c2_generated *gen)
{
    json_t *o = api_client_json(c, mode);
    char hex[2 * sizeof gen->key + 1];
    if (gen->has_key && gen->key_len <= sizeof gen->key) {
        api_hex_encode(hex, gen->key, gen->key_len);
        json_object_set_new(o, "key", json_string(hex));
        e4_wipe(hex, sizeof hex);
    }
    e4_wipe(gen, sizeof *gen);
    return o;
}

int api_client_add(api_req *r)
{
    api_client_in in;
    c2_new_client nc;
    c2_client c;
    c2_generated gen;
    c2_error e = {0};
    c2_err rc;
    if (api_parse_client_suite(r->body, r->mode, store_suite(r->s), &in, &nc, &r->err) != 0)
        return -1;
    memset(&gen, 0, sizeof gen);
    rc = store_client_add(r->s, &nc, &c, &gen, &e);
    api_client_in_wipe(&in);
    if (rc != C2_OK) {
        e4_wipe(&gen, sizeof gen);
        return api_reply_c2(r, &e);
    }
    return api_reply(r, 201, added_json(&c, r->mode, &gen));
}

int api_clients_import(api_req *r)
{
    api_import im;
    c2_error e = {0};
    c2_err rc;
    size_t n;
    if (api_parse_import_suite(r->raw, r->raw_len, r->ndjson, r->mode, store_suite(r->s), &im,
                               &r->err) != 0)
        return -1;
    rc = store_clients_import(r->s, im.list, im.n, &e);
    n = im.n;
    api_import_free(&im);
    if (rc != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 201, json_pack("{sI}", "imported", (json_int_t)n));
}

/* Answer 200 with the client named by the path (after an operation). */
static int reply_client(api_req *r, const char *ref)
{
    c2_client c;
    c2_error e = {0};
    if (store_client_get(r->s, ref, &c, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, api_client_json(&c, r->mode));
}

int api_client_get(api_req *r)
{
    return reply_client(r, r->param[0]);
}

int api_client_remove(api_req *r)
{
    c2_client c;
    c2_error e = {0};
    char id[2 * E4_ID_LEN + 1];
    /* By id, so that the name answered is the client removed. */
    if (store_client_get(r->s, r->param[0], &c, &e) != C2_OK)
        return api_reply_c2(r, &e);
    api_hex_encode(id, c.id, sizeof c.id);
    if (store_client_remove(r->s, id, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, json_pack("{ss}", "removed", c.name));
}

int api_client_rekey(api_req *r)
{
    c2_error e = {0};
    if (store_client_rekey(r->s, r->param[0], &e) != C2_OK)
        return api_reply_c2(r, &e);
    return reply_client(r, r->param[0]);
}

int api_client_reset(api_req *r)
{
    c2_error e = {0};
    if (store_client_reset(r->s, r->param[0], &e) != C2_OK)
        return api_reply_c2(r, &e);
    return reply_client(r, r->param[0]);
}

int api_client_topics(api_req *r)
{
    api_rows rows = {json_array(), r->mode};
    c2_page pg = api_page_of(r);
    int64_t total = 0;
    c2_error e = {0};
    if (store_client_topics(r->s, r->param[0], &pg, api_each_topic, &rows, &total, &e) != C2_OK) {
        json_decref(rows.items);
        return api_reply_c2(r, &e);
    }
    return api_reply_page(r, rows.items, total);
}

static int each_command(void *ctx, const c2_command *c)
{
    api_rows *rows = ctx;
    return json_array_append_new(rows->items, api_command_json(c));
}

int api_client_commands(api_req *r)
{
    api_rows rows = {json_array(), r->mode};
    c2_page pg = api_page_of(r);
    int64_t total = 0;
    c2_error e = {0};
    if (store_client_commands(r->s, r->param[0], &pg, each_command, &rows, &total, &e) != C2_OK) {
        json_decref(rows.items);
        return api_reply_c2(r, &e);
    }
    return api_reply_page(r, rows.items, total);
}
