#!/usr/bin/env bash
# The web console in a real browser (tests/web/console.test.mjs: Debian's
# chromium driven by playwright-core) against a real e4c2 on SQLite, a real
# mosquitto and real `e4 client` devices. E4_CONSOLE_SHOTS=DIR also saves
# screenshots of the main pages (scripts/console-screenshots.sh).
C2_TEST=console
source "$(dirname "$0")/c2_test.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || die "chromium is not installed (scripts/install-deps.sh installs it)"
[ -d "$E4_SRC_DIR/web/node_modules/playwright-core" ] || die "web/node_modules is missing (scripts/install-deps.sh runs npm ci)"
[ -f "${E4_BUILD_DIR:-$E4_SRC_DIR/build}/ui/index.html" ] || die "the console is not built (cmake --build: target e4c2_ui)"

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
c2_database c2
c2_init sk || die "e4c2 init failed"
c2_start c2 || die "e4c2 did not start"
ADMIN=$(c2_token admin) || die "token create failed"
VIEWER=$(c2_token viewer --read-only) || die "token create --read-only failed"
SK_URL=$E4C2_URL SK_DB=$C2_DB SK_PID=$C2_PID
# a second e4c2, in PK mode, for the public-key pages
c2_database c2pk
c2_init pk || die "e4c2 init --mode pk failed"
c2_start c2pk || die "e4c2 (pk) did not start"
PK_URL=$E4C2_URL
PK_TOKEN=$(c2_token admin) || die "token create (pk) failed"

E4C2_URL=$SK_URL C2_DB=$SK_DB C2_PID=$SK_PID E4C2="$E4C2" E4C2_PK_URL=$PK_URL E4C2_PK_TOKEN=$PK_TOKEN E4C2_ADMIN_TOKEN=$ADMIN E4C2_VIEWER_TOKEN=$VIEWER MOSQUITTO_PORT=$MOSQUITTO_PORT \
  E4="$E4" TMP="$TMP" CHROMIUM="$CHROMIUM" E4_SRC_DIR="$E4_SRC_DIR" \
  timeout 150 node "$E4_SRC_DIR/tests/web/console.test.mjs" 2>&1
rc=$?
grep -E '"level":"(error|fatal)"' "$TMP/c2.log" "$TMP/c2pk.log" "$TMP/c2-restarted.log" >&2 && { echo "FAIL: e4c2 logged errors" >&2; rc=1; }
exit $rc
