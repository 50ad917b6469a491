/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker idle policy: busy never pauses or sleeps; adaptive polls for
 * spin_polls empty iterations, pauses for pause_polls more, then sleeps from
 * sleep_min_us doubling to sleep_max_us; one iteration with work puts it
 * back to polling at once, and the next idle spell starts over. The parser
 * takes exactly busy, adaptive and adaptive:KEY=N,..., and its errors say
 * what was wrong and what is accepted.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "idle.h"

static struct tern_idle_conf
adaptive(uint32_t spin, uint32_t pause, uint32_t min_us, uint32_t max_us)
{
	struct tern_idle_conf c;

	tern_idle_conf_default(&c, TERN_IDLE_ADAPTIVE);
	c.spin_polls = spin;
	c.pause_polls = pause;
	c.sleep_min_us = min_us;
	c.sleep_max_us = max_us;
	return c;
}

/* Steps n empty iterations; counts each action. Returns the last action. */
static enum tern_idle_action
run_empty(struct tern_idle *s, unsigned n, unsigned count[3], uint64_t *last_ns)
{
	enum tern_idle_action a = TERN_IDLE_POLL;

	for (unsigned i = 0; i < n; i++) {
		uint64_t ns = 0;

		a = tern_idle_step(s, 0, &ns);
		count[a]++;
		if (a == TERN_IDLE_SLEEP)
			*last_ns = ns;
	}
	return a;
}

/* busy: a million empty iterations, all POLL, nothing counted as sleep. */
static void
test_busy_never_rests(void)
{
	struct tern_idle_conf c;
	struct tern_idle s;
	unsigned count[3] = { 0 };
	uint64_t ns = 0;

	tern_idle_conf_default(&c, TERN_IDLE_BUSY);
	tern_idle_init(&s, &c);
	run_empty(&s, 1000000, count, &ns);
	CHECK_EQ(count[TERN_IDLE_POLL], 1000000);
	CHECK_EQ(count[TERN_IDLE_PAUSE], 0);
	CHECK_EQ(count[TERN_IDLE_SLEEP], 0);
	CHECK_EQ(s.sleeps, 0);
	CHECK_EQ(s.slept_ns, 0);
}

/* The defaults the header documents. */
static void
test_defaults(void)
{
	struct tern_idle_conf c;

	tern_idle_conf_default(&c, TERN_IDLE_ADAPTIVE);
	CHECK_EQ(c.mode, TERN_IDLE_ADAPTIVE);
	CHECK_EQ(c.spin_polls, 1000);
	CHECK_EQ(c.pause_polls, 10000);
	CHECK_EQ(c.sleep_min_us, 10);
	CHECK_EQ(c.sleep_max_us, 200);
	CHECK(strcmp(tern_idle_mode_name(TERN_IDLE_BUSY), "busy") == 0);
	CHECK(strcmp(tern_idle_mode_name(TERN_IDLE_ADAPTIVE), "adaptive") == 0);
}

/* The exact iteration where each phase starts, with the default counts. */
static void
test_adaptive_phases(void)
{
	struct tern_idle_conf c;
	struct tern_idle s;
	unsigned count[3] = { 0 };
	uint64_t ns = 0;

	tern_idle_conf_default(&c, TERN_IDLE_ADAPTIVE);
	tern_idle_init(&s, &c);
	/* 1000 empty iterations poll... */
	CHECK_EQ(run_empty(&s, 1000, count, &ns), TERN_IDLE_POLL);
	CHECK_EQ(count[TERN_IDLE_POLL], 1000);
	CHECK_EQ(count[TERN_IDLE_PAUSE] + count[TERN_IDLE_SLEEP], 0);
	/* ...the 1001st pauses, and so do the next 9999... */
	CHECK_EQ(run_empty(&s, 1, count, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(run_empty(&s, 9999, count, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(count[TERN_IDLE_PAUSE], 10000);
	CHECK_EQ(count[TERN_IDLE_SLEEP], 0);
	/* ...and the 11001st sleeps, for sleep_min_us. */
	CHECK_EQ(run_empty(&s, 1, count, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * 1000);
	CHECK_EQ(s.sleeps, 1);
	/* From then on every empty iteration sleeps. */
	CHECK_EQ(run_empty(&s, 100000, count, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(count[TERN_IDLE_POLL], 1000);
	CHECK_EQ(count[TERN_IDLE_PAUSE], 10000);
	CHECK_EQ(count[TERN_IDLE_SLEEP], 100001);
	CHECK_EQ(s.sleeps, 100001);
}

/* Sleeps double from min and stay at max; the counters add up. */
static void
test_sleep_doubles_to_max(void)
{
	static const uint64_t want_us[] = { 10, 20, 40, 80, 160, 200, 200, 200 };
	struct tern_idle_conf c = adaptive(0, 0, 10, 200);
	struct tern_idle s;
	uint64_t ns, total = 0;

	tern_idle_init(&s, &c);
	for (unsigned i = 0; i < sizeof(want_us) / sizeof(want_us[0]); i++) {
		ns = 0;
		CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_SLEEP);
		CHECK_EQ(ns, want_us[i] * 1000);
		total += ns;
	}
	CHECK_EQ(s.sleeps, 8);
	CHECK_EQ(s.slept_ns, total);

	/* An odd cap is reached exactly, not overshot. */
	c = adaptive(0, 0, 3, 7);
	tern_idle_init(&s, &c);
	for (unsigned i = 0; i < 4; i++)
		tern_idle_step(&s, 0, &ns);
	CHECK_EQ(ns, 7000); /* 3, 6, 7, 7 */

	/* min == max: a constant sleep. */
	c = adaptive(0, 0, 50, 50);
	tern_idle_init(&s, &c);
	for (unsigned i = 0; i < 5; i++) {
		CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_SLEEP);
		CHECK_EQ(ns, 50000);
	}

	/* The largest accepted sleep, many times: no overflow, stays at max. */
	c = adaptive(0, 0, 1, 1000000);
	tern_idle_init(&s, &c);
	for (unsigned i = 0; i < 1000; i++)
		tern_idle_step(&s, 0, &ns);
	CHECK_EQ(ns, 1000000000ULL);
}

/* One iteration with work ends any phase at once and restarts the spell. */
static void
test_work_resets(void)
{
	struct tern_idle_conf c = adaptive(5, 3, 10, 200);
	struct tern_idle s;
	unsigned count[3] = { 0 };
	uint64_t ns = 0;

	tern_idle_init(&s, &c);
	/* Deep asleep (sleep at its cap), then one packet. */
	CHECK_EQ(run_empty(&s, 5 + 3 + 10, count, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 200000);
	CHECK_EQ(tern_idle_step(&s, 1, &ns), TERN_IDLE_POLL);
	/* The next spell starts over: 5 polls, 3 pauses, then sleep_min_us. */
	memset(count, 0, sizeof(count));
	run_empty(&s, 5, count, &ns);
	CHECK_EQ(count[TERN_IDLE_POLL], 5);
	memset(count, 0, sizeof(count));
	run_empty(&s, 3, count, &ns);
	CHECK_EQ(count[TERN_IDLE_PAUSE], 3);
	ns = 0;
	CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10000);

	/* Work while pausing: back to polling, and the poll count restarts. */
	tern_idle_init(&s, &c);
	memset(count, 0, sizeof(count));
	CHECK_EQ(run_empty(&s, 6, count, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(tern_idle_step(&s, 32, &ns), TERN_IDLE_POLL);
	memset(count, 0, sizeof(count));
	run_empty(&s, 5, count, &ns);
	CHECK_EQ(count[TERN_IDLE_POLL], 5);

	/* Steady light traffic (work every 4th iteration) never pauses. */
	tern_idle_init(&s, &c);
	memset(count, 0, sizeof(count));
	for (unsigned i = 0; i < 10000; i++)
		count[tern_idle_step(&s, i % 4 == 0, &ns)]++;
	CHECK_EQ(count[TERN_IDLE_PAUSE] + count[TERN_IDLE_SLEEP], 0);
	CHECK_EQ(s.sleeps, 0);
}

/* spin=0 pauses at once; spin=0,pause=0 sleeps at once; huge counts don't wrap. */
static void
test_edge_counts(void)
{
	struct tern_idle_conf c = adaptive(0, 2, 10, 200);
	struct tern_idle s;
	uint64_t ns = 0;

	tern_idle_init(&s, &c);
	CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_SLEEP);

	c = adaptive(0, 0, 10, 200);
	tern_idle_init(&s, &c);
	CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_SLEEP);

	/* spin + pause above 2^32 must not wrap to a small sum (3 + 2^32 - 1
	 * would be 2 in 32 bits, and it would sleep after two iterations). */
	c = adaptive(3, UINT32_MAX, 10, 200);
	tern_idle_init(&s, &c);
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_POLL);
	for (unsigned i = 0; i < 1000; i++)
		CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_PAUSE);
	s.empty = UINT32_MAX - 1; /* fast-forward a long idle spell */
	CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(tern_idle_step(&s, 0, &ns), TERN_IDLE_SLEEP); /* no wrap back to POLL */
}

static void
check_parse_ok(const char *spec, enum tern_idle_mode mode, uint32_t spin, uint32_t pause,
	       uint32_t min_us, uint32_t max_us)
{
	struct tern_idle_conf c;
	struct tern_err err = { "" };
	int rc;

	memset(&c, 0xa5, sizeof(c));
	rc = tern_idle_parse(spec, &c, &err);
	if (rc != 0)
		fprintf(stderr, "parse '%s': %d %s\n", spec, rc, err.msg);
	CHECK_EQ(rc, 0);
	CHECK_EQ(c.mode, mode);
	CHECK_EQ(c.spin_polls, spin);
	CHECK_EQ(c.pause_polls, pause);
	CHECK_EQ(c.sleep_min_us, min_us);
	CHECK_EQ(c.sleep_max_us, max_us);
}

/* A rejected spec: -EINVAL, the caller's conf untouched, and a message
 * naming the culprit (want) and, where given, what is accepted (also). */
static void
check_parse_bad(const char *spec, const char *want, const char *also)
{
	struct tern_idle_conf c, before;
	struct tern_err err = { "" };

	tern_idle_conf_default(&c, TERN_IDLE_BUSY);
	before = c;
	CHECK_EQ(tern_idle_parse(spec, &c, &err), -EINVAL);
	CHECK(memcmp(&c, &before, sizeof(c)) == 0);
	if (strstr(err.msg, want) == NULL || (also != NULL && strstr(err.msg, also) == NULL)) {
		fprintf(stderr, "parse '%s': message '%s' lacks '%s'%s%s\n", spec, err.msg,
			want, also != NULL ? " or " : "", also != NULL ? also : "");
		CHECK(0);
	}
}

static void
test_parse(void)
{
	const char *accepted = "expected busy, adaptive or adaptive:KEY=N";

	check_parse_ok("busy", TERN_IDLE_BUSY, 1000, 10000, 10, 200);
	check_parse_ok("adaptive", TERN_IDLE_ADAPTIVE, 1000, 10000, 10, 200);
	check_parse_ok("adaptive:spin=5", TERN_IDLE_ADAPTIVE, 5, 10000, 10, 200);
	check_parse_ok("adaptive:spin=0,pause=0,sleep_min_us=1,sleep_max_us=1",
		       TERN_IDLE_ADAPTIVE, 0, 0, 1, 1);
	check_parse_ok("adaptive:sleep_max_us=1000000,pause=4294967295",
		       TERN_IDLE_ADAPTIVE, 1000, UINT32_MAX, 10, 1000000);
	check_parse_ok("adaptive:sleep_min_us=50,sleep_max_us=50",
		       TERN_IDLE_ADAPTIVE, 1000, 10000, 50, 50);

	check_parse_bad("", "bad idle policy ''", accepted);
	check_parse_bad("Busy", "bad idle policy 'Busy'", accepted);
	check_parse_bad("busy:spin=1", "bad idle policy 'busy:spin=1'", accepted);
	check_parse_bad("adaptivex", "bad idle policy 'adaptivex'", accepted);
	check_parse_bad("poll", "'poll'", "sleep_min_us or sleep_max_us");
	check_parse_bad("adaptive:", "empty idle parameter", accepted);
	check_parse_bad("adaptive:spin=1,", "empty idle parameter", accepted);
	check_parse_bad("adaptive:spin", "'spin' has no value", accepted);
	check_parse_bad("adaptive:spinn=4", "unknown idle parameter 'spinn'",
			"spin, pause, sleep_min_us or sleep_max_us");
	check_parse_bad("adaptive:spin=-1", "bad idle spin '-1'", "expected 0-4294967295");
	check_parse_bad("adaptive:spin=4294967296", "bad idle spin '4294967296'", NULL);
	check_parse_bad("adaptive:spin=12x", "bad idle spin '12x'", NULL);
	check_parse_bad("adaptive:pause=", "bad idle pause ''", NULL);
	check_parse_bad("adaptive:spin= 1", "bad idle spin ' 1'", NULL);
	check_parse_bad("adaptive:sleep_min_us=0", "bad idle sleep_min_us '0'",
			"expected 1-1000000");
	check_parse_bad("adaptive:sleep_max_us=1000001", "bad idle sleep_max_us '1000001'",
			"expected 1-1000000");
	check_parse_bad("adaptive:sleep_min_us=100,sleep_max_us=50",
			"sleep_max_us=50 is below sleep_min_us=100", NULL);
	/* the defaults count: min above the default max needs a max too */
	check_parse_bad("adaptive:sleep_min_us=500", "sleep_max_us=200 is below", NULL);
	check_parse_bad("adaptive:spin=1000000,pause=1000000,sleep_min_us=1000000,"
			"sleep_max_us=1000000,spin=1000000,pause=1000000,sleep_min_us=1000000,"
			"sleep_max_us=1000000", "too long", NULL);
	/* a NULL err is allowed */
	{
		struct tern_idle_conf c;

		CHECK_EQ(tern_idle_parse("nope", &c, NULL), -EINVAL);
	}
}

int
main(void)
{
	test_defaults();
	test_busy_never_rests();
	test_adaptive_phases();
	test_sleep_doubles_to_max();
	test_work_resets();
	test_edge_counts();
	test_parse();
	return check_done("test_idle");
}
