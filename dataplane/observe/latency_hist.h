/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Latency histograms, HDR-style: log-linear buckets with 2^TERN_HIST_SUB_BITS
 * sub-buckets per power of two, so any value is reported within 1/32 (3.1%)
 * of itself; values below 64 are exact. Fixed memory (TERN_HIST_BUCKETS
 * counters), no allocation.
 *
 * Threading: one writer per histogram (a worker records into its own); any
 * thread may read it concurrently (relaxed loads) and merge several into a
 * private copy to compute percentiles.
 */
#ifndef TERN_LATENCY_HIST_H
#define TERN_LATENCY_HIST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_HIST_SUB_BITS 5
#define TERN_HIST_SUB (1u << TERN_HIST_SUB_BITS)            /* 32 */
/* Values < 2*SUB are their own bucket; above, (shift, mantissa) pairs. */
#define TERN_HIST_BUCKETS ((64 - TERN_HIST_SUB_BITS + 1) * TERN_HIST_SUB) /* 1920 */

struct tern_hist {
	uint64_t count[TERN_HIST_BUCKETS];
	uint64_t n;      /**< values recorded */
	uint64_t max;    /**< largest value recorded, exact */
};

/** Bucket index of v: v itself below 64; else (msb - SUB_BITS) * SUB + (v >> (msb - SUB_BITS)). */
static inline unsigned
tern_hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < 2 * TERN_HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - TERN_HIST_SUB_BITS;
	return shift * TERN_HIST_SUB + (unsigned)(v >> shift);
}

/** Record value v, count times (a burst's packets share one latency).
 *  Single writer; fast path. */
static inline void
tern_hist_add(struct tern_hist *h, uint64_t v, uint64_t count)
{
	unsigned i = tern_hist_index(v);

	__atomic_store_n(&h->count[i], h->count[i] + count, __ATOMIC_RELAXED);
	__atomic_store_n(&h->n, h->n + count, __ATOMIC_RELAXED);
	if (v > h->max)
		__atomic_store_n(&h->max, v, __ATOMIC_RELAXED);
}

/** Largest value that falls in bucket i (what percentiles report). */
uint64_t tern_hist_bucket_high(unsigned i);

/** Smallest value that falls in bucket i. */
uint64_t tern_hist_bucket_low(unsigned i);

/** dst += src, reading src with relaxed loads (src may be live). */
void tern_hist_merge(struct tern_hist *dst, const struct tern_hist *src);

/**
 * The interval between two readings of one histogram: h -= base, bucket by
 * bucket (counts only grow, so base <= h). The exact max of an interval is
 * not known: h->max becomes the high end of its top non-empty bucket (or
 * the cumulative max, if lower). Private copies only.
 */
void tern_hist_since(struct tern_hist *h, const struct tern_hist *base);

/** The value at quantile q (0 < q <= 1): the high end of the bucket holding
 *  the ceil(q * n)-th smallest value, capped at max. 0 if empty. */
uint64_t tern_hist_quantile(const struct tern_hist *h, double q);

struct tern_hist_summary {
	uint64_t n;
	uint64_t p50, p90, p99, p999, p9999, max;
};

/** cycles of a clock running at hz, in nanoseconds rounded to nearest
 *  (saturating); with hz 0 (rate unknown) cycles is returned unchanged. */
uint64_t tern_hist_cycles_to_ns(uint64_t cycles, uint64_t hz);

/** Fill s from h (a private copy: merge first if h is live). */
void tern_hist_summarize(const struct tern_hist *h, struct tern_hist_summary *s);

#ifdef __cplusplus
}
#endif

#endif /* TERN_LATENCY_HIST_H */
