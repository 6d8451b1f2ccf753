/*
 * AES-256-GCM of the openssl backend: OpenSSL's EVP, with AES-NI and
 * carry-less multiplication where the CPU has them. Each thread keeps one
 * GCM context with its key schedule (crypto_openssl.c, e4o_gcm_ctx): a
 * message then costs setting its iv and the blocks, not a key expansion.
 */
#include "crypto.h"
#include "crypto/openssl/openssl_internal.h"

#include <limits.h>

int e4c_has_gcm(void)
{
    return 1;
}

/* The thread's context for key, set for one message: iv, direction, AD. */
static EVP_CIPHER_CTX *gcm_start(const uint8_t key[32], const uint8_t iv[12], int enc,
                                 const uint8_t *ad, size_t ad_len)
{
    EVP_CIPHER_CTX *c = e4o_gcm_ctx(key);
    int len;
    if (!c || EVP_CipherInit_ex2(c, NULL, NULL, iv, enc, NULL) != 1 ||
        (ad_len && EVP_CipherUpdate(c, NULL, &len, ad, (int)ad_len) != 1))
        return NULL;
    return c;
}

int e4c_gcm_seal(const uint8_t key[32], const uint8_t iv[12], const uint8_t *ad, size_t ad_len,
                 const uint8_t *plain, size_t n, uint8_t *out)
{
    if (n > INT_MAX || ad_len > INT_MAX)
        return -1;
    EVP_CIPHER_CTX *c = gcm_start(key, iv, 1, ad, ad_len);
    int len, fin, ok = c != NULL;
    ok = ok && (n == 0 || EVP_CipherUpdate(c, out, &len, plain, (int)n) == 1);
    ok = ok && EVP_CipherFinal_ex(c, out + n, &fin) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + n) == 1;
    return ok ? 0 : -1;
}

int e4c_gcm_open(const uint8_t key[32], const uint8_t iv[12], const uint8_t *ad, size_t ad_len,
                 const uint8_t *in, size_t n, uint8_t *out)
{
    if (n > INT_MAX || ad_len > INT_MAX)
        return -1;
    EVP_CIPHER_CTX *c = gcm_start(key, iv, 0, ad, ad_len);
    uint8_t tag[16];
    int len, fin, ok = c != NULL;
    for (int i = 0; i < 16; i++)
        tag[i] = in[n + i];
    ok = ok && (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n) == 1);
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + n, &fin) == 1;
    if (!ok)
        e4c_wipe(out, n); /* decrypted before the tag was checked */
    return ok ? 0 : -1;
}
