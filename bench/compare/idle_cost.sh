#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What the worker idle policy costs and saves: ternd --idle busy against
# --idle adaptive (or any --policy given), side by side in one run. ternd on
# the host end of a veth pair (AF_XDP, worker on CPU 1), the UDP responder in
# sockperf mode on UDP 11111; in a network namespace the client, sockperf
# under-load pinned to CPU 0, every message answered (--reply-every 1),
# latency as the full round trip. Per round, for each policy in turn (busy,
# adaptive, busy, adaptive, ...), a fresh ternd:
#   1. idle: left alone for --settle seconds, then the CPU time of the whole
#      ternd process (utime+stime from /proc/PID/stat) over --idle-time
#      seconds, as a per cent of one CPU;
#   2. low load: for each rate of --rates, sockperf under-load --mps RATE for
#      --time seconds (at least 2; open loop at a fixed rate: the sender
#      does not wait for replies): p50/p99/p99.9 round trip, and ternd's CPU
#      while the messages flow.
# Prints every run, the medians over the rounds and the ratios against the
# first policy (busy); flags runs that shared the machine with another polling
# process. Results: $BENCH_RESULTS/idle_cost.json. TERN_FORCE_AF_PACKET=1
# runs ternd over af_packet instead. --device memif runs it as a memif
# server (no hugepages) with the UDP responder in echo mode on UDP 7, and
# tern-bench (CPU 0) as the client: open loop (Poisson arrivals) at each
# rate for the latency, closed loop with 256 outstanding for the flood;
# a fresh ternd for each (tern-bench reports when the server leaves).
# See docs/performance.md.
#
# usage: bench/compare/idle_cost.sh [--device veth|memif] [--rounds N] [--time SECONDS] [--rates LIST] [--idle-time SECONDS] [--settle SECONDS] [--policy SPEC]... [--no-flood] [--no-build] [--no-install]
set -u

TERN_PROG=idle_cost.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

ROUNDS=3
DURATION=5
RATES=1000,10000
IDLE_TIME=3
SETTLE=2
POLICIES=()
FLOOD=1
DEVICE=veth
SIZE=64
TERN_ADDR=198.18.0.1
NS_ADDR=198.18.0.2
PORT=11111

while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=${2:-}; shift ;;
	--time) DURATION=${2:-}; shift ;;
	--rates) RATES=${2:-}; shift ;;
	--idle-time) IDLE_TIME=${2:-}; shift ;;
	--settle) SETTLE=${2:-}; shift ;;
	--policy) POLICIES+=("${2:-}"); shift ;;
	--no-flood) FLOOD=0 ;;
	--device) DEVICE=${2:-}; shift ;;
	-h | --help) usage 0 ;;
	*) cmp_common_opt "$1" || usage 2 ;;
	esac
	shift
done
[ "${#POLICIES[@]}" -gt 0 ] || POLICIES=(busy adaptive)
[ "$ROUNDS" -gt 0 ] 2>/dev/null || usage 2
[ "$DURATION" -ge 2 ] 2>/dev/null || usage 2
[ "$IDLE_TIME" -gt 0 ] 2>/dev/null || usage 2
[ "$SETTLE" -ge 0 ] 2>/dev/null || usage 2
[[ "$RATES" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || usage 2
for p in "${POLICIES[@]}"; do
	[[ "$p" =~ ^(busy|adaptive(:[a-z_]+=[0-9]+(,[a-z_]+=[0-9]+)*)?)$ ]] || usage 2
done

case "$DEVICE" in veth | memif) ;; *) usage 2 ;; esac

cmp_begin "$0" "$@"
cmp_check_quiet
if [ "$DEVICE" = veth ]; then
	cmp_sockperf_setup ic
else
	cmp_find_tern_bench
	TERND="$BUILD/ternd"
	TERNCTL="$BUILD/ternctl"
	RESPONDER="$BUILD/apps/udp_responder/libudp_responder.so"
	tern_need_var TERND TERNCTL TERN_BENCH RESPONDER
	RUNS="$TERN_TMP/runs.jsonl"
	: >"$RUNS"
	printf 'app load echo %s mode=echo\nbind udp 7 echo\n' "$RESPONDER" >"$TERN_TMP/memif.cmds"
fi

# proc_ticks PID: utime + stime of all threads of PID, in clock ticks.
proc_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# cpu_since PID TICKS NS: the per cent of one CPU PID used since TICKS were
# read at time NS (date +%s%N).
cpu_since() {
	awk -v d=$(($(proc_ticks "$1") - $2)) -v hz="$(getconf CLK_TCK)" \
		-v ns=$(($(date +%s%N) - $3)) 'BEGIN { printf "%.1f\n", 100 * d / hz / (ns / 1e9) }'
}

# others: other busy-polling processes now running (not this ternd, nor its
# tern-bench client), to flag
# a run they shared the CPUs with; "" if none.
others() {
	ps -C ternd,tern-bench,dpdk-testpmd,sockperf,bench_fastpath -o pid=,comm= 2>/dev/null |
		awk -v me="$TERND_PID" -v client="${BENCH_PID:-0}" \
			'$1 != me && $1 != client && $2 != "sockperf" { printf "%s%s(%s)", (n++ ? "," : ""), $2, $1 }'
}

# rx_total: the frames ternd has received (ternctl show stats json).
rx_total() {
	"$TERNCTL" -p "$TERN_PREFIX" show stats json 2>/dev/null | jq -r '.total.rx // empty'
}

# load_run POLICY ROUND RATE: sockperf under-load at RATE msg/s; records its
# percentiles and ternd's CPU while the messages flowed (sockperf takes a
# second or two to start sending: the window opens once ternd's rx counter
# moves, after sockperf's 400 ms warm-up, and closes before its end).
load_run() {
	local pol=$1 round=$2 rate=$3 log="$TERN_TMP/sp_$2_$3.log" sp t0 n0 rx0 rx cpu i o
	rx0=$(rx_total)
	in_ns taskset -c 0 sockperf under-load -i "$TERN_ADDR" -p "$PORT" -m "$SIZE" \
		--mps "$rate" --reply-every 1 --full-rtt -t "$DURATION" >"$log" 2>&1 &
	sp=$!
	for ((i = 0; i < 200; i++)); do
		sleep 0.05
		rx=$(rx_total)
		[ "${rx:-0}" -gt "${rx0:-0}" ] && break
	done
	sleep 0.5
	n0=$(proc_ticks "$TERND_PID")
	t0=$(date +%s%N)
	sleep $((DURATION - 1))
	cpu=$(cpu_since "$TERND_PID" "$n0" "$t0")
	o=$(others)
	wait "$sp"
	cmp_sp_result "$pol: sockperf under-load --mps $rate" $? "$log"
	set -- "${CMP_SP[@]}"
	printf '  round %d  %-28s %6s/s  p50 %8.1f  p99 %8.1f  p99.9 %8.1f us  ternd CPU %5.1f%%  (%s observations)%s\n' \
		"$round" "$pol" "$rate" "$1" "$2" "$3" "$cpu" "$5" "${o:+  WARNING: shared with $o}"
	jq -cn --arg p "$pol" --argjson r "$round" --argjson rate "$rate" --argjson p50 "$1" \
		--argjson p99 "$2" --argjson p999 "$3" --argjson n "$5" --argjson cpu "$cpu" \
		--arg o "$o" \
		'{policy: $p, round: $r, load: "rate", rate: $rate, p50_us: $p50, p99_us: $p99,
		  p999_us: $p999, observations: $n, cpu_pct: $cpu, others: $o}' >>"$RUNS"
}

# flood_run POLICY ROUND: sockperf throughput --mps max (the client sends
# as fast as it can, no replies); the rate ternd received at and its CPU,
# over the window after the first frames arrived.
flood_run() {
	local pol=$1 round=$2 log="$TERN_TMP/sp_$2_flood.log" sp t0 n0 rx0 rx1 rx cpu kpps i o
	rx0=$(rx_total)
	in_ns taskset -c 0 sockperf throughput -i "$TERN_ADDR" -p "$PORT" -m "$SIZE" \
		--mps max -t "$DURATION" >"$log" 2>&1 &
	sp=$!
	for ((i = 0; i < 200; i++)); do
		sleep 0.05
		rx=$(rx_total)
		[ "${rx:-0}" -gt "${rx0:-0}" ] && break
	done
	sleep 0.5
	rx0=$(rx_total)
	n0=$(proc_ticks "$TERND_PID")
	t0=$(date +%s%N)
	sleep $((DURATION - 1))
	rx1=$(rx_total)
	cpu=$(cpu_since "$TERND_PID" "$n0" "$t0")
	kpps=$(awk -v d=$((${rx1:-0} - ${rx0:-0})) -v ns=$(($(date +%s%N) - t0)) \
		'BEGIN { printf "%.1f\n", d / (ns / 1e9) / 1000 }')
	o=$(others)
	wait "$sp" || tern_die "$pol: sockperf throughput failed: $(tail -3 "$log")"
	printf '  round %d  %-28s  flood  ternd received %8.1f kpps  ternd CPU %5.1f%%%s\n' \
		"$round" "$pol" "$kpps" "$cpu" "${o:+  WARNING: shared with $o}"
	jq -cn --arg p "$pol" --argjson r "$round" --argjson k "$kpps" --argjson cpu "$cpu" \
		--arg o "$o" '{policy: $p, round: $r, load: "flood", rx_kpps: $k, cpu_pct: $cpu, others: $o}' \
		>>"$RUNS"
}

# wake_report POLICY ROUND: how worker 0 slept over the whole run (show
# events): how it waited, its sleeps by what ended them, how late it woke.
wake_report() {
	local ev
	ev=$("$TERNCTL" -p "$TERN_PREFIX" show events json 2>/dev/null | jq -c '.workers[0] |
		{idle_wait, idle_sleeps, idle_woken, idle_woken_rx, idle_timed_out,
		 wake_late_p50_ns, wake_late_p99_ns}' 2>/dev/null) || ev=
	[ -n "$ev" ] || { tern_say "WARNING: $pol: no show events answer"; return 0; }
	printf '  round %d  %-28s  sleeps  %s\n' "$2" "$1" \
		"$(jq -r '"wait=\(.idle_wait) sleeps=\(.idle_sleeps) by frame=\(.idle_woken_rx) post=\(.idle_woken) time=\(.idle_timed_out); woken late p50 \(.wake_late_p50_ns) ns, p99 \(.wake_late_p99_ns) ns"' <<<"$ev")"
	jq -c --arg p "$1" --argjson r "$2" '{policy: $p, round: $r, load: "sleeps"} + .' <<<"$ev" >>"$RUNS"
}

# memif_ternd POLICY: ternd as the memif server with --idle POLICY, ready;
# its prefix in TERND_PREFIX (tern-bench takes TERN_PREFIX after).
memif_ternd() {
	tern_prefix icm
	TERND_PREFIX=$TERN_PREFIX
	rm -f "$TERN_TMP/memif.sock"
	ternd_start "$TERN_TMP/ternd.log" -l 0,1 --no-huge -m 512 --no-pci \
		--file-prefix "$TERND_PREFIX" --log-level=pmd.net.memif:warning \
		--vdev "$(cmp_memif_vdev server "mac=$CMP_SERVER_MAC")" \
		-- --ip "$CMP_SERVER_IP/24" --idle "$1" --app-dir "$(dirname "$RESPONDER")" \
		--exec "$TERN_TMP/memif.cmds"
	ternd_wait_ready "$TERN_TMP/ternd.log" 60 || tern_die "ternd --idle $1 (memif) did not start"
	DRIVER=memif
}

# memif_stop: ternd first (tern-bench then sees the link go down and exits).
memif_stop() {
	ternd_stop 20
	[ "$TERND_RC" = 0 ] || tern_die "ternd exited with status $TERND_RC"
	cmp_bench_finish
}

# memif_bench_run POLICY ROUND LOAD ARGS...: a fresh ternd, tern-bench with
# ARGS; ternd's CPU over the measured window; LOAD is the rate or "flood".
memif_bench_run() {
	local pol=$1 round=$2 load=$3 out n0 t0 cpu o b
	shift 3
	out="$TERN_TMP/tb_${round}_${load}.json"
	memif_ternd "$pol"
	cmp_bench_start icb "$out" --dport 7 --size "$SIZE" --warmup 1 --duration "$DURATION" "$@"
	TERN_PREFIX=$TERND_PREFIX
	sleep 1.5 # tern-bench's start and warm-up
	n0=$(proc_ticks "$TERND_PID")
	t0=$(date +%s%N)
	sleep $((DURATION - 1))
	cpu=$(cpu_since "$TERND_PID" "$n0" "$t0")
	o=$(others)
	cmp_bench_wait "$out" $((DURATION + 30)) || tern_die "$pol: tern-bench failed"
	wake_report "$pol" "$round"
	memif_stop
	cmp_bench_json "$out" || tern_die "$pol: no tern-bench report"
	b=$(jq -c '.benchmarks[0]' "$out")
	if [ "$load" = flood ]; then
		printf '  round %d  %-28s  flood  looped at %8.1f kpps  ternd CPU %5.1f%%%s\n' "$round" "$pol" \
			"$(jq -r '.achieved_pps / 1000' <<<"$b")" "$cpu" "${o:+  WARNING: shared with $o}"
		jq -c --arg p "$pol" --argjson r "$round" --argjson cpu "$cpu" --arg o "$o" \
			'{policy: $p, round: $r, load: "flood", rx_kpps: (.achieved_pps / 1000),
			  cpu_pct: $cpu, others: $o}' <<<"$b" >>"$RUNS"
		return
	fi
	printf '  round %d  %-28s %6s/s  p50 %8.1f  p99 %8.1f  p99.9 %8.1f us  ternd CPU %5.1f%%  (lost %s)%s\n' \
		"$round" "$pol" "$load" "$(jq -r .p50_us <<<"$b")" "$(jq -r .p99_us <<<"$b")" \
		"$(jq -r '.p999_us // .p99_9_us // 0' <<<"$b")" "$cpu" "$(jq -r .lost <<<"$b")" \
		"${o:+  WARNING: shared with $o}"
	jq -c --arg p "$pol" --argjson r "$round" --argjson rate "$load" --argjson cpu "$cpu" --arg o "$o" \
		'{policy: $p, round: $r, load: "rate", rate: $rate, p50_us: .p50_us, p99_us: .p99_us,
		  p999_us: (.p999_us // .p99_9_us // 0), observations: .received, cpu_pct: $cpu,
		  others: $o}' <<<"$b" >>"$RUNS"
}

# idle_run POLICY ROUND: ternd left alone for --settle seconds, then its CPU
# over --idle-time seconds.
idle_run() {
	local pol=$1 round=$2 n0 t0 cpu o
	sleep "$SETTLE"
	n0=$(proc_ticks "$TERND_PID")
	t0=$(date +%s%N)
	sleep "$IDLE_TIME"
	cpu=$(cpu_since "$TERND_PID" "$n0" "$t0")
	o=$(others)
	printf '  round %d  %-28s   idle  ternd CPU %5.1f%% of one CPU over %s s%s\n' \
		"$round" "$pol" "$cpu" "$IDLE_TIME" "${o:+  WARNING: shared with $o}"
	jq -cn --arg p "$pol" --argjson r "$round" --argjson cpu "$cpu" --arg o "$o" \
		'{policy: $p, round: $r, load: "idle", cpu_pct: $cpu, others: $o}' >>"$RUNS"
}

# memif_policy_run POLICY ROUND: idle (no client), each rate, the flood.
memif_policy_run() {
	local pol=$1 round=$2 rate
	memif_ternd "$pol"
	idle_run "$pol" "$round"
	memif_stop
	for rate in ${RATES//,/ }; do
		memif_bench_run "$pol" "$round" "$rate" --mode open --rate "$rate"
	done
	[ "$FLOOD" = 0 ] || memif_bench_run "$pol" "$round" flood --mode closed --outstanding 256
}

# policy_run POLICY ROUND: a fresh ternd with --idle POLICY: idle CPU, then
# each rate, then the flood.
policy_run() {
	local pol=$1 round=$2 rate
	cmp_ternd_veth ic --idle "$pol"
	[ "$TERN_DRIVER" = af_xdp ] || [ -n "$DRIVER" ] ||
		tern_say "WARNING: ternd runs on $TERN_DRIVER, not AF_XDP (the docs' figures are for both)"
	DRIVER=$TERN_DRIVER
	cmp_reach "$pol"
	idle_run "$pol" "$round"
	for rate in ${RATES//,/ }; do
		load_run "$pol" "$round" "$rate"
	done
	[ "$FLOOD" = 0 ] || flood_run "$pol" "$round"
	wake_report "$pol" "$round"
	ternd_stop 20
	[ "$TERND_RC" = 0 ] || tern_die "ternd --idle $pol exited with status $TERND_RC"
}

DRIVER=
tern_say "policies: ${POLICIES[*]}; $ROUNDS rounds; idle CPU over $IDLE_TIME s after $SETTLE s;" \
	"$([ "$DEVICE" = memif ] && echo "tern-bench open loop over memif" || echo "sockperf under-load")" \
	"at ${RATES//,/, } msg/s, $SIZE B, $DURATION s each, full round trip"
tern_say "client on CPU 0 (with ternd's control thread), ternd's worker on CPU 1"
for ((r = 1; r <= ROUNDS; r++)); do
	for p in "${POLICIES[@]}"; do
		if [ "$DEVICE" = memif ]; then
			memif_policy_run "$p" "$r"
		else
			policy_run "$p" "$r"
		fi
	done
done

# med POLICY LOAD RATE FIELD: the median over the rounds.
med() {
	jq -r --arg p "$1" --arg l "$2" --argjson rate "$3" --arg f "$4" \
		'select(.policy == $p and .load == $l and (.rate // 0) == $rate) | .[$f] // empty' \
		"$RUNS" | cmp_median
}

# The medians as JSON: one object per policy and load.
SUMMARY="$TERN_TMP/summary.jsonl"
: >"$SUMMARY"
for p in "${POLICIES[@]}"; do
	jq -cn --arg p "$p" --argjson cpu "$(med "$p" idle 0 cpu_pct)" \
		'{policy: $p, load: "idle", cpu_pct: $cpu}' >>"$SUMMARY"
	for rate in ${RATES//,/ }; do
		jq -cn --arg p "$p" --argjson rate "$rate" \
			--argjson p50 "$(med "$p" rate "$rate" p50_us)" \
			--argjson p99 "$(med "$p" rate "$rate" p99_us)" \
			--argjson p999 "$(med "$p" rate "$rate" p999_us)" \
			--argjson cpu "$(med "$p" rate "$rate" cpu_pct)" \
			'{policy: $p, load: "rate", rate: $rate, p50_us: $p50, p99_us: $p99,
			  p999_us: $p999, cpu_pct: $cpu}' >>"$SUMMARY"
	done
	[ "$FLOOD" = 0 ] || jq -cn --arg p "$p" --argjson k "$(med "$p" flood 0 rx_kpps)" \
		--argjson cpu "$(med "$p" flood 0 cpu_pct)" \
		'{policy: $p, load: "flood", rx_kpps: $k, cpu_pct: $cpu}' >>"$SUMMARY"
done

OUT=$(cmp_results_file idle_cost.json)
jq -n --slurpfile runs "$RUNS" --slurpfile med "$SUMMARY" --argjson machine "$(cmp_machine_json)" \
	--arg drv "$DRIVER" --argjson rounds "$ROUNDS" --argjson t "$DURATION" \
	--argjson idle "$IDLE_TIME" --argjson settle "$SETTLE" --argjson size "$SIZE" \
	'{benchmark: "idle_cost", machine: $machine,
	  setup: {tool: "sockperf under-load --reply-every 1 --full-rtt", message_bytes: $size,
	          seconds_per_rate: $t, idle_seconds: $idle, settle_seconds: $settle,
	          rounds: $rounds, ternd_driver: $drv,
	          cpu: "utime+stime of the ternd process, per cent of one CPU",
	          unit: "us, full round trip"},
	  runs: $runs, median: $med,
	  ratio_to_first: [$med[] as $m | ($med[] | select(.policy == $med[0].policy and
	      .load == $m.load and .rate == $m.rate)) as $b | $m + {
	      cpu_ratio: (if $b.cpu_pct > 0 then $m.cpu_pct / $b.cpu_pct else null end),
	      p50_ratio: (if $m.load == "rate" then $m.p50_us / $b.p50_us else null end),
	      rx_ratio: (if $m.load == "flood" and $b.rx_kpps > 0 then $m.rx_kpps / $b.rx_kpps else null end),
	      p99_ratio: (if $m.load == "rate" then $m.p99_us / $b.p99_us else null end)}]}' \
	>"$OUT" || tern_die "could not write $OUT"

echo
echo "idle_cost: medians over $ROUNDS rounds (ternd via $DRIVER; round trip in us; CPU in % of one CPU)"
printf '  %-44s %8s %8s %8s %8s %8s   %s\n' policy load p50 p99 p99.9 CPU% "ratio to ${POLICIES[0]%%:*} (p50 p99 CPU)"
jq -r '.ratio_to_first[] | [.policy, (if .load == "rate" then "\(.rate)/s" else .load end),
	(.p50_us // "-"), (.p99_us // "-"), (.p999_us // "-"), .cpu_pct,
	(.p50_ratio // "-"), (.p99_ratio // "-"), (.cpu_ratio // "-")] | @tsv' "$OUT" |
	awk -F'\t' 'function f(v, fmt) { return v == "-" ? "-" : sprintf(fmt, v) }
		{ printf "  %-44s %8s %8s %8s %8s %8s   %s %s %s\n", $1, $2, f($3, "%.1f"),
		  f($4, "%.1f"), f($5, "%.1f"), f($6, "%.1f"), f($7, "%.2f"), f($8, "%.2f"), f($9, "%.2f") }'
[ "$FLOOD" = 0 ] || jq -r '.ratio_to_first[] | select(.load == "flood") |
	"  \(.policy): flood received at \(.rx_kpps * 10 | round / 10) kpps, CPU \(.cpu_pct)%, \(.rx_ratio // "-" |
	  if type == "number" then (. * 100 | round / 100 | tostring) else . end)x the first policy'"'"'s rate"' "$OUT"
echo "  results: $OUT"
