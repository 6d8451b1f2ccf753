#!/usr/bin/env bash
# libe4 on a Cortex-M4, measured: code and data sizes of the SK core with
# the portable crypto backend, the stack high-water marks and instructions
# per 64-byte protect from the test firmware under qemu -icount, and the
# host's instruction count of the same code (valgrind --tool=callgrind).
# Prints a Markdown table (docs/mcu.md quotes it). Not part of the tests.
#   MCU_BUILD_DIR (default build-mcu), HOST_BUILD_DIR (default build-mcu-host)
set -euo pipefail
cd "$(dirname "$0")/.."
mcu=${MCU_BUILD_DIR:-build-mcu}
host=${HOST_BUILD_DIR:-build-mcu-host}

# 1. the device build and the firmware run (also builds the firmware)
run=$(MCU_BUILD_DIR="$mcu" bash scripts/mcu-test.sh)
field() { printf '%s\n' "$run" | sed -n "s/^$1//p" | head -1; }

# 2. sizes: the whole library, and what a device links (the firmware's map:
#    sections of libe4.a kept by --gc-sections; libc's memcpy & co apart)
lib_total=$(arm-none-eabi-size -t "$mcu/lib/e4/libe4.a" | awk '/TOTALS/ {print $1, $2, $3}')
linked=$(python3 - "$mcu/tests/mcu/e4_mcu_test.map" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = text[text.index("Linker script and memory map"):]
sizes = {}
for sec, size, obj in re.findall(r"^ (\.[\w.]+|COMMON)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)", text, re.M):
    who = "e4" if "libe4.a" in obj else "libc" if re.search(r"lib(c|g|c_nano|g_nano|gcc)\.a", obj) else None
    kind = ("text" if sec.startswith((".text", ".rodata")) else
            "data" if sec.startswith(".data") else "bss" if sec.startswith((".bss", "COMMON")) else None)
    if who and kind:
        sizes[(who, kind)] = sizes.get((who, kind), 0) + int(size, 16)
g = lambda w, k: sizes.get((w, k), 0)
print(g("e4", "text"), g("e4", "data"), g("e4", "bss"), g("libc", "text"))
PY
)
read -r e4_text e4_data e4_bss libc_text <<<"$linked"
read -r all_text all_data all_bss <<<"$lib_total"

# 3. the host figure: the same e4_protect, portable backend, -Os
cmake -S . -B "$host" -DE4_CRYPTO=portable -DE4_HOSTED=OFF -DE4_TESTS=OFF -DE4_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=MinSizeRel >/dev/null
cmake --build "$host" -j2 >/dev/null
cc -Os -std=c11 -Iinclude bench/mcu_protect.c "$host/lib/e4/libe4.a" -o "$host/mcu_protect"
cg=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$cg" --toggle-collect=e4_protect \
  "$host/mcu_protect" >/dev/null 2>&1
host_ir=$(awk '/^summary:/ {print int($2 / 100)}' "$cg")  # REPS = 100 in mcu_protect.c
rm -f "$cg"

cat <<EOF2
| figure (Cortex-M4, arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), -Os) | value |
|---|---|
| .text+.rodata of libe4 linked into an SK device (firmware map, gc-sections) | $e4_text bytes |
| .data + .bss of libe4 on the device | $((e4_data + e4_bss)) bytes (.data $e4_data, .bss $e4_bss) |
| libc functions it pulls in (memcpy, memset, memcmp, strlen) | $libc_text bytes |
| all of libe4.a (core + portable backend, incl. receipts, storage format) | .text $all_text, .data $all_data, .bss $all_bss bytes |
| state of a 16-topic SK client | $(field 'state: 16-topic SK client ') |
| stack high-water, e4_protect 64 bytes | $(field 'stack: e4_protect (64 bytes) ') |
| stack high-water, e4_unprotect 64 bytes | $(field 'stack: e4_unprotect (64 bytes) ') |
| stack high-water, e4_unprotect of a SetTopicKey command | $(field 'stack: e4_unprotect (SetTopicKey command) ') |
| instructions per 64-byte e4_protect, qemu mps2-an386 -icount | $(field 'time: instructions per 64-byte e4_protect (qemu -icount) ~ ') |
| instructions per 64-byte e4_protect, host x86-64 (callgrind, -Os) | $host_ir |
EOF2
