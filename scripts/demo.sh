#!/usr/bin/env bash
# The E4 demo: e4c2, the key server, runs on SQLite beside a real mosquitto;
# three devices are created with e4ctl and get their topic key from C2 (over
# MQTT, protected); the sensor publishes readings, the displays decrypt them,
# while a plain mosquitto_sub shows what the broker sees: ciphertext only.
# Halfway, one display leaves the topic: C2 rotates the key and the departed
# device can read nothing more. Then a legacy meter (an unmodified
# mosquitto_pub) publishes through e4proxy, which C2 manages like a device:
# the display reads it, the broker sees ciphertext only.
#
#   bash scripts/demo.sh
#
# It installs what is missing (scripts/install-deps.sh), builds e4, e4c2 and
# e4ctl, runs for a few seconds and stops everything it started.
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

step "Building e4, e4c2, e4ctl and e4proxy"
mkdir -p "$BUILD"
if ! { cmake -S . -B "$BUILD" && cmake --build "$BUILD" -j2 --target e4_cli e4c2 e4ctl e4proxy; } >"$BUILD/demo-build.log" 2>&1; then
  tail -n 40 "$BUILD/demo-build.log" >&2
  echo "${R}build failed; the full log is $BUILD/demo-build.log${N}" >&2
  exit 1
fi
case "$BUILD" in /*) BIN="$BUILD/bin" ;; *) BIN="$ROOT/$BUILD/bin" ;; esac
E4="$BIN/e4" E4C2="$BIN/e4c2" E4CTL="$BIN/e4ctl" E4PROXY="$BIN/e4proxy"
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
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

wait_after() { # FILE LINE REGEX: until a line of FILE after LINE matches (bounded)
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until tail -n +"$(( $2 + 1 ))" "$1" | grep -Eq -- "$3"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "${R}timeout waiting for /$3/ in $1${N}" >&2; exit 1; }
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

# ---- 3. the key server and the devices -----------------------------------
step "Starting e4c2, the key server, on SQLite"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/passphrase"   # the master key's passphrase
C2DB="sqlite:$TMP/e4c2.db"
"$E4C2" init --mode sk --db "$C2DB" --passphrase-file "$TMP/passphrase" --kdf-ops 1 --kdf-mem 8192 >/dev/null
C2PORT=$(free_port)
"$E4C2" run --db "$C2DB" --passphrase-file "$TMP/passphrase" --broker "mqtt://127.0.0.1:$PORT" \
  --listen "127.0.0.1:$C2PORT" 2>"$TMP/e4c2.log" &
PIDS+=("$!")
export E4C2_URL="http://127.0.0.1:$C2PORT"
wait_port "$C2PORT" "$TIMEOUT"
E4C2_TOKEN=$("$E4C2" token create --db "$C2DB" operator)
export E4C2_TOKEN
say "e4c2 listens on $E4C2_URL; keys sealed at rest under the passphrase; an API token for e4ctl"

step "Creating the devices with e4ctl; C2 gives them their keys"
SENSOR_KEY=$("$E4CTL" client add greenhouse-sensor --json | json_field key)
DISPLAY_KEY=$("$E4CTL" client add greenhouse-display --json | json_field key)
OLD_KEY=$("$E4CTL" client add old-display --json | json_field key)
say "e4ctl client add greenhouse-sensor | greenhouse-display | old-display  ${D}(each key shown once)${N}"
device sensor --name greenhouse-sensor --key "$SENSOR_KEY"
device display --name greenhouse-display --key "$DISPLAY_KEY" --subscribe "$TOPIC"
device old --name old-display --key "$OLD_KEY" --subscribe "$TOPIC"
"$E4CTL" topic add "$TOPIC" >/dev/null
"$E4CTL" topic join "$TOPIC" greenhouse-sensor greenhouse-display old-display >/dev/null
for name in sensor display old; do wait_line "$TMP/$name.out" '^command applied'; done
say "topic:      ${C}$TOPIC${N}  version $("$E4CTL" topic show "$TOPIC" --json | json_field version)"
say "e4ctl topic join: C2 sent each member the topic key, protected under the member's own key"
say "${D}(QoS 2 on e4/<id>; the broker relays it but cannot read it)${N}"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -q 1 -t "$TOPIC" -F '%x' >"$TMP/broker.out" 2>/dev/null &
PIDS+=("$!")
deadline=$(( $(date +%s) + TIMEOUT ))
until grep -q "^$(printf 'hello' | od -An -tx1 | tr -d ' \n')$" "$TMP/broker.out"; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "mosquitto_sub did not subscribe" >&2; exit 1; }
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -t "$TOPIC" -m hello # a cleartext probe
  sleep 0.2
done
say "a plain ${C}mosquitto_sub${N} listens too: what the broker sees"

# ---- 4. readings ---------------------------------------------------------
step "The sensor publishes readings"
say "${D}each reading: what the sensor sends, what the broker carries, what the${N}"
say "${D}display decrypts, and what the old display gets${N}"
readings=("temperature=21.4C humidity=48%" "temperature=21.9C humidity=47%"
          "temperature=22.6C humidity=45%" "temperature=23.1C humidity=44%"
          "alert: vent 3 open")
i=0
for reading in "${readings[@]}"; do
  i=$((i + 1))
  if [ "$i" -eq 3 ]; then
    step "The old display is retired: e4ctl topic leave $TOPIC old-display"
    m=$(wc -l <"$TMP/old.out"); d=$(wc -l <"$TMP/display.out")
    "$E4CTL" topic leave "$TOPIC" old-display >/dev/null
    wait_after "$TMP/old.out" "$m" '^command applied'
    wait_after "$TMP/display.out" "$d" '^command applied'
    m=$(wc -l <"$TMP/old.out")
    say "C2 sent RemoveTopic to the old display, then rotated the topic: version"
    say "$("$E4CTL" topic show "$TOPIC" --json | json_field version), the new key sent to the sensor and the display only"
  fi
  seen_display=$(grep -c '^message ' "$TMP/display.out" || true)
  seen_broker=$(wc -l <"$TMP/broker.out")
  seen_old=$(grep -Ec '^(message|error receive) ' "$TMP/old.out" || true)
  printf 'pub %s %s\n' "$TOPIC" "$reading" >&"${FD[sensor]}"
  deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(grep -c '^message ' "$TMP/display.out" || true)" -gt "$seen_display" ] &&
        [ "$(wc -l <"$TMP/broker.out")" -gt "$seen_broker" ] &&
        [ "$(grep -Ec '^(message|error receive) ' "$TMP/old.out" || true)" -gt "$seen_old" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "${R}reading $i did not arrive${N}" >&2; exit 1; }
    sleep 0.05
  done
  cipher=$(tail -n 1 "$TMP/broker.out")
  shown=$(grep '^message ' "$TMP/display.out" | tail -n 1 | cut -d' ' -f3-)
  old=$(grep -E '^(message|error receive) ' "$TMP/old.out" | tail -n 1)
  case "$old" in
    message*) old="${G}\"$(printf '%s' "$old" | cut -d' ' -f3-)\"${N}" ;;
    *) old="${R}$(printf '%s' "$old" | sed 's/^[^:]*: //')${N}" ;;
  esac
  printf '\n  %sreading %d%s\n' "$B" "$i" "$N"
  printf '    sensor sends     %s"%s"%s\n' "$G" "$reading" "$N"
  printf '    broker sees      %s%s%s %s(%d bytes: 8 timestamp, 16 tag, %d ciphertext)%s\n' \
    "$Y" "${cipher:0:48}..." "$N" "$D" $(( ${#cipher} / 2 )) $(( ${#cipher} / 2 - 24 )) "$N"
  printf '    display prints   %s"%s"%s\n' "$G" "$shown" "$N"
  printf '    old display      %s\n' "$old"
  sleep 0.4
done

# ---- 4b. a legacy device behind e4proxy ------------------------------------
step "A legacy meter whose firmware cannot change, behind e4proxy"
LEGACY_KEY=$("$E4CTL" client add legacy-meter --json | json_field key)
PROXY_PORT=$(free_port)
E4_KEY=$LEGACY_KEY "$E4PROXY" --listen "127.0.0.1:$PROXY_PORT" --broker "mqtt://127.0.0.1:$PORT" \
  --name legacy-meter --state "$TMP/legacy-meter.e4" 2>"$TMP/e4proxy.log" &
PIDS+=("$!")
wait_port "$PROXY_PORT" "$TIMEOUT"
wait_line "$TMP/e4proxy.log" '"event":"control_connected"'
d=$(wc -l <"$TMP/display.out")
"$E4CTL" topic join "$TOPIC" legacy-meter >/dev/null
wait_line "$TMP/e4proxy.log" '"event":"command_applied"'
say "e4proxy listens on 127.0.0.1:$PROXY_PORT as the E4 client legacy-meter;"
say "C2 sent it the topic key like to any device (e4ctl topic join)"
seen_broker=$(wc -l <"$TMP/broker.out")
legacy="legacy-meter: temperature=19.8C"
mosquitto_pub -h 127.0.0.1 -p "$PROXY_PORT" -q 1 -t "$TOPIC" -m "$legacy"
wait_after "$TMP/display.out" "$d" "^message $TOPIC $legacy"
deadline=$(( $(date +%s) + TIMEOUT ))
until [ "$(wc -l <"$TMP/broker.out")" -gt "$seen_broker" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "${R}the broker saw nothing${N}" >&2; exit 1; }
  sleep 0.05
done
cipher=$(tail -n 1 "$TMP/broker.out")
printf '\n  %sthe legacy meter (an unmodified mosquitto_pub, talking to e4proxy)%s\n' "$B" "$N"
printf '    meter sends      %s"%s"%s\n' "$G" "$legacy" "$N"
printf '    broker sees      %s%s%s %s(%d bytes)%s\n' "$Y" "${cipher:0:48}..." "$N" "$D" $(( ${#cipher} / 2 )) "$N"
printf '    display prints   %s"%s"%s\n' "$G" "$(grep '^message ' "$TMP/display.out" | tail -n 1 | cut -d' ' -f3-)" "$N"
readings+=("$legacy")

# ---- 5. receipts ---------------------------------------------------------
step "What C2 knows: the devices' receipts (e4ctl client list)"
sync_of() { "$E4CTL" client show "$1" --json | json_field sync; }
deadline=$(( $(date +%s) + TIMEOUT ))
until [ "$(sync_of greenhouse-sensor)" = in_sync ] && [ "$(sync_of greenhouse-display)" = in_sync ] &&
      [ "$(sync_of legacy-meter)" = in_sync ]; do
  [ "$(date +%s)" -lt "$deadline" ] || break
  sleep 0.1
done
say "each device reports the commands it applied and, without revealing them,"
say "the keys it holds; C2 compares and would send again whatever one missed"
"$E4CTL" client list | sed 's/^/    /'

# ---- 6. summary ----------------------------------------------------------
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
for name in sensor display old; do
  eval "exec ${FD[$name]}>&-"
  unset "FD[$name]"
done
sleep 0.3
say "devices, e4c2, mosquitto_sub and mosquitto are stopped by PID on exit. Try next:"
say "  $BUILD/bin/e4ctl --help, docs/e4c2.md, docs/e4.md, docs/e4proxy.md, man docs/man/e4c2.8"
