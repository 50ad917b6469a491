/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker idle policy, with injected time (TSC values passed in; at
 * HZ = 1 GHz one cycle is one nanosecond): busy never pauses or sleeps;
 * adaptive pauses until exactly poll_us has passed since the last iteration
 * with work (or since init) and sleeps from then, in steps from sleep_min_us
 * doubling to sleep_max_us (odd caps reached exactly, min == max constant);
 * poll_us=0 sleeps at the first empty iteration; one iteration with work
 * puts it back to polling at once and restarts both the poll window and the
 * sleep step; poll_us converts by tsc_hz without 32-bit truncation; TSC
 * values that wrap past UINT64_MAX change nothing; sleeps/slept_ns add up.
 * The parser takes exactly busy, adaptive and adaptive:KEY=N,... with keys
 * poll_us, sleep_min_us and sleep_max_us, and its errors say what was wrong
 * and what is accepted.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "idle.h"

#define HZ 1000000000ULL      /* 1 cycle = 1 ns */
#define T0 1000000000000ULL   /* an arbitrary start TSC */
#define US 1000ULL            /* cycles (ns) per microsecond at HZ */
#define NO_NS 0xdeadbeefULL   /* sleep_ns before a step */

static struct tern_idle_conf
adaptive(uint32_t poll_us, uint32_t min_us, uint32_t max_us)
{
	struct tern_idle_conf c;

	tern_idle_conf_default(&c, TERN_IDLE_ADAPTIVE);
	c.poll_us = poll_us;
	c.sleep_min_us = min_us;
	c.sleep_max_us = max_us;
	return c;
}

/* One empty iteration at now; *ns the sleep asked for, NO_NS if none. */
static enum tern_idle_action
empty_at(struct tern_idle *s, uint64_t now, uint64_t *ns)
{
	enum tern_idle_action a;

	*ns = NO_NS;
	a = tern_idle_step(s, 0, now, ns);
	if (a != TERN_IDLE_SLEEP)
		*ns = NO_NS;
	return a;
}

/* The defaults the header documents. */
static void
test_defaults(void)
{
	struct tern_idle_conf c;

	tern_idle_conf_default(&c, TERN_IDLE_ADAPTIVE);
	CHECK_EQ(c.mode, TERN_IDLE_ADAPTIVE);
	CHECK_EQ(c.poll_us, 100);
	CHECK_EQ(c.sleep_min_us, 10);
	CHECK_EQ(c.sleep_max_us, 200);
	tern_idle_conf_default(&c, TERN_IDLE_BUSY);
	CHECK_EQ(c.mode, TERN_IDLE_BUSY);
	CHECK_EQ(c.poll_us, 100);
	CHECK(strcmp(tern_idle_mode_name(TERN_IDLE_BUSY), "busy") == 0);
	CHECK(strcmp(tern_idle_mode_name(TERN_IDLE_ADAPTIVE), "adaptive") == 0);
}

/* busy: a million empty iterations over ten seconds, all POLL, no sleep. */
static void
test_busy_never_rests(void)
{
	struct tern_idle_conf c;
	struct tern_idle s;
	unsigned count[3] = { 0 };
	uint64_t ns = NO_NS;

	tern_idle_conf_default(&c, TERN_IDLE_BUSY);
	tern_idle_init(&s, &c, T0, HZ);
	for (uint64_t i = 0; i < 1000000; i++)
		count[tern_idle_step(&s, 0, T0 + i * 10 * US, &ns)]++;
	CHECK_EQ(count[TERN_IDLE_POLL], 1000000);
	CHECK_EQ(count[TERN_IDLE_PAUSE], 0);
	CHECK_EQ(count[TERN_IDLE_SLEEP], 0);
	CHECK_EQ(ns, NO_NS);
	CHECK_EQ(s.sleeps, 0);
	CHECK_EQ(s.slept_ns, 0);

	/* poll_us=0 and a wrapped TSC change nothing for busy. */
	c.poll_us = 0;
	tern_idle_init(&s, &c, UINT64_MAX - 5, HZ);
	for (uint64_t i = 0; i < 100; i++)
		CHECK_EQ(tern_idle_step(&s, 0, UINT64_MAX - 5 + i * US, &ns), TERN_IDLE_POLL);
	CHECK_EQ(s.sleeps, 0);
}

/* Defaults: every empty iteration pauses until exactly poll_us after init,
 * and the one at poll_us sleeps, and so does every one after it. */
static void
test_poll_window(void)
{
	struct tern_idle_conf c;
	struct tern_idle s;
	unsigned count[3] = { 0 };
	uint64_t ns;

	tern_idle_conf_default(&c, TERN_IDLE_ADAPTIVE);
	tern_idle_init(&s, &c, T0, HZ);
	/* At the same TSC as init, and every 100 ns up to poll_us - 1 ns. */
	for (uint64_t t = T0; t < T0 + 100 * US; t += 100)
		count[empty_at(&s, t, &ns)]++;
	CHECK_EQ(count[TERN_IDLE_PAUSE], 1000);
	CHECK_EQ(count[TERN_IDLE_POLL] + count[TERN_IDLE_SLEEP], 0);
	CHECK_EQ(empty_at(&s, T0 + 100 * US - 1, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(s.sleeps, 0);
	/* Exactly poll_us: the first sleep, for sleep_min_us. */
	CHECK_EQ(empty_at(&s, T0 + 100 * US, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * US);
	CHECK_EQ(s.sleeps, 1);
	/* From then on every empty iteration sleeps, also at an unchanged TSC. */
	CHECK_EQ(empty_at(&s, T0 + 100 * US, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 20 * US);
	for (unsigned i = 0; i < 1000; i++)
		CHECK_EQ(empty_at(&s, T0 + 200 * US + i * 200 * US, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(s.sleeps, 1002);

	/* The window runs from the last work, not from init or the first empty
	 * iteration: work late, then a full poll_us of pauses again. */
	tern_idle_init(&s, &c, T0, HZ);
	CHECK_EQ(empty_at(&s, T0 + 50 * US, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(tern_idle_step(&s, 3, T0 + 5000 * US, &ns), TERN_IDLE_POLL);
	CHECK_EQ(empty_at(&s, T0 + 5000 * US, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, T0 + 5100 * US - 1, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, T0 + 5100 * US, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * US);

	/* A first look only after a long gap sleeps at once. */
	tern_idle_init(&s, &c, T0, HZ);
	CHECK_EQ(empty_at(&s, T0 + 3600ULL * 1000000 * US, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * US);
}

/* poll_us converts by tsc_hz, in 64 bits. */
static void
test_tsc_hz(void)
{
	struct tern_idle_conf c = adaptive(100, 10, 200);
	struct tern_idle s;
	uint64_t ns;

	/* 2.5 GHz: 100 us is 250000 cycles. */
	tern_idle_init(&s, &c, T0, 2500000000ULL);
	CHECK_EQ(empty_at(&s, T0 + 249999, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, T0 + 250000, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * US); /* the sleep is in ns whatever the TSC rate */

	/* 1 MHz: 100 us is 100 cycles. */
	tern_idle_init(&s, &c, T0, 1000000);
	CHECK_EQ(empty_at(&s, T0 + 99, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, T0 + 100, &ns), TERN_IDLE_SLEEP);

	/* The longest window at 5 GHz, 5e9 cycles, is above 2^32. */
	c = adaptive(1000000, 10, 200);
	tern_idle_init(&s, &c, T0, 5000000000ULL);
	CHECK_EQ(empty_at(&s, T0 + (1ULL << 32), &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, T0 + 4999999999ULL, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, T0 + 5000000000ULL, &ns), TERN_IDLE_SLEEP);
}

/* Steps n empty sleeps (advancing the TSC by each, as the loop would) and
 * checks each step against want_us; returns the TSC after them. */
static uint64_t
check_steps(struct tern_idle *s, uint64_t now, const uint64_t *want_us, unsigned n)
{
	uint64_t ns;

	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(empty_at(s, now, &ns), TERN_IDLE_SLEEP);
		CHECK_EQ(ns, want_us[i] * US);
		if (ns != want_us[i] * US)
			fprintf(stderr, "  (step %u)\n", i);
		now += ns;
	}
	return now;
}

/* Sleeps double from min, reach max exactly and stay there. */
static void
test_sleep_doubles_to_max(void)
{
	static const uint64_t dflt[] = { 10, 20, 40, 80, 160, 200, 200, 200 };
	static const uint64_t odd_cap[] = { 3, 6, 7, 7, 7 };
	static const uint64_t odd_min[] = { 3, 6, 12, 24, 48, 96, 192, 200, 200 };
	static const uint64_t just_over[] = { 5, 10, 11, 11 };
	static const uint64_t same[] = { 50, 50, 50, 50, 50 };
	static const uint64_t one[] = { 1, 1, 1 };
	struct tern_idle_conf c = adaptive(0, 10, 200);
	struct tern_idle s;
	uint64_t ns, now;

	tern_idle_init(&s, &c, T0, HZ);
	check_steps(&s, T0, dflt, 8);
	CHECK_EQ(s.sleeps, 8);
	CHECK_EQ(s.slept_ns, (10 + 20 + 40 + 80 + 160 + 200 + 200 + 200) * US);

	/* An odd cap is reached exactly, not overshot or undershot. */
	c = adaptive(0, 3, 7);
	tern_idle_init(&s, &c, T0, HZ);
	check_steps(&s, T0, odd_cap, 5);
	c = adaptive(0, 3, 200);
	tern_idle_init(&s, &c, T0, HZ);
	check_steps(&s, T0, odd_min, 9);
	c = adaptive(0, 5, 11);
	tern_idle_init(&s, &c, T0, HZ);
	check_steps(&s, T0, just_over, 4);

	/* min == max: a constant sleep; and the smallest one. */
	c = adaptive(0, 50, 50);
	tern_idle_init(&s, &c, T0, HZ);
	check_steps(&s, T0, same, 5);
	c = adaptive(0, 1, 1);
	tern_idle_init(&s, &c, T0, HZ);
	check_steps(&s, T0, one, 3);

	/* The widest accepted range, many times: powers of two up to 2^19,
	 * then the cap, and no overflow after. */
	c = adaptive(0, 1, 1000000);
	tern_idle_init(&s, &c, T0, HZ);
	now = T0;
	for (unsigned i = 0; i < 20; i++) {
		CHECK_EQ(empty_at(&s, now, &ns), TERN_IDLE_SLEEP);
		CHECK_EQ(ns, (1ULL << i) * US);
		now += ns;
	}
	for (unsigned i = 0; i < 1000; i++) {
		CHECK_EQ(empty_at(&s, now, &ns), TERN_IDLE_SLEEP);
		CHECK_EQ(ns, 1000000 * US);
		now += ns;
	}
	CHECK_EQ(s.sleeps, 1020);
	CHECK_EQ(s.slept_ns, ((1ULL << 20) - 1) * US + 1000ULL * 1000000 * US);
}

/* One iteration with work ends any phase at once and restarts the poll
 * window and the sleep step. */
static void
test_work_resets(void)
{
	struct tern_idle_conf c = adaptive(100, 10, 200);
	struct tern_idle s;
	unsigned count[3] = { 0 };
	uint64_t ns, now = T0 + 100 * US;

	/* Deep asleep (the step at its cap), then one packet. */
	tern_idle_init(&s, &c, T0, HZ);
	for (unsigned i = 0; i < 10; i++) {
		CHECK_EQ(empty_at(&s, now, &ns), TERN_IDLE_SLEEP);
		now += ns;
	}
	CHECK_EQ(ns, 200 * US);
	CHECK_EQ(tern_idle_step(&s, 1, now, &ns), TERN_IDLE_POLL);
	/* The next spell starts over: poll_us of pauses, then sleep_min_us. */
	CHECK_EQ(empty_at(&s, now + 1, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, now + 100 * US - 1, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, now + 100 * US, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * US);
	CHECK_EQ(empty_at(&s, now + 110 * US, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 20 * US);

	/* Work while pausing: the window restarts from it. Without the reset
	 * the iteration at T0 + 100 us would sleep. */
	tern_idle_init(&s, &c, T0, HZ);
	CHECK_EQ(empty_at(&s, T0 + 90 * US, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(tern_idle_step(&s, 32, T0 + 90 * US, &ns), TERN_IDLE_POLL);
	CHECK_EQ(empty_at(&s, T0 + 100 * US, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, T0 + 190 * US - 1, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, T0 + 190 * US, &ns), TERN_IDLE_SLEEP);

	/* Work resets the step even when the next empty iteration sleeps at
	 * once (poll_us=0), and repeated work polls every time. */
	c = adaptive(0, 10, 200);
	tern_idle_init(&s, &c, T0, HZ);
	for (unsigned i = 0; i < 3; i++)
		empty_at(&s, T0 + i, &ns);
	CHECK_EQ(ns, 40 * US);
	for (unsigned i = 0; i < 5; i++)
		CHECK_EQ(tern_idle_step(&s, 1, T0 + 10 + i, &ns), TERN_IDLE_POLL);
	CHECK_EQ(empty_at(&s, T0 + 20, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * US);

	/* Steady light traffic (work every 50 us, an iteration every 1 us)
	 * pauses in between but never sleeps. */
	c = adaptive(100, 10, 200);
	tern_idle_init(&s, &c, T0, HZ);
	for (unsigned i = 0; i < 100000; i++)
		count[tern_idle_step(&s, i % 50 == 0, T0 + i * US, &ns)]++;
	CHECK_EQ(count[TERN_IDLE_POLL], 2000);
	CHECK_EQ(count[TERN_IDLE_PAUSE], 98000);
	CHECK_EQ(count[TERN_IDLE_SLEEP], 0);
	CHECK_EQ(s.sleeps, 0);
	/* ...and one gap longer than poll_us does sleep. */
	CHECK_EQ(empty_at(&s, T0 + 99950 * US + 100 * US, &ns), TERN_IDLE_SLEEP);
}

/* poll_us=0: no pausing at all, the first empty iteration sleeps, even at
 * the very TSC of init or of the last work. */
static void
test_poll_zero(void)
{
	struct tern_idle_conf c = adaptive(0, 10, 200);
	struct tern_idle s;
	uint64_t ns;

	tern_idle_init(&s, &c, T0, HZ);
	CHECK_EQ(empty_at(&s, T0, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * US);
	CHECK_EQ(tern_idle_step(&s, 1, T0 + 5 * US, &ns), TERN_IDLE_POLL);
	CHECK_EQ(empty_at(&s, T0 + 5 * US, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * US);
	CHECK_EQ(s.sleeps, 2);
}

/* The TSC wrapping past UINT64_MAX: the elapsed time is still right. */
static void
test_tsc_wrap(void)
{
	struct tern_idle_conf c = adaptive(100, 10, 200);
	struct tern_idle s;
	uint64_t ns, start = UINT64_MAX - 50000; /* poll_us ends 100000 ns later */

	/* start + 100000 wraps to 49999: comparing now with that sum would
	 * sleep at once; only the difference now - last work is right. */
	tern_idle_init(&s, &c, start, HZ);
	CHECK_EQ(empty_at(&s, UINT64_MAX - 1, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, UINT64_MAX, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, 0, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, 49998, &ns), TERN_IDLE_PAUSE);   /* 99999 ns */
	CHECK_EQ(empty_at(&s, 49999, &ns), TERN_IDLE_SLEEP);   /* 100000 ns */
	CHECK_EQ(ns, 10 * US);
	CHECK_EQ(empty_at(&s, 60000, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 20 * US);

	/* Work at UINT64_MAX, empty iterations after the wrap. */
	tern_idle_init(&s, &c, start, HZ);
	CHECK_EQ(tern_idle_step(&s, 1, UINT64_MAX, &ns), TERN_IDLE_POLL);
	CHECK_EQ(empty_at(&s, 0, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, 99998, &ns), TERN_IDLE_PAUSE);
	CHECK_EQ(empty_at(&s, 99999, &ns), TERN_IDLE_SLEEP);
	CHECK_EQ(ns, 10 * US);
}

/* sleeps and slept_ns: every sleep counted, work does not reset them, init
 * does. */
static void
test_counters(void)
{
	struct tern_idle_conf c = adaptive(20, 10, 40);
	struct tern_idle s;
	uint64_t ns, now = T0, sleeps = 0, total = 0;

	tern_idle_init(&s, &c, now, HZ);
	for (unsigned i = 0; i < 10000; i++) {
		unsigned work = i % 97 == 0;
		enum tern_idle_action a;

		ns = NO_NS;
		a = tern_idle_step(&s, work, now, &ns);
		if (a == TERN_IDLE_SLEEP) {
			CHECK(ns >= 10 * US && ns <= 40 * US);
			sleeps++;
			total += ns;
			now += ns;
		} else {
			CHECK_EQ(a, work ? TERN_IDLE_POLL : TERN_IDLE_PAUSE);
			now += 1 * US;
		}
	}
	CHECK(sleeps > 1000); /* the mix did sleep, pause and poll */
	CHECK_EQ(s.sleeps, sleeps);
	CHECK_EQ(s.slept_ns, total);
	tern_idle_init(&s, &c, now, HZ);
	CHECK_EQ(s.sleeps, 0);
	CHECK_EQ(s.slept_ns, 0);
}

static void
check_parse_ok(const char *spec, enum tern_idle_mode mode, uint32_t poll_us,
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
	CHECK_EQ(c.poll_us, poll_us);
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
	const char *keys = "poll_us, sleep_min_us or sleep_max_us";
	char spec[256];

	check_parse_ok("busy", TERN_IDLE_BUSY, 100, 10, 200);
	check_parse_ok("adaptive", TERN_IDLE_ADAPTIVE, 100, 10, 200);
	check_parse_ok("adaptive:poll_us=5", TERN_IDLE_ADAPTIVE, 5, 10, 200);
	check_parse_ok("adaptive:poll_us=0,sleep_min_us=1,sleep_max_us=1",
		       TERN_IDLE_ADAPTIVE, 0, 1, 1);
	check_parse_ok("adaptive:sleep_max_us=1000000,poll_us=1000000",
		       TERN_IDLE_ADAPTIVE, 1000000, 10, 1000000);
	check_parse_ok("adaptive:sleep_min_us=50,sleep_max_us=50",
		       TERN_IDLE_ADAPTIVE, 100, 50, 50);
	check_parse_ok("adaptive:poll_us=0,sleep_min_us=1000000,sleep_max_us=1000000",
		       TERN_IDLE_ADAPTIVE, 0, 1000000, 1000000);
	/* The longest list accepted: 127 characters after "adaptive:". */
	snprintf(spec, sizeof(spec), "adaptive:poll_us=%0119d", 7);
	CHECK_EQ(strlen(spec), 9 + 127);
	check_parse_ok(spec, TERN_IDLE_ADAPTIVE, 7, 10, 200);

	check_parse_bad("", "bad idle policy ''", accepted);
	check_parse_bad("Busy", "bad idle policy 'Busy'", accepted);
	check_parse_bad("busy:poll_us=1", "bad idle policy 'busy:poll_us=1'", accepted);
	check_parse_bad("adaptivex", "bad idle policy 'adaptivex'", accepted);
	check_parse_bad("poll", "'poll'", keys);
	check_parse_bad("adaptive:", "empty idle parameter", accepted);
	check_parse_bad("adaptive:poll_us=1,", "empty idle parameter", accepted);
	check_parse_bad("adaptive:,poll_us=1", "empty idle parameter", accepted);
	check_parse_bad("adaptive:poll_us", "'poll_us' has no value", accepted);
	/* The old iteration-count keys are gone. */
	check_parse_bad("adaptive:spin=4", "unknown idle parameter 'spin'", keys);
	check_parse_bad("adaptive:pause=4", "unknown idle parameter 'pause'", keys);
	check_parse_bad("adaptive:poll=4", "unknown idle parameter 'poll'", keys);
	check_parse_bad("adaptive:Poll_us=4", "unknown idle parameter 'Poll_us'", keys);
	check_parse_bad("adaptive:poll_us=-1", "bad idle poll_us '-1'", "expected 0-1000000");
	check_parse_bad("adaptive:poll_us=1000001", "bad idle poll_us '1000001'",
			"expected 0-1000000");
	check_parse_bad("adaptive:poll_us=4294967296", "bad idle poll_us '4294967296'", NULL);
	check_parse_bad("adaptive:poll_us=12x", "bad idle poll_us '12x'", NULL);
	check_parse_bad("adaptive:poll_us=", "bad idle poll_us ''", NULL);
	check_parse_bad("adaptive:poll_us= 1", "bad idle poll_us ' 1'", NULL);
	check_parse_bad("adaptive:poll_us=0x10", "bad idle poll_us '0x10'", NULL);
	check_parse_bad("adaptive:sleep_min_us=0", "bad idle sleep_min_us '0'",
			"expected 1-1000000");
	check_parse_bad("adaptive:sleep_max_us=0", "bad idle sleep_max_us '0'",
			"expected 1-1000000");
	check_parse_bad("adaptive:sleep_max_us=1000001", "bad idle sleep_max_us '1000001'",
			"expected 1-1000000");
	/* a bad key after good ones leaves the caller's conf whole */
	check_parse_bad("adaptive:poll_us=5,sleep_min_us=0", "bad idle sleep_min_us '0'", NULL);
	check_parse_bad("adaptive:sleep_min_us=100,sleep_max_us=50",
			"sleep_max_us=50 is below sleep_min_us=100", NULL);
	/* the defaults count: min above the default max needs a max too */
	check_parse_bad("adaptive:sleep_min_us=500", "sleep_max_us=200 is below", NULL);
	/* 128 characters after "adaptive:" */
	snprintf(spec, sizeof(spec), "adaptive:poll_us=%0120d", 7);
	check_parse_bad(spec, "too long", "127");
	/* a NULL err is allowed */
	{
		struct tern_idle_conf c;

		CHECK_EQ(tern_idle_parse("nope", &c, NULL), -EINVAL);
		CHECK_EQ(tern_idle_parse("adaptive:spin=1", &c, NULL), -EINVAL);
	}
}

int
main(void)
{
	test_defaults();
	test_busy_never_rests();
	test_poll_window();
	test_tsc_hz();
	test_sleep_doubles_to_max();
	test_work_resets();
	test_poll_zero();
	test_tsc_wrap();
	test_counters();
	test_parse();
	return check_done("test_idle");
}
