/*
 * The pq-pk suite's formats (spec e4-suites.md), stateless: hybrid
 * signatures (Ed25519 and ML-DSA-65, both must verify) on application
 * messages, and on the control topic a key establishment signed by C2 (an
 * X-Wing encapsulation to the client's key) and commands under the
 * established key K_epoch.
 *
 *   M       = 0xE4 || 0x21 || ts(8) || signer_id(16) || V(16) || C(n)
 *   message = M || Ed25519(M) || ML-DSA-65(M, ctx "E4 pq-pk v1")
 *   key     = header || 0x01 || epoch(4) || ct(1120) || both signatures (ctx "E4 pq-pk c2 v1")
 *   command = header || 0x02 || epoch(4) || V(16) || C(n)
 */
#include "internal.h"

#include "pq/pq.h"

#define HEADER E4_SUITE_HEADER_LEN
#define V_AT (HEADER + E4_ID_LEN)
#define SIGS_LEN (E4_SIGNATURE_LEN + E4_MLDSA65_SIG_LEN)
#define KIND_KEY 0x01
#define KIND_COMMAND 0x02
#define CONTROL_HEAD (HEADER + 1 + 4) /* header || kind || epoch */

static const uint8_t ctx_message[] = "E4 pq-pk v1";
static const uint8_t ctx_c2[] = "E4 pq-pk c2 v1";
static const char key_label[] = "E4 pq-pk command key v1";

static void put_header(uint8_t *out, uint64_t ts)
{
    out[0] = E4_SUITE_MAGIC;
    out[1] = E4_SUITE_PQ_PK;
    e4i_store64le(out + 2, ts);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Ed25519(m) || ML-DSA-65(m, ctx), written at m + len; the ML-DSA key is
 * expanded from its seed for this signature and wiped. */
static e4_err sign_both(uint8_t *m, size_t len, const uint8_t ed_sk[E4_ED25519_SK_LEN],
                        const uint8_t seed[E4_MLDSA65_SEED_LEN], const uint8_t *ctx, size_t ctx_len)
{
    uint8_t pk[E4PQ_MLDSA65_PK], sk[E4PQ_MLDSA65_SK];
    if (e4c_ed25519_sign(m + len, m, len, ed_sk) != 0)
        return E4_ERR_CRYPTO;
    e4pq_mldsa65_keygen(pk, sk, seed);
    int rc = e4pq_mldsa65_sign_hedged(m + len + E4_SIGNATURE_LEN, m, len, ctx, ctx_len, sk);
    e4c_wipe(sk, sizeof sk);
    return rc ? E4_ERR_CRYPTO : E4_OK;
}

static e4_err verify_both(const uint8_t *m, size_t len, const uint8_t ed_pk[E4_ED25519_PK_LEN],
                          const uint8_t mldsa_pk[E4_MLDSA65_PK_LEN], const uint8_t *ctx,
                          size_t ctx_len)
{
    if (e4c_ed25519_verify(m + len, m, len, ed_pk) != 0 ||
        e4pq_mldsa65_verify(m + len + E4_SIGNATURE_LEN, m, len, ctx, ctx_len, mldsa_pk) != 0)
        return E4_ERR_INVALID_SIGNATURE;
    return E4_OK;
}

e4_err e4_pq_pk_protect(const uint8_t key[E4_KEY_LEN], const uint8_t signer_id[E4_ID_LEN],
                        const uint8_t ed25519_sk[E4_ED25519_SK_LEN],
                        const uint8_t mldsa_seed[E4_MLDSA65_SEED_LEN], uint64_t ts,
                        const uint8_t *plain, size_t plain_len, uint8_t *out)
{
    if (!key || !signer_id || !ed25519_sk || !mldsa_seed || !out || (!plain && plain_len))
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    e4_err err = e4i_check_protect(key, ts, plain_len);
    if (err)
        return err;
    if (e4i_is_zero(ed25519_sk, E4_ED25519_SK_LEN) || e4i_is_zero(mldsa_seed, E4_MLDSA65_SEED_LEN))
        return E4_ERR_ZERO_KEY;
    put_header(out, ts);
    memcpy(out + HEADER, signer_id, E4_ID_LEN);
    if (e4c_siv_seal(key, out, HEADER, plain, plain_len, out + V_AT) != 0)
        return E4_ERR_CRYPTO;
    return sign_both(out, V_AT + E4_TAG_LEN + plain_len, ed25519_sk, mldsa_seed, ctx_message,
                     sizeof ctx_message - 1);
}

e4_err e4_pq_pk_signer(uint8_t id[E4_ID_LEN], const uint8_t *in, size_t in_len)
{
    if (!id || (!in && in_len))
        return E4_ERR_INVALID_ARGUMENT;
    e4_err err = e4i_check_suite_header(in, in_len, E4_SUITE_PQ_PK, E4_PQ_PK_OVERHEAD);
    if (err == E4_OK)
        memcpy(id, in + HEADER, E4_ID_LEN);
    return err;
}

e4_err e4_pq_pk_unprotect(const uint8_t key[E4_KEY_LEN],
                          const uint8_t signer_ed25519_pk[E4_ED25519_PK_LEN],
                          const uint8_t signer_mldsa_pk[E4_MLDSA65_PK_LEN], const uint8_t *in,
                          size_t in_len, uint8_t *out, size_t *out_len, uint64_t now, uint32_t skew)
{
    if (!key || !signer_ed25519_pk || !signer_mldsa_pk || (!in && in_len) || !out || !out_len)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    if (e4i_is_zero(key, E4_KEY_LEN))
        return E4_ERR_ZERO_KEY;
    e4_err err = e4i_check_suite_header(in, in_len, E4_SUITE_PQ_PK, E4_PQ_PK_OVERHEAD);
    if (err == E4_OK)
        err = e4i_check_timestamp(e4i_load64le(in + 2), now, skew);
    const size_t m_len = in_len - SIGS_LEN;
    if (err == E4_OK)
        err = verify_both(in, m_len, signer_ed25519_pk, signer_mldsa_pk, ctx_message,
                          sizeof ctx_message - 1);
    return err ? err : e4i_pq_pk_decrypt(key, in, in_len, out, out_len);
}

e4_err e4i_pq_pk_decrypt(const uint8_t key[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                         uint8_t *out, size_t *out_len)
{
    const size_t n = in_len - E4_PQ_PK_OVERHEAD;
    if (e4c_siv_open(key, in, HEADER, in + V_AT, n, out) != 0)
        return E4_ERR_NOT_AUTHENTIC;
    *out_len = n;
    return E4_OK;
}

e4_err e4_mldsa65_public(uint8_t pk[E4_MLDSA65_PK_LEN], const uint8_t seed[E4_MLDSA65_SEED_LEN])
{
    if (!pk || !seed)
        return E4_ERR_INVALID_ARGUMENT;
    uint8_t sk[E4PQ_MLDSA65_SK];
    e4pq_mldsa65_keygen(pk, sk, seed);
    e4c_wipe(sk, sizeof sk);
    return E4_OK;
}

e4_err e4_xwing_public(uint8_t pk[E4_XWING_PK_LEN], const uint8_t seed[E4_XWING_SEED_LEN])
{
    if (!pk || !seed)
        return E4_ERR_INVALID_ARGUMENT;
    return e4pq_xwing_keygen(pk, seed) ? E4_ERR_UNSUPPORTED : E4_OK;
}

/* ---- the control topic ------------------------------------------------------ */

/* K_epoch = SHA3-256(label || epoch(4) || ss). */
static void epoch_key(uint8_t key[E4_KEY_LEN], uint32_t epoch, const uint8_t ss[32])
{
    uint8_t in[sizeof key_label - 1 + 4 + 32];
    memcpy(in, key_label, sizeof key_label - 1);
    put_u32le(in + sizeof key_label - 1, epoch);
    memcpy(in + sizeof key_label - 1 + 4, ss, 32);
    e4c_sha3_256(key, in, sizeof in);
    e4c_wipe(in, sizeof in);
}

e4_err e4_pq_pk_key_encaps(uint8_t ct[E4_XWING_CT_LEN], uint8_t cmd_key[E4_KEY_LEN],
                           const uint8_t client_xwing_pk[E4_XWING_PK_LEN], uint32_t epoch,
                           const uint8_t eseed[64])
{
    if (!ct || !cmd_key || !client_xwing_pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    uint8_t ss[32];
    int rc = eseed ? e4pq_xwing_encaps(ct, ss, client_xwing_pk, eseed)
                   : e4pq_xwing_encaps_random(ct, ss, client_xwing_pk);
    if (rc != 0)
        return E4_ERR_INVALID_KEY;
    epoch_key(cmd_key, epoch, ss);
    e4c_wipe(ss, sizeof ss);
    return E4_OK;
}

e4_err e4_pq_pk_key_sign(uint8_t out[E4_PQ_PK_KEY_MSG_LEN], const uint8_t ct[E4_XWING_CT_LEN],
                         uint32_t epoch, uint64_t ts,
                         const uint8_t c2_ed25519_sk[E4_ED25519_SK_LEN],
                         const uint8_t c2_mldsa_seed[E4_MLDSA65_SEED_LEN])
{
    if (!out || !ct || !c2_ed25519_sk || !c2_mldsa_seed)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    if (ts >= (UINT64_C(1) << 63))
        return E4_ERR_INVALID_ARGUMENT;
    put_header(out, ts);
    out[HEADER] = KIND_KEY;
    put_u32le(out + HEADER + 1, epoch);
    memmove(out + CONTROL_HEAD, ct, E4_XWING_CT_LEN);
    return sign_both(out, CONTROL_HEAD + E4_XWING_CT_LEN, c2_ed25519_sk, c2_mldsa_seed, ctx_c2,
                     sizeof ctx_c2 - 1);
}

e4_err e4_pq_pk_key_establish(uint8_t out[E4_PQ_PK_KEY_MSG_LEN], uint8_t cmd_key[E4_KEY_LEN],
                              const uint8_t c2_ed25519_sk[E4_ED25519_SK_LEN],
                              const uint8_t c2_mldsa_seed[E4_MLDSA65_SEED_LEN],
                              const uint8_t client_xwing_pk[E4_XWING_PK_LEN], uint32_t epoch,
                              uint64_t ts, const uint8_t eseed[64])
{
    if (!out || !cmd_key || !c2_ed25519_sk || !c2_mldsa_seed || !client_xwing_pk)
        return E4_ERR_INVALID_ARGUMENT;
    if (ts >= (UINT64_C(1) << 63))
        return E4_ERR_INVALID_ARGUMENT;
    e4_err err = e4_pq_pk_key_encaps(out + CONTROL_HEAD, cmd_key, client_xwing_pk, epoch, eseed);
    if (err == E4_OK)
        err = e4_pq_pk_key_sign(out, out + CONTROL_HEAD, epoch, ts, c2_ed25519_sk, c2_mldsa_seed);
    if (err)
        e4c_wipe(cmd_key, E4_KEY_LEN);
    return err;
}

/* The control-topic header: length, suite, kind, timestamp. */
static e4_err check_control(const uint8_t *in, size_t in_len, size_t min_len, uint8_t kind,
                            uint64_t now, uint32_t skew)
{
    e4_err err = e4i_check_suite_header(in, in_len, E4_SUITE_PQ_PK, min_len);
    if (err)
        return err;
    if (in[HEADER] != kind)
        return E4_ERR_INVALID_COMMAND;
    return e4i_check_timestamp(e4i_load64le(in + 2), now, skew);
}

e4_err e4_pq_pk_key_open(uint8_t cmd_key[E4_KEY_LEN], uint32_t *epoch, const uint8_t *in,
                         size_t in_len, const uint8_t c2_ed25519_pk[E4_ED25519_PK_LEN],
                         const uint8_t c2_mldsa_pk[E4_MLDSA65_PK_LEN],
                         const uint8_t xwing_seed[E4_XWING_SEED_LEN], uint64_t now, uint32_t skew)
{
    if (!cmd_key || !epoch || (!in && in_len) || !c2_ed25519_pk || !c2_mldsa_pk || !xwing_seed)
        return E4_ERR_INVALID_ARGUMENT;
    if (!e4c_has_pk())
        return E4_ERR_UNSUPPORTED;
    e4_err err = check_control(in, in_len, E4_PQ_PK_KEY_MSG_LEN, KIND_KEY, now, skew);
    if (err == E4_OK && in_len != E4_PQ_PK_KEY_MSG_LEN)
        err = E4_ERR_INVALID_ARG_LENGTH;
    if (err == E4_OK)
        err = verify_both(in, CONTROL_HEAD + E4_XWING_CT_LEN, c2_ed25519_pk, c2_mldsa_pk, ctx_c2,
                          sizeof ctx_c2 - 1);
    if (err)
        return err;
    uint8_t ss[32];
    if (e4pq_xwing_decaps(ss, in + CONTROL_HEAD, xwing_seed) != 0)
        return E4_ERR_INVALID_KEY; /* a low-order X25519 part, signed by C2 all the same */
    *epoch = get_u32le(in + HEADER + 1);
    epoch_key(cmd_key, *epoch, ss);
    e4c_wipe(ss, sizeof ss);
    return E4_OK;
}

e4_err e4_pq_pk_command_protect(const uint8_t cmd_key[E4_KEY_LEN], uint32_t epoch, uint64_t ts,
                                const uint8_t *cmd, size_t cmd_len, uint8_t *out)
{
    if (!cmd_key || !out || (!cmd && cmd_len))
        return E4_ERR_INVALID_ARGUMENT;
    e4_err err = e4i_check_protect(cmd_key, ts, cmd_len);
    if (err)
        return err;
    put_header(out, ts);
    out[HEADER] = KIND_COMMAND;
    put_u32le(out + HEADER + 1, epoch);
    return e4c_siv_seal(cmd_key, out, CONTROL_HEAD, cmd, cmd_len, out + CONTROL_HEAD)
               ? E4_ERR_CRYPTO
               : E4_OK;
}

e4_err e4_pq_pk_command_open(const uint8_t cmd_key[E4_KEY_LEN], const uint8_t *in, size_t in_len,
                             uint8_t *out, size_t *out_len, uint32_t *epoch, uint64_t now,
                             uint32_t skew)
{
    if (!cmd_key || (!in && in_len) || !out || !out_len || !epoch)
        return E4_ERR_INVALID_ARGUMENT;
    if (e4i_is_zero(cmd_key, E4_KEY_LEN))
        return E4_ERR_ZERO_KEY;
    e4_err err = check_control(in, in_len, E4_PQ_PK_CMD_OVERHEAD, KIND_COMMAND, now, skew);
    if (err)
        return err;
    const size_t n = in_len - E4_PQ_PK_CMD_OVERHEAD;
    if (e4c_siv_open(cmd_key, in, CONTROL_HEAD, in + CONTROL_HEAD, n, out) != 0)
        return E4_ERR_NOT_AUTHENTIC;
    *out_len = n;
    *epoch = get_u32le(in + HEADER + 1);
    return E4_OK;
}
