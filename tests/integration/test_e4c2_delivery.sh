#!/usr/bin/env bash
# e4c2 delivers every command, in order, whatever fails (SQLite, mosquitto
# with persistence, the e4sim device simulator and `e4 client`):
#  - e4c2 killed with SIGKILL in the middle of rotating a topic with 1,000
#    members: after a restart every member holds the new key;
#  - the broker stopped during rotations and started again 10 s later: every
#    command delivered, in order (the last key wins on every device);
#  - a command queued for 15 minutes while the broker is down is still
#    accepted: it is protected when sent (clocks moved with faketime).
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"
E4SIM="$E4_BIN_DIR/e4sim"
mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4c2-delivery.XXXXXX")
TIMEOUT=${E4_TEST_TIMEOUT:-60}
N=${E4C2_TEST_MEMBERS:-1000}

source "$E4_SRC_DIR/tests/integration/brokers.sh"
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
source "$E4_SRC_DIR/tests/integration/c2.sh"
finish() { c2_stop_all; cleanup; }
trap finish EXIT
die() {
  echo "FATAL: $*" >&2
  local f
  for f in "$TMP"/*.out "$TMP"/*.err "$TMP"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; } >&2; done
  exit 1
}
check() { if eval "$2"; then ok; else ko "$1"; fi; }

FAKETIME_LIB=$(dpkg -L libfaketime 2>/dev/null | grep -m1 'libfaketimeMT.so.1$')
[ -n "$FAKETIME_LIB" ] || die "libfaketime is not installed (scripts/install-deps.sh)"
echo "+0" >"$TMP/clock"
# every process here runs on the clock in $TMP/clock
export LD_PRELOAD="$FAKETIME_LIB" FAKETIME_TIMESTAMP_FILE="$TMP/clock" FAKETIME_NO_CACHE=1

# A broker with persistence, restartable on the same port.
broker_start() {
  mosquitto -c "$TMP/broker/mosquitto.conf" >/dev/null 2>&1 &
  MOSQUITTO_PID=$!
  BROKER_PIDS+=("$MOSQUITTO_PID")
  wait_port "$MOSQUITTO_PORT" 10
}
mkdir -p "$TMP/broker"
MOSQUITTO_PORT=$(free_port)
printf '%s\n' "listener $MOSQUITTO_PORT 127.0.0.1" "allow_anonymous true" "persistence true" "user $(id -un)" \
  "persistence_location $TMP/broker/" "max_queued_messages 100000" "log_dest file $TMP/broker/mosquitto.log" \
  >"$TMP/broker/mosquitto.conf"
broker_start || die "mosquitto did not start"

c2_database c2
c2_init sk || die "init"
c2_start c2 --lease 5 || die "e4c2 did not start"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)

# the fleet: N simulated devices, imported into C2, members of "fleet"
"$E4SIM" --generate "$N" --prefix dev --out "$TMP/devices.jsonl" || die "e4sim --generate"
"$E4CTL" client import "$TMP/devices.jsonl" >/dev/null || die "client import"
"$E4CTL" topic add fleet >/dev/null
mkfifo "$TMP/sim.in"
"$E4SIM" run --devices "$TMP/devices.jsonl" --broker "127.0.0.1:$MOSQUITTO_PORT" --quiet \
  <"$TMP/sim.in" >"$TMP/sim.out" 2>"$TMP/sim.err" &
PIDS+=("$!")
exec {SIM}>"$TMP/sim.in"
FD[sim]=$SIM
wait_for sim '^ready' 0 || die "e4sim not ready"

key_id() { "$E4CTL" topic show fleet --json | json_get key_id; }
# sim_wait KEYID: every device holds that key of "fleet"
sim_wait() {
  local from
  from=$(mark sim)
  printf 'wait fleet %s %d %d\n' "$1" "$N" "$TIMEOUT" >&"$SIM"
  wait_for sim "^(ok|timeout) fleet $1" "$from" && tail -n +"$((from + 1))" "$TMP/sim.out" | grep -q "^ok fleet $1"
}

"$E4CTL" topic join fleet $(python3 -c "print(' '.join('dev-%d' % i for i in range(1, $N + 1)))") >/dev/null ||
  die "join"
check "all $N devices got the topic key" 'sim_wait "$(key_id)"'

# ---- SIGKILL in the middle of a rotation ------------------------------------
"$E4CTL" topic rotate fleet >/dev/null || die "rotate"
kill -9 "$C2_PID"
c2_start c2 --lease 5 || die "e4c2 did not restart"
check "after SIGKILL and restart every member holds the new key" 'sim_wait "$(key_id)"'

# ---- the broker down for 10 s during rotations ---------------------------------
stop_pid "$MOSQUITTO_PID"
for i in 1 2 3; do "$E4CTL" topic rotate fleet >/dev/null || die "rotate $i while the broker is down"; done
check "commands wait while the broker is down" '[ "$("$E4CTL" status --json | json_get outbox.pending)" -ge "$N" ]'
sleep 10
broker_start || die "mosquitto did not restart"
check "after the broker came back every device holds the last key (in order)" 'sim_wait "$(key_id)"'

# ---- a command queued for 15 minutes ------------------------------------------
CLIENT_OPTS=(--broker "127.0.0.1:$MOSQUITTO_PORT")
DEVKEY=$("$E4CTL" client add late --json | json_get key)
client_start late --name late --key "$DEVKEY" --subscribe fleet
stop_pid "$MOSQUITTO_PID"
"$E4CTL" topic join fleet late >/dev/null || die "join late"
echo "+15m" >"$TMP/clock"
m=$(mark late)
broker_start || die "mosquitto did not restart"
expect late '^command applied' "$m" "a command queued 15 minutes is accepted (protected when sent)"
check "no timestamp error on the device" '! grep -q "timestamp too old" "$TMP/late.out"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
