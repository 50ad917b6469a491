/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header parsing for the per-packet path. One function per layer; each checks
 * that the bytes it reads are present before reading them. Reads go through
 * memcpy at offsetof() positions of DPDK's header structs, so any alignment
 * of the frame is safe. No loops over bytes, no division.
 */
#include <stddef.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "parse.h"

#define MAX_VLAN_TAGS		2
#define MAX_IPV6_EXT_HDRS	8
#define IP_VERSION_SHIFT	4	/* version is the first byte's high nibble */
#define IPV4_VERSION		4
#define IPV6_VERSION		6
#define ICMP_MIN_LEN		sizeof(struct rte_icmp_hdr)
#define ICMPV6_MIN_LEN		4
/* Hop-by-hop, routing and destination options share one layout. */
#define IPV6_EXT_NH_OFF		0	/* next header */
#define IPV6_EXT_LEN_OFF	1	/* length, 8-byte units after the first 8 */
#define IPV6_EXT_MIN_LEN	8
#define IPV6_EXT_LEN_SHIFT	3

static inline uint16_t
rd16(const uint8_t *b, uint32_t off)
{
	uint16_t v;

	memcpy(&v, b + off, sizeof(v));
	return rte_be_to_cpu_16(v);
}

/* UDP: 8 <= UDP length <= l4_len; payload per the UDP length. */
static enum tern_parse_result
parse_udp(const uint8_t *frame, struct tern_parsed *p)
{
	const uint8_t *udp = frame + p->l4_off;
	uint16_t dgram_len;

	if (p->l4_len < sizeof(struct rte_udp_hdr))
		return TERN_PARSE_MALFORMED;
	dgram_len = rd16(udp, offsetof(struct rte_udp_hdr, dgram_len));
	if (dgram_len < sizeof(struct rte_udp_hdr) || dgram_len > p->l4_len)
		return TERN_PARSE_MALFORMED;
	p->l4 = TERN_L4_UDP;
	p->payload_off = p->l4_off + sizeof(struct rte_udp_hdr);
	p->payload_len = dgram_len - sizeof(struct rte_udp_hdr);
	return TERN_PARSE_OK;
}

/*
 * L4 dispatch. p->l4_off and p->l4_len are set and within the frame. ICMP is
 * recognised over IPv4 only and ICMPv6 over IPv6 only; anything else is
 * TERN_L4_OTHER.
 */
static enum tern_parse_result
parse_l4(const uint8_t *frame, uint8_t proto, struct tern_parsed *p)
{
	p->l4_proto = proto;
	if (proto == IPPROTO_UDP)
		return parse_udp(frame, p);
	if (proto == IPPROTO_ICMP && p->l3 == TERN_L3_IPV4) {
		if (p->l4_len < ICMP_MIN_LEN)
			return TERN_PARSE_MALFORMED;
		p->l4 = TERN_L4_ICMP;
		return TERN_PARSE_OK;
	}
	if (proto == IPPROTO_ICMPV6 && p->l3 == TERN_L3_IPV6) {
		if (p->l4_len < ICMPV6_MIN_LEN)
			return TERN_PARSE_MALFORMED;
		p->l4 = TERN_L4_ICMPV6;
		return TERN_PARSE_OK;
	}
	p->l4 = TERN_L4_OTHER;
	return TERN_PARSE_OK;
}

/* IPv4: version 4, IHL >= 5, IHL*4 <= total length <= bytes present. */
static enum tern_parse_result
parse_ipv4(const uint8_t *frame, uint32_t len, struct tern_parsed *p)
{
	const uint8_t *ip = frame + p->l3_off;
	uint32_t avail = len - p->l3_off;
	uint32_t hdr_len, total_len;
	uint8_t version_ihl;
	uint16_t frag;

	if (avail < sizeof(struct rte_ipv4_hdr))
		return TERN_PARSE_MALFORMED;
	version_ihl = ip[offsetof(struct rte_ipv4_hdr, version_ihl)];
	if ((version_ihl >> IP_VERSION_SHIFT) != IPV4_VERSION)
		return TERN_PARSE_MALFORMED;
	hdr_len = (uint32_t)(version_ihl & RTE_IPV4_HDR_IHL_MASK) << 2;
	total_len = rd16(ip, offsetof(struct rte_ipv4_hdr, total_length));
	/* hdr_len <= total_len <= avail: the options are present too. */
	if (hdr_len < sizeof(struct rte_ipv4_hdr) || total_len < hdr_len ||
	    total_len > avail)
		return TERN_PARSE_MALFORMED;
	p->l3 = TERN_L3_IPV4;
	frag = rd16(ip, offsetof(struct rte_ipv4_hdr, fragment_offset));
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return TERN_PARSE_UNSUPPORTED;
	p->l4_off = p->l3_off + hdr_len;
	p->l4_len = total_len - hdr_len;
	return parse_l4(frame, ip[offsetof(struct rte_ipv4_hdr, next_proto_id)], p);
}

static inline int
ipv6_is_skippable_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS;
}

/*
 * Skip hop-by-hop, routing and destination-options headers, at most
 * MAX_IPV6_EXT_HDRS of them, each within the IPv6 payload. On return *nh is
 * the first other next-header value and p->l4_off/l4_len describe what follows.
 */
static enum tern_parse_result
skip_ipv6_ext(const uint8_t *frame, uint8_t *nh, struct tern_parsed *p)
{
	unsigned int i;

	for (i = 0; i < MAX_IPV6_EXT_HDRS && ipv6_is_skippable_ext(*nh); i++) {
		const uint8_t *ext = frame + p->l4_off;
		uint32_t ext_len;

		if (p->l4_len < IPV6_EXT_MIN_LEN)
			return TERN_PARSE_MALFORMED;
		ext_len = ((uint32_t)ext[IPV6_EXT_LEN_OFF] + 1) << IPV6_EXT_LEN_SHIFT;
		if (ext_len > p->l4_len)
			return TERN_PARSE_MALFORMED;
		*nh = ext[IPV6_EXT_NH_OFF];
		p->l4_off += ext_len;
		p->l4_len -= ext_len;
	}
	if (ipv6_is_skippable_ext(*nh))
		return TERN_PARSE_MALFORMED;
	return TERN_PARSE_OK;
}

/* IPv6: version 6, 40 + payload length <= bytes present. */
static enum tern_parse_result
parse_ipv6(const uint8_t *frame, uint32_t len, struct tern_parsed *p)
{
	const uint8_t *ip = frame + p->l3_off;
	uint32_t avail = len - p->l3_off;
	enum tern_parse_result r;
	uint32_t payload_len;
	uint8_t nh;

	if (avail < sizeof(struct rte_ipv6_hdr))
		return TERN_PARSE_MALFORMED;
	if ((ip[offsetof(struct rte_ipv6_hdr, vtc_flow)] >> IP_VERSION_SHIFT) !=
	    IPV6_VERSION)
		return TERN_PARSE_MALFORMED;
	payload_len = rd16(ip, offsetof(struct rte_ipv6_hdr, payload_len));
	if (payload_len > avail - sizeof(struct rte_ipv6_hdr))
		return TERN_PARSE_MALFORMED;
	p->l3 = TERN_L3_IPV6;
	p->l4_off = p->l3_off + sizeof(struct rte_ipv6_hdr);
	p->l4_len = payload_len;
	nh = ip[offsetof(struct rte_ipv6_hdr, proto)];
	r = skip_ipv6_ext(frame, &nh, p);
	if (r != TERN_PARSE_OK)
		return r;
	if (nh == IPPROTO_FRAGMENT)
		return TERN_PARSE_UNSUPPORTED;
	if (nh == IPPROTO_NONE) {
		p->l4_proto = nh;
		p->l4 = TERN_L4_OTHER;
		return TERN_PARSE_OK;
	}
	return parse_l4(frame, nh, p);
}

/* ARP: only the 28-byte Ethernet/IPv4 form is supported. */
static enum tern_parse_result
parse_arp(const uint8_t *frame, uint32_t len, struct tern_parsed *p)
{
	const uint8_t *arp = frame + p->l3_off;
	uint32_t avail = len - p->l3_off;

	if (avail < offsetof(struct rte_arp_hdr, arp_data))
		return TERN_PARSE_MALFORMED;
	if (rd16(arp, offsetof(struct rte_arp_hdr, arp_hardware)) != RTE_ARP_HRD_ETHER ||
	    rd16(arp, offsetof(struct rte_arp_hdr, arp_protocol)) != RTE_ETHER_TYPE_IPV4 ||
	    arp[offsetof(struct rte_arp_hdr, arp_hlen)] != RTE_ETHER_ADDR_LEN ||
	    arp[offsetof(struct rte_arp_hdr, arp_plen)] != sizeof(uint32_t))
		return TERN_PARSE_UNSUPPORTED;
	if (avail < sizeof(struct rte_arp_hdr))
		return TERN_PARSE_MALFORMED;
	p->l3 = TERN_L3_ARP;
	return TERN_PARSE_OK;
}

static inline int
is_vlan_tpid(uint16_t type)
{
	return type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ;
}

/* Ethernet and up to MAX_VLAN_TAGS tags: sets l3_off, ethertype, n_vlan. */
static enum tern_parse_result
parse_l2(const uint8_t *frame, uint32_t len, struct tern_parsed *p)
{
	uint32_t off = sizeof(struct rte_ether_hdr);
	uint16_t type;

	if (len < sizeof(struct rte_ether_hdr))
		return TERN_PARSE_MALFORMED;
	type = rd16(frame, offsetof(struct rte_ether_hdr, ether_type));
	while (is_vlan_tpid(type)) {
		if (p->n_vlan == MAX_VLAN_TAGS)
			return TERN_PARSE_UNSUPPORTED;
		if (len - off < sizeof(struct rte_vlan_hdr))
			return TERN_PARSE_MALFORMED;
		type = rd16(frame, off + offsetof(struct rte_vlan_hdr, eth_proto));
		off += sizeof(struct rte_vlan_hdr);
		p->n_vlan++;
	}
	p->ethertype = type;
	p->l3_off = off;
	return TERN_PARSE_OK;
}

enum tern_parse_result
tern_parse(const uint8_t *frame, uint32_t len, struct tern_parsed *p)
{
	enum tern_parse_result r;

	*p = (struct tern_parsed){ 0 };
	r = parse_l2(frame, len, p);
	if (r != TERN_PARSE_OK)
		return r;
	switch (p->ethertype) {
	case RTE_ETHER_TYPE_IPV4:
		return parse_ipv4(frame, len, p);
	case RTE_ETHER_TYPE_IPV6:
		return parse_ipv6(frame, len, p);
	case RTE_ETHER_TYPE_ARP:
		return parse_arp(frame, len, p);
	default:
		return TERN_PARSE_UNSUPPORTED;
	}
}
