# shellcheck shell=bash
# e4c2 in public-key mode, run once per backend (test_e4c2_pk_sqlite.sh,
# test_e4c2_pk_pg.sh): devices made by C2 (Ed25519 pairs), public keys
# shared on join, sent and rekeyed; C2's own key rotated; real `e4 client`
# devices on a real mosquitto.
C2_TEST="pk-$C2_BACKEND"
source "$(dirname "${BASH_SOURCE[0]}")/c2_test.sh"

start_mosquitto "$TMP/broker" || die "mosquitto did not start"
[ "$C2_BACKEND" = pg ] && { start_postgres "$TMP/pg" || die "postgres did not start"; }
c2_database c2
c2_init pk || die "e4c2 init --mode pk failed"
c2_start c2 || die "e4c2 did not start"
export E4C2_TOKEN
E4C2_TOKEN=$(c2_token admin)

C2PUB=$("$E4CTL" c2 pubkey --json | json_get pubkey)
check "C2 has an X25519 public key" '[ ${#C2PUB} -eq 64 ]'
declare -A SK
for n in alice bob carol; do
  SK[$n]=$("$E4CTL" client add "$n" --json | json_get key) || die "client add $n"
done
check "C2 made an Ed25519 pair (private key shown once)" '[ ${#SK[alice]} -eq 128 ]'
"$E4CTL" client add dave --key "$(key)" >/dev/null 2>"$TMP/mode.err"
check "a symmetric key in pk mode -> wrong_mode" 'grep -q wrong_mode "$TMP/mode.err"'

CLIENT_OPTS=(--broker "127.0.0.1:$MOSQUITTO_PORT")
for n in alice bob carol; do
  client_start "$n" --name "$n" --sign-key "${SK[$n]}" --c2-pubkey "$C2PUB" --subscribe room
done
"$E4CTL" topic add room >/dev/null
ma=$(mark alice); mb=$(mark bob)
"$E4CTL" topic join room alice bob --share-pubkeys >/dev/null || die "join --share-pubkeys"
check "alice got the topic key and bob's public key" 'applied alice "$ma" 2'
check "bob got the topic key and alice's public key" 'applied bob "$mb" 2'
mb=$(mark bob)
send alice "pub room signed-1"
expect bob '^message room signed-1$' "$mb" "bob verifies and reads alice's signed message"

# carol joins without the public keys: she cannot verify alice until sent hers
mc=$(mark carol)
"$E4CTL" topic join room carol >/dev/null || die "join carol"
check "carol got the topic key" 'applied carol "$mc" 1'
mc=$(mark carol)
send alice "pub room signed-2"
expect carol '^error receive room: .*public key not found' "$mc" "carol has no key to verify alice"
mc=$(mark carol)
"$E4CTL" pubkey send carol alice >/dev/null || die "pubkey send"
check "carol got alice's public key" 'applied carol "$mc" 1'
mc=$(mark carol)
send alice "pub room signed-3"
expect carol '^message room signed-3$' "$mc" "carol reads alice once she holds her public key"
check "pubkey list shows what carol holds" '"$E4CTL" pubkey list carol --json | grep -q alice'

# alice rekeyed: a new pair from C2, her new public key to every holder
ma=$(mark alice); mb=$(mark bob); mc=$(mark carol)
"$E4CTL" client rekey alice >/dev/null || die "rekey"
check "alice got her new private key" 'applied alice "$ma" 1'
check "bob got alice's new public key" 'applied bob "$mb" 1'
check "carol got alice's new public key" 'applied carol "$mc" 1'
mb=$(mark bob)
send alice "pub room signed-4"
expect bob '^message room signed-4$' "$mb" "messages signed with alice's new key verify"

# C2 rotates its own key: every later command travels under the new one
ma=$(mark alice); mb=$(mark bob); mc=$(mark carol)
"$E4CTL" c2 rotate-key >/dev/null || die "c2 rotate-key"
check "alice got SetC2Key" 'applied alice "$ma" 1'
check "bob got SetC2Key" 'applied bob "$mb" 1'
check "carol got SetC2Key" 'applied carol "$mc" 1'
check "C2's public key changed" '[ "$("$E4CTL" c2 pubkey --json | json_get pubkey)" != "$C2PUB" ]'
check "the rotation is in progress until finished" '"$E4CTL" status --json | json_get c2_key.rotating | grep -q true'
ma=$(mark alice); mb=$(mark bob)
"$E4CTL" topic leave room carol >/dev/null || die "leave"
check "alice accepts the rotated topic key under C2's new key" 'applied alice "$ma" 1'
check "bob too" 'applied bob "$mb" 1'
check "no command was rejected" '! grep -q "^error command" "$TMP/alice.out" "$TMP/bob.out"'
"$E4CTL" c2 rotate-key --finish >/dev/null || die "rotate-key --finish"
check "finish ends the rotation" '"$E4CTL" status --json | json_get c2_key.rotating | grep -q false'
mb=$(mark bob); mc=$(mark carol)
send alice "pub room signed-5"
expect bob '^message room signed-5$' "$mb" "the remaining members read on"
expect carol '^error receive room' "$mc" "carol, who left, cannot read"

# links (the reference's LinkClient): the key goes with the link
mb=$(mark bob)
"$E4CTL" link bob carol >/dev/null || die "link"
check "link: bob got carol's public key" 'applied bob "$mb" 1'
check "links lists the link" '"$E4CTL" links bob --json | grep -q "\"carol\""'
mb=$(mark bob)
"$E4CTL" unlink bob carol >/dev/null || die "unlink"
check "unlink: bob told to forget carol's key" 'applied bob "$mb" 1'
check "the link is gone" '! "$E4CTL" links bob --json | grep -q "\"carol\""'
"$E4CTL" unlink bob carol >/dev/null 2>"$TMP/unlink.err"
check "unlink of no link -> exit 1, not_found" '[ $? -eq 1 ] && grep -q not_found "$TMP/unlink.err"'
mc=$(mark carol)
"$E4CTL" pubkey reset carol >/dev/null || die "pubkey reset"
check "pubkey reset reaches carol" 'applied carol "$mc" 1'
check "carol holds no public key any more" '! "$E4CTL" pubkey list carol --json | grep -q "\"alice\""'

# bob removed: he resets everything; alice forgets his public key and gets
# the topic rotated
ma=$(mark alice); mb=$(mark bob)
"$E4CTL" client remove bob >/dev/null || die "client remove"
check "bob got ResetTopics and ResetPubKeys" 'applied bob "$mb" 2'
check "alice got RemovePubKey(bob) and the rotated topic key" 'applied alice "$ma" 2'
check "alice no longer holds bob's public key" '! "$E4CTL" pubkey list alice --json | grep -q "\"bob\""'

for n in alice bob carol; do client_stop "$n"; done
c2_done
