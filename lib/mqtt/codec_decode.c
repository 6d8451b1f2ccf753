/*
 * codec_decode.c - strict decoding of one framed packet; SUBSCRIBE /
 * UNSUBSCRIBE list iteration and checks.
 */
#include "mqtt_internal.h"

/* Read a property list (length prefix + properties) and validate it. */
static mqtt_err rd_props(mqtt_rd *r, int where, mqtt_props *out)
{
    uint32_t n;
    mqtt_err e = mqtt_rd_varint(r, &n);
    if (e != MQTT_OK)
        return e;
    if (mqtt_rd_left(r) < n)
        return MQTT_ERR_TRUNCATED;
    memset(out, 0, sizeof *out);
    out->raw.ptr = r->p + r->off;
    out->raw.len = n;
    r->off += n;
    return mqtt__props_check_raw(out->raw.ptr, n, where, &out->count);
}

static mqtt_err rd_string(mqtt_rd *r, mqtt_bytes *out)
{
    mqtt_err e = mqtt_rd_bytes(r, out);
    if (e != MQTT_OK)
        return e;
    return mqtt_utf8_validate(out->ptr, out->len, NULL);
}

static mqtt_err rd_packet_id(mqtt_rd *r, uint16_t *id)
{
    mqtt_err e = mqtt_rd_u16(r, id);
    if (e != MQTT_OK)
        return e;
    return *id ? MQTT_OK : MQTT_ERR_PACKET_ID;
}

static mqtt_err sub_parse(mqtt_rd *r, int version, mqtt_sub *s)
{
    mqtt_err e = mqtt_rd_bytes(r, &s->filter);
    uint8_t o;
    if (e == MQTT_OK)
        e = mqtt_rd_u8(r, &o);
    if (e != MQTT_OK)
        return e;
    s->qos = o & 3u;
    s->no_local = (o >> 2) & 1u;
    s->retain_as_published = (o >> 3) & 1u;
    s->retain_handling = (o >> 4) & 3u;
    if (version == MQTT_V311 && (o & 0xFCu))
        return MQTT_ERR_SUB_OPTIONS;
    if (o & 0xC0u)
        return MQTT_ERR_SUB_OPTIONS;
    return MQTT_OK;
}

mqtt_err mqtt__subs_check(const uint8_t *p, size_t len, int version, size_t *count)
{
    mqtt_rd r = {p, len, 0};
    size_t n = 0;
    while (mqtt_rd_left(&r)) {
        mqtt_sub s;
        mqtt_err e = sub_parse(&r, version, &s);
        if (e == MQTT_OK)
            e = mqtt_topic_filter_validate(s.filter.ptr, s.filter.len);
        if (e == MQTT_OK && s.qos == 3)
            e = MQTT_ERR_BAD_QOS;
        if (e == MQTT_OK && s.retain_handling == 3)
            e = MQTT_ERR_SUB_OPTIONS;
        if (e != MQTT_OK)
            return e;
        n++;
    }
    if (count)
        *count = n;
    return n ? MQTT_OK : MQTT_ERR_PROTOCOL;
}

mqtt_err mqtt__unsubs_check(const uint8_t *p, size_t len, size_t *count)
{
    mqtt_rd r = {p, len, 0};
    size_t n = 0;
    while (mqtt_rd_left(&r)) {
        mqtt_bytes f;
        mqtt_err e = mqtt_rd_bytes(&r, &f);
        if (e == MQTT_OK)
            e = mqtt_topic_filter_validate(f.ptr, f.len);
        if (e != MQTT_OK)
            return e;
        n++;
    }
    if (count)
        *count = n;
    return n ? MQTT_OK : MQTT_ERR_PROTOCOL;
}

bool mqtt_sub_next(const mqtt_subscribe *s, size_t *off, mqtt_sub *out)
{
    if (!s || !off)
        return false;
    if (s->subs) {
        if (*off >= s->count)
            return false;
        if (out)
            *out = s->subs[*off];
        (*off)++;
        return true;
    }
    if (*off >= s->raw.len)
        return false;
    mqtt_rd r = {s->raw.ptr, s->raw.len, *off};
    mqtt_sub v;
    memset(&v, 0, sizeof v);
    mqtt_err e = sub_parse(&r, MQTT_V5, &v);
    if (e != MQTT_OK && e != MQTT_ERR_SUB_OPTIONS)
        return false;
    *off = r.off;
    if (out)
        *out = v;
    return true;
}

bool mqtt_unsub_next(const mqtt_unsubscribe *u, size_t *off, mqtt_bytes *out)
{
    if (!u || !off)
        return false;
    if (u->filters) {
        if (*off >= u->count)
            return false;
        if (out)
            *out = u->filters[*off];
        (*off)++;
        return true;
    }
    if (*off >= u->raw.len)
        return false;
    mqtt_rd r = {u->raw.ptr, u->raw.len, *off};
    mqtt_bytes f;
    if (mqtt_rd_bytes(&r, &f) != MQTT_OK)
        return false;
    *off = r.off;
    if (out)
        *out = f;
    return true;
}

/* Protocol name and level; *version becomes the level when it was 0. */
static mqtt_err dec_connect_protocol(mqtt_rd *r, int *version, mqtt_connect *c)
{
    mqtt_err e;
    if ((e = mqtt_rd_bytes(r, &c->protocol_name)) != MQTT_OK)
        return e;
    if (c->protocol_name.len != 4 || memcmp(c->protocol_name.ptr, "MQTT", 4) != 0)
        return MQTT_ERR_PROTOCOL_NAME;
    if ((e = mqtt_rd_u8(r, &c->protocol_level)) != MQTT_OK)
        return e;
    if (*version == 0 && c->protocol_level != MQTT_V311 && c->protocol_level != MQTT_V5)
        return MQTT_ERR_PROTOCOL_VERSION;
    if (*version != 0 && c->protocol_level != *version)
        return MQTT_ERR_PROTOCOL_VERSION;
    *version = c->protocol_level;
    return MQTT_OK;
}

static mqtt_err dec_connect_flags(mqtt_rd *r, int version, mqtt_connect *c)
{
    uint8_t fl;
    mqtt_err e = mqtt_rd_u8(r, &fl);
    if (e != MQTT_OK)
        return e;
    c->connect_flags = fl;
    c->clean_start = (fl & MQTT_CONNECT_FLAG_CLEAN) != 0;
    c->will = (fl & MQTT_CONNECT_FLAG_WILL) != 0;
    c->will_qos = (fl >> MQTT_CONNECT_FLAG_WILL_QOS_SHIFT) & 3u;
    c->will_retain = (fl & MQTT_CONNECT_FLAG_WILL_RETAIN) != 0;
    c->has_password = (fl & MQTT_CONNECT_FLAG_PASSWORD) != 0;
    c->has_username = (fl & MQTT_CONNECT_FLAG_USERNAME) != 0;
    if (fl & MQTT_CONNECT_FLAG_RESERVED)
        return MQTT_ERR_CONNECT_FLAGS;
    if (c->will_qos == 3)
        return MQTT_ERR_BAD_QOS;
    if (!c->will && (c->will_qos || c->will_retain))
        return MQTT_ERR_CONNECT_FLAGS;
    if (version == MQTT_V311 && c->has_password && !c->has_username)
        return MQTT_ERR_CONNECT_FLAGS;
    return MQTT_OK;
}

static mqtt_err dec_connect_will(mqtt_rd *r, int version, mqtt_connect *c)
{
    mqtt_err e;
    if (version == MQTT_V5 && (e = rd_props(r, MQTT_PROPS_WILL, &c->will_props)) != MQTT_OK)
        return e;
    if ((e = mqtt_rd_bytes(r, &c->will_topic)) != MQTT_OK)
        return e;
    if ((e = mqtt_topic_name_validate(c->will_topic.ptr, c->will_topic.len)) != MQTT_OK)
        return e;
    return mqtt_rd_bytes(r, &c->will_payload);
}

static mqtt_err dec_connect(mqtt_rd *r, int version, mqtt_connect *c)
{
    mqtt_err e;
    if ((e = dec_connect_protocol(r, &version, c)) != MQTT_OK ||
        (e = dec_connect_flags(r, version, c)) != MQTT_OK ||
        (e = mqtt_rd_u16(r, &c->keep_alive)) != MQTT_OK)
        return e;
    if (version == MQTT_V5 && (e = rd_props(r, MQTT_CONNECT, &c->props)) != MQTT_OK)
        return e;
    if ((e = rd_string(r, &c->client_id)) != MQTT_OK)
        return e;
    if (c->will && (e = dec_connect_will(r, version, c)) != MQTT_OK)
        return e;
    if (c->has_username && (e = rd_string(r, &c->username)) != MQTT_OK)
        return e;
    if (c->has_password && (e = mqtt_rd_bytes(r, &c->password)) != MQTT_OK)
        return e;
    return MQTT_OK;
}

static mqtt_err dec_connack(mqtt_rd *r, int version, mqtt_connack *c)
{
    uint8_t fl;
    mqtt_err e = mqtt_rd_u8(r, &fl);
    if (e == MQTT_OK)
        e = mqtt_rd_u8(r, &c->reason_code);
    if (e != MQTT_OK)
        return e;
    if (fl & 0xFEu)
        return MQTT_ERR_PROTOCOL;
    c->session_present = fl & 1u;
    if (version == MQTT_V5 && (e = rd_props(r, MQTT_CONNACK, &c->props)) != MQTT_OK)
        return e;
    if (!mqtt_reason_valid(version, MQTT_CONNACK, c->reason_code))
        return MQTT_ERR_REASON_CODE;
    if (c->session_present && c->reason_code != 0)
        return MQTT_ERR_PROTOCOL;
    return MQTT_OK;
}

static mqtt_err dec_publish(mqtt_rd *r, int version, uint8_t flags, mqtt_publish *p)
{
    mqtt_err e;
    p->dup = (flags >> 3) & 1u;
    p->qos = (flags >> 1) & 3u;
    p->retain = flags & 1u;
    if ((e = mqtt_rd_bytes(r, &p->topic)) != MQTT_OK)
        return e;
    if (p->qos && (e = rd_packet_id(r, &p->packet_id)) != MQTT_OK)
        return e;
    if (version == MQTT_V5 && (e = rd_props(r, MQTT_PUBLISH, &p->props)) != MQTT_OK)
        return e;
    if (p->topic.len == 0 && version == MQTT_V5 &&
        mqtt_props_find(&p->props, MQTT_PROP_TOPIC_ALIAS, NULL) == MQTT_OK) {
        /* empty topic + Topic Alias: allowed */
    } else if ((e = mqtt_topic_name_validate(p->topic.ptr, p->topic.len)) != MQTT_OK) {
        return e;
    }
    p->payload.ptr = r->p + r->off;
    p->payload.len = mqtt_rd_left(r);
    r->off = r->len;
    return MQTT_OK;
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP */
static mqtt_err dec_ack(mqtt_rd *r, int version, int type, mqtt_ack *a)
{
    mqtt_err e = rd_packet_id(r, &a->packet_id);
    if (e != MQTT_OK)
        return e;
    if (version == MQTT_V5 && mqtt_rd_left(r)) {
        if ((e = mqtt_rd_u8(r, &a->reason_code)) != MQTT_OK)
            return e;
        if (mqtt_rd_left(r) && (e = rd_props(r, type, &a->props)) != MQTT_OK)
            return e;
        if (!mqtt_reason_valid(version, type, a->reason_code))
            return MQTT_ERR_REASON_CODE;
    }
    return MQTT_OK;
}

static mqtt_err dec_subscribe(mqtt_rd *r, int version, mqtt_subscribe *s)
{
    mqtt_err e = rd_packet_id(r, &s->packet_id);
    if (e != MQTT_OK)
        return e;
    if (version == MQTT_V5 && (e = rd_props(r, MQTT_SUBSCRIBE, &s->props)) != MQTT_OK)
        return e;
    s->raw.ptr = r->p + r->off;
    s->raw.len = mqtt_rd_left(r);
    r->off = r->len;
    return mqtt__subs_check(s->raw.ptr, s->raw.len, version, &s->count);
}

static mqtt_err dec_suback(mqtt_rd *r, int version, int type, mqtt_suback *s)
{
    mqtt_err e = rd_packet_id(r, &s->packet_id);
    if (e != MQTT_OK)
        return e;
    if (version == MQTT_V311 && type == MQTT_UNSUBACK)
        return MQTT_OK; /* no payload */
    if (version == MQTT_V5 && (e = rd_props(r, type, &s->props)) != MQTT_OK)
        return e;
    s->codes = r->p + r->off;
    s->count = mqtt_rd_left(r);
    r->off = r->len;
    if (s->count == 0)
        return MQTT_ERR_PROTOCOL;
    for (size_t i = 0; i < s->count; i++)
        if (!mqtt_reason_valid(version, type, s->codes[i]))
            return MQTT_ERR_REASON_CODE;
    return MQTT_OK;
}

static mqtt_err dec_unsubscribe(mqtt_rd *r, int version, mqtt_unsubscribe *u)
{
    mqtt_err e = rd_packet_id(r, &u->packet_id);
    if (e != MQTT_OK)
        return e;
    if (version == MQTT_V5 && (e = rd_props(r, MQTT_UNSUBSCRIBE, &u->props)) != MQTT_OK)
        return e;
    u->raw.ptr = r->p + r->off;
    u->raw.len = mqtt_rd_left(r);
    r->off = r->len;
    return mqtt__unsubs_check(u->raw.ptr, u->raw.len, &u->count);
}

/* DISCONNECT and AUTH */
static mqtt_err dec_reason(mqtt_rd *r, int version, int type, mqtt_reason *d)
{
    mqtt_err e;
    if (version == MQTT_V311 || !mqtt_rd_left(r))
        return MQTT_OK;
    if ((e = mqtt_rd_u8(r, &d->reason_code)) != MQTT_OK)
        return e;
    if (mqtt_rd_left(r) && (e = rd_props(r, type, &d->props)) != MQTT_OK)
        return e;
    if (!mqtt_reason_valid(version, type, d->reason_code))
        return MQTT_ERR_REASON_CODE;
    return MQTT_OK;
}

/* The fixed header's type and flags, before the length is read. */
static mqtt_err check_type_flags(int type, uint8_t flags, int version)
{
    if (version == 0 && type != MQTT_CONNECT)
        return MQTT_ERR_ARG;
    if (version != 0 && version != MQTT_V311 && version != MQTT_V5)
        return MQTT_ERR_ARG;
    if (type == 0 || (type == MQTT_AUTH && version == MQTT_V311))
        return MQTT_ERR_BAD_TYPE;
    if (type == MQTT_PUBLISH)
        return ((flags >> 1) & 3u) == 3            ? MQTT_ERR_BAD_QOS
               : (flags & 0x8u) && !(flags & 0x6u) ? MQTT_ERR_BAD_FLAGS /* DUP with QoS 0 */
                                                   : MQTT_OK;
    bool two = type == MQTT_PUBREL || type == MQTT_SUBSCRIBE || type == MQTT_UNSUBSCRIBE;
    return flags == (two ? 2u : 0u) ? MQTT_OK : MQTT_ERR_BAD_FLAGS;
}

/* The variable header and payload of a packet of this type. */
static mqtt_err dec_body(mqtt_rd *r, int version, int type, uint8_t flags, mqtt_packet *out)
{
    switch (type) {
    case MQTT_CONNECT: return dec_connect(r, version, &out->connect);
    case MQTT_CONNACK: return dec_connack(r, version, &out->connack);
    case MQTT_PUBLISH: return dec_publish(r, version, flags, &out->publish);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP: return dec_ack(r, version, type, &out->ack);
    case MQTT_SUBSCRIBE: return dec_subscribe(r, version, &out->subscribe);
    case MQTT_SUBACK:
    case MQTT_UNSUBACK: return dec_suback(r, version, type, &out->suback);
    case MQTT_UNSUBSCRIBE: return dec_unsubscribe(r, version, &out->unsubscribe);
    case MQTT_PINGREQ:
    case MQTT_PINGRESP: return MQTT_OK;
    case MQTT_DISCONNECT: return dec_reason(r, version, type, &out->disconnect);
    case MQTT_AUTH: return dec_reason(r, version, type, &out->auth);
    default: return MQTT_ERR_BAD_TYPE;
    }
}

mqtt_err mqtt_decode(const uint8_t *buf, size_t len, int version, mqtt_packet *out)
{
    if (!out || (!buf && len))
        return MQTT_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (len < 1)
        return MQTT_ERR_TRUNCATED;
    int type = buf[0] >> 4;
    uint8_t flags = buf[0] & 0x0Fu;
    out->type = (mqtt_type)type;
    out->flags = flags;
    mqtt_err e = check_type_flags(type, flags, version);
    if (e != MQTT_OK)
        return e;
    uint32_t rl;
    size_t used;
    e = mqtt_varint_decode(buf + 1, len - 1, &rl, &used);
    if (e != MQTT_OK)
        return e == MQTT_NEED_MORE ? MQTT_ERR_TRUNCATED : e;
    size_t total = 1 + used + (size_t)rl;
    if (len != total)
        return len < total ? MQTT_ERR_TRUNCATED : MQTT_ERR_TRAILING;
    mqtt_rd r = {buf + 1 + used, rl, 0};
    e = dec_body(&r, version, type, flags, out);
    if (e == MQTT_OK && mqtt_rd_left(&r))
        return MQTT_ERR_TRAILING;
    return e;
}
