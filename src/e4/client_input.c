/* e4 client: the commands read on stdin, one per line. */
#include "device.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void help(void)
{
    fprintf(stderr, "commands (one per line):\n"
                    "  sub TOPIC             subscribe (TOPIC is the rest of the line)\n"
                    "  unsub TOPIC           unsubscribe\n"
                    "  pub TOPIC MESSAGE     protect MESSAGE and publish it\n"
                    "  pubclear TOPIC MESSAGE  publish MESSAGE without protection (tests)\n"
                    "  keys                  list topic hashes and public-key ids\n"
                    "  help                  this list (on stderr)\n"
                    "  quit                  stop (as end of input)\n");
}

/* Split "WORD REST": returns WORD, sets *rest to what follows the first
 * space (or to ""). Modifies s. */
static char *split_word(char *s, char **rest)
{
    char *sp = strchr(s, ' ');
    if (sp) {
        *sp = '\0';
        *rest = sp + 1;
    } else {
        *rest = s + strlen(s);
    }
    return s;
}

int input_line(client_ctx *c, char *line)
{
    size_t len = strlen(line);
    char *cmd, *rest;

    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '\0' || *line == '#')
        return 0;
    cmd = split_word(line, &rest);

    if (!strcmp(cmd, "sub") || !strcmp(cmd, "unsub")) {
        if (*rest == '\0') {
            out_error(c, "input", NULL, E4_OK, "usage: sub TOPIC / unsub TOPIC");
            return 0;
        }
        if (cmd[0] == 's') {
            names_add(c, rest);
            broker_subscribe(c, rest);
        } else {
            broker_unsubscribe(c, rest);
        }
    } else if (!strcmp(cmd, "pub") || !strcmp(cmd, "pubclear")) {
        char *message;
        char *topic = split_word(rest, &message);
        if (*topic == '\0') {
            out_error(c, "input", NULL, E4_OK, "usage: pub TOPIC MESSAGE");
            return 0;
        }
        names_add(c, topic);
        broker_publish(c, topic, (const uint8_t *)message, strlen(message), cmd[3] == 'c');
    } else if (!strcmp(cmd, "keys")) {
        out_keys(c);
    } else if (!strcmp(cmd, "help")) {
        help();
    } else if (!strcmp(cmd, "quit") || !strcmp(cmd, "exit")) {
        return 1;
    } else {
        char msg[128];
        snprintf(msg, sizeof msg,
                 "unknown command '%.60s' (sub, unsub, pub, pubclear, keys, help, quit)", cmd);
        out_error(c, "input", NULL, E4_OK, msg);
    }
    return 0;
}
