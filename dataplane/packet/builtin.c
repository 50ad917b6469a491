/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "builtin.h"
#include "cksum.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_NS 135
#define ICMP6_NA 136
#define ND_HOP_LIMIT 255           /* RFC 4861: NDP must arrive with 255 */
#define ND_MSG_LEN 24              /* type, code, cksum, flags, target */
#define ND_OPT_TARGET_LLADDR 2
#define ND_NA_LEN (ND_MSG_LEN + 8) /* with the target link-layer option */
#define ND_NA_FLAG_SOLICITED 0x40
#define ND_NA_FLAG_OVERRIDE 0x20
#define ECHO_HOPS 64

static const uint8_t all_nodes6[16] = { 0xff, 0x02, [15] = 0x01 };
static const struct rte_ether_addr all_nodes_mac = {
	.addr_bytes = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 }
};

struct tern_fate
tern_builtin_arp(struct rte_mbuf *m, const struct tern_parsed *p, uint16_t port,
		 const struct tern_addr_table *at, const struct tern_reply_port *rp)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(frame + p->l3_off);
	struct rte_arp_ipv4 *a = &arp->arp_data;
	rte_be32_t want = a->arp_tip;

	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST))
		return tern_fate_drop(TERN_CTR_DROP_UNSUPPORTED);
	if (!tern_addr_is_local4(at, port, (const uint8_t *)&want) ||
	    a->arp_sip == want)
		return tern_fate_drop(TERN_CTR_DROP_NOT_FOR_US); /* another host's, or gratuitous */

	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&a->arp_sha, &a->arp_tha);
	a->arp_tip = a->arp_sip;
	rte_ether_addr_copy(&rp->mac, &a->arp_sha);
	a->arp_sip = want;
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&rp->mac, &eth->src_addr);
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	m->data_len = p->l3_off + sizeof(*arp);
	m->pkt_len = m->data_len;
	return tern_fate_reply();
}

struct tern_fate
tern_builtin_icmp4(struct rte_mbuf *m, const struct tern_parsed *p,
		   const struct tern_reply_port *rp)
{
	const struct rte_icmp_hdr *icmp =
		rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, p->l4_off);

	if (tern_cksum_sum(icmp, p->l4_len) != 0xffff)
		return tern_fate_drop(TERN_CTR_DROP_BAD_CKSUM);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return tern_fate_drop(TERN_CTR_DROP_UNSUPPORTED);
	tern_reply_icmp(m, p, RTE_IP_ICMP_ECHO_REPLY, p->l4_len, ECHO_HOPS,
			NULL, NULL, NULL, rp);
	return tern_fate_reply();
}

/* Answer a neighbour solicitation for one of our addresses with an
 * advertisement carrying our MAC. A DAD probe (source ::) is answered to
 * all-nodes without the solicited flag (RFC 4861 7.2.4). */
static struct tern_fate
answer_ns(struct rte_mbuf *m, const struct tern_parsed *p, uint16_t port,
	  const struct tern_addr_table *at, const struct tern_reply_port *rp)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(frame + p->l3_off);
	uint8_t *nd = frame + p->l4_off;
	static const uint8_t unspecified[16];
	bool dad = memcmp(ip->src_addr, unspecified, 16) == 0;

	if (ip->hop_limits != ND_HOP_LIMIT || nd[1] != 0 || p->l4_len < ND_MSG_LEN)
		return tern_fate_drop(TERN_CTR_DROP_MALFORMED);
	if (!tern_addr_is_local6(at, port, nd + 8))
		return tern_fate_drop(TERN_CTR_DROP_NOT_FOR_US);
	if (rte_pktmbuf_tailroom(m) + m->data_len < (uint32_t)p->l4_off + ND_NA_LEN)
		return tern_fate_drop(TERN_CTR_DROP_MALFORMED);

	nd[4] = dad ? ND_NA_FLAG_OVERRIDE : ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE;
	nd[5] = nd[6] = nd[7] = 0;
	nd[ND_MSG_LEN] = ND_OPT_TARGET_LLADDR;
	nd[ND_MSG_LEN + 1] = 1; /* option length in units of 8 bytes */
	memcpy(nd + ND_MSG_LEN + 2, rp->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	tern_reply_icmp(m, p, ICMP6_NA, ND_NA_LEN, ND_HOP_LIMIT, nd + 8,
			dad ? all_nodes6 : NULL, dad ? &all_nodes_mac : NULL, rp);
	return tern_fate_reply();
}

struct tern_fate
tern_builtin_icmp6(struct rte_mbuf *m, const struct tern_parsed *p, uint16_t port,
		   const struct tern_addr_table *at, const struct tern_reply_port *rp)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(frame + p->l3_off);
	const uint8_t *icmp = frame + p->l4_off;

	if (!tern_cksum_l4_v6_ok(ip->src_addr, ip->dst_addr, IPPROTO_ICMPV6,
				 icmp, p->l4_len))
		return tern_fate_drop(TERN_CTR_DROP_BAD_CKSUM);
	if (icmp[0] == ICMP6_NS)
		return answer_ns(m, p, port, at, rp);
	if (!tern_addr_is_local6(at, port, ip->dst_addr))
		return tern_fate_drop(TERN_CTR_DROP_NOT_FOR_US); /* only NS may come to a group */
	if (icmp[0] != ICMP6_ECHO_REQUEST || icmp[1] != 0 || p->l4_len < 8)
		return tern_fate_drop(TERN_CTR_DROP_UNSUPPORTED);
	tern_reply_icmp(m, p, ICMP6_ECHO_REPLY, p->l4_len, ECHO_HOPS,
			NULL, NULL, NULL, rp);
	return tern_fate_reply();
}
