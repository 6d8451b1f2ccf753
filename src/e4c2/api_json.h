/*
 * api_json: the e4c2 API's JSON objects (docs/e4c2-openapi.json, schemas)
 * rendered from the store's types, and the error body. Pure: no MHD, no
 * store calls. Ids, hashes and keys are lower-case hex; times unix seconds.
 */
#ifndef E4C2_API_JSON_H
#define E4C2_API_JSON_H

#include <jansson.h>

#include "api_parse.h"
#include "store.h"
#include "store_auto.h"

/* {"id", "name", "created", "pubkey" (PK mode only), "topics", "pending"} */
json_t *api_client_json(const c2_client *c, c2_mode mode);
/* {"name", "hash", "version", "created", "rotated_at", "members", "behind", "key_id"} */
json_t *api_topic_json(const c2_topic *t);
/* {"seq", "client", "command", "topic"?, "subject"?, "state", "created",
 *  "sent_at" (null while pending), "attempts", "last_error" (null if none)} */
json_t *api_command_json(const c2_command *c);
/* "set_topic_key", ... for an e4_command opcode; NULL when unknown. */
const char *api_command_name(int opcode);
/* {"id", "at", "type", "data"}: data is the event's JSON object (null when
 * its text is not JSON). */
json_t *api_event_json(const c2_event *ev);
/* {"name", "read_only", "created", "last_used" (null if never)} */
json_t *api_token_json(const c2_token *t);
/* GET /v1/status */
json_t *api_status_json(const c2_status *st);
/* {"items": items, "total", "offset", "limit"}; steals items. */
json_t *api_page_json(json_t *items, int64_t total, int64_t offset, int64_t limit);
/* A policy: kind, target, its fields (all_fields: those of both kinds, as
 * /v1/policies lists them), next_due, last_run, last_error, failures. */
json_t *api_policy_json(const c2_policy *p, int all_fields);
/* GET /v1/topics/{topic}/traffic */
json_t *api_traffic_json(const c2_traffic *t);
/* An item of GET /v1/monitoring: {"topic", "counts", "rate"} */
json_t *api_monitored_json(const c2_traffic *t);
/* GET /v1/stats/history: {"bucket": 3600, "items": [...]} */
json_t *api_history_json(const c2_hour *h, int n);
/* {"error": {"code", "message"}} */
json_t *api_error_json(const api_error *e);
/* j as compact JSON text, malloc'ed; NULL on allocation failure. */
char *api_json_text(const json_t *j, size_t *len);

#endif
