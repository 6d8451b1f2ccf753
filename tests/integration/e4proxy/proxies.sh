# shellcheck shell=bash
# Sourced by the e4proxy tests (E4_SRC_DIR set): brings brokers.sh and
# e4_clients.sh, sets up the test (proxy_test_setup), starts e4proxy
# processes and plain subscribers and waits for their lines (bounded).

# shellcheck source=../brokers.sh
source "$E4_SRC_DIR/tests/integration/brokers.sh"
# shellcheck source=../e4_clients.sh
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"

declare -gA PROXY_PIDS

# proxy_test_setup NAME: E4, PROXY, RAW, NODE_DIR, MQTTJS, TMP (a fresh
# directory), TIMEOUT; die; cleanup on exit.
proxy_test_setup() {
  E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
  E4="$E4_BIN_DIR/e4"
  PROXY="$E4_BIN_DIR/e4proxy"
  RAW="$E4_SRC_DIR/tests/integration/e4proxy/raw_mqtt.py"
  NODE_DIR="$E4_SRC_DIR/tests/integration/e4proxy/node"
  MQTTJS="$NODE_DIR/mqttjs.mjs"
  mkdir -p "${E4_TMP_DIR:-/tmp}"
  TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/$1.XXXXXX")
  TIMEOUT=${E4_TEST_TIMEOUT:-15}
  trap cleanup EXIT
}

die() {
  echo "FATAL: $*" >&2
  local f
  for f in "$TMP"/*.out "$TMP"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; } >&2; done
  exit 1
}

# proxy_start NAME PORT OPTION...: e4proxy on 127.0.0.1:PORT in front of the
# broker on $PORT (unless --broker is among the options); stderr (its JSON
# log) in $TMP/NAME.err. Sets PROXY_PORT.
proxy_start() {
  local name=$1 port=$2
  shift 2
  local broker=(--broker "mqtt://127.0.0.1:$PORT")
  [[ " $* " == *" --broker "* ]] && broker=()
  "$PROXY" --listen "127.0.0.1:$port" "${broker[@]}" "$@" 2>"$TMP/$name.err" &
  PROXY_PIDS[$name]=$!
  PIDS+=("$!")
  PROXY_PORT=$port
  wait_port "$port" "$TIMEOUT" || die "e4proxy $name did not start: $(cat "$TMP/$name.err")"
}

# proxy_stop NAME: SIGTERM; it must exit 0.
proxy_stop() {
  local pid=${PROXY_PIDS[$1]} rc
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  [ "$rc" -eq 0 ] && ok || ko "e4proxy $1 exited with $rc after SIGTERM"
}

# wait_log NAME REGEX: until the proxy's log has a matching line.
wait_log() {
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until grep -Eq -- "$2" "$TMP/$1.err"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timeout: $1 never logged /$2/" >&2; return 1; }
    sleep 0.05
  done
}

# spy_start NAME PORT FILTER...: a plain subscriber on the broker itself,
# printing "TOPIC HEX" per message.
spy_start() {
  local name=$1 port=$2 f args=()
  shift 2
  for f in "$@"; do args+=(-t "$f"); done
  mosquitto_sub -p "$port" -q 1 "${args[@]}" -t probe/spy -F '%t %x' >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PIDS+=("$!")
  until grep -q "^probe/spy" "$TMP/$name.out"; do
    mosquitto_pub -p "$port" -t probe/spy -m probe; sleep 0.2
  done
}

# sub_start NAME PROXY-PORT FILTER [MOSQUITTO_SUB OPTIONS...]: a legacy
# subscriber behind a proxy ("TOPIC PAYLOAD" lines, and -d's debug lines);
# waits for its SUBACK.
sub_start() {
  local name=$1 port=$2 filter=$3
  shift 3
  stdbuf -oL mosquitto_sub -d -p "$port" -q 2 -t "$filter" -v "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PIDS+=("$!")
  wait_for "$name" 'received SUBACK' 0 || die "$name never subscribed: $(cat "$TMP/$name.err")"
}

# node_start NAME PROXY-PORT FILTER COUNT: an MQTT.js subscriber.
node_start() {
  local name=$1
  node "$MQTTJS" sub "mqtt://127.0.0.1:$2" "$3" "$4" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PIDS+=("$!")
  wait_for "$name" '^subscribed' 0 || die "MQTT.js did not subscribe: $(cat "$TMP/$name.err")"
}
