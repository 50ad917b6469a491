/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS helpers: the types tern asks a device for, their names, the symmetric
 * key, and a software Toeplitz hash that gives the value the device computes
 * for a flow, so the control side can predict the RX queue of a flow.
 *
 * rte_softrss() takes the tuple as 32-bit words in CPU order (addresses and
 * ports converted from network order; IPv6 addresses word by word) and the
 * key as the bytes the device is given. The ports share one word: in
 * struct rte_ipv4_tuple/rte_ipv6_tuple, sport is the high half and dport the
 * low half, which is the on-wire order "sport, dport" once read as a word.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_thash.h>

#include "rss.h"

/* rte_softrss reads one key word past the last tuple word: the IPv6 4-tuple
 * (9 words) needs 40 key bytes. Shorter keys are padded with zeros. */
#define SOFTRSS_KEY_MIN 40

const uint8_t tern_rss_symmetric_key[TERN_RSS_KEY_MAX] = {
#define SYM4 0x6d, 0x5a, 0x6d, 0x5a
#define SYM16 SYM4, SYM4, SYM4, SYM4
	SYM16, SYM16, SYM16, SYM16,
#undef SYM16
#undef SYM4
};

static const char *const mode_names[] = {
	[TERN_RSS_SYMMETRIC] = "symmetric",
	[TERN_RSS_DEFAULT] = "default",
	[TERN_RSS_OFF] = "off",
};

int
tern_rss_mode_parse(const char *s, enum tern_rss_mode *mode)
{
	if (s == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < RTE_DIM(mode_names); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*mode = (enum tern_rss_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
tern_rss_mode_name(enum tern_rss_mode mode)
{
	if ((unsigned)mode >= RTE_DIM(mode_names))
		return "unknown";
	return mode_names[mode];
}

uint64_t
tern_rss_wanted_types(void)
{
	/* The _EX types hash IPv6 packets with a home address option or a
	 * routing header on the addresses those carry; other IPv6 packets hash
	 * as with the plain types. Devices without them trim them. */
	return RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 |
	       RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV4_TCP |
	       RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 |
	       RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_NONFRAG_IPV6_TCP |
	       RTE_ETH_RSS_IPV6_EX | RTE_ETH_RSS_IPV6_UDP_EX | RTE_ETH_RSS_IPV6_TCP_EX;
}

struct type_name {
	uint64_t bit;
	const char *name;
};

/* Names as testpmd spells them. */
static const struct type_name type_names[] = {
	{ RTE_ETH_RSS_IPV4, "ipv4" },
	{ RTE_ETH_RSS_FRAG_IPV4, "ipv4-frag" },
	{ RTE_ETH_RSS_NONFRAG_IPV4_TCP, "ipv4-tcp" },
	{ RTE_ETH_RSS_NONFRAG_IPV4_UDP, "ipv4-udp" },
	{ RTE_ETH_RSS_NONFRAG_IPV4_SCTP, "ipv4-sctp" },
	{ RTE_ETH_RSS_NONFRAG_IPV4_OTHER, "ipv4-other" },
	{ RTE_ETH_RSS_IPV6, "ipv6" },
	{ RTE_ETH_RSS_FRAG_IPV6, "ipv6-frag" },
	{ RTE_ETH_RSS_NONFRAG_IPV6_TCP, "ipv6-tcp" },
	{ RTE_ETH_RSS_NONFRAG_IPV6_UDP, "ipv6-udp" },
	{ RTE_ETH_RSS_NONFRAG_IPV6_SCTP, "ipv6-sctp" },
	{ RTE_ETH_RSS_NONFRAG_IPV6_OTHER, "ipv6-other" },
	{ RTE_ETH_RSS_L2_PAYLOAD, "l2-payload" },
	{ RTE_ETH_RSS_IPV6_EX, "ipv6-ex" },
	{ RTE_ETH_RSS_IPV6_TCP_EX, "ipv6-tcp-ex" },
	{ RTE_ETH_RSS_IPV6_UDP_EX, "ipv6-udp-ex" },
	{ RTE_ETH_RSS_PORT, "port" },
	{ RTE_ETH_RSS_VXLAN, "vxlan" },
	{ RTE_ETH_RSS_GENEVE, "geneve" },
	{ RTE_ETH_RSS_NVGRE, "nvgre" },
	{ RTE_ETH_RSS_GTPU, "gtpu" },
	{ RTE_ETH_RSS_ETH, "eth" },
	{ RTE_ETH_RSS_S_VLAN, "s-vlan" },
	{ RTE_ETH_RSS_C_VLAN, "c-vlan" },
	{ RTE_ETH_RSS_ESP, "esp" },
	{ RTE_ETH_RSS_AH, "ah" },
	{ RTE_ETH_RSS_L2TPV3, "l2tpv3" },
	{ RTE_ETH_RSS_PFCP, "pfcp" },
	{ RTE_ETH_RSS_PPPOE, "pppoe" },
	{ RTE_ETH_RSS_ECPRI, "ecpri" },
	{ RTE_ETH_RSS_MPLS, "mpls" },
	{ RTE_ETH_RSS_IPV4_CHKSUM, "ipv4-chksum" },
	{ RTE_ETH_RSS_L4_CHKSUM, "l4-chksum" },
	{ RTE_ETH_RSS_L2TPV2, "l2tpv2" },
	{ RTE_ETH_RSS_L3_PRE96, "l3-pre96" },
	{ RTE_ETH_RSS_L3_PRE64, "l3-pre64" },
	{ RTE_ETH_RSS_L3_PRE56, "l3-pre56" },
	{ RTE_ETH_RSS_L3_PRE48, "l3-pre48" },
	{ RTE_ETH_RSS_L3_PRE40, "l3-pre40" },
	{ RTE_ETH_RSS_L3_PRE32, "l3-pre32" },
	{ RTE_ETH_RSS_L2_DST_ONLY, "l2-dst-only" },
	{ RTE_ETH_RSS_L2_SRC_ONLY, "l2-src-only" },
	{ RTE_ETH_RSS_L4_DST_ONLY, "l4-dst-only" },
	{ RTE_ETH_RSS_L4_SRC_ONLY, "l4-src-only" },
	{ RTE_ETH_RSS_L3_DST_ONLY, "l3-dst-only" },
	{ RTE_ETH_RSS_L3_SRC_ONLY, "l3-src-only" },
};

static const char *
type_name(uint64_t bit)
{
	for (unsigned i = 0; i < RTE_DIM(type_names); i++)
		if (type_names[i].bit == bit)
			return type_names[i].name;
	return NULL;
}

void
tern_rss_types_format(uint64_t hf, char *buf, size_t len)
{
	size_t off = 0;

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	if (hf == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (unsigned b = 0; b < 64 && off < len; b++) {
		uint64_t bit = UINT64_C(1) << b;
		const char *name;
		int n;

		if ((hf & bit) == 0)
			continue;
		name = type_name(bit);
		if (name != NULL)
			n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", name);
		else
			n = snprintf(buf + off, len - off, "%sbit%u", off ? " " : "", b);
		if (n < 0)
			return;
		off += (size_t)n;
	}
}

/* Addresses only, or addresses and ports, or nothing: what a device with
 * types hf hashes for f. Flows carry ports, so they are not fragments: the
 * FRAG types never apply; the OTHER types apply to other protocols only. */
enum hash_input { HASH_NONE, HASH_L3, HASH_L4 };

static enum hash_input
hash_input_v4(uint8_t proto, uint64_t hf)
{
	if ((proto == IPPROTO_UDP && (hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP)) ||
	    (proto == IPPROTO_TCP && (hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP)))
		return HASH_L4;
	if (hf & RTE_ETH_RSS_IPV4)
		return HASH_L3;
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP &&
	    (hf & RTE_ETH_RSS_NONFRAG_IPV4_OTHER))
		return HASH_L3;
	return HASH_NONE;
}

static enum hash_input
hash_input_v6(uint8_t proto, uint64_t hf)
{
	const uint64_t udp = RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_IPV6_UDP_EX;
	const uint64_t tcp = RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_IPV6_TCP_EX;

	if ((proto == IPPROTO_UDP && (hf & udp)) || (proto == IPPROTO_TCP && (hf & tcp)))
		return HASH_L4;
	if (hf & (RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_IPV6_EX))
		return HASH_L3;
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP &&
	    (hf & RTE_ETH_RSS_NONFRAG_IPV6_OTHER))
		return HASH_L3;
	return HASH_NONE;
}

/* A big-endian 32-bit word at b, in CPU order. */
static uint32_t
load_be32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static void
load_v6_addr(uint8_t *dst, const uint8_t *src)
{
	for (unsigned i = 0; i < 16; i += 4) {
		uint32_t w = load_be32(src + i);

		memcpy(dst + i, &w, sizeof(w));
	}
}

uint32_t
tern_rss_hash(const struct tern_rss_flow *f, uint64_t hf,
	      const uint8_t *key, size_t key_len)
{
	/* Word-aligned and long enough for rte_softrss's look-ahead. */
	uint32_t kw[(TERN_RSS_KEY_MAX + 4) / 4] = { 0 };
	union rte_thash_tuple t;
	enum hash_input in;
	uint32_t len;

	RTE_BUILD_BUG_ON(sizeof(kw) < SOFTRSS_KEY_MIN + 4);
	if (f == NULL || key == NULL)
		return 0;
	memcpy(kw, key, RTE_MIN(key_len, (size_t)TERN_RSS_KEY_MAX));
	memset(&t, 0, sizeof(t));
	if (f->family == 4) {
		in = hash_input_v4(f->proto, hf);
		t.v4.src_addr = load_be32(f->src);
		t.v4.dst_addr = load_be32(f->dst);
		t.v4.sport = rte_be_to_cpu_16(f->sport);
		t.v4.dport = rte_be_to_cpu_16(f->dport);
		len = in == HASH_L4 ? RTE_THASH_V4_L4_LEN : RTE_THASH_V4_L3_LEN;
	} else if (f->family == 6) {
		in = hash_input_v6(f->proto, hf);
		load_v6_addr(t.v6.src_addr, f->src);
		load_v6_addr(t.v6.dst_addr, f->dst);
		t.v6.sport = rte_be_to_cpu_16(f->sport);
		t.v6.dport = rte_be_to_cpu_16(f->dport);
		len = in == HASH_L4 ? RTE_THASH_V6_L4_LEN : RTE_THASH_V6_L3_LEN;
	} else {
		return 0;
	}
	if (in == HASH_NONE)
		return 0;
	return rte_softrss((uint32_t *)&t, len, (const uint8_t *)kw);
}
