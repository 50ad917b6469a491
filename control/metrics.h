/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * `show metrics`: the engine's counters, gauges and latency histograms in
 * the Prometheus text exposition format, version 0.0.4, for scrapers and
 * node_exporter's textfile collector (docs/observability.md, "Prometheus").
 *
 * Every family has `# HELP` and `# TYPE`, names start with `tern_`, counters
 * end in `_total`, times are in seconds. Counters are the workers' own
 * (since start): `clear stats` does not reset them, as for telemetry.
 *
 * Control thread only (it reads the apps, which belong to it).
 */
#ifndef TERN_METRICS_H
#define TERN_METRICS_H

#include <stdint.h>

#include "engine.h"
#include "latency_hist.h"
#include "out.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Write every metric of e into o (text ending in '\n'). Control thread. */
void tern_metrics_write(struct tern_out *o, const struct tern_engine *e);

/**
 * One histogram sample set of a family already announced: name_bucket with
 * cumulative counts at fixed bounds in seconds (a tern_hist bucket counts
 * at the first bound its high end does not exceed) and +Inf, name_sum
 * (bucket midpoints: within 1/64 of the true sum) and name_count.
 * @param labels  label pairs as `k="v",k="v"` (escaped), or "" for none
 * @param h       a private copy (merge a live one first), TSC cycles
 * @param hz      the TSC rate (cycles per second), not 0
 */
void tern_metrics_hist(struct tern_out *o, const char *name, const char *labels,
		       const struct tern_hist *h, uint64_t hz);

#ifdef __cplusplus
}
#endif

#endif /* TERN_METRICS_H */
