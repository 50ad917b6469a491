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

#include "engine_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Counter ids. Every way a packet can be dropped has one. */
enum tern_ctr {
	TERN_CTR_RX = 0,            /**< frames received */
	TERN_CTR_TX,                /**< frames sent (taken by the TX queue) */
	TERN_CTR_DROP_MALFORMED,    /**< truncated or inconsistent headers */
	TERN_CTR_DROP_NOT_FOR_US,   /**< another MAC or IP, ARP for another address, unicast IP in a group frame */
	TERN_CTR_DROP_NO_HANDLER,   /**< UDP to a port no app is bound to */
	TERN_CTR_DROP_BAD_CKSUM,    /**< IPv4 header, UDP, ICMP or ICMPv6 checksum wrong */
	TERN_CTR_DROP_TX_FULL,      /**< the TX queue did not take it */
	TERN_CTR_DROP_UNSUPPORTED,  /**< valid but not handled: TCP, fragments, other ICMP types, multi-segment */
	TERN_CTR_DROP_APP,          /**< an app's verdict was DROP */
	TERN_CTR_DROP_BAD_VERDICT,  /**< an app's verdict or reply length was invalid */
	TERN_CTR_DROP_BACKLOG,      /**< a request over its app's budget found the backlog full */
	TERN_CTR_DROP_BUS_FULL,     /**< a hand-off or steered frame found the target's ring full */
	TERN_CTR_DROP_HANDOFF,      /**< HANDOFF of a request already handed off, or to no worker */
	TERN_CTR_DROP_AMPLIFICATION, /**< a reply over max_amplification times its request */
	TERN_CTR_DROP_BAD_SOURCE,   /**< from an address no reply may go to (broadcast, multicast, loopback, ...) */
	TERN_CTR_DROP_RATE_LIMIT,   /**< over its app's per-source rate limit */
	TERN_CTR_DROP_TOO_BIG,      /**< an IP packet longer than the port's MTU */
	TERN_CTR_MAX
};

/** Per-worker event and scheduling counters (not tied to a port). */
enum tern_wctr {
	TERN_WCTR_LOOPS = 0,        /**< loop iterations */
	TERN_WCTR_IDLE_SLEEPS,      /**< sleeps taken under --idle adaptive */
	TERN_WCTR_IDLE_SLEPT_NS,    /**< time spent asleep (measured) */
	TERN_WCTR_BUS_MSGS,         /**< messages delivered to an app's on_message */
	TERN_WCTR_BUS_NO_APP,       /**< messages for an app no longer loaded (dropped) */
	TERN_WCTR_BUS_POST_FULL,    /**< messages this worker posted that were refused (ring full) */
	TERN_WCTR_HANDOFF_OUT,      /**< requests handed to another worker */
	TERN_WCTR_HANDOFF_IN,       /**< requests handed to this worker */
	TERN_WCTR_STEERED_OUT,      /**< frames this receiver steered to other workers */
	TERN_WCTR_STEERED_IN,       /**< frames steered to this worker */
	TERN_WCTR_TX_HANDOFF_OUT,   /**< replies sent through another worker's TX queue */
	TERN_WCTR_TX_HANDOFF_IN,    /**< replies sent for other workers */
	TERN_WCTR_BUDGET_HITS,      /**< loop iterations in which an app reached its budget */
	TERN_WCTR_DEFERRED,         /**< requests left in the backlog for a later iteration */
	TERN_WCTR_PRIO_FLUSH,       /**< protocol replies sent ahead of a burst's app work */
	TERN_WCTR_HELD,             /**< requests held in the backlog while their app was replaced */
	TERN_WCTR_MSG_HELD,         /**< messages kept on the bus while their app was replaced */
	TERN_WCTR_MAX
};

/** Names for output ("loops", "idle_sleeps", ...). */
extern const char *const tern_wctr_names[TERN_WCTR_MAX];

/** Counter names for output ("rx", "drop_malformed", ...). */
extern const char *const tern_ctr_names[TERN_CTR_MAX];

/** One worker's counters, on its own cache lines. */
struct tern_worker_stats {
	uint64_t c[TERN_MAX_PORTS][TERN_CTR_MAX];
} __rte_cache_aligned;

/** One worker's event counters, on their own cache lines. */
struct tern_worker_wstats {
	uint64_t c[TERN_WCTR_MAX];
} __rte_cache_aligned;

/** Add n to event counter ctr of this worker. Fast path; single writer. */
static inline void
tern_wctr_add(struct tern_worker_wstats *s, enum tern_wctr ctr, uint64_t n)
{
	__atomic_store_n(&s->c[ctr], s->c[ctr] + n, __ATOMIC_RELAXED);
}

/** Read an event counter from another thread. */
static inline uint64_t
tern_wctr_read(const struct tern_worker_wstats *s, enum tern_wctr ctr)
{
	return __atomic_load_n(&s->c[ctr], __ATOMIC_RELAXED);
}

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
