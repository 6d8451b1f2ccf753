#!/usr/bin/env bash
# e4c2 over TLS on both sides: it reaches a TLS-only mosquitto that requires
# a user name and password (mqtts://, --broker-cafile, --broker-username,
# --broker-password-file) and serves its API over HTTPS (--tls-cert,
# --tls-key), which e4ctl reaches with --cacert. A device over TLS gets its
# topic key; a wrong broker password leaves commands waiting, not lost.
C2_TEST=tls
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"

PKI="$TMP/pki"
mkdir -p "$PKI"
ossl() { openssl "$@" >>"$PKI/openssl.log" 2>&1 || die "openssl $1 failed"; }
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=e4c2 test CA" -keyout "$PKI/ca.key" -out "$PKI/ca.crt"
ossl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$PKI/server.key" -out "$PKI/server.csr"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$PKI/server.ext"
ossl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 2 \
  -extfile "$PKI/server.ext" -out "$PKI/server.crt"
chmod 0644 "$PKI"/*.key

printf 'c2-pass-%s\n' "$RANDOM$RANDOM" >"$TMP/broker.pw"
: >"$TMP/passwd"
mosquitto_passwd -b "$TMP/passwd" c2 "$(cat "$TMP/broker.pw")" 2>/dev/null
mosquitto_passwd -b "$TMP/passwd" device device-password-1 2>/dev/null
chmod 0644 "$TMP/passwd"
start_mosquitto "$TMP/broker" "cafile $PKI/ca.crt" "certfile $PKI/server.crt" "keyfile $PKI/server.key" \
  "allow_anonymous false" "password_file $TMP/passwd" "user $(id -un)" || die "mosquitto did not start"

c2_database c2
c2_init sk || die "init"
# HTTPS API and mqtts:// broker
C2_PORT=$(free_port)
c2_tls() { # LOG PASSWORD-FILE
  c2_spawn "$1" --broker "mqtts://127.0.0.1:$MOSQUITTO_PORT" --broker-cafile "$PKI/ca.crt" --broker-username c2 \
    --broker-password-file "$2" --listen "127.0.0.1:$C2_PORT" --tls-cert "$PKI/server.crt" --tls-key "$PKI/server.key"
}
c2_tls "$TMP/c2.log" "$TMP/broker.pw"
export E4C2_URL="https://127.0.0.1:$C2_PORT"
wait_port "$C2_PORT" 10 || die "e4c2 does not listen"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)

check "e4ctl reaches the HTTPS API with --cacert" '"$E4CTL" --cacert "$PKI/ca.crt" status >/dev/null'
"$E4CTL" status >/dev/null 2>"$TMP/untrusted.err"
check "an untrusted certificate is refused" '[ $? -eq 1 ]'
check "plain HTTP on the HTTPS port gets no API" '! curl -fsS "http://127.0.0.1:$C2_PORT/healthz" >/dev/null 2>&1'
curl -sS --cacert "$PKI/ca.crt" -D "$TMP/ui.h" -o /dev/null "$E4C2_URL/ui/" 2>/dev/null
check "the web console is served on the same HTTPS listener, with its CSP" \
  'grep -q "^HTTP/1.1 200" "$TMP/ui.h" && grep -qi "^Content-Security-Policy: default-src .self." "$TMP/ui.h"'

K=$("$E4CTL" --cacert "$PKI/ca.crt" client add tdev --json | json_get key)
CLIENT_OPTS=(--broker "127.0.0.1:$MOSQUITTO_PORT" --cafile "$PKI/ca.crt" --username device --mqtt-password device-password-1)
client_start tdev --name tdev --key "$K" --subscribe secure
"$E4CTL" --cacert "$PKI/ca.crt" topic add secure >/dev/null
m=$(mark tdev)
"$E4CTL" --cacert "$PKI/ca.crt" topic join secure tdev >/dev/null || die "join"
expect tdev '^command applied' "$m" "a command reaches the device through the TLS broker with a password"
check "the log never holds the broker password" '! grep -qF "$(cat "$TMP/broker.pw")" "$TMP/c2.log"'
check "the log never holds the API token" '! grep -qF "$E4C2_TOKEN" "$TMP/c2.log"'

# a wrong broker password: commands wait (and say why), none is lost
c2_stop_all
echo "not-the-password" >"$TMP/wrong.pw"
c2_tls "$TMP/c2-wrong.log" "$TMP/wrong.pw"
wait_port "$C2_PORT" 10 || die "e4c2 does not listen"
"$E4CTL" --cacert "$PKI/ca.crt" topic rotate secure >/dev/null || die "rotate"
sleep 2
check "with a refused broker login the command waits" \
  '[ "$("$E4CTL" --cacert "$PKI/ca.crt" status --json | json_get outbox.pending)" = 1 ]'
check "the log says the broker refused the connection" 'grep -q "refused" "$TMP/c2-wrong.log"'
c2_stop_all
m=$(mark tdev)
c2_tls "$TMP/c2.log" "$TMP/broker.pw"
expect tdev '^command applied' "$m" "with the right password the waiting command is delivered"

client_stop tdev
c2_done
