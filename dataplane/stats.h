/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Counters: one array per worker and port, indexed by enum tern_ctr. Each
 * worker writes only its own (single writer, no atomics needed beyond a
 * relaxed store); the control thread sums them on read.
 */
#ifndef TERN_STATS_H
#define TERN_STATS_H

#include <stdint.h>

#include <rte_common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_MAX_PORTS 8

/** Counter ids. Every way a packet can be dropped has one. */
enum tern_ctr {
	TERN_CTR_RX = 0,            /**< frames received */
	TERN_CTR_TX,                /**< frames sent (taken by the TX queue) */
	TERN_CTR_DROP_MALFORMED,    /**< truncated or inconsistent headers */
	TERN_CTR_DROP_NOT_FOR_US,   /**< another MAC or IP, ARP for another address */
	TERN_CTR_DROP_NO_HANDLER,   /**< UDP to a port no app is bound to */
	TERN_CTR_DROP_BAD_CKSUM,    /**< IPv4 header, UDP, ICMP or ICMPv6 checksum wrong */
	TERN_CTR_DROP_TX_FULL,      /**< the TX queue did not take it */
	TERN_CTR_DROP_UNSUPPORTED,  /**< valid but not handled: TCP, fragments, other ICMP types, multi-segment */
	TERN_CTR_DROP_APP,          /**< an app's verdict was DROP */
	TERN_CTR_DROP_BAD_VERDICT,  /**< an app's verdict or reply length was invalid */
	TERN_CTR_MAX
};

/** Counter names for output ("rx", "drop_malformed", ...). */
extern const char *const tern_ctr_names[TERN_CTR_MAX];

/** One worker's counters, on its own cache lines. */
struct tern_worker_stats {
	uint64_t c[TERN_MAX_PORTS][TERN_CTR_MAX];
} __rte_cache_aligned;

/** Add n to counter ctr of port on this worker. Fast path; single writer. */
static inline void
tern_ctr_add(struct tern_worker_stats *s, uint16_t port, enum tern_ctr ctr,
	     uint64_t n)
{
	__atomic_store_n(&s->c[port][ctr], s->c[port][ctr] + n, __ATOMIC_RELAXED);
}

/** Read a counter from another thread. */
static inline uint64_t
tern_ctr_read(const struct tern_worker_stats *s, uint16_t port, enum tern_ctr ctr)
{
	return __atomic_load_n(&s->c[port][ctr], __ATOMIC_RELAXED);
}

#ifdef __cplusplus
}
#endif

#endif /* TERN_STATS_H */
