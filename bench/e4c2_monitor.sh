#!/usr/bin/env bash
# Traffic monitoring benchmark. Not part of the pass/fail tests.
#
# N monitored topics (100), RATE valid E4 messages per second in total
# (1,000) for DURATION seconds (20), published by e4c2_monitor_load on mosquitto:
# the CPU seconds e4c2 spends (utime + stime from /proc/PID/stat) as a
# fraction of one core, next to the broker's. The same load is then run
# with monitoring off: the broker alone, e4c2 idle. Goal: e4c2 monitoring
# fits on one core (well under 1.0).
#
#   bash bench/e4c2_monitor.sh
#   N=10 RATE=200 DURATION=5 E4_BIN_DIR=build-dev/bin bash bench/e4c2_monitor.sh
#
# MODE=pk: public-key mode, the messages signed (an Ed25519 verification
# each on e4c2's side).
#
# Environment: N, RATE, DURATION, MODE (sk|pk), E4_BIN_DIR (default build/bin). Progress on
# stderr, the table on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E4_BIN_DIR=${E4_BIN_DIR:-$ROOT/build/bin}
N=${N:-100}
RATE=${RATE:-1000}
SECONDS_RUN=${DURATION:-20}
MODE=${MODE:-sk}

say() { echo "e4c2_monitor: $*" >&2; }
die() { say "FATAL: $*"; exit 1; }
for bin in e4c2 e4ctl e4c2_monitor_load; do
  [ -x "$E4_BIN_DIR/$bin" ] || die "$E4_BIN_DIR/$bin is missing: build with -DE4_BENCH=ON or set E4_BIN_DIR"
done
[[ "$N" =~ ^[1-9][0-9]*$ && "$RATE" =~ ^[1-9][0-9]*$ && "$SECONDS_RUN" =~ ^[1-9][0-9]*$ ]] ||
  die "N, RATE and DURATION must be positive integers"

mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4c2-monitor.XXXXXX")
source "$ROOT/tests/integration/brokers.sh"
C2_PID=""
finish() {
  local rc=$?
  set +e
  [ -n "$C2_PID" ] && stop_pid "$C2_PID"
  brokers_stop_all
  [ "$rc" -ne 0 ] && [ -s "$TMP/c2.log" ] && tail -n 20 "$TMP/c2.log" >&2
  rm -rf "$TMP"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # utime + stime of PID
api() { curl -fsS -X "$1" -H "Authorization: Bearer $E4C2_TOKEN" -H 'Content-Type: application/json' \
          ${3:+--data-binary "$3"} "$E4C2_URL$2"; }

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
DB="sqlite:$TMP/c2.db"
head -c 32 /dev/urandom >"$TMP/master.key"
"$E4_BIN_DIR/e4c2" init --mode "$MODE" --db "$DB" --key-file "$TMP/master.key" >/dev/null
export E4C2_TOKEN
E4C2_TOKEN=$("$E4_BIN_DIR/e4c2" token create --db "$DB" bench)
PORT=$(free_port)
export E4C2_URL="http://127.0.0.1:$PORT"
start_c2() { # MONITOR (on|off)
  "$E4_BIN_DIR/e4c2" run --db "$DB" --key-file "$TMP/master.key" --broker "mqtt://127.0.0.1:$MOSQUITTO_PORT" \
    --listen "127.0.0.1:$PORT" --receipts off --monitor "$1" 2>>"$TMP/c2.log" &
  C2_PID=$!
  for _ in $(seq 1 200); do curl -fsS "$E4C2_URL/healthz" >/dev/null 2>&1 && return 0; sleep 0.05; done
  die "e4c2 does not answer"
}
start_c2 on
say "e4c2 pid $C2_PID, mosquitto pid $MOSQUITTO_PID; $MODE mode, $N topics, $RATE msg/s, $SECONDS_RUN s"
for i in $(seq 1 "$N"); do
  api POST /v1/topics "{\"name\":\"bench/$i\"}" >/dev/null
  api PUT "/v1/topics/bench%2F$i/monitor" '{"enabled":true}' >/dev/null
done
sleep 3   # the monitor's refresh subscribes (every 2 s)

valid_total() { api GET "/v1/monitoring?limit=1000" | python3 -c 'import json,sys
print(sum(i["counts"]["valid"] for i in json.load(sys.stdin)["items"]))'; }

# run LABEL: the load, and the CPU both processes spent meanwhile
run() {
  local c0 m0 c1 m1 sent
  c0=$(cpu_ticks "$C2_PID"); m0=$(cpu_ticks "$MOSQUITTO_PID")
  sent=$("$E4_BIN_DIR/e4c2_monitor_load" "$DB" "$TMP/master.key" "127.0.0.1:$MOSQUITTO_PORT" "$RATE" "$SECONDS_RUN")
  c1=$(cpu_ticks "$C2_PID"); m1=$(cpu_ticks "$MOSQUITTO_PID")
  python3 -c 'import sys
label, sent, c, m, tick, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
print("| %-34s | %8d | %9.2f | %8.3f | %9.2f | %8.3f |" % (label, sent, c / tick, c / tick / secs, m / tick, m / tick / secs))' \
    "$1" "$sent" $((c1 - c0)) $((m1 - m0)) "$TICK" "$SECONDS_RUN"
  echo "$sent" >"$TMP/sent"
}

before=$(valid_total)
printf '| %-34s | %8s | %9s | %8s | %9s | %8s |\n' "" "messages" "e4c2 cpu s" "of a core" "broker s" "of a core"
printf '|%s|%s|%s|%s|%s|%s|\n' "------------------------------------" "----------" "-----------" "----------" "-----------" "----------"
run "monitoring $N topics ($MODE)"
sleep 6   # the last counts flushed (every 5 s)
seen=$(( $(valid_total) - before ))
sent=$(cat "$TMP/sent")
stop_pid "$C2_PID"   # the topics stay monitored in the database: the load finds their keys
start_c2 off
run "e4c2 --monitor off (the broker alone)"
echo
echo "valid messages counted by e4c2: $seen of $sent sent"
