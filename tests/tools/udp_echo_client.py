#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""UDP echo client for the tern integration tests (standard library only).

Sends --count requests to an echo server over --sockets sockets (so from as
many source ports), each request a unique random payload, with at most
--window requests outstanding per socket. Every reply must be byte-identical
to a request sent on that socket and not yet answered.

Prints: udp_echo_client: sent=N received=N mismatched=M lost=L sockets=K
Exits 0 only if every request was answered and nothing mismatched.
"""

import argparse
import os
import selectors
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
    args = ap.parse_args()
    if args.size < 16 or args.size > 1400:
        ap.error('--size must be in 16..1400')
    if args.sockets < 1 or args.window < 1 or args.count < 0:
        ap.error('--sockets, --window must be >= 1 and --count >= 0')
    return args


class Flow:
    """One socket and its outstanding requests (payload -> sequence number)."""

    def __init__(self, family, addr):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.connect(addr)
        self.outstanding = {}


def make_payload(seq, size):
    # Sequence number first (keeps payloads unique), then random bytes.
    return seq.to_bytes(8, 'big') + os.urandom(size - 8)


def main():
    args = parse_args()
    info = socket.getaddrinfo(args.dst, args.port, type=socket.SOCK_DGRAM)[0]
    family, addr = info[0], info[4]
    flows = [Flow(family, addr) for _ in range(args.sockets)]
    sel = selectors.DefaultSelector()
    for f in flows:
        sel.register(f.sock, selectors.EVENT_READ, f)

    sent = received = mismatched = 0
    last_progress = time.monotonic()
    while received < args.count:
        # Top up every flow's window, round robin over the sockets.
        for f in flows:
            while sent < args.count and len(f.outstanding) < args.window:
                payload = make_payload(sent, args.size)
                try:
                    f.sock.send(payload)
                except (BlockingIOError, ConnectionRefusedError):
                    # Full buffer, or an ICMP error from an earlier request:
                    # try again on the next round.
                    break
                f.outstanding[payload] = sent
                sent += 1
        if not any(f.outstanding for f in flows) and sent >= args.count:
            break
        for key, _ in sel.select(timeout=0.1):
            f = key.data
            while True:
                try:
                    data = f.sock.recv(65536)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                if f.outstanding.pop(data, None) is None:
                    mismatched += 1
                else:
                    received += 1
                    last_progress = time.monotonic()
        if time.monotonic() - last_progress > args.timeout:
            break

    lost = sum(len(f.outstanding) for f in flows) + (args.count - sent)
    print(f'udp_echo_client: sent={sent} received={received} '
          f'mismatched={mismatched} lost={lost} sockets={args.sockets}', flush=True)
    for f in flows:
        f.sock.close()
    return 0 if received == args.count and mismatched == 0 and lost == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
