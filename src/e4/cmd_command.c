/* e4 command: build a protected C2 command, byte for byte as the reference
 * (base) or in a cipher suite's format. Parse, validate, run. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
    printf("Usage: e4 command CMD [ARG]... [--suite SUITE] KEY OPTIONS [--time UNIX] [--hex]\n"
           "Build a protected C2 command for a client and write it to stdout; publish it\n"
           "on the client's control topic (\"e4/\" + hex id) with QoS 2.\n"
           "\n"
           "Commands:\n"
           "  remove-topic TOPIC           forget TOPIC's key (and its transition key)\n"
           "  reset-topics                 forget every topic key\n"
           "  set-id-key KEY               replace the client's own key(s): base 32 bytes\n"
           "                               (SK) or a 64-byte Ed25519 private key (PK);\n"
           "                               fips-sk 32; fips-pk sign || agree private keys\n"
           "                               (64); pq-pk Ed25519 || ML-DSA-65 seed || X-Wing\n"
           "                               seed (128)\n"
           "  set-topic-key TOPIC KEY      set TOPIC's key (32 bytes)\n"
           "  remove-pubkey ID             forget a signer's public key\n"
           "  reset-pubkeys                forget every public key\n"
           "  set-pubkey ID PUBLIC         store a signer's public key: Ed25519 (32 bytes)\n"
           "                               in base, P-256 (33) in fips-pk, Ed25519 ||\n"
           "                               ML-DSA-65 (1,984) in pq-pk\n"
           "  set-c2-key PUBLIC            replace C2's public key(s): X25519 (32) in\n"
           "                               base, P-256 agreement key (33) in fips-pk,\n"
           "                               Ed25519 || ML-DSA-65 (1,984) in pq-pk\n"
           "  establish-key                pq-pk: a signed X-Wing key establishment for\n"
           "                               --epoch; the epoch's command key is written to\n"
           "                               --command-key-out\n"
           "ID is 32 hex digits, or a name that is hashed to an id (see 'e4 id').\n"
           "Keys are hex; a KEY or PUBLIC argument may be @FILE, the hex read from the\n"
           "first line of FILE (@- is stdin), so that it does not show in ps. All-zero\n"
           "keys and --time of 2^63 or more are refused.\n"
           "\n"
           "Key options, by suite (each --X HEX also as --X-file FILE):\n"
           "  base SK, fips-sk:  -k, --client-key HEX       the client's key\n"
           "  base PK:           -c, --c2-key HEX           C2's X25519 private key\n"
           "                     -p, --client-pubkey HEX    the client's Ed25519 public key\n"
           "  fips-pk:           --c2-key HEX               C2's P-256 agreement private key\n"
           "                     --client-pubkey HEX        the client's P-256 agreement\n"
           "                                                public key (33 bytes)\n"
           "  pq-pk commands:    --command-key HEX          the epoch's command key\n"
           "                     --epoch N                  its epoch (1 or more)\n"
           "  pq-pk establish-key: --c2-key HEX             C2's Ed25519 private key (64)\n"
           "                     --c2-mldsa-key HEX         C2's ML-DSA-65 seed\n"
           "                     --client-pubkey HEX|@FILE  the client's X-Wing public key\n"
           "                     --epoch N, --command-key-out FILE (created, mode 0600)\n"
           "\n"
           "Options:\n"
           "      --suite SUITE        base (default), fips-sk, fips-pk or pq-pk\n"
           "  -t, --time UNIX          timestamp instead of the clock\n"
           "  -x, --hex                write hex (and a newline) instead of binary\n"
           "  -h, --help               show this help and exit\n"
           "  -V, --version            show the version and exit\n"
           "\n"
           "Suites (bytes a message adds to its payload; commands: docs/e4.md):\n");
    cli_print_suites(stdout, "  ");
    printf("Environment: E4_CLIENT_KEY, E4_C2_KEY, E4_C2_MLDSA_KEY, E4_COMMAND_KEY (used\n"
           "when no option gives the key).\n");
}

#define ESTABLISH_KEY ((e4_command)0xff) /* pq-pk's key establishment, no command */

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
    {"establish-key", ESTABLISH_KEY, 0},
};

/* Key lengths by suite: C2's private key (--c2-key) and the client's
 * public key (--client-pubkey); 0 where the suite takes none. */
struct suite_keys {
    e4_suite suite;
    size_t c2_key, client_pub;
};

static const struct suite_keys suite_keys[] = {
    {E4_SUITE_BASE, E4_X25519_LEN, E4_ED25519_PK_LEN},
    {E4_SUITE_FIPS_SK, 0, 0},
    {E4_SUITE_FIPS_PK, E4_P256_SK_LEN, E4_P256_PK_LEN},
    {E4_SUITE_PQ_PK, E4_ED25519_SK_LEN, E4_XWING_PK_LEN},
};

static const struct suite_keys *keys_of(e4_suite suite)
{
    size_t i;
    for (i = 1; i < sizeof suite_keys / sizeof suite_keys[0]; i++)
        if (suite_keys[i].suite == suite)
            return &suite_keys[i];
    return &suite_keys[0];
}

/* ---- arguments ---- */

static int topic_hash_arg(const char *topic, uint8_t hash[E4_TOPIC_HASH_LEN])
{
    e4_err err = cli_hash_topic(hash, topic);
    if (err != E4_OK)
        return cli_usage_error("topic '%.80s': %s", topic, e4_strerror(err));
    return 0;
}

/* A hex argument of len bytes, or @FILE; secret: an all-zero value is
 * refused and the text wiped. len 0 (base set-id-key) takes 32 or 64. */
static int hex_arg(const char *what, const char *a, uint8_t *out, size_t len, int secret,
                   size_t *out_len)
{
    char *text = NULL;
    const char *hex = a;
    size_t n;
    int rc = 0;

    if (a[0] == '@' && (rc = arg_secret(NULL, a + 1, NULL, &text)))
        return rc;
    if (text)
        hex = text;
    n = strlen(hex);
    if (len == 0 && n != 2 * E4_KEY_LEN && n != 2 * E4_ED25519_SK_LEN)
        rc = cli_usage_error("%s: expected 64 hex digits (a 32-byte symmetric key) or 128 "
                             "(a 64-byte Ed25519 private key), got %zu characters",
                             what, n);
    else if (len == 0)
        len = n / 2;
    if (!rc)
        rc = secret ? arg_key(what, hex, out, len) : arg_hex(what, hex, out, len);
    if (!rc && is_all_zero(out, len))
        rc = cli_usage_error("%s: %s", what, e4_strerror(E4_ERR_ZERO_KEY));
    *out_len = len;
    if (text) {
        e4_wipe(text, strlen(text));
        free(text);
    }
    return rc;
}

/* The command arguments in wire order, sized for the suite. */
static int build_args(const struct cmd_spec *spec, e4_suite suite, char **a, uint8_t *args,
                      size_t *args_len)
{
    size_t want = e4_command_args_len(suite, spec->op), n = 0;
    int rc = 0;

    *args_len = 0;
    if (want == SIZE_MAX)
        return cli_usage_error("%s: no such command in suite %s", spec->name,
                               cli_suite_of(suite)->name);
    switch (spec->op) {
    case E4_CMD_REMOVE_TOPIC: rc = topic_hash_arg(a[0], args); break;
    case E4_CMD_SET_ID_KEY:
        rc = hex_arg("KEY", a[0], args, suite == E4_SUITE_BASE ? 0 : want, 1, &want);
        break;
    case E4_CMD_SET_TOPIC_KEY:
        rc = hex_arg("KEY", a[1], args, E4_KEY_LEN, 1, &n);
        if (!rc)
            rc = topic_hash_arg(a[0], args + E4_KEY_LEN);
        break;
    case E4_CMD_REMOVE_PUBKEY: rc = arg_id("ID", a[0], args); break;
    case E4_CMD_SET_PUBKEY:
        rc = hex_arg("PUBLIC", a[1], args, want - E4_ID_LEN, 0, &n);
        if (!rc)
            rc = arg_id("ID", a[0], args + want - E4_ID_LEN);
        break;
    case E4_CMD_SET_C2_KEY: rc = hex_arg("PUBLIC", a[0], args, want, 0, &n); break;
    default: break;
    }
    *args_len = want;
    return rc;
}

/* ---- options ---- */

struct command_opts {
    const struct cli_suite *suite;
    struct secret_src key_src, c2_src, mldsa_src, cmd_key_src;
    const char *client_pub_arg, *key_out;
    uint32_t epoch;
    int hex;
    uint64_t ts;
    const struct cmd_spec *spec;
    char **args;
};

struct command_keys {
    uint8_t key[E4_KEY_LEN], c2_sk[E4_ED25519_SK_LEN], mldsa[E4_MLDSA65_SEED_LEN];
    uint8_t client_pub[E4_XWING_PK_LEN];
    int have_key, have_c2, have_mldsa, have_pub;
};

enum {
    O_KEY_FILE = 256,
    O_C2_FILE,
    O_SUITE,
    O_MLDSA,
    O_MLDSA_FILE,
    O_CMD_KEY,
    O_CMD_KEY_FILE,
    O_EPOCH,
    O_KEY_OUT
};

static int command_option(struct command_opts *o, int c, const char *v)
{
    switch (c) {
    case 'k': o->key_src.value = v; return 0;
    case O_KEY_FILE: o->key_src.file = v; return 0;
    case 'c': o->c2_src.value = v; return 0;
    case O_C2_FILE: o->c2_src.file = v; return 0;
    case O_MLDSA: o->mldsa_src.value = v; return 0;
    case O_MLDSA_FILE: o->mldsa_src.file = v; return 0;
    case O_CMD_KEY: o->cmd_key_src.value = v; return 0;
    case O_CMD_KEY_FILE: o->cmd_key_src.file = v; return 0;
    case 'p': o->client_pub_arg = v; return 0;
    case O_EPOCH: return arg_u32("--epoch", v, UINT32_MAX, &o->epoch);
    case O_KEY_OUT: o->key_out = v; return 0;
    case O_SUITE: return arg_suite("--suite", v, &o->suite);
    case 't': return arg_time("--time", v, &o->ts);
    case 'x': o->hex = 1; return 0;
    default: return cli_try_help();
    }
}

/* The command's name and its arguments after the options. */
static int command_parse_name(int argc, char **argv, struct command_opts *o, int *rc)
{
    size_t i;
    int nargs = argc - optind - 1;

    if (optind >= argc) {
        *rc = cli_usage_error("missing command (remove-topic, reset-topics, set-id-key, "
                              "set-topic-key, remove-pubkey, reset-pubkeys, set-pubkey, "
                              "set-c2-key, establish-key)");
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

/* 0 to go on; otherwise *rc is the exit status. */
static int command_parse(int argc, char **argv, struct command_opts *o, int *rc)
{
    static const struct option opts[] = {
        {"client-key", required_argument, NULL, 'k'},
        {"client-key-file", required_argument, NULL, O_KEY_FILE},
        {"c2-key", required_argument, NULL, 'c'},
        {"c2-key-file", required_argument, NULL, O_C2_FILE},
        {"c2-mldsa-key", required_argument, NULL, O_MLDSA},
        {"c2-mldsa-key-file", required_argument, NULL, O_MLDSA_FILE},
        {"command-key", required_argument, NULL, O_CMD_KEY},
        {"command-key-file", required_argument, NULL, O_CMD_KEY_FILE},
        {"command-key-out", required_argument, NULL, O_KEY_OUT},
        {"epoch", required_argument, NULL, O_EPOCH},
        {"client-pubkey", required_argument, NULL, 'p'},
        {"suite", required_argument, NULL, O_SUITE},
        {"time", required_argument, NULL, 't'},
        {"hex", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *rc = 0;
    while ((c = getopt_long(argc, argv, "k:c:p:t:xhV", opts, NULL)) != -1) {
        if (c == 'h') {
            usage();
            return 1;
        }
        if (c == 'V') {
            *rc = cli_version();
            return 1;
        }
        if ((*rc = command_option(o, c, optarg)))
            return 1;
    }
    return command_parse_name(argc, argv, o, rc);
}

/* ---- validate ---- */

static int read_keys(struct command_opts *o, struct command_keys *k, e4_suite suite)
{
    const struct suite_keys *sk = keys_of(suite);
    size_t n;
    int rc = 0;

    if (o->client_pub_arg && !sk->client_pub)
        return cli_usage_error("--client-pubkey: not used in suite %s", o->suite->name);
    if (o->client_pub_arg &&
        (rc = hex_arg("--client-pubkey", o->client_pub_arg, k->client_pub, sk->client_pub, 0, &n)))
        return rc;
    k->have_pub = o->client_pub_arg != NULL;
    if ((rc = arg_secret_key("--client-key", &o->key_src, k->key, sizeof k->key, &k->have_key)) ||
        (rc = arg_secret_key("--command-key", &o->cmd_key_src, k->key, sizeof k->key,
                             &k->have_key)) ||
        (rc = arg_secret_key("--c2-mldsa-key", &o->mldsa_src, k->mldsa, sizeof k->mldsa,
                             &k->have_mldsa)))
        return rc;
    if (sk->c2_key)
        rc = arg_secret_key("--c2-key", &o->c2_src, k->c2_sk, sk->c2_key, &k->have_c2);
    return rc;
}

/* The options only pq-pk takes, and establish-key's. */
static int check_pq_options(const struct command_opts *o, const struct command_keys *k,
                            e4_suite suite)
{
    int establish = o->spec->op == ESTABLISH_KEY;

    if (establish != (o->key_out != NULL) || (establish && suite != E4_SUITE_PQ_PK))
        return cli_usage_error("establish-key (pq-pk only) goes with --command-key-out FILE");
    if (suite == E4_SUITE_PQ_PK && (o->epoch == 0 || o->key_src.value || o->key_src.file))
        return cli_usage_error("--suite pq-pk: give --epoch N (1 or more) and, for a command, "
                               "--command-key (the epoch's key from establish-key)");
    if (suite != E4_SUITE_PQ_PK &&
        (o->epoch || k->have_mldsa || o->cmd_key_src.value || o->cmd_key_src.file))
        return cli_usage_error("--epoch, --command-key and --c2-mldsa-key are for --suite pq-pk");
    return 0;
}

static int need(const char *what, int given)
{
    return given ? 0 : cli_usage_error("give %s", what);
}

/* Which key options each suite takes (the others are refused). */
static int check_keys(const struct command_opts *o, const struct command_keys *k, e4_suite suite)
{
    int rc = check_pq_options(o, k, suite);

    if (rc)
        return rc;
    if (o->spec->op == ESTABLISH_KEY)
        return need("--c2-key (C2's Ed25519 key), --c2-mldsa-key and --client-pubkey (X-Wing), "
                    "and no --command-key, to establish-key",
                    k->have_c2 && k->have_mldsa && k->have_pub && !k->have_key);
    if (k->have_key && (k->have_c2 || k->have_pub))
        return cli_usage_error("--client-key (or --command-key) excludes --c2-key and "
                               "--client-pubkey");
    switch (suite) {
    case E4_SUITE_FIPS_SK: return need("--client-key", k->have_key);
    case E4_SUITE_FIPS_PK: return need("--c2-key and --client-pubkey", k->have_c2 && k->have_pub);
    case E4_SUITE_PQ_PK: return need("--command-key", k->have_key);
    default:
        return need("--client-key, or --c2-key and --client-pubkey",
                    k->have_key || (k->have_c2 && k->have_pub));
    }
}

static int command_validate(struct command_opts *o, struct command_keys *k)
{
    e4_suite suite = o->suite ? o->suite->suite : E4_SUITE_BASE;
    int rc;

    if (o->suite == NULL)
        o->suite = cli_suite_of(E4_SUITE_BASE);
    if (suite != E4_SUITE_PQ_PK)
        o->mldsa_src.env = o->cmd_key_src.env = NULL;
    if (suite == E4_SUITE_PQ_PK && o->spec->op == ESTABLISH_KEY)
        o->cmd_key_src.env = NULL;
    if ((rc = read_keys(o, k, suite)))
        return rc;
    return check_keys(o, k, suite);
}

/* ---- run ---- */

#define OUT_MAX E4_PQ_PK_KEY_MSG_LEN

/* The epoch's command key, hex, in a new file of mode 0600. */
static int write_key_file(const char *path, const uint8_t key[E4_KEY_LEN])
{
    char hex[2 * E4_KEY_LEN + 2];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc;

    if (fd < 0) {
        cli_error("--command-key-out %s: %s", path, strerror(errno));
        return 1;
    }
    hex_encode(hex, key, E4_KEY_LEN);
    hex[2 * E4_KEY_LEN] = '\n';
    rc = io_write_all(fd, hex, sizeof hex - 1) != 0 || fchmod(fd, 0600) != 0;
    rc |= close(fd) != 0;
    e4_wipe(hex, sizeof hex);
    if (rc)
        cli_error("--command-key-out %s: %s", path, strerror(errno));
    return rc;
}

static e4_err protect_command(const struct command_opts *o, struct command_keys *k,
                              const uint8_t *plain, size_t plain_len, uint8_t *out, size_t *len)
{
    e4_err err = E4_OK;
    switch (o->suite->suite) {
    case E4_SUITE_PQ_PK:
        *len = plain_len + E4_PQ_PK_CMD_OVERHEAD;
        return e4_pq_pk_command_protect(k->key, o->epoch, o->ts, plain, plain_len, out);
    case E4_SUITE_FIPS_PK:
        err = e4_fips_pk_command_key(k->key, k->c2_sk, k->client_pub);
        /* fall through */ /* the fips-sk format under the agreed key */
    case E4_SUITE_FIPS_SK:
        *len = plain_len + E4_FIPS_SK_OVERHEAD;
        return err ? err : e4_fips_sk_protect(k->key, o->ts, NULL, plain, plain_len, out);
    default:
        if (!k->have_key)
            err = e4_c2_shared_key(k->key, k->c2_sk, k->client_pub);
        *len = plain_len + E4_SK_OVERHEAD;
        return err ? err : e4_sk_protect(k->key, o->ts, plain, plain_len, out);
    }
}

static int command_run(const struct command_opts *o, struct command_keys *k)
{
    static uint8_t args[E4_SUITE_COMMAND_MAX], plain[E4_SUITE_COMMAND_MAX], out[OUT_MAX];
    size_t args_len = 0, plain_len = 0, out_len = 0;
    e4_err err;
    int rc;

    if (o->spec->op == ESTABLISH_KEY) {
        err = e4_pq_pk_key_establish(out, k->key, k->c2_sk, k->mldsa, k->client_pub, o->epoch,
                                     o->ts, NULL);
        out_len = E4_PQ_PK_KEY_MSG_LEN;
        if (err == E4_OK && (rc = write_key_file(o->key_out, k->key)))
            return rc;
    } else if ((rc = build_args(o->spec, o->suite->suite, o->args, args, &args_len))) {
        return rc;
    } else {
        err = e4_command_build_suite(plain, sizeof plain, &plain_len, o->suite->suite, o->spec->op,
                                     args, args_len);
        if (err == E4_OK)
            err = protect_command(o, k, plain, plain_len, out, &out_len);
    }
    e4_wipe(args, sizeof args);
    e4_wipe(plain, sizeof plain);
    if (err != E4_OK) {
        cli_error("%s", e4_strerror(err));
        return 1;
    }
    return io_write_output(o->hex, out, out_len);
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
    o.mldsa_src.env = "E4_C2_MLDSA_KEY";
    o.cmd_key_src.env = "E4_COMMAND_KEY";
    o.ts = (uint64_t)time(NULL);
    cli_protect_secrets();
    if (!command_parse(argc, argv, &o, &rc) && !(rc = command_validate(&o, &k)))
        rc = command_run(&o, &k);
    e4_wipe(&k, sizeof k);
    return rc;
}
