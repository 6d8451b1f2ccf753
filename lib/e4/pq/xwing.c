/*
 * X-Wing (draft-connolly-cfrg-xwing-kem): ML-KEM-768 and X25519, combined
 * by SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel). The
 * decapsulation key is a 32-byte seed, expanded by SHAKE256 to ML-KEM's
 * d || z and X25519's secret.
 */
#include "pq/pq.h"

#include "crypto.h"

#include <string.h>

static const uint8_t xwing_label[6] = {0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c}; /* \.//^\ */

/* expandDecapsulationKey: SHAKE256(seed, 96) = d || z || sk_X. */
static void expand_seed(uint8_t expanded[96], const uint8_t seed[32])
{
    e4c_xof s;
    e4c_shake256_init(&s);
    e4c_xof_absorb(&s, seed, 32);
    e4c_xof_squeeze(&s, expanded, 96);
    e4c_xof_wipe(&s);
}

static void combiner(uint8_t ss[32], const uint8_t ss_m[32], const uint8_t ss_x[32],
                     const uint8_t ct_x[32], const uint8_t pk_x[32])
{
    uint8_t in[32 * 4 + sizeof xwing_label];
    memcpy(in, ss_m, 32);
    memcpy(in + 32, ss_x, 32);
    memcpy(in + 64, ct_x, 32);
    memcpy(in + 96, pk_x, 32);
    memcpy(in + 128, xwing_label, sizeof xwing_label);
    e4c_sha3_256(ss, in, sizeof in);
    e4c_wipe(in, sizeof in);
}

/* The ML-KEM decapsulation key is the largest secret here (2,400 bytes). */
typedef struct xwing_keys {
    uint8_t expanded[96];
    uint8_t pk_m[E4PQ_MLKEM768_EK], dk_m[E4PQ_MLKEM768_DK];
    uint8_t pk_x[32];
} xwing_keys;

static int expand_keys(xwing_keys *k, const uint8_t seed[32])
{
    expand_seed(k->expanded, seed);
    e4pq_mlkem768_keygen(k->pk_m, k->dk_m, k->expanded, k->expanded + 32);
    return e4c_x25519_base(k->pk_x, k->expanded + 64);
}

int e4pq_xwing_keygen(uint8_t pk[E4PQ_XWING_PK], const uint8_t seed[32])
{
    xwing_keys k;
    int rc = expand_keys(&k, seed);
    memcpy(pk, k.pk_m, E4PQ_MLKEM768_EK);
    memcpy(pk + E4PQ_MLKEM768_EK, k.pk_x, 32);
    e4c_wipe(&k, sizeof k);
    return rc;
}

int e4pq_xwing_encaps(uint8_t ct[E4PQ_XWING_CT], uint8_t ss[E4PQ_XWING_SS],
                      const uint8_t pk[E4PQ_XWING_PK], const uint8_t eseed[E4PQ_XWING_ESEED])
{
    const uint8_t *pk_x = pk + E4PQ_MLKEM768_EK, *ek_x = eseed + 32;
    uint8_t *ct_x = ct + E4PQ_MLKEM768_CT;
    uint8_t ss_m[32], ss_x[32];
    int rc = -1;
    if (e4c_x25519_base(ct_x, ek_x) != 0 || e4c_x25519(ss_x, ek_x, pk_x) != 0)
        goto done;
    if (e4pq_mlkem768_encaps(ct, ss_m, pk, eseed) != 0)
        goto done;
    combiner(ss, ss_m, ss_x, ct_x, pk_x);
    rc = 0;
done:
    e4c_wipe(ss_m, sizeof ss_m);
    e4c_wipe(ss_x, sizeof ss_x);
    return rc;
}

int e4pq_xwing_encaps_random(uint8_t ct[E4PQ_XWING_CT], uint8_t ss[E4PQ_XWING_SS],
                             const uint8_t pk[E4PQ_XWING_PK])
{
    uint8_t eseed[E4PQ_XWING_ESEED];
    e4c_random(eseed, sizeof eseed);
    int rc = e4pq_xwing_encaps(ct, ss, pk, eseed);
    e4c_wipe(eseed, sizeof eseed);
    return rc;
}

int e4pq_xwing_decaps(uint8_t ss[E4PQ_XWING_SS], const uint8_t ct[E4PQ_XWING_CT],
                      const uint8_t seed[32])
{
    const uint8_t *ct_x = ct + E4PQ_MLKEM768_CT;
    uint8_t ss_m[32], ss_x[32];
    xwing_keys k;
    int rc = -1;
    if (expand_keys(&k, seed) != 0 || e4c_x25519(ss_x, k.expanded + 64, ct_x) != 0)
        goto done;
    if (e4pq_mlkem768_decaps(ss_m, ct, k.dk_m) != 0)
        goto done;
    combiner(ss, ss_m, ss_x, ct_x, k.pk_x);
    rc = 0;
done:
    e4c_wipe(&k, sizeof k);
    e4c_wipe(ss_m, sizeof ss_m);
    e4c_wipe(ss_x, sizeof ss_x);
    return rc;
}
