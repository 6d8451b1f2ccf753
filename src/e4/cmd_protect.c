/* e4 protect / e4 unprotect: stdin to stdout with explicit key material, in
 * any suite. Each: parse the options, validate (read the secrets), run. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage_protect(void)
{
    printf("Usage: e4 protect --key HEX [--suite SUITE] [--sign-key HEX --id ID]\n"
           "                  [--mldsa-key HEX] [--time UNIX] [--hex]\n"
           "Protect the payload read on stdin and write the protected message to stdout.\n"
           "\n"
           "  -k, --key HEX        the topic key (32 bytes, 64 hex digits); visible in\n"
           "                       ps: prefer --key-file or E4_KEY\n"
           "      --key-file FILE  read the key (hex, first line) from FILE ('-': stdin)\n"
           "      --suite SUITE    base (default), fips-sk, fips-pk or pq-pk\n"
           "  -s, --sign-key HEX   signed formats: the sender's signing key: Ed25519\n"
           "                       (64 bytes: seed||public) in base PK and pq-pk, P-256\n"
           "                       (32 bytes) in fips-pk; needs --id\n"
           "      --sign-key-file FILE  the same, read from FILE (or E4_SIGN_KEY)\n"
           "      --mldsa-key HEX  pq-pk: the sender's ML-DSA-65 seed (32 bytes)\n"
           "      --mldsa-key-file FILE  the same, read from FILE (or E4_MLDSA_KEY)\n"
           "  -i, --id ID          signed formats: the sender's id (32 hex digits, or a\n"
           "                       name that is hashed to an id)\n"
           "  -t, --time UNIX      timestamp to put in the message instead of the clock\n"
           "  -x, --hex            input and output in hex (whitespace in the input is\n"
           "                       ignored); otherwise both are binary\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "Base symmetric-key format: ts(8) || tag(16) || ciphertext; base public-key\n"
           "format: ts(8) || id(16) || tag(16) || ciphertext || signature(64). The\n"
           "suites (docs/e4.md; bytes added to the payload):\n");
    cli_print_suites(stdout, "  ");
    printf("Environment: E4_KEY, E4_SIGN_KEY, E4_MLDSA_KEY (used when no option gives\n"
           "the key). All-zero keys and --time of 2^63 or more are refused.\n"
           "Exit status 1 with the reason on stderr on failure.\n");
}

static void usage_unprotect(void)
{
    printf("Usage: e4 unprotect --key HEX [--suite SUITE] [--pubkey ID:HEX]...\n"
           "                    [--now UNIX] [--hex]\n"
           "Check and decrypt the protected message read on stdin, write the payload\n"
           "to stdout.\n"
           "\n"
           "  -k, --key HEX         the topic key (32 bytes, 64 hex digits); visible in\n"
           "                        ps: prefer --key-file or E4_KEY\n"
           "      --key-file FILE   read the key (hex, first line) from FILE ('-': stdin)\n"
           "      --suite SUITE     base (default), fips-sk, fips-pk or pq-pk: a message\n"
           "                        of another suite fails as \"wrong suite\"\n"
           "  -p, --pubkey ID:HEX   a signer's id (32 hex digits or a name) and public\n"
           "                        key: Ed25519 (32 bytes) in base, compressed P-256\n"
           "                        (33) in fips-pk, Ed25519 || ML-DSA-65 (32 + 1,952)\n"
           "                        in pq-pk; HEX may be @FILE (hex on its first line).\n"
           "                        Repeat for several signers. In base, without it the\n"
           "                        message is taken to be in symmetric-key format.\n"
           "  -P, --pk              base public-key format even without --pubkey (every\n"
           "                        signer is then unknown)\n"
           "  -n, --now UNIX        the current time for the timestamp check instead of\n"
           "                        the clock (messages older than 600 s are rejected)\n"
           "      --clock-skew SEC  accept timestamps up to SEC seconds in the future\n"
           "                        (default 0, as the reference)\n"
           "  -x, --hex             input and output in hex; otherwise binary\n"
           "  -h, --help            show this help and exit\n"
           "  -V, --version         show the version and exit\n"
           "\n"
           "Environment: E4_KEY (used when no option gives the key).\n"
           "Exit status 1 with the reason on stderr (e.g. \"not authentic\",\n"
           "\"timestamp too old\", \"public key not found\", \"wrong suite\") on failure.\n");
}

/* Prints the reason for an e4 error; returns the exit status 1. */
static int fail(e4_err err)
{
    cli_error("%s", e4_strerror(err));
    return 1;
}

/* Read stdin, binary or hex. Returns 0, or 1 after printing the reason. */
static int read_input(int hex, uint8_t **in, size_t *in_len)
{
    uint8_t *raw;
    size_t raw_len;
    int rc;

    if (io_read_all(STDIN_FILENO, &raw, &raw_len) != 0) {
        cli_error("cannot read stdin: %s", strerror(errno));
        return 1;
    }
    if (!hex) {
        *in = raw;
        *in_len = raw_len;
        return 0;
    }
    rc = hex_decode_text((const char *)raw, raw_len, in, in_len);
    free(raw);
    if (rc == -1) {
        cli_error("stdin is not valid hex (expected an even number of hex digits)");
        return 1;
    }
    if (rc != 0)
        return fail(E4_ERR_NO_MEMORY);
    return 0;
}

static e4_suite suite_id(const struct cli_suite *s)
{
    return s ? s->suite : E4_SUITE_BASE;
}

/* ---- protect ---- */

struct protect_opts {
    const struct cli_suite *suite;
    struct secret_src key_src, sk_src, mldsa_src;
    uint8_t id[E4_ID_LEN];
    int have_id, hex;
    uint64_t ts;
};

struct protect_keys {
    uint8_t key[E4_KEY_LEN], sk[E4_ED25519_SK_LEN], mldsa[E4_MLDSA65_SEED_LEN];
    int have_key, have_sk, have_mldsa;
};

/* 0 to go on; otherwise *rc is the exit status. */
static int protect_parse(int argc, char **argv, struct protect_opts *o, int *rc)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"key-file", required_argument, NULL, 'K'},
        {"suite", required_argument, NULL, 'u'},
        {"sign-key", required_argument, NULL, 's'},
        {"sign-key-file", required_argument, NULL, 'S'},
        {"mldsa-key", required_argument, NULL, 'm'},
        {"mldsa-key-file", required_argument, NULL, 'M'},
        {"id", required_argument, NULL, 'i'},
        {"time", required_argument, NULL, 't'},
        {"hex", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *rc = 0;
    while ((c = getopt_long(argc, argv, "k:s:i:t:xhV", opts, NULL)) != -1) {
        switch (c) {
        case 'k': o->key_src.value = optarg; break;
        case 'K': o->key_src.file = optarg; break;
        case 'u': *rc = arg_suite("--suite", optarg, &o->suite); break;
        case 's': o->sk_src.value = optarg; break;
        case 'S': o->sk_src.file = optarg; break;
        case 'm': o->mldsa_src.value = optarg; break;
        case 'M': o->mldsa_src.file = optarg; break;
        case 'i':
            *rc = arg_id("--id", optarg, o->id);
            o->have_id = 1;
            break;
        case 't': *rc = arg_time("--time", optarg, &o->ts); break;
        case 'x': o->hex = 1; break;
        case 'h': usage_protect(); return 1;
        case 'V': *rc = cli_version(); return 1;
        default: *rc = cli_try_help(); return 1;
        }
        if (*rc)
            break;
    }
    return cli_end_of_options(argc, argv, rc);
}

/* The signing key's length in a suite (0: the suite signs nothing). */
static size_t sign_key_len(e4_suite suite)
{
    switch (suite) {
    case E4_SUITE_FIPS_SK: return 0;
    case E4_SUITE_FIPS_PK: return E4_P256_SK_LEN;
    default: return E4_ED25519_SK_LEN;
    }
}

/* The secrets, each read at its suite's length (environment variables only
 * where the suite uses the key). */
static int protect_read_keys(struct protect_opts *o, struct protect_keys *k, size_t sk_len)
{
    e4_suite suite = suite_id(o->suite);
    int rc;

    if (!o->have_id && suite != E4_SUITE_FIPS_PK && suite != E4_SUITE_PQ_PK)
        o->sk_src.env = NULL; /* E4_SIGN_KEY only for a signed message */
    if (suite != E4_SUITE_PQ_PK)
        o->mldsa_src.env = NULL;
    if ((rc = arg_secret_key("--key", &o->key_src, k->key, E4_KEY_LEN, &k->have_key)))
        return rc;
    if (sk_len && (rc = arg_secret_key("--sign-key", &o->sk_src, k->sk, sk_len, &k->have_sk)))
        return rc;
    return arg_secret_key("--mldsa-key", &o->mldsa_src, k->mldsa, sizeof k->mldsa, &k->have_mldsa);
}

static int protect_validate(struct protect_opts *o, struct protect_keys *k)
{
    e4_suite suite = suite_id(o->suite);
    size_t sk_len = sign_key_len(suite);
    int rc = protect_read_keys(o, k, sk_len);

    if (rc)
        return rc;
    if (!k->have_key)
        return cli_usage_error("--key is required");
    if (!sk_len && (o->sk_src.value || o->sk_src.file || o->have_id))
        return cli_usage_error("--suite fips-sk signs nothing: no --sign-key or --id");
    if (k->have_mldsa != (suite == E4_SUITE_PQ_PK))
        return cli_usage_error(k->have_mldsa
                                   ? "--mldsa-key is for --suite pq-pk"
                                   : "--suite pq-pk needs --mldsa-key (the ML-DSA-65 seed)");
    if ((suite == E4_SUITE_FIPS_PK || suite == E4_SUITE_PQ_PK) && !(k->have_sk && o->have_id))
        return cli_usage_error("--suite %s signs every message: --sign-key and --id are "
                               "required",
                               o->suite->name);
    if (k->have_sk != o->have_id)
        return cli_usage_error("--sign-key and --id go together (public-key mode)");
    return 0;
}

static e4_err protect_in_suite(const struct protect_opts *o, const struct protect_keys *k,
                               const uint8_t *in, size_t in_len, uint8_t *out)
{
    switch (suite_id(o->suite)) {
    case E4_SUITE_FIPS_SK: return e4_fips_sk_protect(k->key, o->ts, NULL, in, in_len, out);
    case E4_SUITE_FIPS_PK:
        return e4_fips_pk_protect(k->key, o->id, k->sk, o->ts, NULL, in, in_len, out);
    case E4_SUITE_PQ_PK:
        return e4_pq_pk_protect(k->key, o->id, k->sk, k->mldsa, o->ts, in, in_len, out);
    default:
        return k->have_sk ? e4_pk_protect(k->key, o->id, k->sk, o->ts, in, in_len, out)
                          : e4_sk_protect(k->key, o->ts, in, in_len, out);
    }
}

static int protect_run(const struct protect_opts *o, const struct protect_keys *k)
{
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, overhead, out_len;
    int rc;

    if ((rc = read_input(o->hex, &in, &in_len)))
        return rc;
    overhead = o->suite && o->suite->overhead ? o->suite->overhead
               : k->have_sk                   ? E4_PK_OVERHEAD
                                              : E4_SK_OVERHEAD;
    out_len = in_len + overhead;
    out = in_len <= E4_PAYLOAD_MAX ? malloc(out_len) : NULL;
    if (!out)
        rc = fail(in_len <= E4_PAYLOAD_MAX ? E4_ERR_NO_MEMORY : E4_ERR_INVALID_ARGUMENT);
    else {
        e4_err err = protect_in_suite(o, k, in, in_len, out);
        rc = err != E4_OK ? fail(err) : io_write_output(o->hex, out, out_len);
    }
    e4_wipe(in, in_len);
    free(in);
    free(out);
    return rc;
}

int cmd_protect(int argc, char **argv)
{
    struct protect_opts o;
    struct protect_keys k;
    int rc;

    memset(&o, 0, sizeof o);
    memset(&k, 0, sizeof k);
    o.key_src.env = "E4_KEY";
    o.sk_src.env = "E4_SIGN_KEY";
    o.mldsa_src.env = "E4_MLDSA_KEY";
    o.ts = (uint64_t)time(NULL);
    cli_protect_secrets();
    cli_stdin_is_data = 1;
    if (!protect_parse(argc, argv, &o, &rc) && !(rc = protect_validate(&o, &k)))
        rc = protect_run(&o, &k);
    e4_wipe(&k, sizeof k);
    return rc;
}

/* ---- unprotect ---- */

struct signer {
    const char *spec; /* the option's ID:HEX, decoded once --suite is known */
    uint8_t id[E4_ID_LEN];
    uint8_t *pk; /* the suite's public key (pq-pk: Ed25519 || ML-DSA-65) */
};

struct unprotect_opts {
    const struct cli_suite *suite;
    struct secret_src key_src;
    struct signer *signers;
    size_t nsigners;
    int hex, pk_mode;
    uint64_t now;
    uint32_t skew;
};

static size_t signer_pk_len(e4_suite suite)
{
    switch (suite) {
    case E4_SUITE_FIPS_PK: return E4_P256_PK_LEN;
    case E4_SUITE_PQ_PK: return E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN;
    default: return E4_ED25519_PK_LEN;
    }
}

/* --pubkey ID:HEX (HEX may be @FILE); the length depends on --suite, so
 * these are decoded once the options are all read. */
static int add_signer(struct unprotect_opts *o, const char *value)
{
    struct signer *ns = realloc(o->signers, (o->nsigners + 1) * sizeof *ns);
    if (!ns)
        return fail(E4_ERR_NO_MEMORY);
    o->signers = ns;
    ns[o->nsigners].spec = value;
    ns[o->nsigners].pk = NULL;
    o->nsigners++;
    return 0;
}

static int decode_signer(struct signer *s, size_t pk_len)
{
    const char *value = s->spec, *right;
    char *left, *text = NULL;
    int rc;

    if (arg_split_last_colon(value, &left, &right) != 0)
        return cli_usage_error("--pubkey: expected ID:HEX, got '%.80s'", value);
    rc = arg_id("--pubkey", left, s->id);
    free(left);
    if (!rc && right[0] == '@')
        rc = arg_secret(NULL, right + 1, NULL, &text);
    if (!rc && !(s->pk = malloc(pk_len)))
        rc = fail(E4_ERR_NO_MEMORY);
    if (!rc)
        rc = arg_hex("--pubkey", text ? text : right, s->pk, pk_len);
    free(text);
    return rc;
}

static int unprotect_parse(int argc, char **argv, struct unprotect_opts *o, int *rc)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"key-file", required_argument, NULL, 'K'},
        {"suite", required_argument, NULL, 'u'},
        {"pubkey", required_argument, NULL, 'p'},
        {"pk", no_argument, NULL, 'P'},
        {"now", required_argument, NULL, 'n'},
        {"clock-skew", required_argument, NULL, 'S'},
        {"hex", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *rc = 0;
    while ((c = getopt_long(argc, argv, "k:p:Pn:xhV", opts, NULL)) != -1) {
        switch (c) {
        case 'k': o->key_src.value = optarg; break;
        case 'K': o->key_src.file = optarg; break;
        case 'u': *rc = arg_suite("--suite", optarg, &o->suite); break;
        case 'p': *rc = add_signer(o, optarg); break;
        case 'P': o->pk_mode = 1; break;
        case 'n': *rc = arg_u64("--now", optarg, &o->now); break;
        case 'S': *rc = arg_u32("--clock-skew", optarg, UINT32_MAX, &o->skew); break;
        case 'x': o->hex = 1; break;
        case 'h': usage_unprotect(); return 1;
        case 'V': *rc = cli_version(); return 1;
        default: *rc = cli_try_help(); return 1;
        }
        if (*rc)
            break;
    }
    return cli_end_of_options(argc, argv, rc);
}

static int unprotect_validate(struct unprotect_opts *o, uint8_t key[E4_KEY_LEN])
{
    e4_suite suite = suite_id(o->suite);
    size_t i;
    int rc = 0, have_key = 0;

    for (i = 0; i < o->nsigners && !rc; i++)
        rc = decode_signer(&o->signers[i], signer_pk_len(suite));
    if (rc)
        return rc;
    if (o->nsigners && suite == E4_SUITE_FIPS_SK)
        return cli_usage_error("--suite fips-sk signs nothing: no --pubkey");
    if (o->pk_mode && suite != E4_SUITE_BASE)
        return cli_usage_error("--pk is for the base suite (fips-pk and pq-pk are always signed)");
    if ((rc = arg_secret_key("--key", &o->key_src, key, E4_KEY_LEN, &have_key)))
        return rc;
    if (!have_key)
        return cli_usage_error("--key is required");
    return 0;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* A signer the caller does not know: the protocol checks the timestamp
 * before the public key lookup. */
static e4_err unknown_signer(const uint8_t *ts_bytes, uint64_t now, uint32_t skew)
{
    uint64_t ts = le64(ts_bytes);
    if (ts >= (UINT64_C(1) << 63)) /* negative in the reference: too old */
        return E4_ERR_TIMESTAMP_TOO_OLD;
    if (ts > now && ts - now > skew)
        return E4_ERR_TIMESTAMP_IN_FUTURE;
    if (now >= E4_MAX_DELAY && ts < now - E4_MAX_DELAY)
        return E4_ERR_TIMESTAMP_TOO_OLD;
    return E4_ERR_PUBKEY_NOT_FOUND;
}

static e4_err signer_of(e4_suite suite, uint8_t id[E4_ID_LEN], const uint8_t *in, size_t len)
{
    switch (suite) {
    case E4_SUITE_FIPS_PK: return e4_fips_pk_signer(id, in, len);
    case E4_SUITE_PQ_PK: return e4_pq_pk_signer(id, in, len);
    default: return e4_pk_signer(id, in, len);
    }
}

/* Signed formats: find the signer, keeping the protocol's order of checks
 * (length, suite, timestamp, then public key lookup). */
static e4_err signed_unprotect(const struct unprotect_opts *o, const uint8_t key[E4_KEY_LEN],
                               const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    e4_suite suite = suite_id(o->suite);
    uint8_t id[E4_ID_LEN];
    const uint8_t *pk = NULL;
    size_t i;
    e4_err err = signer_of(suite, id, in, in_len);

    if (err != E4_OK)
        return err;
    for (i = 0; i < o->nsigners && !pk; i++)
        if (!memcmp(o->signers[i].id, id, E4_ID_LEN))
            pk = o->signers[i].pk;
    if (!pk)
        return unknown_signer(suite == E4_SUITE_BASE ? in : in + 2, o->now, o->skew);
    if (suite == E4_SUITE_FIPS_PK)
        return e4_fips_pk_unprotect(key, pk, in, in_len, out, out_len, o->now, o->skew);
    if (suite == E4_SUITE_PQ_PK)
        return e4_pq_pk_unprotect(key, pk, pk + E4_ED25519_PK_LEN, in, in_len, out, out_len, o->now,
                                  o->skew);
    return e4_pk_unprotect(key, pk, in, in_len, out, out_len, o->now, o->skew);
}

static e4_err unprotect_in_suite(const struct unprotect_opts *o, const uint8_t key[E4_KEY_LEN],
                                 const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    switch (suite_id(o->suite)) {
    case E4_SUITE_FIPS_SK:
        return e4_fips_sk_unprotect(key, in, in_len, out, out_len, o->now, o->skew);
    case E4_SUITE_BASE:
        if (!o->nsigners && !o->pk_mode)
            return e4_sk_unprotect(key, in, in_len, out, out_len, o->now, o->skew);
        /* fall through */
    default: return signed_unprotect(o, key, in, in_len, out, out_len);
    }
}

static int unprotect_run(const struct unprotect_opts *o, const uint8_t key[E4_KEY_LEN])
{
    uint8_t *in = NULL, *out;
    size_t in_len = 0, out_len = 0;
    int rc;

    if ((rc = read_input(o->hex, &in, &in_len)))
        return rc;
    out = malloc(in_len + 1);
    if (!out) {
        rc = fail(E4_ERR_NO_MEMORY);
    } else {
        e4_err err = unprotect_in_suite(o, key, in, in_len, out, &out_len);
        rc = err != E4_OK ? fail(err) : io_write_output(o->hex, out, out_len);
        e4_wipe(out, out_len);
    }
    free(in);
    free(out);
    return rc;
}

int cmd_unprotect(int argc, char **argv)
{
    struct unprotect_opts o;
    uint8_t key[E4_KEY_LEN];
    size_t i;
    int rc;

    memset(&o, 0, sizeof o);
    o.key_src.env = "E4_KEY";
    o.now = (uint64_t)time(NULL);
    cli_protect_secrets();
    cli_stdin_is_data = 1;
    if (!unprotect_parse(argc, argv, &o, &rc) && !(rc = unprotect_validate(&o, key)))
        rc = unprotect_run(&o, key);
    e4_wipe(key, sizeof key);
    for (i = 0; i < o.nsigners; i++)
        free(o.signers[i].pk);
    free(o.signers);
    return rc;
}
