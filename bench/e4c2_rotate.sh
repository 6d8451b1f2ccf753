#!/usr/bin/env bash
# e4c2 rotation benchmark: how fast e4c2 sends the commands of one topic
# rotation, against a bare libmosquitto QoS 2 publisher (e4c2_bare_pub) on
# the same broker, in the same run. Not part of the pass/fail tests.
#
# A mosquitto (no persistence, max_queued_messages high) and e4c2 (SQLite, or
# PostgreSQL with BACKEND=pg) on free loopback ports; N clients from
# `e4sim --generate N` imported; topic "fleet" with all N members; e4sim
# running all N devices. Then REPS times, interleaved:
#   1. POST /v1/topics/fleet/rotate, and from that call: when the API
#      answered, when the outbox is empty (GET /v1/status every POLL_MS ms:
#      a command is marked sent at the broker's PUBCOMP), and when e4sim
#      answers `wait fleet KEYID N` (every device holds the new key);
#   2. the same rotation again without polling /v1/status (device side only:
#      the cost of the observer; GET /v1/status counts every sent command);
#   3. e4c2_bare_pub: N messages of 73 bytes (an SK SetTopicKey command) to N
#      random topics e4/<32 hex>, same window: first publish to last PUBCOMP;
#   4. e4c2_bare_pub to the devices' own control topics, so the broker also
#      delivers every message to e4sim (as for e4c2's commands).
# Prints the best and median of each, and the ratio e4c2 rate / bare rate
# (goal: >= 0.5).
#
#   bash bench/e4c2_rotate.sh                       # N=10000 REPS=3
#   N=1000 REPS=1 E4_BIN_DIR=build-bench/bin bash bench/e4c2_rotate.sh
#
# Environment: N (members, default 10000), REPS (3), INFLIGHT (MQTT window of
# e4c2 and the bare publisher, default 20 as e4c2; above 20 the broker's
# max_inflight_messages is raised to match), POLL_MS (10), TIMEOUT (seconds
# per wait, 300), BACKEND (sqlite or pg), RECEIPTS (on: the devices send
# receipts, as by default; off: e4sim --no-receipts), PAUSE_C2 (1: e4c2 is stopped with
# SIGSTOP while the bare publisher runs, since an idle e4c2 keeps one CPU
# busy; 0: left running), E4_BIN_DIR (default build/bin).
# Progress on stderr, the table on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E4_SRC_DIR=$ROOT
E4_BIN_DIR=${E4_BIN_DIR:-$ROOT/build/bin}
N=${N:-10000}
REPS=${REPS:-3}
INFLIGHT=${INFLIGHT:-20}
POLL_MS=${POLL_MS:-10}
TIMEOUT=${TIMEOUT:-300}
BACKEND=${BACKEND:-sqlite}
PAUSE_C2=${PAUSE_C2:-1}
SIZE=73 # an SK SetTopicKey command: 1 + 32 + 16 bytes, protected (+24)

say() { echo "e4c2_rotate: $*" >&2; }
die() { say "FATAL: $*"; exit 1; }

for bin in e4c2 e4sim e4c2_bare_pub; do
  [ -x "$E4_BIN_DIR/$bin" ] ||
    die "$E4_BIN_DIR/$bin is missing: build with 'cmake -S . -B build -DE4_BENCH=ON && cmake --build build' or set E4_BIN_DIR"
done
for tool in mosquitto curl python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh)"
done
[[ "$N" =~ ^[1-9][0-9]*$ && "$REPS" =~ ^[1-9][0-9]*$ && "$INFLIGHT" =~ ^[1-9][0-9]*$ ]] ||
  die "N, REPS and INFLIGHT must be positive integers"

mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4c2-rotate.XXXXXX")
SIM_PID=""
SIM_FD=""
source "$ROOT/tests/integration/brokers.sh"
[ "$BACKEND" = pg ] && source "$ROOT/tests/integration/pg.sh"
source "$ROOT/tests/integration/c2.sh"
finish() {
  local rc=$?
  set +e
  [ -n "$SIM_FD" ] && exec {SIM_FD}>&-
  [ -n "$SIM_PID" ] && stop_pid "$SIM_PID"
  [ -n "${C2_PID:-}" ] && kill -CONT "$C2_PID" 2>/dev/null
  c2_stop_all
  brokers_stop_all
  declare -F pg_stop_all >/dev/null && pg_stop_all
  if [ "$rc" -ne 0 ]; then
    for f in "$TMP"/c2.log "$TMP"/sim.err "$TMP"/broker/mosquitto.log; do
      [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2
    done
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# The measuring side, in Python: keep-alive HTTP polling at POLL_MS, and the
# e4sim answers read as they come.
cat >"$TMP/driver.py" <<'PY'
import http.client, json, os, sys, time

def conn(url):
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=60)

def call(c, token, method, path, body=None):
    h = {"Authorization": "Bearer " + token}
    if body is not None:
        h["Content-Type"] = "application/json"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit("driver: %s %s: %d %s" % (method, path, r.status, data[:300]))
    return json.loads(data)

class Sim:
    """e4sim's stdout (a file) read from where it was; its stdin (a FIFO)."""
    def __init__(self, fifo, out):
        self.w = open(fifo, "w")
        self.out = open(out)
        self.out.seek(0, os.SEEK_END)
        self.buf = ""
    def send(self, line):
        self.w.write(line + "\n")
        self.w.flush()
    def lines(self):
        self.buf += self.out.read()
        *done, self.buf = self.buf.split("\n")
        return done

def rotate(url, token, topic, n, fifo, out, poll_ms, timeout):
    c = conn(url)
    sim = Sim(fifo, out)
    t0 = time.perf_counter()
    t = call(c, token, "POST", "/v1/topics/%s/rotate" % topic)
    t_api = time.perf_counter() - t0
    sim.send("wait %s %s %d %d" % (topic, t["key_id"], n, timeout))
    t_empty = t_dev = None
    polls = 0
    next_poll = time.perf_counter()
    while (poll_ms and t_empty is None) or t_dev is None:
        now = time.perf_counter()
        if now - t0 > timeout + 5:
            sys.exit("driver: timeout (outbox empty: %s, devices: %s)" % (t_empty, t_dev))
        if poll_ms and t_empty is None and now >= next_poll:
            st = call(c, token, "GET", "/v1/status")
            polls += 1
            if st["outbox"]["pending"] == 0:
                t_empty = time.perf_counter() - t0
            next_poll += poll_ms / 1000.0
        for line in sim.lines():
            w = line.split()
            if len(w) >= 3 and w[1] == topic and w[2] == t["key_id"]:
                if w[0] != "ok":
                    sys.exit("driver: e4sim: " + line)
                t_dev = time.perf_counter() - t0
        time.sleep(0.001)
    if not poll_ms:   # not measured: only so that the next measurement starts from an empty outbox
        while call(c, token, "GET", "/v1/status")["outbox"]["pending"] != 0:
            time.sleep(0.02)
    print(json.dumps({"api_s": t_api, "empty_s": t_empty, "device_s": t_dev, "polls": polls,
                      "key_id": t["key_id"], "version": t["version"]}))

def sim_total(sim):
    """Messages e4sim has seen: applied, rejected or for no device."""
    sim.send("stats")
    deadline = time.time() + 10
    while time.time() < deadline:
        for line in sim.lines():
            if line.startswith("stats "):
                kv = dict(x.split("=", 1) for x in line.split()[1:])
                return sum(int(kv.get(k, 0)) for k in ("commands", "errors", "ignored"))
        time.sleep(0.005)
    sys.exit("driver: e4sim does not answer stats")

def sim_wait(fifo, out, target, timeout):
    """Until e4sim has seen target messages in all."""
    sim = Sim(fifo, out)
    deadline = time.time() + timeout
    while sim_total(sim) < target:
        if time.time() > deadline:
            sys.exit("driver: e4sim did not receive the bare publisher's messages")
        time.sleep(0.02)

def wait_empty(url, token, timeout):
    c = conn(url)
    deadline = time.time() + timeout
    while call(c, token, "GET", "/v1/status")["outbox"]["pending"] != 0:
        if time.time() > deadline:
            sys.exit("driver: the outbox did not empty in %d s" % timeout)
        time.sleep(0.05)

def members(prefix, first, last):
    print(json.dumps({"clients": ["%s-%d" % (prefix, i) for i in range(first, last + 1)]}))

def table(n, rows_json):
    # rows: one JSON object per repetition: api_s, empty_s, device_s, quiet_device_s, bare_s, bare_ids_s
    reps = [json.loads(l) for l in rows_json]
    def stat(key):
        v = sorted(r[key] for r in reps)
        return v[0], v[(len(v) - 1) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    rows = [("e4c2: rotate API call answered", "api_s"),
            ("e4c2: outbox empty (last PUBCOMP)", "empty_s"),
            ("e4c2: all devices hold the key (e4sim)", "device_s"),
            ("e4c2: same, no status polling", "quiet_device_s"),
            ("bare publisher, random topics", "bare_s"),
            ("bare publisher, the devices' topics", "bare_ids_s")]
    print("| %-40s | %8s | %10s | %8s | %10s |" % ("", "best s", "msg/s", "median s", "msg/s"))
    print("|%s|%s|%s|%s|%s|" % ("-" * 42, "-" * 10, "-" * 12, "-" * 10, "-" * 12))
    for label, key in rows:
        b, m = stat(key)
        print("| %-40s | %8.3f | %10.0f | %8.3f | %10.0f |" % (label, b, n / b, m, n / m))
    for label, num, den in (("ratio e4c2 / bare (outbox empty / random)", "empty_s", "bare_s"),
                            ("ratio e4c2 / bare (outbox empty / devices' topics)", "empty_s", "bare_ids_s"),
                            ("ratio e4c2 / bare (devices hold key / devices' topics)", "device_s", "bare_ids_s"),
                            ("ratio e4c2 / bare (same, no status polling)", "quiet_device_s", "bare_ids_s")):
        (bn, mn), (bd, md) = stat(num), stat(den)
        print("%-56s best %.2f, median %.2f (goal >= 0.5)" % (label + ":", bd / bn, md / mn))

cmd = sys.argv[1]
if cmd == "rotate":
    rotate(sys.argv[2], os.environ["E4C2_TOKEN"], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6],
           float(sys.argv[7]), float(sys.argv[8]))
elif cmd == "sim_total":
    print(sim_total(Sim(sys.argv[2], sys.argv[3])))
elif cmd == "sim_wait":
    sim_wait(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
elif cmd == "wait_empty":
    wait_empty(sys.argv[2], os.environ["E4C2_TOKEN"], float(sys.argv[3]))
elif cmd == "members":
    members(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif cmd == "table":
    table(int(sys.argv[2]), sys.stdin.read().split())
PY
driver() { python3 "$TMP/driver.py" "$@"; }

# ---- the broker, e4c2, the fleet ---------------------------------------------
broker_conf=("allow_anonymous true" "user $(id -un)" "max_queued_messages $((N * 2 > 200000 ? N * 2 : 200000))")
[ "$INFLIGHT" -le 20 ] || broker_conf+=("max_inflight_messages $INFLIGHT")
start_mosquitto "$TMP/broker" "${broker_conf[@]}" || die "mosquitto did not start"
say "mosquitto $(mosquitto -h 2>/dev/null | head -n 1 | awk '{print $3}') on port $MOSQUITTO_PORT (PID $MOSQUITTO_PID)"

if [ "$BACKEND" = pg ]; then
  start_postgres "$TMP/pg" || die "PostgreSQL did not start"
  C2_BACKEND=pg
fi
c2_database c2
c2_init sk || die "e4c2 init"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token bench)
c2_start c2 --max-inflight "$INFLIGHT" || die "e4c2 did not start"
say "e4c2 on $E4C2_URL (PID $C2_PID, $BACKEND, window $INFLIGHT)"

say "generating $N devices"
"$E4_BIN_DIR/e4sim" --generate "$N" --prefix dev --out "$TMP/devices.jsonl"
python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if l.strip(): print(json.loads(l)["id"])' "$TMP/devices.jsonl" >"$TMP/ids.txt"

# curl_api METHOD PATH CONTENT_TYPE FILE: the body of the answer on stdout,
# fails on an HTTP error.
curl_api() {
  local code
  code=$(curl -sS -o "$TMP/answer" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $E4C2_TOKEN" \
    -H "Content-Type: $3" --data-binary "@$4" "$E4C2_URL$2") || die "$1 $2: curl failed"
  [ "${code:0:1}" = 2 ] || die "$1 $2: HTTP $code: $(head -c 300 "$TMP/answer")"
  cat "$TMP/answer"
}

t=$(date +%s%N)
curl_api POST /v1/clients/import application/x-ndjson "$TMP/devices.jsonl" >/dev/null
say "imported $N clients in $(( ($(date +%s%N) - t) / 1000000 )) ms"
echo '{"name":"fleet"}' >"$TMP/topic.json"
curl_api POST /v1/topics application/json "$TMP/topic.json" >/dev/null

mkfifo "$TMP/sim.in"
"$E4_BIN_DIR/e4sim" run --devices "$TMP/devices.jsonl" --broker "127.0.0.1:$MOSQUITTO_PORT" \
  --timeout "$TIMEOUT" ${RECEIPTS:+$([ "$RECEIPTS" = off ] && echo --no-receipts)} <"$TMP/sim.in" >"$TMP/sim.out" 2>"$TMP/sim.err" &
SIM_PID=$!
exec {SIM_FD}>"$TMP/sim.in"
deadline=$(( $(date +%s) + TIMEOUT ))
until grep -q '^ready' "$TMP/sim.out"; do
  kill -0 "$SIM_PID" 2>/dev/null || die "e4sim exited: $(tail -n 5 "$TMP/sim.err")"
  [ "$(date +%s)" -lt "$deadline" ] || die "e4sim not ready after $TIMEOUT s"
  sleep 0.05
done
say "e4sim: $(grep -m1 '^ready' "$TMP/sim.out") (PID $SIM_PID)"

# Join all N, at most 10,000 per call (the API's limit; one call for N <= 10,000).
t=$(date +%s%N)
for ((first = 1; first <= N; first += 10000)); do
  last=$(( first + 9999 < N ? first + 9999 : N ))
  driver members dev "$first" "$last" >"$TMP/members.json"
  curl_api POST /v1/topics/fleet/members application/json "$TMP/members.json" >/dev/null
done
driver wait_empty "$E4C2_URL" "$TIMEOUT"
say "joined $N members, outbox empty after $(( ($(date +%s%N) - t) / 1000000 )) ms"
curl -fsS -H "Authorization: Bearer $E4C2_TOKEN" "$E4C2_URL/v1/topics/fleet" >"$TMP/fleet.json" ||
  die "GET /v1/topics/fleet failed"
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key_id"])' "$TMP/fleet.json")
printf 'wait fleet %s %d %d\n' "$key" "$N" "$TIMEOUT" >&"$SIM_FD"
until grep -q "^\(ok\|timeout\) fleet $key" "$TMP/sim.out"; do
  kill -0 "$SIM_PID" 2>/dev/null || die "e4sim exited: $(tail -n 5 "$TMP/sim.err")"
  sleep 0.05
done
grep -q "^ok fleet $key" "$TMP/sim.out" || die "the devices did not all get the first key"
say "all $N devices hold the first key"

# ---- the measurements, interleaved ------------------------------------------------
: >"$TMP/results"
for ((rep = 1; rep <= REPS; rep++)); do
  rot=$(driver rotate "$E4C2_URL" fleet "$N" "$TMP/sim.in" "$TMP/sim.out" "$POLL_MS" "$TIMEOUT") ||
    die "rotation $rep failed"
  say "run $rep: e4c2 rotation: $rot"
  # the same without polling /v1/status (the observer's cost), device side only
  quiet=$(driver rotate "$E4C2_URL" fleet "$N" "$TMP/sim.in" "$TMP/sim.out" 0 "$TIMEOUT") ||
    die "rotation $rep (no polling) failed"
  say "run $rep: e4c2 rotation, no status polling: $quiet"
  # the baseline runs with e4c2 stopped (SIGSTOP): an idle e4c2 keeps a CPU busy
  [ "$PAUSE_C2" = 0 ] || kill -STOP "$C2_PID"
  bare=$("$E4_BIN_DIR/e4c2_bare_pub" -n "$N" -s "$SIZE" -i "$INFLIGHT" -t "$TIMEOUT" "127.0.0.1:$MOSQUITTO_PORT") ||
    die "e4c2_bare_pub failed"
  say "run $rep: $bare"
  before=$(driver sim_total "$TMP/sim.in" "$TMP/sim.out")
  bare_ids=$("$E4_BIN_DIR/e4c2_bare_pub" -n "$N" -s "$SIZE" -i "$INFLIGHT" -t "$TIMEOUT" --ids "$TMP/ids.txt" \
    "127.0.0.1:$MOSQUITTO_PORT") || die "e4c2_bare_pub --ids failed"
  say "run $rep: $bare_ids"
  # e4sim must be done with these (not authentic for the devices) before the next rotation
  driver sim_wait "$TMP/sim.in" "$TMP/sim.out" "$((before + N))" "$TIMEOUT"
  kill -CONT "$C2_PID"
  python3 -c 'import json,sys
r=json.loads(sys.argv[1])
sec=lambda s: float(dict(x.split("=") for x in s.split()[1:])["seconds"])
r["quiet_device_s"]=json.loads(sys.argv[4])["device_s"]
r["bare_s"]=sec(sys.argv[2]); r["bare_ids_s"]=sec(sys.argv[3])
print(json.dumps(r, separators=(",",":")))' "$rot" "$bare" "$bare_ids" "$quiet" >>"$TMP/results"
done

echo "e4c2 rotation of one topic with $N members ($BACKEND, MQTT window $INFLIGHT, status polled every $POLL_MS ms)"
echo "vs e4c2_bare_pub ($N QoS 2 messages of $SIZE bytes), same broker, $REPS interleaved runs, $(nproc) CPUs"
[ "$PAUSE_C2" = 0 ] || echo "e4c2 stopped (SIGSTOP) during the bare publisher's runs"
echo "e4c2 times are from the POST /v1/topics/fleet/rotate call; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
driver table "$N" <"$TMP/results"
