#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The one command of docs/performance.md: installs what is missing, builds,
# then runs the four comparisons one after the other and prints a summary
# against the targets of the bench harness:
#   latency_vs_kernel.sh      sockperf through ternd (AF_XDP) vs the kernel
#   throughput_vs_testpmd.sh  ternd echo vs testpmd 5tswap, one core, memif
#   loop_vs_testpmd.sh        loop rate with a testpmd 5tswap client: ternd vs testpmd
#   latency_vs_load.sh        latency vs offered load vs M/D/1 and M/M/1
# Results (JSON, and the PNG plot) in $BENCH_RESULTS (default build/bench-results).
# --quick runs shorter rounds (a check that everything works, not figures).
#
# usage: bench/compare/all.sh [--quick] [--no-build] [--no-install]
set -u

TERN_PROG=all.sh
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/lib.sh
. "$HERE/lib.sh"
CMP_EXTRA_PACKAGES=(gnuplot-nox)

QUICK=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	-h | --help) usage 0 ;;
	*) cmp_common_opt "$1" || usage 2 ;;
	esac
	shift
done

cmp_begin "$0" "$@"

lk_args=() tp_args=() lp_args=() ld_args=()
if [ "$QUICK" = 1 ]; then
	lk_args=(--rounds 1 --time 2)
	tp_args=(--rounds 1 --time 2)
	lp_args=(--rounds 1 --time 2)
	ld_args=(--time 1 --loads "0.1,0.5,0.9")
fi

failed=()
run() {
	local name=$1
	shift
	printf '\n==== %s ====\n' "$name"
	BUILD=$BUILD BENCH_RESULTS=$BENCH_RESULTS "$HERE/$name.sh" --no-build --no-install "$@" ||
		failed+=("$name")
}
run latency_vs_kernel "${lk_args[@]}"
run throughput_vs_testpmd "${tp_args[@]}"
run loop_vs_testpmd "${lp_args[@]}"
run latency_vs_load "${ld_args[@]}"

met() { # met CONDITION_TRUE(0/1) -> text
	if [ "$1" = 1 ]; then echo "met"; else echo "NOT met"; fi
}
j() { jq -r "$2" "$BENCH_RESULTS/$1.json" 2>/dev/null; }

printf '\n==== summary ====\n'
m=$(jq -r '"\(.cpus) vCPU \(.cpu), \(.os), kernel \(.kernel), DPDK \(.dpdk) (\(.dpdk_package))"' \
	<<<"$(cmp_machine_json)")
echo "machine: $m"
if [[ " ${failed[*]} " != *" latency_vs_kernel "* ]]; then
	f=latency_vs_kernel
	printf 'sockperf half round trip (us)   p50 %8.2f  p99 %8.2f  p99.9 %8.2f  ternd (%s)\n' \
		"$(j $f .median.ternd.p50_us)" "$(j $f .median.ternd.p99_us)" \
		"$(j $f .median.ternd.p999_us)" "$(j $f .setup.ternd_driver)"
	printf '                                p50 %8.2f  p99 %8.2f  p99.9 %8.2f  kernel\n' \
		"$(j $f .median.kernel.p50_us)" "$(j $f .median.kernel.p99_us)" \
		"$(j $f .median.kernel.p999_us)"
	printf 'latency ratio ternd/kernel      p50 %8.2f  p99 %8.2f  p99.9 %8.2f\n' \
		"$(j $f .ratio_ternd_over_kernel.p50)" "$(j $f .ratio_ternd_over_kernel.p99)" \
		"$(j $f .ratio_ternd_over_kernel.p999)"
	printf 'in-engine latency (ns)          p50 %8s  p99 %8s  p99.9 %8s\n' \
		"$(j $f .median.ternd.engine_p50_ns)" "$(j $f .median.ternd.engine_p99_ns)" \
		"$(j $f .median.ternd.engine_p999_ns)"
	echo "target: sockperf p99 through ternd below the kernel's: $(met "$(j $f \
		'if .ratio_ternd_over_kernel.p99 < 1 then 1 else 0 end')")"
	echo "target: in-engine p99 under 2 us: $(met "$(j $f \
		'if .median.ternd.engine_p99_ns < 2000 then 1 else 0 end')")"
fi
if [[ " ${failed[*]} " != *" throughput_vs_testpmd "* ]]; then
	f=throughput_vs_testpmd
	printf 'throughput, one core (Mpps)     ternd %.3f  testpmd 5tswap %.3f  ratio %.2f\n' \
		"$(j $f .median_Mpps.ternd)" "$(j $f .median_Mpps.testpmd)" \
		"$(j $f .ratio_ternd_over_testpmd)"
	cap=$(j $f '.testpmd_busy_capacity_Mpps // empty')
	[ -z "$cap" ] || printf '                                (testpmd busy-cycle capacity on its core: %.1f Mpps)\n' "$cap"
	echo "target: per-core throughput at or above testpmd 5tswap: $(met "$(j $f \
		'if .ratio_ternd_over_testpmd >= 1 then 1 else 0 end')")"
fi
if [[ " ${failed[*]} " != *" loop_vs_testpmd "* ]]; then
	f=loop_vs_testpmd
	printf 'loop rate (Mpps)                ternd %.3f  testpmd 5tswap %.3f  ratio %.2f\n' \
		"$(j $f .median_Mpps.ternd)" "$(j $f .median_Mpps.testpmd)" \
		"$(j $f .ratio_ternd_over_testpmd)"
	echo "                                (testpmd's figure: the client's own ceiling)"
fi
if [[ " ${failed[*]} " != *" latency_vs_load "* ]]; then
	echo "latency vs load: table $BENCH_RESULTS/latency_vs_load.json"
	echo "                 plot  $BENCH_RESULTS/latency_vs_load.png"
fi
quiet=$(jq -s 'map(.machine.quiet_at_start) | all' "$BENCH_RESULTS"/latency_vs_kernel.json \
	"$BENCH_RESULTS"/throughput_vs_testpmd.json "$BENCH_RESULTS"/loop_vs_testpmd.json \
	"$BENCH_RESULTS"/latency_vs_load.json 2>/dev/null)
[ "$quiet" = true ] ||
	echo "NOTE: the machine was not quiet before every run (see the warnings above): figures are noisy"
echo "(Debian's DPDK 22.11 is a debug build; timings on a shared VM are noisy: compare ratios)"
if [ ${#failed[@]} -gt 0 ]; then
	tern_err "failed: ${failed[*]}"
	exit 1
fi
