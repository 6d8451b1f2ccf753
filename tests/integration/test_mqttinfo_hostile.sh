#!/usr/bin/env bash
# mqttinfo against hostile or non-conforming peers (issue 11, defects 1, 3, 6,
# 7 and 8); every case failed before its fix:
#   1. a server that answers CONNACK and then streams PUBLISH packets without
#      end (and answers SUBSCRIBE between them): each check ends at its
#      deadline, the $SYS collection at its cap, and the whole analysis
#      within the documented bound of 5 x --timeout (docs/mqttinfo.md);
#   3. a DNS server that never answers: resolution ends at the deadline
#      (network and mount namespaces: a silent DNS server on 127.0.0.1:53
#      and a resolv.conf naming it; needs `unshare`, as CI has);
#   6. a 5.0 CONNACK with a duplicate, unknown or overlong property: 5.0 is
#      supported, a protocol-violation finding says what was wrong, and the
#      5.0 checks go on;
#   7. a NUL byte in a WebSocket upgrade answer: its status is reported at
#      once; `-h ::1` works; a port in the target wins over -p, which wins
#      over the scheme's default;
#   8. a broker that closes (or resets) the connection on a QoS 2 PUBLISH, or answers it
#      with a PUBACK (QoS downgraded) or a DISCONNECT 0x9B: qos2 is false.
# The fake servers are tests/integration/mqttinfo/fake_server.py (modes
# flood, silentdns, v5*props, wsnul, broker, qos2close, qos2puback).
source "$(dirname "$0")/mqttinfo/common.sh"

BOUND=5 # docs/mqttinfo.md: a whole analysis ends within 5 x --timeout

# 1. flooding server
start_fake_server flood
for t in 0.5 1; do
  limit=$(awk -v t="$t" -v b="$BOUND" 'BEGIN { print t * b + 0.75 }')
  timed_run "$WORK/flood-$t.json" "$limit" --timeout "$t" -p "$FAKE_PORT" 127.0.0.1
  # It answers SUBSCRIBE only (between chunks of PUBLISH packets): the
  # publishes time out, and the $SYS collection is bounded too.
  expect_json "flood --timeout $t: connected, unanswered checks null, \$SYS collected" \
    "$WORK/flood-$t.json" v311.supported=true v5.supported=true v311.qos1=null v5.qos1=null \
    'v311.details.qos1=~timeout' sys_tree.published=true
done
stop_pid "$FAKE_PID"
# subflood starts streaming after its SUBACK (a SUBACK queued behind the
# flood may come too late on a slow machine, e.g. under ASan): the $SYS
# collection, which ends after 250 ms of quiet, must end at its 1 s cap.
start_fake_server subflood
timed_run "$WORK/subflood.json" "$(awk -v b="$BOUND" 'BEGIN { print b + 0.75 }')" --timeout 1 \
  -p "$FAKE_PORT" 127.0.0.1
expect_json "flood after SUBACK: \$SYS collection ended at its cap" "$WORK/subflood.json" \
  v311.subscribe_all=true sys_tree.published=true sys_tree.error=null
stop_pid "$FAKE_PID"

# 3. name resolution with a DNS server that never answers
dns_test() {
  FAILURES=0 # this runs in its own process: count its own failures
  ip link set lo up || return 1
  echo "nameserver 127.0.0.1" > "$WORK/resolv.conf"
  mount --bind "$WORK/resolv.conf" /etc/resolv.conf || return 1
  python3 "$MI_DIR/fake_server.py" silentdns 53 >/dev/null 2>&1 &
  local dns=$!
  wait_port 53 10 || return 1
  timed_run "$WORK/dns.json" 1.6 --timeout 1 mqttinfo-dns-test.example
  kill "$dns"
  [ "$MI_STATUS" -eq 1 ] && ok "DNS timeout -> exit 1" || fail "DNS timeout -> exit $MI_STATUS"
  expect_json "DNS timeout -> error" "$WORK/dns.json" 'error=~resolve.*mqttinfo-dns-test.example.*timeout' \
    v311.supported=null
  return "$FAILURES"
}
if unshare -rnm true 2>/dev/null; then
  export -f dns_test timed_run run_mqttinfo expect_json ok fail wait_port
  export WORK MQTTINFO MI_DIR FAILURES
  unshare -rnm bash -c dns_test && ok "DNS deadline" || fail "DNS deadline (see above)"
else
  fail "unshare (network + mount namespaces) is not available: DNS deadline not tested"
fi

# 6. 5.0 CONNACK with bad properties
for mode in v5dupprops v5unknownprop v5overlongprops; do
  start_fake_server "$mode"
  timed_run "$WORK/$mode.json" 3 --timeout 1 -p "$FAKE_PORT" 127.0.0.1
  expect_json "$mode: 5.0 supported, checks go on, protocol violation reported" "$WORK/$mode.json" \
    error=null v5.supported=true v5.anonymous=true v5.qos1=true v5.qos2=true v5.subscribe_all=true \
    'v5.protocol_violations=#1' 'findings=~"protocol-violation"' v311.supported=true \
    'v311.protocol_violations=#0'
  stop_pid "$FAKE_PID"
done
expect_json "duplicate property named" "$WORK/v5dupprops.json" 'v5.protocol_violations.0=~CONNACK.*duplicate'
expect_json "unknown property named" "$WORK/v5unknownprop.json" 'v5.protocol_violations.0=~CONNACK.*unknown property'
expect_json "overlong properties named" "$WORK/v5overlongprops.json" 'v5.protocol_violations.0=~CONNACK.*truncated'

# 7a. NUL in the WebSocket upgrade answer: reported at once, not at the deadline
start_fake_server wsnul
timed_run "$WORK/wsnul.json" 1.5 --timeout 5 "ws://127.0.0.1:$FAKE_PORT"
expect_json "WebSocket answer with NUL -> status reported" "$WORK/wsnul.json" 'error=~upgrade refused: HTTP/1.1 403'
stop_pid "$FAKE_PID"

# 7b. -h ::1 (and the other IPv6 spellings)
start_fake_server broker ::1
for args in "-h ::1 -p $FAKE_PORT" "-p $FAKE_PORT ::1" "[::1]:$FAKE_PORT" "mqtt://[::1]:$FAKE_PORT"; do
  # shellcheck disable=SC2086
  run_mqttinfo "$WORK/v6.json" --timeout 1 $args
  expect_json "IPv6: $args" "$WORK/v6.json" error=null v311.supported=true "target=\"[::1]:$FAKE_PORT\""
done
stop_pid "$FAKE_PID"

# 7c. -p and a URL: a port written in the target wins; else -p; else the scheme's default
start_fake_server broker
run_mqttinfo "$WORK/p-url.json" --timeout 1 -p "$FAKE_PORT" mqtt://127.0.0.1
expect_json "-p applies to a URL without a port" "$WORK/p-url.json" error=null "target=\"127.0.0.1:$FAKE_PORT\""
run_mqttinfo "$WORK/p-url2.json" --timeout 1 -p 1 "mqtt://127.0.0.1:$FAKE_PORT"
expect_json "the URL's port wins over -p" "$WORK/p-url2.json" error=null "target=\"127.0.0.1:$FAKE_PORT\""
run_mqttinfo "$WORK/p-host.json" --timeout 1 -p 1 "127.0.0.1:$FAKE_PORT"
expect_json "host:port wins over -p" "$WORK/p-host.json" error=null "target=\"127.0.0.1:$FAKE_PORT\""
timeout 30 "$MQTTINFO" scan --timeout 1 -p "$FAKE_PORT" mqtt://127.0.0.1 > "$WORK/p-scan.jsonl" 2>/dev/null
expect_json "scan: -p applies to a URL without a port" "$WORK/p-scan.jsonl" error=null "target=\"127.0.0.1:$FAKE_PORT\""
stop_pid "$FAKE_PID"

# 8. QoS 2 closed or refused: answered (false), and without waiting for the deadline
for mode in qos2close qos2reset qos2puback; do
  start_fake_server "$mode"
  timed_run "$WORK/$mode.json" 2 --timeout 3 -p "$FAKE_PORT" 127.0.0.1
  expect_json "$mode: qos2 false on both interfaces" "$WORK/$mode.json" error=null \
    v311.qos1=true v311.qos2=false v5.qos1=true v5.qos2=false 'findings=~"qos2-unsupported"'
  stop_pid "$FAKE_PID"
done
expect_json "closed -> said so" "$WORK/qos2close.json" 'v311.details.qos2=~closed'
expect_json "PUBACK to QoS 2 -> said so" "$WORK/qos2puback.json" 'v311.details.qos2=~PUBACK' \
  'v5.details.qos2=~DISCONNECT 0x9b'

finish
