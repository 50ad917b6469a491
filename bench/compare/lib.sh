# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Helpers shared by the comparison scripts in bench/compare/: root, options,
# packages, the build, the results directory, medians and ratios, and a JSON
# description of the machine. Source it after setting TERN_PROG; it sources
# scripts/lib/setup.sh and scripts/lib/tern.sh (whose tern_cleanup the
# scripts call from their EXIT trap).

CMP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$CMP_ROOT/build}
BENCH_RESULTS=${BENCH_RESULTS:-$BUILD/bench-results}
CMP_INSTALL=${CMP_INSTALL:-1}
CMP_BUILD=${CMP_BUILD:-1}
CMP_EXTRA_PACKAGES=()

# shellcheck source=SCRIPTDIR/../../scripts/lib/setup.sh
. "$CMP_ROOT/scripts/lib/setup.sh"
# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$CMP_ROOT/scripts/lib/tern.sh"

# cmp_need_root SCRIPT ARGS...: re-runs SCRIPT with sudo when not root.
cmp_need_root() {
	local script=$1
	shift
	[ "$(id -u)" -eq 0 ] && return 0
	if command -v sudo >/dev/null; then
		echo "$TERN_PROG needs root (DPDK, network namespaces); re-running with sudo"
		exec sudo BUILD="$BUILD" BENCH_RESULTS="$BENCH_RESULTS" CMP_INSTALL="$CMP_INSTALL" \
			CMP_BUILD="$CMP_BUILD" bash "$script" "$@"
	fi
	tern_die "needs root (DPDK, network namespaces)"
}

# usage [STATUS]: prints the calling script's "# usage:" line and exits.
usage() {
	sed -n 's/^# usage: /usage: /p' "$0"
	exit "${1:-0}"
}

# cmp_common_opt OPT: handles the options every script takes; 1 if OPT is
# not one of them.
cmp_common_opt() {
	case "$1" in
	--no-install) CMP_INSTALL=0 ;;
	--no-build) CMP_BUILD=0 ;;
	*) return 1 ;;
	esac
}

# cmp_prepare: installs what is missing (TERN_PACKAGES plus
# CMP_EXTRA_PACKAGES), builds into $BUILD and creates $BENCH_RESULTS.
cmp_prepare() {
	if [ "$CMP_INSTALL" = 1 ]; then
		TERN_PACKAGES+=("${CMP_EXTRA_PACKAGES[@]}")
		tern_install_deps >/dev/null || tern_die "package installation failed"
	fi
	if [ "$CMP_BUILD" = 1 ]; then
		tern_say "building tern in $BUILD"
		tern_build "$CMP_ROOT" "$BUILD" >"$TERN_TMP/build.log" 2>&1 || {
			cat "$TERN_TMP/build.log" >&2
			tern_die "build failed (output above)"
		}
	fi
	mkdir -p "$BENCH_RESULTS" || tern_die "cannot create $BENCH_RESULTS"
}

# cmp_median: the median of the numbers on stdin, one a line ("" if none).
cmp_median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) exit
		      if (NR % 2) print v[(NR + 1) / 2]
		      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# cmp_ratio A B: A / B with 2 decimals ("n/a" when B is 0 or either is empty).
cmp_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) print "n/a"
		else printf "%.2f\n", a / b }'
}

# cmp_machine_json: the machine the figures come from, as a JSON object.
cmp_machine_json() {
	local cpu os dpdk debug
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
	dpdk=$(pkg-config --modversion libdpdk 2>/dev/null)
	# Debian's librte_eal is built without -DNDEBUG and with -O2 -g ("debug"
	# build in Google Benchmark's sense): say which package it came from.
	debug=$(dpkg-query -W -f='${Package} ${Version}' 'librte-eal*' 2>/dev/null | head -1)
	jq -n --arg cpu "$cpu" --arg os "$os" --arg kernel "$(uname -r)" \
		--arg dpdk "$dpdk" --arg eal "$debug" --argjson cpus "$(nproc)" \
		--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson quiet "${CMP_QUIET:-null}" \
		'{cpu: $cpu, cpus: $cpus, os: $os, kernel: $kernel, dpdk: $dpdk,
		  dpdk_package: $eal, date: $date,
		  quiet_at_start: (if $quiet == null then null else $quiet == 1 end)}'
}

# cmp_results_file NAME: the path of a result file in $BENCH_RESULTS.
cmp_results_file() {
	printf '%s/%s\n' "$BENCH_RESULTS" "$1"
}

# The memif rendezvous: the responder (ternd or testpmd) is the memif server
# with this MAC; tern-bench is the client and sends to it without ARP.
CMP_SERVER_MAC=02:00:00:00:00:01
CMP_SERVER_IP=198.18.0.1
CMP_CLIENT_IP=198.18.0.2
BENCH_PID=

# cmp_memif_vdev ROLE [EXTRA]: the memif vdev at $TERN_TMP/memif.sock.
cmp_memif_vdev() {
	printf 'net_memif0,role=%s,socket=%s/memif.sock,socket-abstract=no%s\n' \
		"$1" "$TERN_TMP" "${2:+,$2}"
}

# cmp_ternd_memif NAME EXEC_FILE: ternd (worker on lcore 1, control thread on
# lcore 0, no hugepages) as the memif server with CMP_SERVER_MAC, running the
# commands in EXEC_FILE; 0 once ready. Log: $TERN_TMP/ternd.log.
cmp_ternd_memif() {
	tern_prefix "$1"
	# A stale log would say "ready" before this ternd is.
	rm -f "$TERN_TMP/memif.sock" "$TERN_TMP/ternd.log"
	ternd_start "$TERN_TMP/ternd.log" -l 0,1 --no-huge -m 512 --no-pci \
		--file-prefix "$TERN_PREFIX" --log-level=pmd.net.memif:warning \
		--vdev "$(cmp_memif_vdev server "mac=$CMP_SERVER_MAC")" \
		-- --ip "$CMP_SERVER_IP/24" --app-dir "$(dirname "$RESPONDER")" --exec "$2"
	ternd_wait_ready "$TERN_TMP/ternd.log" 60
}

# cmp_bench_start NAME OUT ARGS...: tern-bench (lcore 0) as the memif client,
# in the background, its JSON on OUT and its stderr on OUT.err; ARGS are its
# own options (after --; addresses and MAC are added here). It lingers on the
# port after its runs: the memif server must disconnect first (DPDK 22.11's
# memif PMD may crash the side still polling when the other one leaves).
cmp_bench_start() {
	local name=$1 out=$2
	shift 2
	tern_prefix "$name"
	"$TERN_BENCH" -l 0 --no-huge -m 512 --no-pci --file-prefix "$TERN_PREFIX" \
		--log-level=pmd.net.memif:warning --vdev "$(cmp_memif_vdev client)" \
		-- --benchmark_format=json --dst-ip "$CMP_SERVER_IP" --src-ip "$CMP_CLIENT_IP" \
		--dst-mac "$CMP_SERVER_MAC" --linger-ms 60000 "$@" >"$out" 2>"$out.err" </dev/null &
	BENCH_PID=$!
}

# cmp_bench_wait OUT LIMIT_S: waits until tern-bench says "tern-bench: done"
# (its runs are over; it lingers) or exits. 1 if it exited early or the time
# ran out (its stderr is printed then).
cmp_bench_wait() {
	local out=$1 limit=$(($2 * 10)) i
	for ((i = 0; i < limit; i++)); do
		grep -qs '^tern-bench: done' "$out.err" && return 0
		kill -0 "$BENCH_PID" 2>/dev/null || break
		sleep 0.1
	done
	tern_err "tern-bench did not finish its runs (it $(kill -0 "$BENCH_PID" 2>/dev/null &&
		echo 'is still running' || echo exited)); its stderr:"
	sed 's/^/    /' "$out.err" >&2
	return 1
}

# cmp_bench_json OUT: 0 if OUT holds tern-bench's complete JSON report
# (call after cmp_bench_finish: stdout is flushed at exit).
cmp_bench_json() {
	[ -s "$1" ] && jq -e '.benchmarks | length > 0' "$1" >/dev/null 2>&1 && return 0
	tern_err "tern-bench wrote no complete JSON report; its stderr:"
	sed 's/^/    /' "$1.err" >&2
	return 1
}

# cmp_bench_finish: reaps tern-bench after the responder stopped (it then
# sees the memif link go down and exits); killed after 10 s.
cmp_bench_finish() {
	[ -n "$BENCH_PID" ] || return 0
	cmp_reap "$BENCH_PID" 100
	BENCH_PID=
}

# cmp_reap PID TENTHS: wait up to TENTHS tenths of a second for PID to end,
# then kill it, and reap it.
cmp_reap() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# The responder testpmd (cmp_testpmd_memif): its pid while it runs, the
# file descriptor holding its stdin FIFO open, and the command.
CMP_TESTPMD_PID=
CMP_TESTPMD_FD=
CMP_TESTPMD=

# cmp_need_testpmd: sets CMP_TESTPMD to dpdk-testpmd, or dies.
cmp_need_testpmd() {
	[ -n "$CMP_TESTPMD" ] && return 0
	CMP_TESTPMD=$(command -v dpdk-testpmd) ||
		tern_die "dpdk-testpmd is not installed (apt-get install dpdk)"
}

# cmp_testpmd_memif NAME [ARG...]: `dpdk-testpmd --forward-mode=5tswap` as
# the memif server with CMP_SERVER_MAC, forwarding from the start on lcore 1
# (CPU 1; the main lcore on CPU 0 waits on stdin), no hugepages, 8192 mbufs,
# ARG... being more testpmd options; prefix from tern_prefix NAME. Its stdin
# is a FIFO this shell holds open and never writes to (testpmd without -i
# exits at the first line). Dies if it does not start. Log:
# $TERN_TMP/testpmd.log.
cmp_testpmd_memif() {
	local name=$1 i
	shift
	cmp_need_testpmd
	if [ -z "$CMP_TESTPMD_FD" ]; then
		mkfifo "$TERN_TMP/testpmd.stdin" || tern_die "mkfifo failed"
		exec {CMP_TESTPMD_FD}<>"$TERN_TMP/testpmd.stdin"
	fi
	tern_prefix "$name"
	# A stale log would say "Press enter" before this testpmd is up.
	rm -f "$TERN_TMP/memif.sock" "$TERN_TMP/testpmd.log"
	# stdbuf: testpmd prints "Press enter to exit" through a buffered stdout.
	stdbuf -oL "$CMP_TESTPMD" -l 0,1 --no-huge -m 512 --no-pci --file-prefix "$TERN_PREFIX" \
		--log-level=pmd.net.memif:warning \
		--vdev "$(cmp_memif_vdev server "mac=$CMP_SERVER_MAC")" \
		-- --forward-mode=5tswap --auto-start --nb-cores=1 --rxq=1 --txq=1 \
		--total-num-mbufs=8192 "$@" <"$TERN_TMP/testpmd.stdin" >"$TERN_TMP/testpmd.log" 2>&1 &
	CMP_TESTPMD_PID=$!
	for ((i = 0; i < 600; i++)); do
		grep -qs 'Press enter to exit' "$TERN_TMP/testpmd.log" && return 0
		kill -0 "$CMP_TESTPMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/    /' "$TERN_TMP/testpmd.log" >&2
	tern_die "testpmd did not start forwarding"
}

# cmp_testpmd_stop: SIGTERM to the responder testpmd (it stops forwarding,
# prints its statistics to its log and exits); SIGKILL after 20 s.
cmp_testpmd_stop() {
	[ -n "$CMP_TESTPMD_PID" ] || return 0
	kill -TERM "$CMP_TESTPMD_PID" 2>/dev/null
	cmp_reap "$CMP_TESTPMD_PID" 200
	CMP_TESTPMD_PID=
}

# CMP_ON_EXIT: the name of a function of the calling script that cmp_cleanup
# runs first (to stop what only that script starts), or empty.
CMP_ON_EXIT=

# cmp_cleanup: for the EXIT trap: CMP_ON_EXIT, then kills tern-bench, the
# responder testpmd and the kernel's sockperf server if they run, then
# tern_cleanup.
cmp_cleanup() {
	local p
	[ -z "$CMP_ON_EXIT" ] || "$CMP_ON_EXIT"
	for p in "$BENCH_PID" "$CMP_TESTPMD_PID" "$CMP_SERVER_PID"; do
		[ -n "$p" ] || continue
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BENCH_PID=
	CMP_TESTPMD_PID=
	CMP_SERVER_PID=
	if [ -n "$CMP_TESTPMD_FD" ]; then
		exec {CMP_TESTPMD_FD}>&-
		CMP_TESTPMD_FD=
	fi
	tern_cleanup
}

# cmp_begin SCRIPT ARGS...: how every comparison starts once its options are
# read: root (cmp_need_root re-runs SCRIPT ARGS with sudo), cmp_cleanup on
# exit, exit status 130 on INT/TERM, $TERN_TMP, then cmp_prepare.
cmp_begin() {
	cmp_need_root "$@"
	trap cmp_cleanup EXIT
	trap 'exit 130' INT TERM
	tern_mktemp
	cmp_prepare
}

# The sockperf comparisons (idle_cost.sh, latency_vs_kernel.sh): ternd or the
# kernel answers on the host end of a veth pair, the sockperf client runs in
# a network namespace. Set by cmp_sockperf_setup; CMP_SERVER_PID is the
# kernel's sockperf server while it runs (killed by cmp_cleanup).
CMP_NS=
CMP_HIF=
CMP_NIF=
CMP_SERVER_PID=

# cmp_sockperf_setup TAG: after cmp_begin: TERND, TERNCTL and RESPONDER (the
# UDP responder) from $BUILD; sockperf, ethtool, jq and taskset installed; a
# veth pair, host end $CMP_HIF, the other end $CMP_NIF with $NS_ADDR/24 in
# netns $CMP_NS (TAG, two letters, and $$ make the names unique);
# $TERN_TMP/start.cmds, ternd's --exec file, loading the responder in
# sockperf mode on UDP $PORT; RUNS, an empty file for the runs' JSON lines.
cmp_sockperf_setup() {
	local tag=$1 t
	TERND="$BUILD/ternd"
	# shellcheck disable=SC2034 # for the caller
	TERNCTL="$BUILD/ternctl"
	RESPONDER="$BUILD/apps/udp_responder/libudp_responder.so"
	tern_need_var TERND TERNCTL RESPONDER
	for t in sockperf ethtool jq taskset; do
		command -v "$t" >/dev/null || tern_die "$t is not installed"
	done
	CMP_NS="tern_${tag}_$$"
	CMP_HIF="t${tag}h$$"
	CMP_NIF="t${tag}n$$"
	tern_veth_setup "$CMP_NS" "$CMP_HIF" "$CMP_NIF" "$NS_ADDR/24" ||
		tern_die "could not create the veth pair $CMP_HIF <-> $CMP_NS:$CMP_NIF"
	printf 'app load sp %s mode=sockperf\nbind udp %s sp\n' "$RESPONDER" "$PORT" \
		>"$TERN_TMP/start.cmds"
	RUNS="$TERN_TMP/runs.jsonl"
	: >"$RUNS"
}

# in_ns CMD...: runs CMD in the sockperf comparisons' namespace.
in_ns() { ip netns exec "$CMP_NS" "$@"; }

# cmp_ternd_veth TAG [ARG...]: a fresh ternd on $CMP_HIF at $TERN_ADDR/24
# (AF_XDP, else af_packet: TERN_DRIVER says which) running start.cmds, with
# the ternd options ARG...; dies if it does not start. Log: $TERN_TMP/ternd.log.
cmp_ternd_veth() {
	local tag=$1
	shift
	rm -f "$TERN_TMP/ternd.log" # a stale "ready" line would not be this ternd's
	ternd_start_veth "$tag" "$TERN_TMP/ternd.log" "$CMP_HIF" --ip "$TERN_ADDR/24" "$@" \
		--app-dir "$(dirname "$RESPONDER")" --exec "$TERN_TMP/start.cmds" ||
		tern_die "ternd${*:+ $*} did not start on $CMP_HIF"
}

# cmp_reach WHAT: fresh ARP, then two pings from the namespace to $TERN_ADDR
# (WHAT answers there); dies if they fail.
cmp_reach() {
	in_ns ip neigh flush dev "$CMP_NIF"
	in_ns ping -c 2 -W 2 -q "$TERN_ADDR" >/dev/null ||
		tern_die "$1: ping $TERN_ADDR from $CMP_NS failed"
}

# cmp_sp_parse LOG: "p50 p99 p999 avg observations" (us; avg "null" and
# observations 0 when sockperf does not print them) from a sockperf client
# log, or nothing when the percentiles are missing.
cmp_sp_parse() {
	sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
		/percentile 50\.000 =/ { p50 = $NF }
		/percentile 99\.000 =/ { p99 = $NF }
		/percentile 99\.900 =/ { p999 = $NF }
		/avg-latency=/ { sub(/.*avg-latency=/, ""); sub(/ .*/, ""); avg = $0 }
		/Total [0-9]+ observations/ { for (i = 1; i <= NF; i++) if ($i == "Total") n = $(i + 1) }
		END { if (p50 != "" && p99 != "" && p999 != "")
			print p50, p99, p999, (avg == "" ? "null" : avg), (n == "" ? 0 : n) }'
}

# cmp_sp_result WHAT STATUS LOG: a sockperf client's run, which exited with
# STATUS and wrote LOG: sets the array CMP_SP to "p50 p99 p999 avg
# observations" (cmp_sp_parse); if it failed or printed no percentiles,
# prints LOG and dies naming WHAT.
cmp_sp_result() {
	local what=$1 status=$2 log=$3 vals=
	[ "$status" != 0 ] || vals=$(cmp_sp_parse "$log")
	if [ -z "$vals" ]; then
		cat "$log" >&2
		[ "$status" = 0 ] || tern_die "$what failed (exit status $status)"
		tern_die "$what: no percentiles in sockperf's output"
	fi
	# shellcheck disable=SC2034 # for the caller
	read -r -a CMP_SP <<<"$vals"
}

# cmp_find_tern_bench: sets TERN_BENCH to the built tern-bench (where
# bench/meson.build puts it), unless the environment already names one.
cmp_find_tern_bench() {
	local c
	[ -n "${TERN_BENCH:-}" ] && return 0
	for c in "$BUILD/bench/tern-bench" "$BUILD/bench/loadgen/tern-bench"; do
		if [ -x "$c" ]; then
			TERN_BENCH=$c
			return 0
		fi
	done
	TERN_BENCH="$BUILD/bench/tern-bench"
}

# cmp_others [PID...]: the benchmark and DPDK processes running besides the
# PIDs given, as "comm(pid), ..." ("" if none).
cmp_others() {
	ps -C ternd,tern-bench,dpdk-testpmd,sockperf,bench_fastpath -o pid=,comm= 2>/dev/null |
		awk -v mine=" $* " 'index(mine, " " $1 " ") == 0 {
			printf "%s%s(%s)", (n++ ? ", " : ""), $2, $1 }'
}

# cmp_cpu_snap PID...: "TOTAL OURS" in clock ticks: the time of every CPU
# so far (idle included, steal too), and the CPU time of the PIDs (all their
# threads). Two snapshots give cmp_cpu_other_pct.
cmp_cpu_snap() {
	local p ours=0 t
	for p in "$@"; do
		[ -n "$p" ] || continue
		# Fields after the ")" that ends the command name: utime is the
		# 12th, stime the 13th.
		t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		ours=$((ours + ${t:-0}))
	done
	awk -v ours="$ours" '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, ours; exit }' /proc/stat
}

# cmp_cpu_other_pct "TOTAL0 OURS0" "TOTAL1 OURS1": the share (in %) of all
# CPUs' time between two cmp_cpu_snap snapshots that the PIDs did not get:
# idle time, other processes, the kernel's work outside them, steal. When
# the PIDs busy-poll every CPU, that is what the rest of the machine took
# from them.
cmp_cpu_other_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
		t = y[1] - x[1]; o = y[2] - x[2]
		if (t <= 0) print "null"; else printf "%.1f\n", 100 * (t - o) / t }'
}

# cmp_check_quiet: warns when the machine is not quiet: other DPDK or
# benchmark processes running, or the CPUs less than 80% idle over a second
# before the measurement starts. Busy-polling neighbours share the cores the
# figures are about; the scripts go on, but the warning is in their output.
cmp_check_quiet() {
	local others idle
	others=$(cmp_others "$$")
	idle=$({
		head -1 /proc/stat
		sleep 1
		head -1 /proc/stat
	} | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i; idle[NR] = $5 + $6; tot[NR] = t }
		END { printf "%.0f", 100 * (idle[2] - idle[1]) / (tot[2] - tot[1]) }')
	CMP_QUIET=1
	if [ -n "$others" ]; then
		tern_say "WARNING: other benchmark/DPDK processes are running: $others"
		CMP_QUIET=0
	fi
	if [ "$idle" -lt 80 ]; then
		tern_say "WARNING: the CPUs were only $idle% idle before the run"
		CMP_QUIET=0
	fi
	[ "$CMP_QUIET" = 1 ] ||
		tern_say "WARNING: figures taken now share the cores with that load: treat them as noise"
	return 0
}
