/* e4proxy: end-to-end protection for MQTT devices whose code cannot change.
 * parse (flags, environment, config file) -> validate -> run. */
#include "e4proxy_config.h"
#include "proxy.h"

#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
    printf("Usage: e4proxy --broker mqtt://HOST[:PORT] [OPTION]...\n"
           "An MQTT proxy that protects what its clients publish and unprotects what\n"
           "they receive, with E4 topic keys, so the broker sees only ciphertext.\n"
           "Unmodified MQTT 3.1.1 and 5.0 clients connect to it as to the broker.\n"
           "\n"
           "Proxy:\n"
           "  -l, --listen HOST:PORT    where clients connect (default 127.0.0.1:1883)\n"
           "  -b, --broker URL          the broker: mqtt://HOST[:PORT] (default port 1883)\n"
           "                            or mqtts://HOST[:PORT] (TLS, default port 8883)\n"
           "      --protect FILTER      protect the topics matching FILTER (repeatable;\n"
           "                            default: every topic but the $-topics)\n"
           "      --allow-clear FILTER  a message on such a protected topic without a\n"
           "                            key passes in clear instead of being dropped\n"
           "      --tls-cert FILE       clients connect with TLS: the proxy's certificate\n"
           "                            (PEM, chain)\n"
           "      --tls-key FILE        its private key (PEM)\n"
           "      --cafile FILE         verify an mqtts:// broker against these CAs\n"
           "                            (default: the system's)\n"
           "      --capath DIR          the same, a directory of CAs\n"
           "      --gateway-map FILE    gateway mode: lines 'CLIENT-ID STATE-FILE', one\n"
           "                            E4 identity (a saved e4 client state) per\n"
           "                            downstream MQTT client id; others are refused\n"
           "      --upstream-username USER  connect to the broker as USER (replacing\n"
           "                            the clients' credentials)\n"
           "      --upstream-password-file FILE  its password, first line of FILE (or\n"
           "                            E4_MQTT_PASSWORD)\n"
           "      --max-packet BYTES    largest MQTT packet accepted from either side\n"
           "                            (default 262144); bounds each connection's memory\n"
           "      --max-connections N   clients served at once (default 100000)\n"
           "      --reuse-port          let several e4proxy processes listen on the same\n"
           "                            port (the kernel spreads the clients); each\n"
           "                            needs two descriptors per client\n"
           "      --keepalive SEC       keepalive of the control connections (default 60)\n"
           "      --no-receipts         send no receipts to C2\n"
           "      --state-interval SEC  a STATE receipt at least every SEC s (default 3600)\n"
           "      --metrics HOST:PORT   serve Prometheus metrics at /metrics\n"
           "      --config FILE         settings as 'option = value' lines (or\n"
           "                            E4PROXY_CONFIG); the environment's\n"
           "                            E4PROXY_<OPTION> override them, flags override both\n"
           "\n");
    identity_usage(stdout);
    printf("\n"
           "  -h, --help                show this help and exit\n"
           "  -V, --version             show the version and exit\n"
           "\n"
           "Logs are JSON lines on stderr (never a key or a payload). SIGHUP reloads\n"
           "the topic policy (--protect, --allow-clear) from the config file and the\n"
           "command line; SIGTERM closes every connection and stops.\n");
}

enum {
    O_PROTECT = 256,
    O_ALLOW_CLEAR,
    O_GATEWAY_MAP,
    O_UP_USER,
    O_UP_PASSWORD_FILE,
    O_MAX_PACKET,
    O_MAX_CONNS,
    O_REUSE_PORT,
    O_TLS_CERT,
    O_TLS_KEY,
    O_CAFILE,
    O_CAPATH,
    O_KEEPALIVE,
    O_NO_RECEIPTS,
    O_STATE_INTERVAL,
    O_METRICS,
    O_CONFIG,
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"broker", required_argument, NULL, 'b'},
    {"protect", required_argument, NULL, O_PROTECT},
    {"allow-clear", required_argument, NULL, O_ALLOW_CLEAR},
    {"gateway-map", required_argument, NULL, O_GATEWAY_MAP},
    {"upstream-username", required_argument, NULL, O_UP_USER},
    {"upstream-password-file", required_argument, NULL, O_UP_PASSWORD_FILE},
    {"max-packet", required_argument, NULL, O_MAX_PACKET},
    {"max-connections", required_argument, NULL, O_MAX_CONNS},
    {"reuse-port", no_argument, NULL, O_REUSE_PORT},
    {"tls-cert", required_argument, NULL, O_TLS_CERT},
    {"tls-key", required_argument, NULL, O_TLS_KEY},
    {"cafile", required_argument, NULL, O_CAFILE},
    {"capath", required_argument, NULL, O_CAPATH},
    {"keepalive", required_argument, NULL, O_KEEPALIVE},
    {"no-receipts", no_argument, NULL, O_NO_RECEIPTS},
    {"state-interval", required_argument, NULL, O_STATE_INTERVAL},
    {"metrics", required_argument, NULL, O_METRICS},
    {"config", required_argument, NULL, O_CONFIG},
    IDENTITY_LONG_OPTIONS,
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

struct opts {
    proxy_conf *conf;
    policy *pol;
    struct identity_opts id;
    const char *password_file;
    int policy_only; /* SIGHUP: only --protect and --allow-clear */
};

static int proxy_opt(struct opts *o, int c, const char *arg)
{
    proxy_conf *pc = o->conf;
    switch (c) {
    case 'l': pc->listen = arg; return 0;
    case 'b': pc->broker = arg; return 0;
    case O_PROTECT: return policy_add(o->pol, arg, 0);
    case O_ALLOW_CLEAR: return policy_add(o->pol, arg, 1);
    case O_GATEWAY_MAP: pc->gateway_map = arg; return 0;
    case O_UP_USER: pc->username = arg; return 0;
    case O_UP_PASSWORD_FILE: o->password_file = arg; return 0;
    case O_MAX_PACKET: return arg_u32("--max-packet", arg, 64u * 1024u * 1024u, &pc->max_packet);
    case O_MAX_CONNS: return arg_u32("--max-connections", arg, 10000000u, &pc->max_conns);
    case O_REUSE_PORT: pc->reuse_port = 1; return 0;
    case O_TLS_CERT: pc->tls_cert = arg; return 0;
    case O_TLS_KEY: pc->tls_key = arg; return 0;
    case O_CAFILE: pc->cafile = arg; return 0;
    case O_CAPATH: pc->capath = arg; return 0;
    case O_KEEPALIVE: return arg_u32("--keepalive", arg, 65535u, &pc->keepalive);
    case O_NO_RECEIPTS: pc->no_receipts = 1; return 0;
    case O_STATE_INTERVAL:
        return arg_u32("--state-interval", arg, 366u * 86400u, &pc->state_interval);
    case O_METRICS: pc->metrics = arg; return 0;
    case O_CONFIG: pc->config = arg; return 0;
    default: return -1;
    }
}

/* getopt over the merged argv: 0, or an exit status; *done after --help. */
static int parse(struct opts *o, int argc, char **argv, int *done)
{
    int c, rc;

    *done = 0;
    optind = 0; /* re-parsed at each SIGHUP */
    opterr = !o->policy_only;
    while ((c = getopt_long(argc, argv, "l:b:" IDENTITY_SHORT_OPTIONS "hV", long_opts, NULL)) !=
           -1) {
        if (o->policy_only) {
            if ((c == O_PROTECT || c == O_ALLOW_CLEAR) && (rc = proxy_opt(o, c, optarg)))
                return rc;
            continue;
        }
        if (c == 'h') {
            usage();
            *done = 1;
            return 0;
        }
        if (c == 'V') {
            *done = 1;
            return cli_version();
        }
        if ((rc = proxy_opt(o, c, optarg)) < 0 && (rc = identity_opt(&o->id, c, optarg)) < 0)
            return cli_try_help();
        if (rc)
            return rc;
    }
    if (optind < argc && !o->policy_only)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    return 0;
}

/* ---- validate ---- */

static int validate_broker(proxy_conf *c)
{
    const char *b = c->broker;
    if (!b)
        return cli_usage_error("give the broker: --broker mqtt://HOST[:PORT]");
    if (!strncmp(b, "mqtts://", 8)) {
        c->broker_tls = 1;
        b += 8;
    } else if (!strncmp(b, "mqtt://", 7)) {
        b += 7;
    } else if (strstr(b, "://")) {
        return cli_usage_error("--broker %s: expected mqtt:// or mqtts://HOST[:PORT]", b);
    }
    if ((c->cafile || c->capath) && !c->broker_tls)
        return cli_usage_error("--cafile and --capath verify an mqtts:// broker");
    return arg_broker("--broker", b, c->broker_tls ? 8883 : 1883, &c->broker_host, &c->broker_port);
}

static int validate_limits(const proxy_conf *c)
{
    if ((c->tls_cert != NULL) != (c->tls_key != NULL))
        return cli_usage_error("--tls-cert and --tls-key go together");
    if (c->max_packet < 1024)
        return cli_usage_error("--max-packet %u: at least 1024", (unsigned)c->max_packet);
    if (c->max_conns == 0)
        return cli_usage_error("--max-connections: at least 1");
    return 0;
}

static int validate(struct opts *o)
{
    proxy_conf *c = o->conf;
    int rc;

    if ((rc = validate_broker(c)) || (rc = validate_limits(c)) ||
        (rc = arg_broker("--listen", c->listen, 1883, &c->listen_host, &c->listen_port)))
        return rc;
    if (c->gateway_map && (o->id.have_id || o->id.name || o->id.state || o->id.ntopic_keys))
        return cli_usage_error("--gateway-map takes the identities from its state files; "
                               "no --id, --name, --state or --topic-key with it");
    if ((rc = identity_resolve_secrets(&o->id)))
        return rc;
    if ((rc = arg_secret(NULL, o->password_file, "E4_MQTT_PASSWORD", &c->password)))
        return rc;
    if (c->password && !c->username)
        return cli_usage_error("an upstream password needs --upstream-username");
    return 0;
}

/* ---- run ---- */

static int saved_argc;
static char **saved_argv;

/* SIGHUP: the policy from the config file, the environment and the
 * command line again; on any error the old one stays. */
static int reload(proxy *px)
{
    struct opts o;
    policy fresh = {0};
    struct argv_list a;
    int done, rc;

    memset(&o, 0, sizeof o);
    o.conf = &px->conf;
    o.pol = &fresh;
    o.policy_only = 1;
    rc = config_argv(&a, long_opts, saved_argc, saved_argv);
    if (rc == 0)
        rc = parse(&o, (int)a.n, a.v, &done);
    argv_free(&a);
    if (rc != 0) {
        policy_free(&fresh);
        return rc;
    }
    policy_free(&px->pol);
    px->pol = fresh;
    return 0;
}

/* Signals go to the loop's signalfd: blocked before any thread starts. */
static void block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int run(proxy *px)
{
    char *mhost = NULL;
    int mport = 0, rc = 0;
    size_t i;

    if (proxy_prepare(px))
        return 1;
    if (tls_setup(&px->conf))
        return 1;
    block_signals();
    mosquitto_lib_init();
    if (px->conf.metrics &&
        ((rc = arg_broker("--metrics", px->conf.metrics, 9464, &mhost, &mport)) ||
         (rc = metrics_start(mhost, mport))))
        goto out;
    for (i = 0; i < px->nids && rc == 0; i++)
        rc = control_start(px, &px->ids[i]);
    if (rc == 0)
        rc = loop_run(px, reload);
out:
    ids_close(px);
    metrics_stop();
    tls_free();
    mosquitto_lib_cleanup();
    free(mhost);
    return rc;
}

int main(int argc, char **argv)
{
    proxy px;
    struct opts o;
    struct argv_list a = {0};
    int rc, done = 0;

    cli_prog = "e4proxy";
    cli_protect_secrets();
    memset(&px, 0, sizeof px);
    memset(&o, 0, sizeof o);
    px.conf.listen = "127.0.0.1:1883";
    px.conf.max_packet = PROXY_DEFAULT_MAX_PACKET;
    px.conf.max_conns = 100000;
    px.conf.keepalive = 60;
    px.conf.state_interval = 3600;
    o.conf = &px.conf;
    o.pol = &px.pol;
    saved_argc = argc;
    saved_argv = argv;

    rc = config_argv(&a, long_opts, argc, argv);
    if (rc == 0)
        rc = parse(&o, (int)a.n, a.v, &done);
    if (rc == 0 && !done)
        rc = validate(&o);
    if (rc == 0 && !done)
        rc = ids_open(&px, &o.id);
    identity_free(&o.id);
    if (rc == 0 && !done)
        rc = run(&px);
    else
        ids_close(&px);
    policy_free(&px.pol);
    free(px.scratch);
    free(px.conf.broker_host);
    free(px.conf.listen_host);
    if (px.conf.password) {
        e4_wipe(px.conf.password, strlen(px.conf.password));
        free(px.conf.password);
    }
    argv_free(&a);
    return rc;
}
