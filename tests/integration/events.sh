#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: the event engine with two workers on a single-queue port.
# ternd runs with two worker lcores sharing one CPU (--lcores 0@0,1@1,2@1,
# --idle adaptive) on an af_packet port with ONE queue pair, so worker 0
# receives, software steering spreads flows over both workers, and worker 1
# sends its replies through worker 0. The app is tests/apps/event_app:
#   - timers: a 10 ms periodic timer per worker, armed from init; after a
#     second both workers have ticked, on the right worker, and the lateness
#     counters are filled;
#   - messages: `event post` from the control plane reaches both workers
#     ahead of their packets; an app posts to another worker;
#   - logging from the workers (host->log): lines printed by the control
#     thread, 10 a second per worker, the rest counted exactly and announced;
#   - hand-off: a request handed to worker 1 (and to worker 0) is answered by
#     that worker; a hand-off to a worker that does not exist is dropped and
#     counted (drop_handoff);
#   - invalid verdicts (an unknown value, a reply longer than its buffer):
#     dropped and counted, and the app still answers;
#   - replace (20 times) while the timers tick: the new instance's timers
#     tick, the old ones are gone before its fini;
#   - unload while the timers tick: fini runs after the engine cancelled
#     them, and ternd exits cleanly with no leaked mbuf.
#
# Environment (set by meson): TERND, TERNCTL, EVENT_APP, UDP_ASK.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.6.2
TERN_ADDR=198.18.6.1
PORT=5000

tern_need_root
tern_need_var TERND TERNCTL EVENT_APP UDP_ASK
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_ev_$$"
hif="tevh$$"
nif="tevn$$"
in_ns() { ip netns exec "$ns" "$@"; }
ask() { in_ns /usr/bin/python3 "$UDP_ASK" "$TERN_ADDR" "$PORT" "$@"; }
ctl() { "$TERNCTL" -s "/run/tern/$TERN_PREFIX.sock" "$@"; }
# events_field WORKER NAME: a field of `show events` for one worker.
events_field() {
	ctl show events | grep "^worker $1 " | tr ' ' '\n' | sed -n "s/^$2=\([0-9]*\)$/\1/p"
}
# expect_reply WANT TEXT [ARGS]: the reply to TEXT must be WANT.
expect_reply() {
	local want=$1 got
	shift
	got=$(ask "$@")
	[ "$got" = "$want" ] || tern_fail "request '$1': got '$got', want '$want'"
	tern_say "ok   '$1' -> '$got'"
}

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"

cat >"$TERN_TMP/start.cmds" <<CMDS
app load ev $EVENT_APP tick_ms=10
bind udp $PORT ev
CMDS
tern_prefix ev
ternd_start "$TERN_TMP/ternd.log" --lcores 0@0,1@1,2@1 --no-huge -m 512 --no-pci \
	--file-prefix "$TERN_PREFIX" --vdev "net_af_packet0,iface=$hif,qpairs=1" \
	-- --ip "$TERN_ADDR/24" --idle adaptive --allow-any-app-path --exec "$TERN_TMP/start.cmds"
ternd_wait_ready "$TERN_TMP/ternd.log" 60 || tern_fail "ternd did not start"
grep -q 'software steering' "$TERN_TMP/ternd.log" ||
	tern_fail "one queue for two workers, but ternd did not say it steers"

# Timers: ~100 ticks per worker in a second; at least 30 each.
sleep 1.2
read -r word t0 t1 <<<"$(ask ticks)"
[ "$word" = ticks ] || tern_fail "ticks: unexpected reply '$word $t0 $t1'"
[ "${t0:-0}" -ge 30 ] && [ "${t1:-0}" -ge 30 ] ||
	tern_fail "10 ms timers ticked $t0 and $t1 times in 1.2 s (want >= 30 each)"
ctl show apps | grep -q 'tick_wrong_worker=0' || tern_fail "a timer fired on the wrong worker"
for w in 0 1; do
	fired=$(events_field $w timers_fired)
	late=$(events_field $w timer_late_p99_ns)
	[ "${fired:-0}" -ge 30 ] || tern_fail "worker $w: timers_fired=$fired"
	# Bounded lateness: one loop iteration plus at most one idle sleep (200 us),
	# here with two workers taking turns on one CPU.
	[ "${late:-999999999}" -lt 50000000 ] || tern_fail "worker $w: timer p99 lateness ${late} ns"
	tern_say "ok   worker $w: $fired timers fired, p99 lateness ${late} ns"
done

# Messages from the control plane, to both workers, ahead of packets.
out=$(ctl event post ev hello world)
[ "$out" = "posted to 2 of 2 workers" ] || tern_fail "event post: '$out'"
for sport in 41000 41001 41002 41003; do
	expect_reply "msg 1 hello world" msg --sport $sport
done
m0=$(events_field 0 bus_msgs)
m1=$(events_field 1 bus_msgs)
[ "$m0" = 1 ] && [ "$m1" = 1 ] || tern_fail "bus_msgs: worker 0 $m0, worker 1 $m1 (want 1 each)"
ctl event post ev "$(printf 'x%.0s' {1..49})" >/dev/null 2>&1 &&
	tern_fail "a 49-byte message was accepted"

# Apps' log lines from the workers (host->log): printed by the control
# thread, at most 10 a second per worker and instance, the rest counted
# (show apps: log_suppressed) and announced on the next line printed.
ctl app load lg "$EVENT_APP" log=1 >/dev/null || tern_fail "cannot load lg"
ctl event post lg one >/dev/null || tern_fail "event post lg failed"
for i in $(seq 30); do
	[ "$(grep -c "^app lg (worker [01]): message 'one' on worker [01]$" "$TERN_TMP/ternd.log")" = 2 ] && break
	sleep 0.1
done
[ "$i" -lt 30 ] || tern_fail "the log lines of lg did not appear: $(grep '^app lg' "$TERN_TMP/ternd.log")"
for i in $(seq 30); do echo "event post lg m$i"; done | ctl >/dev/null || tern_fail "30 posts to lg failed"
sleep 1.2
ctl event post lg last >/dev/null || tern_fail "event post lg last failed"
sleep 0.5
printed=$(grep -c "^app lg (worker [01]): message 'm[0-9]*' on worker [01]$" "$TERN_TMP/ternd.log")
supp=$(ctl show apps | grep '^lg ' | tr ' ' '\n' | sed -n 's/^log_suppressed=//p')
tern_say "log: 60 lines asked for, $printed printed, ${supp:-?} suppressed"
[ -n "$supp" ] && [ "$supp" -ge 1 ] || tern_fail "no line of 30 a worker was suppressed (log_suppressed=$supp)"
[ $((printed + supp)) = 60 ] || tern_fail "printed $printed + suppressed $supp lines, not the 60 logged"
grep -q "^app lg (worker [01]): message 'last' on worker [01] \[[0-9]* earlier lines suppressed" \
	"$TERN_TMP/ternd.log" || tern_fail "the next line does not say how many were suppressed"
ctl app unload lg >/dev/null || tern_fail "cannot unload lg"

# An app posting to another worker.
b1=$(events_field 1 bus_msgs)
expect_reply "posted 0" "post 1 from-app"
sleep 0.2
[ "$(events_field 1 bus_msgs)" = $((b1 + 1)) ] || tern_fail "the app's post did not reach worker 1"
expect_reply "posted -22" "post 9 nowhere"

# Hand-off to each worker, whichever worker the flow lands on.
for sport in 42000 42001 42002; do
	expect_reply "handed 1" "handoff 1" --sport $sport
	expect_reply "handed 0" "handoff 0" --sport $sport
done
h_in=$(($(events_field 0 handoff_in) + $(events_field 1 handoff_in)))
[ "$h_in" = 6 ] || tern_fail "handoff_in: $h_in (want 6)"
before=$(ctl show stats | ternd_counter /dev/stdin 'total:' drop_handoff)
[ "$(ask 'handoff 7' --timeout 0.5)" = timeout ] || tern_fail "a hand-off to worker 7 was answered"
after=$(ctl show stats | ternd_counter /dev/stdin 'total:' drop_handoff)
[ "$after" = $((before + 1)) ] || tern_fail "drop_handoff went $before -> $after (want +1)"
tern_say "ok   hand-off to a missing worker dropped and counted"

# An app's invalid verdicts are dropped and counted; the engine keeps serving.
before=$(ctl show stats | ternd_counter /dev/stdin 'total:' drop_bad_verdict)
[ "$(ask badverdict --timeout 0.5)" = timeout ] || tern_fail "an invalid verdict was answered"
[ "$(ask hugereply --timeout 0.5)" = timeout ] || tern_fail "a reply longer than its buffer was sent"
after=$(ctl show stats | ternd_counter /dev/stdin 'total:' drop_bad_verdict)
[ "$after" = $((before + 2)) ] || tern_fail "drop_bad_verdict went $before -> $after (want +2)"
expect_reply "handed 0" "handoff 0"

# Replace while the timers tick (20 times): the old instance's timers are
# postponed, then stopped after a grace period and before its fini; the new
# one's tick. (Under the sanitizer build a timer firing into a freed
# instance would be reported.)
for ((i = 0; i < 20; i++)); do
	echo "app replace ev $EVENT_APP tick_ms=10"
done | ctl >"$TERN_TMP/replace.out" 2>&1 || { cat "$TERN_TMP/replace.out" >&2; tern_fail "app replace failed"; }
[ "$(grep -c '^replaced ev: ' "$TERN_TMP/replace.out")" = 20 ] || tern_fail "not 20 replaces: $(cat "$TERN_TMP/replace.out")"
sleep 0.5
read -r word t0 t1 <<<"$(ask ticks)"
[ "$word" = ticks ] && [ "${t0:-0}" -ge 10 ] && [ "${t1:-0}" -ge 10 ] ||
	tern_fail "after 20 replaces the new instance's timers ticked '$t0' and '$t1' times in 0.5 s"
ctl show apps | grep -q 'tick_wrong_worker=0' || tern_fail "a timer fired on the wrong worker"
kill -0 "$TERND_PID" 2>/dev/null || tern_fail "ternd died when the app with armed timers was replaced"
tern_say "ok   20 replaces while the timers tick; the new instance ticks ($t0, $t1)"
# Unload while the timers tick: the engine stops them before fini.
ctl unbind udp $PORT >/dev/null || tern_fail "unbind failed"
ctl app unload ev >/dev/null || tern_fail "app unload failed"
sleep 0.3
kill -0 "$TERND_PID" 2>/dev/null || tern_fail "ternd died after the app with armed timers was unloaded"
ternd_stop
ternd_check_exit "$TERN_TMP/ternd.log"
tern_say "PASS"
