#!/usr/bin/env bash
# mqttinfo against ejabberd (Debian's, mod_mqtt, anonymous authentication:
# any user@localhost with any password; no user name at all is refused).
#
# How the expected values are established, independently of mqttinfo (the
# script re-checks each live):
#  * a client without a user name is refused (CONNACK 5), user@localhost is
#    accepted, in 3.1.1 and 5.0: `mosquitto_pub -d`.
#  * 5.0 CONNACK properties, in order: topic alias maximum (22), shared
#    subscription available (2a), session expiry (11), server keep alive (13):
#    raw_probe.py props.
#  * a 5.0 PUBLISH with QoS 3 gets DISCONNECT 0x81 with the reason string
#    "Protocol error: Malformed QoS value: 3 ...": raw_probe.py qos3.
source "$(dirname "$0")/mqttinfo/common.sh"
source "$MI_DIR/products.sh"

start_ejabberd "$WORK/ejabberd" || { fail "ejabberd did not start (run scripts/install-deps.sh)"; finish; }
P=$EJABBERD_PORT
export RAWPROBE_USER=mqttinfo@localhost RAWPROBE_PASSWORD=any

out=$(timeout 5 mosquitto_pub -p "$P" -d -t mqttinfo/live -m x 2>&1)
grep -q "received CONNACK (5)" <<<"$out" && ok "no user name: refused (mosquitto_pub)" || fail "anonymous: $out"
for v in mqttv311 5; do
  out=$(timeout 5 mosquitto_pub -p "$P" -V $v -u "$RAWPROBE_USER" -P any -d -q 1 -t mqttinfo/live -m x 2>&1)
  grep -q "received PUBACK" <<<"$out" && ok "$v: user@localhost accepted (mosquitto_pub)" || fail "$v with a user: $out"
done
out=$(python3 "$MI_DIR/raw_probe.py" "$P" 5 props)
[ "$out" = "props:22,2a,11,13" ] && ok "5.0 CONNACK property order $out (raw)" || fail "5.0 CONNACK properties: $out"
out=$(python3 "$MI_DIR/raw_probe.py" "$P" 5 qos3)
[[ "$out" == "disconnect:0x81 reason=Protocol error: "* ]] && ok "QoS 3 -> $out (raw)" || fail "QoS 3 -> $out"

MQTTINFO_PASSWORD=any run_mqttinfo "$WORK/ejabberd.json" -p "$P" -u "$RAWPROBE_USER" 127.0.0.1
[ "$MI_STATUS" -eq 0 ] && ok "exit 0" || fail "exit $MI_STATUS"
expect_json "ejabberd: checks and product" "$WORK/ejabberd.json" error=null \
  v311.supported=true v311.anonymous=false v311.auth_ok=true v5.supported=true v5.anonymous=false \
  v5.auth_ok=true v5.qos2=true v5.qos3_rejected=true \
  product.name='"ejabberd"' product.version=null 'product.confidence=~^0\.9' \
  "product.evidence=~ejabberd's order" 'product.evidence=~Protocol error: Malformed QoS'
run_mqttinfo "$WORK/ejabberd-anon.json" -p "$P" 127.0.0.1
expect_json "ejabberd without credentials: refused, product unknown (no evidence)" "$WORK/ejabberd-anon.json" \
  v311.anonymous=false v5.anonymous=false product.name='"unknown"'
finish
