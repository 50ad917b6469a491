/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksums (RFC 1071) on top of DPDK's raw one's-complement sum.
 * __rte_raw_cksum adds 16-bit words as loaded in host order; the
 * one's-complement sum is byte-order independent, so the complement of the
 * reduced sum is already the value to store (as is, by memcpy) in the packet.
 * Pseudo-header words are therefore added as network-order values.
 */
#include <stddef.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "cksum.h"

#define IPV4_ADDR_LEN	4
#define IPV6_ADDR_LEN	16
/* The reduced sum of a message that checks out (its own checksum included). */
#define CKSUM_GOOD_SUM	0xffff

/*
 * Raw sum of the pseudo-header: addresses, protocol and length. The layouts
 * differ (IPv4: zero byte + protocol + 16-bit length; IPv6: 32-bit length +
 * three zero bytes + next header), but the 16-bit words that are not zero are
 * the same, so one function serves both.
 */
static inline uint32_t
pseudo_sum(const uint8_t *src, const uint8_t *dst, size_t addr_len,
	   uint8_t proto, uint16_t len)
{
	uint32_t sum;

	sum = __rte_raw_cksum(src, addr_len, 0);
	sum = __rte_raw_cksum(dst, addr_len, sum);
	sum += rte_cpu_to_be_16((uint16_t)proto);
	sum += rte_cpu_to_be_16(len);
	return sum;
}

/* ICMP over IPv4 has no pseudo-header (RFC 792); everything else does. */
static inline uint32_t
v4_start_sum(const uint8_t *src, const uint8_t *dst, uint8_t proto,
	     uint16_t len)
{
	if (proto == IPPROTO_ICMP)
		return 0;
	return pseudo_sum(src, dst, IPV4_ADDR_LEN, proto, len);
}

/* Field value from a raw sum; a UDP result of 0 is sent as 0xffff. */
static inline uint16_t
finish(uint32_t sum, uint8_t proto)
{
	uint16_t ck = (uint16_t)~__rte_raw_cksum_reduce(sum);

	if (ck == 0 && proto == IPPROTO_UDP)
		ck = 0xffff;
	return ck;
}

/* The UDP checksum field as stored, or 0 if the message is too short. */
static inline uint16_t
udp_stored_cksum(const void *l4, uint16_t len)
{
	uint16_t ck = 0;

	if (len >= sizeof(struct rte_udp_hdr))
		memcpy(&ck, (const uint8_t *)l4 +
		       offsetof(struct rte_udp_hdr, dgram_cksum), sizeof(ck));
	return ck;
}

uint16_t
tern_cksum_ipv4_hdr(const void *hdr, uint16_t hdr_len)
{
	return (uint16_t)~rte_raw_cksum(hdr, hdr_len);
}

bool
tern_cksum_ipv4_hdr_ok(const void *hdr, uint16_t hdr_len)
{
	return rte_raw_cksum(hdr, hdr_len) == CKSUM_GOOD_SUM;
}

uint16_t
tern_cksum_l4_v4(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 const void *l4, uint16_t len)
{
	uint32_t sum = v4_start_sum(src, dst, proto, len);

	return finish(__rte_raw_cksum(l4, len, sum), proto);
}

uint16_t
tern_cksum_l4_v6(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 const void *l4, uint16_t len)
{
	uint32_t sum = pseudo_sum(src, dst, IPV6_ADDR_LEN, proto, len);

	return finish(__rte_raw_cksum(l4, len, sum), proto);
}

bool
tern_cksum_l4_v4_ok(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		    const void *l4, uint16_t len)
{
	uint32_t sum;

	if (proto == IPPROTO_UDP && len >= sizeof(struct rte_udp_hdr) &&
	    udp_stored_cksum(l4, len) == 0)
		return true;
	sum = __rte_raw_cksum(l4, len, v4_start_sum(src, dst, proto, len));
	return __rte_raw_cksum_reduce(sum) == CKSUM_GOOD_SUM;
}

bool
tern_cksum_l4_v6_ok(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		    const void *l4, uint16_t len)
{
	uint32_t sum;

	if (proto == IPPROTO_UDP && udp_stored_cksum(l4, len) == 0)
		return false;
	sum = __rte_raw_cksum(l4, len,
			      pseudo_sum(src, dst, IPV6_ADDR_LEN, proto, len));
	return __rte_raw_cksum_reduce(sum) == CKSUM_GOOD_SUM;
}
