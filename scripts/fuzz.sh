#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/fuzz_*.c) with clang and run each one for
# FUZZ_SECONDS over a copy of its seed corpus fuzz/corpus/<target>/, so that a
# run never adds files to the repository. Prints one summary line per target
# and exits 1 if a target does not build, crashes, leaks, times out or breaks
# an invariant (the crashing input is kept under $BUILD_DIR/fuzz-artifacts/).
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 30)
#   FUZZ_TARGETS   extended regex selecting targets (default: all)
#   FUZZ_JOBS      targets run at the same time (default 1)
#   BUILD_DIR      build directory (default build-fuzz, relative to the repo)
#   CC             compiler (default clang; libFuzzer needs clang)
#   FUZZ_ARGS      extra libFuzzer flags, e.g. "-max_len=512"
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_TARGETS=${FUZZ_TARGETS:-.}
FUZZ_JOBS=${FUZZ_JOBS:-1}
BUILD_DIR=${BUILD_DIR:-build-fuzz}
FUZZ_ARGS=${FUZZ_ARGS:-}
export CC=${CC:-clang}

targets=()
for src in fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    [[ $name =~ $FUZZ_TARGETS ]] && targets+=("$name")
done
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz.sh: no fuzz targets match '$FUZZ_TARGETS'" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/e4-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== configuring $BUILD_DIR with $CC" >&2
cmake -S . -B "$BUILD_DIR" -DE4_FUZZ=ON -DE4_TESTS=OFF -DE4_BENCH=OFF >"$work/configure.log" 2>&1 || {
    cat "$work/configure.log" >&2
    echo "fuzz.sh: configure failed" >&2
    exit 1
}

# Build target by target: one that does not compile (work in progress
# elsewhere) does not keep the others from running, but still fails the run.
jobs=$(nproc 2>/dev/null || echo 2)
declare -A build_failed=()
for t in "${targets[@]}"; do
    echo "== building $t" >&2
    if ! cmake --build "$BUILD_DIR" -j"$jobs" --target "$t" >"$BUILD_DIR/$t.build.log" 2>&1; then
        build_failed[$t]=1
        tail -n 20 "$BUILD_DIR/$t.build.log" >&2
    fi
done

artifacts="$ROOT/$BUILD_DIR/fuzz-artifacts"
[[ $BUILD_DIR = /* ]] && artifacts="$BUILD_DIR/fuzz-artifacts"
mkdir -p "$artifacts"

# run_one NAME: fuzz NAME over a copy of its corpus; writes $work/NAME.summary.
run_one() {
    local t=$1 bin="$BUILD_DIR/bin/$1" corpus="$work/$1.corpus" log="$work/$1.log"
    local seeds=0 rc=0
    mkdir -p "$corpus"
    # Seeds: fuzz/corpus/<target>/ (or fuzz/corpus/<target without fuzz_>/).
    local seeddir="fuzz/corpus/$t"
    [ -d "$seeddir" ] || seeddir="fuzz/corpus/${t#fuzz_}"
    if [ -d "$seeddir" ]; then
        cp -R "$seeddir/." "$corpus/"
        seeds=$(find "$seeddir" -type f | wc -l)
    fi
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$t-" $FUZZ_ARGS "$corpus" \
        >"$log" 2>&1 || rc=$?
    local status=ok
    [ $rc -eq 0 ] || status="FAIL(rc=$rc)"
    local runs execs cov ft final
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    final=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")
    local corp
    corp=$(find "$corpus" -type f | wc -l)
    printf '%-28s %-10s runs=%s exec/s=%s cov=%s ft=%s corpus=%s->%s\n' "$t" "$status" \
        "${runs:-?}" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$seeds" "$corp" >"$work/$t.summary"
    if [ $rc -ne 0 ]; then
        {
            echo "---- $t: last lines of the log ----"
            grep -v '^#[0-9]' "$log" | tail -n 40
            echo "---- artifacts: $artifacts/$t-*"
        } >>"$work/$t.summary"
    fi
}

running=0
for t in "${targets[@]}"; do
    [ -z "${build_failed[$t]:-}" ] || continue
    echo "== fuzzing $t for ${FUZZ_SECONDS}s" >&2
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$FUZZ_JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

fail=0
echo "== fuzz summary (${FUZZ_SECONDS}s per target)"
for t in "${targets[@]}"; do
    if [ -n "${build_failed[$t]:-}" ]; then
        printf '%-28s %-10s see %s\n' "$t" "BUILD-FAIL" "$BUILD_DIR/$t.build.log"
        fail=1
    elif [ -f "$work/$t.summary" ]; then
        cat "$work/$t.summary"
        head -1 "$work/$t.summary" | grep -q ' ok ' || fail=1
    else
        printf '%-28s %-10s\n' "$t" "NO-RESULT"
        fail=1
    fi
done
exit $fail
