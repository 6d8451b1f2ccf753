# Sourced by the tests that need a real PostgreSQL: start_postgres DIR makes
# a throwaway cluster in DIR with Debian's binaries, on a free loopback port,
# and pg_stop_all (the sourcing script calls it on EXIT) stops it by PID and
# removes DIR.
#
# Authentication: the superuser $PG_USER connects from 127.0.0.1 without a
# password (trust); every other role needs its password (scram-sha-256), so
# tests can create a role with a password and check what a wrong one does.
#
# As root (CI), initdb refuses to run: the cluster then belongs to the
# "postgres" system user of Debian's postgresql package, and the server runs
# as that user through setpriv, which execs (no intermediate process), so the
# PID we hold is the postmaster's. That user must be able to reach DIR; when
# a parent keeps it out (a mktemp -d directory, /root), the cluster goes to
# a fresh directory under ${TMPDIR:-/tmp} instead (PG_DIR says where).

if ! declare -F free_port >/dev/null; then
  # shellcheck source=brokers.sh
  source "$(dirname "${BASH_SOURCE[0]}")/brokers.sh"
fi

PG_PIDS=()
PG_DIRS=()
PG_USER=e4c2

# The newest installed server's bin directory.
pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -n 1)
  [ -x "$dir/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
  echo "$dir"
}

# The prefix that runs a command as the cluster's owner.
if [ "$(id -u)" -eq 0 ]; then
  PG_AS=(setpriv --reuid=postgres --regid=postgres --init-groups --reset-env --)
else
  PG_AS=()
fi
pg_as() { "${PG_AS[@]}" "$@"; }

# pg_psql SQL: runs SQL as the superuser on the default database.
pg_psql() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -c "$1" >/dev/null
}

# _pg_home DIR: prints the directory the cluster will live in.
_pg_home() {
  local dir=$1
  if [ "$(id -u)" -ne 0 ]; then echo "$dir"; return; fi
  chown postgres: "$dir" || return 1
  if pg_as test -w "$dir" -a -x "$dir"; then echo "$dir"; return; fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/e4-pg.XXXXXX") && chown postgres: "$dir" && echo "$dir"
}

_pg_config() {
  local dir=$1 sockets=$1
  # A Unix socket path is limited to 107 bytes; TCP is what the tests use.
  [ "${#dir}" -le 80 ] || sockets=""
  cat >> "$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sockets'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
shared_buffers = 32MB
logging_collector = off
EOF
  cat > "$dir/data/pg_hba.conf" <<EOF
host all $PG_USER 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
EOF
}

# start_postgres DIR: sets PG_PORT, PG_PID, PG_URL (database e4c2test),
# PG_BIN, PG_DIR. Fails (non-zero) if the server does not accept within 30 s.
start_postgres() {
  local dir=$1 deadline
  PG_BIN=$(pg_bindir) || return 1
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
  [ "$dir" != / ] || { echo "start_postgres: refusing /" >&2; return 1; }
  PG_DIRS+=("$dir")
  dir=$(_pg_home "$dir") || return 1
  [ "$dir" = "${PG_DIRS[-1]}" ] || PG_DIRS+=("$dir")
  PG_DIR=$dir
  rm -rf "$dir/data"
  pg_as "$PG_BIN/initdb" -D "$dir/data" -U "$PG_USER" -A trust -E UTF8 --locale=C \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  PG_PORT=$(free_port)
  _pg_config "$dir"
  # Not through the pg_as function: a backgrounded function is a subshell,
  # and $! must be the postmaster itself.
  "${PG_AS[@]}" "$PG_BIN/postgres" -D "$dir/data" >"$dir/postgres.log" 2>&1 &
  PG_PID=$!
  PG_PIDS+=("$PG_PID")
  deadline=$(( $(date +%s) + 30 ))
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres; do
    if ! kill -0 "$PG_PID" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "PostgreSQL did not start:" >&2; tail -n 20 "$dir/postgres.log" >&2; return 1
    fi
    sleep 0.05
  done
  [ "$(head -n 1 "$dir/data/postmaster.pid")" = "$PG_PID" ] ||
    { echo "start_postgres: postmaster PID is not $PG_PID" >&2; return 1; }
  pg_psql "CREATE DATABASE e4c2test" || return 1
  PG_URL="postgresql://$PG_USER@127.0.0.1:$PG_PORT/e4c2test"
}

# pg_new_db NAME: creates database NAME on the running server, prints its URL.
pg_new_db() {
  pg_psql "CREATE DATABASE \"$1\"" || return 1
  echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/$1"
}

# pg_stop_pid PID: fast shutdown (SIGINT: abort sessions, checkpoint, exit),
# SIGKILL if still running after 10 s.
pg_stop_pid() {
  local pid=$1
  kill -INT "$pid" 2>/dev/null || return 0
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
}

pg_stop_all() {
  local pid dir
  for pid in "${PG_PIDS[@]}"; do pg_stop_pid "$pid"; done
  for dir in "${PG_DIRS[@]}"; do rm -rf "$dir"; done
  PG_PIDS=()
  PG_DIRS=()
}
