#!/usr/bin/env bash
# mqttinfo against aedes (npm, tests/integration/mqttinfo/node), over TCP and
# WebSocket (ws://, subprotocol mqtt).
#
# How the expected values were established, independently of mqttinfo
# (aedes 1.2.0; the script re-checks the marked ones live):
#  * 3.1.1 supported, anonymous: `mosquitto_pub -V mqttv311` succeeds.  [live]
#  * 5.0 not supported: `mosquitto_pub -V 5` fails with "Unsupported Protocol
#    Version" (aedes answers a 3.1.1 CONNACK, code 1).                 [live]
#  * qos1 / qos2: `mosquitto_pub -d -q 1|2` shows PUBACK, PUBREC + PUBCOMP. [live]
#  * subscribe_all: `mosquitto_sub -d -t '#'` is granted QoS 0.         [live]
#  * sys_publish_allowed false, sys_publish_delivered false: `mosquitto_pub -d
#    -q 1 -t '$SYS/...'` gets no PUBACK, the connection is lost (aedes'
#    authorizePublish refuses "$SYS/ topic is reserved").              [live]
#  * qos3_rejected true (socket closed), invalid_utf8_rejected false (PUBACK),
#    invalid_filter_rejected false (SUBACK 0x00 for 'A+'): raw_probe.py.  [live]
#  * sys_tree: `mosquitto_sub -t '$SYS/#' -v` shows, when a client connects,
#    "$SYS/<broker uuid>/new/clients <client id>"; nothing retained.    [live]
#  * product: aedes (that announcement, plus the 3.1.1 answer to 5.0).
source "$(dirname "$0")/mqttinfo/common.sh"

start_aedes "$WORK/aedes" WS || { fail "aedes did not start (run scripts/install-deps.sh)"; finish; }
P=$AEDES_PORT

# ---- live cross-checks ----
mosquitto_pub -p "$P" -V mqttv311 -q 1 -t mqttinfo/live -m x && ok "anonymous 3.1.1 publish (mosquitto_pub)" || fail "anonymous 3.1.1 publish refused"
out=$(mosquitto_pub -p "$P" -V 5 -t mqttinfo/live -m x 2>&1) && fail "5.0 accepted" || { grep -q "Unsupported Protocol Version" <<<"$out" && ok "5.0 refused: unsupported protocol version (mosquitto_pub)" || fail "5.0: $out"; }
out=$(mosquitto_pub -p "$P" -d -q 2 -t mqttinfo/live -m x 2>&1)
grep -q "received PUBCOMP" <<<"$out" && ok "QoS 2 completes (mosquitto_pub)" || fail "QoS 2: $out"
out=$(mosquitto_sub -p "$P" -d -t '#' -W 1 -C 1 2>&1 || true)
grep -q "Subscribed (mid: 1): 0" <<<"$out" && ok "'#' granted (mosquitto_sub)" || fail "'#': $out"
out=$(mosquitto_pub -p "$P" -d -q 1 -t '$SYS/mqttinfo/live' -m injected 2>&1)
grep -q "received PUBACK" <<<"$out" && fail "\$SYS publish acknowledged: $out" || ok "\$SYS publish: no PUBACK, connection lost (mosquitto_pub)"
mosquitto_sub -p "$P" -t '$SYS/#' -v -W 2 > "$WORK/sys.txt" 2>/dev/null &
subpid=$!
sleep 0.3 # let the subscription settle
mosquitto_pub -p "$P" -i "live-canary-$$" -t mqttinfo/live -m x
wait "$subpid" 2>/dev/null
grep -Eq "^\\\$SYS/[^/]+/new/clients live-canary-$$" "$WORK/sys.txt" && ok "connections announced on \$SYS/<id>/new/clients (mosquitto_sub)" \
  || fail "no announcement: $(cat "$WORK/sys.txt")"
for k in qos3:closed utf8:ack:PUBACK filter:suback:0x00; do
  out=$(python3 "$MI_DIR/raw_probe.py" "$P" 4 "${k%%:*}")
  [ "$out" = "${k#*:}" ] && ok "raw ${k%%:*} -> $out" || fail "raw ${k%%:*} -> $out (expected ${k#*:})"
done

# ---- mqttinfo ----
aedes_expect() {
  local label=$1 file=$2 transport=$3
  expect_json "$label" "$file" error=null transport="\"$transport\"" \
    v311.supported=true v311.anonymous=true v311.auth_ok=null v311.qos1=true v311.qos2=true \
    v311.qos3_rejected=true v311.subscribe_all=true v311.invalid_filter_rejected=false \
    v311.invalid_utf8_rejected=false v311.sys_publish_allowed=false v311.sys_publish_delivered=false \
    v5.supported=false v5.anonymous=null v5.qos1=null v5.sys_publish_delivered=null v5.connack_properties=null \
    'v5.details.supported=~3.1.1-shaped CONNACK \(code 1\)' \
    sys_tree.published=true 'sys_tree.connection_announced_on=~^\$SYS/[^/]+/new/clients$' \
    product.name='"aedes"' product.version=null 'product.confidence=~^0\.[5-9]' \
    'findings=~anonymous-access' 'findings=~invalid-utf8-accepted' 'findings=~invalid-filter-accepted' \
    'elapsed_ms=<3000'
}
run_mqttinfo "$WORK/aedes.json" -p "$P" 127.0.0.1
[ "$MI_STATUS" -eq 0 ] && ok "exit 0" || fail "exit $MI_STATUS"
aedes_expect "aedes over TCP: every check, product" "$WORK/aedes.json" tcp
echo "aedes analysed in $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["elapsed_ms"])' "$WORK/aedes.json") ms"

run_mqttinfo "$WORK/aedes-ws.json" "ws://127.0.0.1:$AEDES_WS_PORT/mqtt"
aedes_expect "aedes over WebSocket: every check, product" "$WORK/aedes-ws.json" ws
expect_json "ws target keeps its path" "$WORK/aedes-ws.json" "target=\"ws://127.0.0.1:$AEDES_WS_PORT/mqtt\""

# A WebSocket path the server does not serve: a clear error, no hang.
run_mqttinfo "$WORK/aedes-ws-bad.json" "ws://127.0.0.1:$AEDES_WS_PORT/nothing-here"
[ "$MI_STATUS" -eq 1 ] && ok "bad WebSocket path -> exit 1" || fail "bad WebSocket path -> exit $MI_STATUS"
expect_json "bad WebSocket path -> error" "$WORK/aedes-ws-bad.json" 'error=~WebSocket'

finish
