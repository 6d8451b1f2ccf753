/* e4 protect / e4 unprotect: stdin to stdout with explicit key material. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage_protect(void)
{
    printf("Usage: e4 protect --key HEX [--sign-key HEX --id ID] [--time UNIX] [--hex]\n"
           "Protect the payload read on stdin and write the protected message to stdout.\n"
           "\n"
           "  -k, --key HEX        the topic key (32 bytes, 64 hex digits); visible in\n"
           "                       ps: prefer --key-file or E4_KEY\n"
           "      --key-file FILE  read the key (hex, first line) from FILE ('-': stdin)\n"
           "  -s, --sign-key HEX   public-key mode: the sender's Ed25519 private key\n"
           "                       (64 bytes: seed||public); needs --id\n"
           "      --sign-key-file FILE  the same, read from FILE (or E4_SIGN_KEY)\n"
           "  -i, --id ID          public-key mode: the sender's id (32 hex digits, or a\n"
           "                       name that is hashed to an id)\n"
           "  -t, --time UNIX      timestamp to put in the message instead of the clock\n"
           "  -x, --hex            input and output in hex (whitespace in the input is\n"
           "                       ignored); otherwise both are binary\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "Symmetric-key format: ts(8) || tag(16) || ciphertext; public-key format:\n"
           "ts(8) || id(16) || tag(16) || ciphertext || signature(64).\n"
           "Environment: E4_KEY, E4_SIGN_KEY (used when no option gives the key).\n"
           "All-zero keys and --time of 2^63 or more are refused.\n"
           "Exit status 1 with the reason on stderr on failure.\n");
}

static void usage_unprotect(void)
{
    printf("Usage: e4 unprotect --key HEX [--pubkey ID:HEX]... [--now UNIX] [--hex]\n"
           "Check and decrypt the protected message read on stdin, write the payload\n"
           "to stdout.\n"
           "\n"
           "  -k, --key HEX         the topic key (32 bytes, 64 hex digits); visible in\n"
           "                        ps: prefer --key-file or E4_KEY\n"
           "      --key-file FILE   read the key (hex, first line) from FILE ('-': stdin)\n"
           "  -p, --pubkey ID:HEX   public-key mode: a signer's id (32 hex digits or a\n"
           "                        name) and Ed25519 public key; repeat for several\n"
           "                        signers. Without it the message is taken to be in\n"
           "                        symmetric-key format.\n"
           "  -P, --pk              public-key format even without --pubkey (every\n"
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
           "\"timestamp too old\", \"public key not found\") on failure.\n");
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

static int write_output(int hex, const uint8_t *out, size_t len)
{
    if (hex) {
        hex_print_line(stdout, out, len);
        if (fflush(stdout) == 0)
            return 0;
    } else if (io_write_all(STDOUT_FILENO, out, len) == 0) {
        return 0;
    }
    cli_error("cannot write stdout: %s", strerror(errno));
    return 1;
}

int cmd_protect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"key-file", required_argument, NULL, 'K'},
        {"sign-key", required_argument, NULL, 's'},
        {"sign-key-file", required_argument, NULL, 'S'},
        {"id", required_argument, NULL, 'i'},
        {"time", required_argument, NULL, 't'},
        {"hex", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    uint8_t key[E4_KEY_LEN], sk[E4_ED25519_SK_LEN], id[E4_ID_LEN];
    struct secret_src key_src = {NULL, NULL, "E4_KEY"}, sk_src = {NULL, NULL, "E4_SIGN_KEY"};
    int have_key = 0, have_sk = 0, have_id = 0, hex = 0, c, rc;
    uint64_t ts = (uint64_t)time(NULL);
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len;
    e4_err err;

    cli_protect_secrets();
    cli_stdin_is_data = 1;
    while ((c = getopt_long(argc, argv, "k:s:i:t:xhV", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key_src.value = optarg; break;
        case 'K': key_src.file = optarg; break;
        case 's': sk_src.value = optarg; break;
        case 'S': sk_src.file = optarg; break;
        case 'i':
            if ((rc = arg_id("--id", optarg, id)))
                return rc;
            have_id = 1;
            break;
        case 't':
            if ((rc = arg_time("--time", optarg, &ts)))
                return rc;
            break;
        case 'x': hex = 1; break;
        case 'h': usage_protect(); return 0;
        case 'V': return cli_version();
        default: return cli_try_help();
        }
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!have_id) /* E4_SIGN_KEY only for a signed message */
        sk_src.env = NULL;
    if ((rc = arg_secret_key("--key", &key_src, key, sizeof key, &have_key)) ||
        (rc = arg_secret_key("--sign-key", &sk_src, sk, sizeof sk, &have_sk)))
        goto out;
    if (!have_key)
        return cli_usage_error("--key is required");
    if (have_sk != have_id)
        return cli_usage_error("--sign-key and --id go together (public-key mode)");

    if ((rc = read_input(hex, &in, &in_len)))
        goto out;
    out_len = in_len + (have_sk ? E4_PK_OVERHEAD : E4_SK_OVERHEAD);
    out = malloc(out_len);
    if (!out) {
        rc = fail(E4_ERR_NO_MEMORY);
        goto out;
    }
    if (have_sk)
        err = e4_pk_protect(key, id, sk, ts, in, in_len, out);
    else
        err = e4_sk_protect(key, ts, in, in_len, out);
    rc = err != E4_OK ? fail(err) : write_output(hex, out, out_len);
out:
    e4_wipe(key, sizeof key);
    e4_wipe(sk, sizeof sk);
    if (in) {
        e4_wipe(in, in_len);
        free(in);
    }
    free(out);
    return rc;
}

struct signer {
    uint8_t id[E4_ID_LEN];
    uint8_t pk[E4_ED25519_PK_LEN];
};

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Public-key mode: find the signer, keeping the protocol's order of checks
 * (length, timestamp, then public key lookup). */
static e4_err pk_unprotect(const uint8_t key[E4_KEY_LEN], const struct signer *signers,
                           size_t nsigners, const uint8_t *in, size_t in_len, uint8_t *out,
                           size_t *out_len, uint64_t now, uint32_t skew)
{
    uint8_t id[E4_ID_LEN];
    uint64_t ts;
    size_t i;
    e4_err err = e4_pk_signer(id, in, in_len);

    if (err != E4_OK)
        return err;
    for (i = 0; i < nsigners; i++)
        if (!memcmp(signers[i].id, id, E4_ID_LEN))
            return e4_pk_unprotect(key, signers[i].pk, in, in_len, out, out_len, now, skew);
    ts = le64(in);
    if (ts >= (UINT64_C(1) << 63)) /* negative in the reference: too old */
        return E4_ERR_TIMESTAMP_TOO_OLD;
    if (ts > now && ts - now > skew)
        return E4_ERR_TIMESTAMP_IN_FUTURE;
    if (now >= E4_MAX_DELAY && ts < now - E4_MAX_DELAY)
        return E4_ERR_TIMESTAMP_TOO_OLD;
    return E4_ERR_PUBKEY_NOT_FOUND;
}

int cmd_unprotect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},    {"key-file", required_argument, NULL, 'K'},
        {"pubkey", required_argument, NULL, 'p'}, {"pk", no_argument, NULL, 'P'},
        {"now", required_argument, NULL, 'n'},    {"clock-skew", required_argument, NULL, 'S'},
        {"hex", no_argument, NULL, 'x'},          {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    uint8_t key[E4_KEY_LEN];
    struct secret_src key_src = {NULL, NULL, "E4_KEY"};
    struct signer *signers = NULL;
    size_t nsigners = 0;
    int have_key = 0, hex = 0, pk_mode = 0, c, rc = 0;
    uint64_t now = (uint64_t)time(NULL);
    uint32_t skew = 0;
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    e4_err err;

    cli_protect_secrets();
    cli_stdin_is_data = 1;
    while ((c = getopt_long(argc, argv, "k:p:Pn:xhV", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key_src.value = optarg; break;
        case 'K': key_src.file = optarg; break;
        case 'p': {
            char *left;
            const char *right;
            struct signer *ns;
            if (arg_split_last_colon(optarg, &left, &right) != 0) {
                rc = cli_usage_error("--pubkey: expected ID:HEX, got '%s'", optarg);
                goto out;
            }
            ns = realloc(signers, (nsigners + 1) * sizeof *signers);
            if (!ns) {
                free(left);
                rc = fail(E4_ERR_NO_MEMORY);
                goto out;
            }
            signers = ns;
            rc = arg_id("--pubkey", left, signers[nsigners].id);
            free(left);
            if (rc || (rc = arg_hex("--pubkey", right, signers[nsigners].pk, E4_ED25519_PK_LEN)))
                goto out;
            nsigners++;
            break;
        }
        case 'P': pk_mode = 1; break;
        case 'n':
            if ((rc = arg_u64("--now", optarg, &now)))
                goto out;
            break;
        case 'S':
            if ((rc = arg_u32("--clock-skew", optarg, UINT32_MAX, &skew)))
                goto out;
            break;
        case 'x': hex = 1; break;
        case 'h': usage_unprotect(); goto out;
        case 'V': rc = cli_version(); goto out;
        default: rc = cli_try_help(); goto out;
        }
    }
    if (optind < argc) {
        rc = cli_usage_error("unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if ((rc = arg_secret_key("--key", &key_src, key, sizeof key, &have_key)))
        goto out;
    if (!have_key) {
        rc = cli_usage_error("--key is required");
        goto out;
    }
    if ((rc = read_input(hex, &in, &in_len)))
        goto out;
    out = malloc(in_len + 1);
    if (!out) {
        rc = fail(E4_ERR_NO_MEMORY);
        goto out;
    }
    if (nsigners || pk_mode)
        err = pk_unprotect(key, signers, nsigners, in, in_len, out, &out_len, now, skew);
    else
        err = e4_sk_unprotect(key, in, in_len, out, &out_len, now, skew);
    rc = err != E4_OK ? fail(err) : write_output(hex, out, out_len);
out:
    e4_wipe(key, sizeof key);
    free(signers);
    free(in);
    if (out) {
        e4_wipe(out, out_len);
        free(out);
    }
    return rc;
}
