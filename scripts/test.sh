#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Installs what is missing, builds tern and runs every test (unit and
# integration) with meson. The last line printed is always
#   N passed, N failed[, N skipped]
# and the exit status is non-zero if the build or any test failed.
#
# Environment: BUILD (build directory, default <repo>/build),
#              TERN_NO_INSTALL=1 (do not install packages).
set -u

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
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

echo "== tern test: meson test"
rm -f "$BUILD/meson-logs/testlog.json"
meson test -C "$BUILD" --print-errorlogs
rc=$?

log="$BUILD/meson-logs/testlog.json"
if [ ! -s "$log" ]; then
	echo "meson test wrote no $log" >&2
	summary 0 1
	exit 1
fi
read -r ok bad skip < <(count_results "$log" || echo "0 1 0")
[ "$skip" -gt 0 ] || skip=
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
	echo "meson test failed (status $rc) without a failed test" >&2
	bad=1
fi
summary "$ok" "$bad" "$skip"
[ "$bad" -eq 0 ]
