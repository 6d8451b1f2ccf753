/* e4 client: an E4 device on the command line. Options, identity, main loop. */
#include "device.h"
#include "cli.h"
#include "identity.h"

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
    printf("Usage: e4 client [OPTION]...\n"
           "An E4 device on the command line: connects to an MQTT broker, subscribes to\n"
           "its control topic and applies the C2 commands received there, reads commands\n"
           "on stdin and prints what happens, one line per event.\n"
           "\n");
    identity_usage(stdout);
    printf("\n"
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
    struct identity_opts id;
    const char *broker, *client_id, *username, *mqtt_password;
    const char *cafile, *capath, *cert, *tls_key;
    int tls, insecure, json, no_stdin, clean_session, no_receipts, verbose;
    uint32_t qos, keepalive, timeout, state_interval, max_message;
    const char *mqtt_password_file;
    char *mqtt_password_owned;
    char **subscribe;
    size_t nsubscribe;
};

static void opts_free(struct client_opts *o)
{
    identity_free(&o->id);
    if (o->mqtt_password_owned) {
        e4_wipe(o->mqtt_password_owned, strlen(o->mqtt_password_owned));
        free(o->mqtt_password_owned);
    }
    free(o->subscribe);
}

enum {
    O_CLIENT_ID = 256,
    O_USERNAME,
    O_MQTT_PASSWORD,
    O_KEEPALIVE,
    O_TLS,
    O_CAFILE,
    O_CAPATH,
    O_CERT,
    O_TLS_KEY,
    O_INSECURE,
    O_TIMEOUT,
    O_NO_STDIN,
    O_CLEAN_SESSION,
    O_NO_RECEIPTS,
    O_STATE_INTERVAL,
    O_MQTT_PASSWORD_FILE,
    O_MAX_MESSAGE,
};

/* The secrets' other routes: files and the environment. */
static int resolve_secrets(struct client_opts *o)
{
    int rc;

    cli_stdin_is_data = !o->no_stdin;
    if ((rc = identity_resolve_secrets(&o->id)))
        return rc;
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

static const struct option client_long_options[] = {
    IDENTITY_LONG_OPTIONS,
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
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int parse_opts(int argc, char **argv, struct client_opts *o, int *done)
{
    int c, rc;

    *done = 0;
    while ((c = getopt_long(argc, argv, IDENTITY_SHORT_OPTIONS "b:q:s:jvhV", client_long_options,
                            NULL)) != -1) {
        rc = 0;
        switch (c) {
        case 'b': o->broker = optarg; break;
        case O_CLIENT_ID: o->client_id = optarg; break;
        case O_CLEAN_SESSION: o->clean_session = 1; break;
        case 'q': rc = arg_u32("--qos", optarg, 2, &o->qos); break;
        case 's': rc = cli_push(&o->subscribe, &o->nsubscribe, optarg); break;
        case O_USERNAME: o->username = optarg; break;
        case O_MQTT_PASSWORD: o->mqtt_password = optarg; break;
        case O_MQTT_PASSWORD_FILE: o->mqtt_password_file = optarg; break;
        case O_KEEPALIVE: rc = arg_u32("--keepalive", optarg, 65535, &o->keepalive); break;
        case O_TLS: o->tls = 1; break;
        case O_CAFILE:
            o->cafile = optarg;
            o->tls = 1;
            break;
        case O_CAPATH:
            o->capath = optarg;
            o->tls = 1;
            break;
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
        case 'h':
            usage();
            *done = 1;
            return 0;
        case 'V': *done = 1; return cli_version();
        default:
            if ((rc = identity_opt(&o->id, c, optarg)) < 0)
                return cli_try_help();
            break;
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (o->client_id && !o->client_id[0])
        return cli_usage_error(
            "--client-id: empty (without it, --clean-session takes a random id)");
    if ((o->cert != NULL) != (o->tls_key != NULL))
        return cli_usage_error("--cert and --tls-key go together");
    if ((o->cert || o->insecure) && !o->tls)
        o->tls = 1;
    return resolve_secrets(o);
}

/* ---- identity ---- */

static void name_topic(void *ctx, const char *topic)
{
    names_add(ctx, topic);
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
    broker_set_callbacks(c);
    return 0;
}

/* ---- signals ---- */

static int stop_fd = -1; /* readable after SIGINT or SIGTERM (stop_signals.c) */

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
static int connect_bounded(client_ctx *c, const char *host, int port, const struct client_opts *o)
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
        if (!c->connected_once && (tls_failed = broker_tls_failed(c)) != 0)
            break;
        deadline_in(&ts, 100);
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    ready = c->ready;
    refused = c->connack_refused;
    pthread_mutex_unlock(&c->lock);
    if (ready || cli_stop_signal)
        return 0;
    broker_last_error(c, why, sizeof why);
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
    while ((left = broker_pending_requests(c)) > 0 && !cli_stop_signal && now_ms() < end) {
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
        struct pollfd fds[3] = {{stop_fd, POLLIN, 0},
                                {receipts_wake_fd(c), POLLIN, 0},
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

static void client_init(struct client_opts *o, client_ctx *c)
{
    memset(o, 0, sizeof *o);
    memset(c, 0, sizeof *c);
    o->broker = "localhost";
    o->qos = 1;
    o->keepalive = 60;
    o->timeout = 10;
    o->state_interval = 3600;
    o->max_message = 1024 * 1024;
    c->wake[0] = c->wake[1] = -1;
    pthread_mutex_init(&c->out_lock, NULL);
    pthread_mutex_init(&c->log_lock, NULL);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
}

/* The --subscribe filters, checked and kept. 0, or the exit status. */
static int add_subscriptions(client_ctx *c, const struct client_opts *o)
{
    for (size_t i = 0; i < o->nsubscribe; i++) {
        if (mosquitto_sub_topic_check(o->subscribe[i]) != MOSQ_ERR_SUCCESS)
            return cli_usage_error("--subscribe: invalid topic filter '%s'", o->subscribe[i]);
        names_add(c, o->subscribe[i]);
        char **subs = realloc(c->subs, (c->nsubs + 1) * sizeof *c->subs);
        if (subs)
            c->subs = subs;
        if (!subs || !(c->subs[c->nsubs] = strdup(o->subscribe[i]))) {
            cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
            return 1;
        }
        c->nsubs++;
    }
    return 0;
}

/* Options -> the device: broker address, identity, subscriptions. */
static int client_validate(struct client_opts *o, client_ctx *c, char **host, int *port)
{
    int rc = arg_broker("--broker", o->broker, o->tls ? 8883 : 1883, host, port);
    if (rc)
        return rc;
    c->json = o->json;
    c->qos = (int)o->qos;
    c->max_message = o->max_message;
    c->verbose = o->verbose;
    c->receipts = !o->no_receipts;
    c->state_interval = o->state_interval;
    if ((rc = identity_open(&o->id, &c->e4, name_topic, c)))
        return rc;
    c->control_topic = strdup(e4_client_control_topic(c->e4));
    if (!c->control_topic) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    return add_subscriptions(c, o);
}

/* A failed connect, said as precisely as libmosquitto lets us. */
static int connect_failed(client_ctx *c, int rc, const char *host, int port)
{
    char why[256];
    if (rc == -1)
        return 1; /* already said */
    broker_last_error(c, why, sizeof why);
    if ((rc == MOSQ_ERR_TLS || broker_tls_failed(c)) && why[0])
        cli_error("cannot connect to %s:%d: TLS error: %s", host, port, why);
    else
        cli_error("cannot connect to %s:%d: %s", host, port,
                  rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    return 1;
}

/* Connects, starts the network thread, runs until stdin ends or a signal.
 * *started tells the cleanup whether the network thread runs. */
static int client_run(struct client_opts *o, client_ctx *c, const char *host, int port,
                      int *started)
{
    int rc;
    if ((rc = setup_mosquitto(o, c)) || (rc = setup_signals()) || (rc = receipts_init(c)))
        return rc;
    rc = connect_bounded(c, host, port, o);
    if (rc != MOSQ_ERR_SUCCESS)
        return connect_failed(c, rc, host, port);
    /* the network thread must not take SIGINT/SIGTERM from the main thread */
    block_signals(1);
    rc = mosquitto_loop_start(c->mosq);
    block_signals(0);
    if (rc != MOSQ_ERR_SUCCESS) {
        cli_error("cannot start the network thread: %s", mosquitto_strerror(rc));
        return 1;
    }
    *started = 1;
    rc = wait_ready(c, o->timeout, host, port);
    if (rc == 0) {
        input_loop(c, !o->no_stdin);
        drain(c, o->timeout);
    }
    return rc;
}

static void client_stop(client_ctx *c, int started)
{
    if (!c->mosq)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_mutex_unlock(&c->lock);
    if (started) {
        mosquitto_disconnect(c->mosq);
        mosquitto_loop_stop(c->mosq, false);
    }
    mosquitto_destroy(c->mosq);
}

static void client_free(struct client_opts *o, client_ctx *c)
{
    receipts_close(c);
    if (c->e4)
        e4_client_free(c->e4);
    for (size_t i = 0; i < c->nsubs; i++)
        free(c->subs[i]);
    free(c->subs);
    for (size_t i = 0; i < c->npend; i++)
        free(c->pend[i].topic);
    free(c->pend);
    names_free(c);
    free(c->control_topic);
    opts_free(o);
    cli_stop_signals_close();
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->log_lock);
    pthread_mutex_destroy(&c->out_lock);
}

int cmd_client(int argc, char **argv)
{
    struct client_opts o;
    client_ctx c;
    char *host = NULL;
    int port = 0, done = 0, started = 0;

    cli_protect_secrets();
    client_init(&o, &c);
    int rc = parse_opts(argc, argv, &o, &done);
    if (rc == 0 && !done)
        rc = client_validate(&o, &c, &host, &port);
    if (rc == 0 && !done) {
        mosquitto_lib_init();
        rc = client_run(&o, &c, host, port, &started);
        client_stop(&c, started);
        mosquitto_lib_cleanup();
    }
    client_free(&o, &c);
    free(host);
    return rc;
}
