#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""UDP echo client for the tern integration tests (standard library only).

Sends --count requests to an echo server over --sockets sockets (so from as
many source ports), each request a unique random payload, with at most
--window requests outstanding per socket. Every reply must be byte-identical
to a request sent on that socket and not yet answered.

With --duration SECONDS it keeps sending for that long instead of sending
--count requests (then waits for the last replies); --rate caps the requests
per second; SIGUSR1 ends the sending early (the test that started the client
says when); --latency also prints the round-trip times of the requests:
  latency_us: n=N p50=.. p90=.. p99=.. p999=.. max=..

Prints: udp_echo_client: sent=N received=N mismatched=M lost=L sockets=K
Exits 0 only if every request was answered and nothing mismatched.
"""

import argparse
import math
import os
import selectors
import signal
import socket
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dst', required=True, help='server address (IPv4 or IPv6)')
    ap.add_argument('--port', type=int, default=7)
    ap.add_argument('--count', type=int, default=1000)
    ap.add_argument('--sockets', type=int, default=8)
    ap.add_argument('--size', type=int, default=64, help='payload bytes (>= 16)')
    ap.add_argument('--window', type=int, default=4,
                    help='max requests outstanding per socket')
    ap.add_argument('--timeout', type=float, default=2.0,
                    help='seconds without any reply before the rest count as lost')
    ap.add_argument('--duration', type=float, default=0.0,
                    help='send for this many seconds instead of --count requests')
    ap.add_argument('--rate', type=float, default=0.0,
                    help='at most this many requests per second (0: no limit)')
    ap.add_argument('--latency', action='store_true',
                    help='print round-trip percentiles (latency_us: ...)')
    args = ap.parse_args()
    if args.size < 16 or args.size > 1400:
        ap.error('--size must be in 16..1400')
    if args.sockets < 1 or args.window < 1 or args.count < 0:
        ap.error('--sockets, --window must be >= 1 and --count >= 0')
    if args.duration < 0 or args.rate < 0:
        ap.error('--duration and --rate must be >= 0')
    return args


class Flow:
    """One socket and its outstanding requests (payload -> sequence number)."""

    def __init__(self, family, addr):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.connect(addr)
        self.outstanding = {}  # payload -> time sent (time.monotonic())


def make_payload(seq, size):
    # Sequence number first (keeps payloads unique), then random bytes.
    return seq.to_bytes(8, 'big') + os.urandom(size - 8)


def percentile(sorted_vals, q):
    """The nearest-rank q-quantile (0 < q <= 1) of a sorted list."""
    k = max(1, math.ceil(q * len(sorted_vals)))
    return sorted_vals[k - 1]


def print_latency(rtts):
    if not rtts:
        print('latency_us: n=0', flush=True)
        return
    rtts.sort()
    fields = ' '.join(f'{name}={percentile(rtts, q) * 1e6:.0f}'
                      for name, q in (('p50', 0.5), ('p90', 0.9), ('p99', 0.99),
                                      ('p999', 0.999)))
    print(f'latency_us: n={len(rtts)} {fields} max={rtts[-1] * 1e6:.0f}', flush=True)


def main():
    args = parse_args()
    info = socket.getaddrinfo(args.dst, args.port, type=socket.SOCK_DGRAM)[0]
    family, addr = info[0], info[4]
    flows = [Flow(family, addr) for _ in range(args.sockets)]
    sel = selectors.DefaultSelector()
    for f in flows:
        sel.register(f.sock, selectors.EVENT_READ, f)

    start = time.monotonic()
    end = start + args.duration if args.duration > 0 else None
    gap = 1.0 / args.rate if args.rate > 0 else 0.0
    next_send = start
    rtts = [] if args.latency else None
    stop = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: stop.append(signum))

    def may_send(now):
        if stop:
            return False
        if end is not None:
            return now < end
        return sent < args.count

    sent = received = mismatched = 0
    last_progress = start
    while end is not None or received < args.count:
        now = time.monotonic()
        # Top up every flow's window, round robin over the sockets.
        for f in flows:
            while may_send(now) and len(f.outstanding) < args.window and now >= next_send:
                payload = make_payload(sent, args.size)
                try:
                    f.sock.send(payload)
                except (BlockingIOError, ConnectionRefusedError):
                    # Full buffer, or an ICMP error from an earlier request:
                    # try again on the next round.
                    break
                if not any(g.outstanding for g in flows):
                    last_progress = time.monotonic()  # idle until now: not a stall
                f.outstanding[payload] = time.monotonic()
                sent += 1
                if gap:
                    next_send = max(next_send + gap, now - 1.0)
        if not any(f.outstanding for f in flows) and not may_send(now):
            break
        timeout = 0.1
        if gap and may_send(now):
            timeout = min(timeout, max(0.0, next_send - now))
        for key, _ in sel.select(timeout=timeout):
            f = key.data
            while True:
                try:
                    data = f.sock.recv(65536)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                t_sent = f.outstanding.pop(data, None)
                if t_sent is None:
                    mismatched += 1
                else:
                    received += 1
                    last_progress = time.monotonic()
                    if rtts is not None:
                        rtts.append(last_progress - t_sent)
        if time.monotonic() - last_progress > args.timeout:
            break

    wanted = sent if end is not None else args.count
    lost = sum(len(f.outstanding) for f in flows) + (wanted - sent)
    print(f'udp_echo_client: sent={sent} received={received} '
          f'mismatched={mismatched} lost={lost} sockets={args.sockets}', flush=True)
    if rtts is not None:
        print_latency(rtts)
    for f in flows:
        f.sock.close()
    return 0 if received == wanted and mismatched == 0 and lost == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
