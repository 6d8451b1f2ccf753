#!/usr/bin/env bash
# e4proxy with TLS on both sides, on a real mosquitto with a TLS-only
# listener: mosquitto_pub and mosquitto_sub reach the proxies over TLS
# (--tls-cert/--tls-key), the proxies reach the broker with mqtts:// and
# verify its certificate (--cafile); the broker's subscriber sees
# ciphertext. A broker certificate from another CA is refused.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=e4proxy/proxies.sh
source "$E4_SRC_DIR/tests/integration/e4proxy/proxies.sh"
proxy_test_setup e4proxy-tls

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
