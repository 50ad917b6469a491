/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software steering (steer.c): the worker picked for a frame is the one RSS
 * would pick for its flow.
 * (a) tern_steer_frame_worker == tern_steer_flow_worker == (tern_rss_hash,
 *     then the indirection table) for random IPv4/IPv6 UDP/TCP flows with 0,
 *     1 or 2 VLAN tags, IPv4 options and IPv6 extension headers, under the
 *     symmetric key (40, 52 and a short 16 bytes: steer.c's 16-bit-period
 *     shortcut and its general path) and the Microsoft (asymmetric) key, for
 *     1..128 workers
 *     (128 workers: the worker is the hash's low 7 bits);
 * (b) the published RSS verification answers, from frames;
 * (c) both directions of a flow go to one worker (symmetric key);
 * (d) 10000 flows spread evenly over 2 and 4 workers;
 * (e) hash types: addresses only when just the L3 types are on, ICMP by
 *     addresses, fragments by addresses, nothing hashed -> reta[0];
 * (f) ARP, other ethertypes, three VLAN tags, bad IP version/IHL and every
 *     truncation short of the bytes the hash needs -> TERN_STEER_LOCAL.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>

#include "check.h"
#include "flows.h"
#include "rss.h"
#include "steer.h"

#define N_FLOWS 2000
#define N_SPREAD 10000
#define ETH_LEN 14
#define VLAN_LEN 4
#define TPID_8021Q 0x8100
#define TPID_8021AD 0x88a8

/* ---- random flows ------------------------------------------------------- */

/* This test's own flows.h generator state (a fixed seed: runs repeat). */
static uint64_t rng = 0x2545f4914f6cdd1dULL;

/* ---- frames ------------------------------------------------------------- */

struct frame {
	uint8_t b[256];
	uint16_t len;
};

/* How to dress a flow as a frame. */
struct shape {
	unsigned n_vlan;       /**< 0..3 tags (alternating 802.1ad / 802.1Q) */
	unsigned v4_opt_words; /**< IPv4 options, in 4-byte words */
	unsigned v6_ext;       /**< IPv6 hop-by-hop + dest-options headers before L4 */
	int frag;              /**< 1: first fragment (MF), 2: later fragment */
	int v6_frag_hdr;       /**< IPv6: a fragment header before L4 */
};

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Ethernet (+ VLAN tags) for ethertype; returns the L3 offset. */
static unsigned
put_l2(struct frame *fr, unsigned n_vlan, uint16_t type)
{
	unsigned off = 12;

	memset(fr->b, 0, sizeof(fr->b));
	memset(fr->b, 0x02, 12);
	for (unsigned i = 0; i < n_vlan; i++) {
		put16(fr->b + off, i % 2 == 0 && n_vlan > 1 ? TPID_8021AD : TPID_8021Q);
		put16(fr->b + off + 2, (uint16_t)(100 + i));
		off += VLAN_LEN;
	}
	put16(fr->b + off, type);
	return off + 2;
}

/* UDP or TCP header (ports, then filler) at l4, l4_len bytes; "other"
 * protocols get filler only. */
static void
put_l4(uint8_t *l4, const struct tern_rss_flow *f, unsigned l4_len)
{
	for (unsigned i = 0; i < l4_len; i++)
		l4[i] = (uint8_t)(0xa0 + i);
	if (f->proto == IPPROTO_UDP || f->proto == IPPROTO_TCP) {
		memcpy(l4, &f->sport, 2);
		memcpy(l4 + 2, &f->dport, 2);
	}
}

#define L4_LEN 28

static void
build_v4(struct frame *fr, const struct tern_rss_flow *f, const struct shape *sh)
{
	unsigned l3 = put_l2(fr, sh->n_vlan, 0x0800);
	unsigned ihl = 20 + 4 * sh->v4_opt_words;
	uint8_t *ip = fr->b + l3;

	ip[0] = (uint8_t)(0x40 | (ihl / 4));
	put16(ip + 2, (uint16_t)(ihl + L4_LEN));
	if (sh->frag == 1)
		put16(ip + 6, 0x2000);          /* MF, offset 0 */
	else if (sh->frag == 2)
		put16(ip + 6, 185);             /* offset 1480, last fragment */
	ip[8] = 64;
	ip[9] = f->proto;
	memcpy(ip + 12, f->src, 4);
	memcpy(ip + 16, f->dst, 4);
	memset(ip + 20, 1, ihl - 20);           /* NOP options */
	if (sh->frag == 2)
		memset(ip + ihl, 0xee, L4_LEN); /* payload bytes, no ports */
	else
		put_l4(ip + ihl, f, L4_LEN);
	fr->len = (uint16_t)(l3 + ihl + L4_LEN);
}

static void
build_v6(struct frame *fr, const struct tern_rss_flow *f, const struct shape *sh)
{
	unsigned l3 = put_l2(fr, sh->n_vlan, 0x86dd);
	uint8_t *ip = fr->b + l3;
	unsigned off = 40;
	uint8_t *nh = ip + 6;

	ip[0] = 0x60;
	ip[7] = 64;
	memcpy(ip + 8, f->src, 16);
	memcpy(ip + 24, f->dst, 16);
	for (unsigned i = 0; i < sh->v6_ext; i++) {
		/* 16-byte hop-by-hop (first) or destination options (PadN). */
		*nh = i == 0 ? IPPROTO_HOPOPTS : IPPROTO_DSTOPTS;
		nh = ip + off;
		ip[off + 1] = 1;
		ip[off + 2] = 1;
		ip[off + 3] = 12;
		off += 16;
	}
	if (sh->v6_frag_hdr) {
		*nh = IPPROTO_FRAGMENT;
		nh = ip + off;
		put16(ip + off + 2, 1);         /* offset 0, M */
		off += 8;
	}
	*nh = f->proto;
	put_l4(ip + off, f, L4_LEN);
	put16(ip + 4, (uint16_t)(off - 40 + L4_LEN));
	fr->len = (uint16_t)(l3 + off + L4_LEN);
}

static void
build(struct frame *fr, const struct tern_rss_flow *f, const struct shape *sh)
{
	if (f->family == 4)
		build_v4(fr, f, sh);
	else
		build_v6(fr, f, sh);
}

static uint16_t
frame_worker(const struct tern_steer *s, const struct tern_rss_flow *f,
	     const struct shape *sh)
{
	struct frame fr;

	build(&fr, f, sh);
	return tern_steer_frame_worker(s, fr.b, fr.len);
}

/* The worker RSS would pick: the hash's low bits index a RETA filled
 * round-robin. Written here from the definition, not from steer.c. */
static uint16_t
expected_worker(const struct tern_rss_flow *f, uint64_t hf, const uint8_t *key,
		unsigned key_len, unsigned n_workers)
{
	return (uint16_t)((tern_rss_hash(f, hf, key, key_len) % TERN_STEER_RETA) % n_workers);
}

/* ---- (a) ------------------------------------------------------------------- */

static void
check_flows(const uint8_t *key, unsigned key_len, uint64_t hf, unsigned n_workers)
{
	static const struct shape shapes[] = {
		{ .n_vlan = 0 },
		{ .n_vlan = 1 },
		{ .n_vlan = 2 },
		{ .n_vlan = 1, .v4_opt_words = 3, .v6_ext = 2 },
	};
	struct tern_steer s;
	unsigned bad_frame = 0, bad_flow = 0;

	tern_steer_init(&s, n_workers, key, key_len, hf);
	for (unsigned i = 0; i < N_FLOWS; i++) {
		struct tern_rss_flow f = flows_random(&rng, i);
		const struct shape *sh = &shapes[(i / 4) % RTE_DIM(shapes)];
		uint16_t want = expected_worker(&f, hf, key, key_len, n_workers);

		bad_flow += tern_steer_flow_worker(&s, &f) != want;
		bad_frame += frame_worker(&s, &f, sh) != want;
	}
	if (bad_frame || bad_flow)
		fprintf(stderr, "key_len %u hf %#llx workers %u: %u frames, %u flows differ\n",
			key_len, (unsigned long long)hf, n_workers, bad_frame, bad_flow);
	CHECK_EQ(bad_flow, 0);
	CHECK_EQ(bad_frame, 0);
}

static void
test_frame_matches_flow(void)
{
	const uint64_t hf = tern_rss_wanted_types();
	const unsigned workers[] = { 1, 2, 3, 4, 128 };

	for (unsigned w = 0; w < RTE_DIM(workers); w++) {
		check_flows(tern_rss_symmetric_key, 40, hf, workers[w]);
		check_flows(tern_rss_symmetric_key, 52, hf, workers[w]);
		/* Too short for IPv6 (zero-padded): not periodic over the tuple. */
		check_flows(tern_rss_symmetric_key, 16, hf, workers[w]);
		check_flows(flows_ms_key, sizeof(flows_ms_key), hf, workers[w]);
	}
	/* Per-family L4 types only, L3 only, and one family only. */
	check_flows(flows_ms_key, sizeof(flows_ms_key), RTE_ETH_RSS_NONFRAG_IPV4_UDP |
		    RTE_ETH_RSS_NONFRAG_IPV6_TCP, 128);
	check_flows(flows_ms_key, sizeof(flows_ms_key), RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6, 128);
	check_flows(flows_ms_key, sizeof(flows_ms_key), RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP,
		    128);
}

/* ---- (b) ------------------------------------------------------------------- */

/* Microsoft RSS verification suite, IPv4 and IPv6 with ports (TCP). */
struct kat {
	int family;
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t l4;
};

static const struct kat kats[] = {
	{ 4, "66.9.149.187", "161.142.100.80", 2794, 1766, 0x51ccc178 },
	{ 4, "199.92.111.2", "65.69.140.83", 14230, 4739, 0xc626b0ea },
	{ 4, "24.19.198.95", "12.22.207.184", 12898, 38024, 0x5c2b394a },
	{ 4, "38.27.205.30", "209.142.163.6", 48228, 2217, 0xafc7327f },
	{ 4, "153.39.163.191", "202.188.127.2", 44251, 1303, 0x10e828a2 },
	{ 6, "3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766, 0x40207d3d },
	{ 6, "3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739, 0xdde51bbf },
	{ 6, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf", 44251, 38024,
	  0x02d1feef },
};

static void
test_known_answers(void)
{
	const uint64_t hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP;
	const struct shape plain = { 0 };
	struct tern_steer s;

	/* 128 workers: worker = hash % 128, seven bits of the published hash. */
	tern_steer_init(&s, TERN_STEER_RETA, flows_ms_key, sizeof(flows_ms_key), hf);
	for (unsigned i = 0; i < RTE_DIM(kats); i++) {
		const struct kat *k = &kats[i];
		struct tern_rss_flow f;

		memset(&f, 0, sizeof(f));
		f.family = (uint8_t)k->family;
		f.proto = IPPROTO_TCP;
		CHECK_EQ(inet_pton(k->family == 4 ? AF_INET : AF_INET6, k->src, f.src), 1);
		CHECK_EQ(inet_pton(k->family == 4 ? AF_INET : AF_INET6, k->dst, f.dst), 1);
		f.sport = htons(k->sport);
		f.dport = htons(k->dport);
		CHECK_EQ(frame_worker(&s, &f, &plain), k->l4 % TERN_STEER_RETA);
	}
}

/* ---- (c) ------------------------------------------------------------------- */

static void
test_symmetric(void)
{
	const struct shape plain = { 0 }, tagged = { .n_vlan = 2 };
	struct tern_steer s;
	unsigned same = 0;

	/* 128 workers: both directions agree on the hash's low 7 bits. */
	tern_steer_init(&s, TERN_STEER_RETA, tern_rss_symmetric_key, 40,
			tern_rss_wanted_types());
	for (unsigned i = 0; i < N_FLOWS; i++) {
		struct tern_rss_flow f = flows_random(&rng, i), r = flows_reverse(&f);

		same += frame_worker(&s, &f, &plain) == frame_worker(&s, &r, &tagged);
	}
	CHECK_EQ(same, N_FLOWS);
	/* The check above can fail: with an asymmetric key, it does. */
	tern_steer_init(&s, TERN_STEER_RETA, flows_ms_key, sizeof(flows_ms_key), tern_rss_wanted_types());
	same = 0;
	for (unsigned i = 0; i < N_FLOWS; i++) {
		struct tern_rss_flow f = flows_random(&rng, i), r = flows_reverse(&f);

		same += frame_worker(&s, &f, &plain) == frame_worker(&s, &r, &plain);
	}
	CHECK(same < N_FLOWS / 10);
}

/* ---- (d) ------------------------------------------------------------------- */

/* Flows from many clients to one server port, or from one client (one
 * address, many source ports, as the integration test sends them). */
static struct tern_rss_flow
client_flow(unsigned i, int one_client, int family)
{
	struct tern_rss_flow f;

	memset(&f, 0, sizeof(f));
	f.family = (uint8_t)family;
	f.proto = IPPROTO_UDP;
	if (family == 4) {
		const uint8_t srv[4] = { 198, 18, 0, 1 };

		memcpy(f.dst, srv, 4);
		f.src[0] = 198;
		f.src[1] = 18;
		f.src[2] = one_client ? 0 : (uint8_t)(1 + flows_rnd(&rng) % 254);
		f.src[3] = one_client ? 2 : (uint8_t)(1 + flows_rnd(&rng) % 254);
	} else {
		f.dst[0] = 0x20;
		f.dst[1] = 0x01;
		f.dst[2] = 0x0d;
		f.dst[3] = 0xb8;
		f.dst[15] = 1;
		memcpy(f.src, f.dst, 16);
		f.src[15] = 2;
		if (!one_client)
			for (unsigned b = 8; b < 16; b++)
				f.src[b] = (uint8_t)flows_rnd(&rng);
	}
	f.sport = htons(one_client ? (uint16_t)(20000 + i) : (uint16_t)(1024 + flows_rnd(&rng) % 60000));
	f.dport = htons(7);
	return f;
}

static void
check_spread(unsigned n_workers, int one_client, int family)
{
	struct tern_steer s;
	unsigned count[4] = { 0 };
	const unsigned fair = N_SPREAD / n_workers;

	tern_steer_init(&s, n_workers, tern_rss_symmetric_key, 40, tern_rss_wanted_types());
	for (unsigned i = 0; i < N_SPREAD; i++) {
		struct tern_rss_flow f = client_flow(i, one_client, family);
		struct frame fr;
		uint16_t w;

		build(&fr, &f, &(struct shape){ 0 });
		w = tern_steer_frame_worker(&s, fr.b, fr.len);
		CHECK(w < n_workers);
		if (w < n_workers)
			count[w]++;
	}
	for (unsigned w = 0; w < n_workers; w++) {
		/* within 15% of the fair share */
		if (count[w] * 100 < fair * 85 || count[w] * 100 > fair * 115)
			fprintf(stderr, "spread: %u workers, %s, IPv%d: worker %u got %u of %u\n",
				n_workers, one_client ? "one client" : "many clients", family,
				w, count[w], N_SPREAD);
		CHECK(count[w] * 100 >= fair * 85 && count[w] * 100 <= fair * 115);
	}
}

static void
test_spread(void)
{
	for (int one = 0; one <= 1; one++) {
		check_spread(2, one, 4);
		check_spread(4, one, 4);
		check_spread(2, one, 6);
		check_spread(4, one, 6);
	}
}

/* ---- (e) ------------------------------------------------------------------- */

static void
test_hash_types(void)
{
	const struct shape plain = { 0 }, first = { .frag = 1 }, later = { .frag = 2 },
			   v6frag = { .v6_frag_hdr = 1, .v6_ext = 1 };
	struct tern_steer s, l3only, none;
	unsigned ok_l3 = 0, ok_icmp = 0, ok_frag = 0, ok_none = 0, ports_matter = 0;

	tern_steer_init(&s, TERN_STEER_RETA, flows_ms_key, sizeof(flows_ms_key), tern_rss_wanted_types());
	tern_steer_init(&l3only, TERN_STEER_RETA, flows_ms_key, sizeof(flows_ms_key),
			RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6);
	tern_steer_init(&none, 4, flows_ms_key, sizeof(flows_ms_key), 0);
	for (unsigned i = 0; i < N_FLOWS; i++) {
		struct tern_rss_flow f = flows_random(&rng, i), other = f, moved = f;
		uint16_t addr_only;

		other.proto = (f.family == 4) ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		moved.sport = (uint16_t)(f.sport + 1);
		addr_only = expected_worker(&other, tern_rss_wanted_types(), flows_ms_key,
					    sizeof(flows_ms_key), TERN_STEER_RETA);
		/* L3 types only: the ports do not count. */
		ok_l3 += frame_worker(&l3only, &f, &plain) == frame_worker(&l3only, &moved, &plain) &&
			 frame_worker(&l3only, &f, &plain) == addr_only;
		/* ... whereas with the L4 types they do (most of the time). */
		ports_matter += frame_worker(&s, &f, &plain) != frame_worker(&s, &moved, &plain);
		/* ICMP: addresses. */
		ok_icmp += frame_worker(&s, &other, &plain) == addr_only;
		/* Fragments: addresses, first and later fragments alike. */
		if (f.family == 4)
			ok_frag += frame_worker(&s, &f, &first) == addr_only &&
				   frame_worker(&s, &f, &later) == addr_only;
		else
			ok_frag += frame_worker(&s, &f, &v6frag) == addr_only;
		/* No type covers anything: hash 0, reta[0]. */
		ok_none += frame_worker(&none, &f, &plain) == 0;
	}
	CHECK_EQ(ok_l3, N_FLOWS);
	CHECK(ports_matter > N_FLOWS * 9 / 10);
	CHECK_EQ(ok_icmp, N_FLOWS);
	CHECK_EQ(ok_frag, N_FLOWS);
	CHECK_EQ(ok_none, N_FLOWS);
}

/* ---- (f) ------------------------------------------------------------------- */

/* Bytes the hash needs: up to the ports (addresses only when not L4). */
static unsigned
needed_len(const struct tern_rss_flow *f, const struct shape *sh)
{
	unsigned l2 = ETH_LEN + VLAN_LEN * sh->n_vlan;

	if (f->family == 4)
		return l2 + 20 + 4 * sh->v4_opt_words + 4;
	return l2 + 40 + 16 * sh->v6_ext + 4;
}

static void
test_local(void)
{
	struct tern_steer s;
	struct frame fr;
	unsigned bad = 0;

	tern_steer_init(&s, 2, tern_rss_symmetric_key, 40, tern_rss_wanted_types());
	/* ARP (request for 198.18.0.1), and any other ethertype. */
	put_l2(&fr, 0, 0x0806);
	fr.len = ETH_LEN + 28;
	CHECK_EQ(tern_steer_frame_worker(&s, fr.b, fr.len), TERN_STEER_LOCAL);
	put_l2(&fr, 1, 0x0806);
	CHECK_EQ(tern_steer_frame_worker(&s, fr.b, ETH_LEN + VLAN_LEN + 28), TERN_STEER_LOCAL);
	put_l2(&fr, 0, 0x88cc);
	CHECK_EQ(tern_steer_frame_worker(&s, fr.b, 60), TERN_STEER_LOCAL);
	CHECK_EQ(tern_steer_frame_worker(&s, fr.b, 0), TERN_STEER_LOCAL);

	/* Every cut short of the needed bytes is LOCAL; from there on, a worker. */
	for (unsigned i = 0; i < 64; i++) {
		struct tern_rss_flow f = flows_random(&rng, i);
		struct shape sh = { .n_vlan = i % 3, .v4_opt_words = i % 2, .v6_ext = i % 2 };
		unsigned need = needed_len(&f, &sh);

		build(&fr, &f, &sh);
		for (unsigned len = 0; len <= fr.len; len++) {
			uint16_t w = tern_steer_frame_worker(&s, fr.b, (uint16_t)len);

			bad += len < need ? w != TERN_STEER_LOCAL : w >= 2;
		}
	}
	CHECK_EQ(bad, 0);

	/* Three VLAN tags, a wrong IP version, IHL < 5. */
	{
		struct tern_rss_flow f = flows_random(&rng, 0);
		struct shape three = { .n_vlan = 3 }, plain = { 0 };

		CHECK_EQ(frame_worker(&s, &f, &three), TERN_STEER_LOCAL);
		build(&fr, &f, &plain);
		fr.b[ETH_LEN] = 0x65;
		CHECK_EQ(tern_steer_frame_worker(&s, fr.b, fr.len), TERN_STEER_LOCAL);
		fr.b[ETH_LEN] = 0x44;
		CHECK_EQ(tern_steer_frame_worker(&s, fr.b, fr.len), TERN_STEER_LOCAL);
		f = flows_random(&rng, 1);
		build(&fr, &f, &plain);
		fr.b[ETH_LEN] = 0x40;
		CHECK_EQ(tern_steer_frame_worker(&s, fr.b, fr.len), TERN_STEER_LOCAL);
	}
}

int
main(void)
{
	test_frame_matches_flow();
	test_known_answers();
	test_symmetric();
	test_spread();
	test_hash_types();
	test_local();
	return check_done("test_steer");
}
