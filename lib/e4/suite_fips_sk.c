/*
 * The fips-sk suite (spec e4-suites.md): the base SK protocol with
 * AES-256-GCM for AES-SIV and an authenticated header in front.
 *
 *   message = 0xE4 || 0x10 || ts(8) || iv(12) || C(n) || tag(16)
 *   C, tag  = AES-256-GCM(key, iv, AD = the 10-byte header, P)
 *
 * The iv is 96 fresh random bits per message (SP 800-38D 8.2.2); replay
 * detection uses the tag, which differs between equal plaintexts.
 */
#include "internal.h"

#define HEADER E4_SUITE_HEADER_LEN
#define IV_AT HEADER
#define C_AT (HEADER + E4_GCM_IV_LEN)

e4_err e4_fips_sk_protect(const uint8_t key[E4_KEY_LEN], uint64_t ts,
                          const uint8_t iv[E4_GCM_IV_LEN], const uint8_t *plain, size_t plain_len,
                          uint8_t *out)
{
    if (!key || !out || (!plain && plain_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_gcm())
        return E4_ERR_UNSUPPORTED;
    e4_err err = e4i_check_protect(key, ts, plain_len);
    if (err)
        return err;
    out[0] = E4_SUITE_MAGIC;
    out[1] = E4_SUITE_FIPS_SK;
    e4i_store64le(out + 2, ts);
    if (iv)
        memcpy(out + IV_AT, iv, E4_GCM_IV_LEN);
    else
        e4c_random(out + IV_AT, E4_GCM_IV_LEN);
    return e4c_gcm_seal(key, out + IV_AT, out, HEADER, plain, plain_len, out + C_AT) ? E4_ERR_CRYPTO
                                                                                     : E4_OK;
}

e4_err e4i_fips_sk_open(const uint8_t key[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t *out_len)
{
    size_t n = in_len - E4_FIPS_SK_OVERHEAD;
    if (e4c_gcm_open(key, in + IV_AT, in, HEADER, in + C_AT, n, out) != 0)
        return E4_ERR_NOT_AUTHENTIC;
    *out_len = n;
    return E4_OK;
}

const uint8_t *e4i_fips_sk_tag(const uint8_t *in, size_t in_len)
{
    return in + in_len - E4_TAG_LEN;
}

e4_err e4_fips_sk_unprotect(const uint8_t key[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t *out_len, uint64_t now, uint32_t skew)
{
    if (!key || (!in && in_len) || !out || !out_len)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_gcm())
        return E4_ERR_UNSUPPORTED;
    if (e4i_is_zero(key, E4_KEY_LEN))
        return E4_ERR_ZERO_KEY;
    e4_err err = e4i_check_suite_header(in, in_len, E4_SUITE_FIPS_SK, E4_FIPS_SK_OVERHEAD);
    if (err == E4_OK)
        err = e4i_check_timestamp(e4i_load64le(in + 2), now, skew);
    return err ? err : e4i_fips_sk_open(key, in, in_len, out, out_len);
}
