/*
 * The P-256 values every fips-pk check must refuse (issue 12's "ECDSA edge
 * cases"), made from a good signature or public key, for the tests of the
 * backend, the stateless format and the state: high-S twins, r or s of 0, n
 * or 2^256 - 1; public keys with a wrong prefix (00 is the point at
 * infinity's, 04 the uncompressed form's), x = p or 2^256 - 1 (not field
 * elements), and an x with no point on the curve. Include after <cmocka.h>
 * and libe4's "crypto.h".
 */
#ifndef E4_TESTS_P256_CASES_H
#define E4_TESTS_P256_CASES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* n, the order of the base point, and p, the field prime, big-endian. */
static const uint8_t P256_ORDER[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
static const uint8_t P256_PRIME[32] = {
    0xff, 0xff, 0xff, 0xff, 0,    0,    0,    1,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* out = n - x, big-endian 32 bytes (x < n). */
static inline void p256_negate_mod_n(uint8_t out[32], const uint8_t x[32])
{
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = P256_ORDER[i] - x[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

#define P256_BAD_SIGS 7

/* The high-S twin (r, n - s) of a valid low-S sig, then r and s each set to
 * 0, n and 2^256 - 1. */
static inline void p256_bad_sigs(uint8_t bad[P256_BAD_SIGS][64], const uint8_t sig[64])
{
    for (int i = 0; i < P256_BAD_SIGS; i++)
        memcpy(bad[i], sig, 64);
    p256_negate_mod_n(bad[0] + 32, sig + 32);
    for (int f = 0; f < 2; f++) {
        memset(bad[1 + 3 * f] + 32 * f, 0, 32);
        memcpy(bad[2 + 3 * f] + 32 * f, P256_ORDER, 32);
        memset(bad[3 + 3 * f] + 32 * f, 0xff, 32);
    }
}

#define P256_BAD_KEYS 8

/* 33-byte values that are not a compressed point, made from a good key:
 * five wrong prefixes, x = p, x = 2^256 - 1, and good's x with its last
 * byte changed until no point has it (about half of all x have none; ECDH
 * with the scalar 1 tells). */
static inline void p256_bad_keys(uint8_t bad[P256_BAD_KEYS][33], const uint8_t good[33])
{
    static const uint8_t prefixes[] = {0x00, 0x01, 0x04, 0x05, 0xff};
    size_t n = 0;
    for (; n < sizeof prefixes; n++) {
        memcpy(bad[n], good, 33);
        bad[n][0] = prefixes[n];
    }
    bad[n][0] = 0x02, memcpy(bad[n++] + 1, P256_PRIME, 32);
    bad[n][0] = 0x03, memset(bad[n++] + 1, 0xff, 32);
    uint8_t one[32] = {[31] = 1}, z[32];
    for (int x = 1; x < 256; x++) {
        memcpy(bad[n], good, 33);
        bad[n][32] ^= (uint8_t)x;
        if (e4c_p256_ecdh(z, one, bad[n]) != 0)
            return;
    }
    fail_msg("no x off the curve near the good key");
}

#endif
