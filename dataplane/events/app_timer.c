/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * App timers on rte_timer. Each struct tern_timer embeds an rte_timer whose
 * callback is a trampoline: it counts the expiry and its lateness in the
 * stats of the worker it runs on, then calls the app's function.
 *
 * rte_timer's own PERIODICAL type uses one interval for the first expiry
 * and the period; for a first delay that differs from the period, the timer
 * is armed once for the delay and the trampoline re-arms it, before calling
 * the app, as periodic with the period (t->then_ticks) from that moment.
 *
 * Arming stops the timer first: stopping fails (-EBUSY) while the callback
 * runs on another lcore, so the fields arming writes are never read by a
 * trampoline at the same time. rte_timer allows a callback to stop or re-arm
 * its own timer on its own lcore.
 *
 * Module state (the worker/lcore map, the stats) is written by the control
 * thread before any timer is armed and only read afterwards. Lateness is in
 * rte_get_timer_cycles() units, which is the TSC in DPDK's default build.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_per_lcore.h>
#include <rte_timer.h>

#include "app_timer.h"

#define SECOND_NS UINT64_C(1000000000)
/* Longest delay or period in timer cycles: far beyond any real use (about
 * 48 years at 3 GHz), and expire = now + ticks can never wrap. */
#define TIMER_TICKS_MAX (UINT64_C(1) << 62)
#define NO_WORKER UINT16_MAX
/* A timer due while its instance is paused tries again after this. */
#define PAUSE_RETRY_NS 100000u

struct tern_timer {
	struct rte_timer tim;            /**< armed on the worker's lcore */
	struct tern_timer_owner *app;   /**< owner; its list holds us */
	tern_timer_fn fn;                /**< the app's callback */
	void *arg;                       /**< fn's argument */
	unsigned worker;                 /**< worker it was last armed for */
	uint64_t then_ticks;             /**< after the first expiry, re-arm
					  *   periodic with this (0: nothing) */
	struct tern_timer *next;         /**< app->timers list */
	struct tern_timer *prev;
};

static unsigned n_timer_workers;
static unsigned worker_lcore[RTE_MAX_LCORE];   /**< worker index -> lcore */
static uint16_t lcore_worker1[RTE_MAX_LCORE];  /**< lcore -> worker index + 1; 0: none */
static char *stats_base;                       /**< worker 0's stats, or NULL */
static size_t stats_stride;
static uint64_t timer_hz;                      /**< rte_get_timer_hz(), cached */

/* Callbacks run by this lcore's current tern_timers_run. */
static RTE_DEFINE_PER_LCORE(unsigned, fired_now);

int
tern_timers_init(struct tern_err *err)
{
	int ret = rte_timer_subsystem_init();

	if (ret != 0 && ret != -EALREADY)
		return tern_err_set(err, -ret, "timers: cannot initialise DPDK's timer library: %s",
				    rte_strerror(-ret));
	timer_hz = rte_get_timer_hz();
	return 0;
}

void
tern_timers_set_workers(const unsigned *lcores, struct tern_timer_stats *stats,
			size_t stride, unsigned n)
{
	memset(lcore_worker1, 0, sizeof(lcore_worker1));
	n = RTE_MIN(n, (unsigned)RTE_MAX_LCORE);
	for (unsigned w = 0; w < n; w++) {
		worker_lcore[w] = lcores[w];
		if (lcores[w] < RTE_MAX_LCORE)
			lcore_worker1[lcores[w]] = (uint16_t)(w + 1);
	}
	stats_base = (char *)stats;
	stats_stride = stride;
	n_timer_workers = n;
}

/* The stats of the worker running on the calling lcore, or NULL. */
static struct tern_timer_stats *
this_worker_stats(void)
{
	unsigned lcore = rte_lcore_id();
	unsigned w1;

	if (stats_base == NULL || lcore >= RTE_MAX_LCORE)
		return NULL;
	w1 = lcore_worker1[lcore];
	if (w1 == 0)
		return NULL;
	return (struct tern_timer_stats *)(stats_base + (size_t)(w1 - 1) * stats_stride);
}

static inline uint64_t
ns_to_ticks(uint64_t ns)
{
	/* Rounded up, so a timer never fires before its delay. */
	unsigned __int128 t = ((unsigned __int128)ns * timer_hz + SECOND_NS - 1) / SECOND_NS;

	return t > TIMER_TICKS_MAX ? TIMER_TICKS_MAX : (uint64_t)t;
}

static inline uint64_t
ticks_to_ns(uint64_t ticks)
{
	unsigned __int128 ns;

	if (timer_hz == 0)
		return UINT64_MAX;
	ns = (unsigned __int128)ticks * SECOND_NS / timer_hz;
	return ns >= UINT64_MAX ? UINT64_MAX - 1 : (uint64_t)ns;
}

static bool
app_dying(const struct tern_timer_owner *app)
{
	return __atomic_load_n(&app->dying, __ATOMIC_ACQUIRE);
}

/* Count one expiry and its lateness for the worker on this lcore. */
static inline void
account(const struct rte_timer *tim)
{
	struct tern_timer_stats *s = this_worker_stats();
	uint64_t now = rte_get_timer_cycles();
	uint64_t late = now > tim->expire ? now - tim->expire : 0;

	RTE_PER_LCORE(fired_now)++;
	if (s == NULL)
		return;
	__atomic_store_n(&s->fired, s->fired + 1, __ATOMIC_RELAXED);
	tern_hist_add(&s->late, late, 1);
}

static void timer_trampoline(struct rte_timer *tim, void *arg);

static bool
app_paused(const struct tern_timer_owner *app)
{
	return __atomic_load_n(&app->paused, __ATOMIC_ACQUIRE);
}

/* The instance is being swapped out (its state exported): do not run the
 * app; fire again shortly, then go on with the schedule it had (periodic
 * timers keep their period). No expiry is lost, only delayed. */
static void
postpone(struct rte_timer *tim, struct tern_timer *t)
{
	if (tim->period != 0)
		t->then_ticks = tim->period;
	rte_timer_reset(tim, RTE_MAX(ns_to_ticks(PAUSE_RETRY_NS), (uint64_t)1), SINGLE,
			rte_lcore_id(), timer_trampoline, t);
}

/* First expiry of a timer whose period differs from its first delay:
 * periodic from now on. rte_timer takes one interval for both the first
 * expiry and the period, so the schedule counts from this expiry (shifted by
 * its lateness, once) rather than from when it was due. */
static void
rearm_periodic(struct rte_timer *tim, struct tern_timer *t, uint64_t period)
{
	rte_timer_reset(tim, period, PERIODICAL, rte_lcore_id(), timer_trampoline, t);
}

/*
 * rte_timer's callback, on the lcore the timer was armed for. Everything
 * about t is read before fn runs: fn may cancel or re-arm it (rte_timer then
 * leaves it alone after the callback).
 */
static void
timer_trampoline(struct rte_timer *tim, void *arg)
{
	struct tern_timer *t = arg;
	uint64_t then = t->then_ticks;

	if (unlikely(app_paused(t->app))) {
		postpone(tim, t);
		return;
	}
	account(tim);
	if (then != 0) {
		t->then_ticks = 0;
		if (!app_dying(t->app))
			rearm_periodic(tim, t, then);	/* fn may still re-arm or cancel */
	}
	t->fn(t, t->arg);
}

/* Control thread, or a non-EAL thread (tests): not a worker's lcore. */
static bool
on_control_thread(void)
{
	unsigned lcore = rte_lcore_id();

	return lcore == LCORE_ID_ANY || lcore == rte_get_main_lcore();
}

static void
list_add(struct tern_timer_owner *app, struct tern_timer *t)
{
	t->prev = NULL;
	t->next = app->timers;
	if (app->timers != NULL)
		app->timers->prev = t;
	app->timers = t;
}

static void
list_del(struct tern_timer *t)
{
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		t->app->timers = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

struct tern_timer *
tern_timer_new(struct tern_timer_owner *app, tern_timer_fn fn, void *arg)
{
	struct tern_timer *t;

	if (app == NULL || fn == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (!on_control_thread()) {
		errno = EPERM;
		return NULL;
	}
	t = rte_zmalloc("tern_timer", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rte_timer_init(&t->tim);
	t->app = app;
	t->fn = fn;
	t->arg = arg;
	t->worker = NO_WORKER;
	list_add(app, t);
	return t;
}

int
tern_timer_arm(struct tern_timer *t, unsigned worker, uint64_t delay_ns, uint64_t period_ns)
{
	uint64_t delay, period;
	int ret;

	if (t == NULL || worker >= n_timer_workers)
		return -EINVAL;
	if (app_dying(t->app))
		return -ESHUTDOWN;
	if (rte_timer_stop(&t->tim) != 0)
		return -EBUSY;
	delay = ns_to_ticks(delay_ns);
	period = period_ns != 0 ? RTE_MAX(ns_to_ticks(period_ns), (uint64_t)1) : 0;
	t->worker = worker;
	if (period != 0 && period == delay) {
		t->then_ticks = 0;
		ret = rte_timer_reset(&t->tim, period, PERIODICAL, worker_lcore[worker],
				      timer_trampoline, t);
	} else {
		t->then_ticks = period;
		ret = rte_timer_reset(&t->tim, delay, SINGLE, worker_lcore[worker],
				      timer_trampoline, t);
	}
	return ret == 0 ? 0 : -EBUSY;
}

int
tern_timer_cancel(struct tern_timer *t)
{
	if (t == NULL)
		return -EINVAL;
	return rte_timer_stop(&t->tim) == 0 ? 0 : -EBUSY;
}

void
tern_timer_free(struct tern_timer *t)
{
	if (t == NULL)
		return;
	rte_timer_stop_sync(&t->tim);
	list_del(t);
	rte_free(t);
}

unsigned
tern_timers_run(unsigned worker)
{
	RTE_SET_USED(worker);	/* the lcore says which worker's stats count */
	if (unlikely(rte_lcore_id() >= RTE_MAX_LCORE))
		return 0;
	RTE_PER_LCORE(fired_now) = 0;
	rte_timer_manage();
	return RTE_PER_LCORE(fired_now);
}

uint64_t
tern_timers_next_ns(void)
{
	int64_t left;

	/* rte_timer_next_ticks indexes its per-lcore table unchecked. */
	if (rte_lcore_id() >= RTE_MAX_LCORE)
		return UINT64_MAX;
	left = rte_timer_next_ticks();
	if (left < 0)
		return UINT64_MAX;	/* -ENOENT: none armed; -EINVAL: no subsystem */
	return ticks_to_ns((uint64_t)left);
}

void
tern_timers_retire(struct tern_timer_owner *app)
{
	__atomic_store_n(&app->dying, true, __ATOMIC_RELEASE);
}

void
tern_timers_pause(struct tern_timer_owner *app, bool paused)
{
	__atomic_store_n(&app->paused, paused, __ATOMIC_RELEASE);
}

void
tern_timers_cancel_all(struct tern_timer_owner *app)
{
	for (struct tern_timer *t = app->timers; t != NULL; t = t->next)
		rte_timer_stop_sync(&t->tim);
}

void
tern_timers_free_all(struct tern_timer_owner *app)
{
	while (app->timers != NULL)
		tern_timer_free(app->timers);
}
