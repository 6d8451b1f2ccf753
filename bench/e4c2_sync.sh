#!/usr/bin/env bash
# Receipts benchmark. Not part of the pass/fail tests.
#
# 1. A rotation of one topic with N members (e4sim devices sending
#    receipts, mosquitto, e4c2 on SQLite or PostgreSQL with BACKEND=pg):
#    from the API call, the time until every command is sent (the broker's
#    PUBCOMP: e4c2_commands_sent_total) and until every command is applied
#    (APPLIED receipts processed: e4c2_receipts_total{kind="applied"}), and
#    until all N are in sync again (their STATE compared). /metrics is read
#    every POLL_MS ms. Goal: applied within 2x of sent.
# 2. e4c2_receipts: receipts processed per second on one core (a fresh
#    SQLite database; APPLIED then STATE of N clients), against libe4 alone.
#    Goal: at least 20,000/s.
#
#   bash bench/e4c2_sync.sh                      # N=10000 REPS=3
#   N=1000 REPS=1 E4_BIN_DIR=build-bench/bin bash bench/e4c2_sync.sh
#
# Environment: N, REPS, POLL_MS (10), TIMEOUT (300), BACKEND (sqlite|pg),
# E4_BIN_DIR (default build/bin). Progress on stderr, tables on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E4_SRC_DIR=$ROOT
E4_BIN_DIR=${E4_BIN_DIR:-$ROOT/build/bin}
N=${N:-10000}
REPS=${REPS:-3}
POLL_MS=${POLL_MS:-10}
TIMEOUT=${TIMEOUT:-300}
BACKEND=${BACKEND:-sqlite}

say() { echo "e4c2_sync: $*" >&2; }
die() { say "FATAL: $*"; exit 1; }
for bin in e4c2 e4ctl e4sim e4c2_receipts; do
  [ -x "$E4_BIN_DIR/$bin" ] || die "$E4_BIN_DIR/$bin is missing: build with -DE4_BENCH=ON or set E4_BIN_DIR"
done
[[ "$N" =~ ^[1-9][0-9]*$ && "$N" -le 10000 && "$REPS" =~ ^[1-9][0-9]*$ ]] ||
  die "N (1..10000, one join call) and REPS must be positive integers"

mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4c2-sync.XXXXXX")
SIM_PID=""
source "$ROOT/tests/integration/brokers.sh"
[ "$BACKEND" = pg ] && source "$ROOT/tests/integration/pg.sh"
source "$ROOT/tests/integration/c2.sh"
finish() {
  local rc=$?
  set +e
  [ -n "$SIM_PID" ] && stop_pid "$SIM_PID"
  c2_stop_all
  brokers_stop_all
  declare -F pg_stop_all >/dev/null && pg_stop_all
  [ "$rc" -ne 0 ] && for f in "$TMP"/c2.log "$TMP"/sim.err; do [ -s "$f" ] && tail -n 20 "$f" >&2; done
  rm -rf "$TMP"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

cat >"$TMP/driver.py" <<'PY'
import http.client, json, os, sys, time

def conn(url):
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=60)

def get(c, path, raw=False):
    c.request("GET", path, headers={"Authorization": "Bearer " + os.environ["E4C2_TOKEN"]})
    r = c.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit("driver: GET %s: %d" % (path, r.status))
    return data.decode() if raw else json.loads(data)

def counters(c):
    sent = applied = 0
    for line in get(c, "/metrics", raw=True).splitlines():
        if line.startswith("e4c2_commands_sent_total "):
            sent = int(line.split()[1])
        elif line.startswith('e4c2_receipts_total{kind="applied"} '):
            applied = int(line.split()[1])
    return sent, applied

def in_sync(c):
    return get(c, "/v1/status")["sync"]["in_sync"]

def wait_in_sync(url, n, timeout):
    c = conn(url)
    deadline = time.time() + timeout
    while in_sync(c) < n:
        if time.time() > deadline:
            sys.exit("driver: only %d of %d in sync" % (in_sync(c), n))
        time.sleep(0.05)

def rotate(url, topic, n, poll_ms, timeout):
    c = conn(url)
    sent0, applied0 = counters(c)
    t0 = time.perf_counter()
    c.request("POST", "/v1/topics/%s/rotate" % topic, headers={"Authorization": "Bearer " + os.environ["E4C2_TOKEN"]})
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit("driver: rotate: %d" % r.status)
    t_sent = t_applied = t_sync = None
    while t_sync is None:
        now = time.perf_counter() - t0
        if now > timeout:
            sys.exit("driver: timeout (sent %s, applied %s)" % (t_sent, t_applied))
        sent, applied = counters(c)
        if t_sent is None and sent - sent0 >= n:
            t_sent = now
        if t_applied is None and applied - applied0 >= n:
            t_applied = now
        if t_applied is not None and in_sync(c) >= n:
            t_sync = time.perf_counter() - t0
        time.sleep(poll_ms / 1000.0)
    print(json.dumps({"sent_s": t_sent, "applied_s": t_applied, "in_sync_s": t_sync}))

def table(n, lines):
    reps = [json.loads(l) for l in lines]
    def stat(k):
        v = sorted(r[k] for r in reps)
        return v[0], v[len(v) // 2]
    print("rotation of one topic with %d members, receipts on (%d runs)" % (n, len(reps)))
    print("| %-44s | %8s | %8s |" % ("from the API call until", "best s", "median s"))
    print("|%s|%s|%s|" % ("-" * 46, "-" * 10, "-" * 10))
    for label, k in (("all commands sent (PUBCOMP)", "sent_s"), ("all commands applied (receipts)", "applied_s"),
                     ("all members in sync (STATE compared)", "in_sync_s")):
        b, m = stat(k)
        print("| %-44s | %8.3f | %8.3f |" % (label, b, m))
    (bs, ms), (ba, ma) = stat("sent_s"), stat("applied_s")
    print("applied / sent: best %.2f, median %.2f (goal <= 2)" % (ba / bs, ma / ms))

cmd = sys.argv[1]
if cmd == "rotate":
    rotate(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
elif cmd == "wait_in_sync":
    wait_in_sync(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
elif cmd == "members":
    print(json.dumps({"clients": ["dev-%d" % i for i in range(1, int(sys.argv[2]) + 1)]}))
elif cmd == "table":
    table(int(sys.argv[2]), [l for l in sys.stdin.read().splitlines() if l.strip()])
PY
driver() { python3 "$TMP/driver.py" "$@"; }

start_mosquitto "$TMP/broker" "allow_anonymous true" "max_queued_messages 200000" || die "mosquitto did not start"
if [ "$BACKEND" = pg ]; then
  start_postgres "$TMP/pg" || die "PostgreSQL did not start"
  C2_BACKEND=pg
fi
c2_database c2
c2_init sk || die "e4c2 init"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token bench)
c2_start c2 || die "e4c2 did not start"
say "e4c2 on $E4C2_URL ($BACKEND), mosquitto on port $MOSQUITTO_PORT"
"$E4_BIN_DIR/e4sim" --generate "$N" --prefix dev --out "$TMP/devices.jsonl"
"$E4_BIN_DIR/e4ctl" client import "$TMP/devices.jsonl" >/dev/null || die "import"
"$E4_BIN_DIR/e4ctl" topic add fleet >/dev/null
mkfifo "$TMP/sim.in"
"$E4_BIN_DIR/e4sim" run --devices "$TMP/devices.jsonl" --broker "127.0.0.1:$MOSQUITTO_PORT" --quiet \
  <"$TMP/sim.in" >"$TMP/sim.out" 2>"$TMP/sim.err" &
SIM_PID=$!
exec {SIM_FD}>"$TMP/sim.in"
until grep -q '^ready' "$TMP/sim.out"; do
  kill -0 "$SIM_PID" 2>/dev/null || die "e4sim exited"
  sleep 0.05
done
driver members "$N" >"$TMP/members.json"
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $E4C2_TOKEN" -H 'Content-Type: application/json' \
  --data-binary "@$TMP/members.json" "$E4C2_URL/v1/topics/fleet/members" || die "join"
driver wait_in_sync "$E4C2_URL" "$N" "$TIMEOUT"
say "$N devices joined and in sync"

: >"$TMP/results"
for ((rep = 1; rep <= REPS; rep++)); do
  driver rotate "$E4C2_URL" fleet "$N" "$POLL_MS" "$TIMEOUT" >>"$TMP/results" || die "rotation $rep"
  say "run $rep: $(tail -n 1 "$TMP/results")"
done
driver table "$N" <"$TMP/results"

echo
say "receipt processing rate (fresh SQLite database, $N clients)"
head -c 32 /dev/urandom >"$TMP/bench.key"
"$E4_BIN_DIR/e4c2" init --mode sk --db "sqlite:$TMP/receipts.db" --key-file "$TMP/bench.key" >/dev/null
"$E4_BIN_DIR/e4c2_receipts" "sqlite:$TMP/receipts.db" "$TMP/bench.key" "$N"
