/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for tern_parse(): frames are built by hand with the small
 * builders below. Every valid frame is also parsed at every prefix length
 * from a heap buffer of exactly that size, so a read past the prefix is
 * caught by the bounds checks here and by ASan when it is enabled.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parse.h"

#define ETH_LEN		14
#define VLAN_LEN	4
#define IPV4_LEN	20
#define IPV6_LEN	40
#define UDP_LEN		8
#define ARP_LEN		28
#define MIN_FRAME	60	/* Ethernet minimum without FCS */

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_FRAG6	44
#define PROTO_ICMPV6	58
#define PROTO_NONE6	59
#define PROTO_HOPOPT	0
#define PROTO_ROUTING	43
#define PROTO_DSTOPTS	60

struct frame {
	uint8_t b[2048];
	uint32_t len;
};

/* --- builders: append big-endian fields ---------------------------------- */

static void
put8(struct frame *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static void
put_fill(struct frame *f, uint8_t v, uint32_t n)
{
	memset(f->b + f->len, v, n);
	f->len += n;
}

static void
set16(struct frame *f, uint32_t off, uint16_t v)
{
	f->b[off] = v >> 8;
	f->b[off + 1] = v & 0xff;
}

static void
pad_to(struct frame *f, uint32_t len)
{
	if (f->len < len)
		put_fill(f, 0, len - f->len);
}

static void
eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01,
	};

	f->len = 0;
	memcpy(f->b, macs, sizeof(macs));
	f->len = sizeof(macs);
	put16(f, type);
}

static void
vlan(struct frame *f, uint16_t tci, uint16_t type)
{
	put16(f, tci);
	put16(f, type);
}

/* IPv4 header with opt_words 4-byte NOP options; total length = header +
 * l4_len. Returns the header's offset. */
static uint32_t
ipv4(struct frame *f, uint8_t opt_words, uint16_t frag, uint8_t proto,
     uint16_t l4_len)
{
	uint32_t off = f->len;
	uint8_t ihl = 5 + opt_words;

	put8(f, 0x40 | ihl);
	put8(f, 0);
	put16(f, ihl * 4 + l4_len);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put16(f, 0xc612); put16(f, 0x0001);	/* 198.18.0.1 */
	put16(f, 0xc612); put16(f, 0x0002);	/* 198.18.0.2 */
	put_fill(f, 1, opt_words * 4u);
	return off;
}

static uint32_t
ipv6(struct frame *f, uint8_t nh, uint16_t payload_len)
{
	uint32_t off = f->len;

	put16(f, 0x6000);
	put16(f, 0);
	put16(f, payload_len);
	put8(f, nh);
	put8(f, 64);
	put16(f, 0x2001); put16(f, 0x0db8); put_fill(f, 0, 10); put16(f, 1);
	put16(f, 0x2001); put16(f, 0x0db8); put_fill(f, 0, 10); put16(f, 2);
	return off;
}

/* Extension header of (ext_len + 1) * 8 bytes, padded with Pad1 options. */
static void
ext6(struct frame *f, uint8_t nh, uint8_t ext_len)
{
	put8(f, nh);
	put8(f, ext_len);
	put_fill(f, 0, (ext_len + 1u) * 8 - 2);
}

static void
udp(struct frame *f, uint16_t dgram_len, uint16_t payload_bytes)
{
	put16(f, 40000);
	put16(f, 7);
	put16(f, dgram_len);
	put16(f, 0);
	put_fill(f, 0xab, payload_bytes);
}

/* Ethernet/IPv4 (opt_words of options)/UDP with n payload bytes. */
static void
v4_udp(struct frame *f, uint8_t opt_words, uint16_t n)
{
	eth(f, 0x0800);
	ipv4(f, opt_words, 0, PROTO_UDP, UDP_LEN + n);
	udp(f, UDP_LEN + n, n);
}

static void
v6_udp(struct frame *f, uint16_t n)
{
	eth(f, 0x86dd);
	ipv6(f, PROTO_UDP, UDP_LEN + n);
	udp(f, UDP_LEN + n, n);
}

static void
arp(struct frame *f, uint16_t htype, uint16_t ptype, uint8_t hlen, uint8_t plen)
{
	eth(f, 0x0806);
	put16(f, htype);
	put16(f, ptype);
	put8(f, hlen);
	put8(f, plen);
	put16(f, 1);				/* request */
	put_fill(f, 0x02, 6);			/* sender MAC */
	put16(f, 0xc612); put16(f, 0x0001);
	put_fill(f, 0, 6);			/* target MAC */
	put16(f, 0xc612); put16(f, 0x0002);
}

/* --- checks --------------------------------------------------------------- */

/* Parse from a heap copy of exactly f->len bytes, so that ASan (when
 * enabled) sees any read past the end of the frame. */
static enum tern_parse_result
parse(const struct frame *f, struct tern_parsed *p)
{
	uint8_t *buf = malloc(f->len ? f->len : 1);
	enum tern_parse_result r;

	if (buf == NULL) {
		perror("malloc");
		exit(1);
	}
	memcpy(buf, f->b, f->len);
	r = tern_parse(buf, f->len, p);
	free(buf);
	return r;
}

/* Compare every field with the expectation; name the case on failure. */
static void
expect_fields(const char *name, const struct tern_parsed *p,
	      const struct tern_parsed *e)
{
	unsigned int before = check_failed;

	CHECK_EQ(p->l3_off, e->l3_off);
	CHECK_EQ(p->l4_off, e->l4_off);
	CHECK_EQ(p->l4_len, e->l4_len);
	CHECK_EQ(p->payload_off, e->payload_off);
	CHECK_EQ(p->payload_len, e->payload_len);
	CHECK_EQ(p->ethertype, e->ethertype);
	CHECK_EQ(p->l3, e->l3);
	CHECK_EQ(p->l4, e->l4);
	CHECK_EQ(p->l4_proto, e->l4_proto);
	CHECK_EQ(p->n_vlan, e->n_vlan);
	if (check_failed != before)
		fprintf(stderr, "  ... in case '%s'\n", name);
}

static void
expect_result(const char *name, const struct frame *f,
	      enum tern_parse_result want)
{
	struct tern_parsed p;
	enum tern_parse_result r = parse(f, &p);

	CHECK_EQ(r, want);
	if (r != want)
		fprintf(stderr, "  ... in case '%s'\n", name);
}

static void
expect_ok(const char *name, const struct frame *f, const struct tern_parsed *e)
{
	struct tern_parsed p;

	expect_result(name, f, TERN_PARSE_OK);
	parse(f, &p);
	expect_fields(name, &p, e);
}

/* A successful parse must describe only bytes that are present. */
static void
check_in_bounds(const struct tern_parsed *p, uint32_t n)
{
	CHECK(p->l3_off <= n);
	CHECK((uint32_t)p->l4_off + p->l4_len <= n);
	CHECK((uint32_t)p->payload_off + p->payload_len <= n);
	if (p->l4 == TERN_L4_UDP) {
		CHECK(p->payload_off >= p->l4_off + UDP_LEN);
		CHECK((uint32_t)p->payload_off + p->payload_len <=
		      (uint32_t)p->l4_off + p->l4_len);
	}
}

/*
 * Parse every prefix 0..len-1 from a heap buffer of exactly that size.
 * Prefixes shorter than min_len must be MALFORMED; longer ones (Ethernet
 * padding cut off) must give the full frame's result, and, when that is OK,
 * the full frame's fields.
 */
static void
check_prefixes(const char *name, const struct frame *f, uint32_t min_len)
{
	struct tern_parsed full, p;
	enum tern_parse_result want = parse(f, &full);
	unsigned int before = check_failed;
	uint32_t n;

	for (n = 0; n < f->len; n++) {
		uint8_t *buf = malloc(n ? n : 1);
		enum tern_parse_result r;

		CHECK(buf != NULL);
		if (buf == NULL)
			return;
		memcpy(buf, f->b, n);
		r = tern_parse(buf, n, &p);
		free(buf);
		if (r == TERN_PARSE_OK)
			check_in_bounds(&p, n);
		if (n < min_len) {
			CHECK_EQ(r, TERN_PARSE_MALFORMED);
			continue;
		}
		CHECK_EQ(r, want);
		if (r == TERN_PARSE_OK && want == TERN_PARSE_OK)
			expect_fields(name, &p, &full);
	}
	if (check_failed != before)
		fprintf(stderr, "  ... in prefixes of '%s' (min %u)\n", name,
			min_len);
}

/* A valid frame: exact fields, then every truncation. */
static void
expect_ok_all(const char *name, const struct frame *f,
	      const struct tern_parsed *e, uint32_t min_len)
{
	struct tern_parsed p;

	expect_ok(name, f, e);
	if (parse(f, &p) == TERN_PARSE_OK)
		check_in_bounds(&p, f->len);
	check_prefixes(name, f, min_len);
}

/* --- valid frames --------------------------------------------------------- */

static void
test_ipv4_udp(void)
{
	struct frame f;

	v4_udp(&f, 0, 10);
	CHECK_EQ(f.len, 52);
	expect_ok_all("ipv4/udp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 34, .l4_len = 18,
		.payload_off = 42, .payload_len = 10, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);

	v4_udp(&f, 2, 10);
	expect_ok_all("ipv4 options/udp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 42, .l4_len = 18,
		.payload_off = 50, .payload_len = 10, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);

	v4_udp(&f, 10, 3);	/* IHL 15: 40 bytes of options */
	expect_ok_all("ipv4 max options/udp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 74, .l4_len = 11,
		.payload_off = 82, .payload_len = 3, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);

	/* Don't-fragment is not a fragment. */
	eth(&f, 0x0800);
	ipv4(&f, 0, 0x4000, PROTO_UDP, UDP_LEN + 1);
	udp(&f, UDP_LEN + 1, 1);
	expect_ok_all("ipv4 DF/udp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 34, .l4_len = 9,
		.payload_off = 42, .payload_len = 1, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);
}

static void
test_udp_lengths(void)
{
	struct frame f;

	v4_udp(&f, 0, 0);
	expect_ok_all("ipv4/udp zero payload", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 34, .l4_len = 8,
		.payload_off = 42, .payload_len = 0, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);

	/* 46-byte frame padded to 60: payload per the UDP header, l4_len per
	 * the IP header, padding ignored. */
	v4_udp(&f, 0, 2);
	pad_to(&f, MIN_FRAME);
	expect_ok_all("ipv4/udp with Ethernet padding", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 34, .l4_len = 10,
		.payload_off = 42, .payload_len = 2, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, 44);

	/* Padding that is not zero must not matter either. */
	v4_udp(&f, 0, 2);
	put_fill(&f, 0xff, MIN_FRAME - f.len);
	expect_ok("ipv4/udp with 0xff padding", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 34, .l4_len = 10,
		.payload_off = 42, .payload_len = 2, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	});

	/* UDP length shorter than the IP payload: payload per UDP. */
	eth(&f, 0x0800);
	ipv4(&f, 0, 0, PROTO_UDP, 20);
	udp(&f, UDP_LEN + 4, 12);
	expect_ok_all("udp shorter than ip payload", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 34, .l4_len = 20,
		.payload_off = 42, .payload_len = 4, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);

	v4_udp(&f, 0, 10);
	set16(&f, ETH_LEN + IPV4_LEN + 4, 7);
	expect_result("udp length 7", &f, TERN_PARSE_MALFORMED);
	set16(&f, ETH_LEN + IPV4_LEN + 4, 0);
	expect_result("udp length 0", &f, TERN_PARSE_MALFORMED);
	set16(&f, ETH_LEN + IPV4_LEN + 4, 19);
	expect_result("udp length > l4_len", &f, TERN_PARSE_MALFORMED);
	set16(&f, ETH_LEN + IPV4_LEN + 4, 18);
	expect_result("udp length == l4_len", &f, TERN_PARSE_OK);

	/* UDP length beyond l4_len even though the frame has the bytes. */
	v4_udp(&f, 0, 2);
	pad_to(&f, MIN_FRAME);
	set16(&f, ETH_LEN + IPV4_LEN + 4, UDP_LEN + 10);
	expect_result("udp length into padding", &f, TERN_PARSE_MALFORMED);

	/* IP payload too short for a UDP header. */
	eth(&f, 0x0800);
	ipv4(&f, 0, 0, PROTO_UDP, 4);
	put_fill(&f, 0, 4);
	expect_result("ipv4 l4_len 4 for udp", &f, TERN_PARSE_MALFORMED);
	pad_to(&f, MIN_FRAME);
	expect_result("ipv4 l4_len 4 for udp, padded", &f, TERN_PARSE_MALFORMED);
}

static void
test_ipv6_udp(void)
{
	struct frame f;

	v6_udp(&f, 12);
	expect_ok_all("ipv6/udp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 54, .l4_len = 20,
		.payload_off = 62, .payload_len = 12, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);

	/* Hop-by-hop (8 bytes) + destination options (16 bytes) + UDP. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_HOPOPT, 8 + 16 + UDP_LEN + 5);
	ext6(&f, PROTO_DSTOPTS, 0);
	ext6(&f, PROTO_UDP, 1);
	udp(&f, UDP_LEN + 5, 5);
	expect_ok_all("ipv6 hbh+dstopts/udp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 78, .l4_len = 13,
		.payload_off = 86, .payload_len = 5, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);

	/* Routing header (24 bytes) + UDP with zero payload. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_ROUTING, 24 + UDP_LEN);
	ext6(&f, PROTO_UDP, 2);
	udp(&f, UDP_LEN, 0);
	expect_ok_all("ipv6 routing/udp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 78, .l4_len = 8,
		.payload_off = 86, .payload_len = 0, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);

	/* Exactly 8 extension headers are fine. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_DSTOPTS, 8 * 8 + UDP_LEN);
	for (int i = 0; i < 7; i++)
		ext6(&f, PROTO_DSTOPTS, 0);
	ext6(&f, PROTO_UDP, 0);
	udp(&f, UDP_LEN, 0);
	expect_ok_all("ipv6 8 ext/udp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 118, .l4_len = 8,
		.payload_off = 126, .payload_len = 0, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, f.len);

	/* IPv6/UDP padded to the Ethernet minimum: 14+40+8+1 = 63, so use a
	 * payload-length that leaves trailing bytes instead. */
	v6_udp(&f, 1);
	put_fill(&f, 0xee, 7);
	expect_ok_all("ipv6/udp trailing bytes", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 54, .l4_len = 9,
		.payload_off = 62, .payload_len = 1, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
	}, 63);

	/* No next header: OK, nothing to parse. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_HOPOPT, 8);
	ext6(&f, PROTO_NONE6, 0);
	expect_ok_all("ipv6 hbh/no-next-header", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 62, .l4_len = 0,
		.ethertype = 0x86dd, .l3 = TERN_L3_IPV6,
		.l4 = TERN_L4_OTHER, .l4_proto = PROTO_NONE6,
	}, f.len);
}

static void
test_arp(void)
{
	struct frame f;

	arp(&f, 1, 0x0800, 6, 4);
	CHECK_EQ(f.len, 42);
	pad_to(&f, MIN_FRAME);
	expect_ok_all("arp request", &f, &(struct tern_parsed){
		.l3_off = 14, .ethertype = 0x0806, .l3 = TERN_L3_ARP,
	}, ETH_LEN + ARP_LEN);

	arp(&f, 6, 0x0800, 6, 4);
	expect_result("arp htype 6", &f, TERN_PARSE_UNSUPPORTED);
	arp(&f, 1, 0x86dd, 6, 4);
	expect_result("arp ptype ipv6", &f, TERN_PARSE_UNSUPPORTED);
	arp(&f, 1, 0x0800, 8, 4);
	expect_result("arp hlen 8", &f, TERN_PARSE_UNSUPPORTED);
	arp(&f, 1, 0x0800, 6, 16);
	expect_result("arp plen 16", &f, TERN_PARSE_UNSUPPORTED);
}

static void
test_icmp(void)
{
	struct frame f;

	eth(&f, 0x0800);
	ipv4(&f, 0, 0, PROTO_ICMP, 12);
	put16(&f, 0x0800);	/* echo request, code 0 */
	put16(&f, 0);
	put16(&f, 0x42);
	put16(&f, 1);
	put_fill(&f, 'a', 4);
	expect_ok_all("icmp echo", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 34, .l4_len = 12, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_ICMP, .l4_proto = PROTO_ICMP,
	}, f.len);

	eth(&f, 0x0800);
	ipv4(&f, 0, 0, PROTO_ICMP, 7);
	put_fill(&f, 0, 7);
	expect_result("icmp 7 bytes", &f, TERN_PARSE_MALFORMED);

	eth(&f, 0x86dd);
	ipv6(&f, PROTO_ICMPV6, 12);
	put16(&f, 0x8000);	/* echo request, code 0 */
	put16(&f, 0);
	put16(&f, 7);
	put16(&f, 9);
	put_fill(&f, 'p', 4);
	expect_ok_all("icmpv6 echo", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 54, .l4_len = 12, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_ICMPV6,
		.l4_proto = PROTO_ICMPV6,
	}, f.len);

	/* Neighbour solicitation with a source link-layer address option,
	 * behind one VLAN tag. */
	eth(&f, 0x8100);
	vlan(&f, 5, 0x86dd);
	ipv6(&f, PROTO_ICMPV6, 32);
	put16(&f, 0x8700);	/* type 135, code 0 */
	put16(&f, 0);
	put_fill(&f, 0, 4);
	put16(&f, 0x2001); put16(&f, 0x0db8); put_fill(&f, 0, 10); put16(&f, 2);
	put8(&f, 1);
	put8(&f, 1);
	put_fill(&f, 0x02, 6);
	expect_ok_all("icmpv6 neighbour solicitation", &f, &(struct tern_parsed){
		.l3_off = 18, .l4_off = 58, .l4_len = 32, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_ICMPV6,
		.l4_proto = PROTO_ICMPV6, .n_vlan = 1,
	}, f.len);

	eth(&f, 0x86dd);
	ipv6(&f, PROTO_ICMPV6, 4);
	put_fill(&f, 0x80, 4);
	expect_result("icmpv6 4 bytes", &f, TERN_PARSE_OK);
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_ICMPV6, 3);
	put_fill(&f, 0x80, 3);
	expect_result("icmpv6 3 bytes", &f, TERN_PARSE_MALFORMED);

	/* ICMP is an IPv4 protocol and ICMPv6 an IPv6 one: elsewhere, OTHER. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_ICMP, 2);
	put_fill(&f, 0, 2);
	expect_ok("icmp over ipv6", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 54, .l4_len = 2, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_OTHER, .l4_proto = PROTO_ICMP,
	});
	eth(&f, 0x0800);
	ipv4(&f, 0, 0, PROTO_ICMPV6, 2);
	put_fill(&f, 0, 2);
	expect_ok("icmpv6 over ipv4", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 34, .l4_len = 2, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_OTHER,
		.l4_proto = PROTO_ICMPV6,
	});
}

static void
test_vlan(void)
{
	struct frame f;

	eth(&f, 0x8100);
	vlan(&f, 100, 0x0800);
	ipv4(&f, 0, 0, PROTO_UDP, UDP_LEN + 4);
	udp(&f, UDP_LEN + 4, 4);
	expect_ok_all("vlan/ipv4/udp", &f, &(struct tern_parsed){
		.l3_off = 18, .l4_off = 38, .l4_len = 12,
		.payload_off = 46, .payload_len = 4, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
		.n_vlan = 1,
	}, f.len);

	eth(&f, 0x88a8);
	vlan(&f, 10, 0x8100);
	vlan(&f, 20, 0x86dd);
	ipv6(&f, PROTO_UDP, UDP_LEN + 4);
	udp(&f, UDP_LEN + 4, 4);
	expect_ok_all("qinq/ipv6/udp", &f, &(struct tern_parsed){
		.l3_off = 22, .l4_off = 62, .l4_len = 12,
		.payload_off = 70, .payload_len = 4, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_UDP, .l4_proto = PROTO_UDP,
		.n_vlan = 2,
	}, f.len);

	eth(&f, 0x8100);
	vlan(&f, 10, 0x8100);
	vlan(&f, 20, 0x0806);
	put16(&f, 1); put16(&f, 0x0800); put8(&f, 6); put8(&f, 4);
	put16(&f, 2);
	put_fill(&f, 0x11, 20);
	expect_ok_all("two 802.1Q tags/arp", &f, &(struct tern_parsed){
		.l3_off = 22, .ethertype = 0x0806, .l3 = TERN_L3_ARP,
		.n_vlan = 2,
	}, f.len);

	/* Three tags: well formed, not handled. */
	eth(&f, 0x88a8);
	vlan(&f, 1, 0x8100);
	vlan(&f, 2, 0x8100);
	vlan(&f, 3, 0x0800);
	ipv4(&f, 0, 0, PROTO_UDP, UDP_LEN);
	udp(&f, UDP_LEN, 0);
	expect_result("three tags", &f, TERN_PARSE_UNSUPPORTED);
	check_prefixes("three tags", &f, ETH_LEN + 2 * VLAN_LEN);
}

static void
test_unsupported(void)
{
	struct frame f;

	eth(&f, 0x88cc);	/* LLDP */
	put_fill(&f, 0, 46);
	expect_result("lldp", &f, TERN_PARSE_UNSUPPORTED);
	check_prefixes("lldp", &f, ETH_LEN);
	{
		struct tern_parsed p;

		parse(&f, &p);
		CHECK_EQ(p.ethertype, 0x88cc);
	}

	/* First fragment (MF set, offset 0) and a later one (offset, no MF). */
	eth(&f, 0x0800);
	ipv4(&f, 0, 0x2000, PROTO_UDP, UDP_LEN + 8);
	udp(&f, 100, 8);
	expect_result("ipv4 first fragment", &f, TERN_PARSE_UNSUPPORTED);
	check_prefixes("ipv4 first fragment", &f, f.len);
	eth(&f, 0x0800);
	ipv4(&f, 0, 185, PROTO_UDP, 16);
	put_fill(&f, 0xab, 16);
	expect_result("ipv4 last fragment", &f, TERN_PARSE_UNSUPPORTED);
	check_prefixes("ipv4 last fragment", &f, f.len);
	eth(&f, 0x0800);
	ipv4(&f, 0, 0x2000 | 185, PROTO_UDP, 16);
	put_fill(&f, 0xab, 16);
	expect_result("ipv4 middle fragment", &f, TERN_PARSE_UNSUPPORTED);

	/* IPv6 fragment header, directly and after hop-by-hop. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_FRAG6, 8 + UDP_LEN);
	put8(&f, PROTO_UDP); put8(&f, 0); put16(&f, 1); put16(&f, 0); put16(&f, 7);
	udp(&f, 100, 0);
	expect_result("ipv6 fragment", &f, TERN_PARSE_UNSUPPORTED);
	check_prefixes("ipv6 fragment", &f, f.len);
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_HOPOPT, 16 + UDP_LEN);
	ext6(&f, PROTO_FRAG6, 0);
	put8(&f, PROTO_UDP); put8(&f, 0); put16(&f, 0); put16(&f, 0); put16(&f, 7);
	udp(&f, 100, 0);
	expect_result("ipv6 hbh+fragment", &f, TERN_PARSE_UNSUPPORTED);

	/* TCP: parsed as far as IP, l4 OTHER. */
	eth(&f, 0x0800);
	ipv4(&f, 0, 0x4000, PROTO_TCP, 20);
	put_fill(&f, 0x50, 20);
	expect_ok_all("ipv4/tcp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 34, .l4_len = 20, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_OTHER, .l4_proto = PROTO_TCP,
	}, f.len);
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_TCP, 20);
	put_fill(&f, 0x50, 20);
	expect_ok_all("ipv6/tcp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 54, .l4_len = 20, .ethertype = 0x86dd,
		.l3 = TERN_L3_IPV6, .l4 = TERN_L4_OTHER, .l4_proto = PROTO_TCP,
	}, f.len);
}

/* --- malformed IP headers ------------------------------------------------- */

static void
test_ipv4_malformed(void)
{
	struct frame f;
	uint32_t ip = ETH_LEN;

	v4_udp(&f, 0, 10);
	f.b[ip] = 0x44;
	expect_result("ipv4 IHL 4", &f, TERN_PARSE_MALFORMED);
	f.b[ip] = 0x40;
	expect_result("ipv4 IHL 0", &f, TERN_PARSE_MALFORMED);
	f.b[ip] = 0x65;
	expect_result("ipv4 version 6", &f, TERN_PARSE_MALFORMED);
	/* Same with TCP, where no UDP length check can hide the error. */
	eth(&f, 0x0800);
	ipv4(&f, 0, 0, PROTO_TCP, 20);
	put_fill(&f, 0, 20);
	f.b[ip] = 0x44;
	expect_result("ipv4 IHL 4, tcp", &f, TERN_PARSE_MALFORMED);
	f.b[ip] = 0x40;
	expect_result("ipv4 IHL 0, tcp", &f, TERN_PARSE_MALFORMED);

	/* IHL 15 (60 bytes) in a frame holding 38 bytes of IP. */
	v4_udp(&f, 0, 10);
	f.b[ip] = 0x4f;
	expect_result("ipv4 IHL beyond frame", &f, TERN_PARSE_MALFORMED);
	/* IHL 8 (32 bytes) with total length 52 but only 38 bytes present. */
	v4_udp(&f, 0, 10);
	f.b[ip] = 0x48;
	set16(&f, ip + 2, 52);
	expect_result("ipv4 IHL ok, total beyond frame", &f,
		      TERN_PARSE_MALFORMED);

	v4_udp(&f, 0, 10);
	set16(&f, ip + 2, 39);
	expect_result("ipv4 total length > frame", &f, TERN_PARSE_MALFORMED);
	set16(&f, ip + 2, 0xffff);
	expect_result("ipv4 total length 65535", &f, TERN_PARSE_MALFORMED);
	set16(&f, ip + 2, 19);
	expect_result("ipv4 total length 19", &f, TERN_PARSE_MALFORMED);
	set16(&f, ip + 2, 0);
	expect_result("ipv4 total length 0", &f, TERN_PARSE_MALFORMED);

	v4_udp(&f, 2, 10);	/* IHL 7 */
	set16(&f, ip + 2, 27);
	expect_result("ipv4 total length < IHL*4", &f, TERN_PARSE_MALFORMED);
	set16(&f, ip + 2, 28);	/* header only: UDP cannot fit */
	expect_result("ipv4 total length == IHL*4, udp", &f,
		      TERN_PARSE_MALFORMED);
	f.b[ip + 9] = PROTO_TCP;
	expect_ok("ipv4 total length == IHL*4, tcp", &f, &(struct tern_parsed){
		.l3_off = 14, .l4_off = 42, .l4_len = 0, .ethertype = 0x0800,
		.l3 = TERN_L3_IPV4, .l4 = TERN_L4_OTHER, .l4_proto = PROTO_TCP,
	});

	/* A frame ending inside the IPv4 header. */
	eth(&f, 0x0800);
	put_fill(&f, 0x45, 19);
	expect_result("ipv4 19 bytes", &f, TERN_PARSE_MALFORMED);
}

static void
test_ipv6_malformed(void)
{
	struct frame f;
	uint32_t ip = ETH_LEN;

	v6_udp(&f, 12);
	f.b[ip] = 0x40;
	expect_result("ipv6 version 4", &f, TERN_PARSE_MALFORMED);

	v6_udp(&f, 12);
	set16(&f, ip + 4, 21);
	expect_result("ipv6 payload length > frame", &f, TERN_PARSE_MALFORMED);
	set16(&f, ip + 4, 0xffff);
	expect_result("ipv6 payload length 65535", &f, TERN_PARSE_MALFORMED);
	set16(&f, ip + 4, 4);
	expect_result("ipv6 payload length 4, udp", &f, TERN_PARSE_MALFORMED);

	/* Extension header longer than the IPv6 payload (but not the frame). */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_HOPOPT, 8 + UDP_LEN);
	ext6(&f, PROTO_UDP, 1);		/* claims 16 bytes, payload is 16 */
	udp(&f, UDP_LEN, 0);
	put_fill(&f, 0, 16);
	expect_result("ipv6 ext header eats the payload", &f,
		      TERN_PARSE_MALFORMED);
	f.b[ip + IPV6_LEN + 1] = 2;	/* 24 bytes */
	expect_result("ipv6 ext header beyond payload", &f,
		      TERN_PARSE_MALFORMED);

	/* An extension header claiming 24 bytes of a 16-byte payload, with a
	 * plausible UDP header in the Ethernet padding where it would end. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_HOPOPT, 16);
	ext6(&f, PROTO_UDP, 2);
	udp(&f, UDP_LEN, 0);
	pad_to(&f, 100);
	expect_result("ipv6 ext header into padding", &f, TERN_PARSE_MALFORMED);

	/* Extension header announced, but the frame ends with the IPv6
	 * header (payload length 0): nothing may be read past it. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_DSTOPTS, 0);
	expect_result("ipv6 ext header, empty payload", &f,
		      TERN_PARSE_MALFORMED);
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_DSTOPTS, 1);
	put8(&f, PROTO_UDP);
	expect_result("ipv6 ext header, 1-byte payload", &f,
		      TERN_PARSE_MALFORMED);

	/* Payload too short for the 8-byte extension header minimum. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_DSTOPTS, 4);
	put_fill(&f, 0, 16);
	expect_result("ipv6 ext header truncated", &f, TERN_PARSE_MALFORMED);

	/* Nine extension headers. */
	eth(&f, 0x86dd);
	ipv6(&f, PROTO_DSTOPTS, 9 * 8 + UDP_LEN);
	for (int i = 0; i < 8; i++)
		ext6(&f, PROTO_DSTOPTS, 0);
	ext6(&f, PROTO_UDP, 0);
	udp(&f, UDP_LEN, 0);
	expect_result("ipv6 9 ext headers", &f, TERN_PARSE_MALFORMED);

	eth(&f, 0x86dd);
	put_fill(&f, 0x60, 39);
	expect_result("ipv6 39 bytes", &f, TERN_PARSE_MALFORMED);
}

static void
test_short_frames(void)
{
	struct frame f;
	struct tern_parsed p;

	CHECK_EQ(tern_parse(NULL, 0, &p), TERN_PARSE_MALFORMED);
	eth(&f, 0x0800);
	f.len = 13;
	expect_result("13-byte frame", &f, TERN_PARSE_MALFORMED);
	eth(&f, 0x8100);
	put16(&f, 1);
	expect_result("half a tag", &f, TERN_PARSE_MALFORMED);
	eth(&f, 0x0806);
	expect_result("arp, no body", &f, TERN_PARSE_MALFORMED);
}

int
main(void)
{
	test_ipv4_udp();
	test_udp_lengths();
	test_ipv6_udp();
	test_arp();
	test_icmp();
	test_vlan();
	test_unsupported();
	test_ipv4_malformed();
	test_ipv6_malformed();
	test_short_frames();
	return check_done("test_parse");
}
