#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# UDP round-trip latency through ternd against the kernel, on the same path:
# sockperf ping-pong (64-byte messages) from a network namespace over a veth
# pair, answered on the host end either by ternd (AF_XDP, the UDP responder
# in sockperf mode, worker on CPU 1) or by the kernel's `sockperf server`
# (pinned to CPU 1). The client is pinned to CPU 0 in both. Runs alternate
# (ternd, kernel, ternd, kernel, ...); the script prints p50/p99/p99.9 of
# each run, the medians over the rounds and the ratios ternd/kernel, plus
# ternd's in-engine latency (`ternctl show latency`) read during its runs.
# Results: $BENCH_RESULTS/latency_vs_kernel.json.
#
# usage: bench/compare/latency_vs_kernel.sh [--rounds N] [--time SECONDS] [--size BYTES] [--no-build] [--no-install]
set -u

TERN_PROG=latency_vs_kernel.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

ROUNDS=3
DURATION=5
SIZE=64
TERN_ADDR=198.18.0.1
NS_ADDR=198.18.0.2
PORT=11111

while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=${2:-}; shift ;;
	--time) DURATION=${2:-}; shift ;;
	--size) SIZE=${2:-}; shift ;;
	-h | --help) usage 0 ;;
	*) cmp_common_opt "$1" || usage 2 ;;
	esac
	shift
done
[ "$ROUNDS" -gt 0 ] 2>/dev/null || usage 2
[ "$DURATION" -gt 0 ] 2>/dev/null || usage 2
[ "$SIZE" -ge 14 ] 2>/dev/null || usage 2

cmp_begin "$0" "$@"
cmp_check_quiet
cmp_sockperf_setup lk
# The kernel's replies leave from the host end: finished checksums there too,
# so both targets send the same frames.
ethtool -K "$CMP_HIF" tx off >/dev/null || tern_die "ethtool -K $CMP_HIF tx off failed"
tern_say "veth $CMP_HIF (host end: ternd or the kernel, $TERN_ADDR) <-> $CMP_NIF in netns" \
	"$CMP_NS ($NS_ADDR)"

# sp_client TARGET ROUND: reachability check, then the sockperf client in the
# namespace on CPU 0; prints the run and records it as one JSON line in $RUNS.
sp_client() {
	local target=$1 round=$2 log="$TERN_TMP/sp_${1}_$2.log"
	cmp_reach "$target"
	in_ns taskset -c 0 sockperf ping-pong -i "$TERN_ADDR" -p "$PORT" -m "$SIZE" \
		-t "$DURATION" >"$log" 2>&1
	cmp_sp_result "$target: sockperf ping-pong" $? "$log"
	set -- "${CMP_SP[@]}"
	printf '  round %d  %-6s p50 %8.3f  p99 %8.3f  p99.9 %8.3f us  (%s observations)\n' \
		"$round" "$target" "$1" "$2" "$3" "$5"
	jq -cn --arg t "$target" --argjson r "$round" --argjson p50 "$1" --argjson p99 "$2" \
		--argjson p999 "$3" --argjson avg "$4" --argjson n "$5" \
		'{target: $t, round: $r, p50_us: $p50, p99_us: $p99, p999_us: $p999,
		  avg_us: $avg, observations: $n}' >>"$RUNS"
}

DRIVER=
# engine_latency ROUND: ternd's in-engine histogram (ternctl show latency
# json), read after the client's run and before ternd stops, so it covers this
# round only (ternd starts afresh each round); merged into the round's line.
engine_latency() {
	local round=$1 lat
	lat=$("$TERNCTL" -p "$TERN_PREFIX" show latency json 2>&1) ||
		tern_die "ternctl show latency failed: $lat"
	printf '  round %d  %-6s in-engine (RX burst to TX call): p50 %s  p99 %s  p99.9 %s %s  (%s frames)\n' \
		"$round" ternd "$(jq -r .total.p50 <<<"$lat")" "$(jq -r .total.p99 <<<"$lat")" \
		"$(jq -r .total.p999 <<<"$lat")" "$(jq -r .unit <<<"$lat")" "$(jq -r .total.count <<<"$lat")"
	jq -c --argjson l "$lat" --arg drv "$TERN_DRIVER" --argjson r "$round" \
		'if .target == "ternd" and .round == $r then
		   . + {driver: $drv, engine_unit: $l.unit, engine_count: $l.total.count,
		        engine_p50: $l.total.p50, engine_p99: $l.total.p99,
		        engine_p999: $l.total.p999, engine_max: $l.total.max}
		 else . end' "$RUNS" >"$RUNS.new" && mv "$RUNS.new" "$RUNS"
}

run_ternd() {
	local round=$1
	cmp_ternd_veth lk
	[ "$TERN_DRIVER" = af_xdp ] ||
		tern_say "WARNING: ternd runs on $TERN_DRIVER, not AF_XDP: not the comparison the docs describe"
	DRIVER=$TERN_DRIVER
	sp_client ternd "$round"
	engine_latency "$round"
	ternd_stop 20
	[ "$TERND_RC" = 0 ] || tern_die "ternd exited with status $TERND_RC"
}

run_kernel() {
	local round=$1 i
	ip addr add "$TERN_ADDR/24" dev "$CMP_HIF" ||
		tern_die "ip addr add $TERN_ADDR on $CMP_HIF failed"
	taskset -c 1 sockperf server -i "$TERN_ADDR" -p "$PORT" \
		>"$TERN_TMP/server_$round.log" 2>&1 </dev/null &
	CMP_SERVER_PID=$!
	for ((i = 0; i < 50; i++)); do
		ss -Hlun "sport = :$PORT" 2>/dev/null | grep -q . && break
		kill -0 "$CMP_SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$CMP_SERVER_PID" 2>/dev/null || {
		cat "$TERN_TMP/server_$round.log" >&2
		tern_die "sockperf server did not start"
	}
	sp_client kernel "$round"
	kill -TERM "$CMP_SERVER_PID" 2>/dev/null
	wait "$CMP_SERVER_PID" 2>/dev/null
	CMP_SERVER_PID=
	ip addr del "$TERN_ADDR/24" dev "$CMP_HIF"
}

tern_say "$ROUNDS rounds of sockperf ping-pong, $SIZE-byte messages, $DURATION s each;" \
	"half round trips in us; client on CPU 0, server/worker on CPU 1"
for ((r = 1; r <= ROUNDS; r++)); do
	run_ternd "$r"
	run_kernel "$r"
done

med() { # med TARGET FIELD
	jq -r --arg t "$1" "select(.target == \$t) | .$2 // empty" "$RUNS" | cmp_median
}
declare -A M
for t in ternd kernel; do
	for f in p50_us p99_us p999_us; do
		M[$t.$f]=$(med "$t" "$f")
	done
done
for f in engine_p50 engine_p99 engine_p999; do
	M[ternd.$f]=$(med ternd "$f")
done
r50=$(cmp_ratio "${M[ternd.p50_us]}" "${M[kernel.p50_us]}")
r99=$(cmp_ratio "${M[ternd.p99_us]}" "${M[kernel.p99_us]}")
r999=$(cmp_ratio "${M[ternd.p999_us]}" "${M[kernel.p999_us]}")

OUT=$(cmp_results_file latency_vs_kernel.json)
jq -s --argjson machine "$(cmp_machine_json)" --arg drv "$DRIVER" \
	--argjson rounds "$ROUNDS" --argjson t "$DURATION" --argjson size "$SIZE" \
	--argjson tp50 "${M[ternd.p50_us]}" --argjson tp99 "${M[ternd.p99_us]}" \
	--argjson tp999 "${M[ternd.p999_us]}" --argjson kp50 "${M[kernel.p50_us]}" \
	--argjson kp99 "${M[kernel.p99_us]}" --argjson kp999 "${M[kernel.p999_us]}" \
	--argjson e50 "${M[ternd.engine_p50]:-null}" --argjson e99 "${M[ternd.engine_p99]:-null}" \
	--argjson e999 "${M[ternd.engine_p999]:-null}" \
	'{benchmark: "latency_vs_kernel", machine: $machine,
	  setup: {tool: "sockperf ping-pong", message_bytes: $size, seconds_per_run: $t,
	          rounds: $rounds, ternd_driver: $drv, unit: "us, half round trip"},
	  runs: .,
	  median: {ternd: {p50_us: $tp50, p99_us: $tp99, p999_us: $tp999,
	                   engine_p50_ns: $e50, engine_p99_ns: $e99, engine_p999_ns: $e999},
	           kernel: {p50_us: $kp50, p99_us: $kp99, p999_us: $kp999}},
	  ratio_ternd_over_kernel: {p50: ($tp50 / $kp50), p99: ($tp99 / $kp99),
	                            p999: ($tp999 / $kp999)}}' "$RUNS" >"$OUT" ||
	tern_die "could not write $OUT"

echo
echo "latency_vs_kernel: medians over $ROUNDS rounds (sockperf half round trip, us; ternd via $DRIVER)"
printf '  %-8s %9s %9s %9s\n' "" p50 p99 p99.9
printf '  %-8s %9.3f %9.3f %9.3f\n' ternd "${M[ternd.p50_us]}" "${M[ternd.p99_us]}" "${M[ternd.p999_us]}"
printf '  %-8s %9.3f %9.3f %9.3f\n' kernel "${M[kernel.p50_us]}" "${M[kernel.p99_us]}" "${M[kernel.p999_us]}"
printf '  %-8s %9s %9s %9s\n' ratio "$r50" "$r99" "$r999"
echo "  (ratio = ternd/kernel; below 1 means ternd is faster)"
echo "  in-engine (ternd, RX burst to TX call, median of rounds): p50 ${M[ternd.engine_p50]} ns," \
	"p99 ${M[ternd.engine_p99]} ns, p99.9 ${M[ternd.engine_p999]} ns"
echo "  results: $OUT"
