#!/usr/bin/env bash
# e4c2 import benchmark: N clients (default 100,000, from `e4sim --generate`)
# imported in one API call (POST /v1/clients/import, JSON lines), on SQLite
# and on PostgreSQL, timed end to end (goal: at most 10 s); e4c2's peak RSS
# (VmHWM) after the import and after rotating a topic with all N members
# (goal: at most 64 MiB). Not part of the pass/fail tests.
#
# For each backend: a fresh database, `e4c2 run` on a free loopback port with
# a mosquitto (no subscriber: the commands are only sent to the broker), the
# import, a topic joined by all N clients (JOIN_BATCH per API call, the API
# takes at most 10,000), the join's commands sent (outbox empty), one
# rotation, its commands sent. Times of the join and the rotation are shown
# too (from the first API call until the outbox is empty).
#
#   bash bench/e4c2_import.sh                              # N=100000, sqlite and pg
#   N=1000 BACKENDS=sqlite E4_BIN_DIR=build-bench/bin bash bench/e4c2_import.sh
#
# Environment: N, BACKENDS ("sqlite pg"), JOIN_BATCH (10000), TIMEOUT
# (seconds per wait, default 900), E4_BIN_DIR (default build/bin). Progress
# on stderr, the table on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E4_SRC_DIR=$ROOT
E4_BIN_DIR=${E4_BIN_DIR:-$ROOT/build/bin}
N=${N:-100000}
BACKENDS=${BACKENDS:-sqlite pg}
JOIN_BATCH=${JOIN_BATCH:-10000}
TIMEOUT=${TIMEOUT:-900}

say() { echo "e4c2_import: $*" >&2; }
die() { say "FATAL: $*"; exit 1; }

for bin in e4c2 e4sim; do
  [ -x "$E4_BIN_DIR/$bin" ] ||
    die "$E4_BIN_DIR/$bin is missing: build with 'cmake -S . -B build && cmake --build build' or set E4_BIN_DIR"
done
for tool in mosquitto curl python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh)"
done
[[ "$N" =~ ^[1-9][0-9]*$ && "$JOIN_BATCH" =~ ^[1-9][0-9]*$ ]] || die "N and JOIN_BATCH must be positive integers"
[ "$JOIN_BATCH" -le 10000 ] || die "JOIN_BATCH: the API takes at most 10000 clients per call"
for b in $BACKENDS; do [ "$b" = sqlite ] || [ "$b" = pg ] || die "BACKENDS: sqlite and/or pg, not $b"; done

mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4c2-import.XXXXXX")
source "$ROOT/tests/integration/brokers.sh"
source "$ROOT/tests/integration/pg.sh"
source "$ROOT/tests/integration/c2.sh"
finish() {
  local rc=$? f
  set +e
  c2_stop_all
  brokers_stop_all
  pg_stop_all
  if [ "$rc" -ne 0 ]; then
    for f in "$TMP"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2; done
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
curl_ms() { awk -v s="$CURL_TIME" 'BEGIN { printf "%d", s * 1000 + 0.5 }'; }
# hwm PID: peak resident set (VmHWM) in KiB
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# curl_api METHOD PATH [CONTENT_TYPE FILE]: fails on an HTTP error; the
# answer in $TMP/answer, curl's total time (s) in CURL_TIME.
curl_api() {
  local out body=()
  [ $# -lt 4 ] || body=(-H "Content-Type: $3" --data-binary "@$4")
  out=$(curl -sS -o "$TMP/answer" -w '%{http_code} %{time_total}' -X "$1" -H "Authorization: Bearer $E4C2_TOKEN" \
    "${body[@]}" --max-time "$TIMEOUT" "$E4C2_URL$2") || die "$1 $2: curl failed"
  CURL_TIME=${out#* }
  [ "${out:0:1}" = 2 ] || die "$1 $2: HTTP ${out% *}: $(head -c 300 "$TMP/answer")"
}

# wait_empty: until GET /v1/status says the outbox is empty (polled every 50 ms).
wait_empty() {
  local deadline=$(( $(date +%s) + TIMEOUT )) pending
  while :; do
    pending=$(curl -fsS -H "Authorization: Bearer $E4C2_TOKEN" "$E4C2_URL/v1/status" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["outbox"]["pending"])') || die "GET /v1/status failed"
    [ "$pending" -eq 0 ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || die "the outbox still holds $pending commands after $TIMEOUT s"
    kill -0 "$C2_PID" 2>/dev/null || die "e4c2 exited"
    sleep 0.05
  done
}

# No subscriber: the broker only takes the commands (QoS 2 flow) and drops
# them. The queue limit matters only for a subscriber's session; set high anyway.
start_mosquitto "$TMP/broker" "allow_anonymous true" "user $(id -un)" "max_queued_messages 200000" ||
  die "mosquitto did not start"
say "mosquitto on port $MOSQUITTO_PORT (PID $MOSQUITTO_PID)"

say "generating $N devices"
"$E4_BIN_DIR/e4sim" --generate "$N" --prefix dev --out "$TMP/devices.jsonl"
say "devices file: $(wc -c <"$TMP/devices.jsonl") bytes"
for ((first = 1, k = 0; first <= N; first += JOIN_BATCH, k++)); do
  last=$(( first + JOIN_BATCH - 1 < N ? first + JOIN_BATCH - 1 : N ))
  python3 -c 'import json,sys
print(json.dumps({"clients": ["dev-%d" % i for i in range(int(sys.argv[1]), int(sys.argv[2]) + 1)]}))' \
    "$first" "$last" >"$TMP/members.$k.json"
done
NBATCH=$k

for backend in $BACKENDS; do
  if [ "$backend" = pg ]; then
    if [ -z "${PG_PORT:-}" ]; then
      start_postgres "$TMP/pg" || die "PostgreSQL did not start"
      say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on port $PG_PORT (PID $PG_PID)"
    fi
    C2_BACKEND=pg
  else
    C2_BACKEND=sqlite
  fi
  c2_database "c2_$backend"
  c2_init sk || die "e4c2 init ($backend)"
  export E4C2_TOKEN
  E4C2_TOKEN=$(c2_token bench)
  c2_start "c2_$backend" || die "e4c2 did not start ($backend)"
  say "$backend: e4c2 on $E4C2_URL (PID $C2_PID), VmRSS $(rss "$C2_PID") KiB"

  curl_api POST /v1/clients/import application/x-ndjson "$TMP/devices.jsonl"
  import_ms=$(curl_ms)
  [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["imported"])' "$TMP/answer")" = "$N" ] ||
    die "$backend: import answered $(head -c 200 "$TMP/answer")"
  hwm_import=$(hwm "$C2_PID")
  say "$backend: imported $N clients in $import_ms ms (HTTP request, as curl timed it), VmHWM $hwm_import KiB"

  echo '{"name":"fleet"}' >"$TMP/topic.json"
  curl_api POST /v1/topics application/json "$TMP/topic.json"
  t=$(date +%s%N)
  join_api_ms=0
  for ((k = 0; k < NBATCH; k++)); do
    curl_api POST /v1/topics/fleet/members application/json "$TMP/members.$k.json"
    join_api_ms=$(( join_api_ms + $(curl_ms) ))
  done
  say "$backend: $N members joined in $NBATCH calls ($join_api_ms ms in the API calls); sending their keys"
  wait_empty
  join_ms=$(ms_since "$t")
  hwm_join=$(hwm "$C2_PID")
  say "$backend: join commands sent after $join_ms ms, VmHWM $hwm_join KiB"

  t=$(date +%s%N)
  curl_api POST /v1/topics/fleet/rotate
  rotate_api_ms=$(curl_ms)
  wait_empty
  rotate_ms=$(ms_since "$t")
  hwm_rotate=$(hwm "$C2_PID")
  say "$backend: rotation API call $rotate_api_ms ms, commands sent after $rotate_ms ms, VmHWM $hwm_rotate KiB"
  echo "$backend $import_ms $hwm_import $join_api_ms $join_ms $rotate_api_ms $rotate_ms $hwm_join $hwm_rotate" \
    >>"$TMP/results"
  c2_stop_all
done

echo "e4c2: $N clients imported in one POST /v1/clients/import (JSON lines, $(wc -c <"$TMP/devices.jsonl") bytes),"
echo "then a topic joined by all $N ($NBATCH calls) and rotated; commands sent to mosquitto (no subscriber)."
echo "$(nproc) CPUs; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Goals: import <= 10 s, peak RSS <= 64 MiB."
echo
python3 - "$N" "$TMP/results" <<'PY'
import sys
n = int(sys.argv[1])
rows = [l.split() for l in open(sys.argv[2])]
mib = lambda kib: "%.1f MiB" % (int(kib) / 1024)
sec = lambda ms: "%.2f s" % (int(ms) / 1000)
rate = lambda ms: "%.0f/s" % (n * 1000 / max(int(ms), 1))
lines = [("import (HTTP request, end to end)", lambda r: "%s (%s)" % (sec(r[1]), rate(r[1]))),
         ("  goal <= 10 s", lambda r: "met" if int(r[1]) <= 10000 else "MISSED"),
         ("peak RSS (VmHWM) after the import", lambda r: mib(r[2])),
         ("join: API calls", lambda r: sec(r[3])),
         ("join: until the outbox is empty", lambda r: "%s (%s)" % (sec(r[4]), rate(r[4]))),
         ("peak RSS after the join", lambda r: mib(r[7])),
         ("rotation: API call", lambda r: sec(r[5])),
         ("rotation: until the outbox is empty", lambda r: "%s (%s)" % (sec(r[6]), rate(r[6]))),
         ("peak RSS after the rotation", lambda r: mib(r[8])),
         ("  goal <= 64 MiB", lambda r: "met" if int(r[8]) <= 64 * 1024 else "MISSED")]
w = max(len(l) for l, _ in lines)
print("| %-*s | %s |" % (w, "", " | ".join("%-18s" % r[0] for r in rows)))
print("|%s|%s|" % ("-" * (w + 2), "|".join("-" * 20 for _ in rows)))
for label, f in lines:
    print("| %-*s | %s |" % (w, label, " | ".join("%-18s" % f(r) for r in rows)))
PY
