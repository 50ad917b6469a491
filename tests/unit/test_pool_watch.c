/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mbuf pool watch: a sample below the low mark starts an exhaustion
 * (counted once however long it lasts), the first sample back at or above
 * it ends it, and the time between the first low sample and that one is
 * the exhausted time. The low-water mark is the lowest sample ever.
 */
#include <stdint.h>

#include "check.h"
#include "pool_watch.h"

#define MS 1000000ull

static void
test_init(void)
{
	struct tern_pool_watch pw;

	tern_pool_watch_init(&pw, 1000, 64, 5 * MS);
	CHECK_EQ(pw.size, 1000);
	CHECK_EQ(pw.low_mark, 64);
	CHECK_EQ(pw.available, 1000);
	CHECK_EQ(pw.min_available, 1000);
	CHECK_EQ(pw.exhaustions, 0);
	CHECK_EQ(pw.exhausted_ns, 0);
	CHECK(!pw.exhausted);
	/* the mark is clamped to 1..size */
	tern_pool_watch_init(&pw, 100, 0, 0);
	CHECK_EQ(pw.low_mark, 1);
	tern_pool_watch_init(&pw, 100, 500, 0);
	CHECK_EQ(pw.low_mark, 100);
}

static void
test_episode(void)
{
	struct tern_pool_watch pw;

	tern_pool_watch_init(&pw, 1000, 64, 0);
	CHECK_EQ(tern_pool_watch_sample(&pw, 900, 100 * MS), TERN_POOL_STEADY);
	CHECK_EQ(tern_pool_watch_sample(&pw, 64, 200 * MS), TERN_POOL_STEADY); /* at the mark */
	CHECK_EQ(pw.min_available, 64);
	CHECK_EQ(tern_pool_watch_sample(&pw, 63, 300 * MS), TERN_POOL_EXHAUSTED);
	CHECK_EQ(pw.exhaustions, 1);
	CHECK(pw.exhausted);
	CHECK_EQ(pw.since_ns, 300 * MS);
	CHECK_EQ(tern_pool_watch_sample(&pw, 0, 400 * MS), TERN_POOL_STEADY);
	CHECK_EQ(tern_pool_watch_sample(&pw, 10, 500 * MS), TERN_POOL_STEADY);
	CHECK_EQ(pw.exhaustions, 1);                 /* one run, counted once */
	CHECK_EQ(pw.exhausted_ns, 200 * MS);         /* 300 -> 500 so far */
	CHECK_EQ(pw.min_available, 0);
	CHECK_EQ(tern_pool_watch_sample(&pw, 500, 650 * MS), TERN_POOL_RECOVERED);
	CHECK(!pw.exhausted);
	CHECK_EQ(pw.exhausted_ns, 350 * MS);         /* 300 -> 650 */
	CHECK_EQ(pw.available, 500);
	CHECK_EQ(tern_pool_watch_sample(&pw, 1000, 800 * MS), TERN_POOL_STEADY);
	CHECK_EQ(pw.exhausted_ns, 350 * MS);         /* not while healthy */
	/* a second run */
	CHECK_EQ(tern_pool_watch_sample(&pw, 1, 900 * MS), TERN_POOL_EXHAUSTED);
	CHECK_EQ(tern_pool_watch_sample(&pw, 64, 1000 * MS), TERN_POOL_RECOVERED);
	CHECK_EQ(pw.exhaustions, 2);
	CHECK_EQ(pw.exhausted_ns, 450 * MS);
	CHECK_EQ(pw.min_available, 0);
}

static void
test_clock_backwards(void)
{
	struct tern_pool_watch pw;

	tern_pool_watch_init(&pw, 100, 10, 50 * MS);
	CHECK_EQ(tern_pool_watch_sample(&pw, 0, 60 * MS), TERN_POOL_EXHAUSTED);
	/* a sample stamped earlier than the last counts as no time */
	CHECK_EQ(tern_pool_watch_sample(&pw, 0, 40 * MS), TERN_POOL_STEADY);
	CHECK_EQ(pw.exhausted_ns, 0);
	CHECK_EQ(tern_pool_watch_sample(&pw, 0, 70 * MS), TERN_POOL_STEADY);
	CHECK_EQ(pw.exhausted_ns, 10 * MS);
}

/* clear stats: counts start again; a run in progress counts as one. */
static void
test_clear(void)
{
	struct tern_pool_watch pw;

	tern_pool_watch_init(&pw, 100, 10, 0);
	tern_pool_watch_sample(&pw, 5, 1 * MS);     /* exhausted */
	tern_pool_watch_sample(&pw, 50, 3 * MS);    /* recovered */
	tern_pool_watch_sample(&pw, 70, 4 * MS);
	CHECK_EQ(pw.exhaustions, 1);
	CHECK_EQ(pw.exhausted_ns, 2 * MS);
	tern_pool_watch_clear(&pw);
	CHECK_EQ(pw.exhaustions, 0);
	CHECK_EQ(pw.exhausted_ns, 0);
	CHECK_EQ(pw.min_available, 70);
	tern_pool_watch_sample(&pw, 2, 5 * MS);     /* exhausted again */
	tern_pool_watch_sample(&pw, 3, 6 * MS);
	tern_pool_watch_clear(&pw);
	CHECK_EQ(pw.exhaustions, 1);
	CHECK_EQ(pw.exhausted_ns, 0);
	CHECK_EQ(pw.min_available, 3);
	tern_pool_watch_sample(&pw, 90, 8 * MS);    /* recovered: 2 ms since the clear */
	CHECK_EQ(pw.exhausted_ns, 2 * MS);
	CHECK_EQ(pw.exhaustions, 1);
}

int
main(void)
{
	test_init();
	test_episode();
	test_clock_backwards();
	test_clear();
	return check_done("test_pool_watch");
}
