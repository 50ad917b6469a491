#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile and malformed frames for ternd, by class (tests/integration/hostile.sh).

  hostile_corpus.py list
      the class names, one a line
  hostile_corpus.py send --class NAME --iface IF --tern-mac MAC --my-mac MAC
                         --tern-ip A --my-ip A --tern-ip6 A --my-ip6 A [--known-gap]
      (inside the namespace, needs scapy and root) sends the class's frames
      with sendp on IF, sniffs IF for what ternd sends back for 0.6 s, checks
      the replies and prints one JSON object: the class, how many frames were
      sent, the counter deltas the class must cause ("expect"), and the reply
      problems found ("errors"; "gaps" for replies where none is due).
  hostile_corpus.py serve (same options but --class)
      like send, for each class name read on stdin (one JSON line each):
      scapy is loaded once
  hostile_corpus.py check --result FILE --before FILE --after FILE [--known-gap] [--lossy]
      (root namespace, standard library only) compares the counter deltas of
      `ternctl show stats json` before/after with the class's "expect";
      prints PASS/FAIL/WARN lines, exit 1 on a failure.

Every frame of a class carries the counter it must land in: "tx" means
answered (its reply is checked: addresses swapped, payload echoed, IPv4
options / IPv6 extension headers stripped), anything else is a drop counter
and no reply is due. "drop_any" means any drop counter (the engine has no
specific counter for it yet, e.g. a martian source address). Frames sent from
the namespace's MAC use a source address the namespace does not own (.3), so
the kernel there neither answers ternd's replies nor sends ICMP errors that
ternd would count.
"""

import argparse
import ipaddress
import json
import sys
import time

DROPS = ('drop_malformed', 'drop_not_for_us', 'drop_no_handler', 'drop_bad_cksum',
         'drop_tx_full', 'drop_unsupported', 'drop_app', 'drop_bad_verdict',
         'drop_backlog', 'drop_bus_full', 'drop_handoff', 'drop_amplification',
         'drop_bad_source', 'drop_rate_limit', 'drop_too_big')


class Corpus:
    """Builds each class's frames: lists of (frame bytes, expected counter, want)."""

    def __init__(self, a):
        from scapy.all import Ether, IP, UDP, IPv6  # noqa: F401
        self.a = a
        self.sport = 40000

    # ---- helpers ---------------------------------------------------------
    def next_sport(self):
        self.sport += 1
        return self.sport

    def eth(self, **kw):
        from scapy.all import Ether
        return Ether(src=kw.get('src', self.a.my_mac), dst=kw.get('dst', self.a.tern_mac))

    def udp4(self, payload=b'hello', src=None, sport=None, ip_kw=None, eth_kw=None,
             udp_kw=None, dport=7):
        """A valid UDP/IPv4 request to ternd's port 7 (or dport), as bytes, and its sport."""
        from scapy.all import IP, UDP, Raw
        sport = sport or self.next_sport()
        pkt = (self.eth(**(eth_kw or {})) /
               IP(src=src or self.a.my_ip, dst=self.a.tern_ip, **(ip_kw or {})) /
               UDP(sport=sport, dport=dport, **(udp_kw or {})) / Raw(payload))
        return bytes(pkt), sport

    def udp6(self, payload=b'hello6', src=None, ext=None, sport=None):
        from scapy.all import IPv6, UDP, Raw
        sport = sport or self.next_sport()
        ip = IPv6(src=src or self.a.my_ip6, dst=self.a.tern_ip6)
        pkt = self.eth() / ip
        for e in ext or []:
            pkt = pkt / e
        pkt = pkt / UDP(sport=sport, dport=7) / Raw(payload)
        return bytes(pkt), sport

    @staticmethod
    def set16(b, off, v):
        b = bytearray(b)
        b[off:off + 2] = v.to_bytes(2, 'big')
        return bytes(b)

    @staticmethod
    def ip4_recksum(b, l3=14):
        """Recompute the IPv4 header checksum of frame b (IHL from the frame)."""
        b = bytearray(b)
        ihl = (b[l3] & 0xf) * 4
        b[l3 + 10:l3 + 12] = b'\0\0'
        hdr = bytes(b[l3:l3 + ihl]).ljust(ihl, b'\0')
        s = sum(int.from_bytes(hdr[i:i + 2], 'big') for i in range(0, len(hdr), 2))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
        b[l3 + 10:l3 + 12] = (~s & 0xffff).to_bytes(2, 'big')
        return bytes(b)

    def ans(self, frame, sport, payload, **checks):
        return (frame, 'tx', dict(sport=sport, payload=payload, **checks))

    def drop(self, frame, ctr, sport=None):
        return (frame, ctr, dict(sport=sport) if sport else None)

    # ---- classes ---------------------------------------------------------
    def c_valid(self):
        """Baseline: plain requests over IPv4 and IPv6 are echoed."""
        f, s = self.udp4(b'valid-v4')
        g, t = self.udp6(b'valid-v6')
        return [self.ans(f, s, b'valid-v4'), self.ans(g, t, b'valid-v6', v6=True)]

    def c_truncated(self):
        """The frame cut at and inside every header (Ethernet, VLAN, IPv4, UDP)."""
        from scapy.all import Dot1Q
        full, _ = self.udp4(b'truncated')
        out = [self.drop(full[:14], 'drop_malformed'),          # Ethernet only
               self.drop(full[:14 + 10], 'drop_malformed'),     # half an IPv4 header
               self.drop(full[:14 + 20], 'drop_malformed'),     # IPv4, no UDP
               self.drop(full[:14 + 24], 'drop_malformed'),     # half a UDP header
               self.drop(full[:14 + 28], 'drop_malformed'),     # UDP header, no payload
               self.drop(full[:-1], 'drop_malformed')]          # one payload byte short
        # IPv4 length made to match the cut: UDP header incomplete per the IP header.
        cut = self.ip4_recksum(self.set16(full[:14 + 24], 14 + 2, 24))
        out.append(self.drop(cut, 'drop_malformed'))
        from scapy.all import IP, UDP, Raw
        v = bytes(self.eth() / Dot1Q(vlan=5) / IP(src=self.a.my_ip, dst=self.a.tern_ip) /
                  UDP(sport=self.next_sport(), dport=7) / Raw(b'vlan-cut'))
        out += [self.drop(v[:16], 'drop_malformed'),            # half a VLAN tag
                self.drop(v[:18], 'drop_malformed'),            # tag, no IPv4
                self.drop(v[:18 + 20 + 4], 'drop_malformed')]   # tag, IPv4, half UDP
        return out

    def c_ihl(self):
        """IHL below 5, and IHL pointing beyond the frame (and the total length)."""
        out = []
        for ihl in (0, 4, 15):
            f, _ = self.udp4(b'ihl')
            f = bytearray(f)
            f[14] = 0x40 | ihl
            out.append(self.drop(self.ip4_recksum(bytes(f)), 'drop_malformed'))
        return out

    def c_ip_length(self):
        """IPv4 total length longer and shorter than the frame; Ethernet padding."""
        f, _ = self.udp4(b'iplen-long')
        long_ = self.ip4_recksum(self.set16(f, 16, len(f) - 14 + 10))
        g, _ = self.udp4(b'iplen-short')
        short = self.ip4_recksum(self.set16(g, 16, 20 + 8 + 2))  # cuts into the payload
        h, s = self.udp4(b'padded')
        padded = h + b'\xee' * 20  # trailing bytes beyond the IP length: padding
        return [self.drop(long_, 'drop_malformed'), self.drop(short, 'drop_malformed'),
                self.ans(padded, s, b'padded')]

    def c_udp_length(self):
        """UDP length beyond the IP payload, and below the 8-byte header."""
        f, _ = self.udp4(b'udplen-long', udp_kw=dict(len=8 + 11 + 4))
        g, _ = self.udp4(b'udplen-tiny', udp_kw=dict(len=4))
        return [self.drop(f, 'drop_malformed'), self.drop(g, 'drop_malformed')]

    def c_udp_empty(self):
        """A UDP datagram of length 8 (no payload) is valid: an empty echo."""
        f, s = self.udp4(b'')
        g, t = self.udp6(b'')
        return [self.ans(f, s, b''), self.ans(g, t, b'', v6=True)]

    def c_bad_ip_cksum(self):
        """A wrong IPv4 header checksum."""
        f, _ = self.udp4(b'badipck', ip_kw=dict(chksum=0x1234))
        return [self.drop(f, 'drop_bad_cksum')]

    def c_bad_udp_cksum(self):
        """A wrong UDP checksum (IPv4 and IPv6)."""
        from scapy.all import IPv6, UDP, Raw
        f, _ = self.udp4(b'badudpck', udp_kw=dict(chksum=0x4321))
        g = bytes(self.eth() / IPv6(src=self.a.my_ip6, dst=self.a.tern_ip6) /
                  UDP(sport=self.next_sport(), dport=7, chksum=0x4321) / Raw(b'badudpck6'))
        return [self.drop(f, 'drop_bad_cksum'), self.drop(g, 'drop_bad_cksum')]

    def c_ip_options(self):
        """Valid IPv4 options: answered, options not echoed."""
        from scapy.all import IPOption_NOP, IPOption_Router_Alert
        f, s = self.udp4(b'opts-nop', ip_kw=dict(options=[IPOption_NOP()] * 4))
        g, t = self.udp4(b'opts-ra', ip_kw=dict(options=[IPOption_Router_Alert()]))
        return [self.ans(f, s, b'opts-nop'), self.ans(g, t, b'opts-ra')]

    def c_fragments(self):
        """First, middle and last fragments; tern does not reassemble."""
        first, _ = self.udp4(b'frag-first', ip_kw=dict(flags='MF', frag=0))
        mid, _ = self.udp4(b'frag-middle', ip_kw=dict(flags='MF', frag=4))
        last, _ = self.udp4(b'frag-last', ip_kw=dict(frag=8))
        from scapy.all import IPv6ExtHdrFragment
        v6, _ = self.udp6(b'frag6', ext=[IPv6ExtHdrFragment(m=1, offset=0, id=7)])
        return [self.drop(first, 'drop_unsupported'), self.drop(mid, 'drop_unsupported'),
                self.drop(last, 'drop_unsupported'), self.drop(v6, 'drop_unsupported')]

    def c_ttl(self):
        """TTL 0 and 1 (hop limit 0/1): tern is the destination, not a router;
        RFC 1122 3.2.1.7 says a host must not discard a datagram for a low TTL,
        so both are answered, with a fresh TTL."""
        from scapy.all import IPv6, UDP, Raw
        f, s = self.udp4(b'ttl0', ip_kw=dict(ttl=0))
        g, t = self.udp4(b'ttl1', ip_kw=dict(ttl=1))
        u = self.next_sport()
        h = bytes(self.eth() / IPv6(src=self.a.my_ip6, dst=self.a.tern_ip6, hlim=0) /
                  UDP(sport=u, dport=7) / Raw(b'hlim0'))
        return [self.ans(f, s, b'ttl0', min_ttl=2), self.ans(g, t, b'ttl1', min_ttl=2),
                self.ans(h, u, b'hlim0', v6=True, min_ttl=2)]

    def c_vlan(self):
        """One and two VLAN tags are handled (the reply keeps them); three are
        not."""
        from scapy.all import Dot1Q, Dot1AD, IP, UDP, Raw
        out = []
        for tags, ctr in (([Dot1Q(vlan=10)], 'tx'),
                          ([Dot1AD(vlan=20), Dot1Q(vlan=21)], 'tx'),
                          ([Dot1AD(vlan=30), Dot1Q(vlan=31), Dot1Q(vlan=32)],
                           'drop_unsupported')):
            s = self.next_sport()
            pay = ('vlan%d' % len(tags)).encode()
            pkt = self.eth()
            for t in tags:
                pkt = pkt / t
            f = bytes(pkt / IP(src=self.a.my_ip, dst=self.a.tern_ip) /
                      UDP(sport=s, dport=7) / Raw(pay))
            if ctr == 'tx':
                out.append(self.ans(f, s, pay, vlans=[t.vlan for t in tags]))
            else:
                out.append(self.drop(f, ctr, s))
        return out

    def c_ipv6_ext(self):
        """IPv6 extension headers: skipped and stripped from the reply; a chain
        of nine, and headers cut short, are malformed."""
        from scapy.all import (IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                               IPv6ExtHdrRouting, PadN)
        out = []
        f, s = self.udp6(b'hbh', ext=[IPv6ExtHdrHopByHop()])
        out.append(self.ans(f, s, b'hbh', v6=True))
        f, s = self.udp6(b'dst-rt', ext=[IPv6ExtHdrDestOpt(options=[PadN(optdata=b'\0' * 12)]),
                                         IPv6ExtHdrRouting(addresses=[], segleft=0)])
        out.append(self.ans(f, s, b'dst-rt', v6=True))
        f, _ = self.udp6(b'nine', ext=[IPv6ExtHdrDestOpt() for _ in range(9)])
        out.append(self.drop(f, 'drop_malformed'))
        # A hop-by-hop header whose length runs past the payload length.
        f, _ = self.udp6(b'hbh-long', ext=[IPv6ExtHdrHopByHop()])
        f = bytearray(f)
        f[14 + 40 + 1] = 30
        out.append(self.drop(bytes(f), 'drop_malformed'))
        # Payload length claiming more than the frame holds.
        f, _ = self.udp6(b'plen-long', ext=[IPv6ExtHdrHopByHop()])
        out.append(self.drop(self.set16(f, 14 + 4, len(f) - 54 + 16), 'drop_malformed'))
        # The frame cut inside the extension header (payload length to match).
        f, _ = self.udp6(b'cut', ext=[IPv6ExtHdrDestOpt(options=[PadN(optdata=b'\0' * 12)])])
        out.append(self.drop(self.set16(f[:14 + 40 + 6], 14 + 4, 6), 'drop_malformed'))
        # The fixed header cut short.
        out.append(self.drop(f[:14 + 30], 'drop_malformed'))
        return out

    def c_jumbo(self):
        """Frames over the port's 1500-byte MTU: never answered (the reply
        would exceed the MTU too). The kernel may drop them at the veth or
        XDP before ternd sees them (rx unchanged); those ternd sees it must
        drop and count (any drop counter)."""
        mtu = int(open('/sys/class/net/%s/mtu' % self.a.iface).read())
        f, _ = self.udp4(b'J' * (1600 - 42))
        g, _ = self.udp4(b'K' * (max(mtu, 1600) - 28))  # as large as the link takes
        return [self.drop(f, 'drop_too_big'), self.drop(g, 'drop_too_big')]

    def c_runts(self):
        """A valid request in a 47-byte frame (no padding to 60: answered, tern
        goes by the IP length); frames shorter than an Ethernet header."""
        f, s = self.udp4(b'runt!')
        assert len(f) < 60
        out = [self.ans(f, s, b'runt!')]
        # Linux pads a frame shorter than an Ethernet header, sent by root on
        # a packet socket, to 14 bytes with zeros (dev_validate_header), so
        # ternd sees 14 bytes: ethertype 0 is unsupported, 0x0800 with no
        # IPv4 header malformed.
        for n in (1, 6, 13):
            padded = f[:n].ljust(14, b'\0')
            ctr = 'drop_malformed' if padded[12:14] == b'\x08\x00' else 'drop_unsupported'
            out.append(self.drop(f[:n], ctr))
        return out

    def c_src_mac_group(self):
        """A multicast or broadcast source MAC: no frame comes from a group."""
        out = []
        for mac in ('ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '33:33:00:00:00:01'):
            f, s = self.udp4(b'grp-src', eth_kw=dict(src=mac))
            out.append(self.drop(f, 'drop_malformed', s))
        return out

    def _bad_src4(self):
        net = ipaddress.ip_network(self.a.tern_ip + '/24', strict=False)
        return ['127.0.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1',
                str(net.broadcast_address), str(net.network_address), '240.0.0.1']

    def c_src_ip4_martian(self):
        """UDP to port 7 from a loopback, unspecified, broadcast, multicast,
        subnet-broadcast, subnet-network or class-E source: must not be
        answered (a reflection to a broadcast/multicast address)."""
        out = []
        for src in self._bad_src4():
            f, s = self.udp4(b'martian', src=src)
            out.append(self.drop(f, 'drop_bad_source', s))
        return out

    def c_spoofed_amplification(self):
        """Requests to UDP 17 (a responder answering with 4 datagrams, under
        the default 3x limit) from sources on no subnet of ternd's and not
        trusted, as a reflection attack spoofs them: nothing comes back, not
        even the datagrams within the limit (drop_amplification, tx 0)."""
        out = []
        for src in ('198.19.0.9', '203.0.113.7', '192.0.2.7', '198.18.10.3'):
            f, s = self.udp4(b'reflect-me', src=src, dport=17)
            out.append(self.drop(f, 'drop_amplification', s))
        return out

    def c_icmp_martian(self):
        """ICMP echo requests from a broadcast, multicast or loopback source:
        must not be answered (smurf reflection)."""
        from scapy.all import IP, ICMP, Raw
        out = []
        for src in ('255.255.255.255', '224.0.0.1', '127.0.0.1', '0.0.0.0'):
            f = bytes(self.eth() / IP(src=src, dst=self.a.tern_ip) /
                      ICMP(type=8, id=0x7e7e, seq=1) / Raw(b'smurf'))
            out.append(self.drop(f, 'drop_bad_source'))
        return out

    def c_src_ip6_martian(self):
        """UDP over IPv6 to port 7 from ::1, :: and a multicast source: must
        not be answered."""
        out = []
        for src in ('::1', '::', 'ff02::1'):
            f, s = self.udp6(b'martian6', src=src)
            out.append(self.drop(f, 'drop_bad_source', s))
        return out

    def c_mac_bcast_ucast_ip(self):
        """A unicast IP datagram to tern in a link-layer broadcast/multicast
        frame: RFC 1122 3.3.6, a host SHOULD silently discard it."""
        f, s = self.udp4(b'l2bcast', eth_kw=dict(dst='ff:ff:ff:ff:ff:ff'))
        g, t = self.udp4(b'l2mcast', eth_kw=dict(dst='01:00:5e:00:00:09'))
        return [self.drop(f, 'drop_not_for_us', s), self.drop(g, 'drop_not_for_us', t)]

    def c_arp(self):
        """ARP requests for other addresses, gratuitous ARP (request and
        reply), an unsolicited ARP reply: no answer."""
        from scapy.all import ARP, Ether
        bc = 'ff:ff:ff:ff:ff:ff'
        net = ipaddress.ip_network(self.a.tern_ip + '/24', strict=False)
        other = str(net.network_address + 77)

        def arp(op, psrc, pdst, dst=bc, hwdst='00:00:00:00:00:00'):
            return bytes(Ether(src=self.a.my_mac, dst=dst) /
                         ARP(op=op, hwsrc=self.a.my_mac, psrc=psrc, hwdst=hwdst, pdst=pdst))
        return [self.drop(arp(1, self.a.my_ip, other), 'drop_not_for_us'),
                self.drop(arp(1, self.a.my_ip, other, dst=self.a.tern_mac), 'drop_not_for_us'),
                self.drop(arp(1, self.a.my_ip, self.a.my_ip), 'drop_not_for_us'),
                self.drop(arp(2, self.a.my_ip, self.a.my_ip, hwdst=bc), 'drop_unsupported'),
                self.drop(arp(2, self.a.my_ip, self.a.tern_ip, dst=self.a.tern_mac,
                              hwdst=self.a.tern_mac), 'drop_unsupported')]

    def c_icmp_errors(self):
        """ICMP errors to tern (destination unreachable, time exceeded,
        redirect, parameter problem): never answered."""
        from scapy.all import IP, ICMP, UDP, Raw
        inner = bytes(IP(src=self.a.tern_ip, dst=self.a.my_ip) / UDP(sport=7, dport=40000) /
                      Raw(b'x' * 8))
        out = []
        for t, c in ((3, 3), (3, 1), (11, 0), (5, 1), (12, 0)):
            f = bytes(self.eth() / IP(src=self.a.my_ip, dst=self.a.tern_ip) /
                      ICMP(type=t, code=c) / Raw(inner))
            out.append(self.drop(f, 'drop_unsupported'))
        return out

    def c_other_mac(self):
        """Frames to another unicast MAC (tern's IP), and to tern's MAC for
        another or the subnet-broadcast IP."""
        net = ipaddress.ip_network(self.a.tern_ip + '/24', strict=False)
        from scapy.all import IP, UDP, Raw
        f, s = self.udp4(b'othermac', eth_kw=dict(dst='02:00:00:00:00:99'))
        out = [self.drop(f, 'drop_not_for_us', s)]
        for dst in (str(net.network_address + 99), str(net.broadcast_address)):
            u = self.next_sport()
            g = bytes(self.eth() / IP(src=self.a.my_ip, dst=dst) / UDP(sport=u, dport=7) /
                      Raw(b'otherip'))
            out.append(self.drop(g, 'drop_not_for_us', u))
        return out

    def c_no_handler(self):
        """UDP to a port no app is bound to."""
        from scapy.all import IP, UDP, Raw
        f = bytes(self.eth() / IP(src=self.a.my_ip, dst=self.a.tern_ip) /
                  UDP(sport=self.next_sport(), dport=9999) / Raw(b'nobody'))
        return [self.drop(f, 'drop_no_handler')]


def class_names():
    return [n[2:] for n in Corpus.__dict__ if n.startswith('c_')]


# ---- send: inside the namespace --------------------------------------------
def is_bad_dst(mac, ip):
    """A reply address tern must never send to (group MAC or martian IP)."""
    if int(mac.split(':')[0], 16) & 1:
        return 'group MAC ' + mac
    if ip is None:
        return None
    a = ipaddress.ip_address(ip)
    if a.is_multicast or a.is_loopback or a.is_unspecified or \
            (a.version == 4 and (a == ipaddress.ip_address('255.255.255.255') or a.is_reserved)):
        return 'martian IP ' + ip
    if a.version == 4 and ip.endswith('.255'):
        return 'subnet broadcast IP ' + ip
    return None


def check_reply(r, want, a, errors):
    """Check one reply (a scapy packet) against what its request wants."""
    from scapy.all import IP, IPv6, UDP, Dot1Q, Dot1AD, Raw
    v6 = want.get('v6', False)
    l3 = r.getlayer(IPv6 if v6 else IP)
    sp = want['sport']
    if r.dst.lower() != a.my_mac.lower():
        errors.append('sport %d: reply to MAC %s, want %s' % (sp, r.dst, a.my_mac))
    if l3 is None or not r.haslayer(UDP):
        errors.append('sport %d: reply is not UDP over IPv%d: %s' % (sp, 6 if v6 else 4,
                                                                  r.summary()))
        return
    my = a.my_ip6 if v6 else a.my_ip
    tern = a.tern_ip6 if v6 else a.tern_ip
    if l3.dst != my or l3.src != tern:
        errors.append('sport %d: reply %s -> %s, want %s -> %s' % (sp, l3.src, l3.dst, tern, my))
    u = r[UDP]
    pay = bytes(u.payload) if u.payload else b''
    if u.sport != 7 or u.dport != sp:
        errors.append('sport %d: reply ports %d -> %d' % (sp, u.sport, u.dport))
    if u.len != 8 + len(want['payload']) or pay[:u.len - 8] != want['payload']:
        errors.append('sport %d: echoed %r (UDP length %d), want %r' %
                      (sp, pay[:64], u.len, want['payload'][:64]))
    if not v6:
        if l3.ihl != 5 or l3.options:
            errors.append('sport %d: reply IHL %d: IPv4 options not stripped' % (sp, l3.ihl))
        if l3.len != 20 + u.len:
            errors.append('sport %d: reply IP length %d, want %d' % (sp, l3.len, 20 + u.len))
        ttl = l3.ttl
    else:
        if l3.nh != 17:
            errors.append('sport %d: reply next header %d: extension headers not stripped'
                          % (sp, l3.nh))
        ttl = l3.hlim
    if ttl < want.get('min_ttl', 1):
        errors.append('sport %d: reply TTL %d' % (sp, ttl))
    if 'vlans' in want:
        got = []
        layer = r.payload
        while isinstance(layer, (Dot1Q, Dot1AD)):
            got.append(layer.vlan)
            layer = layer.payload
        if got != want['vlans']:
            errors.append('sport %d: reply VLAN tags %s, want %s' % (sp, got, want['vlans']))


def cmd_serve(a):
    """Read class names on stdin, run each like send, one JSON line each."""
    corpus = Corpus(a)
    for line in sys.stdin:
        a.cls = line.strip()
        if a.cls not in class_names():
            print(json.dumps({'class': a.cls, 'error': 'no such class'}), flush=True)
            continue
        run_class(a, corpus)
        sys.stdout.flush()
    return 0


def cmd_send(a):
    return run_class(a, Corpus(a))


def run_class(a, corpus):
    from scapy.all import AsyncSniffer, Ether, IP, IPv6, UDP, ARP, conf, sendp
    conf.verb = 0
    frames = getattr(corpus, 'c_' + a.cls)()
    started = []
    sn = AsyncSniffer(iface=a.iface, store=True,
                      lfilter=lambda p: p.haslayer(Ether) and p[Ether].src.lower() ==
                      a.tern_mac.lower(),
                      started_callback=lambda: started.append(1))
    sn.start()
    for _ in range(100):
        if started:
            break
        time.sleep(0.01)
    time.sleep(0.05)
    for f, _, _ in frames:
        sendp(f, iface=a.iface, verbose=0)
    time.sleep(a.wait)
    replies = sn.stop() or []

    errors, gaps = [], []
    by_sport = {}
    for f, ctr, want in frames:
        if want and want.get('sport'):
            by_sport[want['sport']] = (ctr, want)
    answered = {}
    seen = []
    for r in replies:
        ip = r.getlayer(IP) or r.getlayer(IPv6)
        dst_ip = ip.dst if ip is not None else (r[ARP].pdst if r.haslayer(ARP) else None)
        seen.append(r.summary())
        bad = is_bad_dst(r.dst, dst_ip)
        if bad:
            gaps.append('reply to %s: %s' % (bad, r.summary()))
        sp = r[UDP].dport if r.haslayer(UDP) else None
        if sp in by_sport:
            ctr, want = by_sport[sp]
            answered[sp] = answered.get(sp, 0) + 1
            if ctr == 'tx':
                check_reply(r, want, a, errors)
            elif not bad:
                gaps.append('reply where none is due (sport %d): %s' % (sp, r.summary()))
        elif not bad:
            gaps.append('unexpected reply: %s' % r.summary())
    for sp, (ctr, want) in by_sport.items():
        if ctr == 'tx' and answered.get(sp, 0) != 1:
            errors.append('sport %d (%r): %d replies, want 1' %
                          (sp, want['payload'][:32], answered.get(sp, 0)))
    expect = {'rx': len(frames)}
    for _, ctr, _ in frames:
        expect[ctr] = expect.get(ctr, 0) + 1
    print(json.dumps({'class': a.cls, 'sent': len(frames), 'expect': expect,
                      'replies': seen, 'errors': errors, 'gaps': gaps,
                      'rx_may_be_zero': a.cls == 'jumbo'}))
    return 0


# ---- check: root namespace ---------------------------------------------------
def cmd_check(a):
    res = json.load(open(a.result))
    before = json.load(open(a.before))['total']
    after = json.load(open(a.after))['total']
    d = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    cls = res['class']
    fails, warns = [], []
    gapw = warns if a.known_gap else fails
    fails += res['errors']
    gapw += res['gaps']
    exp = res['expect']
    drops = {k: d.get(k, 0) for k in DROPS if d.get(k, 0)}
    if res.get('rx_may_be_zero') and d.get('rx', 0) < exp['rx']:
        print('hostile: note: %s: ternd saw %d of the %d frames (the kernel dropped the '
              'rest before ternd saw them: veth MTU or XDP frame size); those it saw must be dropped' %
              (cls, d.get('rx', 0), res['sent']))
        exp = {'rx': d.get('rx', 0), 'drop_any': d.get('rx', 0)}
    if a.lossy and d.get('rx', 0) < exp['rx']:
        # af_packet's fanout defragments (PACKET_FANOUT_FLAG_DEFRAG): the
        # kernel holds fragments and drops broken IPv4 headers before ternd.
        print('hostile: note: %s: ternd saw %d of the %d frames (af_packet: the kernel '
              'defragmenter kept the rest); those it saw must land as expected' %
              (cls, d.get('rx', 0), res['sent']))
        over = [k for k in DROPS if d.get(k, 0) > exp.get(k, 0)]
        if over or d.get('tx', 0) != exp.get('tx', 0) or \
                sum(d.get(k, 0) for k in DROPS) + d.get('tx', 0) != d.get('rx', 0):
            fails.append('counters %s do not fit %s' % (d, exp))
        exp = {k: d.get(k, 0) for k in exp if k != 'drop_any'}
    if d.get('rx', 0) != exp['rx']:
        fails.append('rx moved by %d, want %d (frames sent)' % (d.get('rx', 0), exp['rx']))
    want_tx = exp.get('tx', 0)
    if d.get('tx', 0) != want_tx:
        (gapw if d.get('tx', 0) > want_tx else fails).append(
            'tx moved by %d, want %d' % (d.get('tx', 0), want_tx))
    named = {k: v for k, v in exp.items() if k.startswith('drop_') and k != 'drop_any'}
    for k in DROPS:
        want = named.get(k, 0)
        got = d.get(k, 0)
        if 'drop_any' in exp:
            continue
        if got != want:
            fails.append('%s moved by %d, want %d' % (k, got, want))
    if 'drop_any' in exp:
        want = exp['drop_any'] + sum(named.values())
        if sum(drops.values()) != want:
            gapw.append('drop counters moved by %d in all (%s), want %d (no reply)' %
                        (sum(drops.values()), drops or 'none', want))
    tag = '%s (%d frames): tx+%d %s' % (cls, res['sent'], d.get('tx', 0),
                                        ' '.join('%s+%d' % kv for kv in drops.items()))
    for w in warns:
        print('hostile: WARN (known gap) %s: %s' % (cls, w))
    for f in fails:
        print('hostile: FAIL %s: %s' % (cls, f))
    if fails:
        for r in res['replies']:
            print('hostile:    reply seen: %s' % r)
        return 1
    print('hostile: ok   %s%s' % (tag, ' (known gap)' if warns else ''))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    sub.add_parser('list')
    for name in ('send', 'serve'):
        s = sub.add_parser(name)
        if name == 'send':
            s.add_argument('--class', dest='cls', required=True, choices=class_names())
        for o in ('iface', 'tern-mac', 'my-mac', 'tern-ip', 'my-ip', 'tern-ip6', 'my-ip6'):
            s.add_argument('--' + o, required=True)
        s.add_argument('--wait', type=float, default=0.5,
                       help='seconds to sniff after sending')
    c = sub.add_parser('check')
    for o in ('result', 'before', 'after'):
        c.add_argument('--' + o, required=True)
    c.add_argument('--known-gap', action='store_true')
    c.add_argument('--lossy', action='store_true',
                   help='the driver may lose frames of this class before ternd (af_packet)')
    a = ap.parse_args()
    if a.cmd == 'list':
        print('\n'.join(class_names()))
        return 0
    if a.cmd == 'send':
        return cmd_send(a)
    if a.cmd == 'serve':
        return cmd_serve(a)
    return cmd_check(a)


if __name__ == '__main__':
    sys.exit(main())
