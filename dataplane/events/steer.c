/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software steering: the worker for a frame, by the Toeplitz hash a NIC's RSS
 * would compute for it (the same value tern_rss_hash gives for its flow),
 * then the indirection table.
 *
 * The Toeplitz input is the wire bytes of the source and destination
 * addresses (contiguous in both IPv4 and IPv6 headers), followed by the
 * source and destination ports when the L4 type is hashed. Read as
 * big-endian 32-bit words, that is exactly the rte_thash tuple rss.c builds
 * (addresses word by word, sport in the high half of the ports word). The key
 * is turned into CPU-order words once per frame (rte_convert_rss_key) for
 * rte_softrss_be, which then needs no byte swaps per input bit. The
 * symmetric key, which repeats every 16 bits, takes a shortcut: fold the
 * input to 16 bits, then two table look-ups (steer_hash_symmetric); same
 * result, several times faster.
 *
 * What is hashed, as a NIC does:
 *  - UDP/TCP, not a fragment, with the matching NONFRAG_*_UDP/TCP type:
 *    addresses and ports;
 *  - any fragment (IPv4 MF or offset != 0, IPv6 fragment header): addresses
 *    only (a non-first fragment has no ports; all fragments of a datagram
 *    must land together), with the IPV4/IPV6 or FRAG_IPV4/FRAG_IPV6 type;
 *  - other protocols (ICMP, ...): addresses only, with the IPV4/IPV6 or
 *    NONFRAG_*_OTHER type;
 *  - nothing (hash 0, so reta[0]) when no active type covers the frame.
 * IPv6: hop-by-hop, routing and destination-options headers are skipped (at
 * most STEER_MAX_IPV6_EXT, as parse.c does) to find the ports; the hash uses
 * the addresses of the fixed header (no home-address / routing-header
 * substitution of the _EX types). Anything else after the fixed header (AH,
 * ESP, no-next-header, more extension headers) hashes as "other".
 *
 * Frames that are not IPv4/IPv6, or are cut short before the bytes the hash
 * needs, or have more than two VLAN tags, or a wrong IP version / IHL, are
 * TERN_STEER_LOCAL: the receiving worker parses them and counts the drop.
 * No checksum or length-field checks here: the destination worker does them.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include "steer.h"

#define STEER_MAX_VLAN		2
#define STEER_MAX_IPV6_EXT	8
#define STEER_V4_ADDR_OFF	offsetof(struct rte_ipv4_hdr, src_addr)
#define STEER_V6_ADDR_OFF	offsetof(struct rte_ipv6_hdr, src_addr)
#define STEER_PORTS_LEN		4	/* sport, dport */
/* rte_softrss_be reads one key word past the last tuple word. */
#define STEER_KEY_WORDS		(RTE_THASH_V6_L4_LEN + 1)

_Static_assert(sizeof(((struct tern_steer *)0)->key) >= STEER_KEY_WORDS * 4,
	       "the key covers the IPv6 4-tuple and rte_softrss_be's look-ahead");

/* What a device with types hf hashes for a frame. */
enum steer_input { STEER_NONE, STEER_L3, STEER_L4 };

/* Where the hash input is in the frame, and how much of it. */
struct steer_tuple {
	const uint8_t *addrs;  /**< source then destination address */
	const uint8_t *ports;  /**< sport, dport; NULL unless hashed */
	uint8_t addr_words;    /**< 2 (IPv4) or 8 (IPv6) */
};

static inline uint16_t
rd16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline uint32_t
rd32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static inline int
is_l4(uint8_t proto)
{
	return proto == IPPROTO_UDP || proto == IPPROTO_TCP;
}

/* The L4 types of hf that cover proto (UDP or TCP), for IPv4 or IPv6. */
static inline uint64_t
l4_types(int v6, uint8_t proto)
{
	if (v6)
		return proto == IPPROTO_UDP ?
		       RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_IPV6_UDP_EX :
		       RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_IPV6_TCP_EX;
	return proto == IPPROTO_UDP ? RTE_ETH_RSS_NONFRAG_IPV4_UDP :
				      RTE_ETH_RSS_NONFRAG_IPV4_TCP;
}

/* The same decision as rss.c's hash_input_v4/v6, plus fragments. */
static enum steer_input
steer_input(uint64_t hf, int v6, uint8_t proto, int frag)
{
	const uint64_t l3 = v6 ? RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_IPV6_EX : RTE_ETH_RSS_IPV4;
	const uint64_t fr = v6 ? RTE_ETH_RSS_FRAG_IPV6 : RTE_ETH_RSS_FRAG_IPV4;
	const uint64_t other = v6 ? RTE_ETH_RSS_NONFRAG_IPV6_OTHER :
				    RTE_ETH_RSS_NONFRAG_IPV4_OTHER;

	if (frag)
		return (hf & (l3 | fr)) ? STEER_L3 : STEER_NONE;
	if (is_l4(proto) && (hf & l4_types(v6, proto)))
		return STEER_L4;
	if (hf & l3)
		return STEER_L3;
	if (!is_l4(proto) && (hf & other))
		return STEER_L3;
	return STEER_NONE;
}

/* Toeplitz over the tuple's addresses (and ports) with any key:
 * rte_softrss_be, one step per set input bit. */
static inline uint32_t
steer_hash_any(const struct tern_steer *s, const struct steer_tuple *t)
{
	uint32_t in[RTE_THASH_V6_L4_LEN];
	uint32_t key[STEER_KEY_WORDS];
	unsigned n = t->addr_words;

	for (unsigned i = 0; i < n; i++)
		in[i] = rd32(t->addrs + 4 * i);
	if (t->ports != NULL)
		in[n++] = rd32(t->ports);
	/* The key past key_len is zero (tern_steer_init), as in tern_rss_hash. */
	memcpy(key, s->key, (n + 1) * sizeof(uint32_t));
	rte_convert_rss_key(key, key, (int)((n + 1) * sizeof(uint32_t)));
	return rte_softrss_be(in, n, (const uint8_t *)key);
}

/*
 * The same hash for tern's symmetric key (0x6d5a repeated). A key that
 * repeats every 16 bits XORs in, for input bit i, 32 key bits that depend on
 * i mod 16 only, so the input can first be folded to 16 bits (XOR of its
 * big-endian 16-bit words: bit r of the fold is the parity of the input bits
 * at r, r + 16, ...) and the Toeplitz taken over those 16 bits: two lookups
 * in sym_tbl, one per byte of the fold. This is also why that key is
 * symmetric: addresses and ports are whole 16-bit words, and swapping them
 * leaves the fold unchanged.
 *
 * sym_tbl is built by the preprocessor from the key's first 48 bits: the
 * 32-bit window for fold bit t (LSB first) is SYM_K48 >> (t + 1).
 */
#define SYM_K48		UINT64_C(0x6d5a6d5a6d5a)
#define SYM_W(t)	((uint32_t)(SYM_K48 >> ((t) + 1)))
#define SYM_BYTE(v, t0)							\
	(((v) & 0x01 ? SYM_W((t0) + 0) : 0) ^ ((v) & 0x02 ? SYM_W((t0) + 1) : 0) ^ \
	 ((v) & 0x04 ? SYM_W((t0) + 2) : 0) ^ ((v) & 0x08 ? SYM_W((t0) + 3) : 0) ^ \
	 ((v) & 0x10 ? SYM_W((t0) + 4) : 0) ^ ((v) & 0x20 ? SYM_W((t0) + 5) : 0) ^ \
	 ((v) & 0x40 ? SYM_W((t0) + 6) : 0) ^ ((v) & 0x80 ? SYM_W((t0) + 7) : 0))
#define SYM_LO(v)	SYM_BYTE(v, 0)
#define SYM_HI(v)	SYM_BYTE(v, 8)
#define SYM_4(f, v)	f(v), f((v) + 1), f((v) + 2), f((v) + 3)
#define SYM_16(f, v)	SYM_4(f, v), SYM_4(f, (v) + 4), SYM_4(f, (v) + 8), SYM_4(f, (v) + 12)
#define SYM_64(f, v)	SYM_16(f, v), SYM_16(f, (v) + 16), SYM_16(f, (v) + 32), SYM_16(f, (v) + 48)
#define SYM_256(f)	SYM_64(f, 0), SYM_64(f, 64), SYM_64(f, 128), SYM_64(f, 192)

/* [0]: the fold's high byte, [1]: its low byte. */
static const uint32_t sym_tbl[2][256] = { { SYM_256(SYM_HI) }, { SYM_256(SYM_LO) } };

static inline uint32_t
steer_hash_symmetric(const struct steer_tuple *t)
{
	uint64_t x = 0, w;
	uint32_t p = 0;
	uint16_t fold;

	/* XOR of raw 8-byte chunks: lane-wise, so byte order can wait. */
	for (unsigned i = 0; i < t->addr_words; i += 2) {
		memcpy(&w, t->addrs + 4 * i, sizeof(w));
		x ^= w;
	}
	if (t->ports != NULL)
		memcpy(&p, t->ports, sizeof(p));
	x ^= p;
	x ^= x >> 32;
	x ^= x >> 16;
	fold = rte_be_to_cpu_16((uint16_t)x);
	return sym_tbl[0][fold >> 8] ^ sym_tbl[1][fold & 0xff];
}

/* Toeplitz over the tuple's addresses (and ports) with s's key. */
static inline uint32_t
steer_hash(const struct tern_steer *s, const struct steer_tuple *t)
{
	/* Input words, and one more key word: rte_softrss_be's look-ahead. */
	unsigned key_bytes = (t->addr_words + (t->ports != NULL) + 1) * sizeof(uint32_t);

	/* The hash reads key_bytes of the key (zero past key_len): the
	 * shortcut holds when those are the symmetric key's. */
	if (memcmp(s->key, tern_rss_symmetric_key, key_bytes) == 0)
		return steer_hash_symmetric(t);
	return steer_hash_any(s, t);
}

static inline uint16_t
steer_pick(const struct tern_steer *s, uint32_t hash)
{
	return s->reta[hash % TERN_STEER_RETA];
}

/* IPv4 at ip (avail bytes): the tuple, or -1 if the frame is not usable. */
static int
steer_tuple_v4(const struct tern_steer *s, const uint8_t *ip, uint32_t avail,
	       struct steer_tuple *t, enum steer_input *in)
{
	uint32_t ihl;
	uint8_t proto;
	int frag;

	if (avail < sizeof(struct rte_ipv4_hdr) || (ip[0] >> 4) != 4)
		return -1;
	ihl = (uint32_t)(ip[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (ihl < sizeof(struct rte_ipv4_hdr) || ihl > avail)
		return -1;
	proto = ip[offsetof(struct rte_ipv4_hdr, next_proto_id)];
	frag = (rd16(ip + offsetof(struct rte_ipv4_hdr, fragment_offset)) &
		(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
	*in = steer_input(s->hf, 0, proto, frag);
	t->addrs = ip + STEER_V4_ADDR_OFF;
	t->addr_words = 2;
	t->ports = NULL;
	if (*in == STEER_L4) {
		if (avail - ihl < STEER_PORTS_LEN)
			return -1;
		t->ports = ip + ihl;
	}
	return 0;
}

static inline int
ipv6_ext_skippable(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS;
}

/* IPv6 at ip (avail bytes): the tuple, or -1 if the frame is not usable. */
static int
steer_tuple_v6(const struct tern_steer *s, const uint8_t *ip, uint32_t avail,
	       struct steer_tuple *t, enum steer_input *in)
{
	uint32_t off = sizeof(struct rte_ipv6_hdr);
	uint8_t nh;

	if (avail < sizeof(struct rte_ipv6_hdr) || (ip[0] >> 4) != 6)
		return -1;
	nh = ip[offsetof(struct rte_ipv6_hdr, proto)];
	for (unsigned i = 0; i < STEER_MAX_IPV6_EXT && ipv6_ext_skippable(nh); i++) {
		/* next header, length in 8-byte units not counting the first 8 */
		if (avail - off < 8)
			return -1;
		nh = ip[off];
		off += ((uint32_t)ip[off + 1] + 1) * 8;
		if (off > avail)
			return -1;
	}
	*in = steer_input(s->hf, 1, nh, nh == IPPROTO_FRAGMENT);
	t->addrs = ip + STEER_V6_ADDR_OFF;
	t->addr_words = 8;
	t->ports = NULL;
	if (*in == STEER_L4) {
		if (avail - off < STEER_PORTS_LEN)
			return -1;
		t->ports = ip + off;
	}
	return 0;
}

int
tern_steer_mode_parse(const char *s, enum tern_steer_mode *mode)
{
	if (strcmp(s, "auto") == 0)
		*mode = TERN_STEER_AUTO;
	else if (strcmp(s, "off") == 0)
		*mode = TERN_STEER_OFF;
	else
		return -EINVAL;
	return 0;
}

const char *
tern_steer_mode_name(enum tern_steer_mode mode)
{
	return mode == TERN_STEER_OFF ? "off" : "auto";
}

void
tern_steer_init(struct tern_steer *s, unsigned n_workers, const uint8_t *key,
		unsigned key_len, uint64_t hf)
{
	memset(s, 0, sizeof(*s));
	s->n_workers = n_workers > 0 ? n_workers : 1;
	s->hf = hf;
	s->key_len = (uint8_t)RTE_MIN(key_len, (unsigned)TERN_RSS_KEY_MAX);
	if (key != NULL)
		memcpy(s->key, key, s->key_len);
	for (unsigned i = 0; i < TERN_STEER_RETA; i++)
		s->reta[i] = (uint16_t)(i % s->n_workers);
}

uint16_t
tern_steer_flow_worker(const struct tern_steer *s, const struct tern_rss_flow *f)
{
	return steer_pick(s, tern_rss_hash(f, s->hf, s->key, s->key_len));
}

uint16_t
tern_steer_frame_worker(const struct tern_steer *s, const uint8_t *frame, uint16_t len)
{
	uint32_t off = sizeof(struct rte_ether_hdr);
	struct steer_tuple t;
	enum steer_input in;
	uint16_t type;
	int ret;

	if (len < sizeof(struct rte_ether_hdr))
		return TERN_STEER_LOCAL;
	type = rd16(frame + offsetof(struct rte_ether_hdr, ether_type));
	for (unsigned i = 0; type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ; i++) {
		if (i == STEER_MAX_VLAN || len - off < sizeof(struct rte_vlan_hdr))
			return TERN_STEER_LOCAL;
		type = rd16(frame + off + offsetof(struct rte_vlan_hdr, eth_proto));
		off += sizeof(struct rte_vlan_hdr);
	}
	if (type == RTE_ETHER_TYPE_IPV4)
		ret = steer_tuple_v4(s, frame + off, len - off, &t, &in);
	else if (type == RTE_ETHER_TYPE_IPV6)
		ret = steer_tuple_v6(s, frame + off, len - off, &t, &in);
	else
		return TERN_STEER_LOCAL;
	if (ret < 0)
		return TERN_STEER_LOCAL;
	if (in == STEER_NONE)
		return steer_pick(s, 0);
	return steer_pick(s, steer_hash(s, &t));
}
