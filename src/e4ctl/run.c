/* One request (or, with --all, one per page) and its answer. */
#include "run.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

#define TIMEOUT_DEFAULT 60L
#define TIMEOUT_IMPORT 600L

int ctl_api_error(const struct ctl_ctx *ctx, const struct http_resp *resp)
{
    json_t *doc = resp->len ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
    json_t *e = json_object_get(doc, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));

    fflush(stdout);
    if (code && msg) {
        fputs("e4ctl: ", stderr);
        ctl_put_safe(stderr, msg);
        fputs(" (", stderr);
        ctl_put_safe(stderr, code);
        fputs(")\n", stderr);
    } else {
        ctl_error("HTTP %ld from e4c2 at %s (not an e4c2 error answer)", resp->status,
                  http_base(ctx->http));
    }
    if (resp->status == 401 && !ctx->has_token)
        ctl_error("no API token: set E4C2_TOKEN or use --token-file FILE");
    json_decref(doc);
    return CTL_EXIT_FAIL;
}

/* The answer parsed; NULL (printed) when it is not JSON. */
static json_t *parse_answer(const struct ctl_ctx *ctx, const struct http_resp *resp)
{
    json_error_t jerr;
    json_t *doc = resp->len ? json_loadb(resp->body, resp->len, 0, &jerr) : json_object();
    if (!doc)
        ctl_error("e4c2 at %s answered with invalid JSON: %s", http_base(ctx->http), jerr.text);
    return doc;
}

static void print_as_is(const struct http_resp *resp)
{
    fwrite(resp->body, 1, resp->len, stdout);
    if (resp->len == 0 || resp->body[resp->len - 1] != '\n')
        putchar('\n');
}

/* Sends req; on success *resp holds a 2xx answer. Errors are printed. */
static int exchange(const struct ctl_request *req, struct ctl_ctx *ctx, struct http_resp *resp)
{
    struct ctl_body_out body;
    struct http_req r;
    char err[640];
    char *path;
    int rc = ctl_build_body(req, &body, err, sizeof err);

    memset(resp, 0, sizeof *resp);
    if (rc) {
        ctl_error("%s", err);
        return rc;
    }
    path = ctl_build_path(req);
    memset(&r, 0, sizeof r);
    r.method = req->cmd->method;
    r.path = path ? path : "/";
    r.body = body.data;
    r.body_len = body.len;
    r.content_type = body.content_type;
    r.timeout = req->cmd->body == B_IMPORT ? TIMEOUT_IMPORT : TIMEOUT_DEFAULT;
    if (!path) {
        ctl_error("out of memory");
        rc = CTL_EXIT_FAIL;
    } else if (http_do(ctx->http, &r, resp, err, sizeof err)) {
        ctl_error("%s", err);
        rc = CTL_EXIT_FAIL;
    } else if (resp->status / 100 != 2) {
        rc = ctl_api_error(ctx, resp);
    }
    free(path);
    ctl_body_free(&body);
    return rc;
}

static int fetch_page(const struct ctl_request *page, struct ctl_ctx *ctx, json_t **doc);

/* topic show, after the topic: its members not on the current key version
 * (first page). Nothing to ask when there are none, or when e4c2 does not
 * know (no "not_current": a version without receipts). */
static int topic_behind(const struct ctl_request *req, struct ctl_ctx *ctx, const json_t *topic)
{
    struct ctl_request members = *req;
    const json_t *n = json_object_get(topic, "not_current");
    json_t *doc = NULL;
    int rc;

    if (!json_is_integer(n) || json_integer_value(n) <= 0)
        return 0;
    members.cmd = ctl_command_find("topic", "members");
    members.set = O_BEHIND;
    rc = fetch_page(&members, ctx, &doc);
    if (rc == 0)
        render_behind(doc);
    json_decref(doc);
    return rc;
}

static int run_once(const struct ctl_request *req, struct ctl_ctx *ctx)
{
    struct http_resp resp;
    struct page_printer pp;
    json_t *doc;
    int rc = exchange(req, ctx, &resp);

    if (rc == 0 && ctx->json) {
        print_as_is(&resp);
    } else if (rc == 0) {
        doc = parse_answer(ctx, &resp);
        if (!doc) {
            rc = CTL_EXIT_FAIL;
        } else if (render_is_page(req->cmd->render)) {
            page_begin(&pp, req);
            page_rows(&pp, json_object_get(doc, "items"));
            page_end(&pp, req, doc, 0);
        } else {
            render_answer(req, doc);
            if (req->cmd->render == R_TOPIC)
                rc = topic_behind(req, ctx, doc);
        }
        json_decref(doc);
    }
    http_resp_free(&resp);
    return rc;
}

/* One page of --all; *doc set on success. */
static int fetch_page(const struct ctl_request *page, struct ctl_ctx *ctx, json_t **doc)
{
    struct http_resp resp;
    int rc = exchange(page, ctx, &resp);
    *doc = NULL;
    if (rc == 0) {
        *doc = parse_answer(ctx, &resp);
        if (*doc && !json_is_array(json_object_get(*doc, "items"))) {
            ctl_error("e4c2 at %s answered without \"items\"", http_base(ctx->http));
            json_decref(*doc);
            *doc = NULL;
        }
        rc = *doc ? 0 : CTL_EXIT_FAIL;
    }
    http_resp_free(&resp);
    return rc;
}

static void json_items(const json_t *items, unsigned long long *count)
{
    size_t i;
    for (i = 0; i < json_array_size(items); i++) {
        char *s = ctl_json_dump(json_array_get(items, i));
        printf("%s%s", (*count)++ ? ",\n" : "\n", s ? s : "null");
        free(s);
    }
}

/* --all: page after page, each printed as it arrives (never all in memory).
 * With --json, one document: {"items":[...],"total":N,"offset":START}. */
static int run_all(const struct ctl_request *req, struct ctl_ctx *ctx)
{
    struct ctl_request page = *req;
    struct page_printer pp;
    unsigned long long count = 0;
    json_t *doc = NULL, *last = NULL;
    int rc = 0, done = 0;

    page.set |= O_OFFSET | O_LIMIT;
    page.offset = (req->set & O_OFFSET) ? req->offset : 0;
    page.limit = (req->set & O_LIMIT) ? req->limit : CTL_LIMIT_MAX;
    page_begin(&pp, req);
    if (ctx->json)
        printf("{\"items\":[");
    while (!done && (rc = fetch_page(&page, ctx, &doc)) == 0) {
        const json_t *items = json_object_get(doc, "items");
        json_int_t total = json_integer_value(json_object_get(doc, "total"));
        size_t n = json_array_size(items);
        if (ctx->json)
            json_items(items, &count);
        else
            page_rows(&pp, items);
        fflush(stdout);
        page.offset += n;
        done = n < page.limit || (total > 0 && page.offset >= (unsigned long long)total);
        json_decref(last);
        last = doc;
    }
    if (rc == 0 && ctx->json)
        printf("\n],\"total\":%lld,\"offset\":%llu}\n",
               (long long)json_integer_value(json_object_get(last, "total")),
               (req->set & O_OFFSET) ? req->offset : 0);
    else if (rc == 0)
        page_end(&pp, req, last, 1);
    json_decref(last);
    return rc;
}

int ctl_run(const struct ctl_request *req, struct ctl_ctx *ctx)
{
    if (req->cmd->render == R_EVENTS && (req->set & O_FOLLOW))
        return ctl_follow(req, ctx);
    if ((req->set & O_ALL) && render_is_page(req->cmd->render))
        return run_all(req, ctx);
    return run_once(req, ctx);
}
