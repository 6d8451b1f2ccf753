/* argv -> struct ctl_request: options anywhere (GNU style), then the command
 * words resolved against the table, then every value validated. */
#include "ctl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct given {
    const struct ctl_option *opt;
    const char *value;
};

struct split {
    const char **words;
    size_t nwords;
    struct given *opts;
    size_t nopts;
};

static int perr(struct ctl_request *req, const char *fmt, ...) CTL_PRINTF(2, 3);

static int perr(struct ctl_request *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->error, sizeof req->error, fmt, ap);
    va_end(ap);
    return CTL_EXIT_USAGE;
}

static int take_long(struct ctl_request *req, int argc, char **argv, int *i, struct split *sp)
{
    const char *name = argv[*i] + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const struct ctl_option *o = ctl_option_long(name, len);
    struct given *g = &sp->opts[sp->nopts];

    if (!o)
        return perr(req, "unrecognized option '--%.*s'", (int)(len > 64 ? 64 : len), name);
    g->opt = o;
    g->value = NULL;
    if (!o->metavar) {
        if (eq)
            return perr(req, "option '--%s' doesn't allow an argument", o->name);
    } else if (eq) {
        g->value = eq + 1;
    } else if (*i + 1 < argc) {
        g->value = argv[++*i];
    } else {
        return perr(req, "option '--%s' requires an argument %s", o->name, o->metavar);
    }
    sp->nopts++;
    return 0;
}

static int take_short(struct ctl_request *req, const char *arg, struct split *sp)
{
    const struct ctl_option *o = arg[2] ? NULL : ctl_option_short(arg[1]);
    if (!o)
        return perr(req, "invalid option '%.64s'", arg);
    sp->opts[sp->nopts].opt = o;
    sp->opts[sp->nopts].value = NULL;
    sp->nopts++;
    return 0;
}

/* Separates options (with their values) from words; "--" ends the options. */
static int split_argv(struct ctl_request *req, int argc, char **argv, struct split *sp)
{
    int i, only_words = 0, rc = 0, r;
    char first[sizeof req->error];
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        r = 0;
        if (only_words || a[0] != '-' || a[1] == '\0')
            sp->words[sp->nwords++] = a;
        else if (!strcmp(a, "--"))
            only_words = 1;
        else if (a[1] == '-')
            r = take_long(req, argc, argv, &i, sp);
        else
            r = take_short(req, a, sp);
        if (r && !rc) { /* report the first error; go on to find the command */
            rc = r;
            memcpy(first, req->error, sizeof first);
        }
    }
    if (rc)
        memcpy(req->error, first, sizeof first);
    return rc;
}

static int resolve_group(struct ctl_request *req, const char **words, size_t n, size_t *used)
{
    const struct ctl_group *g = ctl_group_find(words[0]);
    req->group = g->name;
    *used = 1;
    if (n < 2) {
        if (req->set & (G_HELP | G_VERSION))
            return 0;
        return perr(req, "'%s' needs a command (%s)", g->name, strchr(g->summary, ':') + 2);
    }
    req->cmd = ctl_command_find(g->name, words[1]);
    if (!req->cmd)
        return perr(req, "unknown command '%s %.64s'", g->name, words[1]);
    *used = 2;
    return 0;
}

/* words[0..] -> req->cmd (or a group / top level for help); *used words. */
static int resolve(struct ctl_request *req, const char **words, size_t n, size_t *used)
{
    *used = 0;
    if (n > 0 && !strcmp(words[0], "help")) {
        req->set |= G_HELP;
        words++, n--;
        *used = 1;
    }
    if (n == 0) {
        if (req->set & (G_HELP | G_VERSION))
            return 0;
        return perr(req, "missing command");
    }
    if (ctl_group_find(words[0])) {
        size_t u = 0;
        int rc = resolve_group(req, words, n, &u);
        *used += u;
        return rc;
    }
    req->cmd = ctl_command_find(NULL, words[0]);
    if (!req->cmd)
        return perr(req, "unknown command '%.64s'", words[0]);
    *used += 1;
    return 0;
}

static void store_value(struct ctl_request *req, unsigned bit, const char *v)
{
    switch (bit) {
    case G_URL: req->url = v; break;
    case G_TOKEN_FILE: req->token_file = v; break;
    case G_CACERT: req->cacert = v; break;
    case O_ID: req->id = v; break;
    case O_KEY: req->key = v; break;
    case O_PASSWORD_FILE: req->password_file = v; break;
    case O_PUBKEY: req->pubkey = v; break;
    case O_SEARCH: req->search = v; break;
    default: break; /* numbers are checked in validate_numbers */
    }
}

static int apply_options(struct ctl_request *req, const struct split *sp)
{
    unsigned allowed = G_ALL | (req->cmd ? req->cmd->opts : 0);
    char prog[96];
    size_t i;

    ctl_request_prog(req, prog, sizeof prog);
    for (i = 0; i < sp->nopts; i++) {
        const struct ctl_option *o = sp->opts[i].opt;
        if (!(o->bit & allowed))
            return perr(req, "'%s' has no option '--%s'", prog, o->name);
        req->set |= o->bit;
        store_value(req, o->bit, sp->opts[i].value);
    }
    return 0;
}

/* The value of the last occurrence of an option (GNU: the last one wins). */
static const char *last_value(const struct split *sp, unsigned bit)
{
    const char *v = NULL;
    size_t i;
    for (i = 0; i < sp->nopts; i++)
        if (sp->opts[i].opt->bit == bit)
            v = sp->opts[i].value;
    return v;
}

static int parse_number(struct ctl_request *req, const char *opt, const char *v,
                        unsigned long long min, unsigned long long max, unsigned long long *out)
{
    unsigned long long n = 0;
    const char *p = v;
    if (!*p)
        return perr(req, "--%s: expected a number, got ''", opt);
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || n > (max - (unsigned)(*p - '0')) / 10)
            return perr(req, "--%s: expected a whole number from %llu to %llu, got '%.64s'", opt,
                        min, max, v);
        n = n * 10 + (unsigned)(*p - '0');
    }
    if (n < min)
        return perr(req, "--%s: expected a whole number from %llu to %llu, got '%.64s'", opt, min,
                    max, v);
    *out = n;
    return 0;
}

static int validate_numbers(struct ctl_request *req, const struct split *sp)
{
    const unsigned long long big = 1ull << 53; /* exact in every JSON parser */
    int rc = 0;
    if (req->set & O_OFFSET)
        rc = parse_number(req, "offset", last_value(sp, O_OFFSET), 0, big, &req->offset);
    if (!rc && (req->set & O_LIMIT))
        rc = parse_number(req, "limit", last_value(sp, O_LIMIT), 1, CTL_LIMIT_MAX, &req->limit);
    if (!rc && (req->set & O_AFTER))
        rc = parse_number(req, "after", last_value(sp, O_AFTER), 0, big, &req->after);
    return rc;
}

static int check_hex(struct ctl_request *req, const char *opt, const char *v, size_t digits)
{
    size_t i, n = strlen(v);
    for (i = 0; i < n && n == digits; i++)
        if (!strchr("0123456789abcdefABCDEF", v[i]))
            break;
    if (n != digits || i != n)
        return perr(req, "--%s: expected %zu hex digits, got '%.80s%s'", opt, digits, v,
                    n > 80 ? "..." : "");
    return 0;
}

int ctl_pubkey_hex_ok(const char *v)
{
    size_t n = strlen(v);
    if (n != 64 && n != 132 && n != 6400)
        return 0;
    return strspn(v, "0123456789abcdefABCDEF") == n;
}

static int validate_client_add(struct ctl_request *req)
{
    int given = !!(req->set & O_KEY) + !!(req->set & O_PASSWORD_FILE) + !!(req->set & O_PUBKEY);
    int rc = 0;
    if (given > 1)
        return perr(req, "--key, --password-file and --pubkey exclude each other");
    if (req->id)
        rc = check_hex(req, "id", req->id, 32);
    if (!rc && req->key)
        rc = check_hex(req, "key", req->key, 64);
    if (!rc && req->pubkey && req->pubkey[0] != '@' && !ctl_pubkey_hex_ok(req->pubkey))
        rc = perr(req,
                  "--pubkey: expected 64 hex digits (pk; fips-pk 132, pq-pk 6400), got '%.80s%s'",
                  req->pubkey, strlen(req->pubkey) > 80 ? "..." : "");
    if (!rc && req->pubkey && !strcmp(req->pubkey, "@"))
        rc = perr(req, "--pubkey @FILE: empty file name");
    if (!rc && req->password_file && !*req->password_file)
        rc = perr(req, "--password-file: empty file name");
    return rc;
}

/* The idx-th name of an argument spec ("TOPIC CLIENT..." -> "CLIENT..."). */
static void spec_word(const char *spec, size_t idx, char *out, size_t len)
{
    size_t n;
    while (*spec == ' ')
        spec++;
    while (idx-- > 0 && *spec) {
        spec += strcspn(spec, " ");
        spec += strspn(spec, " ");
    }
    n = strcspn(spec, " ");
    snprintf(out, len, "%.*s", (int)n, spec);
}

static int check_args(struct ctl_request *req, const char **words, size_t n)
{
    int variadic = 0;
    size_t want = ctl_spec_args(req->cmd->args, &variadic), i;
    char prog[96], name[32];

    ctl_request_prog(req, prog, sizeof prog);
    if (n < want) {
        spec_word(req->cmd->args, n, name, sizeof name);
        return perr(req, "missing argument %s (usage: %s %s)", name, prog, req->cmd->args);
    }
    if (n > want && !variadic)
        return perr(req, "unexpected argument '%.64s' (usage: %s%s%s)", words[want], prog,
                    want ? " " : "", req->cmd->args);
    for (i = 0; i < n; i++) {
        if (!words[i][0])
            return perr(req, "argument %zu is empty", i + 1);
        if (req->cmd->body != B_IMPORT && !ctl_utf8_valid(words[i], strlen(words[i])))
            return perr(req, "argument %zu is not valid UTF-8", i + 1);
    }
    req->args = words;
    req->nargs = n;
    return 0;
}

static int on_off(struct ctl_request *req, const char *what, const char *v, int *out)
{
    if (strcmp(v, "on") && strcmp(v, "off"))
        return perr(req, "%s: expected on or off, got '%.64s'", what, v);
    *out = !strcmp(v, "on");
    return 0;
}

static int duration(struct ctl_request *req, const struct split *sp, unsigned bit, long long *out)
{
    const char *v = last_value(sp, bit), *name = ctl_option_bit(bit)->name;
    if (!(req->set & bit))
        return 0;
    if (ctl_parse_duration(v, out) != 0)
        return perr(req, "--%s: expected a duration like 90s, 15m, 24h or 7d, got '%.64s'", name,
                    v);
    if (*out < 60 || *out > 10LL * 366 * 86400)
        return perr(req, "--%s: from 60 seconds to 10 years, got '%.64s'", name, v);
    return 0;
}

/* policy show|set|clear: the kind, and the options that go with it. */
static int validate_policy(struct ctl_request *req, const struct split *sp)
{
    int topic = !strcmp(req->args[0], "topic");
    int rc = 0;
    req->on_join = req->on_leave = -1;
    if (!topic && strcmp(req->args[0], "client"))
        return perr(req, "expected 'topic' or 'client', got '%.64s'", req->args[0]);
    if (topic && (req->set & O_REKEY_EVERY))
        return perr(req, "--rekey-every is for clients; topics take --rotate-every");
    if (!topic && (req->set & (O_ROTATE_EVERY | O_MAX_AGE | O_ON_JOIN | O_ON_LEAVE)))
        return perr(req, "a client's policy has only --rekey-every");
    rc = duration(req, sp, O_ROTATE_EVERY, &req->rotate_every);
    if (!rc)
        rc = duration(req, sp, O_MAX_AGE, &req->max_age);
    if (!rc)
        rc = duration(req, sp, O_REKEY_EVERY, &req->rekey_every);
    if (!rc && (req->set & O_ON_JOIN))
        rc = on_off(req, "--on-join", last_value(sp, O_ON_JOIN), &req->on_join);
    if (!rc && (req->set & O_ON_LEAVE))
        rc = on_off(req, "--on-leave", last_value(sp, O_ON_LEAVE), &req->on_leave);
    return rc;
}

static int validate_command(struct ctl_request *req, const struct split *sp)
{
    int dummy;
    if (req->cmd->body == B_CLIENT_ADD)
        return validate_client_add(req);
    if (strstr(req->cmd->route, "{K}"))
        return validate_policy(req, sp);
    if (req->cmd->body == B_MONITOR)
        return on_off(req, "the second argument", req->args[1], &dummy);
    return 0;
}

static int validate(struct ctl_request *req, const struct split *sp)
{
    int rc = validate_numbers(req, sp);
    if (!rc && req->url && !ctl_url_valid(req->url))
        rc = perr(req, "--url: expected http://HOST[:PORT] or https://..., got '%.80s'", req->url);
    if (!rc && (req->set & O_FOLLOW) && (req->set & O_LIMIT))
        rc = perr(req, "--limit cannot be used with --follow");
    if (!rc && req->cmd)
        rc = validate_command(req, sp);
    if (!rc && req->search && !ctl_utf8_valid(req->search, strlen(req->search)))
        rc = perr(req, "--search: not valid UTF-8");
    return rc;
}

static int parse_split(int argc, char **argv, struct ctl_request *req, struct split *sp)
{
    size_t used = 0;
    size_t i;
    int rc = split_argv(req, argc, argv, sp);

    if (rc) { /* still find the command, for the message's "e4ctl client add: " */
        char saved[sizeof req->error];
        memcpy(saved, req->error, sizeof saved);
        resolve(req, sp->words, sp->nwords, &used);
        memcpy(req->error, saved, sizeof saved);
        return rc;
    }
    /* --help and --version win over a missing command, not over a bad option */
    for (i = 0; i < sp->nopts; i++)
        req->set |= sp->opts[i].opt->bit & (G_HELP | G_VERSION);
    rc = resolve(req, sp->words, sp->nwords, &used);
    if (!rc)
        rc = apply_options(req, sp);
    if (rc || (req->set & (G_HELP | G_VERSION)))
        return rc;
    rc = check_args(req, sp->words + used, sp->nwords - used);
    if (!rc)
        rc = validate(req, sp);
    return rc;
}

int ctl_parse(int argc, char **argv, struct ctl_request *req)
{
    struct split sp;
    int rc;

    memset(req, 0, sizeof *req);
    memset(&sp, 0, sizeof sp);
    sp.words = calloc((size_t)(argc > 0 ? argc : 1), sizeof *sp.words);
    sp.opts = calloc((size_t)(argc > 0 ? argc : 1), sizeof *sp.opts);
    if (!sp.words || !sp.opts) {
        free(sp.words);
        free(sp.opts);
        return perr(req, "out of memory");
    }
    req->owned = sp.words; /* req->args points into it */
    rc = parse_split(argc, argv, req, &sp);
    free(sp.opts);
    return rc;
}

void ctl_request_free(struct ctl_request *req)
{
    free(req->owned);
    req->owned = NULL;
    req->args = NULL;
    req->nargs = 0;
}

void ctl_request_prog(const struct ctl_request *req, char *out, size_t len)
{
    if (req->cmd && req->cmd->group)
        snprintf(out, len, "e4ctl %s %s", req->cmd->group, req->cmd->name);
    else if (req->cmd)
        snprintf(out, len, "e4ctl %s", req->cmd->name);
    else if (req->group)
        snprintf(out, len, "e4ctl %s", req->group);
    else
        snprintf(out, len, "e4ctl");
}

size_t ctl_spec_args(const char *spec, int *variadic)
{
    size_t n = 0;
    const char *p = spec;
    *variadic = 0;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        n++;
        while (*p && *p != ' ')
            p++;
    }
    *variadic = n > 0 && strlen(spec) >= 3 && !strcmp(spec + strlen(spec) - 3, "...");
    return n;
}
