/*
 * SHA3-256 of the portable backend: the one Keccak of libe4
 * (crypto/keccak.c), which is written for devices already (no table
 * lookups indexed by data, no heap).
 */
#include "crypto.h"

void e4c_sha3_256_cat(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
    e4c_keccak_sha3_256(out, a, alen, b, blen);
}

void e4c_sha3_256(uint8_t out[32], const void *in, size_t len)
{
    e4c_keccak_sha3_256(out, in, len, NULL, 0);
}
