#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tern in one command: install what is missing, build, reserve hugepages,
# put ternd on one end of a veth pair (AF_XDP; af_packet if AF_XDP cannot
# start) with the UDP responder in sockperf mode on port 11111, and measure
# UDP round trips with sockperf from a network namespace on the other end.
# Everything it creates is removed on exit.
#
# usage: scripts/run.sh [--time SECONDS] [--af-packet] [--no-huge] [--no-install]
set -u

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TERN_PROG=run.sh

# shellcheck source=SCRIPTDIR/lib/setup.sh
. "$ROOT/scripts/lib/setup.sh"
# shellcheck source=SCRIPTDIR/lib/tern.sh
. "$ROOT/scripts/lib/tern.sh"

DURATION=5
FORCE_AF_PACKET=0
USE_HUGE=1
INSTALL=1
TERN_ADDR=198.18.0.1
NS_ADDR=198.18.0.2
PORT=11111
HUGEPAGES=512

usage() {
	sed -n 's/^# usage: /usage: /p' "$0"
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--time)
		DURATION=${2:-}
		[ "$DURATION" -gt 0 ] 2>/dev/null || usage 2
		shift
		;;
	--af-packet) FORCE_AF_PACKET=1 ;;
	--no-huge) USE_HUGE=0 ;;
	--no-install) INSTALL=0 ;;
	-h | --help) usage 0 ;;
	*) usage 2 ;;
	esac
	shift
done

step=0
say_step() {
	step=$((step + 1))
	printf '\n[%d] %s\n' "$step" "$*"
}

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		echo "run.sh needs root (DPDK, namespaces); re-running with sudo"
		exec sudo BUILD="$BUILD" bash "$0" "$@"
	fi
	tern_die "run.sh needs root (DPDK, network namespaces)"
fi

cleanup() {
	tern_cleanup
	tern_hugepages_restore
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say_step "Checking packages"
if [ "$INSTALL" = 1 ]; then
	tern_install_deps || tern_die "package installation failed (see above)"
else
	echo "skipped (--no-install)"
fi

say_step "Building tern in $BUILD"
tern_mktemp
tern_build "$ROOT" "$BUILD" >"$TERN_TMP/build.log" 2>&1 || {
	cat "$TERN_TMP/build.log" >&2
	tern_die "build failed (output above)"
}
TERND="$BUILD/ternd"
RESPONDER="$BUILD/apps/udp_responder/libudp_responder.so"
tern_need_var TERND RESPONDER
echo "built $TERND and $RESPONDER"

say_step "Reserving hugepages"
mem_args=(--no-huge -m 512)
if [ "$USE_HUGE" = 1 ] && tern_hugepages_reserve "$HUGEPAGES"; then
	mem_args=(-m 512 --huge-unlink)
	echo "$HUGEPAGES x 2 MB hugepages, hugetlbfs on /dev/hugepages"
elif [ "$USE_HUGE" = 1 ]; then
	echo "could not reserve $HUGEPAGES hugepages: running with --no-huge (slower memory, same results)"
else
	echo "skipped (--no-huge)"
fi

say_step "Creating a veth pair and a network namespace"
ns="tern_run_$$"
hif="trh$$"
nif="trn$$"
tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_die "could not create the veth pair / namespace"
echo "$hif (ternd, $TERN_ADDR)  <->  $nif in netns $ns ($NS_ADDR); tx checksum offload off on $nif"

say_step "Starting ternd (control on lcore 0, worker on lcore 1)"
cat >"$TERN_TMP/start.cmds" <<EOF
app load sp $RESPONDER mode=sockperf
bind udp $PORT sp
EOF
start_ternd() {
	tern_prefix run
	ternd_start "$TERN_TMP/ternd.log" -l 0,1 "${mem_args[@]}" --no-pci \
		--file-prefix "$TERN_PREFIX" --vdev "$1" \
		-- --ip "$TERN_ADDR/24" --app-dir "$(dirname "$RESPONDER")" --exec "$TERN_TMP/start.cmds"
	ternd_wait_ready "$TERN_TMP/ternd.log" 60
}
driver="AF_XDP"
if [ "$FORCE_AF_PACKET" = 1 ] ||
	! start_ternd "net_af_xdp0,iface=$hif,start_queue=0,queue_count=1" 2>"$TERN_TMP/xdp.err"; then
	[ "$FORCE_AF_PACKET" = 1 ] || {
		sed 's/^/    /' "$TERN_TMP/xdp.err"
		echo "NOTE: AF_XDP could not start on $hif; falling back to af_packet (slower)"
	}
	ternd_stop 5
	driver="af_packet"
	start_ternd "net_af_packet0,iface=$hif" || tern_die "ternd did not start"
fi
grep '^port \|^ternd: ready' "$TERN_TMP/ternd.log"
echo "ternd is serving $TERN_ADDR on $hif through $driver; sockperf responder on UDP $PORT"

say_step "Checking reachability (ARP + ping)"
out=$(ip netns exec "$ns" ping -c 2 -W 2 "$TERN_ADDR") || {
	echo "$out" >&2
	tern_die "ping $TERN_ADDR failed"
}
echo "$out" | tail -2
ip netns exec "$ns" ip neigh show "$TERN_ADDR"

say_step "sockperf ping-pong for $DURATION s (client pinned to CPU 0 in $ns)"
ip netns exec "$ns" taskset -c 0 sockperf ping-pong -i "$TERN_ADDR" -p "$PORT" -t "$DURATION" \
	>"$TERN_TMP/sockperf.log" 2>&1
sp_rc=$?
sed -i 's/\x1b\[[0-9;]*m//g' "$TERN_TMP/sockperf.log" # sockperf colours its summary
grep -E 'Valid Duration|dropped messages|avg-latency|observations|percentile|<MAX>|<MIN>' \
	"$TERN_TMP/sockperf.log"
if [ "$sp_rc" -ne 0 ]; then
	cat "$TERN_TMP/sockperf.log" >&2
	tern_die "sockperf failed (status $sp_rc)"
fi
echo "(latencies are half round trips in usec, through the kernel stack in the namespace;"
echo " the Debian DPDK is a debug build, so treat figures as indicative)"

say_step "Stopping ternd (SIGTERM) and its counters"
ternd_stop 20
sed -n '/^ternd: .*stopping/,$p' "$TERN_TMP/ternd.log"
[ "$TERND_RC" = 0 ] || tern_die "ternd exited with status $TERND_RC"

say_step "Cleaning up"
msg="removed $ns, $hif, temporary files${TERN_HUGE_OLD:+, hugepages back to $TERN_HUGE_OLD}"
cleanup
echo "$msg"
echo
echo "done: ternd over $driver answered sockperf for $DURATION s."
