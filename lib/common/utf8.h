/*
 * utf8.h - THE UTF-8 decoder of the project (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), shared by libe4 (names,
 * passwords), the MQTT codec (which adds MQTT's own rules on top), the e4
 * tool (is a payload printable text?) and e4ctl. Header-only and
 * dependency-free, so libe4 keeps building for microcontrollers and no two
 * libraries linked together define the same symbol.
 */
#ifndef E4_COMMON_UTF8_H
#define E4_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a sequence is not well-formed (negative, so a length is never one). */
enum {
    UTF8_ILLEGAL = -1,   /* a continuation or invalid lead byte, or a bad continuation */
    UTF8_TRUNCATED = -2, /* the input ends inside the sequence */
    UTF8_OVERLONG = -3,  /* a longer encoding than the code point needs */
    UTF8_SURROGATE = -4, /* U+D800..U+DFFF */
    UTF8_RANGE = -5      /* above U+10FFFF */
};

/* Decodes the sequence at s (n >= 1 bytes left): its length (1..4) with
 * *cp set, or one of the UTF8_* reasons. */
static inline int utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    static const uint32_t min[5] = {0, 0, 0x80u, 0x800u, 0x10000u};
    uint8_t c = s[0];
    int len = c < 0x80u ? 1 : c < 0xC0u ? 0 : c < 0xE0u ? 2 : c < 0xF0u ? 3 : c < 0xF8u ? 4 : 0;
    if (len == 0)
        return UTF8_ILLEGAL;
    uint32_t v = len == 1 ? c : c & (0x7Fu >> len);
    if ((size_t)len > n)
        return UTF8_TRUNCATED;
    for (int k = 1; k < len; k++) {
        if ((s[k] & 0xC0u) != 0x80u)
            return UTF8_ILLEGAL;
        v = v << 6 | (s[k] & 0x3Fu);
    }
    *cp = v;
    if (v < min[len])
        return UTF8_OVERLONG;
    if (v >= 0xD800u && v <= 0xDFFFu)
        return UTF8_SURROGATE;
    return v > 0x10FFFFu ? UTF8_RANGE : len;
}

/* Well-formed UTF-8 without U+0000 (which C strings, MQTT and E4 names
 * cannot carry). */
static inline bool utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = utf8_decode(s + i, n - i, &cp);
        if (k < 0 || cp == 0)
            return false;
        i += (size_t)k;
    }
    return true;
}

#endif
