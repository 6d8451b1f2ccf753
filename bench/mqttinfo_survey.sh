#!/usr/bin/env bash
# Survey benchmark: `mqttinfo scan` over 1000 loopback endpoints served by 4
# mosquitto processes (250 listeners each: 125 anonymous, 75 with a password,
# 50 anonymous with an ACL), then `mqttinfo report`. Prints the wall time.
# Not part of the pass/fail tests.
#   E4_BIN_DIR=build/bin bash bench/mqttinfo_survey.sh [CONCURRENCY] [TIMEOUT_S]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${E4_BIN_DIR:=$ROOT/build/bin}"
CONCURRENCY=${1:-64}
TIMEOUT=${2:-2}
source "$ROOT/tests/integration/brokers.sh"
WORK=$(mktemp -d /tmp/mqttinfo-bench.XXXXXX)
trap 'brokers_stop_all; rm -rf "$WORK"' EXIT

: > "$WORK/targets.txt"
for i in 1 2 3 4; do
  start_mosquitto_multi "$WORK/m$i" 125 75 50 || { echo "mosquitto $i did not start" >&2; exit 1; }
  for p in "${MOSQ_OPEN_PORTS[@]}" "${MOSQ_AUTH_PORTS[@]}" "${MOSQ_ACL_PORTS[@]}"; do
    echo "127.0.0.1:$p" >> "$WORK/targets.txt"
  done
done
n=$(wc -l < "$WORK/targets.txt")
echo "endpoints: $n, concurrency $CONCURRENCY, per-check timeout ${TIMEOUT}s, $(nproc) CPUs"
t0=$(date +%s%N)
"$E4_BIN_DIR/mqttinfo" scan -i "$WORK/targets.txt" -o "$WORK/results.jsonl" \
  --concurrency "$CONCURRENCY" --timeout "$TIMEOUT" --no-progress
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
"$E4_BIN_DIR/mqttinfo" report "$WORK/results.jsonl" | head -8
echo "RESULT: $n endpoints surveyed in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s ($(( n * 1000 / (ms > 0 ? ms : 1) )) endpoints/s)"
