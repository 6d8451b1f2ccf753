/*
 * Hex digits: one decoder for every program (e4, e4c2's API, its database
 * and key files). Static functions in a header, as utf8.h: no library to
 * link.
 */
#ifndef E4_COMMON_HEX_H
#define E4_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
static inline int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly 2 * n hex digits at hex into n bytes; -1 at the first bad digit
 * (out is then partly written: callers holding secrets wipe it). */
static inline int hex_decode_n(uint8_t *out, size_t n, const char *hex)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit((unsigned char)hex[2 * i]),
            lo = hex_digit((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

#endif
