#!/usr/bin/env bash
# The web console with many clients: N clients (default 100,000, from
# `e4sim --generate`) imported into e4c2 (SQLite), then in chromium
# (bench/e4c2_console.mjs, playwright-core) the clients page is opened, paged
# forward and searched, timed inside the page from the action until the
# table shows the answer, with the bytes of API data the page fetched; next to the bare API
# (curl) answering the same page, and to loading every client (limit 1000
# pages) as a console that loaded them all would. Not part of the pass/fail
# tests.
#
#   bash bench/e4c2_console.sh            # N=100000
#   N=10000 E4_BIN_DIR=build-dev/bin BUILD_DIR=build-dev bash bench/e4c2_console.sh
#
# Environment: N, REPS (5), E4_BIN_DIR (build/bin), BUILD_DIR (build: its ui/
# holds the bundle), CHROMIUM. Progress on stderr, the table on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E4_SRC_DIR=$ROOT
BUILD_DIR=$(cd "$ROOT/${BUILD_DIR:-build}" && pwd)
E4_BIN_DIR=${E4_BIN_DIR:-$BUILD_DIR/bin}
N=${N:-100000}
REPS=${REPS:-5}
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
say() { echo "e4c2_console: $*" >&2; }
die() { say "FATAL: $*"; exit 1; }
[ -x "$E4_BIN_DIR/e4c2" ] && [ -x "$E4_BIN_DIR/e4sim" ] || die "build e4c2 and e4sim first (E4_BIN_DIR)"
[ -f "$BUILD_DIR/ui/index.html" ] || die "the console is not built ($BUILD_DIR/ui)"
[ -n "$CHROMIUM" ] && [ -d "$ROOT/web/node_modules/playwright-core" ] || die "run scripts/install-deps.sh (chromium, web/node_modules)"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"

mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4c2-console-bench.XXXXXX")
source "$ROOT/tests/integration/brokers.sh"
source "$ROOT/tests/integration/c2.sh"
finish() { local rc=$?; set +e; c2_stop_all; brokers_stop_all; rm -rf "$TMP"; exit "$rc"; }
trap finish EXIT

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
C2_DB="sqlite:$TMP/c2.db"
c2_init sk || die "e4c2 init failed"
c2_start c2 || die "e4c2 did not start"
TOKEN=$(c2_token bench)
say "importing $N clients"
"$E4_BIN_DIR/e4sim" --generate "$N" --prefix dev --out "$TMP/devices.jsonl"
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/x-ndjson' \
  --data-binary "@$TMP/devices.jsonl" "$E4C2_URL/v1/clients/import" || die "import failed"

E4C2_URL=$E4C2_URL TOKEN=$TOKEN N=$N REPS=$REPS CHROMIUM=$CHROMIUM E4_SRC_DIR=$ROOT \
  node "$ROOT/bench/e4c2_console.mjs"
