/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The worker: a poll-mode, run-to-completion loop on one lcore. Each loop
 * polls the worker's RX queues; each burst is parsed, classified, answered by
 * the built-in protocols or dispatched to the app bound to its UDP port, and
 * the replies leave by the worker's own TX queue on the port they came in on.
 *
 * Ownership: a received mbuf is, at every point, either in the burst being
 * processed, handed to an app that took it (verdict CONSUMED), queued in the
 * worker's TX buffer, given to the TX queue, or freed with its drop counted.
 *
 * RCU: workers are QSBR readers. They rcu_dereference the handler and address
 * tables once per burst and report a quiescent state once per loop.
 */
#ifndef TERN_WORKER_H
#define TERN_WORKER_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "engine.h"
#include "latency_hist.h"
#include "reply.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One RX queue a worker polls. */
struct tern_rxq {
	uint16_t port_id;
	uint16_t queue;
};

/** Replies waiting for the port's TX queue; flushed after every burst. */
struct tern_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[TERN_BURST_MAX];
};

struct tern_worker {
	struct tern_worker_stats stats;          /**< written by this worker only */
	struct tern_engine *engine;
	unsigned idx;                            /**< worker index, 0..n_workers-1 */
	unsigned lcore_id;
	unsigned n_rxq;
	struct tern_rxq rxq[TERN_MAX_PORTS];     /**< at most one queue per port */
	uint16_t txq[TERN_MAX_PORTS];            /**< own TX queue per polled port */
	struct tern_reply_port reply_port[TERN_MAX_PORTS]; /**< MAC and TX offloads */
	struct tern_txbuf tx[TERN_MAX_PORTS];
	struct tern_hist latency;                /**< RX burst to TX burst, TSC cycles */
} __rte_cache_aligned;

/**
 * Process one received burst from port: every mbuf in pkts ends up sent,
 * queued for TX and flushed, taken by an app, or freed and counted. Worker
 * lcore (or a test's single thread); the caller must be an RCU reader or
 * the only thread touching the engine.
 */
void tern_worker_handle_burst(struct tern_worker *w, uint16_t port,
			      struct rte_mbuf **pkts, uint16_t n);

/** The lcore entry point (for rte_eal_remote_launch); arg is the worker. */
int tern_worker_main(void *arg);

#ifdef __cplusplus
}
#endif

#endif /* TERN_WORKER_H */
