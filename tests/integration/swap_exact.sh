#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: live replace of the bytes you built, with exact state,
# and blue/green. ternd on the host end of a veth pair serves the counting
# test app (tests/apps/swap_app.c: reply "TAG COUNT SEQ", COUNT per key,
# state carried by export/import) built as two files that answer with tags
# A and B. A client in the namespace (tests/tools/udp_seq_client.py, one
# flow) checks every reply.
#   1. Rebuild at the same path (a new file renamed over the loaded one),
#      app replace: the new code answers; show apps and the command's answer
#      give the file's SHA-256; the same bytes load twice under two names.
#   2. Overwrite the loaded file in place (cp over it) under traffic:
#      ternd keeps serving the code it loaded (tag B only, nothing lost).
#   3. REPLACES (100) app replaces, alternating the A and B builds, under a
#      steady RATE (1500/s) from one flow with --expect-count: every reply
#      is exactly one more than the one before, none lost; one replace in
#      the middle is refused by the new code's import_state (the old code
#      keeps serving, nothing lost); then one handoff=snapshot, without
#      traffic (a snapshot is not exact by design).
#   4. REBINDS (100) rebinds of UDP 9 back and forth between two instances
#      under load: every request answered, by one of the two.
#   Then `show latency apps` has x's figures, and an interval after
#      `clear latency` holds exactly the requests answered since.
#   5. Bad input: bind of a taken port names its app and points at rebind;
#      rebind to the app bound already, of an unbound port, to an unknown
#      app; handoff=bogus; replace across kinds says no state was carried.
#   6. Old code does not pile up: 12 replaces in a row, faster than the 2 s
#      of quiet that unloading waits for, leave at most 8 old libraries
#      mapped (show memory: app_code_waiting), and none once quiet.
# ternd must then exit 0 with no leaked mbufs and drop nothing on these ports.
#
# Environment (set by meson): TERND, TERNCTL, SWAP_APP_A, SWAP_APP_B,
# RESPONDER, UDP_SEQ_CLIENT. REPLACES, REBINDS, RATE.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.0.2
TERN_ADDR=198.18.0.1
REPLACES=${REPLACES:-100}
REBINDS=${REBINDS:-100}
RATE=${RATE:-1500}

tern_need_root
tern_need_var TERND TERNCTL SWAP_APP_A SWAP_APP_B RESPONDER UDP_SEQ_CLIENT
for c in ethtool jq; do
	command -v "$c" >/dev/null || tern_die "$c is not installed (apt-get install $c)"
done
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_sx_$$"
hif="tsx$$"
nif="tsn$$"
appdir="$TERN_TMP/apps"
sock="$TERN_TMP/ctl.sock"
ctl() { "$TERNCTL" -s "$sock" "$@"; }
in_ns() { ip netns exec "$ns" "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# seq_client LOG ARGS...: the sequenced client in the namespace, to ternd.
seq_client() {
	local log=$1
	shift
	in_ns /usr/bin/python3 "$UDP_SEQ_CLIENT" --dst "$TERN_ADDR" "$@" >"$log" 2>&1
}
# seq_client_bg LOG ARGS...: the same in the background until seq_client_end.
seq_client_bg() {
	local log=$1
	shift
	tern_bg_start "$log" ip netns exec "$ns" /usr/bin/python3 "$UDP_SEQ_CLIENT" \
		--dst "$TERN_ADDR" "$@"
}
# seq_client_end LOG: stop it; fail if it reported problems; sent in $sent.
seq_client_end() {
	tern_bg_stop
	grep '^udp_seq_client:' "$1"
	[ "$TERN_BG_RC" = 0 ] || tern_fail "client: $(grep '^udp_seq_client:' "$1")"
	sent=$(sed -n 's/^udp_seq_client: sent=\([0-9]*\) .*/\1/p' "$1")
	[ "${sent:-0}" -gt 0 ] || tern_fail "the client sent nothing"
}
expect_err() { tern_expect_err "$1" ctl "${@:2}"; }

mkdir "$appdir" || tern_die "cannot create $appdir"
cp "$SWAP_APP_A" "$appdir/libx.so" && cp "$SWAP_APP_A" "$appdir/libx_a.so" &&
	cp "$SWAP_APP_B" "$appdir/libx_b.so" && cp "$RESPONDER" "$appdir/libudp_responder.so" ||
	tern_die "cannot copy the apps to $appdir"
tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" || tern_fail "could not set up the veth pair"
cat >"$TERN_TMP/start.cmds" <<EOF
app load x libx.so
bind udp 7 x
EOF
ternd_start_veth swapx "$TERN_TMP/ternd.log" "$hif" --ip "$TERN_ADDR/24" \
	--exec "$TERN_TMP/start.cmds" --control "$sock" --app-dir "$appdir" ||
	tern_fail "ternd did not start on $hif"
tern_say "ternd is up on $hif through $TERN_DRIVER"

# 1. A rebuild at the same path: a new file renamed over the loaded one.
seq_client "$TERN_TMP/c1.log" --key r1 --count 5 --tags A --expect-count ||
	tern_fail "before the rebuild: $(cat "$TERN_TMP/c1.log")"
cp "$SWAP_APP_B" "$appdir/.libx.new" && mv "$appdir/.libx.new" "$appdir/libx.so" ||
	tern_die "cannot rebuild libx.so"
out=$(ctl app replace x libx.so) || tern_fail "app replace after the rebuild: $out"
tern_say "$out"
grep -q "sha256=$(sha "$SWAP_APP_B") " <<<"$out" || tern_fail "the answer does not give B's SHA-256"
grep -q 'handoff=exact state="carried"' <<<"$out" || tern_fail "no exact hand-off in: $out"
seq_client "$TERN_TMP/c1.log" --key r1 --count 5 --tags B --expect-count --count-offset 5 ||
	tern_fail "after the rebuild the new code does not answer: $(cat "$TERN_TMP/c1.log")"
ctl show apps | grep -q "^x .*sha256=$(sha "$SWAP_APP_B") .*loaded=20" ||
	tern_fail "show apps does not give x's hash and load time: $(ctl show apps)"
out=$(ctl app load y libx.so) || tern_fail "the same bytes under a second name: $out"
[ "$(ctl show apps | grep -c "sha256=$(sha "$SWAP_APP_B")")" = 2 ] ||
	tern_fail "x and y should show the same hash: $(ctl show apps)"
tern_say "PASS 1: a rebuild at the same path is what answers after app replace"

# 2. Overwrite the loaded file in place while it serves.
seq_client_bg "$TERN_TMP/c2.log" --key o2 --rate 1000 --tags B --expect-count
cp "$SWAP_APP_A" "$appdir/libx.so" || tern_die "cannot overwrite libx.so"
sleep 1
seq_client_end "$TERN_TMP/c2.log"
kill -0 "$TERND_PID" 2>/dev/null || tern_fail "ternd died when its app's file was overwritten"
tern_say "PASS 2: overwriting the loaded file in place changed nothing ($sent requests, tag B)"

# 3. Exact state through REPLACES replaces under steady traffic.
for ((i = 0; i < REPLACES; i++)); do
	if ((i == REPLACES / 2)); then
		echo "app replace x libx_b.so refuse_import=1"
	fi
	if ((i % 2)); then echo "app replace x libx_b.so"; else echo "app replace x libx_a.so"; fi
done >"$TERN_TMP/replace.cmds"
seq_client_bg "$TERN_TMP/c3.log" --key c3 --rate "$RATE" --window 16 --tags A,B --expect-count
ctl <"$TERN_TMP/replace.cmds" >"$TERN_TMP/replace.out" 2>&1
n_ok=$(grep -c '^replaced x: ' "$TERN_TMP/replace.out")
n_refused=$(grep -c "refusing the state on purpose" "$TERN_TMP/replace.out")
sleep 0.5
seq_client_end "$TERN_TMP/c3.log"
[ "$n_ok" = "$REPLACES" ] || { cat "$TERN_TMP/replace.out" >&2; tern_fail "$n_ok replaces succeeded, want $REPLACES"; }
[ "$n_refused" = 1 ] || tern_fail "the refused import was not reported as such"
grep -q "the old code keeps serving" "$TERN_TMP/replace.out" || tern_fail "no word that the old code keeps serving"
held=$(sed -n 's/.* held=\([0-9]*\) .*/\1/p' "$TERN_TMP/replace.out" | paste -sd+ | bc)
hold_max=$(sed -n 's/.* hold_us=\([0-9]*\) .*/\1/p' "$TERN_TMP/replace.out" | sort -n | tail -1)
tern_say "RESULT replaces=$n_ok requests=$sent held_total=$held hold_us_max=$hold_max"
grep -m3 '^replaced' "$TERN_TMP/replace.out"
tern_say "PASS 3: $n_ok replaces under $sent requests from one flow: every count exact, none lost"
# handoff=snapshot exports while the old code still serves, so a request in
# between is not in the state it carries: by design not exact, so it is
# tried without traffic (it failed under ASan with traffic, counts 1-2 short).
out=$(ctl app replace x libx_b.so handoff=snapshot) || tern_fail "handoff=snapshot failed: $out"
grep -q 'handoff=snapshot' <<<"$out" || tern_fail "handoff=snapshot not reported: $out"
seq_client "$TERN_TMP/c3s.log" --key s3 --count 3 --tags A,B ||
	tern_fail "requests after the snapshot replace: $(cat "$TERN_TMP/c3s.log")"

# Latency per instance and per interval: an interval after `clear latency`
# holds exactly what was answered since, for the total and for x.
ctl show latency apps json | jq -e '.[] | select(.app == "x") | .count > 0' >/dev/null ||
	tern_fail "show latency apps has no figures for x: $(ctl show latency apps)"
ctl clear latency || tern_fail "clear latency failed"
seq_client "$TERN_TMP/c3b.log" --key l3 --count 7 --tags A,B ||
	tern_fail "requests after clear latency: $(cat "$TERN_TMP/c3b.log")"
js=$(ctl show latency interval json) || tern_fail "show latency interval failed"
[ "$(jq '.total.count' <<<"$js")" = 7 ] && [ "$(jq '.apps[] | select(.app == "x") | .count' <<<"$js")" = 7 ] ||
	tern_fail "the interval should hold the 7 requests since clear latency: $js"
[ "$(ctl show latency interval json | jq '.total.count')" = 0 ] ||
	tern_fail "a second interval right after should be empty"

# 4. Blue/green: rebind UDP 9 between x and z, REBINDS times, under load.
ctl app load z libx_a.so tag=Z >/dev/null && ctl bind udp 9 x || tern_fail "cannot set up UDP 9"
seq_client_bg "$TERN_TMP/c4.log" --port 9 --key b4 --rate "$RATE" --window 16 --tags A,B,Z
for ((i = 0; i < REBINDS; i++)); do
	if ((i % 2)); then ctl rebind udp 9 x; else ctl rebind udp 9 z; fi ||
		tern_fail "rebind $i failed"
	sleep 0.01 # each instance serves a while: requests reach both
done
sleep 0.5
seq_client_end "$TERN_TMP/c4.log"
# And each side answers when it holds the port.
for a in z x; do
	ctl rebind udp 9 "$a" || tern_fail "rebind to $a failed"
	seq_client "$TERN_TMP/c4b.log" --port 9 --key "b4$a" --count 3 \
		--tags "$([ "$a" = z ] && echo Z || echo B)" ||
		tern_fail "after rebind udp 9 $a: $(cat "$TERN_TMP/c4b.log")"
done
tern_say "PASS 4: $REBINDS rebinds under $sent requests: every one answered, by x or z"

# 5. Bad input changes nothing.
expect_err "UDP port 9 is bound to app 'x': to move it, rebind udp 9 z" bind udp 9 z
expect_err "UDP port 9 is bound to 'x' already" rebind udp 9 x
expect_err "UDP port 10 is not bound" rebind udp 10 x
expect_err "no app named 'nope' is loaded" rebind udp 9 nope
expect_err "handoff=bogus: want handoff=exact" app replace x libx_a.so handoff=bogus
expect_err "handoff= is an argument of app replace" app load w libx_a.so handoff=exact
out=$(ctl app replace y libudp_responder.so mode=echo) || tern_fail "replace across kinds: $out"
grep -q 'state="not carried (another kind of app)" kind=swap_app->udp_responder' <<<"$out" ||
	tern_fail "a replace across kinds should say no state was carried: $out"
[ "$(ctl show bindings | tr '\n' ' ')" = "udp 7 -> x udp 9 -> x " ] ||
	tern_fail "bindings changed: $(ctl show bindings)"
tern_say "PASS 5: bad input refused with a reason"

# 6. Old code unloaded at a quiet moment, but never more than 8 waiting.
waiting() { ctl show memory | ternd_counter /dev/stdin memory: app_code_waiting; }
for i in $(seq 12); do
	ctl app replace y libudp_responder.so mode=echo >/dev/null || tern_fail "replace $i of y failed"
done
w=$(waiting)
[ -n "$w" ] && [ "$w" -le 8 ] || tern_fail "after 12 quick replaces, $w old libraries are still mapped (at most 8)"
for i in $(seq 50); do
	w=$(waiting)
	[ "$w" = 0 ] && break
	sleep 0.1
done
[ "$w" = 0 ] || tern_fail "old libraries still mapped 5 s after the last replace: $w"
tern_say "PASS 6: old code unloaded (at most 8 waiting, none once quiet)"

ternd_stop 20
ternd_check_exit "$TERN_TMP/ternd.log"
for c in drop_no_handler drop_app drop_bad_verdict drop_backlog; do
	v=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' "$c")
	[ "$v" = 0 ] || tern_fail "ternd counted $c=$v (expected 0)"
done
tern_say "PASS ($TERN_DRIVER)"
exit 0
