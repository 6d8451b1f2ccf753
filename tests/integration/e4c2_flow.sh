# shellcheck shell=bash
# The e4c2 end-to-end flow, run once per backend (test_e4c2_sqlite.sh,
# test_e4c2_pg.sh set C2_BACKEND): a real mosquitto, e4c2, e4ctl and real
# `e4 client` devices. Devices get every key from C2; a device that leaves
# cannot read what follows; a late joiner cannot read what came before; the
# API refuses bad tokens and bad input and changes nothing; no raw key is in
# the database files.
C2_TEST="flow-$C2_BACKEND"
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
[ "$C2_BACKEND" = pg ] && { start_postgres "$TMP/pg" || die "postgres did not start"; }
c2_database c2
c2_init sk || die "e4c2 init failed"

# ---- start-up: the master key is required and checked --------------------
"$E4C2" run --db "$C2_DB" --broker "mqtt://127.0.0.1:$MOSQUITTO_PORT" 2>"$TMP/nokey.err"
check "run without a master key exits 2" '[ $? -eq 2 ] && grep -q "no master key" "$TMP/nokey.err"'
echo "not the passphrase at all" >"$TMP/wrong"
"$E4C2" run --db "$C2_DB" --passphrase-file "$TMP/wrong" --broker "mqtt://127.0.0.1:$MOSQUITTO_PORT" 2>"$TMP/wrong.err"
check "a wrong passphrase is refused clearly" '[ $? -eq 1 ] && grep -q "wrong passphrase" "$TMP/wrong.err"'
"$E4C2" init --mode sk --db "$C2_DB" --passphrase-file "$TMP/passphrase" 2>"$TMP/reinit.err"
check "init twice is refused" '[ $? -eq 1 ] && grep -q "already" "$TMP/reinit.err"'

c2_start c2 || die "e4c2 did not start"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin) || die "token create failed"
VIEWER=$(c2_token viewer --read-only) || die "token create --read-only failed"

# ---- settings: file < environment < flags --------------------------------------
printf '# e4c2 settings\ndb = %s\n' "$C2_DB" >"$TMP/e4c2.conf"
check "settings from --config" '"$E4C2" token list --config "$TMP/e4c2.conf" | grep -q "^admin "'
check "settings from the environment" 'E4C2_DB="$C2_DB" "$E4C2" token list | grep -q "^admin "'
E4C2_DB="$C2_DB" "$E4C2" token list --db "sqlite:$TMP/nowhere/x.db" >/dev/null 2>&1
check "a flag wins over the environment" '[ $? -ne 0 ]'
printf 'db = %s\nbrokr = x\n' "$C2_DB" >"$TMP/bad.conf"
"$E4C2" token list --config "$TMP/bad.conf" 2>"$TMP/badconf.err"
check "a bad settings file is refused, naming the line" '[ $? -eq 2 ] && grep -q "line 2: unknown setting" "$TMP/badconf.err"'

# ---- authentication ------------------------------------------------------
api GET /healthz >/dev/null; check "healthz needs no token" '[ "$HTTP_STATUS" = 200 ]'
E4C2_TOKEN="" api GET /v1/status >/dev/null; check "no token -> 401" '[ "$HTTP_STATUS" = 401 ]'
E4C2_TOKEN="e4c2_bogus" api GET /v1/status >/dev/null; check "unknown token -> 401" '[ "$HTTP_STATUS" = 401 ]'
E4C2_TOKEN=$VIEWER api GET /v1/status >/dev/null; check "read-only token reads" '[ "$HTTP_STATUS" = 200 ]'
E4C2_TOKEN=$VIEWER api POST /v1/topics '{"name":"x"}' >/dev/null
check "read-only token writing -> 403" '[ "$HTTP_STATUS" = 403 ]'
c2_token revoked >"$TMP/revoked.tok"
"$E4C2" token revoke --db "$C2_DB" revoked
E4C2_TOKEN=$(cat "$TMP/revoked.tok") api GET /v1/status >/dev/null
check "revoked token -> 401" '[ "$HTTP_STATUS" = 401 ]'

# ---- clients and devices -------------------------------------------------
declare -A KEY
for n in alice bob carol; do
  KEY[$n]=$("$E4CTL" client add "$n" --json | json_get key) || die "client add $n"
done
"$E4CTL" client add alice >/dev/null 2>"$TMP/dup.err"
check "a taken name -> exit 1, conflict" '[ $? -eq 1 ] && grep -q conflict "$TMP/dup.err"'
GIVEN=$(key)
"$E4CTL" client add dave --key "$GIVEN" >/dev/null || die "client add --key"
DAVE_ID=$("$E4" id dave)
check "a client's id is e4 id NAME by default" '[ "$("$E4CTL" client show dave --json | json_get id)" = "$DAVE_ID" ]'
check "a client is named by its hex id too" '[ "$("$E4CTL" client show "$DAVE_ID" --json | json_get name)" = dave ]'

CLIENT_OPTS=(--broker "127.0.0.1:$MOSQUITTO_PORT")
mosquitto_sub -h 127.0.0.1 -p "$MOSQUITTO_PORT" -t room -F '%x' >"$TMP/wire.out" 2>/dev/null &
PIDS+=("$!")
client_start alice --name alice --key "${KEY[alice]}" --subscribe room
client_start bob --name bob --key "${KEY[bob]}" --subscribe room
client_start carol --name carol --key "${KEY[carol]}" --subscribe room

"$E4CTL" topic add room >/dev/null || die "topic add"
ma=$(mark alice); mb=$(mark bob)
"$E4CTL" topic join room alice bob >/dev/null || die "topic join"
expect alice '^command applied' "$ma" "alice got the topic key from C2"
expect bob '^command applied' "$mb" "bob got the topic key from C2"

mb=$(mark bob); mc=$(mark carol); mw=$(mark wire)
send alice "pub room secret-1"
expect bob '^message room secret-1$' "$mb" "bob reads alice's message"
expect carol '^error receive room: topic key not found' "$mc" "carol (not a member) cannot"
wait_for wire . "$mw" || die "the spy on the broker saw no message"
OLD_MSG=$(tail -n +"$((mw + 1))" "$TMP/wire.out" | head -n 1)
check "the broker saw ciphertext only" '! grep -q "$(hex_of secret-1)" "$TMP/wire.out"'

# bob leaves: RemoveTopic to bob, then a rotation for alice
V1=$("$E4CTL" topic show room --json | json_get version)
ma=$(mark alice); mb=$(mark bob)
"$E4CTL" topic leave room bob >/dev/null || die "topic leave"
expect bob '^command applied' "$mb" "bob got RemoveTopic"
expect alice '^command applied' "$ma" "alice got the rotated key"
V2=$("$E4CTL" topic show room --json | json_get version)
check "leave rotated the topic (version + 1)" '[ "$V2" -eq $((V1 + 1)) ]'

# carol joins after the rotation: she reads new messages, not the old one
mc=$(mark carol)
"$E4CTL" topic join room carol >/dev/null || die "join carol"
expect carol '^command applied' "$mc" "carol got the current key"
mb=$(mark bob); mc=$(mark carol)
send alice "pub room secret-2"
expect carol '^message room secret-2$' "$mc" "carol reads messages after joining"
expect bob '^error receive room' "$mb" "bob, who left, cannot read after the rotation"
mc=$(mark carol)
printf '%s' "$OLD_MSG" | xxd -r -p | mosquitto_pub -h 127.0.0.1 -p "$MOSQUITTO_PORT" -t room -s
expect carol '^error receive room: message not authentic' "$mc" "carol cannot read what was sent before she joined"

# an explicit rotation reaches every member
ma=$(mark alice); mc=$(mark carol)
"$E4CTL" topic rotate room >/dev/null || die "rotate"
expect alice '^command applied' "$ma" "rotate: alice"
expect carol '^command applied' "$mc" "rotate: carol"
mc=$(mark carol)
send alice "pub room secret-3"
expect carol '^message room secret-3$' "$mc" "messages flow after the rotation"

# command status: every command sent
deadline=$(( $(date +%s) + TIMEOUT ))
until [ "$("$E4CTL" status --json | json_get outbox.pending)" = 0 ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.1; done
check "outbox empty" '[ "$("$E4CTL" status --json | json_get outbox.pending)" = 0 ]'
# sent, or applied / closed once alice's receipts arrive (e4-sync)
check "alice's commands are listed as delivered" \
  '"$E4CTL" commands alice --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"items\"] and all(c[\"state\"] in (\"sent\",\"applied\",\"closed\") for c in d[\"items\"])"'

# ---- bad input changes nothing ---------------------------------------------
# (the status without "sync": the devices' receipts may move it meanwhile)
status_but_sync() { api GET /v1/status | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("sync",None); print(json.dumps(d,sort_keys=True))'; }
before=$(status_but_sync)
api POST /v1/clients '{"name":' >/dev/null;              check "malformed JSON -> 400" '[ "$HTTP_STATUS" = 400 ]'
api POST /v1/clients '{"name":"eve","key":"abcd"}' >/dev/null; check "short key -> 400" '[ "$HTTP_STATUS" = 400 ]'
api POST /v1/clients '{"name":"alice"}' >/dev/null;      check "name taken -> 409" '[ "$HTTP_STATUS" = 409 ]'
api GET /v1/clients/nobody >/dev/null;                   check "unknown client -> 404" '[ "$HTTP_STATUS" = 404 ]'
api POST /v1/topics/room/members '{"clients":["dave","nobody"]}' >/dev/null
check "join with an unknown client -> 404" '[ "$HTTP_STATUS" = 404 ]'
api POST /v1/clients/import '[{"name":"f1","key":"'"$(key)"'"},{"name":"f2","key":"00"}]' >/dev/null
check "import with one bad entry -> 400" '[ "$HTTP_STATUS" = 400 ] && grep -q "clients\[1\]" "$TMP/api.body"'
after=$(status_but_sync)
check "the database is unchanged by bad requests" '[ "$before" = "$after" ]'

# ---- events and metrics --------------------------------------------------------
check "the event history has rotations and sent commands" \
  '"$E4CTL" events --json >"$TMP/events.json" && grep -q topic.rotated "$TMP/events.json" && grep -q commands.sent "$TMP/events.json"'
( for fd in "${FD[@]}"; do eval "exec $fd>&-"; done; exec "$E4CTL" events --follow --json ) >"$TMP/follow.out" 2>"$TMP/follow.err" &
FOLLOW=$!
PIDS+=("$FOLLOW")
sleep 0.5
"$E4CTL" topic rotate room >/dev/null
deadline=$(( $(date +%s) + TIMEOUT ))
until grep -q '"commands.sent"' "$TMP/follow.out" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.05; done
check "a live event stream shows the rotation and its commands" \
  'grep -q "\"topic.rotated\"" "$TMP/follow.out" && grep -q "\"commands.sent\"" "$TMP/follow.out"'
stop_pid "$FOLLOW"
api GET /metrics >"$TMP/metrics.txt"
check "metrics: commands sent counted" \
  'awk "/^e4c2_commands_sent_total / {exit !(\$2 > 0)}" "$TMP/metrics.txt"'
check "metrics: refused API requests counted by status" 'grep -Eq "^e4c2_api_requests_total\{status=\"401\"\} [1-9]" "$TMP/metrics.txt"'
check "metrics: gauges from the database" 'grep -q "^e4c2_clients 4$" "$TMP/metrics.txt"'
E4C2_TOKEN="" api GET /metrics >/dev/null; check "metrics need a token" '[ "$HTTP_STATUS" = 401 ]'
api GET /v1/openapi.json >"$TMP/openapi.json"
check "the OpenAPI document is served" '[ "$HTTP_STATUS" = 200 ] && python3 -c "import json,sys; assert json.load(open(sys.argv[1]))[\"openapi\"].startswith(\"3\")" "$TMP/openapi.json"'

# ---- removal: the device is told to forget everything ----------------------
mc=$(mark carol); ma=$(mark alice)
"$E4CTL" client remove carol >/dev/null || die "client remove"
expect carol '^command applied' "$mc" "removed carol got ResetTopics"
expect alice '^command applied' "$ma" "alice got the topic rotated after carol's removal"

# ---- keys at rest ------------------------------------------------------------
c2_stop_all
"$E4C2" token list --db "$C2_DB" >/dev/null
if [ "$C2_BACKEND" = pg ]; then
  psql "$C2_DB" -qc CHECKPOINT >/dev/null 2>&1
  DBFILES=("$PG_DIR")
else
  DBFILES=("${C2_DB#sqlite:}"*)
fi
found_name=0; leaked=0
grep -rqa alice "${DBFILES[@]}" && found_name=1
for k in "${KEY[@]}" "$GIVEN"; do
  printf '%s' "$k" | xxd -r -p >"$TMP/raw.key"
  python3 - "$TMP/raw.key" "${DBFILES[@]}" <<'PY' || leaked=$((leaked + 1))
import os, sys
key = open(sys.argv[1], "rb").read()
for root in sys.argv[2:]:
    paths = [root] if os.path.isfile(root) else [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    for p in paths:
        try:
            if key in open(p, "rb").read():
                sys.exit(1)
        except OSError:
            pass
PY
done
check "the database files are searchable (the names are there)" '[ $found_name = 1 ]'
check "no raw client key in the database files" '[ $leaked = 0 ]'

for n in alice bob; do client_stop "$n"; done
c2_done
