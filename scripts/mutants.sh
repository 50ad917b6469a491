#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The mutation check: does the unit suite catch the breaks we know of?
# Applies each mutant of tests/mutants.txt (one small change to the engine,
# an app or a table) to a copy of the tree, rebuilds incrementally, runs
# `meson test --suite unit`, and puts the file back. A mutant is
#   killed     when the suite fails (or the mutant does not build: reported,
#              and it counts as an error in the list, not as killed);
#   survived   when the suite passes: a break no test notices;
#   stale      when its `old` text is not in the file exactly once.
# Prints one line per mutant, then `mutants: N killed, N survived, N stale`
# and exits 1 if any survived or is stale (or did not build).
#
# usage: scripts/mutants.sh [-k NAME]...
#   -k NAME   only this mutant (repeatable)
# Environment: MUTANTS_DIR (the copy and its build, default
# $BUILD-mutants or <repo>/build-mutants; kept between runs, so later runs
# rebuild only what changed), MUTANTS (the list, default tests/mutants.txt).
set -u

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
WORK=${MUTANTS_DIR:-${BUILD:-$ROOT/build}-mutants}
LIST=${MUTANTS:-$ROOT/tests/mutants.txt}
ONLY=()
while [ $# -gt 0 ]; do
	case "$1" in
	-k) ONLY+=("${2:?-k needs a mutant name}"); shift ;;
	-h | --help) sed -n 's/^# usage: /usage: /p' "$0"; exit 0 ;;
	*) echo "mutants.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
[ -r "$LIST" ] || { echo "mutants.sh: cannot read $LIST" >&2; exit 2; }

SRC=$WORK/src
BLD=$WORK/build
say() { printf 'mutants: %s\n' "$*"; }

# The copy: the tracked and untracked (not ignored) files of the tree as
# they are now. Only files whose content differs are copied, with a new time
# stamp, so ninja rebuilds just what changed since the last run.
sync_tree() {
	mkdir -p "$SRC" || return 1
	(cd "$ROOT" && git ls-files -co --exclude-standard -z) | while IFS= read -r -d '' f; do
		cmp -s "$ROOT/$f" "$SRC/$f" && continue
		mkdir -p "$SRC/$(dirname "$f")" && cp "$ROOT/$f" "$SRC/$f" || return 1
	done
}

# Everything (incrementally): the unit tests load the apps that are built
# beside them.
build_units() {
	ninja -C "$BLD" >"$WORK/build.log" 2>&1
}

# A unit test that a mutant crashes leaves its EAL runtime folder
# (/var/run/dpdk/tern-NAME-PID) behind: remove those that appeared during the
# run and whose process is gone.
run_units() {
	local before d pid rc

	before=$(ls -d /var/run/dpdk/tern-* 2>/dev/null)
	timeout 600 meson test -C "$BLD" --no-rebuild --suite unit >"$WORK/test.log" 2>&1
	rc=$?
	for d in /var/run/dpdk/tern-*-[0-9]*; do
		[ -d "$d" ] || continue
		pid=${d##*-}
		grep -qxF "$d" <<<"$before" && continue
		kill -0 "$pid" 2>/dev/null || rm -rf "$d"
	done
	return $rc
}

# mutate FILE OLD NEW: replace OLD, which must be in FILE exactly once (else
# exit 3), by NEW. The caller keeps a copy of FILE to put back.
mutate() {
	python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1:4]
unesc = lambda s: s.replace('\\n', '\n').replace('\\t', '\t')
old, new = unesc(old), unesc(new)
with open(path) as f:
    text = f.read()
if text.count(old) != 1:
    sys.exit(3)
with open(path, 'w') as f:
    f.write(text.replace(old, new))
PY
}

# The mutants of the list, one per line: NAME<TAB>FILE<TAB>OLD<TAB>NEW<TAB>WHAT.
parse_list() {
	python3 - "$LIST" <<'PY'
import re, sys
cur = None
out = []
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if not line.strip() or line.startswith('#'):
        continue
    m = re.match(r'^\[([A-Za-z0-9_.-]+)\]\s*(.*)$', line)
    if m:
        cur = {'name': m.group(1), 'what': m.group(2)}
        out.append(cur)
        continue
    m = re.match(r'^(file|old|new) = (.*)$', line)
    if not m or cur is None:
        sys.exit(f'mutants.txt: cannot read line: {line}')
    cur[m.group(1)] = m.group(2)
for m in out:
    for k in ('file', 'old', 'new'):
        if k not in m:
            sys.exit(f"mutants.txt: mutant {m['name']} has no {k}")
    print('\t'.join((m['name'], m['file'], m['old'], m['new'], m['what'])))
PY
}

say "copying the tree to $SRC"
sync_tree || { say "cannot copy the tree to $SRC"; exit 2; }
if [ ! -f "$BLD/build.ninja" ]; then
	meson setup "$BLD" "$SRC" >"$WORK/setup.log" 2>&1 ||
		{ cat "$WORK/setup.log" >&2; say "meson setup failed"; exit 2; }
fi
say "building the unit tests and running them unchanged"
build_units || { tail -20 "$WORK/build.log" >&2; say "the unchanged tree does not build"; exit 2; }
run_units || { tail -30 "$WORK/test.log" >&2; say "the unit suite fails without any mutant"; exit 2; }

mapfile -t MUTANTS < <(parse_list) || exit 2
[ "${#MUTANTS[@]}" -gt 0 ] || { say "no mutants in $LIST"; exit 2; }
killed=0 survived=0 stale=0 broken=0
for m in "${MUTANTS[@]}"; do
	IFS=$'\t' read -r name file old new what <<<"$m"
	if [ "${#ONLY[@]}" -gt 0 ] && ! printf '%s\n' "${ONLY[@]}" | grep -qxF "$name"; then
		continue
	fi
	t0=$(date +%s)
	cp "$SRC/$file" "$WORK/original" || exit 2
	mutate "$SRC/$file" "$old" "$new"
	rc=$?
	if [ "$rc" -eq 3 ]; then
		printf '%-26s STALE     %s: its text is no longer in %s exactly once\n' "$name" "$what" "$file"
		stale=$((stale + 1))
		continue
	elif [ "$rc" -ne 0 ]; then
		say "cannot apply $name to $file"
		exit 2
	fi
	if ! build_units; then
		printf '%-26s NO BUILD  %s (see %s)\n' "$name" "$what" "$WORK/build.log"
		broken=$((broken + 1))
	elif run_units; then
		printf '%-26s SURVIVED  %s\n' "$name" "$what"
		survived=$((survived + 1))
	else
		caught=$(grep -oE '[a-z_0-9]+ +FAIL' "$WORK/test.log" | awk '{ print $1 }' | sort -u | paste -sd, -)
		printf '%-26s killed    by %s (%ss)\n' "$name" "${caught:-the suite}" $(($(date +%s) - t0))
		killed=$((killed + 1))
	fi
	# Put it back with a new time stamp, so that ninja rebuilds it.
	cat "$WORK/original" >"$SRC/$file"
done
# Leave the copy's build matching the tree for the next run.
build_units >/dev/null 2>&1
echo "mutants: $killed killed, $survived survived, $stale stale, $broken not building"
[ "$survived" -eq 0 ] && [ "$stale" -eq 0 ] && [ "$broken" -eq 0 ]
