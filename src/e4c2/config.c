#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one list of settings. */
#define FIELD(f) offsetof(c2_config, f)
static const struct setting {
    const char *name; /* flag, file key (with '_' for '-') and E4C2_ name */
    size_t offset;
    int commands;
    const char *arg, *help;
} settings[] = {
    {"db", FIELD(db), CFG_ALL, "URL",
     "database: sqlite:PATH (default sqlite:e4c2.db) or postgresql://..."},
    {"passphrase-file", FIELD(passphrase_file), CFG_ALL, "FILE",
     "master passphrase (or E4C2_PASSPHRASE)"},
    {"key-file", FIELD(key_file), CFG_ALL, "FILE", "master key: 32 bytes or 64 hex digits"},
    {"log-level", FIELD(log_level), CFG_ALL, "LEVEL", "debug, info (default), warn, error"},
    {"mode", FIELD(mode), CFG_INIT, "MODE",
     "sk (symmetric keys), pk (public keys), or a cipher suite: fips-sk, fips-pk, pq-pk"},
    {"kdf-ops", FIELD(kdf_ops), CFG_INIT, "N", "Argon2id passes (default 3)"},
    {"kdf-mem", FIELD(kdf_mem), CFG_INIT, "KIB", "Argon2id memory in KiB (default 65536)"},
    {"broker", FIELD(broker), CFG_RUN, "URL", "MQTT broker: mqtt://HOST:PORT or mqtts://HOST:PORT"},
    {"broker-cafile", FIELD(broker_cafile), CFG_RUN, "FILE", "CA certificate for mqtts://"},
    {"broker-username", FIELD(broker_username), CFG_RUN, "NAME", "MQTT user name"},
    {"broker-password-file", FIELD(broker_password_file), CFG_RUN, "FILE", "MQTT password"},
    {"listen", FIELD(listen), CFG_RUN, "HOST:PORT", "HTTP API address (default 127.0.0.1:8640)"},
    {"tls-cert", FIELD(tls_cert), CFG_RUN, "FILE", "HTTPS certificate (PEM)"},
    {"tls-key", FIELD(tls_key), CFG_RUN, "FILE", "HTTPS private key (PEM)"},
    {"ui-dir", FIELD(ui_dir), CFG_RUN, "DIR",
     "the web console's files, served at /ui/ (default: the installed ones)"},
    {"lease", FIELD(lease), CFG_RUN, "SEC",
     "how long a claimed command is ours before others retry it (30)"},
    {"pool", FIELD(pool), CFG_RUN, "N", "database connections for the API (default 8)"},
    {"max-inflight", FIELD(max_inflight), CFG_RUN, "N",
     "MQTT window: QoS 2 publishes in flight (20, as the broker allows)"},
    {"publishers", FIELD(publishers), CFG_RUN, "N",
     "MQTT connections sending the outbox (default 4)"},
    {"receipts", FIELD(receipts), CFG_RUN, "on|off",
     "subscribe to devices' receipts and repair their state (on)"},
    {"state-interval", FIELD(state_interval), CFG_RUN, "SEC",
     "devices' STATE interval: stale after twice it (3600)"},
    {"clock-skew", FIELD(clock_skew), CFG_RUN, "SEC",
     "seconds a receipt's or monitored message's time may be ahead of C2's (0)"},
    {"policies", FIELD(policies), CFG_RUN, "on|off", "run due rotation policies (on)"},
    {"monitor", FIELD(monitor), CFG_RUN, "on|off", "check the traffic of monitored topics (on)"},
    {"monitor-flush", FIELD(monitor_flush), CFG_RUN, "SEC",
     "seconds between writes of traffic counts to the database, 1..60 (5)"},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static char **slot(c2_config *cfg, const struct setting *s)
{
    return (char **)((char *)cfg + s->offset);
}

static void set(c2_config *cfg, const struct setting *s, const char *value)
{
    char **p = slot(cfg, s);
    free(*p);
    *p = strdup(value);
}

static const struct setting *find_key(const char *key, size_t len)
{
    size_t i, k;
    for (i = 0; i < NSETTINGS; i++) {
        const char *n = settings[i].name;
        for (k = 0; k < len && n[k] && (n[k] == key[k] || (n[k] == '-' && key[k] == '_')); k++)
            ;
        if (k == len && !n[k])
            return &settings[i];
    }
    return NULL;
}

static const char *trim(const char *b, const char *e, size_t *len)
{
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    *len = (size_t)(e - b);
    return b;
}

/* One line: "key = value". */
static int parse_line(c2_config *cfg, const char *b, const char *e, int lineno, char *err, size_t n)
{
    const char *eq = memchr(b, '=', (size_t)(e - b)), *key, *val;
    size_t klen, vlen;
    char value[4096];
    const struct setting *s;
    key = trim(b, e, &klen);
    if (klen == 0 || *key == '#')
        return 0;
    if (!eq) {
        snprintf(err, n, "line %d: expected \"key = value\"", lineno);
        return -1;
    }
    key = trim(b, eq, &klen);
    val = trim(eq + 1, e, &vlen);
    if (!(s = find_key(key, klen))) {
        snprintf(err, n, "line %d: unknown setting \"%.*s\"", lineno, (int)(klen > 64 ? 64 : klen),
                 key);
        return -1;
    }
    if (vlen == 0 || vlen >= sizeof value || memchr(val, 0, vlen)) {
        snprintf(err, n, "line %d: %s needs a value (1 to 4095 bytes)", lineno, s->name);
        return -1;
    }
    memcpy(value, val, vlen);
    value[vlen] = 0;
    set(cfg, s, value);
    return 0;
}

int config_parse_text(c2_config *cfg, const char *text, size_t len, char *err, size_t err_len)
{
    const char *p = text, *end = text + len;
    int lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (parse_line(cfg, p, le, ++lineno, err, err_len) != 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

int config_load_file(c2_config *cfg, const char *path, char *err, size_t err_len)
{
    char buf[65536], inner[256];
    size_t n;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n == sizeof buf) {
        snprintf(err, err_len, "%s is larger than 64 KiB", path);
        return -1;
    }
    if (config_parse_text(cfg, buf, n, inner, sizeof inner) != 0) {
        snprintf(err, err_len, "%s: %s", path, inner);
        return -1;
    }
    return 0;
}

void config_load_env(c2_config *cfg)
{
    size_t i, k;
    for (i = 0; i < NSETTINGS; i++) {
        char name[64] = "E4C2_";
        const char *v;
        for (k = 0; settings[i].name[k] && k + 6 < sizeof name; k++)
            name[5 + k] = settings[i].name[k] == '-'
                              ? '_'
                              : (char)toupper((unsigned char)settings[i].name[k]);
        name[5 + k] = 0;
        if ((v = getenv(name)) && *v)
            set(cfg, &settings[i], v);
    }
}

enum { OPT_HELP = 'h', OPT_VERSION = 'V', OPT_READ_ONLY = 1000, OPT_JSON, OPT_CONFIG };

int config_parse_flags(c2_config *cfg, int command, int argc, char **argv, int *first_arg)
{
    struct option opts[NSETTINGS + 8];
    size_t i, n = 0;
    int c, idx;
    for (i = 0; i < NSETTINGS; i++)
        if (settings[i].commands & command)
            opts[n++] = (struct option){settings[i].name, required_argument, NULL, 2000 + (int)i};
    opts[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
    opts[n++] = (struct option){"read-only", no_argument, NULL, OPT_READ_ONLY};
    opts[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
    opts[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    opts[n++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
    opts[n] = (struct option){0, 0, 0, 0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "hV", opts, &idx)) != -1) {
        if (c >= 2000)
            set(cfg, &settings[c - 2000], optarg);
        else if (c == OPT_READ_ONLY)
            cfg->read_only = 1;
        else if (c == OPT_JSON)
            cfg->json = 1;
        else if (c == OPT_CONFIG)
            continue; /* read before the environment, see main.c */
        else if (c == OPT_HELP || c == OPT_VERSION)
            return c;
        else
            return 2;
    }
    *first_arg = optind;
    return 0;
}

void config_print_help(int command)
{
    size_t i;
    for (i = 0; i < NSETTINGS; i++)
        if (settings[i].commands & command)
            printf("  --%s %-*s %s\n", settings[i].name, (int)(30 - strlen(settings[i].name)),
                   settings[i].arg, settings[i].help);
    printf("  --config %-24s settings as \"key = value\" lines (flags and E4C2_* win)\n", "FILE");
}

void config_free(c2_config *cfg)
{
    size_t i;
    for (i = 0; i < NSETTINGS; i++) {
        free(*slot(cfg, &settings[i]));
        *slot(cfg, &settings[i]) = NULL;
    }
    free(cfg->config);
    cfg->config = NULL;
}
