/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The whole receive-to-reply path on hand-built frames: a real engine with a
 * net_ring port (its TX loops back to its RX, which is how the test collects
 * replies), the real udp_responder app, and tern_worker_handle_burst driven
 * from this thread. Checks each reply byte by byte (checksums with DPDK's own
 * functions), each drop reason's counter, TX-full accounting, and that every
 * mbuf is back in the pool at the end.
 *
 * usage: test_pipeline PATH_TO_libudp_responder.so
 */
#define _GNU_SOURCE /* CPU_SET, pthread_attr_setaffinity_np, sched_getcpu */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "check.h"
#include "cksum.h"
#include "eal_runtime.h"
#include "engine.h"
#include "engine_addrs.h"
#include "host.h"
#include "rcu_publish.h"
#include "worker.h"

#define PEER_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 }
/* Like RTE_IPV4, whose 22.11 form shifts an int into the sign bit. */
#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
			 ((uint32_t)(c) << 8) | (uint32_t)(d))
#define PEER_IP4 IP4(198, 18, 0, 2)    /* on tern's subnet, 198.18.0.0/24 */
#define OFFNET_IP4 IP4(198, 19, 0, 9)  /* on no subnet of tern's */
#define TERN_IP4 IP4(198, 18, 0, 1)
#define ECHO_PORT 7
#define FIXED_PORT 8
#define FIXED_SIZE 1000
#define SLOW_PORT 19
#define AMP_PORT 20
#define LIMITED_PORT 21
#define SOCKPERF_PORT 22
#define HANDOFF_PORT 23     /* an in-test handler that always hands off */
#define MULTI_PORT 24       /* replies=3, no amplification limit */
#define MULTIAMP_PORT 25    /* replies=16 under the default 3x limit */
#define EVENT_PORT 26       /* event_app: consume free / consume send */
#define HALF_ECHO_PORT 27   /* the in-test handler: half the payload, "echo" flag set */
#define TEST_APP_SLOT TERN_MAX_APPS
#define SLOW_NS 20000000 /* the slow app's service time per request: 20 ms */

static struct tern_engine eng;
static uint16_t port;
static const uint8_t peer6_default[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
/* The sources put_udp4 and put_udp6 write (test_bad_source changes them). */
static uint32_t peer4 = PEER_IP4;
static const uint8_t *peer6 = peer6_default;
static const uint8_t tern6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

/* ---- frame building ---------------------------------------------------- */

struct frame {
	uint8_t b[2048];
	uint16_t len;
};

static void
put_eth(struct frame *f, const struct rte_ether_addr *dst, uint16_t type)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;
	struct rte_ether_addr src = { .addr_bytes = PEER_MAC };

	eth->dst_addr = *dst;
	eth->src_addr = src;
	eth->ether_type = rte_cpu_to_be_16(type);
	f->len = sizeof(*eth);
}

static void
put_vlan(struct frame *f, uint16_t type)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;
	struct rte_vlan_hdr *v = (struct rte_vlan_hdr *)(f->b + f->len);

	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	v->vlan_tci = RTE_BE16(42);
	v->eth_proto = rte_cpu_to_be_16(type);
	f->len += sizeof(*v);
}

/* IPv4 + UDP with payload; opt_len bytes of NOP options. */
static void
put_udp4(struct frame *f, uint32_t dst, uint16_t dport, const void *pl, uint16_t n,
	 uint8_t opt_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f->b + f->len);
	uint16_t ihl = sizeof(*ip) + opt_len;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)((uint8_t *)ip + ihl);

	memset(ip, 0, ihl);
	memset((uint8_t *)ip + sizeof(*ip), 1 /* NOP */, opt_len);
	ip->version_ihl = 0x40 | (ihl / 4);
	ip->total_length = rte_cpu_to_be_16(ihl + sizeof(*udp) + n);
	ip->time_to_live = 9;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(peer4);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	udp->src_port = RTE_BE16(40000);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + n);
	memcpy(udp + 1, pl, n);
	udp->dgram_cksum = 0;
	ip->hdr_checksum = rte_raw_cksum(ip, ihl) == 0xffff ? 0 : ~rte_raw_cksum(ip, ihl);
	/* rte_ipv4_udptcp_cksum assumes a 20-byte header: compute over the
	 * pseudo header by hand with a temporary plain header copy. */
	{
		struct rte_ipv4_hdr plain = *ip;

		plain.version_ihl = RTE_IPV4_VHL_DEF;
		plain.total_length = rte_cpu_to_be_16(sizeof(plain) + sizeof(*udp) + n);
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(&plain, udp);
	}
	f->len += ihl + sizeof(*udp) + n;
}

static void
put_udp6(struct frame *f, uint16_t dport, const void *pl, uint16_t n, bool hbh)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f->b + f->len);
	uint8_t *ext = (uint8_t *)(ip + 1);
	uint16_t ext_len = hbh ? 8 : 0;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ext + ext_len);

	memset(ip, 0, sizeof(*ip) + ext_len);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(ext_len + sizeof(*udp) + n);
	ip->proto = hbh ? 0 : IPPROTO_UDP;
	ip->hop_limits = 9;
	memcpy(ip->src_addr, peer6, 16);
	memcpy(ip->dst_addr, tern6, 16);
	if (hbh) {
		ext[0] = IPPROTO_UDP; /* next header; length 0 = 8 bytes; PadN */
		ext[2] = 1;
		ext[3] = 4;
	}
	udp->src_port = RTE_BE16(40001);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + n);
	memcpy(udp + 1, pl, n);
	udp->dgram_cksum = 0;
	{
		struct rte_ipv6_hdr plain = *ip;

		plain.proto = IPPROTO_UDP;
		plain.payload_len = udp->dgram_len;
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(&plain, udp);
	}
	f->len += sizeof(*ip) + ext_len + sizeof(*udp) + n;
}

static struct rte_ether_addr
tern_mac(void)
{
	return eng.ports[port].mac;
}

static void
udp4_frame(struct frame *f, uint16_t dport, const void *pl, uint16_t n)
{
	struct rte_ether_addr mac = tern_mac();

	put_eth(f, &mac, RTE_ETHER_TYPE_IPV4);
	put_udp4(f, TERN_IP4, dport, pl, n, 0);
}

/* ---- running frames through the engine --------------------------------- */

static void
send_frames(struct frame *f, unsigned n)
{
	struct rte_mbuf *m[TERN_BURST_MAX];

	for (unsigned i = 0; i < n; i++) {
		m[i] = rte_pktmbuf_alloc(eng.pool);
		CHECK(m[i] != NULL);
		memcpy(rte_pktmbuf_append(m[i], f[i].len), f[i].b, f[i].len);
		m[i]->port = port; /* as the driver sets it */
	}
	tern_worker_handle_burst(&eng.workers[0], port, m, n);
}

/* Collect what the engine sent (net_ring loops it back to RX). */
static unsigned
collect(struct rte_mbuf **out, unsigned max)
{
	return rte_eth_rx_burst(port, 0, out, max);
}

static void drain_notes(char *buf, size_t len);

static uint64_t
ctr(enum tern_ctr c)
{
	uint64_t v[TERN_CTR_MAX];

	tern_engine_port_counters(&eng, port, v);
	return v[c];
}

/* Send one frame; expect either a reply (returned, caller frees) or a drop
 * counted under why. */
static struct rte_mbuf *
one(struct frame *f, enum tern_ctr why)
{
	uint64_t before = ctr(why);
	struct rte_mbuf *r[4];
	unsigned n;

	send_frames(f, 1);
	n = collect(r, 4);
	CHECK_EQ(ctr(why), before + 1);
	if (why == TERN_CTR_TX) {
		CHECK_EQ(n, 1);
		return n == 1 ? r[0] : NULL;
	}
	CHECK_EQ(n, 0);
	rte_pktmbuf_free_bulk(r, n);
	return NULL;
}

/* ---- checks on replies ---------------------------------------------------- */

static void
check_eth_reply(const struct rte_mbuf *m, uint16_t type)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ether_addr peer = { .addr_bytes = PEER_MAC }, mine = tern_mac();

	CHECK(rte_is_same_ether_addr(&eth->dst_addr, &peer));
	CHECK(rte_is_same_ether_addr(&eth->src_addr, &mine));
	CHECK_EQ(rte_be_to_cpu_16(eth->ether_type), type);
}

static void
check_udp4_reply(struct rte_mbuf *m, uint16_t l3_off, uint16_t sport,
		 const void *pl, uint16_t n)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l3_off);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);

	CHECK_EQ(m->pkt_len, l3_off + 20 + 8 + n);
	CHECK_EQ(ip->version_ihl, RTE_IPV4_VHL_DEF);
	CHECK_EQ(rte_be_to_cpu_32(ip->src_addr), TERN_IP4);
	CHECK_EQ(rte_be_to_cpu_32(ip->dst_addr), peer4);
	CHECK_EQ(rte_be_to_cpu_16(ip->total_length), 20 + 8 + n);
	CHECK_EQ(rte_raw_cksum(ip, 20), 0xffff);
	CHECK_EQ(rte_be_to_cpu_16(udp->src_port), sport);
	CHECK_EQ(rte_be_to_cpu_16(udp->dst_port), 40000);
	CHECK_EQ(rte_be_to_cpu_16(udp->dgram_len), 8 + n);
	CHECK(udp->dgram_cksum != 0);
	CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip, udp), 0);
	if (pl != NULL)
		CHECK(memcmp(udp + 1, pl, n) == 0);
}

/* ---- the cases ------------------------------------------------------------ */

static void
test_udp4_echo(void)
{
	struct frame f;
	static const char pl[] = "hello tern, echo me back";
	struct rte_mbuf *r;

	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		check_eth_reply(r, RTE_ETHER_TYPE_IPV4);
		check_udp4_reply(r, 14, ECHO_PORT, pl, sizeof(pl));
		rte_pktmbuf_free(r);
	}
}

/* The echo flag: the request's checksum is kept only when it is one (not 0,
 * "none" over IPv4) and the length is the request's; otherwise the reply is
 * summed. */
static void
test_echo_flag(void)
{
	struct frame f;
	static const char pl[] = "twenty-four bytes, echo";
	struct rte_mbuf *r;

	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	((struct rte_udp_hdr *)(f.b + 14 + 20))->dgram_cksum = 0;
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		check_udp4_reply(r, 14, ECHO_PORT, pl, sizeof(pl)); /* summed, not 0 */
		rte_pktmbuf_free(r);
	}
	udp4_frame(&f, HALF_ECHO_PORT, pl, sizeof(pl));
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		check_udp4_reply(r, 14, HALF_ECHO_PORT, pl, sizeof(pl) / 2);
		rte_pktmbuf_free(r);
	}
}

static void
test_udp4_options_and_padding(void)
{
	struct frame f;
	static const char pl[] = "opt";
	struct rte_ether_addr mac = tern_mac();
	struct rte_mbuf *r;

	put_eth(&f, &mac, RTE_ETHER_TYPE_IPV4);
	put_udp4(&f, TERN_IP4, ECHO_PORT, pl, sizeof(pl), 8);
	memset(f.b + f.len, 0xee, 64 - f.len); /* Ethernet padding */
	f.len = 64;
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		check_udp4_reply(r, 14, ECHO_PORT, pl, sizeof(pl)); /* options gone, trimmed */
		rte_pktmbuf_free(r);
	}
}

static void
test_vlan(void)
{
	struct frame f;
	static const char pl[] = "tagged";
	struct rte_ether_addr mac = tern_mac();
	struct rte_mbuf *r;

	put_eth(&f, &mac, RTE_ETHER_TYPE_IPV4);
	put_vlan(&f, RTE_ETHER_TYPE_IPV4);
	put_udp4(&f, TERN_IP4, ECHO_PORT, pl, sizeof(pl), 0);
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		const struct rte_vlan_hdr *v = rte_pktmbuf_mtod_offset(r, const struct rte_vlan_hdr *, 14);

		check_eth_reply(r, RTE_ETHER_TYPE_VLAN);
		CHECK_EQ(rte_be_to_cpu_16(v->vlan_tci), 42);
		check_udp4_reply(r, 18, ECHO_PORT, pl, sizeof(pl));
		rte_pktmbuf_free(r);
	}
}

static void
test_udp6(bool hbh)
{
	struct frame f;
	static const char pl[] = "six";
	struct rte_ether_addr mac = tern_mac();
	struct rte_mbuf *r;

	put_eth(&f, &mac, RTE_ETHER_TYPE_IPV6);
	put_udp6(&f, ECHO_PORT, pl, sizeof(pl), hbh);
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(r, const struct rte_ipv6_hdr *, 14);
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);

		check_eth_reply(r, RTE_ETHER_TYPE_IPV6);
		CHECK_EQ(ip->proto, IPPROTO_UDP);
		CHECK(memcmp(ip->src_addr, tern6, 16) == 0);
		CHECK(memcmp(ip->dst_addr, peer6, 16) == 0);
		CHECK_EQ(rte_be_to_cpu_16(ip->payload_len), 8 + sizeof(pl));
		CHECK_EQ(r->pkt_len, 14 + 40 + 8 + sizeof(pl));
		CHECK_EQ(rte_ipv6_udptcp_cksum_verify(ip, udp), 0);
		CHECK(memcmp(udp + 1, pl, sizeof(pl)) == 0);
		rte_pktmbuf_free(r);
	}
}

static void
test_fixed_size(void)
{
	struct frame f;
	static const char pl[] = "x";
	struct rte_mbuf *r;

	udp4_frame(&f, FIXED_PORT, pl, sizeof(pl));
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		check_udp4_reply(r, 14, FIXED_PORT, NULL, FIXED_SIZE);
		rte_pktmbuf_free(r);
	}
}

static void
arp_frame(struct frame *f, uint32_t target)
{
	struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_ether_addr peer = { .addr_bytes = PEER_MAC };
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(f->b + 14);

	put_eth(f, &bcast, RTE_ETHER_TYPE_ARP);
	memset(a, 0, sizeof(*a));
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	a->arp_data.arp_sha = peer;
	a->arp_data.arp_sip = rte_cpu_to_be_32(PEER_IP4);
	a->arp_data.arp_tip = rte_cpu_to_be_32(target);
	f->len = 14 + sizeof(*a);
}

static void
test_arp(void)
{
	struct frame f;
	struct rte_mbuf *r;

	arp_frame(&f, TERN_IP4);
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		const struct rte_arp_hdr *a = rte_pktmbuf_mtod_offset(r, const struct rte_arp_hdr *, 14);
		struct rte_ether_addr peer = { .addr_bytes = PEER_MAC }, mine = tern_mac();

		check_eth_reply(r, RTE_ETHER_TYPE_ARP);
		CHECK_EQ(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
		CHECK(rte_is_same_ether_addr(&a->arp_data.arp_sha, &mine));
		CHECK(rte_is_same_ether_addr(&a->arp_data.arp_tha, &peer));
		CHECK_EQ(rte_be_to_cpu_32(a->arp_data.arp_sip), TERN_IP4);
		CHECK_EQ(rte_be_to_cpu_32(a->arp_data.arp_tip), PEER_IP4);
		rte_pktmbuf_free(r);
	}
	arp_frame(&f, IP4(198, 18, 0, 99));
	one(&f, TERN_CTR_DROP_NOT_FOR_US);
}

static void
test_icmp4(void)
{
	struct frame f;
	struct rte_ether_addr mac = tern_mac();
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *ic;
	struct rte_mbuf *r;

	put_eth(&f, &mac, RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(f.b + 14);
	ic = (struct rte_icmp_hdr *)(ip + 1);
	memset(ip, 0, 20 + 8 + 16);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = RTE_BE16(20 + 8 + 16);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP4);
	ip->dst_addr = rte_cpu_to_be_32(TERN_IP4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_ident = RTE_BE16(0x1234);
	ic->icmp_seq_nb = RTE_BE16(7);
	memset(ic + 1, 0x5a, 16);
	ic->icmp_cksum = ~rte_raw_cksum(ic, 24);
	f.len = 14 + 20 + 24;
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		const struct rte_ipv4_hdr *rip = rte_pktmbuf_mtod_offset(r, const struct rte_ipv4_hdr *, 14);
		const struct rte_icmp_hdr *ric = (const struct rte_icmp_hdr *)(rip + 1);

		check_eth_reply(r, RTE_ETHER_TYPE_IPV4);
		CHECK_EQ(ric->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
		CHECK_EQ(rte_be_to_cpu_16(ric->icmp_ident), 0x1234);
		CHECK_EQ(rte_be_to_cpu_16(ric->icmp_seq_nb), 7);
		CHECK_EQ(rte_raw_cksum(ric, 24), 0xffff);
		CHECK_EQ(rte_raw_cksum(rip, 20), 0xffff);
		CHECK_EQ(rte_be_to_cpu_32(rip->dst_addr), PEER_IP4);
		rte_pktmbuf_free(r);
	}
	/* Same request with a broken ICMP checksum. */
	ic->icmp_cksum ^= 0x0101;
	one(&f, TERN_CTR_DROP_BAD_CKSUM);
}

/* ICMPv6 message (type, 4 bytes of body, rest) from peer6 to dst. */
static void
icmp6_frame(struct frame *f, const uint8_t *dst, const struct rte_ether_addr *dmac,
	    uint8_t type, const uint8_t *body, uint16_t body_len, uint8_t hops)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f->b + 14);
	uint8_t *ic = (uint8_t *)(ip + 1);
	uint16_t l4 = 4 + body_len;

	put_eth(f, dmac, RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(l4);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = hops;
	memcpy(ip->src_addr, peer6, 16);
	memcpy(ip->dst_addr, dst, 16);
	ic[0] = type;
	ic[1] = 0;
	ic[2] = ic[3] = 0;
	memcpy(ic + 4, body, body_len);
	{
		uint16_t ck = rte_ipv6_udptcp_cksum(ip, ic);

		/* rte_ipv6_udptcp_cksum maps 0 to 0xffff, which is fine for ICMPv6 too */
		memcpy(ic + 2, &ck, 2);
	}
	f->len = 14 + 40 + l4;
}

static void
test_icmp6(void)
{
	struct frame f;
	struct rte_ether_addr mac = tern_mac();
	uint8_t body[4 + 20] = { 0, 1, 0, 2 }; /* id, seq */
	struct rte_mbuf *r;

	memset(body + 4, 0x77, 20);
	icmp6_frame(&f, tern6, &mac, 128, body, sizeof(body), 64);
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(r, const struct rte_ipv6_hdr *, 14);
		const uint8_t *ic = (const uint8_t *)(ip + 1);

		check_eth_reply(r, RTE_ETHER_TYPE_IPV6);
		CHECK_EQ(ic[0], 129);
		CHECK(memcmp(ic + 4, body, sizeof(body)) == 0);
		CHECK_EQ(rte_ipv6_udptcp_cksum_verify(ip, ic), 0);
		CHECK(memcmp(ip->dst_addr, peer6, 16) == 0);
		rte_pktmbuf_free(r);
	}
}

static void
test_ndp(void)
{
	struct frame f;
	uint8_t sn[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [13] = 0, [14] = 0, [15] = 1 };
	struct rte_ether_addr sn_mac = { .addr_bytes = { 0x33, 0x33, 0xff, 0, 0, 1 } };
	uint8_t body[4 + 16 + 8] = { 0 };
	struct rte_mbuf *r;

	memcpy(body + 4, tern6, 16);                   /* target */
	body[20] = 1;                                  /* source link-layer option */
	body[21] = 1;
	memcpy(body + 22, (uint8_t[])PEER_MAC, 6);
	icmp6_frame(&f, sn, &sn_mac, 135, body, sizeof(body), 255);
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(r, const struct rte_ipv6_hdr *, 14);
		const uint8_t *na = (const uint8_t *)(ip + 1);
		struct rte_ether_addr mine = tern_mac();

		check_eth_reply(r, RTE_ETHER_TYPE_IPV6);
		CHECK_EQ(na[0], 136);
		CHECK_EQ(na[4], 0x60);                       /* solicited, override */
		CHECK(memcmp(na + 8, tern6, 16) == 0);
		CHECK_EQ(na[24], 2);                          /* target link-layer option */
		CHECK(memcmp(na + 26, mine.addr_bytes, 6) == 0);
		CHECK_EQ(ip->hop_limits, 255);
		CHECK(memcmp(ip->src_addr, tern6, 16) == 0);
		CHECK(memcmp(ip->dst_addr, peer6, 16) == 0);
		CHECK_EQ(rte_ipv6_udptcp_cksum_verify(ip, na), 0);
		rte_pktmbuf_free(r);
	}
	/* NDP with a hop limit other than 255 must be ignored (RFC 4861). */
	icmp6_frame(&f, sn, &sn_mac, 135, body, sizeof(body), 64);
	one(&f, TERN_CTR_DROP_MALFORMED);
}

static void
test_drops(void)
{
	struct frame f;
	static const char pl[] = "dropme";
	struct rte_ether_addr other = { .addr_bytes = { 0x02, 9, 9, 9, 9, 9 } };

	udp4_frame(&f, 9, pl, sizeof(pl));                 /* nobody on port 9 */
	one(&f, TERN_CTR_DROP_NO_HANDLER);

	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	f.b[f.len - 1] ^= 0xff;                            /* UDP checksum now wrong */
	one(&f, TERN_CTR_DROP_BAD_CKSUM);

	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	f.b[14 + 8] = 1;                                    /* TTL changed: IP checksum wrong */
	one(&f, TERN_CTR_DROP_BAD_CKSUM);

	put_eth(&f, &other, RTE_ETHER_TYPE_IPV4);          /* another host's MAC */
	put_udp4(&f, TERN_IP4, ECHO_PORT, pl, sizeof(pl), 0);
	one(&f, TERN_CTR_DROP_NOT_FOR_US);

	{
		struct rte_ether_addr mac = tern_mac();

		put_eth(&f, &mac, RTE_ETHER_TYPE_IPV4);    /* another host's IP */
		put_udp4(&f, IP4(198, 18, 0, 77), ECHO_PORT, pl, sizeof(pl), 0);
		one(&f, TERN_CTR_DROP_NOT_FOR_US);
	}

	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	f.len = 14 + 20 + 4;                                /* cut inside UDP */
	one(&f, TERN_CTR_DROP_MALFORMED);

	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	f.b[14 + 6] = 0x20;                                 /* more fragments */
	one(&f, TERN_CTR_DROP_UNSUPPORTED);

	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	f.b[14 + 9] = IPPROTO_TCP;                          /* TCP: not handled */
	((struct rte_ipv4_hdr *)(f.b + 14))->hdr_checksum = 0;
	((struct rte_ipv4_hdr *)(f.b + 14))->hdr_checksum =
		rte_ipv4_cksum((struct rte_ipv4_hdr *)(f.b + 14));
	one(&f, TERN_CTR_DROP_UNSUPPORTED);
}

/* A full burst of mixed traffic: one counter per fate, nothing lost. */
static void
test_mixed_burst(void)
{
	static struct frame f[32];
	static const char pl[] = "burst";
	struct rte_mbuf *r[64];
	uint64_t tx0 = ctr(TERN_CTR_TX), nh0 = ctr(TERN_CTR_DROP_NO_HANDLER);
	unsigned n;

	for (unsigned i = 0; i < 32; i++)
		udp4_frame(&f[i], i % 4 == 3 ? 9 : (i % 2 ? FIXED_PORT : ECHO_PORT),
			   pl, sizeof(pl));
	send_frames(f, 32);
	n = collect(r, 64);
	CHECK_EQ(n, 24);
	CHECK_EQ(ctr(TERN_CTR_TX) - tx0, 24);
	CHECK_EQ(ctr(TERN_CTR_DROP_NO_HANDLER) - nh0, 8);
	rte_pktmbuf_free_bulk(r, n);
}

/* With TX checksum offload on, the reply asks the device to finish the sums:
 * flags and header lengths set, pseudo-header sum seeded, IP checksum 0. */
static void
test_tx_offload_request(void)
{
	struct tern_reply_port *rp = &eng.workers[0].reply_port[port];
	uint64_t saved = rp->tx_offloads;
	static const char pl[] = "offload";
	struct frame f;
	struct rte_mbuf *r;

	rp->tx_offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	r = one(&f, TERN_CTR_TX);
	rp->tx_offloads = saved;
	if (r != NULL) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, 14);
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
		uint64_t want = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;

		CHECK_EQ(r->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, want);
		CHECK_EQ(r->l2_len, 14);
		CHECK_EQ(r->l3_len, 20);
		CHECK_EQ(ip->hdr_checksum, 0);
		CHECK_EQ(udp->dgram_cksum, rte_ipv4_phdr_cksum(ip, r->ol_flags));
		/* What the device would do gives a valid datagram. */
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
		CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip, udp), 0);
		rte_pktmbuf_free(r);
	}
}

/* A device with UDP TX checksum offload but no IPv4 one (virtio): the
 * device gets the UDP sum to finish, the IPv4 header is summed here. */
static void
test_tx_offload_udp_only(void)
{
	struct tern_reply_port *rp = &eng.workers[0].reply_port[port];
	uint64_t saved = rp->tx_offloads;
	static const char pl[] = "virtio";
	struct frame f;
	struct rte_mbuf *r;

	rp->tx_offloads = RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	r = one(&f, TERN_CTR_TX);
	rp->tx_offloads = saved;
	if (r != NULL) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, 14);
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

		CHECK_EQ(r->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK,
			 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM);
		CHECK_EQ(r->l2_len, 14);
		CHECK_EQ(r->l3_len, 20);
		CHECK(tern_cksum_ipv4_hdr_ok(ip, sizeof(*ip)));
		CHECK_EQ(udp->dgram_cksum, rte_ipv4_phdr_cksum(ip, r->ol_flags));
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
		CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip, udp), 0);
		rte_pktmbuf_free(r);
	}
}

/* When the TX queue is full, what it refuses is freed and counted. */
static void
test_tx_full(void)
{
	static struct frame f[32];
	static const char pl[] = "flood";
	uint64_t tx0 = ctr(TERN_CTR_TX), full0 = ctr(TERN_CTR_DROP_TX_FULL);
	struct rte_mbuf *r[32];
	unsigned sent = 0, got = 0, n;

	for (unsigned i = 0; i < 32; i++)
		udp4_frame(&f[i], ECHO_PORT, pl, sizeof(pl));
	for (unsigned round = 0; round < 200 && ctr(TERN_CTR_DROP_TX_FULL) == full0; round++) {
		send_frames(f, 32);
		sent += 32;
	}
	CHECK(ctr(TERN_CTR_DROP_TX_FULL) > full0);
	CHECK_EQ(ctr(TERN_CTR_TX) - tx0 + ctr(TERN_CTR_DROP_TX_FULL) - full0, sent);
	while ((n = collect(r, 32)) != 0) {
		got += n;
		rte_pktmbuf_free_bulk(r, n);
	}
	CHECK_EQ(got, ctr(TERN_CTR_TX) - tx0);
}

/* Never answer a source no reply may go to: each is dropped and counted,
 * and the same request from a normal source is answered. */
static void
test_bad_source(void)
{
	static const uint32_t bad4[] = {
		IP4(0, 0, 0, 0), IP4(0, 1, 2, 3), IP4(127, 0, 0, 1), IP4(224, 0, 0, 1),
		IP4(239, 255, 255, 250), IP4(240, 0, 0, 1), IP4(255, 255, 255, 255),
		IP4(198, 18, 0, 255) /* tern's subnet's broadcast */,
		IP4(198, 18, 0, 0) /* ... and its network address */, TERN_IP4 /* itself */,
	};
	static const uint8_t bad6[][16] = {
		{ [15] = 0 }, { [15] = 1 }, { 0xff, 0x02, [15] = 1 },
		{ [10] = 0xff, [11] = 0xff, 198, 18, 0, 2 }, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	};
	struct rte_ether_addr mac = tern_mac();
	struct frame f;
	uint8_t pl[4] = "src";
	char log[1024];

	drain_notes(log, sizeof(log));
	for (size_t i = 0; i < RTE_DIM(bad4); i++) {
		peer4 = bad4[i];
		udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
		one(&f, TERN_CTR_DROP_BAD_SOURCE);
	}
	peer4 = PEER_IP4;
	for (size_t i = 0; i < RTE_DIM(bad6); i++) {
		peer6 = bad6[i];
		put_eth(&f, &mac, RTE_ETHER_TYPE_IPV6);
		put_udp6(&f, ECHO_PORT, pl, sizeof(pl), false);
		one(&f, TERN_CTR_DROP_BAD_SOURCE);
	}
	peer6 = peer6_default;
	udp4_frame(&f, ECHO_PORT, pl, sizeof(pl));
	rte_pktmbuf_free(one(&f, TERN_CTR_TX));
	/* The log names the first source and counts the others. */
	drain_notes(log, sizeof(log));
	CHECK(strstr(log, "ternd: drop_bad_source: a request from 0.0.0.0:") != NULL);
	CHECK(strstr(log, "[14 more like it since the last line]") != NULL);
}

/* A unicast request inside a broadcast or multicast frame is not for us;
 * an IP packet longer than the port's MTU (1500 here) is dropped. */
static void
test_group_frame_and_mtu(void)
{
	struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_ether_addr mcast = { .addr_bytes = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	static uint8_t pl[1600];
	struct frame f;

	put_eth(&f, &bcast, RTE_ETHER_TYPE_IPV4);
	put_udp4(&f, TERN_IP4, ECHO_PORT, pl, 8, 0);
	one(&f, TERN_CTR_DROP_NOT_FOR_US);
	put_eth(&f, &mcast, RTE_ETHER_TYPE_IPV4);
	put_udp4(&f, TERN_IP4, ECHO_PORT, pl, 8, 0);
	one(&f, TERN_CTR_DROP_NOT_FOR_US);
	put_eth(&f, &bcast, RTE_ETHER_TYPE_IPV6);
	put_udp6(&f, ECHO_PORT, pl, 8, false);
	one(&f, TERN_CTR_DROP_NOT_FOR_US);
	udp4_frame(&f, ECHO_PORT, pl, 1500 - 28 + 1);
	one(&f, TERN_CTR_DROP_TOO_BIG);
	udp4_frame(&f, ECHO_PORT, pl, 1500 - 28);
	rte_pktmbuf_free(one(&f, TERN_CTR_TX));
}

/* Per-source rate limit 10/s, bursts of 5: a sender's burst of 8 gets 5
 * answers and 3 drops; another sender is not affected by the first. */
static void
test_rate_limit(void)
{
	struct frame f[8];
	struct rte_mbuf *r[16];
	uint64_t drop0 = ctr(TERN_CTR_DROP_RATE_LIMIT);
	uint8_t pl[4] = "rl";
	char log[1024];
	unsigned n;

	drain_notes(log, sizeof(log));
	for (unsigned i = 0; i < 8; i++)
		udp4_frame(&f[i], LIMITED_PORT, pl, sizeof(pl));
	send_frames(f, 8);
	n = collect(r, RTE_DIM(r));
	CHECK_EQ(n, 5);
	rte_pktmbuf_free_bulk(r, n);
	CHECK_EQ(ctr(TERN_CTR_DROP_RATE_LIMIT), drop0 + 3);
	peer4 = IP4(198, 18, 0, 3);
	for (unsigned i = 0; i < 8; i++)
		udp4_frame(&f[i], LIMITED_PORT, pl, sizeof(pl));
	peer4 = PEER_IP4;
	send_frames(f, 8);
	n = collect(r, RTE_DIM(r));
	CHECK_EQ(n, 5);
	rte_pktmbuf_free_bulk(r, n);
	CHECK_EQ(ctr(TERN_CTR_DROP_RATE_LIMIT), drop0 + 6);
	/* Six drops, one note queued: the worker itself keeps to one a second. */
	CHECK_EQ(eng.workers[0].droplog.tail - eng.workers[0].droplog.head, 1);
	drain_notes(log, sizeof(log));
	CHECK(strstr(log, "ternd: drop_rate_limit: a request from 198.18.0.2:") != NULL);
	CHECK(strstr(log, "(app limited, udp 21) was over the app's per-source rate limit "
			  "rate_limit=10/5") != NULL);
	CHECK(strstr(log, "[5 more like it since the last line]") != NULL);
}

/* The drop notes printed now (drop_log.h), forcing them due: the text. */
static void
drain_notes(char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	uint64_t total[TERN_CTR_MAX];

	CHECK(f != NULL);
	tern_engine_droplog_drain(&eng, f);
	fclose(f);
	/* The next drops are noted at once, and counted from here. */
	memset(eng.workers[0].droplog.next_tsc, 0, sizeof(eng.workers[0].droplog.next_tsc));
	memset(eng.droplog.last_ns, 0, sizeof(eng.droplog.last_ns));
	tern_engine_ctr_total(&eng, tern_engine_port_counters, total);
	eng.droplog.counted[TERN_DL_AMPLIFICATION] = total[TERN_CTR_DROP_AMPLIFICATION];
	eng.droplog.counted[TERN_DL_RATE_LIMIT] = total[TERN_CTR_DROP_RATE_LIMIT];
	eng.droplog.counted[TERN_DL_BAD_SOURCE] = total[TERN_CTR_DROP_BAD_SOURCE];
	eng.droplog.counted[TERN_DL_TOO_BIG] = total[TERN_CTR_DROP_TOO_BIG];
}

static void
set_trust_local(bool on)
{
	struct tern_err err;

	CHECK_EQ(tern_engine_trust_local(&eng, on, &err), 0);
}

static void
trust(const char *prefix, bool add)
{
	struct tern_prefix p;
	struct tern_err err;

	CHECK_EQ(tern_prefix_parse(prefix, &p, &err), 0);
	CHECK_EQ(add ? tern_engine_trust_add(&eng, &p, &err) : tern_engine_trust_del(&eng, &p, &err),
		 0);
}

/* No amplification for sources on no subnet of tern's: with the default
 * limit (3x), a 1000-byte reply needs a request of at least 1028 / 3 bytes
 * of IP length (315 bytes of payload); one byte less and it is dropped,
 * counted and explained in the log (the source, the app, the numbers, the
 * option). Sources on tern's own subnet (unless `trust local off`) and in
 * a trusted prefix get the whole reply. */
static void
test_amplification(void)
{
	static uint8_t pl[400];
	char log[1024];
	struct frame f;
	struct rte_mbuf *r;

	drain_notes(log, sizeof(log));
	peer4 = OFFNET_IP4;
	udp4_frame(&f, AMP_PORT, pl, 315);
	r = one(&f, TERN_CTR_TX);
	if (r != NULL) {
		check_udp4_reply(r, 14, AMP_PORT, NULL, FIXED_SIZE);
		rte_pktmbuf_free(r);
	}
	udp4_frame(&f, AMP_PORT, pl, 314);
	one(&f, TERN_CTR_DROP_AMPLIFICATION);
	udp4_frame(&f, AMP_PORT, pl, 1);
	one(&f, TERN_CTR_DROP_AMPLIFICATION);
	drain_notes(log, sizeof(log));
	CHECK(strstr(log, "ternd: drop_amplification: a reply to 198.19.0.9:") != NULL);
	CHECK(strstr(log, "(app amp, udp 20) was 1028 bytes of IP for a 342-byte request, "
			  "over max_amplification=3") != NULL);
	CHECK(strstr(log, "trust add PREFIX") != NULL);
	/* One line per reason and second: the second drop waited, and is counted
	 * in the next line. */
	CHECK(strstr(log, "[1 more like it since the last line]") != NULL);
	/* Loaded with max_amplification=100: the same 1-byte request is answered. */
	udp4_frame(&f, FIXED_PORT, pl, 1);
	r = one(&f, TERN_CTR_TX);
	rte_pktmbuf_free(r);
	/* A trusted prefix gets the whole reply; untrusted again, nothing. */
	trust("198.19.0.0/16", true);
	udp4_frame(&f, AMP_PORT, pl, 1);
	rte_pktmbuf_free(one(&f, TERN_CTR_TX));
	trust("198.19.0.0/16", false);
	udp4_frame(&f, AMP_PORT, pl, 1);
	one(&f, TERN_CTR_DROP_AMPLIFICATION);
	/* tern's own subnet is trusted, unless `trust local off`. */
	peer4 = PEER_IP4;
	udp4_frame(&f, AMP_PORT, pl, 1);
	rte_pktmbuf_free(one(&f, TERN_CTR_TX));
	set_trust_local(false);
	udp4_frame(&f, AMP_PORT, pl, 1);
	one(&f, TERN_CTR_DROP_AMPLIFICATION);
	set_trust_local(true);
	drain_notes(log, sizeof(log));
}

/* ---- scheduling: priority, budgets, backlog --------------------------- */

static uint64_t
wctr(enum tern_wctr c)
{
	uint64_t v[TERN_WCTR_MAX];

	tern_engine_worker_events(&eng, 0, v);
	return v[c];
}

/* What a second thread saw leave the engine, and when. */
struct observed {
	uint64_t t0;                /* when the burst was handed to the engine */
	volatile int stop;
	unsigned n;
	uint64_t t[16];
	uint16_t ether_type[16];
};

static void *
observe(void *arg)
{
	struct observed *o = arg;
	struct rte_mbuf *m[16];

	while (!o->stop && o->n < RTE_DIM(o->t)) {
		unsigned nb = rte_eth_rx_burst(port, 0, m, RTE_DIM(o->t) - o->n);

		for (unsigned i = 0; i < nb; i++) {
			const struct rte_ether_hdr *eth =
				rte_pktmbuf_mtod(m[i], const struct rte_ether_hdr *);

			o->t[o->n] = rte_rdtsc();
			o->ether_type[o->n++] = rte_be_to_cpu_16(eth->ether_type);
		}
		rte_pktmbuf_free_bulk(m, nb);
	}
	return NULL;
}

/* The observer runs on any CPU but the main lcore's (which the engine's
 * slow app keeps busy); EAL pinned this thread, and threads inherit it. */
static int
start_observer(pthread_t *th, struct observed *o)
{
	pthread_attr_t attr;
	cpu_set_t cpus;
	int ret;

	CPU_ZERO(&cpus);
	for (int c = 0; c < CPU_SETSIZE && c < (int)sysconf(_SC_NPROCESSORS_ONLN); c++)
		CPU_SET(c, &cpus);
	if (CPU_COUNT(&cpus) > 1)
		CPU_CLR(sched_getcpu(), &cpus);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	ret = pthread_create(th, &attr, observe, o);
	pthread_attr_destroy(&attr);
	return ret;
}

/* Priority: in a burst of requests for a slow app (20 ms each) with an ARP
 * request behind them, the ARP reply leaves before the app starts, not
 * after it is done. (Long service times keep the check clear of this VM's
 * multi-millisecond stalls.) */
static void
test_priority(void)
{
	const unsigned n_slow = 6;
	struct frame f[7];
	struct observed o = { .n = 0 };
	uint64_t flush0 = wctr(TERN_WCTR_PRIO_FLUSH), ms = rte_get_tsc_hz() / 1000;
	uint8_t pl[8] = "slow";
	pthread_t th;

	for (unsigned i = 0; i < n_slow; i++)
		udp4_frame(&f[i], SLOW_PORT, pl, sizeof(pl));
	arp_frame(&f[n_slow], TERN_IP4);
	CHECK_EQ(start_observer(&th, &o), 0);
	o.t0 = rte_rdtsc();
	send_frames(f, n_slow + 1);
	for (int i = 0; i < 1000 && o.n < n_slow + 1; i++)
		rte_delay_us_sleep(1000);
	o.stop = 1;
	pthread_join(th, NULL);
	CHECK_EQ(o.n, n_slow + 1);
	CHECK_EQ(o.ether_type[0], RTE_ETHER_TYPE_ARP);
	/* Sent well before the app is half done (without priority it would
	 * leave with the replies, after all six). */
	CHECK(o.t[0] - o.t0 < 3 * SLOW_NS / 1000000 * ms);
	CHECK(o.t[n_slow] - o.t0 >= n_slow * SLOW_NS / 1000000 * ms);
	CHECK_EQ(wctr(TERN_WCTR_PRIO_FLUSH), flush0 + 1);
}

/* Collect n replies and check their payloads are "seq" first..first+n-1. */
static void
collect_seq(unsigned first, unsigned n)
{
	struct rte_mbuf *r[64];
	unsigned got = collect(r, RTE_DIM(r));

	CHECK_EQ(got, n);
	for (unsigned i = 0; i < got; i++) {
		uint32_t seq; /* the payload is not 4-byte aligned in the frame */

		memcpy(&seq, rte_pktmbuf_mtod_offset(r[i], const uint8_t *, 14 + 20 + 8),
		       sizeof(seq));
		CHECK_EQ(seq, first + i);
	}
	rte_pktmbuf_free_bulk(r, got);
}

/* One iteration of the worker loop without polling RX (net_ring loops our
 * own replies back to RX; the test collects them instead). */
static void
iterate(void)
{
	struct tern_worker *w = &eng.workers[0];
	unsigned n_rxq = w->n_rxq;

	w->n_rxq = 0;
	tern_worker_poll_once(w);
	w->n_rxq = n_rxq;
}

/* Budgets: an app with budget 4 handles 4 requests per iteration, in order;
 * the rest wait in the backlog; another app in the same burst is not held
 * up behind it. */
static void
test_budget(void)
{
	struct tern_worker *w = &eng.workers[0];
	struct tern_err err;
	struct frame f[20];
	uint64_t hits0 = wctr(TERN_WCTR_BUDGET_HITS), def0 = wctr(TERN_WCTR_DEFERRED);
	struct rte_mbuf *r[64];
	unsigned n;

	CHECK_EQ(tern_engine_app_budget(&eng, "echo", 4, &err), 0);
	for (uint32_t i = 0; i < 16; i++)
		udp4_frame(&f[i], ECHO_PORT, &i, sizeof(i));
	for (unsigned i = 16; i < 20; i++)
		udp4_frame(&f[i], FIXED_PORT, "x", 1);
	w->iter++;
	send_frames(f, 20);
	/* 4 echo replies, then the 4 fixed-size ones. */
	n = collect(r, RTE_DIM(r));
	CHECK_EQ(n, 8);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(rte_pktmbuf_pkt_len(r[i]), i < 4 ? 14u + 20 + 8 + 4 :
			 14u + 20 + 8 + FIXED_SIZE);
	rte_pktmbuf_free_bulk(r, n);
	CHECK_EQ(tern_worker_backlog_len(w), 12);
	CHECK_EQ(wctr(TERN_WCTR_BUDGET_HITS), hits0 + 1);
	CHECK_EQ(wctr(TERN_WCTR_DEFERRED), def0 + 12);
	for (unsigned it = 1; it < 4; it++) {
		iterate();
		collect_seq(4 * it, 4);
	}
	CHECK_EQ(tern_worker_backlog_len(w), 0);
	CHECK_EQ(tern_engine_app_budget(&eng, "echo", 0, &err), 0);
}

/* A full backlog drops what does not fit, counted; everything kept is
 * answered later; no mbuf is lost. */
static void
test_backlog_full(void)
{
	struct tern_worker *w = &eng.workers[0];
	struct tern_err err;
	struct frame *f = calloc(TERN_BURST_MAX, sizeof(*f));
	uint64_t drop0 = ctr(TERN_CTR_DROP_BACKLOG), tx0 = ctr(TERN_CTR_TX);
	unsigned sent = 0, got = 0, n;
	struct rte_mbuf *r[64];

	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(tern_engine_app_budget(&eng, "echo", 1, &err), 0);
	for (uint32_t i = 0; i < TERN_BURST_MAX; i++)
		udp4_frame(&f[i], ECHO_PORT, &i, sizeof(i));
	for (int b = 0; b < 5; b++) {
		w->iter++;
		send_frames(f, TERN_BURST_MAX);
		sent += TERN_BURST_MAX;
		while ((n = collect(r, RTE_DIM(r))) != 0) {
			got += n;
			rte_pktmbuf_free_bulk(r, n);
		}
	}
	CHECK_EQ(tern_worker_backlog_len(w), TERN_BACKLOG);
	CHECK(ctr(TERN_CTR_DROP_BACKLOG) > drop0);
	CHECK_EQ(got + TERN_BACKLOG + (ctr(TERN_CTR_DROP_BACKLOG) - drop0), sent);
	CHECK_EQ(tern_engine_app_budget(&eng, "echo", 32, &err), 0);
	while (tern_worker_backlog_len(w) != 0) {
		iterate();
		while ((n = collect(r, RTE_DIM(r))) != 0) {
			got += n;
			rte_pktmbuf_free_bulk(r, n);
		}
	}
	CHECK_EQ(got, ctr(TERN_CTR_TX) - tx0);
	CHECK_EQ(got + (ctr(TERN_CTR_DROP_BACKLOG) - drop0), sent);
	CHECK_EQ(tern_engine_app_budget(&eng, "echo", 0, &err), 0);
	free(f);
}

/* An app's DROP verdict: the request is freed (the pool is as before) and
 * counted as drop_app, nothing is sent. (udp_responder in sockperf mode
 * drops a message too short to be one.) */
static void
test_drop_verdict(void)
{
	unsigned in_use = tern_engine_mbufs_in_use(&eng);
	struct frame f;

	udp4_frame(&f, SOCKPERF_PORT, "x", 1);
	one(&f, TERN_CTR_DROP_APP);
	CHECK_EQ(tern_engine_mbufs_in_use(&eng), in_use);
}

/*
 * The in-test app. On HANDOFF_PORT: every request to worker 0, even one that
 * was handed off already. On HALF_ECHO_PORT: the first half of the payload
 * back, with TERN_REPLY_F_ECHO set although the length changed (the engine
 * must sum it, not keep the request's checksum).
 */
static void
test_app_burst(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	(void)state;
	(void)worker;
	for (uint16_t i = 0; i < n; i++) {
		if (reqs[i].dst_port == HALF_ECHO_PORT) {
			reqs[i].len /= 2;
			reqs[i].reply_flags = TERN_REPLY_F_ECHO;
			reqs[i].verdict = TERN_VERDICT_REPLY;
			continue;
		}
		reqs[i].verdict = TERN_VERDICT_HANDOFF;
		reqs[i].to_worker = 0;
	}
}

static int
install_test_app(void)
{
	static struct tern_app_wstats ws[RTE_MAX_LCORE];
	struct tern_handler_table *t = tern_handler_table_clone(eng.handlers);
	struct tern_handler h = { .burst = test_app_burst, .ws = ws };
	struct tern_err err;

	if (t == NULL ||
	    tern_handler_table_bind_udp(t, HANDOFF_PORT, TEST_APP_SLOT, &h, &err) < 0 ||
	    tern_handler_table_bind_udp(t, HALF_ECHO_PORT, TEST_APP_SLOT, &h, &err) < 0) {
		free(t);
		return -1;
	}
	tern_rcu_replace((void **)&eng.handlers, t, free);
	return 0;
}

/* A request is handed off once: the second HANDOFF (from the worker it was
 * handed to) is refused, freed and counted as drop_handoff, so two workers
 * can never pass a request back and forth. */
static void
test_handoff_once(void)
{
	unsigned in_use = tern_engine_mbufs_in_use(&eng);
	uint64_t drop0 = ctr(TERN_CTR_DROP_HANDOFF), out0 = wctr(TERN_WCTR_HANDOFF_OUT);
	uint64_t in0 = wctr(TERN_WCTR_HANDOFF_IN);
	struct frame f;

	udp4_frame(&f, HANDOFF_PORT, "h", 1);
	send_frames(&f, 1);
	CHECK_EQ(wctr(TERN_WCTR_HANDOFF_OUT), out0 + 1);
	CHECK_EQ(ctr(TERN_CTR_DROP_HANDOFF), drop0);
	iterate(); /* worker 0 takes it from its ring; the app hands it off again */
	CHECK_EQ(wctr(TERN_WCTR_HANDOFF_IN), in0 + 1);
	CHECK_EQ(wctr(TERN_WCTR_HANDOFF_OUT), out0 + 1);
	CHECK_EQ(ctr(TERN_CTR_DROP_HANDOFF), drop0 + 1);
	iterate();
	CHECK_EQ(wctr(TERN_WCTR_HANDOFF_IN), in0 + 1);
	CHECK_EQ(tern_engine_mbufs_in_use(&eng), in_use);
	collect_seq(0, 0);
}

/* Send f with the device's RX checksum flags ol; expect a reply (why TX)
 * or a drop counted under why. */
static void
one_flags(struct frame *f, uint64_t ol, enum tern_ctr why)
{
	uint64_t before = ctr(why);
	struct rte_mbuf *m = rte_pktmbuf_alloc(eng.pool), *r[4];
	unsigned n;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	memcpy(rte_pktmbuf_append(m, f->len), f->b, f->len);
	m->ol_flags = ol;
	tern_worker_handle_burst(&eng.workers[0], port, &m, 1);
	n = collect(r, RTE_DIM(r));
	CHECK_EQ(ctr(why), before + 1);
	CHECK_EQ(n, why == TERN_CTR_TX ? 1u : 0u);
	rte_pktmbuf_free_bulk(r, n);
}

/* The device's RX checksum flags decide when it gives one: GOOD is
 * trusted (even over a wrong checksum), BAD is dropped (even with a right
 * one); UNKNOWN and NONE fall back to checking in software. */
static void
test_rx_cksum_flags(void)
{
	const uint64_t ip_good = RTE_MBUF_F_RX_IP_CKSUM_GOOD, ip_bad = RTE_MBUF_F_RX_IP_CKSUM_BAD;
	const uint64_t l4_good = RTE_MBUF_F_RX_L4_CKSUM_GOOD, l4_bad = RTE_MBUF_F_RX_L4_CKSUM_BAD;
	const uint64_t l4_none = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	struct frame ok, bad_udp, bad_ip;
	size_t udp_ck = 14 + 20 + 6, ip_ck = 14 + 10;

	udp4_frame(&ok, ECHO_PORT, "cksum", 5);
	bad_udp = ok;
	bad_udp.b[udp_ck] ^= 0x5a;
	bad_ip = ok;
	bad_ip.b[ip_ck] ^= 0x5a;
	/* right checksums */
	one_flags(&ok, 0, TERN_CTR_TX);
	one_flags(&ok, ip_good | l4_good, TERN_CTR_TX);
	one_flags(&ok, ip_bad | l4_good, TERN_CTR_DROP_BAD_CKSUM);
	one_flags(&ok, ip_good | l4_bad, TERN_CTR_DROP_BAD_CKSUM);
	/* a wrong UDP checksum */
	one_flags(&bad_udp, 0, TERN_CTR_DROP_BAD_CKSUM);
	one_flags(&bad_udp, ip_good, TERN_CTR_DROP_BAD_CKSUM);
	one_flags(&bad_udp, ip_good | l4_none, TERN_CTR_DROP_BAD_CKSUM);
	one_flags(&bad_udp, ip_good | l4_good, TERN_CTR_TX);
	/* a wrong IPv4 header checksum */
	one_flags(&bad_ip, 0, TERN_CTR_DROP_BAD_CKSUM);
	one_flags(&bad_ip, l4_good, TERN_CTR_DROP_BAD_CKSUM);
	one_flags(&bad_ip, ip_good | l4_good, TERN_CTR_TX);
}

/* A rate-limited app with a budget: each request is charged to its source
 * once, when it arrives, not again when it comes back from the backlog. */
static void
test_rate_limit_with_budget(void)
{
	uint64_t drop0 = ctr(TERN_CTR_DROP_RATE_LIMIT), def0 = wctr(TERN_WCTR_DEFERRED);
	struct tern_worker *w = &eng.workers[0];
	struct tern_err err;
	struct frame f[5];
	struct rte_mbuf *r[8];
	unsigned n, got = 0;

	CHECK_EQ(tern_engine_app_budget(&eng, "limited", 1, &err), 0);
	peer4 = IP4(198, 18, 0, 4); /* a source with a full bucket (burst 5) */
	for (unsigned i = 0; i < RTE_DIM(f); i++)
		udp4_frame(&f[i], LIMITED_PORT, "rb", 2);
	peer4 = PEER_IP4;
	w->iter++;
	send_frames(f, RTE_DIM(f));
	CHECK_EQ(wctr(TERN_WCTR_DEFERRED), def0 + 4);
	for (unsigned it = 0; it < 6; it++) {
		n = collect(r, RTE_DIM(r));
		got += n;
		rte_pktmbuf_free_bulk(r, n);
		iterate();
	}
	CHECK_EQ(got, RTE_DIM(f));
	CHECK_EQ(ctr(TERN_CTR_DROP_RATE_LIMIT), drop0);
	CHECK_EQ(tern_worker_backlog_len(w), 0);
	CHECK_EQ(tern_engine_app_budget(&eng, "limited", 0, &err), 0);
}

/* A deferred request keeps its own arrival time however often it goes round
 * the backlog: two bursts deferred one after the other stay apart, so the
 * in-engine latency of the second is not measured from the first's
 * arrival. */
static void
test_backlog_keeps_arrival(void)
{
	struct tern_worker *w = &eng.workers[0];
	struct tern_backlog *b = &w->backlog;
	struct tern_err err;
	struct frame f[4];
	struct rte_mbuf *r[8];
	uint64_t t_first;
	unsigned n;

	CHECK_EQ(tern_engine_app_budget(&eng, "echo", 1, &err), 0);
	for (uint32_t i = 0; i < RTE_DIM(f); i++)
		udp4_frame(&f[i], ECHO_PORT, &i, sizeof(i));
	w->iter++;
	send_frames(f, RTE_DIM(f));      /* one answered, three deferred */
	send_frames(f, RTE_DIM(f));      /* same iteration: four deferred */
	CHECK_EQ(tern_worker_backlog_len(w), 7);
	t_first = b->e[b->head & (TERN_BACKLOG - 1)].t_rx;
	CHECK(b->e[(b->head + 3) & (TERN_BACKLOG - 1)].t_rx > t_first);
	iterate();                       /* one more answered, six go round */
	CHECK_EQ(tern_worker_backlog_len(w), 6);
	CHECK_EQ(b->e[b->head & (TERN_BACKLOG - 1)].t_rx, t_first);
	CHECK_EQ(b->e[(b->head + 1) & (TERN_BACKLOG - 1)].t_rx, t_first);
	for (unsigned k = 2; k < 6; k++)
		CHECK(b->e[(b->head + k) & (TERN_BACKLOG - 1)].t_rx > t_first);
	CHECK_EQ(tern_engine_app_budget(&eng, "echo", 0, &err), 0);
	for (unsigned it = 0; it < 3 && tern_worker_backlog_len(w) != 0; it++)
		iterate();
	CHECK_EQ(tern_worker_backlog_len(w), 0);
	while ((n = collect(r, RTE_DIM(r))) != 0)
		rte_pktmbuf_free_bulk(r, n);
}

/* reply_more: replies=3 answers one request with three datagrams, each a
 * well-formed reply (checksums right) with the request's payload, counted in
 * tx and tx_more; under the default 3x limit, replies=16 gets three out (all
 * of a request's datagrams, its own reply included, count against the limit
 * together): the refused one is counted, and the reply that no longer fits
 * is dropped as an amplification. Outside a burst reply_more is refused. */
static void
test_reply_more(void)
{
	static const char pl[] = "several datagrams";
	uint64_t tx0 = ctr(TERN_CTR_TX), more0 = ctr(TERN_CTR_TX_MORE);
	uint64_t ref0 = ctr(TERN_CTR_MORE_REFUSED), amp0 = ctr(TERN_CTR_DROP_AMPLIFICATION);
	struct tern_udp_req r = { 0 };
	struct rte_mbuf *m[32];
	struct frame f;
	unsigned n;

	tern_host_set_worker(0); /* this thread plays worker 0 */
	udp4_frame(&f, MULTI_PORT, pl, sizeof(pl));
	send_frames(&f, 1);
	n = collect(m, RTE_DIM(m));
	CHECK_EQ(n, 3);
	for (unsigned i = 0; i < n; i++)
		check_udp4_reply(m[i], 14, MULTI_PORT, pl, sizeof(pl));
	rte_pktmbuf_free_bulk(m, n);
	CHECK_EQ(ctr(TERN_CTR_TX), tx0 + 3);
	CHECK_EQ(ctr(TERN_CTR_TX_MORE), more0 + 2);
	CHECK_EQ(ctr(TERN_CTR_MORE_REFUSED), ref0);

	/* From a source on no subnet of tern's: three same-size datagrams use
	 * the whole 3x allowance, the fourth reply_more is refused, and then
	 * nothing of the reply leaves: the three are withdrawn (counted as
	 * refused) and the request's own reply is dropped as an amplification. */
	peer4 = OFFNET_IP4;
	udp4_frame(&f, MULTIAMP_PORT, pl, sizeof(pl));
	send_frames(&f, 1);
	n = collect(m, RTE_DIM(m));
	CHECK_EQ(n, 0);
	CHECK_EQ(ctr(TERN_CTR_TX_MORE), more0 + 2);
	CHECK_EQ(ctr(TERN_CTR_MORE_REFUSED), ref0 + 4);
	CHECK_EQ(ctr(TERN_CTR_DROP_AMPLIFICATION), amp0 + 1);
	/* The same from tern's own subnet: all 16 datagrams. */
	peer4 = PEER_IP4;
	udp4_frame(&f, MULTIAMP_PORT, pl, sizeof(pl));
	send_frames(&f, 1);
	n = collect(m, RTE_DIM(m));
	CHECK_EQ(n, 16);
	for (unsigned i = 0; i < n; i++)
		check_udp4_reply(m[i], 14, MULTIAMP_PORT, pl, sizeof(pl));
	rte_pktmbuf_free_bulk(m, n);
	CHECK_EQ(ctr(TERN_CTR_TX_MORE), more0 + 17);
	CHECK_EQ(ctr(TERN_CTR_DROP_AMPLIFICATION), amp0 + 1);
	CHECK_EQ(tern_host_ops.reply_more(NULL, &r, pl, sizeof(pl)), -EINVAL);
	tern_host_set_worker(TERN_FROM_CONTROL);
}

/* CONSUMED: the app owns the frame; frame_free gives it back, frame_send
 * transmits it unchanged. Both counted (consumed, app_sent in tx), no mbuf
 * lost (main checks the pool at the end). */
static void
test_consumed(void)
{
	static const char send_cmd[] = "consume send", free_cmd[] = "consume free";
	uint64_t tx0 = ctr(TERN_CTR_TX), con0 = ctr(TERN_CTR_CONSUMED);
	uint64_t sent0 = ctr(TERN_CTR_APP_SENT);
	struct rte_mbuf *m[4];
	struct frame f;
	unsigned n;

	tern_host_set_worker(0);
	udp4_frame(&f, EVENT_PORT, free_cmd, sizeof(free_cmd) - 1);
	send_frames(&f, 1);
	CHECK_EQ(collect(m, RTE_DIM(m)), 0);
	CHECK_EQ(ctr(TERN_CTR_CONSUMED), con0 + 1);

	udp4_frame(&f, EVENT_PORT, send_cmd, sizeof(send_cmd) - 1);
	send_frames(&f, 1);
	n = collect(m, RTE_DIM(m));
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(m[0]->pkt_len, f.len);
		CHECK(memcmp(rte_pktmbuf_mtod(m[0], const void *), f.b, f.len) == 0);
	}
	rte_pktmbuf_free_bulk(m, n);
	CHECK_EQ(ctr(TERN_CTR_CONSUMED), con0 + 2);
	CHECK_EQ(ctr(TERN_CTR_APP_SENT), sent0 + 1);
	CHECK_EQ(ctr(TERN_CTR_TX), tx0 + 1);
	tern_host_set_worker(TERN_FROM_CONTROL);
}

/* Publish the handler table with slot's hold flag set to hold. */
static int
set_hold(uint8_t slot, uint8_t hold)
{
	struct tern_handler_table *t = tern_handler_table_clone(eng.handlers);

	CHECK(t != NULL);
	if (t == NULL)
		return -1;
	t->h[slot].hold = hold;
	tern_rcu_replace((void **)&eng.handlers, t, free);
	return 0;
}

/* app replace's hold: while echo's slot is held its requests wait in the
 * backlog, counted once however many iterations pass; unheld, they are
 * answered first, in arrival order, and the instance counts them as held. */
static void
test_hold(void)
{
	struct tern_worker *w = &eng.workers[0];
	struct tern_app_instance *echo = tern_engine_app_find(&eng, "echo");
	uint64_t held0 = wctr(TERN_WCTR_HELD);
	struct tern_app_totals before, after;
	struct frame f[8];

	tern_app_totals_read(echo->ws, echo->n_ws, &before);
	if (set_hold(echo->slot, 1) < 0)
		return;
	for (uint32_t i = 0; i < RTE_DIM(f); i++)
		udp4_frame(&f[i], ECHO_PORT, &i, sizeof(i));
	w->iter++;
	send_frames(f, RTE_DIM(f));
	collect_seq(0, 0);
	iterate();
	iterate();
	collect_seq(0, 0);
	CHECK_EQ(tern_worker_backlog_len(w), RTE_DIM(f));
	CHECK_EQ(wctr(TERN_WCTR_HELD), held0 + RTE_DIM(f));
	if (set_hold(echo->slot, 0) < 0)
		return;
	iterate();
	collect_seq(0, RTE_DIM(f));
	CHECK_EQ(tern_worker_backlog_len(w), 0);
	tern_app_totals_read(echo->ws, echo->n_ws, &after);
	CHECK_EQ(after.held - before.held, RTE_DIM(f));
	CHECK_EQ(after.requests - before.requests, RTE_DIM(f));
	CHECK_EQ(after.replies - before.replies, RTE_DIM(f));
	CHECK(after.held_wait_max > 0);
}

static int
setup(const char *responder, const char *event_app)
{
	struct tern_engine_conf conf = { .burst = 32 };
	struct tern_err err;
	struct tern_addr a4, a6;
	char *echo_args[] = { "mode=echo" };
	char *fixed_args[] = { "mode=fixed", "size=1000", "max_amplification=100" };
	char *amp_args[] = { "mode=fixed", "size=1000" }; /* the default limit, 3x */
	char *limited_args[] = { "mode=echo", "rate_limit=10/5" };
	char *slow_args[] = { "mode=echo", "service_ns=20000000" };
	char *sockperf_args[] = { "mode=sockperf" };
	char *multi_args[] = { "mode=echo", "replies=3", "max_amplification=0" };
	char *multiamp_args[] = { "mode=echo", "replies=16" };

	if (tern_engine_init(&eng, &conf, &err) < 0 ||
	    tern_engine_start_ports(&eng, &err) < 0 ||
	    tern_addr_parse("198.18.0.1/24", &a4, &err) < 0 ||
	    tern_addr_parse("2001:db8::1/64", &a6, &err) < 0 ||
	    tern_engine_ip_add(&eng, &a4, &err) < 0 ||
	    tern_engine_ip_add(&eng, &a6, &err) < 0 ||
	    tern_engine_app_load(&eng, "echo", responder, 1, echo_args, &err) < 0 ||
	    tern_engine_app_load(&eng, "fixed", responder, 3, fixed_args, &err) < 0 ||
	    tern_engine_app_load(&eng, "amp", responder, 2, amp_args, &err) < 0 ||
	    tern_engine_bind_udp(&eng, AMP_PORT, "amp", &err) < 0 ||
	    tern_engine_app_load(&eng, "limited", responder, 2, limited_args, &err) < 0 ||
	    tern_engine_bind_udp(&eng, LIMITED_PORT, "limited", &err) < 0 ||
	    tern_engine_bind_udp(&eng, ECHO_PORT, "echo", &err) < 0 ||
	    tern_engine_bind_udp(&eng, FIXED_PORT, "fixed", &err) < 0 ||
	    tern_engine_app_load(&eng, "slow", responder, 2, slow_args, &err) < 0 ||
	    tern_engine_bind_udp(&eng, SLOW_PORT, "slow", &err) < 0 ||
	    tern_engine_app_load(&eng, "sp", responder, 1, sockperf_args, &err) < 0 ||
	    tern_engine_bind_udp(&eng, SOCKPERF_PORT, "sp", &err) < 0 ||
	    tern_engine_app_load(&eng, "multi", responder, 3, multi_args, &err) < 0 ||
	    tern_engine_bind_udp(&eng, MULTI_PORT, "multi", &err) < 0 ||
	    tern_engine_app_load(&eng, "multiamp", responder, 2, multiamp_args, &err) < 0 ||
	    tern_engine_bind_udp(&eng, MULTIAMP_PORT, "multiamp", &err) < 0 ||
	    tern_engine_app_load(&eng, "ev", event_app, 0, NULL, &err) < 0 ||
	    tern_engine_bind_udp(&eng, EVENT_PORT, "ev", &err) < 0 ||
	    install_test_app() < 0) {
		fprintf(stderr, "test_pipeline: set-up failed: %s\n", err.msg);
		return -1;
	}
	port = eng.workers[0].rxq[0].port_id;
	return 0;
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { argv[0], "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
			"--vdev", "net_ring0", "--log-level", "error", "--no-shconf",
			"--file-prefix", prefix };
	char runtime_dir[PATH_MAX];
	unsigned baseline;

	if (argc < 3) {
		fprintf(stderr, "usage: %s PATH_TO_libudp_responder.so PATH_TO_libevent_app.so\n",
			argv[0]);
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "tern-pipe-%d", getpid());
	if (rte_eal_init(RTE_DIM(eal), eal) < 0 || setup(argv[1], argv[2]) < 0)
		return 1;
	baseline = tern_engine_mbufs_in_use(&eng);

	test_udp4_echo();
	test_udp4_options_and_padding();
	test_vlan();
	test_udp6(false);
	test_udp6(true);
	test_fixed_size();
	test_arp();
	test_icmp4();
	test_icmp6();
	test_ndp();
	test_drops();
	test_mixed_burst();
	test_tx_offload_request();
	test_tx_offload_udp_only();
	test_tx_full();
	test_amplification();
	test_bad_source();
	test_rate_limit();
	test_group_frame_and_mtu();
	test_priority();
	test_budget();
	test_backlog_full();
	test_hold();
	test_drop_verdict();
	test_handoff_once();
	test_echo_flag();
	test_rx_cksum_flags();
	test_rate_limit_with_budget();
	test_backlog_keeps_arrival();
	test_reply_more();
	test_consumed();

	CHECK_EQ(tern_engine_mbufs_in_use(&eng), baseline);
	tern_engine_close(&eng);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	CHECK_EQ(eal_runtime_dir_remove(runtime_dir), 0);
	return check_done("test_pipeline");
}
