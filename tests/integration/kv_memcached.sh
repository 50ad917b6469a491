#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: the kv app in ternd against the stock memcached, byte
# for byte (tests/tools/kv_diff.py). ternd serves kv on UDP 11211 on the
# host end of a veth pair; memcached (UDP only) runs in the namespace on its
# loopback; kv_diff.py runs in the namespace and sends every request to both:
# a fixed list covering every command, flags, expiry (items that must vanish
# after 2 s), noreply and malformed requests, then a seeded random sequence
# (KV_OPS operations, default 2000; KV_SEED to replay one). Twice:
#   1. one worker (-l 0,1), AF_XDP (af_packet if AF_XDP cannot start);
#   2. two workers sharing a CPU (--lcores 0@0,1@1,2@1, --idle adaptive) on
#      an af_packet port with one queue, which ternd's software steering
#      spreads over both workers by flow: each worker owns half the keys and
#      requests arriving at the other worker are handed off (HANDOFF), which
#      the test checks happened (kv's handoffs and remote_reads counters, the
#      engine's handoff_in). (Not qpairs=2: ternd uses one queue of an
#      af_packet port, and the kernel would fan half the flows out to the
#      other, unread socket.)
# Each run ends with SIGTERM: exit 0, no leaked mbufs.
#
# Environment (set by meson): TERND, KV_APP, TERNCTL (optional: the engine's
# hand-off counter), KV_DIFF (default: the tree's tests/tools/kv_diff.py).
# Skips (77) without root or memcached.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.11.2
TERN_ADDR=198.18.11.1
PORT=11211
KV_OPS=${KV_OPS:-2000}
KV_SEED=${KV_SEED:-$((RANDOM * 32768 + RANDOM + 1))}
KV_DIFF=${KV_DIFF:-$(dirname "$(readlink -f "$0")")/../tools/kv_diff.py}

tern_need_root
tern_need_var TERND KV_APP KV_DIFF
if ! command -v memcached >/dev/null; then
	tern_say "SKIP: memcached is not installed (apt-get install memcached)"
	exit 77
fi
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_kv_$$"
hif="tkvh$$"
nif="tkvn$$"
in_ns() { ip netns exec "$ns" "$@"; }

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"
tern_say "veth $hif (ternd) <-> $nif in netns $ns ($NS_ADDR)"

# memcached in the namespace, UDP only, on its loopback (tern_cleanup kills
# every process left in the namespace).
in_ns memcached -U "$PORT" -p 0 -l 127.0.0.1 -u root >"$TERN_TMP/memcached.log" 2>&1 &
for _ in $(seq 50); do
	in_ns python3 - "$PORT" <<'PY' && break
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.1)
s.sendto(struct.pack('>HHHH', 1, 0, 1, 0) + b'version\r\n', ('127.0.0.1', int(sys.argv[1])))
try:
    sys.exit(0 if b'VERSION' in s.recv(2048) else 1)
except socket.timeout:
    sys.exit(1)
PY
	sleep 0.1
done
mc_version=$(memcached -h | head -1)
tern_say "reference: $mc_version, UDP 127.0.0.1:$PORT in $ns"

cat >"$TERN_TMP/start.cmds" <<EOF
app load kv $KV_APP version=1.6.18 memory_mb=256
bind udp $PORT kv
EOF

# run_diff WORKERS LABEL: kv_diff.py in the namespace; its output in the log.
run_diff() {
	tern_say "kv_diff.py ($2): seed $KV_SEED, $KV_OPS random operations"
	in_ns /usr/bin/python3 "$KV_DIFF" --ref "127.0.0.1:$PORT" --dut "$TERN_ADDR:$PORT" \
		--workers "$1" --ops "$KV_OPS" --seed "$KV_SEED" 2>&1 | tee "$TERN_TMP/diff_$1.log"
	return "${PIPESTATUS[0]}"
}

# kv_counter LOG NAME: a counter from kv's exit line "app kv: a=1 b=2 ...".
kv_counter() {
	grep -m1 "^app kv: " "$1" | tr ' ' '\n' | sed -n "s/^$2=\([0-9]*\)$/\1/p"
}

# stop_ternd LOG: SIGTERM, then the exit checks every run makes.
stop_ternd() {
	ternd_stop 20
	ternd_check_exit "$1"
	grep "^app kv: " "$1" || tern_fail "no exit line from kv in $1"
}

# 1. One worker.
ternd_start_veth kv1 "$TERN_TMP/ternd1.log" "$hif" --ip "$TERN_ADDR/24" \
	--app-dir "$(dirname "$KV_APP")" --exec "$TERN_TMP/start.cmds" ||
	tern_fail "ternd did not start"
tern_say "ternd is up on $hif through $TERN_DRIVER, one worker"
run_diff 1 "one worker" || tern_fail "kv differs from memcached with one worker (seed $KV_SEED)"
stop_ternd "$TERN_TMP/ternd1.log"
[ "$(kv_counter "$TERN_TMP/ternd1.log" handoffs)" = 0 ] || tern_fail "one worker handed off"

# 2. Two workers on one CPU, one steered queue: requests for keys the
# receiving worker does not own are handed off.
tern_prefix kv2
ternd_start "$TERN_TMP/ternd2.log" --lcores 0@0,1@1,2@1 --no-huge -m 512 --no-pci \
	--file-prefix "$TERN_PREFIX" --vdev "net_af_packet0,iface=$hif,qpairs=1" \
	-- --ip "$TERN_ADDR/24" --idle adaptive --app-dir "$(dirname "$KV_APP")" \
	--exec "$TERN_TMP/start.cmds"
ternd_wait_ready "$TERN_TMP/ternd2.log" 60 || tern_fail "ternd with two workers did not start"
grep -q 'software steering' "$TERN_TMP/ternd2.log" ||
	tern_fail "one queue for two workers, but ternd did not say it steers"
tern_say "ternd is up on $hif through af_packet, two workers, one steered queue"
run_diff 2 "two workers" || tern_fail "kv differs from memcached with two workers (seed $KV_SEED)"
# The engine's side of the hand-offs (show events), if ternctl is at hand.
h_in=
if [ -n "${TERNCTL:-}" ] && [ -x "$TERNCTL" ]; then
	h_in=$("$TERNCTL" -s "/run/tern/$TERN_PREFIX.sock" show events |
		sed -n 's/.* handoff_in=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
fi
stop_ternd "$TERN_TMP/ternd2.log"
handoffs=$(kv_counter "$TERN_TMP/ternd2.log" handoffs)
remote=$(kv_counter "$TERN_TMP/ternd2.log" remote_reads)
[ "${handoffs:-0}" -gt 0 ] || tern_fail "two workers, but kv handed nothing off"
[ "${remote:-0}" -gt 0 ] || tern_fail "two workers, but no get read another worker's keys"
if [ -n "$h_in" ]; then
	[ "$h_in" = "$handoffs" ] || tern_fail "engine handoff_in=$h_in, kv handoffs=$handoffs"
	tern_say "engine: handoff_in=$h_in, as many as kv handed off"
fi
tern_say "PASS: kv matches memcached byte for byte with one and two workers" \
	"(seed $KV_SEED; two workers: $handoffs hand-offs, $remote remote reads)"
exit 0
