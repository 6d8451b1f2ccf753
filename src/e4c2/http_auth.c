/*
 * http_auth: the request's bearer token, checked by the store
 * (store_token_check looks the token up by its hash, so no secret is
 * compared here). 401 for a missing, malformed, unknown or revoked token,
 * 403 for a read-only token on a write. The token never reaches a message.
 */
#include <string.h>

#include "api.h"

int http_auth(api_req *r)
{
    const char *h =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    char tok[API_TOKEN_MAX + 1], shown[64];
    store_pool *pool = http_pool(r->srv);
    store *s;
    c2_token t;
    c2_err rc;
    if (api_parse_bearer(h, tok, sizeof tok, &r->err) != 0)
        return -1;
    memset(&t, 0, sizeof t);
    s = store_pool_get(pool);
    rc = store_token_check(s, tok, &t);
    store_pool_put(pool, s);
    e4_wipe(tok, sizeof tok);
    if (rc == C2_NOT_FOUND)
        return api_fail(&r->err, 401, "invalid or revoked token");
    if (rc != C2_OK)
        return api_fail_code(&r->err, c2_err_http_status(rc), c2_err_code(rc),
                             "the token could not be checked; retry");
    memcpy(r->token_name, t.name, sizeof r->token_name);
    r->read_only = t.read_only;
    if (r->route->access == API_WRITE && t.read_only) {
        api_quote(shown, sizeof shown, t.name);
        return api_fail(&r->err, 403, "token \"%s\" is read-only", shown);
    }
    return 0;
}
