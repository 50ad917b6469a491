/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "cksum.h"
#include "packet.h"

#define LG_TTL 64

static struct rte_ipv4_hdr *
ip_of(uint8_t *frame)
{
	return (struct rte_ipv4_hdr *)(frame + LG_L2_LEN);
}

static struct rte_udp_hdr *
udp_of(uint8_t *frame)
{
	return (struct rte_udp_hdr *)(frame + LG_L2_LEN + LG_L3_LEN);
}

/* One's complement sums on the engine's 64-bit raw sum (cksum.h): folded to
 * 16 bits it is what rte_raw_cksum() gives, about three times faster. */
static inline uint64_t
csum_add(uint64_t sum, uint64_t w)
{
	return tern_cksum_raw(&w, sizeof(w), sum);
}

uint16_t
lg_raw_cksum(const void *buf, uint32_t len)
{
	return tern_cksum_fold(tern_cksum_raw(buf, len, 0));
}

/* Payload byte i (i >= LG_MIN_SIZE): a fixed pattern, so a reply can be
 * compared with the template. */
static uint8_t
pattern(unsigned int i)
{
	return (uint8_t)(i * 13u + 0x5au);
}

/* Ethernet, IPv4 (checksum set) and UDP headers (no source port, no
 * checksum) of a frame carrying payload_len bytes from c. */
static void
headers_init(uint8_t *frame, const struct lg_flow_cfg *c, uint16_t payload_len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = ip_of(frame);
	struct rte_udp_hdr *udp = udp_of(frame);
	uint16_t l4_len = (uint16_t)(LG_L4_LEN + payload_len);

	rte_ether_addr_copy(&c->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&c->src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(LG_L3_LEN + l4_len));
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = LG_TTL;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(c->src_ip);
	ip->dst_addr = rte_cpu_to_be_32(c->dst_ip);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);	/* constant: packet_id stays 0, DF set */

	udp->src_port = 0;
	udp->dst_port = rte_cpu_to_be_16(c->dport);
	udp->dgram_len = rte_cpu_to_be_16(l4_len);
	udp->dgram_cksum = 0;
}

/* ---- memcached get (LG_PROTO_MC_GET) ---- */

/* Value byte i of every key: printable, so a capture reads well. */
static uint8_t
mc_value_byte(unsigned int i)
{
	return (uint8_t)('a' + i % 26u);
}

/* "kNNNNNNN" at p. */
static void
mc_put_key(uint8_t *p, uint32_t key)
{
	p[0] = 'k';
	for (unsigned int i = LG_MC_KEY_DIGITS; i > 0; i--) {
		p[i] = (uint8_t)('0' + key % 10);
		key /= 10;
	}
}

/* The frame header of a single-datagram request with request id rid. */
static void
mc_put_hdr(uint8_t *p, uint16_t rid)
{
	static const uint8_t rest[6] = { 0, 0, 0, 1, 0, 0 };

	p[0] = (uint8_t)(rid >> 8);
	p[1] = (uint8_t)rid;
	memcpy(p + 2, rest, sizeof(rest));
}

static void
udp_cksum_set(uint8_t *frame)
{
	struct rte_udp_hdr *udp = udp_of(frame);
	uint16_t ck;

	udp->dgram_cksum = 0;
	ck = rte_ipv4_udptcp_cksum(ip_of(frame), udp);
	udp->dgram_cksum = ck == 0 ? 0xffff : ck;
}

static int
mc_tmpl_init(struct lg_tmpl *t, const struct lg_flow_cfg *c)
{
	uint8_t *pl = t->frame + LG_HDRS_LEN, *tail = t->mc_tail;
	int n;

	if (c->size < 1 || c->size > LG_MC_MAX_VALUE || c->keys < 1 || c->keys > LG_MC_MAX_KEYS)
		return -EINVAL;
	t->frame_len = (uint16_t)(LG_HDRS_LEN + LG_MC_REQ_LEN);
	headers_init(t->frame, c, LG_MC_REQ_LEN);
	mc_put_hdr(pl, 0);
	memcpy(pl + LG_MC_HDR, "get ", 4);
	mc_put_key(pl + LG_MC_HDR + 4, 0);
	memcpy(pl + LG_MC_REQ_LEN - 2, "\r\n", 2);
	/* What a reply says after "VALUE kNNNNNNN". */
	n = snprintf((char *)tail, LG_MC_TAIL_MAX, " 0 %u\r\n", c->size);
	for (unsigned int i = 0; i < c->size; i++)
		tail[n + i] = mc_value_byte(i);
	memcpy(tail + n + c->size, "\r\nEND\r\n", 7);
	t->mc_tail_len = (uint16_t)(n + c->size + 7);
	return 0;
}

uint16_t
lg_mc_set(const struct lg_tmpl *t, uint8_t *buf, uint32_t key)
{
	uint8_t *pl = buf + LG_HDRS_LEN;
	uint16_t len;
	int n;

	mc_put_hdr(pl, (uint16_t)key);
	memcpy(pl + LG_MC_HDR, "set ", 4);
	mc_put_key(pl + LG_MC_HDR + 4, key);
	n = (int)(LG_MC_HDR + 4 + 1 + LG_MC_KEY_DIGITS);
	n += snprintf((char *)pl + n, 32, " 0 0 %u\r\n", t->cfg.size);
	for (unsigned int i = 0; i < t->cfg.size; i++)
		pl[n + i] = mc_value_byte(i);
	memcpy(pl + n + t->cfg.size, "\r\n", 2);
	len = (uint16_t)(n + t->cfg.size + 2);
	headers_init(buf, &t->cfg, len);
	udp_of(buf)->src_port = rte_cpu_to_be_16(t->cfg.sport_base);
	udp_cksum_set(buf);
	return (uint16_t)(LG_HDRS_LEN + len);
}

static void
mc_build(const struct lg_tmpl *t, uint8_t *buf, uint64_t seq)
{
	uint8_t *pl = buf + LG_HDRS_LEN;

	memcpy(buf, t->frame, t->frame_len);
	udp_of(buf)->src_port = rte_cpu_to_be_16(lg_sport(t, seq));
	mc_put_hdr(pl, (uint16_t)(seq / t->cfg.flows));
	mc_put_key(pl + LG_MC_HDR + 4, lg_mc_key(t, seq));
	udp_cksum_set(buf);
}

int
lg_tmpl_init(struct lg_tmpl *t, const struct lg_flow_cfg *c)
{
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint16_t l4_len;
	uint8_t *pl;

	if (c->flows == 0 || (uint32_t)c->sport_base + c->flows > 65536u)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->cfg = *c;
	if (c->proto == LG_PROTO_MC_GET)
		return mc_tmpl_init(t, c);
	if (c->size < LG_MIN_SIZE || c->size > LG_MAX_SIZE)
		return -EINVAL;
	l4_len = (uint16_t)(LG_L4_LEN + c->size);
	t->frame_len = (uint16_t)(LG_HDRS_LEN + c->size);
	headers_init(t->frame, c, c->size);
	ip = ip_of(t->frame);
	udp = udp_of(t->frame);
	pl = (uint8_t *)(udp + 1);
	for (unsigned int i = LG_MIN_SIZE; i < c->size; i++)
		pl[i] = pattern(i);

	/* Sum with the source port, the checksum and the stamp still zero. */
	t->l4_sum = rte_ipv4_phdr_cksum(ip, 0) + __rte_raw_cksum(udp, l4_len, 0);
	return 0;
}

void
lg_build(const struct lg_tmpl *t, uint8_t *buf, uint32_t run_id, uint64_t seq,
	 uint64_t t_intended, uint64_t t_sent)
{
	struct rte_udp_hdr *udp = udp_of(buf);
	struct lg_stamp *st = (struct lg_stamp *)(udp + 1);
	uint64_t ssum;
	uint32_t sum;
	uint16_t ck;

	if (t->cfg.proto == LG_PROTO_MC_GET) {
		mc_build(t, buf, seq);
		return;
	}
	memcpy(buf, t->frame, t->frame_len);
	udp->src_port = rte_cpu_to_be_16(lg_sport(t, seq));
	/* Written in place (packed), summed from the values: no copy through
	 * the stack, whose narrow stores a wide reload would wait for. */
	st->magic = LG_MAGIC;
	st->run_id = run_id;
	st->seq = seq;
	st->t_intended = t_intended;
	st->t_sent = t_sent;
	/* The stamp starts at an even offset of the UDP header: its 16-bit words
	 * line up with the datagram's, so its sum adds to the template's. Each
	 * field's 16-bit words sum (modulo 0xffff) to the field's value. */
	ssum = csum_add((uint64_t)LG_MAGIC + run_id, seq);
	ssum = csum_add(ssum, t_intended);
	ssum = csum_add(ssum, t_sent);
	sum = t->l4_sum + udp->src_port + tern_cksum_fold(ssum);
	ck = (uint16_t)~__rte_raw_cksum_reduce(sum);
	udp->dgram_cksum = ck == 0 ? 0xffff : ck;
}

/* Is this UDP from dst_ip:dport to src_ip at one of our source ports? */
static bool
is_ours(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)buf;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(buf + LG_L2_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(buf + LG_L2_LEN + LG_L3_LEN);
	uint16_t dport;

	if (len < LG_HDRS_LEN || eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_UDP ||
	    ip->src_addr != rte_cpu_to_be_32(t->cfg.dst_ip) ||
	    ip->dst_addr != rte_cpu_to_be_32(t->cfg.src_ip) ||
	    udp->src_port != rte_cpu_to_be_16(t->cfg.dport))
		return false;
	dport = rte_be_to_cpu_16(udp->dst_port);
	return dport >= t->cfg.sport_base && dport - t->cfg.sport_base < t->cfg.flows;
}

/* rte_ipv4_udptcp_cksum_verify(ip, udp) == 0, for a UDP datagram whose IPv4
 * total length is LG_L3_LEN + l4_len (checked before): the datagram plus
 * the pseudo header (addresses, protocol, UDP length) sum to 0xffff. The
 * pseudo header is summed from the IPv4 header itself, not from a copy on
 * the stack (rte_ipv4_phdr_cksum), whose narrow stores its loads would wait
 * for. Both sums are nonzero, so the folded total is the same test. */
static bool
udp_cksum_ok(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *udp, uint16_t l4_len)
{
	uint64_t sum = tern_cksum_raw(&ip->src_addr, 8, 0);	/* src_addr, dst_addr */

	sum = csum_add(sum, (uint64_t)rte_cpu_to_be_16((uint16_t)IPPROTO_UDP) +
			   rte_cpu_to_be_16(l4_len));
	return tern_cksum_fold(tern_cksum_raw(udp, l4_len, sum)) == 0xffff;
}

/* Headers of a reply: NULL if fine, else what is wrong. */
static const char *
check_headers(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)buf;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(buf + LG_L2_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(buf + LG_L2_LEN + LG_L3_LEN);
	uint16_t l4_len = (uint16_t)(LG_L4_LEN + t->cfg.size);

	if (!rte_is_same_ether_addr(&eth->dst_addr, &t->cfg.src_mac))
		return "Ethernet destination is not our MAC";
	if (len < (uint32_t)LG_HDRS_LEN + t->cfg.size)
		return "frame shorter than a request";
	if (lg_raw_cksum(ip, LG_L3_LEN) != 0xffff)
		return "bad IPv4 header checksum";
	if (rte_be_to_cpu_16(ip->total_length) != LG_L3_LEN + l4_len ||
	    rte_be_to_cpu_16(udp->dgram_len) != l4_len)
		return "IPv4 or UDP length differs from the request";
	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return "reply is a fragment";
	if (udp->dgram_cksum != 0 && !udp_cksum_ok(ip, udp, l4_len))
		return "bad UDP checksum";
	return NULL;
}

/* Headers of a memcached reply: its own lengths, consistent with the frame.
 * Sets *body and *blen to the UDP payload after the frame header. */
static const char *
mc_check_headers(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len,
		 const uint8_t **body, uint32_t *blen)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)buf;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(buf + LG_L2_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(buf + LG_L2_LEN + LG_L3_LEN);
	uint32_t ip_len = rte_be_to_cpu_16(ip->total_length);
	uint32_t l4_len = rte_be_to_cpu_16(udp->dgram_len);
	const uint8_t *pl = buf + LG_HDRS_LEN;

	if (!rte_is_same_ether_addr(&eth->dst_addr, &t->cfg.src_mac))
		return "Ethernet destination is not our MAC";
	if (rte_raw_cksum(ip, LG_L3_LEN) != 0xffff)
		return "bad IPv4 header checksum";
	if (ip_len > len - LG_L2_LEN || l4_len != ip_len - LG_L3_LEN ||
	    l4_len < LG_L4_LEN + LG_MC_HDR)
		return "IPv4 or UDP length inconsistent, or no frame header";
	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return "reply is a fragment";
	if (udp->dgram_cksum != 0 && rte_ipv4_udptcp_cksum_verify(ip, udp) != 0)
		return "bad UDP checksum";
	if (pl[2] != 0 || pl[3] != 0 || pl[4] != 0 || pl[5] != 1)
		return "frame header is not sequence 0 of 1 datagram";
	*body = pl + LG_MC_HDR;
	*blen = l4_len - LG_L4_LEN - LG_MC_HDR;
	return NULL;
}

/* A memcached reply to a get: *st->seq is the request modulo lg_mc_window. */
static enum lg_rx_kind
mc_classify(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len, uint32_t run_id,
	    struct lg_stamp *st, const char **why)
{
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(buf + LG_L2_LEN + LG_L3_LEN);
	const uint8_t *pl = buf + LG_HDRS_LEN, *body = NULL;
	uint8_t head[6 + 1 + LG_MC_KEY_DIGITS];
	uint32_t blen = 0;
	const char *err;
	uint64_t residue;

	err = mc_check_headers(t, buf, len, &body, &blen);
	if (err == NULL) {
		residue = ((uint64_t)pl[0] << 8 | pl[1]) * t->cfg.flows +
			  (rte_be_to_cpu_16(udp->dst_port) - t->cfg.sport_base);
		memcpy(head, "VALUE ", 6);
		mc_put_key(head + 6, lg_mc_key(t, residue));
		if (t->cfg.check_payload &&
		    (blen != sizeof(head) + t->mc_tail_len ||
		     memcmp(body, head, sizeof(head)) != 0 ||
		     memcmp(body + sizeof(head), t->mc_tail, t->mc_tail_len) != 0))
			err = "not the VALUE ... END of the key asked for";
	}
	if (err != NULL) {
		if (why != NULL)
			*why = err;
		return LG_RX_INVALID;
	}
	memset(st, 0, sizeof(*st));
	st->magic = LG_MAGIC;
	st->run_id = run_id;
	st->seq = residue;
	return LG_RX_REPLY;
}

int
lg_mc_stored(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len)
{
	const uint8_t *body = NULL;
	uint32_t blen = 0;

	if (!is_ours(t, buf, len) || mc_check_headers(t, buf, len, &body, &blen) != NULL ||
	    blen != 8 || memcmp(body, "STORED\r\n", 8) != 0)
		return -1;
	return (int)(buf[LG_HDRS_LEN] << 8 | buf[LG_HDRS_LEN + 1]);
}

enum lg_rx_kind
lg_classify(const struct lg_tmpl *t, const uint8_t *buf, uint32_t len, uint32_t run_id,
	    struct lg_stamp *st, const char **why)
{
	const uint8_t *pl = buf + LG_HDRS_LEN;
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(buf + LG_L2_LEN + LG_L3_LEN);
	const char *err;

	if (!is_ours(t, buf, len))
		return LG_RX_OTHER;
	if (t->cfg.proto == LG_PROTO_MC_GET)
		return mc_classify(t, buf, len, run_id, st, why);
	err = check_headers(t, buf, len);
	if (err == NULL) {
		memcpy(st, pl, sizeof(*st));
		if (st->magic != LG_MAGIC)
			err = "bad magic in the stamp";
	}
	if (err == NULL && st->run_id != run_id)
		return LG_RX_STALE;
	if (err == NULL && rte_be_to_cpu_16(udp->dst_port) != lg_sport(t, st->seq))
		err = "UDP destination port does not match the stamp's sequence number";
	if (err == NULL && t->cfg.check_payload &&
	    memcmp(pl + LG_MIN_SIZE, t->frame + LG_HDRS_LEN + LG_MIN_SIZE,
		   t->cfg.size - LG_MIN_SIZE) != 0)
		err = "payload differs from the request";
	if (err == NULL)
		return LG_RX_REPLY;
	if (why != NULL)
		*why = err;
	return LG_RX_INVALID;
}
