/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of tern-bench's request frames: a built request has correct
 * checksums; its echo (addresses and ports swapped, as a responder does) is
 * classified as a reply with the stamp intact; each kind of damage is caught.
 * memcached-get mode: the get and set frames say what memcached expects, and
 * a kv/memcached answer (VALUE ... END for the key asked, STORED) is matched
 * to its request through the request id and port. lg_raw_cksum agrees with
 * rte_raw_cksum, lg_sport with its definition.
 */
#include <errno.h>
#include <stdbool.h>
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
	static const uint64_t vals[] = { 0, 1, 0xffff, 0xffffffffull, 0x8000000000000000ull,
					 123456789012ull, UINT64_MAX };
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
	/* lg_build's UDP checksum (summed from the stamp's values) is right for
	 * extreme stamps too. */
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
			lg_build(&tmpl, g, (uint32_t)vals[j], vals[i], vals[j], vals[(i + j) % 7]);
			CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip_of(g), udp_of(g)), 0);
		}
	/* lg_classify's UDP checksum verdict is rte_ipv4_udptcp_cksum_verify's,
	 * whatever byte of the checksum or payload is changed, by whatever. */
	for (uint32_t off = LG_HDRS_LEN - 2; off < len; off++)
		for (unsigned int d = 1; d < 256; d += 127) {
			const char *why = NULL;
			bool bad;

			memcpy(g, f, len);
			g[off] = (uint8_t)(g[off] + d);
			bad = udp_of(g)->dgram_cksum != 0 &&
			      rte_ipv4_udptcp_cksum_verify(ip_of(g), udp_of(g)) != 0;
			(void)lg_classify(&tmpl, g, len, 77, &st, &why);
			CHECK_EQ(why != NULL && strcmp(why, "bad UDP checksum") == 0, bad);
		}
}

/* Turn f (a memcached request) into the answer body given, as kv would. */
static uint32_t
mc_answer(uint8_t *f, const char *body)
{
	struct rte_ipv4_hdr *ip = ip_of(f);
	struct rte_udp_hdr *udp = udp_of(f);
	size_t n = strlen(body);
	uint8_t *pl = f + LG_HDRS_LEN;

	echo(f);
	pl[2] = pl[3] = pl[4] = pl[6] = pl[7] = 0;
	pl[5] = 1;
	memcpy(pl + LG_MC_HDR, body, n);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(LG_L4_LEN + LG_MC_HDR + n));
	ip->total_length = rte_cpu_to_be_16((uint16_t)(LG_L3_LEN + LG_L4_LEN + LG_MC_HDR + n));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return (uint32_t)(LG_HDRS_LEN + LG_MC_HDR + n);
}

static void
test_memcached(void)
{
	struct lg_flow_cfg c = {
		.src_mac = { { 0x02, 0, 0, 0, 0, 2 } },
		.dst_mac = { { 0x02, 0, 0, 0, 0, 1 } },
		.src_ip = 0xc6120002, .dst_ip = 0xc6120001,
		.sport_base = 40000, .flows = 3, .dport = 11211, .size = 5,
		.check_payload = true, .proto = LG_PROTO_MC_GET, .keys = 1000,
	};
	uint64_t seq = 200000 * 3 + 2;	/* request id 200000 % 65536, port 40002 */
	uint8_t f[LG_MAX_FRAME], g[LG_MAX_FRAME];
	char want[64];
	struct lg_stamp st;
	uint32_t len;

	CHECK_EQ(lg_tmpl_init(&tmpl, &c), 0);
	lg_build(&tmpl, f, 9, seq, 1, 2);
	CHECK_EQ(tmpl.frame_len, LG_HDRS_LEN + LG_MC_REQ_LEN);
	CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip_of(f), udp_of(f)), 0);
	CHECK_EQ(rte_be_to_cpu_16(udp_of(f)->src_port), 40002);
	CHECK(memcmp(f + LG_HDRS_LEN, "\x0d\x40\0\0\0\1\0\0get k0000178\r\n",
		     LG_MC_REQ_LEN) == 0);	/* 200000 & 0xffff = 0x0d40 */
	CHECK_EQ(lg_mc_key(&tmpl, seq), 178); /* 600002 % (65536 * 3) % 1000 */
	memcpy(g, f, tmpl.frame_len);
	len = mc_answer(g, "VALUE k0000178 0 5\r\nabcde\r\nEND\r\n");
	CHECK_EQ(classify(g, len, 9, &st), LG_RX_REPLY);
	CHECK_EQ(st.seq, seq % lg_mc_window(&tmpl));
	CHECK_EQ(st.run_id, 9);
	memcpy(g, f, tmpl.frame_len);
	len = mc_answer(g, "VALUE k0000179 0 5\r\nabcde\r\nEND\r\n");
	CHECK_EQ(classify(g, len, 9, &st), LG_RX_INVALID);	/* another key */
	memcpy(g, f, tmpl.frame_len);
	len = mc_answer(g, "END\r\n");
	CHECK_EQ(classify(g, len, 9, &st), LG_RX_INVALID);	/* a miss */
	memcpy(g, f, tmpl.frame_len);
	len = mc_answer(g, "VALUE k0000178 0 5\r\nabcde\r\nEND\r\n");
	g[LG_HDRS_LEN + 5] = 2;				/* total 2 */
	udp_of(g)->dgram_cksum = 0;
	CHECK_EQ(classify(g, len, 9, &st), LG_RX_INVALID);
	/* set frames, and STORED answers to them */
	len = lg_mc_set(&tmpl, f, 70001);
	snprintf(want, sizeof(want), "%c%cset k0070001 0 0 5\r\nabcde\r\n", 0, 0);
	CHECK(memcmp(f + LG_HDRS_LEN + 2, "\0\0\0\1", 4) == 0);
	CHECK(memcmp(f + LG_HDRS_LEN + LG_MC_HDR, want + 2, strlen(want + 2)) == 0);
	CHECK_EQ(len, LG_HDRS_LEN + LG_MC_HDR + strlen(want + 2));
	CHECK_EQ(rte_ipv4_udptcp_cksum_verify(ip_of(f), udp_of(f)), 0);
	len = mc_answer(f, "STORED\r\n");
	CHECK_EQ(lg_mc_stored(&tmpl, f, len), 70001 & 0xffff);
	len = mc_answer(g, "NOT_STORED\r\n");
	CHECK_EQ(lg_mc_stored(&tmpl, g, len), -1);
	c.size = LG_MC_MAX_VALUE + 1;
	CHECK_EQ(lg_tmpl_init(&tmpl, &c), -EINVAL);
}

/* lg_raw_cksum is rte_raw_cksum, for every length and alignment, on random
 * bytes, all zeros and all ones (sums that wrap most). */
static void
test_cksum(void)
{
	static uint8_t buf[LG_MAX_FRAME + 16];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int fill = 0; fill < 3; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = fill == 0 ? (uint8_t)(x >> 56) : fill == 1 ? 0 : 0xff;
		}
		for (uint32_t off = 0; off < 8; off++)
			for (uint32_t len = 0; len + off <= sizeof(buf); len++)
				CHECK_EQ(lg_raw_cksum(buf + off, len), rte_raw_cksum(buf + off, len));
	}
}

/* lg_sport: sport_base + seq mod flows, 32-bit shortcut or not. */
static void
test_sport(void)
{
	static const uint16_t flows[] = { 1, 2, 3, 64, 1000 };
	static const uint64_t seqs[] = { 0, 1, 63, 64, 65535, UINT32_MAX, 1ull << 32,
					 (1ull << 32) + 7, UINT64_MAX };
	struct lg_flow_cfg c = { .size = 64, .sport_base = 40000 };

	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		c.flows = flows[i];
		CHECK_EQ(lg_tmpl_init(&tmpl, &c), 0);
		for (size_t j = 0; j < sizeof(seqs) / sizeof(seqs[0]); j++)
			CHECK_EQ(lg_sport(&tmpl, seqs[j]), (uint16_t)(40000 + seqs[j] % flows[i]));
	}
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
	test_memcached();
	test_cksum();
	test_sport();
	return check_done("loadgen_packet");
}
