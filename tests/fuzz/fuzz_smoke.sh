#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A bounded fuzz run of the receive path (tests/fuzz/fuzz_pipeline.c via
# scripts/fuzz.sh), FUZZ_SECONDS split between two configurations: one
# worker (the pipeline and the responder), then two workers (software
# steering, kv's hand-offs, replies through the TX queue's owner), each with
# its own corpus. Fails on any crash, sanitizer report, leaked mbuf, frame
# not counted once, stuck event or timeout, printing the reproducer's path
# and hexdump; prints how many executions ran. Then checks that the checks
# themselves work:
#   - with two workers, the seeds alone reach the multi-worker paths (frames
#     steered to worker 1, requests handed off both ways, worker 1's replies
#     sent by worker 0, handed-off requests deferred, posts refused by a full
#     ring), or the fuzzing above proves nothing about them;
#   - with FUZZ_INJECT_LEAK=1 the target fails on the first seed, with one
#     worker and with two.
#
# Environment (set by meson):
#   FUZZ_BUILD    where scripts/fuzz.sh builds (default: its own default)
#   FUZZ_SECONDS  how long to fuzz in all (default 30: 15 s per configuration)
#
# Needs root (EAL), clang and libclang-rt-14-dev (libFuzzer).

set -u

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$ROOT/scripts/lib/tern.sh"

tern_need_root

TOTAL=${FUZZ_SECONDS:-30}
ONE=$((TOTAL / 2))
TWO=$((TOTAL - ONE))
BUILD_DIR=${FUZZ_BUILD:-${BUILD:+$BUILD/fuzz}}
BUILD_DIR=${BUILD_DIR:-/tmp/tern-fuzz-build}
export FUZZ_BUILD=$BUILD_DIR

failed=
FUZZ_WORKERS=1 "$ROOT/scripts/fuzz.sh" "$ONE" || failed="$failed one-worker"
FUZZ_WORKERS=2 "$ROOT/scripts/fuzz.sh" "$TWO" || failed="$failed two-worker"
[ -z "$failed" ] || tern_fail "fuzzing found a problem (above) in the${failed} run(s)"

# run_seeds WORKERS PREFIX [VAR=VALUE...]: the target over the seeds only.
run_seeds() {
	local workers=$1 prefix=$2 out rc

	shift 2
	out=$(env "$@" FUZZ_WORKERS="$workers" FUZZ_PREFIX="$prefix" \
		FUZZ_RESPONDER="$BUILD_DIR/libudp_responder.so" FUZZ_KV="$BUILD_DIR/libkv.so" \
		ASAN_OPTIONS=detect_leaks=0 \
		"$BUILD_DIR/fuzz_pipeline" -runs=0 -artifact_prefix="$BUILD_DIR/check-" \
		"$ROOT/tests/fuzz/seeds" 2>&1)
	rc=$?
	rm -rf "/var/run/dpdk/$prefix" "$BUILD_DIR"/check-*
	printf '%s\n' "$out"
	return $rc
}

# stat OUT WHAT NAME: a counter from FUZZ_STATS's lines, WHAT "worker N"
# (its events) or "port N".
stat() {
	grep -m1 "^fuzz_pipeline: $2:" <<<"$1" | tr ' ' '\n' |
		sed -n "s/^$3=\([0-9]*\)$/\1/p"
}

# The seeds reach what the two-worker run is there to fuzz.
out=$(run_seeds 2 "tern-fuzz-reach-$$" FUZZ_STATS=1) ||
	tern_fail "the seeds fail with two workers: $(tail -n 5 <<<"$out")"
for c in "worker 1:steered_in" "worker 1:handoff_in" "worker 0:handoff_in" \
	"worker 0:tx_handoff_in" "worker 1:deferred" "port 0:drop_bus_full"; do
	v=$(stat "$out" "${c%%:*}" "${c#*:}")
	[ "${v:-0}" -gt 0 ] ||
		tern_fail "with two workers the seeds never reach ${c%%:*}'s ${c#*:} (${v:-no counter})"
done
tern_say "ok: two-worker seeds reach steering, hand-offs both ways, TX through" \
	"worker 0, deferral, full rings (worker 1: steered_in=$(stat "$out" "worker 1" steered_in)" \
	"handoff_in=$(stat "$out" "worker 1" handoff_in); worker 0:" \
	"tx_handoff_in=$(stat "$out" "worker 0" tx_handoff_in); port 0:" \
	"drop_bus_full=$(stat "$out" "port 0" drop_bus_full))"

# The same build, told to lose one mbuf per input: the run must stop with
# the leak reported, or the checks above prove nothing.
for w in 1 2; do
	out=$(run_seeds "$w" "tern-fuzz-leak-$$" FUZZ_INJECT_LEAK=1)
	rc=$?
	[ "$rc" -ne 0 ] || tern_fail "$w worker(s): an injected mbuf leak was not found (status 0)"
	grep -q 'mbufs in use after the input' <<<"$out" ||
		tern_fail "$w worker(s): an injected mbuf leak was not reported: $(tail -n 5 <<<"$out")"
	tern_say "ok: $w worker(s): an injected mbuf leak is found (status $rc)"
done
