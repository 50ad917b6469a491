#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# kv against memcached as a memcached user would compare them: libmemcached's
# load tester (memcaslap, UDP, 10% sets, 10% of gets verified) and the
# memory 1 M small items take, over the same veth pair:
#   A. ternd (one worker, AF_XDP) with kv on the host end, no arguments
#      (memory part: memory_mb=MEM_MB);
#   B. memcached -t 1 (kernel UDP) on the host end instead (memory part:
#      -m MEM_MB).
# memcaslap runs in the namespace (kernel UDP), closed loop: -T 1 -c CONC
# for DURATION; its own report gives operations/s and a log2 histogram of
# latencies, from which p50 and p99 are read as the power-of-two bucket
# holding them (memcaslap's resolution). ROUNDS rounds, A and B alternating;
# medians. Then ITEMS items (16-byte keys, VALUE-byte values) are loaded
# into each with "set ... noreply" datagrams and the server's resident set
# is read before and after (ternd: show memory's rss_kb; memcached:
# /proc/PID/status).
#
#   bench/loadgen/kv_memcaslap.sh BUILD_DIR
#
# Environment: DURATION (5s), CONC (8), ROUNDS (3), ITEMS (1000000), VALUE
# (32), MEM_MB (1024). Needs root and memcaslap (libmemcached-tools). A
# closed-loop client measures what it waits for (coordinated omission): for
# tail latency use kv_bench.sh (tern-bench, open loop).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

BUILD=${1:?usage: kv_memcaslap.sh BUILD_DIR}
TERND=$BUILD/ternd
TERNCTL=$BUILD/ternctl
KV_APP=$BUILD/apps/kv/libkv.so
DURATION=${DURATION:-5s}
CONC=${CONC:-8}
ROUNDS=${ROUNDS:-3}
ITEMS=${ITEMS:-1000000}
VALUE=${VALUE:-32}
MEM_MB=${MEM_MB:-1024}
NS_ADDR=198.18.15.2
SRV_ADDR=198.18.15.1

tern_need_root
tern_need_var TERND TERNCTL KV_APP
command -v memcached >/dev/null || tern_die "memcached is not installed (apt-get install memcached)"
command -v memcaslap >/dev/null || tern_die "memcaslap is not installed (apt-get install libmemcached-tools)"
trap tern_cleanup EXIT
trap 'exit 130' INT TERM
tern_mktemp
ns="tern_kvm_$$"
hif="tkmh$$"
nif="tkmn$$"
tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" || tern_fail "veth set-up failed"
in_ns() { ip netns exec "$ns" "$@"; }

# slap NAME: memcaslap in the namespace; its report in $TERN_TMP/NAME.txt.
slap() {
	in_ns timeout 300 memcaslap -s "$SRV_ADDR:11211" --udp -t "$DURATION" -T 1 -c "$CONC" \
		--verify=0.1 -S "$DURATION" >"$TERN_TMP/$1.txt" 2>&1 || tern_fail "memcaslap $1 failed: $(tail -3 "$TERN_TMP/$1.txt")"
}

# load_items: ITEMS sets (noreply, 20 a datagram) from the namespace.
load_items() {
	in_ns python3 - "$SRV_ADDR" "$ITEMS" "$VALUE" <<'PY'
import socket, struct, sys, time
dst, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
val = b'v' * size
batch = []
for i in range(n):
    batch.append(b'set key%012d 0 0 %d noreply\r\n%s\r\n' % (i, size, val))
    if len(batch) == 20 or i == n - 1:
        s.sendto(struct.pack('>HHHH', i & 0xffff, 0, 1, 0) + b''.join(batch), (dst, 11211))
        batch = []
        if i % 400 < 20:
            time.sleep(0.001)  # let the server keep up: no ring or buffer drops
PY
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# mc_stats: memcached's "stats" and "stats slabs" over UDP, one "NAME VALUE" a line.
mc_stats() {
	in_ns python3 - "$SRV_ADDR" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for rid, cmd in ((1, b'stats'), (2, b'stats slabs')):
    s.sendto(struct.pack('>HHHH', rid, 0, 1, 0) + cmd + b'\r\n', (sys.argv[1], 11211))
    parts = {}
    try:
        while True:
            d = s.recv(65536)
            parts[struct.unpack('>H', d[2:4])[0]] = d[8:]
    except socket.timeout:
        pass
    for line in b''.join(parts[k] for k in sorted(parts)).decode().split('\r\n'):
        f = line.split()
        if len(f) == 3 and f[0] == 'STAT':
            print(f[1], f[2])
PY
}

run_kv() {
	printf 'app load kv %s %s\nbind udp 11211 kv\n' "$KV_APP" "$2" >"$TERN_TMP/start.cmds"
	ternd_start_veth kvm "$TERN_TMP/ternd.log" "$hif" --ip "$SRV_ADDR/24" \
		--app-dir "$(dirname "$KV_APP")" --exec "$TERN_TMP/start.cmds" ||
		tern_fail "ternd did not start"
}

stop_kv() {
	ternd_stop 20
	ternd_check_exit "$TERN_TMP/ternd.log"
}

run_memcached() { tern_host_memcached_start "$hif" "$SRV_ADDR" "$TERN_TMP/memcached.log" "$@"; }
stop_memcached() { tern_host_memcached_stop "$hif" "$SRV_ADDR"; }

for round in $(seq "$ROUNDS"); do
	run_kv "$round" ""
	tern_say "round $round, A: kv in ternd ($TERN_DRIVER, one worker, no arguments)"
	slap "kv_$round"
	stop_kv
	run_memcached
	tern_say "round $round, B: memcached -t 1 (kernel UDP)"
	slap "memcached_$round"
	stop_memcached
done

# Memory for ITEMS small items.
run_kv mem "memory_mb=$MEM_MB"
load_items
sleep 1
kv_line=$(tern_ctl show apps)
kv_stat() { echo "$kv_line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
kv_items=$(kv_stat items)
kv_bytes=$(kv_stat bytes_used)
kv_pages=$(kv_stat pages)
kv_psize=$(kv_stat page_size)
stop_kv
run_memcached -m "$MEM_MB"
mc_before=$(rss_kb "$TERN_BG_PID")
load_items
sleep 1
mc_after=$(rss_kb "$TERN_BG_PID")
mc_stats >"$TERN_TMP/mc_stats.txt"
mc_stat() { sed -n "s/^$1 //p" "$TERN_TMP/mc_stats.txt" | head -1; }
stop_memcached

/usr/bin/python3 - "$TERN_TMP" "$ROUNDS" <<'PY'
import os, re, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])

def parse(path):
    text = open(path).read()
    ops = re.search(r'Run time: \S+ Ops: (\d+) TPS: (\d+)', text)
    fails = re.search(r'verify_failed: (\d+)', text)
    tmo = re.search(r'udp_timeout: (\d+)', text)
    m = re.search(r'Get Statistics \(\d+ events\).*?Log2 Dist:\n(.*?)\n\n', text, re.S)
    hist = {}
    for line in (m.group(1) if m else '').splitlines():
        base, counts = line.split(':')
        for k, c in enumerate(counts.split()):
            hist[int(base) + k] = int(c)
    return int(ops.group(2)), hist, int(fails.group(1)), int(tmo.group(1))

def pct(hist, q):
    total = sum(hist.values())
    run = 0
    for b in sorted(hist):
        run += hist[b]
        if run >= q * total:
            return '%d-%d' % (2 ** (b - 1) if b else 0, 2 ** b)
    return '-'

print('memcaslap -T 1 -c 8 --udp --verify=0.1, medians of %d rounds (get latency: log2 bucket, us)' % rounds)
for server in ('kv', 'memcached'):
    res = [parse(os.path.join(tmp, '%s_%d.txt' % (server, r))) for r in range(1, rounds + 1)]
    tps = [r[0] for r in res]
    med = sorted(res, key=lambda r: r[0])[len(res) // 2]
    print('%-10s ops/s %8d  p50 %-9s p99 %-10s verify_failed %d udp_timeout %d  per round: %s' % (
        server, statistics.median(tps), pct(med[1], 0.5), pct(med[1], 0.99),
        sum(r[2] for r in res), sum(r[3] for r in res), ', '.join(str(t) for t in tps)))
PY
echo "memory for $ITEMS items of $VALUE bytes (keys of 15 bytes):"
echo "  kv (ternd):  items=$kv_items bytes_used=$kv_bytes pages=$kv_pages of $kv_psize bytes" \
	"($(( ${kv_pages%%/*} * kv_psize / 1048576 )) MiB of pages; the arena is allocated at load)"
echo "  memcached:   items=$(mc_stat curr_items) bytes=$(mc_stat bytes)" \
	"total_malloced=$(mc_stat total_malloced) ($(( $(mc_stat total_malloced) / 1048576 )) MiB of pages);" \
	"rss $mc_before -> $mc_after kB"
exit 0
