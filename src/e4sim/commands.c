/* The commands read on stdin, one per line, words separated by spaces:
 *   wait TOPIC KEYID COUNT TIMEOUT_S   count TOPIC KEYID   holds NAME TOPIC
 *   offline FROM COUNT   online FROM COUNT   stats   receipts   help   quit */
#include "sim.h"
#include "../e4/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 8

static int split(char *line, char *w[MAX_WORDS])
{
    int n = 0;
    char *save = NULL, *tok = strtok_r(line, " \t\r", &save);
    while (tok && n < MAX_WORDS) {
        w[n++] = tok;
        tok = strtok_r(NULL, " \t\r", &save);
    }
    return tok ? MAX_WORDS + 1 : n;
}

static int parse_u32(const char *v, uint32_t *out)
{
    char *end;
    unsigned long long x;
    if (*v < '0' || *v > '9')
        return -1;
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno || *end || x > UINT32_MAX)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

/* Seconds, possibly fractional, up to a year: milliseconds. */
static int parse_seconds(const char *v, uint64_t *ms)
{
    char *end;
    double x;
    if ((*v < '0' || *v > '9') && *v != '.')
        return -1;
    errno = 0;
    x = strtod(v, &end);
    if (errno || *end || !(x >= 0 && x <= 366.0 * 86400))
        return -1;
    *ms = (uint64_t)(x * 1000.0 + 0.5);
    return 0;
}

/* TOPIC KEYID: the topic hash, the key id and its lower-case hex. */
static int parse_key(sim *s, const char *topic, const char *kid, uint8_t th[E4_TOPIC_HASH_LEN],
                     uint8_t id[SIM_KEY_ID_LEN], char hex[2 * SIM_KEY_ID_LEN + 1])
{
    if (cli_hash_topic(th, topic) != E4_OK) {
        out_error(s, "invalid topic '%.100s'", topic);
        return -1;
    }
    if (hex_decode_exact(id, SIM_KEY_ID_LEN, kid) != 0) {
        out_error(s, "key id: expected %d hex digits, got '%.40s'", 2 * SIM_KEY_ID_LEN, kid);
        return -1;
    }
    hex_encode(hex, id, SIM_KEY_ID_LEN);
    return 0;
}

static void cmd_wait(sim *s, char **w)
{
    uint8_t th[E4_TOPIC_HASH_LEN], id[SIM_KEY_ID_LEN];
    char hex[2 * SIM_KEY_ID_LEN + 1];
    uint32_t want, have;
    uint64_t ms, start = sim_now_ms();

    if (parse_key(s, w[1], w[2], th, id, hex) != 0)
        return;
    if (parse_u32(w[3], &want) != 0 || parse_seconds(w[4], &ms) != 0) {
        out_error(s, "usage: wait TOPIC KEYID COUNT TIMEOUT_S");
        return;
    }
    have = tracker_wait(&s->tracker, th, id, want, start + ms, &cli_stop_signal);
    if (have >= want)
        out_ok(s, w[1], hex, want, sim_now_ms() - start);
    else if (!cli_stop_signal)
        out_timeout(s, w[1], hex, have);
}

static void cmd_count(sim *s, char **w)
{
    uint8_t th[E4_TOPIC_HASH_LEN], id[SIM_KEY_ID_LEN];
    char hex[2 * SIM_KEY_ID_LEN + 1];
    if (parse_key(s, w[1], w[2], th, id, hex) == 0)
        out_count(s, tracker_count(&s->tracker, th, id));
}

static void cmd_holds(sim *s, char **w)
{
    sim_device *d = fleet_by_name(&s->fleet, w[1]);
    uint8_t th[E4_TOPIC_HASH_LEN], id[SIM_KEY_ID_LEN];
    char hex[2 * SIM_KEY_ID_LEN + 1];

    if (!d) {
        out_error(s, "unknown device '%.100s'", w[1]);
        return;
    }
    if (cli_hash_topic(th, w[2]) != E4_OK) {
        out_error(s, "invalid topic '%.100s'", w[2]);
        return;
    }
    if (tracker_holds(&s->tracker, d, th, id)) {
        hex_encode(hex, id, SIM_KEY_ID_LEN);
        out_holds(s, w[1], w[2], hex);
    } else {
        out_holds(s, w[1], w[2], NULL);
    }
}

/* "connections start at devices 0, 250, 500, ..." for a range error. */
static void range_error(sim *s, const char *cmd, uint32_t from, uint32_t count)
{
    char starts[160];
    size_t len = 0;
    uint32_t k;
    starts[0] = '\0';
    for (k = 0; k < s->nconns && len < sizeof starts - 24; k++)
        len += (size_t)snprintf(starts + len, sizeof starts - len, "%s%u", k ? ", " : "",
                                (unsigned)sim_conn_first(s->fleet.n, s->nconns, k));
    out_error(s, "%s %u %u: not whole connections; connections start at devices %s%s (of %zu)", cmd,
              (unsigned)from, (unsigned)count, starts, k < s->nconns ? ", ..." : "", s->fleet.n);
}

/* offline|online FROM COUNT: the connections serving exactly those devices. */
static void cmd_range(sim *s, char **w)
{
    uint32_t from, count, k0, k1;
    int changed;

    if (parse_u32(w[1], &from) != 0 || parse_u32(w[2], &count) != 0) {
        out_error(s, "usage: %s FROM COUNT", w[0]);
        return;
    }
    if (sim_range_conns(s->fleet.n, s->nconns, from, count, &k0, &k1) != 0) {
        range_error(s, w[0], from, count);
        return;
    }
    changed = !strcmp(w[0], "online") ? conns_online(s, k0, k1, s->opts->timeout)
                                      : conns_offline(s, k0, k1);
    if (changed < 0)
        out_error(s, "online: subscriptions not acknowledged within %u s",
                  (unsigned)s->opts->timeout);
    else
        out_range(s, w[0], from, count, changed);
}

static void cmd_receipts(sim *s, char **w)
{
    uint64_t counts[3];
    (void)w;
    tracker_receipts(&s->tracker, counts);
    out_receipts(s, counts);
}

static void help(void)
{
    fputs("commands (one per line):\n"
          "  wait TOPIC KEYID COUNT TIMEOUT_S  until COUNT devices hold the key for TOPIC\n"
          "  count TOPIC KEYID                 how many devices hold it\n"
          "  holds NAME TOPIC                  the key id device NAME holds for TOPIC\n"
          "  offline FROM COUNT                disconnect the connections of devices\n"
          "                                    FROM..FROM+COUNT-1 (whole connections)\n"
          "  online FROM COUNT                 reconnect them\n"
          "  stats                             commands applied, errors by kind\n"
          "  receipts                          receipts sent\n"
          "  help                              this list (on stderr)\n"
          "  quit                              stop\n",
          stderr);
}

struct command {
    const char *name;
    int words; /* including the name */
    void (*run)(sim *s, char **w);
    const char *usage;
};

static void cmd_stats(sim *s, char **w)
{
    tracker_stats st;
    (void)w;
    tracker_snapshot(&s->tracker, &st);
    out_stats(s, &st);
}

static const struct command commands[] = {
    {"wait", 5, cmd_wait, "wait TOPIC KEYID COUNT TIMEOUT_S"},
    {"count", 3, cmd_count, "count TOPIC KEYID"},
    {"holds", 3, cmd_holds, "holds NAME TOPIC"},
    {"stats", 1, cmd_stats, "stats"},
    {"offline", 3, cmd_range, "offline FROM COUNT"},
    {"online", 3, cmd_range, "online FROM COUNT"},
    {"receipts", 1, cmd_receipts, "receipts"},
};

int command_line(sim *s, char *line)
{
    char *w[MAX_WORDS];
    int n = split(line, w);
    size_t i;

    if (n == 0 || w[0][0] == '#')
        return 0;
    if (!strcmp(w[0], "quit") || !strcmp(w[0], "exit"))
        return 1;
    if (!strcmp(w[0], "help")) {
        help();
        return 0;
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(w[0], commands[i].name))
            continue;
        if (n != commands[i].words)
            out_error(s, "usage: %s", commands[i].usage);
        else
            commands[i].run(s, w);
        return 0;
    }
    out_error(s,
              "unknown command '%.60s' (wait, count, holds, offline, online, stats, receipts, "
              "help, quit)",
              w[0]);
    return 0;
}
