/*
 * api_topics: /v1/topics endpoints.
 */
#include <stdlib.h>

#include "api.h"

int api_topics_list(api_req *r)
{
    api_rows rows = {json_array(), r->mode};
    c2_page pg = api_page_of(r);
    int64_t total = 0;
    c2_error e = {0};
    if (store_topic_list(r->s, &pg, api_each_topic, &rows, &total, &e) != C2_OK) {
        json_decref(rows.items);
        return api_reply_c2(r, &e);
    }
    return api_reply_page(r, rows.items, total);
}

int api_topic_add(api_req *r)
{
    const char *name;
    c2_topic t;
    c2_error e = {0};
    if (api_parse_topic_new(r->body, &name, &r->err) != 0)
        return -1;
    if (store_topic_add(r->s, name, &t, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 201, api_topic_json(&t));
}

/* Answer 200 with the topic of the path (after an operation). */
static int reply_topic(api_req *r)
{
    c2_topic t;
    c2_error e = {0};
    if (store_topic_get(r->s, r->param[0], &t, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, api_topic_json(&t));
}

int api_topic_get(api_req *r)
{
    return reply_topic(r);
}

int api_topic_remove(api_req *r)
{
    c2_error e = {0};
    if (store_topic_remove(r->s, r->param[0], &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, json_pack("{ss}", "removed", r->param[0]));
}

int api_topic_rotate(api_req *r)
{
    c2_topic t;
    c2_error e = {0};
    if (store_topic_rotate(r->s, r->param[0], &t, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, api_topic_json(&t));
}

int api_members_list(api_req *r)
{
    api_rows rows = {json_array(), r->mode};
    c2_page pg = api_page_of(r);
    int64_t total = 0;
    c2_error e = {0};
    c2_err rc =
        r->q.behind
            ? store_topic_members_behind(r->s, r->param[0], &pg, api_each_client, &rows, &total, &e)
            : store_topic_members(r->s, r->param[0], &pg, api_each_client, &rows, &total, &e);
    if (rc != C2_OK) {
        json_decref(rows.items);
        return api_reply_c2(r, &e);
    }
    return api_reply_page(r, rows.items, total);
}

int api_members_join(api_req *r)
{
    api_refs refs;
    c2_error e = {0};
    c2_err rc;
    if (api_parse_members(r->body, "share_pubkeys", 0, &refs, &r->err) != 0)
        return -1;
    rc = store_topic_join(r->s, r->param[0], refs.refs, refs.n, refs.flag, &e);
    free(refs.refs);
    if (rc != C2_OK)
        return api_reply_c2(r, &e);
    return reply_topic(r);
}

int api_members_leave(api_req *r)
{
    api_refs refs;
    c2_error e = {0};
    c2_err rc;
    if (api_parse_members(r->body, "rotate", -1, &refs, &r->err) != 0)
        return -1;
    rc = store_topic_leave(r->s, r->param[0], refs.refs, refs.n, refs.flag, &e);
    free(refs.refs);
    if (rc != C2_OK)
        return api_reply_c2(r, &e);
    return reply_topic(r);
}

int api_member_remove(api_req *r)
{
    const char *ref = r->param[1];
    c2_error e = {0};
    if (store_topic_leave(r->s, r->param[0], &ref, 1, r->q.rotate, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return reply_topic(r);
}
