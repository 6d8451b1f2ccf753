/*
 * api_json_auto: the JSON of policies, traffic and the chart history
 * (docs/e4c2-openapi.json: Policy, Traffic, Monitored, History). Times are
 * unix seconds, as everywhere in the API; null when unset.
 */
#include "api_json.h"

static json_t *seconds_or_null(int64_t v)
{
    return v ? json_integer(v) : json_null();
}

static void set(json_t *o, const char *name, json_t *v)
{
    if (o && v)
        json_object_set_new(o, name, v);
    else
        json_decref(v);
}

json_t *api_policy_json(const c2_policy *p, int all_fields)
{
    json_t *o = json_object();
    int topic = p->kind == C2_POLICY_TOPIC;
    set(o, "kind", json_string(topic ? "topic" : "client"));
    set(o, "target", json_string(p->target));
    if (topic || all_fields) {
        set(o, "rotate_every", topic ? seconds_or_null(p->every) : json_null());
        set(o, "max_age", seconds_or_null(p->max_age));
        set(o, "on_join", json_boolean(topic && p->on_join));
        set(o, "on_leave", json_boolean(topic && p->on_leave));
    }
    if (!topic || all_fields)
        set(o, "rekey_every", topic ? json_null() : seconds_or_null(p->every));
    set(o, "next_due", seconds_or_null(p->next_due));
    set(o, "last_run", seconds_or_null(p->last_run));
    set(o, "last_error", p->last_error[0] ? json_string(p->last_error) : json_null());
    set(o, "failures", json_integer(p->failures));
    return o;
}

static json_t *counts_json(const c2_traffic *t)
{
    json_t *o = json_object();
    for (int i = 0; i < C2_TR_COUNT; i++)
        set(o, c2_traffic_result_name((c2_traffic_result)i), json_integer(t->counts[i]));
    return o;
}

static json_t *skew_json(const c2_traffic *t)
{
    json_t *buckets = json_array();
    for (int i = 0; i < C2_SKEW_BUCKETS; i++) {
        json_t *b = json_object();
        set(b, "le", i + 1 < C2_SKEW_BUCKETS ? json_integer(C2_SKEW_LE[i]) : json_null());
        set(b, "count", json_integer(t->skew[i]));
        json_array_append_new(buckets, b);
    }
    return json_pack("{so}", "buckets", buckets);
}

static json_t *offender_json(const c2_traffic *t)
{
    if (!t->last_kind[0])
        return json_null();
    /* MQTT 3.1.1 does not say who published: the topic is all we know */
    return json_pack("{sssIsn}", "kind", t->last_kind, "at", (json_int_t)t->last_at, "publisher");
}

json_t *api_traffic_json(const c2_traffic *t)
{
    json_t *o = json_object(), *hist = json_array();
    set(o, "topic", json_string(t->topic));
    set(o, "enabled", json_boolean(t->enabled));
    set(o, "since", seconds_or_null(t->since));
    set(o, "counts", counts_json(t));
    set(o, "rate", json_real(t->rate));
    set(o, "skew", skew_json(t));
    set(o, "last_offender", offender_json(t));
    for (int i = 0; i < t->nhist; i++)
        json_array_append_new(hist, json_pack("{sIsIsI}", "at", (json_int_t)t->hist_at[i], "valid",
                                              (json_int_t)t->hist_valid[i], "anomalies",
                                              (json_int_t)t->hist_anomalies[i]));
    set(o, "history", hist);
    return o;
}

json_t *api_monitored_json(const c2_traffic *t)
{
    return json_pack("{sssosf}", "topic", t->topic, "counts", counts_json(t), "rate", t->rate);
}

json_t *api_history_json(const c2_hour *h, int n)
{
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{sIsIsIsI}", "at", (json_int_t)h[i].at, "commands_queued",
                                               (json_int_t)h[i].queued, "commands_sent", (json_int_t)h[i].sent,
                                               "rotations", (json_int_t)h[i].rotations));
    return json_pack("{siso}", "bucket", 3600, "items", items);
}
