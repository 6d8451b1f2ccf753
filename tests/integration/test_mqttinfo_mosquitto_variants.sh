#!/usr/bin/env bash
# mqttinfo's product guess against mosquitto configured to hide what the
# default configuration shows (test_mqttinfo_mosquitto.sh covers the default,
# password and ACL configurations).
#
# How the expected values are established, independently of mqttinfo (the
# script re-checks each live):
#  * `sys_interval 0` with `retain_available false`: nothing under $SYS
#    (`mosquitto_sub -t '$SYS/#'` receives nothing).
#  * 5.0 CONNACK properties in mosquitto's order (topic alias maximum 22,
#    then retain available 25, maximum packet size 27, receive maximum 21,
#    maximum QoS 24, when configured): raw_probe.py props.
#  * `max_topic_alias 0` as well: only receive maximum is left, which many
#    brokers send; what remains is how a $SYS publish is dropped (3.1.1:
#    PUBACK, never delivered; 5.0: PUBACK 0x87): mosquitto_pub -d -V 5.
source "$(dirname "$0")/mqttinfo/common.sh"

no_sys() { # PORT
  timeout 5 mosquitto_sub -p "$1" -t '$SYS/#' -v -W 1 > "$WORK/sys.$1.txt" 2>/dev/null
  [ ! -s "$WORK/sys.$1.txt" ] && ok "port $1: nothing under \$SYS (mosquitto_sub)" || fail "port $1: \$SYS: $(head -2 "$WORK/sys.$1.txt")"
}
props_are() { # PORT EXPECTED
  local out
  out=$(python3 "$MI_DIR/raw_probe.py" "$1" 5 props)
  [ "$out" = "$2" ] && ok "port $1: 5.0 CONNACK $out (raw)" || fail "port $1: 5.0 CONNACK $out, expected $2"
}

start_mosquitto "$WORK/limits" "allow_anonymous true" "sys_interval 0" "retain_available false" \
  "max_packet_size 100000" "max_inflight_messages 5" "max_qos 1" || { fail "mosquitto (limits) did not start"; finish; }
no_sys "$MOSQUITTO_PORT"
props_are "$MOSQUITTO_PORT" "props:22,25,27,21,24"
run_mqttinfo "$WORK/limits.json" -p "$MOSQUITTO_PORT" 127.0.0.1
expect_json "no \$SYS, limits set: mosquitto from its CONNACK" "$WORK/limits.json" \
  sys_tree.published=false product.name='"mosquitto"' product.version=null 'product.confidence=~^0\.8' \
  "product.evidence=~mosquitto's order: topic alias maximum 10, then receive maximum 5"

start_mosquitto "$WORK/bare" "allow_anonymous true" "sys_interval 0" "retain_available false" \
  "max_topic_alias 0" || { fail "mosquitto (bare) did not start"; finish; }
no_sys "$MOSQUITTO_PORT"
props_are "$MOSQUITTO_PORT" "props:25,21"
out=$(mosquitto_pub -p "$MOSQUITTO_PORT" -V 5 -d -q 1 -t '$SYS/mqttinfo/live' -m x 2>&1)
grep -q "received PUBACK (Mid: 1, RC:135)" <<<"$out" && ok "5.0 \$SYS publish: PUBACK 0x87 (mosquitto_pub)" || fail "5.0 \$SYS publish: $out"
run_mqttinfo "$WORK/bare.json" -p "$MOSQUITTO_PORT" 127.0.0.1
expect_json "no \$SYS, no topic aliases: mosquitto, low confidence" "$WORK/bare.json" \
  product.name='"mosquitto"' 'product.confidence=~^0\.[23]' 'product.evidence=~PUBACK 0x87'
finish
