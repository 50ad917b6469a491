#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Replies through a device with TX checksum offload: ternd on net_tap (which
# offers IPv4 and UDP TX checksum offload, so tern leaves the sums to the
# device), its tap interface moved into a namespace where a kernel client
# sends UDP echo requests. The kernel drops datagrams with a wrong checksum,
# so every answered request proves the offloaded checksums were right; over
# IPv6, where a UDP checksum of 0 is invalid, a missing offload request fails
# too.
# With TAP_IDLE=adaptive (the test tap_adaptive), ternd runs --idle adaptive
# and is left idle before each client: its worker sleeps on the tap queue's
# RX interrupt fd (idle_wait=frame), frames end its sleeps (idle_woken_rx
# grows), and it still answers every request.
#
# env: TERND, TERNCTL, RESPONDER, UDP_CLIENT; TAP_IDLE (busy)
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "tap_offload: SKIP: needs root (network namespaces, a tap device, DPDK)"
	exit 77
fi

TAP_IDLE=${TAP_IDLE:-busy}
TERNCTL=${TERNCTL:-$(dirname "$TERND")/ternctl}
id="to$$"
ns="tern-$id"
tap="tap$id"
dir=$(mktemp -d)
ternd_pid=""

cleanup() {
	if [ -n "$ternd_pid" ] && kill -0 "$ternd_pid" 2>/dev/null; then
		kill -KILL "$ternd_pid" 2>/dev/null || true
		wait "$ternd_pid" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir" "/var/run/dpdk/tern-$id"
}
trap cleanup EXIT

fail() {
	echo "tap_offload: FAIL: $*"
	echo "--- ternd output:"
	cat "$dir/ternd.out" 2>/dev/null || true
	exit 1
}

cat > "$dir/start.cmds" <<CMDS
app load echo $RESPONDER mode=echo
bind udp 7 echo
CMDS

ip netns add "$ns"
"$TERND" -l 0,1 --no-pci --no-huge -m 512 --file-prefix "tern-$id" \
	--vdev "net_tap0,iface=$tap" -- --ip 198.18.0.1/24 --ip fd00:198:18::1/64 \
	--app-dir "$(dirname "$RESPONDER")" --exec "$dir/start.cmds" --idle "$TAP_IDLE" \
	> "$dir/ternd.out" 2>&1 &
ternd_pid=$!
for _ in $(seq 100); do
	grep -q "ternd: ready" "$dir/ternd.out" && break
	kill -0 "$ternd_pid" 2>/dev/null || fail "ternd exited early"
	sleep 0.1
done
grep -q "ternd: ready" "$dir/ternd.out" || fail "ternd did not become ready"
grep -q "tx cksum offload: ipv4 udp" "$dir/ternd.out" ||
	fail "net_tap did not enable IPv4+UDP TX checksum offload (test premise)"

ip link set "$tap" netns "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link set "$tap" up
ip -n "$ns" addr add 198.18.0.2/24 dev "$tap"
ip -n "$ns" addr add fd00:198:18::2/64 dev "$tap" nodad
ip netns exec "$ns" ethtool -K "$tap" tx off >/dev/null 2>&1 || true

# ev FIELD: worker 0's FIELD in `show events json`.
ev() {
	"$TERNCTL" -p "tern-$id" show events json | jq -r --arg f "$1" '.workers[0][$f] // empty'
}

for dst in 198.18.0.1 fd00:198:18::1; do
	[ "$TAP_IDLE" = busy ] || sleep 0.5 # asleep when the first request comes
	out=$(ip netns exec "$ns" /usr/bin/python3 "$UDP_CLIENT" --dst "$dst" --port 7 \
		--count 300 --sockets 4 --timeout 3) || fail "echo client to $dst: $out"
	echo "$dst: $out"
done

if [ "$TAP_IDLE" != busy ]; then
	wait_kind=$(ev idle_wait)
	woken_rx=$(ev idle_woken_rx)
	echo "tap_offload: idle: worker 0 waits for '$wait_kind'; frames ended ${woken_rx:-none} of its sleeps"
	[ "$wait_kind" = frame ] || fail "--idle $TAP_IDLE on net_tap: worker 0 waits by '$wait_kind'," \
		"not on the queue's RX interrupt"
	[ "${woken_rx:-0}" -gt 0 ] || fail "--idle $TAP_IDLE: no sleep ended by a frame"
fi

kill -TERM "$ternd_pid"
status=0
wait "$ternd_pid" || status=$?
ternd_pid=""
[ "$status" -eq 0 ] || fail "ternd exited with status $status"
grep -q "drop_bad_cksum=0" "$dir/ternd.out" || fail "ternd counted bad checksums"
echo "tap_offload: ok"
