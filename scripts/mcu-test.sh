#!/usr/bin/env bash
# Builds libe4's core with the portable crypto backend for a Cortex-M4
# (cmake/arm-none-eabi.cmake) and runs the test firmware (tests/mcu) under
# QEMU's mps2-an386 board: the SK reference vectors, round trips, commands,
# and the stack and instruction measurements. Exit status: the firmware's.
#   MCU_BUILD_DIR   build directory (default build-mcu)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${MCU_BUILD_DIR:-build-mcu}
for tool in arm-none-eabi-gcc qemu-system-arm; do
  command -v "$tool" >/dev/null || { echo "mcu-test: $tool missing (scripts/install-deps.sh)" >&2; exit 2; }
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake \
         -DCMAKE_BUILD_TYPE=MinSizeRel && cmake --build "$dir" -j"${MCU_JOBS:-2}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "mcu-test: the Cortex-M4 build failed" >&2
  exit 1
fi

# -icount shift=0: one instruction is one virtual nanosecond, so SysTick
# counts instructions (the firmware calibrates it); timeout: a hung
# firmware fails instead of blocking the test run.
timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
  -chardev stdio,id=semihosting -semihosting-config enable=on,target=native,chardev=semihosting \
  -icount shift=0 \
  -kernel "$dir/bin/e4_mcu_test.elf"
