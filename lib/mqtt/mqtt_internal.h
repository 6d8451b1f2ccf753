/*
 * mqtt_internal.h - helpers shared by the lib/mqtt sources (not public).
 */
#ifndef E4_MQTT_INTERNAL_H
#define E4_MQTT_INTERNAL_H

#include "mqtt.h"

/* Bounded reader over one packet body. */
typedef struct mqtt_rd {
    const uint8_t *p;
    size_t len;
    size_t off;
} mqtt_rd;

static inline size_t mqtt_rd_left(const mqtt_rd *r)
{
    return r->len - r->off;
}

static inline mqtt_err mqtt_rd_u8(mqtt_rd *r, uint8_t *v)
{
    if (mqtt_rd_left(r) < 1)
        return MQTT_ERR_TRUNCATED;
    *v = r->p[r->off++];
    return MQTT_OK;
}

static inline mqtt_err mqtt_rd_u16(mqtt_rd *r, uint16_t *v)
{
    if (mqtt_rd_left(r) < 2)
        return MQTT_ERR_TRUNCATED;
    *v = (uint16_t)((r->p[r->off] << 8) | r->p[r->off + 1]);
    r->off += 2;
    return MQTT_OK;
}

static inline mqtt_err mqtt_rd_u32(mqtt_rd *r, uint32_t *v)
{
    if (mqtt_rd_left(r) < 4)
        return MQTT_ERR_TRUNCATED;
    const uint8_t *b = r->p + r->off;
    *v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    r->off += 4;
    return MQTT_OK;
}

static inline mqtt_err mqtt_rd_varint(mqtt_rd *r, uint32_t *v)
{
    size_t used = 0;
    mqtt_err e = mqtt_varint_decode(r->p + r->off, mqtt_rd_left(r), v, &used);
    if (e == MQTT_NEED_MORE)
        return MQTT_ERR_TRUNCATED;
    if (e != MQTT_OK)
        return e;
    r->off += used;
    return MQTT_OK;
}

/* Two-byte length prefixed field (string or binary data). */
static inline mqtt_err mqtt_rd_bytes(mqtt_rd *r, mqtt_bytes *out)
{
    uint16_t n;
    mqtt_err e = mqtt_rd_u16(r, &n);
    if (e != MQTT_OK)
        return e;
    if (mqtt_rd_left(r) < n)
        return MQTT_ERR_TRUNCATED;
    out->ptr = r->p + r->off;
    out->len = n;
    r->off += n;
    return MQTT_OK;
}

/* Writer; with buf == NULL it only counts. */
typedef struct mqtt_wr {
    uint8_t *buf;
    size_t off;
} mqtt_wr;

static inline void mqtt_wr_u8(mqtt_wr *w, uint8_t v)
{
    if (w->buf)
        w->buf[w->off] = v;
    w->off++;
}

static inline void mqtt_wr_u16(mqtt_wr *w, uint16_t v)
{
    mqtt_wr_u8(w, (uint8_t)(v >> 8));
    mqtt_wr_u8(w, (uint8_t)v);
}

static inline void mqtt_wr_u32(mqtt_wr *w, uint32_t v)
{
    mqtt_wr_u8(w, (uint8_t)(v >> 24));
    mqtt_wr_u8(w, (uint8_t)(v >> 16));
    mqtt_wr_u8(w, (uint8_t)(v >> 8));
    mqtt_wr_u8(w, (uint8_t)v);
}

static inline void mqtt_wr_varint(mqtt_wr *w, uint32_t v)
{
    uint8_t tmp[4];
    size_t n = mqtt_varint_encode(tmp, v);
    for (size_t i = 0; i < n; i++)
        mqtt_wr_u8(w, tmp[i]);
}

static inline void mqtt_wr_raw(mqtt_wr *w, const uint8_t *p, size_t n)
{
    if (w->buf && n)
        memcpy(w->buf + w->off, p, n);
    w->off += n;
}

/* Caller checked n <= 65535. */
static inline void mqtt_wr_bytes(mqtt_wr *w, mqtt_bytes b)
{
    mqtt_wr_u16(w, (uint16_t)b.len);
    mqtt_wr_raw(w, b.ptr, b.len);
}

static inline bool mqtt_props_empty(const mqtt_props *p)
{
    return (p->items == NULL || p->count == 0) && p->raw.len == 0;
}

/* props.c: parse one property of a raw list at *off. */
mqtt_err mqtt__prop_parse(const uint8_t *p, size_t len, size_t *off, mqtt_prop *out);
/* props.c: validate a raw list; *count = number of properties. */
mqtt_err mqtt__props_check_raw(const uint8_t *p, size_t len, int where, size_t *count);
/* props.c: write the property list (no length prefix); list already sized. */
void mqtt__props_write(mqtt_wr *w, const mqtt_props *p);

/* codec_decode.c: validate the encoded SUBSCRIBE entries / UNSUBSCRIBE filters. */
mqtt_err mqtt__subs_check(const uint8_t *p, size_t len, int version, size_t *count);
mqtt_err mqtt__unsubs_check(const uint8_t *p, size_t len, size_t *count);

#endif
