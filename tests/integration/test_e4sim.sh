#!/usr/bin/env bash
# e4sim on a real mosquitto: a devices file of 200 SK and 10 PK devices made
# by `e4sim --generate`, one simulator process on 4 MQTT connections, and C2
# commands built by `e4 command` and published with mosquitto_pub -q 2 on the
# devices' control topics. The simulator's answers (wait, count, holds,
# stats) must match what was sent: half of the SK devices get a topic key,
# the others hold none; a command under a wrong key is an error and changes
# nothing; key changes and removals move the counts; PK devices take
# commands under the C2 key; a restarted simulator (same devices file, so
# the same MQTT sessions) receives what was published while it was down.
# Key ids are computed here with Python's SHA3-256, independently.
# Receipts: every device sends a STATE once subscribed, an APPLIED for each
# command that authenticated (none under a wrong key), a STATE after its
# commands; they open under the device's receipt key (e4_test_receipt_open)
# and list what it holds; --no-receipts sends none. "offline FROM COUNT"
# takes whole connections away: what is published meanwhile waits in their
# MQTT sessions and is applied after "online", followed by a STATE.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"
SIM="$E4_BIN_DIR/e4sim"
OPEN="$E4_BIN_DIR/e4_test_receipt_open"
TIMEOUT=20

# shellcheck source=brokers.sh
source "$E4_SRC_DIR/tests/integration/brokers.sh"
# shellcheck source=e4_clients.sh
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
e4_test_init e4sim "$E4" "$SIM" "$OPEN" mosquitto mosquitto_pub mosquitto_sub python3

e4_test_broker
DEVICES="$TMP/devices.jsonl"

# everything published on receipt topics, "topic hex" per line
: >"$TMP/receipts.log"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -t 'e4/+/receipts' -F '%t %x' >"$TMP/receipts.log" 2>/dev/null &
PIDS+=("$!")
for _ in $(seq 100); do
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -t e4/probe/receipts -m probe
  grep -q '^e4/probe/receipts ' "$TMP/receipts.log" && break
  sleep 0.1
done
grep -q '^e4/probe/receipts ' "$TMP/receipts.log" || die "the receipt spy does not receive"
# receipts_of NAME KIND: NAME's receipts of that kind, opened (one per line)
receipts_of() {
  local args=("${KEY[$1]}")
  [ "${KEY[$1]}" = - ] && args=(--pk "$C2PRIV" "${PUB[$1]}")
  grep "^e4/${ID[$1]}/receipts " "$TMP/receipts.log" | "$OPEN" "${args[@]}" | grep " $2 "
}
# wait_receipt NAME KIND REGEX: until one of them matches (bounded)
wait_receipt() {
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until receipts_of "$1" "$2" | grep -Eq -- "$3"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
# wait_receipts NAME KIND N: until NAME sent at least N of them (bounded)
wait_receipts() {
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(receipts_of "$1" "$2" | wc -l)" -ge "$3" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
topic_hash() { python3 -c 'import hashlib,sys; print(hashlib.sha3_256(sys.argv[1].encode()).hexdigest()[:32])' "$1"; }
check_of() { python3 -c 'import hashlib,sys; print(hashlib.sha3_256(b"e4-check-v1" + bytes.fromhex(sys.argv[1])).hexdigest()[:16])' "$1"; }

# sim_start NAME OPTION...: an e4sim fed through a named pipe (the FD/CPID
# bookkeeping of e4_clients.sh); waits for "ready".
sim_start() {
  local name=$1 fd
  shift
  rm -f "$TMP/$name.in"
  mkfifo "$TMP/$name.in"
  : >"$TMP/$name.out"
  (
    for fd in "${FD[@]}"; do eval "exec $fd>&-"; done
    exec "$SIM" run --broker "127.0.0.1:$PORT" --devices "$DEVICES" "$@" \
      <"$TMP/$name.in" >>"$TMP/$name.out" 2>"$TMP/$name.err"
  ) &
  CPID[$name]=$!
  PIDS+=("$!")
  exec {fd}>"$TMP/$name.in"
  FD[$name]=$fd
  wait_for "$name" '^ready |"event":"ready"' 0 || die "$name is not ready: $(cat "$TMP/$name.err")"
}
# ask NAME LINE REGEX DESCRIPTION: send a command, expect the next answer.
ask() {
  local m
  m=$(mark "$1")
  send "$1" "$2"
  expect "$1" "$3" "$m" "$4: '$2' gave: $(tail -n +"$((m + 1))" "$TMP/$1.out" | head -n 1)"
}
# ask_until NAME LINE REGEX DESCRIPTION: the same, asked again until the
# answer matches (for effects of messages still on their way).
ask_until() {
  local m deadline=$(( $(date +%s) + TIMEOUT ))
  while :; do
    m=$(mark "$1")
    send "$1" "$2"
    wait_for "$1" '.' "$m" 2>/dev/null || break
    tail -n +"$((m + 1))" "$TMP/$1.out" | head -n 1 | grep -Eq -- "$3" && { ok; return; }
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.1
  done
  ko "$4: '$2' gave: $(tail -n 1 "$TMP/$1.out")"
}
key_id() { python3 -c 'import hashlib,sys; print(hashlib.sha3_256(bytes.fromhex(sys.argv[1])).hexdigest()[:16])' "$1"; }
pub_cmd() { mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 2 -t "e4/$1" -s || die "mosquitto_pub e4/$1"; }
# sk_cmd NAME COMMAND ARGS...: a command for an SK device, under its key.
sk_cmd() {
  local name=$1
  shift
  "$E4" command "$@" --client-key "${KEY[$name]}" | pub_cmd "${ID[$name]}"
}

# ---- the devices file -------------------------------------------------------
"$E4" keygen --type x25519 >"$TMP/c2.keys"
C2PRIV=$(sed -n 's/^private: //p' "$TMP/c2.keys"); C2PUB=$(sed -n 's/^public: //p' "$TMP/c2.keys")
"$SIM" --generate 200 --prefix sk --out "$TMP/sk.jsonl" || die "generate sk"
"$SIM" --generate 10 --prefix pk --mode pk --c2-pubkey "$C2PUB" >"$TMP/pk.jsonl" || die "generate pk"
cat "$TMP/sk.jsonl" "$TMP/pk.jsonl" >"$DEVICES"
[ "$(stat -c %a "$TMP/sk.jsonl")" = 600 ] && ok || ko "--out file mode $(stat -c %a "$TMP/sk.jsonl")"
[ "$(wc -l <"$DEVICES")" -eq 210 ] && ok || ko "devices file lines"

declare -A ID KEY PUB
while read -r name id key pub; do
  ID[$name]=$id KEY[$name]=$key PUB[$name]=$pub
done < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print(d["name"], d["id"], d.get("key", "-"), d.get("pubkey", "-"))' "$DEVICES")
[ "${ID[sk-7]}" = "$("$E4" id sk-7)" ] && ok || ko "generated id is not e4_hash_id(name)"

# ---- SetTopicKey for half of the SK devices --------------------------------
sim_start sim --connections 4
grep -q '^ready 210$' "$TMP/sim.out" && ok || ko "ready line: $(head -n 1 "$TMP/sim.out")"
TK1=$(key); KID1=$(key_id "$TK1")
for i in $(seq 1 100); do sk_cmd "sk-$i" set-topic-key fleet/t1 "$TK1"; done
ask sim "wait fleet/t1 $KID1 100 $TIMEOUT" "^ok fleet/t1 $KID1 100 [0-9]+$" "100 devices did not get the key"
ask sim "count fleet/t1 $KID1" '^count 100$' "count after 100 commands"
ask sim "holds sk-1 fleet/t1" "^holds sk-1 fleet/t1 $KID1$" "sk-1 holds the key"
ask sim "holds sk-100 fleet/t1" "^holds sk-100 fleet/t1 $KID1$" "sk-100 holds the key"
ask sim "holds sk-150 fleet/t1" '^holds sk-150 fleet/t1 none$' "sk-150 got no command"
ask sim "holds sk-1 fleet/other" '^holds sk-1 fleet/other none$' "another topic"
ask sim "wait fleet/t1 $KID1 101 0.3" "^timeout fleet/t1 $KID1 100$" "wait beyond the devices that got it"
ask sim "stats" '^stats commands=100 errors=0$' "stats after 100 commands"

# ---- receipts: STATE once subscribed, APPLIED per command, STATE after it ----
ask_until sim "receipts" '^receipts applied=100 state=[0-9]+ failed=0$' "APPLIED receipts"
wait_receipt sk-150 state " topics=0 pubkeys=0 c2=0{16}$" && ok || ko "sk-150: no STATE after subscribing"
wait_receipt pk-6 state " topics=0 pubkeys=0 c2=$(check_of "$C2PUB")$" && ok || ko "pk-6: no STATE with the C2 key check"
wait_receipt sk-1 applied " result=0$" && ok || ko "sk-1: no APPLIED"
wait_receipt sk-1 state " topics=1 pubkeys=0 c2=0{16} $(topic_hash fleet/t1):$(check_of "$TK1")$" && ok ||
  ko "sk-1: STATE after the command: $(receipts_of sk-1 state | tail -n 1)"

# ---- a command under a wrong key: an error, nothing applied -----------------
"$E4" command set-topic-key fleet/t1 "$TK1" --client-key "${KEY[sk-151]}" | pub_cmd "${ID[sk-150]}"
ask sim "wait fleet/t1 $KID1 101 1" "^timeout fleet/t1 $KID1 100$" "wrong key: applied anyway"
ask sim "holds sk-150 fleet/t1" '^holds sk-150 fleet/t1 none$' "wrong key: sk-150 holds a key"
ask_until sim "stats" '^stats commands=100 errors=1 not_authentic=1$' "wrong key: not counted as not_authentic"
# not a protected message at all
printf 'garbage' | pub_cmd "${ID[sk-150]}"
ask_until sim "stats" '^stats commands=100 errors=2 too_short=1 not_authentic=1$' "garbage not counted"
wait_receipts sk-150 state 2 && ok ||
  ko "sk-150: no STATE after the rejected messages"
[ -z "$(receipts_of sk-150 applied)" ] && ok || ko "sk-150: an APPLIED for messages that did not authenticate"

# ---- key change and removal move the counts ---------------------------------
TK2=$(key); KID2=$(key_id "$TK2")
sk_cmd sk-1 set-topic-key fleet/t1 "$TK2"
sk_cmd sk-2 remove-topic fleet/t1
ask sim "wait fleet/t1 $KID2 1 $TIMEOUT" "^ok fleet/t1 $KID2 1 " "key change"
# (wait only waits for a count to grow: the old key's count falls to 98)
ask_until sim "count fleet/t1 $KID1" '^count 98$' "count of the old key after change and removal"
ask sim "holds sk-1 fleet/t1" "^holds sk-1 fleet/t1 $KID2$" "sk-1 holds the new key"
ask sim "holds sk-2 fleet/t1" '^holds sk-2 fleet/t1 none$' "sk-2 after remove-topic"

# ---- PK devices: commands under the C2 key -----------------------------------
TK3=$(key); KID3=$(key_id "$TK3")
for i in 1 2 3 4 5; do
  "$E4" command set-topic-key fleet/pk "$TK3" --c2-key "$C2PRIV" --client-pubkey "${PUB[pk-$i]}" |
    pub_cmd "${ID[pk-$i]}"
done
ask sim "wait fleet/pk $KID3 5 $TIMEOUT" "^ok fleet/pk $KID3 5 " "PK devices"
ask sim "holds pk-6 fleet/pk" '^holds pk-6 fleet/pk none$' "pk-6 got no command"
wait_receipt pk-1 applied " result=0$" && ok || ko "pk-1: no APPLIED under the C2 key"
wait_receipt pk-1 state " topics=1 pubkeys=0 c2=$(check_of "$C2PUB") $(topic_hash fleet/pk):$(check_of "$TK3")$" && ok ||
  ko "pk-1: STATE after the command: $(receipts_of pk-1 state | tail -n 1)"

# ---- offline / online: whole connections; the broker queues meanwhile ----------
# 210 devices on 4 connections: blocks start at devices 0, 53, 105, 158
ask sim "offline 0 10" '^error offline 0 10: not whole connections; connections start at devices 0, 53, 105, 158 ' \
  "a range inside a connection"
ask sim "offline 0 53" '^offline 0 53 connections=1$' "offline 0 53"
ask sim "offline 0 53" '^offline 0 53 connections=0$' "offline twice"
TK5=$(key); KID5=$(key_id "$TK5")
n1=$(grep -c "^e4/${ID[sk-1]}/receipts " "$TMP/receipts.log")
for n in sk-1 sk-2 sk-53 sk-54; do sk_cmd "$n" set-topic-key fleet/away "$TK5"; done
ask sim "wait fleet/away $KID5 1 $TIMEOUT" "^ok fleet/away $KID5 1 " "the device still online (sk-54)"
ask sim "wait fleet/away $KID5 2 1" "^timeout fleet/away $KID5 1$" "an offline device applied a command"
ask sim "holds sk-1 fleet/away" '^holds sk-1 fleet/away none$' "sk-1 is offline"
[ "$(grep -c "^e4/${ID[sk-1]}/receipts " "$TMP/receipts.log")" -eq "$n1" ] && ok || ko "an offline device sent a receipt"
ask sim "online 0 53" '^online 0 53 connections=1$' "online 0 53"
ask sim "wait fleet/away $KID5 4 $TIMEOUT" "^ok fleet/away $KID5 4 " "queued commands not applied after online"
grep -q 'connection 0 .* reconnected: resumed session' "$TMP/sim.err" && ok || ko "online: session not resumed"
wait_receipt sk-53 state " topics=2 pubkeys=0 c2=0{16} .*$(topic_hash fleet/away):$(check_of "$TK5")" && ok ||
  ko "sk-53: no STATE after online: $(receipts_of sk-53 state | tail -n 1)"
ask sim "online 0 53" '^online 0 53 connections=0$' "online twice"

# ---- input errors are answered, not fatal ------------------------------------
ask sim "holds nobody fleet/t1" "^error unknown device 'nobody'$" "unknown device"
ask sim "count fleet/t1 xyz" '^error key id: ' "bad key id"
ask sim "frobnicate" "^error unknown command 'frobnicate'" "unknown command"
ask sim "wait fleet/t1" '^error usage: wait ' "wait usage"
send sim quit
client_stop sim

# ---- the sessions outlive the simulator: commands sent while it is down -------
TK4=$(key); KID4=$(key_id "$TK4")
sk_cmd sk-3 set-topic-key fleet/t4 "$TK4"
sk_cmd sk-199 set-topic-key fleet/t4 "$TK4"
n_receipts=$(wc -l <"$TMP/receipts.log")
sim_start sim2 --connections 4 --json --no-receipts
grep -q '"event":"ready","devices":210' "$TMP/sim2.out" && ok || ko "JSON ready line"
grep -q 'resumed session' "$TMP/sim2.err" && ok || ko "sessions not resumed: $(cat "$TMP/sim2.err")"
ask sim2 "wait fleet/t4 $KID4 2 $TIMEOUT" \
  "^\\{\"event\":\"ok\",\"topic\":\"fleet/t4\",\"key_id\":\"$KID4\",\"count\":2,\"elapsed_ms\":[0-9]+\\}$" \
  "commands published while the simulator was down"
ask sim2 "holds sk-1 fleet/t1" '^\{"event":"holds","name":"sk-1","topic":"fleet/t1","key_id":null\}$' \
  "states are in memory only"
ask sim2 "stats" '^\{"event":"stats","commands":2,"errors":0,"ignored":0,"error_kinds":\{\}\}$' "JSON stats"
ask sim2 "receipts" '^\{"event":"receipts","applied":0,"state":0,"failed":0\}$' "--no-receipts: receipts counted"
[ "$(wc -l <"$TMP/receipts.log")" -eq "$n_receipts" ] && ok || ko "--no-receipts: receipts published"
client_stop sim2

# ---- bad devices files: exit 1, the line named -------------------------------
bad() { # DESCRIPTION REGEX CONTENT
  printf '%s\n' "$3" >"$TMP/bad.jsonl"
  "$SIM" run --broker "127.0.0.1:$PORT" --devices "$TMP/bad.jsonl" </dev/null >/dev/null 2>"$TMP/bad.err"
  local rc=$?
  if [ "$rc" -eq 1 ] && grep -Eq -- "$2" "$TMP/bad.err"; then ok; else ko "$1: status $rc, $(cat "$TMP/bad.err")"; fi
}
L1=$(head -n 1 "$TMP/sk.jsonl"); L2=$(sed -n 2p "$TMP/sk.jsonl")
bad "invalid JSON" 'bad.jsonl:2: invalid JSON' "$L1"$'\n''{"name": '
bad "duplicate" 'bad.jsonl:3: duplicate name "sk-1" \(line 1\)' "$L1"$'\n'"$L2"$'\n'"$L1"
bad "short key" 'bad.jsonl:1: "key": expected 64 hex digits' '{"name":"a","id":"00112233445566778899aabbccddeeff","key":"00"}'
bad "no key" 'bad.jsonl:1: "key" is missing' '{"name":"a","id":"00112233445566778899aabbccddeeff"}'
bad "PK without C2 key" 'bad.jsonl:1: "c2_pubkey" is missing' "$(head -n 1 "$TMP/pk.jsonl" | sed 's/,"c2_pubkey":"[0-9a-f]*"//')"
bad "empty" 'no devices' ''
"$SIM" --help | grep '^Usage: e4sim' >/dev/null && ok || ko "--help"
"$SIM" --version | grep -q '^e4sim ' && ok || ko "--version"
"$SIM" run --devices "$DEVICES" --connections 0 >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "--connections 0"

echo "test_e4sim: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
