/*
 * Identities, topic hashes, key generation and derivation, error names.
 */
#include "internal.h"
#include "utf8.h"

#include <stdio.h>

const char *e4_strerror(e4_err err)
{
    switch (err) {
    case E4_OK: return "success";
    case E4_COMMAND: return "C2 command applied";
    case E4_ERR_INVALID_ARGUMENT:
        return "invalid argument (a NULL pointer, the wrong mode, or out of range: a timestamp >= "
               "2^63, "
               "a payload over E4_PAYLOAD_MAX)";
    case E4_ERR_BUFFER_TOO_SMALL: return "output buffer too small";
    case E4_ERR_INVALID_TOPIC: return "invalid topic (must be 1 to 512 bytes)";
    case E4_ERR_INVALID_NAME: return "invalid name (must be 1 to 255 bytes of valid UTF-8)";
    case E4_ERR_INVALID_PASSWORD:
        return "invalid password (must be at least 16 bytes of valid UTF-8)";
    case E4_ERR_ZERO_KEY: return "invalid key: all zeros";
    case E4_ERR_INVALID_KEY: return "invalid public key (not a usable curve point)";
    case E4_ERR_TOO_SHORT: return "protected message too short";
    case E4_ERR_TIMESTAMP_IN_FUTURE: return "timestamp in the future";
    case E4_ERR_TIMESTAMP_TOO_OLD: return "timestamp too old";
    case E4_ERR_TOPIC_KEY_NOT_FOUND: return "topic key not found";
    case E4_ERR_NOT_AUTHENTIC: return "message not authentic (wrong key or altered)";
    case E4_ERR_PUBKEY_NOT_FOUND: return "signer public key not found";
    case E4_ERR_INVALID_SIGNATURE: return "invalid signature";
    case E4_ERR_REPLAYED: return "message replayed";
    case E4_ERR_WRONG_SUITE: return "message of another cipher suite (or not an E4 suite message)";
    case E4_ERR_INVALID_COMMAND: return "invalid command";
    case E4_ERR_INVALID_ARG_LENGTH: return "invalid command argument length";
    case E4_ERR_UNSUPPORTED_COMMAND: return "command not supported in symmetric-key mode";
    case E4_ERR_TOPICS_FULL: return "topic key capacity reached";
    case E4_ERR_PUBKEYS_FULL: return "public key capacity reached";
    case E4_ERR_STORAGE_IO: return "storage read or write failed";
    case E4_ERR_STORAGE_CORRUPT: return "stored state is truncated or corrupted";
    case E4_ERR_STORAGE_VERSION: return "stored state has an unknown format version";
    case E4_ERR_STORAGE_CAPACITY: return "stored state exceeds the configured capacity";
    case E4_ERR_CRYPTO: return "cryptographic backend failure";
    case E4_ERR_NO_MEMORY: return "out of memory";
    case E4_ERR_UNSUPPORTED: return "not supported by this crypto backend (public-key mode)";
    case E4_ERR_RECEIPT_MAGIC: return "receipt: wrong magic";
    case E4_ERR_RECEIPT_VERSION: return "receipt: unknown version";
    case E4_ERR_RECEIPT_KIND: return "receipt: unknown kind";
    case E4_ERR_RECEIPT_LENGTH: return "receipt: length disagrees with its content";
    case E4_ERR_RECEIPT_ORDER: return "receipt: state entries not strictly ascending";
    }
    return "unknown error";
}

const char *e4_version(void)
{
    return E4_VERSION_STRING;
}

e4_err e4_hash_topic(uint8_t hash[E4_TOPIC_HASH_LEN], const char *topic)
{
    if (!hash || !topic)
        return E4_ERR_INVALID_ARGUMENT;
    if (e4c_init() != 0)
        return E4_ERR_CRYPTO;
    e4i_hash16(hash, topic, strlen(topic));
    return E4_OK;
}

e4_err e4_hash_id(uint8_t id[E4_ID_LEN], const char *name)
{
    if (!id || !name)
        return E4_ERR_INVALID_ARGUMENT;
    if (e4c_init() != 0)
        return E4_ERR_CRYPTO;
    e4i_hash16(id, name, strlen(name));
    return E4_OK;
}

e4_err e4_validate_topic(const char *topic)
{
    size_t n = topic ? strlen(topic) : 0;
    return n >= 1 && n <= E4_TOPIC_MAX ? E4_OK : E4_ERR_INVALID_TOPIC;
}

e4_err e4_validate_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n >= 1 && n <= E4_NAME_MAX && utf8_valid((const uint8_t *)name, n) ? E4_OK
                                                                              : E4_ERR_INVALID_NAME;
}

e4_err e4_validate_password(const char *password)
{
    size_t n = password ? strlen(password) : 0;
    return n >= E4_PASSWORD_MIN && utf8_valid((const uint8_t *)password, n)
               ? E4_OK
               : E4_ERR_INVALID_PASSWORD;
}

void e4_default_control_topic(char buf[E4_DEFAULT_CONTROL_TOPIC_LEN], const uint8_t id[E4_ID_LEN])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(buf, "e4/", 3);
    for (int i = 0; i < E4_ID_LEN; i++) {
        buf[3 + 2 * i] = hex[id[i] >> 4];
        buf[4 + 2 * i] = hex[id[i] & 15];
    }
    buf[35] = 0;
}

void e4_set_random(e4_random_fn fn, void *ctx)
{
    e4c_set_random(fn, ctx);
}

void e4_random_key(uint8_t key[E4_KEY_LEN])
{
    do
        e4c_random(key, E4_KEY_LEN);
    while (e4i_is_zero(key, E4_KEY_LEN));
}

void e4_random_id(uint8_t id[E4_ID_LEN])
{
    e4c_random(id, E4_ID_LEN);
}

e4_err e4_ed25519_keypair(uint8_t sk[E4_ED25519_SK_LEN], uint8_t pk[E4_ED25519_PK_LEN])
{
    uint8_t seed[32];
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    e4c_random(seed, sizeof seed);
    int r = e4c_ed25519_seed_keypair(pk, sk, seed);
    e4c_wipe(seed, sizeof seed);
    return r ? E4_ERR_CRYPTO : E4_OK;
}

e4_err e4_x25519_keypair(uint8_t sk[E4_X25519_LEN], uint8_t pk[E4_X25519_LEN])
{
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    e4_random_key(sk);
    return e4c_x25519_base(pk, sk) ? E4_ERR_CRYPTO : E4_OK;
}

e4_err e4_x25519_public(uint8_t pk[E4_X25519_LEN], const uint8_t sk[E4_X25519_LEN])
{
    if (!pk || !sk)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    if (e4c_init() != 0)
        return E4_ERR_CRYPTO;
    return e4c_x25519_base(pk, sk) ? E4_ERR_INVALID_KEY : E4_OK;
}

e4_err e4_ed25519_sk_to_x25519(uint8_t x_sk[E4_X25519_LEN], const uint8_t ed_sk[E4_ED25519_SK_LEN])
{
    if (!x_sk || !ed_sk)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    return e4c_ed25519_sk_to_x25519(x_sk, ed_sk) ? E4_ERR_CRYPTO : E4_OK;
}

e4_err e4_ed25519_pk_to_x25519(uint8_t x_pk[E4_X25519_LEN], const uint8_t ed_pk[E4_ED25519_PK_LEN])
{
    if (!x_pk || !ed_pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    return e4c_ed25519_pk_to_x25519(x_pk, ed_pk) ? E4_ERR_INVALID_KEY : E4_OK;
}

int e4_memeq(const void *a, const void *b, size_t len)
{
    return e4c_memeq(a, b, len);
}

void e4_wipe(void *p, size_t len)
{
    e4c_wipe(p, len);
}
