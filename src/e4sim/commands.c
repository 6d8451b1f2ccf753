/* The commands read on stdin, one per line, words separated by spaces:
 *   wait TOPIC KEYID COUNT TIMEOUT_S   count TOPIC KEYID   holds NAME TOPIC
 *   stats   help   quit */
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

static void help(void)
{
    fputs("commands (one per line):\n"
          "  wait TOPIC KEYID COUNT TIMEOUT_S  until COUNT devices hold the key for TOPIC\n"
          "  count TOPIC KEYID                 how many devices hold it\n"
          "  holds NAME TOPIC                  the key id device NAME holds for TOPIC\n"
          "  stats                             commands applied, errors by kind\n"
          "  help                              this list (on stderr)\n"
          "  quit                              stop\n",
          stderr);
}

struct command {
    const char *name;
    int words;   /* including the name */
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
    out_error(s, "unknown command '%.60s' (wait, count, holds, stats, help, quit)", w[0]);
    return 0;
}
