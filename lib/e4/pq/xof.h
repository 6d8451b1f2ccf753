/*
 * The samplers of lib/e4/pq all start the same way: SHAKE128 or SHAKE256
 * over a seed and a short index (FIPS 203's rho || j || i, FIPS 204's
 * rho || s || r and rho' || IntegerToBytes(r, 2)).
 */
#ifndef E4_PQ_XOF_H
#define E4_PQ_XOF_H

#include "crypto.h"

enum { PQ_SHAKE128 = 128, PQ_SHAKE256 = 256 };

static inline void pq_xof_seeded(e4c_xof *x, int which, const uint8_t *seed, size_t seed_len,
                                 const uint8_t *idx, size_t idx_len)
{
    if (which == PQ_SHAKE128)
        e4c_shake128_init(x);
    else
        e4c_shake256_init(x);
    e4c_xof_absorb(x, seed, seed_len);
    e4c_xof_absorb(x, idx, idx_len);
}

#endif
