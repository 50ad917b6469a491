#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test (b): ternd on the host end of a veth pair through AF_XDP
# (af_packet only with TERN_FORCE_AF_PACKET=1), the kernel stack in
# a network namespace on the other end as the client:
#   - ARP: no static neighbour entry; the namespace resolves 198.18.0.1 to
#     ternd's MAC by itself when it pings;
#   - ICMP echo (ping) and ICMPv6 echo with neighbour discovery (ping -6);
#   - 1000 UDP echoes from several sockets, each payload unique and checked;
#   - sockperf ping-pong against the responder in sockperf mode;
#   - link down and up on ternd's end: logged, and echoes are answered after;
#   - SIGTERM: exit 0, no bad checksums counted, no leaked mbufs.
#
# Environment (set by meson): TERND, RESPONDER, UDP_CLIENT.
# TERN_FORCE_AF_PACKET=1 runs it over af_packet instead; TERN_HUGE=1 (the
# test veth_afxdp_huge) on 2 MB hugepages instead of --no-huge.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.0.2
TERN_ADDR=198.18.0.1
NS_ADDR6=fd00:198:18::2
TERN_ADDR6=fd00:198:18::1
ECHO_COUNT=${ECHO_COUNT:-1000}

tern_need_root
tern_need_var TERND RESPONDER UDP_CLIENT
command -v sockperf >/dev/null || tern_die "sockperf is not installed (apt-get install sockperf)"
command -v ethtool >/dev/null || tern_die "ethtool is not installed (apt-get install ethtool)"
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
tern_mem_setup
ns="tern_veth_$$"
hif="tvh$$"
nif="tvn$$"
in_ns() { ip netns exec "$ns" "$@"; }

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" "$NS_ADDR6/64" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"
tern_say "veth $hif (ternd) <-> $nif in netns $ns ($NS_ADDR, $NS_ADDR6)"

cat >"$TERN_TMP/start.cmds" <<EOF
app load echo $RESPONDER mode=echo
bind udp 7 echo
app load sp $RESPONDER mode=sockperf
bind udp 11111 sp
EOF

# start_ternd VDEV: starts ternd on the host end through VDEV; 0 when ready.
start_ternd() {
	tern_prefix veth
	ternd_start "$TERN_TMP/ternd.log" -l 0,1 "${TERN_MEM_ARGS[@]}" --no-pci \
		--file-prefix "$TERN_PREFIX" --vdev "$1" \
		-- --ip "$TERN_ADDR/24" --ip "$TERN_ADDR6/64" --app-dir "$(dirname "$RESPONDER")" \
		--exec "$TERN_TMP/start.cmds"
	ternd_wait_ready "$TERN_TMP/ternd.log" 60
}

# AF_XDP, or af_packet when asked: a broken AF_XDP path fails the test.
if [ "${TERN_FORCE_AF_PACKET:-0}" = 1 ]; then
	driver=af_packet
	tern_say "TERN_FORCE_AF_PACKET=1: using af_packet"
	start_ternd "net_af_packet0,iface=$hif" || tern_fail "ternd did not start with af_packet"
else
	driver=af_xdp
	start_ternd "net_af_xdp0,iface=$hif,start_queue=0,queue_count=1" ||
		tern_fail "ternd did not start with AF_XDP (TERN_FORCE_AF_PACKET=1 tries af_packet)"
fi
tern_say "ternd is up on $hif through $driver"
tern_huge_check_used
grep '^port ' "$TERN_TMP/ternd.log"
mac=$(grep -m1 '^port 0 .*: mac ' "$TERN_TMP/ternd.log" | grep -o 'mac [0-9a-fA-F:]\{17\}' | cut -d' ' -f2)
[ -n "$mac" ] || tern_fail "no 'port 0 ...: mac XX:XX:XX:XX:XX:XX' line from ternd"

# ARP: nothing static, and the kernel learns ternd's MAC by asking.
[ -z "$(in_ns ip neigh show "$TERN_ADDR")" ] ||
	tern_fail "a neighbour entry for $TERN_ADDR exists before any traffic"
tern_say "ping -c 3 $TERN_ADDR"
in_ns ping -c 3 -W 2 "$TERN_ADDR" || tern_fail "ping $TERN_ADDR failed"
neigh=$(in_ns ip neigh show "$TERN_ADDR" dev "$nif")
tern_say "neighbour: $neigh"
case "$neigh" in
*PERMANENT* | *NOARP*) tern_fail "neighbour entry is static: $neigh" ;;
*"lladdr ${mac,,} "*) ;;
*) tern_fail "$TERN_ADDR not resolved to ternd's MAC $mac: '$neigh'" ;;
esac

# IPv6: neighbour discovery and ICMPv6 echo.
tern_say "ping -6 -c 3 $TERN_ADDR6"
in_ns ping -6 -c 3 -W 2 "$TERN_ADDR6" || tern_fail "ping -6 $TERN_ADDR6 failed"

# UDP echo: unique random payloads from several source ports.
tern_say "UDP echo: $ECHO_COUNT requests from 8 sockets"
in_ns /usr/bin/python3 "$UDP_CLIENT" --dst "$TERN_ADDR" --port 7 --count "$ECHO_COUNT" \
	--sockets 8 --size 128 --timeout 3 || tern_fail "UDP echo client failed"
in_ns /usr/bin/python3 "$UDP_CLIENT" --dst "$TERN_ADDR6" --port 7 --count 100 \
	--sockets 4 --size 64 --timeout 3 || tern_fail "UDP echo client over IPv6 failed"

# sockperf ping-pong against the sockperf-mode responder.
tern_say "sockperf ping-pong -i $TERN_ADDR -p 11111 -t 2"
in_ns taskset -c 0 sockperf ping-pong -i "$TERN_ADDR" -p 11111 -t 2 >"$TERN_TMP/sockperf.log" 2>&1
sp_rc=$?
sed -i 's/\x1b\[[0-9;]*m//g' "$TERN_TMP/sockperf.log" # sockperf colours its summary
grep -E 'observations|percentile|avg-latency|dropped|Valid Duration' "$TERN_TMP/sockperf.log"
[ "$sp_rc" = 0 ] || { cat "$TERN_TMP/sockperf.log" >&2; tern_fail "sockperf exited with status $sp_rc"; }
obs=$(sed -n 's/.*Total \([0-9]\{1,\}\) observations.*/\1/p' "$TERN_TMP/sockperf.log")
[ "${obs:-0}" -gt 0 ] || tern_fail "sockperf reported no observations"
grep -q 'percentile 99\.000 =' "$TERN_TMP/sockperf.log" || tern_fail "sockperf printed no percentiles"
grep -q '# dropped messages = 0;' "$TERN_TMP/sockperf.log" || tern_fail "sockperf saw dropped messages"

# Link down and up on ternd's end: ternd says so, and serves again after.
tern_say "link down and up on $hif"
ip link set "$hif" down
for _ in $(seq 50); do grep -q "): link down" "$TERN_TMP/ternd.log" && break; sleep 0.1; done
grep -q "): link down" "$TERN_TMP/ternd.log" || tern_fail "ternd did not notice the link going down"
ip link set "$hif" up
for _ in $(seq 50); do grep -q "): link up" "$TERN_TMP/ternd.log" && break; sleep 0.1; done
grep -q "): link up" "$TERN_TMP/ternd.log" || tern_fail "ternd did not notice the link coming back"
for _ in $(seq 30); do
	in_ns /usr/bin/python3 "$UDP_CLIENT" --dst "$TERN_ADDR" --port 7 --count 1 --timeout 1 \
		>/dev/null 2>&1 && break
	sleep 0.2
done
in_ns /usr/bin/python3 "$UDP_CLIENT" --dst "$TERN_ADDR" --port 7 --count 100 \
	--sockets 4 --size 64 --timeout 3 || tern_fail "UDP echo after the link came back failed"

ternd_stop 20
sed -n '/^ternd: .*stopping/,$p' "$TERN_TMP/ternd.log"
ternd_check_exit "$TERN_TMP/ternd.log"
bad=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' drop_bad_cksum)
[ "$bad" = 0 ] || tern_fail "ternd dropped $bad packets with bad checksums (tx offload left on?)"
rx=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' rx)
[ "${rx:-0}" -ge $((ECHO_COUNT + obs)) ] ||
	tern_fail "ternd counted rx=$rx, fewer than the $((ECHO_COUNT + obs)) requests answered"
tern_say "PASS ($driver): ARP, ping, ping -6, $ECHO_COUNT UDP echoes, sockperf $obs observations"
exit 0
