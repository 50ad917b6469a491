#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: kv with its defaults serves a stock memcached UDP client,
# and spoofed sources still get nothing amplified. ternd on the host end of
# a veth pair (AF_XDP) with `app load kv libkv.so` (no arguments) on UDP
# 11211 and --ip 198.18.12.1/24; in the namespace (198.18.12.2/24):
#   1. memcaslap (libmemcached-tools) over UDP with verification, the
#      client a new user would run: operations done, no verification
#      failure, no UDP timeout, no packet dropped; ternd dropped nothing as
#      an amplification (the client is on ternd's own subnet, trusted).
#   2. Two `app replace kv` while memcaslap runs again: the store changes
#      hands, memcaslap misses no key it stored, verifies every value it
#      checks, times out on nothing; kv holds at least the items it had.
#   3. A `get` of a 1000-byte value from an address on no subnet of ternd's
#      (198.19.12.2, also on the namespace's interface: what a spoofer would
#      use) gets nothing back: drop_amplification counts it and ternd's log
#      explains it (source, app, numbers, what to change). `trust add
#      198.19.12.0/24` lets it through; `trust del` closes it again.
# Ends with SIGTERM: exit 0, no leaked mbufs.
#
# Environment (set by meson): TERND, TERNCTL, KV_APP, UDP_ASK.
# MEMCASLAP_SECONDS (default 3). Skips (77) without root or memcaslap.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.12.2
SPOOF_ADDR=198.19.12.2
TERN_ADDR=198.18.12.1
PORT=11211
SECONDS_RUN=${MEMCASLAP_SECONDS:-3}

tern_need_root
tern_need_var TERND TERNCTL KV_APP
if ! command -v memcaslap >/dev/null; then
	tern_say "SKIP: memcaslap is not installed (apt-get install libmemcached-tools)"
	exit 77
fi
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_kvc_$$"
hif="tkch$$"
nif="tkcn$$"
in_ns() { ip netns exec "$ns" "$@"; }

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"
ip -n "$ns" addr add "$SPOOF_ADDR/32" dev "$nif" || tern_fail "could not add $SPOOF_ADDR"

cat >"$TERN_TMP/start.cmds" <<EOF
app load kv $KV_APP
bind udp $PORT kv
EOF
ternd_start_veth kvc "$TERN_TMP/ternd.log" "$hif" --ip "$TERN_ADDR/24" --app-dir "$(dirname "$KV_APP")" \
	--exec "$TERN_TMP/start.cmds" || tern_fail "ternd did not start"
tern_say "ternd on $hif through $TERN_DRIVER: kv with no arguments on UDP $PORT"

# stat NAME: ternd's total counter NAME.
stat() { tern_ctl show stats json | jq -r ".total.$1"; }

# --- 1. memcaslap with verification -----------------------------------------
in_ns timeout $((SECONDS_RUN + 30)) memcaslap -s "$TERN_ADDR:$PORT" --udp -t "${SECONDS_RUN}s" \
	-T 1 -c 8 --verify=0.1 >"$TERN_TMP/memcaslap.txt" 2>&1 ||
	tern_fail "memcaslap failed or hung (status $?): $(tail -5 "$TERN_TMP/memcaslap.txt")"
field() { sed -n "s/^$1: \([0-9]*\)\$/\1/p" "$TERN_TMP/memcaslap.txt"; }
gets=$(field cmd_get)
sets=$(field cmd_set)
vfail=$(field verify_failed)
tmo=$(field udp_timeout)
pdrop=$(field packet_drop)
ops=$(sed -n 's/.*Ops: \([0-9]*\) .*/\1/p' "$TERN_TMP/memcaslap.txt")
tern_say "memcaslap: $(grep -m1 '^Run time' "$TERN_TMP/memcaslap.txt") (get $gets, set $sets)"
[ -n "$ops" ] && [ -n "$gets" ] && [ -n "$vfail" ] && [ -n "$tmo" ] && [ -n "$pdrop" ] ||
	tern_fail "could not read memcaslap's report: $(cat "$TERN_TMP/memcaslap.txt")"
[ "$ops" -gt 1000 ] || tern_fail "memcaslap did only $ops operations in ${SECONDS_RUN} s"
[ "$gets" -gt 0 ] && [ "$sets" -gt 0 ] || tern_fail "memcaslap: gets $gets, sets $sets"
[ "$vfail" = 0 ] || tern_fail "memcaslap: $vfail verification failures"
[ "$tmo" = 0 ] || tern_fail "memcaslap: $tmo UDP timeouts"
[ "$pdrop" = 0 ] || tern_fail "memcaslap: $pdrop packets dropped"
amp=$(stat drop_amplification)
[ "$amp" = 0 ] || tern_fail "ternd dropped $amp replies to a client on its own subnet as amplifications"
tern_say "PASS 1: a stock memcached UDP client works against kv with its defaults"

# --- 2. app replace under that client's load loses nothing --------------------
items0=$(tern_ctl show apps | sed -n 's/.* items=\([0-9]*\) .*/\1/p')
in_ns timeout $((SECONDS_RUN + 30)) memcaslap -s "$TERN_ADDR:$PORT" --udp -t "${SECONDS_RUN}s" \
	-T 1 -c 8 --verify=0.1 >"$TERN_TMP/memcaslap.txt" 2>&1 &
slap=$!
sleep 1
for i in 1 2; do
	out=$(tern_ctl app replace kv "$KV_APP") || tern_fail "app replace $i under load failed: $out"
	case "$out" in *'state="carried"'*) ;; *) tern_fail "app replace $i did not carry the store: $out" ;; esac
	sleep 0.5
done
wait "$slap" || tern_fail "memcaslap (with replaces) failed: $(tail -5 "$TERN_TMP/memcaslap.txt")"
miss=$(field get_misses)
[ "$(field verify_failed)" = 0 ] && [ "$(field udp_timeout)" = 0 ] && [ "${miss:-x}" = 0 ] ||
	tern_fail "memcaslap across two replaces: get_misses=$miss verify_failed=$(field verify_failed) udp_timeout=$(field udp_timeout)"
items1=$(tern_ctl show apps | sed -n 's/.* items=\([0-9]*\) .*/\1/p')
[ -n "$items0" ] && [ "$items1" -ge "$items0" ] || tern_fail "items went from $items0 to $items1 across the replaces"
tern_say "PASS 2: two app replaces under memcaslap's load: get_misses=0 verify_failed=0 udp_timeout=0, items $items0 -> $items1 ($(grep -m1 '^Run time' "$TERN_TMP/memcaslap.txt"))"

# --- 3. a spoofed source gets nothing amplified -------------------------------
# ask SRC PAYLOAD: the reply's text (after the 8-byte frame header), or "".
ask() {
	in_ns python3 - "$1" "$TERN_ADDR" "$PORT" "$2" <<'PY'
import socket, struct, sys
src, dst, port, text = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(1.0)
s.sendto(struct.pack('>HHHH', 7, 0, 1, 0) + text.encode().replace(b'\\r\\n', b'\r\n'), (dst, port))
try:
    d = s.recv(65536)
    print(d[8:].decode(errors='replace').replace('\r\n', '|'))
except socket.timeout:
    print('')
PY
}
value=$(printf 'v%.0s' $(seq 1000))
got=$(ask "$NS_ADDR" "set big 0 0 1000\\r\\n$value\\r\\n")
[ "$got" = "STORED|" ] || tern_fail "set big from $NS_ADDR: got '$got'"
got=$(ask "$NS_ADDR" 'get big\r\n')
[ "${#got}" -gt 1000 ] || tern_fail "get big from $NS_ADDR (own subnet): got '${got:0:60}'"
amp0=$(stat drop_amplification)
got=$(ask "$SPOOF_ADDR" 'get big\r\n')
[ -z "$got" ] || tern_fail "get big from $SPOOF_ADDR (no subnet of ternd's) was answered: '${got:0:60}'"
[ "$(stat drop_amplification)" = $((amp0 + 1)) ] ||
	tern_fail "drop_amplification went from $amp0 to $(stat drop_amplification), want +1"
for _ in $(seq 30); do
	grep -q "^ternd: drop_amplification: a reply to $SPOOF_ADDR:" "$TERN_TMP/ternd.log" && break
	sleep 0.1
done
line=$(grep -m1 "^ternd: drop_amplification: a reply to $SPOOF_ADDR:" "$TERN_TMP/ternd.log") ||
	tern_fail "ternd's log does not explain the dropped reply: $(tail -3 "$TERN_TMP/ternd.log")"
case "$line" in
*"(app kv, udp $PORT)"*"over max_amplification=3"*"trust add PREFIX"*) ;;
*) tern_fail "the log line lacks the app, the limit or the fix: $line" ;;
esac
tern_ctl trust add 198.19.12.0/24 || tern_fail "trust add failed"
tern_ctl show trust | grep -q 'prefixes=198.19.12.0/24' || tern_fail "show trust: $(tern_ctl show trust)"
got=$(ask "$SPOOF_ADDR" 'get big\r\n')
[ "${#got}" -gt 1000 ] || tern_fail "get big from trusted $SPOOF_ADDR: got '${got:0:60}'"
tern_ctl trust del 198.19.12.0/24 || tern_fail "trust del failed"
got=$(ask "$SPOOF_ADDR" 'get big\r\n')
[ -z "$got" ] || tern_fail "get big from $SPOOF_ADDR after trust del was answered"
tern_say "PASS 3: off-subnet sources get nothing amplified, and the log says why: ${line:0:110}..."

ternd_stop 20
ternd_check_exit "$TERN_TMP/ternd.log"
tern_say "PASS: kv_clients (ternd exit 0, no leaked mbuf)"
