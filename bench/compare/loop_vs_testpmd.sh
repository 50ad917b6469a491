#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Loop rate: a fixed number of packets bounced back and forth between two
# DPDK processes joined by memif (no hugepages), as fast as both ends turn
# them around. The client is `dpdk-testpmd --forward-mode=5tswap` (memif
# client, both of its lcores on CPU 0), primed with `start tx_first K`:
# K bursts of 32 UDP datagrams (64-byte payloads, 198.18.0.2:1024 ->
# 198.18.0.1:7, to the DUT's MAC) from its txonly template, after which it
# swaps MACs, IPs and ports of every reply and sends it back as the next
# request. The device under test (memif server, MAC 02:00:00:00:00:01,
# forwarding on one lcore on CPU 1) is alternately ternd (udp_responder
# app, mode=echo, on UDP 7 of 198.18.0.1/24) and a second testpmd 5tswap.
# The loop rate is the client's RX count over the measured window (after a
# warm-up). The testpmd-against-testpmd runs are the generator's own ceiling
# by construction: both ends then do the same work on one core each.
# Runs alternate (ternd, testpmd, ternd, ...); the script prints each run's
# Mpps, ternd's drop counters, the medians and the ratio ternd/testpmd.
# --client tern-bench puts tern-bench in the client's place (memif client,
# lcore 0 on CPU 0, closed loop with the loop's packets outstanding, the
# same 64-byte UDP payloads to 198.18.0.1:7 from port 1024, every reply
# checked; its rate is its replies over its measured window); --client both
# alternates the two clients within each round (DUT by DUT), and the script
# adds the ratio tern-bench/testpmd against the testpmd DUT: how close the
# generator comes to testpmd's own loop. --dut picks the DUTs.
# Results: $BENCH_RESULTS/loop_vs_testpmd.json.
#
# usage: bench/compare/loop_vs_testpmd.sh [--rounds N] [--time SECONDS] [--burst-count K] [--client testpmd|tern-bench|both] [--dut ternd|testpmd|both] [--no-build] [--no-install]
set -u

TERN_PROG=loop_vs_testpmd.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

ROUNDS=5
DURATION=5
WARMUP=2
BURSTS=8
SIZE=64
SPORT=1024
PORT=7
CLIENT_MAC=02:00:00:00:00:02
# txonly's template: Ethernet + IPv4 + UDP headers and the payload.
FRAME=$((14 + 20 + 8 + SIZE))
CLIENT=testpmd
DUT=both

while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=${2:-}; shift ;;
	--time) DURATION=${2:-}; shift ;;
	--burst-count) BURSTS=${2:-}; shift ;;
	--client) CLIENT=${2:-}; shift ;;
	--dut) DUT=${2:-}; shift ;;
	-h | --help) usage 0 ;;
	*) cmp_common_opt "$1" || usage 2 ;;
	esac
	shift
done
[ "$ROUNDS" -gt 0 ] 2>/dev/null || usage 2
[ "$DURATION" -gt 0 ] 2>/dev/null || usage 2
# Up to 32 bursts of 32: the loop fits in one memif ring (1024 slots), so
# no packet of it can be refused for room.
{ [ "$BURSTS" -gt 0 ] && [ "$BURSTS" -le 32 ]; } 2>/dev/null || usage 2
LOOP_PKTS=$((BURSTS * 32))
case "$CLIENT" in
testpmd | tern-bench) CLIENTS=("$CLIENT") ;;
both) CLIENTS=(testpmd tern-bench) ;;
*) usage 2 ;;
esac
case "$DUT" in
ternd | testpmd) DUTS=("$DUT") ;;
both) DUTS=(ternd testpmd) ;;
*) usage 2 ;;
esac

# The client testpmd: pid, the descriptor holding its command FIFO open,
# its log.
CLIENT_PID=
CLIENT_FD=
CLIENT_LOG=
NAP_PID=
client_kill() {
	if [ -n "$CLIENT_PID" ]; then
		kill -KILL "$CLIENT_PID" 2>/dev/null
		wait "$CLIENT_PID" 2>/dev/null
		CLIENT_PID=
	fi
	if [ -n "$CLIENT_FD" ]; then
		exec {CLIENT_FD}>&-
		CLIENT_FD=
	fi
}
# nap SECONDS: sleep in the background and wait for it: a signal to this
# script runs its trap at once, not after the sleep.
nap() {
	sleep "$1" &
	NAP_PID=$!
	wait "$NAP_PID"
	NAP_PID=
}
# on_exit: the EXIT trap's first step (cmp_cleanup does the rest).
on_exit() {
	if [ -n "$NAP_PID" ]; then
		kill "$NAP_PID" 2>/dev/null
		wait "$NAP_PID" 2>/dev/null
		NAP_PID=
	fi
	client_kill
}
CMP_ON_EXIT=on_exit

cmp_begin "$0" "$@"
cmp_check_quiet
TERND="$BUILD/ternd"
TERNCTL="$BUILD/ternctl"
RESPONDER="$BUILD/apps/udp_responder/libudp_responder.so"
tern_need_var TERND TERNCTL RESPONDER
cmp_need_testpmd
if [[ " ${CLIENTS[*]} " == *" tern-bench "* ]]; then
	cmp_find_tern_bench
	tern_need_var TERN_BENCH
fi

cat >"$TERN_TMP/start.cmds" <<EOF
app load echo $RESPONDER mode=echo
bind udp $PORT echo
EOF

RUNS="$TERN_TMP/runs.jsonl"
: >"$RUNS"

# ---- the device under test ----
# Set by the DUT's stop function: DUT_DROPS, its drops over the run;
# DUT_JSON, its counters as a JSON object; DUT_SUMMARY, a line about them.
DUT_PREFIX=
DUT_DROPS=
DUT_JSON=
DUT_SUMMARY=

start_ternd() {
	cmp_ternd_memif loop "$TERN_TMP/start.cmds" || tern_die "ternd did not start"
	DUT_PREFIX=$TERN_PREFIX
}
# ternd's own counters (rx, tx, every drop_* summed) while it runs.
ternd_totals() { TERN_PREFIX=$DUT_PREFIX tern_totals; }
stop_ternd() {
	local total drops
	ternd_stop 20
	[ "$TERND_RC" = 0 ] || tern_die "ternd exited with status $TERND_RC:
$(tail -20 "$TERN_TMP/ternd.log")"
	# The exit report: "total: rx=N tx=N drop_malformed=N ..." (every
	# drop_* counter, docs/observability.md).
	total=$(grep -m1 '^total:' "$TERN_TMP/ternd.log" | tr ' ' '\n' | grep '=')
	DUT_JSON=$(jq -Rn '[inputs | split("=") | {(.[0]): (.[1] | tonumber)}] | add // {}' <<<"$total")
	DUT_DROPS=$(jq '[to_entries[] | select(.key | startswith("drop_")) | .value] | add // 0' <<<"$DUT_JSON")
	drops=$(jq -r '[to_entries[] | select((.key | startswith("drop_")) and .value > 0)
		| "\(.key)=\(.value)"] | if length == 0 then "none (every drop_* counter is 0)" else join(" ") end' \
		<<<"$DUT_JSON")
	DUT_SUMMARY="ternd's counters at exit: rx=$(jq .rx <<<"$DUT_JSON") tx=$(jq .tx <<<"$DUT_JSON"), drops: $drops"
}

start_testpmd() {
	cmp_testpmd_memif loop_tpmd
}
stop_testpmd() {
	local rxd txd
	cmp_testpmd_stop
	# Its forward statistics: "RX-packets: N  RX-dropped: N  RX-total: N"
	# and the same for TX.
	rxd=$(sed -n 's/.*RX-dropped: *\([0-9]*\).*/\1/p' "$TERN_TMP/testpmd.log" | head -1)
	txd=$(sed -n 's/.*TX-dropped: *\([0-9]*\).*/\1/p' "$TERN_TMP/testpmd.log" | head -1)
	DUT_JSON=$(jq -n --argjson r "${rxd:-null}" --argjson t "${txd:-null}" \
		'{rx_dropped: $r, tx_dropped: $t}')
	DUT_DROPS=$((${rxd:-0} + ${txd:-0}))
	DUT_SUMMARY="testpmd DUT's forward statistics: RX-dropped ${rxd:-?}, TX-dropped ${txd:-?}"
}

# ---- the client ----
# client_start: the client testpmd (memif client, main lcore and forwarding
# lcore both on CPU 0, interactive, reading its commands from a fresh FIFO),
# its txonly template addressed to the DUT. Log: $CLIENT_LOG.
client_start() {
	local fifo="$TERN_TMP/client.in"
	tern_prefix loop_cli
	CLIENT_LOG="$TERN_TMP/client.log"
	: >"$CLIENT_LOG"
	rm -f "$fifo"
	mkfifo "$fifo" || tern_die "mkfifo failed"
	exec {CLIENT_FD}<>"$fifo"
	# stdbuf: testpmd prints its statistics through a buffered stdout.
	stdbuf -oL "$CMP_TESTPMD" --lcores 0@0,1@0 --no-huge -m 512 --no-pci \
		--file-prefix "$TERN_PREFIX" --log-level=pmd.net.memif:warning \
		--vdev "$(cmp_memif_vdev client "mac=$CLIENT_MAC")" \
		-- -i --forward-mode=5tswap --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=8192 \
		--eth-peer="0,$CMP_SERVER_MAC" --tx-ip="$CMP_CLIENT_IP,$CMP_SERVER_IP" \
		--tx-udp="$SPORT,$PORT" --txpkts="$FRAME" <"$fifo" >>"$CLIENT_LOG" 2>&1 &
	CLIENT_PID=$!
}

# client_cmd CMD PATTERN LIMIT_S: sends CMD to the client and waits until
# its log has one more line matching PATTERN (the end of CMD's output);
# 1 if the client exited or the time ran out.
client_cmd() {
	local pat=$2 limit=$(($3 * 20)) n i
	n=$(grep -c -- "$pat" "$CLIENT_LOG")
	printf '%s\n' "$1" >&"$CLIENT_FD"
	for ((i = 0; i < limit; i++)); do
		[ "$(grep -c -- "$pat" "$CLIENT_LOG")" -gt "$n" ] && return 0
		kill -0 "$CLIENT_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# client_link_up LIMIT_S: 0 once the client's port reports its link up.
client_link_up() {
	local i
	for ((i = 0; i < $1 * 2; i++)); do
		client_cmd 'show port info 0' 'Link status:' 5 || return 1
		grep 'Link status:' "$CLIENT_LOG" | tail -1 | grep -q 'up' && return 0
		sleep 0.5
	done
	return 1
}

# client_stats: "RX_PACKETS RX_PPS" from `show port stats all` (Rx-pps:
# the RX count since the previous show over the time since then, both
# read by testpmd itself).
client_stats() {
	client_cmd 'show port stats all' 'Tx-pps:' 10 || return 1
	printf '%s %s\n' \
		"$(sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' "$CLIENT_LOG" | tail -1)" \
		"$(sed -n 's/.*Rx-pps: *\([0-9]*\).*/\1/p' "$CLIENT_LOG" | tail -1)"
}

# client_quit: `quit`, then SIGKILL if it has not exited within 10 s.
client_quit() {
	local i
	[ -n "$CLIENT_PID" ] || return 0
	{ printf 'quit\n' >&"$CLIENT_FD"; } 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$CLIENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	client_kill
}

# run_failed TARGET ROUND WHY: a run that gave no figure: says why, keeps
# the logs in $BENCH_RESULTS/failed/, stops both ends; returns 1.
run_failed() {
	tern_say "round $2 $1: $3; trying again"
	mkdir -p "$BENCH_RESULTS/failed" &&
		cp "$CLIENT_LOG" "$BENCH_RESULTS/failed/client_$1_$2.log" 2>/dev/null
	client_kill
	if [ "$1" = ternd ]; then
		ternd_stop 20
	else
		cmp_testpmd_stop
	fi
	cmp_bench_finish # tern-bench, if it was the client: after the DUT left
	return 1
}

# measure_testpmd TARGET ROUND: one run of the testpmd client against
# TARGET (ternd or testpmd).
# noise_notes CPU0 CPU1 OTHERS: sets other_pct (the share of the two CPUs the
# rest of the machine took during a run) and prints a note when it, or other
# DPDK and benchmark processes, may have disturbed the run.
noise_notes() {
	other_pct=$(cmp_cpu_other_pct "$1" "$2")
	if awk -v p="$other_pct" 'BEGIN { exit !(p + 0 >= 5) }'; then
		printf '                    NOTE: the client and the DUT got only %.0f%% of the two CPUs: the rest of the machine took %s%%\n' \
			"$(awk -v p="$other_pct" 'BEGIN { print 100 - p }')" "$other_pct"
	fi
	[ -z "$3" ] || printf '                    NOTE: other DPDK/benchmark processes ran during this run: %s\n' "$3"
}

measure_testpmd() {
	local target=$1 round=$2 rx0 rx1 pps ts0 ts1 s0 s1 cdrop interval interval_s mpps mpps_s
	local w_rx w_tx w_drops
	local others0 others1 others cpu0 cpu1 other_pct
	"start_$target"
	client_start
	client_link_up 20 || { run_failed "$target" "$round" "the memif link did not come up"; return 1; }
	client_cmd "start tx_first $BURSTS" 'packets/burst=' 10 ||
		{ run_failed "$target" "$round" "the client did not start"; return 1; }
	nap "$WARMUP"
	[ "$target" != ternd ] || read -r -a s0 < <(ternd_totals)
	others0=$(cmp_others "$CLIENT_PID" "$TERND_PID" "$CMP_TESTPMD_PID")
	cpu0=$(cmp_cpu_snap "$CLIENT_PID" "$TERND_PID" "$CMP_TESTPMD_PID")
	ts0=$EPOCHREALTIME
	read -r rx0 _ < <(client_stats) || { run_failed "$target" "$round" "no statistics from the client"; return 1; }
	nap "$DURATION"
	ts1=$EPOCHREALTIME
	read -r rx1 pps < <(client_stats) || { run_failed "$target" "$round" "no statistics from the client"; return 1; }
	cpu1=$(cmp_cpu_snap "$CLIENT_PID" "$TERND_PID" "$CMP_TESTPMD_PID")
	[ "$target" != ternd ] || read -r -a s1 < <(ternd_totals)
	others1=$(cmp_others "$CLIENT_PID" "$TERND_PID" "$CMP_TESTPMD_PID")
	others=$others0
	[ "$others1" = "$others0" ] || others="${others0:+$others0 (at the start); }${others1:-none} (at the end)"
	# Stop the client's forwarding first: the DUT (memif server) then leaves
	# a client that no longer polls.
	client_cmd stop 'Done\.' 10 || { run_failed "$target" "$round" "the client did not stop"; return 1; }
	cdrop=$(sed -n 's/.*TX-dropped: *\([0-9]*\).*/\1/p' "$CLIENT_LOG" | head -1)
	"stop_$target"
	client_quit
	if ! [ "${rx0:-0}" -gt 0 ] 2>/dev/null || ! [ "${rx1:-0}" -gt "$rx0" ] 2>/dev/null ||
		! [ "${pps:-0}" -gt 0 ] 2>/dev/null; then
		mkdir -p "$BENCH_RESULTS/failed" && cp "$CLIENT_LOG" "$BENCH_RESULTS/failed/client_${target}_$round.log"
		tern_say "round $round $target: the loop did not run (client RX ${rx0:-?} then ${rx1:-?};" \
			"$DUT_SUMMARY); trying again"
		return 1
	fi
	# testpmd's interval between its two reads of the counters (Rx-pps is
	# the RX count over it), and the script's between sending the two shows.
	interval=$(awk -v n=$((rx1 - rx0)) -v p="$pps" 'BEGIN { printf "%.3f", n / p }')
	interval_s=$(awk -v a="$ts0" -v b="$ts1" 'BEGIN { printf "%.3f", b - a }')
	mpps=$(awk -v p="$pps" 'BEGIN { printf "%.3f", p / 1e6 }')
	mpps_s=$(awk -v n=$((rx1 - rx0)) -v t="$interval_s" 'BEGIN { printf "%.3f", n / t / 1e6 }')
	printf '  round %d  %-8s %7.3f Mpps  (client RX %d in %s s by its clock; %d packets in the loop, %s left at the end)\n' \
		"$round" "$target" "$mpps" $((rx1 - rx0)) "$interval" "$LOOP_PKTS" \
		$((LOOP_PKTS - ${cdrop:-0} - DUT_DROPS))
	printf '                    %s\n' "$DUT_SUMMARY"
	w_rx=null w_tx=null w_drops=null
	if [ "$target" = ternd ] && [ ${#s0[@]} = 3 ] && [ ${#s1[@]} = 3 ]; then
		w_rx=$((s1[0] - s0[0])) w_tx=$((s1[1] - s0[1])) w_drops=$((s1[2] - s0[2]))
		printf '                    ternd in the window (ternctl show stats): rx +%d tx +%d drops +%d\n' \
			"$w_rx" "$w_tx" "$w_drops"
	fi
	[ "${cdrop:-0}" = 0 ] || tern_say "round $round $target: the client dropped $cdrop packets on TX"
	noise_notes "$cpu0" "$cpu1" "$others"
	jq -nc --arg t "$target" --argjson r "$round" --argjson mpps "$mpps" --argjson pps "$pps" \
		--arg client testpmd \
		--argjson n $((rx1 - rx0)) --argjson i "$interval" --argjson is "$interval_s" \
		--argjson ms "$mpps_s" \
		--argjson cd "${cdrop:-null}" --argjson dd "$DUT_DROPS" --argjson dut "$DUT_JSON" \
		--argjson wrx "$w_rx" --argjson wtx "$w_tx" --argjson wd "$w_drops" \
		--argjson loop "$LOOP_PKTS" --arg others "$others" --argjson other_pct "$other_pct" \
		'{client: $client, target: $t, round: $r, Mpps: $mpps, client_rx_pps: $pps, client_rx_packets: $n,
		  interval_s: $i, interval_script_clock_s: $is, Mpps_script_clock: $ms,
		  client_tx_dropped: $cd,
		  packets_in_loop_at_end: ($loop - ($cd // 0) - $dd), dut_drops: $dd,
		  dut_counters_at_exit: $dut,
		  ternd_window: (if $wrx == null then null else {rx: $wrx, tx: $wtx, drops: $wd} end),
		  others_running: (if $others == "" then null else $others end),
		  cpu_not_ours_pct: $other_pct}' >>"$RUNS"
}

# measure_tern_bench TARGET ROUND: one run of tern-bench as the client against
# TARGET: closed loop with LOOP_PKTS requests outstanding (the loop), the
# testpmd client's packet (SIZE-byte UDP payload, port SPORT to PORT, one
# flow), WARMUP then DURATION seconds; its rate is its replies in the window
# over the window (its own TSC).
measure_tern_bench() {
	local target=$1 round=$2 out="$TERN_TMP/bench_${1}_$2.json" b cpu0 cpu1 others other_pct
	"start_$target"
	cmp_bench_start loop_tb "$out" --dport "$PORT" --sport-base "$SPORT" --flows 1 \
		--size "$SIZE" --mode closed --outstanding "$LOOP_PKTS" --duration "$DURATION" \
		--warmup "$WARMUP" --timeout-ms 1000 --label "loop:$target"
	nap "$WARMUP"
	others=$(cmp_others "$BENCH_PID" "$TERND_PID" "$CMP_TESTPMD_PID")
	cpu0=$(cmp_cpu_snap "$BENCH_PID" "$TERND_PID" "$CMP_TESTPMD_PID")
	# Asleep through the window (the CPU snapshots cover WARMUP..WARMUP+
	# DURATION after the start, inside tern-bench's window but for its
	# start-up; then a second more): cmp_bench_wait's polling (a grep every
	# 0.1 s) would take CPU time from the two ends, and a loop stalls
	# whenever either end is preempted.
	nap "$DURATION"
	cpu1=$(cmp_cpu_snap "$BENCH_PID" "$TERND_PID" "$CMP_TESTPMD_PID")
	nap 1
	cmp_bench_wait "$out" $((DURATION + WARMUP + 60)) ||
		{ run_failed "$target" "$round" "tern-bench did not finish"; return 1; }
	# The DUT (memif server) leaves first, then tern-bench sees the link go down.
	"stop_$target"
	cmp_bench_finish
	cmp_bench_json "$out" || { tern_say "round $round $target: no report from tern-bench; trying again"; return 1; }
	b=$(jq -c '.benchmarks[0]' "$out")
	if ! awk -v m="$(jq -r '.Mpps // 0' <<<"$b")" 'BEGIN { exit !(m + 0 > 0) }'; then
		mkdir -p "$BENCH_RESULTS/failed" && cp "$out" "$out.err" "$BENCH_RESULTS/failed/"
		tern_say "round $round $target: the loop did not run ($(jq -r '.error_message // "no Mpps"' \
			<<<"$b"); $DUT_SUMMARY); trying again"
		return 1
	fi
	printf '  round %d  %-8s %7.3f Mpps  tern-bench client (sent %s, received %s, late %s, lost %s, dup %s, invalid %s; p50 %.1f us)\n' \
		"$round" "$target" "$(jq -r .Mpps <<<"$b")" "$(jq -r .sent <<<"$b")" \
		"$(jq -r .received <<<"$b")" "$(jq -r .late <<<"$b")" "$(jq -r .lost <<<"$b")" \
		"$(jq -r .dup <<<"$b")" "$(jq -r .invalid <<<"$b")" "$(jq -r .p50_us <<<"$b")"
	printf '                    %s\n' "$DUT_SUMMARY"
	noise_notes "$cpu0" "$cpu1" "$others"
	jq -c --arg t "$target" --argjson r "$round" --argjson dd "$DUT_DROPS" --argjson dut "$DUT_JSON" \
		--arg others "$others" --argjson other_pct "$other_pct" \
		'{client: "tern-bench", target: $t, round: $r, Mpps: .Mpps, achieved_pps: .achieved_pps,
		  sent: .sent, received: .received, lost: .lost, late: .late, dup: .dup,
		  invalid: .invalid, stale: .stale, p50_us: .p50_us, p99_us: .p99_us,
		  dut_drops: $dd, dut_counters_at_exit: $dut,
		  others_running: (if $others == "" then null else $others end),
		  cpu_not_ours_pct: $other_pct}' <<<"$b" >>"$RUNS"
}

tern_say "$ROUNDS rounds, $DURATION s each after $WARMUP s of warm-up: a loop of $LOOP_PKTS packets" \
	"(start tx_first $BURSTS), $SIZE-byte UDP payloads, over memif; the client" \
	"(${CLIENTS[*]}) on CPU 0, the DUT (${DUTS[*]}) forwarding on CPU 1"
for ((r = 1; r <= ROUNDS; r++)); do
	for target in "${DUTS[@]}"; do
		for client in "${CLIENTS[@]}"; do
			# One retry: a memif connection that never came up is not a figure.
			for attempt in 1 2; do
				"measure_${client/-/_}" "$target" "$r" && break
				[ "$attempt" = 1 ] || tern_die "round $r $client -> $target failed twice"
			done
		done
	done
done

# med CLIENT TARGET: the median Mpps of those runs ("" if none).
med() { jq -r --arg c "$1" --arg t "$2" 'select(.client == $c and .target == $t) | .Mpps' "$RUNS" | cmp_median; }
mt=$(med testpmd ternd)
mp=$(med testpmd testpmd)
ratio=$(cmp_ratio "$mt" "$mp")
bt=$(med tern-bench ternd)
bp=$(med tern-bench testpmd)
bratio=$(cmp_ratio "$bt" "$bp")
gratio=$(cmp_ratio "$bp" "$mp")

# jnum X: X as a JSON number, null when empty.
jnum() { printf '%s\n' "${1:-null}"; }

OUT=$(cmp_results_file loop_vs_testpmd.json)
jq -s --argjson machine "$(cmp_machine_json)" --argjson rounds "$ROUNDS" \
	--argjson t "$DURATION" --argjson w "$WARMUP" --argjson k "$BURSTS" \
	--argjson loop "$LOOP_PKTS" --argjson size "$SIZE" --argjson frame "$FRAME" \
	--arg flow "$CMP_CLIENT_IP:$SPORT -> $CMP_SERVER_IP:$PORT" \
	--arg clients "${CLIENTS[*]}" --arg duts "${DUTS[*]}" \
	--argjson mt "$(jnum "$mt")" --argjson mp "$(jnum "$mp")" \
	--argjson bt "$(jnum "$bt")" --argjson bp "$(jnum "$bp")" \
	'def ratio(a; b): if a == null or b == null or b == 0 then null else a / b end;
	 {benchmark: "loop_vs_testpmd", machine: $machine,
	  setup: {device: "memif (server: DUT, client: dpdk-testpmd or tern-bench), --no-huge",
	          clients: ($clients | split(" ")), duts: ($duts | split(" ")),
	          client: "dpdk-testpmd --lcores 0@0,1@0 -- -i --forward-mode=5tswap, start tx_first",
	          tern_bench_client: "tern-bench -l 0 -- --mode closed --outstanding <packets_in_loop> --flows 1",
	          client_cpu: 0, dut_cpu: 1, burst_count: $k, packets_in_loop: $loop,
	          udp_payload_bytes: $size, frame_bytes: $frame, flow: $flow,
	          warmup_s: $w, seconds_per_run: $t, rounds: $rounds,
	          rate: "testpmd client: its Rx-pps between two show port stats (its RX count over its own interval); tern-bench client: its replies in its measured window over the window",
	          testpmd: "--forward-mode=5tswap --nb-cores=1", ternd: "udp_responder mode=echo"},
	  runs: .,
	  median_Mpps: {ternd: $mt, testpmd: $mp},
	  median_Mpps_by_client: {testpmd: {ternd: $mt, testpmd: $mp},
	                          "tern-bench": {ternd: $bt, testpmd: $bp}},
	  generator_ceiling_Mpps: $mp,
	  runs_sharing_the_cpus: [.[] | select((.cpu_not_ours_pct // 0) >= 5 or .others_running != null)
	                          | {client, target, round}],
	  ratio_ternd_over_testpmd: ratio($mt; $mp),
	  ratio_ternd_over_testpmd_tern_bench_client: ratio($bt; $bp),
	  ratio_tern_bench_over_testpmd_client: ratio($bp; $mp),
	  tern_bench_keeps_up: (if ratio($bp; $mp) == null then null else ratio($bp; $mp) >= 0.9 end)}' \
	"$RUNS" >"$OUT" || tern_die "could not write $OUT"

echo
echo "loop_vs_testpmd: medians over $ROUNDS rounds (a loop of $LOOP_PKTS packets over memif;" \
	"the DUT forwarding on CPU 1, the client on CPU 0)"
if [ -n "$mt$mp" ]; then
	echo " client testpmd 5tswap:"
	[ -z "$mt" ] || printf '  ternd    %7.3f Mpps  (udp_responder echo)\n' "$mt"
	[ -z "$mp" ] || printf '  testpmd  %7.3f Mpps  (5tswap)\n' "$mp"
fi
if [ -n "$mt" ] && [ -n "$mp" ]; then
	printf '  ratio    %7s  (ternd/testpmd)\n' "$ratio"
	echo "  The generator's own ceiling is the testpmd figure, by construction: against the testpmd"
	echo "  DUT both ends run the same 5tswap on one core each, so no DUT can loop faster with this"
	echo "  client on this machine."
	if awk -v r="$ratio" 'BEGIN { exit !(r + 0 < 0.9) }'; then
		echo "  ternd's loop rate is well under that ceiling: ternd, not the client, set its runs' rate."
	else
		echo "  ternd's loop rate is at that ceiling: the client may have been the limit of its runs."
	fi
fi
if [ -n "$bt$bp" ]; then
	echo " client tern-bench (closed loop, $LOOP_PKTS outstanding):"
	[ -z "$bt" ] || printf '  ternd    %7.3f Mpps  (udp_responder echo)\n' "$bt"
	[ -z "$bp" ] || printf '  testpmd  %7.3f Mpps  (5tswap)\n' "$bp"
	[ -z "$bt" ] || [ -z "$bp" ] || printf '  ratio    %7s  (ternd/testpmd)\n' "$bratio"
fi
if [ -n "$bp" ] && [ -n "$mp" ]; then
	printf ' generators against the testpmd DUT: tern-bench/testpmd client %s' "$gratio"
	if awk -v r="$gratio" 'BEGIN { exit !(r + 0 >= 0.9) }'; then
		echo " (at least 0.9: tern-bench keeps up with testpmd's own loop)"
	else
		echo " (under 0.9: tern-bench, not the responder, limits its loop)"
	fi
fi
disturbed=$(jq -s '[.[] | select((.cpu_not_ours_pct // 0) >= 5 or .others_running != null)] | length' "$RUNS")
[ "$disturbed" = 0 ] ||
	echo "  NOTE: $disturbed of $(wc -l <"$RUNS") runs shared the CPUs with other work (see above): figures are noisy"
echo "  results: $OUT"
