#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test (a): ternd with a net_memif server port and the echo app on
# UDP 7; memif_peer, a DPDK client on the other end of the memif, checks ARP,
# ICMP echo and COUNT UDP echoes (payloads, swapped addresses and ports,
# checksums). Then ternd is stopped with SIGTERM and must exit 0, with
# counters matching the traffic and no leaked mbufs.
#
# Environment (set by meson): TERND, RESPONDER, MEMIF_PEER.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

COUNT=${COUNT:-2000}
SPORTS=${SPORTS:-16}
SIZE=${SIZE:-200}

tern_need_root
tern_need_var TERND RESPONDER MEMIF_PEER
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
tern_say "starting ternd (memif server)"
ternd_start_memif memif_d --no-huge -m 512 || tern_fail "ternd did not start"
grep '^port ' "$TERN_TMP/ternd.log"

tern_say "running memif_peer: $COUNT UDP requests from $SPORTS source ports, $SIZE B"
memif_peer_start memif_p "$COUNT" "$SPORTS" "$SIZE"
memif_peer_wait_done || tern_fail "memif_peer did not finish"

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
