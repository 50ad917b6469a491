/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internet checksums for IPv4 headers and for UDP, ICMP and ICMPv6 over IPv4
 * or IPv6 (pseudo-headers built from explicit arguments, so IPv4 options and
 * IPv6 extension headers need no special case).
 * Pure functions, any thread.
 */
#ifndef TERN_CKSUM_H
#define TERN_CKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Raw sum of len bytes added to sum: 64-bit words with their carries counted
 * apart and added back at the end, then the 32-, 16- and 8-bit tails; an odd
 * last byte counts as the first byte of a 16-bit word whose second byte is
 * zero, as RFC 1071 pads. The result may exceed 32 bits: tern_cksum_fold()
 * folds it.
 */
static inline uint64_t
tern_cksum_raw(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *p = (const uint8_t *)buf;
	uint64_t carries = 0, w;
	uint32_t w4;
	uint16_t w2 = 0;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, sizeof(w));
		sum += w;
		carries += sum < w;
	}
	if (len >= 4) {
		memcpy(&w4, p, sizeof(w4));
		sum += w4;
		carries += sum < w4;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w2, p, sizeof(w2));
		sum += w2;
		carries += sum < w2;
		p += 2;
		len -= 2;
	}
	if (len != 0) {
		w2 = 0;
		memcpy(&w2, p, 1);
		sum += w2;
		carries += sum < w2;
	}
	/* Each carry out of bit 63 is worth 2^64 = 1 modulo 2^16 - 1. */
	return (sum & 0xffffffffu) + (sum >> 32) + carries;
}

/* A raw sum folded to 16 bits with end-around carries (0 only for all zeros). */
static inline uint16_t
tern_cksum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/** The 16-bit word whose first byte in memory is a and second is b, as a
 *  load of those two bytes in host order gives it (for sums from fields). */
static inline uint16_t
tern_cksum_pair(uint8_t a, uint8_t b)
{
	uint8_t w[2] = { a, b };
	uint16_t v;

	memcpy(&v, w, sizeof(v));
	return v;
}

/** The one's-complement sum of len bytes folded to 16 bits (RFC 1071): 0xffff
 *  for a message that checks out; its complement is the field to store. */
uint16_t tern_cksum_sum(const void *buf, uint16_t len);

/** Checksum field value (network order, ready to store) for an IPv4 header of
 *  hdr_len bytes whose checksum field is zero. */
uint16_t tern_cksum_ipv4_hdr(const void *hdr, uint16_t hdr_len);

/** True if the IPv4 header of hdr_len bytes (checksum field included) sums
 *  right. Inline: with a constant hdr_len (20) the sum is three loads. */
static inline bool
tern_cksum_ipv4_hdr_ok(const void *hdr, uint16_t hdr_len)
{
	return tern_cksum_fold(tern_cksum_raw(hdr, hdr_len, 0)) == 0xffff;
}

/**
 * Checksum field value (network order) for an L4 message over IPv4: src and
 * dst are 4-byte network-order addresses, proto the IP protocol, l4 the
 * message (its checksum field zero), len its length. For UDP a result of 0
 * is returned as 0xffff, as RFC 768 requires.
 */
uint16_t tern_cksum_l4_v4(const uint8_t *src, const uint8_t *dst, uint8_t proto,
			  const void *l4, uint16_t len);

/** Same over IPv6 (16-byte addresses). */
uint16_t tern_cksum_l4_v6(const uint8_t *src, const uint8_t *dst, uint8_t proto,
			  const void *l4, uint16_t len);

/** True if the L4 message (checksum field included) sums right over IPv4.
 *  A UDP checksum of 0 means "none" over IPv4 and is accepted. */
bool tern_cksum_l4_v4_ok(const uint8_t *src, const uint8_t *dst, uint8_t proto,
			 const void *l4, uint16_t len);

/**
 * tern_cksum_l4_v4_ok() for UDP, inline for the fast path: addrs is the
 * IPv4 header's source address followed by its destination (8 bytes), udp
 * the datagram (at least its 8-byte header), len its length.
 */
static inline bool
tern_cksum_udp4_ok(const uint8_t *addrs, const void *udp, uint16_t len)
{
	const uint8_t udp_proto = 17, cksum_off = 6;
	uint16_t stored;
	uint64_t sum;

	memcpy(&stored, (const uint8_t *)udp + cksum_off, sizeof(stored));
	if (stored == 0)
		return true; /* "no checksum", allowed over IPv4 */
	sum = tern_cksum_raw(addrs, 8, 0);
	sum += tern_cksum_pair(0, udp_proto);
	sum += tern_cksum_pair((uint8_t)(len >> 8), (uint8_t)len);
	return tern_cksum_fold(tern_cksum_raw(udp, len, sum)) == 0xffff;
}

/** Same over IPv6, where a UDP checksum of 0 is invalid. */
bool tern_cksum_l4_v6_ok(const uint8_t *src, const uint8_t *dst, uint8_t proto,
			 const void *l4, uint16_t len);

#ifdef __cplusplus
}
#endif

#endif /* TERN_CKSUM_H */
