#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: software steering. ternd runs two workers sharing one CPU
# (EAL --lcores 0@0,1@1,2@1, --idle adaptive so they take turns) on the host
# end of a veth pair through af_packet with ONE queue; the kernel stack in a
# network namespace is the client. With --steer auto:
#   - the worker owning the queue (the receiver) hands frames to the other
#     worker by the symmetric Toeplitz hash;
#   - FLOWS UDP flows (fixed source ports) are sent one after the other,
#     PER_FLOW echo requests each; between flows `show events` is read, and
#     each flow must have been steered to exactly the worker `show flow`
#     predicts for it (steered_out on the receiver and steered_in on the
#     other worker both grow by PER_FLOW, or neither grows); the predictions
#     must cover both workers;
#   - BULK echoes over 32 sockets (ephemeral ports): all answered, and both
#     workers served some;
#   - no bus drops, clean exit, no leaked mbufs.
# With --steer off, the same traffic is all answered and the second worker
# gets nothing (no rx, tx or steered frames), and `show flow` says so.
#
# IPv6 is turned off in the namespace so that no neighbour-discovery or MLD
# traffic (which would be steered too) disturbs the per-flow counts; ARP is
# not steered (it stays with the receiver).
#
# Environment (set by meson): TERND, TERNCTL, RESPONDER, UDP_CLIENT.
# FLOWS (default 16), PER_FLOW (default 4), BULK (default 2000).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.0.2
TERN_ADDR=198.18.0.1
ECHO_PORT=7
FLOWS=${FLOWS:-16}
PER_FLOW=${PER_FLOW:-4}
BULK=${BULK:-2000}
SPORT_BASE=31000

TERNCTL=${TERNCTL:-$(dirname "${TERND:-/nonexistent}")/ternctl}
tern_need_root
tern_need_var TERND TERNCTL RESPONDER UDP_CLIENT
command -v jq >/dev/null || tern_die "jq is not installed (apt-get install jq)"
command -v ethtool >/dev/null || tern_die "ethtool is not installed (apt-get install ethtool)"
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_steer_$$"
hif="tsh$$"
nif="tsn$$"
sock="$TERN_TMP/ctl.sock"
in_ns() { ip netns exec "$ns" "$@"; }
ctl() { "$TERNCTL" -s "$sock" "$@"; }

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "net.ipv6.conf.$nif.disable_ipv6=1" ||
	tern_fail "could not turn IPv6 off in $ns"
tern_say "veth $hif (ternd, af_packet, 1 queue) <-> $nif in netns $ns ($NS_ADDR)"

printf 'app load echo %s mode=echo\nbind udp %u echo\n' "$RESPONDER" "$ECHO_PORT" \
	>"$TERN_TMP/start.cmds"

# One flow: N echo requests from source port SPORT, one at a time, each
# reply checked. Exits 1 on the first request without its reply (2 s).
cat >"$TERN_TMP/flow.py" <<'EOF'
import os
import socket
import sys

src, dst, dport, sport, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, sport))
s.connect((dst, dport))
s.settimeout(2.0)
for i in range(n):
    req = b'steer %d %d ' % (sport, i) + os.urandom(24)
    s.send(req)
    try:
        while s.recv(2048) != req:
            pass
    except socket.timeout:
        print('flow %d: request %d of %d got no reply' % (sport, i + 1, n))
        sys.exit(1)
EOF

# start_ternd STEER_MODE: ternd with two workers on CPU 1, one af_packet queue.
start_ternd() {
	tern_prefix steer
	ternd_start "$TERN_TMP/ternd.log" --lcores 0@0,1@1,2@1 --no-huge -m 512 --no-pci \
		--file-prefix "$TERN_PREFIX" --vdev "net_af_packet0,iface=$hif,qpairs=1" \
		-- --ip "$TERN_ADDR/24" --app-dir "$(dirname "$RESPONDER")" \
		--exec "$TERN_TMP/start.cmds" --control "$sock" --idle adaptive --steer "$1"
	ternd_wait_ready "$TERN_TMP/ternd.log" 60
}

# The receiving worker: the owner of port 0's only queue, from ternd's log.
receiver_worker() {
	sed -n 's/^ *queue 0 -> lcore [0-9]\{1,\} (worker \([0-9]\{1,\}\)).*/\1/p' \
		"$TERN_TMP/ternd.log" | head -1
}

# snap NAME: per-worker counters into NAME_in[w], NAME_out[w], NAME_txh[w]
# (steered_in, steered_out, tx_handoff_out from `show events`) and
# NAME_rx[w], NAME_tx[w] (from `show stats`).
snap() {
	local w a b c
	while read -r w a b c; do
		eval "$1_in[$w]=$a; $1_out[$w]=$b; $1_txh[$w]=$c"
	done < <(ctl show events json |
		jq -r '.workers[] | "\(.worker) \(.steered_in) \(.steered_out) \(.tx_handoff_out)"')
	while read -r w a b; do
		eval "$1_rx[$w]=$a; $1_tx[$w]=$b"
	done < <(ctl show stats json | jq -r '.lcores[] | "\(.worker) \(.rx) \(.tx)"')
}

# predict SPORT: the worker `show flow` names for NS_ADDR:SPORT -> TERN_ADDR:7.
predict() {
	ctl show flow "$NS_ADDR" "$TERN_ADDR" "$1" "$ECHO_PORT" udp json | jq -r '.[0].worker'
}

send_flow() {
	in_ns /usr/bin/python3 "$TERN_TMP/flow.py" "$NS_ADDR" "$TERN_ADDR" "$ECHO_PORT" "$1" "$2"
}

send_bulk() {
	in_ns /usr/bin/python3 "$UDP_CLIENT" --dst "$TERN_ADDR" --port "$ECHO_PORT" \
		--count "$BULK" --sockets 32 --size 64 --timeout 3 ||
		tern_fail "UDP echo client: not every request was answered"
}

stop_and_check() {
	local c v
	ternd_stop 20
	ternd_check_exit "$TERN_TMP/ternd.log"
	for c in drop_bus_full drop_handoff drop_tx_full drop_bad_cksum; do
		v=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' "$c")
		[ "$v" = 0 ] || tern_fail "ternd counted $c=$v"
	done
}

# ---- --steer auto --------------------------------------------------------------

start_ternd auto || tern_fail "ternd did not start (--steer auto)"
grep -q '^ternd: ready (2 workers)' "$TERN_TMP/ternd.log" ||
	tern_fail "ternd did not start 2 workers: $(grep '^ternd: ready' "$TERN_TMP/ternd.log")"
grep -q 'software steering' "$TERN_TMP/ternd.log" ||
	tern_fail "ternd did not turn software steering on for the single-queue port"
recv=$(receiver_worker)
[ -n "$recv" ] || tern_fail "no 'queue 0 -> lcore L (worker W)' line in ternd's log"
other=$((1 - recv))
tern_say "--steer auto: worker $recv receives, worker $other gets steered frames"

in_ns ping -c 2 -W 2 "$TERN_ADDR" >/dev/null || tern_fail "ping $TERN_ADDR failed"

declare -A pred
n_other=0
for ((k = 0; k < FLOWS; k++)); do
	sp=$((SPORT_BASE + k))
	pred[$sp]=$(predict "$sp")
	case "${pred[$sp]}" in
	0 | 1) ;;
	*) tern_fail "show flow for source port $sp named no worker: '${pred[$sp]}'" ;;
	esac
	[ "${pred[$sp]}" = "$other" ] && n_other=$((n_other + 1))
done
tern_say "show flow: $n_other of $FLOWS flows predicted on worker $other"
if [ "$n_other" = 0 ] || [ "$n_other" = "$FLOWS" ]; then
	tern_fail "the predictions do not cover both workers ($n_other of $FLOWS on worker $other)"
fi

declare -a b_in b_out b_txh b_rx b_tx a_in a_out a_txh a_rx a_tx
bad=0
for ((k = 0; k < FLOWS; k++)); do
	sp=$((SPORT_BASE + k))
	snap b
	send_flow "$sp" "$PER_FLOW" || tern_fail "flow from port $sp: not every request was answered"
	snap a
	d_in=$((a_in[other] - b_in[other]))
	d_out=$((a_out[recv] - b_out[recv]))
	d_txh=$((a_txh[other] - b_txh[other]))
	if [ "$d_in" = "$PER_FLOW" ] && [ "$d_out" = "$PER_FLOW" ] && [ "$d_txh" = "$PER_FLOW" ]; then
		served=$other
	elif [ "$d_in" = 0 ] && [ "$d_out" = 0 ] && [ "$d_txh" = 0 ]; then
		served=$recv
	else
		served="?"
	fi
	line="flow $NS_ADDR:$sp: predicted worker ${pred[$sp]}, served by worker $served"
	line="$line (steered_out +$d_out, steered_in +$d_in, tx_handoff_out +$d_txh)"
	if [ "$served" = "${pred[$sp]}" ]; then
		tern_say "ok: $line"
	else
		tern_say "MISMATCH: $line"
		bad=$((bad + 1))
	fi
done
[ "$bad" = 0 ] || tern_fail "$bad of $FLOWS flows were not served by the worker show flow predicts"

tern_say "bulk: $BULK echoes from 32 sockets"
snap b
send_bulk
snap a
steered=$((a_in[other] - b_in[other]))
kept=$((a_rx[recv] - b_rx[recv] - (a_out[recv] - b_out[recv])))
tern_say "bulk: worker $recv kept $kept frames, worker $other served $steered steered frames"
[ "$steered" -gt 0 ] || tern_fail "--steer auto: worker $other served no steered frames"
[ "$kept" -gt 0 ] || tern_fail "--steer auto: worker $recv kept no frames for itself"
[ "$((a_out[recv] - b_out[recv]))" = "$steered" ] ||
	tern_fail "steered_out on worker $recv ($((a_out[recv] - b_out[recv]))) != steered_in on worker $other ($steered)"
# Worker $other has no TX queue: its replies leave through the receiver's.
[ "$((a_tx[recv] - b_tx[recv]))" -ge "$BULK" ] ||
	tern_fail "worker $recv sent $((a_tx[recv] - b_tx[recv])) frames, fewer than the $BULK replies"
stop_and_check

# ---- --steer off ---------------------------------------------------------------

start_ternd off || tern_fail "ternd did not start (--steer off)"
grep -q 'software steering' "$TERN_TMP/ternd.log" &&
	tern_fail "--steer off: ternd still steers"
recv=$(receiver_worker)
other=$((1 - recv))
flow_json=$(ctl show flow "$NS_ADDR" "$TERN_ADDR" "$SPORT_BASE" "$ECHO_PORT" udp json)
[ "$(jq -r '.[0].steered' <<<"$flow_json")" = no ] ||
	tern_fail "--steer off: show flow says steered: $flow_json"
for ((k = 0; k < FLOWS; k++)); do
	sp=$((SPORT_BASE + k))
	[ "$(predict "$sp")" = "$recv" ] ||
		tern_fail "--steer off: show flow predicts worker $(predict "$sp") for port $sp, not the receiver $recv"
	send_flow "$sp" "$PER_FLOW" || tern_fail "--steer off: flow from port $sp: not every request was answered"
done
send_bulk
declare -a o_in o_out o_txh o_rx o_tx
snap o
tern_say "--steer off: worker $other rx=${o_rx[other]} tx=${o_tx[other]} steered_in=${o_in[other]}; worker $recv rx=${o_rx[recv]}"
if [ "${o_rx[other]}" != 0 ] || [ "${o_tx[other]}" != 0 ] || [ "${o_in[other]}" != 0 ] ||
	[ "${o_txh[other]}" != 0 ]; then
	tern_fail "--steer off: worker $other got packets"
fi
[ "${o_out[recv]}" = 0 ] || tern_fail "--steer off: worker $recv steered ${o_out[recv]} frames"
[ "${o_rx[recv]}" -ge $((BULK + FLOWS * PER_FLOW)) ] ||
	tern_fail "--steer off: worker $recv counted rx=${o_rx[recv]}, fewer than the requests answered"
stop_and_check

tern_say "PASS: $FLOWS flows each served by the predicted worker, $BULK bulk echoes over 2 workers on 1 queue; --steer off keeps worker $other idle"
exit 0
