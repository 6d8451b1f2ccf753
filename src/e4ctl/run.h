/* Running a parsed request against e4c2. */
#ifndef E4CTL_RUN_H
#define E4CTL_RUN_H

#include "ctl.h"
#include "http.h"

struct ctl_ctx {
    struct http *http;
    int json;      /* --json */
    int has_token; /* for the hint on 401 */
};

/* 0 on success, CTL_EXIT_FAIL on an API or transport error (printed). */
int ctl_run(const struct ctl_request *req, struct ctl_ctx *ctx);
/* Prints "e4ctl: MESSAGE (CODE)" from an error answer. Returns CTL_EXIT_FAIL. */
int ctl_api_error(const struct ctl_ctx *ctx, const struct http_resp *resp);
/* events --follow (sse.c). */
int ctl_follow(const struct ctl_request *req, struct ctl_ctx *ctx);

#endif
