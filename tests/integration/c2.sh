# shellcheck shell=bash
# Sourced by the e4c2 integration tests after brokers.sh (and pg.sh for
# PostgreSQL): create a C2 database, start and stop `e4c2 run` by PID on a
# free loopback port, and call its API.
#
# The sourcing script sets E4_BIN_DIR and TMP. C2_DB is the database URL
# (c2_database sets it for the chosen backend).

C2_PIDS=()
E4C2="$E4_BIN_DIR/e4c2"
E4CTL="$E4_BIN_DIR/e4ctl"

# c2_database NAME: C2_DB for the backend in C2_BACKEND (sqlite or pg).
c2_database() {
  if [ "${C2_BACKEND:-sqlite}" = pg ]; then
    C2_DB=$(pg_new_db "$1")
  else
    C2_DB="sqlite:$TMP/$1.db"
  fi
}

# c2_init MODE: a new C2 database at C2_DB with a random passphrase in
# $TMP/passphrase (fast KDF settings: tests start e4c2 often).
c2_init() {
  [ -f "$TMP/passphrase" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/passphrase"
  "$E4C2" init --mode "$1" --db "$C2_DB" --passphrase-file "$TMP/passphrase" --kdf-ops 1 --kdf-mem 8192 >/dev/null
}

# c2_spawn LOG OPTIONS...: `e4c2 run` on C2_DB in the background (C2_PID),
# holding none of the test clients' pipes (they must see their end of input).
c2_spawn() {
  local log=$1 fd
  shift
  (
    for fd in "${FD[@]}"; do eval "exec $fd>&-"; done
    exec "$E4C2" run --db "$C2_DB" --passphrase-file "$TMP/passphrase" "$@" 2>>"$log"
  ) &
  C2_PID=$!
  C2_PIDS+=("$C2_PID")
}

# c2_start NAME [OPTIONS...]: `e4c2 run` against the broker on MOSQUITTO_PORT;
# waits for /healthz. Sets C2_PID, C2_PORT and E4C2_URL; logs in $TMP/NAME.log.
c2_start() {
  local name=$1 deadline
  shift
  C2_PORT=$(free_port)
  c2_spawn "$TMP/$name.log" --broker "mqtt://127.0.0.1:$MOSQUITTO_PORT" --listen "127.0.0.1:$C2_PORT" "$@"
  export E4C2_URL="http://127.0.0.1:$C2_PORT"
  deadline=$(( $(date +%s) + 20 ))
  until curl -fsS "$E4C2_URL/healthz" >/dev/null 2>&1; do
    kill -0 "$C2_PID" 2>/dev/null || { cat "$TMP/$name.log" >&2; echo "e4c2 $name exited" >&2; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "e4c2 $name does not answer" >&2; return 1; }
    sleep 0.05
  done
}

c2_stop_all() {
  local pid
  for pid in "${C2_PIDS[@]}"; do stop_pid "$pid"; done
  C2_PIDS=()
}

# c2_token NAME [--read-only]: a new API token on stdout.
c2_token() { "$E4C2" token create --db "$C2_DB" "$@"; }

# api METHOD PATH [JSON]: prints the body; HTTP_STATUS holds the status.
api() {
  local out body=()
  [ $# -ge 3 ] && body=(-H 'Content-Type: application/json' --data-binary "$3")
  out=$(curl -sS -o "$TMP/api.body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer ${E4C2_TOKEN:-}" \
        "${body[@]}" "$E4C2_URL$2")
  HTTP_STATUS=$out
  cat "$TMP/api.body"
}

# json_get FIELD: a field of the JSON document on stdin (dotted path).
json_get() {
  python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v=v[int(k)] if isinstance(v,list) else v[k]
print(v if not isinstance(v,bool) else str(v).lower())' "$1"
}
