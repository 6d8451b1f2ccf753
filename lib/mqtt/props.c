/*
 * props.c - MQTT 5.0 properties (2.2.2.2): table, iteration, lookup,
 * validation and encoding.
 */
#include "mqtt_internal.h"

#define W (1u << MQTT_PROPS_WILL)
#define P(t) (1u << (t))
#define ACKS (P(MQTT_PUBACK) | P(MQTT_PUBREC) | P(MQTT_PUBREL) | P(MQTT_PUBCOMP))
#define ALL                                                                               \
    (W | P(MQTT_CONNECT) | P(MQTT_CONNACK) | P(MQTT_PUBLISH) | ACKS | P(MQTT_SUBSCRIBE) | \
     P(MQTT_SUBACK) | P(MQTT_UNSUBSCRIBE) | P(MQTT_UNSUBACK) | P(MQTT_DISCONNECT) | P(MQTT_AUTH))

typedef struct prop_info {
    uint8_t type; /* mqtt_prop_type */
    uint16_t where;
    const char *name;
} prop_info;

static const prop_info PROPS[0x2B] = {
    [0x01] = {MQTT_PT_BYTE, P(MQTT_PUBLISH) | W, "Payload Format Indicator"},
    [0x02] = {MQTT_PT_U32, P(MQTT_PUBLISH) | W, "Message Expiry Interval"},
    [0x03] = {MQTT_PT_STRING, P(MQTT_PUBLISH) | W, "Content Type"},
    [0x08] = {MQTT_PT_STRING, P(MQTT_PUBLISH) | W, "Response Topic"},
    [0x09] = {MQTT_PT_BINARY, P(MQTT_PUBLISH) | W, "Correlation Data"},
    [0x0B] = {MQTT_PT_VARINT, P(MQTT_PUBLISH) | P(MQTT_SUBSCRIBE), "Subscription Identifier"},
    [0x11] = {MQTT_PT_U32, P(MQTT_CONNECT) | P(MQTT_CONNACK) | P(MQTT_DISCONNECT),
              "Session Expiry Interval"},
    [0x12] = {MQTT_PT_STRING, P(MQTT_CONNACK), "Assigned Client Identifier"},
    [0x13] = {MQTT_PT_U16, P(MQTT_CONNACK), "Server Keep Alive"},
    [0x15] = {MQTT_PT_STRING, P(MQTT_CONNECT) | P(MQTT_CONNACK) | P(MQTT_AUTH),
              "Authentication Method"},
    [0x16] = {MQTT_PT_BINARY, P(MQTT_CONNECT) | P(MQTT_CONNACK) | P(MQTT_AUTH),
              "Authentication Data"},
    [0x17] = {MQTT_PT_BYTE, P(MQTT_CONNECT), "Request Problem Information"},
    [0x18] = {MQTT_PT_U32, W, "Will Delay Interval"},
    [0x19] = {MQTT_PT_BYTE, P(MQTT_CONNECT), "Request Response Information"},
    [0x1A] = {MQTT_PT_STRING, P(MQTT_CONNACK), "Response Information"},
    [0x1C] = {MQTT_PT_STRING, P(MQTT_CONNACK) | P(MQTT_DISCONNECT), "Server Reference"},
    [0x1F] = {MQTT_PT_STRING,
              P(MQTT_CONNACK) | ACKS | P(MQTT_SUBACK) | P(MQTT_UNSUBACK) | P(MQTT_DISCONNECT) |
                  P(MQTT_AUTH),
              "Reason String"},
    [0x21] = {MQTT_PT_U16, P(MQTT_CONNECT) | P(MQTT_CONNACK), "Receive Maximum"},
    [0x22] = {MQTT_PT_U16, P(MQTT_CONNECT) | P(MQTT_CONNACK), "Topic Alias Maximum"},
    [0x23] = {MQTT_PT_U16, P(MQTT_PUBLISH), "Topic Alias"},
    [0x24] = {MQTT_PT_BYTE, P(MQTT_CONNACK), "Maximum QoS"},
    [0x25] = {MQTT_PT_BYTE, P(MQTT_CONNACK), "Retain Available"},
    [0x26] = {MQTT_PT_PAIR, ALL, "User Property"},
    [0x27] = {MQTT_PT_U32, P(MQTT_CONNECT) | P(MQTT_CONNACK), "Maximum Packet Size"},
    [0x28] = {MQTT_PT_BYTE, P(MQTT_CONNACK), "Wildcard Subscription Available"},
    [0x29] = {MQTT_PT_BYTE, P(MQTT_CONNACK), "Subscription Identifier Available"},
    [0x2A] = {MQTT_PT_BYTE, P(MQTT_CONNACK), "Shared Subscription Available"},
};

mqtt_prop_type mqtt_prop_type_of(uint8_t id)
{
    if (id >= sizeof PROPS / sizeof PROPS[0])
        return MQTT_PT_NONE;
    return (mqtt_prop_type)PROPS[id].type;
}

const char *mqtt_prop_name(uint8_t id)
{
    if (mqtt_prop_type_of(id) == MQTT_PT_NONE)
        return "Unknown";
    return PROPS[id].name;
}

bool mqtt_prop_allowed(uint8_t id, int where)
{
    if (mqtt_prop_type_of(id) == MQTT_PT_NONE || where < 0 || where > 15)
        return false;
    return (PROPS[id].where & (1u << where)) != 0;
}

mqtt_err mqtt__prop_parse(const uint8_t *p, size_t len, size_t *off, mqtt_prop *out)
{
    mqtt_rd r = {p, len, *off};
    mqtt_prop v;
    memset(&v, 0, sizeof v);
    uint8_t id;
    mqtt_err e = mqtt_rd_u8(&r, &id);
    if (e != MQTT_OK)
        return e;
    v.id = id;
    switch (mqtt_prop_type_of(id)) {
    case MQTT_PT_BYTE: {
        uint8_t b;
        e = mqtt_rd_u8(&r, &b);
        v.num = b;
        break;
    }
    case MQTT_PT_U16: {
        uint16_t u;
        e = mqtt_rd_u16(&r, &u);
        v.num = u;
        break;
    }
    case MQTT_PT_U32: e = mqtt_rd_u32(&r, &v.num); break;
    case MQTT_PT_VARINT: e = mqtt_rd_varint(&r, &v.num); break;
    case MQTT_PT_STRING:
    case MQTT_PT_BINARY: e = mqtt_rd_bytes(&r, &v.str); break;
    case MQTT_PT_PAIR:
        e = mqtt_rd_bytes(&r, &v.str);
        if (e == MQTT_OK)
            e = mqtt_rd_bytes(&r, &v.val);
        break;
    default: return MQTT_ERR_PROPERTY;
    }
    if (e != MQTT_OK)
        return e;
    *off = r.off;
    if (out)
        *out = v;
    return MQTT_OK;
}

bool mqtt_props_next(const mqtt_props *p, size_t *off, mqtt_prop *out)
{
    if (!p || !off)
        return false;
    if (p->items) {
        if (*off >= p->count)
            return false;
        if (out)
            *out = p->items[*off];
        (*off)++;
        return true;
    }
    if (*off >= p->raw.len)
        return false;
    return mqtt__prop_parse(p->raw.ptr, p->raw.len, off, out) == MQTT_OK;
}

size_t mqtt_props_count(const mqtt_props *p, uint8_t id)
{
    size_t off = 0, n = 0;
    mqtt_prop v;
    while (mqtt_props_next(p, &off, &v))
        if (v.id == id)
            n++;
    return n;
}

mqtt_err mqtt_props_find(const mqtt_props *p, uint8_t id, mqtt_prop *out)
{
    size_t off = 0;
    mqtt_prop v;
    while (mqtt_props_next(p, &off, &v)) {
        if (v.id == id) {
            if (out)
                *out = v;
            return MQTT_OK;
        }
    }
    return MQTT_ERR_NOT_FOUND;
}

mqtt_err mqtt_props_get_int(const mqtt_props *p, uint8_t id, uint32_t *out)
{
    mqtt_prop_type t = mqtt_prop_type_of(id);
    if (t != MQTT_PT_BYTE && t != MQTT_PT_U16 && t != MQTT_PT_U32 && t != MQTT_PT_VARINT)
        return MQTT_ERR_PROPERTY;
    mqtt_prop v;
    mqtt_err e = mqtt_props_find(p, id, &v);
    if (e == MQTT_OK && out)
        *out = v.num;
    return e;
}

mqtt_err mqtt_props_get_bytes(const mqtt_props *p, uint8_t id, mqtt_bytes *out)
{
    mqtt_prop_type t = mqtt_prop_type_of(id);
    if (t != MQTT_PT_STRING && t != MQTT_PT_BINARY && t != MQTT_PT_PAIR)
        return MQTT_ERR_PROPERTY;
    mqtt_prop v;
    mqtt_err e = mqtt_props_find(p, id, &v);
    if (e == MQTT_OK && out)
        *out = v.str;
    return e;
}

/* Check one property's value; *seen tracks identifiers for duplicates. */
static mqtt_err check_one(const mqtt_prop *v, int where, uint64_t *seen)
{
    mqtt_prop_type t = mqtt_prop_type_of(v->id);
    if (t == MQTT_PT_NONE)
        return MQTT_ERR_PROPERTY;
    if (where >= 0 && !mqtt_prop_allowed(v->id, where))
        return MQTT_ERR_PROPERTY;
    uint64_t bit = (uint64_t)1 << v->id;
    bool repeatable =
        v->id == MQTT_PROP_USER_PROPERTY ||
        (v->id == MQTT_PROP_SUBSCRIPTION_IDENTIFIER && (where == MQTT_PUBLISH || where < 0));
    if ((*seen & bit) && !repeatable)
        return MQTT_ERR_PROPERTY_DUP;
    *seen |= bit;

    mqtt_err e;
    switch (t) {
    case MQTT_PT_BYTE:
        if (v->num > 1) /* every byte property is 0 or 1 */
            return MQTT_ERR_PROPERTY_VALUE;
        break;
    case MQTT_PT_U16:
        if (v->num > 0xFFFFu)
            return MQTT_ERR_PROPERTY_VALUE;
        if (v->num == 0 && (v->id == MQTT_PROP_RECEIVE_MAXIMUM || v->id == MQTT_PROP_TOPIC_ALIAS))
            return MQTT_ERR_PROPERTY_VALUE;
        break;
    case MQTT_PT_U32:
        if (v->num == 0 && v->id == MQTT_PROP_MAXIMUM_PACKET_SIZE)
            return MQTT_ERR_PROPERTY_VALUE;
        break;
    case MQTT_PT_VARINT:
        if (v->num == 0 || v->num > MQTT_MAX_VARINT)
            return MQTT_ERR_PROPERTY_VALUE;
        break;
    case MQTT_PT_STRING:
        e = mqtt_utf8_validate(v->str.ptr, v->str.len, NULL);
        if (e != MQTT_OK)
            return e;
        if (v->id == MQTT_PROP_RESPONSE_TOPIC &&
            mqtt_topic_name_validate(v->str.ptr, v->str.len) != MQTT_OK)
            return MQTT_ERR_PROPERTY_VALUE;
        break;
    case MQTT_PT_BINARY:
        if (v->str.len > MQTT_MAX_STRING)
            return MQTT_ERR_STRING_TOO_LONG;
        break;
    case MQTT_PT_PAIR:
        e = mqtt_utf8_validate(v->str.ptr, v->str.len, NULL);
        if (e == MQTT_OK)
            e = mqtt_utf8_validate(v->val.ptr, v->val.len, NULL);
        if (e != MQTT_OK)
            return e;
        break;
    default: return MQTT_ERR_PROPERTY;
    }
    return MQTT_OK;
}

mqtt_err mqtt__props_check_raw(const uint8_t *p, size_t len, int where, size_t *count)
{
    uint64_t seen = 0;
    size_t off = 0, n = 0;
    while (off < len) {
        mqtt_prop v;
        mqtt_err e = mqtt__prop_parse(p, len, &off, &v);
        if (e == MQTT_OK)
            e = check_one(&v, where, &seen);
        if (e != MQTT_OK)
            return e;
        n++;
    }
    if (count)
        *count = n;
    return MQTT_OK;
}

mqtt_err mqtt_props_validate(const mqtt_props *p, int where)
{
    if (!p)
        return MQTT_ERR_ARG;
    if (p->items) {
        uint64_t seen = 0;
        for (size_t i = 0; i < p->count; i++) {
            mqtt_err e = check_one(&p->items[i], where, &seen);
            if (e != MQTT_OK)
                return e;
        }
        return MQTT_OK;
    }
    if (p->raw.len && !p->raw.ptr)
        return MQTT_ERR_ARG;
    return mqtt__props_check_raw(p->raw.ptr, p->raw.len, where, NULL);
}

mqtt_err mqtt_props_size(const mqtt_props *p, size_t *size)
{
    if (!p || !size)
        return MQTT_ERR_ARG;
    if (!p->items) {
        *size = p->raw.len;
        return MQTT_OK;
    }
    size_t n = 0;
    for (size_t i = 0; i < p->count; i++) {
        const mqtt_prop *v = &p->items[i];
        n += 1;
        switch (mqtt_prop_type_of(v->id)) {
        case MQTT_PT_BYTE: n += 1; break;
        case MQTT_PT_U16: n += 2; break;
        case MQTT_PT_U32: n += 4; break;
        case MQTT_PT_VARINT:
            if (v->num > MQTT_MAX_VARINT)
                return MQTT_ERR_PROPERTY_VALUE;
            n += mqtt_varint_size(v->num);
            break;
        case MQTT_PT_STRING:
        case MQTT_PT_BINARY:
            if (v->str.len > MQTT_MAX_STRING)
                return MQTT_ERR_STRING_TOO_LONG;
            n += 2 + v->str.len;
            break;
        case MQTT_PT_PAIR:
            if (v->str.len > MQTT_MAX_STRING || v->val.len > MQTT_MAX_STRING)
                return MQTT_ERR_STRING_TOO_LONG;
            n += 4 + v->str.len + v->val.len;
            break;
        default: return MQTT_ERR_PROPERTY;
        }
    }
    *size = n;
    return MQTT_OK;
}

void mqtt__props_write(mqtt_wr *w, const mqtt_props *p)
{
    if (!p->items) {
        mqtt_wr_raw(w, p->raw.ptr, p->raw.len);
        return;
    }
    for (size_t i = 0; i < p->count; i++) {
        const mqtt_prop *v = &p->items[i];
        mqtt_wr_u8(w, v->id);
        switch (mqtt_prop_type_of(v->id)) {
        case MQTT_PT_BYTE: mqtt_wr_u8(w, (uint8_t)v->num); break;
        case MQTT_PT_U16: mqtt_wr_u16(w, (uint16_t)v->num); break;
        case MQTT_PT_U32: mqtt_wr_u32(w, v->num); break;
        case MQTT_PT_VARINT: mqtt_wr_varint(w, v->num); break;
        case MQTT_PT_STRING:
        case MQTT_PT_BINARY: mqtt_wr_bytes(w, v->str); break;
        case MQTT_PT_PAIR:
            mqtt_wr_bytes(w, v->str);
            mqtt_wr_bytes(w, v->val);
            break;
        default: break;
        }
    }
}

mqtt_err mqtt_props_encode(uint8_t *buf, size_t cap, size_t *len, const mqtt_props *p)
{
    size_t n = 0;
    if (!len || !p)
        return MQTT_ERR_ARG;
    mqtt_err e = mqtt_props_size(p, &n);
    if (e != MQTT_OK)
        return e;
    *len = n;
    if (cap < n || (n && !buf))
        return MQTT_ERR_NO_SPACE;
    mqtt_wr w = {buf, 0};
    mqtt__props_write(&w, p);
    return MQTT_OK;
}

mqtt_err mqtt_props_copy_except(mqtt_prop *out, size_t cap, size_t *count, const mqtt_props *in,
                                const uint8_t *drop, size_t ndrop)
{
    size_t off = 0, n = 0;
    mqtt_prop v;

    if (!count || !in || (cap && !out) || (ndrop && !drop))
        return MQTT_ERR_ARG;
    while (mqtt_props_next(in, &off, &v)) {
        if (ndrop && memchr(drop, v.id, ndrop))
            continue;
        if (n < cap)
            out[n] = v;
        n++;
    }
    *count = n;
    return n > cap ? MQTT_ERR_NO_SPACE : MQTT_OK;
}
