/* The public-key identities of every suite as the identity options carry
 * them (identity.h): --sign-key's private keys in SetIDKey's order,
 * --c2-pubkey's public keys in SetC2Key's order, a peer's --pubkey. THE
 * list of their parts, so each length and each check is written once. */
#include "identity.h"

#include <stdlib.h>
#include <string.h>

struct key_part {
    const char *what;
    size_t len;
};

struct suite_key_set {
    e4_suite suite;
    struct key_part sign[4], c2[3]; /* ended by a zero length */
    size_t peer_len;
};

static const struct suite_key_set key_sets[] = {
    {E4_SUITE_BASE,
     {{"Ed25519 private key", E4_ED25519_SK_LEN}},
     {{"X25519 public key", E4_X25519_LEN}},
     E4_ED25519_PK_LEN},
    {E4_SUITE_FIPS_PK,
     {{"P-256 signing scalar", E4_P256_SK_LEN}, {"P-256 agreement scalar", E4_P256_SK_LEN}},
     {{"P-256 agreement public key", E4_P256_PK_LEN}},
     E4_P256_PK_LEN},
    {E4_SUITE_PQ_PK,
     {{"Ed25519 private key", E4_ED25519_SK_LEN},
      {"ML-DSA-65 seed", E4_MLDSA65_SEED_LEN},
      {"X-Wing seed", E4_XWING_SEED_LEN}},
     {{"Ed25519 public key", E4_ED25519_PK_LEN}, {"ML-DSA-65 public key", E4_MLDSA65_PK_LEN}},
     E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN},
};

static const struct suite_key_set *set_of(e4_suite suite)
{
    size_t i;
    for (i = 0; i < sizeof key_sets / sizeof key_sets[0]; i++)
        if (key_sets[i].suite == suite)
            return &key_sets[i];
    return NULL;
}

static size_t parts_len(const struct key_part *p)
{
    size_t n = 0;
    for (; p->len; p++)
        n += p->len;
    return n;
}

int idkeys_is_pk_suite(e4_suite suite)
{
    return suite == E4_SUITE_FIPS_PK || suite == E4_SUITE_PQ_PK;
}

size_t idkeys_sign_len(e4_suite suite)
{
    const struct suite_key_set *s = set_of(suite);
    return s ? parts_len(s->sign) : 0;
}

size_t idkeys_c2_len(e4_suite suite)
{
    const struct suite_key_set *s = set_of(suite);
    return s ? parts_len(s->c2) : 0;
}

size_t idkeys_peer_len(e4_suite suite)
{
    const struct suite_key_set *s = set_of(suite);
    return s ? s->peer_len : 0;
}

/* Every part of a set is non-zero: an all-zero part is refused by libe4
 * too, but here the message names it. Never prints the value. */
static int check_parts(const char *option, const struct key_part *p, const uint8_t *v)
{
    size_t at = 0;
    for (; p->len; at += p->len, p++)
        if (is_all_zero(v + at, p->len))
            return cli_usage_error("%s: the %s (bytes %zu to %zu) is all zero: %s", option, p->what,
                                   at + 1, at + p->len, e4_strerror(E4_ERR_ZERO_KEY));
    return 0;
}

int idkeys_read(const char *option, const char *value, const char *file, e4_suite suite, int c2,
                uint8_t *out)
{
    const struct suite_key_set *s = set_of(suite);
    size_t len = c2 ? idkeys_c2_len(suite) : idkeys_sign_len(suite);
    char *text = NULL;
    int rc;

    if (value && value[0] == '@') {
        file = value + 1;
        value = NULL;
    }
    if ((rc = arg_secret(value, file, NULL, &text)) || !text)
        return rc;
    rc = arg_hex(option, text, out, len);
    e4_wipe(text, strlen(text));
    free(text);
    return rc ? rc : check_parts(option, c2 ? s->c2 : s->sign, out);
}

int idkeys_sign_check(const char *option, e4_suite suite, const uint8_t *sign)
{
    const struct suite_key_set *s = set_of(suite);
    return s ? check_parts(option, s->sign, sign) : 0;
}

e4_err idkeys_new_client(e4_client **out, e4_suite suite, const uint8_t id[E4_ID_LEN],
                         const uint8_t *sign, const uint8_t *c2, const e4_client_options *eo)
{
    switch (suite) {
    case E4_SUITE_FIPS_PK:
        return e4_client_new_fips_pk(out, id, sign, sign + E4_P256_SK_LEN, c2, eo);
    case E4_SUITE_PQ_PK:
        return e4_client_new_pq_pk(out, id, sign, sign + E4_ED25519_SK_LEN,
                                   sign + E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN, c2,
                                   c2 + E4_ED25519_PK_LEN, eo);
    default: return e4_client_new_pk(out, id, sign, c2, eo);
    }
}

/* Which fips-pk key libe4 found invalid: each scalar against a fresh
 * point, C2's point against a fresh scalar. */
static const char *fips_pk_bad_part(const uint8_t *sign, const uint8_t *c2)
{
    uint8_t sk[E4_P256_SK_LEN], pk[E4_P256_PK_LEN], k[E4_KEY_LEN];
    const char *why = "a key";

    if (e4_p256_keypair(sk, pk) == E4_OK) {
        if (e4_fips_pk_command_key(k, sign, pk) != E4_OK)
            why = "--sign-key: the P-256 signing scalar (not in [1, n-1])";
        else if (e4_fips_pk_command_key(k, sign + E4_P256_SK_LEN, pk) != E4_OK)
            why = "--sign-key: the P-256 agreement scalar (not in [1, n-1])";
        else if (e4_fips_pk_command_key(k, sk, c2) != E4_OK)
            why = "--c2-pubkey: not a compressed point on P-256";
    }
    e4_wipe(sk, sizeof sk);
    e4_wipe(k, sizeof k);
    return why;
}

const char *idkeys_explain(e4_err err, e4_suite suite, const uint8_t *sign, const uint8_t *c2)
{
    if (err != E4_ERR_INVALID_KEY)
        return NULL;
    if (suite == E4_SUITE_FIPS_PK)
        return fips_pk_bad_part(sign, c2);
    return "--sign-key or --c2-pubkey: not a usable key of the suite";
}
