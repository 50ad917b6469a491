/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * tern-bench request frames: building UDP requests from a prebuilt template
 * and checking replies. Pure functions on byte buffers, no port and no
 * allocation, so they are cheap on the per-packet path and testable alone.
 *
 * A request's UDP payload starts with struct lg_stamp (32 bytes, host byte
 * order: only tern-bench writes and reads it; the responder echoes it), then
 * a fixed pattern up to --size bytes. The UDP checksum is the template's
 * precomputed sum plus the few bytes that change per request.
 *
 * With proto LG_PROTO_MC_GET the requests are memcached text-protocol gets
 * over UDP instead: memcached's 8-byte frame header, then "get kNNNNNNN\r\n"
 * for one of cfg.keys keys, each holding cfg.size bytes (lg_mc_set builds
 * the sets that store them). Nothing of the stamp travels: the reply echoes
 * only the 16-bit request id, which with the source port gives the
 * sequence number modulo lg_mc_window(); the caller keeps the send times.
 */
#ifndef TERN_BENCH_PACKET_H
#define TERN_BENCH_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LG_MAGIC	0x74626e63u	/* "tbnc" */
#define LG_L2_LEN	14u
#define LG_L3_LEN	20u
#define LG_L4_LEN	8u
#define LG_HDRS_LEN	(LG_L2_LEN + LG_L3_LEN + LG_L4_LEN)
#define LG_MAX_SIZE	1472u		/* UDP payload bytes in a 1500-byte MTU */
#define LG_MAX_FRAME	(LG_HDRS_LEN + LG_MAX_SIZE)

/** What every request carries at the start of its UDP payload. */
struct lg_stamp {
	uint32_t magic;		/**< LG_MAGIC */
	uint32_t run_id;	/**< which run (benchmark) sent it */
	uint64_t seq;		/**< sequence number in the run, from 0 */
	uint64_t t_intended;	/**< TSC at which the schedule meant to send it */
	uint64_t t_sent;	/**< TSC just before it was handed to the driver */
} __attribute__((packed));

#define LG_MIN_SIZE	((uint16_t)sizeof(struct lg_stamp))

/** What the requests say. */
enum lg_proto {
	LG_PROTO_STAMP = 0,	/**< the stamp and a pattern, echoed back */
	LG_PROTO_MC_GET,	/**< memcached "get key" over UDP; replies VALUE ... END */
};

#define LG_MC_HDR	8u		/* memcached's UDP frame header */
#define LG_MC_KEY_DIGITS 7u		/* keys k0000000 .. k9999999 */
#define LG_MC_MAX_KEYS	10000000u
#define LG_MC_REQ_LEN	(LG_MC_HDR + 4u + 1u + LG_MC_KEY_DIGITS + 2u) /* "get kNNNNNNN\r\n" */
#define LG_MC_MAX_VALUE	1024u		/* kv's default max_value */
#define LG_MC_TAIL_MAX	(32u + LG_MC_MAX_VALUE)

/** Addresses and shape of the traffic. Addresses and ports in host order. */
struct lg_flow_cfg {
	struct rte_ether_addr src_mac;
	struct rte_ether_addr dst_mac;
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t sport_base;	/**< first source port */
	uint16_t flows;		/**< source ports sport_base .. sport_base+flows-1 */
	uint16_t dport;
	uint16_t size;		/**< UDP payload bytes, LG_MIN_SIZE .. LG_MAX_SIZE;
				 *   LG_PROTO_MC_GET: value bytes, 1 .. LG_MC_MAX_VALUE */
	bool check_payload;	/**< replies must echo the payload byte for byte
				 *   (LG_PROTO_MC_GET: hold the key's value) */
	enum lg_proto proto;
	uint32_t keys;		/**< LG_PROTO_MC_GET: keys, 1 .. LG_MC_MAX_KEYS */
};

/** A request frame with a zero stamp and source port, and its partial sums. */
struct lg_tmpl {
	struct lg_flow_cfg cfg;
	uint16_t frame_len;
	uint32_t l4_sum;	/**< pseudo header + UDP header + payload, stamp and sport 0 */
	uint8_t frame[LG_MAX_FRAME];
	/** LG_PROTO_MC_GET: a reply's body after "VALUE kNNNNNNN" */
	uint16_t mc_tail_len;
	uint8_t mc_tail[LG_MC_TAIL_MAX];
};

/** Fate of a received frame. */
enum lg_rx_kind {
	LG_RX_OTHER = 0,	/**< not UDP from dst_ip:dport to one of our ports */
	LG_RX_INVALID,		/**< ours by address, but wrong length/checksum/stamp/payload */
	LG_RX_STALE,		/**< a valid stamp of another run */
	LG_RX_REPLY,		/**< a reply to this run; seq still to be range-checked */
};

/** Fill t from c. Returns 0, or -EINVAL if c->size or c->flows is out of range. */
int lg_tmpl_init(struct lg_tmpl *t, const struct lg_flow_cfg *c);

/**
 * rte_raw_cksum(buf, len), 8 bytes at a time: the same value (the 16-bit
 * one's complement sum of the 16-bit words, an odd last byte padded with a
 * zero; 0 only when every byte is 0).
 */
uint16_t lg_raw_cksum(const void *buf, uint32_t len);

/** Source port of request seq. */
static inline uint16_t
lg_sport(const struct lg_tmpl *t, uint64_t seq)
{
	/* Once per request and once per reply: no 64-bit division when a
	 * 32-bit one (or none) gives the same. */
	if (t->cfg.flows == 1)
		return t->cfg.sport_base;
	if (seq <= UINT32_MAX)
		return (uint16_t)(t->cfg.sport_base + (uint32_t)seq % t->cfg.flows);
	return (uint16_t)(t->cfg.sport_base + seq % t->cfg.flows);
}

/** LG_PROTO_MC_GET: replies identify requests modulo this (request id x flows). */
static inline uint64_t
lg_mc_window(const struct lg_tmpl *t)
{
	return 65536ull * t->cfg.flows;
}

/** LG_PROTO_MC_GET: the key request seq asks for. */
static inline uint32_t
lg_mc_key(const struct lg_tmpl *t, uint64_t seq)
{
	return (uint32_t)(seq % lg_mc_window(t) % t->cfg.keys);
}

/**
 * LG_PROTO_MC_GET: write into buf (LG_MAX_FRAME bytes) the frame storing key
 * (memcached "set", request id key & 0xffff, from sport_base); returns its
 * length. A kv or memcached answers "STORED".
 */
uint16_t lg_mc_set(const struct lg_tmpl *t, uint8_t *buf, uint32_t key);

/**
 * LG_PROTO_MC_GET: if frame (len bytes) answers one of lg_mc_set's requests
 * with "STORED", the key it stored (modulo 65536), else -1.
 */
int lg_mc_stored(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len);

/** Write request seq into buf (t->frame_len bytes). O(1) besides the copy.
 *  LG_PROTO_MC_GET: only seq goes on the wire (as request id and port). */
void lg_build(const struct lg_tmpl *t, uint8_t *buf, uint32_t run_id, uint64_t seq,
	      uint64_t t_intended, uint64_t t_sent);

/**
 * Classify a received frame of len bytes against run run_id. For LG_RX_REPLY
 * the stamp is copied to *st. Checks, in order: Ethernet type and
 * destination, IPv4 (no options, header checksum, addresses swapped, total
 * length), UDP (ports swapped and matching the stamp's seq, length, checksum
 * if non-zero), the stamp's magic and run, and the pattern if check_payload.
 * LG_PROTO_MC_GET: lengths need only be consistent; the frame header must
 * be a single datagram's; the body must be "VALUE <key> 0 <size>\r\n<value>
 * \r\nEND\r\n" for the request's key (if check_payload); *st gets the magic,
 * run_id and seq modulo lg_mc_window(), no times (the caller has them).
 * @param why  if not NULL, set to a short reason for LG_RX_INVALID.
 */
enum lg_rx_kind lg_classify(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len,
			    uint32_t run_id, struct lg_stamp *st, const char **why);

#ifdef __cplusplus
}
#endif

#endif /* TERN_BENCH_PACKET_H */
