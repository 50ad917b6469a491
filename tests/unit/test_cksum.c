/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for cksum.c: known answers, round trips, single-bit errors, the
 * UDP 0 -> 0xffff rule, odd lengths and the zero-checksum rules.
 *
 * The packets below were generated once with scapy 2.5 (Debian python3-scapy,
 * run with /usr/bin/python3) and the bytes pasted here, checksums included:
 *   IP(src="198.18.0.1", dst="198.18.0.2", id=0x1234, ttl=64) /
 *       UDP(sport=40000, dport=7) / Raw(b"hello tern!")
 *   IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=64) /
 *       UDP(sport=40000, dport=7) / Raw(b"hello tern, v6")
 *   IP(src="198.18.0.1", dst="198.18.0.2", id=1) /
 *       ICMP(type=8, id=0x42, seq=1) / Raw(b"abc")
 *   IPv6(src="2001:db8::1", dst="2001:db8::2") /
 *       ICMPv6EchoRequest(id=7, seq=9, data=b"ping")
 * and the two UDP messages whose checksum computes to 0 by choosing the
 * 2-byte payload equal to the checksum of the same message with payload 0
 * (scapy then writes 0xffff):
 *   IP(...as above...)   / UDP(sport=1000, dport=2000) / Raw(b"\x67\xfa")
 *   IPv6(...as above...) / UDP(sport=1000, dport=2000) / Raw(b"\x98\xad")
 * scapy was only used to produce these constants; the test does not need it.
 */
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#include "check.h"
#include "cksum.h"

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ICMPV6	58
#define UDP_CKSUM_OFF	6
#define ICMP_CKSUM_OFF	2
#define IPV4_CKSUM_OFF	10

/* The textbook example: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7 */
static const uint8_t classic_ipv4[20] = {
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
};

/* IPv4 (header checksum 0xdc6a) / UDP (checksum 0x8b92), 19-byte UDP. */
static const uint8_t v4_udp[39] = {
	0x45, 0x00, 0x00, 0x27, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11,
	0xdc, 0x6a, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
	0x9c, 0x40, 0x00, 0x07, 0x00, 0x13, 0x8b, 0x92, 0x68, 0x65,
	0x6c, 0x6c, 0x6f, 0x20, 0x74, 0x65, 0x72, 0x6e, 0x21,
};

/* IPv6 / UDP (checksum 0x3ae9), 22-byte UDP. */
static const uint8_t v6_udp[62] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x16, 0x11, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x9c, 0x40, 0x00, 0x07, 0x00, 0x16, 0x3a, 0xe9, 0x68, 0x65,
	0x6c, 0x6c, 0x6f, 0x20, 0x74, 0x65, 0x72, 0x6e, 0x2c, 0x20,
	0x76, 0x36,
};

/* IPv4 / ICMP echo request (checksum 0x335a), 11-byte ICMP. */
static const uint8_t v4_icmp[31] = {
	0x45, 0x00, 0x00, 0x1f, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01,
	0xee, 0xb5, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
	0x08, 0x00, 0x33, 0x5a, 0x00, 0x42, 0x00, 0x01, 0x61, 0x62,
	0x63,
};

/* IPv6 / ICMPv6 echo request (checksum 0x4563), 12-byte ICMPv6. */
static const uint8_t v6_icmp[52] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x3a, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x80, 0x00, 0x45, 0x63, 0x00, 0x07, 0x00, 0x09, 0x70, 0x69,
	0x6e, 0x67,
};

/* UDP messages whose checksum computes to 0, so it is sent as 0xffff. */
static const uint8_t v4_udp_zero[10] = {
	0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0a, 0xff, 0xff, 0x67, 0xfa,
};
static const uint8_t v6_udp_zero[10] = {
	0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0a, 0xff, 0xff, 0x98, 0xad,
};

static const uint8_t v4_src[4] = { 198, 18, 0, 1 };
static const uint8_t v4_dst[4] = { 198, 18, 0, 2 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* The stored field as a big-endian number, for comparing with constants. */
static uint16_t
field_be(uint16_t stored)
{
	return rte_be_to_cpu_16(stored);
}

static uint16_t
load(const uint8_t *b, size_t off)
{
	uint16_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static void
store(uint8_t *b, size_t off, uint16_t v)
{
	memcpy(b + off, &v, sizeof(v));
}

/*
 * Reference implementation, independent of rte_raw_cksum: big-endian words
 * summed byte by byte, pseudo-header laid out in memory as the RFCs draw it.
 */
static uint32_t
ref_sum(const uint8_t *b, size_t len, uint32_t sum)
{
	for (size_t i = 0; i < len; i++)
		sum += (i & 1) ? b[i] : (uint32_t)b[i] << 8;
	return sum;
}

static uint16_t
ref_l4(const uint8_t *src, const uint8_t *dst, size_t alen, uint8_t proto,
       const uint8_t *l4, uint16_t len)
{
	uint8_t ph[40] = { 0 };
	size_t phlen;
	uint32_t sum;

	memcpy(ph, src, alen);
	memcpy(ph + alen, dst, alen);
	if (alen == 4) {
		ph[9] = proto;
		ph[10] = len >> 8;
		ph[11] = len & 0xff;
		phlen = 12;
	} else {
		ph[34] = len >> 8;
		ph[35] = len & 0xff;
		ph[39] = proto;
		phlen = 40;
	}
	sum = (alen == 4 && proto == PROTO_ICMP) ? 0 : ref_sum(ph, phlen, 0);
	sum = ref_sum(l4, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (sum == 0 && proto == PROTO_UDP)
		sum = 0xffff;
	return (uint16_t)sum;	/* big-endian number */
}

/* Reference IPv4 header checksum of a header whose field is zero. */
static uint16_t
ref_hdr(const uint8_t *h, size_t len)
{
	uint8_t z[60];
	uint32_t sum;

	memcpy(z, h, len);
	z[IPV4_CKSUM_OFF] = 0;
	z[IPV4_CKSUM_OFF + 1] = 0;
	sum = ref_sum(z, len, 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)(~sum & 0xffff);
}

static void
test_ipv4_header(void)
{
	uint8_t h[20];
	uint8_t opt[24];

	memcpy(h, classic_ipv4, sizeof(h));
	CHECK(tern_cksum_ipv4_hdr_ok(h, sizeof(h)));
	store(h, IPV4_CKSUM_OFF, 0);
	CHECK(!tern_cksum_ipv4_hdr_ok(h, sizeof(h)));
	CHECK_EQ(field_be(tern_cksum_ipv4_hdr(h, sizeof(h))), 0xb861);
	store(h, IPV4_CKSUM_OFF, tern_cksum_ipv4_hdr(h, sizeof(h)));
	CHECK(memcmp(h, classic_ipv4, sizeof(h)) == 0);

	memcpy(h, v4_udp, sizeof(h));
	CHECK(tern_cksum_ipv4_hdr_ok(h, sizeof(h)));
	store(h, IPV4_CKSUM_OFF, 0);
	CHECK_EQ(field_be(tern_cksum_ipv4_hdr(h, sizeof(h))), 0xdc6a);

	/* Every single-bit error is caught. */
	memcpy(h, classic_ipv4, sizeof(h));
	for (unsigned int bit = 0; bit < sizeof(h) * 8; bit++) {
		h[bit / 8] ^= 1u << (bit % 8);
		CHECK(!tern_cksum_ipv4_hdr_ok(h, sizeof(h)));
		h[bit / 8] ^= 1u << (bit % 8);
	}
	CHECK(tern_cksum_ipv4_hdr_ok(h, sizeof(h)));

	/* With options (IHL 6): round trip. */
	memcpy(opt, classic_ipv4, sizeof(classic_ipv4));
	opt[0] = 0x46;
	memcpy(opt + 20, "\x94\x04\x00\x00", 4);	/* router alert */
	store(opt, IPV4_CKSUM_OFF, 0);
	store(opt, IPV4_CKSUM_OFF, tern_cksum_ipv4_hdr(opt, sizeof(opt)));
	CHECK(tern_cksum_ipv4_hdr_ok(opt, sizeof(opt)));
	CHECK_EQ(field_be(load(opt, IPV4_CKSUM_OFF)), ref_hdr(opt, sizeof(opt)));
}

/* Known answer, round trip and every single-bit error for one L4 message. */
static void
check_l4(const char *name, int v6, uint8_t proto, const uint8_t *pkt,
	 size_t l3_len, size_t pkt_len, size_t ck_off, uint16_t want_be)
{
	uint8_t m[64];
	uint16_t len = pkt_len - l3_len;
	const uint8_t *s = v6 ? v6_src : v4_src, *d = v6 ? v6_dst : v4_dst;
	bool (*ok)(const uint8_t *, const uint8_t *, uint8_t, const void *,
		   uint16_t) = v6 ? tern_cksum_l4_v6_ok : tern_cksum_l4_v4_ok;
	uint16_t (*calc)(const uint8_t *, const uint8_t *, uint8_t,
			 const void *, uint16_t) =
		v6 ? tern_cksum_l4_v6 : tern_cksum_l4_v4;
	unsigned int before = check_failed;

	memcpy(m, pkt + l3_len, len);
	CHECK(ok(s, d, proto, m, len));
	store(m, ck_off, 0);
	CHECK_EQ(field_be(calc(s, d, proto, m, len)), want_be);
	CHECK_EQ(ref_l4(s, d, v6 ? 16 : 4, proto, m, len), want_be);
	store(m, ck_off, calc(s, d, proto, m, len));
	CHECK(memcmp(m, pkt + l3_len, len) == 0);
	for (unsigned int bit = 0; bit < len * 8u; bit++) {
		m[bit / 8] ^= 1u << (bit % 8);
		CHECK(!ok(s, d, proto, m, len));
		m[bit / 8] ^= 1u << (bit % 8);
	}
	/* The pseudo-header counts (except for ICMP over IPv4). */
	if (!(proto == PROTO_ICMP && !v6)) {
		uint8_t s2[16];

		memcpy(s2, s, v6 ? 16 : 4);
		s2[1] ^= 0x01;
		CHECK(!ok(s2, d, proto, m, len));
		CHECK(!ok(s, d, proto ^ 0x40, m, len));
	}
	CHECK(ok(s, d, proto, m, len));
	if (check_failed != before)
		fprintf(stderr, "  ... in case '%s'\n", name);
}

static void
test_known_answers(void)
{
	check_l4("udp/ipv4, odd length", 0, PROTO_UDP, v4_udp, 20,
		 sizeof(v4_udp), UDP_CKSUM_OFF, 0x8b92);
	check_l4("udp/ipv6", 1, PROTO_UDP, v6_udp, 40, sizeof(v6_udp),
		 UDP_CKSUM_OFF, 0x3ae9);
	check_l4("icmp/ipv4, odd length", 0, PROTO_ICMP, v4_icmp, 20,
		 sizeof(v4_icmp), ICMP_CKSUM_OFF, 0x335a);
	check_l4("icmpv6/ipv6", 1, PROTO_ICMPV6, v6_icmp, 40,
		 sizeof(v6_icmp), ICMP_CKSUM_OFF, 0x4563);
}

static void
test_udp_zero_rule(void)
{
	uint8_t m[10];

	/* A computed 0 is sent as 0xffff, over IPv4 and IPv6. */
	memcpy(m, v4_udp_zero, sizeof(m));
	CHECK(tern_cksum_l4_v4_ok(v4_src, v4_dst, PROTO_UDP, m, sizeof(m)));
	store(m, UDP_CKSUM_OFF, 0);
	CHECK_EQ(tern_cksum_l4_v4(v4_src, v4_dst, PROTO_UDP, m, sizeof(m)),
		 0xffff);
	memcpy(m, v6_udp_zero, sizeof(m));
	CHECK(tern_cksum_l4_v6_ok(v6_src, v6_dst, PROTO_UDP, m, sizeof(m)));
	store(m, UDP_CKSUM_OFF, 0);
	CHECK_EQ(tern_cksum_l4_v6(v6_src, v6_dst, PROTO_UDP, m, sizeof(m)),
		 0xffff);

	/* The rule is UDP's: a TCP or ICMPv6 message made to sum to 0 (last
	 * word set to the checksum it has with that word 0) keeps its 0. */
	memcpy(m, v4_udp_zero, sizeof(m));
	store(m, UDP_CKSUM_OFF, 0);
	store(m, 8, 0);
	store(m, 8, tern_cksum_l4_v4(v4_src, v4_dst, PROTO_TCP, m, sizeof(m)));
	CHECK_EQ(ref_l4(v4_src, v4_dst, 4, PROTO_TCP, m, sizeof(m)), 0);
	CHECK_EQ(tern_cksum_l4_v4(v4_src, v4_dst, PROTO_TCP, m, sizeof(m)), 0);
	store(m, 8, 0);
	store(m, 8, tern_cksum_l4_v6(v6_src, v6_dst, PROTO_ICMPV6, m,
				     sizeof(m)));
	CHECK_EQ(tern_cksum_l4_v6(v6_src, v6_dst, PROTO_ICMPV6, m, sizeof(m)),
		 0);
}

static void
test_zero_checksum(void)
{
	uint8_t m[sizeof(v4_udp) - 20];
	uint8_t m6[sizeof(v6_udp) - 40];

	/* IPv4: stored 0 means "no checksum", whatever the data. */
	memcpy(m, v4_udp + 20, sizeof(m));
	store(m, UDP_CKSUM_OFF, 0);
	CHECK(tern_cksum_l4_v4_ok(v4_src, v4_dst, PROTO_UDP, m, sizeof(m)));
	m[10] ^= 0x55;
	CHECK(tern_cksum_l4_v4_ok(v4_src, v4_dst, PROTO_UDP, m, sizeof(m)));
	/* ... for UDP only. */
	CHECK(!tern_cksum_l4_v4_ok(v4_src, v4_dst, PROTO_TCP, m, sizeof(m)));
	memcpy(m, v4_icmp + 20, sizeof(v4_icmp) - 20);
	store(m, ICMP_CKSUM_OFF, 0);
	CHECK(!tern_cksum_l4_v4_ok(v4_src, v4_dst, PROTO_ICMP, m,
				   sizeof(v4_icmp) - 20));

	/* IPv6: stored 0 is invalid, even for the message whose sum is 0. */
	memcpy(m6, v6_udp + 40, sizeof(m6));
	store(m6, UDP_CKSUM_OFF, 0);
	CHECK(!tern_cksum_l4_v6_ok(v6_src, v6_dst, PROTO_UDP, m6, sizeof(m6)));
	memcpy(m6, v6_udp_zero, sizeof(v6_udp_zero));
	store(m6, UDP_CKSUM_OFF, 0);
	CHECK(!tern_cksum_l4_v6_ok(v6_src, v6_dst, PROTO_UDP, m6,
				   sizeof(v6_udp_zero)));
}

/* Every length 9..300 (odd ones included), both families, against the
 * reference; then round trip and a flipped last byte. */
static void
test_lengths(void)
{
	static const uint8_t protos[] = { PROTO_UDP, PROTO_TCP, PROTO_ICMP,
					  PROTO_ICMPV6 };
	uint8_t m[301];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(m); i++) {
		x = x * 1103515245u + 12345u;
		m[i] = x >> 16;
	}
	for (uint16_t len = 9; len < sizeof(m); len++) {
		for (size_t k = 0; k < sizeof(protos); k++) {
			uint8_t proto = protos[k];
			uint16_t c4, c6;

			store(m, UDP_CKSUM_OFF, 0);
			c4 = tern_cksum_l4_v4(v4_src, v4_dst, proto, m, len);
			CHECK_EQ(field_be(c4),
				 ref_l4(v4_src, v4_dst, 4, proto, m, len));
			c6 = tern_cksum_l4_v6(v6_src, v6_dst, proto, m, len);
			CHECK_EQ(field_be(c6),
				 ref_l4(v6_src, v6_dst, 16, proto, m, len));
			store(m, UDP_CKSUM_OFF, c4);
			CHECK(tern_cksum_l4_v4_ok(v4_src, v4_dst, proto, m, len));
			m[len - 1] ^= 0x80;
			CHECK(!tern_cksum_l4_v4_ok(v4_src, v4_dst, proto, m, len));
			m[len - 1] ^= 0x80;
			store(m, UDP_CKSUM_OFF, c6);
			CHECK(tern_cksum_l4_v6_ok(v6_src, v6_dst, proto, m, len));
			m[len - 1] ^= 0x01;
			CHECK(!tern_cksum_l4_v6_ok(v6_src, v6_dst, proto, m, len));
			m[len - 1] ^= 0x01;
		}
	}
}

/* The fast path's inline IPv4 UDP check (addresses as one 8-byte field)
 * agrees with tern_cksum_l4_v4_ok at every length and address pair, and
 * catches a flipped bit in either address, the length or the data. */
static void
test_udp4_inline(void)
{
	uint8_t addrs[8], m[301];
	uint32_t x = 777;

	for (size_t i = 0; i < sizeof(m); i++) {
		x = x * 1103515245u + 12345u;
		m[i] = x >> 16;
	}
	for (uint16_t len = 8; len < sizeof(m); len++) {
		for (size_t i = 0; i < sizeof(addrs); i++) {
			x = x * 1103515245u + 12345u;
			addrs[i] = x >> 16;
		}
		store(m, UDP_CKSUM_OFF, 0);
		CHECK(tern_cksum_udp4_ok(addrs, m, len)); /* no checksum */
		store(m, UDP_CKSUM_OFF, tern_cksum_l4_v4(addrs, addrs + 4, PROTO_UDP, m, len));
		CHECK(tern_cksum_udp4_ok(addrs, m, len));
		CHECK(tern_cksum_l4_v4_ok(addrs, addrs + 4, PROTO_UDP, m, len));
		addrs[len % 8] ^= 0x10;
		CHECK(!tern_cksum_udp4_ok(addrs, m, len));
		addrs[len % 8] ^= 0x10;
		if (len > 8)
			CHECK(!tern_cksum_udp4_ok(addrs, m, len - 1)); /* length summed */
		m[len - 1] ^= 0x04;
		CHECK(!tern_cksum_udp4_ok(addrs, m, len));
		m[len - 1] ^= 0x04;
	}
}

int
main(void)
{
	test_ipv4_header();
	test_known_answers();
	test_udp_zero_rule();
	test_zero_checksum();
	test_lengths();
	test_udp4_inline();
	return check_done("test_cksum");
}
