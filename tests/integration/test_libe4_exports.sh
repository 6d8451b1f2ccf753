#!/usr/bin/env bash
# libe4.so exports exactly its public API: every function include/e4/*.h
# marks E4_API, and nothing else (internal helpers stay hidden, built with
# -fvisibility=hidden). Symbols the toolchain adds (a leading underscore,
# e.g. sanitizer instrumentation) are not the library's.
set -uo pipefail
: "${E4_SRC_DIR:?}" "${E4_BUILD_DIR:?}"
so=$(find "$E4_BUILD_DIR/lib/e4" -maxdepth 1 -name 'libe4.so' | head -1)
[ -n "$so" ] || { echo "FAIL: libe4.so not built in $E4_BUILD_DIR/lib/e4"; exit 1; }

api=$(grep -ho 'E4_API [^(]*(' "$E4_SRC_DIR"/include/e4/*.h | grep -o 'e4_[a-z0-9_]*($' | tr -d '(' | sort -u)
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^_' | sort -u)

status=0
extra=$(comm -13 <(echo "$api") <(echo "$exported"))
missing=$(comm -23 <(echo "$api") <(echo "$exported"))
[ -z "$extra" ] && echo "ok: nothing exported beyond the API ($(echo "$exported" | wc -l) symbols)" \
  || { echo "FAIL: exported but not public API:"; echo "$extra"; status=1; }
[ -z "$missing" ] && echo "ok: every E4_API function is exported ($(echo "$api" | wc -l))" \
  || { echo "FAIL: declared E4_API but not exported:"; echo "$missing"; status=1; }
[ "$(echo "$api" | wc -l)" -gt 50 ] || { echo "FAIL: too few E4_API declarations found: the pattern broke"; status=1; }
exit $status
