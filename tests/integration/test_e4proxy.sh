#!/usr/bin/env bash
# e4proxy with unmodified third-party clients on a real mosquitto: two
# proxies (a publisher's and a subscriber's) with the same topic keys;
# mosquitto_pub / mosquitto_sub (3.1.1 and 5.0) and MQTT.js exchange clear
# messages through them (QoS 0, 1, 2, retained, wills, topic aliases,
# payload format indicator) while a subscriber connected directly to the
# broker sees only ciphertext that `e4 unprotect` opens with the topic key.
# An `e4 client` on the broker talks with the legacy clients; C2 commands
# change the proxy's keys without a restart; SIGHUP reloads the policy;
# /metrics counts; logs hold no key and no payload. (Faults, gateway mode
# with public-key identities and TLS: the other test_e4proxy_*.sh.)
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=e4proxy/proxies.sh
source "$E4_SRC_DIR/tests/integration/e4proxy/proxies.sh"
proxy_test_setup e4proxy
for tool in "$E4" "$PROXY" mosquitto mosquitto_sub mosquitto_pub node curl xxd; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
[ -d "$NODE_DIR/node_modules/mqtt" ] || die "MQTT.js missing: run scripts/install-deps.sh"

# ---- the command line --------------------------------------------------------
"$PROXY" --help >"$TMP/help.out" && grep -q '^Usage: e4proxy' "$TMP/help.out" && ok || ko "--help"
"$PROXY" --version >/dev/null && ok || ko "--version"
"$PROXY" --name x --key "$(key)" 2>"$TMP/usage.err"
[ $? -eq 2 ] && grep -q 'give the broker' "$TMP/usage.err" && ok || ko "no --broker: $(cat "$TMP/usage.err")"
"$PROXY" --broker mqtt://127.0.0.1 --protect 'a/#/b' --name x --key "$(key)" 2>"$TMP/usage.err"
[ $? -eq 2 ] && grep -q "protect 'a/#/b'" "$TMP/usage.err" && ok || ko "bad --protect filter: $(cat "$TMP/usage.err")"
printf 'brokr = mqtt://x\n' >"$TMP/bad.conf"
"$PROXY" --config "$TMP/bad.conf" 2>"$TMP/usage.err"
[ $? -ne 0 ] && grep -q "bad.conf:1: unknown setting 'brokr'" "$TMP/usage.err" && ok || ko "bad config: $(cat "$TMP/usage.err")"

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
PORT=$MOSQUITTO_PORT
CLIENT_OPTS=(--broker "127.0.0.1:$PORT")

KA=$(key); KB=$(key); TK=$(key); TK2=$(key)
IDA=$("$E4" id proxy-a)
read -r PA PB PM <<<"$(free_ports 3 | tr '\n' ' ')"

proxy_start pa "$PA" --name proxy-a --key "$KA" --state "$TMP/pa.state" \
  --topic-key "sensors/t:$TK" --topic-key "sensors/will:$TK" --topic-key "e4test/legacy:$TK2" \
  --allow-clear 'open/#' --metrics "127.0.0.1:$PM"
proxy_start pb "$PB" --name proxy-b --key "$KB" --allow-clear 'open/#' \
  --topic-key "sensors/t:$TK" --topic-key "sensors/will:$TK" --topic-key "e4test/legacy:$TK2"

# ---- the spy: what the broker sees ----------------------------------------
spy_start spy "$PORT" 'sensors/#' 'open/#' 'e4test/#'
sub_start subB "$PB" 'sensors/#' -t 'open/#'
sub_start subB5 "$PB" 'sensors/#' -V mqttv5

# ---- QoS 0, 1, 2 with mosquitto_pub 3.1.1 and 5.0 --------------------------
for q in 0 1 2; do
  for v in mqttv311 mqttv5; do
    mosquitto_pub -p "$PA" -t sensors/t -q "$q" -V "$v" -m "reading q$q $v secret-$q" ||
      ko "mosquitto_pub -q $q -V $v through the proxy failed"
    expect subB "^sensors/t reading q$q $v secret-$q\$" 0 "3.1.1 subscriber: q$q $v"
    expect subB5 "^sensors/t reading q$q $v secret-$q\$" 0 "5.0 subscriber: q$q $v"
  done
done
deadline=$(( $(date +%s) + TIMEOUT ))
until [ "$(grep -c '^sensors/t ' "$TMP/spy.out")" -ge 6 ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.05; done
n=$(grep -c '^sensors/t ' "$TMP/spy.out")
[ "$n" -eq 6 ] && ok || ko "the spy saw $n messages on sensors/t, not 6"
if grep -q "$(hex_of secret-)" "$TMP/spy.out"; then ko "the broker saw plaintext"; else ok; fi
# every message the broker carried opens with the topic key, and only so
ct=$(grep '^sensors/t ' "$TMP/spy.out" | head -n 1 | cut -d' ' -f2)
plain=$(printf '%s' "$ct" | "$E4" unprotect --key "$TK" --hex | xxd -r -p)
[ "$plain" = "reading q0 mqttv311 secret-0" ] && ok || ko "e4 unprotect of the spied message: '$plain'"
[ "${#ct}" -eq $(( 2 * (28 + 24) )) ] && ok || ko "ciphertext length ${#ct}"
printf '%s' "$ct" | "$E4" unprotect --key "$TK2" --hex >/dev/null 2>&1 && ko "opened with another key" || ok

# ---- a topic without a key: dropped, never in clear; QoS 1 still acked ------
mosquitto_pub -p "$PA" -t sensors/nokey -q 1 -m "must not leak" && ok || ko "QoS 1 publish without key not acknowledged"
wait_log pa '"event":"dropped".*"topic":"sensors/nokey","reason":"no_key"' || ko "no drop log for sensors/nokey"
sleep 0.3
grep -q '^sensors/nokey' "$TMP/spy.out" && ko "a message without key reached the broker" || ok
# --allow-clear: such a topic goes in clear
mosquitto_pub -p "$PA" -t open/x -m "public" || ko "publish open/x"
expect spy "^open/x $(hex_of public)\$" 0 "--allow-clear topic not in clear"
expect subB "^open/x public\$" 0 "clear message not delivered"

# ---- retained: kept protected, delivered clear, deleted by an empty one ----
mosquitto_pub -p "$PA" -t sensors/t -r -q 1 -m "retained secret" || ko "retained publish"
timeout "$TIMEOUT" mosquitto_sub -p "$PB" -t sensors/t -C 1 >"$TMP/ret.out" 2>&1
[ "$(cat "$TMP/ret.out")" = "retained secret" ] && ok || ko "retained message through the proxies: $(cat "$TMP/ret.out")"
mosquitto_pub -p "$PA" -t sensors/t -r -q 1 -n || ko "empty retained publish"
timeout 1 mosquitto_sub -p "$PORT" -t sensors/t -C 1 -F '%x' >"$TMP/ret2.out" 2>&1
[ ! -s "$TMP/ret2.out" ] && ok || ko "the zero-length payload did not delete the retained message"

# ---- wills: protected; an abrupt close reaches the broker at once ----------
mosquitto_sub -p "$PA" -t nothing/here --will-topic sensors/will --will-payload "device lost" \
  --will-qos 1 >/dev/null 2>&1 &
wpid=$!
sleep 0.5
kill -9 "$wpid"
expect subB "^sensors/will device lost\$" 0 "the will did not arrive clear through the proxies"
expect spy "^sensors/will " 0 "the will did not reach the broker"
grep -q "$(hex_of 'device lost')" "$TMP/spy.out" && ko "the will was in clear on the broker" || ok

# ---- a persistent session through the proxies: queued while away ----------
timeout "$TIMEOUT" mosquitto_sub -p "$PB" -i persist-1 -c -q 1 -t sensors/t -C 1 -W 2 >/dev/null 2>&1
mosquitto_pub -p "$PA" -t sensors/t -q 1 -m "while away" || ko "publish while away"
timeout "$TIMEOUT" mosquitto_sub -p "$PB" -i persist-1 -c -q 1 -t sensors/t -C 1 >"$TMP/persist.out" 2>&1
[ "$(cat "$TMP/persist.out")" = "while away" ] && ok || ko "session not kept through the proxy: $(cat "$TMP/persist.out")"

# ---- MQTT.js: topic aliases and the payload format indicator -------------
node_start jsub "$PB" 'sensors/#' 2
node "$MQTTJS" pub-alias "mqtt://127.0.0.1:$PA" sensors/t "alias first" "alias second" >"$TMP/jpub.out" 2>&1 ||
  ko "MQTT.js publish with topic aliases: $(cat "$TMP/jpub.out")"
expect jsub "^message sensors/t alias first pfi=1\$" 0 "MQTT.js: first message / format indicator lost"
expect jsub "^message sensors/t alias second pfi=0\$" 0 "MQTT.js: the aliased message"
grep -q "$(hex_of 'alias second')" "$TMP/spy.out" && ko "aliased message in clear" || ok

# ---- an e4 client on the broker and a legacy client behind the proxy -------
client_start dev --name dev --key "$(key)" --topic-key "e4test/legacy:$TK2" --subscribe e4test/legacy
sub_start subL "$PB" 'e4test/#'
mosquitto_pub -p "$PA" -t e4test/legacy -q 1 -m "from legacy" || ko "legacy publish"
expect dev "^message e4test/legacy from legacy\$" 0 "e4 client did not read the legacy device"
send dev "pub e4test/legacy from e4 client"
expect subL "^e4test/legacy from e4 client\$" 0 "the legacy client did not read the e4 client"

# ---- C2: a command on the control topic takes effect without restart ------
TK3=$(key)
mosquitto_pub -p "$PA" -t sensors/new -q 1 -m "before the key" || ko "publish sensors/new"
wait_log pa '"topic":"sensors/new","reason":"no_key"' || ko "sensors/new not dropped before the key"
spy_start rcpt "$PORT" "e4/$IDA/receipts"
"$E4" command set-topic-key sensors/new "$TK3" --client-key "$KA" >"$TMP/cmd.bin" || die "e4 command"
mosquitto_pub -p "$PORT" -q 2 -t "e4/$IDA" -f "$TMP/cmd.bin" || die "publishing the command"
wait_log pa '"event":"command_applied"' || ko "the proxy did not apply the command"
mosquitto_pub -p "$PA" -t sensors/new -q 1 -m "after the key" || ko "publish sensors/new"
expect spy "^sensors/new " 0 "sensors/new not forwarded after set-topic-key"
ct=$(grep '^sensors/new ' "$TMP/spy.out" | tail -n 1 | cut -d' ' -f2)
[ "$(printf '%s' "$ct" | "$E4" unprotect --key "$TK3" --hex | xxd -r -p)" = "after the key" ] && ok ||
  ko "the new key does not open the message"
# the receipt of the command (like e4 client) and the saved state
expect rcpt "^e4/$IDA/receipts [0-9a-f]" 0 "no receipt on e4/$IDA/receipts"

# ---- SIGHUP reloads the policy from the config file ------------------------
printf 'protect = sensors/#\nallow-clear = sensors/open/#\n' >"$TMP/pb.conf"
E4PROXY_MAX_PACKET=2048 proxy_start pc "$(free_port)" --config "$TMP/pb.conf" --name proxy-c --key "$KB"
PC=$PROXY_PORT
mosquitto_pub -p "$PC" -t other/x -q 1 -m "not protected" || ko "publish other/x"
sleep 0.3
grep -q '"topic":"other/x"' "$TMP/pc.err" && ko "other/x dropped before the reload" || ok
printf 'protect = other/#\n' >"$TMP/pb.conf"
kill -HUP "${PROXY_PIDS[pc]}"
wait_log pc '"event":"reload","detail":"topic policy reloaded"' || ko "SIGHUP: no reload"
mosquitto_pub -p "$PC" -t other/y -q 1 -m "now protected" || ko "publish other/y"
wait_log pc '"topic":"other/y","reason":"no_key"' || ko "SIGHUP: other/# not protected after reload"

# the environment's setting (E4PROXY_MAX_PACKET=2048) applies
head -c 3000 /dev/zero | tr '\0' x | mosquitto_pub -p "$PC" -t other/z -s >/dev/null 2>&1
wait_log pc '"event":"oversized".*--max-packet 2048' || ko "E4PROXY_MAX_PACKET not applied"

# ---- metrics ---------------------------------------------------------------
curl -sf "http://127.0.0.1:$PM/metrics" >"$TMP/metrics.out" || ko "GET /metrics"
grep -Eq '^e4proxy_messages_protected_total [1-9]' "$TMP/metrics.out" && ok || ko "metrics: protected"
grep -Eq '^e4proxy_messages_dropped_total\{reason="no_key"\} [1-9]' "$TMP/metrics.out" && ok || ko "metrics: dropped"
grep -Eq '^e4proxy_connections_total [1-9]' "$TMP/metrics.out" && ok || ko "metrics: connections"

# ---- logs: never a key or a payload ----------------------------------------
for f in "$TMP"/p?.err; do
  if grep -q -e "$KA" -e "$TK" -e "$TK2" -e "secret-" -e "from legacy" "$f"; then ko "$f holds a key or a payload"; else ok; fi
done

proxy_stop pa
proxy_stop pb
proxy_stop pc
echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
