/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internet checksums for IPv4 headers and for UDP, ICMP and ICMPv6 over IPv4
 * or IPv6 (pseudo-headers built from explicit arguments, so IPv4 options and
 * IPv6 extension headers need no special case). Built on rte_raw_cksum.
 * Pure functions, any thread.
 */
#ifndef TERN_CKSUM_H
#define TERN_CKSUM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Checksum field value (network order, ready to store) for an IPv4 header of
 *  hdr_len bytes whose checksum field is zero. */
uint16_t tern_cksum_ipv4_hdr(const void *hdr, uint16_t hdr_len);

/** True if the IPv4 header of hdr_len bytes (checksum field included) sums right. */
bool tern_cksum_ipv4_hdr_ok(const void *hdr, uint16_t hdr_len);

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

/** Same over IPv6, where a UDP checksum of 0 is invalid. */
bool tern_cksum_l4_v6_ok(const uint8_t *src, const uint8_t *dst, uint8_t proto,
			 const void *l4, uint16_t len);

#ifdef __cplusplus
}
#endif

#endif /* TERN_CKSUM_H */
