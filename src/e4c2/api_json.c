/*
 * api_json: rendering the store's types as the API's JSON objects.
 */
#include "api_json.h"
#include "suite.h"

#include <stdlib.h>
#include <string.h>

static json_t *hex(const uint8_t *p, size_t n)
{
    char small[2 * 64 + 1], *buf = n > 64 ? malloc(2 * n + 1) : small;
    json_t *v;
    if (!buf)
        return NULL;
    api_hex_encode(buf, p, n);
    v = json_string(buf);
    if (buf != small)
        free(buf);
    return v;
}

static json_t *time_or_null(int64_t t)
{
    return t ? json_integer(t) : json_null();
}

/* Add name = v to o (v is stolen; a NULL v from a failed allocation is ignored). */
static void set(json_t *o, const char *name, json_t *v)
{
    if (o && v)
        json_object_set_new(o, name, v);
    else
        json_decref(v);
}

json_t *api_client_json(const c2_client *c, c2_mode mode)
{
    json_t *o = json_object();
    set(o, "id", hex(c->id, sizeof c->id));
    set(o, "name", json_string(c->name));
    set(o, "created", json_integer(c->created));
    if (mode == C2_MODE_PK)
        set(o, "pubkey", hex(c->pubkey, c->pubkey_len));
    set(o, "topics", json_integer(c->topics));
    set(o, "pending", json_integer(c->pending));
    set(o, "sync", json_string(c2_sync_name(c->sync)));
    set(o, "state_at", time_or_null(c->state_at));
    if (mode == C2_MODE_PK)
        set(o, "c2_key_generation",
            c->c2_generation ? json_integer(c->c2_generation) : json_null());
    if (c->epoch)
        set(o, "epoch", json_integer(c->epoch));
    return o;
}

json_t *api_topic_json(const c2_topic *t)
{
    json_t *o = json_object();
    set(o, "name", json_string(t->name));
    set(o, "hash", hex(t->hash, sizeof t->hash));
    set(o, "version", json_integer(t->version));
    set(o, "created", json_integer(t->created));
    set(o, "rotated_at", json_integer(t->rotated_at));
    set(o, "members", json_integer(t->members));
    set(o, "behind", json_integer(t->behind));
    set(o, "not_current", json_integer(t->not_current));
    set(o, "key_id", hex(t->key_id, sizeof t->key_id));
    return o;
}

const char *api_command_name(int opcode)
{
    static const char *const names[] = {
        [E4_CMD_REMOVE_TOPIC] = "remove_topic",   [E4_CMD_RESET_TOPICS] = "reset_topics",
        [E4_CMD_SET_ID_KEY] = "set_id_key",       [E4_CMD_SET_TOPIC_KEY] = "set_topic_key",
        [E4_CMD_REMOVE_PUBKEY] = "remove_pubkey", [E4_CMD_RESET_PUBKEYS] = "reset_pubkeys",
        [E4_CMD_SET_PUBKEY] = "set_pubkey",       [E4_CMD_SET_C2_KEY] = "set_c2_key",
    };
    if (opcode == C2_OP_KEY_ESTABLISH)
        return "key_establishment";
    if (opcode < 0 || (size_t)opcode >= sizeof names / sizeof names[0])
        return NULL;
    return names[opcode];
}

json_t *api_command_json(const c2_command *c)
{
    json_t *o = json_object();
    const char *name = api_command_name(c->opcode);
    set(o, "seq", json_integer(c->seq));
    set(o, "client", hex(c->client_id, sizeof c->client_id));
    set(o, "command", name ? json_string(name) : json_null());
    if (c->topic[0])
        set(o, "topic", json_string(c->topic));
    if (c->has_subject)
        set(o, "subject", hex(c->subject_id, sizeof c->subject_id));
    set(o, "state", json_string(c2_cmd_state_name(c->state)));
    set(o, "created", json_integer(c->created));
    set(o, "sent_at", time_or_null(c->sent_at));
    set(o, "done_at", time_or_null(c->done_at));
    set(o, "refused",
        c->state == C2_CMD_REFUSED ? json_string(e4_strerror((e4_err)c->result)) : json_null());
    set(o, "repair", json_boolean(c->repair));
    if (c->epoch)
        set(o, "epoch", json_integer(c->epoch));
    set(o, "attempts", json_integer(c->attempts));
    set(o, "last_error", c->last_error[0] ? json_string(c->last_error) : json_null());
    return o;
}

json_t *api_event_json(const c2_event *ev)
{
    json_t *o = json_object();
    json_t *data = ev->data ? json_loads(ev->data, JSON_DECODE_ANY, NULL) : NULL;
    set(o, "id", json_integer(ev->id));
    set(o, "at", json_integer(ev->at));
    set(o, "type", json_string(ev->type));
    set(o, "data", data ? data : json_null());
    return o;
}

json_t *api_token_json(const c2_token *t)
{
    json_t *o = json_object();
    set(o, "name", json_string(t->name));
    set(o, "read_only", json_boolean(t->read_only));
    set(o, "created", json_integer(t->created));
    set(o, "last_used", time_or_null(t->last_used));
    return o;
}

json_t *api_status_json(const c2_status *st)
{
    json_t *o = json_object(), *outbox = json_object(), *key;
    set(o, "mode", json_string(c2_mode_name(st->mode, st->suite)));
    set(o, "clients", json_integer(st->clients));
    set(o, "topics", json_integer(st->topics));
    set(o, "memberships", json_integer(st->memberships));
    set(outbox, "pending", json_integer(st->outbox_pending));
    set(outbox, "oldest_age", json_integer(st->outbox_oldest_age));
    set(o, "outbox", outbox);
    set(o, "commands_sent", json_integer(st->commands_sent));
    {
        json_t *sync = json_object();
        for (int i = 0; i < C2_SYNC_COUNT; i++)
            set(sync, c2_sync_name((c2_sync)i), json_integer(st->sync[i]));
        set(o, "sync", sync);
    }
    if (st->mode == C2_MODE_PK) {
        key = json_object();
        set(key, "generation", json_integer(st->c2_key_generation));
        set(key, "rotating", json_boolean(st->c2_key_rotating));
        set(key, "unconfirmed", json_integer(st->c2_key_unconfirmed));
        set(o, "c2_key", key);
    }
    return o;
}

json_t *api_page_json(json_t *items, int64_t total, int64_t offset, int64_t limit)
{
    json_t *o = json_object();
    set(o, "items", items);
    set(o, "total", json_integer(total));
    set(o, "offset", json_integer(offset));
    set(o, "limit", json_integer(limit));
    return o;
}

json_t *api_error_json(const api_error *e)
{
    json_t *o = json_object(), *err = json_object();
    set(err, "code", json_string(e->code ? e->code : api_status_code(e->status)));
    set(err, "message", json_string(e->message));
    set(o, "error", err);
    return o;
}

char *api_json_text(const json_t *j, size_t *len)
{
    size_t n = j ? json_dumpb(j, NULL, 0, JSON_COMPACT) : 0;
    char *s = n ? malloc(n + 1) : NULL;
    if (!s)
        return NULL;
    json_dumpb(j, s, n, JSON_COMPACT);
    s[n] = 0;
    *len = n;
    return s;
}

/* ---- policies, traffic, chart history (issue 8): intervals in seconds ---- */

json_t *api_policy_json(const c2_policy *p, int all_fields)
{
    json_t *o = json_object();
    int topic = p->kind == C2_POLICY_TOPIC;
    set(o, "kind", json_string(topic ? "topic" : "client"));
    set(o, "target", json_string(p->target));
    if (topic || all_fields) {
        set(o, "rotate_every", topic ? time_or_null(p->every) : json_null());
        set(o, "max_age", time_or_null(p->max_age));
        set(o, "on_join", json_boolean(topic && p->on_join));
        set(o, "on_leave", json_boolean(topic && p->on_leave));
    }
    if (!topic || all_fields)
        set(o, "rekey_every", topic ? json_null() : time_or_null(p->every));
    set(o, "next_due", time_or_null(p->next_due));
    set(o, "last_run", time_or_null(p->last_run));
    set(o, "last_error", p->last_error[0] ? json_string(p->last_error) : json_null());
    set(o, "failures", json_integer(p->failures));
    return o;
}

/* Messages per second to three decimals (what a person or a chart reads). */
static double rate3(double r)
{
    return (double)(int64_t)(r * 1000.0 + 0.5) / 1000.0;
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
    set(o, "since", time_or_null(t->since));
    set(o, "counts", counts_json(t));
    set(o, "rate", json_real(rate3(t->rate)));
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
    return json_pack("{sssosf}", "topic", t->topic, "counts", counts_json(t), "rate",
                     rate3(t->rate));
}

json_t *api_history_json(const c2_hour *h, int n)
{
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{sIsIsIsI}", "at", (json_int_t)h[i].at,
                                               "commands_queued", (json_int_t)h[i].queued,
                                               "commands_sent", (json_int_t)h[i].sent, "rotations",
                                               (json_int_t)h[i].rotations));
    return json_pack("{siso}", "bucket", 3600, "items", items);
}
