#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sequenced UDP client for the hot-swap tests (standard library only).

Talks to tests/apps/swap_app.c over one UDP socket (one flow): sends
"KEY SEQ" with SEQ = 0, 1, 2, ... at --rate requests per second (open loop:
the schedule does not wait for replies), with at most --window requests in
flight (when the window is full it waits). Each reply must be
"TAG COUNT SEQ" for a SEQ sent and not yet answered, with TAG one of --tags;
with --expect-count also COUNT == SEQ + 1 + --count-offset (the app's count
for KEY continued exactly: no update lost, repeated or reordered).

With --flows N it sends from N sockets (N flows, each from source port
--sport + i if given, key KEY-i, its own window), round robin, at --rate in
all; the summary adds them up.

Sends for --duration seconds, or --count requests, or until SIGUSR1 (the
test that started the client says when), whichever comes first; then waits
for the last replies. A request not answered within --timeout seconds frees
its window slot (so dropped requests cannot stall the sending) but is only
counted lost at the end: a reply that comes later still counts (late=N).
So when the server drops requests on purpose (--allow-drops), each dropped
request holds a window slot for --timeout seconds: keep --timeout short
(e.g. 0.2) or the sending rate falls to about window / timeout per second
times 1 / drop ratio.

Prints one line:
  udp_seq_client: sent=N received=N lost=N bad_count=N bad_tag=N dup=N
    tags=A:n,B:n first_bad=WHAT unknown=N malformed=N late=N [drop_ratio=X]
(on one line; tags lists the --tags first, then any other tag seen;
first_bad is the first problem, e.g. "count:seq=5,got=3,want=6", or "-";
unknown counts replies for a SEQ never sent, malformed replies that are not
"TAG COUNT SEQ"; drop_ratio=lost/sent only with --allow-drops).
Exits 0 only if bad_count, bad_tag, dup, unknown and malformed are 0 and,
unless --allow-drops, lost is 0; 1 otherwise, 2 on a usage error.
"""

import argparse
import selectors
import signal
import socket
import sys
import time

KEY_MAX = 32


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dst', required=True, help='server address (IPv4 or IPv6)')
    ap.add_argument('--port', type=int, default=7)
    ap.add_argument('--key', default='k', help='request key (1..32 bytes, no spaces)')
    ap.add_argument('--rate', type=float, default=1000.0,
                    help='requests per second, open loop (0: as fast as the window allows)')
    ap.add_argument('--window', type=int, default=8, help='max requests in flight')
    ap.add_argument('--duration', type=float, default=0.0,
                    help='seconds to send (0: until SIGUSR1 or --count)')
    ap.add_argument('--count', type=int, default=0,
                    help='stop after this many requests (0: no limit)')
    ap.add_argument('--timeout', type=float, default=2.0,
                    help='seconds to wait for a reply before its request counts as '
                         'lost (and frees its window slot)')
    ap.add_argument('--flows', type=int, default=1,
                    help='UDP sockets (flows) to send from, round robin; flow i uses key '
                         'KEY-i when there are several')
    ap.add_argument('--sport', type=int, default=0,
                    help='bind flow i to source port SPORT+i (0: any), so flows are the '
                         'same from run to run')
    ap.add_argument('--tags', default='A,B', help='comma-separated allowed reply tags')
    ap.add_argument('--expect-count', action='store_true',
                    help='check COUNT == SEQ + 1 + --count-offset on every reply')
    ap.add_argument('--count-offset', type=int, default=0,
                    help='requests with this key counted before this client (default 0)')
    ap.add_argument('--allow-drops', action='store_true',
                    help='lost requests are reported (drop_ratio=), not a failure')
    args = ap.parse_args()
    if not args.key or len(args.key.encode()) > KEY_MAX or any(c.isspace() for c in args.key):
        ap.error(f'--key must be 1..{KEY_MAX} bytes without spaces')
    if args.window < 1:
        ap.error('--window must be >= 1')
    if args.flows < 1 or args.flows > 1024 or not 0 <= args.sport <= 65535 - args.flows:
        ap.error('--flows must be 1..1024 and --sport + --flows within 1..65535')
    if args.flows > 1 and len(args.key) + 5 > KEY_MAX:
        ap.error(f'--key must be at most {KEY_MAX - 5} bytes with --flows')
    if args.rate < 0 or args.duration < 0 or args.count < 0 or args.count_offset < 0:
        ap.error('--rate, --duration, --count and --count-offset must be >= 0')
    if args.timeout <= 0:
        ap.error('--timeout must be > 0')
    args.tag_list = [t for t in args.tags.split(',') if t]
    if not args.tag_list:
        ap.error('--tags needs at least one tag')
    return args


def token(text, limit=48):
    """text as one printable token (for first_bad=): no blanks, cut."""
    out = ''.join(c if c.isprintable() and not c.isspace() else '_' for c in text)
    return out if len(out) <= limit else out[:limit] + '...'


class Client:
    """The flow's state: what is in flight, what came back, what is wrong."""

    def __init__(self, args, key):
        self.args = args
        self.key = key.encode()
        self.allowed = set(args.tag_list)
        self.tag_counts = {t: 0 for t in args.tag_list}
        self.sent = 0            # next SEQ; SEQs 0..sent-1 went out
        self.received = 0        # first replies to a SEQ we sent
        self.in_flight = {}      # SEQ -> time sent, oldest first (dicts keep order)
        self.expired = set()     # SEQs past --timeout, no reply yet (window freed)
        self.answered = bytearray()  # answered[SEQ] = 1 once replied
        self.late = 0
        self.bad_count = self.bad_tag = self.dup = self.unknown = self.malformed = 0
        self.first_bad = None

    def bad(self, what):
        if self.first_bad is None:
            self.first_bad = what

    def request(self, seq):
        return self.key + b' ' + str(seq).encode()

    def sent_one(self, now):
        self.in_flight[self.sent] = now
        self.answered.append(0)
        self.sent += 1

    def expire(self, now):
        """Free the window slots of requests older than --timeout."""
        limit = now - self.args.timeout
        while self.in_flight:
            seq, t = next(iter(self.in_flight.items()))
            if t > limit:
                break
            del self.in_flight[seq]
            self.expired.add(seq)

    def next_expiry(self):
        if not self.in_flight:
            return None
        return next(iter(self.in_flight.values())) + self.args.timeout

    def reply(self, data):
        try:
            tag, count_s, seq_s = data.decode('ascii').split(' ')
            count, seq = int(count_s), int(seq_s)
            if not count_s.isdigit() or not seq_s.isdigit():
                raise ValueError
        except (UnicodeDecodeError, ValueError):
            self.malformed += 1
            self.bad('malformed:' + token(data.decode('ascii', 'replace')))
            return
        if seq >= self.sent:
            self.unknown += 1
            self.bad(f'unknown:seq={seq},sent={self.sent}')
            return
        if self.answered[seq]:
            self.dup += 1
            self.bad(f'dup:seq={seq}')
            return
        self.answered[seq] = 1
        self.received += 1
        if self.in_flight.pop(seq, None) is None:
            self.expired.discard(seq)
            self.late += 1
        self.tag_counts[tag] = self.tag_counts.get(tag, 0) + 1
        if tag not in self.allowed:
            self.bad_tag += 1
            self.bad(f'tag:seq={seq},tag={token(tag)}')
        if self.args.expect_count:
            want = seq + 1 + self.args.count_offset
            if count != want:
                self.bad_count += 1
                self.bad(f'count:seq={seq},got={count},want={want}')

    def lost(self):
        return len(self.in_flight) + len(self.expired)


def open_flow(args, info, i):
    """One UDP socket (one flow), from --sport + i when --sport is given."""
    sock = socket.socket(info[0], socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    except OSError:
        pass
    if args.sport:
        sock.bind(('::' if info[0] == socket.AF_INET6 else '0.0.0.0', args.sport + i))
    sock.setblocking(False)
    sock.connect(info[4])
    return sock


def main():
    # SIGUSR1 ends the sending: catch it before anything slow, so an early
    # one cannot kill the client.
    stop = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: stop.append(signum))
    args = parse_args()
    info = socket.getaddrinfo(args.dst, args.port, type=socket.SOCK_DGRAM)[0]
    sel = selectors.DefaultSelector()
    flows = []
    for i in range(args.flows):
        sock = open_flow(args, info, i)
        c = Client(args, args.key if args.flows == 1 else f'{args.key}-{i}')
        sel.register(sock, selectors.EVENT_READ, c)
        flows.append((sock, c))

    start = time.monotonic()
    end = start + args.duration if args.duration > 0 else None
    gap = 1.0 / args.rate if args.rate > 0 else 0.0
    next_send = start
    total_sent = 0
    turn = 0

    def sending(now):
        if stop or (end is not None and now >= end):
            return False
        return args.count == 0 or total_sent < args.count

    while True:
        now = time.monotonic()
        for _, c in flows:
            c.expire(now)
        more = sending(now)
        # Round robin over the flows; each keeps its own window.
        while more and now >= next_send:
            for _ in range(len(flows)):
                sock, c = flows[turn % len(flows)]
                if len(c.in_flight) < args.window:
                    break
                turn += 1
            if len(c.in_flight) >= args.window:
                break  # every window is full
            try:
                sock.send(c.request(c.sent))
            except (BlockingIOError, ConnectionRefusedError):
                break  # full buffer or an ICMP error: try again next round
            c.sent_one(now)
            total_sent += 1
            turn += 1
            if gap:
                # Open loop, but after a stall (full window) catch up by at
                # most one window's worth, not in one long burst.
                next_send = max(next_send + gap, now - gap * args.window)
            more = sending(now)
        if not more and not any(c.in_flight for _, c in flows):
            break
        timeout = 0.1
        if more:
            timeout = min(timeout, max(0.0, next_send - now))
        if end is not None and more:
            timeout = min(timeout, max(0.0, end - now))
        for _, c in flows:
            exp = c.next_expiry()
            if exp is not None:
                timeout = min(timeout, max(0.0, exp - now))
        for key, _ in sel.select(timeout=timeout):
            while True:
                try:
                    data = key.fileobj.recv(65536)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                key.data.reply(data)

    sent = sum(c.sent for _, c in flows)
    lost = sum(c.lost() for _, c in flows)
    tot = {k: sum(getattr(c, k) for _, c in flows)
           for k in ('received', 'bad_count', 'bad_tag', 'dup', 'unknown', 'malformed', 'late')}
    first_bad = next((c.first_bad for _, c in flows if c.first_bad), None)
    if lost and first_bad is None and not args.allow_drops:
        for _, c in flows:
            if c.lost():
                first_bad = f'lost:key={c.key.decode()},seq={min(list(c.in_flight) + list(c.expired))}'
                break
    tag_counts = {}
    for _, c in flows:
        for t, n in c.tag_counts.items():
            tag_counts[t] = tag_counts.get(t, 0) + n
    tags = ','.join(f'{t}:{n}' for t, n in tag_counts.items())
    line = (f'udp_seq_client: sent={sent} received={tot["received"]} lost={lost} '
            f'bad_count={tot["bad_count"]} bad_tag={tot["bad_tag"]} dup={tot["dup"]} '
            f'tags={tags} first_bad={first_bad or "-"} unknown={tot["unknown"]} '
            f'malformed={tot["malformed"]} late={tot["late"]}')
    if args.allow_drops:
        line += f' drop_ratio={lost / sent if sent else 0.0:.4f}'
    if args.flows > 1:
        line += f' flows={args.flows}'
    print(line, flush=True)
    for sock, _ in flows:
        sock.close()
    ok = (tot['bad_count'] == 0 and tot['bad_tag'] == 0 and tot['dup'] == 0 and
          tot['unknown'] == 0 and tot['malformed'] == 0 and (lost == 0 or args.allow_drops))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
