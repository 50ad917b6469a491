/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-instance counters and in-engine latency, one block per worker: what
 * `show apps`, `show latency apps|interval` and a canary's judgement read.
 * Each block is written by its worker only (relaxed stores) and read by
 * the control thread; the blocks live and die with the instance.
 *
 * Latency of a request, per instance: from its arrival (RX burst) to the end
 * of its app's call, less the time other app calls of the same burst took,
 * so that one instance's service time is not charged to another's.
 */
#ifndef TERN_APP_STATS_H
#define TERN_APP_STATS_H

#include <stdint.h>

#include <rte_common.h>

#include "latency_hist.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tern_app_wstats {
	uint64_t requests;       /**< requests the app's udp_burst saw */
	uint64_t replies;        /**< verdict REPLY */
	uint64_t drops;          /**< verdict DROP */
	uint64_t bad;            /**< invalid verdict or reply length */
	uint64_t held;           /**< requests it served after they were held by a swap */
	uint64_t held_wait_max;  /**< longest such hold, TSC cycles */
	uint64_t log_suppressed; /**< tern_host.log lines not printed (rate, full ring) */
	uint64_t log_reported;   /**< log_suppressed already reported (worker only) */
	uint64_t log_sec;        /**< the second log_n counts (worker only) */
	uint32_t log_n;          /**< lines logged in log_sec (worker only) */
	struct tern_hist lat;    /**< TSC cycles, see the file comment */
} __rte_cache_aligned;

/** Add n to one counter of this worker's block. Fast path; single writer. */
static inline void
tern_app_wstats_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, *ctr + n, __ATOMIC_RELAXED);
}

/** The sums over n_workers blocks, read with relaxed loads. */
struct tern_app_totals {
	uint64_t requests, replies, drops, bad, held, held_wait_max, log_suppressed;
};

void tern_app_totals_read(const struct tern_app_wstats *ws, unsigned n_workers,
			  struct tern_app_totals *out);

/** Merge the latency of every block into out (which is not cleared). */
void tern_app_latency_read(const struct tern_app_wstats *ws, unsigned n_workers,
			   struct tern_hist *out);

#ifdef __cplusplus
}
#endif

#endif /* TERN_APP_STATS_H */
