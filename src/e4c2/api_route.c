/*
 * api_route: the route table, built from api_routes.def, and matching.
 */
#include "api_route.h"

#include <stdio.h>
#include <string.h>

static const api_route ROUTES[] = {
#define ROUTE(id, method, pattern, handler, access, query, body) \
    {API_R_##id, method, pattern, access, query, body},
#include "api_routes.def"
#undef ROUTE
};

const api_route *api_route_at(size_t i)
{
    return i < sizeof ROUTES / sizeof ROUTES[0] ? &ROUTES[i] : NULL;
}

static const struct {
    api_method m;
    const char *name;
} METHODS[] = {{API_GET, "GET"}, {API_POST, "POST"}, {API_PUT, "PUT"}, {API_DELETE, "DELETE"}};

api_method api_method_parse(const char *method)
{
    if (strcmp(method, "HEAD") == 0)
        return API_GET;
    for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++)
        if (strcmp(method, METHODS[i].name) == 0)
            return METHODS[i].m;
    return 0;
}

const char *api_method_name(api_method m)
{
    for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++)
        if (METHODS[i].m == m)
            return METHODS[i].name;
    return "?";
}

size_t api_allow_string(unsigned allow, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap)
        buf[0] = 0;
    for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++) {
        const char *name = METHODS[i].name;
        if (!(allow & METHODS[i].m) || n + strlen(name) + 3 > cap)
            continue;
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", name);
    }
    return n;
}

/* Does the raw path fit the pattern? Parameters into t. */
static int match_pattern(const char *p, const char *u, api_match *t)
{
    t->nparams = 0;
    while (*p == '/' && *u == '/') {
        size_t pl = strcspn(++p, "/"), ul = strcspn(++u, "/");
        if (p[0] == '{') {
            if (ul == 0 || t->nparams == API_PARAMS_MAX)
                return 0;
            t->seg[t->nparams] = u;
            t->seg_len[t->nparams++] = ul;
        } else if (pl != ul || memcmp(p, u, pl) != 0) {
            return 0;
        }
        p += pl;
        u += ul;
    }
    return *p == 0 && *u == 0;
}

int api_route_match(const char *method, const char *path, api_match *m, api_error *e)
{
    api_method want = api_method_parse(method);
    char shown[64], allow[64];
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        api_match t;
        if (!match_pattern(ROUTES[i].pattern, path, &t))
            continue;
        m->allow |= ROUTES[i].method;
        if (ROUTES[i].method != want || (m->route && m->nparams <= t.nparams))
            continue;
        t.route = &ROUTES[i];
        t.allow = m->allow;
        *m = t;
    }
    if (m->route)
        return 0;
    if (!m->allow) {
        api_quote(shown, sizeof shown, path);
        return api_fail(e, 404, "no such endpoint: %s", shown);
    }
    api_quote(shown, sizeof shown, method);
    api_allow_string(m->allow, allow, sizeof allow);
    return api_fail(e, 405, "method %s is not allowed here (allowed: %s)", shown, allow);
}

size_t api_route_param_name(const api_route *r, size_t i, char *buf, size_t cap)
{
    const char *p = r->pattern;
    for (size_t k = 0; (p = strchr(p, '{')) != NULL; k++, p++) {
        size_t n = strcspn(p + 1, "}");
        if (k != i)
            continue;
        if (n >= cap)
            n = cap - 1;
        memcpy(buf, p + 1, n);
        buf[n] = 0;
        return n;
    }
    if (cap)
        buf[0] = 0;
    return 0;
}

int api_route_params(const api_match *m, char out[][E4_TOPIC_MAX + 1], api_error *e)
{
    char name[16];
    for (size_t i = 0; i < m->nparams; i++) {
        api_route_param_name(m->route, i, name, sizeof name);
        api_param_kind kind = strcmp(name, "topic") == 0 ? API_PARAM_TOPIC : API_PARAM_CLIENT;
        if (api_path_param(kind, name, m->seg[i], m->seg_len[i], out[i], E4_TOPIC_MAX + 1, e))
            return -1;
    }
    return 0;
}
