/*
 * utf8.c - MQTT UTF-8 string validation (MQTT 3.1.1 1.5.3, 5.0 1.5.4).
 */
#include "mqtt_internal.h"

mqtt_err mqtt_utf8_validate(const uint8_t *s, size_t len, unsigned *info)
{
    unsigned flags = 0;
    mqtt_err err = MQTT_OK;
    if (len > MQTT_MAX_STRING) {
        err = MQTT_ERR_STRING_TOO_LONG;
        goto out;
    }
    if (len && !s) {
        err = MQTT_ERR_ARG;
        goto out;
    }
    for (size_t i = 0; i < len;) {
        uint8_t c = s[i];
        if (c < 0x80u) {
            if (c == 0) {
                err = MQTT_ERR_UTF8_NUL;
                goto out;
            }
            if (c < 0x20u || c == 0x7Fu)
                flags |= MQTT_UTF8_HAS_CONTROL;
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if (c < 0xC0u) { /* stray continuation byte */
            err = MQTT_ERR_UTF8;
            goto out;
        } else if (c < 0xE0u) {
            need = 1;
            cp = c & 0x1Fu;
            min = 0x80u;
        } else if (c < 0xF0u) {
            need = 2;
            cp = c & 0x0Fu;
            min = 0x800u;
        } else if (c < 0xF8u) {
            need = 3;
            cp = c & 0x07u;
            min = 0x10000u;
        } else {
            err = MQTT_ERR_UTF8;
            goto out;
        }
        if (len - i - 1 < need) {
            err = MQTT_ERR_UTF8; /* truncated sequence */
            goto out;
        }
        for (size_t k = 1; k <= need; k++) {
            uint8_t b = s[i + k];
            if ((b & 0xC0u) != 0x80u) {
                err = MQTT_ERR_UTF8;
                goto out;
            }
            cp = (cp << 6) | (b & 0x3Fu);
        }
        if (cp < min) {
            err = MQTT_ERR_UTF8_OVERLONG;
            goto out;
        }
        if (cp >= 0xD800u && cp <= 0xDFFFu) {
            err = MQTT_ERR_UTF8_SURROGATE;
            goto out;
        }
        if (cp > 0x10FFFFu) {
            err = MQTT_ERR_UTF8_RANGE;
            goto out;
        }
        if (cp <= 0x9Fu)
            flags |= MQTT_UTF8_HAS_CONTROL;
        if ((cp >= 0xFDD0u && cp <= 0xFDEFu) || (cp & 0xFFFEu) == 0xFFFEu)
            flags |= MQTT_UTF8_HAS_NONCHAR;
        i += need + 1;
    }
out:
    if (info)
        *info = flags;
    return err;
}
