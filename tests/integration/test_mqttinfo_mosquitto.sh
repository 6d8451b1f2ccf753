#!/usr/bin/env bash
# mqttinfo against real mosquitto brokers: open (anonymous), requiring a
# password, and with an ACL that denies client writes to $SYS/#.
#
# How the expected values were established, independently of mqttinfo
# (mosquitto 2.0.11, Debian; the script re-checks the marked ones live):
#  * anonymous: `mosquitto_pub -V mqttv311|5 -q 1` without -u succeeds on the
#    open and ACL brokers, fails with "not authorised" / "Not authorized"
#    (CONNACK 5 / 0x87) on the password broker.                       [live]
#  * auth_ok: the same with -u/-P succeeds; with a wrong password it is
#    refused.                                                         [live]
#  * qos1 / qos2: `mosquitto_pub -d -q 1|2` shows PUBACK, PUBREC/PUBCOMP. [live]
#  * subscribe_all: `mosquitto_sub -d -t '#'` shows a SUBACK granting QoS 0
#    (also on the ACL broker: mosquitto grants the subscription and filters
#    what it delivers).                                               [live]
#  * qos3_rejected, invalid_utf8_rejected, invalid_filter_rejected: the
#    mosquitto clients refuse to send such packets, so raw_probe.py (a few
#    lines of independent Python) sends them: 3.1.1 -> the socket is closed,
#    5.0 -> DISCONNECT 0x81 (Malformed Packet).                        [live]
#  * sys_publish_allowed: `mosquitto_pub -d -q 1 -t '$SYS/...'` gets a PUBACK
#    in 3.1.1 (the protocol has no refusal code) and "PUBACK (RC:135)",
#    Not authorized, in 5.0: mosquitto 2.0 refuses client writes to $SYS
#    even without an ACL.                                             [live]
#  * sys_publish_delivered: a `mosquitto_sub -t '$SYS/...'` started before that
#    publish receives nothing.                                        [live]
#  * sys_tree: `mosquitto_sub -t '$SYS/#' -W 1 -v` lists $SYS/broker/version
#    "mosquitto version 2.0.11" and ~50 other topics.                  [live]
#  * product: mosquitto, its version from $SYS/broker/version.
source "$(dirname "$0")/mqttinfo/common.sh"

USER_NAME=mqttinfo-test
PASSWORD="pw-$$-$RANDOM-secret"

# ---- live cross-checks with the mosquitto clients ----
live_open_checks() { # PORT: the facts shared by the open and ACL brokers
  local port=$1 label=$2 out
  mosquitto_pub -p "$port" -V mqttv311 -q 1 -t mqttinfo/live -m x && ok "$label: anonymous 3.1.1 publish (mosquitto_pub)" \
    || fail "$label: anonymous 3.1.1 publish refused"
  mosquitto_pub -p "$port" -V 5 -q 2 -t mqttinfo/live -m x && ok "$label: anonymous 5.0 QoS 2 publish (mosquitto_pub)" \
    || fail "$label: anonymous 5.0 publish refused"
  out=$(mosquitto_sub -p "$port" -d -t '#' -W 1 -C 1 2>&1 || true)
  grep -q "Subscribed (mid: 1): 0" <<<"$out" && ok "$label: '#' granted (mosquitto_sub)" || fail "$label: '#' not granted: $out"
  # $SYS publish: acknowledged in 3.1.1, refused in 5.0, delivered in neither.
  mosquitto_sub -p "$port" -t '$SYS/mqttinfo/live' -W 2 -C 1 > "$WORK/sys_sub_$port.txt" 2>/dev/null &
  local subpid=$!
  sleep 0.3 # let the subscription settle before publishing
  out=$(mosquitto_pub -p "$port" -d -V mqttv311 -q 1 -t '$SYS/mqttinfo/live' -m injected 2>&1)
  grep -q "received PUBACK" <<<"$out" && ok "$label: 3.1.1 \$SYS publish acknowledged (mosquitto_pub)" || fail "$label: no PUBACK: $out"
  out=$(mosquitto_pub -p "$port" -d -V 5 -q 1 -t '$SYS/mqttinfo/live' -m injected 2>&1)
  grep -q "RC:135" <<<"$out" && ok "$label: 5.0 \$SYS publish refused, RC 135 (mosquitto_pub)" || fail "$label: 5.0 \$SYS publish: $out"
  wait "$subpid" 2>/dev/null
  [ ! -s "$WORK/sys_sub_$port.txt" ] && ok "$label: \$SYS publish not delivered (mosquitto_sub)" || fail "$label: \$SYS publish delivered"
  out=$(mosquitto_sub -p "$port" -t '$SYS/broker/version' -C 1 -W 2 2>/dev/null)
  grep -q "^mosquitto version" <<<"$out" && ok "$label: \$SYS/broker/version = $out" || fail "$label: no \$SYS version"
  for v in 4 5; do
    for k in qos3 utf8 filter; do
      out=$(python3 "$MI_DIR/raw_probe.py" "$port" "$v" "$k")
      if { [ "$v" = 4 ] && [ "$out" = closed ]; } || { [ "$v" = 5 ] && [ "$out" = disconnect:0x81 ]; }; then
        ok "$label: raw $k on protocol $v -> $out"
      else
        fail "$label: raw $k on protocol $v -> $out"
      fi
    done
  done
}

# Expected result of a broker that accepts the client (anonymous or with
# credentials); ANON = true|false, AUTH = true|false|null.
expect_mosquitto_full() {
  local label=$1 file=$2 anon=$3 auth=$4
  expect_json "$label" "$file" \
    error=null transport='"tcp"' \
    v311.supported=true v311.anonymous="$anon" v311.auth_ok="$auth" \
    v311.qos1=true v311.qos2=true v311.qos3_rejected=true v311.subscribe_all=true \
    v311.invalid_filter_rejected=true v311.invalid_utf8_rejected=true \
    v311.sys_publish_allowed=true v311.sys_publish_delivered=false \
    v5.supported=true v5.anonymous="$anon" v5.auth_ok="$auth" \
    v5.qos1=true v5.qos2=true v5.qos3_rejected=true v5.subscribe_all=true \
    v5.invalid_filter_rejected=true v5.invalid_utf8_rejected=true \
    v5.sys_publish_allowed=false v5.sys_publish_delivered=false \
    v5.connack_properties.maximum_qos=2 v5.connack_properties.retain_available=true \
    sys_tree.published=true 'sys_tree.version=~^mosquitto version 2\.' \
    'sys_tree.topics=~\$SYS/broker/uptime' \
    product.name='"mosquitto"' 'product.version=~^2\.[0-9]+\.[0-9]+$' 'product.confidence=~^0\.9' \
    'product.evidence=~broker/version' tls=null 'elapsed_ms=<3000'
}

# ---- 1. open broker ----
start_mosquitto "$WORK/open" || { fail "mosquitto did not start"; finish; }
OPEN_PORT=$MOSQUITTO_PORT
live_open_checks "$OPEN_PORT" open
run_mqttinfo "$WORK/open.json" -h 127.0.0.1 -p "$OPEN_PORT"
[ "$MI_STATUS" -eq 0 ] && ok "open: exit 0" || fail "open: exit $MI_STATUS"
expect_mosquitto_full "open: every check, product" "$WORK/open.json" true null
expect_json "open: findings" "$WORK/open.json" 'findings.0.id="anonymous-access"' 'findings.0.severity="high"' \
  'findings=~subscribe-all' 'findings=~version-disclosed' 'findings=~remediation'
echo "open broker analysed in $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["elapsed_ms"])' "$WORK/open.json") ms"

# URL form, text report (no colour when not a terminal), --fail-on, -j.
timeout 30 "$MQTTINFO" "mqtt://127.0.0.1:$OPEN_PORT" > "$WORK/open.txt" 2>&1
grep -q "product: mosquitto 2\." "$WORK/open.txt" && ok "text report names the product" || fail "text report: $(head -5 "$WORK/open.txt")"
grep -q $'\033' "$WORK/open.txt" && fail "colour escapes in a non-terminal report" || ok "no colours when not a terminal"
timeout 30 "$MQTTINFO" -p "$OPEN_PORT" 127.0.0.1 --fail-on high > /dev/null; st=$?
[ "$st" -eq 3 ] && ok "--fail-on high -> exit 3" || fail "--fail-on high -> exit $st"
timeout 30 "$MQTTINFO" -p "$OPEN_PORT" 127.0.0.1 --fail-on critical > /dev/null; st=$?
[ "$st" -eq 0 ] && ok "--fail-on critical -> exit 0" || fail "--fail-on critical -> exit $st"
(cd "$WORK" && timeout 30 "$MQTTINFO" -j -p "$OPEN_PORT" -h 127.0.0.1 >/dev/null && timeout 30 "$MQTTINFO" -j -p "$OPEN_PORT" -h 127.0.0.1 >/dev/null)
[ "$(wc -l < "$WORK/mqttinfo.json")" -eq 2 ] && ok "-j appends one line per run to ./mqttinfo.json" || fail "-j: $(wc -l < "$WORK/mqttinfo.json") lines"
expect_json "-j line is the result" "$WORK/mqttinfo.json" product.name='"mosquitto"'

# ---- 2. broker requiring a password ----
mkdir -p "$WORK/auth"
: > "$WORK/auth/passwd"
mosquitto_passwd -b "$WORK/auth/passwd" "$USER_NAME" "$PASSWORD"
chmod 0644 "$WORK/auth/passwd" # mosquitto may drop privileges to its own user
start_mosquitto "$WORK/auth" "allow_anonymous false" "password_file $WORK/auth/passwd" || { fail "mosquitto (auth) did not start"; finish; }
AUTH_PORT=$MOSQUITTO_PORT
out=$(mosquitto_pub -p "$AUTH_PORT" -V mqttv311 -t mqttinfo/live -m x 2>&1) && fail "auth: anonymous publish accepted" \
  || ok "auth: anonymous refused (mosquitto_pub: ${out//$'\n'/ })"
mosquitto_pub -p "$AUTH_PORT" -V 5 -u "$USER_NAME" -P "$PASSWORD" -q 2 -t mqttinfo/live -m x && ok "auth: credentials accepted (mosquitto_pub)" \
  || fail "auth: credentials refused"
mosquitto_pub -p "$AUTH_PORT" -u "$USER_NAME" -P wrong -t mqttinfo/live -m x 2>/dev/null && fail "auth: wrong password accepted" \
  || ok "auth: wrong password refused (mosquitto_pub)"

run_mqttinfo "$WORK/auth-anon.json" -p "$AUTH_PORT" 127.0.0.1
expect_json "auth, no credentials: refused, the rest unknown" "$WORK/auth-anon.json" error=null \
  v311.supported=true v311.anonymous=false v311.auth_ok=null v311.qos1=null v311.qos2=null \
  v311.qos3_rejected=null v311.subscribe_all=null v311.invalid_filter_rejected=null \
  v311.invalid_utf8_rejected=null v311.sys_publish_allowed=null v311.sys_publish_delivered=null \
  v5.supported=true v5.anonymous=false v5.auth_ok=null v5.qos1=null v5.sys_publish_delivered=null \
  'v311.details.anonymous=~not authorized' 'v5.details.anonymous=~0x87' \
  product.name='"unknown"' 'findings=~plaintext-transport'

run_mqttinfo "$WORK/auth.json" -p "$AUTH_PORT" -u "$USER_NAME" -P "$PASSWORD" 127.0.0.1
expect_mosquitto_full "auth, with credentials: every check, product" "$WORK/auth.json" false true
expect_json "auth: plaintext credentials finding" "$WORK/auth.json" 'findings.0.id="plaintext-credentials"' 'findings.0.severity="high"'
timeout 30 "$MQTTINFO" -p "$AUTH_PORT" -u "$USER_NAME" -P "$PASSWORD" 127.0.0.1 > "$WORK/auth.txt" 2>&1
if grep -qF -- "$PASSWORD" "$WORK/auth.json" "$WORK/auth.json.err" "$WORK/auth.txt"; then
  fail "the password appears in the output"
else
  ok "the password never appears in the output"
fi
run_mqttinfo "$WORK/auth-wrong.json" -p "$AUTH_PORT" -u "$USER_NAME" -P wrong-password 127.0.0.1
expect_json "auth, wrong password: auth_ok false" "$WORK/auth-wrong.json" v311.auth_ok=false v5.auth_ok=false \
  v311.anonymous=false v311.qos1=null 'findings=~credentials-rejected'
MQTTINFO_PASSWORD="$PASSWORD" run_mqttinfo "$WORK/auth-env.json" -p "$AUTH_PORT" -u "$USER_NAME" 127.0.0.1
expect_json "password from MQTTINFO_PASSWORD" "$WORK/auth-env.json" v311.auth_ok=true v5.auth_ok=true
printf '%s\n' "$PASSWORD" > "$WORK/auth/mqttinfo-password"
run_mqttinfo "$WORK/auth-file.json" -p "$AUTH_PORT" -u "$USER_NAME" --password-file "$WORK/auth/mqttinfo-password" 127.0.0.1
expect_json "password from --password-file" "$WORK/auth-file.json" v311.auth_ok=true v5.auth_ok=true
printf '%s\n' "$PASSWORD" | run_mqttinfo "$WORK/auth-stdin.json" -p "$AUTH_PORT" -u "$USER_NAME" --password-file - 127.0.0.1
expect_json "password from --password-file - (stdin)" "$WORK/auth-stdin.json" v311.auth_ok=true
run_mqttinfo "$WORK/auth-both.json" -p "$AUTH_PORT" -u "$USER_NAME" -P x --password-file "$WORK/auth/mqttinfo-password" 127.0.0.1
[ "$MI_STATUS" -eq 2 ] && ok "-P with --password-file: usage error" || fail "-P with --password-file: exit $MI_STATUS"
run_mqttinfo "$WORK/auth-nofile.json" -u "$USER_NAME" --password-file "$WORK/auth/absent" 127.0.0.1
if [ "$MI_STATUS" -eq 2 ] && grep -q "cannot read the password file" "$WORK/auth-nofile.json.err"; then ok "missing password file: exit 2, said so"
else fail "missing password file: exit $MI_STATUS: $(cat "$WORK/auth-nofile.json.err")"; fi

# ---- 3. broker with an ACL denying client writes to $SYS/# ----
mkdir -p "$WORK/acl"
printf 'topic readwrite mqttinfo/#\ntopic read $SYS/#\n' > "$WORK/acl/acl"
chmod 0644 "$WORK/acl/acl"
start_mosquitto "$WORK/acl" "allow_anonymous true" "acl_file $WORK/acl/acl" || { fail "mosquitto (acl) did not start"; finish; }
ACL_PORT=$MOSQUITTO_PORT
live_open_checks "$ACL_PORT" acl
run_mqttinfo "$WORK/acl.json" -p "$ACL_PORT" 127.0.0.1
expect_mosquitto_full "acl: every check, product" "$WORK/acl.json" true null
expect_json "acl: no sys-publish-delivered finding" "$WORK/acl.json" 'findings=~^(?!.*sys-publish-delivered)'

finish
