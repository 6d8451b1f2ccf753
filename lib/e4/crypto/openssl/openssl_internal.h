/*
 * Shared between the files of the openssl backend; not part of crypto.h.
 */
#ifndef E4_OPENSSL_INTERNAL_H
#define E4_OPENSSL_INTERNAL_H

#include <openssl/evp.h>
#include <stdint.h>

/* This thread's AES-256-GCM context, keyed with key (the key schedule is
 * kept until another key is used on this thread or e4c_siv_forget asks
 * every thread to drop its keys). NULL when OpenSSL fails. */
EVP_CIPHER_CTX *e4o_gcm_ctx(const uint8_t key[32]);

#endif
