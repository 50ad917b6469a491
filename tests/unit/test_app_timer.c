/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * App timers (dataplane/events/app_timer.c) under EAL with two lcores: worker 0 runs
 * on the second lcore, which loops on tern_timers_run(0) like a worker does;
 * worker 1 is mapped to the main lcore, where the test runs its timers by
 * hand (deterministic lateness and next_ns checks).
 *
 * Checks: a one-shot fires once, on its worker's lcore, never early; a
 * periodic timer fires about window/period times and stops when cancelled;
 * a first delay differing from the period is honoured; a callback can re-arm
 * its own timer; arming or cancelling a timer whose callback runs elsewhere
 * is refused (-EBUSY) and freeing waits for it; timer_new on a worker lcore
 * fails (EPERM); after retire arming is refused (-ESHUTDOWN) and after
 * cancel_all nothing fires; a paused instance's timers wait and then go on;
 * the worker's stats count every expiry and its
 * lateness; next_ns tells the time to the next due timer.
 *
 * Timing bounds are loose (2-CPU VMs are noisy, and meson runs unit tests
 * in parallel) but each would catch the feature being broken: a timer never
 * firing, firing early or twice, at the wrong period, or after it was
 * cancelled. Exact timing checks use worker 1, which only runs its timers
 * when the test says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "app_timer.h"
#include "check.h"
#include "eal_runtime.h"

#define MS 1000000ull /* ns */

/** Per-worker stats the way the engine lays them out: inside a bigger struct. */
struct fake_worker {
	uint64_t other;
	struct tern_timer_stats timer_stats;
} __rte_cache_aligned;

static struct fake_worker workers[2];
static struct tern_timer_owner app;
static unsigned remote_lcore;
static volatile bool loop_stop;
static uint64_t loop_fired;   /**< sum of tern_timers_run(0) on the remote lcore */
static uint64_t main_fired;   /**< sum of tern_timers_run(1) on the main lcore */

/** What a callback saw; written on the lcore it runs on. */
struct probe {
	uint64_t count;            /**< expiries (release store) */
	uint64_t at[16];           /**< timer cycles of the first expiries */
	unsigned lcore;            /**< lcore of the last expiry */
	int rearm_left;            /**< re-arm itself one-shot this many times */
	uint64_t rearm_ns;
	int rearm_ret;             /**< what the last re-arm returned */
	bool try_new;              /**< call tern_timer_new from the callback */
	int new_errno;
	volatile bool hold;        /**< spin in the callback while set */
	uint64_t spin_cycles;      /**< or spin this long */
	volatile bool in_cb;
	volatile bool done;
};

static void
probe_cb(struct tern_timer *t, void *arg)
{
	struct probe *p = arg;
	uint64_t n = p->count;
	uint64_t end;

	if (n < RTE_DIM(p->at))
		p->at[n] = rte_get_timer_cycles();
	p->lcore = rte_lcore_id();
	__atomic_store_n(&p->count, n + 1, __ATOMIC_RELEASE);
	if (p->rearm_left > 0) {
		p->rearm_left--;
		p->rearm_ret = tern_timer_arm(t, 0, p->rearm_ns, 0);
	}
	if (p->try_new) {
		errno = 0;
		p->new_errno = tern_timer_new(&app, probe_cb, NULL) == NULL ? errno : 0;
	}
	p->in_cb = true;
	while (p->hold)
		rte_pause();
	end = rte_get_timer_cycles() + p->spin_cycles;
	while (rte_get_timer_cycles() < end)
		rte_pause();
	p->done = true;
}

static uint64_t
count_of(const struct probe *p)
{
	return __atomic_load_n(&p->count, __ATOMIC_ACQUIRE);
}

static uint64_t
ms_cycles(uint64_t ms)
{
	return ms * rte_get_timer_hz() / 1000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Wait until p has fired n times, at most timeout_ms; the count. */
static uint64_t
wait_count(const struct probe *p, uint64_t n, unsigned timeout_ms)
{
	for (unsigned i = 0; i < timeout_ms && count_of(p) < n; i++)
		sleep_ms(1);
	return count_of(p);
}

/* The second lcore: worker 0's loop. */
static int
worker_loop(void *arg)
{
	(void)arg;
	while (!loop_stop) {
		unsigned n = tern_timers_run(0);

		__atomic_store_n(&loop_fired, loop_fired + n, __ATOMIC_RELAXED);
	}
	return 0;
}

static unsigned
run_main(void)
{
	unsigned n = tern_timers_run(1);

	main_fired += n;
	return n;
}

static struct tern_timer *
new_timer(struct probe *p)
{
	struct tern_timer *t = tern_timer_new(&app, probe_cb, p);

	CHECK(t != NULL);
	return t;
}

static void
test_bad_arguments(void)
{
	struct probe p = { 0 };
	struct tern_timer *t = new_timer(&p);

	errno = 0;
	CHECK(tern_timer_new(NULL, probe_cb, &p) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(tern_timer_new(&app, NULL, &p) == NULL);
	CHECK_EQ(tern_timer_arm(t, 2, MS, 0), -EINVAL);	/* only workers 0 and 1 */
	CHECK_EQ(tern_timer_arm(NULL, 0, MS, 0), -EINVAL);
	CHECK_EQ(tern_timer_cancel(t), 0);		/* not armed: fine */
	CHECK_EQ(tern_timers_next_ns(), UINT64_MAX);	/* nothing on the main lcore */
	tern_timer_free(t);
	tern_timer_free(NULL);
	CHECK(app.timers == NULL);
}

static void
test_one_shot(void)
{
	const struct tern_hist *late = &workers[0].timer_stats.late;
	struct probe p = { 0 };
	struct tern_timer *t = new_timer(&p);
	uint64_t t0 = rte_get_timer_cycles();
	static struct tern_hist before;
	unsigned changed = 0, bucket = 0;

	memset(&before, 0, sizeof(before));
	tern_hist_merge(&before, late);
	CHECK_EQ(tern_timer_arm(t, 0, 20 * MS, 0), 0);
	CHECK_EQ(wait_count(&p, 1, 1000), 1);
	sleep_ms(60);
	CHECK_EQ(count_of(&p), 1);			/* once */
	CHECK(p.at[0] - t0 >= ms_cycles(20));		/* never early */
	CHECK(p.at[0] - t0 < ms_cycles(500));
	CHECK_EQ(p.lcore, remote_lcore);		/* on worker 0's lcore */
	/* Its lateness went into worker 0's histogram, and is no more than
	 * the test saw (fire time less arm time less the delay). */
	CHECK_EQ(late->n, before.n + 1);
	for (unsigned i = 0; i < TERN_HIST_BUCKETS; i++)
		if (late->count[i] != before.count[i]) {
			changed++;
			bucket = i;
		}
	CHECK_EQ(changed, 1);
	CHECK(tern_hist_bucket_low(bucket) <= p.at[0] - t0 - ms_cycles(20));
	tern_timer_free(t);
}

static void
test_periodic_and_cancel(void)
{
	struct probe p = { 0 };
	struct tern_timer *t = new_timer(&p);
	uint64_t t0 = rte_get_timer_cycles();
	uint64_t n, frozen;

	CHECK_EQ(tern_timer_arm(t, 0, 10 * MS, 10 * MS), 0);
	sleep_ms(305);
	n = count_of(&p);
	printf("periodic 10 ms over 305 ms: %" PRIu64 " expiries\n", n);
	CHECK(n >= 20 && n <= 31);
	for (unsigned i = 0; i < RTE_DIM(p.at); i++)	/* i-th due at (i+1) periods */
		CHECK(p.at[i] - t0 >= ms_cycles(10) * (i + 1));
	CHECK_EQ(tern_timer_cancel(t), 0);
	frozen = count_of(&p);
	sleep_ms(50);
	CHECK_EQ(count_of(&p), frozen);
	tern_timer_free(t);
}

/* On worker 1 (the main lcore, run by hand): the first expiry after the
 * delay, run 5 ms late on purpose; then one every period from there. A
 * period taken wrongly (the delay again, or the period less the lateness)
 * changes the count by half or double. */
static void
test_delay_then_period(void)
{
	struct probe p = { 0 };
	struct tern_timer *t = new_timer(&p);
	uint64_t t0 = rte_get_timer_cycles();
	uint64_t end, n;

	CHECK_EQ(tern_timer_arm(t, 1, 30 * MS, 10 * MS), 0);
	sleep_ms(20);
	CHECK_EQ(run_main(), 0);			/* not before the delay */
	while (rte_get_timer_cycles() - t0 < ms_cycles(35))
		sleep_ms(1);
	CHECK_EQ(run_main(), 1);
	CHECK(p.at[0] - t0 >= ms_cycles(30));
	end = p.at[0] + ms_cycles(200);
	while (rte_get_timer_cycles() < end) {
		run_main();
		usleep(200);
	}
	n = count_of(&p);
	printf("delay 30 ms then period 10 ms, over 200 ms after the first: %" PRIu64
	       " expiries\n", n);
	CHECK(n >= 17 && n <= 21);
	CHECK(p.at[15] - p.at[0] >= ms_cycles(150) - ms_cycles(1) / 2);
	tern_timer_free(t);
	sleep_ms(20);
	CHECK_EQ(run_main(), 0);			/* freed: stopped */
	CHECK_EQ(count_of(&p), n);
}

static void
test_rearm_from_callback(void)
{
	struct probe p = { .rearm_left = 5, .rearm_ns = 2 * MS, .rearm_ret = 1 };
	struct tern_timer *t = new_timer(&p);

	CHECK_EQ(tern_timer_arm(t, 0, 2 * MS, 0), 0);
	CHECK_EQ(wait_count(&p, 6, 2000), 6);
	sleep_ms(30);
	CHECK_EQ(count_of(&p), 6);
	CHECK_EQ(p.rearm_ret, 0);
	tern_timer_free(t);
}

/* A callback running on the worker's lcore: arm and cancel from here are
 * refused, timer_new from there is refused, free waits for it. */
static void
test_busy_and_worker_lcore(void)
{
	struct probe p = { .hold = true, .try_new = true, .new_errno = -1 };
	struct tern_timer *t = new_timer(&p);

	CHECK_EQ(tern_timer_arm(t, 0, MS, 0), 0);
	for (unsigned i = 0; i < 2000 && !p.in_cb; i++)
		sleep_ms(1);
	CHECK(p.in_cb);
	CHECK_EQ(tern_timer_arm(t, 0, MS, 0), -EBUSY);
	CHECK_EQ(tern_timer_cancel(t), -EBUSY);
	CHECK_EQ(p.new_errno, EPERM);
	p.hold = false;
	for (unsigned i = 0; i < 2000 && !p.done; i++)
		sleep_ms(1);
	CHECK_EQ(tern_timer_cancel(t), 0);

	/* Free while the callback spins 50 ms: free returns after it ended. */
	p.in_cb = p.done = false;
	p.try_new = false;
	p.spin_cycles = ms_cycles(50);
	CHECK_EQ(tern_timer_arm(t, 0, MS, 0), 0);
	while (!p.in_cb)
		rte_pause();
	tern_timer_free(t);
	CHECK(p.done);
}

/* Non-EAL threads (LCORE_ID_ANY) may create and arm timers. */
static void *
pthread_arm(void *arg)
{
	struct probe *p = arg;
	struct tern_timer *t = tern_timer_new(&app, probe_cb, p);

	p->new_errno = t == NULL ? errno : 0;
	if (t != NULL)
		p->rearm_ret = tern_timer_arm(t, 0, MS, 0);
	if (tern_timers_next_ns() != UINT64_MAX)
		p->rearm_ret = -1000;
	return t;
}

static void
test_from_pthread(void)
{
	struct probe p = { .new_errno = -1, .rearm_ret = 1 };
	pthread_t th;
	void *t = NULL;

	CHECK_EQ(pthread_create(&th, NULL, pthread_arm, &p), 0);
	pthread_join(th, &t);
	CHECK_EQ(p.new_errno, 0);
	CHECK_EQ(p.rearm_ret, 0);
	CHECK_EQ(wait_count(&p, 1, 1000), 1);
	tern_timer_free(t);
}

/* Worker 1 is the main lcore: timers fire only when the test runs them. */
static void
test_next_ns_and_lateness(void)
{
	struct tern_timer_stats *s = &workers[1].timer_stats;
	struct probe p = { 0 };
	struct tern_timer *t = new_timer(&p);
	uint64_t next, fired0 = s->fired;

	CHECK_EQ(tern_timers_next_ns(), UINT64_MAX);
	CHECK_EQ(tern_timer_arm(t, 1, 200 * MS, 0), 0);
	next = tern_timers_next_ns();
	CHECK(next > 150 * MS && next <= 200 * MS);
	CHECK_EQ(run_main(), 0);			/* not due yet */
	sleep_ms(230);
	CHECK_EQ(tern_timers_next_ns(), 0);		/* overdue */
	CHECK_EQ(count_of(&p), 0);			/* nobody ran it */
	CHECK_EQ(run_main(), 1);
	CHECK_EQ(count_of(&p), 1);
	CHECK_EQ(p.lcore, rte_get_main_lcore());
	CHECK_EQ(tern_timers_next_ns(), UINT64_MAX);
	CHECK_EQ(s->fired, fired0 + 1);
	/* It was run about 30 ms late: the histogram's max says so. */
	CHECK(s->late.max >= ms_cycles(25));
	CHECK(s->late.max < ms_cycles(2000));
	tern_timer_free(t);
}

static void
test_retire_and_cancel_all(void)
{
	struct probe pp = { 0 }, pr = { .rearm_left = INT_MAX, .rearm_ns = MS }, pm = { 0 };
	struct tern_timer *periodic = new_timer(&pp);
	struct tern_timer *self_rearm = new_timer(&pr);
	struct tern_timer *on_main = new_timer(&pm);
	uint64_t np, nr, nm;

	CHECK_EQ(tern_timer_arm(periodic, 0, MS, MS), 0);
	CHECK_EQ(tern_timer_arm(self_rearm, 0, MS, 0), 0);
	CHECK_EQ(tern_timer_arm(on_main, 1, MS, MS), 0);
	CHECK(wait_count(&pp, 3, 2000) >= 3);
	CHECK(wait_count(&pr, 3, 2000) >= 3);
	sleep_ms(2);
	CHECK(run_main() >= 1);				/* several due: rte_timer catches up */
	CHECK(count_of(&pm) >= 1);

	tern_timers_retire(&app);
	CHECK_EQ(tern_timer_arm(periodic, 0, MS, MS), -ESHUTDOWN);
	/* The "grace period": until the self-arming callback has run once more
	 * and been refused. */
	for (unsigned i = 0; i < 2000 && __atomic_load_n(&pr.rearm_ret, __ATOMIC_ACQUIRE) !=
	     -ESHUTDOWN; i++)
		sleep_ms(1);
	CHECK_EQ(pr.rearm_ret, -ESHUTDOWN);
	tern_timers_cancel_all(&app);
	np = count_of(&pp);
	nr = count_of(&pr);
	nm = count_of(&pm);
	sleep_ms(50);
	CHECK_EQ(run_main(), 0);
	CHECK_EQ(count_of(&pp), np);			/* nothing fires after */
	CHECK_EQ(count_of(&pr), nr);
	CHECK_EQ(count_of(&pm), nm);
	CHECK_EQ(tern_timers_next_ns(), UINT64_MAX);
	CHECK(app.timers != NULL);			/* cancelled, not freed */

	/* What fini does (one), then what the engine does after (the rest). */
	tern_timer_free(periodic);
	tern_timers_free_all(&app);
	CHECK(app.timers == NULL);
	__atomic_store_n(&app.dying, false, __ATOMIC_RELEASE);
}

/* app replace pauses the old instance's timers: a due timer does not call
 * the app while paused, and fires after the pause ends; a periodic one
 * keeps its period. (Worker 1: the test runs its timers by hand.) */
static void
test_pause(void)
{
	struct probe po = { 0 }, pp = { 0 };
	struct tern_timer *once = new_timer(&po), *periodic = new_timer(&pp);

	CHECK_EQ(tern_timer_arm(once, 1, MS, 0), 0);
	CHECK_EQ(tern_timer_arm(periodic, 1, MS, MS), 0);
	tern_timers_pause(&app, true);
	sleep_ms(5);
	CHECK_EQ(run_main(), 0);			/* due, but the app is paused */
	sleep_ms(1);
	CHECK_EQ(run_main(), 0);			/* postponed, still paused */
	CHECK_EQ(count_of(&po), 0);
	CHECK_EQ(count_of(&pp), 0);
	tern_timers_pause(&app, false);
	sleep_ms(1);
	CHECK_EQ(run_main(), 2);			/* both, once the pause is over */
	CHECK_EQ(count_of(&po), 1);
	CHECK_EQ(count_of(&pp), 1);
	sleep_ms(3);
	CHECK(run_main() >= 1);				/* the periodic one goes on */
	CHECK(count_of(&pp) >= 2);
	CHECK_EQ(count_of(&po), 1);
	tern_timer_free(once);
	tern_timer_free(periodic);
}

/* Every expiry on worker 0's lcore was counted in worker 0's stats, with
 * its lateness; nothing landed in worker 1's but main-lcore expiries. */
static void
test_stats(void)
{
	const struct tern_timer_stats *s0 = &workers[0].timer_stats;
	const struct tern_timer_stats *s1 = &workers[1].timer_stats;
	struct tern_hist_summary sum;
	struct tern_hist copy;

	CHECK(s0->fired > 0);
	CHECK_EQ(s0->fired, __atomic_load_n(&loop_fired, __ATOMIC_RELAXED));
	CHECK_EQ(s0->late.n, s0->fired);
	CHECK_EQ(s1->fired, main_fired);
	CHECK_EQ(s1->late.n, s1->fired);
	CHECK_EQ(workers[0].other, 0);
	CHECK_EQ(workers[1].other, 0);
	memset(&copy, 0, sizeof(copy));
	tern_hist_merge(&copy, &s0->late);
	tern_hist_summarize(&copy, &sum);
	printf("worker 0 (busy-polling lcore): %" PRIu64 " expiries, lateness p50 %" PRIu64
	       " ns, p99 %" PRIu64 " ns, max %" PRIu64 " ns\n", sum.n,
	       tern_hist_cycles_to_ns(sum.p50, rte_get_timer_hz()),
	       tern_hist_cycles_to_ns(sum.p99, rte_get_timer_hz()),
	       tern_hist_cycles_to_ns(sum.max, rte_get_timer_hz()));
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { argv[0], "-l", "0,1", "--no-huge", "-m", "128", "--no-pci",
			"--log-level", "error", "--no-shconf", "--file-prefix", prefix };
	char runtime_dir[PATH_MAX];
	unsigned lcores[2];
	struct tern_err err;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "tern-timer-%d", getpid());
	if (rte_eal_init(RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "test_app_timer: EAL init failed\n");
		return 1;
	}
	remote_lcore = rte_get_next_lcore(-1, 1, 0);
	if (remote_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "test_app_timer: needs two lcores\n");
		return 1;
	}
	CHECK_EQ(tern_timers_init(&err), 0);
	CHECK_EQ(tern_timers_init(&err), 0);		/* twice is fine */
	lcores[0] = remote_lcore;
	lcores[1] = rte_get_main_lcore();
	tern_timers_set_workers(lcores, &workers[0].timer_stats, sizeof(workers[0]), 2);
	CHECK_EQ(rte_eal_remote_launch(worker_loop, NULL, remote_lcore), 0);

	test_bad_arguments();
	test_one_shot();
	test_periodic_and_cancel();
	test_delay_then_period();
	test_rearm_from_callback();
	test_busy_and_worker_lcore();
	test_from_pthread();
	test_next_ns_and_lateness();
	test_retire_and_cancel_all();

	loop_stop = true;
	rte_eal_wait_lcore(remote_lcore);
	test_pause();
	test_stats();

	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	CHECK_EQ(eal_runtime_dir_remove(runtime_dir), 0);
	return check_done("test_app_timer");
}
