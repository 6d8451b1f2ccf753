#!/usr/bin/env bash
# The cipher suites end to end on a real mosquitto (issue 12):
# - fips-sk: two `e4 client --suite fips-sk` devices exchange messages and
#   obey commands built by `e4 command --suite fips-sk`; a plain subscriber
#   on the broker sees only fips-sk ciphertext (0xE4 0x10 header, 38 bytes
#   of overhead) that `e4 unprotect --suite fips-sk` opens; a base-SK device
#   rejects the fips-sk message as wrong suite, a fips-sk device a base one;
#   the suite survives the state file; e4sim --suite fips-sk obeys commands.
# - fips-pk and pq-pk with the tools: messages made by
#   `e4 protect --suite S` with keys from `e4 keygen --suite S` go through
#   the broker and are opened by `e4 unprotect --suite S`; another signer's
#   key, a changed byte and the wrong suite are rejected. Commands built by
#   `e4 command --suite S` (pq-pk: a key establishment, then commands under
#   its epoch key) go through the broker and are opened on the device's side
#   by libe4's stateless functions (e4_test_suite_command_open), with the
#   device's own keys; another device's key, another C2 key and an old
#   epoch's command under the new epoch's key fail.
# - fips-pk and pq-pk devices: two `e4 client --suite S --state FILE` devices
#   (keys from `e4 keygen --suite S`, C2's from `e4 keygen --suite S --c2`)
#   learn each other's public key from set-pubkey commands built by
#   `e4 command --suite S` and exchange signed messages through the broker;
#   the spy sees only the suite's header, the signer's id and ciphertext. In
#   pq-pk a device obeys no command before C2's key establishment, then
#   commands under its epoch; a second establishment replaces it (a command
#   under the previous epoch still works), a replayed one is refused, and
#   all of this survives a restart from the state file. Wrong-suite
#   messages, a --suite contradicting the state, and bad key sets (wrong
#   length, an all-zero part, a point not on P-256) are refused.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"
SIM="$E4_BIN_DIR/e4sim"
PROXY="$E4_BIN_DIR/e4proxy"
OPEN="$E4_BIN_DIR/e4_test_suite_command_open"

# shellcheck source=brokers.sh
source "$E4_SRC_DIR/tests/integration/brokers.sh"
# shellcheck source=e4_clients.sh
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
e4_test_init e4-suites "$E4" "$SIM" "$PROXY" "$OPEN" mosquitto mosquitto_sub mosquitto_pub python3

e4_test_broker

field() { sed -n "s/^$1: //p"; }
unhex() { python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }
# c2 CLIENT_ID ARGS...: `e4 command ARGS`, published with QoS 2.
c2() {
  local id=$1
  shift
  "$E4" command "$@" >"$TMP/cmd.bin" || die "e4 command $*"
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 2 -t "e4/$id" -f "$TMP/cmd.bin" || die "mosquitto_pub"
}
# spied TOPIC: the hex of the last message the spy saw on TOPIC.
spied() { sed -n "s|^$1 ||p" "$TMP/spy.out" | tail -n 1; }
# through_broker TOPIC FILE: publish FILE and wait until the spy has it.
through_broker() {
  local n deadline=$(( $(date +%s) + TIMEOUT ))
  n=$(grep -c "^$1 " "$TMP/spy.out")
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "$1" -f "$2" || die "mosquitto_pub $1"
  until [ "$(grep -c "^$1 " "$TMP/spy.out")" -gt "$n" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { ko "the spy never saw $1"; return 1; }
    sleep 0.05
  done
}

# sim_start NAME OPTION...: an `e4sim run` fed through a named pipe, ready.
sim_start() {
  local name=$1 fd
  shift
  rm -f "$TMP/$name.in"; mkfifo "$TMP/$name.in"; : >"$TMP/$name.out"
  ( for fd in "${FD[@]}"; do eval "exec $fd>&-"; done
    exec "$SIM" run --broker "127.0.0.1:$PORT" --connections 1 "$@" \
      <"$TMP/$name.in" >>"$TMP/$name.out" 2>"$TMP/$name.err" ) &
  CPID[$name]=$!; PIDS+=("$!")
  exec {fd}>"$TMP/$name.in"; FD[$name]=$fd
  wait_for "$name" '^ready ' 0 || die "$name is not ready: $(cat "$TMP/$name.err")"
}
# sim_holds NAME DEVICE TOPIC KEY: e4sim NAME says DEVICE holds KEY for TOPIC (bounded)
sim_holds() {
  local keyid m deadline=$(( $(date +%s) + TIMEOUT ))
  keyid=$(python3 -c 'import hashlib,sys; print(hashlib.sha3_256(bytes.fromhex(sys.argv[1])).hexdigest()[:16])' "$4")
  while [ "$(date +%s)" -lt "$deadline" ]; do
    m=$(mark "$1"); send "$1" "holds $2 $3"
    wait_for "$1" '^holds ' "$m" || return 1
    tail -n +"$((m + 1))" "$TMP/$1.out" | grep "^holds $2 $3 $keyid$" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# ---- the spy: a plain subscriber on the broker -----------------------------
: >"$TMP/spy.out" # exists before the first grep, whenever the subscriber starts
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 2 -t 'fs/#' -t 'pk/#' -F '%t %x' >"$TMP/spy.out" 2>"$TMP/spy.err" &
PIDS+=("$!")
deadline=$(( $(date +%s) + TIMEOUT ))
until grep -q '^fs/probe ' "$TMP/spy.out"; do
  [ "$(date +%s)" -lt "$deadline" ] || die "mosquitto_sub never subscribed"
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -t fs/probe -m probe
  sleep 0.2
done

# ============================== fips-sk =====================================
KA=$("$E4" keygen --suite fips-sk | field key); KB=$(key); KC=$(key); TK1=$(key); TK2=$(key)
[ ${#KA} -eq 64 ] && ok || ko "keygen --suite fips-sk: '$KA'"
BOB=$("$E4" id bob)
CAROL=$("$E4" id carol)

client_start bob --suite fips-sk --name bob --key "$KB" --state "$TMP/bob.state" \
  --topic-key "fs/t1:$TK1" --subscribe fs/t1 --subscribe fs/t2
client_start alice --suite fips-sk --name alice --key "$KA" --topic-key "fs/t1:$TK1" \
  --topic-key "fs/t2:$TK2"
client_start carol --name carol --key "$KC" --topic-key "fs/t1:$TK1" --subscribe fs/t1
grep -q "^ready id=$BOB mode=sk suite=fips-sk control=e4/$BOB$" "$TMP/bob.out" && ok ||
  ko "bob's ready line: $(grep ready "$TMP/bob.out")"
grep -q "^ready id=$CAROL mode=sk control=e4/$CAROL$" "$TMP/carol.out" && ok ||
  ko "carol (base) ready line: $(grep ready "$TMP/carol.out")"

SECRET="valve=open secret-F1"
mb=$(mark bob); mc=$(mark carol)
send alice "pub fs/t1 $SECRET"
expect bob "^message fs/t1 $SECRET\$" "$mb" "bob did not decrypt alice's fips-sk message"
expect carol "^error receive fs/t1: message of another cipher suite" "$mc" \
  "base carol did not reject the fips-sk message as wrong suite"
deadline=$(( $(date +%s) + TIMEOUT ))
until [ -n "$(spied fs/t1)" ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.05; done
seen=$(spied fs/t1)
[ "${#seen}" -eq $(( 2 * (${#SECRET} + 38) )) ] && ok || ko "fips-sk ciphertext length ${#seen}"
[ "${seen:0:4}" = e410 ] && ok || ko "fips-sk header: ${seen:0:4}"
grep -q "$(hex_of "$SECRET")" "$TMP/spy.out" && ko "the broker saw the plaintext" || ok
unhex "$seen" >"$TMP/seen.bin"
opened=$("$E4" unprotect --suite fips-sk --key "$TK1" <"$TMP/seen.bin") && ok || ko "e4 unprotect --suite fips-sk failed"
[ "$opened" = "$SECRET" ] && ok || ko "e4 unprotect --suite fips-sk gave '$opened'"
"$E4" unprotect --key "$TK1" <"$TMP/seen.bin" >/dev/null 2>"$TMP/base-unprotect.err" && ko "base unprotect opened fips-sk" || ok
"$E4" unprotect --suite fips-sk --key "$TK2" <"$TMP/seen.bin" >/dev/null 2>&1 && ko "opened under the wrong key" || ok

# a base message to bob (fips-sk) on the same topic: wrong suite (long
# enough to pass the length check, which comes first)
printf 'a base payload of some length' | "$E4" protect --key "$TK1" >"$TMP/base.bin"
mb=$(mark bob)
through_broker fs/t1 "$TMP/base.bin"
expect bob "^error receive fs/t1: message of another cipher suite" "$mb" "fips-sk bob accepted a base message"

# e4 protect --suite fips-sk is accepted like a client's
printf 'from the tool' | "$E4" protect --suite fips-sk --key "$TK1" >"$TMP/tool.bin"
mb=$(mark bob)
through_broker fs/t1 "$TMP/tool.bin"
expect bob "^message fs/t1 from the tool\$" "$mb" "bob did not open e4 protect --suite fips-sk"

# commands built by e4 command --suite fips-sk
mb=$(mark bob)
send alice "pub fs/t2 before the key"
expect bob "^error receive fs/t2: topic key not found" "$mb" "fs/t2 readable before its key"
mb=$(mark bob)
c2 "$BOB" set-topic-key fs/t2 "$TK2" --suite fips-sk --client-key "$KB"
expect bob "^command applied e4/$BOB\$" "$mb" "fips-sk set-topic-key not applied"
seen=$(od -An -v -tx1 "$TMP/cmd.bin" | tr -d ' \n')
[ "${seen:0:4}" = e410 ] && [ "${#seen}" -eq $(( 2 * (1 + 48 + 38) )) ] && ok ||
  ko "fips-sk command bytes: ${seen:0:8}... (${#seen} hex digits)"
mb=$(mark bob)
send alice "pub fs/t2 after the key"
expect bob "^message fs/t2 after the key\$" "$mb" "set-topic-key did not make fs/t2 readable"
mb=$(mark bob)
c2 "$BOB" remove-topic fs/t1 --suite fips-sk --client-key "$KB"
expect bob "^command applied e4/$BOB\$" "$mb" "fips-sk remove-topic not applied"
mb=$(mark bob)
send alice "pub fs/t1 after removal"
expect bob "^error receive fs/t1: topic key not found" "$mb" "remove-topic: fs/t1 still readable"
# a base command (right key, wrong suite) and a fips-sk one under the wrong key
mb=$(mark bob)
c2 "$BOB" set-topic-key fs/t3 "$TK2" --client-key "$KB"
expect bob "^error command e4/$BOB: message of another cipher suite" "$mb" "base command accepted by fips-sk bob"
mb=$(mark bob)
c2 "$BOB" reset-topics --suite fips-sk --client-key "$KA"
expect bob "^error command e4/$BOB: .*not authentic" "$mb" "fips-sk command under the wrong key"
# carol (base) gets a fips-sk command under her own key: wrong suite
mc=$(mark carol)
c2 "$CAROL" reset-topics --suite fips-sk --client-key "$KC"
expect carol "^error command e4/$CAROL: message of another cipher suite" "$mc" "base carol took a fips-sk command"
# set-id-key, then a command under the new key
KB2=$(key)
mb=$(mark bob)
c2 "$BOB" set-id-key "$KB2" --suite fips-sk --client-key "$KB"
expect bob "^command applied e4/$BOB\$" "$mb" "fips-sk set-id-key not applied"
mb=$(mark bob)
c2 "$BOB" set-topic-key fs/t1 "$TK1" --suite fips-sk --client-key "$KB2"
expect bob "^command applied e4/$BOB\$" "$mb" "command under the new id key not applied"

# the state file keeps the suite
client_stop bob
client_start bob --state "$TMP/bob.state" --subscribe fs/t1
grep -q "^ready id=$BOB mode=sk suite=fips-sk " "$TMP/bob.out" && ok || ko "restarted bob lost its suite"
mb=$(mark bob)
send alice "pub fs/t1 after restart"
expect bob "^message fs/t1 after restart\$" "$mb" "restarted bob cannot read fs/t1"
"$E4" client --suite pq-pk --name x --key "$KA" --broker "127.0.0.1:$PORT" </dev/null >/dev/null 2>"$TMP/pq-client.err"
[ $? -eq 2 ] && grep "\-\-key is the symmetric-key mode" "$TMP/pq-client.err" >/dev/null && ok || ko "client --suite pq-pk --key: $(cat "$TMP/pq-client.err")"
client_stop alice
client_stop carol

# ---- e4sim --suite fips-sk ---------------------------------------------------
"$SIM" --generate 3 --prefix fs --out "$TMP/devices.jsonl" || die "e4sim --generate"
SIMKEY=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["key"])' "$TMP/devices.jsonl")
SIMID=$("$E4" id fs-1)
sim_start sim --suite fips-sk --devices "$TMP/devices.jsonl"
c2 "$SIMID" set-topic-key fs/sim "$TK2" --suite fips-sk --client-key "$SIMKEY"
sim_holds sim fs-1 fs/sim "$TK2" && ok || ko "e4sim --suite fips-sk did not apply the fips-sk command"
c2 "$SIMID" set-topic-key fs/sim2 "$TK2" --client-key "$SIMKEY" # base: 73 bytes, past the length check
deadline=$(( $(date +%s) + TIMEOUT )); counted=no
while [ "$(date +%s)" -lt "$deadline" ]; do
  m=$(mark sim); send sim stats
  wait_for sim '^stats ' "$m" || break
  tail -n +"$((m + 1))" "$TMP/sim.out" | grep -q "wrong_suite=1" && { counted=yes; break; }
  sleep 0.1
done
[ "$counted" = yes ] && ok || ko "e4sim --suite fips-sk: base command not counted as wrong_suite: $(tail -n 1 "$TMP/sim.out")"
"$SIM" run --suite pq-pk --devices "$TMP/devices.jsonl" >/dev/null 2>"$TMP/x.err"
[ $? -ne 0 ] && grep "symmetric-key (key) device cannot run --suite pq-pk" "$TMP/x.err" >/dev/null && ok ||
  ko "e4sim --suite pq-pk ran SK devices: $(cat "$TMP/x.err")"

# ====================== fips-pk and pq-pk (stateless) =======================
# pk_suite SUITE SIGN_PRIVATE_FIELD PUBLIC_OF(FILE) EXTRA_PROTECT_ARGS...
TK=$(key)
for suite in fips-pk pq-pk; do
  "$E4" keygen --suite "$suite" --name "dev-$suite" >"$TMP/$suite.keys" || die "keygen --suite $suite"
  "$E4" keygen --suite "$suite" >"$TMP/$suite.other" || die "keygen --suite $suite"
  if [ "$suite" = fips-pk ]; then
    field sign_private <"$TMP/$suite.keys" >"$TMP/$suite.sk"
    field sign_public <"$TMP/$suite.keys" >"$TMP/$suite.pub"
    field sign_public <"$TMP/$suite.other" >"$TMP/$suite.otherpub"
    extra=(); overhead=118
  else
    field ed25519_private <"$TMP/$suite.keys" >"$TMP/$suite.sk"
    field mldsa65_private <"$TMP/$suite.keys" >"$TMP/$suite.mldsa"
    echo "$(field ed25519_public <"$TMP/$suite.keys")$(field mldsa65_public <"$TMP/$suite.keys")" >"$TMP/$suite.pub"
    echo "$(field ed25519_public <"$TMP/$suite.keys")$(field mldsa65_public <"$TMP/$suite.other")" >"$TMP/$suite.otherpub"
    extra=(--mldsa-key-file "$TMP/$suite.mldsa"); overhead=3415
  fi
  MSG="reading from $suite secret-P7"
  printf '%s' "$MSG" | "$E4" protect --suite "$suite" --key "$TK" --sign-key-file "$TMP/$suite.sk" \
    --id "dev-$suite" "${extra[@]}" >"$TMP/$suite.bin" || { ko "e4 protect --suite $suite"; continue; }
  through_broker "pk/$suite" "$TMP/$suite.bin" || continue
  seen=$(spied "pk/$suite")
  [ "${#seen}" -eq $(( 2 * (${#MSG} + overhead) )) ] && ok || ko "$suite message length ${#seen}"
  grep -q "$(hex_of "$MSG")" "$TMP/spy.out" && ko "$suite: the broker saw the plaintext" || ok
  unhex "$seen" >"$TMP/$suite.seen"
  opened=$("$E4" unprotect --suite "$suite" --key "$TK" --pubkey "dev-$suite:@$TMP/$suite.pub" <"$TMP/$suite.seen")
  [ "$opened" = "$MSG" ] && ok || ko "e4 unprotect --suite $suite gave '$opened'"
  "$E4" unprotect --suite "$suite" --key "$TK" --pubkey "dev-$suite:@$TMP/$suite.otherpub" \
    <"$TMP/$suite.seen" >/dev/null 2>"$TMP/$suite.err"
  grep -q "signature" "$TMP/$suite.err" && ok || ko "$suite: another key's signature accepted: $(cat "$TMP/$suite.err")"
  "$E4" unprotect --suite "$suite" --key "$TK" --pubkey "other:@$TMP/$suite.pub" \
    <"$TMP/$suite.seen" >/dev/null 2>"$TMP/$suite.err"
  grep -q "public key not found" "$TMP/$suite.err" && ok || ko "$suite: unknown signer: $(cat "$TMP/$suite.err")"
  python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[30]^=1; sys.stdout.buffer.write(b)' \
    "$TMP/$suite.seen" >"$TMP/$suite.bad"
  "$E4" unprotect --suite "$suite" --key "$TK" --pubkey "dev-$suite:@$TMP/$suite.pub" <"$TMP/$suite.bad" >/dev/null 2>&1 &&
    ko "$suite: a changed byte was accepted" || ok
  "$E4" unprotect --suite fips-sk --key "$TK" <"$TMP/$suite.seen" >/dev/null 2>"$TMP/$suite.err"
  grep -q "another cipher suite" "$TMP/$suite.err" && ok || ko "$suite read as fips-sk: $(cat "$TMP/$suite.err")"
done
# fips-pk's reader refuses a pq-pk message, and pq-pk's a fips-pk one padded to its length
"$E4" unprotect --suite fips-pk --key "$TK" --pubkey "dev-fips-pk:@$TMP/fips-pk.pub" <"$TMP/pq-pk.seen" >/dev/null 2>"$TMP/x.err"
grep -q "another cipher suite" "$TMP/x.err" && ok || ko "pq-pk read as fips-pk: $(cat "$TMP/x.err")"
{ cat "$TMP/fips-pk.seen"; head -c 4000 /dev/zero; } >"$TMP/padded.bin"
"$E4" unprotect --suite pq-pk --key "$TK" --pubkey "dev-fips-pk:@$TMP/pq-pk.pub" <"$TMP/padded.bin" >/dev/null 2>"$TMP/x.err"
grep -q "another cipher suite" "$TMP/x.err" && ok || ko "fips-pk read as pq-pk: $(cat "$TMP/x.err")"

# ---- fips-pk commands: C2's agreement key and the client's ----------------
# through_control ID FILE: publish FILE on e4/ID (QoS 2), return what the spy saw
through_control() {
  through_broker "pk/e4/$1" "$2" || return 1
  unhex "$(spied "pk/e4/$1")" >"$TMP/control.bin"
}
"$E4" keygen --type fips-agree >"$TMP/c2-fips.keys"
C2A_SK=$(field private <"$TMP/c2-fips.keys"); C2A_PK=$(field public <"$TMP/c2-fips.keys")
CLA_SK=$(field agree_private <"$TMP/fips-pk.keys"); CLA_PK=$(field agree_public <"$TMP/fips-pk.keys")
DEV=$("$E4" id dev-fips-pk)
printf '%s\n' "$C2A_SK" >"$TMP/c2a.key"
"$E4" command --suite fips-pk set-topic-key pk/t "$TK" --c2-key-file "$TMP/c2a.key" --client-pubkey "$CLA_PK" \
  >"$TMP/fcmd.bin" && ok || ko "e4 command --suite fips-pk"
through_control "$DEV" "$TMP/fcmd.bin"
got=$("$OPEN" fips-pk "$CLA_SK" "$C2A_PK" <"$TMP/control.bin")
want="command 03$TK$("$E4" hash-topic pk/t)"
[ "$got" = "$want" ] && ok || ko "fips-pk set-topic-key as the device opens it: '$got'"
"$OPEN" fips-pk "$(field agree_private <"$TMP/fips-pk.other")" "$C2A_PK" <"$TMP/control.bin" >/dev/null 2>&1 &&
  ko "fips-pk command opened with another device's key" || ok
SIGN_PK=$(field sign_public <"$TMP/fips-pk.other")
"$E4" command --suite fips-pk set-pubkey other "$SIGN_PK" --c2-key-file "$TMP/c2a.key" \
  --client-pubkey "$CLA_PK" >"$TMP/fcmd2.bin" && ok || ko "fips-pk set-pubkey (33-byte key)"
got=$("$OPEN" fips-pk "$CLA_SK" "$C2A_PK" <"$TMP/fcmd2.bin")
[ "$got" = "command 06$SIGN_PK$("$E4" id other)" ] && ok || ko "fips-pk set-pubkey: '$got'"
"$E4" command --suite fips-pk set-pubkey other "$(field ed25519_public <"$TMP/pq-pk.keys")" \
  --c2-key-file "$TMP/c2a.key" --client-pubkey "$CLA_PK" >/dev/null 2>&1
[ $? -eq 2 ] && ok || ko "fips-pk set-pubkey took a 32-byte key"

# ---- pq-pk: key establishment, then commands under the epoch's key ---------
"$E4" keygen --type ed25519 >"$TMP/c2-ed.keys"; "$E4" keygen --type mldsa65 >"$TMP/c2-ml.keys"
field private <"$TMP/c2-ed.keys" >"$TMP/c2ed.key"; field private <"$TMP/c2-ml.keys" >"$TMP/c2ml.key"
field public <"$TMP/c2-ml.keys" >"$TMP/c2ml.pub"
C2ED_PK=$(field public <"$TMP/c2-ed.keys")
XW_SEED=$(field xwing_private <"$TMP/pq-pk.keys")
field xwing_public <"$TMP/pq-pk.keys" >"$TMP/xwing.pub"
PQDEV=$("$E4" id dev-pq-pk)
establish() { # EPOCH KEYFILE
  "$E4" command --suite pq-pk establish-key --epoch "$1" --c2-key-file "$TMP/c2ed.key" \
    --c2-mldsa-key-file "$TMP/c2ml.key" --client-pubkey "@$TMP/xwing.pub" --command-key-out "$2"
}
establish 1 "$TMP/epoch1.key" >"$TMP/est1.bin" && ok || ko "e4 command --suite pq-pk establish-key"
[ "$(stat -c %a "$TMP/epoch1.key")" = 600 ] && ok || ko "--command-key-out mode $(stat -c %a "$TMP/epoch1.key")"
[ "$(stat -c %s "$TMP/est1.bin")" -eq 4508 ] && ok || ko "key establishment size $(stat -c %s "$TMP/est1.bin")"
through_control "$PQDEV" "$TMP/est1.bin"
got=$("$OPEN" pq-pk-establish "$XW_SEED" "$C2ED_PK" "$TMP/c2ml.pub" <"$TMP/control.bin")
[ "$got" = "epoch 1 key $(cat "$TMP/epoch1.key")" ] && ok || ko "pq-pk establishment as the device opens it: '$got'"
"$OPEN" pq-pk-establish "$(field xwing_private <"$TMP/pq-pk.other")" "$C2ED_PK" "$TMP/c2ml.pub" \
  <"$TMP/control.bin" >"$TMP/x.out" 2>&1
grep -q "^epoch 1 key $(cat "$TMP/epoch1.key")" "$TMP/x.out" && ko "another X-Wing key got the same command key" || ok
"$OPEN" pq-pk-establish "$XW_SEED" "$(field ed25519_public <"$TMP/pq-pk.keys")" "$TMP/c2ml.pub" \
  <"$TMP/control.bin" >/dev/null 2>&1 && ko "establishment accepted under another C2 Ed25519 key" || ok
PQ_ARG="$(field ed25519_public <"$TMP/pq-pk.other")$(field mldsa65_public <"$TMP/pq-pk.other")"
echo "$PQ_ARG" >"$TMP/other.pqpub"
E4_COMMAND_KEY=$(cat "$TMP/epoch1.key") "$E4" command --suite pq-pk --epoch 1 set-pubkey other "@$TMP/other.pqpub" \
  >"$TMP/pcmd.bin" && ok || ko "e4 command --suite pq-pk set-pubkey"
through_control "$PQDEV" "$TMP/pcmd.bin"
got=$("$OPEN" pq-pk "$(cat "$TMP/epoch1.key")" <"$TMP/control.bin")
[ "$got" = "epoch 1 command 06$PQ_ARG$("$E4" id other)" ] && ok || ko "pq-pk set-pubkey as the device opens it: ${got:0:60}..."
establish 2 "$TMP/epoch2.key" >"$TMP/est2.bin" || ko "establish epoch 2"
cmp -s "$TMP/epoch1.key" "$TMP/epoch2.key" && ko "epoch 2 reused epoch 1's key" || ok
"$OPEN" pq-pk "$(cat "$TMP/epoch2.key")" <"$TMP/pcmd.bin" >/dev/null 2>&1 && ko "epoch 1 command opened with epoch 2's key" || ok
"$E4" command --suite pq-pk --epoch 1 reset-topics --client-key "$(cat "$TMP/epoch1.key")" >/dev/null 2>&1
[ $? -eq 2 ] && ok || ko "pq-pk took --client-key"

# ================= fips-pk and pq-pk devices (e4 client) ===================
# dev_keys SUITE NAME: the device's keys ($TMP/NAME.keys), its --sign-key set
# ($TMP/NAME.sk) and its public set for peers ($TMP/NAME.pub).
dev_keys() {
  "$E4" keygen --suite "$1" --name "$2" >"$TMP/$2.keys" || die "keygen --suite $1"
  field sign_key_set <"$TMP/$2.keys" >"$TMP/$2.sk"
  field pubkey_set <"$TMP/$2.keys" >"$TMP/$2.pub"
  field xwing_public <"$TMP/$2.keys" >"$TMP/$2.xw"
}
# dcmd SUITE DEVICE ARGS...: C2's command to DEVICE (pq-pk: under $EPOCH)
dcmd() {
  local suite=$1 dev=$2
  shift 2
  if [ "$suite" = fips-pk ]; then
    c2 "$("$E4" id "$dev")" "$@" --suite fips-pk --c2-key-file "$TMP/c2-fips-pk.key" \
      --client-pubkey "$(field agree_public <"$TMP/$dev.keys")"
  else
    c2 "$("$E4" id "$dev")" "$@" --suite pq-pk --epoch "$EPOCH" --command-key-file "$TMP/$dev.ek$EPOCH"
  fi
}
# establish_for DEVICE EPOCH: $TMP/DEVICE.estN (the message), .ekN (the key)
establish_for() {
  "$E4" command --suite pq-pk establish-key --epoch "$2" --c2-key-file "$TMP/c2-pq-pk.key" \
    --c2-mldsa-key-file "$TMP/c2-pq-pk.mldsa" --client-pubkey "@$TMP/$1.xw" \
    --command-key-out "$TMP/$1.ek$2" >"$TMP/$1.est$2" || die "establish-key $1 $2"
}
publish_control() { mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 2 -t "e4/$("$E4" id "$1")" -f "$2" || die "mosquitto_pub"; }
# applied DEVICE WHAT ARGS...: dcmd, and the device says it applied it
applied() {
  local dev=$1 what=$2 m
  shift 2
  m=$(mark "$dev")
  dcmd "$SUITE" "$dev" "$@"
  expect "$dev" "^command applied e4/$("$E4" id "$dev")\$" "$m" "$SUITE $dev: $what not applied"
}
# keys_line DEVICE: the device's `keys` header line
keys_line() {
  local m
  m=$(mark "$1"); send "$1" keys
  wait_for "$1" '^keys ' "$m" >/dev/null && tail -n +"$((m + 1))" "$TMP/$1.out" | grep '^keys ' | head -n 1
}

for SUITE in fips-pk pq-pk; do
  A=a-$SUITE; B=b-$SUITE; AID=$("$E4" id "$A"); BID=$("$E4" id "$B"); T=pk/dv-$SUITE
  dev_keys "$SUITE" "$A"; dev_keys "$SUITE" "$B"
  "$E4" keygen --suite "$SUITE" --c2 >"$TMP/c2-$SUITE.keys" || die "keygen --suite $SUITE --c2"
  field c2_pubkey_set <"$TMP/c2-$SUITE.keys" >"$TMP/c2-$SUITE.pub"
  if [ "$SUITE" = fips-pk ]; then
    field agree_private <"$TMP/c2-$SUITE.keys" >"$TMP/c2-$SUITE.key"
  else
    field ed25519_private <"$TMP/c2-$SUITE.keys" >"$TMP/c2-$SUITE.key"
    field mldsa65_private <"$TMP/c2-$SUITE.keys" >"$TMP/c2-$SUITE.mldsa"
  fi
  for d in "$A" "$B"; do
    client_start "$d" --suite "$SUITE" --name "$d" --sign-key-file "$TMP/$d.sk" \
      --c2-pubkey "@$TMP/c2-$SUITE.pub" --state "$TMP/$d.state" --topic-key "$T:$TK" --subscribe "$T"
  done
  grep -q "^ready id=$BID mode=pk suite=$SUITE control=e4/$BID$" "$TMP/$B.out" && ok ||
    ko "$SUITE ready line: $(grep ready "$TMP/$B.out")"
  if [ "$SUITE" = pq-pk ]; then
    [[ "$(keys_line "$B")" == *" suite=pq-pk epoch=0" ]] && ok || ko "pq-pk keys before establishment"
    EPOCH=1
    establish_for "$A" 1; establish_for "$B" 1
    m=$(mark "$B")
    dcmd "$SUITE" "$B" set-pubkey "$A" "@$TMP/$A.pub"
    expect "$B" "^error command e4/$BID: " "$m" "pq-pk command obeyed before any key establishment"
    for d in "$A" "$B"; do
      m=$(mark "$d"); publish_control "$d" "$TMP/$d.est1"
      expect "$d" "^command applied e4/$("$E4" id "$d")\$" "$m" "pq-pk $d: establishment 1 not applied"
    done
  fi
  applied "$B" set-pubkey set-pubkey "$A" "@$TMP/$A.pub"
  applied "$A" set-pubkey set-pubkey "$B" "@$TMP/$B.pub"
  MSG="from a to b in $SUITE secret-D4"
  mb=$(mark "$B")
  send "$A" "pub $T $MSG"
  expect "$B" "^message $T $MSG\$" "$mb" "$SUITE: b did not open a's message"
  mb=$(mark "$A")
  send "$B" "pub $T back from b"
  expect "$A" "^message $T back from b\$" "$mb" "$SUITE: a did not open b's message"
  seen=$(grep "^$T " "$TMP/spy.out" | head -n 1 | cut -d' ' -f2)
  [ "${seen:0:4}" = "$([ "$SUITE" = fips-pk ] && echo e411 || echo e421)" ] && ok || ko "$SUITE device header ${seen:0:4}"
  [ "${seen:20:32}" = "$AID" ] && ok || ko "$SUITE: the signer id the spy saw: ${seen:20:32}"
  grep -q "$(hex_of "$MSG")" "$TMP/spy.out" && ko "$SUITE: the broker saw the plaintext" || ok
  unhex "$seen" >"$TMP/dv-$SUITE.seen"
  [ "$("$E4" unprotect --suite "$SUITE" --key "$TK" --pubkey "$A:@$TMP/$A.pub" <"$TMP/dv-$SUITE.seen")" = "$MSG" ] &&
    ok || ko "$SUITE: e4 unprotect did not open the device's message"
  [[ "$(keys_line "$B")" == "keys id=$BID mode=pk topics=1 pubkeys=1 suite=$SUITE"* ]] && ok ||
    ko "$SUITE keys line: $(keys_line "$B")"
done

# keygen's sets are its fields side by side, in the identity options' order
k=$TMP/a-pq-pk.keys; c=$TMP/c2-pq-pk.keys
[ "$(field sign_key_set <"$k")" = "$(field ed25519_private <"$k")$(field mldsa65_private <"$k")$(field xwing_private <"$k")" ] &&
  [ "$(field pubkey_set <"$k")" = "$(field ed25519_public <"$k")$(field mldsa65_public <"$k")" ] &&
  [ "$(field c2_pubkey_set <"$c")" = "$(field ed25519_public <"$c")$(field mldsa65_public <"$c")" ] && ok ||
  ko "keygen --suite pq-pk sets"
k=$TMP/a-fips-pk.keys; c=$TMP/c2-fips-pk.keys
[ "$(field sign_key_set <"$k")" = "$(field sign_private <"$k")$(field agree_private <"$k")" ] &&
  [ "$(field pubkey_set <"$k")" = "$(field sign_public <"$k")" ] &&
  [ "$(field c2_pubkey_set <"$c")" = "$(field agree_public <"$c")" ] && ok || ko "keygen --suite fips-pk sets"
"$E4" keygen --suite pq-pk --c2 --json | python3 -c '
import json, sys
k = json.load(sys.stdin)
assert k["suite"] == "pq-pk" and k["c2"] is True, k
assert k["c2_pubkey_set"] == k["ed25519_public"] + k["mldsa65_public"] and len(k["c2_pubkey_set"]) == 3968
' && ok || ko "keygen --suite pq-pk --c2 --json"
"$E4" keygen --c2 >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "keygen --c2 without a public-key suite"

# pq-pk: a second establishment, the transition, replays, a restart
SUITE=pq-pk; A=a-pq-pk; B=b-pq-pk; BID=$("$E4" id "$B")
establish_for "$B" 2
m=$(mark "$B"); publish_control "$B" "$TMP/$B.est2"
expect "$B" "^command applied e4/$BID\$" "$m" "pq-pk establishment 2 not applied"
[[ "$(keys_line "$B")" == *" epoch=2" ]] && ok || ko "pq-pk keys after establishment 2: $(keys_line "$B")"
m=$(mark "$B"); publish_control "$B" "$TMP/$B.est1"
expect "$B" "^error command e4/$BID: .*replayed" "$m" "pq-pk replayed establishment 1 accepted"
EPOCH=1 applied "$B" "a command under the previous epoch" set-topic-key pk/dv-x "$TK"
EPOCH=2 applied "$B" "a command under epoch 2" remove-topic pk/dv-x
client_stop "$B"
"$E4" client --suite fips-pk --state "$TMP/$B.state" --broker "127.0.0.1:$PORT" </dev/null >/dev/null 2>"$TMP/x.err"
[ $? -eq 2 ] && grep "holds a pq-pk client" "$TMP/x.err" >/dev/null && ok || ko "--suite contradicting the state: $(cat "$TMP/x.err")"
client_start "$B" --state "$TMP/$B.state" --subscribe pk/dv-pq-pk
grep -q "^ready id=$BID mode=pk suite=pq-pk " "$TMP/$B.out" && ok || ko "restarted pq-pk device lost its suite"
[[ "$(keys_line "$B")" == *" pubkeys=1 suite=pq-pk epoch=2" ]] && ok || ko "restarted pq-pk keys: $(keys_line "$B")"
for e in 1 2; do
  m=$(mark "$B"); publish_control "$B" "$TMP/$B.est$e"
  expect "$B" "^error command e4/$BID: .*replayed" "$m" "restarted pq-pk device took establishment $e again"
done
EPOCH=2 applied "$B" "a command under epoch 2 after the restart" set-topic-key pk/dv-x "$TK"
mb=$(mark "$B")
send "$A" "pub pk/dv-pq-pk after the restart"
expect "$B" "^message pk/dv-pq-pk after the restart\$" "$mb" "restarted pq-pk device cannot read a's message"
# wrong suite: pq-pk bytes to the fips-pk device, fips-pk bytes (padded) to the pq-pk one
m=$(mark b-fips-pk)
through_broker pk/dv-fips-pk "$TMP/dv-pq-pk.seen"
expect b-fips-pk "^error receive pk/dv-fips-pk: message of another cipher suite" "$m" "fips-pk device took a pq-pk message"
{ cat "$TMP/dv-fips-pk.seen"; head -c 4000 /dev/zero; } >"$TMP/padded.bin"
m=$(mark "$B")
through_broker pk/dv-pq-pk "$TMP/padded.bin"
expect "$B" "^error receive pk/dv-pq-pk: message of another cipher suite" "$m" "pq-pk device took a fips-pk message"
for d in a-fips-pk b-fips-pk a-pq-pk b-pq-pk; do client_stop "$d"; done
# the keys event in JSON: the suite, the epoch, the public-key ids
printf 'keys\n' | "$E4" client --json --state "$TMP/$B.state" "${CLIENT_OPTS[@]}" >"$TMP/json.out" 2>"$TMP/json.err"
python3 -c '
import json, sys
keys = [e for e in map(json.loads, open(sys.argv[1])) if e.get("event") == "keys"][0]
assert keys["suite"] == "pq-pk" and keys["epoch"] == 2 and keys["pubkeys"] == [sys.argv[2]], keys
' "$TMP/json.out" "$("$E4" id "$A")" && ok || ko "pq-pk keys in JSON: $(cat "$TMP/json.out" "$TMP/json.err")"

# ---- e4sim --suite fips-pk and pq-pk: commands, pq-pk key establishment ----
jsonl_field() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"; }
for SUITE in fips-pk pq-pk; do
  P=sim${SUITE%%-*}
  "$SIM" --generate 2 --prefix "$P" --mode pk --suite "$SUITE" --c2-pubkey "@$TMP/c2-$SUITE.pub" \
    --out "$TMP/$P.jsonl" || die "e4sim --generate --suite $SUITE"
  sim_start "$P" --suite "$SUITE" --devices "$TMP/$P.jsonl"
  if [ "$SUITE" = fips-pk ]; then
    echo "agree_public: $(jsonl_field "$TMP/$P.jsonl" agree_pubkey)" >"$TMP/$P-1.keys"
  else
    jsonl_field "$TMP/$P.jsonl" xwing_pubkey >"$TMP/$P-1.xw"
    establish_for "$P-1" 1
    publish_control "$P-1" "$TMP/$P-1.est1"
    EPOCH=1
  fi
  dcmd "$SUITE" "$P-1" set-topic-key pk/sim "$TK"
  sim_holds "$P" "$P-1" pk/sim "$TK" && ok || ko "e4sim --suite $SUITE did not apply the command"
  if [ "$SUITE" = pq-pk ]; then # a second establishment, a command under it
    establish_for "$P-1" 2
    publish_control "$P-1" "$TMP/$P-1.est2"
    EPOCH=2 dcmd "$SUITE" "$P-1" set-topic-key pk/sim2 "$TK2"
    sim_holds "$P" "$P-1" pk/sim2 "$TK2" && ok || ko "e4sim --suite pq-pk: no command under epoch 2"
  fi
done

# ---- e4proxy --suite pq-pk: a legacy publisher's message signed and sealed ----
dev_keys pq-pk px-pq
PXPORT=$(free_ports 1)
"$PROXY" --listen "127.0.0.1:$PXPORT" --broker "mqtt://127.0.0.1:$PORT" --suite pq-pk --name px-pq \
  --sign-key-file "$TMP/px-pq.sk" --c2-pubkey-file "$TMP/c2-pq-pk.pub" --topic-key "pk/px:$TK" \
  2>"$TMP/proxy.err" &
PIDS+=("$!")
wait_port "$PXPORT" "$TIMEOUT" || die "e4proxy --suite pq-pk did not start: $(cat "$TMP/proxy.err")"
MSG="legacy reading secret-X9"
mosquitto_pub -h 127.0.0.1 -p "$PXPORT" -q 1 -t pk/px -m "$MSG" || ko "mosquitto_pub through e4proxy"
deadline=$(( $(date +%s) + TIMEOUT ))
until [ -n "$(spied pk/px)" ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.05; done
seen=$(spied pk/px)
[ "${seen:0:4}" = e421 ] && [ "${#seen}" -eq $(( 2 * (${#MSG} + 3415) )) ] && ok ||
  ko "e4proxy pq-pk message: ${seen:0:4}... (${#seen} hex digits)"
[ "${seen:20:32}" = "$("$E4" id px-pq)" ] && ok || ko "e4proxy pq-pk signer id ${seen:20:32}"
unhex "$seen" >"$TMP/px.bin"
[ "$("$E4" unprotect --suite pq-pk --key "$TK" --pubkey "px-pq:@$TMP/px-pq.pub" <"$TMP/px.bin")" = "$MSG" ] &&
  ok || ko "e4 unprotect --suite pq-pk did not open e4proxy's message"

# bad key sets: a specific error, exit 2 (1 for a point libe4 refuses), the secret never echoed
bad_client() { # WANT_STATUS WANT_TEXT WHAT OPTIONS...
  local want=$1 text=$2 what=$3 rc
  shift 3
  "$E4" client --name bad --broker "127.0.0.1:$PORT" "$@" </dev/null >/dev/null 2>"$TMP/bad.err"
  rc=$?
  [ "$rc" -eq "$want" ] && grep -F -- "$text" "$TMP/bad.err" >/dev/null && ok || ko "$what: status $rc: $(cat "$TMP/bad.err")"
  grep -F -f "$TMP/secrets.txt" "$TMP/bad.err" >/dev/null && ko "$what: a secret was echoed" || ok
}
cat "$TMP/a-pq-pk.sk" "$TMP/a-fips-pk.sk" >"$TMP/secrets.txt"
SK=$(cat "$TMP/a-pq-pk.sk")
bad_client 2 "expected 256 hex digits" "pq-pk sign key of fips-pk's length" --suite pq-pk \
  --sign-key "$(cat "$TMP/a-fips-pk.sk")" --c2-pubkey "@$TMP/c2-pq-pk.pub"
printf '%s\n' "${SK:0:192}$(printf '0%.0s' {1..64})" >"$TMP/zero.sk"
head -c 192 "$TMP/zero.sk" >>"$TMP/secrets.txt"; echo >>"$TMP/secrets.txt"
bad_client 2 "the X-Wing seed (bytes 97 to 128) is all zero" "pq-pk zero X-Wing seed" --suite pq-pk \
  --sign-key-file "$TMP/zero.sk" --c2-pubkey "@$TMP/c2-pq-pk.pub"
E4_SIGN_KEY=$(cat "$TMP/zero.sk") bad_client 2 "the X-Wing seed (bytes 97 to 128) is all zero" \
  "pq-pk zero X-Wing seed in E4_SIGN_KEY" --suite pq-pk --c2-pubkey-file "$TMP/c2-pq-pk.pub"
bad_client 2 "--c2-pubkey: expected 3968 hex digits" "pq-pk C2 key of fips-pk's length" --suite pq-pk \
  --sign-key-file "$TMP/a-pq-pk.sk" --c2-pubkey "@$TMP/c2-fips-pk.pub"
bad_client 1 "--c2-pubkey: not a compressed point on P-256" "fips-pk C2 key off the curve" --suite fips-pk \
  --sign-key-file "$TMP/a-fips-pk.sk" --c2-pubkey "02$(printf 'f%.0s' {1..64})"
FSK=$(cat "$TMP/a-fips-pk.sk")
bad_client 1 "--sign-key: the P-256 signing scalar (not in [1, n-1])" "fips-pk signing scalar n or more" \
  --suite fips-pk --sign-key "$(printf 'f%.0s' {1..64})${FSK:64}" --c2-pubkey-file "$TMP/c2-fips-pk.pub"
bad_client 2 "--password derives only the base suite's keys" "pq-pk --password" --suite pq-pk \
  --password "a long enough password" --c2-pubkey "@$TMP/c2-pq-pk.pub"

# --help lists the suites and their overheads
for sub in keygen protect command; do
  "$E4" "$sub" --help >"$TMP/help.txt"
  grep -q "fips-sk .*overhead 38" "$TMP/help.txt" && grep -q "fips-pk .*overhead 118" "$TMP/help.txt" &&
    grep -q "pq-pk .*overhead 3,415" "$TMP/help.txt" && ok || ko "e4 $sub --help: suites and overheads"
done

echo "test_e4_suites_e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
