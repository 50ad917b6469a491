/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Header parsing: Ethernet, up to two 802.1Q/802.1ad tags, ARP, IPv4 (with
 * options), IPv6 (hop-by-hop, routing and destination-options extension
 * headers), ICMP, ICMPv6 and UDP. Every length is checked before a header is
 * read; nothing is written. Pure function, any thread.
 */
#ifndef TERN_PARSE_H
#define TERN_PARSE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tern_l3 {
	TERN_L3_NONE = 0,
	TERN_L3_ARP,
	TERN_L3_IPV4,
	TERN_L3_IPV6,
};

enum tern_l4 {
	TERN_L4_NONE = 0,
	TERN_L4_UDP,
	TERN_L4_ICMP,
	TERN_L4_ICMPV6,
	TERN_L4_OTHER,   /**< another IP protocol (TCP, ...) */
};

enum tern_parse_result {
	TERN_PARSE_OK = 0,
	TERN_PARSE_MALFORMED,    /**< a header is truncated or inconsistent */
	TERN_PARSE_UNSUPPORTED,  /**< well formed, but not something tern handles:
				      other ethertypes, fragments, ARP for non-IPv4 */
};

/** Where the headers are. Offsets are from the start of the frame. */
struct tern_parsed {
	uint16_t l3_off;       /**< first byte after Ethernet and VLAN tags */
	uint16_t l4_off;       /**< first byte after IPv4 options / IPv6 extension headers */
	uint16_t l4_len;       /**< L4 bytes per the IP header (excludes Ethernet padding) */
	uint16_t payload_off;  /**< UDP only: first payload byte */
	uint16_t payload_len;  /**< UDP only: per the UDP length field */
	uint16_t ethertype;    /**< innermost ethertype, host order */
	uint8_t l3;            /**< enum tern_l3 */
	uint8_t l4;            /**< enum tern_l4 */
	uint8_t l4_proto;      /**< IP protocol number of the L4 header */
	uint8_t n_vlan;        /**< VLAN tags seen (0..2) */
};

/**
 * Parse the frame's headers.
 *
 * @param frame  first byte of the Ethernet header
 * @param len    contiguous bytes available at frame
 * @param p      filled on TERN_PARSE_OK; partially filled otherwise
 * @return TERN_PARSE_OK, TERN_PARSE_MALFORMED or TERN_PARSE_UNSUPPORTED
 *
 * Rules: IPv4 needs version 4, IHL >= 5, IHL*4 <= total length <= bytes
 * present; fragments (MF or offset != 0) are UNSUPPORTED. IPv6 needs version 6
 * and 40 + payload length <= bytes present; a fragment header is UNSUPPORTED,
 * more than 8 extension headers MALFORMED. UDP needs 8 <= UDP length <= l4_len.
 * ICMP needs 8 bytes, ICMPv6 4 bytes. ARP needs the 28-byte Ethernet/IPv4 form
 * (htype 1, ptype 0x0800, hlen 6, plen 4), anything else is UNSUPPORTED.
 * Other IP protocols parse OK with l4 = TERN_L4_OTHER.
 */
enum tern_parse_result tern_parse(const uint8_t *frame, uint32_t len,
				  struct tern_parsed *p);

#ifdef __cplusplus
}
#endif

#endif /* TERN_PARSE_H */
