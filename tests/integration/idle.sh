#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: the worker idle policy (--idle), with a real ternd on the
# host end of a veth pair (AF_XDP; af_packet with TERN_FORCE_AF_PACKET=1) and the
# kernel stack in a namespace as the client. Three runs of ternd, one after
# the other, each left idle before it is measured:
#   1. --idle busy: the process wants a CPU most of the time while idle
#      (runs or waits to run > 70% of the time), and its worker never
#      sleeps (idle_sleeps stays 0);
#   2. --idle adaptive (the defaults): idle, the process uses far less
#      (< 30% of one CPU, and runnable < 30% of the time) and the worker
#      sleeps (idle_sleeps grows) on its queue's kernel socket (idle_wait is
#      "frame"); woken from sleep by the frames (idle_woken_rx grows), it
#      answers every UDP echo and ping; control commands (bind, unbind: each waits for an
#      RCU grace period) complete (CTL_MAX_MS only catches a hang); ternd
#      exits 0 without leaks;
#   3. --idle adaptive with one-second sleeps: a bind and an unbind (two
#      grace periods) complete while the worker stays in one sleep (its
#      idle_sleeps does not move), which they could not if a sleeping worker
#      held up grace periods (it must sleep RCU-offline); ternd stops within
#      its sleep plus shutdown (2.5 s) and exits 0.
# CPU used is utime+stime of the whole ternd process (/proc/PID/stat) over a
# window, so it includes the control thread's share. Other load on a 2-CPU
# machine takes part of a busy worker's CPU, so busy is judged by the time
# ternd wanted a CPU: ran or waited on a run queue (/proc/PID/task/*/schedstat).
#
# Environment (set by meson): TERND, RESPONDER, UDP_CLIENT; TERNCTL (default:
# ternctl next to TERND). TERN_FORCE_AF_PACKET=1 uses af_packet.
# IDLE_SETTLE_S (2) idling before measuring, IDLE_WINDOW_S (2) the window.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.0.2
TERN_ADDR=198.18.0.1
SETTLE_S=${IDLE_SETTLE_S:-2}
WINDOW_S=${IDLE_WINDOW_S:-2}
BUSY_MIN_PCT=70     # busy polling wants a CPU at least this much of the time
ADAPTIVE_MAX_PCT=30 # adaptive at idle stays below this
CTL_MAX_MS=2000     # a control command with the worker idle: a hang, not a
                    # timing (whether grace periods wait for a sleeping
                    # worker is checked by behaviour in run 3)
ECHO_COUNT=500

tern_need_root
TERNCTL=${TERNCTL:-$(dirname "${TERND:-/nonexistent}")/ternctl}
tern_need_var TERND TERNCTL RESPONDER UDP_CLIENT
command -v ethtool >/dev/null || tern_die "ethtool is not installed (apt-get install ethtool)"
command -v jq >/dev/null || tern_die "jq is not installed (apt-get install jq)"
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_idle_$$"
hif="tih$$"
nif="tin$$"
sock="$TERN_TMP/ctl.sock"
in_ns() { ip netns exec "$ns" "$@"; }
ctl() { "$TERNCTL" -s "$sock" "$@"; }

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"
printf 'app load echo %s mode=echo\nbind udp 7 echo\n' "$RESPONDER" >"$TERN_TMP/start.cmds"

# start POLICY: ternd with --idle POLICY, ready, and saying its policy.
start() {
	local log="$TERN_TMP/ternd.log" mode=${1%%:*}
	ternd_start_veth idle "$log" "$hif" --ip "$TERN_ADDR/24" --idle "$1" \
		--control "$sock" --app-dir "$(dirname "$RESPONDER")" \
		--exec "$TERN_TMP/start.cmds" || tern_fail "ternd --idle $1 did not start"
	grep -q "^idle policy: $mode\$" "$log" ||
		tern_fail "ternd --idle $1 did not print 'idle policy: $mode': $(grep '^idle' "$log")"
	tern_say "ternd --idle $1 is up on $hif through $TERN_DRIVER"
}

# stop: SIGTERM; exit 0, a report, no leaked mbufs.
stop() {
	ternd_stop 20
	ternd_check_exit "$TERN_TMP/ternd.log"
}

# proc_ticks PID: utime + stime of every thread of PID, in clock ticks
# (fields 14 and 15 of /proc/PID/stat; 12 and 13 after the ") " of comm).
proc_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# proc_runnable_ns PID: the time every thread of PID ran or waited to run
# (on a run queue), in ns: the first two fields of each task's schedstat.
proc_runnable_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 + $2 } END { printf "%.0f\n", t }'
}

# measure PID SECONDS: sets CPU_PCT, the per cent of one CPU PID used over
# SECONDS (utime+stime), and RUN_PCT, the per cent of the time it wanted a
# CPU (ran or was runnable): a busy-polling thread wants one all the time
# even when other load on the machine takes part of it.
measure() {
	local a b r0 r1 t0 t1
	a=$(proc_ticks "$1")
	r0=$(proc_runnable_ns "$1")
	t0=$(date +%s%N)
	sleep "$2"
	b=$(proc_ticks "$1")
	r1=$(proc_runnable_ns "$1")
	t1=$(date +%s%N)
	CPU_PCT=$(awk -v d=$((b - a)) -v hz="$(getconf CLK_TCK)" -v ns=$((t1 - t0)) \
		'BEGIN { printf "%.0f\n", 100 * d / hz / (ns / 1e9) }')
	RUN_PCT=$(awk -v d=$((r1 - r0)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f\n", 100 * d / ns }')
}

# machine_busy_pct SECONDS: how busy all CPUs were (per cent) over SECONDS,
# for the message when a CPU figure is off.
machine_busy_pct() {
	{
		head -1 /proc/stat
		sleep "$1"
		head -1 /proc/stat
	} | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i; idle[NR] = $5 + $6; tot[NR] = t }
		END { printf "%.0f\n", 100 - 100 * (idle[2] - idle[1]) / (tot[2] - tot[1]) }'
}

# wctr NAME: worker 0's counter NAME from `show events json`; "" if ternd
# has no such view or counter.
wctr() {
	ctl show events json 2>/dev/null | jq -r --arg f "$1" '.workers[0][$f] // empty' 2>/dev/null
}

# ctl_ms WORDS...: runs a control command that must succeed; prints its
# wall time in milliseconds (ternctl's start-up included).
ctl_ms() {
	local t0 t1
	t0=$(date +%s%N)
	ctl "$@" >/dev/null 2>"$TERN_TMP/ctl.err" ||
		tern_fail "'$*' failed: $(cat "$TERN_TMP/ctl.err")"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# ctl_quick LIMIT_MS: after idling, bind and unbind (each waits for a grace
# period) must each finish within LIMIT_MS; `show bindings` (no grace
# period) is timed too, for scale: ternctl's own start-up is in every figure.
ctl_quick() {
	local cmd ms
	sleep 1
	for cmd in "show bindings" "bind udp 9 echo" "unbind udp 9" "bind udp 9 echo" "unbind udp 9"; do
		# shellcheck disable=SC2086 # the words of the command
		ms=$(ctl_ms $cmd) || exit 1
		tern_say "  '$cmd' took $ms ms"
		[ "$ms" -lt "$1" ] ||
			tern_fail "'$cmd' took $ms ms with the worker idle (limit $1 ms):" \
				"does a sleeping worker hold up RCU grace periods?"
	done
}

# 1. busy: a CPU's worth of polling, no sleep.
start busy
sleep "$SETTLE_S"
sleeps0=$(wctr idle_sleeps)
measure "$TERND_PID" "$WINDOW_S"
busy_pct=$CPU_PCT busy_run=$RUN_PCT
sleeps1=$(wctr idle_sleeps)
load=$(machine_busy_pct 1)
tern_say "busy: over $WINDOW_S s idle, ternd used $busy_pct% of a CPU and wanted one" \
	"$busy_run% of the time (idle_sleeps ${sleeps0:-n/a} -> ${sleeps1:-n/a};" \
	"machine $load% busy just after)"
# On a loaded machine the worker gets less than a CPU; it still wants one.
[ "$busy_run" -gt "$BUSY_MIN_PCT" ] ||
	tern_fail "--idle busy wanted a CPU only $busy_run% of the time at idle" \
		"(used $busy_pct%; expected > $BUSY_MIN_PCT%)"
[ "$busy_pct" -gt "$BUSY_MIN_PCT" ] ||
	tern_say "WARNING: busy used only $busy_pct% of a CPU: other load took the rest"
[ -n "$sleeps0" ] && [ -n "$sleeps1" ] ||
	tern_fail "no idle_sleeps counter in 'show events json'"
[ "$sleeps1" = 0 ] || tern_fail "--idle busy slept: idle_sleeps=$sleeps1"
stop

# 2. adaptive, the defaults: little CPU at idle, and it still answers.
start adaptive
sleep "$SETTLE_S"
sleeps0=$(wctr idle_sleeps)
slept0=$(wctr idle_slept_ns)
measure "$TERND_PID" "$WINDOW_S"
ad_pct=$CPU_PCT ad_run=$RUN_PCT
sleeps1=$(wctr idle_sleeps)
slept1=$(wctr idle_slept_ns)
tern_say "adaptive: over $WINDOW_S s idle, ternd used $ad_pct% of a CPU and wanted one" \
	"$ad_run% of the time (busy: $busy_pct%, $busy_run%)"
if [ "$ad_pct" -ge "$ADAPTIVE_MAX_PCT" ] || [ "$ad_run" -ge "$ADAPTIVE_MAX_PCT" ]; then
	tern_fail "--idle adaptive at idle used $ad_pct% of a CPU and wanted one $ad_run%" \
		"of the time (expected both < $ADAPTIVE_MAX_PCT%; busy: $busy_pct%, $busy_run%)"
fi
[ -n "$sleeps0" ] && [ -n "$sleeps1" ] && [ -n "$slept0" ] && [ -n "$slept1" ] ||
	tern_fail "no idle_sleeps or idle_slept_ns counter in 'show events json'"
tern_say "adaptive: worker 0 slept $((sleeps1 - sleeps0)) times," \
	"$(((slept1 - slept0) / 1000000)) ms asked for, in the window"
[ "$((sleeps1 - sleeps0))" -gt 0 ] || tern_fail "--idle adaptive: the idle worker never slept"

tern_say "adaptive: $ECHO_COUNT UDP echoes from 4 sockets to a sleeping worker"
in_ns /usr/bin/python3 "$UDP_CLIENT" --dst "$TERN_ADDR" --port 7 --count "$ECHO_COUNT" \
	--sockets 4 --size 64 --timeout 3 || tern_fail "UDP echo to an idle (adaptive) ternd failed"
# The worker slept on its queue's kernel socket: frames woke it.
wait_kind=$(wctr idle_wait)
woken_rx=$(wctr idle_woken_rx)
tern_say "adaptive: worker 0 waits for '$wait_kind'; frames ended ${woken_rx:-n/a} of its sleeps"
[ "$wait_kind" = frame ] || tern_fail "--idle adaptive: worker 0 waits by '$wait_kind', not for" \
	"frames: its queue's kernel sockets were not found"
[ "${woken_rx:-0}" -gt 0 ] || tern_fail "--idle adaptive: no sleep ended by a frame (idle_woken_rx=${woken_rx:-none})"
sleep 1
tern_say "adaptive: ping -c 3 $TERN_ADDR after 1 s idle"
in_ns ping -c 3 -W 2 "$TERN_ADDR" >"$TERN_TMP/ping.log" ||
	tern_fail "ping to an idle (adaptive) ternd failed: $(cat "$TERN_TMP/ping.log")"
tail -1 "$TERN_TMP/ping.log"
tern_say "adaptive: control commands while the worker sleeps"
ctl_quick "$CTL_MAX_MS"
stop
rx=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' rx)
[ "${rx:-0}" -ge "$ECHO_COUNT" ] || tern_fail "ternd counted rx=$rx, fewer than $ECHO_COUNT"

# 3. one-second sleeps: grace periods must not wait for a sleeping worker.
long="adaptive:poll_us=0,sleep_min_us=1000000,sleep_max_us=1000000"
start "$long"
sleep 1
# The behaviour, not a timing: a bind (which waits for a grace period)
# completes while the worker stays in one sleep (its idle_sleeps, counted
# when a sleep ends, does not move). A grace period that waited for the
# sleeping worker could only end after it woke. A sleep may end during a
# try by chance (the commands take a few ms of each second): up to 5 tries.
tern_say "one-second sleeps: a grace period while the worker sleeps"
ok=
for ((try = 0; try < 5; try++)); do
	s0=$(wctr idle_sleeps)
	ctl bind udp 9 echo >/dev/null && ctl unbind udp 9 || tern_fail "bind/unbind failed"
	s1=$(wctr idle_sleeps)
	[ -n "$s0" ] && [ -n "$s1" ] || tern_fail "no idle_sleeps counter in 'show events json'"
	if [ "$s0" = "$s1" ]; then ok=1; break; fi
	tern_say "  a sleep ended during try $try ($s0 -> $s1); again"
done
[ -n "$ok" ] || tern_fail "bind and unbind never completed within one sleep of the worker:" \
	"do grace periods wait for a sleeping worker?"
t0=$(date +%s%N)
stop
stop_ms=$((($(date +%s%N) - t0) / 1000000))
tern_say "one-second sleeps: ternd stopped in $stop_ms ms"
[ "$stop_ms" -lt 2500 ] ||
	tern_fail "ternd took $stop_ms ms to stop a worker in a 1 s sleep (a sleep, plus shutdown, expected)"

tern_say "PASS ($TERN_DRIVER): idle CPU busy $busy_pct% vs adaptive $ad_pct% of a CPU;" \
	"$ECHO_COUNT echoes and ping answered after idling; control commands < $CTL_MAX_MS ms"
exit 0
