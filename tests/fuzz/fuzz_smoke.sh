#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A bounded fuzz run of the receive path (tests/fuzz/fuzz_pipeline.c via
# scripts/fuzz.sh): fails on any crash, sanitizer report, leaked mbuf or
# timeout, printing the reproducer's path and hexdump; prints how many
# executions ran. Then checks that the leak check itself works: with
# FUZZ_INJECT_LEAK=1 the target must fail on the first seed.
#
# Environment (set by meson):
#   FUZZ_BUILD    where scripts/fuzz.sh builds (default: its own default)
#   FUZZ_SECONDS  how long to fuzz (default 30)
#
# Needs root (EAL), clang and libclang-rt-14-dev (libFuzzer).

set -u

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$ROOT/scripts/lib/tern.sh"

tern_need_root

"$ROOT/scripts/fuzz.sh" "${FUZZ_SECONDS:-30}" || tern_fail "fuzzing found a problem (above)"

# The same build, told to lose one mbuf per input: the run must stop with
# the leak reported, or the check above proves nothing.
BUILD_DIR=${FUZZ_BUILD:-${BUILD:+$BUILD/fuzz}}
BUILD_DIR=${BUILD_DIR:-/tmp/tern-fuzz-build}
PREFIX=tern-fuzz-leak-$$
out=$(FUZZ_INJECT_LEAK=1 FUZZ_PREFIX=$PREFIX \
	FUZZ_RESPONDER="$BUILD_DIR/libudp_responder.so" \
	ASAN_OPTIONS=detect_leaks=0 \
	"$BUILD_DIR/fuzz_pipeline" -runs=0 -artifact_prefix="$BUILD_DIR/leakcheck-" \
	"$ROOT/tests/fuzz/seeds" 2>&1)
rc=$?
rm -rf "/var/run/dpdk/$PREFIX" "$BUILD_DIR"/leakcheck-*
[ "$rc" -ne 0 ] || tern_fail "an injected mbuf leak was not found (status 0)"
grep -q 'mbufs in use after the input' <<<"$out" ||
	tern_fail "an injected mbuf leak was not reported: $(tail -n 5 <<<"$out")"
tern_say "ok: an injected mbuf leak is found (status $rc)"
