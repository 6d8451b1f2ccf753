# shellcheck shell=bash
# Traffic monitoring (issue 8), per mode and backend
# (test_e4c2_monitor_{sk_sqlite,pk_pg}.sh): a real `e4 client` device and
# crafted messages on a real mosquitto, e4c2 checking a monitored topic.
#  - valid, clear-text, wrong-key, replayed, too old, in the future and (PK)
#    unknown-signer messages are each counted in the API, /metrics and the
#    events (traffic.anomaly, at most one per kind per 10 s);
#  - the skew histogram, the rate, the per-minute history, the last offender;
#  - turning monitoring off stops the counting; read-only tokens cannot;
#  - two e4c2 on the database: every message counted once;
#  - no payload byte reaches the database (a unique marker, grepped in the
#    SQLite files or a PostgreSQL dump).
C2_TEST="monitor-$C2_MODE-$C2_BACKEND"
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
[ "$C2_BACKEND" = pg ] && { start_postgres "$TMP/pg" || die "postgres did not start"; }
c2_database c2
c2_init "$C2_MODE" || die "e4c2 init --mode $C2_MODE"
c2_start c2 --monitor-flush 1 || die "e4c2 did not start"
# a second e4c2 on the same database: one of the two monitors (a lease), so
# every count below is exact, never doubled
c2_start c2b --monitor-flush 1 || die "the second e4c2 did not start"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)
READ_TOKEN=$(c2_token viewer --read-only)
MARK="payload-marker-$RANDOM$RANDOM$RANDOM"
CLIENT_OPTS=(--broker "127.0.0.1:$MOSQUITTO_PORT")

key=$("$E4CTL" client add alice --json | json_get key) || die "client add"
if [ "$C2_MODE" = pk ]; then
  C2PUB=$("$E4CTL" c2 pubkey --json | json_get pubkey)
  client_start alice --name alice --sign-key "$key" --c2-pubkey "$C2PUB" --subscribe room
  SIGN=(--sign-key "$key" --id alice)   # crafted messages signed as alice
else
  client_start alice --name alice --key "$key" --subscribe room
  SIGN=()
fi
"$E4CTL" topic add room >/dev/null || die "topic add"
m=$(mark alice)
"$E4CTL" topic join room alice >/dev/null || die "join"
wait_for alice '^command applied' "$m" || die "alice did not get the topic key"

traffic() { api GET /v1/topics/room/traffic; }
count_of() { traffic | json_get "counts.$1"; }
# settled RESULT: its count once two reads 2 s apart (two flushes at
# --monitor-flush 1, with room for a loaded machine) agree.
settled() {
  local a b
  a=$(count_of "$1")
  for _ in $(seq 1 "$TIMEOUT"); do
    sleep 2
    b=$(count_of "$1")
    [ "$a" = "$b" ] && break
    a=$b
  done
  echo "$b"
}
wait_count() { # RESULT N
  wait_until "[ \"\$(count_of $1)\" = $2 ]" || { echo "$1: $(count_of "$1"), not $2" >&2; return 1; }
}
metric() { curl -sS -H "Authorization: Bearer $E4C2_TOKEN" "$E4C2_URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
anomaly_events() { # KIND: the traffic.anomaly events of that kind, as "count" lines
  api GET "/v1/events?limit=1000" | python3 -c 'import json,sys
for e in json.load(sys.stdin)["items"]:
    if e["type"] == "traffic.anomaly" and e["data"]["kind"] == sys.argv[1] and e["data"]["topic"] == "room":
        print(e["data"]["count"])' "$1"
}
anomaly_sum() { anomaly_events "$1" | awk '{ s += $1 } END { print s + 0 }'; }   # KIND
publish_file() { mosquitto_pub -p "$MOSQUITTO_PORT" -t room -f "$1"; }
craft() { # FILE TIME KEY: a protected message with that time, under that key
  printf '%s' "$MARK" | "$E4" protect --key "$3" "${SIGN[@]}" --time "$2" >"$1" || die "e4 protect"
}

# ---- on, and who may ----------------------------------------------------------------
E4C2_TOKEN=$READ_TOKEN api PUT /v1/topics/room/monitor '{"enabled":true}' >/dev/null
check "a read-only token cannot turn monitoring on: 403" '[ "$HTTP_STATUS" = 403 ]'
api PUT /v1/topics/room/monitor '{"enabled":"yes"}' >/dev/null
check "enabled must be a boolean: 400" '[ "$HTTP_STATUS" = 400 ]'
"$E4CTL" topic monitor room on >/dev/null || die "topic monitor on"
check "traffic: enabled, zero counts" '[ "$(traffic | json_get enabled)" = true ] && [ "$(count_of valid)" = 0 ]'
check "a monitor.on event" 'api GET "/v1/events?limit=1000" | grep "\"monitor.on\"" >/dev/null'
# the monitor subscribes within its refresh (2 s): wait until a message counts
ready=0
for i in $(seq 1 100); do
  send alice "pub room warmup-$i"   # distinct: the same text in the same second is the same message
  sleep 0.1
  [ "$(count_of valid)" != 0 ] && { ready=1; break; }
done
[ "$ready" = 1 ] || die "the monitor never counted a message"
base=$(settled valid)   # the warm-up's last messages counted

# ---- valid messages, and one captured for a replay -----------------------------------
stdbuf -oL mosquitto_sub -p "$MOSQUITTO_PORT" -t room -C 1 -d -F 'HEX:%x' >"$TMP/capture.out" 2>&1 &
PIDS+=("$!")
wait_until 'grep -q SUBACK "$TMP/capture.out"' || die "mosquitto_sub did not subscribe"
for i in 1 2 3; do send alice "pub room $MARK-$i"; done
check "three valid messages counted" 'wait_count valid $((base + 3))'
wait_until "grep -q '^HEX:' \"\$TMP/capture.out\"" || die "nothing captured"
sed -n 's/^HEX://p' "$TMP/capture.out" | head -n 1 | xxd -r -p >"$TMP/captured.bin"
[ -s "$TMP/captured.bin" ] || die "no message captured"

# ---- anomalies -----------------------------------------------------------------------------
publish_file "$TMP/captured.bin"
check "a replayed message" 'wait_count replayed 1'
for i in 1 2 3; do mosquitto_pub -p "$MOSQUITTO_PORT" -t room -m "clear text $MARK $i"; done
check "clear text: unprotected" 'wait_count unprotected 3'
now=$(date +%s)
wrong=$("$E4" keygen | sed -n 's/^key: //p')
craft "$TMP/wrong.bin" "$now" "$wrong"
publish_file "$TMP/wrong.bin"
check "a wrong key: not_authentic" 'wait_count not_authentic 1'
craft "$TMP/old.bin" $((now - 3600)) "$wrong"
publish_file "$TMP/old.bin"
check "an hour old: too_old" 'wait_count too_old 1'
craft "$TMP/future.bin" $((now + 3600)) "$wrong"
publish_file "$TMP/future.bin"
check "an hour ahead: in_future" 'wait_count in_future 1'
kinds=(unprotected not_authentic replayed too_old in_future)
if [ "$C2_MODE" = pk ]; then
  stranger=$("$E4" keygen --type ed25519 | sed -n 's/^private: //p')
  printf '%s' "$MARK" | "$E4" protect --key "$wrong" --sign-key "$stranger" --id stranger --time "$now" >"$TMP/stranger.bin"
  publish_file "$TMP/stranger.bin"
  check "PK: a signer no client is: unknown_signer" 'wait_count unknown_signer 1'
  kinds+=(unknown_signer)
else
  check "SK: no unknown_signer" '[ "$(count_of unknown_signer)" = 0 ]'
fi
check "valid unchanged by the anomalies" '[ "$(count_of valid)" = $((base + 3)) ]'

traffic >"$TMP/traffic.json"
check "the last offender: the last anomaly, no publisher (MQTT 3.1.1)" \
  'python3 -c "import json,sys; o=json.load(open(sys.argv[1]))[\"last_offender\"]; sys.exit(not (o[\"kind\"] == sys.argv[2] and o[\"publisher\"] is None and o[\"at\"] > 0))" "$TMP/traffic.json" "${kinds[-1]}"'
check "the skew histogram: the hour-off messages beyond 600 s, the rest within 60 s" \
  'python3 -c "import json,sys
b=json.load(open(sys.argv[1]))[\"skew\"][\"buckets\"]
far=sum(x[\"count\"] for x in b if x[\"le\"] is None or x[\"le\"] > 600)
near=sum(x[\"count\"] for x in b if x[\"le\"] is not None and x[\"le\"] <= 60)
sys.exit(not (far == 2 and near >= 5))" "$TMP/traffic.json"'
check "rate and history" \
  'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); h=d[\"history\"]; sys.exit(not (d[\"rate\"] > 0 and len(h) == 60 and all(b[\"at\"] - a[\"at\"] == 60 for a, b in zip(h, h[1:])) and sum(x[\"valid\"] for x in h) >= 3 and sum(x[\"anomalies\"] for x in h) >= 7))" "$TMP/traffic.json"'
for k in valid "${kinds[@]}"; do
  want=$(count_of "$k")
  check "/metrics: $k on room" '[ "$(metric "e4c2_traffic_messages_total{topic=\"room\",result=\"$k\"}")" = "$want" ]'
done
# two messages an hour off: about 7,200 s in the sum, less the seconds the
# test took between crafting them (the one ahead is seen a little less ahead)
skew_seen() { [ "$(metric e4c2_traffic_skew_seconds_count)" -ge 7 ] && [ "$(metric e4c2_traffic_skew_seconds_sum)" -ge 7140 ]; }
check "/metrics: the skew histogram (two messages an hour off in its sum)" 'wait_until skew_seen || { curl -sS -H "Authorization: Bearer $E4C2_TOKEN" "$E4C2_URL/metrics" | grep skew_seconds_ >&2; false; }'
for k in "${kinds[@]}"; do   # the anomaly events go out at the monitor's next turn
  check "a traffic.anomaly event for $k" 'wait_until "[ -n \"\$(anomaly_events $k)\" ]"'
done
check "three clear-text messages, fewer events, the counts carried (rate limit)" \
  '[ "$(anomaly_events unprotected | wc -l)" -lt 3 ] && [ "$(anomaly_sum unprotected)" -le 3 ]'
check "monitoring lists room" '"$E4CTL" monitoring --json | json_get items.0.topic | grep -x room >/dev/null'
check "e4ctl topic traffic prints the counts" '"$E4CTL" topic traffic room | grep "^unprotected: *3$" >/dev/null'

# ---- off -------------------------------------------------------------------------------------
"$E4CTL" topic monitor room off >/dev/null || die "topic monitor off"
check "a monitor.off event" 'api GET "/v1/events?limit=1000" | grep "\"monitor.off\"" >/dev/null'
sleep 4   # the monitor's refresh (every 2 s) unsubscribes
before=$(settled unprotected)
mosquitto_pub -p "$MOSQUITTO_PORT" -t room -m "clear text $MARK after"
sleep 3   # three flushes: what would have been counted is in the database
check "off: nothing more counted" '[ "$(count_of unprotected)" = "$before" ] && [ "$(traffic | json_get enabled)" = false ]'
check "off: not listed" '[ "$("$E4CTL" monitoring --json | json_get total)" = 0 ]'

# ---- no payload byte in the database --------------------------------------------------------------
if [ "$C2_BACKEND" = pg ]; then
  "$PG_BIN/pg_dump" "$C2_DB" >"$TMP/dump.sql" || die "pg_dump"
  check "the marker is not in the dump" '! grep -q "$MARK" "$TMP/dump.sql"'
  check "(the dump has the topic)" 'grep -q room "$TMP/dump.sql"'
else
  check "the marker is in no database file" '! grep -q "$MARK" "${C2_DB#sqlite:}"*'
  check "(the files hold the topic)" 'grep -aq room "${C2_DB#sqlite:}"*'
fi

c2_done
