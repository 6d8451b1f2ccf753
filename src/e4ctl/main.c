/* e4ctl: parse, validate, run. Configuration: flags win over the environment
 * (E4C2_URL, E4C2_TOKEN); the token never comes from the command line. */
#include "run.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

static int usage_error(const struct ctl_request *req)
{
    char prog[96];
    ctl_request_prog(req, prog, sizeof prog);
    fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", prog, req->error, prog);
    return CTL_EXIT_USAGE;
}

/* A token is a header value: printable ASCII, no spaces. */
static int token_ok(const char *t)
{
    for (; *t; t++)
        if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
            return 0;
    return 1;
}

/* The token (malloc'ed, to be wiped) or NULL when there is none; *rc on error. */
static char *load_token(const struct ctl_request *req, int *rc)
{
    char err[640];
    const char *env = getenv("E4C2_TOKEN");
    char *t = NULL;

    *rc = 0;
    if (req->token_file) {
        t = ctl_read_first_line(req->token_file, "token", err, sizeof err);
        if (!t) {
            ctl_error("--token-file: %s", err);
            *rc = CTL_EXIT_FAIL;
            return NULL;
        }
    } else if (env && *env) {
        t = strdup(env);
    }
    if (t && !token_ok(t)) {
        ctl_error("the API token (%s) holds spaces or control characters",
                  req->token_file ? req->token_file : "E4C2_TOKEN");
        ctl_wipe_str(t);
        *rc = CTL_EXIT_USAGE;
        return NULL;
    }
    return t;
}

/* --url, else $E4C2_URL, else the default; NULL (printed) when malformed. */
static const char *base_url(const struct ctl_request *req)
{
    const char *env = getenv("E4C2_URL");
    if (req->url)
        return req->url;
    if (!env || !*env)
        return CTL_DEFAULT_URL;
    if (!ctl_url_valid(env)) {
        ctl_error("E4C2_URL: expected http://HOST[:PORT] or https://..., got '%.80s'", env);
        return NULL;
    }
    return env;
}

static int run(const struct ctl_request *req)
{
    struct ctl_ctx ctx;
    const char *url = base_url(req);
    char *token;
    int rc;

    if (!url)
        return CTL_EXIT_USAGE;
    token = load_token(req, &rc);
    if (rc)
        return rc;
    if (http_global_init()) {
        ctl_wipe_str(token);
        ctl_error("cannot initialize libcurl");
        return CTL_EXIT_FAIL;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.json = (req->set & G_JSON) != 0;
    ctx.has_token = token != NULL;
    ctx.http = http_new(url, token, req->cacert);
    ctl_wipe_str(token);
    if (!ctx.http) {
        ctl_error("out of memory");
        rc = CTL_EXIT_FAIL;
    } else {
        rc = ctl_run(req, &ctx);
    }
    http_free(ctx.http);
    http_global_cleanup();
    return rc;
}

int main(int argc, char **argv)
{
    struct ctl_request req;
    int rc;

    ctl_secure_json();       /* before any other use of jansson */
    setlocale(LC_CTYPE, ""); /* column widths of UTF-8 names */
    rc = ctl_parse(argc, argv, &req);
    if (rc)
        rc = usage_error(&req);
    else if (req.set & G_HELP)
        ctl_help(stdout, &req);
    else if (req.set & G_VERSION)
        ctl_version(stdout);
    else
        rc = run(&req);
    ctl_request_free(&req);
    if (fflush(stdout) != 0 && rc == 0) {
        ctl_error("cannot write to standard output");
        rc = CTL_EXIT_FAIL;
    }
    return rc;
}
