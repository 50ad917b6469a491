/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * RSS: the hash types tern asks for, the symmetric Toeplitz key, and the
 * software Toeplitz hash (rte_softrss) that predicts which queue a flow lands
 * on. Pure functions, any thread.
 */
#ifndef TERN_RSS_H
#define TERN_RSS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_RSS_KEY_MAX 64

enum tern_rss_mode {
	TERN_RSS_SYMMETRIC = 0, /**< default: 0x6d5a key, both directions of a flow hash alike */
	TERN_RSS_DEFAULT,       /**< the device's own key */
	TERN_RSS_OFF,           /**< one RX queue per port */
};

/** Parse "symmetric", "default" or "off". -EINVAL otherwise. */
int tern_rss_mode_parse(const char *s, enum tern_rss_mode *mode);
const char *tern_rss_mode_name(enum tern_rss_mode mode);

/** The symmetric key: 0x6d, 0x5a repeated, TERN_RSS_KEY_MAX bytes (use the
 *  device's hash_key_size first bytes). */
extern const uint8_t tern_rss_symmetric_key[TERN_RSS_KEY_MAX];

/** RSS hash types tern wants: IPv4/IPv6, UDP and TCP over both (RTE_ETH_RSS_*). */
uint64_t tern_rss_wanted_types(void);

/** Space-separated names of the types in hf ("ipv4 ipv4-udp ..."), or "none". */
void tern_rss_types_format(uint64_t hf, char *buf, size_t len);

/** A flow as the device hashes it. Addresses and ports in network order. */
struct tern_rss_flow {
	uint8_t family;     /**< 4 or 6 */
	uint8_t proto;      /**< IPPROTO_UDP, IPPROTO_TCP or other */
	uint16_t sport;     /**< network order */
	uint16_t dport;     /**< network order */
	uint8_t src[16];
	uint8_t dst[16];
};

/**
 * The Toeplitz hash a device with active types hf and key (key_len bytes)
 * computes for f: over addresses and ports when the matching L4 type is
 * active, over addresses only when just the L3 type is, 0 when neither.
 */
uint32_t tern_rss_hash(const struct tern_rss_flow *f, uint64_t hf,
		       const uint8_t *key, size_t key_len);

#ifdef __cplusplus
}
#endif

#endif /* TERN_RSS_H */
