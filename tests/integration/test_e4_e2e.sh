#!/usr/bin/env bash
# End to end on a real mosquitto: `e4 client` devices exchange protected
# messages in symmetric-key and public-key mode, a plain mosquitto_sub on the
# same topics sees ciphertext only, and C2 commands built with `e4 command`
# and published with mosquitto_pub -q 2 change the clients' keys.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"

# shellcheck source=brokers.sh
source "$E4_SRC_DIR/tests/integration/brokers.sh"
# shellcheck source=e4_clients.sh
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
e4_test_init e4-e2e "$E4" mosquitto mosquitto_sub mosquitto_pub

e4_test_broker
CLIENT_READY='ready' # the --json clients print {"event":"ready",...}

# ---- helpers -------------------------------------------------------------

# c2 CLIENT_ID COMMAND ARGS...: build with `e4 command`, publish with QoS 2.
c2() {
  local id=$1
  shift
  "$E4" command "$@" >"$TMP/cmd.bin" || die "e4 command $*"
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 2 -t "e4/$id" -f "$TMP/cmd.bin" || die "mosquitto_pub"
}

raw_pub() { mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "$1" -f "$2"; }
field() { sed -n "s/^$1: //p"; }

# ---- the spy: a plain subscriber sees what the broker sees -----------------
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -t 'sensors/#' -t 'pk/#' -F '%t %x' >"$TMP/spy.out" 2>"$TMP/spy.err" &
PIDS+=("$!")
deadline=$(( $(date +%s) + TIMEOUT ))
until grep -q '^sensors/probe ' "$TMP/spy.out"; do
  [ "$(date +%s)" -lt "$deadline" ] || die "mosquitto_sub never subscribed"
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -t sensors/probe -m probe
  sleep 0.2
done

# ======================= symmetric-key mode ================================
KA=$(key); KB=$(key); TK1=$(key); TK2=$(key)
BOB=$("$E4" id bob)
H1=$("$E4" hash-topic sensors/t1)
H2=$("$E4" hash-topic sensors/t2)

client_start bob --name bob --key "$KB" --state "$TMP/bob.state" \
  --topic-key "sensors/t1:$TK1" --subscribe sensors/t1
client_start alice --name alice --key "$KA" --topic-key "sensors/t1:$TK1" --topic-key "sensors/t2:$TK2"
grep -q "^subscribed sensors/t1$" "$TMP/bob.out" && ok || ko "bob: no 'subscribed sensors/t1' before ready"
grep -q "^ready id=$BOB mode=sk control=e4/$BOB$" "$TMP/bob.out" && ok || ko "bob: ready line: $(grep ready "$TMP/bob.out")"

SECRET="temperature=21.5 secret-A1"
m=$(mark bob)
send alice "pub sensors/t1 $SECRET"
expect bob "^message sensors/t1 $SECRET\$" "$m" "bob did not decrypt alice's message"
expect alice "^published sensors/t1$" 0 "alice: no 'published'"
wait_for spy "^sensors/t1 " 0 || true
spied=$(sed -n 's/^sensors\/t1 //p' "$TMP/spy.out" | head -n 1)
[ -n "$spied" ] && ok || ko "the spy saw nothing on sensors/t1"
[ "${#spied}" -eq $(( 2 * (${#SECRET} + 24) )) ] && ok || ko "ciphertext length ${#spied}"
if grep -q "$(hex_of "$SECRET")" "$TMP/spy.out" || grep -q "secret-A1" "$TMP/spy.out"; then
  ko "the broker saw the plaintext"
else
  ok
fi

# a topic bob has no key for
m=$(mark bob)
send bob "sub sensors/t2"
expect bob "^subscribed sensors/t2$" "$m" "bob: subscribe sensors/t2"
m=$(mark bob)
send alice "pub sensors/t2 before the key"
expect bob "^error receive sensors/t2: topic key not found" "$m" "no key -> topic key not found"

# C2: set-topic-key makes it readable
m=$(mark bob)
c2 "$BOB" set-topic-key sensors/t2 "$TK2" --client-key "$KB"
expect bob "^command applied e4/$BOB$" "$m" "set-topic-key not applied"
m=$(mark bob)
send alice "pub sensors/t2 after the key"
expect bob "^message sensors/t2 after the key$" "$m" "set-topic-key did not make sensors/t2 readable"

# C2: remove-topic makes sensors/t1 unreadable
m=$(mark bob)
c2 "$BOB" remove-topic sensors/t1 --client-key "$KB"
expect bob "^command applied e4/$BOB$" "$m" "remove-topic not applied"
m=$(mark bob)
send alice "pub sensors/t1 after removal"
expect bob "^error receive sensors/t1: topic key not found" "$m" "remove-topic: sensors/t1 still readable"
grep -q "^message sensors/t1 after removal" "$TMP/bob.out" && ko "bob decrypted after remove-topic" || ok

m=$(mark bob)
send bob keys
expect bob "^topic $H2 " "$m" "keys: sensors/t2 missing"
expect bob "^keys id=$BOB mode=sk topics=1 pubkeys=0$" "$m" "keys header"
tail -n +"$((m + 1))" "$TMP/bob.out" | grep -q "$H1" && ko "keys: sensors/t1 still listed" || ok
if grep -q "$TK2\|$KB" "$TMP/bob.out"; then ko "key material in the output"; else ok; fi

# the state file keeps what C2 did: restart bob from it alone
client_stop bob
[ -s "$TMP/bob.state" ] && ok || ko "no state file"
client_start bob --state "$TMP/bob.state" --subscribe sensors/t2 --subscribe sensors/t1
m=$(mark bob)
send bob keys
expect bob "^keys id=$BOB mode=sk topics=1 pubkeys=0$" "$m" "state: keys header after restart"
expect bob "^topic $H2 " "$m" "state: sensors/t2 key lost"
m=$(mark bob)
send alice "pub sensors/t2 after restart"
expect bob "^message sensors/t2 after restart$" "$m" "restarted bob cannot read sensors/t2"

# a command under the wrong key is rejected, with its reason
m=$(mark bob)
c2 "$BOB" reset-topics --client-key "$KA"
expect bob "^error command e4/$BOB: .*not authentic" "$m" "wrong command key not reported"

# replay: the same bytes again
hexmsg=$(grep '^sensors/t2 ' "$TMP/spy.out" | tail -n 1 | cut -d' ' -f2)
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$hexmsg" >"$TMP/replay.bin"
m=$(mark bob)
raw_pub sensors/t2 "$TMP/replay.bin"
expect bob "^error receive sensors/t2: .*replayed" "$m" "replay not detected"

# too old (e4 protect with an explicit time)
printf 'old news' | "$E4" protect --key "$TK2" --time $(( $(date +%s) - 700 )) >"$TMP/old.bin"
m=$(mark bob)
raw_pub sensors/t2 "$TMP/old.bin"
expect bob "^error receive sensors/t2: timestamp too old" "$m" "old timestamp accepted"

# e4 protect output is accepted like a client's
printf 'from the tool' | "$E4" protect --key "$TK2" >"$TMP/tool.bin"
m=$(mark bob)
raw_pub sensors/t2 "$TMP/tool.bin"
expect bob "^message sensors/t2 from the tool$" "$m" "e4 protect output rejected"

# an unprotected publish is not taken for a message
m=$(mark bob)
send alice "pubclear sensors/t2 a plaintext message that is long enough"
expect bob "^error receive sensors/t2: " "$m" "cleartext not rejected"
grep -q "^message sensors/t2 a plaintext" "$TMP/bob.out" && ko "cleartext accepted" || ok

# set-id-key: the old key no longer protects commands
KB2=$(key)
m=$(mark bob)
c2 "$BOB" set-id-key "$KB2" --client-key "$KB"
expect bob "^command applied e4/$BOB$" "$m" "set-id-key not applied"
m=$(mark bob)
c2 "$BOB" reset-topics --client-key "$KB"
expect bob "^error command e4/$BOB: .*not authentic" "$m" "old id key still accepted"
m=$(mark bob)
c2 "$BOB" reset-topics --client-key "$KB2"
expect bob "^command applied e4/$BOB$" "$m" "new id key refused"
m=$(mark bob)
send bob keys
expect bob "^keys id=$BOB mode=sk topics=0 pubkeys=0$" "$m" "reset-topics left keys"

# a public-key command on a symmetric-key client
m=$(mark bob)
c2 "$BOB" reset-pubkeys --client-key "$KB2"
expect bob "^error command e4/$BOB: " "$m" "PK command on an SK client not reported"

client_stop alice
client_stop bob

# ======================= public-key mode ===================================
"$E4" keygen --type x25519 >"$TMP/c2.keys"
C2PRIV=$(field private <"$TMP/c2.keys"); C2PUB=$(field public <"$TMP/c2.keys")
for who in carol dave eve; do "$E4" keygen --type ed25519 --name "$who" >"$TMP/$who.keys"; done
CPRIV=$(field private <"$TMP/carol.keys"); CPUB=$(field public <"$TMP/carol.keys"); CID=$(field id <"$TMP/carol.keys")
DPRIV=$(field private <"$TMP/dave.keys"); DPUB=$(field public <"$TMP/dave.keys"); DAVE=$(field id <"$TMP/dave.keys")
EPRIV=$(field private <"$TMP/eve.keys"); EPUB=$(field public <"$TMP/eve.keys"); EID=$(field id <"$TMP/eve.keys")
TK3=$(key); TK4=$(key)

client_start dave --json --name dave --sign-key "$DPRIV" --c2-pubkey "$C2PUB" \
  --topic-key "pk/t:$TK3" --pubkey "carol:$CPUB" --subscribe pk/t --subscribe pk/u
client_start carol --name carol --sign-key "$CPRIV" --c2-pubkey "$C2PUB" --topic-key "pk/t:$TK3"
client_start eve --name eve --sign-key "$EPRIV" --c2-pubkey "$C2PUB" \
  --topic-key "pk/t:$TK3" --topic-key "pk/u:$TK4"
grep -q '"event":"ready","id":"'"$DAVE"'","mode":"pk"' "$TMP/dave.out" && ok || ko "dave: JSON ready line"

m=$(mark dave)
send carol "pub pk/t signed by carol"
expect dave '^\{"event":"message","topic":"pk/t","payload":"signed by carol"\}$' "$m" "dave did not read carol"
wait_for spy "^pk/t " 0 || true
spied=$(sed -n 's/^pk\/t //p' "$TMP/spy.out" | head -n 1)
[ "${#spied}" -eq $(( 2 * (15 + 104) )) ] && ok || ko "PK message length ${#spied}"
grep -q "$(hex_of "signed by carol")" "$TMP/spy.out" && ko "the broker saw PK plaintext" || ok

# an unknown signer
m=$(mark dave)
send eve "pub pk/t signed by eve"
expect dave '"op":"receive","topic":"pk/t","error":"signer public key not found"' "$m" "unknown signer accepted"

# a forged message: eve's signature under carol's id
printf 'forged' | "$E4" protect --key "$TK3" --sign-key "$EPRIV" --id carol >"$TMP/forged.bin"
m=$(mark dave)
raw_pub pk/t "$TMP/forged.bin"
expect dave '"topic":"pk/t","error":"invalid signature"' "$m" "forged signature accepted"

# C2: set-pubkey lets dave verify eve
m=$(mark dave)
c2 "$DAVE" set-pubkey eve "$EPUB" --c2-key "$C2PRIV" --client-pubkey "$DPUB"
expect dave '^\{"event":"command","topic":"e4/'"$DAVE"'","result":"applied"\}$' "$m" "set-pubkey not applied"
m=$(mark dave)
send eve "pub pk/t eve is known now"
expect dave '"payload":"eve is known now"' "$m" "set-pubkey: eve still unknown"

# C2: set-topic-key in PK mode
m=$(mark dave)
send eve "pub pk/u before"
expect dave '"topic":"pk/u","error":"topic key not found"' "$m" "pk/u readable without key"
m=$(mark dave)
c2 "$DAVE" set-topic-key pk/u "$TK4" --c2-key "$C2PRIV" --client-pubkey "$DPUB"
expect dave '"event":"command"' "$m" "PK set-topic-key not applied"
m=$(mark dave)
send eve "pub pk/u after"
expect dave '"topic":"pk/u","payload":"after"' "$m" "PK set-topic-key: pk/u unreadable"

# C2: remove-pubkey (by hex id) makes carol unknown again
m=$(mark dave)
c2 "$DAVE" remove-pubkey "$CID" --c2-key "$C2PRIV" --client-pubkey "$DPUB"
expect dave '"event":"command"' "$m" "remove-pubkey not applied"
m=$(mark dave)
send carol "pub pk/t carol again"
expect dave '"topic":"pk/t","error":"signer public key not found"' "$m" "remove-pubkey: carol still known"

m=$(mark dave)
send dave keys
expect dave '^\{"event":"keys","id":"'"$DAVE"'","mode":"pk","topics":\[.*\],"pubkeys":\["'"$EID"'"\]\}$' "$m" \
  "keys (JSON) after set/remove-pubkey"

# a command from another C2 key is refused
"$E4" keygen --type x25519 >"$TMP/c2b.keys"
C2BPRIV=$(field private <"$TMP/c2b.keys"); C2BPUB=$(field public <"$TMP/c2b.keys")
m=$(mark dave)
c2 "$DAVE" reset-pubkeys --c2-key "$C2BPRIV" --client-pubkey "$DPUB"
expect dave '"op":"command","topic":"e4/'"$DAVE"'","error":"message not authentic' "$m" "foreign C2 key accepted"

# C2: set-c2-key moves dave to the new C2 key
m=$(mark dave)
c2 "$DAVE" set-c2-key "$C2BPUB" --c2-key "$C2PRIV" --client-pubkey "$DPUB"
expect dave '"event":"command"' "$m" "set-c2-key not applied"
m=$(mark dave)
c2 "$DAVE" reset-pubkeys --c2-key "$C2PRIV" --client-pubkey "$DPUB"
expect dave '"op":"command".*"error":"message not authentic' "$m" "old C2 key still accepted"
m=$(mark dave)
c2 "$DAVE" reset-pubkeys --c2-key "$C2BPRIV" --client-pubkey "$DPUB"
expect dave '"event":"command"' "$m" "new C2 key refused"
m=$(mark dave)
send eve "pub pk/t after reset"
expect dave '"error":"signer public key not found"' "$m" "reset-pubkeys left eve"

client_stop carol
client_stop eve
client_stop dave

# the spy never saw any plaintext of this run
for p in "signed by carol" "eve is known now" "after the key" "after restart" "from the tool"; do
  grep -q "$(hex_of "$p")" "$TMP/spy.out" && ko "plaintext '$p' visible to the broker" || ok
done

# ---- SIGTERM ends a client cleanly; a refused connection is an error -------------
client_start quiet --no-stdin --name quiet --key "$(key)"
kill -TERM "${CPID[quiet]}"
deadline=$(( $(date +%s) + TIMEOUT ))
while kill -0 "${CPID[quiet]}" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.05; done
if kill -0 "${CPID[quiet]}" 2>/dev/null; then ko "SIGTERM did not stop the client"; else
  wait "${CPID[quiet]}"; rc=$?
  [ "$rc" -eq 0 ] && ok || ko "SIGTERM exit status $rc"
fi
eval "exec ${FD[quiet]}>&-"; unset "FD[quiet]"

"$E4" client --broker "127.0.0.1:$(free_port)" --name nobody --key "$(key)" </dev/null >/dev/null 2>"$TMP/refused.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot connect" "$TMP/refused.err" && ok || ko "no broker: status $rc, $(cat "$TMP/refused.err")"

# ---- issue 11 defect 12: --timeout bounds the connection attempt -----------
# a listener whose backlog is full: the kernel drops further SYNs, and a
# blocking connect() waits for minutes
python3 - >"$TMP/full.port" <<'PY' &
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    fill.append(c)
print(port, flush=True)
time.sleep(30)
PY
PIDS+=("$!")
until [ -s "$TMP/full.port" ]; do sleep 0.05; done
t0=$(date +%s)
timeout 20 "$E4" client --broker "127.0.0.1:$(cat "$TMP/full.port")" --name full --key "$(key)" --timeout 2 \
  </dev/null >/dev/null 2>"$TMP/full.err"
rc=$?
t=$(( $(date +%s) - t0 ))
[ "$rc" -eq 1 ] && [ "$t" -le 4 ] && grep -q "cannot connect" "$TMP/full.err" && ok ||
  ko "full backlog: --timeout 2 took ${t} s, status $rc: $(cat "$TMP/full.err")"

# ---- issue 11 defect 13: only acknowledgements of requests in flight count --
# a broker sending SUBACKs for ids 2..2000 that nobody asked for, and never a
# PUBACK: a QoS 1 publish must not be reported published
python3 "$E4_SRC_DIR/tests/integration/e4_hostile_broker.py" "$TMP/hostile.port" &
PIDS+=("$!")
until [ -s "$TMP/hostile.port" ]; do sleep 0.05; done
SAVED_OPTS=("${CLIENT_OPTS[@]}")
CLIENT_OPTS=(--broker "127.0.0.1:$(cat "$TMP/hostile.port")" --no-receipts --timeout 1)
client_start hostile --name hostile --key "$(key)" --topic-key "h/t:$(key)"
send hostile "pub h/t one" "pub h/t two"
sleep 1.5
grep -q "^published" "$TMP/hostile.out" && ko "published without a PUBACK: $(cat "$TMP/hostile.out")" || ok
grep -q "unsolicited SUBACK" "$TMP/hostile.err" && ok || ko "unsolicited SUBACKs not logged: $(head -c 300 "$TMP/hostile.err")"
[ "$(grep -c unsolicited "$TMP/hostile.err")" -le 10 ] && ok || ko "unsolicited acknowledgements logged one line each"
eval "exec ${FD[hostile]}>&-"; unset "FD[hostile]"
deadline=$(( $(date +%s) + TIMEOUT ))
while kill -0 "${CPID[hostile]}" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.05; done
wait "${CPID[hostile]}"; rc=$?
grep -q "2 requests not acknowledged" "$TMP/hostile.err" && ok ||
  ko "hostile: exit $rc, the unacknowledged publishes not reported: $(cat "$TMP/hostile.err")"
CLIENT_OPTS=("${SAVED_OPTS[@]}")

# ---- issue 11 defect 14: a cap on received message sizes --------------------
BK=$(key)
client_start big --name big --key "$(key)" --topic-key "big/t:$BK" --max-message 100 --subscribe big/t
m=$(mark big)
head -c 200 /dev/zero >"$TMP/200.bin"
raw_pub big/t "$TMP/200.bin"
expect big "^error receive big/t: message of 200 bytes dropped: more than --max-message 100\$" "$m" "--max-message 100: 200 bytes not dropped"
m=$(mark big)
send big "pub big/t small"
expect big "^message big/t small\$" "$m" "--max-message 100: a small message was not delivered"
client_stop big
client_start big2 --name big2 --key "$(key)" --topic-key "big/t:$BK" --subscribe big/t
m=$(mark big2)
head -c $((1024 * 1024 + 1)) /dev/zero >"$TMP/1m.bin"
raw_pub big/t "$TMP/1m.bin"
expect big2 "^error receive big/t: message of 1048577 bytes dropped: more than --max-message 1048576\$" "$m" "default --max-message: 1 MiB + 1 not dropped"
client_stop big2

# ---- issue 11 defect 10: secrets from files and the environment ------------
KC=$(key)
printf '%s\n' "$KC" >"$TMP/carol.key"
printf '%s\n' "$TK1" >"$TMP/t1.key"
client_start carol --name carol --key-file "$TMP/carol.key" --topic-key-file "sensors/t1:$TMP/t1.key" \
  --subscribe sensors/t1
m=$(mark carol)
send carol "pub sensors/t1 via key files"
expect carol "^message sensors/t1 via key files\$" "$m" "carol (--key-file, --topic-key-file) did not decrypt"
client_stop carol
CAROL=$("$E4" id carol)
m=$(mark bob)
E4_CLIENT_KEY=$KC "$E4" command reset-topics >"$TMP/cmd-env.bin" && ok || ko "E4_CLIENT_KEY"
cmp -s "$TMP/cmd-env.bin" /dev/null && ko "empty command from E4_CLIENT_KEY" || ok
(E4_KEY=$KC exec "$E4" client "${CLIENT_OPTS[@]}" --name carol --no-stdin >"$TMP/carol-env.out" 2>&1) &
envpid=$!
PIDS+=("$envpid")
deadline=$(( $(date +%s) + TIMEOUT ))
until grep -q "^ready id=$CAROL mode=sk" "$TMP/carol-env.out" || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.05; done
grep -q "^ready id=$CAROL mode=sk" "$TMP/carol-env.out" && ok || ko "E4_KEY client: $(cat "$TMP/carol-env.out")"
kill -TERM "$envpid"; wait "$envpid"
# MQTT password from a file and from E4_MQTT_PASSWORD, never on the command line
MOSQ_MULTI_USER=dev MOSQ_MULTI_PASS=pw-1234 start_mosquitto_multi "$TMP/auth" 0 1 0 || die "auth broker"
APORT=${MOSQ_AUTH_PORTS[0]}
printf 'pw-1234\n' >"$TMP/mqtt.pw"
printf 'wrong\n' >"$TMP/mqtt.bad"
"$E4" client --broker "127.0.0.1:$APORT" --username dev --mqtt-password-file "$TMP/mqtt.pw" --name pwf \
  --key "$(key)" <<<"quit" >"$TMP/pwf.out" 2>&1
grep -q "^ready" "$TMP/pwf.out" && ok || ko "--mqtt-password-file: $(cat "$TMP/pwf.out")"
E4_MQTT_PASSWORD=pw-1234 "$E4" client --broker "127.0.0.1:$APORT" --username dev --name pwe \
  --key "$(key)" <<<"quit" >"$TMP/pwe.out" 2>&1
grep -q "^ready" "$TMP/pwe.out" && ok || ko "E4_MQTT_PASSWORD: $(cat "$TMP/pwe.out")"
"$E4" client --broker "127.0.0.1:$APORT" --username dev --mqtt-password-file "$TMP/mqtt.bad" --name pwb \
  --key "$(key)" --timeout 3 <<<"quit" >"$TMP/pwb.out" 2>&1
grep -q "^ready" "$TMP/pwb.out" && ko "wrong MQTT password accepted" || ok

echo "test_e4_e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
