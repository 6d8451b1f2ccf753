#!/usr/bin/env bash
# mqttinfo against RabbitMQ (Debian's rabbitmq-server, MQTT plugin).
#
# How the expected values are established, independently of mqttinfo (the
# script re-checks each live):
#  * 3.1.1 supported, anonymous: `mosquitto_pub -V mqttv311 -q 1` succeeds.
#  * 5.0 not supported (before 3.13): `mosquitto_pub -V 5` fails.
#  * QoS 2 downgraded to 1: `mosquitto_pub -d -q 2` receives a PUBACK, never
#    a PUBREC: the product's tell.
#  * no $SYS tree, no version disclosed over MQTT: product.version null.
source "$(dirname "$0")/mqttinfo/common.sh"
source "$MI_DIR/products.sh"

start_rabbitmq "$WORK/rabbitmq" || { fail "RabbitMQ did not start (run scripts/install-deps.sh)"; finish; }
P=$RABBITMQ_PORT

mosquitto_pub -p "$P" -V mqttv311 -q 1 -t mqttinfo/live -m x && ok "anonymous 3.1.1 publish (mosquitto_pub)" || fail "anonymous 3.1.1 publish refused"
mosquitto_pub -p "$P" -V 5 -t mqttinfo/live -m x 2>/dev/null && fail "5.0 accepted" || ok "5.0 refused (mosquitto_pub)"
out=$(timeout 5 mosquitto_pub -p "$P" -d -q 2 -t mqttinfo/live -m x 2>&1)
if grep -q "received PUBACK" <<<"$out" && ! grep -q "received PUBREC" <<<"$out"; then ok "QoS 2 answered with PUBACK (mosquitto_pub)"
else fail "QoS 2: $out"; fi

run_mqttinfo "$WORK/rabbitmq.json" -p "$P" 127.0.0.1
[ "$MI_STATUS" -eq 0 ] && ok "exit 0" || fail "exit $MI_STATUS"
expect_json "RabbitMQ: checks and product" "$WORK/rabbitmq.json" error=null \
  v311.supported=true v311.anonymous=true v311.qos1=true v311.qos2=false \
  'v311.details.qos2=~PUBACK instead of PUBREC' v5.supported=false \
  product.name='"rabbitmq"' product.version=null 'product.confidence=~^0\.[5-9]' \
  'product.evidence=~QoS 2 downgraded to 1' 'findings=~anonymous-access'
finish
