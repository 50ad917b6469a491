/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_peer: a test client for ternd over one DPDK port (normally a
 * net_memif vdev with role=client, connected to ternd's memif server port).
 *
 * It checks, in order:
 *   1. ARP: a request for --dst-ip gets a correct reply; the MAC is learned.
 *   2. ICMP: an echo request gets a reply with the same id, seq and payload.
 *   3. UDP: --count requests with random payloads, spread over --sports
 *      source ports, at most WINDOW outstanding; each reply must carry the
 *      same payload, swapped addresses and ports, and correct checksums.
 *
 * Checksums are computed here, independently of the tern dataplane library.
 * Prints one summary line and exits 0 only if every check passed.
 *
 * Usage: memif_peer [EAL options] -- --src-ip A --dst-ip B [--dport P]
 *        [--count N] [--sports K] [--size BYTES] [--timeout-ms MS]
 *        [--no-arp --dst-mac MAC] [--no-icmp] [--linger-ms MS]
 *
 * --linger-ms: after the exchange, print "memif_peer: done" and keep the
 * connection up (without polling) until the server goes away or MS pass.
 * Tests stop ternd in that window: DPDK 22.11's memif PMD can crash the
 * side that is polling when the other side disconnects (its interrupt
 * thread unmaps the shared regions under the RX burst), so the side that
 * disconnects first must be the one that no longer polls.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>
#include <rte_udp.h>

#define NB_MBUFS	4095
#define MBUF_CACHE	128
#define RING_SIZE	512
#define BURST		32
#define WINDOW		32		/* max UDP requests outstanding */
#define MAX_SIZE	1400		/* max UDP payload bytes */
#define MIN_SIZE	8		/* magic + sequence number */
#define SPORT_BASE	40000
#define PAYLOAD_MAGIC	0x7465726eu	/* "tern" */
#define ICMP_ID		0x7e72
#define ICMP_SEQ	1
#define ICMP_LEN	56
#define ARP_TRIES	10
#define LINK_WAIT_MS	10000
#define MAX_REPORTS	10		/* mismatch details printed */

#define L2_LEN	((uint16_t)sizeof(struct rte_ether_hdr))
#define L3_LEN	((uint16_t)sizeof(struct rte_ipv4_hdr))
#define L4_LEN	((uint16_t)sizeof(struct rte_udp_hdr))

enum req_state {
	REQ_UNSENT = 0,
	REQ_OUTSTANDING,
	REQ_ANSWERED,
	REQ_LOST,
};

struct peer_cfg {
	uint32_t src_ip;		/* network order */
	uint32_t dst_ip;		/* network order */
	uint16_t dport;
	uint32_t count;
	uint16_t sports;
	uint16_t size;
	uint32_t timeout_ms;
	uint32_t linger_ms;
	bool no_arp;
	bool no_icmp;
	bool have_dst_mac;
	struct rte_ether_addr dst_mac;
};

struct peer {
	struct peer_cfg cfg;
	uint16_t port;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;	/* ours */
	struct rte_ether_addr dst_mac;	/* ternd's, learned by ARP */
	uint64_t seed;			/* payload generator seed */
	uint8_t *state;			/* enum req_state per sequence number */
	uint32_t sent;
	uint32_t received;
	uint32_t mismatched;
	uint32_t lost;
	uint32_t outstanding;
	uint32_t other;			/* unrelated packets seen */
	uint32_t reports;
};

/* ---- checksums (RFC 1071), written here on purpose: an independent check ---- */

static uint32_t
sum16(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;

	while (len > 1) {
		sum += ((uint32_t)p[0] << 8) | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Host-order checksum field value for buf (whose checksum field is zero). */
static uint16_t
inet_csum(const void *buf, size_t len)
{
	return (uint16_t)~fold(sum16(buf, len, 0));
}

/* True if buf, checksum field included, sums to 0xffff. */
static bool
inet_csum_ok(const void *buf, size_t len)
{
	return fold(sum16(buf, len, 0)) == 0xffff;
}

static uint32_t
pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint32_t sum = 0;

	sum = sum16(&src, 4, sum);
	sum = sum16(&dst, 4, sum);
	sum += proto;
	sum += len;
	return sum;
}

static uint16_t
udp_csum(uint32_t src, uint32_t dst, const void *udp, uint16_t len)
{
	uint16_t c = (uint16_t)~fold(sum16(udp, len, pseudo_sum(src, dst, IPPROTO_UDP, len)));

	return c == 0 ? 0xffff : c;
}

static bool
udp_csum_ok(uint32_t src, uint32_t dst, const void *udp, uint16_t len)
{
	return fold(sum16(udp, len, pseudo_sum(src, dst, IPPROTO_UDP, len))) == 0xffff;
}

/* ---- payloads: regenerated from (seed, seq), so nothing is stored per request ---- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
fill_payload(const struct peer *p, uint32_t seq, uint8_t *buf, uint16_t len)
{
	uint64_t x = p->seed ^ ((uint64_t)seq << 32 | seq);
	uint32_t magic = rte_cpu_to_be_32(PAYLOAD_MAGIC);
	uint32_t nseq = rte_cpu_to_be_32(seq);
	uint16_t i;

	memcpy(buf, &magic, 4);
	memcpy(buf + 4, &nseq, 4);
	for (i = MIN_SIZE; i < len; i += 8) {
		uint64_t r = splitmix64(&x);
		uint16_t n = len - i < 8 ? len - i : 8;

		memcpy(buf + i, &r, n);
	}
}

static uint16_t
sport_of(const struct peer *p, uint32_t seq)
{
	return (uint16_t)(SPORT_BASE + seq % p->cfg.sports);
}

/* ---- reporting ---- */

static void
report(struct peer *p, uint32_t seq, const char *what)
{
	p->mismatched++;
	if (p->reports++ < MAX_REPORTS)
		fprintf(stderr, "memif_peer: reply seq %" PRIu32 ": %s\n", seq, what);
}

/* ---- packet building ---- */

static struct rte_mbuf *
alloc_frame(struct peer *p, uint16_t len, void **data)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);

	if (m == NULL)
		return NULL;
	*data = rte_pktmbuf_append(m, len);
	if (*data == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(*data, 0, len);
	return m;
}

static void
fill_eth(struct rte_ether_hdr *eth, const struct rte_ether_addr *dst,
	 const struct rte_ether_addr *src, uint16_t type)
{
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(type);
}

static void
fill_ipv4(struct rte_ipv4_hdr *ip, const struct peer *p, uint8_t proto, uint16_t l4_len)
{
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(L3_LEN + l4_len);
	ip->packet_id = rte_cpu_to_be_16((uint16_t)rte_rand());
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = p->cfg.src_ip;
	ip->dst_addr = p->cfg.dst_ip;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_cpu_to_be_16(inet_csum(ip, L3_LEN));
}

static struct rte_mbuf *
build_arp(struct peer *p, uint16_t op, const struct rte_ether_addr *tha, uint32_t tip)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;
	void *d;

	m = alloc_frame(p, L2_LEN + sizeof(*arp), &d);
	if (m == NULL)
		return NULL;
	eth = d;
	arp = (struct rte_arp_hdr *)(eth + 1);
	fill_eth(eth, op == RTE_ARP_OP_REQUEST ? &bcast : tha, &p->mac, RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&p->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = p->cfg.src_ip;
	if (op == RTE_ARP_OP_REPLY)
		rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = tip;
	return m;
}

static struct rte_mbuf *
build_icmp(struct peer *p, const uint8_t *payload)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	uint16_t l4_len = sizeof(*icmp) + ICMP_LEN;
	struct rte_mbuf *m;
	void *d;

	m = alloc_frame(p, L2_LEN + L3_LEN + l4_len, &d);
	if (m == NULL)
		return NULL;
	eth = d;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	fill_eth(eth, &p->dst_mac, &p->mac, RTE_ETHER_TYPE_IPV4);
	fill_ipv4(ip, p, IPPROTO_ICMP, l4_len);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_code = 0;
	icmp->icmp_ident = rte_cpu_to_be_16(ICMP_ID);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(ICMP_SEQ);
	memcpy(icmp + 1, payload, ICMP_LEN);
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = rte_cpu_to_be_16(inet_csum(icmp, l4_len));
	return m;
}

static struct rte_mbuf *
build_udp(struct peer *p, uint32_t seq)
{
	uint16_t l4_len = L4_LEN + p->cfg.size;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	struct rte_mbuf *m;
	void *d;

	m = alloc_frame(p, L2_LEN + L3_LEN + l4_len, &d);
	if (m == NULL)
		return NULL;
	eth = d;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	fill_eth(eth, &p->dst_mac, &p->mac, RTE_ETHER_TYPE_IPV4);
	fill_ipv4(ip, p, IPPROTO_UDP, l4_len);
	udp->src_port = rte_cpu_to_be_16(sport_of(p, seq));
	udp->dst_port = rte_cpu_to_be_16(p->cfg.dport);
	udp->dgram_len = rte_cpu_to_be_16(l4_len);
	fill_payload(p, seq, (uint8_t *)(udp + 1), p->cfg.size);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_cpu_to_be_16(udp_csum(p->cfg.src_ip, p->cfg.dst_ip, udp, l4_len));
	return m;
}

/* Sends one packet, retrying briefly if the TX ring is full. Consumes m. */
static int
send_one(struct peer *p, struct rte_mbuf *m)
{
	int tries;

	if (m == NULL)
		return -ENOMEM;
	for (tries = 0; tries < 1000; tries++) {
		if (rte_eth_tx_burst(p->port, 0, &m, 1) == 1)
			return 0;
		rte_delay_us_block(10);
	}
	rte_pktmbuf_free(m);
	return -ENOBUFS;
}

/* ---- packet checking ---- */

/* Returns the IPv4 header of m if it is an IPv4 frame from dst to us, or NULL. */
static const struct rte_ipv4_hdr *
ipv4_of(const struct rte_mbuf *m, uint16_t *l3_len)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);

	if (m->data_len < L2_LEN + L3_LEN || m->nb_segs != 1 ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return NULL;
	*l3_len = (uint16_t)((ip->version_ihl & 0xf) * 4);
	if ((ip->version_ihl >> 4) != 4 || *l3_len < L3_LEN ||
	    m->data_len < L2_LEN + *l3_len)
		return NULL;
	return ip;
}

/* Common checks of an IPv4 reply; returns NULL if fine, else what is wrong. */
static const char *
check_ipv4_reply(const struct peer *p, const struct rte_mbuf *m,
		 const struct rte_ipv4_hdr *ip, uint16_t l3_len, uint16_t l4_len)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (!rte_is_same_ether_addr(&eth->dst_addr, &p->mac))
		return "ethernet destination is not our MAC";
	if (!rte_is_same_ether_addr(&eth->src_addr, &p->dst_mac))
		return "ethernet source is not the server's MAC";
	if (!inet_csum_ok(ip, l3_len))
		return "bad IPv4 header checksum";
	if (ip->src_addr != p->cfg.dst_ip || ip->dst_addr != p->cfg.src_ip)
		return "IPv4 addresses not swapped";
	if (rte_be_to_cpu_16(ip->total_length) != l3_len + l4_len)
		return "wrong IPv4 total length";
	if (m->data_len < L2_LEN + l3_len + l4_len)
		return "frame shorter than its IPv4 total length";
	if (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return "reply is a fragment";
	if (ip->time_to_live == 0)
		return "TTL is zero";
	return NULL;
}

/* Checks a UDP datagram from the server; updates the counters. */
static void
check_udp(struct peer *p, const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
	  uint16_t l3_len)
{
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + l3_len);
	uint16_t l4_len = L4_LEN + p->cfg.size;
	uint8_t expect[MAX_SIZE];
	const char *err;
	uint32_t seq;

	if (m->data_len < L2_LEN + l3_len + L4_LEN + MIN_SIZE) {
		report(p, UINT32_MAX, "UDP reply too short");
		return;
	}
	memcpy(&seq, (const uint8_t *)(udp + 1) + 4, 4);
	seq = rte_be_to_cpu_32(seq);
	if (seq >= p->cfg.count || p->state[seq] == REQ_UNSENT) {
		report(p, seq, "sequence number never sent");
		return;
	}
	if (p->state[seq] == REQ_ANSWERED) {
		report(p, seq, "duplicate reply");
		return;
	}
	err = check_ipv4_reply(p, m, ip, l3_len, l4_len);
	if (err == NULL && rte_be_to_cpu_16(udp->dgram_len) != l4_len)
		err = "wrong UDP length";
	if (err == NULL && (rte_be_to_cpu_16(udp->src_port) != p->cfg.dport ||
			    rte_be_to_cpu_16(udp->dst_port) != sport_of(p, seq)))
		err = "UDP ports not swapped";
	if (err == NULL && udp->dgram_cksum == 0)
		err = "UDP checksum missing (0)";
	if (err == NULL && !udp_csum_ok(ip->src_addr, ip->dst_addr, udp, l4_len))
		err = "bad UDP checksum";
	if (err == NULL) {
		fill_payload(p, seq, expect, p->cfg.size);
		if (memcmp(expect, udp + 1, p->cfg.size) != 0)
			err = "payload differs from the request";
	}
	if (err != NULL) {
		report(p, seq, err);
		return;
	}
	if (p->state[seq] == REQ_OUTSTANDING) {
		p->outstanding--;
	} else {
		/* Answered after its timeout: was counted lost; count it now. */
		p->lost--;
	}
	p->state[seq] = REQ_ANSWERED;
	p->received++;
}

/* Answers an ARP request for our address (ternd should not need it, but a
 * well-behaved host does). Returns true if m was an ARP request for us. */
static bool
answer_arp(struct peer *p, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);

	if (m->data_len < L2_LEN + sizeof(*arp) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
	    arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    arp->arp_data.arp_tip != p->cfg.src_ip)
		return false;
	send_one(p, build_arp(p, RTE_ARP_OP_REPLY, &arp->arp_data.arp_sha,
			      arp->arp_data.arp_sip));
	return true;
}

/* ---- phases ---- */

static uint64_t
ms_to_cycles(uint64_t ms)
{
	return rte_get_timer_hz() / 1000 * ms;
}

static int
wait_link(struct peer *p)
{
	uint64_t deadline = rte_get_timer_cycles() + ms_to_cycles(LINK_WAIT_MS);
	struct rte_eth_link link;

	do {
		if (rte_eth_link_get_nowait(p->port, &link) == 0 && link.link_status)
			return 0;
		rte_delay_ms(10);
	} while (rte_get_timer_cycles() < deadline);
	fprintf(stderr, "memif_peer: error: link of port %u did not come up within %d ms "
		"(is the server running?)\n", p->port, LINK_WAIT_MS);
	return -ETIMEDOUT;
}

/* Checks an ARP reply; returns NULL if it is the one we wait for. */
static const char *
check_arp_reply(const struct peer *p, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);

	if (m->data_len < L2_LEN + sizeof(*arp) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return "not ARP";
	if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REPLY))
		return "ARP opcode is not reply";
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
		return "bad ARP hardware/protocol fields";
	if (arp->arp_data.arp_sip != p->cfg.dst_ip)
		return "ARP sender IP is not the target we asked for";
	if (arp->arp_data.arp_tip != p->cfg.src_ip ||
	    !rte_is_same_ether_addr(&arp->arp_data.arp_tha, &p->mac))
		return "ARP target is not us";
	if (!rte_is_same_ether_addr(&eth->dst_addr, &p->mac))
		return "ARP reply not sent to our MAC";
	if (!rte_is_same_ether_addr(&eth->src_addr, &arp->arp_data.arp_sha))
		return "ethernet source differs from ARP sender MAC";
	if (!rte_is_unicast_ether_addr(&arp->arp_data.arp_sha))
		return "ARP sender MAC is not unicast";
	return NULL;
}

static int
do_arp(struct peer *p)
{
	struct rte_mbuf *pkts[BURST];
	const char *last_err = "no reply";
	int try;

	for (try = 0; try < ARP_TRIES; try++) {
		uint64_t deadline = rte_get_timer_cycles() +
				    ms_to_cycles(p->cfg.timeout_ms / ARP_TRIES + 1);

		if (send_one(p, build_arp(p, RTE_ARP_OP_REQUEST, NULL, p->cfg.dst_ip)) != 0)
			return -ENOBUFS;
		while (rte_get_timer_cycles() < deadline) {
			uint16_t n = rte_eth_rx_burst(p->port, 0, pkts, BURST);
			bool done = false;

			for (uint16_t i = 0; i < n; i++) {
				const char *err = check_arp_reply(p, pkts[i]);
				const struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(
					pkts[i], const struct rte_arp_hdr *, L2_LEN);

				if (err == NULL && !done) {
					rte_ether_addr_copy(&arp->arp_data.arp_sha, &p->dst_mac);
					done = true;
				} else if (err != NULL && !answer_arp(p, pkts[i])) {
					last_err = err;
					p->other++;
				}
				rte_pktmbuf_free(pkts[i]);
			}
			if (done)
				return 0;
		}
	}
	fprintf(stderr, "memif_peer: ARP failed: %s\n", last_err);
	return -EPROTO;
}

static const char *
check_icmp_reply(const struct peer *p, const struct rte_mbuf *m, const uint8_t *payload)
{
	const struct rte_icmp_hdr *icmp;
	const struct rte_ipv4_hdr *ip;
	uint16_t l4_len = sizeof(*icmp) + ICMP_LEN;
	uint16_t l3_len;
	const char *err;

	ip = ipv4_of(m, &l3_len);
	if (ip == NULL || ip->next_proto_id != IPPROTO_ICMP)
		return "not ICMP";
	err = check_ipv4_reply(p, m, ip, l3_len, l4_len);
	if (err != NULL)
		return err;
	icmp = (const struct rte_icmp_hdr *)((const uint8_t *)ip + l3_len);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REPLY || icmp->icmp_code != 0)
		return "ICMP type/code is not echo reply";
	if (icmp->icmp_ident != rte_cpu_to_be_16(ICMP_ID) ||
	    icmp->icmp_seq_nb != rte_cpu_to_be_16(ICMP_SEQ))
		return "ICMP id/seq differ from the request";
	if (!inet_csum_ok(icmp, l4_len))
		return "bad ICMP checksum";
	if (memcmp(icmp + 1, payload, ICMP_LEN) != 0)
		return "ICMP payload differs from the request";
	return NULL;
}

static int
do_icmp(struct peer *p)
{
	uint64_t deadline = rte_get_timer_cycles() + ms_to_cycles(p->cfg.timeout_ms);
	uint8_t payload[ICMP_LEN];
	struct rte_mbuf *pkts[BURST];
	const char *last_err = "no reply";

	for (unsigned int i = 0; i < ICMP_LEN; i++)
		payload[i] = (uint8_t)rte_rand();
	if (send_one(p, build_icmp(p, payload)) != 0)
		return -ENOBUFS;
	while (rte_get_timer_cycles() < deadline) {
		uint16_t n = rte_eth_rx_burst(p->port, 0, pkts, BURST);
		bool done = false;

		for (uint16_t i = 0; i < n; i++) {
			const char *err = check_icmp_reply(p, pkts[i], payload);

			if (err == NULL && !done) {
				done = true;
			} else if (!answer_arp(p, pkts[i])) {
				last_err = err != NULL ? err : "duplicate echo reply";
				p->other++;
			}
			rte_pktmbuf_free(pkts[i]);
		}
		if (done)
			return 0;
	}
	fprintf(stderr, "memif_peer: ICMP echo failed: %s\n", last_err);
	return -EPROTO;
}

static void
send_udp_burst(struct peer *p)
{
	struct rte_mbuf *pkts[BURST];
	uint32_t first = p->sent;
	uint16_t n = 0, tx;

	while (n < BURST && p->outstanding + n < WINDOW && first + n < p->cfg.count) {
		pkts[n] = build_udp(p, first + n);
		if (pkts[n] == NULL)
			break;
		n++;
	}
	if (n == 0)
		return;
	tx = rte_eth_tx_burst(p->port, 0, pkts, n);
	/* Unsent requests are freed here and built again on the next call. */
	rte_pktmbuf_free_bulk(&pkts[tx], n - tx);
	for (uint16_t i = 0; i < tx; i++)
		p->state[first + i] = REQ_OUTSTANDING;
	p->sent += tx;
	p->outstanding += tx;
}

static void
receive_udp(struct peer *p)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n = rte_eth_rx_burst(p->port, 0, pkts, BURST);

	for (uint16_t i = 0; i < n; i++) {
		const struct rte_ipv4_hdr *ip;
		uint16_t l3_len;

		ip = ipv4_of(pkts[i], &l3_len);
		if (ip != NULL && ip->next_proto_id == IPPROTO_UDP)
			check_udp(p, pkts[i], ip, l3_len);
		else if (!answer_arp(p, pkts[i]))
			p->other++;
		rte_pktmbuf_free(pkts[i]);
	}
}

/* Marks every outstanding request lost (no reply within the timeout). */
static void
expire_outstanding(struct peer *p)
{
	for (uint32_t seq = 0; seq < p->sent; seq++) {
		if (p->state[seq] == REQ_OUTSTANDING) {
			p->state[seq] = REQ_LOST;
			p->lost++;
		}
	}
	p->outstanding = 0;
}

static void
do_udp(struct peer *p)
{
	uint64_t timeout = ms_to_cycles(p->cfg.timeout_ms);
	uint64_t last_progress = rte_get_timer_cycles();
	uint32_t received_at_expiry = 0;

	while (p->sent < p->cfg.count || p->outstanding > 0) {
		uint32_t before = p->received + p->sent;

		send_udp_burst(p);
		receive_udp(p);
		if (p->received + p->sent != before) {
			last_progress = rte_get_timer_cycles();
			continue;
		}
		if (rte_get_timer_cycles() - last_progress <= timeout)
			continue;
		/* A whole timeout without progress. */
		if (p->outstanding == 0) {
			fprintf(stderr, "memif_peer: error: TX stuck, stopping\n");
			break;
		}
		expire_outstanding(p);
		if (p->received == received_at_expiry) {
			/* No reply at all since the last expiry: the server is gone. */
			fprintf(stderr, "memif_peer: error: no reply for %" PRIu32
				" ms, stopping\n", p->cfg.timeout_ms);
			break;
		}
		received_at_expiry = p->received;
		last_progress = rte_get_timer_cycles();
	}
	p->lost += p->cfg.count - p->sent;	/* never sent: counted lost too */
	/* Late or extra replies: drain briefly so they are counted and freed. */
	last_progress = rte_get_timer_cycles();
	while (rte_get_timer_cycles() - last_progress < ms_to_cycles(50))
		receive_udp(p);
}

/* ---- set-up ---- */

static void
usage(void)
{
	fprintf(stderr,
		"usage: memif_peer [EAL options] -- --src-ip A --dst-ip B [--dport P]\n"
		"       [--count N] [--sports K] [--size BYTES] [--timeout-ms MS]\n"
		"       [--no-arp --dst-mac MAC] [--no-icmp] [--linger-ms MS]\n");
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || end == s || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

static int
parse_opt(struct peer_cfg *c, int opt, const char *arg)
{
	unsigned long v = 0;
	int rc = 0;

	switch (opt) {
	case 's':
		return inet_pton(AF_INET, arg, &c->src_ip) == 1 ? 0 : -EINVAL;
	case 'd':
		return inet_pton(AF_INET, arg, &c->dst_ip) == 1 ? 0 : -EINVAL;
	case 'p':
		rc = parse_uint(arg, 1, 65535, &v);
		c->dport = (uint16_t)v;
		return rc;
	case 'n':
		rc = parse_uint(arg, 0, 100000000, &v);
		c->count = (uint32_t)v;
		return rc;
	case 'k':
		rc = parse_uint(arg, 1, 20000, &v);
		c->sports = (uint16_t)v;
		return rc;
	case 'z':
		rc = parse_uint(arg, MIN_SIZE, MAX_SIZE, &v);
		c->size = (uint16_t)v;
		return rc;
	case 't':
		rc = parse_uint(arg, 1, 600000, &v);
		c->timeout_ms = (uint32_t)v;
		return rc;
	case 'L':
		rc = parse_uint(arg, 0, 600000, &v);
		c->linger_ms = (uint32_t)v;
		return rc;
	case 'A':
		c->no_arp = true;
		return 0;
	case 'I':
		c->no_icmp = true;
		return 0;
	case 'm':
		c->have_dst_mac = true;
		return rte_ether_unformat_addr(arg, &c->dst_mac) == 0 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static int
parse_args(struct peer_cfg *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "src-ip", required_argument, NULL, 's' },
		{ "dst-ip", required_argument, NULL, 'd' },
		{ "dport", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "sports", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 'z' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "no-arp", no_argument, NULL, 'A' },
		{ "no-icmp", no_argument, NULL, 'I' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "linger-ms", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*c = (struct peer_cfg){ .dport = 7, .count = 1000, .sports = 4, .size = 64,
				.timeout_ms = 2000 };
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (parse_opt(c, opt, optarg) != 0) {
			fprintf(stderr, "memif_peer: error: bad option %s\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind != argc || c->src_ip == 0 || c->dst_ip == 0) {
		fprintf(stderr, "memif_peer: error: --src-ip and --dst-ip are required\n");
		return -EINVAL;
	}
	if (c->no_arp != c->have_dst_mac) {
		fprintf(stderr, "memif_peer: error: --no-arp needs --dst-mac and vice versa\n");
		return -EINVAL;
	}
	return 0;
}

static int
port_init(struct peer *p)
{
	struct rte_eth_conf conf = { 0 };
	int rc;

	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "memif_peer: error: need exactly one port (got %u); "
			"pass --vdev net_memif0,role=client,... and --no-pci\n",
			rte_eth_dev_count_avail());
		return -ENODEV;
	}
	p->port = 0;
	RTE_ETH_FOREACH_DEV(p->port)
		break;
	rc = rte_eth_dev_configure(p->port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(p->port, 0, RING_SIZE,
					    rte_eth_dev_socket_id(p->port), NULL, p->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(p->port, 0, RING_SIZE,
					    rte_eth_dev_socket_id(p->port), NULL);
	if (rc == 0)
		rc = rte_eth_macaddr_get(p->port, &p->mac);
	if (rc == 0)
		rc = rte_eth_dev_start(p->port);
	if (rc != 0) {
		fprintf(stderr, "memif_peer: error: port %u set-up failed: %s\n",
			p->port, strerror(-rc));
		return rc;
	}
	return wait_link(p);
}

static int
run(struct peer *p, const char **arp_res, const char **icmp_res)
{
	int rc = 0;

	if (p->cfg.no_arp) {
		rte_ether_addr_copy(&p->cfg.dst_mac, &p->dst_mac);
	} else {
		rc = do_arp(p);
		*arp_res = rc == 0 ? "ok" : "fail";
		if (rc != 0)
			return rc;
	}
	if (!p->cfg.no_icmp) {
		rc = do_icmp(p);
		*icmp_res = rc == 0 ? "ok" : "fail";
		if (rc != 0)
			return rc;
	}
	do_udp(p);
	return 0;
}

/* See --linger-ms in the file comment. */
static void
linger(const struct peer *p)
{
	uint64_t end = rte_get_timer_cycles() + ms_to_cycles(p->cfg.linger_ms);
	struct rte_eth_link link;

	if (p->cfg.linger_ms == 0)
		return;
	printf("memif_peer: done\n");
	fflush(stdout);
	while (rte_get_timer_cycles() < end) {
		if (rte_eth_link_get_nowait(p->port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_DOWN)
			return;
		rte_delay_us_sleep(10000);
	}
}

int
main(int argc, char **argv)
{
	const char *arp_res = "skipped", *icmp_res = "skipped";
	struct peer p = { 0 };
	unsigned int in_use;
	int ret, rc;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "memif_peer: error: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)"memif_peer";
	if (parse_args(&p.cfg, argc, argv) != 0) {
		usage();
		rte_eal_cleanup();
		return 1;
	}
	p.seed = rte_rand();
	p.state = calloc(p.cfg.count ? p.cfg.count : 1, 1);
	p.pool = rte_pktmbuf_pool_create("memif_peer", NB_MBUFS, MBUF_CACHE, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (p.state == NULL || p.pool == NULL) {
		fprintf(stderr, "memif_peer: error: out of memory (try a larger -m)\n");
		rte_eal_cleanup();
		return 1;
	}
	rc = port_init(&p);
	if (rc == 0)
		rc = run(&p, &arp_res, &icmp_res);
	linger(&p);
	rte_eth_dev_stop(p.port);
	rte_eth_dev_close(p.port);
	in_use = rte_mempool_in_use_count(p.pool);

	printf("memif_peer: arp=%s icmp=%s sent=%" PRIu32 " received=%" PRIu32
	       " mismatched=%" PRIu32 " lost=%" PRIu32 "\n",
	       arp_res, icmp_res, p.sent, p.received, p.mismatched, p.lost);
	if (p.other != 0)
		fprintf(stderr, "memif_peer: note: %" PRIu32 " unrelated packets ignored\n", p.other);
	if (in_use != 0)
		fprintf(stderr, "memif_peer: error: %u mbufs still in use at exit\n", in_use);
	fflush(stdout);

	ret = rc == 0 && p.sent == p.cfg.count && p.received == p.cfg.count &&
	      p.mismatched == 0 && p.lost == 0 && in_use == 0 ? 0 : 1;
	rte_mempool_free(p.pool);
	free(p.state);
	rte_eal_cleanup();
	return ret;
}
