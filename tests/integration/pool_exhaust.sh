#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: the mbuf pool runs dry, and ternd survives it and says so.
# ternd on a veth pair, once with AF_XDP (2560 mbufs) and once with
# af_packet (1024; only this one with TERN_FORCE_AF_PACKET=1), gets a
# deliberately small pool (--mbufs) and a slow app (100 us per request,
# budget 8 per loop): under a flood its backlog keeps up to 1024 requests,
# more than the pool has to spare, so the driver finds no mbuf to receive
# into. For each driver the test asserts:
#   - ternd keeps running; it logs "mbuf pool exhausted" and later "mbuf pool
#     recovered", and `show stats` counts the exhaustion (pool: exhaustions,
#     exhausted_ms, min_available below the low mark);
#   - what was lost is counted: every request the namespace sent was received
#     by ternd or counted as dropped by the kernel under the device
#     (kernel_rx_dropped in show ports) or the sending veth (tx_dropped),
#     within 8; inside ternd rx = tx + drops; every reply ternd sent reached
#     the client; the AF_XDP driver counted failed allocations (dev_rx_nombuf);
#   - within a second of the flood stopping ternd has worked off what was
#     queued (the last reply to the flood came), then a request, 50 more
#     and a ping are all answered;
#   - at exit, 0 and no leaked mbuf (every mbuf came back to the pool).
#
# Environment (set by meson): TERND, TERNCTL, RESPONDER, UDP_ASK, UDP_FLOOD.
# MBUFS (overrides both pool sizes), FLOOD_SECONDS (default 3).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.9.2
TERN_ADDR=198.18.9.1
SLOW_PORT=9
FLOOD_SECONDS=${FLOOD_SECONDS:-3}
LINGER=2

tern_need_root
tern_need_var TERND TERNCTL RESPONDER UDP_ASK UDP_FLOOD
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_pool_$$"
hif="tpxh$$"
nif="tpxn$$"
in_ns() { ip netns exec "$ns" "$@"; }
veth_tx_dropped() { in_ns cat "/sys/class/net/$nif/statistics/tx_dropped"; }
ask() { in_ns /usr/bin/python3 "$UDP_ASK" "$TERN_ADDR" $SLOW_PORT "$@"; }

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"
cat >"$TERN_TMP/start.cmds" <<CMDS
app load slow $RESPONDER mode=echo service_ns=100000 budget=8
bind udp $SLOW_PORT slow
CMDS
# run_case DRIVER MBUFS: ternd on DRIVER (af_xdp or af_packet) with a pool
# of MBUFS, flooded; every assertion above.
run_case() {
	local MBUFS=$2 rx0 tx0 vdrop0 missed0 nombuf0 kdrop0 sent replies drain_ms rx1 tx1
	local missed nombuf kdrop vdrop t0 rtt_ms exh exh_ms min_av rx tx drops got answered lost

	ternd_start_veth "pool_$1" "$TERN_TMP/ternd.log" "$hif" --ip "$TERN_ADDR/24" --mbufs "$MBUFS" \
		--allow-any-app-path --exec "$TERN_TMP/start.cmds" ||
		tern_fail "ternd did not start with --mbufs $MBUFS: $(grep -i 'error' "$TERN_TMP/ternd.log" | head -3)"
	if [ "$TERN_DRIVER" != "$1" ]; then
		tern_say "WARNING: $1 is not available here: not tested"
		ternd_stop
		return 0
	fi
	tern_say "ternd up on $TERN_DRIVER with a pool of $MBUFS mbufs"
	in_ns ping -c 2 -W 2 "$TERN_ADDR" >/dev/null || tern_fail "ping before the flood failed"
	[ "$(ask hello)" = hello ] || tern_fail "the slow app does not answer before the flood"
	[ "$(tern_stat pool: size)" = "$MBUFS" ] || tern_fail "show stats: pool size $(tern_stat pool: size), not $MBUFS"
	[ "$(tern_stat pool: exhaustions)" = 0 ] || tern_fail "the pool was exhausted before any load"
	sleep 0.3
	read -r rx0 tx0 _ < <(tern_totals)
	vdrop0=$(veth_tx_dropped)
	missed0=$(tern_port_stat dev_rx_missed)
	nombuf0=$(tern_port_stat dev_rx_nombuf)
	kdrop0=$(tern_port_stat kernel_rx_dropped)

	tern_say "flooding UDP $SLOW_PORT for $FLOOD_SECONDS s (capacity about 10 000/s)"
	read -r _ sent _ replies _ _ _ _ _ _ _ _ _ drain_ms < <(in_ns /usr/bin/python3 "$UDP_FLOOD" \
		"$TERN_ADDR" $SLOW_PORT "$FLOOD_SECONDS" --linger "$LINGER")
	kill -0 "$TERND_PID" 2>/dev/null || tern_fail "ternd died when its pool ran dry"
	# What the flood cost, before anything else is sent (after a control tick:
	# ternd reads the kernel's counters every 100 ms).
	sleep 0.3
	read -r rx1 tx1 _ < <(tern_totals)
	missed=$(($(tern_port_stat dev_rx_missed) - missed0))
	nombuf=$(($(tern_port_stat dev_rx_nombuf) - nombuf0))
	kdrop=$(($(tern_port_stat kernel_rx_dropped) - kdrop0))
	vdrop=$(($(veth_tx_dropped) - vdrop0))
	tern_say "flood: $sent requests sent, $replies answered, the last $drain_ms ms after the flood"

	# Back to normal within a second: what was queued is worked off, and then
	# requests are answered at once.
	[ "${drain_ms:-99999}" -le 1000 ] ||
		tern_fail "ternd still answered the flood ${drain_ms} ms after it stopped (more than 1 s)"
	t0=$(date +%s%N)
	[ "$(ask again --timeout 1)" = again ] || tern_fail "no answer after the flood"
	rtt_ms=$((($(date +%s%N) - t0) / 1000000))
	tern_say "then a request is answered in $rtt_ms ms (python included)"
	for i in $(seq 50); do
		[ "$(ask "n$i" --timeout 1)" = "n$i" ] || tern_fail "request $i of 50 after the flood was not answered"
	done
	in_ns ping -c 2 -W 2 "$TERN_ADDR" >/dev/null || tern_fail "ping after the flood failed"

	# The exhaustion was seen, logged and counted.
	sleep 0.3
	exh=$(tern_stat pool: exhaustions)
	exh_ms=$(tern_stat pool: exhausted_ms)
	min_av=$(tern_stat pool: min_available)
	tern_say "pool: exhaustions=$exh exhausted_ms=$exh_ms min_available=$min_av"
	[ "${exh:-0}" -ge 1 ] || tern_fail "show stats counted no pool exhaustion (min_available=$min_av)"
	grep -q '^mbuf pool exhausted: ' "$TERN_TMP/ternd.log" || tern_fail "ternd did not log the exhaustion"
	grep -q '^mbuf pool recovered after ' "$TERN_TMP/ternd.log" || tern_fail "ternd did not log the recovery"

	# Every request accounted for: received by ternd, or dropped and counted by
	# the kernel under the device (kernel_rx_dropped in show ports: frames lost
	# to a full AF_XDP or packet socket ring, which DPDK 22.11's drivers leave out
	# of dev_rx_missed) or by the sending veth (tx_dropped). The
	# namespace's own chatter (ARP, IPv6 router solicitations, MLD reports) adds
	# a few frames: slack 8. dev_rx_nombuf counts the driver's failed attempts
	# to get mbufs, not frames (a frame it could not take stays in the ring).
	read -r rx tx drops < <(tern_totals_settled)
	got=$((rx1 - rx0))
	answered=$((tx1 - tx0))
	tern_say "counted during the flood: received=$got answered=$answered kernel_rx_dropped=$kdrop" \
		"dev_rx_missed=$missed dev_rx_nombuf=$nombuf veth_tx_dropped=$vdrop"
	[ "$rx" = $((tx + drops)) ] || tern_fail "inside ternd rx=$rx but tx + drops = $((tx + drops))"
	[ "$nombuf" -gt 0 ] || [ "$TERN_DRIVER" != af_xdp ] ||
		tern_fail "the AF_XDP driver counted no failed mbuf allocation"
	lost=$((sent - got - kdrop - vdrop))
	[ "$lost" -ge -8 ] && [ "$lost" -le 8 ] ||
		tern_fail "$sent sent, $got received by ternd, $((kdrop + vdrop)) counted as dropped:" \
			"$lost unaccounted for"
	[ $((answered - replies)) -ge -3 ] && [ $((answered - replies)) -le 3 ] ||
		tern_fail "ternd sent $answered replies during the flood, the client got $replies"

	ternd_stop
	ternd_check_exit "$TERN_TMP/ternd.log"
}

# AF_XDP holds about 2048 mbufs in its rings, af_packet none: pools just
# large enough to start, small enough for the backlog to empty them.
if [ "${TERN_FORCE_AF_PACKET:-0}" != 1 ]; then
	run_case af_xdp "${MBUFS:-2560}"
fi
TERN_FORCE_AF_PACKET=1 run_case af_packet "${MBUFS:-1024}"
tern_say "PASS"
