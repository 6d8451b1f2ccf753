/*
 * e4ctl: argv parsing and validation (exit status 2 cases), percent-encoding
 * of path segments (topics with '/', '+', '#', spaces, UTF-8), paths with
 * their query, and request bodies. No network: the parser, the command table
 * and the request builder are compiled into this test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../src/e4ctl/commands.c"
#include "../../src/e4ctl/duration.c"
#include "../../src/e4ctl/parse.c"
#include "../../src/e4ctl/request.c"
#include "../../src/e4ctl/util.c"

#define MAX_ARGV 32

/* Parses "e4ctl" followed by the NULL-terminated words. */
static int parse_words(struct ctl_request *req, const char *first, ...)
{
    char *argv[MAX_ARGV];
    int argc = 0;
    const char *w;
    va_list ap;

    argv[argc++] = (char *)"e4ctl";
    va_start(ap, first);
    for (w = first; w && argc < MAX_ARGV - 1; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    argv[argc] = NULL;
    return ctl_parse(argc, argv, req);
}

#define PARSE(req, ...) parse_words(req, __VA_ARGS__, (const char *)NULL)

static char *path_of(const char *first, ...);

/* ---- parsing: successes ---------------------------------------------------- */

static void test_parse_basic(void **state)
{
    struct ctl_request req;
    (void)state;
    assert_int_equal(PARSE(&req, "client", "add", "alice"), 0);
    assert_non_null(req.cmd);
    assert_string_equal(req.cmd->group, "client");
    assert_string_equal(req.cmd->name, "add");
    assert_int_equal(req.nargs, 1);
    assert_string_equal(req.args[0], "alice");
    ctl_request_free(&req);

    assert_int_equal(PARSE(&req, "status"), 0);
    assert_string_equal(req.cmd->name, "status");
    assert_null(req.cmd->group);
    assert_int_equal(req.nargs, 0);
    ctl_request_free(&req);
}

static void test_parse_options_anywhere(void **state)
{
    struct ctl_request req;
    (void)state;
    assert_int_equal(PARSE(&req, "--json", "--url", "http://h:1", "client", "list", "--limit=5",
                           "--search", "x"),
                     0);
    assert_true(req.set & G_JSON);
    assert_string_equal(req.url, "http://h:1");
    assert_int_equal(req.limit, 5);
    assert_string_equal(req.search, "x");
    ctl_request_free(&req);

    assert_int_equal(PARSE(&req, "topic", "join", "--share-pubkeys", "t", "a", "-j", "b"), 0);
    assert_true(req.set & O_SHARE_PUBKEYS);
    assert_true(req.set & G_JSON);
    assert_int_equal(req.nargs, 3);
    assert_string_equal(req.args[2], "b");
    ctl_request_free(&req);

    /* a suite's key set: fips-pk's 132 hex digits; a file, read when sent */
    {
        char fips[133];
        memset(fips, 'a', 132);
        fips[132] = 0;
        assert_int_equal(PARSE(&req, "client", "add", "a", "--pubkey", fips), 0);
        ctl_request_free(&req);
        fips[131] = 0;
        assert_int_not_equal(PARSE(&req, "client", "add", "a", "--pubkey", fips), 0);
        ctl_request_free(&req);
        assert_int_equal(PARSE(&req, "client", "add", "a", "--pubkey", "@keys.pub"), 0);
        ctl_request_free(&req);
    }

    /* the last occurrence wins; "--" ends the options */
    assert_int_equal(PARSE(&req, "client", "list", "--offset", "1", "--offset", "7"), 0);
    assert_int_equal(req.offset, 7);
    ctl_request_free(&req);
    assert_int_equal(PARSE(&req, "client", "show", "--", "--weird-name"), 0);
    assert_string_equal(req.args[0], "--weird-name");
    ctl_request_free(&req);
    assert_int_equal(PARSE(&req, "client", "import", "-"), 0);
    assert_string_equal(req.args[0], "-");
    ctl_request_free(&req);
}

static void test_parse_help_version(void **state)
{
    struct ctl_request req;
    (void)state;
    assert_int_equal(PARSE(&req, "--help"), 0);
    assert_true(req.set & G_HELP);
    assert_null(req.cmd);
    assert_null(req.group);
    ctl_request_free(&req);

    assert_int_equal(PARSE(&req, "client", "--help"), 0);
    assert_null(req.cmd);
    assert_string_equal(req.group, "client");
    ctl_request_free(&req);

    /* help wins over missing arguments */
    assert_int_equal(PARSE(&req, "client", "add", "-h"), 0);
    assert_string_equal(req.cmd->name, "add");
    ctl_request_free(&req);

    assert_int_equal(PARSE(&req, "help", "topic", "join"), 0);
    assert_true(req.set & G_HELP);
    assert_string_equal(req.cmd->name, "join");
    ctl_request_free(&req);

    assert_int_equal(PARSE(&req, "--version"), 0);
    assert_true(req.set & G_VERSION);
    ctl_request_free(&req);
    assert_int_equal(PARSE(&req, "status", "-V"), 0);
    assert_true(req.set & G_VERSION);
    ctl_request_free(&req);
}

/* Every command of the table: its help parses, its arguments are counted. */
static void test_parse_every_command(void **state)
{
    static const char *const dummy[] = {"a", "b", "c", "d"};
    size_t i, j;
    (void)state;
    for (i = 0; i < ctl_ncommands; i++) {
        const struct ctl_command *c = &ctl_commands[i];
        char *argv[10];
        int argc = 0, variadic = 0, rc;
        size_t want = ctl_spec_args(c->args, &variadic);
        struct ctl_request req;

        argv[argc++] = (char *)"e4ctl";
        if (c->group)
            argv[argc++] = (char *)c->group;
        argv[argc++] = (char *)c->name;
        argv[argc] = (char *)"--help";
        assert_int_equal(ctl_parse(argc + 1, argv, &req), 0);
        assert_ptr_equal(req.cmd, c);
        ctl_request_free(&req);
        for (j = 0; j < want; j++) { /* a word from a set of choices: its first one */
            char word[32];
            spec_word(c->args, j, word, sizeof word);
            argv[argc + (int)j] = !strcmp(word, "on|off")         ? (char *)"on"
                                  : !strcmp(word, "topic|client") ? (char *)"topic"
                                                                  : (char *)dummy[j];
        }
        rc = ctl_parse(argc + (int)want, argv, &req);
        if (rc)
            fail_msg("%s %s: %s", c->group ? c->group : "", c->name, req.error);
        ctl_request_free(&req);
        if (want > 0) {
            assert_int_equal(ctl_parse(argc + (int)want - 1, argv, &req), CTL_EXIT_USAGE);
            assert_non_null(strstr(req.error, "missing argument"));
            ctl_request_free(&req);
        }
        argv[argc + (int)want] = (char *)"extra";
        rc = ctl_parse(argc + (int)want + 1, argv, &req);
        assert_int_equal(rc, variadic ? 0 : CTL_EXIT_USAGE);
        ctl_request_free(&req);
    }
}

static void test_policy_commands(void **state)
{
    struct ctl_request req;
    struct ctl_body_out body;
    char err[128], *path;
    long long d = 0;
    (void)state;
    assert_int_equal(ctl_parse_duration("90s", &d), 0);
    assert_int_equal(d, 90);
    assert_int_equal(ctl_parse_duration("15m", &d), 0);
    assert_int_equal(d, 900);
    assert_int_equal(ctl_parse_duration("24h", &d), 0);
    assert_int_equal(d, 86400);
    assert_int_equal(ctl_parse_duration("7d", &d), 0);
    assert_int_equal(d, 604800);
    assert_int_equal(ctl_parse_duration("3600", &d), 0);
    assert_int_equal(d, 3600);
    assert_int_equal(ctl_parse_duration("", &d), -1);
    assert_int_equal(ctl_parse_duration("h", &d), -1);
    assert_int_equal(ctl_parse_duration("1.5h", &d), -1);
    assert_int_equal(ctl_parse_duration("-5m", &d), -1);
    assert_int_equal(ctl_parse_duration("99999999999999d", &d), -1);
    assert_int_equal(parse_words(&req, "policy", "set", "topic", "a/b", "--rotate-every", "24h",
                                 "--max-age", "7d", "--on-join", "on", "--on-leave", "off", NULL),
                     0);
    path = ctl_build_path(&req);
    assert_string_equal(path, "/v1/topics/a%2Fb/policy");
    free(path);
    assert_int_equal(ctl_build_body(&req, &body, err, sizeof err), 0);
    assert_string_equal(
        body.data,
        "{\"rotate_every\":86400,\"max_age\":604800,\"on_join\":true,\"on_leave\":false}");
    ctl_body_free(&body);
    ctl_request_free(&req);
    assert_int_equal(
        parse_words(&req, "policy", "set", "client", "c1", "--rekey-every", "30d", NULL), 0);
    path = ctl_build_path(&req);
    assert_string_equal(path, "/v1/clients/c1/policy");
    free(path);
    ctl_request_free(&req);
    assert_int_equal(
        parse_words(&req, "policy", "set", "client", "c1", "--rotate-every", "1h", NULL),
        CTL_EXIT_USAGE);
    assert_non_null(strstr(req.error, "--rekey-every"));
    ctl_request_free(&req);
    assert_int_equal(
        parse_words(&req, "policy", "set", "topic", "t", "--rotate-every", "30s", NULL),
        CTL_EXIT_USAGE);
    assert_non_null(strstr(req.error, "--rotate-every: from 60 seconds"));
    ctl_request_free(&req);
    assert_int_equal(parse_words(&req, "policy", "set", "topic", "t", "--max-age", "soon", NULL),
                     CTL_EXIT_USAGE);
    ctl_request_free(&req);
    assert_int_equal(parse_words(&req, "policy", "show", "group", "t", NULL), CTL_EXIT_USAGE);
    assert_non_null(strstr(req.error, "'topic' or 'client'"));
    ctl_request_free(&req);
    assert_int_equal(parse_words(&req, "topic", "monitor", "t", "maybe", NULL), CTL_EXIT_USAGE);
    ctl_request_free(&req);
    assert_int_equal(parse_words(&req, "topic", "monitor", "t", "off", NULL), 0);
    assert_int_equal(ctl_build_body(&req, &body, err, sizeof err), 0);
    assert_string_equal(body.data, "{\"enabled\":false}");
    ctl_body_free(&body);
    ctl_request_free(&req);
}

/* ---- parsing: usage errors (exit status 2) -------------------------------- */

struct bad_case {
    const char *words[10];
    const char *message; /* a substring of the error */
};

static const struct bad_case bad_cases[] = {
    {{NULL}, "missing command"},
    {{"frobnicate"}, "unknown command 'frobnicate'"},
    {{"client"}, "needs a command"},
    {{"client", "frob"}, "unknown command 'client frob'"},
    {{"status", "--frob"}, "unrecognized option '--frob'"},
    {{"status", "-x"}, "invalid option '-x'"},
    {{"status", "-jh"}, "invalid option '-jh'"},
    {{"status", "--json=yes"}, "doesn't allow an argument"},
    {{"status", "--url"}, "requires an argument"},
    {{"status", "--token"}, "unrecognized option '--token'"}, /* never a token in argv */
    {{"status", "--url", "ftp://h"}, "--url: expected"},
    {{"status", "--url", "http://"}, "--url: expected"},
    {{"status", "--url", "http://h /x"}, "--url: expected"},
    {{"status", "extra"}, "unexpected argument 'extra'"},
    {{"status", "--search", "x"}, "'e4ctl status' has no option '--search'"},
    {{"client", "show"}, "missing argument CLIENT"},
    {{"client", "show", ""}, "argument 1 is empty"},
    {{"client", "show", "\xff\xfe"}, "not valid UTF-8"},
    {{"client", "show", "caf\xc3"}, "not valid UTF-8"},
    {{"client", "show", "\xc0\xaf"}, "not valid UTF-8"}, /* overlong '/' */
    {{"client", "add", "a", "--id", "abc"}, "--id: expected 32 hex digits"},
    {{"client", "add", "a", "--key", "zz"}, "--key: expected 64 hex digits"},
    {{"client", "add", "a", "--pubkey", "0"}, "--pubkey: expected 64 hex digits"},
    {{"client", "add", "a", "--pubkey", "@"}, "--pubkey @FILE: empty file name"},
    {{"client", "add", "a", "--key",
      "000000000000000000000000000000000000000000000000000000000000000g"},
     "--key: expected 64 hex digits"},
    {{"client", "add", "a", "--key",
      "0000000000000000000000000000000000000000000000000000000000000000", "--password-file", "f"},
     "exclude each other"},
    {{"client", "add", "a", "--pubkey",
      "0000000000000000000000000000000000000000000000000000000000000000", "--key",
      "0000000000000000000000000000000000000000000000000000000000000000"},
     "exclude each other"},
    {{"client", "list", "--limit", "0"}, "--limit: expected a whole number from 1 to 1000"},
    {{"client", "list", "--limit", "1001"}, "--limit"},
    {{"client", "list", "--limit", "-1"}, "--limit"},
    {{"client", "list", "--limit", "12x"}, "--limit"},
    {{"client", "list", "--limit="}, "--limit: expected a number"},
    {{"client", "list", "--offset", "99999999999999999999999"}, "--offset"},
    {{"client", "list", "--offset", "+3"}, "--offset"},
    {{"client", "list", "--search", "\xff"}, "--search: not valid UTF-8"},
    {{"client", "list", "--follow"}, "'e4ctl client list' has no option '--follow'"},
    {{"client", "show", "a", "--all"}, "has no option '--all'"},
    {{"topic", "list", "t"}, "unexpected argument 't'"},
    {{"topic", "join", "t"}, "missing argument CLIENT..."},
    {{"topic", "leave", "t", "a", "--share-pubkeys"}, "'e4ctl topic leave' has no option"},
    {{"pubkey", "send", "a"}, "missing argument SOURCE"},
    {{"link", "a", "b", "c"}, "unexpected argument 'c'"},
    {{"c2", "rotate-key", "now"}, "unexpected argument"},
    {{"c2", "pubkey", "--finish"}, "has no option '--finish'"},
    {{"topic", "show", "t", "--behind"}, "'e4ctl topic show' has no option '--behind'"},
    {{"client", "list", "--behind"}, "has no option '--behind'"},
    {{"topic", "members", "t", "--behind=true"}, "doesn't allow an argument"},
    {{"events", "--follow", "--limit", "3"}, "--limit cannot be used with --follow"},
    {{"events", "--after", "x"}, "--after"},
    {{"commands"}, "missing argument CLIENT"},
    {{"--frob", "status"}, "unrecognized option"},
};

static void test_parse_usage_errors(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *b = &bad_cases[i];
        char *argv[12];
        int argc = 0, rc;
        struct ctl_request req;
        argv[argc++] = (char *)"e4ctl";
        while (argc < 11 && b->words[argc - 1])
            argv[argc] = (char *)b->words[argc - 1], argc++;
        argv[argc] = NULL;
        rc = ctl_parse(argc, argv, &req);
        if (rc != CTL_EXIT_USAGE)
            fail_msg("case %zu (%s): status %d, expected 2", i, b->message, rc);
        if (!strstr(req.error, b->message))
            fail_msg("case %zu: error '%s' lacks '%s'", i, req.error, b->message);
        ctl_request_free(&req);
    }
}

static void test_error_names_the_command(void **state)
{
    struct ctl_request req;
    char prog[96];
    (void)state;
    assert_int_equal(PARSE(&req, "--bad", "client", "add"), CTL_EXIT_USAGE);
    ctl_request_prog(&req, prog, sizeof prog);
    assert_string_equal(prog, "e4ctl client add");
    ctl_request_free(&req);
    assert_int_equal(PARSE(&req, "topic"), CTL_EXIT_USAGE);
    ctl_request_prog(&req, prog, sizeof prog);
    assert_string_equal(prog, "e4ctl topic");
    ctl_request_free(&req);
}

/* ---- percent-encoding and paths -------------------------------------------- */

static void expect_encoded(const char *in, const char *out)
{
    char *e = ctl_urlencode(in);
    assert_non_null(e);
    assert_string_equal(e, out);
    free(e);
}

static void test_urlencode(void **state)
{
    (void)state;
    expect_encoded("sensors/room-1/temp", "sensors%2Froom-1%2Ftemp");
    expect_encoded("a+b", "a%2Bb");
    expect_encoded("a#b", "a%23b");
    expect_encoded("home/+/#", "home%2F%2B%2F%23");
    expect_encoded("room 1", "room%201");
    expect_encoded("caf\xc3\xa9/\xe2\x98\x95", "caf%C3%A9%2F%E2%98%95");
    expect_encoded("100%", "100%25");
    expect_encoded("a?b&c=d;e", "a%3Fb%26c%3Dd%3Be");
    expect_encoded("Az09-._~", "Az09-._~");
    expect_encoded("..", ".."); /* a segment of its own: the server decodes, never resolves */
    expect_encoded("", "");
}

static char *path_of(const char *first, ...)
{
    char *argv[MAX_ARGV];
    int argc = 0;
    const char *w;
    va_list ap;
    struct ctl_request req;
    char *path = NULL;

    argv[argc++] = (char *)"e4ctl";
    va_start(ap, first);
    for (w = first; w && argc < MAX_ARGV - 1; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    if (ctl_parse(argc, argv, &req) == 0)
        path = ctl_build_path(&req);
    else
        fail_msg("parse: %s", req.error);
    ctl_request_free(&req);
    return path;
}

#define PATH_IS(expected, ...)                               \
    do {                                                     \
        char *p_ = path_of(__VA_ARGS__, (const char *)NULL); \
        assert_non_null(p_);                                 \
        assert_string_equal(p_, expected);                   \
        free(p_);                                            \
    } while (0)

static void test_paths(void **state)
{
    (void)state;
    PATH_IS("/v1/status", "status");
    PATH_IS("/v1/topics/sensors%2Froom%201%2F%2B%23", "topic", "show", "sensors/room 1/+#");
    PATH_IS("/v1/topics/caf%C3%A9%2Fcr%C3%A8me", "topic", "remove", "caf\xc3\xa9/cr\xc3\xa8me");
    PATH_IS("/v1/topics/a%2Fb/rotate", "topic", "rotate", "a/b");
    PATH_IS("/v1/topics/a%2Fb/members", "topic", "join", "a/b", "x", "y");
    PATH_IS("/v1/topics/a%2Fb/members/leave", "topic", "leave", "a/b", "x");
    PATH_IS("/v1/topics/%2B%2F%23/members?offset=3", "topic", "members", "+/#", "--offset", "3");
    PATH_IS("/v1/topics/a%2Fb/members?behind=true", "topic", "members", "a/b", "--behind");
    PATH_IS("/v1/topics/a%2Fb/members?offset=2&limit=5&behind=true", "topic", "members", "--behind",
            "a/b", "--limit", "5", "--offset", "2");
    PATH_IS("/v1/clients/my%20dev%2F1", "client", "show", "my dev/1");
    PATH_IS("/v1/clients/a/pubkeys/b%20c", "pubkey", "remove", "a", "b c");
    PATH_IS("/v1/clients/a/pubkeys", "pubkey", "reset", "a");
    PATH_IS("/v1/clients/a/links/b", "unlink", "a", "b");
    PATH_IS("/v1/clients/a/links", "link", "a", "b");
    PATH_IS("/v1/clients/a/commands?offset=10&limit=20", "commands", "a", "--limit", "20",
            "--offset", "10");
    PATH_IS("/v1/clients?search=a%20b%26c%2F%23&offset=5&limit=1000", "client", "list", "--search",
            "a b&c/#", "--offset", "5", "--limit", "1000");
    PATH_IS("/v1/topics?search=caf%C3%A9", "topic", "list", "--search", "caf\xc3\xa9");
    PATH_IS("/v1/c2/rotate-key", "c2", "rotate-key");
    PATH_IS("/v1/c2/rotate-key/finish", "c2", "rotate-key", "--finish");
    PATH_IS("/v1/events?after=42", "events", "--after", "42");
    PATH_IS("/v1/events?limit=7", "events", "--limit", "7");
}

/* ---- bodies ----------------------------------------------------------------- */

static json_t *body_of(struct ctl_body_out *b, const char *first, ...)
{
    char *argv[MAX_ARGV];
    int argc = 0;
    const char *w;
    va_list ap;
    struct ctl_request req;
    char err[256];
    json_t *j = NULL;

    argv[argc++] = (char *)"e4ctl";
    va_start(ap, first);
    for (w = first; w && argc < MAX_ARGV - 1; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    assert_int_equal(ctl_parse(argc, argv, &req), 0);
    if (ctl_build_body(&req, b, err, sizeof err) != 0)
        fail_msg("body: %s", err);
    if (b->data && !strcmp(b->content_type, "application/json"))
        j = json_loadb(b->data, b->len, 0, NULL);
    ctl_request_free(&req);
    return j;
}

#define BODY(b, ...) body_of(b, __VA_ARGS__, (const char *)NULL)

static void test_bodies(void **state)
{
    struct ctl_body_out b;
    json_t *j;
    (void)state;

    j = BODY(&b, "client", "add", "caf\xc3\xa9", "--id", "0123456789ABCDEF0123456789abcdef",
             "--key", "AA00000000000000000000000000000000000000000000000000000000000000");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "caf\xc3\xa9");
    assert_string_equal(json_string_value(json_object_get(j, "id")),
                        "0123456789abcdef0123456789abcdef");
    assert_string_equal(json_string_value(json_object_get(j, "key")),
                        "aa00000000000000000000000000000000000000000000000000000000000000");
    assert_null(json_object_get(j, "password"));
    json_decref(j);
    ctl_body_free(&b);

    j = BODY(&b, "client", "add", "n");
    assert_int_equal(json_object_size(j), 1); /* C2 generates the key */
    json_decref(j);
    ctl_body_free(&b);

    j = BODY(&b, "topic", "join", "a/b", "x", "y z", "--share-pubkeys");
    assert_int_equal(json_array_size(json_object_get(j, "clients")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "clients"), 1)), "y z");
    assert_true(json_is_true(json_object_get(j, "share_pubkeys")));
    json_decref(j);
    ctl_body_free(&b);

    j = BODY(&b, "topic", "leave", "a/b", "x", "--no-rotate");
    assert_true(json_is_false(json_object_get(j, "rotate")));
    json_decref(j);
    ctl_body_free(&b);

    j = BODY(&b, "topic", "leave", "a/b", "x");
    assert_null(json_object_get(j, "rotate")); /* the server's default: rotate */
    json_decref(j);
    ctl_body_free(&b);

    j = BODY(&b, "pubkey", "send", "t", "s");
    assert_string_equal(json_string_value(json_object_get(j, "source")), "s");
    json_decref(j);
    ctl_body_free(&b);

    j = BODY(&b, "topic", "add", "sensors/+/x");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "sensors/+/x");
    json_decref(j);
    ctl_body_free(&b);

    assert_null(BODY(&b, "client", "rekey", "a"));
    assert_null(b.data); /* no body */
    ctl_body_free(&b);
}

static void test_body_files(void **state)
{
    char dir[] = "/tmp/e4ctl-test.XXXXXX", pw[64], lines[64];
    struct ctl_body_out b;
    struct ctl_request req;
    char err[256];
    FILE *f;
    json_t *j;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(pw, sizeof pw, "%s/pw", dir);
    snprintf(lines, sizeof lines, "%s/clients.jsonl", dir);
    f = fopen(pw, "w");
    assert_non_null(f);
    fputs("correct horse battery staple\r\nsecond line\n", f);
    fclose(f);
    f = fopen(lines, "w");
    assert_non_null(f);
    fputs("{\"name\":\"a\"}\n{\"name\":\"b\"}\n", f);
    fclose(f);

    j = BODY(&b, "client", "add", "n", "--password-file", pw);
    assert_string_equal(json_string_value(json_object_get(j, "password")),
                        "correct horse battery staple");
    json_decref(j);
    ctl_body_free(&b);

    assert_null(BODY(&b, "client", "import", lines));
    assert_string_equal(b.content_type, "application/x-ndjson");
    assert_int_equal(b.len, 26);
    ctl_body_free(&b);

    /* an unreadable file is a failure (1), not a usage error */
    assert_int_equal(PARSE(&req, "client", "add", "n", "--password-file", "/nonexistent/pw"), 0);
    assert_int_equal(ctl_build_body(&req, &b, err, sizeof err), CTL_EXIT_FAIL);
    assert_non_null(strstr(err, "/nonexistent/pw"));
    ctl_request_free(&req);

    unlink(pw);
    unlink(lines);
    rmdir(dir);
}

/* ---- helpers ---------------------------------------------------------------- */

static void test_helpers(void **state)
{
    int v = 0;
    char *s;
    (void)state;
    assert_int_equal(ctl_spec_args("", &v), 0);
    assert_false(v);
    assert_int_equal(ctl_spec_args("TARGET SOURCE", &v), 2);
    assert_false(v);
    assert_int_equal(ctl_spec_args("TOPIC CLIENT...", &v), 2);
    assert_true(v);

    assert_true(ctl_url_valid("http://127.0.0.1:8640"));
    assert_true(ctl_url_valid("https://c2.example.com/prefix/"));
    assert_true(ctl_url_valid("http://[::1]:8640"));
    assert_false(ctl_url_valid("127.0.0.1:8640"));
    assert_false(ctl_url_valid("http://h/?q"));
    assert_false(ctl_url_valid("http://h\n"));

    assert_true(ctl_utf8_valid("caf\xc3\xa9 \xf0\x9f\x94\x91", 10));
    assert_false(ctl_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(ctl_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */

    s = ctl_safe_dup("ok \x1b[31m\x7f \xc2\x9b \xff caf\xc3\xa9");
    assert_string_equal(s, "ok \\x1b[31m\\x7f \\xc2\\x9b \\xff caf\xc3\xa9");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_basic),
        cmocka_unit_test(test_parse_options_anywhere),
        cmocka_unit_test(test_parse_help_version),
        cmocka_unit_test(test_parse_every_command),
        cmocka_unit_test(test_parse_usage_errors),
        cmocka_unit_test(test_policy_commands),
        cmocka_unit_test(test_error_names_the_command),
        cmocka_unit_test(test_urlencode),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_body_files),
        cmocka_unit_test(test_helpers),
    };
    ctl_secure_json();
    return cmocka_run_group_tests_name("e4ctl_args", tests, NULL, NULL);
}
