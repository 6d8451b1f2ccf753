/*
 * The rest of the portable backend: setup, randomness through the caller's
 * hook, memory hygiene, and public-key mode, which this backend does not
 * implement (every PK entry point of libe4 answers E4_ERR_UNSUPPORTED).
 */
#include "crypto.h"
#include "portable.h"

static e4c_random_fn random_fn;
static void *random_ctx;

int e4c_init(void)
{
    return 0;
}

int e4c_has_pk(void)
{
    return 0;
}

void e4c_set_random(e4c_random_fn fn, void *ctx)
{
    random_fn = fn;
    random_ctx = ctx;
}

/* No source, or a failing one: stop rather than return predictable bytes
 * that would become keys. __builtin_trap needs no libc (a fault on
 * Cortex-M, which the device's fault handler sees). */
void e4c_random(void *buf, size_t len)
{
    if (!random_fn || random_fn(random_ctx, buf, len) != 0)
        __builtin_trap();
}

/* Volatile stores: the compiler may not drop them as dead. */
void e4p_wipe(void *p, size_t len)
{
    volatile uint8_t *v = p;
    for (size_t i = 0; i < len; i++)
        v[i] = 0;
}

void e4c_wipe(void *p, size_t len)
{
    e4p_wipe(p, len);
}

int e4c_memeq(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < len; i++)
        d |= x[i] ^ y[i];
    return (1 & ((d - 1u) >> 8)) == 1;
}

/* ---- public-key mode: not in this backend ---------------------------- */

int e4c_ed25519_seed_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32])
{
    return -1;
}

int e4c_ed25519_sign(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t sk[64])
{
    return -1;
}

int e4c_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t pk[32])
{
    return -1;
}

int e4c_x25519(uint8_t shared[32], const uint8_t sk[32], const uint8_t pk[32])
{
    return -1;
}

int e4c_x25519_base(uint8_t pk[32], const uint8_t sk[32])
{
    return -1;
}

int e4c_ed25519_sk_to_x25519(uint8_t x_sk[32], const uint8_t ed_sk[64])
{
    return -1;
}

int e4c_ed25519_pk_to_x25519(uint8_t x_pk[32], const uint8_t ed_pk[32])
{
    return -1;
}

/* ---- AES-GCM (the FIPS suites): not in this backend -------------------- */

int e4c_has_gcm(void)
{
    return 0;
}

int e4c_gcm_seal(const uint8_t key[32], const uint8_t iv[12], const uint8_t *ad, size_t ad_len,
                 const uint8_t *plain, size_t n, uint8_t *out)
{
    return -1;
}

int e4c_gcm_open(const uint8_t key[32], const uint8_t iv[12], const uint8_t *ad, size_t ad_len,
                 const uint8_t *in, size_t n, uint8_t *out)
{
    return -1;
}

/* ---- P-256 (the fips-pk suite): not in this backend -------------------- */

int e4c_has_p256(void)
{
    return 0;
}

int e4c_p256_public(uint8_t pk[33], const uint8_t sk[32])
{
    return -1;
}

int e4c_p256_sign(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t sk[32])
{
    return -1;
}

int e4c_p256_verify(const uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t pk[33])
{
    return -1;
}

int e4c_p256_ecdh(uint8_t z[32], const uint8_t sk[32], const uint8_t peer_pk[33])
{
    return -1;
}

int e4c_p256_check_public(const uint8_t pk[33])
{
    return -1;
}
