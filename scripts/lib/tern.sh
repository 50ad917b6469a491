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

tern_say() { printf '%s: %s\n' "$TERN_PROG" "$*"; }
tern_err() { printf '%s: error: %s\n' "$TERN_PROG" "$*" >&2; }
tern_die() { tern_err "$*"; exit 1; }

# tern_fail MSG: a failed assertion (the test goes on to clean up via trap).
tern_fail() { printf '%s: FAIL: %s\n' "$TERN_PROG" "$*" >&2; exit 1; }

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
	"$TERND" "$@" >"$log" 2>&1 </dev/null &
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

# tern_cleanup: stops ternd and removes what the helpers created. Safe to
# call more than once, and from an EXIT trap.
tern_cleanup() {
	local p
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
		rm -f /dev/hugepages/"$p"map_* 2>/dev/null
	done
	TERN_PREFIXES=()
	if [ -n "$TERN_TMP" ]; then
		rm -rf "$TERN_TMP"
		TERN_TMP=
	fi
}
