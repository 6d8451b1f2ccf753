#!/usr/bin/env bash
# e4c2's database layer (src/e4c2/db.h) on both backends: test_db on a
# SQLite file, on SQLite in memory, and on a PostgreSQL server started here
# (tests/integration/pg.sh); then connection failures, whose messages must
# never show the password of the URL.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
TEST_DB="$E4_BIN_DIR/test_db"
mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4-db.XXXXXX")

# shellcheck source=pg.sh
source "$E4_SRC_DIR/tests/integration/pg.sh"

cleanup() {
  pg_stop_all
  rm -rf "$TMP"
}
trap cleanup EXIT
die() { echo "FATAL: $*" >&2; exit 1; }

[ -x "$TEST_DB" ] || die "$TEST_DB not found (build the test_db target)"

echo "== SQLite file"
"$TEST_DB" "sqlite:$TMP/e4c2.db" || die "test_db failed on SQLite"
echo "== SQLite in memory"
"$TEST_DB" "sqlite::memory:" || die "test_db failed on SQLite in memory"

echo "== PostgreSQL"
start_postgres "$TMP/pg" || die "cannot start PostgreSQL"
url=$(pg_new_db e4c2_db_case) || die "pg_new_db failed"
"$TEST_DB" "$url" || die "test_db failed on PostgreSQL"

echo "== connection failures"
SECRET='Pw-s3cret-x9'
pg_psql "CREATE ROLE e4pw LOGIN PASSWORD '$SECRET'" || die "cannot create role"
pw_url="postgresql://e4pw:$SECRET@127.0.0.1:$PG_PORT/e4c2test"
"$TEST_DB" --open-ok "$pw_url" || die "the right password was refused"
closed=$(free_port)
expect_fail() { "$TEST_DB" --open-fails "$@" || die "open of $1 did not fail cleanly"; }
expect_fail "postgresql://e4pw:WRONG-$SECRET@127.0.0.1:$PG_PORT/e4c2test" "$SECRET"
expect_fail "postgresql://e4pw:$SECRET@127.0.0.1:$closed/e4c2test" "$SECRET"
expect_fail "postgres://127.0.0.1:$closed/e4c2test?password=$SECRET&user=e4pw" "$SECRET"
expect_fail "postgresql://e4pw:p%zz$SECRET@127.0.0.1:$PG_PORT/e4c2test" "$SECRET" "zz"
expect_fail "postgresql://e4pw:a@b$SECRET@127.0.0.1:$PG_PORT/e4c2test" "$SECRET"
expect_fail "postgresql://e4pw:p%41$SECRET@127.0.0.1:$closed/x?port=notaport" "$SECRET" "pA"
expect_fail "mysql://root:$SECRET@127.0.0.1/e4c2" "$SECRET"
expect_fail "sqlite:$TMP/no/such/dir/e4c2.db" "$SECRET"
echo "not a database, not at all......................................................" > "$TMP/junk.db"
expect_fail "$TMP/junk.db" "$SECRET"
echo "PASS"
