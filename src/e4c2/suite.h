/*
 * suite: what a C2 mode means for keys and commands (spec e4-suites.md).
 *
 * A mode is a family and a suite: sk and fips-sk are symmetric (a 32-byte
 * key per client); pk, fips-pk and pq-pk hold public keys of clients and a
 * key set of C2's own. Everything size- or algorithm-dependent is here, so
 * the store's code is the same in every suite.
 */
#ifndef E4C2_SUITE_H
#define E4C2_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include <e4/e4.h>

#include "store.h"

/* "sk", "pk", "fips-sk", "fips-pk", "pq-pk"; -1 for anything else. */
int c2_mode_parse(const char *text, c2_mode *mode, e4_suite *suite);
const char *c2_mode_name(c2_mode mode, e4_suite suite);

/* A client's public key set: base Ed25519 (32); fips-pk sign_pk(33) ||
 * agree_pk(33); pq-pk ed25519(32) || mldsa65(1952) || xwing(1216). */
size_t c2_client_pk_len(e4_suite suite);
/* The part of it that SetPubKey carries (a peer's signing keys). */
size_t c2_client_sign_pk_len(e4_suite suite);
/* SetPubKey's argument for a peer: its signing keys || its id. */
#define C2_SETPUBKEY_MAX (E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN + E4_ID_LEN)
size_t c2_setpubkey_args(e4_suite suite, uint8_t args[C2_SETPUBKEY_MAX], const uint8_t *pubkey,
                         const uint8_t id[E4_ID_LEN]);
/* A generated client key set as SetIDKey carries it (and `e4 client
 * --sign-key` takes it): SK 32, base PK 64, fips-pk 64, pq-pk 128. */
size_t c2_client_sk_len(c2_mode mode, e4_suite suite);
/* A fresh client key set of a public-key suite, sk as SetIDKey's argument. */
int c2_client_keygen(e4_suite suite, uint8_t sk[C2_CLIENT_SK_MAX], uint8_t pk[C2_PUBKEY_MAX]);
/* NULL when pk (c2_client_pk_len bytes) is usable, else what is wrong. */
const char *c2_client_pk_problem(e4_suite suite, const uint8_t *pk);

/* C2's own key set: base X25519 (32 / 32); fips-pk P-256 agreement
 * (33 public / 32 private); pq-pk Ed25519 || ML-DSA-65 (32 + 1952 public,
 * the SetC2Key argument / 64 + 32 seed private). */
size_t c2_own_pk_len(e4_suite suite);
size_t c2_own_sk_len(e4_suite suite);
int c2_own_keygen(e4_suite suite, uint8_t sk[C2_OWN_SK_MAX], uint8_t pk[C2_OWN_PK_MAX]);

/* Protected command size for a command of cmd_len bytes. */
size_t c2_protected_len(e4_suite suite, size_t cmd_len);

#endif
