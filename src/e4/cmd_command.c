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
           "                  [--suite base|fips-sk] [--time UNIX] [--hex]\n"
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
           "      --suite SUITE        base (default) or fips-sk (the command in the\n"
           "                           fips-sk format, AES-256-GCM under the client key;\n"
           "                           overhead 38 instead of 24); fips-pk and pq-pk\n"
           "                           commands are not built by this tool yet\n"
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
    {"remove-topic", E4_CMD_REMOVE_TOPIC, 1},
    {"reset-topics", E4_CMD_RESET_TOPICS, 0},
    {"set-id-key", E4_CMD_SET_ID_KEY, 1},
    {"set-topic-key", E4_CMD_SET_TOPIC_KEY, 2},
    {"remove-pubkey", E4_CMD_REMOVE_PUBKEY, 1},
    {"reset-pubkeys", E4_CMD_RESET_PUBKEYS, 0},
    {"set-pubkey", E4_CMD_SET_PUBKEY, 2},
    {"set-c2-key", E4_CMD_SET_C2_KEY, 1},
};

struct command_opts;
static int command_parse_name(int argc, char **argv, struct command_opts *o, int *rc);

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
                             "(a 64-byte Ed25519 private key), got %zu characters", n);
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
    case E4_CMD_RESET_PUBKEYS:
        break;
    case E4_CMD_SET_ID_KEY:
        rc = key_arg(a[0], args, 0, args_len);
        break;
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

struct command_opts {
    const struct cli_suite *suite;
    struct secret_src key_src, c2_src;
    uint8_t client_pk[E4_ED25519_PK_LEN];
    int have_pk, hex;
    uint64_t ts;
    const struct cmd_spec *spec;
    char **args;
};

struct command_keys {
    uint8_t key[E4_KEY_LEN], c2_sk[E4_X25519_LEN];
    int have_key, have_c2;
};

/* 0 to go on; otherwise *rc is the exit status. */
static int command_parse(int argc, char **argv, struct command_opts *o, int *rc)
{
    static const struct option opts[] = {
        {"client-key", required_argument, NULL, 'k'},
        {"client-key-file", required_argument, NULL, 'K'},
        {"c2-key", required_argument, NULL, 'c'},
        {"c2-key-file", required_argument, NULL, 'C'},
        {"client-pubkey", required_argument, NULL, 'p'},
        {"suite", required_argument, NULL, 'u'},
        {"time", required_argument, NULL, 't'},
        {"hex", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *rc = 0;
    while ((c = getopt_long(argc, argv, "k:c:p:t:xhV", opts, NULL)) != -1) {
        switch (c) {
        case 'k': o->key_src.value = optarg; break;
        case 'K': o->key_src.file = optarg; break;
        case 'c': o->c2_src.value = optarg; break;
        case 'C': o->c2_src.file = optarg; break;
        case 'p':
            *rc = arg_hex("--client-pubkey", optarg, o->client_pk, sizeof o->client_pk);
            o->have_pk = 1;
            break;
        case 'u': *rc = arg_suite("--suite", optarg, &o->suite); break;
        case 't': *rc = arg_time("--time", optarg, &o->ts); break;
        case 'x': o->hex = 1; break;
        case 'h': usage(); return 1;
        case 'V': *rc = cli_version(); return 1;
        default: *rc = cli_try_help(); return 1;
        }
        if (*rc)
            return 1;
    }
    return command_parse_name(argc, argv, o, rc);
}

static int command_validate(struct command_opts *o, struct command_keys *k)
{
    e4_suite suite = o->suite ? o->suite->suite : E4_SUITE_BASE;
    int rc;

    if (suite == E4_SUITE_FIPS_PK || suite == E4_SUITE_PQ_PK)
        return cli_usage_error("--suite %s: commands are not built by this tool yet (base "
                               "and fips-sk are)", o->suite->name);
    if ((rc = arg_secret_key("--client-key", &o->key_src, k->key, sizeof k->key, &k->have_key)) ||
        (rc = arg_secret_key("--c2-key", &o->c2_src, k->c2_sk, sizeof k->c2_sk, &k->have_c2)))
        return rc;
    if (k->have_key && (k->have_c2 || o->have_pk))
        return cli_usage_error("--client-key (symmetric-key client) excludes --c2-key and "
                               "--client-pubkey (public-key client)");
    if (suite == E4_SUITE_FIPS_SK && !k->have_key)
        return cli_usage_error("--suite fips-sk: commands are protected under the client's "
                               "key: give --client-key");
    if (!k->have_key && !(k->have_c2 && o->have_pk))
        return cli_usage_error("give --client-key, or --c2-key and --client-pubkey");
    return 0;
}

static int command_run(const struct command_opts *o, struct command_keys *k)
{
    uint8_t args[E4_COMMAND_MAX], plain[E4_COMMAND_MAX], out[E4_COMMAND_MAX + E4_FIPS_SK_OVERHEAD];
    size_t args_len = 0, plain_len = 0, overhead = E4_SK_OVERHEAD;
    int fips = o->suite && o->suite->suite == E4_SUITE_FIPS_SK, rc;
    e4_err err;

    if ((rc = build_args(o->spec, o->args, args, &args_len)))
        return rc;
    err = e4_command_build(plain, &plain_len, o->spec->op, args, args_len);
    if (err == E4_OK && !k->have_key)
        err = e4_c2_shared_key(k->key, k->c2_sk, o->client_pk);
    if (err == E4_OK && fips) {
        overhead = E4_FIPS_SK_OVERHEAD;
        err = e4_fips_sk_protect(k->key, o->ts, NULL, plain, plain_len, out);
    } else if (err == E4_OK) {
        err = e4_sk_protect(k->key, o->ts, plain, plain_len, out);
    }
    e4_wipe(args, sizeof args);
    e4_wipe(plain, sizeof plain);
    if (err != E4_OK) {
        cli_error("%s", e4_strerror(err));
        return 1;
    }
    return io_write_output(o->hex, out, plain_len + overhead);
}

int cmd_command(int argc, char **argv)
{
    struct command_opts o;
    struct command_keys k;
    int rc;

    memset(&o, 0, sizeof o);
    memset(&k, 0, sizeof k);
    o.key_src.env = "E4_CLIENT_KEY";
    o.c2_src.env = "E4_C2_KEY";
    o.ts = (uint64_t)time(NULL);
    cli_protect_secrets();
    if (!command_parse(argc, argv, &o, &rc) && !(rc = command_validate(&o, &k)))
        rc = command_run(&o, &k);
    e4_wipe(&k, sizeof k);
    return rc;
}

/* The command's name and its arguments after the options. */
static int command_parse_name(int argc, char **argv, struct command_opts *o, int *rc)
{
    size_t i;
    int nargs = argc - optind - 1;

    if (optind >= argc) {
        *rc = cli_usage_error("missing command (remove-topic, reset-topics, set-id-key, "
                              "set-topic-key, remove-pubkey, reset-pubkeys, set-pubkey, "
                              "set-c2-key)");
        return 1;
    }
    for (i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (!strcmp(argv[optind], specs[i].name))
            o->spec = &specs[i];
    if (!o->spec) {
        *rc = cli_usage_error("unknown command '%s'", argv[optind]);
        return 1;
    }
    if (nargs != o->spec->nargs) {
        *rc = cli_usage_error("%s takes %d argument%s, got %d", o->spec->name, o->spec->nargs,
                              o->spec->nargs == 1 ? "" : "s", nargs);
        return 1;
    }
    o->args = argv + optind + 1;
    return 0;
}
