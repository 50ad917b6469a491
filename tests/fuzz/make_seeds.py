#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed inputs of tests/fuzz/fuzz_pipeline.c into a directory
(default: tests/fuzz/seeds next to this script).

Each seed is one flag byte (FZ_* in fuzz_pipeline.c) and a frame, or with
FZ_SPLIT a burst of frames each preceded by a 2-byte big-endian length.
Frames are sent to 00:00:00:00:00:00 with FZ_DST_MAC set, so the target puts
tern's MAC there; addresses are the ones fuzz_pipeline gives tern
(198.18.0.1/24, 2001:db8::1/64); the peer is 198.18.0.2 / 2001:db8::2.
The kv seeds (memcached UDP on 11211) and the multi-flow bursts are for
FUZZ_WORKERS=2, where kv is loaded and flows are steered over two workers;
with one worker they reach a closed port, which is fuzzed too.

usage: make_seeds.py [OUT_DIR]   (Debian's python3 with python3-scapy)
"""
import os
import struct
import sys

from scapy.layers.inet import ICMP, IP, UDP, IPOption_NOP
from scapy.layers.inet6 import (ICMPv6EchoRequest, ICMPv6ND_NS,
                                ICMPv6NDOptSrcLLAddr, IPv6,
                                IPv6ExtHdrHopByHop)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether

FZ_DST_MAC, FZ_DST_IP, FZ_CKSUM, FZ_SPLIT = 0x01, 0x02, 0x04, 0x08
TO_TERN = FZ_DST_MAC | FZ_DST_IP | FZ_CKSUM

PEER_MAC = "02:00:00:00:00:02"
ANY_MAC = "00:00:00:00:00:00"
PEER4, TERN4 = "198.18.0.2", "198.18.0.1"
PEER6, TERN6 = "2001:db8::2", "2001:db8::1"
ECHO, FIXED, AMP, SOCKPERF, KV = 7, 8, 20, 11111, 11211


def eth(dst=ANY_MAC, t=None):
    e = Ether(src=PEER_MAC, dst=dst)
    if t is not None:
        e.type = t
    return e


def sockperf_msg(seq, flags, data=b""):
    return struct.pack(">QHI", seq, flags, 14 + len(data)) + data


def kv_msg(req_id, text):
    """memcached's UDP frame header (id, sequence 0, 1 datagram) and text."""
    return struct.pack(">HHHH", req_id, 0, 1, 0) + text


def kv4(sport, req_id, text):
    return bytes(eth() / IP(src=PEER4, dst=TERN4) / UDP(sport=sport, dport=KV)
                 / kv_msg(req_id, text))


def kv_frames():
    """(name, flags, frame bytes) for the kv seeds."""
    yield "kv_get", TO_TERN, kv4(41000, 1, b"get k\r\n")
    yield "kv_set", TO_TERN, kv4(41001, 2, b"set k 0 0 1\r\nx\r\n")
    # Keys on both workers (whichever they hash to, some of 16 do).
    keys = b" ".join(b"key%d" % i for i in range(16))
    yield "kv_multiget", TO_TERN, kv4(41002, 3, b"get " + keys + b"\r\n")
    yield "kv_gets6", TO_TERN, bytes(
        eth() / IPv6(src=PEER6, dst=TERN6) / UDP(sport=41003, dport=KV)
        / kv_msg(4, b"gets k key1 key2\r\n"))
    yield "kv_incr", TO_TERN, kv4(41004, 5, b"incr n 1\r\n")


def burst(frames_):
    """FZ_SPLIT payload: each frame with its 2-byte big-endian length."""
    return b"".join(struct.pack(">H", len(f)) + f for f in frames_)


def bursts():
    """(name, flags, payload) for the multi-frame seeds of two workers."""
    # Eight flows (source ports), so both workers get frames, and an ARP
    # request (not IP: stays on the receiving worker) in the middle.
    flows = [bytes(eth() / IP(src=PEER4, dst=TERN4) / UDP(sport=40000 + i, dport=ECHO)
                   / (b"flow %d" % i)) for i in range(8)]
    flows.insert(4, bytes(eth("ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=PEER_MAC, psrc=PEER4, hwdst=ANY_MAC, pdst=TERN4)))
    flows += [bytes(eth() / IPv6(src=PEER6, dst=TERN6) / UDP(sport=40100 + i, dport=ECHO)
                    / (b"six %d" % i)) for i in range(4)]
    yield "burst_flows", TO_TERN | FZ_SPLIT, burst(flows)
    # Sets, gets and a multi-key get from several flows: hand-offs both ways,
    # more requests than kv's budget of 3 per iteration, replies through
    # worker 0's TX queue.
    kv = []
    for i in range(8):
        kv.append(kv4(42000 + i, 100 + i, b"set key%d 0 0 2\r\nv%d\r\n" % (i, i)))
    for i in range(8):
        kv.append(kv4(42010 + i, 200 + i, b"get key%d\r\n" % i))
    kv.append(kv4(42020, 300, b"get " + b" ".join(b"key%d" % i for i in range(8)) + b"\r\n"))
    kv.append(kv4(42021, 301, b"delete key3\r\n"))
    yield "burst_kv", TO_TERN | FZ_SPLIT, burst(kv)
    # A full event ring (31 events with two workers): 32 frames of one flow
    # steered to worker 1 (source port 40000: found by running it); then 29
    # of them and 3 gets that worker 0 (kv flow from 40002) hands off to
    # worker 1 (kv's budget is 3): the third hand-off is refused.
    one = bytes(eth() / IP(src=PEER4, dst=TERN4) / UDP(sport=40000, dport=ECHO) / b"full")
    yield "burst_ring_full", TO_TERN | FZ_SPLIT, burst([one] * 32)
    yield "burst_handoff_full", TO_TERN | FZ_SPLIT, burst(
        [one] * 29 + [kv4(40002, 400, b"get k\r\n")] * 3)


def frames():
    """(name, flags, frame bytes) for every single-frame seed."""
    u4 = eth() / IP(src=PEER4, dst=TERN4, ttl=9) / UDP(sport=40000, dport=ECHO)
    yield "udp4_echo", TO_TERN, bytes(u4 / b"hello tern")
    yield "udp4_fixed", TO_TERN, bytes(
        eth() / IP(src=PEER4, dst=TERN4) / UDP(sport=40000, dport=FIXED) / b"x")
    yield "udp4_amp", TO_TERN, bytes(
        eth() / IP(src=PEER4, dst=TERN4) / UDP(sport=40000, dport=AMP) / b"y")
    yield "udp4_sockperf", TO_TERN, bytes(
        eth() / IP(src=PEER4, dst=TERN4) / UDP(sport=40000, dport=SOCKPERF)
        / sockperf_msg(1, 0x0003, b"0123456789"))
    yield "udp4_options", TO_TERN, bytes(
        eth() / IP(src=PEER4, dst=TERN4, options=[IPOption_NOP()] * 8)
        / UDP(sport=40000, dport=ECHO) / b"opts")
    yield "udp4_padded", TO_TERN, bytes(
        eth() / IP(src=PEER4, dst=TERN4) / UDP(sport=40000, dport=ECHO) / b"p") + bytes(20)
    yield "udp4_nocksum", FZ_DST_MAC | FZ_DST_IP, bytes(
        eth() / IP(src=PEER4, dst=TERN4) / UDP(sport=40000, dport=ECHO, chksum=0) / b"z")
    yield "udp4_closed_port", TO_TERN, bytes(
        eth() / IP(src=PEER4, dst=TERN4) / UDP(sport=40000, dport=9999) / b"q")
    yield "udp6_echo", TO_TERN, bytes(
        eth() / IPv6(src=PEER6, dst=TERN6, hlim=9) / UDP(sport=40001, dport=ECHO)
        / b"hello six")
    yield "udp6_hbh", TO_TERN, bytes(
        eth() / IPv6(src=PEER6, dst=TERN6) / IPv6ExtHdrHopByHop()
        / UDP(sport=40001, dport=ECHO) / b"hbh")
    yield "udp6_sockperf", TO_TERN, bytes(
        eth() / IPv6(src=PEER6, dst=TERN6) / UDP(sport=40001, dport=SOCKPERF)
        / sockperf_msg(2, 0x0003))
    yield "vlan_udp4", TO_TERN, bytes(
        eth() / Dot1Q(vlan=42) / IP(src=PEER4, dst=TERN4) / UDP(sport=40000, dport=ECHO)
        / b"vlan")
    yield "qinq_udp6", TO_TERN, bytes(
        eth() / Dot1AD(vlan=7) / Dot1Q(vlan=42) / IPv6(src=PEER6, dst=TERN6)
        / UDP(sport=40001, dport=ECHO) / b"qinq")
    yield "arp_request", 0, bytes(
        eth("ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER4,
                                       hwdst=ANY_MAC, pdst=TERN4))
    yield "vlan_arp", 0, bytes(
        eth("ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=42)
        / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER4, pdst=TERN4))
    yield "icmp4_echo", TO_TERN, bytes(
        eth() / IP(src=PEER4, dst=TERN4) / ICMP(type=8, id=1, seq=1) / b"ping")
    yield "icmp6_echo", TO_TERN, bytes(
        eth() / IPv6(src=PEER6, dst=TERN6) / ICMPv6EchoRequest(id=1, seq=1) / b"ping6")
    # Neighbour solicitation to tern's solicited-node multicast group.
    yield "ndp_ns", 0, bytes(
        eth("33:33:ff:00:00:01") / IPv6(src=PEER6, dst="ff02::1:ff00:1", hlim=255)
        / ICMPv6ND_NS(tgt=TERN6) / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC))
    yield "tcp4", TO_TERN, bytes(
        eth() / IP(src=PEER4, dst=TERN4, proto=6) / (b"\x00" * 20))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "seeds")
    os.makedirs(out, exist_ok=True)
    burst = b""
    for name, flags, frame in frames():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([flags]) + frame)
        if flags == TO_TERN:
            # The fixed-size app's budget is 2: three of them defer one.
            for _ in range(3 if name == "udp4_fixed" else 1):
                burst += struct.pack(">H", len(frame)) + frame
    # One burst of every frame that needs steering to tern: several apps,
    # and more fixed-size requests than that app's budget per iteration.
    with open(os.path.join(out, "burst_mixed"), "wb") as f:
        f.write(bytes([TO_TERN | FZ_SPLIT]) + burst)
    for name, flags, frame in kv_frames():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([flags]) + frame)
    for name, flags, payload in bursts():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([flags]) + payload)


if __name__ == "__main__":
    main()
