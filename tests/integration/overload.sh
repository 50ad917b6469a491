#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: offered load far above capacity, then back to normal.
# ternd on a veth pair (AF_XDP; af_packet with TERN_FORCE_AF_PACKET=1) serves
# a deliberately slow app (100 us per request, budget 8 per loop, so about
# 10 000 requests/s) while the namespace floods it from four sockets for
# FLOOD_SECONDS (default 3). The test asserts:
#   - ternd keeps running, and ping is answered during the flood (protocol
#     traffic goes before the app's backlog);
#   - the wait of what is answered is bounded by the backlog, not by the
#     flood: in ternd's own measurement (show latency apps, from a request's
#     RX burst to its reply, so the client's scheduling is not in it), p99
#     is at most 3 times what Little's law gives for a full backlog at the
#     rate the app was served: TERN_BACKLOG / (answered / flood time);
#   - the overload is counted: requests the workers could not take show up as
#     drop_backlog in ternd or as dev_rx_missed from the device, and every
#     frame ternd received is accounted for (rx = tx + drops);
#   - within a second of the flood stopping, the slow app answers again, and
#     then 50 requests in a row are all answered;
#   - the default mbuf pool never runs dry (show stats: exhaustions=0);
#   - nothing accumulates: ternd's heaps (C and DPDK) and its mbufs in use
#     are exactly what they were before the flood (show memory, with glibc's
#     thread cache off so that freed blocks do not count as in use; the
#     resident set is only printed: it grows once as the flood touches more
#     of the pool's pages); exit 0 and no leaked mbuf.
#
# Environment (set by meson): TERND, TERNCTL, RESPONDER, UDP_ASK, UDP_FLOOD.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.7.2
TERN_ADDR=198.18.7.1
SLOW_PORT=9
FLOOD_SECONDS=${FLOOD_SECONDS:-3}
SERVICE_NS=100000
BACKLOG=1024

tern_need_root
tern_need_var TERND TERNCTL RESPONDER UDP_ASK UDP_FLOOD
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_ovl_$$"
hif="tovh$$"
nif="tovn$$"
in_ns() { ip netns exec "$ns" "$@"; }

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"

cat >"$TERN_TMP/start.cmds" <<CMDS
app load slow $RESPONDER mode=echo service_ns=$SERVICE_NS budget=8
bind udp $SLOW_PORT slow
CMDS
vdev="net_af_xdp0,iface=$hif,start_queue=0,queue_count=1"
[ "${TERN_FORCE_AF_PACKET:-0}" = 1 ] && vdev="net_af_packet0,iface=$hif"
tern_prefix ovl
# show memory's heap_in_use is exact only without glibc's thread cache.
GLIBC_TUNABLES=glibc.malloc.tcache_count=0 ternd_start "$TERN_TMP/ternd.log" -l 0,1 --no-huge -m 512 --no-pci \
	--file-prefix "$TERN_PREFIX" --vdev "$vdev" \
	-- --ip "$TERN_ADDR/24" --allow-any-app-path --exec "$TERN_TMP/start.cmds"
ternd_wait_ready "$TERN_TMP/ternd.log" 60 || tern_fail "ternd did not start"
in_ns ping -c 2 -W 2 "$TERN_ADDR" >/dev/null || tern_fail "ping before the flood failed"
[ "$(in_ns /usr/bin/python3 "$UDP_ASK" "$TERN_ADDR" $SLOW_PORT hello)" = hello ] ||
	tern_fail "the slow app does not answer before the flood"
# Once first: the control side's first answers allocate for good (stdio).
for v in stats ports memory "latency apps"; do
	# shellcheck disable=SC2086 # "latency apps" is two words
	tern_ctl show $v >/dev/null
done
mem0=$(tern_ctl show memory)

# The flood: four sockets, as fast as Python can send (udp_flood.py).
tern_say "flooding UDP $SLOW_PORT for $FLOOD_SECONDS s (capacity about 10 000/s)"
in_ns /usr/bin/python3 "$UDP_FLOOD" "$TERN_ADDR" "$SLOW_PORT" "$FLOOD_SECONDS" >"$TERN_TMP/flood.out" &
flood_pid=$!
sleep 0.5
in_ns ping -c 5 -i 0.2 -W 1 "$TERN_ADDR" >"$TERN_TMP/ping.out" 2>&1
wait "$flood_pid"
read -r _ sent _ replies _ _ _ p50 _ p99 _ max_us _ <"$TERN_TMP/flood.out"
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TERN_TMP/ping.out")
kill -0 "$TERND_PID" 2>/dev/null || tern_fail "ternd died under the flood"
[ "${got:-0}" -ge 4 ] || tern_fail "ping during the flood: $got of 5 answered"
tern_say "flood: $sent requests sent, $replies answered (round trip p50 ${p50} us," \
	"p99 ${p99} us, max ${max_us} us); ping during it: $got of 5 answered"
# What is answered waits at most for the backlog ahead of it.
[ "${replies:-0}" -gt 0 ] || tern_fail "nothing was answered during the flood"
lat=$(tern_ctl show latency apps | grep '^app slow:')
p99_ns=$(echo "$lat" | ternd_counter /dev/stdin 'app slow:' p99_ns)
served=$(echo "$lat" | ternd_counter /dev/stdin 'app slow:' count)
tern_say "in-engine latency of the slow app: $lat"
if [ -z "$p99_ns" ] || [ "${served:-0}" -le 0 ]; then
	tern_fail "show latency apps gave no figures for the slow app: $lat"
fi
# Little's law: a full backlog of BACKLOG requests served at served/FLOOD_SECONDS.
bound_ns=$((3 * BACKLOG * FLOOD_SECONDS * 1000000000 / served))
[ "$p99_ns" -le "$bound_ns" ] ||
	tern_fail "p99 in ternd ${p99_ns} ns exceeds 3 times a full backlog's wait (${bound_ns} ns at $served requests in $FLOOD_SECONDS s)"

# Back to normal within a second of the flood stopping.
t0=$(date +%s%N)
ok=0
while [ $(($(date +%s%N) - t0)) -lt 1000000000 ]; do
	if [ "$(in_ns /usr/bin/python3 "$UDP_ASK" "$TERN_ADDR" $SLOW_PORT again --timeout 0.1)" = again ]; then
		ok=1
		break
	fi
done
back_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ok" = 1 ] || tern_fail "the slow app did not answer within 1 s of the flood stopping"
tern_say "answered again $back_ms ms after the flood stopped"
for i in $(seq 50); do
	[ "$(in_ns /usr/bin/python3 "$UDP_ASK" "$TERN_ADDR" $SLOW_PORT "n$i" --timeout 1)" = "n$i" ] ||
		tern_fail "request $i of 50 after the flood was not answered"
done

# Counted: what the workers could not take, and every frame accounted for.
sleep 0.5
backlog=$(tern_stat total: drop_backlog)
missed=$(tern_port_stat dev_rx_missed)
kdrop=$(tern_port_stat kernel_rx_dropped)
read -r rx tx drops < <(tern_totals_settled)
tern_say "counted: rx=$rx tx=$tx drops=$drops (drop_backlog=$backlog) dev_rx_missed=$missed kernel_rx_dropped=${kdrop:-n/a}"
[ $((backlog + missed)) -gt 0 ] || tern_fail "an overload of $sent requests left no drop counted"
[ "$rx" = $((tx + drops)) ] || tern_fail "rx=$rx but tx + drops = $((tx + drops))"

# The default pool fits the rings and the full backlog: the flood never
# emptied it.
tern_say "$(tern_ctl show stats | grep '^pool:')"
[ "$(tern_stat pool: exhaustions)" = 0 ] || tern_fail "the default mbuf pool ran dry under the flood"

mem1=$(tern_ctl show memory)
tern_say "before the flood: $mem0"
tern_say "after the flood:  $mem1"
for k in heap_in_use heap_mmapped dpdk_heap_in_use mbufs_in_use; do
	a=$(echo "$mem0" | ternd_counter /dev/stdin memory: "$k")
	b=$(echo "$mem1" | ternd_counter /dev/stdin memory: "$k")
	if [ -z "$a" ] || [ -z "$b" ]; then
		tern_fail "show memory has no $k: $mem1"
	fi
	[ "$a" = "$b" ] || tern_fail "$k was $a before the flood and is $b after it"
done
ternd_stop
ternd_check_exit "$TERN_TMP/ternd.log"
tern_say "PASS"
