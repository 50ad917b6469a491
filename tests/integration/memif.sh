#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test (a): ternd with a net_memif server port and the echo app on
# UDP 7; memif_peer, a DPDK client on the other end of the memif, checks ARP,
# ICMP echo and COUNT UDP echoes (payloads, swapped addresses and ports,
# checksums). Then ternd is stopped with SIGTERM and must exit 0, with
# counters matching the traffic and no leaked mbufs.
# With MEMIF_IDLE=adaptive (the test memif_adaptive), ternd runs --idle
# adaptive and is left idle for a second first: its worker, which memif
# cannot wake, sleeps in steps (idle_wait=steps, idle_sleeps grows), and
# still answers every request, losing none across its sleeps.
#
# TERN_HUGE=1 (the test memif_huge) runs ternd on 2 MB hugepages.
#
# Environment (set by meson): TERND, TERNCTL, RESPONDER, MEMIF_PEER;
# MEMIF_IDLE (busy), TERN_HUGE (0).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

COUNT=${COUNT:-2000}
SPORTS=${SPORTS:-16}
SIZE=${SIZE:-200}
MEMIF_IDLE=${MEMIF_IDLE:-busy}
TERNCTL=${TERNCTL:-$(dirname "$TERND")/ternctl}

tern_need_root
tern_need_var TERND RESPONDER MEMIF_PEER
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
tern_mem_setup
# ev FIELD: worker 0's FIELD in `show events json`.
ev() {
	"$TERNCTL" -p "$TERN_PREFIX" show events json 2>/dev/null | jq -r --arg f "$1" '.workers[0][$f] // empty'
}

tern_say "starting ternd (memif server, --idle $MEMIF_IDLE)"
TERND_EXTRA_ARGS=(--idle "$MEMIF_IDLE")
ternd_start_memif memif_d "${TERN_MEM_ARGS[@]}" || tern_fail "ternd did not start"
tern_huge_check_used
TERND_PREFIX=$TERN_PREFIX
grep '^port ' "$TERN_TMP/ternd.log"
if [ "$MEMIF_IDLE" != busy ]; then
	sleep 1
	sleeps0=$(TERN_PREFIX=$TERND_PREFIX ev idle_sleeps)
	wait_kind=$(TERN_PREFIX=$TERND_PREFIX ev idle_wait)
	tern_say "idle: worker 0 waits by '$wait_kind', $sleeps0 sleeps in its first second"
	[ "$wait_kind" = steps ] || tern_fail "memif cannot wake a worker, yet idle_wait='$wait_kind'"
	[ "${sleeps0:-0}" -gt 0 ] || tern_fail "--idle $MEMIF_IDLE: the idle worker never slept"
fi

tern_say "running memif_peer: $COUNT UDP requests from $SPORTS source ports, $SIZE B"
memif_peer_start memif_p "$COUNT" "$SPORTS" "$SIZE"
memif_peer_wait_done || tern_fail "memif_peer did not finish"
if [ "$MEMIF_IDLE" != busy ]; then
	tern_say "after the requests: $("$TERNCTL" -p "$TERND_PREFIX" show events json 2>/dev/null |
		jq -r '.workers[0] | "\(.idle_sleeps) sleeps, \(.idle_timed_out) ended by the time"')"
fi

ternd_stop 20
sed -n '/^ternd: .*stopping/,$p' "$TERN_TMP/ternd.log"
memif_peer_finish
peer_rc=$PEER_RC
grep -v '^EAL: \|^TELEMETRY: ' "$TERN_TMP/peer.log"

[ "$peer_rc" = 0 ] || tern_fail "memif_peer exited with status $peer_rc"
expect="memif_peer: arp=ok icmp=ok sent=$COUNT received=$COUNT mismatched=0 lost=0"
grep -qx "$expect" "$TERN_TMP/peer.log" || tern_fail "memif_peer did not report: $expect"
ternd_check_exit "$TERN_TMP/ternd.log"

# One ARP request, one ICMP echo and COUNT UDP requests in; as many replies out.
want=$((COUNT + 2))
rx=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' rx)
tx=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' tx)
[ "$rx" = "$want" ] || tern_fail "ternd counted rx=$rx, expected $want"
[ "$tx" = "$want" ] || tern_fail "ternd counted tx=$tx, expected $want"
drops=$(grep -m1 '^total:' "$TERN_TMP/ternd.log" | tr ' ' '\n' | grep '^drop_' | grep -v '=0$')
[ -z "$drops" ] || tern_fail "ternd dropped packets on a clean link: $(echo "$drops" | tr "\n" " ")"
tern_say "PASS: $COUNT UDP echoes, ARP and ICMP over memif; rx=$rx tx=$tx leaked=0"
exit 0
