#!/usr/bin/env bash
# Two e4c2 processes on one PostgreSQL share the outbox: while both run, no
# command is sent twice (the broker carries exactly one message per command);
# when one is killed with SIGKILL in the middle of a rotation, the other
# sends everything, in order per client.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"
E4SIM="$E4_BIN_DIR/e4sim"
mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4c2-multi.XXXXXX")
TIMEOUT=${E4_TEST_TIMEOUT:-60}
N=${E4C2_TEST_MEMBERS:-1000}

source "$E4_SRC_DIR/tests/integration/brokers.sh"
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
source "$E4_SRC_DIR/tests/integration/c2.sh"
source "$E4_SRC_DIR/tests/integration/pg.sh"
finish() { c2_stop_all; pg_stop_all; cleanup; }
trap finish EXIT
die() {
  echo "FATAL: $*" >&2
  local f
  for f in "$TMP"/*.out "$TMP"/*.err "$TMP"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; } >&2; done
  exit 1
}
check() { if eval "$2"; then ok; else ko "$1"; fi; }

start_mosquitto "$TMP/broker" "allow_anonymous true" "max_queued_messages 100000" || die "mosquitto"
start_postgres "$TMP/pg" || die "postgres"
C2_BACKEND=pg c2_database c2
c2_init sk || die "init"
c2_start one --lease 3 || die "e4c2 one"
URL_ONE=$E4C2_URL; PID_ONE=$C2_PID
c2_start two --lease 3 || die "e4c2 two"
URL_TWO=$E4C2_URL; PID_TWO=$C2_PID
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)

# every command on the wire, counted by a plain subscriber
mosquitto_sub -h 127.0.0.1 -p "$MOSQUITTO_PORT" -q 2 -t 'e4/#' -F '%t' >"$TMP/wire.out" 2>/dev/null &
PIDS+=("$!")
sleep 0.3

"$E4SIM" --generate "$N" --prefix dev --out "$TMP/devices.jsonl" || die "generate"
E4C2_URL=$URL_ONE "$E4CTL" client import "$TMP/devices.jsonl" >/dev/null || die "import"
E4C2_URL=$URL_TWO "$E4CTL" topic add fleet >/dev/null || die "topic add via the second process"
mkfifo "$TMP/sim.in"
"$E4SIM" run --devices "$TMP/devices.jsonl" --broker "127.0.0.1:$MOSQUITTO_PORT" --quiet \
  <"$TMP/sim.in" >"$TMP/sim.out" 2>"$TMP/sim.err" &
PIDS+=("$!")
exec {SIM}>"$TMP/sim.in"
FD[sim]=$SIM
wait_for sim '^ready' 0 || die "e4sim not ready"
key_id() { E4C2_URL=$URL_TWO "$E4CTL" topic show fleet --json | json_get key_id; }
sim_wait() {
  local from
  from=$(mark sim)
  printf 'wait fleet %s %d %d\n' "$1" "$N" "$TIMEOUT" >&"$SIM"
  wait_for sim "^(ok|timeout) fleet $1" "$from" && tail -n +"$((from + 1))" "$TMP/sim.out" | grep -q "^ok fleet $1"
}

E4C2_URL=$URL_ONE "$E4CTL" topic join fleet $(python3 -c "print(' '.join('dev-%d' % i for i in range(1, $N + 1)))") \
  >/dev/null || die "join"
check "both processes running: every device got the key" 'sim_wait "$(key_id)"'
E4C2_URL=$URL_TWO "$E4CTL" topic rotate fleet >/dev/null || die "rotate"
check "both processes running: every device got the rotated key" 'sim_wait "$(key_id)"'
sleep 0.5
sent=$(wc -l <"$TMP/wire.out")
check "no command sent twice while both run ($sent messages for $((2 * N)) commands)" '[ "$sent" -eq $((2 * N)) ]'
check "both processes sent commands" \
  '[ "$(grep -c "\"msg\":\"connected" "$TMP/one.log")" -ge 1 ] && [ "$(grep -c "\"msg\":\"connected" "$TMP/two.log")" -ge 1 ]'

# kill one in the middle of a rotation; the other finishes (leases expire)
E4C2_URL=$URL_ONE "$E4CTL" topic rotate fleet >/dev/null || die "rotate 2"
E4C2_URL=$URL_ONE "$E4CTL" topic rotate fleet >/dev/null || die "rotate 3"
kill -9 "$PID_ONE"
check "one killed: the other delivers every command, in order" 'sim_wait "$(key_id)"'
check "the outbox is empty" '[ "$(E4C2_URL=$URL_TWO "$E4CTL" status --json | json_get outbox.pending)" = 0 ]'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
