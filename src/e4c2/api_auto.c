/*
 * api_auto: rotation policies, traffic monitoring and the chart history
 * (/v1/policies, /v1/{topics,clients}/.../policy, /v1/topics/.../monitor
 * and /traffic, /v1/monitoring, /v1/stats/history).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static int each_policy(void *ctx, const c2_policy *p)
{
    return json_array_append_new(ctx, api_policy_json(p, 1));
}

int api_policies_list(api_req *r)
{
    json_t *items = json_array();
    c2_page pg = api_page_of(r);
    int64_t total = 0;
    c2_error e = {0};
    if (store_policy_list(r->s, &pg, each_policy, items, &total, &e) != C2_OK) {
        json_decref(items);
        return api_reply_c2(r, &e);
    }
    return api_reply_page(r, items, total);
}

/* The same three handlers serve /v1/topics/{topic}/policy and
 * /v1/clients/{client}/policy: the route says which. */
static c2_policy_kind policy_kind(const api_req *r)
{
    return strncmp(r->route->pattern, "/v1/clients/", 12) == 0 ? C2_POLICY_CLIENT : C2_POLICY_TOPIC;
}

int api_policy_get(api_req *r)
{
    c2_policy p;
    c2_error e = {0};
    if (store_policy_get(r->s, policy_kind(r), r->param[0], &p, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, api_policy_json(&p, 0));
}

int api_policy_set(api_req *r)
{
    c2_policy in, out;
    c2_error e = {0};
    if (api_parse_policy(r->body, policy_kind(r), &in, &r->err) != 0)
        return -1;
    snprintf(in.target, sizeof in.target, "%s", r->param[0]);
    if (store_policy_set(r->s, &in, &out, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, api_policy_json(&out, 0));
}

int api_policy_del(api_req *r)
{
    c2_error e = {0};
    if (store_policy_clear(r->s, policy_kind(r), r->param[0], &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_policy_get(r);
}

static int reply_traffic(api_req *r)
{
    c2_traffic *t = malloc(sizeof *t);
    c2_error e = {0};
    int rc;
    if (!t)
        return api_fail(&r->err, 500, "out of memory");
    if (store_traffic_get(r->s, r->param[0], t, &e) != C2_OK)
        rc = api_reply_c2(r, &e);
    else
        rc = api_reply(r, 200, api_traffic_json(t));
    free(t);
    return rc;
}

int api_topic_monitor(api_req *r)
{
    int enabled = 0;
    c2_error e = {0};
    if (api_parse_monitor(r->body, &enabled, &r->err) != 0)
        return -1;
    if (store_monitor_set(r->s, r->param[0], enabled, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return reply_traffic(r);
}

int api_topic_traffic(api_req *r)
{
    return reply_traffic(r);
}

static int each_monitored(void *ctx, const c2_traffic *t)
{
    return json_array_append_new(ctx, api_monitored_json(t));
}

int api_monitoring(api_req *r)
{
    json_t *items = json_array();
    c2_page pg = api_page_of(r);
    int64_t total = 0;
    c2_error e = {0};
    if (store_monitoring_list(r->s, &pg, each_monitored, items, &total, &e) != C2_OK) {
        json_decref(items);
        return api_reply_c2(r, &e);
    }
    return api_reply_page(r, items, total);
}

int api_stats_history(api_req *r)
{
    c2_hour h[168];
    c2_error e = {0};
    if (store_stats_history(r->s, (int)r->q.hours, h, &e) != C2_OK)
        return api_reply_c2(r, &e);
    return api_reply(r, 200, api_history_json(h, (int)r->q.hours));
}
