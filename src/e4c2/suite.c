#include "suite.h"

#include <string.h>

#include <sodium.h>

static const struct {
    const char *name;
    c2_mode mode;
    e4_suite suite;
} MODES[] = {
    {"sk", C2_MODE_SK, E4_SUITE_BASE},         {"pk", C2_MODE_PK, E4_SUITE_BASE},
    {"fips-sk", C2_MODE_SK, E4_SUITE_FIPS_SK}, {"fips-pk", C2_MODE_PK, E4_SUITE_FIPS_PK},
    {"pq-pk", C2_MODE_PK, E4_SUITE_PQ_PK},
};
#define NMODES (sizeof MODES / sizeof MODES[0])

int c2_mode_parse(const char *text, c2_mode *mode, e4_suite *suite)
{
    for (size_t i = 0; text && i < NMODES; i++)
        if (!strcmp(text, MODES[i].name)) {
            *mode = MODES[i].mode;
            *suite = MODES[i].suite;
            return 0;
        }
    return -1;
}

const char *c2_mode_name(c2_mode mode, e4_suite suite)
{
    for (size_t i = 0; i < NMODES; i++)
        if (MODES[i].mode == mode && MODES[i].suite == suite)
            return MODES[i].name;
    return "unknown";
}

size_t c2_client_pk_len(e4_suite suite)
{
    switch (suite) {
    case E4_SUITE_FIPS_PK: return 2 * E4_P256_PK_LEN;
    case E4_SUITE_PQ_PK: return E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN + E4_XWING_PK_LEN;
    default: return E4_ED25519_PK_LEN;
    }
}

size_t c2_client_sign_pk_len(e4_suite suite)
{
    switch (suite) {
    case E4_SUITE_FIPS_PK: return E4_P256_PK_LEN;
    case E4_SUITE_PQ_PK: return E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN;
    default: return E4_ED25519_PK_LEN;
    }
}

size_t c2_setpubkey_args(e4_suite suite, uint8_t args[C2_SETPUBKEY_MAX], const uint8_t *pubkey,
                         const uint8_t id[E4_ID_LEN])
{
    size_t n = c2_client_sign_pk_len(suite);
    memcpy(args, pubkey, n);
    memcpy(args + n, id, E4_ID_LEN);
    return n + E4_ID_LEN;
}

size_t c2_client_sk_len(c2_mode mode, e4_suite suite)
{
    if (mode == C2_MODE_SK)
        return E4_KEY_LEN;
    switch (suite) {
    case E4_SUITE_FIPS_PK: return 2 * E4_P256_SK_LEN;
    case E4_SUITE_PQ_PK: return E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN + E4_XWING_SEED_LEN;
    default: return E4_ED25519_SK_LEN;
    }
}

static int pq_keygen(uint8_t *sk, uint8_t *pk, int with_xwing)
{
    uint8_t *seed = sk + E4_ED25519_SK_LEN, *pk_ml = pk + E4_ED25519_PK_LEN;
    if (e4_ed25519_keypair(sk, pk) != E4_OK)
        return -1;
    randombytes_buf(seed, E4_MLDSA65_SEED_LEN);
    if (e4_mldsa65_public(pk_ml, seed) != E4_OK)
        return -1;
    if (!with_xwing)
        return 0;
    randombytes_buf(seed + E4_MLDSA65_SEED_LEN, E4_XWING_SEED_LEN);
    return e4_xwing_public(pk_ml + E4_MLDSA65_PK_LEN, seed + E4_MLDSA65_SEED_LEN) == E4_OK ? 0 : -1;
}

int c2_client_keygen(e4_suite suite, uint8_t sk[C2_CLIENT_SK_MAX], uint8_t pk[C2_PUBKEY_MAX])
{
    switch (suite) {
    case E4_SUITE_FIPS_PK:
        return e4_p256_keypair(sk, pk) == E4_OK &&
                       e4_p256_keypair(sk + E4_P256_SK_LEN, pk + E4_P256_PK_LEN) == E4_OK
                   ? 0
                   : -1;
    case E4_SUITE_PQ_PK: return pq_keygen(sk, pk, 1);
    default: return e4_ed25519_keypair(sk, pk) == E4_OK ? 0 : -1;
    }
}

/* A P-256 point is usable when an agreement with it works. */
static int p256_point_ok(const uint8_t pk[E4_P256_PK_LEN])
{
    uint8_t sk[E4_P256_SK_LEN], own[E4_P256_PK_LEN], k[E4_KEY_LEN];
    int ok = e4_p256_keypair(sk, own) == E4_OK && e4_fips_pk_command_key(k, sk, pk) == E4_OK;
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(k, sizeof k);
    return ok;
}

/* An X-Wing key is usable when an encapsulation to it works. */
static int xwing_ok(const uint8_t pk[E4_XWING_PK_LEN])
{
    uint8_t ct[E4_XWING_CT_LEN], k[E4_KEY_LEN];
    int ok = e4_pq_pk_key_encaps(ct, k, pk, 0, NULL) == E4_OK;
    sodium_memzero(k, sizeof k);
    return ok;
}

const char *c2_client_pk_problem(e4_suite suite, const uint8_t *pk)
{
    uint8_t x[E4_X25519_LEN];
    switch (suite) {
    case E4_SUITE_FIPS_PK:
        if (!p256_point_ok(pk))
            return "the signing key is not a compressed P-256 point";
        if (!p256_point_ok(pk + E4_P256_PK_LEN))
            return "the agreement key is not a compressed P-256 point";
        return NULL;
    case E4_SUITE_PQ_PK:
        if (e4_ed25519_pk_to_x25519(x, pk) != E4_OK)
            return "the Ed25519 key is not a valid public key";
        if (!xwing_ok(pk + E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN))
            return "the X-Wing key is not a valid public key";
        return NULL;
    default:
        return e4_ed25519_pk_to_x25519(x, pk) == E4_OK ? NULL
                                                       : "pubkey is not a valid Ed25519 public key";
    }
}

size_t c2_own_pk_len(e4_suite suite)
{
    switch (suite) {
    case E4_SUITE_FIPS_PK: return E4_P256_PK_LEN;
    case E4_SUITE_PQ_PK: return E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN;
    default: return E4_X25519_LEN;
    }
}

size_t c2_own_sk_len(e4_suite suite)
{
    switch (suite) {
    case E4_SUITE_FIPS_PK: return E4_P256_SK_LEN;
    case E4_SUITE_PQ_PK: return E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN;
    default: return E4_X25519_LEN;
    }
}

int c2_own_keygen(e4_suite suite, uint8_t sk[C2_OWN_SK_MAX], uint8_t pk[C2_OWN_PK_MAX])
{
    switch (suite) {
    case E4_SUITE_FIPS_PK: return e4_p256_keypair(sk, pk) == E4_OK ? 0 : -1;
    case E4_SUITE_PQ_PK: {
        uint8_t full[C2_PUBKEY_MAX];
        int rc = pq_keygen(sk, full, 0);
        memcpy(pk, full, E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN);
        return rc;
    }
    default: return e4_x25519_keypair(sk, pk) == E4_OK ? 0 : -1;
    }
}

size_t c2_protected_len(e4_suite suite, size_t cmd_len)
{
    switch (suite) {
    case E4_SUITE_FIPS_SK:
    case E4_SUITE_FIPS_PK: return cmd_len + E4_FIPS_SK_OVERHEAD;
    case E4_SUITE_PQ_PK: return cmd_len + E4_PQ_PK_CMD_OVERHEAD;
    default: return cmd_len + E4_SK_OVERHEAD;
    }
}
