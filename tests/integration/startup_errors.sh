#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ternd's start-up errors: every bad option, exec file, app or missing device
# must end ternd with status 1 and exactly one line "ternd: error: MESSAGE" on
# stderr naming the problem, before any worker starts; a good start must run
# until SIGTERM and then exit 0.
#
# Environment (set by meson):
#   TERND       path to ternd
#   RESPONDER   path to libudp_responder.so
#   BAD_NOABI   path to a .so without a tern_app_descriptor
#   BAD_ABI     path to a .so whose descriptor has abi_version 999
#
# Prints one line per case (ok/FAIL) and exits 1 if any case failed.

set -u

: "${TERND:?TERND must point to ternd}"
: "${RESPONDER:?RESPONDER must point to libudp_responder.so}"
: "${BAD_NOABI:?BAD_NOABI must point to a .so without descriptor}"
: "${BAD_ABI:?BAD_ABI must point to a .so with ABI 999}"

PREFIX="tern-err-$$"
TMP=$(mktemp -d "/tmp/${PREFIX}.XXXXXX") || exit 1
GOOD_PID=""
n_case=0
n_failed=0

cleanup() {
	if [ -n "$GOOD_PID" ] && kill -0 "$GOOD_PID" 2>/dev/null; then
		kill -KILL "$GOOD_PID" 2>/dev/null
		wait "$GOOD_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
	rm -rf /var/run/dpdk/"$PREFIX"-* /run/user/"$(id -u)"/dpdk/"$PREFIX"-* 2>/dev/null
	rm -f /dev/hugepages/"$PREFIX"-* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# EAL options for case number $1; "nodev" as $2 leaves out the device.
eal_args() {
	local args=(-l "0,1" --no-pci --no-huge -m 512 --file-prefix "$PREFIX-$1")

	[ "${2:-}" = nodev ] || args+=(--vdev net_null0)
	printf '%s\n' "${args[@]}"
}

report() {
	local verdict=$1 name=$2 why=${3:-}

	if [ "$verdict" = ok ]; then
		echo "ok   $name"
	else
		echo "FAIL $name: $why"
		n_failed=$((n_failed + 1))
	fi
}

# expect_error NAME DEV PATTERN... -- TERND_OPTION...
# Runs ternd (DEV is "dev" or "nodev") and checks: exit status 1, exactly one
# "ternd: error:" line on stderr, containing every PATTERN (case-insensitive,
# fixed strings), and no "ternd: ready" on stdout.
expect_error() {
	local name=$1 dev=$2 patterns=() eal=() line rc p why=""

	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		patterns+=("$1")
		shift
	done
	shift
	n_case=$((n_case + 1))
	mapfile -t eal < <(eal_args "$n_case" "$dev")
	timeout 30 "$TERND" "${eal[@]}" -- "${APP_PATH_OPT[@]}" "$@" \
		>"$TMP/$n_case.out" 2>"$TMP/$n_case.err" </dev/null
	rc=$?
	line=$(grep '^ternd: error: ' "$TMP/$n_case.err")
	if [ "$rc" -ne 1 ]; then
		why="exit status $rc, expected 1"
	elif [ "$(grep -c '^ternd: error: ' "$TMP/$n_case.err")" -ne 1 ]; then
		why="expected exactly one 'ternd: error:' line, stderr: $(head -c 400 "$TMP/$n_case.err")"
	elif grep -q 'ternd: ready' "$TMP/$n_case.out"; then
		why="workers were started"
	else
		for p in "${patterns[@]}"; do
			if ! grep -qiF -- "$p" <<<"$line"; then
				why="'$p' not in: $line"
				break
			fi
		done
	fi
	if [ -z "$why" ]; then
		report ok "$name"
	else
		report FAIL "$name" "$why"
	fi
}

# An exec file holding the given lines; prints its path.
exec_file() {
	local f

	f=$(mktemp "$TMP/execXXXXXX") || return 1
	printf '%s\n' "$@" >"$f"
	echo "$f"
}

# The good case: ternd must come up ("ternd: ready"), stay up, and exit 0 on SIGTERM.
expect_good_start() {
	local name=$1 eal=() rc why="" out

	shift
	n_case=$((n_case + 1))
	out="$TMP/$n_case.out"
	mapfile -t eal < <(eal_args "$n_case" dev)
	timeout 30 "$TERND" "${eal[@]}" -- "${APP_PATH_OPT[@]}" "$@" >"$out" 2>"$TMP/$n_case.err" </dev/null &
	GOOD_PID=$!
	for _ in $(seq 1 200); do
		grep -q 'ternd: ready' "$out" && break
		kill -0 "$GOOD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q 'ternd: ready' "$out"; then
		why="never became ready: $(grep '^ternd: error: ' "$TMP/$n_case.err")"
	else
		sleep 1
		if ! kill -0 "$GOOD_PID" 2>/dev/null; then
			why="exited by itself after start-up"
		elif ! grep -q 'udp_ports=7' "$out"; then
			why="the exec file's 'show apps' answer is missing from stdout"
		fi
	fi
	kill -TERM "$GOOD_PID" 2>/dev/null
	wait "$GOOD_PID"
	rc=$?
	GOOD_PID=""
	if [ -z "$why" ] && [ "$rc" -ne 0 ]; then
		why="exit status $rc after SIGTERM, expected 0; stderr: $(tail -c 400 "$TMP/$n_case.err")"
	fi
	if [ -z "$why" ]; then
		report ok "$name"
	else
		report FAIL "$name" "$why"
	fi
}

# ------------------------------------------------------------------ cases

# --help: ternd --help prints EAL's usage and tern's own; ternd -- --help
# only tern's. Both exit 0 and start nothing.
n_case=$((n_case + 1))
timeout 30 "$TERND" --help >"$TMP/help.out" 2>&1 </dev/null
rc=$?
if [ "$rc" -ne 0 ]; then
	report FAIL "ternd --help" "exit status $rc, expected 0"
elif ! grep -q -- '--huge-dir' "$TMP/help.out" || ! grep -q -- '^  --burst N ' "$TMP/help.out" ||
	! grep -q -- '^  --allow-any-app-path ' "$TMP/help.out"; then
	report FAIL "ternd --help" "EAL's or tern's options missing: $(head -c 400 "$TMP/help.out")"
else
	report ok "ternd --help"
fi
n_case=$((n_case + 1))
timeout 30 "$TERND" -- --help >"$TMP/help2.out" 2>&1 </dev/null
rc=$?
if [ "$rc" -ne 0 ] || ! grep -q '^usage: ternd ' "$TMP/help2.out" ||
	grep -q -- '--huge-dir' "$TMP/help2.out"; then
	report FAIL "ternd -- --help" "status $rc: $(head -c 400 "$TMP/help2.out")"
else
	report ok "ternd -- --help"
fi

# The apps under test live in several build directories: allow any path,
# except in the case that checks the app-directory policy itself.
APP_PATH_OPT=(--allow-any-app-path)

expect_error "unknown option" dev "unknown option" -- --bogus
expect_error "--burst 0" dev "burst" -- --burst 0
expect_error "--burst abc" dev "burst" -- --burst abc
expect_error "--burst +32" dev "bad --burst '+32'" -- --burst +32
expect_error "--burst ' 32'" dev "bad --burst ' 32'" -- --burst " 32"
expect_error "--rss sideways" dev "rss" -- --rss sideways
expect_error "--mbufs 10" dev "bad --mbufs '10'" "64-" -- --mbufs 10
expect_error "--ip 300.1.1.1" dev "address" -- --ip 300.1.1.1
expect_error "missing --exec file" dev "cannot read exec file" "$TMP/none.cmds" -- \
	--exec "$TMP/none.cmds"

f=$(exec_file "# a comment" "" "frobnicate the widgets")
expect_error "unknown command in exec file" dev "$f:3:" "unknown command 'frobnicate'" -- \
	--exec "$f"

f=$(exec_file "app load echo $TMP/missing.so")
expect_error "app load: missing file" dev "$f:1:" "missing.so" -- --exec "$f"

f=$(exec_file "app load noabi $BAD_NOABI")
expect_error "app load: no descriptor" dev "$f:1:" "tern_app_descriptor" -- --exec "$f"

f=$(exec_file "app load badabi $BAD_ABI")
expect_error "app load: wrong ABI" dev "$f:1:" "ABI" -- --exec "$f"

f=$(exec_file "app load echo $RESPONDER mode=bogus")
expect_error "app load: bad mode=" dev "$f:1:" "mode" -- --exec "$f"

f=$(exec_file "app load echo $RESPONDER mode=echo" "bind udp 7 ghost")
expect_error "bind to an unknown app" dev "$f:2:" "ghost" -- --exec "$f"

APP_PATH_OPT=()
mkdir -p "$TMP/appdir"
f=$(exec_file "app load echo $RESPONDER mode=echo")
expect_error "app outside --app-dir" dev "$f:1:" "outside the app directory" -- \
	--app-dir "$TMP/appdir" --exec "$f"
f=$(exec_file "app load echo libnothere.so")
expect_error "bare app name looked up in --app-dir" dev "$f:1:" "$TMP/appdir/libnothere.so" -- \
	--app-dir "$TMP/appdir" --exec "$f"
expect_error "--app-dir that does not exist" dev "app directory $TMP/nodir: No such file" \
	"--app-dir DIR" "--allow-any-app-path" -- --app-dir "$TMP/nodir" --exec "$f"
f=$(exec_file "app load echo $TMP/appdir")
expect_error "the app directory as PATH" dev "$f:1:" "app file $TMP/appdir is a directory" -- \
	--app-dir "$TMP/appdir" --exec "$f"
expect_error "--control-group unknown" dev "group" -- --control-group no-such-group-tern
APP_PATH_OPT=(--allow-any-app-path)

expect_error "no device" nodev "port" -- --ip 198.18.0.1/24

# Abuse of the start-up inputs: nothing deleted, nothing hung.
echo "precious data" >"$TMP/regular"
expect_error "a regular file at --control" dev "control socket $TMP/regular: a regular file" \
	"replaces only a stale socket" -- --control "$TMP/regular"
n_case=$((n_case + 1))
if [ "$(cat "$TMP/regular" 2>/dev/null)" = "precious data" ]; then
	report ok "the regular file at --control is left as it was"
else
	report FAIL "the regular file at --control is left as it was" "it is gone or changed"
fi
mkdir -p "$TMP/ctldir"
expect_error "a directory at --control" dev "control socket $TMP/ctldir is a directory" -- \
	--control "$TMP/ctldir"
long="$TMP/$(printf 'x%.0s' $(seq 1 120)).sock"
expect_error "a --control path over 107 bytes" dev "control socket path too long" \
	"at most 107" -- --control "$long"
n_case=$((n_case + 1))
if [ ! -e "$long" ] && [ ! -e "${long:0:107}" ]; then
	report ok "no socket at the long path, nor at its first 107 bytes"
else
	report FAIL "no socket at the long path, nor at its first 107 bytes" "one was created"
fi
expect_error "--control-timeout 0" dev "bad --control-timeout '0'" -- --control-timeout 0
expect_error "--exec /dev/zero" dev "/dev/zero:1: line contains a NUL byte (at byte 1)" -- \
	--exec /dev/zero
f="$TMP/nul.cmds"
printf '# a comment\0\nbind udp 7 ghost\n' >"$f"
expect_error "a NUL byte in an exec file's comment" dev "$f:1: line contains a NUL byte (at byte 12)" \
	-- --exec "$f"
expect_error "an exec file that never ends" dev ":100001: input too long" \
	"at most 100000 lines" -- --exec <(yes '# more')
expect_error "a directory as --exec" dev "exec file '$TMP/ctldir' is a directory" -- \
	--exec "$TMP/ctldir"

f=$(exec_file "# start-up" "app load echo $RESPONDER mode=echo" "bind udp 7 echo" \
	"show apps")
expect_good_start "good start, SIGTERM exits 0" --ip 198.18.0.1/24 --exec "$f"

echo "$((n_case - n_failed))/$n_case cases passed"
[ "$n_failed" -eq 0 ]
