#!/usr/bin/env bash
# Screenshots of the web console's main pages (overview, clients, topic,
# policies, monitoring) into docs/console/*.png, taken by the browser test
# (tests/web/console.test.mjs) as it drives a real e4c2, mosquitto and
# devices. Needs a build (BUILD_DIR, default build) and
# scripts/install-deps.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$(cd "$ROOT/${BUILD_DIR:-build}" && pwd)
cmake --build "$BUILD_DIR" --target e4c2 e4ctl e4_cli >/dev/null
mkdir -p "$BUILD_DIR/tmp"
E4_CONSOLE_SHOTS="$ROOT/docs/console" E4_BIN_DIR="$BUILD_DIR/bin" E4_BUILD_DIR="$BUILD_DIR" \
  E4_SRC_DIR="$ROOT" E4_TMP_DIR="$BUILD_DIR/tmp" bash "$ROOT/tests/integration/test_e4c2_console.sh"
ls "$ROOT"/docs/console/*.png
