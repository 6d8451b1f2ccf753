/*
 * api_misc: /healthz, /metrics, /v1/openapi.json, /v1/status, /v1/tokens,
 * /v1/whoami.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "metrics.h"
#include "openapi_doc.h"

int api_healthz(api_req *r)
{
    return api_reply(r, 200, json_pack("{ss}", "status", "ok"));
}

int api_metrics(api_req *r)
{
    char *text = metrics_render(r->s);
    return api_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                          text ? strlen(text) : 0);
}

int api_openapi(api_req *r)
{
    char *doc = malloc(e4c2_openapi_json_len + 1);
    if (doc)
        memcpy(doc, e4c2_openapi_json, e4c2_openapi_json_len + 1);
    return api_reply_text(r, 200, "application/json", doc, e4c2_openapi_json_len);
}

int api_status(api_req *r)
{
    c2_status st;
    c2_error e = {0};
    memset(&st, 0, sizeof st);
    if (store_status(r->s, &st, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, api_status_json(&st));
}

static int each_token(void *ctx, const c2_token *t)
{
    return json_array_append_new(ctx, api_token_json(t));
}

int api_tokens(api_req *r)
{
    json_t *items = json_array();
    c2_error e = {0};
    if (store_token_list(r->s, each_token, items, &e) != C2_OK) {
        json_decref(items);
        return api_reply_c2(r, &e);
    }
    return api_reply(r, 200, json_pack("{so}", "items", items));
}

/* The console asks which token it holds, to show write controls only when
 * they can work (the API still refuses a read-only token's writes). */
int api_whoami(api_req *r)
{
    return api_reply(r, 200, json_pack("{sssb}", "name", r->token_name, "read_only", r->read_only));
}
