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
#   - the latency of what is answered stays bounded: no reply during the
#     flood took longer than MAX_RTT_MS (default 500; the backlog bounds the
#     wait at about 0.1 s);
#   - the overload is counted: requests the workers could not take show up as
#     drop_backlog in ternd or as dev_rx_missed from the device, and every
#     frame ternd received is accounted for (rx = tx + drops);
#   - within a second of the flood stopping, the slow app answers again, and
#     then 50 requests in a row are all answered;
#   - the default mbuf pool never runs dry (show stats: exhaustions=0);
#   - memory stays bounded: ternd's resident memory after the flood is within
#     1 MiB of before; exit 0 and no leaked mbuf.
#
# Environment (set by meson): TERND, TERNCTL, RESPONDER, UDP_ASK, UDP_FLOOD.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.7.2
TERN_ADDR=198.18.7.1
SLOW_PORT=9
FLOOD_SECONDS=${FLOOD_SECONDS:-3}
MAX_RTT_MS=${MAX_RTT_MS:-500}

tern_need_root
tern_need_var TERND TERNCTL RESPONDER UDP_ASK UDP_FLOOD
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_ovl_$$"
hif="tovh$$"
nif="tovn$$"
in_ns() { ip netns exec "$ns" "$@"; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$TERND_PID/status"; }

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"

cat >"$TERN_TMP/start.cmds" <<CMDS
app load slow $RESPONDER mode=echo service_ns=100000 budget=8
bind udp $SLOW_PORT slow
CMDS
vdev="net_af_xdp0,iface=$hif,start_queue=0,queue_count=1"
[ "${TERN_FORCE_AF_PACKET:-0}" = 1 ] && vdev="net_af_packet0,iface=$hif"
tern_prefix ovl
ternd_start "$TERN_TMP/ternd.log" -l 0,1 --no-huge -m 512 --no-pci \
	--file-prefix "$TERN_PREFIX" --vdev "$vdev" \
	-- --ip "$TERN_ADDR/24" --allow-any-app-path --exec "$TERN_TMP/start.cmds"
ternd_wait_ready "$TERN_TMP/ternd.log" 60 || tern_fail "ternd did not start"
in_ns ping -c 2 -W 2 "$TERN_ADDR" >/dev/null || tern_fail "ping before the flood failed"
[ "$(in_ns /usr/bin/python3 "$UDP_ASK" "$TERN_ADDR" $SLOW_PORT hello)" = hello ] ||
	tern_fail "the slow app does not answer before the flood"
rss0=$(rss_kb)

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
# What is answered waits at most for the backlog ahead of it: 1024 requests at
# 100 us each, about 0.1 s; MAX_RTT_MS leaves room for a shared, noisy vCPU.
[ "${replies:-0}" -gt 0 ] || tern_fail "nothing was answered during the flood"
[ "$max_us" -le $((MAX_RTT_MS * 1000)) ] ||
	tern_fail "a request answered during the flood waited ${max_us} us (bound ${MAX_RTT_MS} ms)"

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

rss1=$(rss_kb)
tern_say "resident memory: ${rss0} kB before, ${rss1} kB after"
[ $((rss1 - rss0)) -le 1024 ] || tern_fail "resident memory grew by $((rss1 - rss0)) kB under the flood"
ternd_stop
ternd_check_exit "$TERN_TMP/ternd.log"
tern_say "PASS"
