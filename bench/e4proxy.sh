#!/usr/bin/env bash
# e4proxy against the broker alone, in the same run, with the same load
# client (bench/e4proxy_load.c, lib/mqtt on plain sockets):
#   - 256-byte QoS 0 and QoS 1 publishes, client -> subscriber: direct to
#     mosquitto, and through proxy -> mosquitto -> proxy (ratio, goal >= 0.8);
#   - latency of one message at a time: p50 and p99, direct and proxied, and
#     the added latency (goal p50 <= 0.2 ms);
#   - memory per idle connection at 1,000 connections (proxy RSS delta / n,
#     goal <= 32 KiB);
#   - 10,000 concurrent connections held (two e4proxy processes sharing the
#     port with --reuse-port when one process's descriptor limit cannot take
#     20,000 sockets).
# Usage: bash bench/e4proxy.sh   (programs from E4_BIN_DIR, default build/bin)
# Environment: COUNT (messages, default 200000), LAT_COUNT (default 5000),
#   HOLD (connections held, default 10000).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${E4_BIN_DIR:-$ROOT/build/bin}
COUNT=${COUNT:-200000}
LAT_COUNT=${LAT_COUNT:-5000}
HOLD=${HOLD:-10000}
TMP=$(mktemp -d /tmp/e4proxy-bench.XXXXXX)
TIMEOUT=30
# shellcheck source=../tests/integration/brokers.sh
source "$ROOT/tests/integration/brokers.sh"

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  brokers_stop_all
  rm -rf "$TMP"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

start_mosquitto "$TMP/broker" "allow_anonymous true" "max_connections -1" \
  "max_queued_messages 1000000" "max_inflight_messages 0"
PORT=$MOSQUITTO_PORT
KEY=$("$BIN/e4" keygen | sed -n 's/^key: //p')
TK=$("$BIN/e4" keygen | sed -n 's/^key: //p')

proxy() { # NAME PORT [OPTION...]
  local name=$1 port=$2
  shift 2
  E4_KEY=$KEY "$BIN/e4proxy" --listen "127.0.0.1:$port" --broker "mqtt://127.0.0.1:$PORT" \
    --name "bench-$name" --topic-key "bench/e4proxy:$TK" --no-receipts "$@" 2>"$TMP/$name.log" &
  PIDS+=("$!")
  wait_port "$port" 10
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
rate() { sed -n 's/.*: \([0-9]*\) msg\/s/\1/p'; }

read -r PA PB PC <<<"$(free_ports 3 | tr '\n' ' ')"
proxy a "$PA"
proxy b "$PB"

echo "== throughput, 256-byte publishes, $COUNT messages (client -> subscriber)"
for qos in 0 1; do
  d=$("$BIN/e4proxy_load" throughput "$PORT" "$PORT" "$qos" "$COUNT" 256)
  p=$("$BIN/e4proxy_load" throughput "$PA" "$PB" "$qos" "$COUNT" 256)
  dr=$(rate <<<"$d"); pr=$(rate <<<"$p")
  printf 'QoS %s  direct: %s\n        proxied: %s\n        ratio %.2f (goal >= 0.8)\n' \
    "$qos" "$d" "$p" "$(echo "$pr / $dr" | bc -l)"
done

echo "== latency, one 256-byte QoS 0 message at a time, $LAT_COUNT messages"
d=$("$BIN/e4proxy_load" latency "$PORT" "$PORT" "$LAT_COUNT" 256)
p=$("$BIN/e4proxy_load" latency "$PA" "$PB" "$LAT_COUNT" 256)
echo "direct:  $d"
echo "proxied: $p"
read -r _ d50 _ d99 <<<"$d"
read -r _ p50 _ p99 <<<"$p"
printf 'added: p50 %.3f ms (goal <= 0.2), p99 %.3f ms\n' \
  "$(echo "($p50 - $d50) / 1000" | bc -l)" "$(echo "($p99 - $d99) / 1000" | bc -l)"

echo "== memory per idle connection, 1000 connections"
proxy c "$PC"
pid=${PIDS[-1]}
before=$(rss_kib "$pid")
"$BIN/e4proxy_load" hold "$PC" 1000 3 >"$TMP/hold1k.out" &
hold=$!
until grep -q connected "$TMP/hold1k.out" 2>/dev/null; do sleep 0.1; done
sleep 0.5
after=$(rss_kib "$pid")
wait "$hold" || true
printf 'proxy RSS %s KiB -> %s KiB: %.2f KiB per connection (goal <= 32); %s\n' \
  "$before" "$after" "$(echo "($after - $before) / 1000" | bc -l)" "$(tail -n 1 "$TMP/hold1k.out")"

echo "== $HOLD concurrent connections held"
PD=$(free_port)
# one process needs 2 descriptors per client: split when the limit is lower
nproc_needed=$(( (2 * HOLD + 64) / $(ulimit -Hn) + 1 ))
for i in $(seq "$nproc_needed"); do proxy "d$i" "$PD" --reuse-port; done
"$BIN/e4proxy_load" hold "$PD" "$HOLD" 5 >"$TMP/hold.out" 2>&1 || true
echo "$(head -n 1 "$TMP/hold.out"), after 5 s: $(tail -n 1 "$TMP/hold.out") ($nproc_needed e4proxy process(es), descriptor limit $(ulimit -Hn))"
