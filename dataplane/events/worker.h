/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The worker: a poll-mode, run-to-completion event loop on one lcore. Each
 * iteration, in this order (docs/architecture.md, "The event model"):
 *   1. due timers fire (app timer callbacks);
 *   2. the event bus is drained: messages to apps first, then frames handed
 *      or steered here and replies to send for other workers;
 *   3. requests left over from earlier iterations (the backlog) run;
 *   4. the RX queues are polled; a queue on a port with fewer queues than
 *      workers is spread over all workers (software steering). While the
 *      backlog is full (overload), up to TERN_SHED_BURSTS more bursts are
 *      read per queue, shedding app requests and answering protocol traffic.
 * In every burst, protocol traffic (ARP, ICMP, NDP) is answered and sent
 * before any app runs; each app handles at most its budget of requests per
 * iteration, the rest wait in the backlog (dropped and counted when full).
 * Between iterations the worker reports an RCU quiescent state and, under
 * --idle adaptive, pauses or sleeps offline when there was nothing to do.
 *
 * Ownership: a received mbuf is, at every point, either in the burst being
 * processed, in the backlog, in another worker's event ring, handed to an
 * app that took it (verdict CONSUMED), queued in the worker's TX buffer,
 * given to a TX queue, or freed with its drop counted.
 *
 * RCU: workers are QSBR readers. They rcu_dereference the handler table
 * once per loop iteration (the address table once per burst) and report a
 * quiescent state once per iteration.
 */
#ifndef TERN_WORKER_H
#define TERN_WORKER_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "app_timer.h"
#include "engine.h"
#include "engine_limits.h"
#include "app_log.h"
#include "drop_log.h"
#include "idle.h"
#include "latency_hist.h"
#include "reply.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_BACKLOG 1024        /**< requests a worker keeps for later iterations */
#define TERN_TXQ_NONE 0xffffu    /**< no TX queue of its own on this port */
#define TERN_BUS_DRAIN_MAX 64    /**< events taken from the ring per iteration */
#define TERN_SHED_BURSTS 16      /**< extra RX bursts per queue and iteration while the backlog is full */
/** Frame flag inside the engine (never shown to apps): it comes from the
 *  backlog, so it was already charged to its source's rate limit. */
#define TERN_F_DEFERRED 0x80u
/** Frame flag inside the engine: it waited in the backlog while its app was
 *  being replaced (`app replace`'s exact hand-off). */
#define TERN_F_HELD 0x40u
/** The flags apps see (TERN_REQ_F_*). */
#define TERN_REQ_F_APP_MASK 0x3fu

/** One RX queue a worker polls. */
struct tern_rxq {
	uint16_t port_id;
	uint16_t queue;
	uint8_t steer;           /**< spread over all workers (software steering) */
	uint8_t intr;            /**< asleep, woken by its RX interrupt (armed around sleeps) */
};

/** Replies waiting for the port's TX queue; flushed after every burst. */
struct tern_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[TERN_BURST_MAX];
};

/** A request waiting for a later iteration (its app's budget was spent). */
struct tern_backlog_ent {
	struct rte_mbuf *m;
	uint64_t t_rx;           /**< TSC when it was first received */
	uint16_t port;
	uint8_t flags;           /**< TERN_REQ_F_* */
};

/** FIFO of deferred requests; head and tail run freely (mask on access). */
struct tern_backlog {
	uint32_t head;           /**< next to take */
	uint32_t tail;           /**< next free */
	struct tern_backlog_ent e[TERN_BACKLOG];
};

/** Budget spent by one app slot in the current iteration. */
struct tern_budget_use {
	uint64_t iter;           /**< iteration the count belongs to */
	uint32_t used;
	uint32_t hit;            /**< budget_hits already counted for iter */
};

struct tern_worker {
	struct tern_worker_stats stats;          /**< written by this worker only */
	struct tern_worker_wstats wstats;        /**< written by this worker only */
	struct tern_timer_stats timer_stats;     /**< written by this worker only */
	struct tern_engine *engine;
	/** The handler table of this loop iteration: read once at its start
	 *  (rcu_dereference), so every request of the iteration, backlog and
	 *  new ones alike, sees the same table and a swap keeps their order. */
	const struct tern_handler_table *ht;
	unsigned idx;                            /**< worker index, 0..n_workers-1 */
	unsigned lcore_id;
	unsigned n_rxq;
	struct tern_rxq rxq[TERN_MAX_PORTS];     /**< at most one queue per port */
	uint16_t txq[TERN_MAX_PORTS];            /**< own TX queue per port, or TERN_TXQ_NONE */
	uint16_t tx_owner[TERN_MAX_PORTS];       /**< worker that sends for us when txq is NONE */
	struct tern_reply_port reply_port[TERN_MAX_PORTS]; /**< MAC and TX offloads */
	struct tern_txbuf tx[TERN_MAX_PORTS];
	struct tern_hist latency;                /**< RX burst to TX burst, TSC cycles */
	struct tern_idle idle;
	/** Under --idle adaptive: a frame on any of its RX queues ends its
	 *  sleep (their kernel sockets are on its doorbell), so it sleeps
	 *  until a frame, a post or its next timer, not in steps. */
	bool rx_wake;
	bool rx_intr;                            /**< some of its queues wake by RX interrupt */
	/** Woken late, TSC cycles: past the time asked (timed sleeps), after
	 *  the ring (posts). This worker writes it. */
	struct tern_hist wake_late;
	uint64_t iter;                           /**< loop iterations so far */
	/** Iterations finished (release store at the end of each, with the
	 *  quiescent state): the control thread waits for it to move to know
	 *  that no iteration that began before a publish is still running. */
	uint64_t epoch;
	struct tern_budget_use budget[TERN_MAX_APPS + 1];
	/** The burst whose apps run right now (pipeline.c), for reply_more;
	 *  NULL between app calls. This worker only. */
	void *cur_burst;
	struct tern_log_ring *log;               /**< apps' log lines (app_log.h) */
	struct tern_droplog droplog;             /**< notes on drops (drop_log.h) */
	struct tern_backlog backlog;
} __rte_cache_aligned;

/**
 * Process one received burst from port: every mbuf in pkts ends up sent,
 * queued for TX and flushed, deferred to the backlog, taken by an app,
 * handed to another worker, or freed and counted. Worker lcore (or a test's
 * single thread); the caller must be an RCU reader or the only thread
 * touching the engine.
 */
void tern_worker_handle_burst(struct tern_worker *w, uint16_t port,
			      struct rte_mbuf **pkts, uint16_t n);

/**
 * tern_host.reply_more on this worker: one more reply datagram to request r
 * of the burst whose app is running. 0, -E2BIG, -ENOBUFS or -EINVAL (see
 * <tern/app.h>). Worker lcore, inside an app's udp_burst.
 */
int tern_worker_reply_more(struct tern_worker *w, struct tern_udp_req *r, const void *payload,
			   uint16_t len);

/**
 * tern_host.frame_send on this worker: send m (the app's, from CONSUMED) out
 * m->port through this worker's TX path; the engine owns it after 0.
 * -EINVAL for a port the engine does not have. Worker lcore.
 */
int tern_worker_frame_send(struct tern_worker *w, struct rte_mbuf *m);

/**
 * The same for frames that did not come from this worker's RX queue:
 * deferred, handed off (flags TERN_REQ_F_HANDED_OFF) or steered here.
 * count_rx: count them as received on this worker. t_rx: their arrival.
 */
void tern_worker_handle_frames(struct tern_worker *w, uint16_t port,
			       struct rte_mbuf **pkts, uint16_t n, uint8_t flags,
			       bool count_rx, uint64_t t_rx);

/** Send (or hand to the port's TX owner) what the worker queued for port. */
void tern_worker_flush_tx(struct tern_worker *w, uint16_t port);

/**
 * One loop iteration (timers, bus, backlog, RX; see the file comment),
 * without the quiescent state or idling. Returns the work done (frames,
 * events and timers). Worker lcore, or a test's thread standing in for it.
 */
unsigned tern_worker_poll_once(struct tern_worker *w);

/**
 * Requests waiting in the worker's backlog. The worker is the only writer of
 * head and tail; any thread may call this (the control thread does, for
 * `show events`) and reads them with relaxed loads, head first: from another
 * thread the value is a snapshot, possibly stale by the time it is used.
 */
static inline uint32_t
tern_worker_backlog_len(const struct tern_worker *w)
{
	uint32_t head = __atomic_load_n(&w->backlog.head, __ATOMIC_RELAXED);

	return __atomic_load_n(&w->backlog.tail, __ATOMIC_RELAXED) - head;
}

/** The lcore entry point (for rte_eal_remote_launch); arg is the worker. */
int tern_worker_main(void *arg);

#ifdef __cplusplus
}
#endif

#endif /* TERN_WORKER_H */
