#!/usr/bin/env bash
# e4c2 on SQLite: a sealed key moved to another row does not open there.
#
# Every key e4c2 stores is sealed (XChaCha20-Poly1305 under the master key)
# with its place as associated data: "clients.key" and the client's id,
# "topics.key" and the topic's (name, version). Someone who can write the
# database but does not know the master key may still move sealed values
# around: give client a the sealed key of client b, or topic T the sealed
# key of topic U. This test does exactly that with the sqlite3 CLI, on copies
# of a real database, restarts e4c2 and checks that every operation that
# needs the moved key fails with HTTP 500 and a JSON error saying the key
# "does not open" (naming no key), that nothing is queued for the devices,
# and that nothing is changed. It also checks that a wrong passphrase stops
# `e4c2 run` (exit 1, "wrong passphrase").
#
# Why this fails if the binding to the place were removed (keyring.c's
# make_ad() giving the same associated data for every place): the moved
# values are genuine, sealed by e4c2 under the very master key the restarted
# e4c2 unlocks. Only the associated data tells a's row from b's, T's from
# U's. Without it, a's row would open to b's key: POST /v1/clients/a/rekey
# would answer 200 and queue a SetIDKey protected by b's key (pending + 1),
# joining c to T would send c the key of U, rotating T would send its new key
# to a under b's key -- the "500", "does not open" and "pending unchanged"
# checks below all fail. The control checks (a client and a topic left in
# place still work, and pending does count what is queued) make sure the
# failures come from the moved values and nothing else.
C2_TEST=tamper
C2_BACKEND=sqlite
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"

command -v sqlite3 >/dev/null || die "the sqlite3 command-line program is needed"
[ -x "$E4C2" ] || die "no e4c2 in $E4_BIN_DIR"

# No broker listens on this port: e4c2 cannot send, so every command queued
# stays pending and GET /v1/status outbox.pending counts exactly what was
# queued (with a broker, a wrongly queued command could be sent and gone
# before we look).
MOSQUITTO_PORT=$(free_port)

c2_database c2
c2_init sk || die "e4c2 init failed"
DB=${C2_DB#sqlite:}

# ---- a wrong passphrase stops e4c2 at start-up -------------------------------
echo "not the passphrase at all" >"$TMP/wrong"
"$E4C2" run --db "$C2_DB" --passphrase-file "$TMP/wrong" --broker "mqtt://127.0.0.1:$MOSQUITTO_PORT" \
  --listen "127.0.0.1:$(free_port)" 2>"$TMP/wrong.err"
rc=$?
check "a wrong passphrase: e4c2 run exits 1" '[ $rc -eq 1 ]'
check "a wrong passphrase: says \"wrong passphrase\"" 'grep -q "wrong passphrase" "$TMP/wrong.err"'
check "a wrong passphrase: does not print it" '! grep -q "not the passphrase" "$TMP/wrong.err"'

# ---- the setup: clients a, b, c; topics T (members a, b) and U -------------
c2_start setup || die "e4c2 did not start"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin) || die "token create failed"
declare -A KEY
for n in a b c; do
  api POST /v1/clients "{\"name\":\"$n\"}" >/dev/null
  [ "${HTTP_STATUS:0:1}" = 2 ] || die "client $n: HTTP $HTTP_STATUS $(cat "$TMP/api.body")"
  KEY[$n]=$(json_get key <"$TMP/api.body") || die "client $n: no key in $(cat "$TMP/api.body")"
done
for t in T U; do
  api POST /v1/topics "{\"name\":\"$t\"}" >/dev/null
  [ "${HTTP_STATUS:0:1}" = 2 ] || die "topic $t: HTTP $HTTP_STATUS $(cat "$TMP/api.body")"
done
api POST /v1/topics/T/members '{"clients":["a","b"]}' >/dev/null
[ "${HTTP_STATUS:0:1}" = 2 ] || die "join T: HTTP $HTTP_STATUS $(cat "$TMP/api.body")"
c2_stop_all

q() { sqlite3 -batch -noheader "$1" "$2"; }
# Two consistent copies of the stopped database, one per tampering.
sqlite3 "$DB" ".backup '$TMP/clients.db'" || die "sqlite3 .backup failed"
sqlite3 "$DB" ".backup '$TMP/topics.db'" || die "sqlite3 .backup failed"

# Copy 1: clients a and b swap their sealed keys.
A_SEALED=$(q "$TMP/clients.db" "SELECT hex(key_sealed) FROM clients WHERE name = 'a'")
B_SEALED=$(q "$TMP/clients.db" "SELECT hex(key_sealed) FROM clients WHERE name = 'b'")
q "$TMP/clients.db" "CREATE TEMP TABLE k AS SELECT name, key_sealed FROM clients WHERE name IN ('a', 'b');
  UPDATE clients SET key_sealed = (SELECT k.key_sealed FROM k
    WHERE k.name = CASE clients.name WHEN 'a' THEN 'b' ELSE 'a' END) WHERE name IN ('a', 'b');" ||
  die "cannot swap the client keys"
check "copy 1: a now holds b's sealed key and b a's" \
  '[ -n "$A_SEALED" ] && [ "$A_SEALED" != "$B_SEALED" ] &&
   [ "$(q "$TMP/clients.db" "SELECT hex(key_sealed) FROM clients WHERE name = '"'a'"'")" = "$B_SEALED" ] &&
   [ "$(q "$TMP/clients.db" "SELECT hex(key_sealed) FROM clients WHERE name = '"'b'"'")" = "$A_SEALED" ]'

# Copy 2: topics T and U swap their sealed keys (both at version 1).
T_SEALED=$(q "$TMP/topics.db" "SELECT hex(key_sealed) FROM topics WHERE name = 'T'")
U_SEALED=$(q "$TMP/topics.db" "SELECT hex(key_sealed) FROM topics WHERE name = 'U'")
q "$TMP/topics.db" "CREATE TEMP TABLE k AS SELECT name, key_sealed FROM topics WHERE name IN ('T', 'U');
  UPDATE topics SET key_sealed = (SELECT k.key_sealed FROM k
    WHERE k.name = CASE topics.name WHEN 'T' THEN 'U' ELSE 'T' END) WHERE name IN ('T', 'U');" ||
  die "cannot swap the topic keys"
check "copy 2: T now holds U's sealed key and U T's" \
  '[ -n "$T_SEALED" ] && [ "$T_SEALED" != "$U_SEALED" ] &&
   [ "$(q "$TMP/topics.db" "SELECT hex(key_sealed) FROM topics WHERE name = '"'T'"'")" = "$U_SEALED" ] &&
   [ "$(q "$TMP/topics.db" "SELECT hex(key_sealed) FROM topics WHERE name = '"'U'"'")" = "$T_SEALED" ]'

# What a refusal must look like: 500, {"error":{"code":"internal","message":
# "... does not open ..."}}, and no key (raw or sealed) in the body.
SECRETS=("${KEY[a]}" "${KEY[b]}" "${KEY[c]}" "$A_SEALED" "$B_SEALED" "$T_SEALED" "$U_SEALED")
refused() {
  local what=$1 method=$2 path=$3 body=${4:-} msg s leak=0
  if [ -n "$body" ]; then api "$method" "$path" "$body" >/dev/null; else api "$method" "$path" >/dev/null; fi
  msg=$(json_get error.message <"$TMP/api.body" 2>/dev/null || true)
  for s in "${SECRETS[@]}"; do
    [ -n "$s" ] && grep -qi "$s" "$TMP/api.body" && leak=1
  done
  if [ "$HTTP_STATUS" = 500 ] && [ "$(json_get error.code <"$TMP/api.body" 2>/dev/null)" = internal ] &&
     [[ $msg == *"does not open"* ]] && [ $leak = 0 ]; then
    ok
  else
    ko "$what: want 500 \"...does not open...\" naming no key, got $HTTP_STATUS $(cat "$TMP/api.body")"
  fi
}
pending() { api GET /v1/status >/dev/null && json_get outbox.pending <"$TMP/api.body"; }
outbox_rows() { q "$1" "SELECT count(*) FROM outbox"; }
ORIG_ROWS=$(outbox_rows "$DB")

# ---- copy 1: the client keys do not open in each other's rows --------------
C2_DB="sqlite:$TMP/clients.db"
c2_start clients || die "e4c2 did not start on copy 1"
api GET /v1/clients/a >/dev/null
check "copy 1: e4c2 is up and reads a's row" '[ "$HTTP_STATUS" = 200 ]'
P0=$(pending)
check "copy 1: outbox.pending is a number" '[[ $P0 =~ ^[0-9]+$ ]]'
refused "copy 1: rekey a" POST /v1/clients/a/rekey
refused "copy 1: rekey b" POST /v1/clients/b/rekey
refused "copy 1: join a to U (sends U's key under a's key)" POST /v1/topics/U/members '{"clients":["a"]}'
refused "copy 1: rotate T (sends the new key to a and b)" POST /v1/topics/T/rotate
check "copy 1: the message says the database was altered" 'grep -q "the database was altered" "$TMP/api.body"'
P1=$(pending)
check "copy 1: nothing queued (pending $P0 -> $P1)" '[ "$P1" = "$P0" ]'
# control: c's key is in its place; rekeying c works and is counted
api POST /v1/clients/c/rekey >/dev/null
check "copy 1: rekey c (untouched) -> 200" '[ "$HTTP_STATUS" = 200 ]'
check "copy 1: and pending counts it" '[ "$(pending)" = $((P0 + 1)) ]'
c2_stop_all
check "copy 1: the refused operations changed nothing" \
  '[ "$(q "$TMP/clients.db" "SELECT hex(key_sealed) FROM clients WHERE name = '"'a'"'")" = "$B_SEALED" ] &&
   [ "$(q "$TMP/clients.db" "SELECT hex(key_sealed) FROM clients WHERE name = '"'b'"'")" = "$A_SEALED" ] &&
   [ "$(q "$TMP/clients.db" "SELECT version FROM topics WHERE name = '"'T'"'")" = 1 ] &&
   [ "$(q "$TMP/clients.db" "SELECT count(*) FROM members m JOIN topics t ON t.id = m.topic_id WHERE t.name = '"'U'"'")" = 0 ] &&
   [ "$(outbox_rows "$TMP/clients.db")" = $((ORIG_ROWS + 1)) ]'

# ---- copy 2: the topic keys do not open in each other's rows ----------------
C2_DB="sqlite:$TMP/topics.db"
c2_start topics || die "e4c2 did not start on copy 2"
P0=$(pending)
check "copy 2: outbox.pending is a number" '[[ $P0 =~ ^[0-9]+$ ]]'
refused "copy 2: join c to T" POST /v1/topics/T/members '{"clients":["c"]}'
refused "copy 2: join c to U" POST /v1/topics/U/members '{"clients":["c"]}'
check "copy 2: the message names the topic" '[[ "$(json_get error.message <"$TMP/api.body" 2>/dev/null)" == *"topic \"U\""* ]]'
P1=$(pending)
check "copy 2: nothing queued (pending $P0 -> $P1)" '[ "$P1" = "$P0" ]'
api GET /v1/topics/T/members >/dev/null
check "copy 2: c joined nothing" 'grep -q "\"name\":\"a\"" "$TMP/api.body" && ! grep -q "\"name\":\"c\"" "$TMP/api.body"'
# Rotation never reads the old key (it makes a new one): it is the way out
# for a topic whose key no longer opens, and then joining works again.
api POST /v1/topics/T/rotate >/dev/null
check "copy 2: rotate T (new key, the moved one unread) -> 200" '[ "$HTTP_STATUS" = 200 ]'
api POST /v1/topics/T/members '{"clients":["c"]}' >/dev/null
check "copy 2: after the rotation, joining T works" '[ "${HTTP_STATUS:0:1}" = 2 ]'
c2_stop_all

c2_done
