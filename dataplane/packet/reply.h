/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Turning a received frame into a reply to its sender, in place: Ethernet
 * addresses swapped (source = the port's MAC), IPv4 options or IPv6
 * extension headers removed, IP addresses swapped, fresh TTL, lengths set,
 * and checksums filled in software or left to the device's TX offload.
 * Fast path; the caller owns the mbuf before and after.
 */
#ifndef TERN_REPLY_H
#define TERN_REPLY_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "parse.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a reply needs to know about the port it leaves by. */
struct tern_reply_port {
	struct rte_ether_addr mac;   /**< the port's MAC, the reply's source */
	uint64_t tx_offloads;        /**< RTE_ETH_TX_OFFLOAD_* enabled on the port */
	uint16_t mtu;                /**< longest IP packet the port carries */
};

/**
 * Make m a UDP reply whose payload is the payload_len bytes already at the
 * request's payload offset (p describes the request). The frame is trimmed
 * to the reply's length. echo: the payload is the request's, unchanged and
 * of the same length, and the request's checksum was checked: it is kept.
 */
void tern_reply_udp(struct rte_mbuf *m, const struct tern_parsed *p,
		    uint16_t payload_len, const struct tern_reply_port *rp, bool echo);

/**
 * Make m an ICMP (IPv4) or ICMPv6 reply of type type whose message is the
 * l4_len bytes at the request's L4 offset, as rewritten by the caller except
 * for type and checksum, which this sets. Used for echo replies and
 * neighbour advertisements; hop_limit is 64 for echo, 255 for NDP.
 * For IPv6, dst (16 bytes) overrides the reply's destination address and
 * src (16 bytes) its source, when not NULL (NDP replies to DAD probes go to
 * all-nodes); dst_mac likewise overrides the Ethernet destination.
 */
void tern_reply_icmp(struct rte_mbuf *m, const struct tern_parsed *p,
		     uint8_t type, uint16_t l4_len, uint8_t hop_limit,
		     const uint8_t *src6, const uint8_t *dst6,
		     const struct rte_ether_addr *dst_mac,
		     const struct tern_reply_port *rp);

#ifdef __cplusplus
}
#endif

#endif /* TERN_REPLY_H */
