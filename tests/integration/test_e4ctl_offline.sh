#!/usr/bin/env bash
# e4ctl without e4c2: usage errors (exit 2), help at every level, a closed
# port (exit 1, "cannot reach e4c2 at URL"), and, against a small fake HTTP
# server answering canned JSON: the error line "e4ctl: MESSAGE (CODE)",
# percent-encoded path segments as sent on the wire, events --follow
# reconnecting with Last-Event-ID, and how the answers about receipts and
# state sync are printed (client show, commands, topic show with its members
# behind, status, c2 rotate-key --finish). The end-to-end tests against the
# real e4c2 live elsewhere.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4CTL="$E4_BIN_DIR/e4ctl"
source "$E4_SRC_DIR/tests/integration/brokers.sh" # free_port, wait_port, stop_pid
mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4ctl-offline.XXXXXX")
FAKE_PID=
cleanup() { [ -n "$FAKE_PID" ] && stop_pid "$FAKE_PID"; rm -rf "$TMP"; }
trap cleanup EXIT

[ -x "$E4CTL" ] || { echo "FAIL: $E4CTL not built" >&2; exit 1; }
unset E4C2_URL E4C2_TOKEN

passed=0
failed=0
ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect NAME STATUS SUBSTRING -- COMMAND...: exit STATUS, SUBSTRING on stderr.
expect() {
  local name=$1 status=$2 substring=$3 rc
  shift 4
  timeout 30 "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  rc=$?
  if [ "$rc" -ne "$status" ]; then
    ko "$name: exit status $rc, expected $status (stderr: $(cat "$TMP/err"))"
  elif ! grep -qF -- "$substring" "$TMP/err"; then
    ko "$name: stderr lacks '$substring': $(cat "$TMP/err")"
  else
    ok
  fi
}

# ---- help and version --------------------------------------------------------
"$E4CTL" --help | grep "^Usage: e4ctl" >/dev/null && ok || ko "e4ctl --help"
"$E4CTL" --version | grep -q "^e4ctl " && ok || ko "e4ctl --version"
for group in client topic pubkey c2; do
  "$E4CTL" "$group" --help | grep "^Usage: e4ctl $group COMMAND" >/dev/null && ok || ko "e4ctl $group --help"
done
# every command listed in the top-level help has its own help
"$E4CTL" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/Commands:/ {
    if ($1 ~ /^(client|topic|pubkey|c2)$/) print $1, $2; else print $1 }' >"$TMP/commands"
[ "$(wc -l <"$TMP/commands")" -ge 25 ] && ok || ko "too few commands in e4ctl --help"
while read -r -a words; do
  "$E4CTL" "${words[@]}" --help | grep "^Usage: e4ctl ${words[*]} " >/dev/null && ok || ko "e4ctl ${words[*]} --help"
done <"$TMP/commands"

# ---- usage errors: exit 2 ----------------------------------------------------
expect "no command" 2 "missing command" -- "$E4CTL"
expect "unknown command" 2 "unknown command 'frob'" -- "$E4CTL" frob
expect "unknown subcommand" 2 "unknown command 'client frob'" -- "$E4CTL" client frob
expect "group alone" 2 "needs a command" -- "$E4CTL" topic
expect "unknown option" 2 "unrecognized option '--frob'" -- "$E4CTL" status --frob
expect "no token option" 2 "unrecognized option '--token'" -- "$E4CTL" status --token x
expect "option of another command" 2 "'e4ctl status' has no option '--all'" -- "$E4CTL" status --all
expect "missing argument" 2 "missing argument CLIENT" -- "$E4CTL" client show
expect "extra argument" 2 "unexpected argument" -- "$E4CTL" client show a b
expect "bad limit" 2 "--limit" -- "$E4CTL" client list --limit 0
expect "bad key" 2 "--key: expected 64 hex digits" -- "$E4CTL" client add a --key 00
expect "exclusive keys" 2 "exclude each other" -- "$E4CTL" client add a --key \
  "$(printf '00%.0s' {1..32})" --pubkey "$(printf '11%.0s' {1..32})"
expect "bad --url" 2 "--url" -- "$E4CTL" status --url 127.0.0.1:8640
expect "bad E4C2_URL" 2 "E4C2_URL" -- env E4C2_URL=ftp://x "$E4CTL" status
expect "token with a newline" 2 "control characters" -- env E4C2_TOKEN=$'a\nb' "$E4CTL" status
expect "usage hint" 2 "Try 'e4ctl client add --help'" -- "$E4CTL" client add

# ---- a closed port: exit 1, clear message -------------------------------------
DEAD=$(free_port)
URL="http://127.0.0.1:$DEAD"
expect "closed port (--url)" 1 "cannot reach e4c2 at $URL" -- "$E4CTL" --url "$URL" status
expect "closed port (E4C2_URL)" 1 "cannot reach e4c2 at $URL" -- env E4C2_URL="$URL/" "$E4CTL" status
expect "closed port (--json)" 1 "cannot reach e4c2" -- "$E4CTL" --url "$URL" --json client list --all
expect "closed port (follow)" 1 "cannot reach e4c2" -- "$E4CTL" --url "$URL" events --follow
[ ! -s "$TMP/out" ] && ok || ko "closed port: something on stdout: $(cat "$TMP/out")"
expect "token file missing" 1 "--token-file" -- "$E4CTL" --url "$URL" --token-file "$TMP/none" status

# ---- a fake server with canned answers -----------------------------------------
cat >"$TMP/fake.py" <<'PY'
import json, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
LOG = open(sys.argv[1], "a", buffering=1)
state = {"sse": 0}
T = 1700000000
CMD = {"client": "cd" * 16, "topic": "t1", "created": T, "sent_at": T + 1, "attempts": 1,
       "last_error": None, "refused": None, "repair": False, "done_at": T + 2}
CANNED = {
    "/v1/clients/cam": {"id": "cd" * 16, "name": "cam", "created": T, "pubkey": "02" * 32,
                        "topics": 1, "pending": 0, "sync": "in_sync", "state_at": T,
                        "c2_key_generation": 3},
    "/v1/clients/cam/commands": {"total": 4, "offset": 0, "limit": 100, "items": [
        dict(CMD, seq=4, command="set_topic_key", state="queued", sent_at=None, done_at=None, attempts=0),
        dict(CMD, seq=3, command="remove_topic", state="closed", repair=True),
        dict(CMD, seq=2, command="set_topic_key", state="refused", refused="topic key capacity reached"),
        dict(CMD, seq=1, command="set_topic_key", state="applied")]},
    "/v1/topics/t1": {"name": "t1", "hash": "0f" * 16, "version": 4, "created": T, "rotated_at": T,
                      "members": 3, "behind": 0, "not_current": 2, "key_id": "f0" * 8},
    "/v1/topics/t0": {"name": "t0", "hash": "0e" * 16, "version": 1, "created": T, "rotated_at": T,
                      "members": 3, "behind": 0, "not_current": 0, "key_id": "e0" * 8},
    "/v1/topics/t1/members?behind=true": {"total": 2, "offset": 0, "limit": 1, "items": [
        {"id": "ab" * 16, "name": "away-1", "created": T, "topics": 1, "pending": 1,
         "sync": "stale", "state_at": T}]},
}
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def answer(self, status, obj, ctype="application/json"):
        b = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        LOG.write("%s %s auth=%s last=%s\n" % (self.command, self.path,
                  self.headers.get("Authorization"), self.headers.get("Last-Event-ID")))
        if self.headers.get("Authorization") != "Bearer tok3n":
            return self.answer(401, {"error": {"code": "unauthorized", "message": "bad token"}})
        if self.path == "/v1/status":
            return self.answer(200, {"mode": "sk", "clients": 2, "topics": 1, "memberships": 2,
                                     "outbox": {"pending": 0, "oldest_age": 0}, "commands_sent": 5,
                                     "sync": {"unknown": 2, "in_sync": 3, "repairing": 1, "stale": 0}})
        if self.path in CANNED:
            return self.answer(200, CANNED[self.path])
        if self.path.startswith("/v1/events") and "event-stream" in self.headers.get("Accept", ""):
            state["sse"] += 1
            if state["sse"] > 2:
                return self.answer(403, {"error": {"code": "forbidden", "message": "enough"}})
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            n = state["sse"]
            ev = {"id": n, "at": 1700000000, "type": "topic.rotated", "data": {"topic": "a/b"}}
            self.wfile.write(b": keep-alive\n\nid: %d\nevent: topic.rotated\ndata: %s\n\n" % (n, json.dumps(ev).encode()))
            self.close_connection = True
            return
        if self.path.startswith("/html"):
            return self.answer(502, b"<html>bad gateway</html>", "text/html")
        self.answer(404, {"error": {"code": "not_found", "message": "nothing at this path"}})
    def do_POST(self):
        LOG.write("%s %s\n" % (self.command, self.path))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/v1/c2/rotate-key/finish":
            return self.answer(404, {"error": {"code": "not_found", "message": "nothing at this path"}})
        self.answer(200, {"unsent": 1, "unconfirmed": 3, "stragglers": [
            {"id": "ab" * 16, "name": "away-1"}, {"id": "ac" * 16, "name": "away-2"}]})
srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H)
srv.serve_forever()
PY
PORT=$(free_port)
python3 "$TMP/fake.py" "$TMP/fake.log" "$PORT" &
FAKE_PID=$!
wait_port "$PORT" 10 || { ko "fake server did not start"; PORT=; }
if [ -n "$PORT" ]; then
  URL="http://127.0.0.1:$PORT"
  printf 'tok3n\n' >"$TMP/token"
  export E4C2_URL=$URL

  expect "no token -> 401" 1 "e4ctl: bad token (unauthorized)" -- "$E4CTL" status
  grep -q "set E4C2_TOKEN" "$TMP/err" && ok || ko "401 without a token: no hint"
  E4C2_TOKEN=tok3n "$E4CTL" status >"$TMP/out" 2>"$TMP/err" && grep -q "^clients: *2$" "$TMP/out" \
    && ok || ko "status with E4C2_TOKEN: $(cat "$TMP/out" "$TMP/err")"
  "$E4CTL" --token-file "$TMP/token" --json status >"$TMP/out" 2>"$TMP/err" \
    && python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["commands_sent"] == 5' "$TMP/out" \
    && ok || ko "status --json with --token-file: $(cat "$TMP/out" "$TMP/err")"
  ! grep -q tok3n "$TMP/out" "$TMP/err" && ok || ko "the token was printed"

  export E4C2_TOKEN=tok3n
  expect "API error line" 1 "e4ctl: nothing at this path (not_found)" -- \
    "$E4CTL" topic show 'sensors/room 1/+#/caf'$'\xc3\xa9'
  grep -qF "GET /v1/topics/sensors%2Froom%201%2F%2B%23%2Fcaf%C3%A9 " "$TMP/fake.log" && ok \
    || ko "topic not percent-encoded on the wire: $(tail -1 "$TMP/fake.log")"
  expect "pubkey remove path" 1 "(not_found)" -- "$E4CTL" pubkey list 'a b/c'
  grep -qF "GET /v1/clients/a%20b%2Fc/pubkeys " "$TMP/fake.log" && ok || ko "client path: $(tail -1 "$TMP/fake.log")"
  expect "search query" 1 "(not_found)" -- "$E4CTL" topic list --search 'a&b=#' --limit 5
  grep -qF "GET /v1/topics?search=a%26b%3D%23&limit=5 " "$TMP/fake.log" && ok || ko "query: $(tail -1 "$TMP/fake.log")"
  expect "non-JSON error" 1 "HTTP 502 from e4c2 at $URL/html" -- "$E4CTL" --url "$URL/html/" status

  # events --follow: two connections (the second resumes after event 1), then a
  # 403 ends it with status 1.
  timeout 30 "$E4CTL" events --follow --after 0 >"$TMP/events" 2>"$TMP/err"
  rc=$?
  [ "$rc" -eq 1 ] && ok || ko "follow: exit $rc ($(cat "$TMP/err"))"
  [ "$(grep -c 'topic.rotated' "$TMP/events")" -eq 2 ] && ok || ko "follow: events $(cat "$TMP/events")"
  grep -q "^1  2023-11-14T22:13:20Z  topic.rotated  " "$TMP/events" && ok || ko "follow: line format $(cat "$TMP/events")"
  grep -q "last=1$" "$TMP/fake.log" && ok || ko "follow: no Last-Event-ID: 1 on reconnection"
  grep -q "reconnecting in 1 s" "$TMP/err" && ok || ko "follow: no reconnection message"
  grep -q "e4ctl: enough (forbidden)" "$TMP/err" && ok || ko "follow: 403 not reported"

  # ---- receipts and state sync, as printed ----
  "$E4CTL" status >"$TMP/out" 2>&1 && grep -q "^sync: *3 in sync, 1 repairing, 0 stale, 2 unknown$" "$TMP/out" \
    && ok || ko "status: sync counts: $(cat "$TMP/out")"
  "$E4CTL" client show cam >"$TMP/out" 2>&1 && grep -q "^sync: *in_sync$" "$TMP/out" \
    && grep -q "^last state: *2023-11-14T22:13:20Z$" "$TMP/out" && grep -q "^c2 key generation: *3$" "$TMP/out" \
    && ok || ko "client show: sync fields: $(cat "$TMP/out")"
  "$E4CTL" commands cam >"$TMP/out" 2>&1 && ok || ko "commands: $(cat "$TMP/out")"
  grep -q "^SEQ .* STATE  *REPAIR .* DONE  *ERROR$" "$TMP/out" && ok || ko "commands: header $(head -1 "$TMP/out")"
  grep -q "^2 .* refused  *no .* topic key capacity reached$" "$TMP/out" && ok || ko "commands: refusal reason $(cat "$TMP/out")"
  grep -q "^3 .* closed  *yes " "$TMP/out" && ok || ko "commands: repair flag $(cat "$TMP/out")"
  grep -q "^4 .* queued  *no .* -  *-  *-$" "$TMP/out" && ok || ko "commands: queued $(cat "$TMP/out")"
  grep -q "^1 .* applied  *no " "$TMP/out" && ok || ko "commands: applied $(cat "$TMP/out")"
  "$E4CTL" topic show t1 >"$TMP/out" 2>&1 && ok || ko "topic show: $(cat "$TMP/out")"
  grep -q "^not current: *2$" "$TMP/out" && grep -q "^not on the current key version: 2 member(s)$" "$TMP/out" \
    && grep -q "^away-1 .* stale  *2023-11-14T22:13:20Z " "$TMP/out" && grep -qF "(the first 1 of 2;" "$TMP/out" \
    && ok || ko "topic show: members behind $(cat "$TMP/out")"
  grep -qF "GET /v1/topics/t1/members?behind=true " "$TMP/fake.log" && ok || ko "topic show: no ?behind=true request"
  : >"$TMP/fake.log"
  "$E4CTL" topic show t0 >"$TMP/out" 2>&1 && ! grep -q "not on the current key" "$TMP/out" \
    && ! grep -q "behind=true" "$TMP/fake.log" && ok || ko "topic show, all current: $(cat "$TMP/out" "$TMP/fake.log")"
  "$E4CTL" --json topic show t1 >"$TMP/out" 2>&1 \
    && python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["not_current"] == 2' "$TMP/out" \
    && ! grep -q "behind=true" "$TMP/fake.log" && ok || ko "topic show --json: not the API's JSON alone: $(cat "$TMP/out")"
  "$E4CTL" c2 rotate-key --finish >"$TMP/out" 2>&1 && grep -q "^unsent: *1 client(s)" "$TMP/out" \
    && grep -q "^unconfirmed: *3 client(s)" "$TMP/out" && grep -q "^away-1  *abab" "$TMP/out" \
    && grep -q "^away-2  *acac" "$TMP/out" && grep -qF "(the first 2 of 3)" "$TMP/out" \
    && ok || ko "rotate-key --finish: $(cat "$TMP/out")"
  "$E4CTL" --json c2 rotate-key --finish >"$TMP/out" 2>&1 \
    && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["unconfirmed"] == 3 and len(d["stragglers"]) == 2' "$TMP/out" \
    && ok || ko "rotate-key --finish --json: $(cat "$TMP/out")"
fi

echo "e4ctl offline: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
