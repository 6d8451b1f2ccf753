# Sourced by tests/integration/test_mqttinfo_*.sh: paths, the EXIT trap that
# stops every service by PID, and assertion helpers.
set -uo pipefail

: "${E4_SRC_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
: "${E4_BIN_DIR:=$E4_SRC_DIR/build/bin}"
: "${E4_TMP_DIR:=/tmp/e4-tests}"
MQTTINFO="$E4_BIN_DIR/mqttinfo"
MI_DIR="$E4_SRC_DIR/tests/integration/mqttinfo"
# shellcheck source=../brokers.sh
source "$E4_SRC_DIR/tests/integration/brokers.sh"

TEST_NAME=$(basename "$0" .sh)
WORK="$E4_TMP_DIR/$TEST_NAME.$$"
mkdir -p "$WORK"
FAILURES=0

cleanup() {
  brokers_stop_all
  if [ "$FAILURES" -eq 0 ]; then rm -rf "$WORK"; else echo "kept $WORK for inspection" >&2; fi
}
trap cleanup EXIT

[ -x "$MQTTINFO" ] || { echo "$TEST_NAME: $MQTTINFO not built" >&2; exit 1; }

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
ok() { echo "ok: $*"; }

# expect_json LABEL FILE PATH=EXPECTED...: see assert_json.py.
expect_json() {
  local label=$1 file=$2; shift 2
  if python3 "$MI_DIR/assert_json.py" "$file" "$@"; then ok "$label"; else fail "$label"; fi
}

# run_mqttinfo OUT [ARGS...]: runs mqttinfo --json under a hard time limit
# (it must never hang); the exit status is left in MI_STATUS.
run_mqttinfo() {
  local out=$1; shift
  timeout 30 "$MQTTINFO" --json "$@" > "$out" 2> "$out.err"
  MI_STATUS=$?
  [ "$MI_STATUS" -ne 124 ] || fail "mqttinfo $* did not finish within 30 s"
}

# timed_run OUT LIMIT ARGS...: run_mqttinfo, and check the wall time stays
# below LIMIT seconds (fractions allowed). The time is left in RUN_MS.
timed_run() {
  local out=$1 limit=$2; shift 2
  local t0 limit_ms
  limit_ms=$(awk -v l="$limit" 'BEGIN { printf "%d", l * 1000 }')
  t0=$(date +%s%N)
  run_mqttinfo "$out" "$@"
  RUN_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ "$RUN_MS" -lt "$limit_ms" ]; then ok "finished in $RUN_MS ms (limit $limit s): $*"
  else fail "took $RUN_MS ms (limit $limit s): $*"; fi
}

finish() {
  if [ "$FAILURES" -eq 0 ]; then echo "$TEST_NAME: all passed"; exit 0; fi
  echo "$TEST_NAME: $FAILURES failure(s)" >&2
  exit 1
}
