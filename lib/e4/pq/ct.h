/*
 * Constant-time helpers of lib/e4/pq. The value barrier keeps the compiler
 * from turning a mask computation back into a branch.
 */
#ifndef E4_PQ_CT_H
#define E4_PQ_CT_H

#include <stddef.h>
#include <stdint.h>

static inline uint8_t ct_barrier8(uint8_t x)
{
#if defined(__GNUC__)
    __asm__("" : "+r"(x));
#endif
    return x;
}

/* 0xff when a and b differ anywhere in len bytes, 0 otherwise. */
static inline uint8_t ct_differ_mask(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t d = 0;
    for (size_t i = 0; i < len; i++)
        d |= a[i] ^ b[i];
    d = ct_barrier8(d);
    return (uint8_t)(-(uint32_t)((uint32_t)(d + 0xffu) >> 8)); /* d != 0: 0x1xx >> 8 = 1 */
}

/* dst = mask ? src : dst, for mask 0 or 0xff. */
static inline void ct_select(uint8_t *dst, const uint8_t *src, size_t len, uint8_t mask)
{
    mask = ct_barrier8(mask);
    for (size_t i = 0; i < len; i++)
        dst[i] ^= mask & (dst[i] ^ src[i]);
}

#endif
