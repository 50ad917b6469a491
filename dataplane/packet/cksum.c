/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksums (RFC 1071). The raw one's-complement sum adds 32-bit
 * words as loaded in host order into a 64-bit accumulator, two of them per
 * step (DPDK 22.11's __rte_raw_cksum adds one 16-bit word per step, about
 * three times slower here). Folding a sum of 32-bit words to 16 bits gives
 * the sum of the 16-bit words, since 2^16 = 1 modulo 2^16 - 1; the
 * one's-complement sum is byte-order independent, so the complement of the
 * folded sum is already the value to store (as is, by memcpy) in the packet.
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
static inline uint64_t
pseudo_sum(const uint8_t *src, const uint8_t *dst, size_t addr_len,
	   uint8_t proto, uint16_t len)
{
	uint64_t sum;

	sum = tern_cksum_raw(src, addr_len, 0);
	sum = tern_cksum_raw(dst, addr_len, sum);
	sum += rte_cpu_to_be_16((uint16_t)proto);
	sum += rte_cpu_to_be_16(len);
	return sum;
}

/* ICMP over IPv4 has no pseudo-header (RFC 792); everything else does. */
static inline uint64_t
v4_start_sum(const uint8_t *src, const uint8_t *dst, uint8_t proto,
	     uint16_t len)
{
	if (proto == IPPROTO_ICMP)
		return 0;
	return pseudo_sum(src, dst, IPV4_ADDR_LEN, proto, len);
}

/* Field value from a raw sum; a UDP result of 0 is sent as 0xffff. */
static inline uint16_t
finish(uint64_t sum, uint8_t proto)
{
	uint16_t ck = (uint16_t)~tern_cksum_fold(sum);

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
tern_cksum_sum(const void *buf, uint16_t len)
{
	return tern_cksum_fold(tern_cksum_raw(buf, len, 0));
}

uint16_t
tern_cksum_ipv4_hdr(const void *hdr, uint16_t hdr_len)
{
	return (uint16_t)~tern_cksum_fold(tern_cksum_raw(hdr, hdr_len, 0));
}

uint16_t
tern_cksum_l4_v4(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 const void *l4, uint16_t len)
{
	uint64_t sum = v4_start_sum(src, dst, proto, len);

	return finish(tern_cksum_raw(l4, len, sum), proto);
}

uint16_t
tern_cksum_l4_v6(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 const void *l4, uint16_t len)
{
	uint64_t sum = pseudo_sum(src, dst, IPV6_ADDR_LEN, proto, len);

	return finish(tern_cksum_raw(l4, len, sum), proto);
}

bool
tern_cksum_l4_v4_ok(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		    const void *l4, uint16_t len)
{
	uint64_t sum;

	if (proto == IPPROTO_UDP && len >= sizeof(struct rte_udp_hdr) &&
	    udp_stored_cksum(l4, len) == 0)
		return true;
	sum = tern_cksum_raw(l4, len, v4_start_sum(src, dst, proto, len));
	return tern_cksum_fold(sum) == CKSUM_GOOD_SUM;
}

bool
tern_cksum_l4_v6_ok(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		    const void *l4, uint16_t len)
{
	uint64_t sum;

	if (proto == IPPROTO_UDP && udp_stored_cksum(l4, len) == 0)
		return false;
	sum = tern_cksum_raw(l4, len, pseudo_sum(src, dst, IPV6_ADDR_LEN, proto, len));
	return tern_cksum_fold(sum) == CKSUM_GOOD_SUM;
}
