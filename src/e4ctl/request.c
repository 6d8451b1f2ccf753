/* A parsed request -> the path (route, arguments, query) and the body. */
#include "ctl.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void sb_encode(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;
    for (p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) && *p < 0x80) {
            sb_add(b, (const char *)p, 1);
        } else if (*p == '-' || *p == '.' || *p == '_' || *p == '~') {
            sb_add(b, (const char *)p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            sb_add(b, e, 3);
        }
    }
}

char *ctl_urlencode(const char *s)
{
    struct sbuf b = {0};
    sb_encode(&b, s);
    return sb_take(&b);
}

/* The route with {N} replaced by the N-th argument, percent-encoded. */
static void add_route(struct sbuf *b, const struct ctl_request *req)
{
    const char *p = req->cmd->route;
    while (*p) {
        size_t n = strcspn(p, "{");
        sb_add(b, p, n);
        p += n;
        if (*p == '{' && p[1] == 'K' && p[2] == '}') {
            sb_adds(b, req->nargs && !strcmp(req->args[0], "client") ? "clients" : "topics");
            p += 3;
        } else if (*p == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}') {
            size_t idx = (size_t)(p[1] - '1');
            if (idx < req->nargs)
                sb_encode(b, req->args[idx]);
            p += 3;
        } else if (*p) {
            sb_add(b, p++, 1);
        }
    }
    if (req->set & O_FINISH)
        sb_adds(b, "/finish");
}

static void add_param(struct sbuf *b, const char *name, const char *value)
{
    sb_adds(b, strchr(b->s ? b->s : "", '?') ? "&" : "?");
    sb_adds(b, name);
    sb_add(b, "=", 1);
    sb_encode(b, value);
}

static void add_number(struct sbuf *b, const char *name, unsigned long long v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", v);
    add_param(b, name, num);
}

char *ctl_build_path(const struct ctl_request *req)
{
    struct sbuf b = {0};
    add_route(&b, req);
    if (req->set & O_SEARCH)
        add_param(&b, "search", req->search);
    if (req->set & O_OFFSET)
        add_number(&b, "offset", req->offset);
    if (req->set & O_LIMIT)
        add_number(&b, "limit", req->limit);
    if (req->set & O_AFTER)
        add_number(&b, "after", req->after);
    if (req->set & O_BEHIND)
        add_param(&b, "behind", "true");
    return sb_take(&b);
}

/* ---- bodies ---- */

static json_t *hex_lower(const char *hex)
{
    char buf[6401]; /* a pq-pk key set, the longest */
    size_t i, n = strlen(hex);
    json_t *j;
    if (n >= sizeof buf)
        return NULL;
    for (i = 0; i <= n; i++)
        buf[i] = (char)tolower((unsigned char)hex[i]);
    j = json_string(buf);
    explicit_bzero(buf, sizeof buf);
    return j;
}

static int client_add_body(const struct ctl_request *req, json_t *o, char *err, size_t errlen)
{
    int rc = json_object_set_new(o, "name", json_string(req->args[0]));
    if (req->id)
        rc |= json_object_set_new(o, "id", hex_lower(req->id));
    if (req->key)
        rc |= json_object_set_new(o, "key", hex_lower(req->key));
    if (req->pubkey && req->pubkey[0] == '@') {
        char *pk = ctl_read_first_line(req->pubkey + 1, "public key", err, errlen);
        if (!pk)
            return CTL_EXIT_FAIL;
        if (!ctl_pubkey_hex_ok(pk)) {
            snprintf(err, errlen,
                     "%s: expected 64, 132 or 6400 hex digits (a pk, fips-pk or pq-pk key set)",
                     req->pubkey + 1);
            free(pk);
            return CTL_EXIT_FAIL;
        }
        rc |= json_object_set_new(o, "pubkey", hex_lower(pk));
        free(pk);
    } else if (req->pubkey) {
        rc |= json_object_set_new(o, "pubkey", hex_lower(req->pubkey));
    }
    if (req->password_file) {
        char *pw = ctl_read_first_line(req->password_file, "password", err, errlen);
        if (!pw)
            return CTL_EXIT_FAIL;
        if (!ctl_utf8_valid(pw, strlen(pw))) {
            ctl_wipe_str(pw);
            snprintf(err, errlen, "%s: the password is not valid UTF-8", req->password_file);
            return CTL_EXIT_FAIL;
        }
        rc |= json_object_set_new(o, "password", json_string(pw));
        ctl_wipe_str(pw);
    }
    if (rc)
        snprintf(err, errlen, "out of memory");
    return rc ? CTL_EXIT_FAIL : 0;
}

static json_t *client_array(const struct ctl_request *req)
{
    json_t *a = json_array();
    size_t i;
    for (i = 1; a && i < req->nargs; i++)
        if (json_array_append_new(a, json_string(req->args[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Options not given are left out: the API takes its defaults. */
static int policy_body(const struct ctl_request *req, json_t *o)
{
    int rc = 0;
    if (req->set & O_ROTATE_EVERY)
        rc |= json_object_set_new(o, "rotate_every", json_integer(req->rotate_every));
    if (req->set & O_MAX_AGE)
        rc |= json_object_set_new(o, "max_age", json_integer(req->max_age));
    if (req->set & O_REKEY_EVERY)
        rc |= json_object_set_new(o, "rekey_every", json_integer(req->rekey_every));
    if (req->on_join >= 0)
        rc |= json_object_set_new(o, "on_join", json_boolean(req->on_join));
    if (req->on_leave >= 0)
        rc |= json_object_set_new(o, "on_leave", json_boolean(req->on_leave));
    return rc;
}

static int json_body(const struct ctl_request *req, json_t *o, char *err, size_t errlen)
{
    int rc = 0;
    switch (req->cmd->body) {
    case B_CLIENT_ADD: return client_add_body(req, o, err, errlen);
    case B_TOPIC_NAME: rc = json_object_set_new(o, "name", json_string(req->args[0])); break;
    case B_SOURCE: rc = json_object_set_new(o, "source", json_string(req->args[1])); break;
    case B_POLICY: rc = policy_body(req, o); break;
    case B_MONITOR:
        rc = json_object_set_new(o, "enabled", json_boolean(!strcmp(req->args[1], "on")));
        break;
    case B_JOIN:
    case B_LEAVE:
        rc = json_object_set_new(o, "clients", client_array(req));
        if (req->set & O_SHARE_PUBKEYS)
            rc |= json_object_set_new(o, "share_pubkeys", json_true());
        if (req->set & O_NO_ROTATE)
            rc |= json_object_set_new(o, "rotate", json_false());
        break;
    default: break;
    }
    if (rc)
        snprintf(err, errlen, "out of memory");
    return rc ? CTL_EXIT_FAIL : 0;
}

/* Compact JSON into our own buffer (wiped on free, unlike a json_dumps copy). */
static int dump(json_t *o, struct ctl_body_out *out, char *err, size_t errlen)
{
    size_t n = json_dumpb(o, NULL, 0, JSON_COMPACT);
    out->data = n ? malloc(n + 1) : NULL;
    if (!out->data) {
        snprintf(err, errlen, "out of memory");
        return CTL_EXIT_FAIL;
    }
    out->len = json_dumpb(o, out->data, n, JSON_COMPACT);
    out->data[out->len] = '\0';
    out->content_type = "application/json";
    return 0;
}

int ctl_build_body(const struct ctl_request *req, struct ctl_body_out *out, char *err,
                   size_t errlen)
{
    json_t *o;
    int rc;

    memset(out, 0, sizeof *out);
    if (req->cmd->body == B_NONE)
        return 0;
    if (req->cmd->body == B_IMPORT) {
        if (ctl_read_file(req->args[0], CTL_IMPORT_MAX, &out->data, &out->len, err, errlen))
            return CTL_EXIT_FAIL;
        out->content_type = "application/x-ndjson";
        return 0;
    }
    o = json_object();
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return CTL_EXIT_FAIL;
    }
    rc = json_body(req, o, err, errlen);
    if (!rc)
        rc = dump(o, out, err, errlen);
    json_decref(o);
    return rc;
}

void ctl_body_free(struct ctl_body_out *b)
{
    if (b->data)
        ctl_wipe_free(b->data, b->len + 1);
    memset(b, 0, sizeof *b);
}
