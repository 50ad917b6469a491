#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send one UDP datagram with a text payload and print the reply's text.

Exit status: 0 with the reply on stdout, 1 when no reply came within the
timeout (prints "timeout"). Standard library only.

usage: udp_ask.py HOST PORT TEXT [--sport N] [--timeout S]
"""
import argparse
import socket
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('host')
    ap.add_argument('port', type=int)
    ap.add_argument('text')
    ap.add_argument('--sport', type=int, default=0, help='source port (0: any)')
    ap.add_argument('--timeout', type=float, default=2.0, help='seconds to wait')
    a = ap.parse_args()
    fam = socket.AF_INET6 if ':' in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(('::' if fam == socket.AF_INET6 else '0.0.0.0', a.sport))
    s.settimeout(a.timeout)
    s.sendto(a.text.encode(), (a.host, a.port))
    try:
        data, _ = s.recvfrom(65536)
    except socket.timeout:
        print('timeout')
        return 1
    print(data.decode(errors='replace'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
