# shellcheck shell=bash
# Rotation policies (issue 8), run per backend (test_e4c2_policy_{sqlite,pg}.sh):
# e4c2 on a real mosquitto and SQLite or PostgreSQL, its clock moved with
# faketime.
#  - the API's checks: intervals 60 s..10 years, named fields, read-only 403;
#  - an interval policy rotates at the due time, and once only after a long
#    downtime (e4c2 stopped, the clock moved by ten intervals);
#  - max_age rotates a key older than that; on_join rotates at a join;
#    on_leave off keeps the key at a leave unless the leave asks;
#  - a client's rekey_every rekeys it;
#  - two e4c2 on one database run each due policy once (their metrics sum
#    to the number of policies);
#  - a failing run (a trigger makes the topic update fail) shows last_error,
#    a policy.failed event and the failure metric, and is retried with
#    backoff until it succeeds.
C2_TEST="policy-$C2_BACKEND"
TIMEOUT_DEFAULT=30
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
[ "$C2_BACKEND" = pg ] && { start_postgres "$TMP/pg" || die "postgres did not start"; }
fake_clock   # e4c2 runs on the clock in $TMP/clock
OFFSET=0
advance() { OFFSET=$((OFFSET + $1)); move_clock "+$OFFSET"; }   # SECONDS

c2_database c2
c2_init sk || die "e4c2 init"
c2_start c2 || die "e4c2 did not start"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)
READ_TOKEN=$(c2_token viewer --read-only)

version_of() { api GET "/v1/topics/$1" | json_get version; }
policy_field() { api GET "/v1/$1/policy" | json_get "$2"; }
metric_sum() { # NAME{LABELS}: summed over every e4c2 in URLS
  local url total=0 v
  for url in "${URLS[@]}"; do
    v=$(curl -sS -H "Authorization: Bearer $E4C2_TOKEN" "$url/metrics" | awk -v m="$1" '$1 == m { print $2 }')
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
events_of() { # TYPE: how many events of that type the API lists
  api GET "/v1/events?limit=1000" | python3 -c 'import json,sys
print(sum(1 for e in json.load(sys.stdin)["items"] if e["type"] == sys.argv[1]))' "$1"
}
# settled: every e4c2 in URLS finished two scheduler passes after this call,
# so whatever was due when it was called has run (checks that nothing ran
# wait for this, not for a guessed time).
checks_at() { # URL: its scheduler passes that found nothing due
  curl -sS -H "Authorization: Bearer $E4C2_TOKEN" "$1/metrics" | awk '$1 == "e4c2_policy_checks_total" { print $2 }'
}
settled() {
  local url want
  for url in "${URLS[@]}"; do
    want=$(( $(checks_at "$url") + 2 ))
    wait_until "[ \"\$(checks_at $url)\" -ge $want ]" || return 1
  done
}
URLS=("$E4C2_URL")

"$E4CTL" client add alice >/dev/null && "$E4CTL" client add bob >/dev/null || die "client add"
for t in room aged joined; do "$E4CTL" topic add "$t" >/dev/null || die "topic add $t"; done
"$E4CTL" topic join room alice >/dev/null || die "join"

# ---- the API's checks ------------------------------------------------------------
api PUT /v1/topics/room/policy '{"rotate_every":30}' >"$TMP/err.json"
check "rotate_every below 60 s: 400 naming it" '[ "$HTTP_STATUS" = 400 ] && grep -q rotate_every "$TMP/err.json"'
api PUT /v1/topics/room/policy '{"max_age":400000000}' >"$TMP/err.json"
check "max_age over 10 years: 400 naming it" '[ "$HTTP_STATUS" = 400 ] && grep -q max_age "$TMP/err.json"'
api PUT /v1/topics/room/policy '{"rotate_every":"1h"}' >"$TMP/err.json"
check "a string interval: 400" '[ "$HTTP_STATUS" = 400 ] && grep -q rotate_every "$TMP/err.json"'
api PUT /v1/topics/room/policy '{"every":3600}' >"$TMP/err.json"
check "an unknown field: 400" '[ "$HTTP_STATUS" = 400 ] && grep -q "unknown field" "$TMP/err.json"'
api PUT /v1/clients/alice/policy '{"rotate_every":3600}' >/dev/null
check "a client has no rotate_every: 400" '[ "$HTTP_STATUS" = 400 ]'
api PUT /v1/topics/nosuch/policy '{"rotate_every":3600}' >/dev/null
check "no such topic: 404" '[ "$HTTP_STATUS" = 404 ]'
E4C2_TOKEN=$READ_TOKEN api PUT /v1/topics/room/policy '{"rotate_every":3600}' >/dev/null
check "a read-only token cannot set a policy: 403" '[ "$HTTP_STATUS" = 403 ]'
E4C2_TOKEN=$READ_TOKEN api GET /v1/topics/room/policy >"$TMP/default.json"
check "the default policy: rotate on leave only, nothing due" \
  '[ "$HTTP_STATUS" = 200 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d[\"on_leave\"] is True and d[\"on_join\"] is False and d[\"rotate_every\"] is None and d[\"next_due\"] is None and d[\"failures\"] == 0))" "$TMP/default.json"'

# ---- an interval policy, and a long downtime ----------------------------------------
api PUT /v1/topics/room/policy '{"rotate_every":3600}' >"$TMP/set.json"
check "set: 200 with next_due an hour ahead" \
  '[ "$HTTP_STATUS" = 200 ] && [ $(( $(json_get next_due <"$TMP/set.json") - $(date +%s) )) -ge 3590 ]'
"$E4CTL" policy list --json >"$TMP/list.json"
check "listed" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d[\"total\"] == 1 and d[\"items\"][0][\"target\"] == \"room\" and d[\"items\"][0][\"rotate_every\"] == 3600))" "$TMP/list.json"'
settled || die "the scheduler does not run"
check "not due yet: no rotation" '[ "$(version_of room)" = 1 ]'
advance 3601
check "due: rotated" 'wait_until "[ \"\$(version_of room)\" = 2 ]"'
check "last_run set, no error" '[ "$(policy_field topics/room last_run)" != None ] && [ "$(policy_field topics/room last_error)" = None ]'
check "a policy.run event" '[ "$(events_of policy.run)" -ge 1 ]'
check "e4c2_policy_runs_total{kind=\"topic\"} counts it" '[ "$(metric_sum "e4c2_policy_runs_total{kind=\"topic\"}")" = 1 ]'
check "the member gets the new key (outbox)" \
  '[ "$(api GET "/v1/clients/alice/commands?limit=1000" | json_get total)" -ge 2 ]'

c2_stop_all
advance $((10 * 3600))
c2_start c2 || die "e4c2 did not start again"
URLS=("$E4C2_URL")
check "after ten missed intervals: one rotation" 'wait_until "[ \"\$(version_of room)\" = 3 ]"'
settled || die "the scheduler does not run"
check "... and no more" '[ "$(version_of room)" = 3 ]'
check "next due an interval after the run" \
  '[ $(( $(policy_field topics/room next_due) - $(date +%s) )) -ge 3500 ]'

# ---- max_age, on_join, on_leave -------------------------------------------------------
# "aged" was made hours ago: a max_age of 2 h finds its key too old at once
api PUT /v1/topics/aged/policy '{"max_age":7200}' >/dev/null
check "max_age set" '[ "$HTTP_STATUS" = 200 ]'
check "a key older than max_age: rotated at once" 'wait_until "[ \"\$(version_of aged)\" = 2 ]"'
advance 3700
settled || die "the scheduler does not run"
check "younger than max_age: kept" '[ "$(version_of aged)" = 2 ]'
"$E4CTL" topic rotate aged >/dev/null
advance 3600
settled || die "the scheduler does not run"
check "a manual rotation made the key young again: kept" '[ "$(version_of aged)" = 3 ]'
advance 3601
check "older than max_age: rotated" 'wait_until "[ \"\$(version_of aged)\" = 4 ]"'
api PUT /v1/topics/joined/policy '{"on_join":true,"on_leave":false}' >/dev/null
"$E4CTL" topic join joined alice >/dev/null
check "on_join: a join rotates" '[ "$(version_of joined)" = 2 ]'
"$E4CTL" topic join joined bob >/dev/null
"$E4CTL" topic leave joined bob >/dev/null
check "on_leave off: a leave keeps the key" '[ "$(version_of joined)" = 3 ]'
api POST /v1/topics/joined/members/leave '{"clients":["alice"],"rotate":true}' >/dev/null
check "... unless the leave asks" '[ "$(version_of joined)" = 4 ]'
api DELETE /v1/topics/joined/policy >"$TMP/cleared.json"
check "cleared: back to the defaults" '[ "$HTTP_STATUS" = 200 ] && [ "$(json_get on_leave <"$TMP/cleared.json")" = true ]'

# ---- a client's rekey -------------------------------------------------------------------
"$E4CTL" policy set client bob --rekey-every 1d >/dev/null || die "policy set client"
check "rekey_every shown" '[ "$(policy_field clients/bob rekey_every)" = 86400 ]'
before=$(events_of client.rekeyed)
advance 86401
check "rekey_every: bob rekeyed" 'wait_until "[ \"\$(events_of client.rekeyed)\" -gt $before ]"'
check "e4c2_policy_runs_total{kind=\"client\"} counts it" '[ "$(metric_sum "e4c2_policy_runs_total{kind=\"client\"}")" = 1 ]'
for t in room aged; do api DELETE "/v1/topics/$t/policy" >/dev/null; done
api DELETE /v1/clients/bob/policy >/dev/null

# ---- two e4c2 on one database -------------------------------------------------------------
first_url=$E4C2_URL
c2_start c2b || die "second e4c2 did not start"
URLS=("$first_url" "$E4C2_URL")
before=$(metric_sum "e4c2_policy_runs_total{kind=\"topic\"}")
for i in $(seq 1 20); do
  "$E4CTL" topic add "many/$i" >/dev/null
  api PUT "/v1/topics/many%2F$i/policy" '{"rotate_every":600}' >/dev/null
done
advance 601
all_rotated() { local i; for i in $(seq 1 20); do [ "$(version_of "many%2F$i")" = 2 ] || return 1; done; }
check "two e4c2: every due policy ran" 'wait_until all_rotated'
settled || die "the schedulers do not run"
check "... each once (versions)" 'all_rotated'
check "... each once (the two processes' runs sum to 20)" \
  '[ $(( $(metric_sum "e4c2_policy_runs_total{kind=\"topic\"}") - before )) = 20 ]'
for i in $(seq 1 20); do api DELETE "/v1/topics/many%2F$i" >/dev/null; done

# ---- a failing run -------------------------------------------------------------------------
if [ "$C2_BACKEND" = pg ]; then
  sql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$C2_DB" -c "$1" >/dev/null; }
  sql "CREATE FUNCTION fail_rotation() RETURNS trigger AS \$\$ BEGIN RAISE EXCEPTION 'injected failure'; END \$\$ LANGUAGE plpgsql"
  add_fail() { sql "CREATE TRIGGER fail_rotation BEFORE UPDATE OF key_sealed ON topics FOR EACH ROW EXECUTE FUNCTION fail_rotation()"; }
  drop_fail() { sql "DROP TRIGGER fail_rotation ON topics"; }
else
  sql() { sqlite3 "${C2_DB#sqlite:}" "$1"; }
  add_fail() { sql "CREATE TRIGGER fail_rotation BEFORE UPDATE OF key_sealed ON topics BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"; }
  drop_fail() { sql "DROP TRIGGER fail_rotation;"; }
fi
"$E4CTL" topic add failing >/dev/null
api PUT /v1/topics/failing/policy '{"rotate_every":3600}' >/dev/null
add_fail || die "cannot install the failing trigger"
advance 3601
due_at=$(date +%s) # (the test's clock is faked too)
check "a failed run: failures and last_error" \
  'wait_until "[ \"\$(policy_field topics/failing failures)\" -ge 1 ]" && policy_field topics/failing last_error | grep "injected failure" >/dev/null'
check "a policy.failed event" '[ "$(events_of policy.failed)" -ge 1 ]'
check "e4c2_policy_failures_total{kind=\"topic\"} counts it" \
  '[ "$(metric_sum "e4c2_policy_failures_total{kind=\"topic\"}")" -ge 1 ]'
check "not rotated" '[ "$(version_of failing)" = 1 ]'
# the first retry comes 10 s after the failure (at due_at or a moment
# before it), whenever this check runs
check "retried later (backoff), not at once" \
  '[ $(( $(policy_field topics/failing next_due) - due_at )) -ge 9 ] && [ "$(policy_field topics/failing failures)" -le 3 ]'
drop_fail || die "cannot drop the trigger"
advance 3600
check "the retry succeeds" 'wait_until "[ \"\$(version_of failing)\" = 2 ]"'
check "... and clears the error" \
  '[ "$(policy_field topics/failing failures)" = 0 ] && [ "$(policy_field topics/failing last_error)" = None ]'

c2_done
