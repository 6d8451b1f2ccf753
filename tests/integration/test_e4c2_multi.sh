#!/usr/bin/env bash
# Two e4c2 processes on one PostgreSQL share the outbox: while both run, no
# command is sent twice (the broker carries exactly one message per command);
# when one is killed with SIGKILL in the middle of a rotation, the other
# sends everything, in order per client.
C2_TEST=multi
TIMEOUT_DEFAULT=60
C2_WITH_PG=1
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"
N=${E4C2_TEST_MEMBERS:-1000}

start_mosquitto "$TMP/broker" "allow_anonymous true" "max_queued_messages 100000" || die "mosquitto"
start_postgres "$TMP/pg" || die "postgres"
C2_BACKEND=pg c2_database c2
c2_init sk || die "init"
c2_start one --lease ${C2_LEASE:-10} || die "e4c2 one"
URL_ONE=$E4C2_URL; PID_ONE=$C2_PID
c2_start two --lease ${C2_LEASE:-10} || die "e4c2 two"
URL_TWO=$E4C2_URL; PID_TWO=$C2_PID
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)

# every command on the wire, counted by a plain subscriber (the devices'
# receipts, on e4/<id>/receipts, are left out when counting)
mosquitto_sub -h 127.0.0.1 -p "$MOSQUITTO_PORT" -q 2 -t 'e4/#' -F '%t' >"$TMP/wire.out" 2>/dev/null &
PIDS+=("$!")
sleep 0.3

"$E4SIM" --generate "$N" --prefix dev --out "$TMP/devices.jsonl" || die "generate"
E4C2_URL=$URL_ONE "$E4CTL" client import "$TMP/devices.jsonl" >/dev/null || die "import"
E4C2_URL=$URL_TWO "$E4CTL" topic add fleet >/dev/null || die "topic add via the second process"
sim_start "$TMP/devices.jsonl"
key_id() { E4C2_URL=$URL_TWO "$E4CTL" topic show fleet --json | json_get key_id; }
fleet_wait() { sim_wait fleet "$1" "$N"; }

E4C2_URL=$URL_ONE "$E4CTL" topic join fleet $(python3 -c "print(' '.join('dev-%d' % i for i in range(1, $N + 1)))") \
  >/dev/null || die "join"
check "both processes running: every device got the key" 'fleet_wait "$(key_id)"'
E4C2_URL=$URL_TWO "$E4CTL" topic rotate fleet >/dev/null || die "rotate"
check "both processes running: every device got the rotated key" 'fleet_wait "$(key_id)"'
sleep 0.5
sent=$(grep -vc '/receipts$' "$TMP/wire.out")
check "no command sent twice while both run ($sent messages for $((2 * N)) commands)" '[ "$sent" -eq $((2 * N)) ]' ||
  psql "$C2_DB" -c "SELECT repair, attempts, state, count(*) FROM outbox GROUP BY 1, 2, 3 ORDER BY 1, 2, 3" >&2
check "both processes sent commands" \
  '[ "$(grep -c "\"msg\":\"connected" "$TMP/one.log")" -ge 1 ] && [ "$(grep -c "\"msg\":\"connected" "$TMP/two.log")" -ge 1 ]'

# kill one in the middle of a rotation; the other finishes (leases expire)
E4C2_URL=$URL_ONE "$E4CTL" topic rotate fleet >/dev/null || die "rotate 2"
E4C2_URL=$URL_ONE "$E4CTL" topic rotate fleet >/dev/null || die "rotate 3"
kill -9 "$PID_ONE"
check "one killed: the other delivers every command, in order" 'fleet_wait "$(key_id)"' ||
  psql "$C2_DB" -c "SELECT state, lease_owner, attempts, count(*), min(lease_until) - $(date +%s%3N) AS lease_left_ms
                    FROM outbox GROUP BY 1, 2, 3 ORDER BY 1, 2" >&2
pending() { E4C2_URL=$URL_TWO "$E4CTL" status --json | json_get outbox.pending; }
deadline=$(( $(date +%s) + TIMEOUT ))
until [ "$(pending)" = 0 ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.2; done   # marks come in batches
check "the outbox is empty" '[ "$(pending)" = 0 ]'

c2_done
