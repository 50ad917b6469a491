#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: `ternctl show metrics`, the Prometheus text exposition
# format, against a real ternd on a veth pair (AF_XDP, or af_packet):
#   - before and after traffic, the text passes `promtool check metrics`
#     (format and lint) and is exactly what ternd answered (ternctl adds
#     nothing: ends in one newline, starts with # HELP);
#   - UDP echoes to port 7 and datagrams to unbound port 9 from a namespace;
#   - at a quiet moment, tests/tools/check_metrics.py compares every per-port
#     counter with show stats, the worker counters with show events, the
#     latency histogram's _count with show latency, the app counters with
#     show apps; histograms are cumulative, +Inf = _count; drop reason
#     no_handler counts the datagrams to port 9;
#   - clear stats does not reset the metrics' counters;
#   - with --metrics (when ternd has libmicrohttpd): GET /metrics answers the
#     same text (promtool, Content-Type version=0.0.4, the same rx), other
#     paths 404, other methods 405.
#
# Environment (set by meson): TERND, TERNCTL, RESPONDER, UDP_CLIENT, CHECK_METRICS.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

PY=/usr/bin/python3
ECHOES=${ECHOES:-200}
STRAYS=${STRAYS:-50}

tern_need_root
TERNCTL=${TERNCTL:-$(dirname "${TERND:-/nonexistent}")/ternctl}
tern_need_var TERND TERNCTL RESPONDER UDP_CLIENT CHECK_METRICS
command -v promtool >/dev/null || tern_die "promtool is not installed (apt-get install prometheus)"
command -v ethtool >/dev/null || tern_die "ethtool is not installed (apt-get install ethtool)"
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
printf 'app load echo %s mode=echo\nbind udp 7 echo\n' "$(basename "$RESPONDER")" \
	>"$TERN_TMP/start.cmds"
ns="tern_met_$$"
hif="tmh$$"
tern_veth_setup "$ns" "$hif" "tmn$$" 198.18.0.2/24 || tern_fail "could not set up veth $hif <-> $ns"
# A free TCP port for --metrics. Another process may take it before ternd
# binds it: then ternd refuses to start ("in use") and the test takes
# another port, up to 5 times, so that chance never fails the test.
with_http=1
if "$TERND" --no-huge --no-pci -- --help 2>/dev/null | grep -q -- 'not in this build (no libmicrohttpd)'; then
	with_http=
fi
for ((try = 0; try < 5; try++)); do
	http_args=()
	if [ -n "$with_http" ]; then
		http_port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		http_args=(--metrics "127.0.0.1:$http_port")
	fi
	ternd_start_veth met "$TERN_TMP/ternd.log" "$hif" --ip 198.18.0.1/24 \
		--app-dir "$(dirname "$RESPONDER")" --exec "$TERN_TMP/start.cmds" \
		${http_args[@]+"${http_args[@]}"} && break
	grep -qi 'in use' "$TERN_TMP/ternd.log" || tern_fail "ternd did not start"
	tern_say "port $http_port was taken meanwhile: another"
done
[ "$try" -lt 5 ] || tern_fail "ternd did not start: no free port for --metrics in 5 tries"

# promtool_ok FILE: the exposition text must pass promtool's parser and lint.
promtool_ok() {
	promtool check metrics <"$1" >"$TERN_TMP/promtool.out" 2>&1 ||
		tern_fail "promtool check metrics failed on $1: $(cat "$TERN_TMP/promtool.out")"
	[ ! -s "$TERN_TMP/promtool.out" ] ||
		tern_fail "promtool check metrics found problems: $(cat "$TERN_TMP/promtool.out")"
}

# raw_ok FILE: what ternctl printed is the exposition text and nothing else.
raw_ok() {
	head -c 7 "$1" | grep -qx '# HELP ' || tern_fail "$1 does not start with '# HELP '"
	[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || tern_fail "$1 does not end in a newline"
	[ "$(tail -c 2 "$1" | od -An -c | tr -d ' ')" != '\n\n' ] || tern_fail "$1 ends in an empty line"
}

tern_ctl show metrics >"$TERN_TMP/m0.prom" || tern_fail "ternctl show metrics failed"
[ -n "${METRICS_KEEP:-}" ] && trap 'cp "$TERN_TMP"/m*.prom "$METRICS_KEEP"/; tern_cleanup' EXIT
raw_ok "$TERN_TMP/m0.prom"
promtool_ok "$TERN_TMP/m0.prom"
tern_say "ok: before traffic, $(grep -c '^# TYPE' "$TERN_TMP/m0.prom") families pass promtool"

ip netns exec "$ns" "$PY" "$UDP_CLIENT" --dst 198.18.0.1 --port 7 --count "$ECHOES" \
	--sockets 4 --size 100 --timeout 3 || tern_fail "the echo app did not answer"
ip netns exec "$ns" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[1])):
    s.sendto(b"nobody listens here", ("198.18.0.1", 9))
' "$STRAYS" || tern_fail "cannot send to port 9"

# snapshot N: the views and the metrics (into mN.prom), read while no frame
# arrived (show stats the same before and after). Fails if never quiet.
snapshot() {
	local i
	for ((i = 0; i < 20; i++)); do
		sleep 0.2
		tern_ctl show stats json >"$TERN_TMP/s1.json" &&
			tern_ctl show events json >"$TERN_TMP/e1.json" &&
			tern_ctl show latency json >"$TERN_TMP/lat.json" &&
			tern_ctl show apps json >"$TERN_TMP/apps.json" &&
			tern_ctl show metrics >"$TERN_TMP/m$1.prom" &&
			tern_ctl show events json >"$TERN_TMP/e2.json" &&
			tern_ctl show stats json >"$TERN_TMP/s2.json" || tern_fail "ternctl failed"
		if cmp -s "$TERN_TMP/s1.json" "$TERN_TMP/s2.json"; then
			cp "$TERN_TMP/s1.json" "$TERN_TMP/stats.json"
			return 0
		fi
	done
	tern_fail "traffic did not stop: show stats kept changing"
}

snapshot 1
raw_ok "$TERN_TMP/m1.prom"
promtool_ok "$TERN_TMP/m1.prom"
# The worker's event counters (loops, ...) move by themselves: the checker
# wants each between the show events before and after the metrics.
"$PY" "$CHECK_METRICS" "$TERN_TMP/m1.prom" "$TERN_TMP/stats.json" "$TERN_TMP/e1.json" \
	"$TERN_TMP/e2.json" \
	"$TERN_TMP/lat.json" "$TERN_TMP/apps.json" --min-drop "no_handler=$STRAYS" ||
	tern_fail "show metrics disagrees with the show views"
# The checker catches a wrong counter and a histogram that is not cumulative.
sed 's/^\(tern_port_rx_frames_total{[^}]*}\) .*/\1 1/' "$TERN_TMP/m1.prom" >"$TERN_TMP/bad1.prom"
sed 's/^\(tern_worker_latency_seconds_bucket{[^}]*le="+Inf"}\) .*/\1 0/' "$TERN_TMP/m1.prom" \
	>"$TERN_TMP/bad2.prom"
for bad in bad1 bad2; do
	! cmp -s "$TERN_TMP/m1.prom" "$TERN_TMP/$bad.prom" || tern_fail "$bad.prom: nothing changed"
	if "$PY" "$CHECK_METRICS" "$TERN_TMP/$bad.prom" "$TERN_TMP/stats.json" "$TERN_TMP/e1.json" \
		"$TERN_TMP/e2.json" "$TERN_TMP/lat.json" "$TERN_TMP/apps.json" >/dev/null 2>&1; then
		tern_fail "check_metrics.py accepted $bad.prom"
	fi
done
grep -E '^tern_port_(rx|tx)_frames_total|reason="no_handler"|^tern_worker_latency_seconds_count' \
	"$TERN_TMP/m1.prom"

# HTTP: the same text at /metrics, nothing elsewhere.
if grep -q "^metrics: http://127.0.0.1:$http_port/metrics" "$TERN_TMP/ternd.log"; then
	"$PY" - "$http_port" "$TERN_TMP/http.prom" <<'EOF' || tern_fail "GET /metrics is wrong"
import sys, urllib.error, urllib.request
port, out = sys.argv[1:]
base = "http://127.0.0.1:%s" % port
with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
    ctype = r.headers["Content-Type"]
    if r.status != 200 or not ctype.startswith("text/plain; version=0.0.4"):
        sys.exit("GET /metrics: status %d, Content-Type %s" % (r.status, ctype))
    open(out, "wb").write(r.read())
for path, method, want in (("/", "GET", 404), ("/metricsx", "GET", 404), ("/metrics", "POST", 405)):
    try:
        urllib.request.urlopen(urllib.request.Request(base + path, method=method,
                                                      data=b"x" if method == "POST" else None),
                               timeout=5)
        sys.exit("%s %s answered 200, expected %d" % (method, path, want))
    except urllib.error.HTTPError as e:
        if e.code != want:
            sys.exit("%s %s answered %d, expected %d" % (method, path, e.code, want))
EOF
	promtool_ok "$TERN_TMP/http.prom"
	# a frame of chatter may come in between: HTTP's rx between two ternctl's
	tern_ctl show metrics >"$TERN_TMP/m1b.prom" || tern_fail "ternctl show metrics failed"
	a=$(sed -n 's/^tern_port_rx_frames_total{port="0",[^}]*} //p' "$TERN_TMP/m1.prom")
	b=$(sed -n 's/^tern_port_rx_frames_total{port="0",[^}]*} //p' "$TERN_TMP/http.prom")
	c=$(sed -n 's/^tern_port_rx_frames_total{port="0",[^}]*} //p' "$TERN_TMP/m1b.prom")
	[ -n "$b" ] && [ "$a" -le "$b" ] && [ "$b" -le "$c" ] ||
		tern_fail "HTTP's rx '$b' is not between ternctl's before ($a) and after ($c)"
	[ "$(grep -c '^# TYPE' "$TERN_TMP/http.prom")" = "$(grep -c '^# TYPE' "$TERN_TMP/m1.prom")" ] ||
		tern_fail "HTTP and ternctl give different families"
	tern_say "ok: GET /metrics on 127.0.0.1:$http_port passes promtool and agrees with ternctl's; 404, 405"
elif [ ${#http_args[@]} -gt 0 ]; then
	tern_fail "ternd did not say it serves metrics on 127.0.0.1:$http_port"
else
	tern_say "note: ternd built without libmicrohttpd: --metrics not tested"
fi

# clear stats resets show stats, not the metrics' counters.
rx=$(sed -n 's/^tern_port_rx_frames_total{port="0",[^}]*} //p' "$TERN_TMP/m1.prom")
[ -n "$rx" ] && [ "$rx" -ge $((ECHOES + STRAYS)) ] || tern_fail "rx metric $rx < $((ECHOES + STRAYS))"
tern_ctl clear stats || tern_fail "clear stats failed"
tern_ctl show metrics >"$TERN_TMP/m2.prom" || tern_fail "ternctl show metrics failed"
rx2=$(sed -n 's/^tern_port_rx_frames_total{port="0",[^}]*} //p' "$TERN_TMP/m2.prom")
[ -n "$rx2" ] && [ "$rx2" -ge "$rx" ] || tern_fail "clear stats reset the rx metric: $rx -> $rx2"
tern_say "ok: clear stats left the metrics counting (rx $rx -> $rx2)"

ternd_stop 20
ternd_check_exit "$TERN_TMP/ternd.log"
tern_say "PASS: show metrics passes promtool and agrees with show stats, events, latency, apps"
exit 0
