/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Reading the engine: its counters summed per port, per worker and in
 * total, event counters, latency and timer histograms, and the mbuf pool's
 * figures. The show views (control/command.c) and telemetry
 * (control/telemetry.c) both read through here, so they compute nothing
 * twice. Any thread unless said otherwise: the workers' counters are read
 * with relaxed loads, single writer each.
 */
#ifndef TERN_ENGINE_STATS_H
#define TERN_ENGINE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "engine_limits.h"
#include "latency_hist.h"
#include "pool_watch.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tern_engine;

/** Worker's event counters (TERN_WCTR_MAX of them) into out. Any thread. */
void tern_engine_worker_events(const struct tern_engine *e, unsigned worker, uint64_t *out);

/** Merge worker's timer lateness histogram into out; returns timers fired. */
uint64_t tern_engine_worker_timers(const struct tern_engine *e, unsigned worker,
				   struct tern_hist *out);

/** Sum of counters over all workers for one port (out has TERN_CTR_MAX entries). */
void tern_engine_port_counters(const struct tern_engine *e, uint16_t port, uint64_t *out);

/** Sum of counters over all ports for one worker. */
void tern_engine_worker_counters(const struct tern_engine *e, unsigned worker, uint64_t *out);

/** Merge worker's in-engine latency histogram (TSC cycles from RX burst to
 *  TX burst) into out. Any thread. */
void tern_engine_worker_latency(const struct tern_engine *e, unsigned worker,
				struct tern_hist *out);

/** Number of RX queues worker polls (after the ports started). */
unsigned tern_engine_worker_queues(const struct tern_engine *e, unsigned worker);

/** mbufs of the pool not in the pool's free list right now. */
unsigned tern_engine_mbufs_in_use(const struct tern_engine *e);

/** Reads one port's counters into out (TERN_CTR_MAX): tern_engine_port_counters,
 *  or a view of it such as control/stats_base.h's since `clear stats`. */
typedef void (*tern_port_ctr_fn)(const struct tern_engine *e, uint16_t port, uint64_t *out);

/** The total over the engine's ports of what read gives (out: TERN_CTR_MAX). */
void tern_engine_ctr_total(const struct tern_engine *e, tern_port_ctr_fn read, uint64_t *out);

/** The mbuf pool's figures, in order, as show stats' "pool:" row and
 *  telemetry's "pool" dict give them: X(ID, name). */
#define TERN_POOL_FIG_LIST(X) \
	X(SIZE, size) \
	X(IN_USE, in_use) \
	X(MIN_AVAILABLE, min_available) \
	X(EXHAUSTIONS, exhaustions) \
	X(EXHAUSTED_MS, exhausted_ms)

#define TERN_POOL_FIG_ENUM_(id, name) TERN_POOL_FIG_##id,
enum tern_pool_fig { TERN_POOL_FIG_LIST(TERN_POOL_FIG_ENUM_) TERN_POOL_FIG_MAX };
#undef TERN_POOL_FIG_ENUM_

extern const char *const tern_pool_fig_names[TERN_POOL_FIG_MAX];

/** The pool's figures now (out: TERN_POOL_FIG_MAX). The control thread
 *  updates the watch each tick; telemetry's thread reads it as it is. */
void tern_engine_pool_figures(const struct tern_engine *e, uint64_t *out);

/**
 * Sample the mbuf pool (control thread, every tick): updates e->pool_watch
 * and, when an exhaustion starts or ends, says so on f with what to do.
 * @return the event (TERN_POOL_EXHAUSTED, TERN_POOL_RECOVERED or STEADY).
 */
enum tern_pool_event tern_engine_watch_pool(struct tern_engine *e, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* TERN_ENGINE_STATS_H */
