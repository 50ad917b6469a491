#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: ternd's /tern/... commands on DPDK's telemetry socket,
# read with the stock dpdk-telemetry.py.
#   - before traffic: /tern/info names the memif port and one worker;
#     /tern/stats is valid JSON with every counter and all zero, and the
#     mbuf pool (size, in use, never exhausted);
#   - memif_peer sends ARP, ICMP and COUNT UDP echoes through a net_memif port;
#   - after traffic: /tern/stats total and port0 show rx=tx=COUNT+2 and no
#     drops; /tern/stats/lcores sums to the same; /tern/latency counts every
#     frame answered (ARP and ICMP are timed too) with ordered percentiles;
#   - /tern/events: the worker's event-loop counters;
#   - at exit, the counters ternd prints equal what telemetry reported.
#
# Environment (set by meson): TERND, RESPONDER, MEMIF_PEER.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

COUNT=${COUNT:-500}
PY=/usr/bin/python3

tern_need_root
tern_need_var TERND RESPONDER MEMIF_PEER
command -v dpdk-telemetry.py >/dev/null ||
	tern_die "dpdk-telemetry.py is not installed (apt-get install dpdk)"
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
tern_say "starting ternd (memif server, --no-huge)"
ternd_start_memif tel_d --no-huge -m 512 || tern_fail "ternd did not start"
prefix_d=$TERN_PREFIX

# query CMD OUT: one telemetry command; OUT gets the JSON reply's value.
query() {
	local raw="$TERN_TMP/raw.json"
	printf '%s\n' "$1" | timeout 10 dpdk-telemetry.py -f "$prefix_d" >"$raw" 2>&1 ||
		{ cat "$raw" >&2; tern_fail "dpdk-telemetry.py failed for $1"; }
	# The client prints a banner; the reply is the last line, {"CMD": value}.
	"$PY" - "$1" "$raw" "$2" <<'EOF' || tern_fail "bad reply to $1: $(tail -n 3 "$TERN_TMP/raw.json")"
import json, sys
cmd, raw, out = sys.argv[1:]
reply = json.loads(open(raw).read().strip().splitlines()[-1])
value = reply[cmd]
if not isinstance(value, dict):
    sys.exit("%s answered %r, not a dict" % (cmd, value))
json.dump(value, open(out, "w"))
EOF
}

# check FILE PYTHON_EXPR...: asserts each expression on the JSON in FILE (as d).
check() {
	local f=$1
	shift
	"$PY" - "$f" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("FAIL: %s\n  on %s" % (expr, json.dumps(d)))
EOF
}

CTRS="['rx','tx','drop_malformed','drop_not_for_us','drop_no_handler','drop_bad_cksum',
'drop_tx_full','drop_unsupported','drop_app','drop_bad_verdict','drop_backlog',
'drop_bus_full','drop_handoff','drop_amplification','drop_bad_source','drop_rate_limit','drop_too_big','consumed','tx_more','app_sent','more_refused']"

query /tern/info "$TERN_TMP/info.json"
cat "$TERN_TMP/info.json"
echo
check "$TERN_TMP/info.json" \
	"d['workers'] == 1 and d['worker_lcores'] == [1]" \
	"d['ports'] == 1 and d['port_ids'] == [0] and d['port_names'] == ['net_memif0']" \
	"isinstance(d['version'], str) and d['dpdk_version'].startswith('DPDK')" \
	"d['tsc_hz'] > 0" || tern_fail "/tern/info is wrong"

query /tern/stats "$TERN_TMP/stats0.json"
check "$TERN_TMP/stats0.json" \
	"sorted(d) == ['pool', 'port0', 'total']" \
	"all(sorted(d[k]) == sorted($CTRS) for k in d if k != 'pool')" \
	"all(v == 0 for k in d if k != 'pool' for v in d[k].values())" \
	"sorted(d['pool']) == ['exhausted_ms', 'exhaustions', 'in_use', 'min_available', 'size']" \
	"d['pool']['size'] > d['pool']['in_use'] >= 0 and d['pool']['min_available'] > 0 and d['pool']['exhaustions'] == 0" ||
	tern_fail "/tern/stats before traffic is wrong"
query /tern/latency "$TERN_TMP/lat0.json"
check "$TERN_TMP/lat0.json" \
	"sorted(d) == ['lcore1', 'total']" \
	"d['total']['count'] == 0 and d['total']['max_ns'] == 0" ||
	tern_fail "/tern/latency before traffic is wrong"

tern_say "memif_peer: ARP, ICMP and $COUNT UDP echoes"
memif_peer_start tel_p "$COUNT" 8 100
memif_peer_wait_done || tern_fail "memif_peer did not finish"

# The replies are sent before memif_peer sees them, so the counters are final.
want=$((COUNT + 2))
query /tern/stats "$TERN_TMP/stats.json"
cat "$TERN_TMP/stats.json"
echo
check "$TERN_TMP/stats.json" \
	"d['total']['rx'] == $want and d['total']['tx'] == $want" \
	"d['port0'] == d['total']" \
	"all(d['total'][c] == 0 for c in $CTRS if c.startswith('drop_'))" ||
	tern_fail "/tern/stats after traffic is wrong (expected rx=tx=$want, no drops)"

query /tern/stats/lcores "$TERN_TMP/lcores.json"
check "$TERN_TMP/lcores.json" "sorted(d) == ['lcore1']" \
	"d['lcore1']['rx'] == $want and d['lcore1']['tx'] == $want" ||
	tern_fail "/tern/stats/lcores after traffic is wrong"

query /tern/events "$TERN_TMP/events.json"
check "$TERN_TMP/events.json" "sorted(d) == ['lcore1']" \
	"d['lcore1']['loops'] > 0 and d['lcore1']['idle_sleeps'] == 0" \
	"d['lcore1']['handoff_in'] == 0 and d['lcore1']['steered_in'] == 0" ||
	tern_fail "/tern/events is wrong (expected one busy worker that looped)"

query /tern/latency "$TERN_TMP/lat.json"
cat "$TERN_TMP/lat.json"
echo
check "$TERN_TMP/lat.json" \
	"d['total'] == d['lcore1']" \
	"d['total']['count'] == $want" \
	"0 < d['total']['p50_ns'] <= d['total']['p90_ns'] <= d['total']['p99_ns'] <= d['total']['p999_ns'] <= d['total']['p9999_ns'] <= d['total']['max_ns']" \
	"d['total']['max_ns'] < 10**9" ||
	tern_fail "/tern/latency after traffic is wrong"

ternd_stop 20
sed -n '/^ternd: .*stopping/,$p' "$TERN_TMP/ternd.log"
memif_peer_finish
grep '^memif_peer:' "$TERN_TMP/peer.log"
[ "$PEER_RC" = 0 ] || { cat "$TERN_TMP/peer.log" >&2; tern_fail "memif_peer exited with status $PEER_RC"; }
ternd_check_exit "$TERN_TMP/ternd.log"
# What ternd prints at exit must equal what telemetry reported.
for c in rx tx drop_malformed drop_not_for_us drop_no_handler drop_bad_cksum drop_tx_full \
	drop_unsupported drop_app drop_bad_verdict drop_backlog drop_bus_full drop_handoff drop_amplification drop_bad_source drop_rate_limit drop_too_big consumed tx_more app_sent more_refused; do
	printed=$(ternd_counter "$TERN_TMP/ternd.log" 'total:' "$c")
	reported=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['total'][sys.argv[2]])" \
		"$TERN_TMP/stats.json" "$c")
	[ "$printed" = "$reported" ] ||
		tern_fail "counter $c: ternd printed $printed at exit, telemetry said $reported"
done
tern_say "PASS: /tern/info, /tern/stats, /tern/stats/lcores, /tern/latency; rx=tx=$want"
exit 0
