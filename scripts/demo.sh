#!/usr/bin/env bash
# The E4 demo: two devices share a topic key over a real MQTT broker; one
# publishes readings, the other decrypts them, while a plain mosquitto_sub on
# the same topic shows what the broker (or anyone on the path) sees:
# ciphertext only.
#
#   bash scripts/demo.sh
#
# It installs what is missing (scripts/install-deps.sh), builds the e4 tool,
# runs for a few seconds and stops everything it started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${E4_DEMO_BUILD_DIR:-build}
TOPIC="greenhouse/temperature"
TIMEOUT=15

if [ -t 1 ]; then
  B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' Y=$'\e[33m' C=$'\e[36m' R=$'\e[31m' N=$'\e[0m'
else
  B="" D="" G="" Y="" C="" R="" N=""
fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
say() { printf '    %s\n' "$*"; }

# ---- 1. dependencies and build ------------------------------------------
step "Installing missing dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh
say "ok"

step "Building the e4 tool"
mkdir -p "$BUILD"
if ! { cmake -S . -B "$BUILD" && cmake --build "$BUILD" -j2 --target e4_cli; } >"$BUILD/demo-build.log" 2>&1; then
  tail -n 40 "$BUILD/demo-build.log" >&2
  echo "${R}build failed; the full log is $BUILD/demo-build.log${N}" >&2
  exit 1
fi
case "$BUILD" in /*) E4="$BUILD/bin/e4" ;; *) E4="$ROOT/$BUILD/bin/e4" ;; esac
say "$("$E4" --version)  ($BUILD/bin/e4)"

# ---- what we start, and how it is stopped ---------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/e4-demo.XXXXXX")
# shellcheck source=../tests/integration/brokers.sh
source "$ROOT/tests/integration/brokers.sh"
PIDS=()
declare -A FD
cleanup() {
  local name pid
  for name in "${!FD[@]}"; do eval "exec ${FD[$name]}>&-" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  brokers_stop_all
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_line() { # FILE REGEX: until a line of FILE matches (bounded)
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until grep -Eq -- "$2" "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "${R}timeout waiting for /$2/ in $1${N}" >&2; exit 1; }
    sleep 0.05
  done
}

# device NAME OPTIONS...: an `e4 client` reading commands from a pipe.
device() {
  local name=$1 fd
  shift
  mkfifo "$TMP/$name.in"
  (
    for fd in "${FD[@]}"; do eval "exec $fd>&-"; done
    exec "$E4" client --broker "127.0.0.1:$PORT" "$@" <"$TMP/$name.in" >"$TMP/$name.out" 2>"$TMP/$name.err"
  ) &
  PIDS+=("$!")
  exec {fd}>"$TMP/$name.in"
  FD[$name]=$fd
  wait_line "$TMP/$name.out" '^ready'
}

# ---- 2. the broker -------------------------------------------------------
step "Starting a private mosquitto broker"
start_mosquitto "$TMP/broker"
PORT=$MOSQUITTO_PORT
say "mosquitto (pid $MOSQUITTO_PID) listens on 127.0.0.1:$PORT"

# ---- 3. keys and devices -------------------------------------------------
step "Creating two devices that share a topic key"
TOPIC_KEY=$("$E4" keygen | sed -n 's/^key: //p')
SENSOR_KEY=$("$E4" keygen | sed -n 's/^key: //p')
DISPLAY_KEY=$("$E4" keygen | sed -n 's/^key: //p')
say "topic:      ${C}$TOPIC${N}"
say "topic key:  ${Y}${TOPIC_KEY:0:16}...${N}  ${D}(e4 keygen; only the two devices have it)${N}"
say "topic hash: $("$E4" hash-topic "$TOPIC")  ${D}(e4 hash-topic: how devices index the key)${N}"

device sensor --name greenhouse-sensor --key "$SENSOR_KEY" --topic-key "$TOPIC:$TOPIC_KEY"
device display --name greenhouse-display --key "$DISPLAY_KEY" --topic-key "$TOPIC:$TOPIC_KEY" --subscribe "$TOPIC"
say "sensor   id $("$E4" id greenhouse-sensor)  ${D}(control topic e4/<id>, for C2 commands)${N}"
say "display  id $("$E4" id greenhouse-display)  subscribed to $TOPIC"

# a device with the wrong key, and a plain MQTT subscriber: the eavesdroppers
device intruder --name intruder --key "$("$E4" keygen | sed -n 's/^key: //p')" \
  --topic-key "$TOPIC:$("$E4" keygen | sed -n 's/^key: //p')" --subscribe "$TOPIC"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -t "$TOPIC" -F '%x' >"$TMP/broker.out" 2>/dev/null &
PIDS+=("$!")
deadline=$(( $(date +%s) + TIMEOUT ))
until grep -q "^$(printf 'hello' | od -An -tx1 | tr -d ' \n')$" "$TMP/broker.out"; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "mosquitto_sub did not subscribe" >&2; exit 1; }
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -t "$TOPIC" -m hello # a cleartext probe
  sleep 0.2
done
say "an intruder device with a wrong key, and a plain ${C}mosquitto_sub${N}, listen too"

# ---- 4. readings ---------------------------------------------------------
step "The sensor publishes readings"
say "${D}each reading: what the sensor sends, what the broker carries, what the${N}"
say "${D}display decrypts, and what the intruder gets${N}"
readings=("temperature=21.4C humidity=48%" "temperature=21.9C humidity=47%"
          "temperature=22.6C humidity=45%" "temperature=23.1C humidity=44%"
          "alert: vent 3 open")
i=0
for reading in "${readings[@]}"; do
  i=$((i + 1))
  seen_display=$(grep -c '^message ' "$TMP/display.out" || true)
  seen_broker=$(wc -l <"$TMP/broker.out")
  seen_intruder=$(grep -c '^error ' "$TMP/intruder.out" || true)
  printf 'pub %s %s\n' "$TOPIC" "$reading" >&"${FD[sensor]}"
  deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(grep -c '^message ' "$TMP/display.out" || true)" -gt "$seen_display" ] &&
        [ "$(wc -l <"$TMP/broker.out")" -gt "$seen_broker" ] &&
        [ "$(grep -c '^error ' "$TMP/intruder.out" || true)" -gt "$seen_intruder" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "${R}reading $i did not arrive${N}" >&2; exit 1; }
    sleep 0.05
  done
  cipher=$(tail -n 1 "$TMP/broker.out")
  shown=$(grep '^message ' "$TMP/display.out" | tail -n 1 | cut -d' ' -f3-)
  intruder=$(grep '^error ' "$TMP/intruder.out" | tail -n 1 | sed 's/^[^:]*: //')
  printf '\n  %sreading %d%s\n' "$B" "$i" "$N"
  printf '    sensor sends     %s"%s"%s\n' "$G" "$reading" "$N"
  printf '    broker sees      %s%s%s %s(%d bytes: 8 timestamp, 16 tag, %d ciphertext)%s\n' \
    "$Y" "${cipher:0:48}..." "$N" "$D" $(( ${#cipher} / 2 )) $(( ${#cipher} / 2 - 24 )) "$N"
  printf '    display prints   %s"%s"%s\n' "$G" "$shown" "$N"
  printf '    intruder gets    %s%s%s\n' "$R" "$intruder" "$N"
  sleep 0.4
done

# ---- 5. summary ----------------------------------------------------------
step "What the broker saw"
leaks=0
for reading in "${readings[@]}"; do
  grep -q "$(printf '%s' "$reading" | od -An -v -tx1 | tr -d ' \n')" "$TMP/broker.out" && leaks=$((leaks + 1))
done
probe=$(printf 'hello' | od -An -tx1 | tr -d ' \n')
say "$(grep -vc "^$probe$" "$TMP/broker.out") protected payloads (besides the cleartext probe); plaintext found in $leaks"
if [ "$leaks" -eq 0 ]; then
  say "${G}end to end: the broker routed every reading but could read none of them${N}"
fi

step "Stopping"
for name in sensor display intruder; do
  eval "exec ${FD[$name]}>&-"
  unset "FD[$name]"
done
sleep 0.3
say "devices, mosquitto_sub and mosquitto are stopped by PID on exit. Try next:"
say "  $BUILD/bin/e4 --help, docs/e4.md, man docs/man/e4.1"
