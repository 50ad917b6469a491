/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "cksum.h"
#include "reply.h"

#define IPV4_HDR_LEN ((uint16_t)sizeof(struct rte_ipv4_hdr))
#define IPV6_HDR_LEN ((uint16_t)sizeof(struct rte_ipv6_hdr))
#define REPLY_TTL 64

/*
 * The L3 and L4 headers of a reply under construction, and the raw sum of
 * its two addresses (the pseudo-header's): checksums are summed from values
 * held in registers, not read back from fields just written (a load wider
 * than the store before it waits for the store to retire, some 15 cycles).
 */
struct reply_hdrs {
	uint8_t *l3;
	uint8_t *l4;
	uint64_t addr_sum;
	uint16_t l3_len;
};

/*
 * Drop IPv4 options / IPv6 extension headers by sliding the Ethernet, VLAN
 * and fixed IP headers forward over them; the L4 message stays where it is,
 * so an app's payload pointer remains valid.
 */
static uint8_t *
strip_ip_extras(struct rte_mbuf *m, const struct tern_parsed *p, uint16_t base)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t extra = p->l4_off - p->l3_off - base;

	if (extra != 0) {
		memmove(frame + extra, frame, p->l3_off + base);
		frame = (uint8_t *)rte_pktmbuf_adj(m, extra);
	}
	return frame;
}

static void
swap_l2(uint8_t *frame, const struct rte_ether_addr *dst_mac,
	const struct tern_reply_port *rp)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;

	if (dst_mac != NULL)
		rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	else
		rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&rp->mac, &eth->src_addr);
}

static void
trim(struct rte_mbuf *m, uint16_t len)
{
	m->data_len = len;
	m->pkt_len = len;
}

/* Addresses swapped, options gone, lengths and TTL set; returns the raw sum
 * of the addresses. The header checksum is summed from the new values. */
static uint64_t
rewrite_ipv4(struct rte_ipv4_hdr *ip, uint16_t l4_len, uint8_t ttl, bool hw_cksum)
{
	rte_be32_t src = ip->dst_addr, dst = ip->src_addr;
	rte_be16_t len = rte_cpu_to_be_16(IPV4_HDR_LEN + l4_len);
	uint64_t addr_sum = (uint64_t)src + dst;
	uint64_t sum = addr_sum + len + ip->packet_id +
		       tern_cksum_pair(RTE_IPV4_VHL_DEF, ip->type_of_service) +
		       tern_cksum_pair(ttl, ip->next_proto_id);

	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = len;
	ip->fragment_offset = 0;
	ip->time_to_live = ttl;
	ip->hdr_checksum = hw_cksum ? 0 : (uint16_t)~tern_cksum_fold(sum);
	return addr_sum;
}

static void
rewrite_ipv6(struct rte_ipv6_hdr *ip, uint8_t proto, uint16_t l4_len, uint8_t hops,
	     const uint8_t *src6, const uint8_t *dst6)
{
	uint8_t a[16];

	memcpy(a, ip->src_addr, 16);
	memcpy(ip->src_addr, src6 != NULL ? src6 : ip->dst_addr, 16);
	memcpy(ip->dst_addr, dst6 != NULL ? dst6 : a, 16);
	ip->proto = proto;
	ip->payload_len = rte_cpu_to_be_16(l4_len);
	ip->hop_limits = hops;
}

/* Common part of every reply: L2 and L3 rewritten, frame trimmed. */
static struct reply_hdrs
reply_l2_l3(struct rte_mbuf *m, const struct tern_parsed *p, uint16_t l4_len,
	    uint8_t hops, const uint8_t *src6, const uint8_t *dst6,
	    const struct rte_ether_addr *dst_mac, bool hw_ip_cksum,
	    const struct tern_reply_port *rp)
{
	uint16_t base = p->l3 == TERN_L3_IPV4 ? IPV4_HDR_LEN : IPV6_HDR_LEN;
	uint8_t *frame = strip_ip_extras(m, p, base);
	struct reply_hdrs h = {
		.l3 = frame + p->l3_off,
		.l4 = frame + p->l3_off + base,
		.l3_len = base,
	};

	swap_l2(frame, dst_mac, rp);
	if (p->l3 == TERN_L3_IPV4) {
		h.addr_sum = rewrite_ipv4((struct rte_ipv4_hdr *)h.l3, l4_len, hops,
					  hw_ip_cksum);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)h.l3;

		rewrite_ipv6(ip6, p->l4_proto, l4_len, hops, src6, dst6);
		h.addr_sum = tern_cksum_raw(ip6->src_addr, sizeof(ip6->src_addr), 0);
		h.addr_sum = tern_cksum_raw(ip6->dst_addr, sizeof(ip6->dst_addr), h.addr_sum);
	}
	trim(m, p->l3_off + base + l4_len);
	return h;
}

static uint16_t
l4_cksum(const struct tern_parsed *p, const uint8_t *l3, uint8_t proto,
	 const void *l4, uint16_t len)
{
	if (p->l3 == TERN_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		return tern_cksum_l4_v4((const uint8_t *)&ip->src_addr,
					(const uint8_t *)&ip->dst_addr, proto, l4, len);
	}
	const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)l3;

	return tern_cksum_l4_v6(ip6->src_addr, ip6->dst_addr, proto, l4, len);
}

/* Ask the device to fill the UDP checksum (pseudo-header sum seeded), and
 * the IPv4 header's if hw_ip (else it was summed in software). */
static void
request_tx_cksum(struct rte_mbuf *m, const struct tern_parsed *p,
		 const struct reply_hdrs *h, struct rte_udp_hdr *udp, bool hw_ip)
{
	uint64_t fl;

	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	m->l2_len = p->l3_off;
	m->l3_len = h->l3_len;
	if (p->l3 == TERN_L3_IPV4) {
		fl = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM |
		     (hw_ip ? RTE_MBUF_F_TX_IP_CKSUM : 0);
		udp->dgram_cksum = rte_ipv4_phdr_cksum((struct rte_ipv4_hdr *)h->l3, fl);
	} else {
		fl = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
		udp->dgram_cksum = rte_ipv6_phdr_cksum((struct rte_ipv6_hdr *)h->l3, fl);
	}
	m->ol_flags |= fl;
}

void
tern_reply_udp(struct rte_mbuf *m, const struct tern_parsed *p,
	       uint16_t payload_len, const struct tern_reply_port *rp, bool echo)
{
	bool hw = rp->tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	bool hw_ip = hw && (rp->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
	uint16_t l4_len = sizeof(struct rte_udp_hdr) + payload_len;
	struct reply_hdrs h = reply_l2_l3(m, p, l4_len, REPLY_TTL, NULL, NULL,
					  NULL, hw_ip, rp);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)h.l4;
	rte_be16_t sport = udp->dst_port, dport = udp->src_port;
	rte_be16_t be_len = rte_cpu_to_be_16(l4_len);
	uint64_t sum;
	uint16_t ck;

	udp->src_port = sport;
	udp->dst_port = dport;
	udp->dgram_len = be_len;
	if (hw) {
		request_tx_cksum(m, p, &h, udp, hw_ip);
		return;
	}
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	/* An echo keeps the request's checksum: the same words in another
	 * order (RFC 1624's incremental update with nothing to update). The
	 * request's was checked on arrival; 0 (none, IPv4) is summed. */
	if (echo && udp->dgram_cksum != 0)
		return;
	/* Pseudo-header (addresses, protocol, length), then the UDP header
	 * (both ports, length; the checksum field counts as zero), then the
	 * payload: nothing is read back from the header. */
	sum = h.addr_sum + tern_cksum_pair(0, IPPROTO_UDP) + 2 * (uint64_t)be_len +
	      sport + dport;
	ck = (uint16_t)~tern_cksum_fold(tern_cksum_raw(udp + 1, payload_len, sum));
	udp->dgram_cksum = ck == 0 ? 0xffff : ck;
}

void
tern_reply_icmp(struct rte_mbuf *m, const struct tern_parsed *p,
		uint8_t type, uint16_t l4_len, uint8_t hop_limit,
		const uint8_t *src6, const uint8_t *dst6,
		const struct rte_ether_addr *dst_mac,
		const struct tern_reply_port *rp)
{
	struct reply_hdrs h = reply_l2_l3(m, p, l4_len, hop_limit, src6, dst6,
					  dst_mac, false, rp);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)h.l4;

	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	icmp->icmp_type = type;
	icmp->icmp_code = 0;
	icmp->icmp_cksum = 0;
	if (p->l3 == TERN_L3_IPV4)
		icmp->icmp_cksum = (uint16_t)~tern_cksum_sum(icmp, l4_len);
	else
		icmp->icmp_cksum = l4_cksum(p, h.l3, IPPROTO_ICMPV6, icmp, l4_len);
}
