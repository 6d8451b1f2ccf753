/*
 * The CRC-32 that ends a saved state (IEEE 802.3, reflected, as zlib's),
 * written independently of lib/e4/storage.c so the tests check it rather
 * than share its mistakes. Used to forge damaged files that still pass the
 * checksum, so the checks behind it are reached.
 */
#ifndef E4_SUPPORT_CRC32_H
#define E4_SUPPORT_CRC32_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t support_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c >> 1 ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

/* Rewrites the last 4 bytes of p[0..n) as the CRC-32 of the rest (LE). */
static inline void support_fix_crc32(uint8_t *p, size_t n)
{
    uint32_t c = support_crc32(p, n - 4);
    for (int i = 0; i < 4; i++)
        p[n - 4 + i] = (uint8_t)(c >> 8 * i);
}

#endif
