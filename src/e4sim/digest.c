/* SHA3-256 through OpenSSL's EVP: key ids, client-id material. */
#include "sim.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

static EVP_MD *sha3;
static pthread_once_t sha3_once = PTHREAD_ONCE_INIT;

static void sha3_fetch(void)
{
    sha3 = EVP_MD_fetch(NULL, "SHA3-256", NULL);
}

int sim_sha3(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
    EVP_MD_CTX *ctx;
    unsigned int n = 0;
    int ok;

    pthread_once(&sha3_once, sha3_fetch);
    if (!sha3 || !(ctx = EVP_MD_CTX_new()))
        return -1;
    ok = EVP_DigestInit_ex2(ctx, sha3, NULL) == 1 && EVP_DigestUpdate(ctx, a, alen) == 1 &&
         (!b || EVP_DigestUpdate(ctx, b, blen) == 1) && EVP_DigestFinal_ex(ctx, out, &n) == 1 &&
         n == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

int sim_key_id(uint8_t out[SIM_KEY_ID_LEN], const uint8_t key[E4_KEY_LEN])
{
    uint8_t digest[32];
    if (sim_sha3(digest, key, E4_KEY_LEN, NULL, 0) != 0)
        return -1;
    memcpy(out, digest, SIM_KEY_ID_LEN);
    return 0;
}
