/*
 * Password-derived keys (Argon2i, 64 MiB of heap): hosted systems only.
 */
#include "internal.h"

e4_err e4_derive_key(uint8_t key[E4_KEY_LEN], const char *password)
{
    if (!key)
        return E4_ERR_INVALID_ARGUMENT;
    e4_err err = e4_validate_password(password);
    if (err)
        return err;
    return e4c_argon2i_e4(key, (const uint8_t *)password, strlen(password)) ? E4_ERR_NO_MEMORY
                                                                            : E4_OK;
}

e4_err e4_derive_ed25519(uint8_t sk[E4_ED25519_SK_LEN], uint8_t pk[E4_ED25519_PK_LEN],
                         const char *password)
{
    uint8_t seed[32];
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    e4_err err = e4_derive_key(seed, password);
    if (err == E4_OK && e4c_ed25519_seed_keypair(pk, sk, seed) != 0)
        err = E4_ERR_CRYPTO;
    e4c_wipe(seed, sizeof seed);
    return err;
}
