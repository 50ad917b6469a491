#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What `app replace` does to the in-engine tail. ternd (worker on lcore 1,
# control on lcore 0) is the memif server with the UDP responder in echo mode
# on UDP 7; tern-bench (lcore 0, with this script and ternctl) sends an open-loop Poisson stream at --rate
# for the whole run. Then, --rounds times, alternating:
#   steady: `show latency interval` starts an interval; --swaps x
#           --interval-ms of traffic alone; `show latency interval json`;
#   swaps:  the same length with one `app replace echo ... mode=echo` every
#           --interval-ms (--swaps of them, exact hand-off: the responder
#           carries its counters), then `show latency interval json`;
#   other:  the control: the same length with `app load other ...` and
#           `app unload other` every --interval-ms, the same control-plane
#           work (copy, hash, dlopen, init, publish, fini) without touching
#           the instance that serves, to tell the swap's own cost from the
#           cost of a busy control thread next to the generator on CPU 0.
# Each phase's in-engine latency (RX burst to TX, from ternd's own histogram,
# so the generator's noise is not in it) is one interval: p50, p99, p99.9,
# max. Prints each round, the medians over rounds and the ratio swaps/steady
# of the p99.9; also the swaps' own figures (held requests, hold time,
# phases). Results: $BENCH_RESULTS/swap_tail.json.
#
# usage: bench/compare/swap_tail.sh [--rounds N] [--swaps N] [--interval-ms MS] [--rate PPS] [--handoff exact|snapshot] [--no-build] [--no-install]
set -u

TERN_PROG=swap_tail.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

ROUNDS=5
SWAPS=100
INTERVAL_MS=100
RATE=20000
HANDOFF=exact

while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=${2:-}; shift ;;
	--swaps) SWAPS=${2:-}; shift ;;
	--interval-ms) INTERVAL_MS=${2:-}; shift ;;
	--rate) RATE=${2:-}; shift ;;
	--handoff) HANDOFF=${2:-}; shift ;;
	-h | --help) usage 0 ;;
	*) cmp_common_opt "$1" || usage 2 ;;
	esac
	shift
done
[ "$ROUNDS" -gt 0 ] 2>/dev/null && [ "$SWAPS" -gt 0 ] 2>/dev/null &&
	[ "$INTERVAL_MS" -ge 10 ] 2>/dev/null && [ "$RATE" -gt 0 ] 2>/dev/null || usage 2
case "$HANDOFF" in exact | snapshot) ;; *) usage 2 ;; esac

cmp_need_root "$0" "$@"
# This script and everything it starts (ternctl, sleep, jq) stay off the
# worker's CPU 1: a process scheduled there would stall the worker, which
# is not what a swap costs.
taskset -pc 0 $$ >/dev/null || tern_die "cannot pin to CPU 0 (taskset)"
trap cmp_cleanup EXIT
trap 'exit 130' INT TERM
tern_mktemp
cmp_prepare
TERND=$BUILD/ternd
TERNCTL=$BUILD/ternctl
RESPONDER=$BUILD/apps/udp_responder/libudp_responder.so
TERN_BENCH=$BUILD/bench/tern-bench
for f in "$TERND" "$TERNCTL" "$RESPONDER" "$TERN_BENCH"; do
	[ -e "$f" ] || tern_die "$f is missing: build first (or drop --no-build)"
done

phase_s=$(awk -v n="$SWAPS" -v ms="$INTERVAL_MS" 'BEGIN { printf "%.3f", n * ms / 1000 }')
total_s=$(awk -v p="$phase_s" -v r="$ROUNDS" 'BEGIN { printf "%d", (3 * p + 6) * r + 20 }')
printf 'app load echo %s mode=echo\nbind udp 7 echo\n' "$RESPONDER" >"$TERN_TMP/start.cmds"
cmp_ternd_memif swap_d "$TERN_TMP/start.cmds" || tern_die "ternd did not start"
TERN_PREFIX_D=$TERN_PREFIX
cmp_bench_start swap_b "$TERN_TMP/bench.json" --mode open --arrival poisson --rate "$RATE" \
	--flows 16 --duration "$total_s"
sleep 3 # tern-bench's ARP-less start and warm-up

# While phases run, nothing here forks: one ternctl for all commands (a
# coprocess), bash's clock, and read -t on a FIFO nobody writes as the
# sleep. A process started per swap would take CPU 0 from tern-bench and be
# measured as the swap's cost.
coproc CTL { exec "$TERNCTL" -p "$TERN_PREFIX_D"; }
mkfifo "$TERN_TMP/never" && exec {NEVER}<>"$TERN_TMP/never" || tern_die "cannot make a FIFO"
# send CMD LINES: one command to the ternctl coprocess; read LINES answer lines into REPLY_ALL.
send() {
	local i line
	REPLY_ALL=
	printf '%s\n' "$1" >&"${CTL[1]}"
	for ((i = 0; i < $2; i++)); do
		IFS= read -r -t 30 line <&"${CTL[0]}" || tern_die "no answer to '$1'"
		REPLY_ALL+=$line
	done
}
now_us() { NOW_US=${EPOCHREALTIME/./}; }
# sleep_until_us T: without forking.
sleep_until_us() {
	local left
	now_us
	left=$(($1 - NOW_US))
	[ "$left" -gt 0 ] || return 0
	printf -v left '%d.%06d' $((left / 1000000)) $((left % 1000000))
	read -r -t "$left" <&"$NEVER"
}

# phase NAME KIND: one interval of SWAPS x INTERVAL_MS; KIND 0: traffic
# alone, 1: a replace at the start of each INTERVAL_MS, 2: a load and an
# unload of another instance instead; its latency JSON in PHASE_JSON.
phase() {
	local i t0
	send "show latency interval json" 1
	now_us
	t0=$NOW_US
	for ((i = 0; i < SWAPS; i++)); do
		if [ "$2" = 1 ]; then
			send "app replace echo $RESPONDER mode=echo handoff=$HANDOFF" 1
			REPLACES+=("$REPLY_ALL")
		elif [ "$2" = 2 ]; then
			send "app load other $RESPONDER mode=echo" 1
			send "app unload other" 0
		fi
		sleep_until_us $((t0 + (i + 1) * INTERVAL_MS * 1000))
	done
	send "show latency interval json" 1
	PHASE_JSON=$REPLY_ALL
}

REPLACES=()
rows=()
for ((r = 1; r <= ROUNDS; r++)); do
	phase steady 0
	steady=$PHASE_JSON
	phase swaps 1
	swaps=$PHASE_JSON
	# The replaced libraries are unmapped once no app changed for 2 s: let
	# that happen between phases, not in the next one.
	sleep_until_us $((NOW_US + 3000000))
	phase other 2
	other=$PHASE_JSON
	sleep_until_us $((NOW_US + 3000000))
	row=$(jq -n --argjson s "$steady" --argjson w "$swaps" --argjson o "$other" \
		--argjson r "$r" '{round: $r, steady: $s.total, swaps: $w.total, other: $o.total}')
	rows+=("$row")
	jq -r 'def f(x): "count=\(x.count) p50=\(x.p50) p99=\(x.p99) p99.9=\(x.p999) max=\(x.max)";
		"round \(.round): steady \(f(.steady)) | swaps \(f(.swaps)) | other \(f(.other)) (ns)"' <<<"$row"
done
eval "exec ${CTL[1]}>&-"
printf '%s\n' "${REPLACES[@]}" >"$TERN_TMP/replace.out"
ternd_stop 20
cmp_bench_finish

med() { printf '%s\n' "${rows[@]}" | jq -r "$1" | cmp_median; }
o999=$(med '.other.p999')
o99=$(med '.other.p99')
s999=$(med '.steady.p999')
w999=$(med '.swaps.p999')
s99=$(med '.steady.p99')
w99=$(med '.swaps.p99')
held=$(sed -n 's/.* held=\([0-9]*\) .*/\1/p' "$TERN_TMP/replace.out" | awk '{ s += $1 } END { print s + 0 }')
nrep=$(grep -c '^replaced' "$TERN_TMP/replace.out")
hold_med=$(sed -n 's/.* hold_us=\([0-9]*\) .*/\1/p' "$TERN_TMP/replace.out" | cmp_median)
hold_max=$(sed -n 's/.* hold_us=\([0-9]*\) .*/\1/p' "$TERN_TMP/replace.out" | sort -n | tail -1)
total_med=$(sed -n 's/.* total_us=\([0-9]*\) .*/\1/p' "$TERN_TMP/replace.out" | cmp_median)
echo "medians over $ROUNDS rounds ($SWAPS swaps of ${INTERVAL_MS} ms per phase, $RATE requests/s):"
echo "  p99   steady=${s99} ns swaps=${w99} ns ratio=$(cmp_ratio "$w99" "$s99")"
echo "  p99.9 steady=${s999} ns swaps=${w999} ns ratio=$(cmp_ratio "$w999" "$s999")"
echo "  control (load+unload of another instance at the same pace): p99=${o99} ns p99.9=${o999} ns;" \
	"swaps/control p99.9 ratio=$(cmp_ratio "$w999" "$o999")"
echo "  replaces=$nrep held_total=$held hold_us median=$hold_med max=$hold_max replace total_us median=$total_med"
out=$(cmp_results_file swap_tail.json)
printf '%s\n' "${rows[@]}" | jq -s --argjson machine "$(cmp_machine_json)" \
	--arg handoff "$HANDOFF" --argjson rate "$RATE" --argjson swaps "$SWAPS" \
	--argjson interval_ms "$INTERVAL_MS" --argjson held "$held" \
	--arg hold_med "$hold_med" --arg hold_max "$hold_max" \
	'{machine: $machine, handoff: $handoff, rate: $rate, swaps_per_phase: $swaps,
	  interval_ms: $interval_ms, held_total: $held, hold_us_median: $hold_med,
	  hold_us_max: $hold_max, rounds: .}' >"$out"
echo "results: $out"
