# shellcheck shell=bash
# Receipts and state sync (e4-sync.md), run per mode and backend
# (test_e4c2_sync_{sk,pk}_{sqlite,pg}.sh): real `e4 client` devices on a
# real mosquitto, e4c2 on SQLite or PostgreSQL, clocks moved with faketime.
#  - a device away for 20 minutes while its topic is rotated three times and
#    another topic removed: its queued commands are too old, its STATE
#    brings a repair, it ends holding exactly the current keys (in_sync);
#  - a device whose state file is restored from an old backup: repaired;
#  - PK: C2's key rotated while a device is away: it is still reached under
#    the old key, and --finish reports no straggler;
#  - forged, replayed, truncated and wrong-key receipts change nothing and
#    are counted;
#  - a device without receipts gets every command and shows "unknown".
C2_TEST="sync-$C2_MODE-$C2_BACKEND"
TIMEOUT_DEFAULT=30
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
[ "$C2_BACKEND" = pg ] && { start_postgres "$TMP/pg" || die "postgres did not start"; }
# from here on, C2 and the devices run on the clock in $TMP/clock
fake_clock

c2_database c2
c2_init "$C2_MODE" || die "e4c2 init --mode $C2_MODE"
c2_start c2 || die "e4c2 did not start"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)
[ "$C2_MODE" = pk ] && C2PUB=$("$E4CTL" c2 pubkey --json | json_get pubkey)

# everything published on receipt topics, as "topic hex"
mosquitto_sub -p "$MOSQUITTO_PORT" -t 'e4/+/receipts' -F '%t %x' >"$TMP/receipts.log" 2>/dev/null &
PIDS+=("$!")

declare -A IDOPT
provision() { # NAME: a client in C2; IDOPT[NAME] holds its identity options
  local key
  key=$("$E4CTL" client add "$1" --json | json_get key) || die "client add $1"
  if [ "$C2_MODE" = pk ]; then IDOPT[$1]="--sign-key $key --c2-pubkey $C2PUB"; else IDOPT[$1]="--key $key"; fi
}
device() { # NAME [OPTIONS...]: `e4 client` with a state file
  local name=$1
  shift
  # shellcheck disable=SC2086
  client_start "$name" --name "$name" ${IDOPT[$name]} --state "$TMP/$name.state" --subscribe room "$@"
}
sync_of() { "$E4CTL" client show "$1" --json | json_get sync; }
wait_sync() { # NAME STATUS
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(sync_of "$1")" = "$2" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$1 is $(sync_of "$1"), not $2" >&2; return 1; }
    sleep 0.1
  done
}
applied() { # NAME FROM N: N more "command applied" lines after line FROM
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(tail -n +"$(($2 + 1))" "$TMP/$1.out" | grep -c '^command applied')" -ge "$3" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}
metric() { # NAME{LABELS}: its value on /metrics
  curl -sS -H "Authorization: Bearer $E4C2_TOKEN" "$E4C2_URL/metrics" |
    awk -v m="$1" '$1 == m { print $2 }'
}
rejected() { curl -sS -H "Authorization: Bearer $E4C2_TOKEN" "$E4C2_URL/metrics" |
  awk '/^e4c2_receipts_rejected_total/ { s += $2 } END { print s + 0 }'; }
topic_hash() { python3 -c 'import hashlib,sys; print(hashlib.sha3_256(sys.argv[1].encode()).hexdigest()[:32])' "$1"; }
holds_topic() { # NAME TOPIC: the device's "keys" list has it
  local from
  from=$(mark "$1")
  send "$1" keys
  wait_for "$1" '^keys ' "$from" >/dev/null || return 2
  sleep 0.2
  tail -n +"$((from + 1))" "$TMP/$1.out" | grep -q "^topic $(topic_hash "$2")"
}
commands_in() { # NAME STATE: how many of the client's commands are in STATE
  api GET "/v1/clients/$1/commands?limit=1000" |
    python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin)["items"] if c["state"] == sys.argv[1]))' "$2"
}

CLIENT_OPTS=(--broker "127.0.0.1:$MOSQUITTO_PORT")
for n in alpha beta legacy; do provision "$n"; done
device alpha
device beta
device legacy --no-receipts
"$E4CTL" topic add room >/dev/null && "$E4CTL" topic add gone >/dev/null || die "topic add"
ma=$(mark alpha); mb=$(mark beta); ml=$(mark legacy)
SHARE=(); [ "$C2_MODE" = pk ] && SHARE=(--share-pubkeys)   # PK: they verify each other's messages
"$E4CTL" topic join room alpha beta legacy "${SHARE[@]}" >/dev/null && "$E4CTL" topic join gone alpha >/dev/null ||
  die "join"
check "alpha got both topic keys" 'applied alpha "$ma" 2'
check "beta and legacy got the room key" 'applied beta "$mb" 1 && applied legacy "$ml" 1'
check "alpha reports its state: in_sync" 'wait_sync alpha in_sync'
check "beta: in_sync" 'wait_sync beta in_sync'
check "a device without receipts shows unknown" '[ "$(sync_of legacy)" = unknown ]'
check "legacy published no receipt" '! grep -q "^e4/$("$E4CTL" client show legacy --json | json_get id)/receipts" "$TMP/receipts.log"'
check "alpha's commands are all applied (APPLIED receipts)" \
  '[ "$(commands_in alpha applied)" -ge 2 ] && [ "$(commands_in alpha sent)" -eq 0 ] && [ "$(commands_in alpha queued)" -eq 0 ]'
check "status counts clients per sync status" \
  '"$E4CTL" status --json | python3 -c "import json,sys; s=json.load(sys.stdin)[\"sync\"]; sys.exit(not (s[\"in_sync\"] == 2 and s[\"unknown\"] == 1))"'
check "topic show: every receipt-sending member holds the current key" \
  '[ "$("$E4CTL" topic show room --json | json_get not_current)" -eq 1 ]'
cp "$TMP/alpha.state" "$TMP/alpha.state.backup"
ALPHA_ID=$("$E4CTL" client show alpha --json | json_get id)
OLD_STATE=$(grep "^e4/$ALPHA_ID/receipts " "$TMP/receipts.log" | tail -n 1 | cut -d' ' -f2)

# ---- alpha away for 20 minutes: room rotated three times, gone removed -------
client_stop alpha
mb=$(mark beta)
for i in 1 2 3; do "$E4CTL" topic rotate room >/dev/null || die "rotate $i"; done
"$E4CTL" topic remove gone >/dev/null || die "topic remove"
check "beta applied the three rotations" 'applied beta "$mb" 3'
check "beta back in sync" 'wait_sync beta in_sync'
check "the topic lists alpha among the members not on the current key" \
  'api GET "/v1/topics/room/members?behind=true" | grep -q "\"alpha\""'
move_clock +20m
ma=0
device alpha
check "alpha rejects the queued commands as too old" 'wait_for alpha "timestamp too old" "$ma"'
check "alpha's STATE brought a repair, applied" 'applied alpha "$ma" 2'
check "C2 shows alpha in_sync" 'wait_sync alpha in_sync'
check "alpha no longer holds the removed topic" '! holds_topic alpha gone'
check "alpha holds room" 'holds_topic alpha room'
m=$(mark alpha)
send beta "pub room after-repair"
expect alpha '^message room after-repair$' "$m" "alpha reads messages under the current key"
check "the stale commands are closed, the repair's applied" \
  '[ "$(commands_in alpha closed)" -ge 4 ] && [ "$(commands_in alpha applied)" -ge 4 ]'
check "a repair was counted" '[ "$(metric e4c2_repairs_total)" -ge 1 ]'

# ---- alpha's state file restored from an old backup -------------------------
client_stop alpha
cp "$TMP/alpha.state.backup" "$TMP/alpha.state"
move_clock +25m   # past the per-client repair rate limit
ma=0                        # device starts a new output file
device alpha
check "the restored device is repaired" 'applied alpha "$ma" 2'
check "and in_sync again" 'wait_sync alpha in_sync'
check "it no longer holds the removed topic" '! holds_topic alpha gone'
m=$(mark alpha)
send beta "pub room after-restore"
expect alpha '^message room after-restore$' "$m" "the restored device reads new messages"

# ---- receipts that must change nothing ----------------------------------------
before=$(rejected); repairs=$(metric e4c2_repairs_total)
state_at=$("$E4CTL" client show alpha --json | json_get state_at)
pub() { mosquitto_pub -p "$MOSQUITTO_PORT" -t "e4/$ALPHA_ID/receipts" -q 1 "$@"; }
now_le=$(python3 -c 'import struct,time; print(struct.pack("<Q", int(time.time())).hex())')
printf '%s' "$now_le$(head -c 40 /dev/urandom | od -An -v -tx1 | tr -d ' \n')" | xxd -r -p >"$TMP/forged"
pub -f "$TMP/forged"                                                     # forged
printf '%s' "$OLD_STATE" | xxd -r -p >"$TMP/replayed"; pub -f "$TMP/replayed"   # replayed (old)
head -c 30 "$TMP/replayed" >"$TMP/truncated"; pub -f "$TMP/truncated"    # truncated
printf 'e40101%s00' "$(head -c 16 /dev/urandom | od -An -v -tx1 | tr -d ' \n')" | xxd -r -p |
  "$E4" protect --key "$(key)" >"$TMP/wrongkey"; pub -f "$TMP/wrongkey"  # wrong key
check "the four bad receipts are counted as rejected" \
  'for _ in $(seq 100); do [ "$(rejected)" -ge $((before + 4)) ] && break; sleep 0.1; done; [ "$(rejected)" -ge $((before + 4)) ]'
check "they changed nothing: alpha in_sync, no repair, same state time" \
  '[ "$(sync_of alpha)" = in_sync ] && [ "$(metric e4c2_repairs_total)" = "$repairs" ] && [ "$("$E4CTL" client show alpha --json | json_get state_at)" = "$state_at" ]'
check "e4c2 logged them without their bytes" '! grep -q "$(head -c 8 "$TMP/forged" | od -An -tx1 | tr -d " \n")" "$TMP/c2.log"'

# ---- the device without receipts got every command ------------------------------
check "legacy applied all four room keys" '[ "$(grep -c "^command applied" "$TMP/legacy.out")" -ge 4 ]'
check "legacy is still unknown" '[ "$(sync_of legacy)" = unknown ]'
m=$(mark legacy)
send beta "pub room for-legacy"
expect legacy '^message room for-legacy$' "$m" "legacy reads the current key's messages"

# ---- PK: C2's own key rotated while alpha is away --------------------------------
if [ "$C2_MODE" = pk ]; then
  "$E4CTL" client remove legacy >/dev/null || die "remove legacy"   # it could never confirm
  client_stop alpha
  mb=$(mark beta)
  "$E4CTL" c2 rotate-key >/dev/null || die "c2 rotate-key"
  check "beta applied SetC2Key" 'applied beta "$mb" 1'
  check "beta confirms the new C2 key" \
    'for _ in $(seq 100); do [ "$("$E4CTL" client show beta --json | json_get c2_key_generation)" = 2 ] && break; sleep 0.1; done; [ "$("$E4CTL" client show beta --json | json_get c2_key_generation)" = 2 ]'
  check "status: alpha has not confirmed the new C2 key" \
    '[ "$("$E4CTL" status --json | json_get c2_key.unconfirmed)" -ge 1 ]'
  move_clock +40m
  ma=0
  device alpha
  check "alpha, back after the window, gets SetC2Key under the old key" 'applied alpha "$ma" 1'
  check "alpha in_sync, holding the new C2 key" \
    'wait_sync alpha in_sync && [ "$("$E4CTL" client show alpha --json | json_get c2_key_generation)" = 2 ]'
  m=$(mark alpha)
  "$E4CTL" topic rotate room >/dev/null
  check "later commands reach alpha under the new key" 'applied alpha "$m" 1'
  check "status: every client confirmed the new C2 key" \
    '[ "$("$E4CTL" status --json | json_get c2_key.unconfirmed)" -eq 0 ]'
  api POST /v1/c2/rotate-key/finish >"$TMP/finish.json"
  check "--finish reports no straggler" \
    'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d[\"unconfirmed\"] == 0 and d[\"stragglers\"] == []))" "$TMP/finish.json"'
fi

c2_done
