#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: ternd on DPDK's virtio driver, with 2 MB hugepages and
# two queues, as in a VM with a virtio-net NIC or a container on a
# vhost-user switch. ternd's port is net_virtio_user (--single-file-segments,
# which virtio-user needs), two workers (one per queue, both on CPU 1); the
# wire is dpdk-testpmd's vhost-user backend (net_vhost, two queues) in
# 5tswap mode, primed with `start tx_first 8` once the link is up: 8 bursts
# per queue from its txonly template with --txonly-multi-flow (a source
# address per packet), after which it swaps every reply back as the next
# request. So every frame ternd receives is its own reply swapped back: a
# reply with a wrong UDP or IPv4 checksum would come back and be dropped as
# drop_bad_cksum. Checked:
#   - both queues carry the loop and each worker answers on its own (the
#     vhost side picks the queue: no RSS on this path);
#   - ternd answered every frame it received (rx = tx, every drop_* 0), with
#     no bad checksum;
#   - it stops cleanly, and its exit check finds every mbuf back (the
#     virtio driver keeps transmitted mbufs until its ring wraps: ternd
#     stops its ports before it counts);
#   - the hugepages it reserved are given back.
# With VIRTIO_IDLE=adaptive (the test virtio_adaptive), ternd runs --idle
# adaptive: idle, both workers sleep on their queue's RX interrupt
# (idle_wait=frame); after the loop stops they sleep again, and a new burst
# from testpmd wakes them (idle_woken_rx grows) and is answered.
#
# Environment (set by meson): TERND, TERNCTL, RESPONDER; VIRTIO_IDLE (busy).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

LOOP_S=${LOOP_S:-3}
HUGEPAGES=${HUGEPAGES:-512} # 1 GiB: 512 MB for each process
TERNCTL=${TERNCTL:-$(dirname "$TERND")/ternctl}
MAC=02:00:00:00:00:01
VIRTIO_IDLE=${VIRTIO_IDLE:-busy}
TP_PID=
TP_FD=

tern_need_root
tern_need_var TERND RESPONDER
command -v dpdk-testpmd >/dev/null || tern_fail "dpdk-testpmd not installed (Debian package dpdk)"

cleanup() {
	if [ -n "$TP_PID" ]; then
		kill -KILL "$TP_PID" 2>/dev/null
		wait "$TP_PID" 2>/dev/null
	fi
	tern_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
orig_pages=$(cat /proc/sys/vm/nr_hugepages)
tern_huge_take "$HUGEPAGES" ||
	tern_fail "could not reserve $HUGEPAGES free 2 MB hugepages (the machine has $(awk \
		'/^HugePages_Free:/ { print $2 }' /proc/meminfo) free)"
before_free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
tern_say "reserved $HUGEPAGES hugepages at $TERN_HUGE_DIR"

# tp CMD: a command to testpmd's prompt.
tp() { printf '%s\n' "$1" >&"$TP_FD"; }

# The wire: testpmd's vhost-user backend, both lcores on CPU 0.
tern_prefix vtp
mkfifo "$TERN_TMP/tp.in"
exec {TP_FD}<>"$TERN_TMP/tp.in"
dpdk-testpmd --lcores 0@0,1@0 --no-pci --file-prefix "$TERN_PREFIX" --huge-dir "$TERN_HUGE_DIR" \
	-m 512 --vdev "net_vhost0,iface=$TERN_TMP/vhost.sock,queues=2" -- -i --rxq=2 --txq=2 \
	--nb-cores=1 --forward-mode=5tswap --eth-peer=0,$MAC --tx-ip=198.18.0.2,198.18.0.1 \
	--tx-udp=4000,7 --txonly-multi-flow --total-num-mbufs=8192 \
	<"$TERN_TMP/tp.in" >"$TERN_TMP/tp.log" 2>&1 &
TP_PID=$!
for ((i = 0; i < 100; i++)); do
	[ -S "$TERN_TMP/vhost.sock" ] && break
	kill -0 "$TP_PID" 2>/dev/null || tern_fail "testpmd exited: $(tail -5 "$TERN_TMP/tp.log")"
	sleep 0.1
done
[ -S "$TERN_TMP/vhost.sock" ] || tern_fail "testpmd made no vhost-user socket"

printf 'app load echo %s mode=echo\nbind udp 7 echo\n' "$RESPONDER" >"$TERN_TMP/start.cmds"
tern_prefix vtd
TERND_PREFIX=$TERN_PREFIX
ternd_start "$TERN_TMP/ternd.log" --lcores 0@0,1@1,2@1 --no-pci --file-prefix "$TERND_PREFIX" \
	--huge-dir "$TERN_HUGE_DIR" --single-file-segments -m 512 \
	--vdev "net_virtio_user0,path=$TERN_TMP/vhost.sock,queues=2,mac=$MAC" \
	-- --ip 198.18.0.1/24 --app-dir "$(dirname "$RESPONDER")" --exec "$TERN_TMP/start.cmds" \
	--idle "$VIRTIO_IDLE"
ternd_wait_ready "$TERN_TMP/ternd.log" 60 || tern_fail "ternd did not start on virtio-user"
grep '^port \|^  queue' "$TERN_TMP/ternd.log"
grep -q "2 queue(s)" "$TERN_TMP/ternd.log" || tern_fail "ternd's virtio port does not have 2 queues"

# Prime the loop once the link is up (testpmd sends nothing before).
for ((i = 0; i < 50; i++)); do
	"$TERNCTL" -p "$TERND_PREFIX" show ports 2>/dev/null | grep -q 'link=up' && break
	sleep 0.1
done
# woken_rx: the sleeps frames ended, both workers together.
woken_rx() {
	"$TERNCTL" -p "$TERND_PREFIX" show events json | jq '[.workers[].idle_woken_rx] | add'
}
if [ "$VIRTIO_IDLE" != busy ]; then
	sleep 1
	waits=$("$TERNCTL" -p "$TERND_PREFIX" show events json | jq -r '[.workers[].idle_wait] | join(",")')
	tern_say "idle: the workers wait for: $waits"
	[ "$waits" = frame,frame ] || tern_fail "--idle $VIRTIO_IDLE on virtio: the workers wait by '$waits'," \
		"not on their queues' RX interrupts"
fi
tp "start tx_first 8"
sleep "$LOOP_S"
lcores=$("$TERNCTL" -p "$TERND_PREFIX" show lcores json)
tp "stop"
sleep 1
if [ "$VIRTIO_IDLE" != busy ]; then
	w0=$(woken_rx)
	rx0=$("$TERNCTL" -p "$TERND_PREFIX" show stats json | jq '.total.rx')
	tp "start tx_first 1" # to sleeping workers
	sleep 1
	tp "stop"
	sleep 0.5
	w1=$(woken_rx)
	rx1=$("$TERNCTL" -p "$TERND_PREFIX" show stats json | jq '.total.rx')
	tern_say "idle: a burst to sleeping workers: rx +$((rx1 - rx0)), sleeps ended by a frame $w0 -> $w1"
	[ "$((rx1 - rx0))" -gt 0 ] || tern_fail "the burst to sleeping workers was not answered"
	[ "$w1" -gt "$w0" ] || tern_fail "no sleep ended by a frame (RX interrupt) after the burst"
fi
for w in 0 1; do
	rx=$(jq -r --argjson w "$w" '.[] | select(.worker == $w) | .rx' <<<"$lcores")
	tern_say "worker $w: rx=$rx in ${LOOP_S} s"
	[ "${rx:-0}" -gt 1000 ] || tern_fail "worker $w answered ${rx:-no} frames: the loop did not reach queue $w"
done

ternd_stop 20
tern_say "ternd's exit report:"
sed -n '/^ternd: .*stopping/,$p' "$TERN_TMP/ternd.log"
[ "$TERND_RC" = 0 ] || tern_fail "ternd exited with status $TERND_RC"
ternd_check_exit "$TERN_TMP/ternd.log"
rx=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' rx)
tx=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' tx)
[ "${rx:-0}" -gt 0 ] && [ "$rx" = "$tx" ] || tern_fail "ternd counted rx=$rx tx=$tx (every frame is a request)"
drops=$(grep -m1 '^total:' "$TERN_TMP/ternd.log" | tr ' ' '\n' | grep '^drop_' | grep -v '=0$')
[ -z "$drops" ] || tern_fail "ternd dropped frames in the loop: $(echo "$drops" | tr '\n' ' ')"

tp "quit"
for ((i = 0; i < 50; i++)); do
	kill -0 "$TP_PID" 2>/dev/null || break
	sleep 0.1
done
kill -KILL "$TP_PID" 2>/dev/null
wait "$TP_PID" 2>/dev/null
TP_PID=
tern_huge_give_back
after=$(cat /proc/sys/vm/nr_hugepages)
tern_say "hugepages: $before_free free while reserved; $after reserved after giving them back (was $orig_pages)"
[ "$after" = "$orig_pages" ] || tern_fail "the test's hugepages were not all given back: $after reserved, $orig_pages before"
tern_say "PASS: virtio-user with hugepages, 2 queues, 2 workers: rx=$rx tx=$tx, no drop, no leak"
exit 0
