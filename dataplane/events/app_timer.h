/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * App timers, on DPDK's rte_timer: each timer is armed for one worker and
 * fires on that worker's lcore from tern_timers_run, called once per loop.
 * Creating and freeing allocate, so they belong on the control thread (an
 * app's init or fini); arming and cancelling work from any thread.
 *
 * An instance's timers are listed on its struct tern_timer_owner (embedded in
 * the instance) so the engine can cancel them all before its fini:
 * tern_timers_retire marks the owner dying (arming is refused from then on),
 * and after a grace period (no callback of it can still be running
 * un-noticed) tern_timers_cancel_all stops each one. This module knows
 * nothing else of app instances.
 */
#ifndef TERN_APP_TIMER_H
#define TERN_APP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include <tern/app.h>

#include "err.h"
#include "latency_hist.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tern_timer;

/** The timers of one app instance and their state; zeroed when it loads. */
struct tern_timer_owner {
	struct tern_timer *timers; /**< list of the instance's timers */
	bool dying;                /**< being unloaded: arming refused */
	bool paused;               /**< being swapped out: callbacks postponed */
};

/** Per-worker timer accounting; written by that worker only. */
struct tern_timer_stats {
	uint64_t fired;          /**< callbacks run */
	struct tern_hist late;   /**< lateness, TSC cycles past the due time */
};

/** Once per process, after rte_eal_init: rte_timer_subsystem_init. */
int tern_timers_init(struct tern_err *err);

/**
 * Tell the timer module which lcore each worker index runs on, and where
 * each worker's stats live (n entries each). Control thread, before any
 * timer is armed.
 */
void tern_timers_set_workers(const unsigned *worker_lcore, struct tern_timer_stats *stats,
			     size_t stats_stride, unsigned n);

/** A new, unarmed timer of app that calls fn(t, arg). NULL with errno set
 *  (ENOMEM; EPERM when called on a worker lcore). */
struct tern_timer *tern_timer_new(struct tern_timer_owner *app, tern_timer_fn fn, void *arg);

/**
 * (Re)arm t to fire on worker after delay_ns, then every period_ns (0: once).
 * 0; -EINVAL bad worker; -ESHUTDOWN the app is being unloaded; -EBUSY the
 * timer is running on another lcore right now.
 */
int tern_timer_arm(struct tern_timer *t, unsigned worker, uint64_t delay_ns,
		   uint64_t period_ns);

/** Stop t if armed. 0, or -EBUSY if its callback runs on another lcore now. */
int tern_timer_cancel(struct tern_timer *t);

/** Stop (waiting out a running callback on another lcore) and free t. */
void tern_timer_free(struct tern_timer *t);

/** Run the calling worker's due timers (rte_timer_manage); returns how many
 *  fired. Worker lcore, once per loop. */
unsigned tern_timers_run(unsigned worker);

/** Nanoseconds until the calling lcore's next timer is due (0 if overdue),
 *  or UINT64_MAX if none is armed. */
uint64_t tern_timers_next_ns(void);

/** Refuse further arming of app's timers. Control thread. */
void tern_timers_retire(struct tern_timer_owner *app);

/**
 * Postpone (paused) or resume app's timer callbacks: while paused, a due
 * timer of app fires again 100 us later instead of calling the app, and
 * keeps its period. After pausing and a grace period no callback of app is
 * running. Control thread (app replace's exact hand-off).
 */
void tern_timers_pause(struct tern_timer_owner *app, bool paused);

/** Stop every timer of app, waiting for running callbacks. Control thread,
 *  after tern_timers_retire and a grace period. */
void tern_timers_cancel_all(struct tern_timer_owner *app);

/** Stop and free every timer app still has (the ones its fini or a failed
 *  init left behind). Control thread, after tern_timers_retire. */
void tern_timers_free_all(struct tern_timer_owner *app);

#ifdef __cplusplus
}
#endif

#endif /* TERN_APP_TIMER_H */
