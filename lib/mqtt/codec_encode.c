/*
 * codec_encode.c - encoding of every packet into a caller buffer, validated
 * by default, raw on request (MQTT_ENC_NO_VALIDATE / MQTT_ENC_RAW_FLAGS).
 *
 * The body is produced twice: once counting (to size the remaining length),
 * once writing.
 */
#include "mqtt_internal.h"

typedef struct enc {
    mqtt_wr w;
    int version;
    bool validate;
} enc;

#define TRY(x)             \
    do {                   \
        mqtt_err e_ = (x); \
        if (e_ != MQTT_OK) \
            return e_;     \
    } while (0)

static mqtt_err chk_bytes(mqtt_bytes b)
{
    if (b.len > MQTT_MAX_STRING)
        return MQTT_ERR_STRING_TOO_LONG;
    if (b.len && !b.ptr)
        return MQTT_ERR_ARG;
    return MQTT_OK;
}

static mqtt_err put_bytes(enc *x, mqtt_bytes b)
{
    TRY(chk_bytes(b));
    mqtt_wr_bytes(&x->w, b);
    return MQTT_OK;
}

static mqtt_err put_string(enc *x, mqtt_bytes b)
{
    TRY(chk_bytes(b));
    if (x->validate)
        TRY(mqtt_utf8_validate(b.ptr, b.len, NULL));
    mqtt_wr_bytes(&x->w, b);
    return MQTT_OK;
}

static mqtt_err put_topic(enc *x, mqtt_bytes b)
{
    TRY(chk_bytes(b));
    if (x->validate)
        TRY(mqtt_topic_name_validate(b.ptr, b.len));
    mqtt_wr_bytes(&x->w, b);
    return MQTT_OK;
}

static mqtt_err put_filter(enc *x, mqtt_bytes b)
{
    TRY(chk_bytes(b));
    if (x->validate)
        TRY(mqtt_topic_filter_validate(b.ptr, b.len));
    mqtt_wr_bytes(&x->w, b);
    return MQTT_OK;
}

/* Property list with its length prefix (5.0 only; in 3.1.1 nothing is written). */
static mqtt_err put_props(enc *x, const mqtt_props *p, int where)
{
    if (x->version != MQTT_V5) {
        if (x->validate && !mqtt_props_empty(p))
            return MQTT_ERR_VERSION;
        return MQTT_OK;
    }
    if (!p->items && p->raw.len && !p->raw.ptr)
        return MQTT_ERR_ARG;
    if (x->validate)
        TRY(mqtt_props_validate(p, where));
    size_t n;
    TRY(mqtt_props_size(p, &n));
    if (n > MQTT_MAX_VARINT)
        return MQTT_ERR_TOO_LARGE;
    mqtt_wr_varint(&x->w, (uint32_t)n);
    mqtt__props_write(&x->w, p);
    return MQTT_OK;
}

static mqtt_err put_packet_id(enc *x, uint16_t id)
{
    if (x->validate && id == 0)
        return MQTT_ERR_PACKET_ID;
    mqtt_wr_u16(&x->w, id);
    return MQTT_OK;
}

static mqtt_err chk_reason(enc *x, int type, uint8_t code)
{
    if (x->validate && !mqtt_reason_valid(x->version, type, code))
        return MQTT_ERR_REASON_CODE;
    return MQTT_OK;
}

static mqtt_err enc_connect(enc *x, const mqtt_connect *c, unsigned opts)
{
    mqtt_bytes name = c->protocol_name.len ? c->protocol_name : mqtt_str("MQTT");
    uint8_t level = c->protocol_level ? c->protocol_level : (uint8_t)x->version;
    if (x->validate) {
        if (name.len != 4 || memcmp(name.ptr, "MQTT", 4) != 0)
            return MQTT_ERR_PROTOCOL_NAME;
        if (level != x->version)
            return MQTT_ERR_PROTOCOL_VERSION;
        if (c->will_qos > 2)
            return MQTT_ERR_BAD_QOS;
        if (!c->will && (c->will_qos || c->will_retain))
            return MQTT_ERR_CONNECT_FLAGS;
        if (x->version == MQTT_V311 && c->has_password && !c->has_username)
            return MQTT_ERR_CONNECT_FLAGS;
    }
    uint8_t fl;
    if (opts & MQTT_ENC_RAW_FLAGS) {
        fl = c->connect_flags;
    } else {
        fl = (uint8_t)((c->has_username ? MQTT_CONNECT_FLAG_USERNAME : 0) |
                       (c->has_password ? MQTT_CONNECT_FLAG_PASSWORD : 0) |
                       (c->will_retain ? MQTT_CONNECT_FLAG_WILL_RETAIN : 0) |
                       ((c->will_qos & 3u) << MQTT_CONNECT_FLAG_WILL_QOS_SHIFT) |
                       (c->will ? MQTT_CONNECT_FLAG_WILL : 0) |
                       (c->clean_start ? MQTT_CONNECT_FLAG_CLEAN : 0));
    }
    TRY(put_bytes(x, name));
    mqtt_wr_u8(&x->w, level);
    mqtt_wr_u8(&x->w, fl);
    mqtt_wr_u16(&x->w, c->keep_alive);
    TRY(put_props(x, &c->props, MQTT_CONNECT));
    TRY(put_string(x, c->client_id));
    if (c->will) {
        TRY(put_props(x, &c->will_props, MQTT_PROPS_WILL));
        TRY(put_topic(x, c->will_topic));
        TRY(put_bytes(x, c->will_payload));
    }
    if (c->has_username)
        TRY(put_string(x, c->username));
    if (c->has_password)
        TRY(put_bytes(x, c->password));
    return MQTT_OK;
}

static mqtt_err enc_connack(enc *x, const mqtt_connack *c)
{
    TRY(chk_reason(x, MQTT_CONNACK, c->reason_code));
    if (x->validate && c->session_present && c->reason_code)
        return MQTT_ERR_PROTOCOL;
    mqtt_wr_u8(&x->w, c->session_present ? 1 : 0);
    mqtt_wr_u8(&x->w, c->reason_code);
    return put_props(x, &c->props, MQTT_CONNACK);
}

static mqtt_err enc_publish(enc *x, const mqtt_publish *p)
{
    if (x->validate) {
        if (p->qos > 2)
            return MQTT_ERR_BAD_QOS;
        if (p->dup && p->qos == 0)
            return MQTT_ERR_BAD_FLAGS;
    }
    bool alias_only = x->version == MQTT_V5 && p->topic.len == 0 &&
                      mqtt_props_find(&p->props, MQTT_PROP_TOPIC_ALIAS, NULL) == MQTT_OK;
    if (alias_only)
        TRY(put_bytes(x, p->topic));
    else
        TRY(put_topic(x, p->topic));
    if (p->qos & 3u)
        TRY(put_packet_id(x, p->packet_id));
    TRY(put_props(x, &p->props, MQTT_PUBLISH));
    if (p->payload.len && !p->payload.ptr)
        return MQTT_ERR_ARG;
    mqtt_wr_raw(&x->w, p->payload.ptr, p->payload.len);
    return MQTT_OK;
}

static mqtt_err enc_ack(enc *x, int type, const mqtt_ack *a)
{
    TRY(put_packet_id(x, a->packet_id));
    if (x->version != MQTT_V5)
        return MQTT_OK;
    TRY(chk_reason(x, type, a->reason_code));
    bool empty = mqtt_props_empty(&a->props);
    if (a->reason_code == 0 && empty)
        return MQTT_OK;
    mqtt_wr_u8(&x->w, a->reason_code);
    if (empty) {
        if (x->validate)
            TRY(mqtt_props_validate(&a->props, type));
        return MQTT_OK;
    }
    return put_props(x, &a->props, type);
}

static mqtt_err enc_subscribe(enc *x, const mqtt_subscribe *s)
{
    TRY(put_packet_id(x, s->packet_id));
    TRY(put_props(x, &s->props, MQTT_SUBSCRIBE));
    if (!s->subs) {
        if (s->raw.len && !s->raw.ptr)
            return MQTT_ERR_ARG;
        if (x->validate)
            TRY(mqtt__subs_check(s->raw.ptr, s->raw.len, x->version, NULL));
        mqtt_wr_raw(&x->w, s->raw.ptr, s->raw.len);
        return MQTT_OK;
    }
    if (x->validate && s->count == 0)
        return MQTT_ERR_PROTOCOL;
    for (size_t i = 0; i < s->count; i++) {
        const mqtt_sub *e = &s->subs[i];
        if (x->validate) {
            if (e->qos > 2)
                return MQTT_ERR_BAD_QOS;
            if (e->retain_handling > 2)
                return MQTT_ERR_SUB_OPTIONS;
            if (x->version == MQTT_V311 &&
                (e->no_local || e->retain_as_published || e->retain_handling))
                return MQTT_ERR_SUB_OPTIONS;
        }
        TRY(put_filter(x, e->filter));
        mqtt_wr_u8(&x->w, (uint8_t)((e->qos & 3u) | (e->no_local ? 4u : 0u) |
                                    (e->retain_as_published ? 8u : 0u) |
                                    ((e->retain_handling & 3u) << 4)));
    }
    return MQTT_OK;
}

static mqtt_err enc_suback(enc *x, int type, const mqtt_suback *s)
{
    TRY(put_packet_id(x, s->packet_id));
    if (type == MQTT_UNSUBACK && x->version == MQTT_V311)
        return MQTT_OK;
    TRY(put_props(x, &s->props, type));
    if (s->count && !s->codes)
        return MQTT_ERR_ARG;
    if (x->validate) {
        if (s->count == 0)
            return MQTT_ERR_PROTOCOL;
        for (size_t i = 0; i < s->count; i++)
            TRY(chk_reason(x, type, s->codes[i]));
    }
    mqtt_wr_raw(&x->w, s->codes, s->count);
    return MQTT_OK;
}

static mqtt_err enc_unsubscribe(enc *x, const mqtt_unsubscribe *u)
{
    TRY(put_packet_id(x, u->packet_id));
    TRY(put_props(x, &u->props, MQTT_UNSUBSCRIBE));
    if (!u->filters) {
        if (u->raw.len && !u->raw.ptr)
            return MQTT_ERR_ARG;
        if (x->validate)
            TRY(mqtt__unsubs_check(u->raw.ptr, u->raw.len, NULL));
        mqtt_wr_raw(&x->w, u->raw.ptr, u->raw.len);
        return MQTT_OK;
    }
    if (x->validate && u->count == 0)
        return MQTT_ERR_PROTOCOL;
    for (size_t i = 0; i < u->count; i++)
        TRY(put_filter(x, u->filters[i]));
    return MQTT_OK;
}

/* DISCONNECT, AUTH */
static mqtt_err enc_reason(enc *x, int type, const mqtt_reason *d)
{
    if (x->version != MQTT_V5)
        return MQTT_OK;
    TRY(chk_reason(x, type, d->reason_code));
    bool empty = mqtt_props_empty(&d->props);
    if (d->reason_code == 0 && empty)
        return MQTT_OK;
    mqtt_wr_u8(&x->w, d->reason_code);
    if (empty)
        return MQTT_OK;
    return put_props(x, &d->props, type);
}

static mqtt_err enc_body(enc *x, const mqtt_packet *p, unsigned opts)
{
    switch (p->type) {
    case MQTT_CONNECT: return enc_connect(x, &p->connect, opts);
    case MQTT_CONNACK: return enc_connack(x, &p->connack);
    case MQTT_PUBLISH: return enc_publish(x, &p->publish);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP: return enc_ack(x, p->type, &p->ack);
    case MQTT_SUBSCRIBE: return enc_subscribe(x, &p->subscribe);
    case MQTT_SUBACK:
    case MQTT_UNSUBACK: return enc_suback(x, p->type, &p->suback);
    case MQTT_UNSUBSCRIBE: return enc_unsubscribe(x, &p->unsubscribe);
    case MQTT_PINGREQ:
    case MQTT_PINGRESP: return MQTT_OK;
    case MQTT_DISCONNECT: return enc_reason(x, p->type, &p->disconnect);
    case MQTT_AUTH:
        if (x->version != MQTT_V5 && x->validate)
            return MQTT_ERR_VERSION;
        return enc_reason(x, p->type, &p->auth);
    default: return MQTT_ERR_ARG;
    }
}

static uint8_t header_flags(const mqtt_packet *p)
{
    switch (p->type) {
    case MQTT_PUBLISH:
        return (uint8_t)((p->publish.dup ? 8u : 0u) | ((p->publish.qos & 3u) << 1) |
                         (p->publish.retain ? 1u : 0u));
    case MQTT_PUBREL:
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE: return 2;
    default: return 0;
    }
}

mqtt_err mqtt_encode(uint8_t *buf, size_t cap, size_t *len, const mqtt_packet *p, int version,
                     unsigned opts)
{
    if (!len || !p)
        return MQTT_ERR_ARG;
    *len = 0;
    if (version != MQTT_V311 && version != MQTT_V5)
        return MQTT_ERR_ARG;
    if (p->type < MQTT_CONNECT || p->type > MQTT_AUTH)
        return MQTT_ERR_ARG;

    enc x = {{NULL, 0}, version, !(opts & MQTT_ENC_NO_VALIDATE)};
    TRY(enc_body(&x, p, opts));
    size_t rl = x.w.off;
    if (rl > MQTT_MAX_VARINT)
        return MQTT_ERR_TOO_LARGE;
    size_t total = 1 + mqtt_varint_size((uint32_t)rl) + rl;
    *len = total;
    if (!buf || cap < total)
        return MQTT_ERR_NO_SPACE;

    uint8_t fl = (opts & MQTT_ENC_RAW_FLAGS) ? (uint8_t)(p->flags & 0x0Fu) : header_flags(p);
    x.w.buf = buf;
    x.w.off = 0;
    mqtt_wr_u8(&x.w, (uint8_t)((unsigned)p->type << 4 | fl));
    mqtt_wr_varint(&x.w, (uint32_t)rl);
    TRY(enc_body(&x, p, opts));
    return MQTT_OK;
}
