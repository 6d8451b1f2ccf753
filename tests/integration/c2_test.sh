# shellcheck shell=bash
# The common start of every e4c2 integration test: paths, a scratch
# directory, the helpers (brokers.sh, e4_clients.sh, c2.sh, and pg.sh when
# C2_BACKEND=pg or C2_WITH_PG=1), and a cleanup that stops everything by PID.
# The sourcing test sets C2_TEST (a name for its scratch directory).
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"
E4SIM="$E4_BIN_DIR/e4sim"
C2_BACKEND=${C2_BACKEND:-sqlite}
mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4c2-$C2_TEST.XXXXXX")
TIMEOUT=${E4_TEST_TIMEOUT:-${TIMEOUT_DEFAULT:-20}}

source "$E4_SRC_DIR/tests/integration/brokers.sh"
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
source "$E4_SRC_DIR/tests/integration/c2.sh"
C2_USES_PG=0
if [ "$C2_BACKEND" = pg ] || [ "${C2_WITH_PG:-0}" = 1 ]; then
  source "$E4_SRC_DIR/tests/integration/pg.sh"
  C2_USES_PG=1
fi

finish() { c2_stop_all; [ "$C2_USES_PG" = 0 ] || pg_stop_all; cleanup; }
trap finish EXIT
die() {
  echo "FATAL: $*" >&2
  local f
  for f in "$TMP"/*.out "$TMP"/*.err "$TMP"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; } >&2; done
  exit 1
}
check() { if eval "$2"; then ok; else ko "$1"; return 1; fi; }
SIM_OPTS=()

# sim_start DEVICES_FILE: e4sim with those devices on the broker, fed on FD[sim]
# (SIM_OPTS: more e4sim options).
sim_start() {
  mkfifo "$TMP/sim.in"
  "$E4SIM" run --devices "$1" --broker "127.0.0.1:$MOSQUITTO_PORT" --quiet "${SIM_OPTS[@]}" \
    <"$TMP/sim.in" >"$TMP/sim.out" 2>"$TMP/sim.err" &
  PIDS+=("$!")
  exec {SIM}>"$TMP/sim.in"
  FD[sim]=$SIM
  wait_for sim '^ready' 0 || die "e4sim not ready"
}

# sim_wait TOPIC KEYID COUNT: that many simulated devices hold that key.
sim_wait() {
  local from
  from=$(mark sim)
  printf 'wait %s %s %d %d\n' "$1" "$2" "$3" "$TIMEOUT" >&"${FD[sim]}"
  wait_for sim "^(ok|timeout) $1 $2" "$from" && tail -n +"$((from + 1))" "$TMP/sim.out" | grep -q "^ok $1 $2"
}

# applied NAME FROM N: N more "command applied" lines after line FROM
applied() {
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(tail -n +"$(($2 + 1))" "$TMP/$1.out" | grep -c '^command applied')" -ge "$3" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# wait_until CONDITION: eval it every 0.1 s until true, at most TIMEOUT s.
wait_until() {
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until eval "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# fake_clock: the processes started from here on (not the brokers and
# databases started before) run on the clock in $TMP/clock, "+0" at first;
# move_clock OFFSET (faketime's "+40m", "+3600") moves it. The file is read
# at every clock call (with a cache, e4c2 was seen to keep the old time for
# seconds). Monotonic clocks stay real: faked, they jump to the wall
# clock's value and timed waits on them (e4sim's receipt thread) end late
# or never.
fake_clock() {
  local lib
  lib=$(dpkg -L libfaketime 2>/dev/null | grep -m1 'libfaketimeMT.so.1$')
  [ -n "$lib" ] || die "libfaketime is not installed (scripts/install-deps.sh)"
  echo "+0" >"$TMP/clock"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
  export LD_PRELOAD="$lib" FAKETIME_TIMESTAMP_FILE="$TMP/clock" FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1
}
move_clock() { echo "$1" >"$TMP/clock"; }

# c2_done: the closing line CTest's log shows, and the exit status.
c2_done() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
