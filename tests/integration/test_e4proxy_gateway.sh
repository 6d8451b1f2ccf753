#!/usr/bin/env bash
# e4proxy in gateway mode, public-key mode: each downstream MQTT client id
# has its own E4 identity (state file) from the map, so the broker sees
# each legacy device sign its own messages, an unmapped client id is
# refused, and C2 manages every device individually through its own
# control topic.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=e4proxy/proxies.sh
source "$E4_SRC_DIR/tests/integration/e4proxy/proxies.sh"
proxy_test_setup e4proxy-gw

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
PORT=$MOSQUITTO_PORT

field() { sed -n "s/^$1: //p"; }
"$E4" keygen -t x25519 >"$TMP/c2.key"
C2_PRIV=$(field private <"$TMP/c2.key"); C2_PUB=$(field public <"$TMP/c2.key")
"$E4" keygen -t ed25519 >"$TMP/d1.key"; "$E4" keygen -t ed25519 >"$TMP/d2.key"
D1_PRIV=$(field private <"$TMP/d1.key"); D1_PUB=$(field public <"$TMP/d1.key")
D2_PRIV=$(field private <"$TMP/d2.key"); D2_PUB=$(field public <"$TMP/d2.key")
TK=$(key)
ID1=$("$E4" id meter-1); ID2=$("$E4" id meter-2)

# provision each device's state (as one would with e4 client, once)
provision() {
  local name=$1 priv=$2
  E4_SIGN_KEY=$priv "$E4" client --broker "127.0.0.1:$PORT" --state "$TMP/$name.state" --name "$name" \
    --c2-pubkey "$C2_PUB" --topic-key "sensors/power:$TK" \
    --pubkey "meter-1:$D1_PUB" --pubkey "meter-2:$D2_PUB" </dev/null >"$TMP/prov-$name.out" 2>&1 ||
    die "provisioning $name: $(cat "$TMP/prov-$name.out")"
}
provision meter-1 "$D1_PRIV"
provision meter-2 "$D2_PRIV"
printf '# downstream client id, its E4 state\nmeter-1 %s\nmeter-2 %s\n' \
  "$TMP/meter-1.state" "$TMP/meter-2.state" >"$TMP/gateway.map"

GW=$(free_port)
proxy_start gw "$GW" --gateway-map "$TMP/gateway.map"
wait_log gw "control_connected.*e4/$ID1" || ko "no control connection for meter-1"
wait_log gw "control_connected.*e4/$ID2" || ko "no control connection for meter-2"
spy_start spy "$PORT" 'sensors/#'
sub_start m2 "$GW" 'sensors/#' -i meter-2

# meter-1 publishes: signed by meter-1 on the broker, clear for meter-2
mosquitto_pub -p "$GW" -i meter-1 -t sensors/power -q 1 -m "1234 W" || ko "meter-1 publish"
expect m2 "^sensors/power 1234 W\$" 0 "meter-2 did not read meter-1's reading"
wait_for spy '^sensors/power ' 0 || true
ct=$(grep '^sensors/power ' "$TMP/spy.out" | head -n 1 | cut -d' ' -f2)
[ "${#ct}" -eq $(( 2 * (6 + 104) )) ] && ok || ko "public-key ciphertext length ${#ct}"
[ "${ct:16:32}" = "$ID1" ] && ok || ko "the message is not signed by meter-1's id"
[ "$(printf '%s' "$ct" | "$E4" unprotect --key "$TK" --pubkey "meter-1:$D1_PUB" --hex | xxd -r -p)" = "1234 W" ] &&
  ok || ko "e4 unprotect with meter-1's public key"

# an unmapped client id is refused
mosquitto_pub -p "$GW" -i stranger -t sensors/power -m x >"$TMP/stranger.out" 2>&1 && ko "stranger accepted" || ok
grep -qi "not author" "$TMP/stranger.out" && ok || ko "stranger: $(cat "$TMP/stranger.out")"

# C2 gives meter-2 (only) a key for sensors/gas
TK2=$(key)
"$E4" command set-topic-key sensors/gas "$TK2" --c2-key "$C2_PRIV" --client-pubkey "$D2_PUB" >"$TMP/cmd.bin" ||
  die "e4 command"
mosquitto_pub -p "$PORT" -q 2 -t "e4/$ID2" -f "$TMP/cmd.bin" || die "publish command"
wait_log gw '"event":"command_applied","detail":"e4/'"$ID2"'"' || ko "meter-2 did not apply its command"
mosquitto_pub -p "$GW" -i meter-2 -t sensors/gas -q 1 -m "3 m3" || ko "meter-2 publish sensors/gas"
expect spy '^sensors/gas ' 0 "meter-2's sensors/gas not forwarded"
mosquitto_pub -p "$GW" -i meter-1 -t sensors/gas -q 1 -m "no key here" || ko "meter-1 publish sensors/gas"
wait_log gw '"topic":"sensors/gas","reason":"no_key"' || ko "meter-1 has no key for sensors/gas: must be dropped"
[ "$(grep -c '^sensors/gas ' "$TMP/spy.out")" -eq 1 ] && ok || ko "meter-1's sensors/gas reached the broker"

proxy_stop gw
# the command is in meter-2's state file: the proxy's change is durable
"$E4" client --state "$TMP/meter-2.state" --broker "127.0.0.1:$PORT" <<<"keys" >"$TMP/keys.out" 2>&1
grep -q "topics=2" "$TMP/keys.out" && ok || ko "meter-2's state does not hold the new key: $(cat "$TMP/keys.out")"
echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
