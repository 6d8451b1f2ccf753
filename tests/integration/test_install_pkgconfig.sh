#!/usr/bin/env bash
# Install libe4 into a non-default prefix, move the tree elsewhere, and build
# programs against it with nothing but pkg-config (PKG_CONFIG_PATH): a tiny
# program (run too) and docs/examples/device.c (compiled, when libmosquitto
# is there). e4.pc must not name the configure-time prefix (issue 11, item 19).
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BUILD_DIR=${E4_BUILD_DIR:-$E4_SRC_DIR/build}
mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
CC=${CC:-cc}

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v pkg-config >/dev/null || fail "pkg-config is not installed"

cmake --install "$E4_BUILD_DIR" --prefix "$TMP/opt/e4" >"$TMP/install.log" 2>&1 ||
    { cat "$TMP/install.log" >&2; fail "cmake --install"; }
pc=$(find "$TMP/opt/e4" -name e4.pc | head -n 1)
[ -n "$pc" ] || fail "no e4.pc installed"
configured=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$E4_BUILD_DIR/CMakeCache.txt")
if [ -n "$configured" ] && grep -qF "$configured" "$pc"; then
    fail "e4.pc names the configure-time prefix $configured"
fi

# Relocated: the whole tree moved after installation.
mv "$TMP/opt/e4" "$TMP/moved"
pcdir=$(dirname "${pc/$TMP\/opt\/e4/$TMP/moved}")
export PKG_CONFIG_PATH="$pcdir"
libdir=$(pkg-config --variable=libdir e4) || fail "pkg-config cannot read e4.pc"
[ -f "$libdir/libe4.so" ] || [ -f "$libdir/libe4.a" ] || fail "libdir $libdir has no libe4"
[ -f "$(pkg-config --variable=includedir e4)/e4/e4.h" ] || fail "includedir has no e4/e4.h"

cat >"$TMP/tiny.c" <<'C'
#include <e4/e4.h>
#include <stdio.h>
int main(void)
{
    uint8_t key[E4_KEY_LEN], out[64];
    e4_random_key(key);
    if (e4_sk_protect(key, 1700000000, (const uint8_t *)"hi", 2, out) != E4_OK)
        return 1;
    printf("libe4 %s\n", e4_version());
    return 0;
}
C
# a sanitizer build installs an instrumented libe4: its users link the runtime too
SAN=()
grep -q '^E4_SANITIZE:BOOL=ON' "$E4_BUILD_DIR/CMakeCache.txt" && SAN=(-fsanitize=address,undefined)
# shellcheck disable=SC2046
"$CC" "${SAN[@]}" -o "$TMP/tiny" "$TMP/tiny.c" $(pkg-config --cflags --libs e4) || fail "tiny program does not build"
out=$(LD_LIBRARY_PATH="$libdir" "$TMP/tiny") && [ "${out%% *}" = libe4 ] || fail "tiny program does not run"

if pkg-config --exists libmosquitto; then
    # shellcheck disable=SC2046
    "$CC" "${SAN[@]}" -o "$TMP/device" "$E4_SRC_DIR/docs/examples/device.c" \
        $(pkg-config --cflags --libs e4 libmosquitto) || fail "docs/examples/device.c does not build"
fi
echo "ok: installed, relocated and built against with pkg-config"
