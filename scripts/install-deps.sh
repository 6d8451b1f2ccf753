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
  chromium                          # the web console's browser tests (driven by playwright-core)
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm   # libe4 on a Cortex-M4 (scripts/mcu-test.sh)
  # Other brokers mqttinfo must recognize (tests/integration/test_mqttinfo_<product>.sh);
  # ActiveMQ's MQTT transport needs the two fusesource libraries Debian packages apart.
  rabbitmq-server ejabberd activemq libmqtt-client-java libhawtdispatch-java
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
  # Packages that ship a daemon (mosquitto, PostgreSQL, RabbitMQ, ejabberd)
  # must not start a system instance: the tests start their own, unprivileged,
  # on free loopback ports. policy-rc.d is Debian's switch for that.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$guard" >/dev/null
    $sudo chmod 755 "$guard"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$guard" ] || $sudo rm -f "$guard"
fi

# mosquitto's Debian package enables a system broker on port 1883; the project
# starts its own brokers on free loopback ports and never needs that one.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl stop mosquitto >/dev/null 2>&1 || true
fi

# npm packages, each directory from its committed package-lock.json; skipped
# when already in place. npm_dir DIR MODULE WHAT
root="$(cd "$(dirname "$0")/.." && pwd)"
npm_dir() {
  [ -f "$root/$1/package.json" ] && [ ! -d "$root/$1/node_modules/$2" ] || return 0
  echo "install-deps: npm packages for $3" >&2
  (cd "$root/$1" && { npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null; })
}
npm_dir tests/integration/mqttinfo/node aedes "the mqttinfo tests (aedes)"
npm_dir tests/integration/mqttinfo/mosca mosca "the mqttinfo tests (mosca)"
npm_dir tests/pq/node @noble/post-quantum "the post-quantum tests (@noble/post-quantum)"
# The web console (web/): Preact and htm, bundled by esbuild; playwright-core
# drives Debian's chromium in its browser tests.
npm_dir web playwright-core "the web console (esbuild, preact, htm, playwright-core)"
npm_dir tests/integration/e4proxy/node mqtt "the e4proxy tests (MQTT.js)"
