/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histograms (see latency_hist.h): the bucket bounds that invert
 * tern_hist_index, merging a live histogram into a private copy, and
 * quantiles. Everything here runs off the fast path.
 *
 * Bucket layout: indexes below 2*SUB hold the value itself. Above, index
 * i = shift * SUB + m with m in [SUB, 2*SUB) holds the values whose top
 * SUB_BITS + 1 bits are m and that have shift bits below them:
 * [m << shift, ((m + 1) << shift) - 1].
 */
#include <stdint.h>

#include "latency_hist.h"

uint64_t
tern_hist_bucket_low(unsigned i)
{
	unsigned shift;

	if (i < 2 * TERN_HIST_SUB)
		return i;
	if (i >= TERN_HIST_BUCKETS)
		return UINT64_MAX;
	shift = i / TERN_HIST_SUB - 1;
	return (uint64_t)(i - shift * TERN_HIST_SUB) << shift;
}

uint64_t
tern_hist_bucket_high(unsigned i)
{
	/* Buckets are contiguous: each ends where the next begins; the last
	 * ends exactly at UINT64_MAX. */
	if (i + 1 >= TERN_HIST_BUCKETS)
		return UINT64_MAX;
	return tern_hist_bucket_low(i + 1) - 1;
}

void
tern_hist_merge(struct tern_hist *dst, const struct tern_hist *src)
{
	uint64_t max;

	for (unsigned i = 0; i < TERN_HIST_BUCKETS; i++)
		dst->count[i] += __atomic_load_n(&src->count[i], __ATOMIC_RELAXED);
	dst->n += __atomic_load_n(&src->n, __ATOMIC_RELAXED);
	max = __atomic_load_n(&src->max, __ATOMIC_RELAXED);
	if (max > dst->max)
		dst->max = max;
}

void
tern_hist_since(struct tern_hist *h, const struct tern_hist *base)
{
	unsigned top = TERN_HIST_BUCKETS;

	for (unsigned i = 0; i < TERN_HIST_BUCKETS; i++) {
		h->count[i] = h->count[i] >= base->count[i] ? h->count[i] - base->count[i] : 0;
		if (h->count[i] != 0)
			top = i;
	}
	h->n = h->n >= base->n ? h->n - base->n : 0;
	if (top == TERN_HIST_BUCKETS)
		h->max = 0;
	else if (tern_hist_bucket_high(top) < h->max)
		h->max = tern_hist_bucket_high(top);
}

/* ceil(q * n) clamped to [1, n], without libm. */
static uint64_t
quantile_rank(double q, uint64_t n)
{
	double r = q * (double)n;
	uint64_t rank;

	if (!(r > 1.0)) /* also catches q <= 0 and NaN */
		return 1;
	if (r >= (double)n)
		return n;
	rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	return rank;
}

uint64_t
tern_hist_quantile(const struct tern_hist *h, double q)
{
	uint64_t total = 0, seen = 0, rank, v;
	unsigned i;

	/* Count from the buckets, not h->n: a merge of a live histogram may
	 * see n and the counts at slightly different moments. */
	for (i = 0; i < TERN_HIST_BUCKETS; i++)
		total += h->count[i];
	if (total == 0)
		return 0;
	rank = quantile_rank(q, total);
	for (i = 0; i < TERN_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			break;
	}
	v = tern_hist_bucket_high(i);
	return v < h->max ? v : h->max;
}

void
tern_hist_summarize(const struct tern_hist *h, struct tern_hist_summary *s)
{
	s->n = h->n;
	s->p50 = tern_hist_quantile(h, 0.5);
	s->p90 = tern_hist_quantile(h, 0.9);
	s->p99 = tern_hist_quantile(h, 0.99);
	s->p999 = tern_hist_quantile(h, 0.999);
	s->p9999 = tern_hist_quantile(h, 0.9999);
	s->max = h->n != 0 ? h->max : 0;
}

uint64_t
tern_hist_cycles_to_ns(uint64_t cycles, uint64_t hz)
{
	unsigned __int128 ns;

	if (hz == 0)
		return cycles;
	ns = ((unsigned __int128)cycles * 1000000000u + hz / 2) / hz;
	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}
