/*
 * http_reply: how handlers answer (api.h): JSON bodies, text bodies, store
 * errors and pages.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"

int api_reply(api_req *r, int status, json_t *j)
{
    char *text = j ? api_json_text(j, &r->out_len) : NULL;
    json_decref(j);
    if (!text)
        return api_fail(&r->err, 500, "out of memory");
    r->status = status;
    r->out = text;
    r->content_type = NULL;
    return 0;
}

int api_reply_text(api_req *r, int status, const char *content_type, char *text, size_t len)
{
    if (!text)
        return api_fail(&r->err, 500, "out of memory");
    r->status = status;
    r->out = text;
    r->out_len = len;
    r->content_type = content_type;
    return 0;
}

int api_reply_c2(api_req *r, const c2_error *e)
{
    return api_fail_c2(&r->err, e);
}

c2_page api_page_of(const api_req *r)
{
    c2_page pg = {r->q.offset, r->q.limit, r->q.has_search ? r->q.search : NULL};
    return pg;
}

int api_reply_page(api_req *r, json_t *items, int64_t total)
{
    if (!items)
        return api_fail(&r->err, 500, "out of memory");
    return api_reply(r, 200, api_page_json(items, total, r->q.offset, r->q.limit));
}

int api_each_client(void *ctx, const c2_client *c)
{
    api_rows *rows = ctx;
    return json_array_append_new(rows->items, api_client_json(c, rows->mode));
}

int api_each_topic(void *ctx, const c2_topic *t)
{
    api_rows *rows = ctx;
    return json_array_append_new(rows->items, api_topic_json(t));
}
