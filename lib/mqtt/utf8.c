/*
 * utf8.c - MQTT UTF-8 string validation (MQTT 3.1.1 1.5.3, 5.0 1.5.4).
 */
#include "mqtt_internal.h"

#include "utf8.h"

static mqtt_err from_utf8_reason(int reason)
{
    switch (reason) {
    case UTF8_OVERLONG: return MQTT_ERR_UTF8_OVERLONG;
    case UTF8_SURROGATE: return MQTT_ERR_UTF8_SURROGATE;
    case UTF8_RANGE: return MQTT_ERR_UTF8_RANGE;
    default: return MQTT_ERR_UTF8;
    }
}

/* What MQTT adds to well-formedness: U+0000 is an error, controls and
 * noncharacters are reported. */
static unsigned code_point_flags(uint32_t cp)
{
    unsigned flags = 0;
    if (cp < 0x20u || (cp >= 0x7Fu && cp <= 0x9Fu))
        flags |= MQTT_UTF8_HAS_CONTROL;
    if ((cp >= 0xFDD0u && cp <= 0xFDEFu) || (cp & 0xFFFEu) == 0xFFFEu)
        flags |= MQTT_UTF8_HAS_NONCHAR;
    return flags;
}

mqtt_err mqtt_utf8_validate(const uint8_t *s, size_t len, unsigned *info)
{
    unsigned flags = 0;
    mqtt_err err = MQTT_OK;
    if (len > MQTT_MAX_STRING)
        err = MQTT_ERR_STRING_TOO_LONG;
    else if (len && !s)
        err = MQTT_ERR_ARG;
    for (size_t i = 0; err == MQTT_OK && i < len;) {
        uint32_t cp;
        int k = utf8_decode(s + i, len - i, &cp);
        if (k < 0)
            err = from_utf8_reason(k);
        else if (cp == 0)
            err = MQTT_ERR_UTF8_NUL;
        else
            flags |= code_point_flags(cp);
        i += k > 0 ? (size_t)k : 0;
    }
    if (info)
        *info = flags;
    return err;
}
