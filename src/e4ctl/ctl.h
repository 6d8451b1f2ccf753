/*
 * e4ctl: the operator's command line for e4c2's HTTP API.
 *
 * A run is: parse (argv -> struct ctl_request, parse.c), validate (parse.c),
 * run (run.c: request.c builds the path and body, http.c talks to e4c2,
 * render.c / table.c print the answer, sse.c follows the event stream).
 * Every command is one row of ctl_commands (commands.c); help and dispatch
 * are derived from that table.
 */
#ifndef E4CTL_CTL_H
#define E4CTL_CTL_H

#include <stddef.h>
#include <stdio.h>

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

#define CTL_DEFAULT_URL "http://127.0.0.1:8640"
#define CTL_LIMIT_MAX 1000u        /* the API's largest page */
#define CTL_IMPORT_MAX (64u << 20) /* the API's import body limit */

#if defined(__GNUC__)
#define CTL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CTL_PRINTF(a, b)
#endif

/* ---- options (one bit each) ---- */
enum {
    O_ID = 1u << 0,
    O_KEY = 1u << 1,
    O_PASSWORD_FILE = 1u << 2,
    O_PUBKEY = 1u << 3,
    O_SEARCH = 1u << 4,
    O_OFFSET = 1u << 5,
    O_LIMIT = 1u << 6,
    O_ALL = 1u << 7,
    O_SHARE_PUBKEYS = 1u << 8,
    O_NO_ROTATE = 1u << 9,
    O_FINISH = 1u << 10,
    O_FOLLOW = 1u << 11,
    O_AFTER = 1u << 12,
    O_BEHIND = 1u << 13,
    O_ROTATE_EVERY = 1u << 14,
    O_MAX_AGE = 1u << 15,
    O_ON_JOIN = 1u << 16,
    O_ON_LEAVE = 1u << 17,
    O_REKEY_EVERY = 1u << 18,
    /* global options, accepted everywhere */
    G_URL = 1u << 20,
    G_TOKEN_FILE = 1u << 21,
    G_CACERT = 1u << 22,
    G_JSON = 1u << 23,
    G_HELP = 1u << 24,
    G_VERSION = 1u << 25,
};
#define O_PAGE (O_OFFSET | O_LIMIT | O_ALL)
#define O_POLICY (O_ROTATE_EVERY | O_MAX_AGE | O_ON_JOIN | O_ON_LEAVE | O_REKEY_EVERY)
#define G_ALL (G_URL | G_TOKEN_FILE | G_CACERT | G_JSON | G_HELP | G_VERSION)

struct ctl_option {
    const char *name; /* long name, without "--" */
    char short_name;  /* 0: none */
    unsigned bit;
    const char *metavar; /* NULL: takes no value */
    const char *help;
};

/* How the request body is made. */
enum ctl_body {
    B_NONE,
    B_CLIENT_ADD, /* {"name", "id"?, "key"?, "password"?, "pubkey"?} */
    B_IMPORT,     /* the FILE (JSON lines), as application/x-ndjson */
    B_TOPIC_NAME, /* {"name": TOPIC} */
    B_SOURCE,     /* {"source": SOURCE} (second argument) */
    B_JOIN,       /* {"clients": [...], "share_pubkeys"?: true} */
    B_LEAVE,      /* {"clients": [...], "rotate"?: false} */
    B_POLICY,     /* {"rotate_every", "max_age", "on_join", "on_leave"} or {"rekey_every"} */
    B_MONITOR,    /* {"enabled": ARG2 == "on"} */
};

/* How a successful answer is printed without --json. */
enum ctl_render {
    R_DONE,         /* the command's sentence */
    R_TOPIC_DONE,   /* the sentence, then the topic's version and members */
    R_CLIENT_ADDED, /* id, and the generated key with a warning */
    R_CLIENT,       /* one client, field per line */
    R_TOPIC,        /* one topic, field per line (then its members not on the current key) */
    R_CLIENTS,      /* page of clients: table */
    R_TOPICS,       /* page of topics: table */
    R_COMMANDS,     /* page of commands: table */
    R_EVENTS,       /* events: one line each */
    R_STATUS,       /* status: field per line */
    R_IMPORTED,     /* "imported N clients" */
    R_C2KEY,        /* C2 public key and generation; or the end of a rotation (stragglers) */
    R_POLICY,       /* one policy, field per line */
    R_POLICIES,     /* page of policies: table */
    R_TRAFFIC,      /* a topic's traffic: counts, rate, skew, last offender */
    R_MONITORING,   /* page of monitored topics: table */
};

struct ctl_command {
    const char *group; /* "client", "topic"...; NULL for a top-level command */
    const char *name;
    const char *args;   /* positional names; a last one ending in "..." takes 1 or more */
    unsigned opts;      /* O_* bits accepted (globals always are) */
    const char *method; /* GET, POST, DELETE */
    const char *route;  /* "/v1/clients/{1}/pubkeys/{2}": {N} is argument N, percent-encoded;
                         * {K}: "topics" or "clients" after argument 1 (a policy's kind) */
    enum ctl_body body;
    enum ctl_render render;
    const char *done; /* R_DONE/R_TOPIC_DONE: {1} {2} arguments, {n} how many after the first */
    const char *summary;
};

struct ctl_group {
    const char *name;
    const char *summary;
};

extern const struct ctl_command ctl_commands[];
extern const size_t ctl_ncommands;
extern const struct ctl_group ctl_groups[];
extern const size_t ctl_ngroups;
extern const struct ctl_option ctl_options[];
extern const size_t ctl_noptions;

const struct ctl_option *ctl_option_long(const char *name, size_t len);
const struct ctl_option *ctl_option_short(char c);
const struct ctl_option *ctl_option_bit(unsigned bit);
const struct ctl_group *ctl_group_find(const char *name);
const struct ctl_command *ctl_command_find(const char *group, const char *name);

/* ---- parsing (parse.c) ---- */

struct ctl_request {
    const struct ctl_command *cmd; /* NULL for top-level or group help */
    const char *group;             /* the group named on the command line, if any */
    unsigned set;                  /* O_* and G_* bits given */
    const char *url, *token_file, *cacert;
    const char *id, *key, *password_file, *pubkey, *search;
    unsigned long long offset, limit, after;
    long long rotate_every, max_age, rekey_every; /* seconds (policy set) */
    int on_join, on_leave;                        /* policy set: 0 / 1, -1 not given */
    const char **args; /* positional arguments of the command (array owned here) */
    size_t nargs;
    char error[512]; /* the usage error, when ctl_parse fails */
    void *owned;     /* storage behind args */
};

/* argv -> req, validated. 0 on success (also for --help, --version), else
 * CTL_EXIT_USAGE with req->error set. Call ctl_request_free in any case. */
int ctl_parse(int argc, char **argv, struct ctl_request *req);
void ctl_request_free(struct ctl_request *req);
/* "e4ctl", "e4ctl client" or "e4ctl client add", as far as req resolved. */
void ctl_request_prog(const struct ctl_request *req, char *out, size_t len);
/* Number of fixed positional names in spec, and whether the last is "...". */
size_t ctl_spec_args(const char *spec, int *variadic);
/* Checks a base URL: http:// or https://, a host, no spaces or controls. */
int ctl_url_valid(const char *url);
/* "90s", "15m", "24h", "7d", "2w" or a number of seconds; 0 or -1. */
int ctl_parse_duration(const char *s, long long *out);
/* 1 when s is valid UTF-8 (no NUL). */
int ctl_utf8_valid(const char *s, size_t len);

/* ---- request building (request.c) ---- */

/* Percent-encodes everything but the RFC 3986 unreserved characters. */
char *ctl_urlencode(const char *s);
/* The route with its arguments and the query (offset, limit, search, after, behind). */
char *ctl_build_path(const struct ctl_request *req);

struct ctl_body_out {
    char *data; /* malloc'ed, wiped on free; NULL for no body */
    size_t len;
    const char *content_type;
};
/* 0, or CTL_EXIT_FAIL with err set (unreadable file...). */
int ctl_build_body(const struct ctl_request *req, struct ctl_body_out *out, char *err,
                   size_t errlen);
void ctl_body_free(struct ctl_body_out *b);

/* ---- helpers (util.c) ---- */

struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
};
void sb_add(struct sbuf *b, const char *s, size_t n);
void sb_adds(struct sbuf *b, const char *s);
void sb_addf(struct sbuf *b, const char *fmt, ...) CTL_PRINTF(2, 3);
/* Returns the string (caller frees) or NULL when out of memory. */
char *sb_take(struct sbuf *b);
void sb_wipe(struct sbuf *b);

/* Whole file ("-": stdin) into a malloc'ed NUL-terminated buffer, at most max
 * bytes. 0, or -1 with err set. */
int ctl_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen);
/* First line of a file ("-": stdin), without the line end. NULL with err set. */
char *ctl_read_first_line(const char *path, const char *what, char *err, size_t errlen);
/* A client's public key set in hex: pk (64 digits), fips-pk (132) or pq-pk
 * (6400); e4c2 checks it is its suite's. */
int ctl_pubkey_hex_ok(const char *v);
void ctl_wipe_free(void *p, size_t len);
void ctl_wipe_str(char *s);
/* Compact JSON (any value) in a malloc'ed string; NULL without memory. */
struct json_t;
char *ctl_json_dump(const struct json_t *v);
/* Jansson allocates through functions that wipe on free (answers hold keys). */
void ctl_secure_json(void);

/* ---- messages ---- */
void ctl_error(const char *fmt, ...) CTL_PRINTF(1, 2);
/* Text from the server or the user, with controls escaped (no terminal tricks). */
void ctl_put_safe(FILE *f, const char *s);
/* The same into a malloc'ed string (NULL without memory). */
char *ctl_safe_dup(const char *s);

/* ---- help (help.c) ---- */
void ctl_help(FILE *f, const struct ctl_request *req);
void ctl_version(FILE *f);

#endif
