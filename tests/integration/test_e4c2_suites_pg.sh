#!/usr/bin/env bash
# pq-pk epochs with two e4c2 processes on one PostgreSQL: rekeys through one
# and topic rotations through the other, at the same time, make each client
# a key establishment before its first command after each rekey; every
# client's establishments carry the epochs 1, 2, 3... once each, in the
# order they were queued, and the client row holds the last one.
C2_TEST=suites-pg
TIMEOUT_DEFAULT=60
C2_WITH_PG=1
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"
N=4      # clients
ROUNDS=5 # rekeys of each client, while rotations run through the other process

start_mosquitto "$TMP/broker" || die "mosquitto"
start_postgres "$TMP/pg" || die "postgres"
C2_BACKEND=pg c2_database c2
c2_init pq-pk || die "init --mode pq-pk on PostgreSQL"
c2_start one || die "e4c2 one"
URL_ONE=$E4C2_URL
c2_start two || die "e4c2 two"
URL_TWO=$E4C2_URL
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)

for i in $(seq "$N"); do
  E4C2_URL=$URL_ONE "$E4CTL" client add "dev-$i" >/dev/null || die "client add"
done
E4C2_URL=$URL_TWO "$E4CTL" topic add fleet >/dev/null || die "topic add"
E4C2_URL=$URL_ONE "$E4CTL" topic join fleet $(seq -f 'dev-%g' "$N") >/dev/null || die "join"

( for r in $(seq "$ROUNDS"); do
    for i in $(seq "$N"); do E4C2_URL=$URL_ONE "$E4CTL" client rekey "dev-$i" >/dev/null || exit 1; done
  done ) &
rekeys=$!
( for r in $(seq $((2 * ROUNDS))); do
    E4C2_URL=$URL_TWO "$E4CTL" topic rotate fleet >/dev/null || exit 1
  done ) &
rotations=$!
wait "$rekeys"; rk=$?
wait "$rotations"; rt=$?
check "rekeys through one process, rotations through the other: all done" '[ $rk -eq 0 ] && [ $rt -eq 0 ]'
# one more rotation after the last rekeys: each client's last establishment
E4C2_URL=$URL_TWO "$E4CTL" topic rotate fleet >/dev/null || die "rotate"

# epochs NAME: the client's establishments' epochs, in queue order
epochs() {
  api GET "/v1/clients/$1/commands?limit=1000" | python3 -c 'import json,sys
print(" ".join(str(c["epoch"]) for c in sorted(json.load(sys.stdin)["items"], key=lambda c: c["seq"]) if c["command"] == "key_establishment"))'
}
for i in $(seq "$N"); do
  got=$(epochs "dev-$i")
  want=$(seq -s ' ' 1 "$(echo "$got" | wc -w)")
  check "dev-$i: epochs 1..n once each, in order ($got)" '[ -n "$got" ] && [ "$got" = "$want" ]'
  check "dev-$i: at least one establishment per rekey" '[ "$(echo "$got" | wc -w)" -ge $((ROUNDS + 1)) ]'
  check "dev-$i: the client row holds the last epoch" \
    '[ "$(E4C2_URL=$URL_ONE "$E4CTL" client show "dev-$i" --json | json_get epoch)" = "$(echo "$got" | awk "{print \$NF}")" ]'
done
check "every command went out (both processes publish)" \
  'wait_until "[ \"\$(\"\$E4CTL\" status --json | json_get outbox.pending)\" = 0 ]"'
c2_done
