#!/usr/bin/env bash
# mqttinfo scan + report over 214 loopback endpoints:
#   200 listeners of one mosquitto (per_listener_settings): 100 anonymous,
#       60 requiring a password, 40 anonymous with an ACL (no $SYS writes);
#   1 aedes; 11 ports with nothing listening; 1 silent server; 1 garbage server.
# The first half is scanned, then everything with --resume: every endpoint
# must appear exactly once, and the report's counts must be exact.
# The per-configuration values are established in test_mqttinfo_mosquitto.sh
# and test_mqttinfo_aedes.sh (mosquitto_pub / mosquitto_sub cross-checks).
source "$(dirname "$0")/mqttinfo/common.sh"

start_mosquitto_multi "$WORK/multi" 100 60 40 || { fail "mosquitto did not start"; finish; }
start_aedes "$WORK/aedes" || { fail "aedes did not start"; finish; }
start_fake_server silent; SILENT=$FAKE_PORT
start_fake_server garbage; GARBAGE=$FAKE_PORT
mapfile -t DEAD < <(free_ports 11)

{
  echo "# mqttinfo scan test targets"
  for p in "${MOSQ_OPEN_PORTS[@]}" "${MOSQ_AUTH_PORTS[@]}" "${MOSQ_ACL_PORTS[@]}"; do echo "127.0.0.1:$p"; done
  echo
  echo "mqtt://127.0.0.1:$AEDES_PORT"
  for p in "${DEAD[@]}"; do echo "127.0.0.1:$p"; done
  echo "127.0.0.1:$SILENT"
  echo "127.0.0.1:$GARBAGE"
} > "$WORK/targets.txt"
# shuffle deterministically so both halves mix configurations
python3 -c 'import random,sys; l=[x for x in open(sys.argv[1]).read().splitlines() if x and not x.startswith("#")]; random.Random(4).shuffle(l); print("\n".join(l))' \
  "$WORK/targets.txt" > "$WORK/all.txt"
head -n 100 "$WORK/all.txt" > "$WORK/half.txt"
[ "$(wc -l < "$WORK/all.txt")" -eq 214 ] && ok "214 targets" || fail "targets: $(wc -l < "$WORK/all.txt")"

t0=$(date +%s%N)
timeout 120 "$MQTTINFO" scan -i "$WORK/half.txt" -o "$WORK/results.jsonl" --concurrency 32 --timeout 1 2> "$WORK/scan1.err"
st=$?
[ "$st" -eq 0 ] && ok "first half scanned" || fail "scan exit $st: $(cat "$WORK/scan1.err")"
[ "$(wc -l < "$WORK/results.jsonl")" -eq 100 ] && ok "100 result lines" || fail "$(wc -l < "$WORK/results.jsonl") result lines"
timeout 120 "$MQTTINFO" scan -i "$WORK/all.txt" -o "$WORK/results.jsonl" --resume --concurrency 32 --rate 1000 --timeout 1 --progress 2> "$WORK/scan2.err"
st=$?
t1=$(date +%s%N)
[ "$st" -eq 0 ] && ok "resumed scan" || fail "resumed scan exit $st: $(cat "$WORK/scan2.err")"
grep -q "114 endpoints analyzed" "$WORK/scan2.err" && grep -q "100 skipped" "$WORK/scan2.err" && ok "resume skipped the 100 done" \
  || fail "resume: $(tail -c 300 "$WORK/scan2.err")"
grep -q "114/114" "$WORK/scan2.err" && ok "progress bar shows count" || fail "progress: $(tail -c 300 "$WORK/scan2.err")"
echo "scan of 214 endpoints took $(( (t1 - t0) / 1000000 )) ms in total"
python3 - "$WORK/results.jsonl" <<'PY' && ok "every endpoint exactly once" || fail "duplicates or missing endpoints"
import json, sys
targets = [json.loads(l)["target"] for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if len(targets) == 214 and len(set(targets)) == 214 else 1)
PY

timeout 30 "$MQTTINFO" report "$WORK/results.jsonl" --json > "$WORK/report.json" || fail "report --json failed"
expect_json "report counts" "$WORK/report.json" \
  endpoints=214 invalid_lines=0 answered=201 v311_supported=201 anonymous_v311=141 \
  v5_supported=200 v5_qos_above_0=140 \
  checks.v311.supported.true=201 checks.v311.anonymous.true=141 checks.v311.anonymous.false=60 \
  checks.v311.qos1.true=141 checks.v311.qos1.null=60 checks.v311.qos2.true=141 \
  checks.v311.qos3_rejected.true=141 checks.v311.subscribe_all.true=141 \
  checks.v311.invalid_filter_rejected.true=140 checks.v311.invalid_filter_rejected.false=1 \
  checks.v311.invalid_utf8_rejected.true=140 checks.v311.invalid_utf8_rejected.false=1 \
  checks.v311.sys_publish_allowed.true=140 checks.v311.sys_publish_allowed.false=1 \
  checks.v311.sys_publish_delivered.false=141 checks.v311.sys_publish_delivered.true=0 \
  checks.v5.supported.true=200 checks.v5.supported.false=1 checks.v5.anonymous.true=140 \
  checks.v5.anonymous.false=60 checks.v5.sys_publish_allowed.false=140 \
  sys_tree_published.true=141 \
  products.mosquitto.count=140 products.aedes.count=1 products.unknown.count=60 \
  findings.anonymous-access.count=141 findings.subscribe-all.count=141
timeout 30 "$MQTTINFO" report "$WORK/results.jsonl" > "$WORK/report.txt" || fail "report failed"
grep -Eq "^accepted anonymous 3.1.1 +141" "$WORK/report.txt" && grep -Eq "^mosquitto +140" "$WORK/report.txt" \
  && ok "text report" || fail "text report: $(head -20 "$WORK/report.txt")"

# Errors of the dead, silent and garbage endpoints are in their lines.
python3 - "$WORK/results.jsonl" "$SILENT" "$GARBAGE" <<'PY' && ok "errors recorded per endpoint" || fail "errors per endpoint"
import json, sys
rows = {json.loads(l)["target"]: json.loads(l) for l in open(sys.argv[1]) if l.strip()}
silent, garbage = rows["127.0.0.1:" + sys.argv[2]], rows["127.0.0.1:" + sys.argv[3]]
refused = [r for r in rows.values() if r["error"] and "refused" in r["error"]]
ok = "timeout" in silent["error"] and "not an MQTT" in garbage["error"] and len(refused) == 11
sys.exit(0 if ok else 1)
PY

# Scan of targets given on the command line, to stdout.
timeout 30 "$MQTTINFO" scan --timeout 1 "127.0.0.1:${MOSQ_OPEN_PORTS[0]}" "127.0.0.1:${DEAD[0]}" > "$WORK/args.jsonl" 2>/dev/null
[ "$(wc -l < "$WORK/args.jsonl")" -eq 2 ] && ok "targets as arguments, stdout" || fail "args scan: $(wc -l < "$WORK/args.jsonl")"
finish
