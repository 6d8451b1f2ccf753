#!/usr/bin/env bash
# `e4 client` receipts (docs/receipts.md) on a real mosquitto, read by a
# spy subscribed to e4/+/receipts and opened by e4_test_receipt_open (the
# C2 side of libe4); digests, topic hashes and key checks are recomputed
# here with Python's SHA3:
#  - a STATE once connected; an APPLIED for an applied command (its digest,
#    result 0) and one for a refused command (result 21), none for a
#    command under the wrong key; a STATE about a second after each burst of
#    control messages, one per burst, listing exactly the current keys;
#  - after a restart from the state file and after a broker restart
#    (reconnection), a STATE again;
#  - --state-interval; --json --verbose receipt lines; public-key mode (public
#    keys, C2 key check);
#  - --no-receipts publishes nothing on the receipt topic.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"
OPEN="$E4_BIN_DIR/e4_test_receipt_open"

# shellcheck source=brokers.sh
source "$E4_SRC_DIR/tests/integration/brokers.sh"
# shellcheck source=e4_clients.sh
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
e4_test_init e4-receipts "$E4" "$OPEN" mosquitto mosquitto_pub mosquitto_sub python3

conf=("allow_anonymous true")
e4_test_broker "${conf[@]}"

# The spy: everything on receipt topics, "topic hex" per line. Ready once a
# probe it publishes comes back.
: >"$TMP/receipts.log"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -t 'e4/+/receipts' -F '%t %x' >"$TMP/receipts.log" 2>"$TMP/spy.err" &
PIDS+=("$!")
for _ in $(seq 100); do
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -t e4/probe/receipts -m probe
  grep -q '^e4/probe/receipts ' "$TMP/receipts.log" && break
  sleep 0.1
done
grep -q '^e4/probe/receipts ' "$TMP/receipts.log" || die "the spy does not receive"

sha3() { python3 -c 'import hashlib,sys; print(hashlib.sha3_256(sys.stdin.buffer.read()).hexdigest()[:int(sys.argv[1])])' "$1"; }
topic_hash() { printf '%s' "$1" | sha3 32; }
check_of() { { printf 'e4-check-v1'; printf '%s' "$1" | xxd -r -p; } | sha3 16; }
digest_of() { sha3 32 <"$1"; }
# opened ID [OPEN ARGS]: the receipts of client ID, opened with the given key
opened() {
  local id=$1
  shift
  grep "^e4/$id/receipts " "$TMP/receipts.log" | "$OPEN" "$@"
}
# count ID KIND KEYARGS...: how many KIND receipts of ID opened
count() { local id=$1 kind=$2; shift 2; opened "$id" "$@" | grep -c " $kind " || true; }
# wait_count ID KIND N KEYARGS...: until at least N (bounded)
wait_count() {
  local id=$1 kind=$2 n=$3 deadline=$(( $(date +%s) + TIMEOUT ))
  shift 3
  until [ "$(count "$id" "$kind" "$@")" -ge "$n" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
last() { local id=$1 kind=$2; shift 2; opened "$id" "$@" | grep " $kind " | tail -n 1; }
c2() { # ID FILE: publish the command in FILE on e4/ID, QoS 2
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 2 -t "e4/$1" -f "$2" || die "publishing $2"
}

# ======================= SK device with a state file =========================
K=$(key); TK=$(key); WRONG=$(key)
ID=$("$E4" id rc-dev)
client_start dev --name rc-dev --key "$K" --state "$TMP/dev.state" --verbose

wait_count "$ID" state 1 "$K" && ok || ko "no STATE after connecting"
last "$ID" state "$K" | grep -Eq " topics=0 pubkeys=0 c2=0000000000000000$" && ok || ko "first STATE: $(last "$ID" state "$K")"
expect dev "^receipt state e4/$ID/receipts topics=0 pubkeys=0$" 0 "--verbose: no receipt state line"
grep -q "^e4/$ID/receipts error" <(opened "$ID" "$WRONG") && ok || ko "a receipt opened under a wrong key"

# an applied command: APPLIED with its digest, then the burst STATE
"$E4" command set-topic-key room "$TK" --client-key "$K" >"$TMP/cmd1.bin"
s0=$(count "$ID" state "$K")
c2 "$ID" "$TMP/cmd1.bin"
expect dev "^command applied e4/$ID$" 0 "set-topic-key not applied"
wait_count "$ID" applied 1 "$K" && ok || ko "no APPLIED"
last "$ID" applied "$K" | grep -q " digest=$(digest_of "$TMP/cmd1.bin") result=0$" && ok ||
  ko "APPLIED: $(last "$ID" applied "$K")"
expect dev "^receipt applied e4/$ID/receipts result=0$" 0 "--verbose: no receipt applied line"
wait_count "$ID" state $((s0 + 1)) "$K" && ok || ko "no STATE after the command"
last "$ID" state "$K" | grep -Eq " topics=1 pubkeys=0 c2=0{16} $(topic_hash room):$(check_of "$TK")$" && ok ||
  ko "STATE after the command: $(last "$ID" state "$K")"

# a command that authenticates but is refused: result 21 (invalid argument length)
{ printf '\003'; head -c 40 /dev/urandom; } | "$E4" protect --key "$K" >"$TMP/bad.bin"
m=$(mark dev)
c2 "$ID" "$TMP/bad.bin"
expect dev "^error command e4/$ID: invalid command argument length$" "$m" "the bad command was not refused"
wait_count "$ID" applied 2 "$K" && ok || ko "no APPLIED for the refused command"
last "$ID" applied "$K" | grep -q " digest=$(digest_of "$TMP/bad.bin") result=21$" && ok ||
  ko "refusal: $(last "$ID" applied "$K")"

# under the wrong key: no APPLIED, but a STATE (the device saw something)
sleep 1.2
s0=$(count "$ID" state "$K")
"$E4" command set-topic-key room "$(key)" --client-key "$WRONG" >"$TMP/wrong.bin"
m=$(mark dev)
c2 "$ID" "$TMP/wrong.bin"
expect dev "^error command e4/$ID: message not authentic" "$m" "the wrong-key command was not rejected"
wait_count "$ID" state $((s0 + 1)) "$K" && ok || ko "no STATE after a rejected message"
[ "$(count "$ID" applied "$K")" -eq 2 ] && ok || ko "an APPLIED for a command under the wrong key"

# a burst of five commands: five APPLIED, one STATE with all six topics
sleep 1.2
s0=$(count "$ID" state "$K")
for i in 1 2 3 4 5; do "$E4" command set-topic-key "t$i" "$(key)" --client-key "$K" >"$TMP/b$i.bin"; done
for i in 1 2 3 4 5; do c2 "$ID" "$TMP/b$i.bin"; done
wait_count "$ID" applied 7 "$K" && ok || ko "burst: $(count "$ID" applied "$K") APPLIED"
wait_count "$ID" state $((s0 + 1)) "$K" && ok || ko "no STATE after the burst"
sleep 2.5
[ "$(count "$ID" state "$K")" -eq $((s0 + 1)) ] && ok || ko "burst: $(( $(count "$ID" state "$K") - s0 )) STATEs, not 1"
last "$ID" state "$K" | grep -q " topics=6 pubkeys=0 " && ok || ko "STATE after the burst: $(last "$ID" state "$K")"
# STATEs are at least a second apart
opened "$ID" "$K" | grep ' state ' | sed 's/.* ts=\([0-9]*\).*/\1/' |
  awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad }' && ok || ko "two STATEs in one second"

# restart from the state file: a STATE with what it kept
client_stop dev
s0=$(count "$ID" state "$K")
client_start dev --state "$TMP/dev.state" --verbose
wait_count "$ID" state $((s0 + 1)) "$K" && ok || ko "no STATE after restarting"
last "$ID" state "$K" | grep -q " topics=6 pubkeys=0 " && ok || ko "STATE after restart: $(last "$ID" state "$K")"

# ======================= --state-interval =====================================
KI=$(key)
IDI=$("$E4" id rc-tick)
client_start tick --name rc-tick --key "$KI" --state-interval 1
sleep 3.5
n=$(count "$IDI" state "$KI")
[ "$n" -ge 3 ] && [ "$n" -le 5 ] && ok || ko "--state-interval 1: $n STATEs in 3.5 s"
grep -q '^receipt' "$TMP/tick.out" && ko "receipt lines without --verbose" || ok
client_stop tick

# ======================= --json --verbose =====================================
KJ=$(key)
IDJ=$("$E4" id rc-json)
CLIENT_READY='"event":"ready"'
client_start js --json --verbose --name rc-json --key "$KJ"
CLIENT_READY='^ready '
expect js "^\\{\"event\":\"receipt\",\"kind\":\"state\",\"topic\":\"e4/$IDJ/receipts\",\"topics\":0,\"pubkeys\":0\\}$" 0 \
  "--json --verbose: no receipt event"
client_stop js

# ======================= public-key mode ======================================
"$E4" keygen --type x25519 >"$TMP/c2.keys"
C2PRIV=$(sed -n 's/^private: //p' "$TMP/c2.keys"); C2PUB=$(sed -n 's/^public: //p' "$TMP/c2.keys")
"$E4" keygen --type ed25519 >"$TMP/pk.keys"
PPRIV=$(sed -n 's/^private: //p' "$TMP/pk.keys"); PPUB=$(sed -n 's/^public: //p' "$TMP/pk.keys")
"$E4" keygen --type ed25519 >"$TMP/signer.keys"
SPUB=$(sed -n 's/^public: //p' "$TMP/signer.keys")
IDP=$("$E4" id rc-pk); SID=$("$E4" id rc-signer)
client_start pk --name rc-pk --sign-key "$PPRIV" --c2-pubkey "$C2PUB"
wait_count "$IDP" state 1 --pk "$C2PRIV" "$PPUB" && ok || ko "PK: no STATE"
last "$IDP" state --pk "$C2PRIV" "$PPUB" | grep -Eq " topics=0 pubkeys=0 c2=$(check_of "$C2PUB")$" && ok ||
  ko "PK STATE: $(last "$IDP" state --pk "$C2PRIV" "$PPUB")"
"$E4" command set-pubkey rc-signer "$SPUB" --c2-key "$C2PRIV" --client-pubkey "$PPUB" >"$TMP/pk1.bin"
s0=$(count "$IDP" state --pk "$C2PRIV" "$PPUB")
c2 "$IDP" "$TMP/pk1.bin"
wait_count "$IDP" applied 1 --pk "$C2PRIV" "$PPUB" && ok || ko "PK: no APPLIED"
last "$IDP" applied --pk "$C2PRIV" "$PPUB" | grep -q " digest=$(digest_of "$TMP/pk1.bin") result=0$" && ok ||
  ko "PK APPLIED: $(last "$IDP" applied --pk "$C2PRIV" "$PPUB")"
wait_count "$IDP" state $((s0 + 1)) --pk "$C2PRIV" "$PPUB" && ok || ko "PK: no STATE after set-pubkey"
last "$IDP" state --pk "$C2PRIV" "$PPUB" | grep -Eq " topics=0 pubkeys=1 c2=[0-9a-f]{16} $SID:$(check_of "$SPUB")$" && ok ||
  ko "PK STATE after set-pubkey: $(last "$IDP" state --pk "$C2PRIV" "$PPUB")"
client_stop pk

# ======================= --no-receipts ========================================
KQ=$(key)
IDQ=$("$E4" id rc-quiet)
client_start quiet --name rc-quiet --key "$KQ" --no-receipts --verbose
"$E4" command set-topic-key room "$(key)" --client-key "$KQ" >"$TMP/q.bin"
c2 "$IDQ" "$TMP/q.bin"
expect quiet "^command applied e4/$IDQ$" 0 "--no-receipts: command not applied"
sleep 2
grep -q "^e4/$IDQ/" "$TMP/receipts.log" && ko "--no-receipts published a receipt" || ok
grep -q '^receipt' "$TMP/quiet.out" && ko "--no-receipts printed receipt lines" || ok
client_stop quiet

# ======================= reconnection (broker restart) ========================
m=$(mark dev)
stop_pid "$MOSQUITTO_PID"
(
  # not holding the clients' stdin pipes open: they would never see EOF
  for fd in "${FD[@]}"; do eval "exec $fd>&-"; done
  exec mosquitto -c "$TMP/broker/mosquitto.conf" >/dev/null 2>&1
) &
MOSQUITTO_PID=$!
BROKER_PIDS+=("$MOSQUITTO_PID")
wait_port "$PORT" 10 || die "mosquitto did not restart"
expect dev "^reconnected$" "$m" "no reconnection"
expect dev "^receipt state e4/$ID/receipts topics=6 pubkeys=0$" "$m" "no STATE after reconnecting"
client_stop dev

echo "test_e4_receipts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
