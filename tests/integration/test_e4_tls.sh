#!/usr/bin/env bash
# `e4 client` over TLS on a real mosquitto with TLS-only listeners. The PKI is
# generated here with the openssl command line: a test CA, a server
# certificate for 127.0.0.1/localhost, a server certificate for another name,
# a client certificate, and an unrelated CA.
#  - two clients trusting the CA (--cafile) exchange a protected message; a
#    plain mosquitto_sub --cafile on the topic sees only ciphertext;
#  - without the CA (--tls: system CAs), with another CA, or with a server
#    certificate for another host name, the client fails at once with a
#    clear error and exit status 1; --insecure accepts the other host name;
#  - a listener that requires a client certificate: --cert/--tls-key.
set -uo pipefail

E4_SRC_DIR=${E4_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
E4_BIN_DIR=${E4_BIN_DIR:-$E4_SRC_DIR/build/bin}
E4="$E4_BIN_DIR/e4"
# a refused TLS handshake must end the client well before its --timeout
FAIL_FAST=5

# shellcheck source=brokers.sh
source "$E4_SRC_DIR/tests/integration/brokers.sh"
# shellcheck source=e4_clients.sh
source "$E4_SRC_DIR/tests/integration/e4_clients.sh"
e4_test_init e4-tls "$E4" mosquitto mosquitto_sub mosquitto_pub openssl timeout

# ---- PKI -----------------------------------------------------------------
PKI="$TMP/pki"
mkdir -p "$PKI"
ossl() { openssl "$@" >>"$PKI/openssl.log" 2>&1 || die "openssl $1 failed: $(tail -n 5 "$PKI/openssl.log")"; }
# signed NAME SUBJECT EXTENSIONS: a key and a certificate signed by the CA.
signed() {
  ossl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$PKI/$1.key" -out "$PKI/$1.csr"
  printf '%s\n' "$3" >"$PKI/$1.ext"
  ossl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.crt"
}
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=e4 TLS test CA" \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt"
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=e4 TLS other CA" \
  -keyout "$PKI/other-ca.key" -out "$PKI/other-ca.crt"
signed server "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost"
signed wrongname "/CN=wrong.invalid" "subjectAltName=DNS:wrong.invalid"
signed device "/CN=e4 device" "extendedKeyUsage=clientAuth"
chmod 0644 "$PKI"/*.key # mosquitto may read them as its own user

# ---- broker: TLS-only listeners --------------------------------------------
# PORT: the CA-signed certificate for 127.0.0.1/localhost. WRONG_PORT: a
# CA-signed certificate for wrong.invalid. CERT_PORT: like PORT, and a client
# certificate is required. start_mosquitto writes "listener PORT 127.0.0.1"
# first: the cafile/certfile/keyfile lines after it belong to that listener.
tls_lines() { printf '%s\n' "cafile $PKI/ca.crt" "certfile $PKI/$1.crt" "keyfile $PKI/$1.key"; }
started=0
for _ in 1 2 3; do # a port taken in between: try again with others
  mapfile -t extra < <(free_ports 2)
  WRONG_PORT=${extra[0]}
  CERT_PORT=${extra[1]}
  mapfile -t conf < <(
    [ "$(id -u)" -ne 0 ] || echo "user root"
    echo "allow_anonymous true"
    tls_lines server
    echo "listener $WRONG_PORT 127.0.0.1"
    tls_lines wrongname
    echo "listener $CERT_PORT 127.0.0.1"
    tls_lines server
    echo "require_certificate true"
  )
  rm -rf "$TMP/broker"
  if start_mosquitto "$TMP/broker" "${conf[@]}" 2>/dev/null &&
     wait_port "$WRONG_PORT" 5 && wait_port "$CERT_PORT" 5; then
    started=1
    break
  fi
  stop_pid "$MOSQUITTO_PID"
done
[ "$started" -eq 1 ] || die "mosquitto (TLS) did not start"
PORT=$MOSQUITTO_PORT
CA="$PKI/ca.crt"

# ---- helpers -------------------------------------------------------------

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# run_client NAME OPTION...: a one-shot `e4 client` (stdin closed) under a
# hard time limit; sets RC and ELAPSED (ms); output in NAME.out / NAME.err.
run_client() {
  local name=$1 t0
  shift
  t0=$(now_ms)
  timeout "$TIMEOUT" "$E4" client --name "$name" --key "$(key)" "$@" \
    </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
  RC=$?
  ELAPSED=$(( $(now_ms) - t0 ))
}

# refused DESCRIPTION ERROR_REGEX OPTION...: the client must exit 1 within
# FAIL_FAST s (its --timeout is longer), print ERROR_REGEX on stderr and
# never be ready.
refused() {
  local what=$1 regex=$2
  shift 2
  run_client refused --timeout 10 "$@"
  if [ "$RC" -eq 1 ] && grep -Eq -- "$regex" "$TMP/refused.err" &&
     ! grep -q '^ready' "$TMP/refused.out" && [ "$ELAPSED" -lt $((FAIL_FAST * 1000)) ]; then
    ok
  else
    ko "$what: status $RC after ${ELAPSED} ms, stderr: $(cat "$TMP/refused.err"), stdout: $(head -n 3 "$TMP/refused.out")"
  fi
}

# ---- the spy: a plain TLS subscriber sees what the broker sees --------------
mosquitto_sub -h 127.0.0.1 -p "$PORT" --cafile "$CA" -q 1 -t 'sensors/#' -F '%t %x' \
  >"$TMP/spy.out" 2>"$TMP/spy.err" &
PIDS+=("$!")
deadline=$(( $(date +%s) + TIMEOUT ))
until grep -q '^sensors/probe ' "$TMP/spy.out"; do
  [ "$(date +%s)" -lt "$deadline" ] || die "mosquitto_sub --cafile never subscribed: $(cat "$TMP/spy.err")"
  mosquitto_pub -h 127.0.0.1 -p "$PORT" --cafile "$CA" -t sensors/probe -m probe 2>>"$TMP/spy.err"
  sleep 0.2
done
ok

# ---- two clients trusting the CA exchange a protected message --------------
TK=$(key)
client_start bob --broker "127.0.0.1:$PORT" --cafile "$CA" --name bob --key "$(key)" \
  --topic-key "sensors/tls:$TK" --subscribe sensors/tls
# by host name: the certificate's DNS name
client_start alice --broker "localhost:$PORT" --cafile "$CA" --name alice --key "$(key)" \
  --topic-key "sensors/tls:$TK" --subscribe sensors/tls
grep -q '^subscribed sensors/tls$' "$TMP/bob.out" && ok || ko "bob: no 'subscribed sensors/tls'"

SECRET="over TLS: secret-T1"
m=$(mark bob)
send alice "pub sensors/tls $SECRET"
expect bob "^message sensors/tls $SECRET\$" "$m" "bob did not decrypt alice's message over TLS"
expect alice '^published sensors/tls$' 0 "alice: no 'published'"
m=$(mark alice)
send bob "pub sensors/tls and back"
expect alice '^message sensors/tls and back$' "$m" "alice did not decrypt bob's message over TLS"

wait_for spy '^sensors/tls ' 0 || true
spied=$(sed -n 's/^sensors\/tls //p' "$TMP/spy.out" | head -n 1)
[ -n "$spied" ] && ok || ko "the TLS spy saw nothing on sensors/tls"
[ "${#spied}" -eq $(( 2 * (${#SECRET} + 24) )) ] && ok || ko "ciphertext length ${#spied}"
if grep -q "$(hex_of "$SECRET")" "$TMP/spy.out" || grep -q "$(hex_of "secret-T1")" "$TMP/spy.out" ||
   grep -q "$(hex_of "and back")" "$TMP/spy.out"; then
  ko "the broker saw the plaintext"
else
  ok
fi
[ "$(grep -c '^sensors/tls ' "$TMP/spy.out")" -eq 2 ] && ok || ko "the spy saw $(grep -c '^sensors/tls ' "$TMP/spy.out") messages, not 2"

client_stop alice
client_stop bob
grep -q . "$TMP/bob.err" "$TMP/alice.err" && ko "clients wrote to stderr: $(cat "$TMP/bob.err" "$TMP/alice.err")" || ok

# ---- the server is not trusted: fail at once, with the reason --------------
refused "--tls (system CAs only)" "cannot connect to 127\.0\.0\.1:$PORT: TLS error: certificate verify failed" \
  --broker "127.0.0.1:$PORT" --tls
refused "--cafile of another CA" "cannot connect to 127\.0\.0\.1:$PORT: TLS error: certificate verify failed" \
  --broker "127.0.0.1:$PORT" --cafile "$PKI/other-ca.crt"
refused "certificate for another host name" "cannot connect to 127\.0\.0\.1:$WRONG_PORT: TLS error: certificate verify failed" \
  --broker "127.0.0.1:$WRONG_PORT" --cafile "$CA"
refused "--insecure still checks the CA" "TLS error: certificate verify failed" \
  --broker "127.0.0.1:$WRONG_PORT" --cafile "$PKI/other-ca.crt" --insecure
refused "--cafile missing" "--cafile $TMP/nothing\.crt: No such file or directory" \
  --broker "127.0.0.1:$PORT" --cafile "$TMP/nothing.crt"
refused "--capath not a directory" "--capath $CA: Not a directory" \
  --broker "127.0.0.1:$PORT" --capath "$CA"

# --insecure: another host name is accepted (the chain is still verified)
run_client insecure --broker "127.0.0.1:$WRONG_PORT" --cafile "$CA" --insecure --timeout 10
[ "$RC" -eq 0 ] && grep -q '^ready ' "$TMP/insecure.out" && ok ||
  ko "--insecure: status $RC, $(cat "$TMP/insecure.err")"

# no TLS at all on a TLS-only listener: never ready, status 1, bounded by --timeout
run_client plain --broker "127.0.0.1:$PORT" --timeout 2
[ "$RC" -eq 1 ] && ! grep -q '^ready' "$TMP/plain.out" && grep -q "not connected" "$TMP/plain.err" && ok ||
  ko "plain MQTT on the TLS listener: status $RC, $(cat "$TMP/plain.err")"

# ---- client certificate ------------------------------------------------------
client_start carol --broker "127.0.0.1:$CERT_PORT" --cafile "$CA" \
  --cert "$PKI/device.crt" --tls-key "$PKI/device.key" --name carol --key "$(key)" \
  --topic-key "sensors/tls:$TK" --subscribe sensors/tls
client_start dave --broker "127.0.0.1:$PORT" --cafile "$CA" --name dave --key "$(key)" \
  --topic-key "sensors/tls:$TK"
m=$(mark carol)
send dave "pub sensors/tls to the certified device"
expect carol '^message sensors/tls to the certified device$' "$m" "carol (client certificate) did not receive"
client_stop dave
client_stop carol

# without its certificate the broker refuses the client (how libmosquitto
# reports it varies: only a bounded failure is required)
run_client nocert --broker "127.0.0.1:$CERT_PORT" --cafile "$CA" --timeout 3
[ "$RC" -eq 1 ] && ! grep -q '^ready' "$TMP/nocert.out" && [ -s "$TMP/nocert.err" ] && ok ||
  ko "no client certificate: status $RC, $(cat "$TMP/nocert.err")"
run_client halfcert --broker "127.0.0.1:$CERT_PORT" --cafile "$CA" --cert "$PKI/device.crt"
[ "$RC" -eq 2 ] && grep -q -- "--cert and --tls-key go together" "$TMP/halfcert.err" && ok ||
  ko "--cert without --tls-key: status $RC, $(cat "$TMP/halfcert.err")"

echo "test_e4_tls: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
