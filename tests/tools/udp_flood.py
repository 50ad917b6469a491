#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Flood a UDP echo port as fast as Python can, without waiting for replies.

Sends datagrams from several sockets for a number of seconds, each carrying
its send time, and reads whatever echoes come back on the way and for
--linger seconds after, measuring their round trip. Prints one line:
"sent N replies M end_ns T p50_us A p99_us B max_us C drain_ms D", T being
the wall-clock time (ns since the epoch) when the flood stopped, A, B, C the
round trips of the replies (0 when none came), and D how long after the
flood stopped the last reply came (0 if none came after it): the time the
server took to work off what was queued. Standard library only.

usage: udp_flood.py HOST PORT SECONDS [--sockets N] [--size BYTES] [--linger S]
"""
import argparse
import socket
import struct
import time


def drain(socks, rtts):
    """Reads every queued reply, appending its round trip; returns the time
    of the last one read (0 if none)."""
    last = 0
    for s in socks:
        while True:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                break
            last = time.monotonic_ns()
            if len(data) >= 8:
                rtts.append(last - struct.unpack_from('<Q', data)[0])
    return last


def pct(sorted_v, q):
    return sorted_v[min(len(sorted_v) - 1, int(q * len(sorted_v)))] // 1000 if sorted_v else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('host')
    ap.add_argument('port', type=int)
    ap.add_argument('seconds', type=float)
    ap.add_argument('--sockets', type=int, default=4, help='sending sockets (flows)')
    ap.add_argument('--size', type=int, default=32, help='payload bytes (at least 8)')
    ap.add_argument('--linger', type=float, default=0.0,
                    help='seconds to keep reading replies after the flood')
    a = ap.parse_args()
    fam = socket.AF_INET6 if ':' in a.host else socket.AF_INET
    socks = [socket.socket(fam, socket.SOCK_DGRAM) for _ in range(a.sockets)]
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        s.setblocking(False)
    pad, sent, rtts = b'x' * max(0, a.size - 8), 0, []
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        for s in socks:
            for _ in range(64):
                try:
                    s.sendto(struct.pack('<Q', time.monotonic_ns()) + pad, (a.host, a.port))
                    sent += 1
                except BlockingIOError:
                    break
        drain(socks, rtts)
    end_ns, stop = time.time_ns(), time.monotonic_ns()
    last = 0
    end = time.monotonic() + a.linger
    while time.monotonic() < end:
        last = drain(socks, rtts) or last
        time.sleep(0.001)
    rtts.sort()
    print(f'sent {sent} replies {len(rtts)} end_ns {end_ns} p50_us {pct(rtts, 0.5)} '
          f'p99_us {pct(rtts, 0.99)} max_us {rtts[-1] // 1000 if rtts else 0} '
          f'drain_ms {max(0, last - stop) // 1000000}')


if __name__ == '__main__':
    main()
