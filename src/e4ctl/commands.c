/* The table of commands and options: help and dispatch come from here. */
#include "ctl.h"

#include <string.h>

#define CMD(g, n, a, o, m, r, b, rd, d, s) \
    {                                      \
        g, n, a, o, m, r, b, rd, d, s      \
    }

const struct ctl_command ctl_commands[] = {
    /* clients */
    CMD("client", "add", "NAME", O_ID | O_KEY | O_PASSWORD_FILE | O_PUBKEY, "POST", "/v1/clients",
        B_CLIENT_ADD, R_CLIENT_ADDED, NULL, "add a client (e4c2 generates its key unless given)"),
    CMD("client", "import", "FILE", 0, "POST", "/v1/clients/import", B_IMPORT, R_IMPORTED, NULL,
        "add clients from a JSON lines file ('-': stdin), all or none"),
    CMD("client", "list", "", O_SEARCH | O_PAGE, "GET", "/v1/clients", B_NONE, R_CLIENTS, NULL,
        "list clients"),
    CMD("client", "show", "CLIENT", 0, "GET", "/v1/clients/{1}", B_NONE, R_CLIENT, NULL,
        "show one client"),
    CMD("client", "remove", "CLIENT", 0, "DELETE", "/v1/clients/{1}", B_NONE, R_DONE,
        "removed client {1}", "remove a client (its topics are rotated)"),
    CMD("client", "rekey", "CLIENT", 0, "POST", "/v1/clients/{1}/rekey", B_NONE, R_DONE,
        "rekeyed client {1}: its new key is on its way", "give a client a new key"),
    CMD("client", "reset", "CLIENT", 0, "POST", "/v1/clients/{1}/reset", B_NONE, R_DONE,
        "reset client {1}: it forgets every topic key and leaves its topics",
        "make a client forget its topic keys (memberships dropped)"),
    CMD("client", "topics", "CLIENT", O_PAGE, "GET", "/v1/clients/{1}/topics", B_NONE, R_TOPICS,
        NULL, "list the topics of a client"),
    /* topics */
    CMD("topic", "add", "TOPIC", 0, "POST", "/v1/topics", B_TOPIC_NAME, R_TOPIC_DONE,
        "added topic {1}", "add a topic (e4c2 generates its key)"),
    CMD("topic", "list", "", O_SEARCH | O_PAGE, "GET", "/v1/topics", B_NONE, R_TOPICS, NULL,
        "list topics"),
    CMD("topic", "show", "TOPIC", 0, "GET", "/v1/topics/{1}", B_NONE, R_TOPIC, NULL,
        "show one topic and its members not on the current key"),
    CMD("topic", "remove", "TOPIC", 0, "DELETE", "/v1/topics/{1}", B_NONE, R_DONE,
        "removed topic {1}", "remove a topic (its members forget its key)"),
    CMD("topic", "rotate", "TOPIC", 0, "POST", "/v1/topics/{1}/rotate", B_NONE, R_TOPIC_DONE,
        "rotated topic {1}", "give a topic a new key, sent to its members"),
    CMD("topic", "join", "TOPIC CLIENT...", O_SHARE_PUBKEYS, "POST", "/v1/topics/{1}/members",
        B_JOIN, R_TOPIC_DONE, "{n} client(s) joined topic {1}", "make clients members of a topic"),
    CMD("topic", "leave", "TOPIC CLIENT...", O_NO_ROTATE, "POST", "/v1/topics/{1}/members/leave",
        B_LEAVE, R_TOPIC_DONE, "{n} client(s) left topic {1}",
        "remove clients from a topic (and rotate its key)"),
    CMD("topic", "monitor", "TOPIC on|off", 0, "PUT", "/v1/topics/{1}/monitor", B_MONITOR, R_DONE,
        "monitoring of topic {1}: {2}", "check a topic's traffic (counts, anomalies) or stop"),
    CMD("topic", "traffic", "TOPIC", 0, "GET", "/v1/topics/{1}/traffic", B_NONE, R_TRAFFIC, NULL,
        "what monitoring counted on a topic"),
    CMD("topic", "members", "TOPIC", O_PAGE | O_BEHIND, "GET", "/v1/topics/{1}/members", B_NONE,
        R_CLIENTS, NULL, "list the members of a topic (--behind: not on its current key)"),
    /* rotation policies */
    CMD("policy", "list", "", O_PAGE, "GET", "/v1/policies", B_NONE, R_POLICIES, NULL,
        "list rotation policies and when they are next due"),
    CMD("policy", "show", "topic|client NAME", 0, "GET", "/v1/{K}/{2}/policy", B_NONE, R_POLICY,
        NULL, "show the policy of a topic or a client"),
    CMD("policy", "set", "topic|client NAME", O_POLICY, "PUT", "/v1/{K}/{2}/policy", B_POLICY,
        R_POLICY, NULL, "set a policy (options not given take their defaults)"),
    CMD("policy", "clear", "topic|client NAME", 0, "DELETE", "/v1/{K}/{2}/policy", B_NONE, R_POLICY,
        NULL, "back to the defaults (topics: rotate on leave only)"),
    /* public keys (public-key mode) */
    CMD("pubkey", "send", "TARGET SOURCE", 0, "POST", "/v1/clients/{1}/pubkeys", B_SOURCE, R_DONE,
        "sent the public key of {2} to {1}", "send SOURCE's public key to TARGET"),
    CMD("pubkey", "remove", "TARGET SOURCE", 0, "DELETE", "/v1/clients/{1}/pubkeys/{2}", B_NONE,
        R_DONE, "removed the public key of {2} from {1}", "make TARGET forget SOURCE's public key"),
    CMD("pubkey", "reset", "CLIENT", 0, "DELETE", "/v1/clients/{1}/pubkeys", B_NONE, R_DONE,
        "removed every public key from {1}", "make a client forget every public key"),
    CMD("pubkey", "list", "CLIENT", O_PAGE, "GET", "/v1/clients/{1}/pubkeys", B_NONE, R_CLIENTS,
        NULL, "list the clients whose public key a client holds"),
    /* links */
    CMD(NULL, "link", "TARGET SOURCE", 0, "POST", "/v1/clients/{1}/links", B_SOURCE, R_DONE,
        "linked {1} to {2}: {1} receives the public key of {2}",
        "send SOURCE's public key to TARGET and record the link"),
    CMD(NULL, "unlink", "TARGET SOURCE", 0, "DELETE", "/v1/clients/{1}/links/{2}", B_NONE, R_DONE,
        "unlinked {1} from {2}", "remove the link (TARGET forgets SOURCE's public key)"),
    CMD(NULL, "links", "CLIENT", O_PAGE, "GET", "/v1/clients/{1}/links", B_NONE, R_CLIENTS, NULL,
        "list the clients a client is linked to"),
    /* C2's own key (public-key mode); --finish adds "/finish" to the route */
    CMD("c2", "rotate-key", "", O_FINISH, "POST", "/v1/c2/rotate-key", B_NONE, R_C2KEY, NULL,
        "start (or --finish) a rotation of C2's key pair"),
    CMD("c2", "pubkey", "", 0, "GET", "/v1/c2/pubkey", B_NONE, R_C2KEY, NULL,
        "print C2's public key"),
    /* observation */
    CMD(NULL, "commands", "CLIENT", O_PAGE, "GET", "/v1/clients/{1}/commands", B_NONE, R_COMMANDS,
        NULL, "list a client's commands and their state, newest first"),
    CMD(NULL, "events", "", O_FOLLOW | O_AFTER | O_LIMIT, "GET", "/v1/events", B_NONE, R_EVENTS,
        NULL, "print events (--follow: as they happen)"),
    CMD(NULL, "monitoring", "", O_PAGE, "GET", "/v1/monitoring", B_NONE, R_MONITORING, NULL,
        "monitored topics with their counts and rate"),
    CMD(NULL, "status", "", 0, "GET", "/v1/status", B_NONE, R_STATUS, NULL,
        "counts, outbox depth and age, clients per sync status, mode"),
};
const size_t ctl_ncommands = sizeof ctl_commands / sizeof ctl_commands[0];

const struct ctl_group ctl_groups[] = {
    {"client", "clients: add, import, list, show, remove, rekey, reset, topics"},
    {"topic", "topics: add, list, show, remove, rotate, join, leave, members, monitor, traffic"},
    {"policy", "rotation policies: list, show, set, clear"},
    {"pubkey", "public keys held by clients (public-key mode): send, remove, reset, list"},
    {"c2", "C2's own key pair (public-key mode): rotate-key, pubkey"},
};
const size_t ctl_ngroups = sizeof ctl_groups / sizeof ctl_groups[0];

const struct ctl_option ctl_options[] = {
    {"id", 0, O_ID, "HEX", "the client's id (32 hex digits; default: derived from NAME)"},
    {"key", 0, O_KEY, "HEX", "the client's key (64 hex digits; symmetric-key mode)"},
    {"password-file", 0, O_PASSWORD_FILE, "FILE",
     "derive the client's key from the password on FILE's first line ('-': stdin)"},
    {"pubkey", 0, O_PUBKEY, "HEX|@FILE",
     "the client's public keys (public-key modes): pk Ed25519 (64 hex digits), fips-pk "
     "sign||agree P-256 (132), pq-pk Ed25519||ML-DSA-65||X-Wing (6400)"},
    {"search", 0, O_SEARCH, "TEXT", "only names containing TEXT"},
    {"offset", 0, O_OFFSET, "N", "skip the first N items"},
    {"limit", 0, O_LIMIT, "N", "at most N items (1..1000; default 100; with --all, per request)"},
    {"all", 0, O_ALL, NULL, "every item, fetched and printed page by page"},
    {"share-pubkeys", 0, O_SHARE_PUBKEYS, NULL,
     "also give the members each other's public keys (public-key mode)"},
    {"no-rotate", 0, O_NO_ROTATE, NULL, "keep the topic's key (by default it is rotated)"},
    {"finish", 0, O_FINISH, NULL, "finish the rotation: forget the old key, list stragglers"},
    {"behind", 0, O_BEHIND, NULL, "only the members not on the topic's current key version"},
    {"rotate-every", 0, O_ROTATE_EVERY, "DURATION",
     "rotate the topic's key this often (90s, 15m, 24h, 7d)"},
    {"max-age", 0, O_MAX_AGE, "DURATION", "rotate the topic's key once it is older than this"},
    {"on-join", 0, O_ON_JOIN, "on|off", "rotate the topic's key when clients join (default off)"},
    {"on-leave", 0, O_ON_LEAVE, "on|off", "rotate the topic's key when clients leave (default on)"},
    {"rekey-every", 0, O_REKEY_EVERY, "DURATION", "give the client a new key this often"},
    {"follow", 'f', O_FOLLOW, NULL, "keep listening and print events as they happen"},
    {"after", 0, O_AFTER, "ID", "only events after event ID"},
    {"url", 0, G_URL, "URL", "e4c2's address (default: $E4C2_URL, else " CTL_DEFAULT_URL ")"},
    {"token-file", 0, G_TOKEN_FILE, "FILE", "read the API token from FILE (default: $E4C2_TOKEN)"},
    {"cacert", 0, G_CACERT, "FILE", "trust the CA certificates in FILE (https)"},
    {"json", 'j', G_JSON, NULL, "print the API's JSON answer as is"},
    {"help", 'h', G_HELP, NULL, "show this help and exit"},
    {"version", 'V', G_VERSION, NULL, "show the version and exit"},
};
const size_t ctl_noptions = sizeof ctl_options / sizeof ctl_options[0];

const struct ctl_option *ctl_option_long(const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < ctl_noptions; i++)
        if (strlen(ctl_options[i].name) == len && !memcmp(ctl_options[i].name, name, len))
            return &ctl_options[i];
    return NULL;
}

const struct ctl_option *ctl_option_short(char c)
{
    size_t i;
    for (i = 0; i < ctl_noptions; i++)
        if (c && ctl_options[i].short_name == c)
            return &ctl_options[i];
    return NULL;
}

const struct ctl_option *ctl_option_bit(unsigned bit)
{
    size_t i;
    for (i = 0; i < ctl_noptions; i++)
        if (ctl_options[i].bit == bit)
            return &ctl_options[i];
    return NULL;
}

const struct ctl_group *ctl_group_find(const char *name)
{
    size_t i;
    for (i = 0; i < ctl_ngroups; i++)
        if (!strcmp(ctl_groups[i].name, name))
            return &ctl_groups[i];
    return NULL;
}

const struct ctl_command *ctl_command_find(const char *group, const char *name)
{
    size_t i;
    for (i = 0; i < ctl_ncommands; i++) {
        const struct ctl_command *c = &ctl_commands[i];
        int same_group = group ? (c->group && !strcmp(c->group, group)) : !c->group;
        if (same_group && !strcmp(c->name, name))
            return c;
    }
    return NULL;
}
