/* e4sim: many E4 devices in one process. Options and dispatch. */
#include "sim.h"
#include "../e4/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#ifndef E4_VERSION_STRING
#define E4_VERSION_STRING "unknown"
#endif

static void usage(void)
{
    printf(
        "Usage: e4sim [run] --devices FILE [OPTION]...\n"
        "       e4sim --generate N [--prefix NAME] [--suite SUITE]\n"
        "             [--mode sk|pk [--c2-pubkey HEX]] [--out FILE]\n"
        "Simulates many E4 devices in one process, for tests and benchmarks of the key\n"
        "server (C2): each device has its own libe4 state and applies the C2 commands\n"
        "published on its control topic e4/<id>.\n"
        "\n"
        "Run:\n"
        "  -d, --devices FILE       the devices, one JSON object per line (see below)\n"
        "  -b, --broker HOST[:PORT] MQTT broker (default localhost:1883)\n"
        "  -c, --connections N      MQTT connections sharing the devices (default 4)\n"
        "      --seed TEXT          stable client ids \"e4sim-K-<hash of TEXT>\" (default:\n"
        "                           a hash of the devices file)\n"
        "      --batch N            topic filters per SUBSCRIBE (default 200)\n"
        "      --username USER, --mqtt-password PW   broker credentials\n"
        "      --keepalive SEC      MQTT keepalive (default 60)\n"
        "      --timeout SEC        wait at most SEC for the subscriptions (default 60)\n"
        "      --max-topics N       topic keys per device (default 16)\n"
        "      --max-pubkeys N      public keys per PK device (default 16)\n"
        "      --replay N           replay cache entries per device (default 16, 0: off)\n"
        "  -j, --json               results as JSON lines\n"
        "  -q, --quiet              no progress on stderr\n"
        "  -v, --verbose            every command applied or rejected, on stderr\n"
        "      --no-stdin           ignore stdin; run until SIGINT or SIGTERM\n"
        "      --no-receipts        send no receipts (see docs/receipts.md)\n"
        "      --state-interval SEC a STATE receipt per device at least every SEC\n"
        "                           seconds (default 3600; 0: only after connections\n"
        "                           and commands)\n"
        "      --state-rate N       at most N STATE receipts a second in all\n"
        "                           (default 0: no limit)\n"
        "\n"
        "      --suite SUITE        the devices' cipher suite: base (default); SK\n"
        "                           devices fips-sk (AES-256-GCM, overhead 38); PK\n"
        "                           devices fips-pk or pq-pk (their key sets: see the\n"
        "                           devices file lines). With --generate, the suite\n"
        "                           of the keys written\n"
        "\n"
        "Generate:\n"
        "  -g, --generate N         write a devices file for N new devices\n"
        "      --prefix NAME        names NAME-1 .. NAME-N (default sim)\n"
        "      --mode sk|pk         symmetric keys (default) or key pairs: Ed25519\n"
        "                           (base), the suite's sets (--suite fips-pk, pq-pk)\n"
        "      --c2-pubkey HEX      C2's public key(s) (--mode pk), as e4 client's\n"
        "                           option: base X25519 (32 bytes), fips-pk P-256 (33),\n"
        "                           pq-pk Ed25519 || ML-DSA-65 (1,984); HEX may be @FILE\n"
        "  -o, --out FILE           write FILE (atomically, mode 0600), not stdout\n"
        "\n"
        "  -h, --help               show this help and exit\n"
        "  -V, --version            show the version and exit\n"
        "\n"
        "Devices file lines: {\"name\":\"...\",\"id\":\"32 hex\",\"key\":\"64 hex\"} (SK) or\n"
        "{\"name\":...,\"id\":...,\"sign_key\":\"128 hex\",\"c2_pubkey\":\"64 hex\"} (PK);\n"
        "in fips-pk and pq-pk sign_key and c2_pubkey hold the suite's sets, as e4\n"
        "client's --sign-key and --c2-pubkey, and --generate adds \"suite\", \"pubkey\"\n"
        "(for peers) and \"agree_pubkey\" or \"xwing_pubkey\" (for C2).\n"
        "\n"
        "After \"ready N\", commands on stdin, one result line each on stdout:\n"
        "  wait TOPIC KEYID COUNT TIMEOUT_S  -> ok TOPIC KEYID COUNT MS | timeout TOPIC KEYID N\n"
        "  count TOPIC KEYID                 -> count N\n"
        "  holds NAME TOPIC                  -> holds NAME TOPIC KEYID|none\n"
        "  stats                             -> stats commands=N errors=N [KIND=N]...\n"
        "  offline FROM COUNT                -> offline FROM COUNT connections=K\n"
        "  online FROM COUNT                 -> online FROM COUNT connections=K\n"
        "  receipts                          -> receipts applied=N state=N failed=N\n"
        "  quit\n"
        "Devices (0-based, in file order) are on the connections in contiguous blocks\n"
        "(device I on connection I*C/N): offline and online take whole connections.\n"
        "Receipts: each device publishes an APPLIED receipt after every command that\n"
        "authenticated and STATE receipts (after subscribing, after bursts of\n"
        "commands, periodically) on e4/<id>/receipts, QoS 1.\n"
        "KEYID: the first 8 bytes of SHA3-256(topic key), 16 hex digits.\n"
        "Exit status: 0, 1 on failure, 2 on a usage error.\n");
}

static int version(void)
{
    printf("e4sim %s (libe4 %s)\n", E4_VERSION_STRING, e4_version());
    return 0;
}

enum {
    O_SEED = 256,
    O_BATCH,
    O_USERNAME,
    O_PASSWORD,
    O_KEEPALIVE,
    O_TIMEOUT,
    O_MAX_TOPICS,
    O_MAX_PUBKEYS,
    O_REPLAY,
    O_NO_STDIN,
    O_PREFIX,
    O_MODE,
    O_SUITE,
    O_C2_PUBKEY,
    O_NO_RECEIPTS,
    O_STATE_INTERVAL,
    O_STATE_RATE,
};

static const struct option long_opts[] = {
    {"devices", required_argument, NULL, 'd'},
    {"broker", required_argument, NULL, 'b'},
    {"connections", required_argument, NULL, 'c'},
    {"seed", required_argument, NULL, O_SEED},
    {"batch", required_argument, NULL, O_BATCH},
    {"username", required_argument, NULL, O_USERNAME},
    {"mqtt-password", required_argument, NULL, O_PASSWORD},
    {"keepalive", required_argument, NULL, O_KEEPALIVE},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"max-topics", required_argument, NULL, O_MAX_TOPICS},
    {"max-pubkeys", required_argument, NULL, O_MAX_PUBKEYS},
    {"replay", required_argument, NULL, O_REPLAY},
    {"json", no_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"no-stdin", no_argument, NULL, O_NO_STDIN},
    {"no-receipts", no_argument, NULL, O_NO_RECEIPTS},
    {"state-interval", required_argument, NULL, O_STATE_INTERVAL},
    {"state-rate", required_argument, NULL, O_STATE_RATE},
    {"generate", required_argument, NULL, 'g'},
    {"prefix", required_argument, NULL, O_PREFIX},
    {"mode", required_argument, NULL, O_MODE},
    {"suite", required_argument, NULL, O_SUITE},
    {"c2-pubkey", required_argument, NULL, O_C2_PUBKEY},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int mode_arg(sim_opts *o, const char *v)
{
    if (!strcmp(v, "sk") || !strcmp(v, "pk")) {
        o->pk_mode = v[0] == 'p';
        return 0;
    }
    return cli_usage_error("--mode: expected sk or pk, got '%s'", v);
}

/* One option; 0, or an exit status. */
static int suite_arg(sim_opts *o, const char *v)
{
    const struct cli_suite *s;
    int rc = arg_suite("--suite", v, &s);
    if (rc)
        return rc;
    o->suite = s->suite;
    return 0;
}

/* The options of --generate. */
static int generate_option(sim_opts *o, int c, const char *v)
{
    switch (c) {
    case 'g': o->generating = 1; return arg_u32("--generate", v, 100000000, &o->generate);
    case O_PREFIX: o->prefix = v; return 0;
    case O_MODE: return mode_arg(o, v);
    case O_C2_PUBKEY: o->c2_pk_arg = v; return 0;
    case 'o': o->out = v; return 0;
    default: return cli_try_help();
    }
}

static int one_option(sim_opts *o, int c, const char *v)
{
    switch (c) {
    case 'd': o->devices = v; return 0;
    case 'b': o->broker = v; return 0;
    case 'c': return arg_u32("--connections", v, SIM_CONNECTIONS_MAX, &o->connections);
    case O_SEED: o->seed = v; return 0;
    case O_BATCH: return arg_u32("--batch", v, 10000, &o->batch);
    case O_USERNAME: o->username = v; return 0;
    case O_PASSWORD: o->password = v; return 0;
    case O_KEEPALIVE: return arg_u32("--keepalive", v, 65535, &o->keepalive);
    case O_TIMEOUT: return arg_u32("--timeout", v, 86400, &o->timeout);
    case O_MAX_TOPICS: return arg_u32("--max-topics", v, 1u << 20, &o->max_topics);
    case O_MAX_PUBKEYS: return arg_u32("--max-pubkeys", v, 1u << 20, &o->max_pubkeys);
    case O_REPLAY: return arg_u32("--replay", v, 1u << 20, &o->replay);
    case 'j': o->json = 1; return 0;
    case 'q': o->quiet = 1; return 0;
    case 'v': o->verbose = 1; return 0;
    case O_NO_STDIN: o->no_stdin = 1; return 0;
    case O_NO_RECEIPTS: o->no_receipts = 1; return 0;
    case O_STATE_INTERVAL: return arg_u32("--state-interval", v, 366u * 86400u, &o->state_interval);
    case O_STATE_RATE: return arg_u32("--state-rate", v, 10000000, &o->state_rate);
    case O_SUITE: return suite_arg(o, v);
    default: return generate_option(o, c, v);
    }
}

/* The options fit together; 0 or EXIT_USAGE. */
static int check(const sim_opts *o, int generating, int run_word)
{
    if (generating) {
        if (run_word || o->devices)
            return cli_usage_error("--generate writes a devices file; run with --devices");
        if (o->generate == 0)
            return cli_usage_error("--generate: at least 1 device");
        if (o->pk_mode ? o->suite == E4_SUITE_FIPS_SK : idkeys_is_pk_suite(o->suite))
            return cli_usage_error("--suite %s goes with --mode %s", cli_suite_of(o->suite)->name,
                                   o->pk_mode ? "sk" : "pk");
        if (!o->prefix[0] || strlen(o->prefix) > E4_NAME_MAX - 10)
            return cli_usage_error("--prefix: 1 to %d bytes", E4_NAME_MAX - 10);
        return 0;
    }
    if (!o->devices)
        return cli_usage_error("give the devices: --devices FILE (or --generate N to make one)");
    if (o->connections == 0 || o->batch == 0 || o->max_topics == 0)
        return cli_usage_error("--connections, --batch and --max-topics must be at least 1");
    return 0;
}

static void defaults(sim_opts *o)
{
    memset(o, 0, sizeof *o);
    o->broker = "localhost";
    o->connections = 4;
    o->keepalive = 60;
    o->timeout = 60;
    o->batch = 200;
    o->max_topics = 16;
    o->max_pubkeys = 16;
    o->replay = 16;
    o->state_interval = 3600;
    o->prefix = "sim";
}

int main(int argc, char **argv)
{
    sim_opts o;
    int c, rc, run_word = 0;

    cli_prog = "e4sim";
    defaults(&o);
    while ((c = getopt_long(argc, argv, "d:b:c:jqvg:o:hV", long_opts, NULL)) != -1) {
        if (c == 'h') {
            usage();
            return 0;
        }
        if (c == 'V')
            return version();
        if ((rc = one_option(&o, c, optarg)))
            return rc;
    }
    if (optind < argc && !strcmp(argv[optind], "run")) {
        run_word = 1;
        optind++;
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if ((rc = check(&o, o.generating || o.out, run_word)))
        return rc;
    return o.generating || o.out ? sim_generate(&o) : sim_run(&o);
}
