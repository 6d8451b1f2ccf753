#!/usr/bin/env bash
# mqttinfo against mosca (npm, the last release, 2.8.3), aedes' predecessor.
#
# How the expected values are established, independently of mqttinfo (the
# script re-checks each live):
#  * connections are announced on $SYS/<broker id>/new/clients, where the
#    id is a short id (aedes uses a UUID): `mosquitto_sub -t '$SYS/#'`.
#  * a QoS 2 PUBLISH gets no answer at all (mosca never implemented QoS 2):
#    `mosquitto_pub -d -q 2` sees no PUBREC.
#  * 5.0 not supported: `mosquitto_pub -V 5` fails.
#  * its version ("mosca 2.8.3") is published only every 10 s, after the
#    analysis: product.version null.
source "$(dirname "$0")/mqttinfo/common.sh"
source "$MI_DIR/products.sh"

start_mosca "$WORK/mosca" || { fail "mosca did not start (run scripts/install-deps.sh)"; finish; }
P=$MOSCA_PORT

mosquitto_sub -p "$P" -t '$SYS/#' -v -W 2 > "$WORK/sys.txt" 2>/dev/null &
subpid=$!
sleep 0.3 # let the subscription settle
mosquitto_pub -p "$P" -i "live-canary-$$" -t mqttinfo/live -m x
wait "$subpid" 2>/dev/null
if grep -Eq "^\\\$SYS/[^/]+/new/clients live-canary-$$" "$WORK/sys.txt" &&
   ! grep -Eq '^\$SYS/[0-9a-f]{8}-' "$WORK/sys.txt"; then ok "announced on \$SYS/<short id>/new/clients (mosquitto_sub)"
else fail "announcement: $(cat "$WORK/sys.txt")"; fi
out=$(timeout 3 mosquitto_pub -p "$P" -d -q 2 -t mqttinfo/live -m x 2>&1)
grep -q "received PUBREC" <<<"$out" && fail "QoS 2 answered: $out" || ok "QoS 2: no PUBREC (mosquitto_pub)"
timeout 5 mosquitto_pub -p "$P" -V 5 -t mqttinfo/live -m x 2>/dev/null && fail "5.0 accepted" || ok "5.0 refused (mosquitto_pub)"

run_mqttinfo "$WORK/mosca.json" -p "$P" 127.0.0.1
expect_json "mosca: checks and product" "$WORK/mosca.json" error=null \
  v311.supported=true v311.anonymous=true v311.qos1=true v311.qos2=null v5.supported=false \
  'sys_tree.connection_announced_on=~^\$SYS/[^/]+/new/clients$' \
  product.name='"mosca"' product.version=null 'product.confidence=~^0\.[5-9]' \
  'product.evidence=~short id' 'product.evidence=~never implemented QoS 2'
finish
