/* e4 client: an E4 device on the command line. Options, identity, main loop. */
#include "client.h"
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <mosquitto.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
    printf(
        "Usage: e4 client [OPTION]...\n"
        "An E4 device on the command line: connects to an MQTT broker, subscribes to\n"
        "its control topic and applies the C2 commands received there, reads commands\n"
        "on stdin and prints what happens, one line per event.\n"
        "\n"
        "Identity (a new client, or --state FILE of a saved one):\n"
        "  -i, --id ID               client id: 32 hex digits (or a name, hashed)\n"
        "  -n, --name NAME           client name; the id is its hash\n"
        "  -k, --key HEX             symmetric-key mode: the client key (32 bytes);\n"
        "                            visible in ps: prefer --key-file or E4_KEY\n"
        "      --key-file FILE       the key (hex) is the first line of FILE ('-':\n"
        "                            stdin)\n"
        "  -p, --password PW         derive the key from a password, as e4go (the\n"
        "                            Ed25519 key in public-key mode)\n"
        "      --password-file FILE  the password is the first line of FILE (or\n"
        "                            E4_PASSWORD)\n"
        "      --sign-key HEX        public-key mode: Ed25519 private key (64 bytes)\n"
        "      --sign-key-file FILE  the same, first line of FILE (or E4_SIGN_KEY)\n"
        "      --c2-pubkey HEX       public-key mode: C2's X25519 public key; giving\n"
        "                            it (or --sign-key) selects public-key mode\n"
        "      --suite SUITE         cipher suite of a new client: base (default) or\n"
        "                            fips-sk (symmetric-key: AES-256-GCM messages and\n"
        "                            commands, overhead 38); fips-pk and pq-pk are\n"
        "                            not in the client yet (use e4 protect/unprotect)\n"
        "      --state FILE          keep the state in FILE: opened when it exists\n"
        "                            (identity options are then ignored), otherwise\n"
        "                            created from the identity options; every\n"
        "                            change is saved at once\n"
        "      --topic-key TOPIC:HEX set a topic key locally (repeatable)\n"
        "      --topic-key-file TOPIC:FILE  the same, the key read from FILE\n"
        "      --pubkey ID:HEX       public-key mode: store a signer's Ed25519\n"
        "                            public key (repeatable)\n"
        "      --clock-skew SEC      accept timestamps up to SEC s in the future\n"
        "      --control-topic TOPIC override the control topic (default e4/<id>)\n"
        "      --no-replay-check     accept replayed messages\n"
        "\n"
        "MQTT:\n"
        "  -b, --broker HOST[:PORT]  broker address (default localhost:1883, or port\n"
        "                            8883 with TLS); [IPV6]:PORT works\n"
        "      --client-id ID        MQTT client id (default: \"e4-\" and the first 20\n"
        "                            hex digits of the E4 id; random with\n"
        "                            --clean-session)\n"
        "      --clean-session       start a new MQTT session at each connection and\n"
        "                            drop it at the end (by default the session\n"
        "                            persists: what C2 sends while the client is\n"
        "                            away is delivered when it comes back)\n"
        "  -q, --qos N               QoS of subscriptions and publishes (default 1;\n"
        "                            the control topic always uses 2)\n"
        "  -s, --subscribe TOPIC     subscribe at start (repeatable)\n"
        "      --username USER       MQTT user name\n"
        "      --mqtt-password PW    MQTT password (visible in ps)\n"
        "      --mqtt-password-file FILE  first line of FILE (or E4_MQTT_PASSWORD)\n"
        "      --keepalive SEC       MQTT keepalive (default 60)\n"
        "      --tls                 use TLS with the system's CA certificates\n"
        "      --cafile FILE         use TLS, trusting the CAs in FILE\n"
        "      --capath DIR          use TLS, trusting the CAs in DIR\n"
        "      --cert FILE           TLS client certificate (PEM)\n"
        "      --tls-key FILE        TLS client private key (PEM)\n"
        "      --insecure            do not check the server's host name\n"
        "      --timeout SEC         wait at most SEC for the connection (even when\n"
        "                            the broker does not answer) and, at the\n"
        "                            end, for outstanding publishes (default 10)\n"
        "\n"
        "Receipts (to C2, on CONTROL/receipts, QoS 1; see docs/receipts.md):\n"
        "      --no-receipts         send none (for brokers whose ACLs forbid them)\n"
        "      --state-interval SEC  a STATE receipt at least every SEC seconds\n"
        "                            (default 3600; 0: only after connections and\n"
        "                            commands)\n"
        "\n"
        "Limits:\n"
        "      --max-message BYTES   drop (and report) received messages larger than\n"
        "                            BYTES (default 1048576)\n"
        "      --max-topics N        topic keys held at most (default 1024)\n"
        "      --max-pubkeys N       public keys held at most (default 256)\n"
        "\n"
        "Output:\n"
        "  -j, --json                one JSON object per line\n"
        "  -v, --verbose             also print the receipts sent, once acknowledged\n"
        "      --no-stdin            ignore stdin; run until SIGINT or SIGTERM\n"

        "  -h, --help                show this help and exit\n"
        "  -V, --version             show the version and exit\n"
        "\n"
        "Commands on stdin, one per line:\n"
        "  sub TOPIC, unsub TOPIC, pub TOPIC MESSAGE, pubclear TOPIC MESSAGE\n"
        "  (unprotected, for tests), keys (topic hashes and public-key ids, never\n"
        "  keys), help, quit.\n"
        "Events on stdout: ready, subscribed TOPIC, unsubscribed TOPIC, published\n"
        "TOPIC, message TOPIC PAYLOAD, command applied TOPIC, error OP [TOPIC]: REASON,\n"
        "keys..., disconnected, reconnected; with --verbose, receipt applied|state\n"
        "TOPIC ... The client stops at the end of stdin\n"
        "(after its publishes are acknowledged) or on SIGINT/SIGTERM.\n");
}

struct client_opts {
    const char *broker, *client_id, *username, *mqtt_password;
    const char *cafile, *capath, *cert, *tls_key;
    int tls, insecure, json, no_stdin, no_replay, clean_session, no_receipts, verbose;
    uint32_t qos, keepalive, timeout, clock_skew, state_interval;
    uint32_t max_message, max_topics, max_pubkeys;
    const char *control_topic, *state;
    const struct cli_suite *suite;
    const char *name, *password_arg, *password_file;
    uint8_t id[E4_ID_LEN], key[E4_KEY_LEN], sign_key[E4_ED25519_SK_LEN], c2_pk[E4_X25519_LEN];
    int have_id, have_key, have_sign_key, have_c2_pk;
    struct secret_src key_src, sign_key_src;
    const char *mqtt_password_file;
    char *mqtt_password_owned;
    char **topic_keys;   /* TOPIC:HEX, or TOPIC:FILE for --topic-key-file */
    size_t ntopic_keys;
    unsigned char *topic_key_is_file;
    char **pubkeys;      /* ID:HEX */
    size_t npubkeys;
    char **subscribe;
    size_t nsubscribe;
};

static int push(char ***list, size_t *n, char *value)
{
    char **nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (!nl) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    nl[(*n)++] = value;
    *list = nl;
    return 0;
}

static void opts_free(struct client_opts *o)
{
    e4_wipe(o->key, sizeof o->key);
    e4_wipe(o->sign_key, sizeof o->sign_key);
    if (o->mqtt_password_owned) {
        e4_wipe(o->mqtt_password_owned, strlen(o->mqtt_password_owned));
        free(o->mqtt_password_owned);
    }
    free(o->topic_keys);
    free(o->topic_key_is_file);
    free(o->pubkeys);
    free(o->subscribe);
}

enum {
    O_PASSWORD_FILE = 256, O_SIGN_KEY, O_C2_PUBKEY, O_STATE, O_TOPIC_KEY, O_PUBKEY,
    O_CLOCK_SKEW, O_CONTROL_TOPIC, O_NO_REPLAY, O_CLIENT_ID, O_USERNAME, O_MQTT_PASSWORD,
    O_KEEPALIVE, O_TLS, O_CAFILE, O_CAPATH, O_CERT, O_TLS_KEY, O_INSECURE, O_TIMEOUT,
    O_NO_STDIN, O_CLEAN_SESSION, O_NO_RECEIPTS, O_STATE_INTERVAL, O_KEY_FILE, O_SIGN_KEY_FILE,
    O_TOPIC_KEY_FILE, O_MQTT_PASSWORD_FILE, O_MAX_MESSAGE, O_MAX_TOPICS, O_MAX_PUBKEYS, O_SUITE,
};

/* --topic-key TOPIC:HEX or --topic-key-file TOPIC:FILE. */
static int push_topic_key(struct client_opts *o, char *value, int is_file)
{
    unsigned char *nf = realloc(o->topic_key_is_file, o->ntopic_keys + 1);
    if (!nf) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    o->topic_key_is_file = nf;
    nf[o->ntopic_keys] = (unsigned char)is_file;
    return push(&o->topic_keys, &o->ntopic_keys, value);
}

/* The secrets' other routes: files and the environment. The environment
 * is used only when no option gives the client's key: E4_SIGN_KEY in
 * public-key mode (--c2-pubkey), E4_KEY otherwise, then E4_PASSWORD. */
static int resolve_secrets(struct client_opts *o)
{
    int rc;
    const char *pw = getenv("E4_PASSWORD");

    cli_stdin_is_data = !o->no_stdin;
    o->key_src.env = o->have_c2_pk ? NULL : "E4_KEY";
    o->sign_key_src.env = o->have_c2_pk ? "E4_SIGN_KEY" : NULL;
    if (o->password_arg || o->password_file || o->key_src.value || o->key_src.file ||
        o->sign_key_src.value || o->sign_key_src.file)
        o->key_src.env = o->sign_key_src.env = NULL;
    if ((rc = arg_secret_key("--key", &o->key_src, o->key, E4_KEY_LEN, &o->have_key)) ||
        (rc = arg_secret_key("--sign-key", &o->sign_key_src, o->sign_key, E4_ED25519_SK_LEN,
                             &o->have_sign_key)))
        return rc;
    if (!o->have_key && !o->have_sign_key && !o->password_arg && !o->password_file && pw && *pw)
        o->password_arg = pw;
    rc = arg_secret(o->mqtt_password, o->mqtt_password_file, "E4_MQTT_PASSWORD",
                    &o->mqtt_password_owned);
    if (rc == 0 && o->mqtt_password_owned)
        o->mqtt_password = o->mqtt_password_owned;
    return rc;
}

/* A capacity option: 1 .. 2^31 - 1. */
static int arg_limit(const char *option, const char *value, uint32_t *out)
{
    int rc = arg_u32(option, value, INT32_MAX, out);
    if (rc == 0 && *out == 0)
        return cli_usage_error("%s: 0 (at least 1)", option);
    return rc;
}

static int parse_opts(int argc, char **argv, struct client_opts *o, int *done)
{
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},
        {"name", required_argument, NULL, 'n'},
        {"key", required_argument, NULL, 'k'},
        {"key-file", required_argument, NULL, O_KEY_FILE},
        {"password", required_argument, NULL, 'p'},
        {"password-file", required_argument, NULL, O_PASSWORD_FILE},
        {"sign-key", required_argument, NULL, O_SIGN_KEY},
        {"sign-key-file", required_argument, NULL, O_SIGN_KEY_FILE},
        {"c2-pubkey", required_argument, NULL, O_C2_PUBKEY},
        {"state", required_argument, NULL, O_STATE},
        {"suite", required_argument, NULL, O_SUITE},
        {"topic-key", required_argument, NULL, O_TOPIC_KEY},
        {"topic-key-file", required_argument, NULL, O_TOPIC_KEY_FILE},
        {"pubkey", required_argument, NULL, O_PUBKEY},
        {"clock-skew", required_argument, NULL, O_CLOCK_SKEW},
        {"control-topic", required_argument, NULL, O_CONTROL_TOPIC},
        {"no-replay-check", no_argument, NULL, O_NO_REPLAY},
        {"broker", required_argument, NULL, 'b'},
        {"client-id", required_argument, NULL, O_CLIENT_ID},
        {"clean-session", no_argument, NULL, O_CLEAN_SESSION},
        {"qos", required_argument, NULL, 'q'},
        {"subscribe", required_argument, NULL, 's'},
        {"username", required_argument, NULL, O_USERNAME},
        {"mqtt-password", required_argument, NULL, O_MQTT_PASSWORD},
        {"mqtt-password-file", required_argument, NULL, O_MQTT_PASSWORD_FILE},
        {"keepalive", required_argument, NULL, O_KEEPALIVE},
        {"tls", no_argument, NULL, O_TLS},
        {"cafile", required_argument, NULL, O_CAFILE},
        {"capath", required_argument, NULL, O_CAPATH},
        {"cert", required_argument, NULL, O_CERT},
        {"tls-key", required_argument, NULL, O_TLS_KEY},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"json", no_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'v'},
        {"no-receipts", no_argument, NULL, O_NO_RECEIPTS},
        {"state-interval", required_argument, NULL, O_STATE_INTERVAL},
        {"no-stdin", no_argument, NULL, O_NO_STDIN},
        {"max-message", required_argument, NULL, O_MAX_MESSAGE},
        {"max-topics", required_argument, NULL, O_MAX_TOPICS},
        {"max-pubkeys", required_argument, NULL, O_MAX_PUBKEYS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    *done = 0;
    while ((c = getopt_long(argc, argv, "i:n:k:p:b:q:s:jvhV", opts, NULL)) != -1) {
        rc = 0;
        switch (c) {
        case 'i': rc = arg_id("--id", optarg, o->id); o->have_id = 1; break;
        case 'n': o->name = optarg; break;
        case 'k': o->key_src.value = optarg; break;
        case O_KEY_FILE: o->key_src.file = optarg; break;
        case 'p': o->password_arg = optarg; break;
        case O_PASSWORD_FILE: o->password_file = optarg; break;
        case O_SIGN_KEY: o->sign_key_src.value = optarg; break;
        case O_SIGN_KEY_FILE: o->sign_key_src.file = optarg; break;
        case O_C2_PUBKEY:
            rc = arg_hex("--c2-pubkey", optarg, o->c2_pk, E4_X25519_LEN);
            o->have_c2_pk = 1;
            break;
        case O_STATE: o->state = optarg; break;
        case O_SUITE: rc = arg_suite("--suite", optarg, &o->suite); break;
        case O_TOPIC_KEY: rc = push_topic_key(o, optarg, 0); break;
        case O_TOPIC_KEY_FILE: rc = push_topic_key(o, optarg, 1); break;
        case O_PUBKEY: rc = push(&o->pubkeys, &o->npubkeys, optarg); break;
        case O_CLOCK_SKEW: rc = arg_u32("--clock-skew", optarg, UINT32_MAX, &o->clock_skew); break;
        case O_CONTROL_TOPIC: o->control_topic = optarg; break;
        case O_NO_REPLAY: o->no_replay = 1; break;
        case 'b': o->broker = optarg; break;
        case O_CLIENT_ID: o->client_id = optarg; break;
        case O_CLEAN_SESSION: o->clean_session = 1; break;
        case 'q': rc = arg_u32("--qos", optarg, 2, &o->qos); break;
        case 's': rc = push(&o->subscribe, &o->nsubscribe, optarg); break;
        case O_USERNAME: o->username = optarg; break;
        case O_MQTT_PASSWORD: o->mqtt_password = optarg; break;
        case O_MQTT_PASSWORD_FILE: o->mqtt_password_file = optarg; break;
        case O_KEEPALIVE: rc = arg_u32("--keepalive", optarg, 65535, &o->keepalive); break;
        case O_TLS: o->tls = 1; break;
        case O_CAFILE: o->cafile = optarg; o->tls = 1; break;
        case O_CAPATH: o->capath = optarg; o->tls = 1; break;
        case O_CERT: o->cert = optarg; break;
        case O_TLS_KEY: o->tls_key = optarg; break;
        case O_INSECURE: o->insecure = 1; break;
        case O_TIMEOUT: rc = arg_u32("--timeout", optarg, 86400, &o->timeout); break;
        case 'j': o->json = 1; break;
        case 'v': o->verbose = 1; break;
        case O_NO_RECEIPTS: o->no_receipts = 1; break;
        case O_STATE_INTERVAL:
            rc = arg_u32("--state-interval", optarg, 366u * 86400u, &o->state_interval);
            break;
        case O_NO_STDIN: o->no_stdin = 1; break;
        case O_MAX_MESSAGE: rc = arg_limit("--max-message", optarg, &o->max_message); break;
        case O_MAX_TOPICS: rc = arg_limit("--max-topics", optarg, &o->max_topics); break;
        case O_MAX_PUBKEYS: rc = arg_limit("--max-pubkeys", optarg, &o->max_pubkeys); break;
        case 'h': usage(); *done = 1; return 0;
        case 'V': *done = 1; return cli_version();
        default: return cli_try_help();
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (o->client_id && !o->client_id[0])
        return cli_usage_error("--client-id: empty (without it, --clean-session takes a random id)");
    if ((o->cert != NULL) != (o->tls_key != NULL))
        return cli_usage_error("--cert and --tls-key go together");
    if ((o->cert || o->insecure) && !o->tls)
        o->tls = 1;
    return resolve_secrets(o);
}

/* ---- identity ---- */

static int read_password(const struct client_opts *o, char **password)
{
    *password = NULL;
    if (o->password_arg && o->password_file)
        return cli_usage_error("--password and --password-file are exclusive");
    if (o->password_file) {
        *password = arg_read_password_file(o->password_file);
        return *password ? 0 : 1;
    }
    if (o->password_arg) {
        *password = strdup(o->password_arg);
        if (!*password) {
            cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
            return 1;
        }
    }
    return 0;
}

/* The id, from --id or --name. */
static int client_identity(struct client_opts *o)
{
    e4_err err;
    if (o->have_id && o->name)
        return cli_usage_error("--id and --name are exclusive");
    if (!o->have_id && !o->name)
        return cli_usage_error("give the client's identity: --id or --name with --key, "
                               "--sign-key or --password (or --state FILE of a saved client)");
    if (o->name && (err = cli_hash_name(o->id, o->name)) != E4_OK) {
        cli_error("--name: %s", e4_strerror(err));
        return 1;
    }
    return 0;
}

/* The suites a new client can run: base, and fips-sk for an SK client. */
static int client_suite_ok(const struct client_opts *o, int pk)
{
    if (!o->suite || o->suite->suite == E4_SUITE_BASE ||
        (!pk && o->suite->suite == E4_SUITE_FIPS_SK))
        return 0;
    return cli_usage_error("--suite %s: the client runs base and fips-sk (symmetric-key) "
                           "states; fips-pk and pq-pk are not in the state yet",
                           o->suite->name);
}

static int create_client(struct client_opts *o, const e4_client_options *eo, e4_client **out)
{
    int pk = o->have_sign_key || o->have_c2_pk, rc;
    int have_password = o->password_arg || o->password_file;
    char *password = NULL;
    e4_err err;

    if ((rc = client_identity(o)))
        return rc;
    if (pk && o->have_key)
        return cli_usage_error("--key is the symmetric-key mode; public-key mode takes "
                               "--sign-key (or --password) and --c2-pubkey");
    if (pk && !o->have_c2_pk)
        return cli_usage_error("public-key mode needs --c2-pubkey");
    if ((rc = client_suite_ok(o, pk)))
        return rc;
    if (have_password && (o->have_key || o->have_sign_key))
        return cli_usage_error("--password replaces --key / --sign-key; give only one");
    if (!have_password && !o->have_key && !o->have_sign_key)
        return cli_usage_error("give the client's key: --key, --sign-key or --password");
    if ((rc = read_password(o, &password)))
        return rc;

    err = E4_OK;
    if (password) {
        uint8_t pub[E4_ED25519_PK_LEN];
        err = pk ? e4_derive_ed25519(o->sign_key, pub, password) : e4_derive_key(o->key, password);
        e4_wipe(password, strlen(password));
        free(password);
        if (err != E4_OK) {
            cli_error("cannot derive the key from the password: %s", e4_strerror(err));
            return 1;
        }
    }
    if (pk)
        err = e4_client_new_pk(out, o->id, o->sign_key, o->c2_pk, eo);
    else if (o->suite && o->suite->suite == E4_SUITE_FIPS_SK)
        err = e4_client_new_fips_sk(out, o->id, o->key, eo);
    else
        err = e4_client_new_sk(out, o->id, o->key, eo);
    if (err != E4_OK) {
        cli_error("cannot create the client%s%s: %s", eo->state_path ? " state " : "",
                  eo->state_path ? eo->state_path : "", e4_strerror(err));
        return 1;
    }
    return 0;
}

static int open_client(struct client_opts *o, e4_client **out)
{
    e4_client_options eo;
    e4_err err;
    int rc;

    memset(&eo, 0, sizeof eo);
    eo.clock_skew = o->clock_skew;
    eo.max_topics = o->max_topics;
    eo.max_pubkeys = o->max_pubkeys;
    eo.state_path = o->state;
    eo.control_topic = o->control_topic;
    if (o->no_replay)
        eo.replay_cache = E4_REPLAY_OFF;

    if (o->state && access(o->state, F_OK) == 0) {
        if (o->have_id || o->name || o->have_key || o->have_sign_key || o->have_c2_pk ||
            o->password_arg || o->password_file || o->suite)
            fprintf(stderr, "%s: %s exists: using the saved client, identity options ignored\n",
                    cli_prog, o->state);
        err = e4_client_open(out, &eo);
        if (err != E4_OK) {
            cli_error("cannot open the client state %s: %s", o->state, e4_strerror(err));
            return 1;
        }
        return 0;
    }
    rc = create_client(o, &eo, out);
    e4_wipe(o->key, sizeof o->key);
    e4_wipe(o->sign_key, sizeof o->sign_key);
    return rc;
}

/* One --topic-key TOPIC:HEX (or --topic-key-file TOPIC:FILE). */
static int provision_topic_key(client_ctx *c, const char *spec, int is_file)
{
    const char *opt = is_file ? "--topic-key-file" : "--topic-key";
    char *topic, *text = NULL;
    const char *right;
    uint8_t key[E4_KEY_LEN];
    e4_err err;
    int rc;

    if (arg_split_last_colon(spec, &topic, &right) != 0)
        return cli_usage_error("%s: expected TOPIC:%s (no colon found)", opt,
                               is_file ? "FILE" : "HEX");
    rc = is_file ? arg_secret(NULL, right, NULL, &text) : 0;
    if (rc == 0)
        rc = arg_key(opt, text ? text : right, key, sizeof key);
    if (text) {
        e4_wipe(text, strlen(text));
        free(text);
    }
    if (rc) {
        free(topic);
        return rc;
    }
    err = e4_client_set_topic_key(c->e4, topic, key);
    e4_wipe(key, sizeof key);
    if (err != E4_OK) {
        cli_error("%s %s: %s", opt, topic, client_strerror(err));
        free(topic);
        return 1;
    }
    names_add(c, topic);
    free(topic);
    return 0;
}

/* --topic-key and --pubkey. */
static int provision(struct client_opts *o, client_ctx *c)
{
    size_t i;
    int rc;
    for (i = 0; i < o->ntopic_keys; i++)
        if ((rc = provision_topic_key(c, o->topic_keys[i], o->topic_key_is_file[i])))
            return rc;
    if (o->npubkeys && e4_client_mode(c->e4) != E4_MODE_PK)
        return cli_usage_error("--pubkey needs a public-key mode client");
    for (i = 0; i < o->npubkeys; i++) {
        char *left;
        const char *hex;
        uint8_t id[E4_ID_LEN], pk[E4_ED25519_PK_LEN];
        e4_err err;
        if (arg_split_last_colon(o->pubkeys[i], &left, &hex) != 0)
            return cli_usage_error("--pubkey: expected ID:HEX, got '%s'", o->pubkeys[i]);
        rc = arg_id("--pubkey", left, id);
        free(left);
        if (rc || (rc = arg_hex("--pubkey", hex, pk, sizeof pk)))
            return rc;
        err = e4_client_set_pubkey(c->e4, id, pk);
        if (err != E4_OK) {
            cli_error("--pubkey %s: %s", o->pubkeys[i], client_strerror(err));
            return 1;
        }
    }
    return 0;
}

/* ---- MQTT connection ---- */

/* A TLS option's FILE (or DIR) must be readable: 0, or 1 (reported). */
static int tls_file(const char *opt, const char *path, int dir)
{
    struct stat st;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
        cli_error("%s %s: %s", opt, path, strerror(errno));
        return 1;
    }
    if (dir ? !S_ISDIR(st.st_mode) : S_ISDIR(st.st_mode)) {
        cli_error("%s %s: %s", opt, path, strerror(dir ? ENOTDIR : EISDIR));
        return 1;
    }
    return 0;
}

/* The MQTT client id: --client-id, else random with --clean-session, else
 * stable: "e4-" and the first 20 hex digits of the E4 id (23 characters, the
 * most MQTT 3.1.1 servers must accept), so that the broker keeps the
 * session (control-topic subscription, queued QoS 1/2 commands) across
 * reconnections and restarts. buf: 24 bytes. NULL means random. */
static const char *mqtt_client_id(const struct client_opts *o, const e4_client *e, char buf[24])
{
    uint8_t id[E4_ID_LEN];
    char hex[2 * E4_ID_LEN + 1];

    if (o->client_id)
        return o->client_id;
    if (o->clean_session)
        return NULL;
    e4_client_id(e, id);
    hex_encode(hex, id, sizeof id);
    snprintf(buf, 24, "e4-%.20s", hex);
    return buf;
}

static int setup_mosquitto(struct client_opts *o, client_ctx *c)
{
    char stable_id[24];
    int rc;

    c->mosq = mosquitto_new(mqtt_client_id(o, c->e4, stable_id), o->clean_session != 0, c);
    if (!c->mosq) {
        cli_error("cannot create the MQTT client: %s", strerror(errno));
        return 1;
    }
    mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_reconnect_delay_set(c->mosq, 1, 30, true);
    if (o->username || o->mqtt_password) {
        rc = mosquitto_username_pw_set(c->mosq, o->username, o->mqtt_password);
        if (rc != MOSQ_ERR_SUCCESS) {
            cli_error("MQTT user name: %s", mosquitto_strerror(rc));
            return 1;
        }
    }
    if (o->tls) {
        /* libmosquitto only says "invalid function arguments" */
        if ((o->cafile && (rc = tls_file("--cafile", o->cafile, 0))) ||
            (o->capath && (rc = tls_file("--capath", o->capath, 1))) ||
            (o->cert && (rc = tls_file("--cert", o->cert, 0))) ||
            (o->tls_key && (rc = tls_file("--tls-key", o->tls_key, 0))))
            return rc;
        if (o->cafile || o->capath) {
            rc = mosquitto_tls_set(c->mosq, o->cafile, o->capath, o->cert, o->tls_key, NULL);
        } else {
            rc = mosquitto_int_option(c->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
            if (rc == MOSQ_ERR_SUCCESS && o->cert)
                rc = mosquitto_tls_set(c->mosq, NULL, NULL, o->cert, o->tls_key, NULL);
        }
        if (rc == MOSQ_ERR_SUCCESS && o->insecure)
            rc = mosquitto_tls_insecure_set(c->mosq, true);
        if (rc != MOSQ_ERR_SUCCESS) {
            cli_error("TLS setup: %s", mosquitto_strerror(rc));
            return 1;
        }
    }
    mqtt_set_callbacks(c);
    return 0;
}

/* ---- signals ---- */

static int stop_fd = -1;   /* readable after SIGINT or SIGTERM (stop_signals.c) */

static int setup_signals(void)
{
    return (stop_fd = cli_stop_signals_init()) < 0;
}

static void block_signals(int block)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* ---- waiting ---- */

static void deadline_in(struct timespec *ts, uint32_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Connect without blocking past --timeout: a TCP attempt with a deadline
 * first (a refused or unreachable broker is reported at once), then
 * libmosquitto's connection without blocking (bounded by wait_ready). A
 * MOSQ_ERR_* code, or -1 after reporting the probe's failure. */
static int connect_bounded(client_ctx *c, const char *host, int port,
                           const struct client_opts *o)
{
    char why[256];
    if (client_tcp_probe(host, port, o->timeout, why, sizeof why) != 0) {
        cli_error("cannot connect to %s:%d: %s", host, port, why);
        return -1;
    }
    return mosquitto_connect_async(c->mosq, host, port, (int)o->keepalive);
}

/* Until ready; 0 when ready, 1 on failure (reported). A TLS failure before
 * the first connection (certificate not verified, refused by the broker...)
 * ends the wait at once: trying again would not help. */
static int wait_ready(client_ctx *c, uint32_t timeout_s, const char *host, int port)
{
    uint64_t end = now_ms() + (uint64_t)timeout_s * 1000u;
    int ready, refused, tls_failed = 0;
    char why[256];

    pthread_mutex_lock(&c->lock);
    while (!c->ready && !c->connack_refused && !cli_stop_signal && now_ms() < end) {
        struct timespec ts;
        if (!c->connected_once && (tls_failed = mqtt_tls_failed(c)) != 0)
            break;
        deadline_in(&ts, 100);
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    ready = c->ready;
    refused = c->connack_refused;
    pthread_mutex_unlock(&c->lock);
    if (ready || cli_stop_signal)
        return 0;
    mqtt_last_error(c, why, sizeof why);
    if (refused)
        cli_error("the broker refused the connection: %s", mosquitto_connack_string(refused));
    else if (tls_failed)
        cli_error("cannot connect to %s:%d: TLS error: %s", host, port, why);
    else
        cli_error("not connected and subscribed after %u s%s%s", (unsigned)timeout_s,
                  why[0] ? ": " : "", why);
    return 1;
}

/* At the end of input: until every publish (and subscribe, unsubscribe) is
 * acknowledged (bounded). */
static void drain(client_ctx *c, uint32_t timeout_s)
{
    uint64_t end = now_ms() + (uint64_t)timeout_s * 1000u;
    size_t left;
    while ((left = mqtt_pending_requests(c)) > 0 && !cli_stop_signal && now_ms() < end) {
        struct timespec ts;
        pthread_mutex_lock(&c->lock);
        deadline_in(&ts, 100);
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
        pthread_mutex_unlock(&c->lock);
    }
    if (left > 0 && !cli_stop_signal)
        fprintf(stderr, "%s: %zu request%s not acknowledged after %u s\n", cli_prog, left,
                left == 1 ? "" : "s", (unsigned)timeout_s);
}

/* stdin as lines (main thread). */
struct line_reader {
    char *buf;
    size_t len, cap;
};

/* Read what stdin has and handle its complete lines: 0 to go on, 1 at the
 * end of input or on quit. */
static int read_lines(client_ctx *c, struct line_reader *r)
{
    ssize_t n;
    char *nl;
    if (r->len + 4096 + 1 > r->cap) {
        size_t ncap = r->cap ? 2 * r->cap : 8192;
        char *nb = realloc(r->buf, ncap);
        if (!nb)
            return 1;
        r->buf = nb;
        r->cap = ncap;
    }
    n = read(STDIN_FILENO, r->buf + r->len, r->cap - r->len - 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0) {
        if (r->len > 0) { /* last line without a newline */
            r->buf[r->len] = '\0';
            input_line(c, r->buf);
        }
        return 1;
    }
    r->len += (size_t)n;
    r->buf[r->len] = '\0';
    while ((nl = memchr(r->buf, '\n', r->len)) != NULL) {
        size_t used = (size_t)(nl - r->buf) + 1;
        *nl = '\0';
        if (input_line(c, r->buf))
            return 1;
        memmove(r->buf, r->buf + used, r->len - used);
        r->len -= used;
        r->buf[r->len] = '\0';
    }
    return 0;
}

/* Read stdin lines until EOF, quit or a signal; meanwhile send the STATE
 * receipts when they are due. */
static void input_loop(client_ctx *c, int use_stdin)
{
    struct line_reader r = {0};
    int eof = !use_stdin;

    while (!cli_stop_signal) {
        struct pollfd fds[3] = {{stop_fd, POLLIN, 0}, {receipts_wake_fd(c), POLLIN, 0},
                                {eof ? -1 : STDIN_FILENO, POLLIN, 0}};
        int n = poll(fds, 3, receipts_timeout_ms(c));
        if (n < 0 && errno != EINTR)
            break;
        if (n < 0)
            continue;
        if (cli_stop_signal || (fds[0].revents & POLLIN))
            break;
        receipts_tick(c);
        if ((fds[2].revents & (POLLIN | POLLHUP | POLLERR)) && read_lines(c, &r))
            break;
    }
    free(r.buf);
}

int cmd_client(int argc, char **argv)
{
    struct client_opts o;
    client_ctx c;
    char *host = NULL;
    int port, rc, done, started = 0;
    size_t i;

    cli_protect_secrets();
    memset(&o, 0, sizeof o);
    memset(&c, 0, sizeof c);
    o.broker = "localhost";
    o.qos = 1;
    o.keepalive = 60;
    o.timeout = 10;
    o.state_interval = 3600;
    o.max_message = 1024 * 1024;
    c.wake[0] = c.wake[1] = -1;
    pthread_mutex_init(&c.out_lock, NULL);
    pthread_mutex_init(&c.log_lock, NULL);
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.cond, NULL);

    rc = parse_opts(argc, argv, &o, &done);
    if (rc || done)
        goto out;
    if ((rc = arg_broker("--broker", o.broker, o.tls ? 8883 : 1883, &host, &port)))
        goto out;
    c.json = o.json;
    c.qos = (int)o.qos;
    c.max_message = o.max_message;
    c.verbose = o.verbose;
    c.receipts = !o.no_receipts;
    c.state_interval = o.state_interval;

    if ((rc = open_client(&o, &c.e4)))
        goto out;
    c.control_topic = strdup(e4_client_control_topic(c.e4));
    if (!c.control_topic) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        rc = 1;
        goto out;
    }
    if ((rc = provision(&o, &c)))
        goto out;
    for (i = 0; i < o.nsubscribe; i++) {
        if (mosquitto_sub_topic_check(o.subscribe[i]) != MOSQ_ERR_SUCCESS) {
            rc = cli_usage_error("--subscribe: invalid topic filter '%s'", o.subscribe[i]);
            goto out;
        }
        names_add(&c, o.subscribe[i]);
        c.subs = realloc(c.subs, (c.nsubs + 1) * sizeof *c.subs);
        if (!c.subs || !(c.subs[c.nsubs] = strdup(o.subscribe[i]))) {
            cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
            rc = 1;
            goto out;
        }
        c.nsubs++;
    }

    mosquitto_lib_init();
    if ((rc = setup_mosquitto(&o, &c)) || (rc = setup_signals()) || (rc = receipts_init(&c)))
        goto out_mqtt;
    rc = connect_bounded(&c, host, port, &o);
    if (rc != MOSQ_ERR_SUCCESS) {
        char why[256];
        if (rc == -1) {
            rc = 1;
            goto out_mqtt;
        }
        mqtt_last_error(&c, why, sizeof why);
        if ((rc == MOSQ_ERR_TLS || mqtt_tls_failed(&c)) && why[0])
            cli_error("cannot connect to %s:%d: TLS error: %s", host, port, why);
        else
            cli_error("cannot connect to %s:%d: %s", host, port,
                      rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        rc = 1;
        goto out_mqtt;
    }
    /* the network thread must not take SIGINT/SIGTERM from the main thread */
    block_signals(1);
    rc = mosquitto_loop_start(c.mosq);
    block_signals(0);
    if (rc != MOSQ_ERR_SUCCESS) {
        cli_error("cannot start the network thread: %s", mosquitto_strerror(rc));
        rc = 1;
        goto out_mqtt;
    }
    started = 1;

    rc = wait_ready(&c, o.timeout, host, port);
    if (rc == 0) {
        input_loop(&c, !o.no_stdin);
        drain(&c, o.timeout);
    }

out_mqtt:
    if (c.mosq) {
        pthread_mutex_lock(&c.lock);
        c.stopping = 1;
        pthread_mutex_unlock(&c.lock);
        if (started) {
            mosquitto_disconnect(c.mosq);
            mosquitto_loop_stop(c.mosq, false);
        }
        mosquitto_destroy(c.mosq);
    }
    mosquitto_lib_cleanup();
out:
    receipts_close(&c);
    if (c.e4)
        e4_client_free(c.e4);
    for (i = 0; i < c.nsubs; i++)
        free(c.subs[i]);
    free(c.subs);
    for (i = 0; i < c.npend; i++)
        free(c.pend[i].topic);
    free(c.pend);
    names_free(&c);
    free(c.control_topic);
    free(host);
    opts_free(&o);
    cli_stop_signals_close();
    pthread_cond_destroy(&c.cond);
    pthread_mutex_destroy(&c.lock);
    pthread_mutex_destroy(&c.log_lock);
    pthread_mutex_destroy(&c.out_lock);
    return rc;
}
