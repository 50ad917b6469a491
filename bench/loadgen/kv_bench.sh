#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Throughput and latency of the kv app (memcached text protocol over UDP)
# with tern-bench's memcached-get mode, and the same load against the stock
# memcached for comparison, over the same veth pair:
#   A. ternd (one worker, AF_XDP) with kv on the host end of the pair;
#   B. memcached -t 1 (UDP, the kernel stack) on the host end instead.
# tern-bench runs in the namespace on the other end (its own AF_XDP port),
# preloads KEYS keys of SIZE bytes with "set", then: a closed loop with 32
# requests outstanding (throughput), and an open-loop Poisson sweep over
# RATES (latency from the intended send time). ROUNDS rounds, A and B
# alternating; prints each benchmark's median over the rounds (and every
# round's replies/s and p99). The JSON reports stay in OUT if it is set.
#
#   bench/loadgen/kv_bench.sh BUILD_DIR
#
# Environment: KEYS (1000), SIZE (32), DURATION (5), RATES
# (20000,50000,100000), ROUNDS (3), OUT. Needs root; 2 CPUs are enough
# (numbers from a small VM are indicative: compare A and B from one run, and
# run it on a quiet machine: a second benchmark running at the same time
# shows up as millisecond stalls).
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

BUILD=${1:?usage: kv_bench.sh BUILD_DIR}
TERND=$BUILD/ternd
KV_APP=$BUILD/apps/kv/libkv.so
TERN_BENCH=$BUILD/bench/tern-bench
KEYS=${KEYS:-1000}
SIZE=${SIZE:-32}
DURATION=${DURATION:-5}
RATES=${RATES:-20000,50000,100000}
ROUNDS=${ROUNDS:-3}
NS_ADDR=198.18.14.2
SRV_ADDR=198.18.14.1

tern_need_root
tern_need_var TERND KV_APP TERN_BENCH
command -v memcached >/dev/null || tern_die "memcached is not installed (apt-get install memcached)"
trap tern_cleanup EXIT
trap 'exit 130' INT TERM
tern_mktemp
out=${OUT:-$TERN_TMP}
mkdir -p "$out"
ns="tern_kvb_$$"
hif="tkbh$$"
nif="tkbn$$"
tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" || tern_fail "veth set-up failed"

# bench NAME ARGS...: tern-bench in the namespace; JSON to $out/NAME.json.
bench() {
	local name=$1 vdev="net_af_xdp0,iface=$nif,start_queue=0,queue_count=1"
	shift
	tern_prefix "kvb_$name"
	ip netns exec "$ns" timeout 600 "$TERN_BENCH" -l 0 --no-huge -m 256 --no-pci \
		--file-prefix "$TERN_PREFIX" --vdev "$vdev" \
		-- --src-ip "$NS_ADDR" --dst-ip "$SRV_ADDR" --proto memcached-get \
		--keys "$KEYS" --size "$SIZE" --flows 4 --duration "$DURATION" --warmup 1 \
		--timeout-ms 50 --benchmark_format=json "$@" \
		>"$out/$name.json" 2>"$out/$name.err" </dev/null ||
		tern_fail "tern-bench $name failed: $(grep -v '^EAL\|^libxdp\|^libbpf' "$out/$name.err" | tail -3)"
}

runs() {
	bench "$1_closed" --mode closed --outstanding 32
	bench "$1_open" --sweep "$RATES" --arrival poisson
}

# A. kv in ternd.
run_kv() {
	printf 'app load kv %s memory_mb=64\nbind udp 11211 kv\n' "$KV_APP" \
		>"$TERN_TMP/start.cmds"
	ternd_start_veth kvb "$TERN_TMP/ternd.log" "$hif" --ip "$SRV_ADDR/24" \
		--app-dir "$(dirname "$KV_APP")" --exec "$TERN_TMP/start.cmds" ||
		tern_fail "ternd did not start"
	tern_say "round $1, A: kv in ternd ($TERN_DRIVER, one worker)"
	runs "kv_$1"
	ternd_stop 20
	ternd_check_exit "$TERN_TMP/ternd.log"
	grep "^kv 'kv':" "$TERN_TMP/ternd.log"
}

# B. memcached on the host end of the same pair, through the kernel.
run_memcached() {
	tern_host_memcached_start "$hif" "$SRV_ADDR" "$TERN_TMP/memcached.log"
	tern_say "round $1, B: memcached -t 1 (kernel UDP)"
	runs "memcached_$1"
	tern_host_memcached_stop "$hif" "$SRV_ADDR"
}

for round in $(seq "$ROUNDS"); do
	run_kv "$round"
	run_memcached "$round"
done

/usr/bin/python3 - "$out" "$ROUNDS" <<'PY'
import json, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
keys = [('achieved_pps', 'replies/s', '%12.0f'), ('p50_us', 'p50 us', '%8.1f'),
        ('p99_us', 'p99 us', '%8.1f'), ('p999_us', 'p99.9 us', '%9.1f'),
        ('lost', 'lost', '%7.0f')]
print('medians of %d rounds' % rounds)
print('%-10s %-44s%12s%8s%8s%9s%7s   %s' % ('server', 'benchmark', 'replies/s', 'p50 us',
      'p99 us', 'p99.9 us', 'lost', 'per round: replies/s / p99 us'))
for server in ('kv', 'memcached'):
    for part in ('closed', 'open'):
        per = {}
        for r in range(1, rounds + 1):
            with open(os.path.join(out, '%s_%d_%s.json' % (server, r, part))) as f:
                for b in json.load(f)['benchmarks']:
                    name = b['name'].replace('tern_bench/', '').split('/iterations')[0]
                    per.setdefault(name, []).append(b)
        for name, bs in per.items():
            for b in bs:
                if b.get('error_occurred') or 'achieved_pps' not in b:
                    sys.exit('%s %s: %s' % (server, name, b.get('error_message', 'no counters')))
            line = '%-10s %-44s' % (server, name.replace('/memcached-get', ''))
            for k, _, f in keys:
                line += f % statistics.median(b[k] for b in bs)
            line += '   ' + ', '.join('%.0f/%.0f' % (b['achieved_pps'], b['p99_us']) for b in bs)
            print(line)
PY
exit 0
