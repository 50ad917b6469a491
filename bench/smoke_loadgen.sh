#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Smoke test of tern-bench (suite bench-smoke): ternd with a memif server
# port and the responder in echo mode on UDP 7; tern-bench on the client end
# runs ~1 s open loop (Poisson, low rate) and ~1 s closed loop (8
# outstanding) with JSON output. Then the veth target: ternd on the host end
# of a veth pair (AF_XDP), tern-bench on the namespace end through its own
# AF_XDP port, resolving ternd's MAC by ARP, ~1 s closed loop. Checks sane numbers only, never timings:
# replies arrived, no loss, no duplicates, no invalid replies, every request
# accounted for (sent = received + late + lost), ordered percentiles.
#
# Environment (set by meson): TERND, RESPONDER, TERN_BENCH.
# RATE, DURATION: override the open-loop rate and each run's length.
set -u

# shellcheck source=SCRIPTDIR/../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../scripts/lib/tern.sh"

RATE=${RATE:-20000}
DURATION=${DURATION:-1}
BENCH_PID=

tern_need_root
tern_need_var TERND RESPONDER TERN_BENCH
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
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

# bench_run NAME ARGS...: runs tern-bench in the background with ARGS after
# --, JSON to $TERN_TMP/NAME.json. It lingers when done: DPDK 22.11's memif
# may crash the side still polling when the other disconnects, so ternd is
# stopped (or the test ends) before tern-bench closes its port.
bench_run() {
	local name=$1
	shift
	tern_prefix "$name"
	timeout 120 "$TERN_BENCH" -l 0 --no-huge -m 256 --no-pci --file-prefix "$TERN_PREFIX" \
		--log-level=pmd.net.memif:warning \
		--vdev "net_memif0,role=client,socket=$TERN_TMP/memif.sock,socket-abstract=no" \
		-- --src-ip 198.18.0.2 --dst-ip 198.18.0.1 --dport 7 --flows 4 \
		--duration "$DURATION" --warmup 0.2 --timeout-ms 500 --linger-ms 60000 \
		--benchmark_format=json "$@" \
		>"$TERN_TMP/$name.json" 2>"$TERN_TMP/$name.err" </dev/null &
	BENCH_PID=$!
}

# bench_wait NAME: waits for "tern-bench: done" (or its exit); 0 if done.
bench_wait() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q '^tern-bench: done' "$TERN_TMP/$1.err" && return 0
		kill -0 "$BENCH_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# bench_finish NAME: after ternd stopped, tern-bench sees its link go down
# and exits; its status must be 0.
bench_finish() {
	local rc=0
	wait "$BENCH_PID" || rc=$?
	BENCH_PID=
	[ "$rc" = 0 ] || tern_fail "tern-bench $1 exited with status $rc: $(tail -5 "$TERN_TMP/$1.err")"
}

check_json() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys

path, mode = sys.argv[1], sys.argv[2]
with open(path) as f:
    doc = json.load(f)
runs = doc.get("benchmarks", [])
if len(runs) != 1:
    sys.exit(f"expected 1 benchmark in {path}, got {len(runs)}")
b = runs[0]
need = ["offered_pps", "achieved_pps", "Mpps", "sent", "received", "lost", "late",
        "dup", "invalid", "loss_ratio", "gen_lag_us", "p50_us", "p90_us", "p99_us",
        "p999_us", "p9999_us", "max_us", "mean_us", "unsent"]
missing = [k for k in need if k not in b]
if missing:
    sys.exit(f"{b.get('name')}: counters missing: {missing}")
if b.get("error_occurred"):
    sys.exit(f"{b['name']}: error: {b.get('error_message')}")
if not b["name"].startswith(f"tern_bench/{mode}/"):
    sys.exit(f"unexpected benchmark name {b['name']}")
err = []
if not b["achieved_pps"] > 0:
    err.append("achieved_pps is 0")
if not b["sent"] > 0:
    err.append("nothing sent")
if b["sent"] != b["received"] + b["late"] + b["lost"]:
    err.append("sent != received + late + lost")
for k in ("lost", "late", "dup", "invalid", "unsent"):
    if b[k] != 0:
        err.append(f"{k}={b[k]:.0f} at low load")
p = [b[k] for k in ("p50_us", "p90_us", "p99_us", "p999_us", "p9999_us", "max_us")]
if not (0 < p[0] and all(x <= y for x, y in zip(p, p[1:]))):
    err.append(f"percentiles not ordered: {p}")
if not b["mean_us"] > 0:
    err.append("mean latency is 0")
print(f"{b['name']}: sent={b['sent']:.0f} received={b['received']:.0f} "
      f"achieved={b['achieved_pps']:.0f}/s p50={p[0]:.1f} p99={p[2]:.1f} "
      f"p99.9={p[3]:.1f} max={p[5]:.1f} us gen_lag={b['gen_lag_us']:.1f} us")
if err:
    sys.exit(f"{b['name']}: " + "; ".join(err))
PY
}

# One ternd per run: a memif client must not disconnect while ternd polls.
for run in open closed; do
	tern_say "starting ternd (memif server, echo on UDP 7)"
	ternd_start_memif "lg_d_$run" --no-huge -m 512 || tern_fail "ternd did not start"
	if [ "$run" = open ]; then
		tern_say "tern-bench: open loop, Poisson, $RATE pps, $DURATION s"
		bench_run "lg_$run" --mode open --arrival poisson --rate "$RATE"
	else
		tern_say "tern-bench: closed loop, 8 outstanding, $DURATION s"
		bench_run "lg_$run" --mode closed --outstanding 8
	fi
	bench_wait "lg_$run" || tern_fail "tern-bench ($run) did not finish in 60 s"
	ternd_stop 20
	ternd_check_exit "$TERN_TMP/ternd.log"
	bench_finish "lg_$run"
	grep -v '^EAL: \|^TELEMETRY: \|Library was built as DEBUG\|^tern-bench: done' \
		"$TERN_TMP/lg_$run.err" >&2
	check_json "$TERN_TMP/lg_$run.json" "$run" || tern_fail "$run-loop results not sane"
done

# The veth target: both ends through AF_XDP (af_packet if AF_XDP cannot start).
ns="tern_lg_$$"
hif="tlgh$$"
nif="tlgn$$"
tern_veth_setup "$ns" "$hif" "$nif" 198.18.0.2/24 || tern_fail "could not set up veth $hif <-> $ns:$nif"
printf 'app load echo %s mode=echo\nbind udp 7 echo\n' "$RESPONDER" >"$TERN_TMP/start.cmds"
ternd_start_veth lg_d_veth "$TERN_TMP/ternd.log" "$hif" --ip 198.18.0.1/24 \
	--app-dir "$(dirname "$RESPONDER")" --exec "$TERN_TMP/start.cmds" ||
	tern_fail "ternd did not start on $hif"
vdev="net_${TERN_DRIVER}0,iface=$nif"
[ "$TERN_DRIVER" = af_packet ] || vdev="$vdev,start_queue=0,queue_count=1"
tern_say "tern-bench in $ns through $TERN_DRIVER: closed loop, 8 outstanding, $DURATION s"
tern_prefix lg_veth
ip netns exec "$ns" timeout 120 "$TERN_BENCH" -l 0 --no-huge -m 256 --no-pci \
	--file-prefix "$TERN_PREFIX" --vdev "$vdev" \
	-- --src-ip 198.18.0.2 --dst-ip 198.18.0.1 --dport 7 --flows 4 \
	--duration "$DURATION" --warmup 0.2 --timeout-ms 500 --mode closed --outstanding 8 \
	--benchmark_format=json >"$TERN_TMP/lg_veth.json" 2>"$TERN_TMP/lg_veth.err" </dev/null ||
	tern_fail "tern-bench (veth) failed: $(tail -5 "$TERN_TMP/lg_veth.err")"
ternd_stop 20
ternd_check_exit "$TERN_TMP/ternd.log"
check_json "$TERN_TMP/lg_veth.json" closed || tern_fail "veth closed-loop results not sane"

tern_say "PASS: open and closed loop through ternd over memif, closed loop over veth ($TERN_DRIVER)"
exit 0
