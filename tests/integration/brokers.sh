# Sourced by the integration tests and the demo: start real brokers on free
# loopback ports and stop them by PID. Every start registers its PID; call
# brokers_stop_all (the sourcing script sets it as an EXIT trap) to stop them.

BROKER_PIDS=()

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
  local port=$1 deadline=$(( $(date +%s) + ${2:-10} ))
  while ! (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; do
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

brokers_stop_all() {
  local pid
  for pid in "${BROKER_PIDS[@]}"; do stop_pid "$pid"; done
  BROKER_PIDS=()
}
