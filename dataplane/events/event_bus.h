/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The event bus: one lock-free inbound ring per worker (multi-producer,
 * single-consumer rte_ring of fixed 64-byte events). Any thread may post to
 * any worker; only the worker itself drains its ring, once per loop. A full
 * ring refuses the post (the caller counts it); nothing blocks. Events from
 * one sender to one receiver arrive in the order they were posted.
 *
 * Ownership: an event carrying an mbuf (PKT, STEER, TX) hands the mbuf to the
 * ring on a successful post and to the draining worker after; on a refused
 * post the caller still owns it.
 * A worker going to sleep does it on its doorbell (wake.h, tern_bus_sleep):
 * every successful post rings it, so a post wakes a sleeping worker.
 */
#ifndef TERN_EVENT_BUS_H
#define TERN_EVENT_BUS_H

#include <stdint.h>

#include <tern/app.h>

#include "err.h"
#include "wake.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rte_ring;
struct rte_mbuf;

#define TERN_BUS_RING_DEFAULT 4096

enum tern_ev_kind {
	TERN_EV_MSG = 1,  /**< a message for app `slot`'s on_message */
	TERN_EV_PKT,      /**< a request handed off (verdict HANDOFF) for app `slot` */
	TERN_EV_STEER,    /**< a frame steered here by a single-queue port's receiver */
	TERN_EV_TX,       /**< a finished frame to send on `port` (this worker owns its TX queue) */
};

/** One event: 64 bytes, one cache line. */
struct tern_event {
	uint8_t kind;            /**< enum tern_ev_kind */
	uint8_t slot;            /**< app slot (MSG, PKT) */
	uint16_t port;           /**< DPDK port (PKT, STEER, TX) */
	uint32_t pad;
	union {
		struct rte_mbuf *m;  /**< PKT, STEER, TX */
		struct tern_msg msg; /**< MSG */
	};
};

#ifdef __cplusplus
static_assert(sizeof(struct tern_event) == 64, "one event, one cache line");
#else
_Static_assert(sizeof(struct tern_event) == 64, "one event, one cache line");
#endif

struct tern_bus {
	unsigned n_workers;
	struct rte_ring **ring;  /**< one per worker */
	struct tern_wake *wake;  /**< one doorbell per worker */
};

/**
 * Create n_workers rings of ring_size events (a power of two; 0 = default;
 * a ring holds ring_size - 1) named after name_prefix. Control thread. 0 or
 * -errno with err set. A producer preempted in the middle of a post makes
 * other producers to the same ring wait for it (rte_ring's MP mode); the
 * workers are not preempted, the control thread posts rarely.
 */
int tern_bus_create(struct tern_bus *b, const char *name_prefix, unsigned n_workers,
		    unsigned ring_size, struct tern_err *err);

/** Free the rings (and any mbufs still in them). Control thread, workers stopped. */
void tern_bus_free(struct tern_bus *b);

/** Post one event to worker. 0, -ENOBUFS if its ring is full, -EINVAL bad worker. */
int tern_bus_post(struct tern_bus *b, unsigned worker, const struct tern_event *ev);

/** Post n events to worker, all in order; returns how many were taken (a
 *  prefix of evs). Any thread. */
unsigned tern_bus_post_burst(struct tern_bus *b, unsigned worker,
			     const struct tern_event *evs, unsigned n);

/** Take up to max events from worker's ring, oldest first. That worker only. */
unsigned tern_bus_drain(struct tern_bus *b, unsigned worker, struct tern_event *evs,
			unsigned max);

/** Events waiting in worker's ring (approximate). Any thread. */
unsigned tern_bus_pending(const struct tern_bus *b, unsigned worker);

/**
 * Sleep up to ns unless an event waits for worker, or until one is posted
 * or a frame arrives on one of its doorbell's RX descriptors. Returns what
 * ended it: TERN_WAKE_RUNG (1) for a post (or one was waiting: no sleep),
 * TERN_WAKE_RX, or TERN_WAKE_TIMEOUT (0). That worker only, RCU-offline.
 */
enum tern_wake_cause tern_bus_sleep(struct tern_bus *b, unsigned worker, uint64_t ns);

#ifdef __cplusplus
}
#endif

#endif /* TERN_EVENT_BUS_H */
