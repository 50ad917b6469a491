#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: hot swap under traffic. ternd on the host end of a veth
# pair (AF_XDP; af_packet with TERN_FORCE_AF_PACKET=1) serves the echo app on
# UDP 7 from --app-dir; a client in the namespace sends a steady stream of
# echo requests, first alone (steady state), then while, through ternctl:
#   - `app replace echo libudp_responder.so mode=echo` runs REPLACES times
#     from one ternctl reading stdin (timed: mean time per replace);
#   - bindings change around it: echo bound to UDP 8 and unbound, a second
#     instance loaded, bound to UDP 9, unbound and unloaded, with more
#     replaces in between.
# Every request on UDP 7 must be answered byte-identically (lost=0
# mismatched=0), ternd must count drop_no_handler=0, exit 0 and leak
# nothing. Then the stock sockperf client runs against the responder in
# sockperf mode while that is replaced SP_REPLACES (50) times: sockperf must
# report no dropped message. Timing (client round trips, the engine's RX-to-TX latency from
# `show latency`, steady vs during swaps) is printed, not asserted, as
# lines starting with "hotswap: RESULT".
#
# Environment (set by meson): TERND, RESPONDER, UDP_CLIENT; TERNCTL (default:
# ternctl next to TERND). REPLACES (100), MIXED_ROUNDS (30), RATE (requests
# per second; 0, the default, is as fast as 4 sockets with 4 requests in
# flight each go), STEADY_S (2). TERN_FORCE_AF_PACKET=1 uses af_packet.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.0.2
TERN_ADDR=198.18.0.1
REPLACES=${REPLACES:-100}
MIXED_ROUNDS=${MIXED_ROUNDS:-30}
RATE=${RATE:-0}
STEADY_S=${STEADY_S:-2}
CLIENT_OPTS=(--dst "$TERN_ADDR" --port 7 --sockets 4 --window 4 --size 128 --timeout 3
	--rate "$RATE" --latency)

tern_need_root
TERNCTL=${TERNCTL:-$(dirname "${TERND:-/nonexistent}")/ternctl}
tern_need_var TERND TERNCTL RESPONDER UDP_CLIENT
command -v sockperf >/dev/null || tern_die "sockperf is not installed (apt-get install sockperf)"
command -v ethtool >/dev/null || tern_die "ethtool is not installed (apt-get install ethtool)"
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_hs_$$"
hif="ths$$"
nif="thn$$"
appdir="$TERN_TMP/apps"
sock="$TERN_TMP/ctl.sock"
in_ns() { ip netns exec "$ns" "$@"; }
ctl() { "$TERNCTL" -s "$sock" "$@"; }
result() { tern_say "RESULT $*"; }

mkdir "$appdir" || tern_die "cannot create $appdir"
cp "$RESPONDER" "$appdir/libudp_responder.so" || tern_die "cannot copy $RESPONDER to $appdir"
tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"

cat >"$TERN_TMP/start.cmds" <<EOF
app load echo libudp_responder.so mode=echo
bind udp 7 echo
EOF
ternd_start_veth hotswap "$TERN_TMP/ternd.log" "$hif" --ip "$TERN_ADDR/24" \
	--exec "$TERN_TMP/start.cmds" --control "$sock" --app-dir "$appdir" ||
	tern_fail "ternd did not start on $hif"
tern_say "ternd is up on $hif through $TERN_DRIVER"
in_ns ping -c 1 -W 2 "$TERN_ADDR" >/dev/null || tern_fail "ping $TERN_ADDR failed"

# latency_fields TEXT: p50, p99 and max of the engine's total line.
latency_fields() {
	grep -m1 '^total:' <<<"$1" | tr ' ' '\n' | grep -E '^(count|p50_ns|p99_ns|max_ns)=' | tr '\n' ' '
}

# The steady state: traffic alone.
tern_say "steady: $STEADY_S s of UDP echo (rate limit: ${RATE}/s, 0 = none)"
in_ns /usr/bin/python3 "$UDP_CLIENT" "${CLIENT_OPTS[@]}" --duration "$STEADY_S" \
	>"$TERN_TMP/steady.log" 2>&1 || { cat "$TERN_TMP/steady.log" >&2; tern_fail "steady traffic failed"; }
cat "$TERN_TMP/steady.log"
lat_steady=$(ctl show latency) || tern_fail "show latency failed"
result "client_steady $(grep '^latency_us:' "$TERN_TMP/steady.log")"
result "engine_latency_steady $(latency_fields "$lat_steady")"

# The commands: REPLACES replaces alone, then rounds of binding changes
# mixed with replaces (and a show latency in the middle of the swaps).
for ((i = 0; i < REPLACES; i++)); do
	echo "app replace echo libudp_responder.so mode=echo"
done >"$TERN_TMP/replace.cmds"
for ((i = 0; i < MIXED_ROUNDS; i++)); do
	cat <<EOF
bind udp 8 echo
app replace echo libudp_responder.so mode=echo
unbind udp 8
app load echo2 libudp_responder.so mode=echo
bind udp 9 echo2
app replace echo libudp_responder.so mode=echo
app replace echo2 libudp_responder.so mode=echo
unbind udp 9
app unload echo2
EOF
done >"$TERN_TMP/mixed.cmds"

# Traffic during the swaps: the client sends until SIGUSR1 (at most 120 s).
# (ip netns exec execs the client: $! is the client's pid, for the signal.)
tern_bg_start "$TERN_TMP/swap.log" ip netns exec "$ns" /usr/bin/python3 "$UDP_CLIENT" \
	"${CLIENT_OPTS[@]}" --duration 120

tern_say "$REPLACES x app replace through one ternctl, under traffic"
t0=$(date +%s%N)
ctl <"$TERN_TMP/replace.cmds" >"$TERN_TMP/replace.out" 2>&1 ||
	{ cat "$TERN_TMP/replace.out" >&2; tern_fail "an app replace failed"; }
t1=$(date +%s%N)
lat_mid=$(ctl show latency) || tern_fail "show latency during the swaps failed"
tern_say "$MIXED_ROUNDS rounds of bind/unbind/load/unload mixed with replaces"
ctl <"$TERN_TMP/mixed.cmds" >"$TERN_TMP/mixed.out" 2>&1 ||
	{ cat "$TERN_TMP/mixed.out" >&2; tern_fail "a mixed command failed"; }
[ "$(ctl show bindings)" = "udp 7 -> echo" ] || tern_fail "bindings after the swaps: $(ctl show bindings)"
sleep 0.5
tern_bg_stop
client_rc=$TERN_BG_RC
lat_swaps=$(ctl show latency) || tern_fail "show latency after the swaps failed"
cat "$TERN_TMP/swap.log"

mean_us=$(((t1 - t0) / 1000 / REPLACES))
result "replace_mean_us=$mean_us replaces=$REPLACES total_ms=$(((t1 - t0) / 1000000))"
result "client_swaps $(grep '^latency_us:' "$TERN_TMP/swap.log")"
result "engine_latency_mid_swaps(cumulative) $(latency_fields "$lat_mid")"
result "engine_latency_after_swaps(cumulative) $(latency_fields "$lat_swaps")"
max_steady=$(latency_fields "$lat_steady" | grep -o 'max_ns=[0-9]*' | cut -d= -f2)
max_all=$(latency_fields "$lat_swaps" | grep -o 'max_ns=[0-9]*' | cut -d= -f2)
if [ "${max_all:-0}" -gt "${max_steady:-0}" ]; then
	result "engine_max_ns steady=$max_steady during_swaps=$max_all"
else
	result "engine_max_ns steady=$max_steady during_swaps<=$max_steady (the max did not grow)"
fi

[ "$client_rc" = 0 ] || tern_fail "the client lost or mismatched replies during the swaps (status $client_rc)"
grep -q '^udp_echo_client: .* mismatched=0 lost=0 ' "$TERN_TMP/swap.log" ||
	tern_fail "client report: $(grep '^udp_echo_client:' "$TERN_TMP/swap.log")"
sent=$(sed -n 's/^udp_echo_client: sent=\([0-9]*\) .*/\1/p' "$TERN_TMP/swap.log")
[ "${sent:-0}" -gt 0 ] || tern_fail "no traffic during the swaps"

# The stock sockperf client through replaces: the responder in sockperf mode
# on UDP 11111, replaced SP_REPLACES times while `sockperf ping-pong` runs.
# sockperf counts a reply that never came as a dropped message.
SP_REPLACES=${SP_REPLACES:-50}
if ! ctl app load sp libudp_responder.so mode=sockperf >/dev/null ||
	! ctl bind udp 11111 sp; then
	tern_fail "could not load and bind the sockperf responder"
fi
in_ns taskset -c 0 sockperf ping-pong -i "$TERN_ADDR" -p 11111 -t 3 >"$TERN_TMP/sockperf.log" 2>&1 &
sp_pid=$!
sleep 0.5
for ((i = 0; i < SP_REPLACES; i++)); do
	echo "app replace sp libudp_responder.so mode=sockperf"
done | ctl >"$TERN_TMP/sp_replace.out" 2>&1 ||
	{ cat "$TERN_TMP/sp_replace.out" >&2; tern_fail "an app replace of sp failed"; }
wait "$sp_pid" || { cat "$TERN_TMP/sockperf.log" >&2; tern_fail "sockperf failed"; }
sed -i 's/\x1b\[[0-9;]*m//g' "$TERN_TMP/sockperf.log" # sockperf colours its summary
grep -E 'dropped messages|observations|percentile 99.000' "$TERN_TMP/sockperf.log"
grep -q '# dropped messages = 0;' "$TERN_TMP/sockperf.log" ||
	tern_fail "sockperf lost replies while sp was replaced"
obs=$(sed -n 's/.*Total \([0-9]*\) observations.*/\1/p' "$TERN_TMP/sockperf.log")
[ "${obs:-0}" -gt 0 ] || tern_fail "sockperf reported no observations"
result "sockperf_through_${SP_REPLACES}_replaces observations=$obs dropped=0"

ternd_stop 20
sed -n '/^ternd: .*stopping/,$p' "$TERN_TMP/ternd.log" | grep -v '^lcore\|^port'
ternd_check_exit "$TERN_TMP/ternd.log"
for c in drop_no_handler drop_app drop_bad_verdict drop_bad_cksum; do
	v=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' "$c")
	[ "$v" = 0 ] || tern_fail "ternd counted $c=$v (expected 0)"
done
tern_say "PASS ($TERN_DRIVER): $REPLACES replaces + $MIXED_ROUNDS mixed rounds under $sent requests: lost=0 mismatched=0 drop_no_handler=0 leaked=0"
exit 0
