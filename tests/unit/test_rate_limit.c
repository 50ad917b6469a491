/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source rate limiting (rate_limit.c), on a synthetic clock (no EAL):
 * (a) a fresh source gets exactly BURST requests at one instant (BURST 0 =
 *     RATE), then RATE per second: 10 s at 10x the rate pass 10000 + burst;
 *     fractional costs stay exact (7/s at 1 GHz, 3/s at 2.4 GHz + 1,
 *     30000000/s at 1 GHz) and large rates too (100000000/s at 5 GHz);
 * (b) sources are limited independently: every host of a /24 and every IPv6
 *     address differing only in its last byte is its own source, and random
 *     pairs of addresses almost never share a bucket;
 * (c) a long idle gap (hours, a century at 4 GHz, near the top of the TSC
 *     range) refills to BURST and not beyond;
 * (d) RATE 0 never limits;
 * (e) tern_rl_parse: accepted and rejected forms, messages;
 * (f) tern_rl_table_create: power of two only, 0 = default, 1 = one shared
 *     bucket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rate_limit.h"

#define GHZ 1000000000ULL
#define HOUR_S 3600ULL
#define N_PAIRS 4000

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
v4(uint8_t a[4], uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	a[0] = b0;
	a[1] = b1;
	a[2] = b2;
	a[3] = b3;
}

/* 2001:db8::LAST */
static void
v6(uint8_t a[16], uint8_t last)
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[15] = last;
}

/* How many of n requests from addr at instant now pass. */
static unsigned
burst_at(struct tern_rl_table *t, const struct tern_rl_conf *c,
	 const uint8_t *addr, uint8_t family, unsigned n, uint64_t now,
	 uint64_t hz)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += tern_rl_allow(t, c, addr, family, now, hz);
	return ok;
}

/*
 * Offer `offered` requests per second for `secs` seconds, evenly spaced,
 * starting at start; return how many passed.
 */
static uint64_t
offer(struct tern_rl_table *t, const struct tern_rl_conf *c,
      const uint8_t *addr, uint8_t family, uint64_t offered, uint64_t secs,
      uint64_t start, uint64_t hz)
{
	uint64_t ok = 0, n = offered * secs;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t now = start + (uint64_t)((unsigned __int128)i * hz / offered);

		ok += tern_rl_allow(t, c, addr, family, now, hz);
	}
	return ok;
}

/* ---- (a) burst, then rate --------------------------------------------- */

static void
test_burst_then_rate(void)
{
	struct tern_rl_table *t = tern_rl_table_create(0);
	struct tern_rl_conf c = { .rate = 1000, .burst = 50 };
	struct tern_rl_conf same = { .rate = 1000, .burst = 0 };
	struct tern_rl_conf one = { .rate = 1, .burst = 0 };
	uint8_t a[4], b[4], d[4];
	uint64_t start = 5 * GHZ, ok;

	CHECK(t != NULL);
	v4(a, 198, 18, 0, 1);
	v4(b, 198, 18, 0, 2);
	v4(d, 198, 18, 0, 3);
	CHECK_EQ(burst_at(t, &c, a, 4, 200, start, GHZ), 50);
	/* Half a token's time later: still nothing; a whole token's: one. */
	CHECK_EQ(burst_at(t, &c, a, 4, 10, start + GHZ / 2000, GHZ), 0);
	CHECK_EQ(burst_at(t, &c, a, 4, 10, start + GHZ / 1000, GHZ), 1);
	/* 10 s at 10x the rate: 10000 refilled tokens plus the burst. */
	ok = offer(t, &c, b, 4, 10000, 10, start, GHZ);
	CHECK(ok >= 10000 + 50 - 1 && ok <= 10000 + 50 + 1);
	/* BURST 0 = RATE; RATE 1 gives a bucket of one. */
	CHECK_EQ(burst_at(t, &same, d, 4, 3000, start, GHZ), 1000);
	CHECK_EQ(burst_at(t, &one, d, 4, 10, start + 100 * GHZ, GHZ), 1);
	CHECK_EQ(burst_at(t, &one, d, 4, 10, start + 100 * GHZ + GHZ - 1, GHZ), 0);
	CHECK_EQ(burst_at(t, &one, d, 4, 10, start + 101 * GHZ, GHZ), 1);
	tern_rl_table_free(t);
}

/* Costs that are not a whole number of cycles stay exact over time. */
static void
test_fractional_and_large(void)
{
	struct tern_rl_table *t = tern_rl_table_create(64);
	struct tern_rl_conf seven = { .rate = 7, .burst = 2 };
	struct tern_rl_conf third = { .rate = 30000000, .burst = 1000000 };
	struct tern_rl_conf three = { .rate = 3, .burst = 2 };
	struct tern_rl_conf big = { .rate = 100000000, .burst = 1000000 };
	uint64_t hz2 = 2400000001ULL, hz5 = 5 * GHZ, ok;
	uint8_t a[16];

	v6(a, 1);
	/* 7/s at 1 GHz: a cost of 142857142.857 cycles; 1000 s give 7000. */
	ok = offer(t, &seven, a, 6, 100, 1000, GHZ, GHZ);
	CHECK(ok >= 7000 && ok <= 7000 + 2);
	v6(a, 2);
	ok = offer(t, &three, a, 6, 50, 2000, GHZ, hz2);
	CHECK(ok >= 6000 && ok <= 6000 + 2);
	/* 30000000/s at 1 GHz: 33.33 cycles a token (not 33); 10 ms give 300000. */
	v6(a, 4);
	CHECK_EQ(burst_at(t, &third, a, 6, 1000010, GHZ, GHZ), 1000000);
	ok = burst_at(t, &third, a, 6, 400000, GHZ + GHZ / 100, GHZ);
	CHECK(ok >= 300000 - 1 && ok <= 300000 + 1);
	/* 100000000/s at 5 GHz (50 cycles a token), burst 1000000. */
	v6(a, 3);
	CHECK_EQ(burst_at(t, &big, a, 6, 1100000, hz5, hz5), 1000000);
	/* 1 ms later: 100000 more, exactly. */
	CHECK_EQ(burst_at(t, &big, a, 6, 200000, hz5 + hz5 / 1000, hz5), 100000);
	tern_rl_table_free(t);
}

/* ---- (b) independence ------------------------------------------------- */

/* Every host of a /24, and 2001:db8::0..ff, is its own source. */
static void
test_consecutive_sources(uint8_t family)
{
	struct tern_rl_table *t = tern_rl_table_create(TERN_RL_BUCKETS_DEFAULT);
	struct tern_rl_conf c = { .rate = 10, .burst = 1 };
	unsigned ok = 0, again = 0;
	uint8_t a[16];

	for (unsigned i = 0; i < 256; i++) {
		if (family == 4)
			v4(a, 198, 18, 7, (uint8_t)i);
		else
			v6(a, (uint8_t)i);
		ok += tern_rl_allow(t, &c, a, family, GHZ, GHZ);
	}
	CHECK_EQ(ok, 256);
	/* and each of them is now limited */
	for (unsigned i = 0; i < 256; i++) {
		if (family == 4)
			v4(a, 198, 18, 7, (uint8_t)i);
		else
			v6(a, (uint8_t)i);
		again += tern_rl_allow(t, &c, a, family, GHZ, GHZ);
	}
	CHECK_EQ(again, 0);
	tern_rl_table_free(t);
}

/*
 * Random pairs: exhaust A, then B still gets its whole burst unless the two
 * share a bucket (about 1 pair in 4096). A refill hour between pairs.
 */
static void
test_random_pairs(uint8_t family)
{
	struct tern_rl_table *t = tern_rl_table_create(TERN_RL_BUCKETS_DEFAULT);
	struct tern_rl_conf c = { .rate = 100, .burst = 5 };
	unsigned alen = family == 6 ? 16 : 4, full = 0, drained = 0;
	uint64_t now = GHZ;
	uint8_t a[16], b[16];

	for (unsigned i = 0; i < N_PAIRS; i++) {
		for (unsigned k = 0; k < alen; k++) {
			a[k] = (uint8_t)rnd();
			b[k] = (uint8_t)rnd();
		}
		now += HOUR_S * GHZ;
		drained += burst_at(t, &c, a, family, 10, now, GHZ) == 5;
		full += burst_at(t, &c, b, family, 10, now, GHZ) == 5;
	}
	CHECK_EQ(drained, N_PAIRS);
	CHECK(full >= N_PAIRS - N_PAIRS / 200);
	printf("  IPv%u: %u of %u random pairs independent\n", family, full, N_PAIRS);
	tern_rl_table_free(t);
}

/* ---- (c) long idle gaps ------------------------------------------------ */

static void
test_idle(void)
{
	struct tern_rl_table *t = tern_rl_table_create(0);
	struct tern_rl_conf c = { .rate = 1000, .burst = 50 };
	struct tern_rl_conf slow = { .rate = 1, .burst = 3 };
	uint64_t hz4 = 4 * GHZ, century = 100ULL * 365 * 24 * HOUR_S;
	uint64_t now = 7 * GHZ;
	uint8_t a[4];

	v4(a, 198, 19, 1, 1);
	CHECK_EQ(burst_at(t, &c, a, 4, 100, now, GHZ), 50);
	/* 10 hours idle: a full bucket, not 36 million tokens. */
	now += 10 * HOUR_S * GHZ;
	CHECK_EQ(burst_at(t, &c, a, 4, 1000, now, GHZ), 50);
	CHECK_EQ(burst_at(t, &c, a, 4, 10, now + GHZ / 1000, GHZ), 1);
	/* 1/s, bucket of 3, at 4 GHz: a century idle, ending near 2^64. */
	v4(a, 198, 19, 1, 2);
	now = 1000;
	CHECK_EQ(burst_at(t, &slow, a, 4, 10, now, hz4), 3);
	now += century * hz4;   /* 1.26e19 cycles */
	CHECK_EQ(burst_at(t, &slow, a, 4, 10, now, hz4), 3);
	now = UINT64_MAX - 100 * hz4;
	CHECK_EQ(burst_at(t, &slow, a, 4, 10, now, hz4), 3);
	CHECK_EQ(burst_at(t, &slow, a, 4, 10, now + hz4, hz4), 1);
	tern_rl_table_free(t);
}

/* ---- (d) no limit ------------------------------------------------------ */

static void
test_off(void)
{
	struct tern_rl_table *t = tern_rl_table_create(1);
	struct tern_rl_conf off = { .rate = 0, .burst = 0 };
	struct tern_rl_conf off5 = { .rate = 0, .burst = 5 };
	uint8_t a[4];

	v4(a, 198, 18, 0, 9);
	CHECK_EQ(burst_at(t, &off, a, 4, 100000, GHZ, GHZ), 100000);
	CHECK_EQ(burst_at(t, &off5, a, 4, 1000, GHZ, GHZ), 1000);
	tern_rl_table_free(t);
}

/* ---- (e) parsing ------------------------------------------------------- */

static void
test_parse(void)
{
	static const char *const bad[] = {
		"", "x", "10/0", "-1", "1000/", "99999999999", "100000001",
		"1000/100000001", " 10", "10 ", "+5", "/5", "10/5/3", "1e3",
		"0x10", "10/x", "18446744073709551617",
	};
	struct tern_rl_conf c;
	struct tern_err err;

	CHECK_EQ(tern_rl_parse("1000", &c, &err), 0);
	CHECK(c.rate == 1000 && c.burst == 0);
	CHECK_EQ(tern_rl_parse("1000/50", &c, &err), 0);
	CHECK(c.rate == 1000 && c.burst == 50);
	CHECK_EQ(tern_rl_parse("0", &c, &err), 0);
	CHECK(c.rate == 0 && c.burst == 0);
	CHECK_EQ(tern_rl_parse("100000000/100000000", &c, &err), 0);
	CHECK(c.rate == 100000000 && c.burst == 100000000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.rate = 7;
		c.burst = 7;
		err.msg[0] = '\0';
		CHECK_EQ(tern_rl_parse(bad[i], &c, &err), -EINVAL);
		CHECK(c.rate == 7 && c.burst == 7);
		CHECK(strstr(err.msg, "RATE/BURST") != NULL);
		if (strstr(err.msg, "RATE/BURST") == NULL)
			fprintf(stderr, "  '%s': %s\n", bad[i], err.msg);
	}
	tern_rl_parse("10/0", &c, &err);
	printf("  e.g. %s\n", err.msg);
	CHECK(strstr(err.msg, "BURST") != NULL && strstr(err.msg, "'10/0'") != NULL);
	CHECK_EQ(tern_rl_parse(NULL, &c, NULL), -EINVAL);
}

/* ---- (f) tables -------------------------------------------------------- */

static void
test_create(void)
{
	struct tern_rl_conf c = { .rate = 10, .burst = 2 };
	struct tern_rl_table *t;
	uint8_t a[4], b[4];

	errno = 0;
	CHECK(tern_rl_table_create(3) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(tern_rl_table_create(1u << 31) == NULL && errno == EINVAL);
	/* One bucket: every source shares it. */
	t = tern_rl_table_create(1);
	CHECK(t != NULL);
	v4(a, 198, 18, 0, 1);
	v4(b, 198, 18, 0, 2);
	CHECK_EQ(burst_at(t, &c, a, 4, 1, GHZ, GHZ), 1);
	CHECK_EQ(burst_at(t, &c, b, 4, 5, GHZ, GHZ), 1);
	tern_rl_table_free(t);
	tern_rl_table_free(NULL);
}

int
main(void)
{
	test_burst_then_rate();
	test_fractional_and_large();
	test_consecutive_sources(4);
	test_consecutive_sources(6);
	test_random_pairs(4);
	test_random_pairs(6);
	test_idle();
	test_off();
	test_parse();
	test_create();
	return check_done("test_rate_limit");
}
