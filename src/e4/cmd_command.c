/* e4 command: build a protected C2 command, byte for byte as the reference. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
    printf("Usage: e4 command CMD [ARG]... (--client-key HEX | --c2-key HEX --client-pubkey HEX)\n"
           "                  [--time UNIX] [--hex]\n"
           "Build a protected C2 command for a client and write it to stdout; publish it\n"
           "on the client's control topic (\"e4/\" + hex id) with QoS 2.\n"
           "\n"
           "Commands:\n"
           "  remove-topic TOPIC           forget TOPIC's key (and its transition key)\n"
           "  reset-topics                 forget every topic key\n"
           "  set-id-key KEY               replace the client's own key (32 bytes for a\n"
           "                               symmetric-key client, 64-byte Ed25519 private\n"
           "                               key for a public-key client)\n"
           "  set-topic-key TOPIC KEY      set TOPIC's key (32 bytes)\n"
           "  remove-pubkey ID             forget a signer's public key (public-key mode)\n"
           "  reset-pubkeys                forget every public key (public-key mode)\n"
           "  set-pubkey ID ED25519_PUBLIC store a signer's public key (public-key mode)\n"
           "  set-c2-key X25519_PUBLIC     replace C2's public key (public-key mode)\n"
           "ID is 32 hex digits, or a name that is hashed to an id (see 'e4 id').\n"
           "Keys are hex; a KEY argument may be @FILE, the key read from the first line\n"
           "of FILE (@- is stdin), so that it does not show in ps. All-zero keys and\n"
           "--time of 2^63 or more are refused.\n"
           "\n"
           "Options:\n"
           "  -k, --client-key HEX     symmetric-key client: its key (32 bytes)\n"
           "      --client-key-file FILE  the same, read from FILE ('-': stdin)\n"
           "  -c, --c2-key HEX         public-key client: C2's X25519 private key\n"
           "      --c2-key-file FILE   the same, read from FILE ('-': stdin)\n"
           "  -p, --client-pubkey HEX  public-key client: its Ed25519 public key\n"
           "  -t, --time UNIX          timestamp instead of the clock\n"
           "  -x, --hex                write hex (and a newline) instead of binary\n"
           "  -h, --help               show this help and exit\n"
           "  -V, --version            show the version and exit\n"
           "\n"
           "Environment: E4_CLIENT_KEY, E4_C2_KEY (used when no option gives the key).\n");
}

struct cmd_spec {
    const char *name;
    e4_command op;
    int nargs;
};

static const struct cmd_spec specs[] = {
    {"remove-topic", E4_CMD_REMOVE_TOPIC, 1},   {"reset-topics", E4_CMD_RESET_TOPICS, 0},
    {"set-id-key", E4_CMD_SET_ID_KEY, 1},       {"set-topic-key", E4_CMD_SET_TOPIC_KEY, 2},
    {"remove-pubkey", E4_CMD_REMOVE_PUBKEY, 1}, {"reset-pubkeys", E4_CMD_RESET_PUBKEYS, 0},
    {"set-pubkey", E4_CMD_SET_PUBKEY, 2},       {"set-c2-key", E4_CMD_SET_C2_KEY, 1},
};

static int topic_hash_arg(const char *topic, uint8_t hash[E4_TOPIC_HASH_LEN])
{
    e4_err err = cli_hash_topic(hash, topic);
    if (err != E4_OK)
        return cli_usage_error("topic '%.80s': %s", topic, e4_strerror(err));
    return 0;
}

/* A KEY argument: hex, or @FILE (first line of FILE, "@-" is stdin); an
 * all-zero key is refused. len 0 accepts a 32- or 64-byte key. */
static int key_arg(const char *a, uint8_t *out, size_t len, size_t *out_len)
{
    char *text = NULL;
    const char *hex = a;
    size_t n;
    int rc;

    if (a[0] == '@' && (rc = arg_secret(NULL, a + 1, NULL, &text)))
        return rc;
    if (text)
        hex = text;
    n = strlen(hex);
    if (len == 0 && n != 2 * E4_KEY_LEN && n != 2 * E4_ED25519_SK_LEN)
        rc = cli_usage_error("KEY: expected 64 hex digits (a 32-byte symmetric key) or 128 "
                             "(a 64-byte Ed25519 private key), got %zu characters",
                             n);
    else
        rc = arg_key("KEY", hex, out, len ? len : n / 2);
    *out_len = len ? len : n / 2;
    if (text) {
        e4_wipe(text, strlen(text));
        free(text);
    }
    return rc;
}

/* The command arguments in wire order. Returns 0 or an exit status. */
static int build_args(const struct cmd_spec *spec, char **a, uint8_t *args, size_t *args_len)
{
    int rc = 0;
    *args_len = 0;
    switch (spec->op) {
    case E4_CMD_REMOVE_TOPIC:
        rc = topic_hash_arg(a[0], args);
        *args_len = E4_TOPIC_HASH_LEN;
        break;
    case E4_CMD_RESET_TOPICS:
    case E4_CMD_RESET_PUBKEYS: break;
    case E4_CMD_SET_ID_KEY: rc = key_arg(a[0], args, 0, args_len); break;
    case E4_CMD_SET_TOPIC_KEY:
        rc = key_arg(a[1], args, E4_KEY_LEN, args_len);
        if (!rc)
            rc = topic_hash_arg(a[0], args + E4_KEY_LEN);
        *args_len = E4_KEY_LEN + E4_TOPIC_HASH_LEN;
        break;
    case E4_CMD_REMOVE_PUBKEY:
        rc = arg_id("ID", a[0], args);
        *args_len = E4_ID_LEN;
        break;
    case E4_CMD_SET_PUBKEY:
        rc = arg_hex("ED25519_PUBLIC", a[1], args, E4_ED25519_PK_LEN);
        if (!rc)
            rc = arg_id("ID", a[0], args + E4_ED25519_PK_LEN);
        *args_len = E4_ED25519_PK_LEN + E4_ID_LEN;
        break;
    case E4_CMD_SET_C2_KEY:
        rc = arg_hex("X25519_PUBLIC", a[0], args, E4_X25519_LEN);
        if (!rc && is_all_zero(args, E4_X25519_LEN))
            rc = cli_usage_error("X25519_PUBLIC: %s", e4_strerror(E4_ERR_ZERO_KEY));
        *args_len = E4_X25519_LEN;
        break;
    }
    return rc;
}

int cmd_command(int argc, char **argv)
{
    static const struct option opts[] = {
        {"client-key", required_argument, NULL, 'k'},
        {"client-key-file", required_argument, NULL, 'K'},
        {"c2-key", required_argument, NULL, 'c'},
        {"c2-key-file", required_argument, NULL, 'C'},
        {"client-pubkey", required_argument, NULL, 'p'},
        {"time", required_argument, NULL, 't'},
        {"hex", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    uint8_t key[E4_KEY_LEN], c2_sk[E4_X25519_LEN], client_pk[E4_ED25519_PK_LEN];
    uint8_t args[E4_COMMAND_MAX], plain[E4_COMMAND_MAX], out[E4_COMMAND_MAX + E4_SK_OVERHEAD];
    int have_key = 0, have_c2 = 0, have_pk = 0, hex = 0, c, rc = 0;
    uint64_t ts = (uint64_t)time(NULL);
    const struct cmd_spec *spec = NULL;
    struct secret_src key_src = {NULL, NULL, "E4_CLIENT_KEY"}, c2_src = {NULL, NULL, "E4_C2_KEY"};
    size_t args_len = 0, plain_len = 0, i;
    e4_err err;

    cli_protect_secrets();
    while ((c = getopt_long(argc, argv, "k:c:p:t:xhV", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key_src.value = optarg; break;
        case 'K': key_src.file = optarg; break;
        case 'c': c2_src.value = optarg; break;
        case 'C': c2_src.file = optarg; break;
        case 'p':
            if ((rc = arg_hex("--client-pubkey", optarg, client_pk, sizeof client_pk)))
                goto out;
            have_pk = 1;
            break;
        case 't':
            if ((rc = arg_time("--time", optarg, &ts)))
                goto out;
            break;
        case 'x': hex = 1; break;
        case 'h': usage(); goto out;
        case 'V': rc = cli_version(); goto out;
        default: rc = cli_try_help(); goto out;
        }
    }
    if (optind >= argc) {
        rc =
            cli_usage_error("missing command (remove-topic, reset-topics, set-id-key, "
                            "set-topic-key, remove-pubkey, reset-pubkeys, set-pubkey, set-c2-key)");
        goto out;
    }
    for (i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (!strcmp(argv[optind], specs[i].name))
            spec = &specs[i];
    if (!spec) {
        rc = cli_usage_error("unknown command '%s'", argv[optind]);
        goto out;
    }
    if (argc - optind - 1 != spec->nargs) {
        rc = cli_usage_error("%s takes %d argument%s, got %d", spec->name, spec->nargs,
                             spec->nargs == 1 ? "" : "s", argc - optind - 1);
        goto out;
    }
    if ((rc = arg_secret_key("--client-key", &key_src, key, sizeof key, &have_key)) ||
        (rc = arg_secret_key("--c2-key", &c2_src, c2_sk, sizeof c2_sk, &have_c2)))
        goto out;
    if (have_key && (have_c2 || have_pk)) {
        rc = cli_usage_error("--client-key (symmetric-key client) excludes --c2-key and "
                             "--client-pubkey (public-key client)");
        goto out;
    }
    if (!have_key && !(have_c2 && have_pk)) {
        rc = cli_usage_error("give --client-key, or --c2-key and --client-pubkey");
        goto out;
    }
    if ((rc = build_args(spec, argv + optind + 1, args, &args_len)))
        goto out;

    err = e4_command_build(plain, &plain_len, spec->op, args, args_len);
    if (err == E4_OK && !have_key)
        err = e4_c2_shared_key(key, c2_sk, client_pk);
    if (err == E4_OK)
        err = e4_sk_protect(key, ts, plain, plain_len, out);
    if (err != E4_OK) {
        cli_error("%s", e4_strerror(err));
        rc = 1;
        goto out;
    }
    if (hex) {
        hex_print_line(stdout, out, plain_len + E4_SK_OVERHEAD);
        if (fflush(stdout) != 0)
            rc = 1;
    } else if (io_write_all(STDOUT_FILENO, out, plain_len + E4_SK_OVERHEAD) != 0) {
        rc = 1;
    }
    if (rc)
        cli_error("cannot write stdout: %s", strerror(errno));
out:
    e4_wipe(key, sizeof key);
    e4_wipe(c2_sk, sizeof c2_sk);
    e4_wipe(args, sizeof args);
    e4_wipe(plain, sizeof plain);
    return rc;
}
