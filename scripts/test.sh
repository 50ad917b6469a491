#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Installs what is missing, builds tern and runs every test (unit and
# integration) with meson. The last line printed is always
#   N passed, N failed[, N skipped]
# and the exit status is non-zero if the build or any test failed.
#
# A second build with AddressSanitizer and UBSan ($BUILD-asan) runs the unit
# tests and the integration tests again (the ones ASAN_INTEGRATION lists);
# its results count in the same line.
#
# Then the mutation check (scripts/mutants.sh, in $BUILD-mutants) counts as
# one result: every mutant of tests/mutants.txt must be caught by the unit
# suite. With CI=true a skipped test counts as failed.
#
# Environment: BUILD (build directory, default <repo>/build),
#              ASAN_BUILD (default $BUILD-asan), TERN_NO_ASAN=1 (skip it),
#              TERN_NO_MUTANTS=1 (no mutation check),
#              TERN_NO_INSTALL=1 (do not install packages).
set -u

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
ASAN_BUILD=${ASAN_BUILD:-$BUILD-asan}
# The integration tests that also run in the sanitizer build.
# All but idle, overload and soak (their CPU and memory thresholds would
# measure the sanitizer's overhead, not ternd's) and kv_diff_loopback
# (kv_memcached runs the same code inside ternd).
ASAN_INTEGRATION=(canary control_abuse control_socket events hostile hotswap kv_clients kv_memcached kv_replace memif metrics pdump pool_exhaust
	startup_errors steering swap_exact tap_offload telemetry veth_afxdp)
HUGEPAGES=${HUGEPAGES:-256}

# shellcheck source=SCRIPTDIR/lib/setup.sh
. "$ROOT/scripts/lib/setup.sh"

summary() {
	echo "$1 passed, $2 failed${3:+, $3 skipped}"
}

# count_results LOG: prints "passed failed skipped" from meson's testlog.json
# (one JSON object per line, each with a "result"). Meson runs on python3, so
# python3 is there.
count_results() {
	python3 - "$1" <<'PY'
import json, sys
ok = bad = skip = 0
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        r = json.loads(line).get('result')
        if r in ('OK', 'EXPECTEDFAIL'):
            ok += 1
        elif r == 'SKIP':
            skip += 1
        else:
            bad += 1
print(ok, bad, skip)
PY
}

echo "== tern test: packages"
if [ "${TERN_NO_INSTALL:-0}" != 1 ]; then
	tern_install_deps || echo "warning: package installation failed; trying anyway" >&2
fi

echo "== tern test: hugepages (optional: the tests use --no-huge)"
if tern_hugepages_reserve "$HUGEPAGES"; then
	echo "$HUGEPAGES hugepages of 2 MB available"
else
	echo "no hugepages reserved (not needed by the tests)"
fi
trap tern_hugepages_restore EXIT

echo "== tern test: build in $BUILD"
if ! tern_build "$ROOT" "$BUILD"; then
	echo "build failed" >&2
	summary 0 1
	exit 1
fi

ok=0
bad=0
skip=0

# run_tests BUILD LOGBASE [MESON_TEST_ARGS...]: runs meson test and adds its
# results (from BUILD/meson-logs/LOGBASE.json) to ok, bad and skip.
run_tests() {
	local build=$1 base=$2 rc o b k
	shift 2
	rm -f "$build/meson-logs/$base.json"
	meson test -C "$build" --print-errorlogs --logbase "$base" "$@"
	rc=$?
	if [ ! -s "$build/meson-logs/$base.json" ]; then
		echo "meson test wrote no $build/meson-logs/$base.json" >&2
		bad=$((bad + 1))
		return
	fi
	read -r o b k < <(count_results "$build/meson-logs/$base.json" || echo "0 1 0")
	if [ "$rc" -ne 0 ] && [ "$b" -eq 0 ]; then
		echo "meson test failed (status $rc) without a failed test" >&2
		b=1
	fi
	ok=$((ok + o))
	bad=$((bad + b))
	skip=$((skip + k))
}

# run_asan_tests: the sanitizer build's tests, in three runs (see below).
run_asan_tests() {
	local units=() t lsan="$ASAN_BUILD/lsan.supp" ubsan="$ASAN_BUILD/ubsan.supp"

	# libxdp (under DPDK's AF_XDP PMD) never frees the 80-byte struct
	# xsk_umem__create allocates: not ours, and reported at every exit.
	echo "leak:xsk_umem__create" >"$lsan"
	: >"$ubsan" # no suppressions needed
	export LSAN_OPTIONS="suppressions=$lsan:print_suppressions=0"
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
	# UBSan only prints by default: make undefined behaviour fail the test.
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$ubsan"

	# Unit tests with leak checking, except test_app_loader (next).
	while read -r t; do
		t=${t##* / }
		[ "$t" = test_app_loader ] || units+=("$t")
	done < <(meson test -C "$ASAN_BUILD" --list --suite unit 2>/dev/null | grep ' / ')
	run_tests "$ASAN_BUILD" asan-unit "${units[@]}"

	# test_app_loader does not link DPDK itself, so every dlopen() of
	# libudp_responder.so loads librte_eal & co. with it and dlclose()
	# unloads them; memory their constructors allocated is then reported
	# as leaked by frames of an "<unknown module>" (no suppression can
	# name it). ternd keeps EAL loaded, so this is the test's artefact:
	# check it for memory errors only.
	ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" \
		run_tests "$ASAN_BUILD" asan-loader test_app_loader

	run_tests "$ASAN_BUILD" asan-integration "${ASAN_INTEGRATION[@]}"
}

echo "== tern test: meson test"
run_tests "$BUILD" testlog

# The mutation check (scripts/mutants.sh): every known break of the engine
# must fail the unit suite. One result in the count.
if [ "${TERN_NO_MUTANTS:-0}" = 1 ]; then
	echo "== tern test: TERN_NO_MUTANTS=1: no mutation check"
else
	echo "== tern test: mutation check (scripts/mutants.sh)"
	if BUILD="$BUILD" bash "$ROOT/scripts/mutants.sh"; then
		ok=$((ok + 1))
	else
		echo "mutation check failed: a mutant survived, is stale or does not build" >&2
		bad=$((bad + 1))
	fi
fi

if [ "${TERN_NO_ASAN:-0}" = 1 ]; then
	echo "== tern test: TERN_NO_ASAN=1: no sanitizer build"
else
	echo "== tern test: AddressSanitizer + UBSan build in $ASAN_BUILD"
	if tern_build "$ROOT" "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false; then
		echo "== tern test: meson test under AddressSanitizer + UBSan"
		run_asan_tests
	else
		echo "sanitizer build failed" >&2
		bad=$((bad + 1))
	fi
fi

# In CI everything a test needs is installed by the steps above: a skipped
# test means something is broken (a package, hugepages, root), not optional.
if [ "${CI:-}" = true ] && [ "$skip" -gt 0 ]; then
	echo "CI: $skip test(s) skipped; in CI nothing may be skipped (see SKIP lines above)" >&2
	bad=$((bad + skip))
	skip=0
fi
[ "$skip" -gt 0 ] || skip=
summary "$ok" "$bad" "$skip"
[ "$bad" -eq 0 ]
