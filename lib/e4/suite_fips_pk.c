/*
 * The fips-pk suite's message format and command key (spec e4-suites.md),
 * stateless: fips-sk's AES-256-GCM under the topic key, the signer's id,
 * and an ECDSA P-256 / SHA-256 signature over everything before it.
 *
 *   message = 0xE4 || 0x11 || ts(8) || signer_id(16) || iv(12) || C(n)
 *             || tag(16) || sig(64)
 *   C, tag  = AES-256-GCM(topic key, iv, AD = the 10-byte header, P)
 *
 * The spec gives the GCM associated data only for fips-sk; here it is the
 * same header (the signature covers the signer id and everything else).
 */
#include "internal.h"

#define HEADER E4_SUITE_HEADER_LEN
#define ID_AT HEADER
#define IV_AT (ID_AT + E4_ID_LEN)
#define C_AT (IV_AT + E4_GCM_IV_LEN)

static const char kdf_label[] = "E4 fips-pk command key v1";

e4_err e4_fips_pk_protect(const uint8_t key[E4_KEY_LEN], const uint8_t signer_id[E4_ID_LEN],
                          const uint8_t sign_sk[E4_P256_SK_LEN], uint64_t ts,
                          const uint8_t iv[E4_GCM_IV_LEN], const uint8_t *plain, size_t plain_len,
                          uint8_t *out)
{
    if (!key || !signer_id || !sign_sk || !out || (!plain && plain_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_gcm() || !e4c_has_p256())
        return E4_ERR_UNSUPPORTED;
    e4_err err = e4i_check_protect(key, ts, plain_len);
    if (err)
        return err;
    out[0] = E4_SUITE_MAGIC;
    out[1] = E4_SUITE_FIPS_PK;
    e4i_store64le(out + 2, ts);
    memcpy(out + ID_AT, signer_id, E4_ID_LEN);
    if (iv)
        memcpy(out + IV_AT, iv, E4_GCM_IV_LEN);
    else
        e4c_random(out + IV_AT, E4_GCM_IV_LEN);
    const size_t signed_len = C_AT + plain_len + E4_TAG_LEN;
    if (e4c_gcm_seal(key, out + IV_AT, out, HEADER, plain, plain_len, out + C_AT) != 0)
        return E4_ERR_CRYPTO;
    if (e4c_p256_sign(out + signed_len, out, signed_len, sign_sk) != 0) {
        e4c_wipe(out, signed_len);
        return E4_ERR_INVALID_KEY; /* a scalar outside [1, n-1] */
    }
    return E4_OK;
}

e4_err e4_fips_pk_signer(uint8_t id[E4_ID_LEN], const uint8_t *in, size_t in_len)
{
    if (!id || (!in && in_len))
        return E4_ERR_INVALID_ARGUMENT;
    e4_err err = e4i_check_suite_header(in, in_len, E4_SUITE_FIPS_PK, E4_FIPS_PK_OVERHEAD);
    if (err == E4_OK)
        memcpy(id, in + ID_AT, E4_ID_LEN);
    return err;
}

e4_err e4_fips_pk_unprotect(const uint8_t key[E4_KEY_LEN], const uint8_t signer_pk[E4_P256_PK_LEN],
                            const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len,
                            uint64_t now, uint32_t skew)
{
    if (!key || !signer_pk || (!in && in_len) || !out || !out_len)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_gcm() || !e4c_has_p256())
        return E4_ERR_UNSUPPORTED;
    if (e4i_is_zero(key, E4_KEY_LEN))
        return E4_ERR_ZERO_KEY;
    e4_err err = e4i_check_suite_header(in, in_len, E4_SUITE_FIPS_PK, E4_FIPS_PK_OVERHEAD);
    if (err == E4_OK)
        err = e4i_check_timestamp(e4i_load64le(in + 2), now, skew);
    if (err)
        return err;
    const size_t signed_len = in_len - E4_P256_SIG_LEN;
    if (e4c_p256_verify(in + signed_len, in, signed_len, signer_pk) != 0)
        return E4_ERR_INVALID_SIGNATURE;
    return e4i_fips_pk_decrypt(key, in, in_len, out, out_len);
}

e4_err e4i_fips_pk_decrypt(const uint8_t key[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                           uint8_t *out, size_t *out_len)
{
    const size_t n = in_len - E4_FIPS_PK_OVERHEAD;
    if (e4c_gcm_open(key, in + IV_AT, in, HEADER, in + C_AT, n, out) != 0)
        return E4_ERR_NOT_AUTHENTIC;
    *out_len = n;
    return E4_OK;
}

e4_err e4_fips_pk_command_key(uint8_t key[E4_KEY_LEN], const uint8_t agree_sk[E4_P256_SK_LEN],
                              const uint8_t peer_agree_pk[E4_P256_PK_LEN])
{
    if (!key || !agree_sk || !peer_agree_pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_p256())
        return E4_ERR_UNSUPPORTED;
    uint8_t in[4 + 32 + sizeof kdf_label - 1] = {0, 0, 0, 1}; /* counter 1, big-endian */
    if (e4c_p256_ecdh(in + 4, agree_sk, peer_agree_pk) != 0)
        return E4_ERR_INVALID_KEY;
    memcpy(in + 36, kdf_label, sizeof kdf_label - 1);
    e4c_sha3_256(key, in, sizeof in);
    e4c_wipe(in, sizeof in);
    return E4_OK;
}

e4_err e4_p256_keypair(uint8_t sk[E4_P256_SK_LEN], uint8_t pk[E4_P256_PK_LEN])
{
    if (!sk || !pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_p256())
        return E4_ERR_UNSUPPORTED;
    for (int tries = 0; tries < 64; tries++) { /* a draw >= n: probability 2^-32 */
        e4c_random(sk, E4_P256_SK_LEN);
        if (e4c_p256_public(pk, sk) == 0)
            return E4_OK;
    }
    e4c_wipe(sk, E4_P256_SK_LEN);
    return E4_ERR_CRYPTO;
}
