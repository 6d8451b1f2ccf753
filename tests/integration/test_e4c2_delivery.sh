#!/usr/bin/env bash
# e4c2 delivers every command, in order, whatever fails (SQLite, mosquitto
# with persistence, the e4sim device simulator and `e4 client`):
#  - e4c2 killed with SIGKILL in the middle of rotating a topic with 1,000
#    members: after a restart every member holds the new key;
#  - the broker stopped during rotations and started again 10 s later: every
#    command delivered, in order (the last key wins on every device);
#  - a command queued for 15 minutes while the broker is down is still
#    accepted: it is protected when sent (clocks moved with faketime).
C2_TEST=delivery
TIMEOUT_DEFAULT=60
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"
N=${E4C2_TEST_MEMBERS:-1000}

FAKETIME_LIB=$(dpkg -L libfaketime 2>/dev/null | grep -m1 'libfaketimeMT.so.1$')
[ -n "$FAKETIME_LIB" ] || die "libfaketime is not installed (scripts/install-deps.sh)"
echo "+0" >"$TMP/clock"
# every process here runs on the clock in $TMP/clock (in sanitizer builds
# libfaketime comes before the ASan runtime: let it)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
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
sim_start "$TMP/devices.jsonl"

key_id() { "$E4CTL" topic show fleet --json | json_get key_id; }
fleet_wait() { sim_wait fleet "$1" "$N"; }

"$E4CTL" topic join fleet $(python3 -c "print(' '.join('dev-%d' % i for i in range(1, $N + 1)))") >/dev/null ||
  die "join"
check "all $N devices got the topic key" 'fleet_wait "$(key_id)"'

# ---- SIGKILL in the middle of a rotation ------------------------------------
"$E4CTL" topic rotate fleet >/dev/null || die "rotate"
kill -9 "$C2_PID"
c2_start c2 --lease 5 || die "e4c2 did not restart"
check "after SIGKILL and restart every member holds the new key" 'fleet_wait "$(key_id)"'

# ---- SIGTERM in the middle of a rotation: in-flight sends finish, a clean exit
"$E4CTL" topic rotate fleet >/dev/null || die "rotate"
kill -TERM "$C2_PID"
wait "$C2_PID"
check "SIGTERM: e4c2 exits 0" '[ $? -eq 0 ]'
check "SIGTERM: it said it finished what was in flight" 'grep -q "\"stopped\"" "$TMP/c2.log"'
c2_start c2 --lease 5 || die "e4c2 did not restart"
check "after SIGTERM and restart every member holds the new key" 'fleet_wait "$(key_id)"'

# ---- the broker down for 10 s during rotations ---------------------------------
stop_pid "$MOSQUITTO_PID"
for i in 1 2 3; do "$E4CTL" topic rotate fleet >/dev/null || die "rotate $i while the broker is down"; done
check "commands wait while the broker is down" '[ "$("$E4CTL" status --json | json_get outbox.pending)" -ge "$N" ]'
sleep 10
broker_start || die "mosquitto did not restart"
check "after the broker came back every device holds the last key (in order)" 'fleet_wait "$(key_id)"'

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

c2_done
