#!/usr/bin/env bash
# mqttinfo never hangs nor crashes on endpoints that are not (well-behaved)
# brokers, and says clearly what happened; plus command-line errors.
#   * a port with nothing listening          -> "connection refused"
#   * a server that accepts and never answers -> timeout, within the deadline
#   * a server that answers garbage (HTTP)    -> "not an MQTT answer"
#   * a server that accepts and closes        -> "connection closed"
#   * a 3.1.1-only server that closes, or stays silent, on a 5.0 CONNECT:
#     5.0 "supported": false, and the 3.1.1 analysis goes on.
source "$(dirname "$0")/mqttinfo/common.sh"

# 1. nothing listening
DEAD=$(free_port)
timed_run "$WORK/dead.json" 2 -p "$DEAD" 127.0.0.1
[ "$MI_STATUS" -eq 1 ] && ok "refused -> exit 1" || fail "refused -> exit $MI_STATUS"
expect_json "refused -> clear error" "$WORK/dead.json" 'error=~[Cc]onnection refused' v311.supported=null v5.supported=null \
  product.name='"unknown"' 'findings=#0'

# 2. accepts, never answers: bounded by --timeout (both versions in parallel)
start_fake_server silent
timed_run "$WORK/silent.json" 4 --timeout 1 -p "$FAKE_PORT" 127.0.0.1
[ "$MI_STATUS" -eq 1 ] && ok "silent -> exit 1" || fail "silent -> exit $MI_STATUS"
expect_json "silent -> timeout error, everything null" "$WORK/silent.json" 'error=~timeout' \
  v311.supported=null v311.anonymous=null v5.supported=null sys_tree.published=null product.name='"unknown"'

# 3. answers garbage
start_fake_server garbage
timed_run "$WORK/garbage.json" 3 --timeout 1 -p "$FAKE_PORT" 127.0.0.1
[ "$MI_STATUS" -eq 1 ] && ok "garbage -> exit 1" || fail "garbage -> exit $MI_STATUS"
expect_json "garbage -> not MQTT" "$WORK/garbage.json" 'error=~not an MQTT answer.*HTTP' v311.supported=null v5.supported=null

# 4. accepts and closes
start_fake_server close
timed_run "$WORK/close.json" 3 --timeout 1 -p "$FAKE_PORT" 127.0.0.1
[ "$MI_STATUS" -eq 1 ] && ok "close -> exit 1" || fail "close -> exit $MI_STATUS"
expect_json "close -> connection closed" "$WORK/close.json" 'error=~closed' v311.supported=null v5.supported=null

# 5/6. 3.1.1-only servers: the 5.0 failure never aborts the 3.1.1 analysis.
# They answer nothing but CONNACK and PINGRESP, so the other 3.1.1 checks end
# at their deadline: null, or "no" where the PINGREQ shows the packet was
# ignored without closing.
for mode in v5close v5silent; do
  start_fake_server "$mode"
  timed_run "$WORK/$mode.json" 12 --timeout 1 -p "$FAKE_PORT" 127.0.0.1
  [ "$MI_STATUS" -eq 0 ] && ok "$mode -> exit 0" || fail "$mode -> exit $MI_STATUS"
  expect_json "$mode: 5.0 not supported, 3.1.1 analysed" "$WORK/$mode.json" error=null \
    v311.supported=true v311.anonymous=true v311.qos1=null v311.qos2=null v311.subscribe_all=null \
    v311.qos3_rejected=false v311.invalid_utf8_rejected=false v311.invalid_filter_rejected=null \
    v5.supported=false v5.anonymous=null product.name='"unknown"'
done
expect_json "v5close: closed" "$WORK/v5close.json" 'v5.details.supported=~closed'
expect_json "v5silent: silent" "$WORK/v5silent.json" 'v5.details.supported=~timeout'

# 7. command line
"$MQTTINFO" --help | grep "Usage: mqttinfo" >/dev/null && ok "--help" || fail "--help"
"$MQTTINFO" --version | grep -q "^mqttinfo " && ok "--version" || fail "--version"
"$MQTTINFO" --bogus >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown option -> exit 2" || fail "unknown option"
"$MQTTINFO" -p 99999 >/dev/null 2>&1; [ $? -eq 2 ] && ok "bad port -> exit 2" || fail "bad port"
"$MQTTINFO" "ftp://127.0.0.1" >/dev/null 2>&1; [ $? -eq 2 ] && ok "bad scheme -> exit 2" || fail "bad scheme"
"$MQTTINFO" "mqtt://user:pw@127.0.0.1" >/dev/null 2>&1; [ $? -eq 2 ] && ok "credentials in a URL refused" || fail "credentials in URL"
"$MQTTINFO" --fail-on severe 127.0.0.1 >/dev/null 2>&1; [ $? -eq 2 ] && ok "bad severity -> exit 2" || fail "bad severity"
"$MQTTINFO" --timeout 0 127.0.0.1 >/dev/null 2>&1; [ $? -eq 2 ] && ok "bad timeout -> exit 2" || fail "bad timeout"

# 8. TLS to something that does not speak TLS: a clear error, no hang.
start_fake_server silent
timed_run "$WORK/tls-silent.json" 4 --timeout 1 "mqtts://127.0.0.1:$FAKE_PORT"
expect_json "TLS handshake timeout" "$WORK/tls-silent.json" 'error=~TLS handshake' transport='"tls"'
start_fake_server garbage
timed_run "$WORK/tls-garbage.json" 4 --timeout 1 "mqtts://127.0.0.1:$FAKE_PORT"
expect_json "TLS handshake failure" "$WORK/tls-garbage.json" 'error=~TLS'

finish
