#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Integration test: `app replace` of kv keeps the cache. ternd serves kv
# (one worker, memory_mb=256) on UDP 11211 on the host end of a veth pair;
# a client in the namespace stores KV_ITEMS (default 1,000,000) small items
# (noreply sets, 30 to a datagram, each closed by mn) and reads every item
# back with gets (key, flags, CAS unique and value, digested), then stores
# three marked items (the largest flags, exptime 100 s, exptime 5 s). Then:
#   1. app replace kv with the same arguments (handoff=exact): the answer
#      says the state was carried; hold_us and phases_us are printed (the
#      store changes hands as a pointer: the hold does not grow with the
#      items); every item reads back the same (flags, CAS, value), show apps
#      counts them, the marked items are the same (the one expiring 5 s
#      after it was stored included; it is gone at the end: its expiry went
#      along).
#   2. app replace kv with memory_mb=128: refused with kv's reason, the old
#      instance keeps serving the same items.
#   3. app replace kv again, handoff=snapshot: the items are still there.
#   4. `trust local off` (the client's subnet, ternd's own, is no longer
#      trusted for full replies) and app replace kv with max_amplification=3:
#      a get of a 5000-byte value gets nothing back, not even the datagrams
#      within the limit (kv's reply_refused and the engine's
#      drop_amplification count it).
# Ends with SIGTERM: exit 0, no leaked mbufs, each retired instance's line.
#
# The client is on ternd's own subnet: trusted for full replies by default
# (docs/security.md), so no max_amplification is needed for the large
# replies of steps 1-3.
#
# Environment (set by meson): TERND, TERNCTL, KV_APP; KV_ITEMS.
# Skips (77) without root.
set -u

# shellcheck source=SCRIPTDIR/../../scripts/lib/tern.sh
. "$(dirname "$(readlink -f "$0")")/../../scripts/lib/tern.sh"

NS_ADDR=198.18.12.2
TERN_ADDR=198.18.12.1
PORT=11211
KV_ITEMS=${KV_ITEMS:-1000000}
KV_ARGS=(memory_mb=256 version=1.6.18)

tern_need_root
tern_need_var TERND TERNCTL KV_APP
trap tern_cleanup EXIT
trap 'exit 130' INT TERM

tern_mktemp
ns="tern_kvr_$$"
hif="tkrh$$"
nif="tkrn$$"
in_ns() { ip netns exec "$ns" "$@"; }

cat >"$TERN_TMP/client.py" <<'PY'
"""kv_replace.sh's client: fill N items, or digest them all (gets), or
look at the marked items. Windowed, retransmits on loss (sets of the same
value and gets are idempotent), multi-datagram replies reassembled."""
import hashlib
import json
import socket
import struct
import sys
import time

SERVER = (sys.argv[1], 11211)
WINDOW = 32
MARKED = [b'x-flags', b'x-exp', b'x-short']


def key(i):
    return b'k%07d' % i


def exchange(payloads):
    """Send every payload (one datagram each), WINDOW outstanding; the
    reassembled reply bodies, in order."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, getattr(socket, 'SO_RCVBUFFORCE', 33), 8 << 20)
    s.settimeout(0.05)
    out = [None] * len(payloads)
    pending = {}   # rid -> (index, sent_at, {seq: body}, total)
    nxt = 0
    done = 0
    resent = 0
    while done < len(payloads):
        while nxt < len(payloads) and len(pending) < WINDOW:
            rid = nxt % 65535 + 1
            s.sendto(struct.pack('>HHHH', rid, 0, 1, 0) + payloads[nxt], SERVER)
            pending[rid] = [nxt, time.monotonic(), {}, 0]
            nxt += 1
        try:
            d = s.recv(65536)
        except socket.timeout:
            d = None
        if d is not None and len(d) >= 8:
            rid, seq, total, _ = struct.unpack('>HHHH', d[:8])
            p = pending.get(rid)
            if p is not None:
                p[2][seq] = d[8:]
                p[3] = total
                if len(p[2]) >= max(total, 1):
                    out[p[0]] = b''.join(p[2][i] for i in sorted(p[2]))
                    del pending[rid]
                    done += 1
        now = time.monotonic()
        for rid, p in pending.items():
            if now - p[1] > 0.5:
                s.sendto(struct.pack('>HHHH', rid, 0, 1, 0) + payloads[p[0]], SERVER)
                p[1] = now
                p[2] = {}
                resent += 1
    if resent:
        print('client: %d datagrams sent again' % resent, file=sys.stderr)
    return out


def values(body):
    """[(key, flags, cas, value)] of a gets reply."""
    res = []
    pos = 0
    while True:
        end = body.index(b'\r\n', pos)
        line = body[pos:end].split(b' ')
        pos = end + 2
        if line[0] == b'END':
            return res
        if line[0] != b'VALUE':
            raise SystemExit('unexpected line %r' % line)
        n = int(line[3])
        res.append((line[1], int(line[2]), int(line[4]), body[pos:pos + n]))
        pos += n + 2


def fill(n):
    t0 = time.monotonic()
    reqs = []
    for start in range(0, n, 30):  # 30 sets: about 1280 bytes, no IP fragments
        reqs.append(b''.join(b'set %s %d 0 8 noreply\r\nv%07d\r\n' % (key(i), i % 65536, i)
                             for i in range(start, min(start + 30, n))) + b'mn\r\n')
    bad = [r for r in exchange(reqs) if r != b'MN\r\n']
    if bad:
        raise SystemExit('fill: unexpected replies %r' % bad[:3])
    print('filled %d items in %.1f s' % (n, time.monotonic() - t0))


def digest(n):
    """Every item with gets, 100 keys a request: count and digest."""
    t0 = time.monotonic()
    reqs = [b'gets ' + b' '.join(key(i) for i in range(s, min(s + 100, n))) + b'\r\n'
            for s in range(0, n, 100)]
    h = hashlib.sha256()
    count = 0
    for body in exchange(reqs):
        for k, flags, cas, v in values(body):
            if v != b'v' + k[1:] or flags != int(k[1:]) % 65536:
                raise SystemExit('item %r has flags %d value %r' % (k, flags, v))
            h.update(b'%s %d %d %s;' % (k, flags, cas, v))
            count += 1
    print(json.dumps({'count': count, 'digest': h.hexdigest(),
                      'seconds': round(time.monotonic() - t0, 1)}))


def mark():
    """x-flags: the largest flags; x-exp: exptime 100 s; x-short: 5 s."""
    reply = exchange([b'set x-flags 4294967295 0 7\r\nflagged\r\n'
                      b'set x-exp 3 100 4\r\nlong\r\nset x-short 4 5 5\r\nshort\r\n'])[0]
    if reply != b'STORED\r\n' * 3:
        raise SystemExit('mark: %r' % reply)


def refused():
    """A 5000-byte value (set and appends), then a get of it from a 17-byte
    request: prints how many datagrams came back within 1 s."""
    v = b'0123456789' * 500
    reqs = [b'set bigv 0 0 1000\r\n%s\r\n' % v[:1000]]
    reqs += [b'append bigv 0 0 1000\r\n%s\r\n' % v[o:o + 1000] for o in range(1000, 5000, 1000)]
    if exchange(reqs) != [b'STORED\r\n'] * 5:
        raise SystemExit('could not store bigv')
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.sendto(struct.pack('>HHHH', 7, 0, 1, 0) + b'get bigv\r\n', SERVER)
    n = 0
    try:
        while True:
            s.recv(65536)
            n += 1
    except socket.timeout:
        pass
    print(n)


def marked(keys):
    body = exchange([b'gets ' + b' '.join(keys or MARKED) + b'\r\n'])[0]
    print(json.dumps([[k.decode(), f, c, v.decode()] for k, f, c, v in values(body)]))


if __name__ == '__main__':
    {'fill': lambda: fill(int(sys.argv[3])), 'digest': lambda: digest(int(sys.argv[3])),
     'mark': mark, 'refused': refused, 'marked': lambda: marked([k.encode() for k in sys.argv[3:]])}[sys.argv[2]]()
PY
client() { in_ns /usr/bin/python3 "$TERN_TMP/client.py" "$TERN_ADDR" "$@"; }
kv_line() { tern_ctl show apps | grep -m1 "kv" | tr ' ' '\n' | sed -n "s/^$1=\([0-9]*\)$/\1/p"; }

tern_veth_setup "$ns" "$hif" "$nif" "$NS_ADDR/24" ||
	tern_fail "could not set up veth $hif <-> $ns:$nif"
printf 'app load kv %s %s\nbind udp %s kv\n' "$KV_APP" "${KV_ARGS[*]}" "$PORT" >"$TERN_TMP/start.cmds"
ternd_start_veth kvr "$TERN_TMP/ternd.log" "$hif" --ip "$TERN_ADDR/24" \
	--app-dir "$(dirname "$KV_APP")" --exec "$TERN_TMP/start.cmds" ||
	tern_fail "ternd did not start"
tern_say "ternd is up on $hif through $TERN_DRIVER, kv with ${KV_ARGS[*]}"

client fill "$KV_ITEMS" || tern_fail "could not store $KV_ITEMS items"
client digest "$KV_ITEMS" >"$TERN_TMP/digest0" || tern_fail "reading the items failed"
grep -q "\"count\": $KV_ITEMS," "$TERN_TMP/digest0" || tern_fail "not every item was stored"
# The marked items, x-short (exptime 5) last, just before the replace.
client mark || tern_fail "could not store the marked items"
t_set=$(date +%s.%N)
client marked >"$TERN_TMP/marked0" || tern_fail "no marked items"
client marked x-flags x-exp >"$TERN_TMP/long0" || tern_fail "no marked items"
tern_say "before: $(cat "$TERN_TMP/digest0"); marked $(cat "$TERN_TMP/marked0")"
grep -q '"x-short"' "$TERN_TMP/marked0" || tern_fail "x-short missing before the replace"

# 1. The same arguments: the store changes hands.
out=$(tern_ctl app replace kv libkv.so "${KV_ARGS[@]}") || tern_fail "app replace failed: $out"
tern_say "app replace: $out"
echo "$out" | grep -q 'state="carried"' || tern_fail "the state was not carried: $out"
hold=$(echo "$out" | sed -n 's/.* hold_us=\([0-9]*\) .*/\1/p')
phases=$(echo "$out" | sed -n 's/.* phases_us=\([^ ]*\).*/\1/p')
client marked >"$TERN_TMP/marked1" || tern_fail "no marked items after the replace"
cmp -s "$TERN_TMP/marked0" "$TERN_TMP/marked1" ||
	tern_fail "marked items changed: $(cat "$TERN_TMP/marked0") -> $(cat "$TERN_TMP/marked1")"
client digest "$KV_ITEMS" >"$TERN_TMP/digest1" || tern_fail "reading the items after the replace failed"
tern_say "after: $(cat "$TERN_TMP/digest1")"
[ "$(cut -d, -f1-2 "$TERN_TMP/digest0")" = "$(cut -d, -f1-2 "$TERN_TMP/digest1")" ] ||
	tern_fail "the items differ after app replace (flags, CAS or values)"
items=$(kv_line items)
[ "$items" = $((KV_ITEMS + 3)) ] || tern_fail "show apps counts items=$items, not $((KV_ITEMS + 3))"

# 2. Another memory size: refused, the old instance keeps serving.
if out=$(tern_ctl app replace kv libkv.so memory_mb=128 version=1.6.18 2>&1); then
	tern_fail "app replace with another memory_mb was accepted: $out"
fi
tern_say "refused as it should be: $out"
echo "$out" | grep -q "give the same values to keep the items" || tern_fail "not kv's reason: $out"
client marked x-flags x-exp >"$TERN_TMP/long2" || tern_fail "no marked items after the refused replace"
cmp -s "$TERN_TMP/long0" "$TERN_TMP/long2" || tern_fail "marked items changed after the refusal"

# 3. Once more, handoff=snapshot.
out=$(tern_ctl app replace kv libkv.so handoff=snapshot "${KV_ARGS[@]}") ||
	tern_fail "app replace handoff=snapshot failed: $out"
echo "$out" | grep -q 'state="carried"' || tern_fail "the state was not carried: $out"
client marked x-flags x-exp >"$TERN_TMP/long3" || tern_fail "no marked items after the second replace"
cmp -s "$TERN_TMP/long0" "$TERN_TMP/long3" || tern_fail "marked items changed after the second replace"

# The expiry went along: x-short (exptime 5) is gone 5 s after it was stored.
sleep "$(echo "$t_set" | awk -v now="$(date +%s.%N)" '{ d = $1 + 5.5 - now; if (d < 0) d = 0; printf "%.2f\n", d }')"
client marked >"$TERN_TMP/marked4" || tern_fail "no marked items at the end"
grep -q '"x-short"' "$TERN_TMP/marked4" && tern_fail "x-short outlived its expiry: $(cat "$TERN_TMP/marked4")"
grep -q '"x-exp"' "$TERN_TMP/marked4" || tern_fail "x-exp (exptime 100) is gone"

# 4. With an amplification limit (3 times the request) that applies to the
# client (its subnet no longer trusted), a 5000-byte value (4 datagrams) for
# a 17-byte get: kv's reply_more is refused, it stops and counts it; the
# engine withdraws what it kept and drops the reply: nothing reaches the
# client.
tern_ctl trust local off || tern_fail "trust local off failed"
out=$(tern_ctl app replace kv libkv.so memory_mb=256 version=1.6.18 max_amplification=3) ||
	tern_fail "app replace with max_amplification=3 failed: $out"
got=$(client refused) || tern_fail "the refused-reply step failed"
[ "$got" = 0 ] || tern_fail "$got datagrams of a reply over the amplification limit reached the client"
refused=$(kv_line reply_refused)
amp=$(tern_stat total: drop_amplification)
[ "${refused:-0}" -ge 1 ] || tern_fail "kv counted reply_refused=$refused"
[ "${amp:-0}" -ge 1 ] || tern_fail "the engine counted drop_amplification=$amp"
tern_say "over the limit: nothing sent, kv reply_refused=$refused, engine drop_amplification=$amp"

ternd_stop 20
ternd_check_exit "$TERN_TMP/ternd.log"
[ "$(grep -c "^app kv: " "$TERN_TMP/ternd.log")" -ge 4 ] ||
	tern_fail "expected a line from each of the 4 kv instances: $(grep "^app kv: " "$TERN_TMP/ternd.log")"
tern_say "PASS: app replace kept all $KV_ITEMS items (flags, CAS, values, expiry); hold_us=$hold phases_us=$phases"
exit 0
