/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * `clear stats`. The engine's counters belong to the workers that write them
 * (one writer each, no reset, no lock), so clearing does not touch them: the
 * control thread takes a reading, and the show views (show stats, show
 * lcores, show events) print the counters minus that reading. The mbuf
 * pool's watch is the control thread's own and is reset in place (telemetry's
 * "pool" reads it too). Telemetry's counters, show ports' device counters
 * and the per-app counters of show apps are not cleared. Control thread
 * only.
 */
#ifndef TERN_STATS_BASE_H
#define TERN_STATS_BASE_H

#include <stdint.h>

#include "engine.h"
#include "latency_hist.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Take the counters now as the new zero. 0 or -ENOMEM (nothing changed). */
int tern_stats_clear(struct tern_engine *e);

/** tern_engine_port_counters since the last clear (out: TERN_CTR_MAX). */
void tern_stats_port(const struct tern_engine *e, uint16_t port, uint64_t *out);

/** tern_engine_worker_counters since the last clear (out: TERN_CTR_MAX). */
void tern_stats_worker(const struct tern_engine *e, unsigned worker, uint64_t *out);

/** tern_engine_worker_events since the last clear (out: TERN_WCTR_MAX). */
void tern_stats_worker_events(const struct tern_engine *e, unsigned worker, uint64_t *out);

/** tern_engine_worker_timers (lateness into out, see clear latency for
 *  that); returns the timers fired since the last clear. */
uint64_t tern_stats_worker_timers(const struct tern_engine *e, unsigned worker,
				  struct tern_hist *out);

#ifdef __cplusplus
}
#endif

#endif /* TERN_STATS_BASE_H */
