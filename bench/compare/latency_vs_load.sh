#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Latency versus load against queueing theory. ternd (one worker, lcore 1,
# RX burst 1 so that it serves requests one at a time, like the single
# server of the models) runs the UDP responder with a synthetic service time
# (service_ns, fixed or exponential). For each distribution the script
# measures the capacity mu (tern-bench closed loop, the server never idle),
# then sweeps the offered load lambda from 10% to 95% of mu with tern-bench
# in open loop, Poisson arrivals, latency from the intended send time. The
# predictions for one server: M/D/1 (fixed service) mean sojourn
# W = 1/mu + rho/(2 mu (1-rho)), p99 by simulating the queue (Lindley's
# recursion); M/M/1 (exponential) W = 1/(mu-lambda), p99 = ln(100)/(mu-lambda).
# Each prediction adds the path's own mean round trip (measured with no
# service time, one request outstanding), since tern-bench times the whole
# round trip. Writes $BENCH_RESULTS/latency_vs_load.json and
# $BENCH_RESULTS/latency_vs_load.png (gnuplot).
#
# usage: bench/compare/latency_vs_load.sh [--service-ns N] [--time SECONDS] [--loads LIST] [--no-build] [--no-install]
set -u

TERN_PROG=latency_vs_load.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
CMP_EXTRA_PACKAGES=(gnuplot-nox)

SERVICE_NS=20000
DURATION=3
WARMUP=1
LOADS=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95
SIZE=64
PORT_FIXED=7
PORT_EXP=8
PORT_BASE=9

while [ $# -gt 0 ]; do
	case "$1" in
	--service-ns) SERVICE_NS=${2:-}; shift ;;
	--time) DURATION=${2:-}; shift ;;
	--loads) LOADS=${2:-}; shift ;;
	-h | --help) usage 0 ;;
	*) cmp_common_opt "$1" || usage 2 ;;
	esac
	shift
done
[ "$SERVICE_NS" -ge 1000 ] 2>/dev/null || usage 2
[ "$DURATION" -gt 0 ] 2>/dev/null || usage 2
[[ "$LOADS" =~ ^0?\.[0-9]+(,0?\.[0-9]+)*$ ]] || usage 2

cmp_need_root "$0" "$@"
trap cmp_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
cmp_prepare
cmp_check_quiet
TERND="$BUILD/ternd"
RESPONDER="$BUILD/apps/udp_responder/libudp_responder.so"
cmp_find_tern_bench
tern_need_var TERND RESPONDER TERN_BENCH
command -v gnuplot >/dev/null || tern_die "gnuplot is not installed (apt-get install gnuplot-nox)"

cat >"$TERN_TMP/start.cmds" <<EOF
app load fixed $RESPONDER mode=echo service_ns=$SERVICE_NS dist=fixed
bind udp $PORT_FIXED fixed
app load exp $RESPONDER mode=echo service_ns=$SERVICE_NS dist=exp
bind udp $PORT_EXP exp
app load base $RESPONDER mode=echo
bind udp $PORT_BASE base
EOF

# bench NAME OUT ARGS...: one tern-bench invocation against a fresh ternd
# (tern-bench lingers until the memif server goes: see cmp_bench_start).
# --burst 1: the worker takes one request at a time, answers it, then the
# next, so requests queue in the RX ring in arrival order: a FIFO server.
bench() {
	local name=$1 out=$2 limit=$3
	shift 3
	tern_prefix "ld_$name"
	rm -f "$TERN_TMP/memif.sock" "$TERN_TMP/ternd.log"
	ternd_start "$TERN_TMP/ternd.log" -l 0,1 --no-huge -m 512 --no-pci \
		--file-prefix "$TERN_PREFIX" --log-level=pmd.net.memif:warning \
		--vdev "$(cmp_memif_vdev server "mac=$CMP_SERVER_MAC")" \
		-- --ip "$CMP_SERVER_IP/24" --app-dir "$(dirname "$RESPONDER")" --burst 1 \
		--exec "$TERN_TMP/start.cmds"
	ternd_wait_ready "$TERN_TMP/ternd.log" 60 || tern_die "ternd did not start"
	cmp_bench_start "lb_$name" "$out" --size "$SIZE" --flows 16 --warmup "$WARMUP" \
		--timeout-ms 1000 "$@"
	cmp_bench_wait "$out" "$limit" || tern_die "$name: tern-bench failed"
	ternd_stop 20
	[ "$TERND_RC" = 0 ] || tern_die "ternd exited with status $TERND_RC"
	cmp_bench_finish
	cmp_bench_json "$out" || tern_die "$name: no results"
	grep 'warning' "$out.err" | sed 's/^/    /'
}

tern_say "service time $SERVICE_NS ns per request (fixed, then exponential); one worker," \
	"RX burst 1; tern-bench on lcore 0 over memif; $DURATION s per point after $WARMUP s warm-up"

bench base "$TERN_TMP/base.json" 60 --dport "$PORT_BASE" --mode closed --outstanding 1 \
	--duration "$DURATION"
BASE_US=$(jq -r '.benchmarks[0].mean_us' "$TERN_TMP/base.json")
tern_say "path round trip without service time (closed loop, 1 outstanding): mean $BASE_US us," \
	"p99 $(jq -r '.benchmarks[0].p99_us' "$TERN_TMP/base.json") us"

POINTS="$TERN_TMP/points.jsonl"
: >"$POINTS"
declare -A MU
npoints=$(tr ',' '\n' <<<"$LOADS" | wc -l)
for dist in fixed exp; do
	port=$PORT_FIXED
	[ "$dist" = fixed ] || port=$PORT_EXP
	bench "cap_$dist" "$TERN_TMP/cap_$dist.json" 60 --dport "$port" --mode closed \
		--outstanding 16 --duration "$DURATION"
	mu=$(jq -r '.benchmarks[0].achieved_pps' "$TERN_TMP/cap_$dist.json")
	MU[$dist]=$mu
	tern_say "$dist: capacity mu = $(printf '%.0f' "$mu") requests/s" \
		"(1/mu = $(awk -v m="$mu" 'BEGIN { printf "%.2f", 1e6 / m }') us;" \
		"service_ns alone: $(awk -v s="$SERVICE_NS" 'BEGIN { printf "%.2f", s / 1e3 }') us)"
	rates=$(tr ',' '\n' <<<"$LOADS" | awk -v m="$mu" '{ printf "%s%.0f", (NR > 1 ? "," : ""), $1 * m }')
	bench "sweep_$dist" "$TERN_TMP/sweep_$dist.json" $((npoints * (DURATION + WARMUP + 5) + 60)) \
		--dport "$port" --mode open --arrival poisson --sweep "$rates" --duration "$DURATION"
	jq -c --arg d "$dist" --argjson mu "$mu" \
		'.benchmarks[] | select(.run_type != "aggregate") |
		 {dist: $d, mu: $mu, offered_pps: .offered_pps, achieved_pps: .achieved_pps,
		  rho: (.offered_pps / $mu), mean_us: .mean_us, p50_us: .p50_us, p99_us: .p99_us,
		  p999_us: .p999_us, max_us: .max_us, sent: .sent, received: .received,
		  late: .late, lost: .lost, dup: .dup, invalid: .invalid, unsent: .unsent,
		  gen_lag_us: .gen_lag_us}' "$TERN_TMP/sweep_$dist.json" >>"$POINTS"
done

# md1_sim MU RHO: mean and p99 sojourn (us) of an M/D/1 queue by Lindley's
# recursion, 400000 customers (fixed seed, so the figure is reproducible).
md1_sim() {
	awk -v mu="$1" -v rho="$2" 'BEGIN {
		srand(12345); s = 1e6 / mu; lam = rho * mu / 1e6; n = 400000
		w = 0; sum = 0; bw = s / 100
		for (i = 0; i < n; i++) {
			t = w + s; sum += t; b = int(t / bw); h[b]++
			if (b > maxb) maxb = b
			u = rand(); if (u <= 0) u = 1e-12
			w = t - (-log(u) / lam); if (w < 0) w = 0
		}
		c = 0
		for (b = 0; b <= maxb; b++) { c += h[b]; if (c >= 0.99 * n) break }
		printf "%.3f %.3f\n", sum / n, (b + 1) * bw }'
}

# Predictions per point, in us, each plus the path's mean round trip.
: >"$POINTS.pred"
while read -r line; do
	read -r mu rho <<<"$(jq -r '"\(.mu) \(.rho)"' <<<"$line")"
	read -r smean sp99 <<<"$(md1_sim "$mu" "$rho")"
	jq -c --argjson b "$BASE_US" --argjson smean "$smean" --argjson sp99 "$sp99" \
		'. as $p | ($p.mu) as $mu | ($p.rho * $mu) as $lam |
		 $p + {md1_mean_us: ($b + 1e6 / $mu + 1e6 * $p.rho / (2 * $mu * (1 - $p.rho))),
		       md1_sim_mean_us: ($b + $smean), md1_p99_us: ($b + $sp99),
		       mm1_mean_us: ($b + 1e6 / ($mu - $lam)),
		       mm1_p99_us: ($b + 1e6 * (100 | log) / ($mu - $lam))}' <<<"$line" >>"$POINTS.pred"
done <"$POINTS"

OUT=$(cmp_results_file latency_vs_load.json)
PNG=$(cmp_results_file latency_vs_load.png)
jq -s --argjson machine "$(cmp_machine_json)" --argjson svc "$SERVICE_NS" \
	--argjson t "$DURATION" --argjson b "$BASE_US" --argjson muf "${MU[fixed]}" \
	--argjson mue "${MU[exp]}" \
	'{benchmark: "latency_vs_load", machine: $machine,
	  setup: {service_ns: $svc, seconds_per_point: $t, arrivals: "poisson (open loop)",
	          responder: "ternd, 1 worker, --burst 1, udp_responder mode=echo service_ns dist",
	          device: "memif, --no-huge", latency: "round trip from the intended send time, us",
	          predictions: "model sojourn + path_mean_us; M/D/1 p99 simulated"},
	  path_mean_us: $b, capacity_pps: {fixed: $muf, exp: $mue},
	  points: .}' "$POINTS.pred" >"$OUT" || tern_die "could not write $OUT"

# The plot: one panel per distribution, log latency axis.
for dist in fixed exp; do
	jq -r --arg d "$dist" '.points[] | select(.dist == $d) |
		"\(.rho) \(.mean_us) \(.p99_us) \(.md1_mean_us) \(.md1_p99_us) \(.mm1_mean_us) \(.mm1_p99_us) \(.p50_us)"' \
		"$OUT" >"$TERN_TMP/$dist.dat"
done
gnuplot <<EOF || tern_die "gnuplot failed"
set terminal pngcairo size 1400,560 font "sans,11"
set output "$PNG"
set multiplot layout 1,2 title "tern: latency vs load, one worker, service time $((SERVICE_NS / 1000)) us (round trip incl. path ${BASE_US%.*} us)"
set xlabel "offered load rho = lambda / mu"
set ylabel "latency (us)"
set logscale y
set grid
set key top left
set xrange [0:1]
set samples 400
b = $BASE_US
muf = ${MU[fixed]}
mue = ${MU[exp]}
md1(x) = x < 0.99 ? b + 1e6 / muf + 1e6 * x / (2 * muf * (1 - x)) : 1/0
mm1(x) = x < 0.99 ? b + 1e6 / (mue * (1 - x)) : 1/0
mm1p99(x) = x < 0.99 ? b + 1e6 * log(100) / (mue * (1 - x)) : 1/0
set title sprintf("fixed service time: M/D/1 (mu = %.0f/s)", muf)
plot "$TERN_TMP/fixed.dat" u 1:2 w lp pt 7 lc rgb "#1f77b4" t "measured mean", \
     "" u 1:3 w lp pt 5 lc rgb "#d62728" t "measured p99", \
     "" u 1:8 w lp pt 9 lc rgb "#2ca02c" t "measured p50", \
     md1(x) w l lw 2 dt 2 lc rgb "#1f77b4" t "M/D/1 mean", \
     "" u 1:5 w lp lw 2 dt 2 pt 4 lc rgb "#d62728" t "M/D/1 p99 (simulated at each load)"
set title sprintf("exponential service time: M/M/1 (mu = %.0f/s)", mue)
plot "$TERN_TMP/exp.dat" u 1:2 w lp pt 7 lc rgb "#1f77b4" t "measured mean", \
     "" u 1:3 w lp pt 5 lc rgb "#d62728" t "measured p99", \
     "" u 1:8 w lp pt 9 lc rgb "#2ca02c" t "measured p50", \
     mm1(x) w l lw 2 dt 2 lc rgb "#1f77b4" t "M/M/1 mean 1/(mu-lambda)", \
     mm1p99(x) w l lw 2 dt 2 lc rgb "#d62728" t "M/M/1 p99 ln(100)/(mu-lambda)"
unset multiplot
EOF

echo
echo "latency_vs_load: measured vs predicted (us, round trip; predictions include the path's $BASE_US us)"
printf '  %-5s %5s %9s %9s %9s %9s %9s %9s %6s\n' dist rho mean pred p99 pred lost late lag
jq -r '.points[] | [.dist, .rho,
	.mean_us, (if .dist == "fixed" then .md1_mean_us else .mm1_mean_us end),
	.p99_us, (if .dist == "fixed" then .md1_p99_us else .mm1_p99_us end),
	.lost, .late, .gen_lag_us] | @tsv' "$OUT" |
	awk -F'\t' '{ printf "  %-5s %5.2f %9.1f %9.1f %9.1f %9.1f %9d %9d %6.0f\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
echo "  (pred: M/D/1 for fixed, M/M/1 for exp; lag = the generator's worst delay behind its schedule, us)"
echo "  results: $OUT"
echo "  plot:    $PNG"
