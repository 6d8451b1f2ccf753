#!/usr/bin/env bash
# e4proxy with TLS on both sides, on a real mosquitto with a TLS-only
# listener: mosquitto_pub and mosquitto_sub reach the proxies over TLS
# (--tls-cert/--tls-key), the proxies reach the broker with mqtts:// and
# verify its certificate (--cafile); the broker's subscriber sees
# ciphertext. A broker certificate from another CA is refused.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"
PROXY="$E4_BIN_DIR/e4proxy"
mkdir -p "${E4_TMP_DIR:-/tmp}"
TMP=$(mktemp -d "${E4_TMP_DIR:-/tmp}/e4proxy-tls.XXXXXX")
TIMEOUT=${E4_TEST_TIMEOUT:-15}

# shellcheck source=brokers.sh
source "$E4_SRC_DIR/tests/integration/brokers.sh"
# shellcheck source=e4_clients.sh
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
# shellcheck source=e4proxy/proxies.sh
source "$E4_SRC_DIR/tests/integration/e4proxy/proxies.sh"

trap cleanup EXIT
die() {
  echo "FATAL: $*" >&2
  local f
  for f in "$TMP"/*.out "$TMP"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; } >&2; done
  exit 1
}

PKI="$TMP/pki"
mkdir -p "$PKI"
ossl() { openssl "$@" >>"$PKI/openssl.log" 2>&1 || die "openssl $1 failed: $(tail -n 5 "$PKI/openssl.log")"; }
signed() { # NAME SUBJECT EXTENSIONS CA
  ossl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$PKI/$1.key" -out "$PKI/$1.csr"
  printf '%s\n' "$3" >"$PKI/$1.ext"
  ossl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$4.crt" -CAkey "$PKI/$4.key" -CAcreateserial \
    -days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.crt"
}
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=e4proxy test CA" -keyout "$PKI/ca.key" -out "$PKI/ca.crt"
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" -keyout "$PKI/other.key" -out "$PKI/other.crt"
signed broker "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost" ca
signed proxy "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost" ca
chmod 0644 "$PKI"/*.key

conf=("allow_anonymous true" "cafile $PKI/ca.crt" "certfile $PKI/broker.crt" "keyfile $PKI/broker.key")
[ "$(id -u)" -ne 0 ] || conf=("user root" "${conf[@]}")
start_mosquitto "$TMP/broker" "${conf[@]}" || die "mosquitto did not start"
PORT=$MOSQUITTO_PORT
TK=$(key)
TLS_SUB=(--cafile "$PKI/ca.crt")

read -r PA PB PX <<<"$(free_ports 3 | tr '\n' ' ')"
for p in "a $PA" "b $PB"; do
  set -- $p
  proxy_start "$1" "$2" --broker "mqtts://localhost:$PORT" --cafile "$PKI/ca.crt" \
    --tls-cert "$PKI/proxy.crt" --tls-key "$PKI/proxy.key" --name "tls-$1" --key "$(key)" \
    --topic-key "sensors/t:$TK"
done
wait_log a '"event":"control_connected"' || ko "control connection over TLS"

mosquitto_sub -p "$PORT" "${TLS_SUB[@]}" -t 'sensors/#' -F '%t %x' >"$TMP/spy.out" 2>"$TMP/spy.err" &
PIDS+=("$!")
sub_start sub "$PB" 'sensors/#' "${TLS_SUB[@]}"
sleep 0.3
mosquitto_pub -p "$PA" "${TLS_SUB[@]}" -t sensors/t -q 1 -m "over tls secret" || ko "publish through the TLS proxy"
expect sub '^sensors/t over tls secret$' 0 "the message did not cross both proxies over TLS"
expect spy '^sensors/t ' 0 "the broker did not get the message"
grep -q "$(hex_of 'over tls secret')" "$TMP/spy.out" && ko "plaintext on the broker" || ok
# a plain client on the TLS listener does not get through
timeout 5 mosquitto_pub -p "$PA" -t sensors/t -m plain >/dev/null 2>&1 && ko "plain TCP accepted on the TLS listener" || ok
kill -0 "${PROXY_PIDS[a]}" && ok || die "the proxy died after a plain client"

# a broker whose certificate the CA did not sign: refused
proxy_start x "$PX" --broker "mqtts://localhost:$PORT" --cafile "$PKI/other.crt" --name tls-x --key "$(key)"
timeout 5 mosquitto_pub -p "$PX" -t sensors/t -m x >/dev/null 2>&1 && ko "unverified broker accepted" || ok
wait_log x '"event":"tls_error".*certificate verify failed' || ko "no log of the failed verification"

proxy_stop a
proxy_stop b
proxy_stop x
echo "passed: $passed, failed: $failed"
[ "$failed" -eq 0 ]
