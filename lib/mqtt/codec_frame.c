/*
 * codec_frame.c - variable byte integers and stream framing.
 */
#include "mqtt_internal.h"

size_t mqtt_varint_size(uint32_t v)
{
    if (v < 128u)
        return 1;
    if (v < 16384u)
        return 2;
    if (v < 2097152u)
        return 3;
    if (v <= MQTT_MAX_VARINT)
        return 4;
    return 0;
}

size_t mqtt_varint_encode(uint8_t out[4], uint32_t v)
{
    if (v > MQTT_MAX_VARINT)
        return 0;
    size_t n = 0;
    do {
        uint8_t b = (uint8_t)(v & 0x7Fu);
        v >>= 7;
        if (v)
            b |= 0x80u;
        out[n++] = b;
    } while (v);
    return n;
}

mqtt_err mqtt_varint_decode(const uint8_t *buf, size_t len, uint32_t *value, size_t *used)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        if (i >= len)
            return MQTT_NEED_MORE;
        uint8_t b = buf[i];
        v |= (uint32_t)(b & 0x7Fu) << (7 * i);
        if (!(b & 0x80u)) {
            if (value)
                *value = v;
            if (used)
                *used = i + 1;
            return MQTT_OK;
        }
    }
    return MQTT_ERR_MALFORMED_LENGTH;
}

mqtt_err mqtt_frame(const uint8_t *buf, size_t len, size_t max_packet, size_t *packet_len)
{
    if (packet_len)
        *packet_len = 0;
    if (len == 0)
        return MQTT_NEED_MORE;
    if (!buf)
        return MQTT_ERR_ARG;
    uint32_t rl = 0;
    size_t used = 0;
    mqtt_err e = mqtt_varint_decode(buf + 1, len - 1, &rl, &used);
    if (e != MQTT_OK)
        return e; /* MQTT_NEED_MORE or MQTT_ERR_MALFORMED_LENGTH */
    size_t total = 1 + used + (size_t)rl;
    if (max_packet && total > max_packet)
        return MQTT_ERR_TOO_LARGE;
    if (packet_len)
        *packet_len = total;
    return len < total ? MQTT_NEED_MORE : MQTT_OK;
}
