#!/usr/bin/env bash
# Installs what is needed, checks the code style, builds, and runs every
# test: the unit and integration tests in a normal build and in an
# ASan+UBSan build, libe4's
# unit and vector tests with the portable crypto backend, the test firmware
# on an emulated Cortex-M4 (scripts/mcu-test.sh), then each fuzz target for
# FUZZ_SECONDS (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0

run_suite() { # NAME BUILD_DIR CMAKE_ARGS...
  local name=$1 dir=$2; shift 2
  echo "== $name build ($dir)"
  cmake -S . -B "$dir" -DE4_BENCH=OFF "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== $name tests"
  (cd "$dir" && ctest --output-on-failure -j"$jobs") || status=1
}

echo "== style (.clang-format, .editorconfig)"
bash scripts/check-style.sh || status=1

run_suite normal build-test
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite "ASan+UBSan" build-asan -DE4_SANITIZE=ON
# The same library with the portable crypto backend (lib/e4/crypto/portable):
# libe4's unit and vector tests (public-key cases skipped: SK mode only) and
# the differential test against OpenSSL, under the sanitizers.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite "portable crypto" build-portable -DE4_CRYPTO=portable -DE4_SANITIZE=ON

echo "== microcontroller (Cortex-M4 under qemu-system-arm)"
MCU_BUILD_DIR=build-mcu MCU_JOBS="$jobs" bash scripts/mcu-test.sh || status=1

if [ -f scripts/fuzz.sh ]; then
  echo "== fuzzing (${FUZZ_SECONDS:-30} s per target)"
  bash scripts/fuzz.sh || status=1
fi

if [ $status -eq 0 ]; then echo "ALL TESTS PASSED"; else echo "SOME TESTS FAILED"; fi
exit $status
