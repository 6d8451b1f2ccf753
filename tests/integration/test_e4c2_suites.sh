#!/usr/bin/env bash
# e4c2 in the cipher suites (issue 12) on SQLite with a real mosquitto and
# real `e4 client --suite S` devices, added through e4ctl with key sets C2
# makes and shows once:
# - pq-pk: joining a topic, each device gets a key establishment (epoch 1)
#   before its first command, then SetTopicKey and its peer's SetPubKey; the
#   devices exchange hybrid-signed messages; a spy on the broker sees only
#   the suite's ciphertext. C2 rotates its own key (SetC2Key in the suite's
#   format, under K_epoch). A rekeyed device gets SetIDKey, then a new
#   establishment (epoch 2, signed by C2's new key) before its next command,
#   and keeps working. After a restart of e4c2, commands still travel under
#   the stored K_epoch and the next rekey takes epoch 3: epochs never
#   repeat (read from the API and from the device).
# - fips-sk and fips-pk: the same flow without establishments (a rekey
#   changes the key commands travel under), the suite's headers on the wire.
# - Wrong key sets are refused with a specific 400; a password in pq-pk too.
C2_TEST="suites"
TIMEOUT_DEFAULT=30
source "$(dirname "$0")/c2_test.sh"

# monitor_counts_valid DEVICE TOPIC: DEVICE publishes distinct messages on
# TOPIC until e4c2's monitor has counted one as valid (bounded).
monitor_counts_valid() {
  local i
  for i in $(seq 1 100); do
    send "$1" "pub $2 monitored-$i"
    sleep 0.2
    [ "$(api GET "/v1/topics/$2/traffic" | json_get counts.valid)" -ge 1 ] 2>/dev/null && return 0
  done
  return 1
}
# keys_line NAME: the device's `keys` line (suite, epoch)
keys_line() {
  local m
  m=$(mark "$1"); send "$1" keys
  wait_for "$1" '^keys ' "$m" >/dev/null && tail -n +"$((m + 1))" "$TMP/$1.out" | grep '^keys ' | head -n 1
}
# epochs NAME: the epochs of NAME's key establishments in the API, oldest first
epochs() {
  api GET "/v1/clients/$1/commands?limit=1000" | python3 -c 'import json,sys
print(" ".join(str(c["epoch"]) for c in reversed(json.load(sys.stdin)["items"]) if c["command"] == "key_establishment"))'
}
# order NAME: NAME's commands as command:epoch, in queue order
order() {
  api GET "/v1/clients/$1/commands?limit=1000" | python3 -c 'import json,sys
print(" ".join("%s:%s" % (c["command"], c.get("epoch")) for c in sorted(json.load(sys.stdin)["items"], key=lambda c: c["seq"])))'
}
# states NAME: the states of NAME's commands in the API, sorted, once each
states() {
  api GET "/v1/clients/$1/commands?limit=1000" | python3 -c 'import json,sys
print(" ".join(sorted({c["state"] for c in json.load(sys.stdin)["items"]})))'
}
# spied TOPIC: the hex of the last message the spy saw on TOPIC
spied() { sed -n "s|^$1 ||p" "$TMP/spy.out" | tail -n 1; }
header_of() { case $1 in fips-sk) echo e410 ;; fips-pk) echo e411 ;; pq-pk) echo e421 ;; esac; }
# control_header_of SUITE: fips-pk commands use the fips-sk format
control_header_of() { case $1 in fips-pk) echo e410 ;; *) header_of "$1" ;; esac; }

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
mosquitto_sub -h 127.0.0.1 -p "$MOSQUITTO_PORT" -q 2 -t '#' -F '%t %x' >"$TMP/spy.out" 2>"$TMP/spy.err" &
PIDS+=("$!")
CLIENT_OPTS=(--broker "127.0.0.1:$MOSQUITTO_PORT")
export E4C2_TOKEN

# suite_flow SUITE: one C2 in SUITE and two devices, as described above
suite_flow() {
  local S=$1 pk=1 join_opts=(--share-pubkeys) n m ma mb A B BID T=room-$1 n_first
  [ "$S" = fips-sk ] && { pk=0; join_opts=(); }
  A=alice-$S; B=bob-$S; BID=$("$E4" id "$B")
  c2_database "c2-$S"
  c2_init "$S" || die "e4c2 init --mode $S failed"
  c2_start "c2-$S" --monitor-flush 1 || die "e4c2 ($S) did not start"
  E4C2_TOKEN=$(c2_token admin)
  check "$S: status shows the mode" '[ "$("$E4CTL" status --json | json_get mode)" = "$S" ]'
  local devopts=()
  if [ $pk = 1 ]; then
    "$E4CTL" c2 pubkey --json | json_get pubkey >"$TMP/c2-$S.pub"
    n=$(tr -d '\n' <"$TMP/c2-$S.pub" | wc -c)
    check "$S: C2's public key set in SetC2Key's size" \
      '[ "$n" -eq "$([ "$S" = pq-pk ] && echo 3968 || echo 66)" ]'
    devopts=(--c2-pubkey "@$TMP/c2-$S.pub")
  fi
  for n in "$A" "$B"; do
    "$E4CTL" client add "$n" --json | json_get key >"$TMP/$n.sk" || die "client add $n"
    if [ $pk = 1 ]; then
      client_start "$n" --suite "$S" --name "$n" --sign-key-file "$TMP/$n.sk" "${devopts[@]}" \
        --state "$TMP/$n.state" --subscribe "$T"
    else
      client_start "$n" --suite "$S" --name "$n" --key-file "$TMP/$n.sk" --state "$TMP/$n.state" \
        --subscribe "$T"
    fi
  done
  n=$(tr -d '\n' <"$TMP/$A.sk" | wc -c)
  check "$S: the generated key set is SetIDKey's size" \
    '[ "$n" -eq "$(case $S in fips-sk) echo 64 ;; fips-pk) echo 128 ;; pq-pk) echo 256 ;; esac)" ]'

  "$E4CTL" topic add "$T" >/dev/null || die "topic add"
  "$E4CTL" topic monitor "$T" on >/dev/null || die "topic monitor on"
  ma=$(mark "$A"); mb=$(mark "$B")
  "$E4CTL" topic join "$T" "$A" "$B" "${join_opts[@]}" >/dev/null || die "join"
  # pq-pk: establishment + topic key + peer's key; fips-pk: key + peer's; fips-sk: key
  n_first=$(case $S in pq-pk) echo 3 ;; fips-pk) echo 2 ;; *) echo 1 ;; esac)
  check "$S: alice obeyed C2's first commands" 'applied "$A" "$ma" "$n_first"'
  check "$S: bob obeyed C2's first commands" 'applied "$B" "$mb" "$n_first"'
  check "$S: control messages carry the suite's header" \
    '[ "$(spied "e4/$BID" | cut -c1-4)" = "$(control_header_of "$S")" ]'
  if [ "$S" = pq-pk ]; then
    check "pq-pk: bob's first establishment is epoch 1 (API)" '[ "$(epochs "$B")" = "1" ]'
    check "pq-pk: the establishment came first, then the topic key, then alice's key (under epoch 1)" \
      '[ "$(order "$B")" = "key_establishment:1 set_topic_key:1 set_pubkey:1" ]'
    check "pq-pk: the client shows epoch 1" '[ "$("$E4CTL" client show "$B" --json | json_get epoch)" = 1 ]'
    check "pq-pk: bob holds epoch 1" '[[ "$(keys_line "$B")" == *" epoch=1" ]]'
  fi
  # receipts (e4-sync.md) under the suite's command key (pq-pk: K_epoch)
  check "$S: bob's STATE receipt opens and matches (in_sync)" \
    'wait_until "[ \"\$(\"\$E4CTL\" client show \"\$B\" --json | json_get sync)\" = in_sync ]"'
  # APPLIED receipts name each command (a STATE may close one first)
  check "$S: his commands are confirmed by receipts, APPLIED ones among them" \
    'wait_until "[ \"\$(states "$B")\" = applied ] || [ \"\$(states "$B")\" = \"applied closed\" ]"'
  mb=$(mark "$B")
  send "$A" "pub $T hello from alice secret-$S"
  expect "$B" "^message $T hello from alice secret-$S\$" "$mb" "$S: bob did not read alice's message"
  check "$S: the broker carried the suite's ciphertext" '[ "$(spied "$T" | cut -c1-4)" = "$(header_of "$S")" ]'
  check "$S: the broker never saw the plaintext" '! grep "$(hex_of "secret-$S")" "$TMP/spy.out" >/dev/null'
  # the traffic monitor knows the suite's messages: valid, and a forgery not
  # (it subscribes within its refresh, 2 s: alice publishes until it counts)
  check "$S: the monitor counts alice's valid messages" 'monitor_counts_valid "$A" "$T"'
  printf 'forged' | "$E4" protect --suite fips-sk --key "$(key)" >"$TMP/forged.bin"
  [ "$S" = fips-sk ] || printf '%s' "not E4 at all, clear text of some length" >"$TMP/forged.bin"
  mosquitto_pub -h 127.0.0.1 -p "$MOSQUITTO_PORT" -t "$T" -f "$TMP/forged.bin"
  check "$S: ... and the bad one" \
    'wait_until "[ \"\$(api GET /v1/topics/$T/traffic | json_get counts.$([ "$S" = fips-sk ] && echo not_authentic || echo unprotected))\" -ge 1 ]"'

  if [ $pk = 1 ]; then
    # C2's own key rotated: SetC2Key in the suite's format (fips-pk: under
    # the old ECDH key; pq-pk: under K_epoch). pq-pk: carol, who never got
    # a command, first gets an establishment signed with the C2 key she
    # holds (the old one), then SetC2Key under it
    local C=carol-$S mc
    if [ "$S" = pq-pk ]; then
      "$E4CTL" client add "$C" --json | json_get key >"$TMP/$C.sk" || die "client add $C"
      client_start "$C" --suite "$S" --name "$C" --sign-key-file "$TMP/$C.sk" "${devopts[@]}" \
        --state "$TMP/$C.state" --subscribe "$T"
      mc=$(mark "$C")
    fi
    ma=$(mark "$A"); mb=$(mark "$B")
    "$E4CTL" c2 rotate-key >/dev/null || die "c2 rotate-key"
    check "$S: alice got SetC2Key" 'applied "$A" "$ma" 1'
    check "$S: bob got SetC2Key" 'applied "$B" "$mb" 1'
    if [ "$S" = pq-pk ]; then
      check "pq-pk: carol got an establishment under the old C2 key, then SetC2Key" \
        'applied "$C" "$mc" 2'
      mc=$(mark "$C")
      "$E4CTL" topic join "$T" "$C" >/dev/null || die "join carol"
      check "pq-pk: carol obeys C2 after the rotation" 'applied "$C" "$mc" 1'
      client_stop "$C"
    fi
  fi

  # bob rekeyed: SetIDKey, his new public key to alice; then a topic rotation
  # reaches him under a new establishment (pq-pk: epoch 2, signed by C2's
  # new key) and under the new key (fips-sk, fips-pk)
  ma=$(mark "$A"); mb=$(mark "$B")
  "$E4CTL" client rekey "$B" >/dev/null || die "rekey"
  check "$S: bob got his new key" 'applied "$B" "$mb" 1'
  [ $pk = 1 ] && check "$S: alice got bob's new public key" 'applied "$A" "$ma" 1'
  ma=$(mark "$A"); mb=$(mark "$B")
  "$E4CTL" topic rotate "$T" >/dev/null || die "topic rotate"
  check "$S: bob got the new topic key after his rekey" \
    'applied "$B" "$mb" "$([ "$S" = pq-pk ] && echo 2 || echo 1)"'
  check "$S: alice got the new topic key" 'applied "$A" "$ma" 1'
  if [ "$S" = pq-pk ]; then
    check "pq-pk: the rekey brought establishment 2" '[ "$(epochs "$B")" = "1 2" ]'
    check "pq-pk: bob holds epoch 2" '[[ "$(keys_line "$B")" == *" epoch=2" ]]'
    check "pq-pk: alice's epoch did not move" '[ "$(epochs "$A")" = "1" ]'
  fi
  ma=$(mark "$A")
  send "$B" "pub $T bob after his rekey"
  expect "$A" "^message $T bob after his rekey\$" "$ma" "$S: alice cannot read rekeyed bob"

  # a restart of e4c2: the stored K_epoch is used, the next epoch is new
  c2_stop_all
  c2_start "c2-$S-again" || die "e4c2 ($S) did not restart"
  mb=$(mark "$B")
  "$E4CTL" topic rotate "$T" >/dev/null || die "topic rotate after restart"
  check "$S: bob obeys C2 after its restart" 'applied "$B" "$mb" 1'
  if [ "$S" = pq-pk ]; then
    check "pq-pk: no establishment without a rekey" '[ "$(epochs "$B")" = "1 2" ]'
    mb=$(mark "$B")
    "$E4CTL" client rekey "$B" >/dev/null || die "rekey after restart"
    "$E4CTL" topic rotate "$T" >/dev/null || die "topic rotate"
    check "pq-pk: bob got SetIDKey, establishment 3, the topic key" 'applied "$B" "$mb" 3'
    check "pq-pk: epochs are never reused" '[ "$(epochs "$B")" = "1 2 3" ]'
    check "pq-pk: bob holds epoch 3" '[[ "$(keys_line "$B")" == *" epoch=3" ]]'
  fi
  check "$S: in sync again after the rekeys and the restart" \
    'wait_until "[ \"\$(\"\$E4CTL\" client show \"\$B\" --json | json_get sync)\" = in_sync ]"'
  check "$S: e4c2 logged no receipt error" '! grep "cannot record receipts" "$TMP"/c2-"$S"*.log'
  mb=$(mark "$B")
  send "$A" "pub $T after the restart"
  expect "$B" "^message $T after the restart\$" "$mb" "$S: bob cannot read after the restart"
  client_stop "$A"
  client_stop "$B"
  c2_stop_all
}

suite_flow pq-pk
suite_flow fips-sk
suite_flow fips-pk

# ---- refused key material: specific 400s, nothing added ----------------------
c2_database c2-bad
c2_init pq-pk || die "init"
c2_start c2-bad || die "e4c2 did not start"
E4C2_TOKEN=$(c2_token admin)
api POST /v1/clients '{"name":"short","pubkey":"'"$(printf '11%.0s' $(seq 32))"'"}' >"$TMP/bad.json"
check "pq-pk: a 32-byte pubkey -> 400" '[ "$HTTP_STATUS" = 400 ] && grep "pubkey must be" "$TMP/bad.json" >/dev/null'
"$E4" keygen --suite pq-pk --name x >"$TMP/x.keys" || die "keygen"
# C2 needs the peers' set (Ed25519 || ML-DSA-65) and the X-Wing key
good=$(sed -n 's/^pubkey_set: //p' "$TMP/x.keys")$(sed -n 's/^xwing_public: //p' "$TMP/x.keys")
api POST /v1/clients '{"name":"x","pubkey":"'"$good"'"}' >/dev/null
check "pq-pk: a device's own key set is accepted" '[ "$HTTP_STATUS" = 201 ]'
"$E4" keygen --suite pq-pk --name x2 >"$TMP/x2.keys" || die "keygen"
echo "$(sed -n 's/^pubkey_set: //p' "$TMP/x2.keys")$(sed -n 's/^xwing_public: //p' "$TMP/x2.keys")" >"$TMP/x2.pub"
check "pq-pk: e4ctl client add --pubkey @FILE" '"$E4CTL" client add x2 --pubkey "@$TMP/x2.pub" >/dev/null'
check "... shows the key set it was given" \
  '[ "$("$E4CTL" client show x2 --json | json_get pubkey)" = "$(tr A-F a-f <"$TMP/x2.pub")" ]'
badx=${good:0:$((2 * 1984))}$(printf 'ff%.0s' $(seq 1216))
api POST /v1/clients '{"name":"y","pubkey":"'"$badx"'"}' >"$TMP/bad.json"
check "pq-pk: an X-Wing key that is no key -> 400" '[ "$HTTP_STATUS" = 400 ] && grep "X-Wing" "$TMP/bad.json" >/dev/null'
api POST /v1/clients '{"name":"z","password":"correct horse battery staple"}' >"$TMP/bad.json"
check "pq-pk: a password -> 400" '[ "$HTTP_STATUS" = 400 ] && grep password "$TMP/bad.json" >/dev/null'
"$E4" keygen --suite pq-pk --name imp1 >"$TMP/i1.keys" || die "keygen"
{ printf '{"name":"imp1","pubkey":"%s%s"}\n' "$(sed -n 's/^pubkey_set: //p' "$TMP/i1.keys")" \
    "$(sed -n 's/^xwing_public: //p' "$TMP/i1.keys")"
  printf '{"name":"imp2","pubkey":"%s"}\n' "${good:0:6398}"; } >"$TMP/import-bad.jsonl"
"$E4CTL" client import "$TMP/import-bad.jsonl" >/dev/null 2>"$TMP/import.err"
check "pq-pk import: a short key set refuses the whole import, naming the entry" \
  'grep "clients\[1\]" "$TMP/import.err" >/dev/null && grep "6400 hex" "$TMP/import.err" >/dev/null'
head -n 1 "$TMP/import-bad.jsonl" >"$TMP/import.jsonl"
check "pq-pk import: suite-sized key sets are imported" '"$E4CTL" client import "$TMP/import.jsonl" >/dev/null'
check "only the good ones were added" '[ "$("$E4CTL" status --json | json_get clients)" = 3 ]'
check "the imported client shows its key set" \
  '[ "$("$E4CTL" client show imp1 --json | json_get pubkey | tr -d "\n" | wc -c)" = 6400 ]'
c2_stop_all
c2_database c2-badf
c2_init fips-pk || die "init"
c2_start c2-badf || die "e4c2 did not start"
E4C2_TOKEN=$(c2_token admin)
api POST /v1/clients '{"name":"p","pubkey":"04'"$(printf '11%.0s' $(seq 65))"'"}' >"$TMP/bad.json"
check "fips-pk: a point that is no compressed P-256 point -> 400" \
  '[ "$HTTP_STATUS" = 400 ] && grep "P-256" "$TMP/bad.json" >/dev/null'
c2_done
