#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test, fuzz and run
# the demo. Idempotent and non-interactive: packages already present are kept.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  clang libclang-rt-14-dev          # libFuzzer and sanitizer runtimes
  libssl-dev libsodium-dev          # crypto backend
  libmosquitto-dev mosquitto mosquitto-clients
  libcmocka-dev libjansson-dev
  libsqlite3-dev libpq-dev postgresql sqlite3   # e4c2 storage, and a real PostgreSQL for its tests
  libmicrohttpd-dev libcurl4-openssl-dev       # e4c2's HTTP API, e4ctl's HTTP client
  faketime pmccabe curl xxd                             # moving clocks in tests; complexity report
  strace util-linux iproute2        # mqttinfo tests: write() counts; unshare and ip for the DNS test
  python3 procps
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm   # libe4 on a Cortex-M4 (scripts/mcu-test.sh)
)

# aedes (npm) needs Node.js; a machine that already has node and npm keeps them
# (Debian's npm conflicts with the upstream nodejs package).
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# mosquitto's Debian package enables a system broker on port 1883; the project
# starts its own brokers on free loopback ports and never needs that one.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl stop mosquitto >/dev/null 2>&1 || true
fi

# aedes (npm), the second broker of the mqttinfo integration tests: installed
# from the committed package-lock.json; skipped when already in place.
mqttinfo_node_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/mqttinfo/node"
if [ -f "$mqttinfo_node_dir/package.json" ] && [ ! -d "$mqttinfo_node_dir/node_modules/aedes" ]; then
  echo "install-deps: npm packages for the mqttinfo tests (aedes)" >&2
  (cd "$mqttinfo_node_dir" && { npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null; })
fi

# MQTT.js (npm "mqtt"), a third-party client of the e4proxy tests: from the
# committed package-lock.json; skipped when already in place.
e4proxy_node_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/e4proxy/node"
if [ -f "$e4proxy_node_dir/package.json" ] && [ ! -d "$e4proxy_node_dir/node_modules/mqtt" ]; then
  echo "install-deps: npm packages for the e4proxy tests (mqtt)" >&2
  (cd "$e4proxy_node_dir" && { npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null; })
fi
