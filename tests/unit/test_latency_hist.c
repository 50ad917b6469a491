/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histograms: bucket bounds against tern_hist_index for every
 * bucket, the 1/32 relative error bound over the whole 64-bit range, exact
 * small values, quantiles against a sorted reference for several
 * distributions, merging, empty histograms and counts above one.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "latency_hist.h"
#include "service_time.h"

#define N_VALUES 200000
#define N_QUANTILES (sizeof(quantiles) / sizeof(quantiles[0]))

static const double quantiles[] = {
	0.0001, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0,
};

static uint64_t ref[N_VALUES];

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct tern_hist *
hist_new(void)
{
	struct tern_hist *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return h;
}

/* Every bucket: bounds map back to it, hold each other, and tile the range. */
static void
test_bucket_bounds(void)
{
	bool ok = true;
	unsigned i;

	CHECK_EQ(tern_hist_bucket_low(0), 0);
	CHECK(tern_hist_bucket_high(TERN_HIST_BUCKETS - 1) == UINT64_MAX);
	CHECK_EQ(tern_hist_index(UINT64_MAX), TERN_HIST_BUCKETS - 1);
	for (i = 0; i < TERN_HIST_BUCKETS && ok; i++) {
		uint64_t lo = tern_hist_bucket_low(i), hi = tern_hist_bucket_high(i);

		ok = lo <= hi && tern_hist_index(lo) == i && tern_hist_index(hi) == i &&
		     (i + 1 == TERN_HIST_BUCKETS || hi + 1 == tern_hist_bucket_low(i + 1));
		/* the values either side belong to the neighbours */
		if (ok && i > 0)
			ok = tern_hist_index(lo - 1) == i - 1;
		if (ok && i + 1 < TERN_HIST_BUCKETS)
			ok = tern_hist_index(hi + 1) == i + 1;
		if (!ok)
			fprintf(stderr, "bucket %u: low %" PRIu64 " high %" PRIu64 "\n",
				i, lo, hi);
	}
	CHECK(ok);
}

/* Below 64 a value is its own bucket; above, the reported high end is
 * within 1/32 of any value in the bucket. */
static void
test_relative_error(void)
{
	struct svc_rng rng;
	bool exact = true, bound = true;
	uint64_t v, hi;
	unsigned shift;

	for (v = 0; v < 64; v++)
		exact &= tern_hist_index(v) == v && tern_hist_bucket_low((unsigned)v) == v &&
			 tern_hist_bucket_high((unsigned)v) == v;
	CHECK(exact);
	CHECK_EQ(tern_hist_index(64), 64);
	CHECK_EQ(tern_hist_bucket_high(64), 65); /* first bucket wider than 1 */

	svc_rng_seed(&rng, 42);
	for (int i = 0; i < 1000000 && bound; i++) {
		/* a random magnitude, then random bits below it: 0..2^63 */
		shift = 1 + (unsigned)(svc_rng_next(&rng) % 63);
		v = svc_rng_next(&rng) >> shift;
		hi = tern_hist_bucket_high(tern_hist_index(v));
		bound = hi >= v && (double)(hi - v) <= (double)v / 32.0 &&
			tern_hist_bucket_low(tern_hist_index(v)) <= v;
		if (!bound)
			fprintf(stderr, "value %" PRIu64 " reported as %" PRIu64 "\n", v, hi);
	}
	CHECK(bound);
	v = UINT64_C(1) << 63;
	CHECK(tern_hist_bucket_high(tern_hist_index(v)) - v <= v / 32);
}

/* ceil(q * n), at least 1: the rank the header promises. */
static uint64_t
ref_rank(double q, uint64_t n)
{
	double r = q * (double)n;
	uint64_t k = (uint64_t)r;

	if ((double)k < r)
		k++;
	return k < 1 ? 1 : k > n ? n : k;
}

/* Record ref[0..n), then check every quantile against the sorted values:
 * exactly the high end of the true value's bucket (capped at max), and so
 * never below it nor more than 3.2% above. */
static void
check_quantiles(const char *what, size_t n)
{
	struct tern_hist *h = hist_new();
	struct tern_hist_summary s;
	bool ok = true;

	for (size_t i = 0; i < n; i++)
		tern_hist_add(h, ref[i], 1);
	qsort(ref, n, sizeof(ref[0]), cmp_u64);
	CHECK_EQ(h->n, n);
	CHECK(h->max == ref[n - 1]);
	for (size_t i = 0; i < N_QUANTILES; i++) {
		uint64_t want = ref[ref_rank(quantiles[i], n) - 1];
		uint64_t got = tern_hist_quantile(h, quantiles[i]);
		uint64_t hi = tern_hist_bucket_high(tern_hist_index(want));

		if (hi > h->max)
			hi = h->max;
		if (got != hi || got < want || (double)(got - want) > 0.032 * (double)want) {
			fprintf(stderr, "%s: q %g: got %" PRIu64 ", true %" PRIu64 "\n",
				what, quantiles[i], got, want);
			ok = false;
		}
	}
	CHECK(ok);
	CHECK(tern_hist_quantile(h, 1.0) == h->max);
	tern_hist_summarize(h, &s);
	CHECK_EQ(s.n, n);
	CHECK(s.max == ref[n - 1]);
	CHECK(s.p50 == tern_hist_quantile(h, 0.5));
	CHECK(s.p9999 == tern_hist_quantile(h, 0.9999));
	CHECK(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.p999 &&
	      s.p999 <= s.p9999 && s.p9999 <= s.max);
	free(h);
}

static void
test_quantiles(void)
{
	struct svc_rng rng;
	uint64_t r;

	svc_rng_seed(&rng, 7);
	for (size_t i = 0; i < N_VALUES; i++)
		ref[i] = svc_rng_next(&rng) % 1000000;
	check_quantiles("uniform", N_VALUES);

	for (size_t i = 0; i < N_VALUES; i++)
		ref[i] = svc_exp_draw(&rng, 20000);
	check_quantiles("exponential", N_VALUES);

	/* two modes (fast path, slow path) and a rare tail up to 1e9 */
	for (size_t i = 0; i < N_VALUES; i++) {
		r = svc_rng_next(&rng) % 1000;
		if (r < 900)
			ref[i] = 900 + svc_rng_next(&rng) % 200;
		else if (r < 999)
			ref[i] = 45000 + svc_rng_next(&rng) % 10000;
		else
			ref[i] = 10000000 + svc_rng_next(&rng) % 990000000;
	}
	check_quantiles("bimodal+tail", N_VALUES);

	/* small exact values, few of them */
	for (size_t i = 0; i < 10; i++)
		ref[i] = 10 * i + 3;
	check_quantiles("small", 10);

	/* one value */
	ref[0] = 123456789;
	check_quantiles("single", 1);
}

static void
test_empty(void)
{
	struct tern_hist *h = hist_new();
	struct tern_hist_summary s;

	memset(&s, 0xff, sizeof(s));
	CHECK_EQ(tern_hist_quantile(h, 0.5), 0);
	CHECK_EQ(tern_hist_quantile(h, 1.0), 0);
	tern_hist_summarize(h, &s);
	CHECK(s.n == 0 && s.p50 == 0 && s.p90 == 0 && s.p99 == 0 && s.p999 == 0 &&
	      s.p9999 == 0 && s.max == 0);
	free(h);
}

/* Merging a and b gives exactly what recording everything into one gives. */
static void
test_merge(void)
{
	struct tern_hist *a = hist_new(), *b = hist_new(), *all = hist_new();
	struct tern_hist *m = hist_new();
	struct svc_rng rng;
	uint64_t v;

	svc_rng_seed(&rng, 99);
	for (int i = 0; i < 50000; i++) {
		v = svc_exp_draw(&rng, i % 2 ? 3000 : 300000);
		tern_hist_add(i % 3 ? a : b, v, 1);
		tern_hist_add(all, v, 1);
	}
	tern_hist_add(b, UINT64_C(1) << 40, 2); /* b holds the max */
	tern_hist_add(all, UINT64_C(1) << 40, 2);
	tern_hist_merge(m, a);
	CHECK(m->max == a->max && m->n == a->n);
	tern_hist_merge(m, b);
	CHECK(memcmp(m, all, sizeof(*m)) == 0);
	CHECK_EQ(m->n, 50002);
	CHECK(m->max == UINT64_C(1) << 40);
	CHECK(tern_hist_quantile(m, 1.0) == UINT64_C(1) << 40);
	/* merging an empty one changes nothing */
	memset(a, 0, sizeof(*a));
	tern_hist_merge(m, a);
	CHECK(memcmp(m, all, sizeof(*m)) == 0);
	free(a);
	free(b);
	free(all);
	free(m);
}

/* count > 1 is the same as that many single records. */
static void
test_counts(void)
{
	struct tern_hist *h = hist_new(), *ones = hist_new();

	tern_hist_add(h, 1000, 7);
	tern_hist_add(h, 10, 3);
	tern_hist_add(h, 5000000, 1);
	for (int i = 0; i < 7; i++)
		tern_hist_add(ones, 1000, 1);
	for (int i = 0; i < 3; i++)
		tern_hist_add(ones, 10, 1);
	tern_hist_add(ones, 5000000, 1);
	CHECK(memcmp(h, ones, sizeof(*h)) == 0);
	CHECK_EQ(h->n, 11);
	CHECK_EQ(h->count[tern_hist_index(1000)], 7);
	CHECK_EQ(h->count[10], 3);
	CHECK_EQ(tern_hist_quantile(h, 0.2), 10);   /* rank 3: the last 10 */
	CHECK_EQ(tern_hist_quantile(h, 0.3), tern_hist_bucket_high(tern_hist_index(1000)));
	CHECK_EQ(tern_hist_quantile(h, 0.9), tern_hist_bucket_high(tern_hist_index(1000)));
	CHECK_EQ(tern_hist_quantile(h, 0.95), 5000000); /* capped at max */
	CHECK_EQ(tern_hist_quantile(h, 1.0), 5000000);
	free(h);
	free(ones);
}

int
main(void)
{
	test_bucket_bounds();
	test_relative_error();
	test_quantiles();
	test_empty();
	test_merge();
	test_counts();
	return check_done("test_latency_hist");
}
