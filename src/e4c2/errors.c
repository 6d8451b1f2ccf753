/*
 * errors: each c2_err as an HTTP status and a JSON error code, and the
 * names of the other enums of store.h that the API shows.
 */
#include "store.h"
#include "store_auto.h"

const char *c2_err_code(c2_err e)
{
    switch (e) {
    case C2_OK: return "ok";
    case C2_INVALID: return "invalid_argument";
    case C2_NOT_FOUND: return "not_found";
    case C2_CONFLICT: return "conflict";
    case C2_WRONG_MODE: return "wrong_mode";
    case C2_UNAVAILABLE: return "unavailable";
    case C2_INTERNAL: return "internal";
    }
    return "internal";
}

int c2_err_http_status(c2_err e)
{
    switch (e) {
    case C2_OK: return 200;
    case C2_INVALID: return 400;
    case C2_NOT_FOUND: return 404;
    case C2_CONFLICT: return 409;
    case C2_WRONG_MODE: return 409;
    case C2_UNAVAILABLE: return 503;
    case C2_INTERNAL: return 500;
    }
    return 500;
}

const char *c2_sync_name(c2_sync s)
{
    static const char *const names[] = {"unknown", "in_sync", "repairing", "stale"};
    return s >= 0 && s < C2_SYNC_COUNT ? names[s] : "unknown";
}

const char *c2_cmd_state_name(c2_cmd_state s)
{
    static const char *const names[] = {"queued", "sent", "applied", "refused", "closed"};
    return s >= 0 && s <= C2_CMD_CLOSED ? names[s] : "unknown";
}

/* ---- monitoring (store_auto.h) ---- */

const int64_t C2_SKEW_LE[C2_SKEW_BUCKETS - 1] = {1, 5, 30, 60, 300, 600, 3600};

const char *c2_traffic_result_name(c2_traffic_result r)
{
    static const char *const names[] = {
#define C2_TR_NAME(name) #name,
        C2_TRAFFIC_RESULTS(C2_TR_NAME)
#undef C2_TR_NAME
    };
    return r >= 0 && r < C2_TR_COUNT ? names[r] : "?";
}
