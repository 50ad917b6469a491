#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Differential test: the kv app against the stock memcached, over UDP.

Sends the same request datagrams (memcached's 8-byte UDP frame header, then
text commands) to a reference memcached (--ref) and to the server under test
(--dut), and compares the replies byte for byte: the concatenated payloads of
all datagrams answering a request (memcached answers a multi-key get or a
multi-command datagram with one response per key or command, each in as
many datagrams as it needs; kv with one response), reassembled in sequence
order, with CAS uniques renamed CAS#1, CAS#2, ... in order of first
appearance on each side, and whether anything was sent at all. Each
datagram's frame header must echo the request id; the server under test
must send one response: datagrams with sequence 0 to n-1, each saying total
n, reserved 0 (an empty one: total 0). The client sockets ask for an 8 MB
receive buffer (SO_RCVBUFFORCE as root) so a 1 MB reply is not lost there.

Three parts: a fixed list of cases (every command, flags, expiry including
items that must vanish after 2 s, noreply, malformed requests), values of
2 KB, 64 KB and 1 MB built with set and appends of 1300 bytes and read back
(replies of 2 to about 720 datagrams), then a seeded random sequence over a
small key space (the seed is printed; rerun with --seed). Exit status 0 if
everything matched, 1 otherwise, 77 if the loopback mode cannot find
memcached.

  kv_diff.py --ref 198.18.0.2:11211 --dut 198.18.0.1:11211 [--workers 2]
  kv_diff.py --loopback build/apps/kv/kv_loopback   # starts both servers

--workers N: the server under test partitions keys over N workers; random
multi-command datagrams then write keys of a single worker only (kv refuses
the others by design, see docs/kv.md).
"""
import argparse
import difflib
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import sys
import time

MASK64 = (1 << 64) - 1
RCVBUF = 8 << 20           # client receive buffer: a 1 MB reply is ~750 datagrams
SO_RCVBUFFORCE = getattr(socket, 'SO_RCVBUFFORCE', 33)
BIG_SIZES = (2048, 65536, 1000000)  # memcached's item limit is 1 MB with its header
APPEND_CHUNK = 1300        # a request is one datagram: big values grow by appends


def kv_hash(key):
    """The kv app's key hash (apps/kv/kv_store.c): FNV-1a, then fmix64."""
    h = 0xcbf29ce484222325
    for b in key:
        h ^= b
        h = (h * 0x100000001b3) & MASK64
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & MASK64
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & MASK64
    h ^= h >> 33
    return h


def kv_owner(key, workers):
    return (kv_hash(key) >> 32) % workers


class Server:
    """One UDP server: sends a request, collects the datagrams answering it."""

    def __init__(self, name, addr, settle, none_wait):
        host, port = addr.rsplit(':', 1)
        self.name = name
        self.addr = (host, int(port))
        self.settle = settle
        self.none_wait = none_wait
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        self.sock.bind(('0.0.0.0', 0))
        self.cas_labels = {}   # raw CAS -> label
        self.cas_raw = {}      # label -> raw CAS
        self.last_cas = {}     # key -> raw CAS last seen

    def send(self, rid, payload, hdr=None):
        if hdr is None:
            hdr = struct.pack('>HHHH', rid, 0, 1, 0)
        self.sock.sendto(hdr + payload, self.addr)

    def done(self, got, last, started, now, expect_reply):
        """Whether the answer collected so far (got, last datagram at last) is
        complete: settle seconds passed with nothing more and it ends a line
        (0.3 s if it does not), or nothing came within the first wait (2 s, or
        none_wait if no answer is expected)."""
        if not got:
            return now - started >= (2.0 if expect_reply else self.none_wait)
        tail = b''.join(d[8:] for d in got)
        wait = self.settle if tail.endswith(b'\r\n') or not tail else 0.3
        return now - last >= wait

    def cas_label(self, raw, key):
        if raw not in self.cas_labels:
            label = 'CAS#%d' % (len(self.cas_labels) + 1)
            self.cas_labels[raw] = label
            self.cas_raw[label] = raw
        self.last_cas[key] = raw
        return self.cas_labels[raw]


def normalise(server, payload, squash=False):
    """The payload with CAS uniques of VALUE lines replaced by labels; with
    squash, spaces are taken out of values (and their lengths): memcached
    pads an incr/decr result with spaces in place only when no other thread
    holds the item at that moment (its LRU maintainer sometimes does), else
    it stores the bare number."""
    out = []
    pos = 0
    while pos < len(payload):
        end = payload.find(b'\r\n', pos)
        if end < 0:
            out.append(payload[pos:])
            break
        line = payload[pos:end]
        pos = end + 2
        toks = line.split(b' ')
        if toks[0] == b'VALUE' and len(toks) in (4, 5) and toks[3].isdigit():
            if len(toks) == 5 and toks[4].isdigit():
                toks[4] = server.cas_label(int(toks[4]), toks[1]).encode()
            n = int(toks[3])
            data = payload[pos:pos + n]
            pos += n + 2
            if squash:
                data = data.replace(b' ', b'')
                toks[3] = b'%d' % len(data)
            out.append(b' '.join(toks) + b'\r\n' + data + b'\r\n')
        else:
            out.append(line + b'\r\n')
    return b''.join(out)


def single_answer(payload):
    """True if memcached surely answers payload with one datagram: a single
    well-formed command line (and, for a storage command, its data block),
    with at most one key if it is a get. Anything else may take several."""
    end = payload.find(b'\n')
    if end < 0:
        return True
    line, rest = payload[:end].rstrip(b'\r'), payload[end + 1:]
    toks = line.split(b' ')
    if b'' in toks or b'\0' in line or b'\t' in line:
        return False
    if toks[0] in (b'get', b'gets', b'bget'):
        return not rest and len(toks) <= 2 and len(toks[-1]) <= 250
    if toks[0] in (b'gat', b'gats'):
        return not rest and len(toks) <= 3 and len(toks[-1]) <= 250
    if toks[0] in (b'set', b'add', b'replace', b'append', b'prepend', b'cas'):
        n = 6 if toks[0] == b'cas' else 5
        return (len(toks) in (n, n + 1) and all(t.isdigit() for t in toks[2:n]) and
                len(toks[1]) <= 250 and int(toks[4]) <= 65536 and
                rest == rest[:int(toks[4])] + b'\r\n' and len(rest) == int(toks[4]) + 2)
    return not rest


def total_of(d):
    """The total a datagram's frame header announces (at least 1)."""
    return max(1, struct.unpack('>H', d[4:6])[0]) if len(d) >= 8 else 1


def in_order(dgrams):
    """The datagrams of one response (all saying total n, sequences 0..n-1)
    in sequence order; anything else as it came."""
    n = len(dgrams)
    if n > 1 and all(len(d) >= 8 and total_of(d) == n for d in dgrams):
        seqs = sorted(struct.unpack('>H', d[2:4])[0] for d in dgrams)
        if seqs == list(range(n)):
            return sorted(dgrams, key=lambda d: struct.unpack('>H', d[2:4])[0])
    return dgrams


def collect_both(servers, expect_reply, single):
    """The datagrams answering the last request, from each server at once;
    with single, one response is the whole answer: complete when all the
    datagrams its first one announces are in."""
    started = time.monotonic()
    got = [[] for _ in servers]
    last = [started for _ in servers]
    while True:
        now = time.monotonic()
        pending = [i for i, srv in enumerate(servers)
                   if not (single and got[i] and len(got[i]) >= total_of(got[i][0])) and
                   not srv.done(got[i], last[i], started, now, expect_reply)]
        if not pending:
            return got
        ready, _, _ = select.select([servers[i].sock for i in pending], [], [], 0.001)
        for i in pending:
            if servers[i].sock in ready:
                d, _ = servers[i].sock.recvfrom(65536)
                got[i].append(d)
                last[i] = time.monotonic()


class Diff:
    def __init__(self, ref, dut, args):
        self.ref = ref
        self.dut = dut
        self.args = args
        self.rid = random.Random(args.seed).randrange(1, 30000)
        self.steps = 0
        self.mismatches = 0
        self.squash = False  # set for the random part (see normalise)

    def request(self, payload, expect_reply=True, hdr=None, what=''):
        """Send payload (bytes, or a function of the server giving bytes) to
        both servers and compare the answers."""
        self.rid = self.rid % 65535 + 1
        rid = self.rid
        for srv in (self.ref, self.dut):
            p = payload(srv) if callable(payload) else payload
            h = hdr(rid) if callable(hdr) else hdr
            srv.send(rid, p, h)
        p = payload(self.ref) if callable(payload) else payload
        answers = collect_both((self.ref, self.dut), expect_reply, single_answer(p))
        self.steps += 1
        if self.args.verbose:
            print('step %d: %r -> %r' % (self.steps, p, b''.join(x[8:] for x in answers[0])))
        self.compare(rid, p, answers, what)
        return answers

    def check_frames(self, dut):
        """Problems with the frame headers of the server under test's
        datagrams: one response, sequences 0..n-1, total n, reserved 0."""
        problems = []
        n = len(dut)
        seqs = []
        for d in dut:
            seq, total, res = struct.unpack('>HHH', d[2:8])
            want_total = n if len(d) > 8 or n > 1 else 0
            if total != want_total or res != 0 or seq >= max(n, 1):
                problems.append('%s frame header seq=%d total=%d reserved=%d (%d datagrams)' %
                                (self.dut.name, seq, total, res, n))
            seqs.append(seq)
        if sorted(seqs) != list(range(n)):
            problems.append('%s sequence numbers %s' % (self.dut.name, sorted(seqs)[:10]))
        if n > 1 and any(len(d) != 1400 for d in in_order(dut)[:-1]):
            problems.append('%s sent a datagram other than the last shorter than 1400 bytes'
                            % self.dut.name)
        return problems[:3]

    def compare(self, rid, payload, answers, what):
        ref, dut = answers
        problems = []
        for d in ref + dut:
            if len(d) < 8 or struct.unpack('>H', d[:2])[0] != rid:
                problems.append('datagram with a wrong request id: %r' % d[:16])
                break
        problems += self.check_frames(dut)
        a = normalise(self.ref, b''.join(d[8:] for d in in_order(ref)), self.squash)
        b = normalise(self.dut, b''.join(d[8:] for d in in_order(dut)), self.squash)
        if a != b:
            problems.append('replies differ')
        if bool(ref) != bool(dut):
            problems.append('%s %s, %s %s' % (
                self.ref.name, 'answered' if ref else 'sent nothing',
                self.dut.name, 'answered' if dut else 'sent nothing'))
        if problems:
            self.report(rid, payload, a, b, problems, what)

    def report(self, rid, payload, a, b, problems, what):
        self.mismatches += 1
        print('MISMATCH at step %d (request id %d)%s: %s' % (
            self.steps, rid, ' [%s]' % what if what else '', '; '.join(problems)))
        print('  request: %r' % payload[:300])
        ra = [repr(x[:200]) + ('... (%d bytes)' % len(x) if len(x) > 200 else '')
              for x in a.split(b'\r\n')]
        rb = [repr(x[:200]) + ('... (%d bytes)' % len(x) if len(x) > 200 else '')
              for x in b.split(b'\r\n')]
        for line in difflib.unified_diff(ra, rb, self.ref.name, self.dut.name, lineterm='', n=2):
            print('    ' + line)
        if self.mismatches >= self.args.max_mismatches:
            print('kv_diff: stopping after %d mismatches' % self.mismatches)
            self.finish()

    def finish(self):
        print('kv_diff: %d steps, %d mismatches (seed %d)' % (
            self.steps, self.mismatches, self.args.seed))
        sys.exit(1 if self.mismatches else 0)


def cas_of(key):
    """A payload function: the server's last CAS for key."""
    def f(srv):
        return srv.last_cas.get(key, 0)
    return f


def fixed_cases(d, args):
    """Every command and its odd corners, in memcached 1.6.18's words."""
    r = d.request
    k250 = b'k' * 250
    k251 = b'k' * 251
    r(b'flush_all\r\n', what='clean start')
    # storage commands, flags, sizes
    r(b'set a 0 0 3\r\nabc\r\n')
    r(b'get a\r\n')
    r(b'set a 5 0 3\r\nxyz\r\n')
    r(b'get a\r\n')
    r(b'set f 4294967295 0 1\r\nx\r\n')
    r(b'get f\r\n')
    r(b'set f 4294967296 0 1\r\nx\r\n', what='flags wrap to 0')
    r(b'get f\r\n')
    r(b'set f -0 0 1\r\nx\r\n')
    r(b'set f -1 0 1\r\nx\r\n', what='negative flags')
    r(b'set f +7 0 1\r\nx\r\n')
    r(b'get f\r\n')
    r(b'set f 5\t0 0 1\r\nx\r\n', what='tab after a number')
    r(b'set e0 0 0 0\r\n\r\n', what='empty value')
    r(b'get e0\r\n')
    r(b'set v 0 0 4294967299\r\nabc\r\n', what='length wraps to 3')
    r(b'get v\r\n')
    r(b'set ' + k250 + b' 1 0 2\r\nok\r\n', what='250-byte key')
    r(b'get ' + k250 + b'\r\n')
    r(b'set ' + k251 + b' 1 0 2\r\nok\r\n', what='251-byte key')
    r(b'set ' + k251 + b' 1 0 2 noreply\r\nok\r\n')
    r(b'get ' + k251 + b'\r\n')
    r(b'get a ' + k251 + b' a\r\n')
    r(b'add a 0 0 1\r\nq\r\n')
    r(b'add b 0 0 1\r\nq\r\n')
    r(b'replace c 0 0 1\r\nq\r\n')
    r(b'replace b 3 0 2\r\nqq\r\n')
    r(b'append b 9 0 2\r\nzz\r\n')
    r(b'prepend b 9 0 2\r\naa\r\n')
    r(b'append nokey 0 0 2\r\nzz\r\n')
    r(b'prepend nokey 0 0 2\r\nzz\r\n')
    r(b'gets b\r\n')
    r(b'get a b c\r\n', what='multi-key get')
    r(b'gets a b nokey b\r\n')
    r(b'get ' + b' '.join(b'm%d' % i for i in range(40)) + b' a\r\n', what='over 23 tokens')
    r(b'get' + b' a' * 22 + b'\r\n')
    # cas
    r(b'gets a\r\n')
    r(lambda s: b'cas a 1 0 3 %d\r\nnew\r\n' % cas_of(b'a')(s), what='cas with the right unique')
    r(lambda s: b'cas a 1 0 3 %d\r\nold\r\n' % cas_of(b'a')(s), what='cas with a stale unique')
    r(b'gets a\r\n')
    r(b'cas a 1 0 3 0\r\nnew\r\n')
    r(b'cas nokey 1 0 3 1\r\nnew\r\n')
    r(b'cas a 1 0 3\r\nnew\r\n')
    r(b'cas a 1 0 3 abc\r\nnew\r\n')
    r(b'cas a 1 0 3 -1\r\nnew\r\n')
    # incr / decr
    r(b'set n 0 0 2\r\n10\r\n')
    r(b'incr n 5\r\n')
    r(b'gets n\r\n')
    r(b'incr n 18446744073709551615\r\n', what='wraps')
    r(b'decr n 100\r\n', what='floors at 0')
    r(b'get n\r\n', what='padded in place')
    r(b'incr n 1000\r\n', what='grows')
    r(b'get n\r\n')
    r(b'incr n -1\r\n')
    r(b'incr n 1x\r\n')
    r(b'incr n 18446744073709551616\r\n')
    r(b'incr n -18446744073709551615\r\n', what='strtoull wraps the minus')
    r(b'incr nokey 1\r\n')
    r(b'incr n\r\n')
    r(b'incr n 1 foo\r\n')
    r(b'incr ' + k251 + b' 1\r\n')
    r(b'incr a 1\r\n', what='non-numeric')
    # (not 2**63 or more: memcached then looks for a '-' past the value, in
    # whatever memory follows it)
    for v in (b' 12', b'12 ', b'0012', b'-5', b'', b'9223372036854775806',
              b'18446744073709551616', b'1\r\n', b'+3', b'12ab', b'\t9'):
        r(b'set s 3 0 %d\r\n%s\r\n' % (len(v), v))
        r(b'incr s 1\r\n', what='incr on %r' % v)
        r(b'decr s 2\r\n')
        r(b'gets s\r\n')
    # delete / touch
    r(b'delete n\r\n')
    r(b'delete n\r\n')
    r(b'delete a 0\r\n')
    r(b'delete a 1\r\n')
    r(b'delete a 0 0\r\n')
    r(b'delete a noreply 0\r\n')
    r(b'delete\r\n')
    r(b'delete a b c d\r\n')
    r(b'delete ' + k251 + b'\r\n')
    r(b'set t 0 0 1\r\nt\r\n')
    r(b'touch t 100\r\n')
    r(b'touch nokey 100\r\n')
    r(b'touch t abc\r\n')
    r(b'touch t\r\n')
    r(b'touch ' + k251 + b' 1\r\n')
    r(b'gat 100 t nokey\r\n')
    r(b'gats 100 t\r\n')
    r(b'gat abc t\r\n')
    r(b'gat 100\r\n')
    # noreply: nothing comes back; the effect shows on the next get
    r(b'set q 0 0 1 noreply\r\nx\r\n', expect_reply=False)
    r(b'get q\r\n')
    r(b'add q 0 0 1 noreply\r\ny\r\n', expect_reply=False)
    r(b'append q 0 0 1 noreply\r\ny\r\n', expect_reply=False)
    r(b'incr q 1 noreply\r\n', expect_reply=False)
    r(b'touch q 100 noreply\r\n', expect_reply=False)
    r(b'delete q noreply\r\n', expect_reply=False)
    r(b'get q\r\n')
    r(b'set q 0 0 noreply\r\nabc\r\n', what='noreply where the length goes')
    r(b'set q 0 0 1 noreply\r\nx\r\ndelete q 5\r\n')
    r(b'set q 0 0 1 noreply\r\nx\r\nincr q 1 noreply\r\nget q\r\n')
    # expiry: negative, absolute past and future, > 30 days, int32 wrap
    now = int(time.time())
    for e in (b'-1', b'%d' % (now - 100), b'%d' % (now + 1000), b'2592000', b'2592001',
              b'4294967296', b'2147483648', b'1000000000', b'4000000000'):
        r(b'set x 0 %s 1\r\nx\r\n' % e)
        r(b'get x\r\n', what='exptime %s' % e.decode())
    r(b'set x 0 -1 1\r\nx\r\n')
    r(b'add x 0 0 1\r\ny\r\n', what='add over an expired item')
    r(b'set x 0 -1 1\r\nx\r\n')
    r(b'replace x 0 0 1\r\ny\r\n', what='replace of an expired item')
    r(b'set x 0 0 1\r\nx\r\n')
    r(b'touch x -1\r\n')
    r(b'get x\r\n', what='touched to the past')
    # framing: line ends, NULs, whitespace, data chunks
    r(b'set w 0 0 3\nabc\r\n', what='bare \\n line end')
    r(b'get w\n')
    r(b'\r\n')
    r(b'\n')
    r(b'   \r\n')
    r(b'x\r\n')
    r(b'get w\0zz\r\n', what='NUL ends the command')
    r(b'set w\0x 0 0 1\r\nx\r\n')
    r(b'  set w  0  0  2 \r\nhi\r\n')
    r(b'get w\r\n')
    r(b'set w 0 0 3\r\nabcd\r\n', what='bad data chunk')
    r(b'set w 0 0 3\r\nab\r\n\r\n')
    r(b'get w\r\n')
    r(b'set w 0 0 3 xx\r\nabc\r\n')
    r(b'set w 0 0\r\nabc\r\n')
    r(b'set w 0 0 -1\r\nabc\r\n')
    r(b'set w 0 0 3x\r\nabc\r\n')
    r(b'set w 0 0 3 noreply extra\r\nabc\r\n')
    r(b'SET w 0 0 1\r\nx\r\n')
    r(b'set a 0 0 1\r\nx\r\nset b 0 0 1\r\ny\r\nget a b\r\n', what='several commands')
    r(b'get a', expect_reply=False, what='no line end')
    r(b'get a\r\nget', what='a partial last line')
    r(b'version\r\nget a ' + k251 + b'\r\n', what='a bad get culls what was not sent')
    r(b'get ' + k251 + b'\r\nget ' + k251 + b'\r\n')
    # other commands
    r(b'version\r\n')
    r(b'version x\0y\r\n')
    r(b'verbosity 1\r\n')
    r(b'verbosity\r\n')
    r(b'verbosity x\r\n')
    r(b'verbosity 1 noreply\r\n', expect_reply=False)
    r(b'verbosity noreply\r\n', expect_reply=False)
    r(b'mn\r\n')
    r(b'shutdown\r\n')
    r(b'quit\r\n', what='quit sends an empty datagram')
    r(b'version\r\nquit\r\nversion\r\n')
    r(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n', expect_reply=False, what='HTTP closes')
    r(b'xyzzy\r\n')
    r(b'g\r\n')
    r(b'get\r\n')
    r(b'incr\r\n')
    r(b'flush_all abc\r\n')
    r(b'flush_all 0 1 2\r\n')
    r(b'flush_all 0 xyz\r\n')
    r(b'flush_all noreply\r\n', expect_reply=False)
    r(b'get a b\r\n', what='after flush_all')
    r(b'set a 0 0 1\r\nx\r\nflush_all\r\nset b 0 0 1\r\ny\r\n')
    r(b'get a b\r\n', what='set after flush_all in one datagram')
    r(b'flush_all -5\r\n')
    # frames memcached drops
    r(b'get a\r\n', expect_reply=False, hdr=lambda rid: struct.pack('>HHHH', rid, 0, 2, 0),
      what='total 2')
    r(b'', expect_reply=False, what='header only')
    r(b'get a\r\n', hdr=lambda rid: struct.pack('>HHHH', rid, 3, 1, 7), what='seq and reserved')
    expiry_cases(d)


def expiry_cases(d):
    """Items that must vanish: set them, see them, wait, see them gone.

    memcached counts whole seconds of a clock ticking once a second, and
    its idea of the wall clock is floor(wall at start) + floor(monotonic
    at the last tick) - floor(monotonic at start): up to 1 s ahead of the
    real wall clock and up to 3 s behind. So a relative exptime of 2 ends
    1 to 3 s later, an absolute time T between T - 1 s and T + 3 s, a
    delayed flush_all 2 within 0 to 2 s. kv is exact. The absolute time
    is the next whole second + 2 (2 to 3 s away), so nothing can have
    ended at the first check (0.5 s), and everything has at the last
    (6.2 s); never a check in between."""
    r = d.request
    then = int(time.time()) + 3
    r(b'set e1 0 2 1\r\n1\r\n')
    r(b'set e2 0 %d 1\r\n2\r\n' % then)
    r(b'set e3 0 100 1\r\n3\r\n')
    r(b'touch e3 2\r\n')
    r(b'set e4 0 100 1\r\n4\r\n')
    r(b'gat 2 e4\r\n')
    r(b'set e5 0 0 1\r\n5\r\n')
    r(b'set e6 0 100 1\r\n6\r\n')
    r(b'get e1 e2 e3 e4 e5 e6\r\n', what='before expiry')
    time.sleep(0.5)
    r(b'get e1 e2 e3 e4 e5 e6\r\n', what='0.5 s later')
    r(b'flush_all 2\r\n', what='delayed flush')
    time.sleep(5.7)
    r(b'get e1 e2 e3 e4 e5 e6\r\n', what='after expiry and the delayed flush')
    r(b'set e7 0 0 1\r\n7\r\n')
    r(b'get e7\r\n', what='stored after the delayed flush')


def big_value(size):
    """A value of size bytes that shows where a piece went missing."""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += b'<%08d>' % i
        i += 1
    return bytes(out[:size])


def big_cases(d):
    """Values of 2 KB, 64 KB and 1 MB: built with set and appends of
    APPEND_CHUNK bytes (requests are single datagrams), read back with get,
    gets and a multi-key get: replies of several datagrams, reassembled."""
    r = d.request
    for size in BIG_SIZES:
        key = b'big%d' % size
        v = big_value(size)
        r(b'set %s 5 0 %d\r\n%s\r\n' % (key, APPEND_CHUNK, v[:APPEND_CHUNK]))
        for off in range(APPEND_CHUNK, size, APPEND_CHUNK):
            piece = v[off:off + APPEND_CHUNK]
            r(b'append %s 0 0 %d\r\n%s\r\n' % (key, len(piece), piece),
              what='building a %d-byte value' % size)
        r(b'get %s\r\n' % key, what='a %d-byte value' % size)
        r(b'gets %s\r\n' % key, what='a %d-byte value' % size)
    r(b'get big2048 nokey big65536\r\n', what='multi-key get of big values')
    r(b'set big2048 0 0 3\r\nabc\r\n', what='a big value replaced by a small one')
    r(b'get big2048\r\n')
    for size in BIG_SIZES:
        r(b'delete big%d\r\n' % size)


class Model:
    """What the random generator needs to know: keys and their owners."""

    def __init__(self, rnd, workers):
        self.rnd = rnd
        self.workers = workers
        self.keys = [b'k%d' % i for i in range(10)] + [b'n1', b'n2', b'L' * 250]

    def key(self):
        return self.rnd.choice(self.keys)

    def same_owner_keys(self, n):
        k0 = self.key()
        want = kv_owner(k0, self.workers)
        ks = [k for k in self.keys if kv_owner(k, self.workers) == want]
        return [k0] + [self.rnd.choice(ks) for _ in range(n - 1)]


def rand_value(rnd):
    c = rnd.random()
    if c < 0.35:
        # below 2**62: incr keeps them under 2**63, where memcached's
        # minus-sign check reads past the value (see docs/kv.md)
        return b'%d' % rnd.choice([0, 1, 9, 42, 99, 100, 1000, 2 ** 32, 2 ** 62,
                                   rnd.randrange(10 ** 6)])
    if c < 0.4:
        return b''
    n = rnd.randrange(1, 64)
    return bytes(rnd.choice(b'abcdefghij0123456789-_\t') for _ in range(n))


def rand_exptime(rnd):
    return rnd.choice([b'0'] * 8 + [b'100', b'-1', b'2592000', b'%d' % (time.time() + 500)])


def rand_flags(rnd):
    return rnd.choice([b'0', b'0', b'1', b'65535', b'4294967295'])


def rand_storage(rnd, key, noreply=False):
    op = rnd.choice([b'set', b'set', b'set', b'add', b'replace', b'append', b'prepend'])
    v = rand_value(rnd)
    nr = b' noreply' if noreply else b''
    return b'%s %s %s %s %d%s\r\n%s\r\n' % (op, key, rand_flags(rnd), rand_exptime(rnd),
                                            len(v), nr, v)


def rand_simple(rnd, key, noreply=False):
    nr = b' noreply' if noreply else b''
    c = rnd.random()
    if c < 0.5:
        return rand_storage(rnd, key, noreply)
    if c < 0.7:
        op = rnd.choice([b'incr', b'decr'])
        deltas = [b'1', b'5', b'100', b'x', b'-1']
        if op == b'decr':
            deltas.append(b'18446744073709551615')
        delta = rnd.choice(deltas)
        return b'%s %s %s%s\r\n' % (op, key, delta, nr)
    if c < 0.85:
        return b'delete %s%s\r\n' % (key, nr)
    return b'touch %s %s%s\r\n' % (key, rand_exptime(rnd), nr)


def random_step(d, m, rnd):
    """One random request; the mix keeps every reply comparable."""
    c = rnd.random()
    if c < 0.25:
        keys = [m.key() for _ in range(rnd.choice([1, 1, 1, 2, 3]))]
        op = rnd.choice([b'get', b'gets'])
        d.request(b'%s %s\r\n' % (op, b' '.join(keys)))
    elif c < 0.3:
        keys = m.same_owner_keys(rnd.choice([1, 2]))
        op = rnd.choice([b'gat', b'gats'])
        d.request(b'%s %s %s\r\n' % (op, rand_exptime(rnd), b' '.join(keys)))
    elif c < 0.38:
        key = m.key()
        good = rnd.random() < 0.7
        v = rand_value(rnd)

        def p(srv, key=key, good=good, v=v):
            cas = srv.last_cas.get(key, 0) if good else 99999999999
            return b'cas %s 0 0 %d %d\r\n%s\r\n' % (key, len(v), cas, v)
        d.request(p, what='cas')
    elif c < 0.48:
        # noreply writes (one owner), then mn: the MN answer marks the end
        keys = m.same_owner_keys(rnd.choice([1, 2, 3]))
        d.request(b''.join(rand_simple(rnd, k, noreply=True) for k in keys) + b'mn\r\n',
                  what='noreply batch')
    elif c < 0.5:
        d.request(rand_simple(rnd, m.key(), noreply=True), expect_reply=False,
                  what='noreply alone')
    elif c < 0.53:
        d.request(rnd.choice([b'bogus\r\n', b'set k1 0 0 x\r\nabc\r\n', b'incr k1\r\n',
                              b'get ' + b'z' * 251 + b'\r\n', b'set k1 0 0 2\r\nabc\r\n',
                              b'delete k1 1\r\n', b'touch k1 x\r\n', b'version\r\n']),
                  what='malformed')
    elif c < 0.54:
        d.request(b'flush_all\r\n')
    else:
        d.request(rand_simple(rnd, m.key()))


def random_cases(d, args):
    rnd = random.Random(args.seed)
    m = Model(rnd, args.workers)
    d.squash = True
    print('kv_diff: random sequence: %d operations, seed %d, %d keys, %d worker(s)' % (
        args.ops, args.seed, len(m.keys), args.workers))
    for _ in range(args.ops):
        random_step(d, m, rnd)
    # every key, at the end
    d.request(b'gets ' + b' '.join(m.keys) + b'\r\n', what='final state')


def run(args):
    ref = Server('memcached', args.ref, args.settle, args.none_wait)
    dut = Server('kv', args.dut, args.settle, args.none_wait)
    d = Diff(ref, dut, args)
    print('kv_diff: %s (memcached) vs %s (kv)' % (args.ref, args.dut))
    if args.part in ('all', 'fixed'):
        fixed_cases(d, args)
        print('kv_diff: fixed cases: %d steps, %d mismatches' % (d.steps, d.mismatches))
    if args.part in ('all', 'big'):
        steps = d.steps
        big_cases(d)
        print('kv_diff: big values (%s bytes): %d steps, %d mismatches' % (
            ', '.join(str(n) for n in BIG_SIZES), d.steps - steps, d.mismatches))
    if args.part in ('all', 'random'):
        d.request(b'flush_all\r\n', what='clean start')
        random_cases(d, args)
    d.finish()


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_udp(addr):
    """Until the server answers "version"."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    for _ in range(50):
        s.sendto(struct.pack('>HHHH', 1, 0, 1, 0) + b'version\r\n', addr)
        try:
            s.recvfrom(65536)
            return True
        except socket.timeout:
            pass
    return False


def loopback(args):
    """Start memcached and kv_loopback on 127.0.0.1, run every part against
    each worker count in --loopback-workers."""
    mc = shutil.which('memcached')
    if mc is None:
        print('kv_diff: SKIP: memcached is not installed (apt-get install memcached)')
        return 77
    procs = []
    rc = 0
    try:
        mport = free_udp_port()
        cmd = [mc, '-U', str(mport), '-p', '0', '-l', '127.0.0.1']
        if os.geteuid() == 0:
            cmd += ['-u', 'root']
        procs.append(subprocess.Popen(cmd))
        if not wait_udp(('127.0.0.1', mport)):
            print('kv_diff: memcached did not answer')
            return 1
        for workers in args.loopback_workers:
            kport = free_udp_port()
            p = subprocess.Popen([args.loopback, '--port', str(kport), '--workers',
                                  str(workers), '--version', '1.6.18', '--memory-mb', '256'],
                                 stdout=subprocess.DEVNULL)
            procs.append(p)
            if not wait_udp(('127.0.0.1', kport)):
                print('kv_diff: kv_loopback did not answer')
                return 1
            sub = argparse.Namespace(**vars(args))
            sub.ref = '127.0.0.1:%d' % mport
            sub.dut = '127.0.0.1:%d' % kport
            sub.workers = workers
            print('kv_diff: loopback, kv with %d partition(s)' % workers)
            try:
                run(sub)
            except SystemExit as e:
                rc = rc or e.code
    finally:
        for p in procs:
            p.terminate()
            p.wait()
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--ref', help='memcached HOST:PORT')
    ap.add_argument('--dut', help='kv HOST:PORT')
    ap.add_argument('--loopback', metavar='KV_LOOPBACK',
                    help='start memcached and this kv_loopback on 127.0.0.1')
    ap.add_argument('--loopback-workers', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--workers', type=int, default=1,
                    help='workers of the server under test (default 1)')
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--ops', type=int, default=2000, help='random operations')
    ap.add_argument('--part', choices=['all', 'fixed', 'big', 'random'], default='all')
    ap.add_argument('--settle', type=float, default=0.05,
                    help='seconds without another datagram that end an answer of '
                    'several datagrams')
    ap.add_argument('--none-wait', type=float, default=0.15,
                    help='seconds to wait where no answer is expected')
    ap.add_argument('--max-mismatches', type=int, default=20)
    ap.add_argument('--verbose', action='store_true', help='print every step')
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 2 ** 31)
    if args.loopback:
        return loopback(args)
    if not args.ref or not args.dut:
        ap.error('give --ref and --dut, or --loopback')
    run(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
