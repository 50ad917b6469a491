#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Per-core throughput: ternd (UDP responder in echo mode) against
# `dpdk-testpmd --forward-mode=5tswap`, on the same virtual device (a memif
# server port, no hugepages, MAC 02:00:00:00:00:01), forwarding on the same
# core (lcore 1; lcore 0 is the main lcore, asleep), with the same traffic:
# tern-bench on core 0 as the memif client, closed loop with many requests
# outstanding, UDP requests it checks reply by reply. 5tswap swaps MACs,
# IPs and UDP ports, which is exactly an echo. Runs alternate (ternd,
# testpmd, ternd, testpmd, ...); the script prints each run's Mpps, the
# medians and the ratio ternd/testpmd.
#
# A generator slower than both responders measures itself, so the
# generator is chosen first (--generator, default auto): auto runs
# loop_vs_testpmd.sh with both clients (tern-bench, and testpmd 5tswap
# primed with tx_first) against both responders, and reports the ratio
# under tern-bench if it kept up with the testpmd client (at least 0.9x
# against the testpmd responder), under the testpmd loop otherwise, and
# says which and why. --generator testpmd runs the testpmd loop alone;
# --generator tern-bench the tern-bench runs described above (64 flows).
# Results: $BENCH_RESULTS/throughput_vs_testpmd.json.
#
# usage: bench/compare/throughput_vs_testpmd.sh [--generator auto|tern-bench|testpmd] [--rounds N] [--time SECONDS] [--outstanding N] [--size BYTES] [--no-build] [--no-install]
set -u

TERN_PROG=throughput_vs_testpmd.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

ROUNDS=3
DURATION=5
WARMUP=1
OUTSTANDING=256
SIZE=64
FLOWS=64
PORT=7
GENERATOR=auto
LOOP_ARGS=()

while [ $# -gt 0 ]; do
	case "$1" in
	--generator) GENERATOR=${2:-}; shift ;;
	--rounds) ROUNDS=${2:-}; shift ;;
	--time) DURATION=${2:-}; shift ;;
	--outstanding) OUTSTANDING=${2:-}; shift ;;
	--size) SIZE=${2:-}; shift ;;
	-h | --help) usage 0 ;;
	*) cmp_common_opt "$1" || usage 2; LOOP_ARGS+=("$1") ;;
	esac
	shift
done
case "$GENERATOR" in auto | tern-bench | testpmd) ;; *) usage 2 ;; esac
[ "$ROUNDS" -gt 0 ] 2>/dev/null || usage 2
[ "$DURATION" -gt 0 ] 2>/dev/null || usage 2
[ "$OUTSTANDING" -gt 0 ] 2>/dev/null || usage 2
[ "$SIZE" -gt 0 ] 2>/dev/null || usage 2

# The testpmd loop as the generator (auto: with tern-bench alternated in):
# loop_vs_testpmd.sh measures, this picks the figure and writes the result.
by_loop() {
	local clients=testpmd loop out keeps ratio gen why
	[ "$GENERATOR" = auto ] && clients=both
	"$(dirname "$(readlink -f "$0")")/loop_vs_testpmd.sh" --client "$clients" --dut both \
		--rounds "$ROUNDS" --time "$DURATION" "${LOOP_ARGS[@]}" || exit
	loop=$(cmp_results_file loop_vs_testpmd.json)
	keeps=$(jq -r '.tern_bench_keeps_up // false' "$loop")
	if [ "$keeps" = true ]; then
		gen=tern-bench
		why="tern-bench kept up: $(jq -r '.ratio_tern_bench_over_testpmd_client * 100 | round / 100' "$loop")x the testpmd client's loop rate against testpmd"
		ratio=$(jq -r '.ratio_ternd_over_testpmd_tern_bench_client' "$loop")
	else
		gen="testpmd loop"
		why=$([ "$GENERATOR" = auto ] &&
			echo "tern-bench did not keep up: $(jq -r '.ratio_tern_bench_over_testpmd_client * 100 | round / 100' "$loop")x the testpmd client's loop rate (0.9 needed)" ||
			echo "chosen with --generator testpmd")
		ratio=$(jq -r '.ratio_ternd_over_testpmd' "$loop")
	fi
	out=$(cmp_results_file throughput_vs_testpmd.json)
	jq --arg g "$gen" --arg why "$why" --argjson r "$ratio" \
		'{benchmark: "throughput_vs_testpmd", generator: $g, generator_why: $why,
		  ratio_ternd_over_testpmd: $r, loop: .}' "$loop" >"$out" ||
		tern_die "could not write $out"
	echo
	echo "throughput_vs_testpmd: generator: $gen ($why)"
	printf '  ratio    %7s  (ternd/testpmd under that generator)\n' \
		"$(jq -rn --argjson r "$ratio" 'if $r == null then "none" else $r * 100 | round / 100 end')"
	echo "  results: $out"
	exit 0
}
[ "$GENERATOR" = tern-bench ] || by_loop

TESTPMD_BURSTS=
TESTPMD_CPP=
cmp_begin "$0" "$@"
cmp_check_quiet
TERND="$BUILD/ternd"
RESPONDER="$BUILD/apps/udp_responder/libudp_responder.so"
cmp_find_tern_bench
tern_need_var TERND RESPONDER TERN_BENCH
cmp_need_testpmd

cat >"$TERN_TMP/start.cmds" <<EOF
app load echo $RESPONDER mode=echo
bind udp $PORT echo
EOF

RUNS="$TERN_TMP/runs.jsonl"
: >"$RUNS"

start_ternd() {
	cmp_ternd_memif tp "$TERN_TMP/start.cmds" || tern_die "ternd did not start"
}
stop_ternd() {
	ternd_stop 20
	[ "$TERND_RC" = 0 ] || tern_die "ternd exited with status $TERND_RC:
$(tail -20 "$TERN_TMP/ternd.log")"
}

start_testpmd() {
	cmp_testpmd_memif tpmd --record-burst-stats --record-core-cycles
}
stop_testpmd() {
	cmp_testpmd_stop
	# Mostly full RX bursts mean testpmd had a queue waiting (it was the
	# bottleneck); mostly small ones mean it waited for the generator.
	TESTPMD_BURSTS=$(grep -m1 'RX-bursts' "$TERN_TMP/testpmd.log" | sed 's/^[[:space:]]*//')
	# Busy cycles per forwarded packet: testpmd's own capacity on this core
	# is the TSC rate divided by it, whatever the generator could offer.
	TESTPMD_CPP=$(grep -m1 'CPU cycles/packet' "$TERN_TMP/testpmd.log" | sed 's/^[[:space:]]*//')
}

# measure TARGET ROUND STOP_FN: one tern-bench run against the responder that
# is up; STOP_FN stops the responder (first: see cmp_bench_start).
measure() {
	local target=$1 round=$2 out="$TERN_TMP/bench_${1}_$2.json" b
	cmp_bench_start "tb_$target" "$out" --dport "$PORT" --size "$SIZE" --flows "$FLOWS" \
		--mode closed --outstanding "$OUTSTANDING" --duration "$DURATION" \
		--warmup "$WARMUP" --timeout-ms 1000 --label "$target"
	cmp_bench_wait "$out" $((DURATION + WARMUP + 60)) || tern_die "$target: tern-bench failed"
	"$3"
	cmp_bench_finish
	cmp_bench_json "$out" || tern_die "$target: no results"
	b=$(jq -c '.benchmarks[0]' "$out")
	if ! awk -v m="$(jq -r '.Mpps // 0' <<<"$b" 2>/dev/null | head -1)" 'BEGIN { exit !(m + 0 > 0) }'; then
		mkdir -p "$BENCH_RESULTS/failed" && cp "$out" "$out.err" "$BENCH_RESULTS/failed/"
		tern_say "round $round $target: no valid result ($(jq -r '.error_message // "no Mpps"' \
			<<<"$b"); tern-bench: $(tail -1 "$out.err")); trying again"
		return 1
	fi
	printf '  round %d  %-8s %7.3f Mpps  (sent %s, received %s, late %s, lost %s, invalid %s; p50 %.1f us, p99 %.1f us)\n' \
		"$round" "$target" "$(jq -r .Mpps <<<"$b")" "$(jq -r .sent <<<"$b")" \
		"$(jq -r .received <<<"$b")" "$(jq -r .late <<<"$b")" "$(jq -r .lost <<<"$b")" \
		"$(jq -r .invalid <<<"$b")" "$(jq -r .p50_us <<<"$b")" "$(jq -r .p99_us <<<"$b")"
	if [ "$target" = testpmd ] && [ -n "$TESTPMD_BURSTS" ]; then
		printf '                    testpmd %s\n' "$TESTPMD_BURSTS"
		[ -z "$TESTPMD_CPP" ] || printf '                    testpmd %s\n' "$TESTPMD_CPP"
	fi
	local cpp=null mhz=null
	if [ "$target" = testpmd ] && [ -n "$TESTPMD_CPP" ]; then
		cpp=$(sed -n 's|.*cycles/packet=\([0-9.]*\).*|\1|p' <<<"$TESTPMD_CPP")
		mhz=$(sed -n 's|.* at \([0-9]*\) MHz.*|\1|p' <<<"$TESTPMD_CPP")
	fi
	jq -c --arg t "$target" --argjson r "$round" --argjson cpp "${cpp:-null}" \
		--argjson mhz "${mhz:-null}" \
		'{target: $t, round: $r, busy_cycles_per_packet: $cpp,
		  busy_capacity_Mpps: (if $cpp then $mhz / $cpp else null end), Mpps: .Mpps, achieved_pps: .achieved_pps, sent: .sent,
		  received: .received, lost: .lost, late: .late, dup: .dup, invalid: .invalid,
		  p50_us: .p50_us, p99_us: .p99_us}' <<<"$b" >>"$RUNS"
}

tern_say "$ROUNDS rounds, $DURATION s each after ${WARMUP} s of warm-up: tern-bench closed loop," \
	"$OUTSTANDING outstanding, $SIZE-byte UDP payloads, $FLOWS flows, over memif;" \
	"responder forwarding on lcore 1, generator on lcore 0"
for ((r = 1; r <= ROUNDS; r++)); do
	for target in ternd testpmd; do
		# One retry: a memif connection that never came up is not a figure.
		for attempt in 1 2; do
			"start_$target"
			measure "$target" "$r" "stop_$target" && break
			[ "$attempt" = 1 ] || tern_die "round $r $target failed twice"
		done
	done
done

med() { jq -r --arg t "$1" 'select(.target == $t) | .Mpps' "$RUNS" | cmp_median; }
mt=$(med ternd)
mp=$(med testpmd)
ratio=$(cmp_ratio "$mt" "$mp")

OUT=$(cmp_results_file throughput_vs_testpmd.json)
jq -s --argjson machine "$(cmp_machine_json)" --argjson rounds "$ROUNDS" \
	--argjson t "$DURATION" --argjson o "$OUTSTANDING" --argjson size "$SIZE" \
	--argjson flows "$FLOWS" --argjson mt "$mt" --argjson mp "$mp" \
	'{benchmark: "throughput_vs_testpmd", machine: $machine,
	  setup: {device: "memif (server: responder, client: tern-bench), --no-huge",
	          responder_lcore: 1, generator_lcore: 0, mode: "closed loop",
	          outstanding: $o, udp_payload_bytes: $size, flows: $flows,
	          seconds_per_run: $t, rounds: $rounds,
	          testpmd: "--forward-mode=5tswap --nb-cores=1", ternd: "udp_responder mode=echo"},
	  runs: ., median_Mpps: {ternd: $mt, testpmd: $mp},
	  testpmd_busy_capacity_Mpps: ([.[] | select(.target == "testpmd") | .busy_capacity_Mpps
	                                | select(. != null)] | sort | if length > 0 then .[length / 2 | floor] else null end),
	  ratio_ternd_over_testpmd: ($mt / $mp)}' "$RUNS" >"$OUT" ||
	tern_die "could not write $OUT"

echo
echo "throughput_vs_testpmd: medians over $ROUNDS rounds (one forwarding core, memif, closed loop)"
printf '  ternd    %7.3f Mpps\n' "$mt"
printf '  testpmd  %7.3f Mpps  (5tswap)\n' "$mp"
cap=$(jq -r 'select(.target == "testpmd") | .busy_capacity_Mpps // empty' "$RUNS" | cmp_median)
if [ -n "$cap" ]; then
	printf '  testpmd was busy %.0f%% of the time: its own capacity on this core is about %.1f Mpps\n' \
		"$(awk -v a="$mp" -v c="$cap" 'BEGIN { print 100 * a / c }')" "$cap"
	echo "  (when that is well above the Mpps measured, the generator and the memif path were the"
	echo "   limit, not testpmd: the ratio then says how ternd compares on this path, not per core)"
fi
printf '  ratio    %7s  (ternd/testpmd; 1 or more meets the target)\n' "$ratio"
echo "  results: $OUT"
