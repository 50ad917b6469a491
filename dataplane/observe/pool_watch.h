/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Watch of the mbuf pool's occupancy. The engine itself never allocates an
 * mbuf: the drivers do, to receive. When the pool runs dry they cannot, and
 * what arrives is dropped by the driver (dev_rx_nombuf) or the kernel
 * (dev_rx_missed). This watch tells the user that it happened, how often and
 * for how long: the control thread samples the pool every tick, and an
 * "exhaustion" is a run of samples with fewer mbufs available than the
 * workers need for their next receive bursts. Pure bookkeeping, no DPDK
 * calls: one caller (the control thread) feeds it samples; readers on other
 * threads may see a sample torn between fields, never a crash.
 */
#ifndef TERN_POOL_WATCH_H
#define TERN_POOL_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tern_pool_watch {
	unsigned size;             /**< mbufs in the pool */
	unsigned low_mark;         /**< fewer available than this = exhausted */
	unsigned available;        /**< at the last sample */
	unsigned min_available;    /**< lowest sample since start */
	uint64_t exhaustions;      /**< runs of exhausted samples */
	uint64_t exhausted_ns;     /**< time spent exhausted, ended runs and the current one */
	uint64_t since_ns;         /**< start of the current run */
	uint64_t last_ns;          /**< time of the last sample */
	bool exhausted;            /**< the last sample was exhausted */
};

/** What a sample changed. */
enum tern_pool_event {
	TERN_POOL_STEADY = 0,      /**< no change */
	TERN_POOL_EXHAUSTED,       /**< a run of exhausted samples starts */
	TERN_POOL_RECOVERED,       /**< it ended */
};

/**
 * Start watching a pool of size mbufs; exhausted when fewer than low_mark
 * (clamped to 1..size) are available. now_ns: a monotonic clock.
 */
void tern_pool_watch_init(struct tern_pool_watch *pw, unsigned size, unsigned low_mark,
			  uint64_t now_ns);

/** Record that available mbufs were free at now_ns (monotonic, not before the last). */
enum tern_pool_event tern_pool_watch_sample(struct tern_pool_watch *pw, unsigned available,
					    uint64_t now_ns);

/**
 * Start counting again (`clear stats`): no exhaustion and no time exhausted
 * so far, the low-water mark at the last sample. An exhaustion in progress
 * counts as one, its time from now on.
 */
void tern_pool_watch_clear(struct tern_pool_watch *pw);

#ifdef __cplusplus
}
#endif

#endif /* TERN_POOL_WATCH_H */
