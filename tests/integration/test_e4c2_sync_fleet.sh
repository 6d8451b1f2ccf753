#!/usr/bin/env bash
# State sync at fleet scale (e4sim, mosquitto, e4c2 on SQLite): 10,000
# devices, 1,000 of them offline while their topic is rotated and back 20
# minutes later (clocks moved with faketime): their queued commands are too
# old, their STATE brings a repair, and all 10,000 end in sync.
C2_TEST=sync-fleet
TIMEOUT_DEFAULT=120
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"
N=${E4C2_TEST_FLEET:-10000}
AWAY=$((N / 10))

FAKETIME_LIB=$(dpkg -L libfaketime 2>/dev/null | grep -m1 'libfaketimeMT.so.1$')
[ -n "$FAKETIME_LIB" ] || die "libfaketime is not installed (scripts/install-deps.sh)"
# the devices' STATEs come in bursts (10,000 at start): C2's receipt
# subscription must not be cut short by the broker's queue limit
start_mosquitto "$TMP/broker" "allow_anonymous true" "max_queued_messages 100000" || die "mosquitto did not start"
echo "+0" >"$TMP/clock"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# (read at every clock call: with a cache, e4c2 was seen to keep the old
# time for seconds). Monotonic clocks stay real: faked, they jump to the
# wall clock's value and timed waits on them (e4sim's receipt thread) end
# late or never.
export LD_PRELOAD="$FAKETIME_LIB" FAKETIME_TIMESTAMP_FILE="$TMP/clock" FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1
move_clock() { echo "$1" >"$TMP/clock"; }

c2_database c2
c2_init sk || die "init"
c2_start c2 || die "e4c2 did not start"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)

in_sync() { "$E4CTL" status --json | json_get sync.in_sync; }
wait_in_sync() { # COUNT
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(in_sync)" -ge "$1" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "in sync: $(in_sync) of $1" >&2; return 1; }
    sleep 0.2
  done
}
key_id() { "$E4CTL" topic show fleet --json | json_get key_id; }

"$E4SIM" --generate "$N" --prefix dev --out "$TMP/devices.jsonl" || die "e4sim --generate"
"$E4CTL" client import "$TMP/devices.jsonl" >/dev/null || die "client import"
"$E4CTL" topic add fleet >/dev/null
SIM_OPTS=(--connections 10)   # offline/online take whole connections: 1,000 devices each
sim_start "$TMP/devices.jsonl"
python3 -c "import json; print(json.dumps({'clients': ['dev-%d' % i for i in range(1, $N + 1)]}))" >"$TMP/join.json"
api POST /v1/topics/fleet/members "$(cat "$TMP/join.json")" >/dev/null
[ "$HTTP_STATUS" = 200 ] || die "join: $HTTP_STATUS $(cat "$TMP/api.body")"
check "all $N devices got the topic key" 'sim_wait fleet "$(key_id)" "$N"'
check "all $N devices are in sync (STATE receipts)" 'wait_in_sync "$N"'

printf 'offline 0 %d\n' "$AWAY" >&"${FD[sim]}"
wait_for sim '^offline' 0 || die "e4sim offline"
"$E4CTL" topic rotate fleet >/dev/null || die "rotate"
check "the $((N - AWAY)) online devices hold the new key" 'sim_wait fleet "$(key_id)" "$((N - AWAY))"'
# (before the clock moves: a STATE on its way would arrive 20 minutes old)
check "and C2 has their STATE: $((N - AWAY)) in sync" 'wait_in_sync "$((N - AWAY))"'
move_clock +20m
m=$(mark sim)
printf 'online 0 %d\n' "$AWAY" >&"${FD[sim]}"
wait_for sim '^online' "$m" || die "e4sim online"
check "all $N devices hold the new key after the repairs" 'sim_wait fleet "$(key_id)" "$N"'
check "all $N devices are in sync" 'wait_in_sync "$N"'
m=$(mark sim)
echo stats >&"${FD[sim]}"
wait_for sim '^stats' "$m" >/dev/null
check "the devices that were away rejected their queued command as too old" \
  'tail -n +"$((m + 1))" "$TMP/sim.out" | grep -Eq "timestamp_too_old=([0-9]{3,})"'
check "C2 repaired them" '[ "$(curl -sS -H "Authorization: Bearer $E4C2_TOKEN" "$E4C2_URL/metrics" | awk "/^e4c2_repairs_total/ {print \$2}")" -ge "$AWAY" ]'

c2_done
