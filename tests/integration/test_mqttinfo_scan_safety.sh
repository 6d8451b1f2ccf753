#!/usr/bin/env bash
# mqttinfo scan: secrets, signals and torn lines (issue 11, defects 2, 4, 5);
# every case failed before its fix:
#   2. targets with credentials (mqtt://user:password@host, user:pw@host,
#      other schemes): refused, and no password in any output, file or log;
#      nor the -P password, in scan results, --json output or ./mqttinfo.json;
#   4. SIGINT / SIGTERM during a --rate scan: the scan stops within a second,
#      starts no endpoint after the signal, and leaves a complete results
#      file that --resume finishes (every endpoint exactly once);
#   5. each result line is written by one write() (strace -P), and --resume
#      drops a torn last line (a kill between two writes) and redoes its
#      endpoint.
source "$(dirname "$0")/mqttinfo/common.sh"

SECRET=S3cretPw0rd
start_fake_server broker
BROKER=$FAKE_PORT

# no_secret LABEL FILE...: none of the files contains the password
no_secret() {
  local label=$1; shift
  if grep -l "$SECRET" "$@" >/dev/null 2>&1; then fail "$label: password found in $(grep -l "$SECRET" "$@" | tr '\n' ' ')"
  else ok "$label: no password in $#  file(s)"; fi
}

# valid_lines FILE: every line is a JSON object with a target (no torn line)
valid_lines() {
  python3 - "$1" <<'PY'
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        assert "target" in json.loads(line) and line.endswith("\n")
    except Exception:
        print(f"  line {n} is not a whole result: {line[:80]!r}")
        sys.exit(1)
PY
}

# 2. credentials
cat > "$WORK/creds.txt" <<TXT
mqtt://user:$SECRET@127.0.0.1:$BROKER
mqtts://user:$SECRET@127.0.0.1:$BROKER
user:$SECRET@127.0.0.1:$BROKER
mqtt://user:$SECRET/x@127.0.0.1
ftp://user:$SECRET@127.0.0.1
127.0.0.1:$BROKER
TXT
timeout 30 "$MQTTINFO" scan -i "$WORK/creds.txt" -o "$WORK/creds.jsonl" --timeout 1 \
  -u user -P "$SECRET" 2> "$WORK/creds.err"
[ "$(wc -l < "$WORK/creds.jsonl")" -eq 6 ] && ok "6 result lines" || fail "$(wc -l < "$WORK/creds.jsonl") result lines"
python3 - "$WORK/creds.jsonl" <<'PY' && ok "credential targets refused, redacted" || fail "credential targets"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
bad = [r for r in rows if r["error"] and "credentials" in r["error"]]
sys.exit(0 if len(bad) == 5 and all("***@" in r["target"] for r in bad) else 1)
PY
for args in "ftp://user:$SECRET@127.0.0.1" "mqtt://user:$SECRET@127.0.0.1" "-h user:$SECRET@127.0.0.1"; do
  # shellcheck disable=SC2086
  "$MQTTINFO" --json $args > "$WORK/one.out" 2> "$WORK/one.err"
  [ $? -eq 2 ] && ok "refused: ${args//$SECRET/***}" || fail "not refused: ${args//$SECRET/***}"
  no_secret "analyze ${args//$SECRET/***}" "$WORK/one.out" "$WORK/one.err"
done
(cd "$WORK" && timeout 30 "$MQTTINFO" --json -j --timeout 1 -u user -P "$SECRET" -p "$BROKER" 127.0.0.1 \
  > "$WORK/auth.json" 2> "$WORK/auth.err")
expect_json "-u/-P analysis ran" "$WORK/auth.json" v311.auth_ok=true
MQTTINFO_PASSWORD=$SECRET timeout 30 "$MQTTINFO" --timeout 1 -u user -p "$BROKER" 127.0.0.1 \
  > "$WORK/auth.txt" 2>&1
no_secret "scan and analysis outputs" "$WORK/creds.jsonl" "$WORK/creds.err" "$WORK/auth.json" \
  "$WORK/auth.err" "$WORK/mqttinfo.json" "$WORK/auth.txt"

# 4. signals during a --rate scan: 12 fast endpoints (the minimal broker)
# and 12 silent ones (each would take 5 s), interleaved; 4 starts a second.
start_fake_servers broker 12; FAST=("${FAKE_PORTS[@]}")
start_fake_servers silent 12; SLOW=("${FAKE_PORTS[@]}")
for i in $(seq 0 11); do echo "127.0.0.1:${FAST[$i]}"; echo "127.0.0.1:${SLOW[$i]}"; done > "$WORK/rate.txt"
RATE=4
signal_scan() { # SIGNAL [--resume]
  local sig=$1; shift
  timeout 60 "$MQTTINFO" scan -i "$WORK/rate.txt" -o "$WORK/rate.jsonl" --rate "$RATE" \
    --concurrency 8 --timeout 5 "$@" 2> "$WORK/rate.err" &
  local pid=$! before after t0 ms st
  before=0
  [ ! -f "$WORK/rate.jsonl" ] || before=$(wc -l < "$WORK/rate.jsonl")
  sleep 1.6
  t0=$(date +%s%N)
  kill "-$sig" "$pid"
  wait "$pid"; st=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  after=$(wc -l < "$WORK/rate.jsonl")
  [ "$ms" -lt 1000 ] && ok "SIG$sig: stopped in $ms ms" || fail "SIG$sig: stopped after $ms ms"
  [ "$st" -eq 130 ] && ok "SIG$sig: exit 130" || fail "SIG$sig: exit $st"
  # At most the starts paced before the signal (1.6 s at 4/s, plus the first).
  [ $((after - before)) -le 8 ] && ok "SIG$sig: $((after - before)) endpoints written, none started after the signal" \
    || fail "SIG$sig: $((after - before)) endpoints written: more were probed after the signal"
  valid_lines "$WORK/rate.jsonl" && ok "SIG$sig: results complete" || fail "SIG$sig: torn results"
  grep -q "interrupted (use --resume" "$WORK/rate.err" && ok "SIG$sig: says how to resume" || fail "SIG$sig: $(cat "$WORK/rate.err")"
}
signal_scan INT
signal_scan TERM --resume
timeout 60 "$MQTTINFO" scan -i "$WORK/rate.txt" -o "$WORK/rate.jsonl" --resume --concurrency 24 \
  --timeout 0.5 2> "$WORK/rate3.err" || fail "final resume: $(cat "$WORK/rate3.err")"
python3 - "$WORK/rate.jsonl" 24 <<'PY' && ok "after resuming: every endpoint exactly once" || fail "endpoints missing or twice"
import json, sys
t = [json.loads(l)["target"] for l in open(sys.argv[1])]
sys.exit(0 if len(t) == int(sys.argv[2]) and len(set(t)) == len(t) else 1)
PY

# 5a. a torn last line is dropped by --resume, and its endpoint redone
printf '127.0.0.1:%s\n127.0.0.1:%s\n' "${FAST[0]}" "${FAST[1]}" > "$WORK/torn.txt"
timeout 30 "$MQTTINFO" scan -i "$WORK/torn.txt" -o "$WORK/torn.jsonl" --timeout 1 2>/dev/null
head -c -200 "$WORK/torn.jsonl" > "$WORK/torn2.jsonl" # the second line loses its end
timeout 30 "$MQTTINFO" scan -i "$WORK/torn.txt" -o "$WORK/torn2.jsonl" --resume --timeout 1 2> "$WORK/torn.err"
grep -q "1 endpoints analyzed" "$WORK/torn.err" && grep -q "1 skipped" "$WORK/torn.err" \
  && ok "resume redid the torn endpoint only" || fail "resume after a torn line: $(cat "$WORK/torn.err")"
valid_lines "$WORK/torn2.jsonl" && [ "$(wc -l < "$WORK/torn2.jsonl")" -eq 2 ] \
  && ok "torn line dropped" || fail "torn line kept: $(wc -l < "$WORK/torn2.jsonl") lines"
timeout 30 "$MQTTINFO" report "$WORK/torn2.jsonl" --json > "$WORK/torn-report.json"
expect_json "report: no invalid line" "$WORK/torn-report.json" invalid_lines=0 endpoints=2

# 5b. one write() per result line, however long (the bigsys server's $SYS
# tree makes lines of more than 8 KB, more than stdio's buffer)
start_fake_server bigsys
if strace -f -qq -o /dev/null true 2>/dev/null; then
  strace -f -qq -P "$WORK/long.jsonl" -e trace=write,writev,pwrite64 -o "$WORK/strace.txt" \
    timeout 30 "$MQTTINFO" scan -o "$WORK/long.jsonl" --timeout 1 "127.0.0.1:$FAKE_PORT" \
    "127.0.0.1:${FAST[0]}" 2>/dev/null
  writes=$(grep -cE 'write(v|64)?\(' "$WORK/strace.txt")
  biggest=$(wc -L < "$WORK/long.jsonl")
  [ "$biggest" -gt 8192 ] && ok "a long line ($biggest bytes)" || fail "lines too short to test ($biggest bytes)"
  [ "$writes" -eq 2 ] && ok "2 lines, 2 write() calls" || fail "2 lines written with $writes write() calls"
else
  fail "strace cannot run here: one write() per line not tested"
fi

finish
