#!/usr/bin/env bash
# mqttinfo against Apache ActiveMQ (Debian's activemq 5.x, MQTT connector).
#
# How the expected values are established, independently of mqttinfo (the
# script re-checks each live):
#  * 3.1.1 supported, anonymous, QoS 2 completes: `mosquitto_pub -d -q 2`.
#  * 5.0 not supported: `mosquitto_pub -V 5` fails.
#  * ActiveMQ keeps its status tree outside $SYS: `mosquitto_sub -t
#    'ActiveMQ/Advisory/#'` receives advisory messages (MasterBroker,
#    Connection...) at once: the product's tell.
source "$(dirname "$0")/mqttinfo/common.sh"
source "$MI_DIR/products.sh"

start_activemq "$WORK/activemq" || { fail "ActiveMQ did not start (run scripts/install-deps.sh)"; finish; }
P=$ACTIVEMQ_PORT

out=$(timeout 5 mosquitto_pub -p "$P" -d -q 2 -t mqttinfo/live -m x 2>&1)
grep -q "received PUBCOMP" <<<"$out" && ok "anonymous QoS 2 publish completes (mosquitto_pub)" || fail "QoS 2: $out"
mosquitto_pub -p "$P" -V 5 -t mqttinfo/live -m x 2>/dev/null && fail "5.0 accepted" || ok "5.0 refused (mosquitto_pub)"
timeout 5 mosquitto_sub -p "$P" -t 'ActiveMQ/Advisory/#' -v -W 2 > "$WORK/advisory.txt" 2>/dev/null
grep -q "^ActiveMQ/Advisory/" "$WORK/advisory.txt" && ok "advisory messages on ActiveMQ/Advisory/# (mosquitto_sub)" \
  || fail "no advisory message: $(head -3 "$WORK/advisory.txt")"

run_mqttinfo "$WORK/activemq.json" -p "$P" 127.0.0.1
[ "$MI_STATUS" -eq 0 ] && ok "exit 0" || fail "exit $MI_STATUS"
expect_json "ActiveMQ: checks and product" "$WORK/activemq.json" error=null \
  v311.supported=true v311.anonymous=true v311.qos1=true v311.qos2=true v5.supported=false \
  product.name='"activemq"' product.version=null 'product.confidence=~^0\.[5-9]' \
  'product.evidence=~advisory message on ActiveMQ/Advisory/'
finish
