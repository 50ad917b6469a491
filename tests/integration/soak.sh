#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Soak test: SOAK_SECONDS (20 in CI; `SOAK_SECONDS=600` is the 10-minute
# soak) of open-loop UDP echo traffic from tern-bench through ternd over
# memif, while ternd's apps are hot swapped every SWAP_EVERY seconds.
#
# ternd (memif server, control socket) serves the responder instance "echo"
# on UDP 7 and a second instance "echo2" on UDP 9. tern-bench (memif client)
# runs a sweep of SEG_S-second open-loop Poisson segments whose rates cycle
# through RATES (mixed load, all well within capacity). Meanwhile, through
# ternctl, every SWAP_EVERY s: "echo" is replaced, its arguments alternating
# (mode=echo / mode=echo service_ns=0); every second tick "echo2" is
# replaced too; every fifth tick a third instance is loaded, bound to UDP 11,
# unbound and unloaded (ticks 0, 5, 10, ...).
#
# Asserts: every request answered (lost=0 in every segment, warm-up included;
# late replies are allowed and reported), no dup/invalid/unsent, every ternctl
# command succeeded, ternd counted drop_no_handler=0, exited 0 and leaked no
# mbuf, and nothing accumulated: with the apps set as after tick 5 and
# no old code left mapped (app_code_waiting=0), ternd's C heap in use and
# DPDK heap in use (show memory; glibc's thread cache off so that freed
# blocks do not count) are at most HEAP_SLACK (512) bytes above what they
# were after tick 5. Tick 5, not 0: glibc's loader keeps per-thread slots
# for as many libraries as were ever mapped at once (old code waits to be
# unmapped), a high-water mark reached in the first cycle. The slack: what
# the loader keeps for a loaded library varies by some 100 bytes from one
# replace to the next (measured: 1799696-1799792 over 15 replaces, no
# trend), so a leak shows as growth beyond it; the 10-minute soak (about 450
# replaces) catches a leak of 2 bytes per replace.
# Prints "soak: RESULT ..." lines with the numbers.
#
# Environment (set by meson): TERND, RESPONDER, TERN_BENCH; TERNCTL (default:
# ternctl next to TERND). SOAK_SECONDS (20), SEG_S (5), RATES
# ("20000 8000 14000 4000", requests/s), SWAP_EVERY (2).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

SOAK_SECONDS=${SOAK_SECONDS:-20}
SEG_S=${SEG_S:-5}
RATES=${RATES:-20000 8000 14000 4000}
SWAP_EVERY=${SWAP_EVERY:-2}
REF_TICK=5
HEAP_SLACK=512
BENCH_PID=
SWAP_PID=

tern_need_root
TERNCTL=${TERNCTL:-$(dirname "${TERND:-/nonexistent}")/ternctl}
tern_need_var TERND TERNCTL RESPONDER TERN_BENCH
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	if [ -n "$SWAP_PID" ]; then
		kill -KILL "$SWAP_PID" 2>/dev/null && wait "$SWAP_PID" 2>/dev/null
	fi
	ternd_stop 5	# first: the memif client must not disconnect under a polling ternd
	if [ -n "$BENCH_PID" ]; then
		kill -KILL "$BENCH_PID" 2>/dev/null
		wait "$BENCH_PID" 2>/dev/null
	fi
	tern_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
appdir="$TERN_TMP/apps"
sock="$TERN_TMP/ctl.sock"
ctl() { "$TERNCTL" -s "$sock" "$@"; }
result() { tern_say "RESULT $*"; }
# quiet_memory: show memory once no old app code is left mapped (up to 10 s).
quiet_memory() {
	local m i
	for i in $(seq 100); do
		m=$(ctl show memory) || return 1
		[ "$(ternd_counter /dev/stdin memory: app_code_waiting <<<"$m")" = 0 ] && break
		sleep 0.1
	done
	echo "$m"
}

mkdir "$appdir" || tern_die "cannot create $appdir"
cp "$RESPONDER" "$appdir/libudp_responder.so" || tern_die "cannot copy $RESPONDER to $appdir"

# The segments: SOAK_SECONDS / SEG_S of them, rates cycling through RATES.
read -r -a rate_list <<<"$RATES"
nseg=$((SOAK_SECONDS / SEG_S))
[ "$nseg" -ge 1 ] || nseg=1
sweep=
for ((i = 0; i < nseg; i++)); do
	sweep="$sweep${sweep:+,}${rate_list[i % ${#rate_list[@]}]}"
done

cat >"$TERN_TMP/start.cmds" <<EOF
app load echo libudp_responder.so mode=echo
bind udp 7 echo
app load echo2 libudp_responder.so mode=echo
bind udp 9 echo2
EOF
tern_prefix soak_d
# show memory's heap_in_use is exact only without glibc's thread cache.
GLIBC_TUNABLES=glibc.malloc.tcache_count=0 ternd_start "$TERN_TMP/ternd.log" -l 0,1 --no-huge -m 512 --no-pci --file-prefix "$TERN_PREFIX" \
	--vdev "net_memif0,role=server,socket=$TERN_TMP/memif.sock,socket-abstract=no" \
	-- --ip 198.18.0.1/24 --app-dir "$appdir" --control "$sock" \
	--exec "$TERN_TMP/start.cmds"
ternd_wait_ready "$TERN_TMP/ternd.log" 60 || tern_fail "ternd did not start"
tern_say "ternd up (memif server); $nseg segments of $SEG_S s at rates $sweep; swaps every $SWAP_EVERY s"

# tern-bench lingers when done: DPDK 22.11's memif may crash the side still
# polling when the other disconnects, so ternd is stopped first.
tern_prefix soak_b
timeout $((nseg * (SEG_S + 5) + 120)) "$TERN_BENCH" -l 0 --no-huge -m 256 --no-pci \
	--file-prefix "$TERN_PREFIX" --log-level=pmd.net.memif:warning \
	--vdev "net_memif0,role=client,socket=$TERN_TMP/memif.sock,socket-abstract=no" \
	-- --src-ip 198.18.0.2 --dst-ip 198.18.0.1 --dport 7 --flows 8 --size 128 \
	--arrival poisson --sweep "$sweep" --duration "$SEG_S" --warmup 0.2 \
	--timeout-ms 500 --linger-ms 60000 --benchmark_format=json \
	>"$TERN_TMP/bench.json" 2>"$TERN_TMP/bench.err" </dev/null &
BENCH_PID=$!

# The swapper: one tick every SWAP_EVERY s until $TERN_TMP/stop exists;
# "ok N" or "FAIL N: command: output" per command. After tick REF_TICK it
# waits for the old code to be unloaded and saves show memory.
(
	tick=0
	run() {
		local out
		if out=$(ctl "$@" 2>&1); then
			echo "ok $tick"
		else
			echo "FAIL $tick: $*: $out"
		fi
	}
	while [ ! -e "$TERN_TMP/stop" ]; do
		if ((tick % 2 == 0)); then
			run app replace echo libudp_responder.so mode=echo service_ns=0
			run app replace echo2 libudp_responder.so mode=echo
		else
			run app replace echo libudp_responder.so mode=echo
		fi
		if ((tick % 5 == 0)); then
			run app load echo3 libudp_responder.so mode=echo
			run bind udp 11 echo3
			run unbind udp 11
			run app unload echo3
		fi
		((tick == REF_TICK)) && quiet_memory >"$TERN_TMP/mem0"
		tick=$((tick + 1))
		sleep "$SWAP_EVERY"
	done
) >"$TERN_TMP/swaps.txt" &
SWAP_PID=$!

# Wait for tern-bench's "done" (or its exit).
limit=$(((nseg * (SEG_S + 5) + 60) * 10))
for ((i = 0; i < limit; i++)); do
	grep -q '^tern-bench: done' "$TERN_TMP/bench.err" && break
	kill -0 "$BENCH_PID" 2>/dev/null || break
	sleep 0.1
done
((i < limit)) || tern_fail "tern-bench did not finish in time"
touch "$TERN_TMP/stop"
wait "$SWAP_PID"
SWAP_PID=
bindings=$(ctl show bindings) || tern_fail "show bindings failed"
# The apps as after tick REF_TICK (odd: echo with mode=echo), then the
# memory once quiet.
if ! ctl app replace echo libudp_responder.so mode=echo >/dev/null ||
	! ctl app replace echo2 libudp_responder.so mode=echo >/dev/null; then
	tern_fail "the final replace failed"
fi
mem1=$(quiet_memory) || tern_fail "show memory failed"

ternd_stop 20
bench_rc=0
wait "$BENCH_PID" || bench_rc=$?
BENCH_PID=
sed -n '/^ternd: .*stopping/,$p' "$TERN_TMP/ternd.log" | grep '^total:\|^mbufs:'
ternd_check_exit "$TERN_TMP/ternd.log"
[ "$bench_rc" = 0 ] || tern_fail "tern-bench exited with status $bench_rc: $(tail -5 "$TERN_TMP/bench.err")"
grep -v '^EAL: \|^TELEMETRY: \|Library was built as DEBUG\|^tern-bench: done' "$TERN_TMP/bench.err" >&2

# The swaps.
nok=$(grep -c '^ok ' "$TERN_TMP/swaps.txt")
nreplace=$(sed -n 's/^ok \([0-9]*\)$/\1/p' "$TERN_TMP/swaps.txt" | tail -1)
ticks=$((${nreplace:--1} + 1))
if grep -q '^FAIL' "$TERN_TMP/swaps.txt"; then
	grep '^FAIL' "$TERN_TMP/swaps.txt" | head -5 >&2
	tern_fail "$(grep -c '^FAIL' "$TERN_TMP/swaps.txt") ternctl commands failed"
fi
[ "$ticks" -ge 2 ] || tern_fail "only $ticks swap ticks ran"
printf -v want 'udp 7 -> echo\nudp 9 -> echo2'
[ "$(sort <<<"$bindings")" = "$want" ] || tern_fail "bindings after the soak: $bindings"
result "swaps ticks=$ticks ternctl_commands_ok=$nok failed=0"

v=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' drop_no_handler)
[ "$v" = 0 ] || tern_fail "ternd counted drop_no_handler=$v (expected 0)"

# The traffic: every segment, warm-up included, fully answered.
/usr/bin/python3 - "$TERN_TMP/bench.json" "$nseg" <<'PY' || tern_fail "requests were lost or results not sane"
import json, sys

doc = json.load(open(sys.argv[1]))
runs = doc.get("benchmarks", [])
if len(runs) != int(sys.argv[2]):
    sys.exit(f"expected {sys.argv[2]} segments, got {len(runs)}")
tot = dict.fromkeys(("sent", "received", "late", "lost", "dup", "invalid", "unsent",
                     "warmup_sent", "warmup_replies"), 0)
err, p99, mx = [], [], 0.0
for b in runs:
    if b.get("error_occurred"):
        err.append(f"{b['name']}: {b.get('error_message')}")
        continue
    for k in tot:
        tot[k] += int(b[k])
    if b["sent"] != b["received"] + b["late"] + b["lost"]:
        err.append(f"{b['name']}: sent != received + late + lost")
    p99.append(b["p99_us"])
    mx = max(mx, b["max_us"])
    print(f"  {b['name']}: sent={b['sent']:.0f} late={b['late']:.0f} lost={b['lost']:.0f} "
          f"p50={b['p50_us']:.1f} p99={b['p99_us']:.1f} max={b['max_us']:.1f} us")
if tot["sent"] == 0:
    err.append("nothing sent")
for k in ("lost", "dup", "invalid", "unsent"):
    if tot[k]:
        err.append(f"{k}={tot[k]}")
if tot["warmup_replies"] != tot["warmup_sent"]:
    err.append(f"warm-up: {tot['warmup_sent'] - tot['warmup_replies']} unanswered")
print(f"soak: RESULT requests sent={tot['sent']} received={tot['received']} late={tot['late']} "
      f"lost={tot['lost']} dup={tot['dup']} invalid={tot['invalid']} unsent={tot['unsent']} "
      f"warmup={tot['warmup_replies']}/{tot['warmup_sent']} "
      f"worst_segment_p99={max(p99, default=0):.1f}us max={mx:.1f}us")
if err:
    sys.exit("; ".join(err))
PY

# The memory: what tick REF_TICK left, exactly.
[ -s "$TERN_TMP/mem0" ] || tern_fail "the soak ended before tick $REF_TICK (raise SOAK_SECONDS)"
mem0=$(cat "$TERN_TMP/mem0")
result "memory after tick $REF_TICK: $mem0"
result "memory after the soak:       $mem1"
for k in app_code_waiting heap_in_use heap_mmapped dpdk_heap_in_use; do
	a=$(ternd_counter /dev/stdin memory: "$k" <<<"$mem0")
	b=$(ternd_counter /dev/stdin memory: "$k" <<<"$mem1")
	[ -n "$a" ] && [ -n "$b" ] || tern_fail "show memory has no $k (after tick $REF_TICK: $mem0)"
	slack=0
	[ "$k" = heap_in_use ] && slack=$HEAP_SLACK
	[ "$b" -le $((a + slack)) ] ||
		tern_fail "$k grew from $a after tick $REF_TICK to $b after the soak (slack $slack)"
done

tern_say "PASS: $SOAK_SECONDS s soak, $ticks swap ticks ($nok ternctl commands): lost=0, leaked=0, memory back to where it was"
exit 0
