/*
 * The default crypto backend: OpenSSL 3 for AES and SHA3, libsodium for
 * Ed25519, X25519, randomness and memory hygiene.
 *
 * AES-SIV is built here from two AES-256 primitives of OpenSSL (CBC for the
 * CMAC chain of S2V, ECB for the CTR keystream) instead of OpenSSL's own
 * "AES-256-SIV" cipher, because E4 messages are small: OpenSSL's SIV redoes
 * the CMAC key setup and S2V's first step for every message, which costs more
 * than the message itself at 64 bytes. Everything that depends only on the
 * key (AES key schedule, CMAC subkeys K1/K2, D0 = CMAC(0^128)) and on the key
 * and timestamp (D1) is computed once and cached per thread, so a message
 * costs its AES blocks and a few calls. The output is RFC 5297 exactly; the
 * vector tests prove it.
 */
#include "crypto.h"
#include "crypto/openssl/openssl_internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 16
#define CHUNK_BLOCKS 32 /* scratch of 512 bytes on the stack */
#define CACHE_WAYS 4    /* keys with an expanded schedule, per thread */

static EVP_CIPHER *aes_cbc, *aes_ecb, *aes_ctr, *aes_gcm;
static EVP_MD *sha3;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_ok;
static pthread_key_t thread_key;
/* Bumped by e4c_siv_forget: every thread drops its cached schedules before
 * its next use, so a replaced key does not linger in other threads. */
static atomic_uint forget_generation;

typedef struct siv_key {
    uint8_t key[32];
    uint8_t k1[BLOCK], k2[BLOCK]; /* CMAC subkeys */
    uint8_t d0[BLOCK];            /* CMAC(K, 0^128), S2V's first value */
    uint8_t d1[BLOCK];            /* dbl(d0) ^ CMAC(K, ad) for ad = d1_ad */
    uint8_t d1_ad[8];
    uint8_t chain[BLOCK]; /* current IV of the CBC context */
    int has_d1, used;
    unsigned long last_use;
    EVP_CIPHER_CTX *cbc, *ecb, *ctr;
} siv_key;

typedef struct thread_state {
    siv_key ways[CACHE_WAYS];
    unsigned long clock;
    unsigned generation;
    EVP_MD_CTX *md;
    EVP_CIPHER_CTX *gcm; /* keyed with gcm_key when gcm_keyed */
    uint8_t gcm_key[32];
    int gcm_keyed;
} thread_state;

static void thread_state_free(void *p)
{
    thread_state *t = p;
    if (!t)
        return;
    for (int i = 0; i < CACHE_WAYS; i++) {
        EVP_CIPHER_CTX_free(t->ways[i].cbc);
        EVP_CIPHER_CTX_free(t->ways[i].ecb);
        EVP_CIPHER_CTX_free(t->ways[i].ctr);
    }
    EVP_MD_CTX_free(t->md);
    EVP_CIPHER_CTX_free(t->gcm);
    sodium_memzero(t, sizeof *t);
    free(t);
}

static void init_once_fn(void)
{
    if (sodium_init() < 0)
        return;
    aes_cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    aes_ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
    aes_ctr = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
    aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    sha3 = EVP_MD_fetch(NULL, "SHA3-256", NULL);
    if (!aes_cbc || !aes_ecb || !aes_ctr || !aes_gcm || !sha3)
        return;
    if (pthread_key_create(&thread_key, thread_state_free) != 0)
        return;
    init_ok = 1;
}

int e4c_init(void)
{
    pthread_once(&init_once, init_once_fn);
    return init_ok ? 0 : -1;
}

static thread_state *thread_get(void)
{
    if (e4c_init() != 0)
        return NULL;
    thread_state *t = pthread_getspecific(thread_key);
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    for (int i = 0; i < CACHE_WAYS; i++) {
        t->ways[i].cbc = EVP_CIPHER_CTX_new();
        t->ways[i].ecb = EVP_CIPHER_CTX_new();
        t->ways[i].ctr = EVP_CIPHER_CTX_new();
        if (!t->ways[i].cbc || !t->ways[i].ecb || !t->ways[i].ctr)
            goto fail;
    }
    t->md = EVP_MD_CTX_new();
    t->gcm = EVP_CIPHER_CTX_new();
    if (!t->md || !t->gcm || pthread_setspecific(thread_key, t) != 0)
        goto fail;
    t->generation = atomic_load(&forget_generation);
    return t;
fail:
    thread_state_free(t);
    return NULL;
}

/* ---- small block helpers ------------------------------------------------ */

static void xor_block(uint8_t *dst, const uint8_t *a, const uint8_t *b)
{
    for (int i = 0; i < BLOCK; i++)
        dst[i] = a[i] ^ b[i];
}

/* Multiplication by x in GF(2^128), as CMAC and S2V define it. */
static void dbl(uint8_t out[BLOCK], const uint8_t in[BLOCK])
{
    uint8_t carry = in[0] >> 7;
    for (int i = 0; i < BLOCK - 1; i++)
        out[i] = (uint8_t)((in[i] << 1) | (in[i + 1] >> 7));
    out[BLOCK - 1] = (uint8_t)((in[BLOCK - 1] << 1) ^ (0x87 & -carry));
}

static int key_equal(const uint8_t a[32], const uint8_t b[32])
{
    uint64_t x[4], y[4], d = 0;
    memcpy(x, a, 32);
    memcpy(y, b, 32);
    for (int i = 0; i < 4; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

/* CBC-encrypts len bytes (a multiple of 16) of buf in place, continuing the
 * chain of k->cbc. The caller has folded k->chain into the first block of a
 * new CBC-MAC, which makes the context's running IV equivalent to zero. */
static int cbc_chain(siv_key *k, uint8_t *buf, size_t len)
{
    int outl;
    if (EVP_EncryptUpdate(k->cbc, buf, &outl, buf, (int)len) != 1 || (size_t)outl != len)
        return -1;
    memcpy(k->chain, buf + len - BLOCK, BLOCK);
    return 0;
}

static int cmac(siv_key *k, const uint8_t *m, size_t n, const uint8_t *xd, uint8_t out[BLOCK]);

static int siv_key_setup(siv_key *k, const uint8_t key[32])
{
    static const uint8_t zero_iv[BLOCK];
    uint8_t l[BLOCK] = {0};
    int outl;
    memcpy(k->key, key, 32);
    k->has_d1 = 0;
    if (EVP_EncryptInit_ex2(k->ecb, aes_ecb, key, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(k->ecb, 0) != 1 ||
        EVP_EncryptInit_ex2(k->cbc, aes_cbc, key, zero_iv, NULL) != 1 ||
        EVP_EncryptInit_ex2(k->ctr, aes_ctr, key, zero_iv, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(k->cbc, 0) != 1)
        return -1;
    memset(k->chain, 0, BLOCK);
    /* L = AES(0); K1 = dbl(L); K2 = dbl(K1); D0 = CMAC(0^128) = AES(K1). */
    if (EVP_EncryptUpdate(k->ecb, l, &outl, l, BLOCK) != 1)
        return -1;
    dbl(k->k1, l);
    dbl(k->k2, k->k1);
    sodium_memzero(l, sizeof l);
    static const uint8_t zero[BLOCK];
    if (cmac(k, zero, BLOCK, NULL, k->d0) != 0)
        return -1;
    k->used = 1;
    return 0;
}

/* After e4c_siv_forget, drop every cached key of this thread. */
static void thread_forget_if_asked(thread_state *t)
{
    unsigned gen = atomic_load(&forget_generation);
    if (gen == t->generation)
        return;
    for (int i = 0; i < CACHE_WAYS; i++) {
        sodium_memzero(t->ways[i].key, offsetof(siv_key, used));
        t->ways[i].used = 0;
    }
    if (t->gcm_keyed)
        EVP_CIPHER_CTX_reset(t->gcm); /* drops the key schedule */
    sodium_memzero(t->gcm_key, sizeof t->gcm_key);
    t->gcm_keyed = 0;
    t->generation = gen;
}

EVP_CIPHER_CTX *e4o_gcm_ctx(const uint8_t key[32])
{
    thread_state *t = thread_get();
    if (!t)
        return NULL;
    thread_forget_if_asked(t);
    if (t->gcm_keyed && key_equal(t->gcm_key, key))
        return t->gcm;
    t->gcm_keyed = 0;
    if (EVP_CipherInit_ex2(t->gcm, aes_gcm, key, NULL, 1, NULL) != 1)
        return NULL;
    memcpy(t->gcm_key, key, 32);
    t->gcm_keyed = 1;
    return t->gcm;
}

static siv_key *siv_key_get(const uint8_t key[32])
{
    thread_state *t = thread_get();
    if (!t)
        return NULL;
    thread_forget_if_asked(t);
    siv_key *victim = &t->ways[0];
    for (int i = 0; i < CACHE_WAYS; i++) {
        siv_key *k = &t->ways[i];
        if (k->used && key_equal(k->key, key)) {
            k->last_use = ++t->clock;
            return k;
        }
        if (!k->used || k->last_use < victim->last_use)
            victim = k;
    }
    if (siv_key_setup(victim, key) != 0) {
        victim->used = 0;
        return NULL;
    }
    victim->last_use = ++t->clock;
    return victim;
}

/* CMAC(K, m), where m may first get D xored onto its last 16 bytes
 * (S2V's "xorend", when xd is set; then n >= 16). The blocks before the last
 * two go straight from m through the CBC chain (the output is discarded);
 * the last two, which padding, xorend and the subkey change, are built in a
 * small buffer. m itself is never modified. */
static int cmac(siv_key *k, const uint8_t *m, size_t n, const uint8_t *xd, uint8_t out[BLOCK])
{
    uint8_t sink[CHUNK_BLOCKS * BLOCK], t[2 * BLOCK];
    size_t nblocks = n ? (n + BLOCK - 1) / BLOCK : 1;
    size_t tb = nblocks >= 2 ? nblocks - 2 : 0; /* first block of the tail */
    int outl;

    if (tb > 0) {
        xor_block(t, m, k->chain); /* a new CMAC: fold the running IV away */
        if (EVP_EncryptUpdate(k->cbc, sink, &outl, t, BLOCK) != 1)
            return -1;
        for (size_t b = 1; b < tb;) {
            size_t cnt = tb - b < CHUNK_BLOCKS ? tb - b : CHUNK_BLOCKS;
            if (EVP_EncryptUpdate(k->cbc, sink, &outl, m + b * BLOCK, (int)(cnt * BLOCK)) != 1)
                return -1;
            b += cnt;
        }
        memcpy(k->chain, sink + outl - BLOCK, BLOCK);
    }

    size_t off = tb * BLOCK, len = (nblocks - tb) * BLOCK, avail = n - off;
    if (avail)
        memcpy(t, m + off, avail);
    if (avail < len) { /* the padded final block */
        t[avail] = 0x80;
        memset(t + avail + 1, 0, len - avail - 1);
    }
    if (xd)
        for (size_t i = n - BLOCK; i < n; i++)
            t[i - off] ^= xd[i - (n - BLOCK)];
    xor_block(t + len - BLOCK, t + len - BLOCK, (n && n % BLOCK == 0) ? k->k1 : k->k2);
    if (tb == 0)
        xor_block(t, t, k->chain);
    if (cbc_chain(k, t, len) != 0)
        return -1;
    memcpy(out, k->chain, BLOCK);
    e4c_wipe(t, sizeof t);
    return 0;
}

/* S2V's value before the plaintext: dbl(D0) ^ CMAC(ad). Cached for the last
 * 8-byte ad, the timestamp, which changes once a second. */
static int s2v_d1(siv_key *k, const uint8_t *ad, size_t ad_len, uint8_t d1[BLOCK])
{
    if (ad_len == 8 && k->has_d1 && memcmp(k->d1_ad, ad, 8) == 0) {
        memcpy(d1, k->d1, BLOCK);
        return 0;
    }
    uint8_t mac[BLOCK], d[BLOCK];
    if (cmac(k, ad, ad_len, NULL, mac) != 0)
        return -1;
    dbl(d, k->d0);
    xor_block(d1, d, mac);
    if (ad_len == 8) {
        memcpy(k->d1, d1, BLOCK);
        memcpy(k->d1_ad, ad, 8);
        k->has_d1 = 1;
    }
    return 0;
}

/* S2V(K, ad, p) = CMAC(K, p xorend D) when len(p) >= 16,
 * CMAC(K, dbl(D) ^ pad(p)) otherwise. */
static int s2v(siv_key *k, const uint8_t *ad, size_t ad_len, const uint8_t *p, size_t n,
               uint8_t v[BLOCK])
{
    uint8_t d[BLOCK];
    if (s2v_d1(k, ad, ad_len, d) != 0)
        return -1;
    if (n >= BLOCK)
        return cmac(k, p, n, d, v);
    uint8_t t[BLOCK] = {0}, dd[BLOCK];
    if (n)
        memcpy(t, p, n);
    t[n] = 0x80;
    dbl(dd, d);
    xor_block(t, t, dd);
    return cmac(k, t, BLOCK, NULL, v);
}

/* out = in ^ AES-CTR(Q), Q = V with bits 63 and 31 cleared (RFC 5297),
 * 128-bit big-endian counter. Short inputs build the keystream with ECB over
 * counter blocks (no per-message re-initialisation); long ones use OpenSSL's
 * pipelined CTR, where the cost of setting the IV is amortised. */
#define CTR_EVP_MIN 512
static int siv_ctr(siv_key *k, const uint8_t v[BLOCK], const uint8_t *in, size_t n, uint8_t *out)
{
    uint8_t q[BLOCK], ks[CHUNK_BLOCKS * BLOCK];
    int outl;
    memcpy(q, v, BLOCK);
    q[8] &= 0x7f;
    q[12] &= 0x7f;
    if (n >= CTR_EVP_MIN)
        return EVP_EncryptInit_ex2(k->ctr, NULL, NULL, q, NULL) == 1 &&
                       EVP_EncryptUpdate(k->ctr, out, &outl, in, (int)n) == 1
                   ? 0
                   : -1;
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; i++) {
        hi = hi << 8 | q[i];
        lo = lo << 8 | q[8 + i];
    }
    size_t blocks = (n + BLOCK - 1) / BLOCK;
    for (size_t b = 0; b < blocks; b++) {
        uint64_t h = __builtin_bswap64(hi), l = __builtin_bswap64(lo);
        memcpy(ks + b * BLOCK, &h, 8);
        memcpy(ks + b * BLOCK + 8, &l, 8);
        if (++lo == 0)
            hi++;
    }
    if (blocks && EVP_EncryptUpdate(k->ecb, ks, &outl, ks, (int)(blocks * BLOCK)) != 1)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] ^ ks[i];
    e4c_wipe(ks, blocks * BLOCK);
    return 0;
}

int e4c_siv_seal(const uint8_t key[32], const uint8_t *ad, size_t ad_len, const uint8_t *plain,
                 size_t n, uint8_t *out)
{
    siv_key *k = siv_key_get(key);
    if (!k || n > (size_t)INT32_MAX || ad_len > (size_t)INT32_MAX)
        return -1;
    if (s2v(k, ad, ad_len, plain, n, out) != 0)
        return -1;
    return siv_ctr(k, out, plain, n, out + BLOCK);
}

int e4c_siv_open(const uint8_t key[32], const uint8_t *ad, size_t ad_len, const uint8_t *in,
                 size_t n, uint8_t *out)
{
    uint8_t v[BLOCK];
    siv_key *k = siv_key_get(key);
    if (!k || n > (size_t)INT32_MAX || ad_len > (size_t)INT32_MAX)
        return -1;
    if (siv_ctr(k, in, in + BLOCK, n, out) != 0 || s2v(k, ad, ad_len, out, n, v) != 0)
        goto fail;
    if (!e4c_memeq(v, in, BLOCK))
        goto fail;
    return 0;
fail:
    sodium_memzero(out, n);
    return -1;
}

void e4c_siv_forget(const uint8_t key[32])
{
    (void)key; /* every thread drops all cached schedules: keys change rarely */
    atomic_fetch_add(&forget_generation, 1);
}

/* ---- SHA3 ---------------------------------------------------------------- */

void e4c_sha3_256(uint8_t out[32], const void *in, size_t len)
{
    thread_state *t = thread_get();
    unsigned int outl = 32;
    if (t && EVP_DigestInit_ex2(t->md, sha3, NULL) == 1 && EVP_DigestUpdate(t->md, in, len) == 1 &&
        EVP_DigestFinal_ex(t->md, out, &outl) == 1)
        return;
    /* Only reachable when OpenSSL cannot allocate: the one-shot path. */
    if (!t || EVP_Digest(in, len, out, &outl, sha3, NULL) != 1)
        abort();
}

void e4c_sha3_256_cat(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
    thread_state *t = thread_get();
    EVP_MD_CTX *md = t ? t->md : EVP_MD_CTX_new();
    unsigned int outl = 32;
    int ok = md && EVP_DigestInit_ex2(md, sha3, NULL) == 1 && EVP_DigestUpdate(md, a, alen) == 1 &&
             EVP_DigestUpdate(md, b, blen) == 1 && EVP_DigestFinal_ex(md, out, &outl) == 1;
    if (!t)
        EVP_MD_CTX_free(md);
    if (!ok)
        abort(); /* as e4c_sha3_256: only when OpenSSL cannot allocate */
}

/* ---- libsodium ----------------------------------------------------------- */

int e4c_ed25519_seed_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32])
{
    return e4c_init() == 0 ? crypto_sign_seed_keypair(pk, sk, seed) : -1;
}

int e4c_ed25519_sign(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t sk[64])
{
    return crypto_sign_detached(sig, NULL, msg, len, sk);
}

int e4c_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t pk[32])
{
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -1;
}

int e4c_x25519(uint8_t shared[32], const uint8_t sk[32], const uint8_t pk[32])
{
    return crypto_scalarmult(shared, sk, pk) == 0 ? 0 : -1;
}

int e4c_x25519_base(uint8_t pk[32], const uint8_t sk[32])
{
    return crypto_scalarmult_base(pk, sk) == 0 ? 0 : -1;
}

int e4c_has_pk(void)
{
    return 1;
}

/* A caller's source replaces libsodium's (tests, or a hardware RNG). */
static _Atomic(e4c_random_fn) random_fn;
static void *_Atomic random_ctx;

void e4c_set_random(e4c_random_fn fn, void *ctx)
{
    atomic_store(&random_ctx, ctx);
    atomic_store(&random_fn, fn);
}

void e4c_random(void *buf, size_t len)
{
    e4c_random_fn fn = atomic_load(&random_fn);
    if (fn) {
        if (fn(atomic_load(&random_ctx), buf, len) != 0)
            abort(); /* a failing source: never hand out predictable keys */
        return;
    }
    if (e4c_init() != 0)
        abort(); /* no CSPRNG: never hand out predictable keys */
    randombytes_buf(buf, len);
}

void e4c_wipe(void *p, size_t len)
{
    sodium_memzero(p, len);
}

int e4c_memeq(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}
