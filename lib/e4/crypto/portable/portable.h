/*
 * Internals of the portable crypto backend, shared by its files and by the
 * differential test (tests/unit/test_crypto_diff.c). Not part of libe4's API.
 */
#ifndef E4_PORTABLE_H
#define E4_PORTABLE_H

#include <stddef.h>
#include <stdint.h>

/* The few-instruction helpers of the inner loops, inlined even at -Os
 * (a call costs as much as their body: measured 2x on protect). */
#if defined(__GNUC__)
#define E4P_INLINE static inline __attribute__((always_inline))
#else
#define E4P_INLINE static inline
#endif

#define E4P_AES256_ROUNDS 14
#define E4P_AES256_RK_WORDS (4 * (E4P_AES256_ROUNDS + 1))

/* AES-256 (FIPS 197), encryption only: CMAC, S2V and CTR never decrypt. */
typedef struct e4p_aes256 {
    uint32_t rk[E4P_AES256_RK_WORDS];
} e4p_aes256;

void e4p_aes256_init(e4p_aes256 *ctx, const uint8_t key[32]);
void e4p_aes256_encrypt(const e4p_aes256 *ctx, const uint8_t in[16], uint8_t out[16]);

/* AES-256-CMAC (RFC 4493) over m, one shot. */
void e4p_cmac(const uint8_t key[32], const uint8_t *m, size_t n, uint8_t out[16]);

void e4p_wipe(void *p, size_t len);

#endif
