# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Shell helpers shared by scripts/run.sh and tests/integration/*.sh:
# starting and stopping ternd, reading its exit report, and a veth pair with
# one end in a network namespace. Source it; it defines functions and the
# TERND_PID/TERND_RC globals only. Callers own the clean-up trap and call
# tern_cleanup from it.

TERN_PROG=${TERN_PROG:-$(basename "$0")}
TERND_PID=
TERND_RC=
TERN_NETNS=
TERN_HOST_IF=
TERN_TMP=
TERN_PREFIX=
TERN_PREFIXES=()
TERN_DRIVER=
TERN_HUGE_DIR=
TERN_HUGE_ADDED=0
TERN_MEM_ARGS=(--no-huge -m 512)

tern_say() { printf '%s: %s\n' "$TERN_PROG" "$*"; }
tern_err() { printf '%s: error: %s\n' "$TERN_PROG" "$*" >&2; }
tern_die() { tern_err "$*"; exit 1; }

# tern_fail MSG: a failed assertion (the test goes on to clean up via trap).
# If the ternd the test started has died, the end of its log says why.
tern_fail() {
	printf '%s: FAIL: %s\n' "$TERN_PROG" "$*" >&2
	if [ -n "${TERND_PID:-}" ] && ! kill -0 "$TERND_PID" 2>/dev/null &&
		[ -n "${TERN_TMP:-}" ] && [ -s "$TERN_TMP/ternd.log" ]; then
		printf '%s: ternd has exited; the end of its log:\n' "$TERN_PROG" >&2
		tail -n 40 "$TERN_TMP/ternd.log" | sed 's/^/    /' >&2
	fi
	exit 1
}

# tern_need_root: integration tests need root for namespaces and DPDK.
tern_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		tern_say "SKIP: needs root"
		exit 77
	fi
}

# tern_need_var NAME...: each environment variable must name an existing file.
tern_need_var() {
	local v
	for v in "$@"; do
		[ -n "${!v:-}" ] || tern_die "\$$v is not set (run through 'meson test', or export it)"
		[ -e "${!v}" ] || tern_die "\$$v=${!v} does not exist (build first)"
	done
}

# tern_mktemp: a private temporary directory in TERN_TMP.
tern_mktemp() {
	TERN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tern.XXXXXX") || tern_die "mktemp failed"
}

# tern_prefix NAME: sets TERN_PREFIX to a unique EAL --file-prefix and
# remembers it for clean-up (its runtime directory and hugepage files).
tern_prefix() {
	TERN_PREFIX="tern_${1}_$$_${RANDOM}"
	TERN_PREFIXES+=("$TERN_PREFIX")
}

# ternd_start LOG ARGS...: starts "$TERND" ARGS... in the background, stdout and
# stderr to LOG. Sets TERND_PID.
ternd_start() {
	local log=$1
	shift
	# Empty the log here, not in the background job's redirection: that
	# runs whenever the job gets the CPU, and ternd_wait_ready could find
	# the "ready" line of an earlier ternd that used the same log first.
	: >"$log"
	"$TERND" "$@" >>"$log" 2>&1 </dev/null &
	TERND_PID=$!
}

# ternd_wait_ready LOG TIMEOUT_S: waits for "ternd: ready" in LOG. Returns 1 if
# ternd exited first or the time ran out (LOG is printed to stderr then).
ternd_wait_ready() {
	local log=$1 limit=$(($2 * 10)) i
	for ((i = 0; i < limit; i++)); do
		if grep -q '^ternd: ready' "$log"; then
			return 0
		fi
		if ! kill -0 "$TERND_PID" 2>/dev/null; then
			wait "$TERND_PID"
			TERND_RC=$?
			TERND_PID=
			tern_err "ternd exited with status $TERND_RC before it was ready:"
			sed 's/^/    /' "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	tern_err "ternd not ready after $2 s:"
	sed 's/^/    /' "$log" >&2
	return 1
}

# ternd_stop [TIMEOUT_S]: SIGTERM, wait for the exit (SIGKILL after the
# timeout). Sets TERND_RC (137 if it had to be killed).
ternd_stop() {
	local limit=$((${1:-20} * 10)) i
	[ -n "$TERND_PID" ] || return 0
	kill -TERM "$TERND_PID" 2>/dev/null
	for ((i = 0; i < limit; i++)); do
		kill -0 "$TERND_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TERND_PID" 2>/dev/null; then
		tern_err "ternd did not stop within ${1:-20} s of SIGTERM; killing it"
		kill -KILL "$TERND_PID" 2>/dev/null
	fi
	wait "$TERND_PID"
	TERND_RC=$?
	TERND_PID=
}

# ternd_counter LOG LINE_PREFIX NAME: prints counter NAME (e.g. rx) from the
# first line of LOG starting with LINE_PREFIX (e.g. "total:"), or nothing.
ternd_counter() {
	grep -m1 "^$2" "$1" | tr ' ' '\n' | sed -n "s/^$3=\(-\{0,1\}[0-9]\{1,\}\)\$/\1/p"
}

# The running ternd (prefix from tern_prefix), through its default control
# socket: tern_ctl ARGS... runs ternctl; tern_stat LINE_PREFIX NAME prints a
# counter of `show stats` (e.g. total: rx, pool: exhaustions); tern_port_stat
# NAME one of port 0's `show ports` fields (e.g. kernel_rx_dropped);
# tern_totals prints "RX TX DROPS" (DROPS: every drop_* summed) of the
# total, all from one snapshot, so that they can be compared;
# tern_totals_settled the same once RX = TX + DROPS (a frame of chatter may
# be between its counters at any one instant), or the last of 10 tries
# 0.1 s apart: a lasting difference is an uncounted or doubly counted frame.
tern_ctl() { "$TERNCTL" -s "/run/tern/$TERN_PREFIX.sock" "$@"; }
tern_stat() { tern_ctl show stats | ternd_counter /dev/stdin "$1" "$2"; }
tern_port_stat() {
	tern_ctl show ports | tr ' ' '\n' | sed -n "s/^$1=\([0-9]*\)$/\1/p" | head -1
}
tern_totals() {
	tern_ctl show stats | grep '^total:' | tr ' ' '\n' | awk -F= '
		$1 == "rx" { rx = $2 } $1 == "tx" { tx = $2 } $1 ~ /^drop_/ { d += $2 }
		END { print rx + 0, tx + 0, d + 0 }'
}
tern_totals_settled() {
	local i rx tx d
	for i in 1 2 3 4 5 6 7 8 9 10; do
		read -r rx tx d < <(tern_totals)
		[ "$rx" = $((tx + d)) ] && break
		sleep 0.1
	done
	echo "$rx $tx $d"
}

# ternd_check_exit LOG: asserts exit status 0, a report, and leaked=0.
ternd_check_exit() {
	local leaked
	[ "$TERND_RC" = 0 ] || tern_fail "ternd exited with status $TERND_RC (expected 0)"
	grep -q '^total:' "$1" || tern_fail "ternd printed no 'total:' counters line"
	leaked=$(ternd_counter "$1" 'mbufs:' leaked)
	[ -n "$leaked" ] || tern_fail "ternd printed no 'mbufs: ... leaked=N' line"
	[ "$leaked" = 0 ] || tern_fail "ternd leaked $leaked mbufs: $(grep '^mbufs:' "$1")"
}

# tern_veth_setup NETNS HOST_IF NS_IF NS_ADDR [NS_ADDR6]: a veth pair with
# NS_IF (holding NS_ADDR, e.g. 198.18.0.2/24) in a new namespace NETNS and
# HOST_IF, without addresses, left for DPDK. TX checksum offload is turned
# off on NS_IF, or the kernel sends unfinished checksums that ternd drops.
tern_veth_setup() {
	local ns=$1 hif=$2 nif=$3 addr=$4 addr6=${5:-}
	ip netns add "$ns" || return 1
	TERN_NETNS=$ns
	ip link add "$hif" type veth peer name "$nif" netns "$ns" || return 1
	TERN_HOST_IF=$hif
	# The kernel must not answer or chatter on the host end: it is ternd's.
	sysctl -qw "net.ipv6.conf.$hif.disable_ipv6=1" >/dev/null 2>&1 || true
	ip link set "$hif" up || return 1
	ip -n "$ns" link set lo up || return 1
	ip netns exec "$ns" ethtool -K "$nif" tx off >/dev/null || return 1
	ip -n "$ns" addr add "$addr" dev "$nif" || return 1
	if [ -n "$addr6" ]; then
		ip -n "$ns" addr add "$addr6" dev "$nif" nodad || return 1
	fi
	ip -n "$ns" link set "$nif" up || return 1
}

# ternd_start_veth NAME LOG HOST_IF ARGS...: starts ternd on HOST_IF (from
# tern_veth_setup) with a new prefix (tern_prefix NAME), on lcores 0,1
# without hugepages, ARGS being ternd's own options (after --), through
# AF_XDP, or through af_packet when TERN_FORCE_AF_PACKET=1. There is no
# silent fallback: if AF_XDP does not start, that is the failure the test
# reports. Sets TERN_DRIVER (af_xdp or af_packet); 0 when ternd is ready.
ternd_start_veth() {
	local name=$1 log=$2 hif=$3 drv=af_xdp vdev
	shift 3
	if [ "${TERN_FORCE_AF_PACKET:-0}" = 1 ]; then
		tern_say "TERN_FORCE_AF_PACKET=1: using af_packet"
		drv=af_packet
	fi
	vdev="net_${drv}0,iface=$hif"
	[ "$drv" = af_packet ] || vdev="$vdev,start_queue=0,queue_count=1"
	tern_prefix "$name"
	ternd_start "$log" -l 0,1 --no-huge -m 512 --no-pci \
		--file-prefix "$TERN_PREFIX" --vdev "$vdev" -- "$@"
	if ternd_wait_ready "$log" 60; then
		# shellcheck disable=SC2034 # for the caller
		TERN_DRIVER=$drv
		return 0
	fi
	ternd_stop 5
	tern_err "ternd did not start through $drv (TERN_FORCE_AF_PACKET=1 tries af_packet)"
	return 1
}

# tern_cleanup: stops ternd and removes what the helpers created. Safe to
# call more than once, and from an EXIT trap.
# ternd_start_memif NAME MEM_ARGS...: starts ternd (prefix from tern_prefix
# NAME; MEM_ARGS such as --no-huge -m 512) with a memif server port at
# $TERN_TMP/memif.sock and the responder in echo mode on UDP 7 of 198.18.0.1;
# 0 once ready. TERND_EXTRA_ARGS (an array, optional) are more ternd options.
ternd_start_memif() {
	local name=$1
	shift
	printf 'app load echo %s mode=echo\nbind udp 7 echo\n' "$RESPONDER" \
		>"$TERN_TMP/start.cmds"
	tern_prefix "$name"
	ternd_start "$TERN_TMP/ternd.log" -l 0,1 "$@" --no-pci --file-prefix "$TERN_PREFIX" \
		--vdev "net_memif0,role=server,socket=$TERN_TMP/memif.sock,socket-abstract=no" \
		-- --ip 198.18.0.1/24 --app-dir "$(dirname "$RESPONDER")" \
		--exec "$TERN_TMP/start.cmds" ${TERND_EXTRA_ARGS[@]+"${TERND_EXTRA_ARGS[@]}"}
	ternd_wait_ready "$TERN_TMP/ternd.log" 60
}

# memif_peer_start NAME COUNT SPORTS SIZE: runs $MEMIF_PEER (prefix from
# tern_prefix NAME) against ternd_start_memif's port in the background: ARP,
# ICMP, then COUNT UDP echoes to 198.18.0.1:7 from SPORTS source ports, SIZE
# bytes each; its output in $TERN_TMP/peer.log. It lingers after the
# exchange: DPDK 22.11's memif PMD may crash the side still polling when the
# other disconnects, so tests stop ternd first (memif_peer_wait_done,
# ternd_stop) and then reap the peer (memif_peer_finish).
memif_peer_start() {
	tern_prefix "$1"
	timeout 120 "$MEMIF_PEER" -l 0 --no-huge -m 256 --no-pci --file-prefix "$TERN_PREFIX" \
		--log-level=pmd.net.memif:warning \
		--vdev "net_memif0,role=client,socket=$TERN_TMP/memif.sock,socket-abstract=no" \
		-- --src-ip 198.18.0.2 --dst-ip 198.18.0.1 --dport 7 --count "$2" \
		--sports "$3" --size "$4" --timeout-ms 3000 --linger-ms 60000 \
		>"$TERN_TMP/peer.log" 2>&1 </dev/null &
	PEER_PID=$!
}

# memif_peer_wait_done: 0 once the peer printed "memif_peer: done" or exited.
memif_peer_wait_done() {
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -q '^memif_peer: done' "$TERN_TMP/peer.log" && return 0
		kill -0 "$PEER_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# memif_peer_finish: waits for the peer to exit; its status in PEER_RC.
# shellcheck disable=SC2034 # PEER_RC is for the sourcing test
memif_peer_finish() {
	PEER_RC=0
	wait "$PEER_PID" || PEER_RC=$?
	PEER_PID=
}

# tern_bg_start LOG CMD...: CMD in the background, its output in LOG, its
# pid in TERN_BG_PID (tern_cleanup kills it); fails if it dies at once.
tern_bg_start() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	TERN_BG_PID=$!
	sleep 0.5
	kill -0 "$TERN_BG_PID" 2>/dev/null || { cat "$log" >&2; tern_fail "'$*' died at once"; }
}

# tern_bg_stop: SIGUSR1 to the command tern_bg_start started (the clients
# stop sending, wait for their last replies and report), then its exit
# status in TERN_BG_RC.
tern_bg_stop() {
	kill -USR1 "$TERN_BG_PID" 2>/dev/null || tern_fail "the background client ended too early"
	wait "$TERN_BG_PID"
	TERN_BG_RC=$?
	TERN_BG_PID=
}

# tern_expect_err WANT CMD...: CMD (e.g. a ternctl command) must fail, and
# what it prints must contain WANT.
tern_expect_err() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		tern_fail "'$*' succeeded: $out"
	fi
	grep -qF -- "$want" <<<"$out" || tern_fail "'$*': got '$out', want '$want'"
}

# tern_host_memcached_start IF ADDR LOG [ARGS...]: memcached (UDP 11211 only,
# one thread, ARGS besides) on ADDR/24 of the host end IF of a veth pair,
# through the kernel; TX checksum offload off on IF (the kernel would leave
# UDP checksums unfinished, which a client reading raw frames counts as
# invalid). Its pid in TERN_BG_PID (tern_cleanup kills it).
tern_host_memcached_start() {
	local hif=$1 addr=$2 log=$3
	shift 3
	ip addr add "$addr/24" dev "$hif" || tern_fail "cannot address $hif"
	ethtool -K "$hif" tx off >/dev/null || tern_fail "cannot turn TX checksum offload off on $hif"
	memcached -U 11211 -p 0 -l "$addr" -t 1 -u root "$@" >"$log" 2>&1 &
	TERN_BG_PID=$!
	sleep 0.5
	kill -0 "$TERN_BG_PID" 2>/dev/null || { cat "$log" >&2; tern_fail "memcached died at once"; }
}

# tern_host_memcached_stop IF ADDR: stop it and take ADDR off IF again.
tern_host_memcached_stop() {
	kill "$TERN_BG_PID"
	wait "$TERN_BG_PID" 2>/dev/null
	TERN_BG_PID=
	ip addr del "$2/24" dev "$1"
}

tern_cleanup() {
	local p
	if [ -n "${TERN_BG_PID:-}" ]; then
		kill -KILL "$TERN_BG_PID" 2>/dev/null
		wait "$TERN_BG_PID" 2>/dev/null
		TERN_BG_PID=
	fi
	if [ -n "${PEER_PID:-}" ]; then
		kill -KILL "$PEER_PID" 2>/dev/null
		wait "$PEER_PID" 2>/dev/null
		PEER_PID=
	fi
	if [ -n "$TERND_PID" ]; then
		kill -TERM "$TERND_PID" 2>/dev/null
		sleep 0.5
		kill -KILL "$TERND_PID" 2>/dev/null
		wait "$TERND_PID" 2>/dev/null
		TERND_PID=
	fi
	if [ -n "$TERN_HOST_IF" ]; then
		ip link del "$TERN_HOST_IF" 2>/dev/null
		TERN_HOST_IF=
	fi
	if [ -n "$TERN_NETNS" ]; then
		ip netns pids "$TERN_NETNS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$TERN_NETNS" 2>/dev/null
		TERN_NETNS=
	fi
	for p in "${TERN_PREFIXES[@]}"; do
		rm -rf "/var/run/dpdk/$p"
		rm -f "/run/tern/$p.sock" # the default control socket, if ternd crashed
		rm -f /dev/hugepages/"$p"map_* 2>/dev/null
	done
	TERN_PREFIXES=()
	tern_huge_give_back
	if [ -n "$TERN_TMP" ]; then
		rm -rf "$TERN_TMP"
		TERN_TMP=
	fi
}

# tern_huge_take N: N more free 2 MB hugepages for this test, and a
# hugetlbfs of its own (TERN_HUGE_DIR, under TERN_TMP: give EAL --huge-dir).
# Returns 1 if the kernel could not provide them. tern_cleanup gives them
# back (tern_huge_give_back), so the machine ends as it began. (Not
# setup.sh's tern_hugepages_reserve, which sets the machine's total for
# scripts/run.sh and test.sh.)
tern_huge_take() {
	local want=$1 nr=/proc/sys/vm/nr_hugepages total free
	TERN_HUGE_DIR="$TERN_TMP/huge"
	mkdir -p "$TERN_HUGE_DIR"
	mount -t hugetlbfs -o pagesize=2M none "$TERN_HUGE_DIR" || { TERN_HUGE_DIR=; return 1; }
	total=$(cat "$nr")
	echo $((total + want)) >"$nr" 2>/dev/null
	TERN_HUGE_ADDED=$(($(cat "$nr") - total))
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	[ "$TERN_HUGE_ADDED" -ge "$want" ] && [ "${free:-0}" -ge "$want" ]
}

# tern_mem_setup: the EAL memory options of a test's ternd in TERN_MEM_ARGS:
# --no-huge -m 512, or with TERN_HUGE=1, 512 MB of 2 MB hugepages on a
# hugetlbfs of the test's own (tern_huge_take; given back by tern_cleanup).
# Call after tern_mktemp, in the test's own shell (it sets globals).
tern_mem_setup() {
	if [ "${TERN_HUGE:-0}" != 1 ]; then
		TERN_MEM_ARGS=(--no-huge -m 512)
		return 0
	fi
	tern_huge_take 256 || tern_fail "TERN_HUGE=1: could not reserve 256 free 2 MB hugepages"
	TERN_MEM_ARGS=(--huge-dir "$TERN_HUGE_DIR" -m 512)
	tern_say "TERN_HUGE=1: ternd on 2 MB hugepages at $TERN_HUGE_DIR"
}

# tern_huge_check_used: with TERN_HUGE=1, fail unless ternd's memory is on
# the test's hugetlbfs (its files take blocks there while it runs).
tern_huge_check_used() {
	local files used
	[ "${TERN_HUGE:-0}" = 1 ] || return 0
	files=$(find "$TERN_HUGE_DIR" -type f 2>/dev/null | wc -l)
	used=$(awk '/^HugePages_Total:/ { t = $2 } /^HugePages_Free:/ { f = $2 } END { print t - f }' /proc/meminfo)
	tern_say "TERN_HUGE=1: $files hugepage files under $TERN_HUGE_DIR, $used pages in use on the machine"
	[ "$files" -gt 0 ] && [ "${used:-0}" -gt 0 ] ||
		tern_fail "TERN_HUGE=1, yet ternd uses no hugepage of $TERN_HUGE_DIR"
}

# tern_huge_give_back: unmount the test's hugetlbfs (its files go with it)
# and give back the pages tern_huge_take added.
tern_huge_give_back() {
	local nr=/proc/sys/vm/nr_hugepages
	if [ -n "$TERN_HUGE_DIR" ]; then
		umount "$TERN_HUGE_DIR" 2>/dev/null || umount -l "$TERN_HUGE_DIR" 2>/dev/null
		TERN_HUGE_DIR=
	fi
	if [ "$TERN_HUGE_ADDED" -gt 0 ]; then
		echo $(($(cat "$nr") - TERN_HUGE_ADDED)) >"$nr" 2>/dev/null
		TERN_HUGE_ADDED=0
	fi
}
