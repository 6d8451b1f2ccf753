#!/usr/bin/env bash
# `e4 client` keeps its MQTT session on a real mosquitto: by default it
# connects with clean session off and a stable client id ("e4-" and the first
# 20 hex digits of its E4 id), so a C2 command published with QoS 2 while the
# device is away (stdin closed, or the process killed) is delivered when the
# same identity comes back, and the device can then read the topic. With
# --clean-session the command sent while it was away is lost, as before.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"

# shellcheck source=brokers.sh
source "$E4_SRC_DIR/tests/integration/brokers.sh"
# shellcheck source=e4_clients.sh
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
e4_test_init e4-session "$E4" mosquitto mosquitto_pub

# The broker keeps sessions in memory (persistence false) and stays up. Its
# log names each client id with its clean-session flag (c0/c1); as root,
# mosquitto must stay root to write the log in TMP.
conf=("allow_anonymous true")
[ "$(id -u)" -ne 0 ] || conf+=("user root")
e4_test_broker "${conf[@]}"
LOG="$TMP/broker/mosquitto.log"

# c2 ID COMMAND ARGS...: a protected command on e4/ID, QoS 2, from stdin.
c2() {
  local id=$1
  shift
  "$E4" command "$@" | mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 2 -t "e4/$id" -s ||
    die "publishing e4 command $1"
}
# send_protected TOPIC KEY MESSAGE: what another device would publish.
send_protected() {
  printf '%s' "$3" | "$E4" protect --key "$2" |
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "$1" -s || die "publishing on $1"
}
# logged REGEX: the broker's log has a matching line (bounded wait).
logged() {
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until grep -Eq -- "$1" "$LOG" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}
# connections: how many client connections the broker logged so far.
connections() { grep -c 'New client connected' "$LOG" 2>/dev/null || true; }
# logged_after N REGEX: connection number N+1 (the next one) matches REGEX.
logged_after() {
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(connections)" -gt "$1" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
  grep 'New client connected' "$LOG" | sed -n "$(( $1 + 1 ))p" | grep -Eq -- "$2"
}
# gone NAME: the client process has exited (it was killed).
gone() {
  local deadline=$(( $(date +%s) + TIMEOUT ))
  while kill -0 "${CPID[$1]}" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || die "$1 is still running"
    sleep 0.05
  done
  wait "${CPID[$1]}" 2>/dev/null
  eval "exec ${FD[$1]}>&-"
  unset "FD[$1]"
}

# ======================= persistent session (default) =========================
K=$(key); TK1=$(key); TK2=$(key)
ID=$("$E4" id sess-dev)
CID="e4-${ID:0:20}"

client_start dev --name sess-dev --key "$K" --subscribe sensors/s1
logged "as $CID \(p[0-9], c0," && ok || ko "no connection as $CID with clean session off"

# away with its stdin closed: a clean DISCONNECT, the session stays
client_stop dev
c2 "$ID" set-topic-key sensors/s1 "$TK1" --client-key "$K"
client_start dev --name sess-dev --key "$K"
expect dev "^command applied e4/$ID$" 0 "the command sent while away was not delivered"
# the session also kept the subscription to sensors/s1 (not given this time)
m=$(mark dev)
send_protected sensors/s1 "$TK1" "queued key works"
expect dev "^message sensors/s1 queued key works$" "$m" "no decryption with the key set while away"
m=$(mark dev)
send dev keys
expect dev "^keys id=$ID mode=sk topics=1 pubkeys=0$" "$m" "keys after the queued command"

# away because the process died (no DISCONNECT at all)
kill -KILL "${CPID[dev]}"
gone dev
c2 "$ID" set-topic-key sensors/s2 "$TK2" --client-key "$K"
client_start dev --name sess-dev --key "$K" --topic-key "sensors/s1:$TK1" --subscribe sensors/s2
expect dev "^command applied e4/$ID$" 0 "the command sent after a crash was not delivered"
m=$(mark dev)
send_protected sensors/s2 "$TK2" "after the crash"
expect dev "^message sensors/s2 after the crash$" "$m" "no decryption after the crash"
grep -q "^error" "$TMP/dev.out" && ko "errors: $(grep '^error' "$TMP/dev.out")" || ok
client_stop dev

# --client-id overrides the stable id, and keeps its own session
c2 "$ID" reset-topics --client-key "$K" # queued for e4-..., not for the custom id
client_start custom --client-id sess-custom --name sess-dev --key "$K" --topic-key "sensors/s1:$TK1" \
  --subscribe sensors/s1
logged "as sess-custom \(p[0-9], c0," && ok || ko "--client-id not used"
m=$(mark custom)
send_protected sensors/s1 "$TK1" "custom id"
expect custom "^message sensors/s1 custom id$" "$m" "custom id: no message"
grep -q "^command applied" "$TMP/custom.out" && ko "a command queued for another session arrived" || ok
client_stop custom

# ======================= --clean-session ===================================
K2=$(key); TK3=$(key); TK4=$(key)
ID2=$("$E4" id clean-dev)
n=$(connections)
client_start clean --clean-session --name clean-dev --key "$K2"
logged_after "$n" " as [^ ]+ \(p[0-9], c1," && ok || ko "no connection with clean session on"
grep -q "as e4-${ID2:0:20} " "$LOG" && ko "--clean-session used the stable client id" || ok
client_stop clean
c2 "$ID2" set-topic-key sensors/c3 "$TK3" --client-key "$K2" # lost: nobody's session
client_start clean --clean-session --name clean-dev --key "$K2"
m=$(mark clean)
c2 "$ID2" set-topic-key sensors/c4 "$TK4" --client-key "$K2"
expect clean "^command applied e4/$ID2$" "$m" "clean session: a command sent while connected"
m=$(mark clean)
send clean keys
expect clean "^keys id=$ID2 mode=sk topics=1 pubkeys=0$" "$m" "clean session: the command sent while away arrived"
[ "$(grep -c '^command applied' "$TMP/clean.out")" -eq 1 ] && ok || ko "clean session: commands $(grep -c '^command applied' "$TMP/clean.out")"
client_stop clean

# usage: an empty client id is refused (libmosquitto cannot ask the broker for one)
"$E4" client --broker "127.0.0.1:$PORT" --client-id "" --name x --key "$K" </dev/null >/dev/null 2>"$TMP/empty.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--clean-session" "$TMP/empty.err" && ok || ko "empty --client-id: status $rc"

echo "test_e4_session: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
