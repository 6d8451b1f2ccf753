#!/usr/bin/env bash
# e4c2 serves the web console's files at /ui/ (src/e4c2/http_ui.c): strict
# headers and content types, redirects to /ui/, no way out of the directory
# (.., percent-encoded dots, symbolic links, hidden files, other types), no
# token needed for the files while the API still needs one, GET /v1/whoami,
# the build tree's bundle by default, and a clear 404 when the console is
# missing while e4c2 runs on. (HTTPS: test_e4c2_tls.sh.)
C2_TEST=ui
source "$(dirname "$0")/c2_test.sh"

BUILD_UI="${E4_BUILD_DIR:-$E4_SRC_DIR/build}/ui"
[ -f "$BUILD_UI/index.html" ] || die "the console is not built ($BUILD_UI; cmake --build: target e4c2_ui)"
start_mosquitto "$TMP/broker" || die "mosquitto did not start"
c2_database c2
c2_init sk || die "e4c2 init failed"

# a console directory with traps beside it
UI="$TMP/ui"
mkdir -p "$UI/sub" "$TMP/outside"
cp "$BUILD_UI"/* "$UI/"
MARK="secret-marker-$RANDOM$RANDOM"
echo "$MARK" >"$TMP/outside/secret.txt"
echo "$MARK" >"$UI/.hidden.txt"
echo "$MARK" >"$UI/e4c2.db"
ln -s "$TMP/outside/secret.txt" "$UI/leak.txt"
ln -s "$TMP/outside" "$UI/out"
echo "sub file" >"$UI/sub/ok.txt"

c2_start c2 --ui-dir "$UI" || die "e4c2 did not start"
ADMIN=$(c2_token admin); VIEWER=$(c2_token viewer --read-only)

# get PATH [CURL OPTIONS]: STATUS, TYPE, body in $TMP/body, headers in $TMP/head
get() {
  local path=$1; shift
  read -r STATUS TYPE < <(curl -sS --path-as-is -D "$TMP/head" -o "$TMP/body" -w '%{http_code} %{content_type}\n' "$@" "$E4C2_URL$path")
}
header() { grep -i "^$1:" "$TMP/head" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }

get /ui/
check "/ui/ answers index.html without a token" '[ "$STATUS" = 200 ] && [ "$TYPE" = "text/html; charset=utf-8" ] && cmp -s "$TMP/body" "$UI/index.html"'
check "CSP: only this origin, no framing" \
  '[[ "$(header Content-Security-Policy)" == "default-src '"'self'"'; script-src '"'self'"'; style-src '"'self'"';"* ]] && [[ "$(header Content-Security-Policy)" == *"frame-ancestors '"'none'"'" ]]'
check "X-Frame-Options DENY" '[ "$(header X-Frame-Options)" = DENY ]'
check "X-Content-Type-Options nosniff" '[ "$(header X-Content-Type-Options)" = nosniff ]'
check "Referrer-Policy no-referrer" '[ "$(header Referrer-Policy)" = no-referrer ]'
check "no inline script in index.html" '! grep -Eq "<script>|<script[^>]*>[^<]" "$TMP/body" && ! grep -q " style=" "$TMP/body"'
get /ui/console.js
check "console.js: 200 text/javascript" '[ "$STATUS" = 200 ] && [ "$TYPE" = "text/javascript; charset=utf-8" ] && cmp -s "$TMP/body" "$UI/console.js"'
get /ui/console.css
check "console.css: 200 text/css" '[ "$STATUS" = 200 ] && [ "$TYPE" = "text/css; charset=utf-8" ]'
get /ui/sub/ok.txt
check "a file in a subdirectory" '[ "$STATUS" = 200 ] && [ "$TYPE" = "text/plain; charset=utf-8" ]'
get /ui/ -I
check "HEAD /ui/" '[ "$STATUS" = 200 ]'
for p in / /ui; do
  get "$p"
  check "$p redirects to /ui/" '[ "$STATUS" = 302 ] && [ "$(header Location)" = /ui/ ]'
done

# no way out
for p in /ui/../c2.db /ui/..%2fc2.db /ui/%2e%2e/outside/secret.txt /ui/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd \
         /ui/sub/../../outside/secret.txt /ui/leak.txt /ui/out/secret.txt /ui/.hidden.txt /ui/e4c2.db \
         /ui/sub/ /ui/sub /ui//etc/passwd /ui/nothing.js "/ui/index.html%00.js"; do
  get "$p"
  check "$p: 404, nothing leaked" '[ "$STATUS" = 404 ] && ! grep -q "$MARK" "$TMP/body" && ! grep -q "root:" "$TMP/body"'
done
check "a 404 has the strict headers too" '[ "$(header X-Content-Type-Options)" = nosniff ] && [ -n "$(header Content-Security-Policy)" ]'
get /ui/ -X POST -d x
check "POST /ui/ -> 405, Allow: GET, HEAD" '[ "$STATUS" = 405 ] && [ "$(header Allow)" = "GET, HEAD" ]'

# the API still wants its token; whoami tells the token's access
get /v1/status
check "the API without a token: 401" '[ "$STATUS" = 401 ]'
get /v1/whoami -H "Authorization: Bearer $ADMIN"
check "whoami: admin may write" '[ "$STATUS" = 200 ] && [ "$(json_get read_only <"$TMP/body")" = false ] && [ "$(json_get name <"$TMP/body")" = admin ]'
get /v1/whoami -H "Authorization: Bearer $VIEWER"
check "whoami: viewer is read-only" '[ "$STATUS" = 200 ] && [ "$(json_get read_only <"$TMP/body")" = true ]'
get /v1/whoami
check "whoami without a token: 401" '[ "$STATUS" = 401 ]'
check "no token in the log" '! grep -q "$ADMIN" "$TMP/c2.log"'
c2_stop_all

# default: run from the build tree, e4c2 serves the build tree's bundle
c2_start default || die "e4c2 (default ui dir) did not start"
get /ui/index.html
check "default: the build tree's console" '[ "$STATUS" = 200 ] && cmp -s "$TMP/body" "$BUILD_UI/index.html"'
check "the log says where the console is" 'grep -q "\"dir\":\"$BUILD_UI\"" "$TMP/default.log"'
c2_stop_all

# installed: cmake --install puts the console in share/e4c2/ui, where the
# installed e4c2 finds it by default
cmake --install "${E4_BUILD_DIR:-$E4_SRC_DIR/build}" --prefix "$TMP/opt" >"$TMP/install.log" 2>&1 || die "cmake --install failed"
check "installed: share/e4c2/ui/index.html" 'cmp -s "$TMP/opt/share/e4c2/ui/index.html" "$BUILD_UI/index.html"'
C2_PORT=$(free_port)
E4C2="$TMP/opt/bin/e4c2" c2_spawn "$TMP/installed.log" --broker "mqtt://127.0.0.1:$MOSQUITTO_PORT" --listen "127.0.0.1:$C2_PORT"
E4C2_URL="http://127.0.0.1:$C2_PORT"
wait_port "$C2_PORT" 20 || die "the installed e4c2 does not listen: $(cat "$TMP/installed.log")"
get /ui/console.js
check "installed e4c2 serves the installed console" '[ "$STATUS" = 200 ] && cmp -s "$TMP/body" "$TMP/opt/share/e4c2/ui/console.js"'
check "its log names the installed directory" 'grep -q "\"dir\":\"$TMP/opt/bin/../share/e4c2/ui\"" "$TMP/installed.log"'
c2_stop_all

# a missing console: a clear 404, the API still runs
c2_start missing --ui-dir "$TMP/no-such-dir" || die "e4c2 without a console did not start"
get /ui/
check "no console: 404 saying so" '[ "$STATUS" = 404 ] && grep -q "web console is not installed" "$TMP/body"'
get /healthz
check "no console: e4c2 runs on" '[ "$STATUS" = 200 ]'
check "no console: the log warns, naming the directory" 'grep "\"level\":\"warn\"" "$TMP/missing.log" | grep -q "web console is not installed.*no-such-dir"'

c2_done
