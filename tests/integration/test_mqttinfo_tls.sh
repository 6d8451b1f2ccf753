#!/usr/bin/env bash
# mqttinfo over TLS (mqtts://) against mosquitto: a listener with a
# certificate from a test CA (verified with --cafile) and one with a
# self-signed certificate (--insecure needed; findings). The certificates are
# generated here with the openssl command line.
source "$(dirname "$0")/mqttinfo/common.sh"

D="$WORK/pki"
mkdir -p "$D"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mqttinfo test CA" \
  -keyout "$D/ca.key" -out "$D/ca.crt" >/dev/null 2>&1 || { fail "CA generation"; finish; }
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1/O=mqttinfo test" \
  -keyout "$D/server.key" -out "$D/server.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' > "$D/ext.cnf"
openssl x509 -req -in "$D/server.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial \
  -days 2 -extfile "$D/ext.cnf" -out "$D/server.crt" >/dev/null 2>&1 || { fail "server cert"; finish; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=self-signed.invalid" \
  -keyout "$D/self.key" -out "$D/self.crt" >/dev/null 2>&1
chmod 0644 "$D"/*.key # mosquitto may drop privileges to its own user

TLS2=$(free_port)
start_mosquitto "$WORK/broker" "allow_anonymous true" \
  "cafile $D/ca.crt" "certfile $D/server.crt" "keyfile $D/server.key" \
  "listener $TLS2 127.0.0.1" "certfile $D/self.crt" "keyfile $D/self.key" || { fail "mosquitto (TLS) did not start"; finish; }
wait_port "$TLS2" 10
P=$MOSQUITTO_PORT

# Independent cross-check: mosquitto_pub verifies the CA-signed listener.
mosquitto_pub -p "$P" --cafile "$D/ca.crt" -h 127.0.0.1 -t mqttinfo/live -m x && ok "mosquitto_pub over TLS with the CA" || fail "mosquitto_pub TLS"

run_mqttinfo "$WORK/ca.json" --cafile "$D/ca.crt" "mqtts://127.0.0.1:$P"
[ "$MI_STATUS" -eq 0 ] && ok "verified TLS -> exit 0" || fail "verified TLS -> exit $MI_STATUS"
expect_json "TLS with the CA: verified, checks run over TLS" "$WORK/ca.json" error=null transport='"tls"' \
  tls.verified=true tls.self_signed=false 'tls.version=~^TLSv1\.[23]$' 'tls.subject=~CN=127.0.0.1' \
  'tls.issuer=~CN=mqttinfo test CA' 'tls.not_after=~^20[0-9][0-9]-' \
  v311.supported=true v311.qos2=true v311.qos3_rejected=true v5.supported=true v5.qos1=true \
  product.name='"mosquitto"' 'findings=~^(?!.*plaintext)(?!.*tls-unverified)' 'elapsed_ms=<3000'

# --tls with -p is the same as mqtts://
run_mqttinfo "$WORK/ca2.json" --tls --cafile "$D/ca.crt" -h 127.0.0.1 -p "$P"
expect_json "--tls -h -p" "$WORK/ca2.json" error=null transport='"tls"' tls.verified=true

# Without the CA: refused, but the report still describes the certificate.
run_mqttinfo "$WORK/noca.json" "mqtts://127.0.0.1:$P"
[ "$MI_STATUS" -eq 1 ] && ok "unverified TLS -> exit 1" || fail "unverified TLS -> exit $MI_STATUS"
expect_json "unverified TLS: error, certificate described" "$WORK/noca.json" 'error=~not verified' \
  tls.verified=false 'tls.verify_error=~self-signed|issuer|local' 'tls.subject=~127.0.0.1'

# Self-signed listener with --insecure: analysed, with TLS findings.
run_mqttinfo "$WORK/self.json" --insecure "mqtts://127.0.0.1:$TLS2"
expect_json "self-signed with --insecure" "$WORK/self.json" error=null tls.verified=false tls.self_signed=true \
  'tls.subject=~self-signed.invalid' v311.supported=true 'findings=~tls-unverified' 'findings=~tls-self-signed'
finish
