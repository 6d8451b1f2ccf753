/* mqttinfo: the machine-readable result (spec: "Machine-readable result"). */
#include "report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *mi_tri_json(mi_tri t)
{
    return t == MI_NULL ? json_null() : json_boolean(t == MI_YES);
}

mi_tri mi_tri_of_json(const json_t *v)
{
    return json_is_true(v) ? MI_YES : json_is_false(v) ? MI_NO : MI_NULL;
}

static json_t *str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *connack_props(const mi_connack_props *p)
{
    json_t *o = json_object();
    json_t *announced = json_array();
    /* Effective values: what the CONNACK said, or the standard's default. */
    json_object_set_new(o, "maximum_qos", json_integer(p->has_maximum_qos ? p->maximum_qos : 2));
    json_object_set_new(o, "retain_available",
                        json_boolean(p->has_retain_available ? p->retain_available : true));
    json_object_set_new(o, "wildcard_subscription_available",
                        json_boolean(p->has_wildcard_available ? p->wildcard_available : true));
    json_object_set_new(o, "subscription_identifier_available",
                        json_boolean(p->has_subid_available ? p->subid_available : true));
    json_object_set_new(o, "shared_subscription_available",
                        json_boolean(p->has_shared_available ? p->shared_available : true));
    json_object_set_new(o, "maximum_packet_size",
                        p->has_maximum_packet_size ? json_integer(p->maximum_packet_size)
                                                   : json_null());
    json_object_set_new(o, "receive_maximum",
                        json_integer(p->has_receive_maximum ? p->receive_maximum : 65535));
    json_object_set_new(o, "topic_alias_maximum",
                        json_integer(p->has_topic_alias_maximum ? p->topic_alias_maximum : 0));
    json_object_set_new(o, "server_keep_alive",
                        p->has_server_keep_alive ? json_integer(p->server_keep_alive)
                                                 : json_null());
    json_object_set_new(o, "assigned_client_identifier",
                        p->has_assigned_client_id ? json_string(p->assigned_client_id)
                                                  : json_null());
    json_object_set_new(o, "reason_string",
                        p->has_reason_string ? json_string(p->reason_string) : json_null());
    json_object_set_new(o, "server_reference",
                        p->has_server_reference ? json_string(p->server_reference) : json_null());
    static const char *const names[] = {"maximum_qos",
                                        "retain_available",
                                        "wildcard_subscription_available",
                                        "subscription_identifier_available",
                                        "shared_subscription_available",
                                        "maximum_packet_size",
                                        "receive_maximum",
                                        "topic_alias_maximum",
                                        "server_keep_alive",
                                        "assigned_client_identifier",
                                        "reason_string",
                                        "server_reference"};
    const bool has[] = {
        p->has_maximum_qos,        p->has_retain_available,    p->has_wildcard_available,
        p->has_subid_available,    p->has_shared_available,    p->has_maximum_packet_size,
        p->has_receive_maximum,    p->has_topic_alias_maximum, p->has_server_keep_alive,
        p->has_assigned_client_id, p->has_reason_string,       p->has_server_reference};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (has[i])
            json_array_append_new(announced, json_string(names[i]));
    json_object_set_new(o, "announced", announced);
    return o;
}

static json_t *version_obj(const mi_version_result *v)
{
    json_t *o = json_object();
    json_t *details = json_object();
    for (int i = 0; i < MI_C_COUNT; i++) {
        json_object_set_new(o, mi_check_keys[i], mi_tri_json(v->check[i]));
        if (v->detail[i][0])
            json_object_set_new(details, mi_check_keys[i], json_string(v->detail[i]));
    }
    if (v->version == 5 && v->props.present && v->check[MI_C_SUPPORTED] == MI_YES)
        json_object_set_new(o, "connack_properties", connack_props(&v->props));
    else if (v->version == 5)
        json_object_set_new(o, "connack_properties", json_null());
    json_object_set_new(o, "details", details);
    json_t *violations = json_array();
    for (int i = 0; i < v->nviolations; i++)
        json_array_append_new(violations, json_string(v->violations[i]));
    json_object_set_new(o, "protocol_violations", violations);
    json_object_set_new(o, "error", str_or_null(v->error));
    return o;
}

static json_t *sys_obj(const mi_sys_tree *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "published", mi_tri_json(s->published));
    json_t *topics = json_array();
    for (int i = 0; i < s->ntopics_stored; i++)
        json_array_append_new(topics, json_string(s->topics[i]));
    json_object_set_new(o, "topics", topics);
    json_object_set_new(o, "topic_count", json_integer(s->ntopics));
    json_object_set_new(o, "version", str_or_null(s->version));
    json_object_set_new(o, "uptime", str_or_null(s->uptime));
    json_object_set_new(o, "clients", str_or_null(s->clients));
    json_t *values = json_object();
    for (int i = 0; i < s->nvalues; i++)
        json_object_set_new(values, s->value_topic[i], json_string(s->value[i]));
    json_object_set_new(o, "values", values);
    json_object_set_new(o, "connection_announced_on",
                        s->canary_announced ? json_string(s->announce_topic) : json_null());
    json_object_set_new(o, "error", str_or_null(s->error));
    return o;
}

static json_t *tls_obj(const mi_tls_info *t)
{
    if (!t->present)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "version", json_string(t->version));
    json_object_set_new(o, "cipher", json_string(t->cipher));
    json_object_set_new(o, "subject", json_string(t->subject));
    json_object_set_new(o, "issuer", json_string(t->issuer));
    json_object_set_new(o, "not_before", str_or_null(t->not_before));
    json_object_set_new(o, "not_after", str_or_null(t->not_after));
    json_object_set_new(o, "self_signed", json_boolean(t->self_signed));
    json_object_set_new(o, "verified", json_boolean(t->verified));
    json_object_set_new(o, "verify_error", str_or_null(t->verify_error));
    return o;
}

static json_t *result_obj(const mi_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "target", json_string(r->target));
    json_object_set_new(o, "transport", json_string(mi_transport_name(r->transport)));
    json_object_set_new(o, "time", json_string(r->time));
    json_object_set_new(o, "error", str_or_null(r->error));
    json_object_set_new(o, "v311", version_obj(&r->v311));
    json_object_set_new(o, "v5", version_obj(&r->v5));
    json_object_set_new(o, "sys_tree", sys_obj(&r->sys));
    json_object_set_new(o, "tls", tls_obj(&r->tls));
    json_t *p = json_object();
    json_object_set_new(p, "name", json_string(r->product.name[0] ? r->product.name : "unknown"));
    json_object_set_new(p, "version", str_or_null(r->product.version));
    json_object_set_new(p, "confidence", json_real(r->product.confidence));
    json_t *ev = json_array();
    for (int i = 0; i < r->product.nevidence; i++)
        json_array_append_new(ev, json_string(r->product.evidence[i]));
    json_object_set_new(p, "evidence", ev);
    json_object_set_new(o, "product", p);
    json_t *fs = json_array();
    for (int i = 0; i < r->nfindings; i++) {
        const mi_finding *f = &r->findings[i];
        json_t *fo = json_object();
        json_object_set_new(fo, "id", json_string(f->id));
        json_object_set_new(fo, "severity", json_string(mi_severity_name(f->severity)));
        json_object_set_new(fo, "summary", json_string(f->summary));
        json_object_set_new(fo, "remediation", json_string(f->remediation));
        json_array_append_new(fs, fo);
    }
    json_object_set_new(o, "findings", fs);
    json_object_set_new(o, "elapsed_ms", json_integer(r->elapsed_ms));
    return o;
}

char *mi_result_json(const mi_result *r, bool pretty)
{
    json_t *o = result_obj(r);
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER |
                                JSON_REAL_PRECISION(3));
    json_decref(o);
    return s;
}
