#!/usr/bin/env bash
# e4proxy under faults, on a real mosquitto: malformed, oversized and
# half-sent packets, a client that stops reading while messages flood in,
# a broker that goes away and comes back. Each time the proxy survives,
# closes only the offending connection pair (with a log line), keeps its
# memory bounded, and the other clients keep exchanging messages.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=e4proxy/proxies.sh
source "$E4_SRC_DIR/tests/integration/e4proxy/proxies.sh"
proxy_test_setup e4proxy-faults

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
PORT=$MOSQUITTO_PORT
TK=$(key)
read -r PP PM <<<"$(free_ports 2 | tr '\n' ' ')"
proxy_start p "$PP" --name proxy --key "$(key)" --topic-key "sensors/t:$TK" \
  --topic-key "flood/x:$TK" --max-packet 4096 --metrics "127.0.0.1:$PM"
PPID_=${PROXY_PIDS[p]}
sub_start healthy "$PP" 'sensors/t'

# still_works N: a message through the proxy reaches the healthy subscriber.
still_works() {
  mosquitto_pub -p "$PP" -t sensors/t -q 1 -m "still working $1" || ko "publish after $1"
  expect healthy "^sensors/t still working $1\$" 0 "the other clients stopped working after $1"
  kill -0 "$PPID_" 2>/dev/null && ok || die "the proxy died after $1"
}

# ---- hostile packets -----------------------------------------------------------
[ "$(python3 "$RAW" garbage "$PP")" = closed ] && ok || ko "garbage: connection not closed"
wait_log p '"event":"protocol_error".*not CONNECT|"event":"malformed"' || ko "garbage: no log line"
still_works garbage

[ "$(python3 "$RAW" malformed "$PP")" = closed ] && ok || ko "QoS 3 PUBLISH: connection not closed"
wait_log p '"event":"malformed".*PUBLISH from the client' || ko "malformed: no log line"
still_works malformed

[ "$(python3 "$RAW" oversized "$PP" 10000)" = closed ] && ok || ko "oversized: connection not closed"
wait_log p '"event":"oversized"' || ko "oversized: no log line"
still_works oversized

python3 "$RAW" midpacket "$PP" >/dev/null
still_works midpacket

# keep-alive as if direct: a client silent past 1.5 x its keep-alive (2 s)
# is dropped by the broker, and the proxy then closes the client's side
# (after about 3 s, counted in whole seconds; well before the helper's 30 s
# wait, however busy the machine)
out=$(python3 "$RAW" silent "$PP" 2)
n=$(sed -n 's/^closed after \([0-9]*\) s$/\1/p' <<<"$out")
[ -n "$n" ] && [ "$n" -ge 2 ] && [ "$n" -le 20 ] && ok || ko "keep-alive through the proxy: $out"

# ---- a client that stops reading: back-pressure, bounded memory -------------
# the proxy's own account of its buffers (RSS would count a sanitizer's
# quarantine too)
metric() { curl -sf "http://127.0.0.1:$PM/metrics" | sed -n "s/^$1 //p"; }
python3 "$RAW" stall "$PP" 'flood/#' 4 >"$TMP/stall.out" 2>&1 &
stall=$!
sleep 0.5
# about 30 MB through the proxy towards the stalled client
python3 -c 'import sys
for i in range(15000): sys.stdout.write("%06d" % i + "x" * 1994 + "\n")' |
  timeout 20 mosquitto_pub -p "$PP" -t flood/x -l -q 0 2>/dev/null &
flood=$!
sleep 1
still_works stalled-reader
wait "$flood" 2>/dev/null
wait "$stall"
peak=$(metric e4proxy_buffer_bytes_peak)
echo "buffers: at most $peak bytes during a 30 MB flood to a client that stopped reading" >&2
[ -n "$peak" ] && [ "$peak" -lt 2097152 ] && ok || ko "the proxy buffered $peak bytes for a client that stopped reading"
deadline=$(( $(date +%s) + TIMEOUT ))
until [ "$(metric e4proxy_buffer_bytes)" -lt 65536 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { ko "buffers not released after the flood: $(metric e4proxy_buffer_bytes)"; break; }
  sleep 0.2
done
grep -q '^received [0-9]' "$TMP/stall.out" && ok || ko "stalled client: $(cat "$TMP/stall.out")"

# ---- the broker goes away and comes back ----------------------------------------
stop_pid "$MOSQUITTO_PID"
sleep 0.5
kill -0 "$PPID_" 2>/dev/null && ok || die "the proxy died with the broker"
timeout 5 mosquitto_pub -p "$PP" -t sensors/t -m lost >/dev/null 2>&1 && ko "publish succeeded without a broker" || ok
wait_log p '"event":"closed".*(Connection refused|broker)' || ko "no log line for the missing broker"
mosquitto -c "$TMP/broker/mosquitto.conf" >/dev/null 2>&1 &
MOSQUITTO_PID=$!
BROKER_PIDS+=("$MOSQUITTO_PID")
wait_port "$PORT" 10 || die "mosquitto did not restart"
sub_start healthy2 "$PP" 'sensors/t'
mosquitto_pub -p "$PP" -t sensors/t -q 1 -m "after the restart" || ko "publish after the broker came back"
expect healthy2 "^sensors/t after the restart\$" 0 "nothing delivered after the broker came back"
# the control connection came back too (libmosquitto reconnects it)
deadline=$(( $(date +%s) + 40 ))
until [ "$(grep -c '"event":"control_connected"' "$TMP/p.err")" -ge 2 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { ko "the control connection did not come back"; break; }
  sleep 0.2
done

proxy_stop p
echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
