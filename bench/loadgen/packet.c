/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "packet.h"

#define LG_TTL 64

static struct rte_ipv4_hdr *
ip_of(uint8_t *frame)
{
	return (struct rte_ipv4_hdr *)(frame + LG_L2_LEN);
}

static struct rte_udp_hdr *
udp_of(uint8_t *frame)
{
	return (struct rte_udp_hdr *)(frame + LG_L2_LEN + LG_L3_LEN);
}

/* Payload byte i (i >= LG_MIN_SIZE): a fixed pattern, so a reply can be
 * compared with the template. */
static uint8_t
pattern(unsigned int i)
{
	return (uint8_t)(i * 13u + 0x5au);
}

int
lg_tmpl_init(struct lg_tmpl *t, const struct lg_flow_cfg *c)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint16_t l4_len;
	uint8_t *pl;

	if (c->size < LG_MIN_SIZE || c->size > LG_MAX_SIZE || c->flows == 0 ||
	    (uint32_t)c->sport_base + c->flows > 65536u)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->cfg = *c;
	l4_len = (uint16_t)(LG_L4_LEN + c->size);
	t->frame_len = (uint16_t)(LG_HDRS_LEN + c->size);

	eth = (struct rte_ether_hdr *)t->frame;
	rte_ether_addr_copy(&c->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&c->src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	ip = ip_of(t->frame);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(LG_L3_LEN + l4_len));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = LG_TTL;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(c->src_ip);
	ip->dst_addr = rte_cpu_to_be_32(c->dst_ip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);	/* constant: packet_id stays 0, DF set */

	udp = udp_of(t->frame);
	udp->dst_port = rte_cpu_to_be_16(c->dport);
	udp->dgram_len = rte_cpu_to_be_16(l4_len);
	pl = (uint8_t *)(udp + 1);
	for (unsigned int i = LG_MIN_SIZE; i < c->size; i++)
		pl[i] = pattern(i);

	/* Sum with the source port, the checksum and the stamp still zero. */
	t->l4_sum = rte_ipv4_phdr_cksum(ip, 0) + __rte_raw_cksum(udp, l4_len, 0);
	return 0;
}

void
lg_build(const struct lg_tmpl *t, uint8_t *buf, uint32_t run_id, uint64_t seq,
	 uint64_t t_intended, uint64_t t_sent)
{
	struct rte_udp_hdr *udp = udp_of(buf);
	struct lg_stamp st = {
		.magic = LG_MAGIC,
		.run_id = run_id,
		.seq = seq,
		.t_intended = t_intended,
		.t_sent = t_sent,
	};
	uint32_t sum;
	uint16_t ck;

	memcpy(buf, t->frame, t->frame_len);
	udp->src_port = rte_cpu_to_be_16(lg_sport(t, seq));
	memcpy(udp + 1, &st, sizeof(st));
	/* The stamp starts at an even offset of the UDP header: its 16-bit words
	 * line up with the datagram's, so its sum adds to the template's. */
	sum = t->l4_sum + udp->src_port + __rte_raw_cksum(&st, sizeof(st), 0);
	ck = (uint16_t)~__rte_raw_cksum_reduce(sum);
	udp->dgram_cksum = ck == 0 ? 0xffff : ck;
}

/* Is this UDP from dst_ip:dport to src_ip at one of our source ports? */
static bool
is_ours(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)buf;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(buf + LG_L2_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(buf + LG_L2_LEN + LG_L3_LEN);
	uint16_t dport;

	if (len < LG_HDRS_LEN || eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_UDP ||
	    ip->src_addr != rte_cpu_to_be_32(t->cfg.dst_ip) ||
	    ip->dst_addr != rte_cpu_to_be_32(t->cfg.src_ip) ||
	    udp->src_port != rte_cpu_to_be_16(t->cfg.dport))
		return false;
	dport = rte_be_to_cpu_16(udp->dst_port);
	return dport >= t->cfg.sport_base && dport - t->cfg.sport_base < t->cfg.flows;
}

/* Headers of a reply: NULL if fine, else what is wrong. */
static const char *
check_headers(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)buf;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(buf + LG_L2_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(buf + LG_L2_LEN + LG_L3_LEN);
	uint16_t l4_len = (uint16_t)(LG_L4_LEN + t->cfg.size);

	if (!rte_is_same_ether_addr(&eth->dst_addr, &t->cfg.src_mac))
		return "Ethernet destination is not our MAC";
	if (len < (uint32_t)LG_HDRS_LEN + t->cfg.size)
		return "frame shorter than a request";
	if (rte_raw_cksum(ip, LG_L3_LEN) != 0xffff)
		return "bad IPv4 header checksum";
	if (rte_be_to_cpu_16(ip->total_length) != LG_L3_LEN + l4_len ||
	    rte_be_to_cpu_16(udp->dgram_len) != l4_len)
		return "IPv4 or UDP length differs from the request";
	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return "reply is a fragment";
	if (udp->dgram_cksum != 0 && rte_ipv4_udptcp_cksum_verify(ip, udp) != 0)
		return "bad UDP checksum";
	return NULL;
}

enum lg_rx_kind
lg_classify(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len, uint32_t run_id,
	    struct lg_stamp *st, const char **why)
{
	const uint8_t *pl = buf + LG_HDRS_LEN;
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(buf + LG_L2_LEN + LG_L3_LEN);
	const char *err;

	if (!is_ours(t, buf, len))
		return LG_RX_OTHER;
	err = check_headers(t, buf, len);
	if (err == NULL) {
		memcpy(st, pl, sizeof(*st));
		if (st->magic != LG_MAGIC)
			err = "bad magic in the stamp";
	}
	if (err == NULL && st->run_id != run_id)
		return LG_RX_STALE;
	if (err == NULL && rte_be_to_cpu_16(udp->dst_port) != lg_sport(t, st->seq))
		err = "UDP destination port does not match the stamp's sequence number";
	if (err == NULL && t->cfg.check_payload &&
	    memcmp(pl + LG_MIN_SIZE, t->frame + LG_HDRS_LEN + LG_MIN_SIZE,
		   t->cfg.size - LG_MIN_SIZE) != 0)
		err = "payload differs from the request";
	if (err == NULL)
		return LG_RX_REPLY;
	if (why != NULL)
		*why = err;
	return LG_RX_INVALID;
}
