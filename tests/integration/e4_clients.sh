# shellcheck shell=bash
# Sourced by the e4 client integration tests (test_e4_*.sh, test_e4sim.sh)
# after brokers.sh: set a test up (e4_test_init), drive `e4 client` processes
# through named pipes, wait for their output with a bound, and count
# passed/failed checks.
#
# The sourcing script sets E4 (the e4 program) and calls e4_test_init, or
# sets TMP (its scratch directory) and TIMEOUT (seconds) and its own EXIT
# trap. CLIENT_OPTS (an array, empty by default) holds options that
# client_start puts before the client's own, e.g. (--broker 127.0.0.1:PORT);
# CLIENT_READY is the regex of the line client_start waits for (default
# '^ready '; 'ready' also matches the --json ready event).

declare -gA FD CPID
PIDS=()
CLIENT_OPTS=()
CLIENT_READY='^ready '

# cleanup: close the clients' pipes, stop what was started, remove TMP.
cleanup() {
  local name pid
  for name in "${!FD[@]}"; do eval "exec ${FD[$name]}>&-" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  brokers_stop_all
  [ -n "${E4_KEEP_TMP:-}" ] || rm -rf "$TMP"   # E4_KEEP_TMP=1 keeps the logs
}

# e4_test_init NAME [TOOL...]: TMP (a new scratch directory NAME.XXXXXX
# under E4_TMP_DIR), TIMEOUT (E4_TEST_TIMEOUT, else the script's TIMEOUT,
# else 15 s), cleanup as the EXIT trap; exits 1 when a TOOL is missing.
e4_test_init() {
  local name=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP/FAIL: $tool not found" >&2; exit 1; }
  done
  mkdir -p "${E4_TMP_DIR:-/tmp}"
  TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/$name.XXXXXX")
  TIMEOUT=${E4_TEST_TIMEOUT:-${TIMEOUT:-15}}
  trap cleanup EXIT
}

# die MESSAGE: stop the test, showing the end of every output it kept.
die() {
  echo "FATAL: $*" >&2
  local f
  for f in "$TMP"/*.out "$TMP"/*.err "$TMP"/*.log "$TMP"/broker/mosquitto.log; do
    [ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; } >&2
  done
  exit 1
}

# e4_test_broker [CONF_LINE...]: a mosquitto for the test; PORT, and
# CLIENT_OPTS pointing the clients at it.
e4_test_broker() {
  start_mosquitto "$TMP/broker" "$@" || die "mosquitto did not start"
  PORT=$MOSQUITTO_PORT
  CLIENT_OPTS=(--broker "127.0.0.1:$PORT")
}

passed=0
failed=0
ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# client_start NAME OPTION...: an `e4 client` fed through a named pipe; waits
# for its "ready" line.
client_start() {
  local name=$1 fd
  shift
  rm -f "$TMP/$name.in"
  mkfifo "$TMP/$name.in"
  : >"$TMP/$name.out"
  (
    # do not inherit the other clients' pipe ends: they would never see EOF
    for fd in "${FD[@]}"; do eval "exec $fd>&-"; done
    exec "$E4" client "${CLIENT_OPTS[@]}" "$@" <"$TMP/$name.in" >>"$TMP/$name.out" 2>"$TMP/$name.err"
  ) &
  CPID[$name]=$!
  PIDS+=("$!")
  exec {fd}>"$TMP/$name.in"
  FD[$name]=$fd
  wait_for "$name" "$CLIENT_READY" 0 || die "$name is not ready: $(cat "$TMP/$name.err")"
}

# send NAME LINE...: lines on the client's stdin.
send() {
  local name=$1
  shift
  printf '%s\n' "$@" >&"${FD[$name]}"
}

# mark NAME: the number of lines printed so far (wait_for ... FROM).
mark() { wc -l <"$TMP/$1.out"; }

# wait_for NAME REGEX [FROM]: until a line after line FROM matches (bounded).
wait_for() {
  local name=$1 regex=$2 from=${3:-0} deadline=$(( $(date +%s) + TIMEOUT ))
  until tail -n +"$((from + 1))" "$TMP/$name.out" | grep -Eq -- "$regex"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "timeout: $name never printed /$regex/ after line $from" >&2
      tail -n 20 "$TMP/$name.out" >&2
      return 1
    fi
    sleep 0.05
  done
}

# expect NAME REGEX FROM DESCRIPTION
expect() { if wait_for "$1" "$2" "$3"; then ok; else ko "$4"; fi; }

# client_stop NAME: end of stdin; the client must exit 0 by itself.
client_stop() {
  local name=$1 pid=${CPID[$1]} rc deadline=$(( $(date +%s) + TIMEOUT ))
  eval "exec ${FD[$name]}>&-"
  unset "FD[$name]"
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { ko "$name did not stop at end of input"; stop_pid "$pid"; return; }
    sleep 0.05
  done
  wait "$pid"
  rc=$?
  if [ "$rc" -eq 0 ]; then ok; else ko "$name exited with $rc: $(cat "$TMP/$name.err")"; fi
}

hex_of() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
key() { "$E4" keygen | sed -n 's/^key: //p'; }
