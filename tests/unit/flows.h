/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Random flows for the RSS and steering unit tests (test_rss.c,
 * test_steer.c): a xorshift64 generator whose state each test owns and seeds
 * itself (so each test's sequence is fixed and independent of the others),
 * random IPv4/IPv6 UDP/TCP 5-tuples, the reverse direction of a flow, and the
 * Microsoft RSS key the published verification answers are computed with.
 * Test-only; single-threaded.
 */
#ifndef TERN_TESTS_FLOWS_H
#define TERN_TESTS_FLOWS_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "rss.h"

/* The Microsoft RSS key (the RSS verification suite and the 82599 datasheet). */
static const uint8_t flows_ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* Next 32 random bits from the xorshift64 state *rng (must be non-zero). */
static inline uint32_t
flows_rnd(uint64_t *rng)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return (uint32_t)(*rng >> 16);
}

/*
 * Flow number i with random addresses and ports from *rng: bit 0 of i picks
 * IPv6 (else IPv4), bit 1 picks TCP (else UDP). IPv4 flows get random bytes
 * past the first 4 too; the hash only reads the first 4.
 */
static inline struct tern_rss_flow
flows_random(uint64_t *rng, unsigned i)
{
	struct tern_rss_flow f;

	memset(&f, 0, sizeof(f));
	f.family = (i & 1) ? 6 : 4;
	f.proto = (i & 2) ? IPPROTO_TCP : IPPROTO_UDP;
	for (unsigned b = 0; b < 16; b++) {
		f.src[b] = (uint8_t)flows_rnd(rng);
		f.dst[b] = (uint8_t)flows_rnd(rng);
	}
	f.sport = (uint16_t)flows_rnd(rng);
	f.dport = (uint16_t)flows_rnd(rng);
	return f;
}

/* The other direction of *f: addresses and ports swapped. */
static inline struct tern_rss_flow
flows_reverse(const struct tern_rss_flow *f)
{
	struct tern_rss_flow r = *f;

	memcpy(r.src, f->dst, sizeof(r.src));
	memcpy(r.dst, f->src, sizeof(r.dst));
	r.sport = f->dport;
	r.dport = f->sport;
	return r;
}

#endif /* TERN_TESTS_FLOWS_H */
