#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: the control socket and ternctl, against a real ternd
# (on a veth pair through AF_XDP, or af_packet; no hugepages) started with
# no apps:
#   - the socket: created with its directory, mode 0600, removed at exit;
#     0660 with the group of --control-group; the default path
#     /run/tern/<file-prefix>.sock reached with ternctl -p;
#   - the app directory: a path outside --app-dir is refused (naming the
#     directory), a bare name is found in it;
#   - app load and app replace say what they did; help, show version;
#   - app load, bind, app replace, and every show view in text and JSON;
#   - clear stats: show stats counts from then on, show apps does not;
#   - errors: each answered with exit status 1 and a message naming the
#     problem, and leaving `show bindings` and `show apps` as they were;
#     a too long line; a client that disconnects in the middle of a line;
#   - ternctl reading several commands from stdin; against a missing
#     socket (exit 2); ternctl -h and --help (exit 0);
#   - after all that, the echo app still answers (UDP from a namespace), and
#     ternd exits 0 without leaks.
# (Not memif: DPDK 22.11's memif server can crash when its client
# disconnects while a worker polls it, which would make this test flaky.)
#
# Environment (set by meson): TERND, RESPONDER, UDP_CLIENT, BAD_ABI,
# BAD_NOABI; TERNCTL (default: ternctl next to TERND).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

PY=/usr/bin/python3
LINE_MAX=1024

tern_need_root
TERNCTL=${TERNCTL:-$(dirname "${TERND:-/nonexistent}")/ternctl}
tern_need_var TERND TERNCTL RESPONDER UDP_CLIENT BAD_ABI BAD_NOABI
command -v ethtool >/dev/null || tern_die "ethtool is not installed (apt-get install ethtool)"
trap 'tern_cleanup; rm -f "${default_sock:-}"' EXIT
trap 'exit 130' INT TERM

tern_mktemp
appdir="$TERN_TMP/apps"
sock="$TERN_TMP/run/ctl.sock" # run/ does not exist: ternd creates it
memif="$TERN_TMP/memif.sock"
mkdir "$appdir" || tern_die "mkdir $appdir"
cp "$RESPONDER" "$appdir/libudp_responder.so" || tern_die "cannot copy $RESPONDER"
cp "$BAD_NOABI" "$appdir/libbad_noabi.so" || tern_die "cannot copy $BAD_NOABI"
cp "$BAD_ABI" "$appdir/libbad_abi.so" || tern_die "cannot copy $BAD_ABI"
echo "this is not an ELF file" >"$appdir/libtext.so"

ctl() { "$TERNCTL" -s "$sock" "$@"; }

# ctl_ok WORDS...: the command must succeed; its answer is printed.
ctl_ok() {
	local out
	out=$(ctl "$@" 2>"$TERN_TMP/ctl.err") ||
		tern_fail "'$*' failed (status $?): $(cat "$TERN_TMP/ctl.err")"
	[ -z "$out" ] || printf '%s\n' "$out"
}

snapshot() { ctl show bindings && ctl show apps; }

# check_error WHAT REGEX RC ERRFILE BEFORE: an answer that must be exit
# status 1 and an error matching REGEX, with bindings and apps unchanged.
check_error() {
	local what=$1 re=$2 rc=$3 errf=$4 before=$5 msg after
	msg=$(cat "$errf")
	[ "$rc" = 1 ] || tern_fail "$what: exit status $rc, expected 1 (stderr: $msg)"
	case "$msg" in
	"ternctl: error: "*) ;;
	*) tern_fail "$what: stderr is not 'ternctl: error: ...': $msg" ;;
	esac
	grep -Eq -- "$re" <<<"$msg" || tern_fail "$what: error '$msg' does not match /$re/"
	after=$(snapshot) || tern_fail "$what: ternd stopped answering"
	[ "$before" = "$after" ] ||
		tern_fail "$what: state changed:"$'\n'"before: $before"$'\n'"after: $after"
	tern_say "ok: $what -> $msg"
}

# expect_error WHAT REGEX WORDS...: the command WORDS must fail cleanly.
expect_error() {
	local what=$1 re=$2 before rc
	shift 2
	before=$(snapshot) || tern_fail "ternd does not answer"
	ctl "$@" >"$TERN_TMP/ctl.out" 2>"$TERN_TMP/ctl.err"
	rc=$?
	check_error "$what" "$re" "$rc" "$TERN_TMP/ctl.err" "$before"
}

# expect_error_stdin WHAT REGEX FILE: the same, for lines read from FILE.
expect_error_stdin() {
	local what=$1 re=$2 before rc
	before=$(snapshot) || tern_fail "ternd does not answer"
	ctl <"$3" >"$TERN_TMP/ctl.out" 2>"$TERN_TMP/ctl.err"
	rc=$?
	check_error "$what" "$re" "$rc" "$TERN_TMP/ctl.err" "$before"
}

# json_ok WHAT TEXT: TEXT must parse as JSON.
json_ok() {
	$PY -c 'import json,sys; json.load(sys.stdin)' <<<"$2" ||
		tern_fail "$1: not JSON: $2"
}

ns="tern_ctl_$$"
hif="tch$$"
tern_veth_setup "$ns" "$hif" "tcn$$" 198.18.0.2/24 || tern_fail "could not set up veth $hif <-> $ns"
tern_say "starting ternd with no apps, --control $sock --app-dir $appdir"
ternd_start_veth ctl "$TERN_TMP/ternd.log" "$hif" --ip 198.18.0.1/24 \
	--control "$sock" --app-dir "$appdir" || tern_fail "ternd did not start"

# The socket.
[ -S "$sock" ] || tern_fail "no socket at $sock (directory not created?)"
mode=$(stat -c %a "$sock")
[ "$mode" = 600 ] || tern_fail "socket mode is $mode, expected 600"
tern_say "ok: socket $sock mode $mode"

# No apps yet.
[ "$(ctl_ok show apps)" = "no apps loaded" ] || tern_fail "show apps: $(ctl show apps)"
[ "$(ctl_ok show apps json)" = "[]" ] || tern_fail "show apps json: $(ctl show apps json)"
[ "$(ctl_ok show bindings)" = "no bindings" ] || tern_fail "show bindings: $(ctl show bindings)"

# The app directory policy.
expect_error "path outside --app-dir" "outside the app directory $appdir" \
	app load echo "$RESPONDER" mode=echo
expect_error "relative path escaping --app-dir" "outside the app directory|No such file" \
	app load echo ../../../"$RESPONDER" mode=echo
ln -s "$RESPONDER" "$appdir/libescape.so" || tern_die "ln -s"
expect_error "symlink in --app-dir to a file outside it" "outside the app directory" \
	app load echo libescape.so mode=echo
expect_error "the app directory itself as PATH" "app file $appdir is a directory" \
	app load echo "$appdir" mode=echo
out=$(ctl_ok app load echo libudp_responder.so mode=echo)
grep -Eq "^loaded echo: $appdir/libudp_responder.so sha256=[0-9a-f]{64} .*total_us=[0-9]+ " <<<"$out" ||
	tern_fail "app load's answer: $out"
ctl_ok bind udp 7 echo
tern_say "ok: bare name loaded from $appdir, bound to UDP 7: $out"

# help, show version.
out=$(ctl_ok help)
[ "$(head -n 1 <<<"$out")" = help ] && [ "$(tail -n 1 <<<"$out")" = "clear latency" ] &&
	grep -qx 'clear stats' <<<"$out" && grep -qx 'app budget NAME N' <<<"$out" ||
	tern_fail "help: $out"
ctl_ok show version | grep -Eq '^tern version=[0-9.]+ app_abi=[0-9]+ dpdk=[0-9]+\.[0-9]+' ||
	tern_fail "show version: $(ctl show version)"
json_ok "show version json" "$(ctl_ok show version json)"
tern_say "ok: help ($(wc -l <<<"$out") commands), $(ctl show version)"

# Every view, text and JSON.
apps=$(ctl_ok show apps)
case "$apps" in
"echo kind=udp_responder path=$appdir/libudp_responder.so args=\"mode=echo\" udp_ports=7"*) ;;
*) tern_fail "show apps: $apps" ;;
esac
[ "$(ctl_ok show bindings)" = "udp 7 -> echo" ] || tern_fail "show bindings: $(ctl show bindings)"
[ "$(ctl_ok show bindings json)" = '[{"proto":"udp","port":7,"app":"echo"}]' ] ||
	tern_fail "show bindings json: $(ctl show bindings json)"
ctl_ok show stats | grep -q '^total: rx=[0-9]* tx=[0-9]* ' || tern_fail "show stats: $(ctl show stats)"
ctl_ok show lcores | grep -q '^lcore 1 (worker 0): polls=0:0 ' || tern_fail "show lcores: $(ctl show lcores)"
ctl_ok show ports | grep -q "^port 0 (net_${TERN_DRIVER}0): driver=net_$TERN_DRIVER " ||
	tern_fail "show ports: $(ctl show ports)"
ctl_ok show latency | grep -q '^total: count=[0-9]* p50_' || tern_fail "show latency: $(ctl show latency)"
for v in apps bindings stats lcores ports latency; do
	j=$(ctl_ok show "$v" json)
	json_ok "show $v json" "$j"
done
tern_say "ok: show apps|bindings|stats|lcores|ports|latency, text and JSON"

# Errors: exit status 1, a message naming the problem, nothing changed.
expect_error "unknown verb" "unknown command 'frobnicate'; commands: help, app load, app replace, app unload, app budget, " \
	frobnicate now
expect_error "app budget +5" "app budget: bad budget '\\+5'" app budget echo +5
expect_error "17 key=value" "app load: too many arguments \\(at most 16 key=value; from 'q=17'\\)" \
	app load many libudp_responder.so mode=echo a=2 b=3 c=4 d=5 e=6 f=7 g=8 h=9 i=10 j=11 \
	k=12 l=13 m=14 n=15 o=16 q=17
expect_error "missing argument" "bind: missing argument" bind udp 7
expect_error "port 0" "bad UDP port '0'" bind udp 0 echo
expect_error "port 70000" "bad UDP port '70000'" bind udp 70000 echo
expect_error "port abc" "bad UDP port 'abc'" bind udp abc echo
expect_error "unbind port 70000" "bad UDP port '70000'" unbind udp 70000
expect_error "not a shared object" "libtext.so" app load t libtext.so
expect_error "no descriptor" "no tern_app_descriptor symbol" app load n libbad_noabi.so
expect_error "other ABI" "ABI" app load a libbad_abi.so
expect_error "missing file" "nosuch.so: No such file" app load m nosuch.so
expect_error "duplicate name" "an app named 'echo' is already loaded" \
	app load echo libudp_responder.so mode=echo
expect_error "unload while bound" "still bound" app unload echo
expect_error "bind to a missing app" "no app named 'ghost'" bind udp 9 ghost
ctl_ok app load echo2 libudp_responder.so mode=echo
expect_error "port bound to another app" "UDP port 7 is bound to app 'echo': to move it, rebind udp 7 echo2" bind udp 7 echo2
ctl_ok app unload echo2
expect_error "replace with a missing file" "nosuch.so: No such file" \
	app replace echo nosuch.so mode=echo
expect_error "replace with no descriptor" "no tern_app_descriptor symbol" \
	app replace echo libbad_noabi.so
expect_error "replace outside --app-dir" "outside the app directory" \
	app replace echo "$RESPONDER" mode=echo
expect_error "replace with a failing init" "init failed|mode" \
	app replace echo libudp_responder.so mode=bogus
expect_error "replace of a missing app" "ghost" app replace ghost libudp_responder.so

# A line over the limit, alone and between two good commands.
long=$(head -c $((LINE_MAX + 100)) /dev/zero | tr '\0' x)
printf 'show %s\n' "$long" >"$TERN_TMP/long.cmds"
expect_error_stdin "line too long" "line too long" "$TERN_TMP/long.cmds"
printf 'show bindings\nshow %s\nshow bindings\n' "$long" >"$TERN_TMP/long2.cmds"
expect_error_stdin "line too long, between good lines" "line too long" "$TERN_TMP/long2.cmds"
[ "$(grep -c '^udp 7 -> echo$' "$TERN_TMP/ctl.out")" = 2 ] ||
	tern_fail "the lines around the long one were not both answered: $(cat "$TERN_TMP/ctl.out")"

# A client that disconnects before ending its line: the line is not run.
before=$(snapshot)
$PY - "$sock" <<'PY' || tern_fail "could not talk to the socket from python"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'unbind udp 7')  # no newline
s.close()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'show bindings\napp unload ech')  # one whole line, one cut
s.shutdown(socket.SHUT_WR)
data = b''
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
s.close()
if data != b'ok 14\nudp 7 -> echo\n':
    sys.exit(f'unexpected answer: {data!r}')
PY
after=$(snapshot) || tern_fail "ternd stopped answering after a client disconnected"
[ "$before" = "$after" ] || tern_fail "a cut line changed the state: $after"
tern_say "ok: lines cut by a disconnect are not run; ternd still serves"

# A successful replace keeps the binding, and says what it did.
out=$(ctl_ok app replace echo libudp_responder.so mode=echo)
grep -Eq "^replaced echo: $appdir/libudp_responder.so sha256=[0-9a-f]{64} .*total_us=[0-9]+ " <<<"$out" ||
	tern_fail "app replace's answer: $out"
[ "$(ctl_ok show bindings)" = "udp 7 -> echo" ] || tern_fail "replace lost the binding: $(ctl show bindings)"
tern_say "ok: app replace echo keeps UDP 7"

# Several commands on stdin: answers in order, exit 1 for the one error.
printf '%s\n' 'show bindings' '# a comment' '' 'bind udp 7 nobody' 'show bindings json' \
	'bind udp 8 echo' 'show bindings' 'unbind udp 8' >"$TERN_TMP/many.cmds"
ctl <"$TERN_TMP/many.cmds" >"$TERN_TMP/many.out" 2>"$TERN_TMP/many.err"
rc=$?
[ "$rc" = 1 ] || tern_fail "ternctl with one failing command of several: status $rc, expected 1"
expect_out=$(printf '%s\n' 'udp 7 -> echo' '[{"proto":"udp","port":7,"app":"echo"}]' \
	'udp 7 -> echo' 'udp 8 -> echo')
[ "$(cat "$TERN_TMP/many.out")" = "$expect_out" ] ||
	tern_fail "stdin answers out of order or wrong:"$'\n'"$(cat "$TERN_TMP/many.out")"
grep -q "^ternctl: error: bind: no app named 'nobody'" "$TERN_TMP/many.err" ||
	tern_fail "stdin error not reported: $(cat "$TERN_TMP/many.err")"
printf 'show bindings\nshow apps\n' | ctl >/dev/null || tern_fail "ternctl with good stdin failed"
[ "$(ctl_ok show bindings)" = "udp 7 -> echo" ] || tern_fail "bindings after stdin: $(ctl show bindings)"
tern_say "ok: ternctl reads several commands from stdin, continues after an error"

# After all this, the echo app answers.
ip netns exec "$ns" /usr/bin/python3 "$UDP_CLIENT" --dst 198.18.0.1 --port 7 --count 200 \
	--sockets 4 --size 100 --timeout 3 || tern_fail "the echo app does not serve any more"
ctl_ok show apps | grep -q ' requests=200 replies=200 ' ||
	tern_fail "the echo app's counters: $(ctl show apps)"

# clear stats: show stats counts from the clear on (show apps does not).
total_rx() { ctl_ok show stats | sed -n 's/^total: rx=\([0-9]*\) .*/\1/p'; }
ctl_ok clear stats
rx=$(total_rx)
[ -n "$rx" ] && [ "$rx" -lt 200 ] || tern_fail "clear stats: total rx=$rx right after, expected < 200"
ip netns exec "$ns" /usr/bin/python3 "$UDP_CLIENT" --dst 198.18.0.1 --port 7 --count 100 \
	--sockets 4 --size 100 --timeout 3 || tern_fail "the echo app does not serve after clear stats"
rx=$(total_rx)
[ -n "$rx" ] && [ "$rx" -ge 100 ] && [ "$rx" -lt 200 ] ||
	tern_fail "clear stats: total rx=$rx after 100 requests, expected 100-199"
ctl_ok show apps | grep -q ' requests=300 replies=300 ' ||
	tern_fail "clear stats changed the app's counters: $(ctl show apps)"
tern_say "ok: clear stats; rx=$rx after 100 requests"

ternd_stop 20
ternd_check_exit "$TERN_TMP/ternd.log"
[ ! -e "$sock" ] || tern_fail "ternd left its socket $sock behind"
tern_say "ok: ternd exited 0, no leaks, socket removed"

# ternctl without a server.
"$TERNCTL" -s "$sock" show apps >/dev/null 2>"$TERN_TMP/ctl.err"
rc=$?
[ "$rc" = 2 ] || tern_fail "ternctl against a missing socket: status $rc, expected 2"
grep -q "^ternctl: cannot connect to $sock: No such file or directory" "$TERN_TMP/ctl.err" ||
	tern_fail "ternctl's message: $(cat "$TERN_TMP/ctl.err")"
tern_say "ok: $(cat "$TERN_TMP/ctl.err")"
"$TERNCTL" -p "nope$$" show apps >/dev/null 2>"$TERN_TMP/ctl.err"
rc=$?
[ "$rc" = 2 ] && grep -q -- "(is ternd running with --file-prefix nope$$?)" "$TERN_TMP/ctl.err" ||
	tern_fail "ternctl -p nope$$: status $rc, $(cat "$TERN_TMP/ctl.err")"
tern_say "ok: $(cat "$TERN_TMP/ctl.err")"

# ternctl's own usage: -h and --help print it and exit 0; a bad option exits 2.
for h in -h --help; do
	"$TERNCTL" "$h" >"$TERN_TMP/help.out" 2>&1 || tern_fail "ternctl $h: status $?"
	grep -q '^usage: ternctl ' "$TERN_TMP/help.out" || tern_fail "ternctl $h: $(cat "$TERN_TMP/help.out")"
done
"$TERNCTL" --bogus >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || tern_fail "ternctl --bogus: status $rc, expected 2"
tern_say "ok: ternctl -h, --help (status 0), --bogus (status 2)"

# The default path /run/tern/<prefix>.sock, and --control-group.
group=
for g in daemon adm nogroup; do
	if getent group "$g" >/dev/null; then
		group=$g
		break
	fi
done
[ -n "$group" ] || group=root
tern_prefix ctlg
default_sock="/run/tern/$TERN_PREFIX.sock"
ternd_start "$TERN_TMP/ternd2.log" -l 0,1 --no-huge -m 512 --no-pci \
	--file-prefix "$TERN_PREFIX" \
	--vdev "net_memif0,role=server,socket=$memif,socket-abstract=no" \
	-- --control-group "$group"
ternd_wait_ready "$TERN_TMP/ternd2.log" 60 || tern_fail "ternd with --control-group did not start"
[ -S "$default_sock" ] || tern_fail "no socket at the default path $default_sock"
perm=$(stat -c '%a %G' "$default_sock")
[ "$perm" = "660 $group" ] || tern_fail "socket with --control-group $group: '$perm', expected '660 $group'"
[ "$("$TERNCTL" -p "$TERN_PREFIX" show bindings)" = "no bindings" ] ||
	tern_fail "ternctl -p $TERN_PREFIX does not reach $default_sock"
ternd_stop 20
ternd_check_exit "$TERN_TMP/ternd2.log"
[ ! -e "$default_sock" ] || tern_fail "ternd left $default_sock behind"
tern_say "ok: default socket $default_sock, mode $perm with --control-group $group; ternctl -p"

tern_say "PASS: control socket, ternctl, app directory, errors leave the state as it was"
exit 0
