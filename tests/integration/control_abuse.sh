#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: the control socket, signals and ternctl under abuse,
# against ternd on a null device (no NIC, no hugepages):
#   - 16 connections held open and idle (half of them in the middle of a
#     line): a 17th client (ternctl) still gets in, and the connection idle
#     the longest is the one closed to make room; the others stay;
#   - a line with a NUL byte is refused, naming it, and not run (on the
#     socket directly, and through ternctl's stdin); the lines after it are;
#   - SIGUSR1 prints the counters and ternd serves on; SIGHUP is the clean
#     stop (exit 0, counters, no leak, socket removed);
#   - --control-timeout 2: an idle client, and one that never ends its line,
#     are closed after 2 s (not before), while a client that keeps sending
#     commands stays;
#   - ternctl exits 2 when it cannot write its output (/dev/full), and stops
#     sending when its reader has gone (| head -c 100);
#   - a file put at the socket's path while ternd runs is left at exit;
#   - SIGTERM while start-up is blocked reading an --exec pipe: ternd stops
#     within 2 s, exit 0, socket never created, nothing run after.
# Start-up refusals (a file at --control, a long path, --exec /dev/zero, a
# NUL in an exec file) are in startup_errors.sh.
#
# Environment (set by meson): TERND, RESPONDER; TERNCTL (default: ternctl
# next to TERND).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

PY=/usr/bin/python3

tern_need_root
TERNCTL=${TERNCTL:-$(dirname "${TERND:-/nonexistent}")/ternctl}
tern_need_var TERND TERNCTL RESPONDER
trap 'tern_cleanup; [ -z "${FIFO_FD:-}" ] || exec 3>&-' EXIT
trap 'exit 130' INT TERM

tern_mktemp
sock="$TERN_TMP/ctl.sock"
log="$TERN_TMP/ternd.log"

ctl() { "$TERNCTL" -s "$sock" "$@"; }

# start_null EXTRA_OPTION...: ternd on net_null0 with the control socket $sock.
start_null() {
	tern_prefix abuse
	ternd_start "$log" -l 0,1 --no-huge -m 512 --no-pci --file-prefix "$TERN_PREFIX" \
		--vdev net_null0 -- --ip 198.18.12.2/24 --control "$sock" "$@"
}

# wait_exit SECONDS: wait for ternd to exit by itself; sets TERND_RC.
wait_exit() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$TERND_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$TERND_PID" 2>/dev/null && tern_fail "ternd still runs $1 s later"
	wait "$TERND_PID"
	TERND_RC=$?
	TERND_PID=
}

# wait_log REGEX SECONDS: poll ternd's log for a line.
wait_log() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -Eq -- "$1" "$log" && return 0
		sleep 0.1
	done
	return 1
}

tern_say "ternd with the default idle timeout, an echo app on UDP 7"
printf '%s\n' "app load echo $RESPONDER mode=echo" "bind udp 7 echo" >"$TERN_TMP/start.cmds"
start_null --allow-any-app-path --exec "$TERN_TMP/start.cmds"
ternd_wait_ready "$log" 60 || tern_fail "ternd did not start"
[ "$(ctl show bindings)" = "udp 7 -> echo" ] || tern_fail "show bindings: $(ctl show bindings)"

# 16 held connections do not lock the operator out.
$PY - "$sock" "$TERNCTL" <<'PY' || tern_fail "16 idle connections locked the control socket"
import select, socket, subprocess, sys, time
path, ternctl = sys.argv[1], sys.argv[2]
held = []
for i in range(16):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    if i >= 8:
        s.sendall(b'show bind')  # a line never finished
    held.append(s)
    time.sleep(0.01)  # distinct ages: held[0] is the oldest

def closed(s, timeout):
    """True if the server closed s (EOF) within timeout seconds."""
    r, _, _ = select.select([s], [], [], timeout)
    return bool(r) and s.recv(4096) == b''

for i in range(3):
    p = subprocess.run([ternctl, '-s', path, 'show', 'bindings'], capture_output=True,
                       text=True, timeout=60)
    if p.returncode != 0 or p.stdout != 'udp 7 -> echo\n':
        sys.exit(f'client {17 + i}: status {p.returncode}, out {p.stdout!r}, err {p.stderr!r}')
# The first ternctl took the oldest's slot; the next ones the slot it left.
if not closed(held[0], 30):
    sys.exit('the connection idle the longest was not closed for the 17th client')
still = [i for i in range(1, 16) if closed(held[i], 0)]
if still:
    sys.exit(f'connections {still} were closed too (only the oldest had to give way)')
# A held connection in the middle of its line can still finish it.
held[15].sendall(b'ings\n')
data = b''
while not data.endswith(b'udp 7 -> echo\n'):
    r, _, _ = select.select([held[15]], [], [], 30)
    d = held[15].recv(4096) if r else b''
    if not d:
        sys.exit(f'no answer to a finished line on a held connection: {data!r}')
    data += d
for s in held:
    s.close()
PY
tern_say "ok: 16 idle connections held, 3 more clients served, only the oldest closed"

# NUL bytes: refused, named, not run; the following line runs.
$PY - "$sock" <<'PY' || tern_fail "a line with a NUL byte"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'unbind udp 7\0 anything\n# x\0\nshow bindings\n')
s.shutdown(socket.SHUT_WR)
data = b''
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
want = (b'error 57\nline contains a NUL byte (at byte 13); commands are text\n'
        b'error 56\nline contains a NUL byte (at byte 4); commands are text\n'
        b'ok 14\nudp 7 -> echo\n')
if data != want:
    sys.exit(f'answers: {data!r}\nwanted:  {want!r}')
PY
printf 'unbind udp 7\0 anything\nshow bindings\n' | ctl >"$TERN_TMP/nul.out" 2>"$TERN_TMP/nul.err"
rc=$?
[ "$rc" = 1 ] || tern_fail "ternctl with a NUL line on stdin: status $rc, expected 1"
grep -q '^ternctl: error: line contains a NUL byte (at byte 13)' "$TERN_TMP/nul.err" ||
	tern_fail "ternctl's NUL error: $(cat "$TERN_TMP/nul.err")"
[ "$(cat "$TERN_TMP/nul.out")" = "udp 7 -> echo" ] ||
	tern_fail "the NUL line was run, or the next one not: $(cat "$TERN_TMP/nul.out")"
tern_say "ok: NUL lines refused on the socket and through ternctl: $(cat "$TERN_TMP/nul.err")"

# SIGUSR1: counters, serving on. SIGHUP: the clean stop.
kill -USR1 "$TERND_PID"
wait_log '^ternd: User defined signal 1: counters$' 30 || tern_fail "no counters after SIGUSR1"
wait_log '^total: rx=' 30 || tern_fail "no total: line after SIGUSR1"
[ "$(ctl show bindings)" = "udp 7 -> echo" ] || tern_fail "ternd does not serve after SIGUSR1"
kill -HUP "$TERND_PID"
wait_exit 30
grep -q '^ternd: Hangup, stopping$' "$log" || tern_fail "SIGHUP: no 'Hangup, stopping' line"
ternd_check_exit "$log"
[ ! -e "$sock" ] || tern_fail "ternd left $sock behind after SIGHUP"
tern_say "ok: SIGUSR1 prints the counters; SIGHUP stops cleanly (exit 0, no leak, socket removed)"

# The idle timeout.
start_null --control-timeout 2
ternd_wait_ready "$log" 60 || tern_fail "ternd --control-timeout 2 did not start"
$PY - "$sock" <<'PY' || tern_fail "the idle timeout"
import select, socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s
t0 = time.monotonic()
idle, slow, busy = conn(), conn(), conn()
slow.sendall(b'show')
closed = {}
while len(closed) < 2 and time.monotonic() - t0 < 60:
    busy.sendall(b'show version\n')
    r, _, _ = select.select([idle, slow, busy], [], [], 0.5)
    for s in r:
        d = s.recv(65536)
        if s is busy:
            if not d:
                sys.exit('the busy client was closed')
        elif d:
            sys.exit(f'unexpected data on an idle client: {d!r}')
        elif s not in closed:
            closed[s] = time.monotonic() - t0
    time.sleep(0.2)
if idle not in closed or slow not in closed:
    sys.exit('idle clients not closed within 60 s with --control-timeout 2')
for name, s in (('idle', idle), ('slow', slow)):
    if closed[s] < 1.9:
        sys.exit(f'the {name} client was closed after {closed[s]:.2f} s, before the 2 s timeout')
print(f'idle closed after {closed[idle]:.1f} s, slow after {closed[slow]:.1f} s; busy served on')
PY
tern_say "ok: --control-timeout 2 closes idle and slow clients after 2 s, not busy ones"

# ternctl's output errors.
ctl show stats >/dev/full 2>"$TERN_TMP/full.err"
rc=$?
[ "$rc" = 2 ] || tern_fail "ternctl show stats >/dev/full: status $rc, expected 2"
grep -q '^ternctl: cannot write standard output: No space left on device' "$TERN_TMP/full.err" ||
	tern_fail "ternctl >/dev/full says: $(cat "$TERN_TMP/full.err")"
yes 'show version' | head -n 20000 >"$TERN_TMP/many.cmds"
ctl <"$TERN_TMP/many.cmds" 2>"$TERN_TMP/pipe.err" | head -c 100 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 2 ] || tern_fail "ternctl | head -c 100: status $rc, expected 2 (it sent every command?)"
grep -q '^ternctl: cannot write standard output: Broken pipe' "$TERN_TMP/pipe.err" ||
	tern_fail "ternctl | head says: $(cat "$TERN_TMP/pipe.err")"
tern_say "ok: ternctl exits 2 on a full output and on a closed pipe"

# A file put at the socket's path while ternd runs is not removed at exit.
rm -f "$sock" && echo "not ternd's" >"$sock" || tern_die "cannot replace $sock"
ternd_stop 20
ternd_check_exit "$log"
[ "$(cat "$sock" 2>/dev/null)" = "not ternd's" ] ||
	tern_fail "ternd removed a file put at its socket's path after it started"
rm -f "$sock"
tern_say "ok: at exit ternd removes only the socket it made"

# SIGTERM while start-up waits for more of an --exec pipe.
mkfifo "$TERN_TMP/exec.fifo" || tern_die "mkfifo"
exec 3<>"$TERN_TMP/exec.fifo" # held open, so ternd's read blocks
FIFO_FD=3
printf 'show version\n' >&3
start_null --exec "$TERN_TMP/exec.fifo"
wait_log '^tern version=' 60 || tern_fail "ternd did not run the first line of the pipe"
t0=$(date +%s%N)
kill -TERM "$TERND_PID"
wait_exit 20
ms=$((($(date +%s%N) - t0) / 1000000))
exec 3>&-
FIFO_FD=
[ "$TERND_RC" = 0 ] || tern_fail "SIGTERM during start-up: status $TERND_RC, expected 0"
grep -q '^ternd: Terminated during start-up, stopping' "$log" ||
	tern_fail "SIGTERM during start-up: no 'Terminated during start-up' line: $(tail -n 5 "$log")"
grep -q '^ternd: ready' "$log" && tern_fail "ternd became ready after SIGTERM"
[ ! -e "$sock" ] || tern_fail "the control socket exists after a stopped start-up"
[ "$ms" -le 2000 ] || tern_fail "SIGTERM during start-up took $ms ms to stop ternd (max 2000)"
tern_say "ok: SIGTERM during a blocked start-up stopped ternd in $ms ms, exit 0"

tern_say "PASS: idle clients, NUL lines, ternctl output errors, SIGUSR1/SIGHUP, idle timeout, stop during start-up"
exit 0
