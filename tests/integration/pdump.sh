#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: packet capture with the stock dpdk-dumpcap against a
# running ternd (DPDK multi-process: ternd is the primary and calls
# rte_pdump_init; dumpcap attaches as a secondary with --file-prefix).
#   - hugepages: the primary needs real hugepage files, so the test reserves
#     them if too few are free and mounts hugetlbfs if none is mounted; both
#     are undone on exit. Without hugepages the test is skipped (exit 77);
#   - ternd runs with -m 256 (hugepages) and a net_memif server port;
#   - dpdk-dumpcap captures port net_memif0 while memif_peer sends ARP, ICMP
#     and COUNT UDP echoes; it stops after all 2 * (COUNT + 2) frames;
#   - tshark reads the file: the ARP request and reply, the ICMP echo request
#     and reply, COUNT UDP requests to port 7 and COUNT replies from port 7
#     carrying the same payloads;
#   - ternd still exits 0 with no leaked mbufs.
#
# Environment (set by meson): TERND, RESPONDER, MEMIF_PEER.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

COUNT=${COUNT:-50}
HUGE_MB=${HUGE_MB:-640}   # ternd's -m 256 plus what dumpcap allocates, with room
HP_SYSCTL=/proc/sys/vm/nr_hugepages
HP_PREV=      # nr_hugepages before the test, if it raised it
HP_MOUNTED=   # the hugetlbfs mount point, if the test mounted it

tern_need_root
tern_need_var TERND RESPONDER MEMIF_PEER
for c in dpdk-dumpcap tshark; do
	command -v "$c" >/dev/null || tern_die "$c is not installed (apt-get install dpdk-dev tshark)"
done

# hp_setup: at least HUGE_MB of free default-size hugepages on a hugetlbfs
# mount. Returns 1 (with a message) if the machine will not give them.
hp_setup() {
	local size_kb need free
	size_kb=$(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo)
	[ -n "$size_kb" ] || { tern_say "no hugepage support in this kernel"; return 1; }
	if ! awk '$3 == "hugetlbfs" { found = 1 } END { exit !found }' /proc/mounts; then
		if ! mkdir -p /dev/hugepages || ! mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null; then
			tern_say "cannot mount hugetlbfs on /dev/hugepages"
			return 1
		fi
		HP_MOUNTED=/dev/hugepages
	fi
	need=$((HUGE_MB * 1024 / size_kb))
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	if [ "$free" -lt "$need" ]; then
		HP_PREV=$(cat "$HP_SYSCTL")
		echo $((HP_PREV + need - free)) >"$HP_SYSCTL" 2>/dev/null
		free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
		if [ "$free" -lt "$need" ]; then
			tern_say "only $free of $need hugepages of $size_kb kB could be reserved"
			return 1
		fi
	fi
	tern_say "hugepages: $free free of $size_kb kB (need $need)"
}

# hp_restore: give back what hp_setup took (after ternd's files are gone).
hp_restore() {
	if [ -n "$HP_PREV" ]; then
		echo "$HP_PREV" >"$HP_SYSCTL" 2>/dev/null
		HP_PREV=
	fi
	if [ -n "$HP_MOUNTED" ]; then
		umount "$HP_MOUNTED" 2>/dev/null
		HP_MOUNTED=
	fi
}

DUMPCAP_PID=
cleanup() {
	if [ -n "$DUMPCAP_PID" ]; then
		kill -KILL "$DUMPCAP_PID" 2>/dev/null
		wait "$DUMPCAP_PID" 2>/dev/null
	fi
	tern_cleanup
	hp_restore
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! hp_setup; then
	tern_say "SKIP: dpdk-dumpcap needs a primary with hugepages, and none are available"
	exit 77
fi

tern_mktemp
cap="$TERN_TMP/capture.pcapng"
tern_say "starting ternd (memif server, hugepages)"
# A fixed --base-virtaddr: dumpcap (a secondary) must map ternd's memory at
# the addresses ternd chose. EAL's default hint, 0x100000000, lies in
# AddressSanitizer's shadow memory, so an ASan ternd got kernel-chosen
# addresses near 0x7f..., where dumpcap's own libraries sometimes were
# ("Cannot reserve 17179869184 bytes at [0x7f...]"; 4 of 40 ASan runs).
# 0x200000000000 is free in both kinds of process: in ASan's high memory,
# below its allocator (0x600000000000), far from where mmap and PIE land.
ternd_start_memif pdump_d -m 256 --base-virtaddr 0x200000000000 ||
	tern_fail "ternd did not start"
prefix_d=$TERN_PREFIX
if grep -q 'capture (dpdk-dumpcap) unavailable' "$TERN_TMP/ternd.log"; then
	grep 'capture' "$TERN_TMP/ternd.log" >&2
	tern_fail "ternd could not set up capture with hugepages"
fi

# ARP and ICMP request and reply, then COUNT UDP requests and replies. No
# frame count for dumpcap: memif_peer asks again when an ARP reply is late
# (300 ms), and a count would then cut the last reply off; dumpcap is
# stopped (SIGINT, which writes out what it holds) once the peer is done.
frames=$((2 * (COUNT + 2)))
tern_say "dpdk-dumpcap -i net_memif0"
: >"$TERN_TMP/dumpcap.log"
dpdk-dumpcap --file-prefix="$prefix_d" -i net_memif0 -a duration:60 \
	-w "$cap" >"$TERN_TMP/dumpcap.log" 2>&1 &
DUMPCAP_PID=$!
# dumpcap prints "Packets captured:" once its callbacks are installed in ternd.
for ((i = 0; i < 200; i++)); do
	grep -q 'Packets captured:' "$TERN_TMP/dumpcap.log" && break
	kill -0 "$DUMPCAP_PID" 2>/dev/null || break
	sleep 0.1
done
grep -q 'Packets captured:' "$TERN_TMP/dumpcap.log" ||
	{ cat "$TERN_TMP/dumpcap.log" >&2; tern_fail "dpdk-dumpcap did not start capturing"; }

tern_say "memif_peer: ARP, ICMP and $COUNT UDP echoes"
memif_peer_start pdump_p "$COUNT" 4 64
memif_peer_wait_done || tern_fail "memif_peer did not finish"
sleep 1 # the last replies reach dumpcap's ring
kill -INT "$DUMPCAP_PID" 2>/dev/null

wait "$DUMPCAP_PID"
dc_rc=$?
DUMPCAP_PID=
grep '^Packets received' "$TERN_TMP/dumpcap.log"
[ "$dc_rc" = 0 ] || tern_fail "dpdk-dumpcap exited with status $dc_rc"

ternd_stop 20
memif_peer_finish
grep '^memif_peer:' "$TERN_TMP/peer.log"
[ "$PEER_RC" = 0 ] || { cat "$TERN_TMP/peer.log" >&2; tern_fail "memif_peer exited with status $PEER_RC"; }
ternd_check_exit "$TERN_TMP/ternd.log"

# tshark FILTER FIELDS...: one line per matching frame, fields tab-separated.
fields() {
	local filter=$1 args=() f
	shift
	for f in "$@"; do
		args+=(-e "$f")
	done
	tshark -r "$cap" -Y "$filter" -T fields "${args[@]}" 2>/dev/null
}

total=$(tshark -r "$cap" 2>/dev/null | wc -l)
tern_say "capture holds $total frames"
[ "$total" -ge "$frames" ] || tern_fail "capture holds $total frames, expected at least $frames"

# One ARP request, or more if memif_peer asked again; one reply to each.
n_arp=$(fields 'arp.opcode == 1 && arp.dst.proto_ipv4 == 198.18.0.1' frame.number | wc -l)
[ "$n_arp" -ge 1 ] || tern_fail "expected an ARP request for 198.18.0.1, found none"
n=$(fields 'arp.opcode == 2 && arp.src.proto_ipv4 == 198.18.0.1' frame.number | wc -l)
[ "$n" = "$n_arp" ] || tern_fail "expected $n_arp ARP replies from 198.18.0.1, found $n"
n=$(fields 'icmp.type == 8 && ip.dst == 198.18.0.1' frame.number | wc -l)
[ "$n" = 1 ] || tern_fail "expected 1 ICMP echo request, found $n"
n=$(fields 'icmp.type == 0 && ip.src == 198.18.0.1 && ip.dst == 198.18.0.2' frame.number | wc -l)
[ "$n" = 1 ] || tern_fail "expected 1 ICMP echo reply, found $n"

fields 'udp.dstport == 7 && ip.src == 198.18.0.2 && ip.dst == 198.18.0.1' \
	udp.srcport udp.payload | sort >"$TERN_TMP/requests"
fields 'udp.srcport == 7 && ip.src == 198.18.0.1 && ip.dst == 198.18.0.2' \
	udp.dstport udp.payload | sort >"$TERN_TMP/replies"
n=$(wc -l <"$TERN_TMP/requests")
[ "$n" = "$COUNT" ] || tern_fail "capture holds $n UDP requests to port 7, expected $COUNT"
n=$(wc -l <"$TERN_TMP/replies")
[ "$n" = "$COUNT" ] || tern_fail "capture holds $n UDP replies from port 7, expected $COUNT"
cmp -s "$TERN_TMP/requests" "$TERN_TMP/replies" ||
	tern_fail "UDP replies do not carry the requests' payloads back to their ports:
$(diff "$TERN_TMP/requests" "$TERN_TMP/replies" | head -n 6)"
n=$(cut -f2 "$TERN_TMP/requests" | sort -u | wc -l)
[ "$n" = "$COUNT" ] || tern_fail "only $n distinct request payloads in $COUNT requests"
tern_say "PASS: dpdk-dumpcap captured $total frames: ARP, ICMP, $COUNT UDP echoes with their payloads"
exit 0
