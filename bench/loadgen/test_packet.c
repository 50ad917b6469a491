/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of tern-bench's request frames: a built request has correct
 * checksums; its echo (addresses and ports swapped, as a responder does) is
 * classified as a reply with the stamp intact; each kind of damage is caught.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "check.h"
#include "packet.h"

static struct lg_tmpl tmpl;

static struct rte_ipv4_hdr *
ip_of(uint8_t *f)
{
	return (struct rte_ipv4_hdr *)(f + LG_L2_LEN);
}

static struct rte_udp_hdr *
udp_of(uint8_t *f)
{
	return (struct rte_udp_hdr *)(f + LG_L2_LEN + LG_L3_LEN);
}

/* Turn a request into the reply an echo responder would send. */
static void
echo(uint8_t *f)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = ip_of(f);
	struct rte_udp_hdr *udp = udp_of(f);
	struct rte_ether_addr ea = eth->src_addr;
	uint32_t a = ip->src_addr;
	uint16_t p = udp->src_port;

	eth->src_addr = eth->dst_addr;
	eth->dst_addr = ea;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	udp->src_port = udp->dst_port;
	udp->dst_port = p;
	/* Swaps keep both checksums valid (same words, other order). */
}

static enum lg_rx_kind
classify(const uint8_t *f, uint32_t len, uint32_t run, struct lg_stamp *st)
{
	const char *why = NULL;
	enum lg_rx_kind k = lg_classify(&tmpl, f, len, run, st, &why);

	CHECK(k != LG_RX_INVALID || why != NULL);
	return k;
}

static void
test_request(uint16_t size)
{
	struct lg_flow_cfg c = {
		.src_mac = { { 0x02, 0, 0, 0, 0, 2 } },
		.dst_mac = { { 0x02, 0, 0, 0, 0, 1 } },
		.src_ip = 0xc6120002, .dst_ip = 0xc6120001,
		.sport_base = 40000, .flows = 5, .dport = 7, .size = size,
		.check_payload = true,
	};
	uint8_t f[LG_MAX_FRAME], g[LG_MAX_FRAME];
	struct lg_stamp st;
	uint32_t len;

	CHECK_EQ(lg_tmpl_init(&tmpl, &c), 0);
	len = tmpl.frame_len;
	CHECK_EQ(len, LG_HDRS_LEN + size);
	lg_build(&tmpl, f, 77, 123456789012ull, 1000, 1005);
	CHECK_EQ(rte_raw_cksum(ip_of(f), LG_L3_LEN), 0xffff);
	CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip_of(f), udp_of(f)), 0);
	CHECK_EQ(rte_be_to_cpu_16(udp_of(f)->src_port), 40000 + 123456789012ull % 5);
	/* The request itself is not a reply (addresses not swapped). */
	CHECK_EQ(classify(f, len, 77, &st), LG_RX_OTHER);

	echo(f);
	memset(&st, 0, sizeof(st));
	CHECK_EQ(classify(f, len, 77, &st), LG_RX_REPLY);
	CHECK_EQ(st.seq, 123456789012ull);
	CHECK_EQ(st.t_intended, 1000);
	CHECK_EQ(st.t_sent, 1005);
	CHECK_EQ(classify(f, len, 78, &st), LG_RX_STALE);
	CHECK_EQ(classify(f, len - 1, 77, &st), LG_RX_INVALID);

	/* One flipped bit anywhere in the payload is caught. */
	for (uint32_t off = LG_HDRS_LEN; off < len; off += 7) {
		memcpy(g, f, len);
		g[off] ^= 0x10;
		CHECK_EQ(classify(g, len, 77, &st), LG_RX_INVALID);
	}
	/* The same with the UDP checksum off: the pattern check still sees it. */
	memcpy(g, f, len);
	udp_of(g)->dgram_cksum = 0;
	CHECK_EQ(classify(g, len, 77, &st), LG_RX_REPLY);
	g[len - 1] ^= 1;
	CHECK_EQ(classify(g, len, 77, &st), size > LG_MIN_SIZE ? LG_RX_INVALID : LG_RX_REPLY);
	/* A reply to the wrong source port for its sequence number. */
	memcpy(g, f, len);
	udp_of(g)->dst_port = rte_cpu_to_be_16(40000 + (123456789012ull + 1) % 5);
	udp_of(g)->dgram_cksum = 0;
	CHECK_EQ(classify(g, len, 77, &st), LG_RX_INVALID);
	/* Not to our MAC; bad IP checksum. */
	memcpy(g, f, len);
	g[0] ^= 0x40;
	CHECK_EQ(classify(g, len, 77, &st), LG_RX_INVALID);
	memcpy(g, f, len);
	ip_of(g)->hdr_checksum ^= 1;
	CHECK_EQ(classify(g, len, 77, &st), LG_RX_INVALID);
	/* Someone else's port. */
	memcpy(g, f, len);
	udp_of(g)->dst_port = rte_cpu_to_be_16(39999);
	CHECK_EQ(classify(g, len, 77, &st), LG_RX_OTHER);
}

int
main(void)
{
	struct lg_flow_cfg bad = { .size = LG_MIN_SIZE - 1, .flows = 1 };

	CHECK_EQ(lg_tmpl_init(&tmpl, &bad), -EINVAL);
	bad.size = 64;
	bad.flows = 0;
	CHECK_EQ(lg_tmpl_init(&tmpl, &bad), -EINVAL);
	test_request(LG_MIN_SIZE);
	test_request(64);
	test_request(65);
	test_request(LG_MAX_SIZE);
	return check_done("loadgen_packet");
}
