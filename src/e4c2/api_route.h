/*
 * api_route: the e4c2 API's route table (api_routes.def) and matching a
 * request's method and raw path against it. Pure: no MHD, no store.
 */
#ifndef E4C2_API_ROUTE_H
#define E4C2_API_ROUTE_H

#include <stddef.h>

#include "api_parse.h"

typedef enum api_method { API_GET = 1, API_POST = 2, API_PUT = 4, API_DELETE = 8 } api_method;

typedef enum api_access {
    API_PUBLIC = 0, /* no token */
    API_READ = 1,   /* any valid token */
    API_WRITE = 2   /* a valid token that is not read-only */
} api_access;

typedef enum api_route_id {
#define ROUTE(id, method, pattern, handler, access, query, body) API_R_##id,
#include "api_routes.def"
#undef ROUTE
    API_R_COUNT
} api_route_id;

typedef struct api_route {
    api_route_id id;
    api_method method;
    const char *pattern; /* "/v1/clients/{client}/pubkeys/{source}" */
    api_access access;
    unsigned query; /* API_Q_* accepted */
    api_body_kind body;
} api_route;

#define API_PARAMS_MAX 2

typedef struct api_match {
    const api_route *route; /* the route, when one matches */
    unsigned allow;         /* methods the path takes (API_GET | ...) */
    size_t nparams;
    const char *seg[API_PARAMS_MAX]; /* raw (percent-encoded) segments */
    size_t seg_len[API_PARAMS_MAX];
} api_match;

/* The i-th route (in api_routes.def order), NULL past the end. */
const api_route *api_route_at(size_t i);
/* "GET" -> API_GET ...; HEAD is GET; 0 for other methods. */
api_method api_method_parse(const char *method);
const char *api_method_name(api_method m);
/* "GET, POST" for a set of methods; returns the length written. */
size_t api_allow_string(unsigned allow, char *buf, size_t cap);

/* Match method and the raw path (no query string). 0 and m->route set; or
 * -1 with e: 404 (no route has this path) or 405 (m->allow lists the
 * methods it takes). A literal segment wins over a parameter. */
int api_route_match(const char *method, const char *path, api_match *m, api_error *e);
/* The name of the route's i-th parameter ("client", "source", "topic"). */
size_t api_route_param_name(const api_route *r, size_t i, char *buf, size_t cap);
/* Percent-decode the matched parameters into out[i] (checked per kind). */
int api_route_params(const api_match *m, char out[][E4_TOPIC_MAX + 1], api_error *e);

#endif
