# Sourced by the integration tests and the demo: start real brokers on free
# loopback ports and stop them by PID. Every start registers its PID; call
# brokers_stop_all (the sourcing script sets it as an EXIT trap) to stop them.

BROKER_PIDS=()
BROKER_GROUPS=()

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# wait_port PORT [SECONDS] [HOST]: until something accepts on HOST:PORT
# (default 127.0.0.1).
wait_port() {
  local port=$1 deadline=$(( $(date +%s) + ${2:-10} )) host=${3:-127.0.0.1}
  while ! (exec 3<>/dev/tcp/"$host"/"$port") 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "nothing listens on port $port" >&2; return 1; }
    sleep 0.05
  done
}

# start_mosquitto DIR [CONFIG LINES...]: a mosquitto on a free loopback port.
# Sets MOSQUITTO_PORT and MOSQUITTO_PID. Without config lines the broker is
# open (anonymous allowed).
start_mosquitto() {
  local dir=$1; shift
  mkdir -p "$dir"
  MOSQUITTO_PORT=$(free_port)
  {
    echo "listener $MOSQUITTO_PORT 127.0.0.1"
    if [ $# -eq 0 ]; then echo "allow_anonymous true"; else printf '%s\n' "$@"; fi
    echo "persistence false"
    echo "log_dest file $dir/mosquitto.log"
  } > "$dir/mosquitto.conf"
  mosquitto -c "$dir/mosquitto.conf" >/dev/null 2>&1 &
  MOSQUITTO_PID=$!
  BROKER_PIDS+=("$MOSQUITTO_PID")
  wait_port "$MOSQUITTO_PORT" 10
}

stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
}

# stop_group PGID: a broker started with setsid (a script that forks its
# server, as rabbitmq-server and erl do), every process of its group.
stop_group() {
  local pgid=$1
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 -- "-$pgid" 2>/dev/null || return 0; sleep 0.05; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

brokers_stop_all() {
  local pid
  for pid in "${BROKER_PIDS[@]}"; do stop_pid "$pid"; done
  for pid in "${BROKER_GROUPS[@]}"; do stop_group "$pid"; done
  BROKER_PIDS=()
  BROKER_GROUPS=()
}

# free_ports N: N distinct free loopback ports, one per line.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
PY
}

# start_mosquitto_multi DIR OPEN AUTH ACL: one mosquitto serving many
# listeners (per_listener_settings): OPEN anonymous ones, AUTH ones that need
# the user "$MOSQ_MULTI_USER" / "$MOSQ_MULTI_PASS" (defaults mqttinfo/secret),
# ACL ones that are anonymous but deny client writes to $SYS/# and grant
# only mqttinfo/# (so '#' is refused). Sets MOSQUITTO_PID and the arrays
# MOSQ_OPEN_PORTS, MOSQ_AUTH_PORTS, MOSQ_ACL_PORTS.
start_mosquitto_multi() {
  local dir=$1 nopen=$2 nauth=$3 nacl=$4 total port i=0
  mkdir -p "$dir"
  total=$((nopen + nauth + nacl))
  mapfile -t _ports < <(free_ports "$total")
  MOSQ_OPEN_PORTS=("${_ports[@]:0:nopen}")
  MOSQ_AUTH_PORTS=("${_ports[@]:nopen:nauth}")
  MOSQ_ACL_PORTS=("${_ports[@]:nopen+nauth:nacl}")
  : > "$dir/passwd"
  mosquitto_passwd -b "$dir/passwd" "${MOSQ_MULTI_USER:-mqttinfo}" "${MOSQ_MULTI_PASS:-secret}" >/dev/null 2>&1
  chmod 0600 "$dir/passwd" 2>/dev/null || true
  printf 'topic readwrite mqttinfo/#\ntopic read $SYS/#\n' > "$dir/acl"
  {
    echo "per_listener_settings true"
    # As root, mosquitto would switch to the user "mosquitto", who cannot
    # read the password file or write the log in DIR.
    [ "$(id -u)" -ne 0 ] || echo "user root"
    echo "persistence false"
    echo "log_dest file $dir/mosquitto.log"
    echo "max_connections -1"
    for port in "${MOSQ_OPEN_PORTS[@]}"; do
      echo "listener $port 127.0.0.1"; echo "allow_anonymous true"
    done
    for port in "${MOSQ_AUTH_PORTS[@]}"; do
      echo "listener $port 127.0.0.1"; echo "allow_anonymous false"; echo "password_file $dir/passwd"
    done
    for port in "${MOSQ_ACL_PORTS[@]}"; do
      echo "listener $port 127.0.0.1"; echo "allow_anonymous true"; echo "acl_file $dir/acl"
    done
  } > "$dir/mosquitto.conf"
  mosquitto -c "$dir/mosquitto.conf" >/dev/null 2>&1 &
  MOSQUITTO_PID=$!
  BROKER_PIDS+=("$MOSQUITTO_PID")
  wait_port "${_ports[$((total - 1))]}" 20
}

# start_aedes DIR [WS]: an aedes broker (npm, tests/integration/mqttinfo/node)
# on a free port; with WS, also MQTT over WebSocket (path /mqtt). Sets
# AEDES_PORT, AEDES_WS_PORT and AEDES_PID.
start_aedes() {
  local dir=$1 node_dir="${E4_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/integration/mqttinfo/node"
  mkdir -p "$dir"
  [ -d "$node_dir/node_modules/aedes" ] || { echo "aedes is not installed: run scripts/install-deps.sh" >&2; return 1; }
  AEDES_PORT=$(free_port)
  AEDES_WS_PORT=""
  [ "${2:-}" = "WS" ] && AEDES_WS_PORT=$(free_port)
  node "$node_dir/aedes-broker.mjs" "$AEDES_PORT" $AEDES_WS_PORT > "$dir/aedes.log" 2>&1 &
  AEDES_PID=$!
  BROKER_PIDS+=("$AEDES_PID")
  wait_port "$AEDES_PORT" 20 || return 1
  [ -z "$AEDES_WS_PORT" ] || wait_port "$AEDES_WS_PORT" 20
}

# start_fake_server MODE [HOST]: a misbehaving TCP server (see
# tests/integration/mqttinfo/fake_server.py) on HOST (default 127.0.0.1).
# Sets FAKE_PORT and FAKE_PID.
start_fake_server() {
  local script="${E4_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/integration/mqttinfo/fake_server.py"
  local host=${2:-127.0.0.1}
  FAKE_PORT=$(free_port)
  python3 "$script" "$1" "$FAKE_PORT" "$host" >/dev/null 2>&1 &
  FAKE_PID=$!
  BROKER_PIDS+=("$FAKE_PID")
  wait_port "$FAKE_PORT" 10 "$host"
}

# start_fake_servers MODE N: one fake_server.py process listening on N free
# loopback ports. Sets the array FAKE_PORTS and FAKE_PID.
start_fake_servers() {
  local script="${E4_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/integration/mqttinfo/fake_server.py"
  mapfile -t FAKE_PORTS < <(free_ports "$2")
  python3 "$script" "$1" "$(IFS=,; echo "${FAKE_PORTS[*]}")" >/dev/null 2>&1 &
  FAKE_PID=$!
  BROKER_PIDS+=("$FAKE_PID")
  local p
  for p in "${FAKE_PORTS[@]}"; do wait_port "$p" 10 || return 1; done
}
