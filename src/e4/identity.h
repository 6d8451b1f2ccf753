/*
 * The E4 identity of a device program, from its command line: one device
 * model for `e4 client`, e4proxy (and whoever else acts as a device).
 *
 * Options (see IDENTITY_LONG_OPTIONS): --id/--name with --key (--key-file,
 * E4_KEY) or --password (--password-file, E4_PASSWORD); --sign-key
 * (--sign-key-file, E4_SIGN_KEY) with --c2-pubkey (--c2-pubkey-file), in
 * every suite: the suite's whole key sets (identity_keys.c); --suite; --state
 * FILE; the repeatable --topic-key TOPIC:HEX, --topic-key-file TOPIC:FILE
 * and --pubkey ID:HEX; --clock-skew, --control-topic, --no-replay-check,
 * --max-topics, --max-pubkeys.
 */
#ifndef E4_CLI_IDENTITY_H
#define E4_CLI_IDENTITY_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <e4/client.h>

#include "cli.h"

/* getopt_long codes of the identity options (short ones: i n k p). */
enum {
    IDO_KEY_FILE = 0x1000,
    IDO_PASSWORD_FILE,
    IDO_SIGN_KEY,
    IDO_SIGN_KEY_FILE,
    IDO_C2_PUBKEY,
    IDO_STATE,
    IDO_TOPIC_KEY,
    IDO_TOPIC_KEY_FILE,
    IDO_PUBKEY,
    IDO_CLOCK_SKEW,
    IDO_CONTROL_TOPIC,
    IDO_NO_REPLAY,
    IDO_MAX_TOPICS,
    IDO_MAX_PUBKEYS,
    IDO_SUITE,
    IDO_C2_PUBKEY_FILE,
};
#define IDENTITY_SHORT_OPTIONS "i:n:k:p:"
/* Entries for a program's struct option table. */
// clang-format off
#define IDENTITY_LONG_OPTIONS                                          \
    {"id", required_argument, NULL, 'i'},                              \
    {"name", required_argument, NULL, 'n'},                            \
    {"key", required_argument, NULL, 'k'},                             \
    {"key-file", required_argument, NULL, IDO_KEY_FILE},               \
    {"password", required_argument, NULL, 'p'},                        \
    {"password-file", required_argument, NULL, IDO_PASSWORD_FILE},     \
    {"sign-key", required_argument, NULL, IDO_SIGN_KEY},               \
    {"sign-key-file", required_argument, NULL, IDO_SIGN_KEY_FILE},     \
    {"c2-pubkey", required_argument, NULL, IDO_C2_PUBKEY},             \
    {"c2-pubkey-file", required_argument, NULL, IDO_C2_PUBKEY_FILE},   \
    {"state", required_argument, NULL, IDO_STATE},                     \
    {"suite", required_argument, NULL, IDO_SUITE},                     \
    {"topic-key", required_argument, NULL, IDO_TOPIC_KEY},             \
    {"topic-key-file", required_argument, NULL, IDO_TOPIC_KEY_FILE},   \
    {"pubkey", required_argument, NULL, IDO_PUBKEY},                   \
    {"clock-skew", required_argument, NULL, IDO_CLOCK_SKEW},           \
    {"control-topic", required_argument, NULL, IDO_CONTROL_TOPIC},     \
    {"no-replay-check", no_argument, NULL, IDO_NO_REPLAY},             \
    {"max-topics", required_argument, NULL, IDO_MAX_TOPICS},           \
    {"max-pubkeys", required_argument, NULL, IDO_MAX_PUBKEYS}
// clang-format on

/* The largest key sets: pq-pk's private keys and C2's public keys. */
#define IDENTITY_SIGN_MAX (E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN + E4_XWING_SEED_LEN)
#define IDENTITY_C2_PK_MAX (E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN)

struct identity_opts {
    const char *name, *password_arg, *password_file, *state, *control_topic;
    const char *c2_pk_arg, *c2_pk_file; /* --c2-pubkey (HEX or @FILE), --c2-pubkey-file */
    const struct cli_suite *suite;      /* --suite; NULL: base */
    uint8_t id[E4_ID_LEN], key[E4_KEY_LEN], sign_key[IDENTITY_SIGN_MAX], c2_pk[IDENTITY_C2_PK_MAX];
    int have_id, have_key, have_sign_key, have_c2_pk, no_replay;
    uint32_t clock_skew, max_topics, max_pubkeys;
    uint32_t replay_cache; /* set by the program: e4_client_options' (0: default) */
    struct secret_src key_src, sign_key_src;
    char **topic_keys; /* TOPIC:HEX, or TOPIC:FILE for --topic-key-file */
    unsigned char *topic_key_is_file;
    size_t ntopic_keys;
    char **pubkeys; /* ID:HEX */
    size_t npubkeys;
};

/* The identity part of a program's --help. */
void identity_usage(FILE *f);
/* Handle getopt code c with its argument: 0 (or an exit status after
 * printing the reason) when c is an identity option, -1 when it is not. */
int identity_opt(struct identity_opts *o, int c, const char *arg);
/* After parsing: read the secrets' files and environment (never echoed). */
int identity_resolve_secrets(struct identity_opts *o);
/* Open --state FILE when it exists, else create the client from the
 * identity options (saved to --state FILE when given); then the local
 * --topic-key and --pubkey provisioning. named(ctx, topic) is told every
 * topic given a key (may be NULL). Key material is wiped from o. */
int identity_open(struct identity_opts *o, e4_client **out,
                  void (*named)(void *ctx, const char *topic), void *ctx);
/* e4_strerror, naming the option that raises a capacity that was reached. */
const char *identity_strerror(e4_err err);
/* Wipes the keys and frees the lists. */
void identity_free(struct identity_opts *o);
/* ---- the public-key suites' key sets (identity_keys.c) ---- */

int idkeys_is_pk_suite(e4_suite suite);
/* Bytes of --sign-key, --c2-pubkey and a peer's --pubkey in a suite with
 * public keys (base PK, fips-pk, pq-pk); 0 in the others. */
size_t idkeys_sign_len(e4_suite suite);
size_t idkeys_c2_len(e4_suite suite);
size_t idkeys_peer_len(e4_suite suite);
/* --c2-pubkey (c2 set) or a --sign-key set from HEX, @FILE or file, in the
 * suite's length, each part non-zero; 0 when none was given (out
 * untouched), else an exit status (reported, never echoing the value). */
int idkeys_read(const char *option, const char *value, const char *file, e4_suite suite, int c2,
                uint8_t *out);
/* A --sign-key set read elsewhere: each part non-zero. */
int idkeys_sign_check(const char *option, e4_suite suite, const uint8_t *sign);
/* e4_client_new_pk / _fips_pk / _pq_pk from the sets. */
E4_NODISCARD e4_err idkeys_new_client(e4_client **out, e4_suite suite, const uint8_t id[E4_ID_LEN],
                                      const uint8_t *sign, const uint8_t *c2,
                                      const e4_client_options *eo);
/* Which key an E4_ERR_INVALID_KEY from idkeys_new_client is about; NULL
 * for other errors. */
const char *idkeys_explain(e4_err err, e4_suite suite, const uint8_t *sign, const uint8_t *c2);

/* Append value to a malloc'ed list: 0, or 1 (reported). */
int cli_push(char ***list, size_t *n, char *value);

#endif
