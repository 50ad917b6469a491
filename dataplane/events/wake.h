/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A worker's doorbell: an eventfd the worker sleeps on and any thread rings
 * after posting to it, so that a post reaches a sleeping worker at once
 * rather than when its sleep ends. Only a worker that said it is going to
 * sleep is rung: a busy worker's posters make no system call.
 *
 * The worker: tern_wake_prepare, then look for work (its event ring); with
 * work, tern_wake_cancel, else tern_wake_wait. A poster: publish the work,
 * then tern_wake_ring. Both sides order their store before their load with
 * a full fence, so either the worker sees the work or the poster sees the
 * worker asleep (no lost wake-up).
 *
 * The owner may add RX descriptors (a kernel socket that turns readable
 * when a frame waits in its queue, kernel_sockets.h): the wait then also
 * ends when a frame arrives. They are level-triggered, so a frame that
 * came after the owner's last RX poll ends the wait at once.
 */
#ifndef TERN_WAKE_H
#define TERN_WAKE_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_WAKE_MAX_RX_FDS 32

/** What ended a wait. */
enum tern_wake_cause {
	TERN_WAKE_TIMEOUT = 0,  /**< the time asked for passed */
	TERN_WAKE_RUNG = 1,     /**< a poster rang (or work was already there) */
	TERN_WAKE_RX = 2,       /**< a frame arrived on an RX descriptor */
};

struct tern_wake {
	int fd;               /**< eventfd, non-blocking */
	uint32_t asleep;      /**< 1 from prepare until the wait ends */
	uint64_t rung_tsc;    /**< TSC of the last ring that found it asleep */
	/* The owner's only: the eventfd, then its RX descriptors. */
	struct pollfd pfd[1 + TERN_WAKE_MAX_RX_FDS] __rte_cache_aligned;
	unsigned n_rx;
} __rte_cache_aligned;

/** An eventfd for w. 0, or -errno with err set. Control thread. */
int tern_wake_init(struct tern_wake *w, struct tern_err *err);

/** Close w's eventfd. */
void tern_wake_fini(struct tern_wake *w);

/** The owner is about to sleep: from here posters ring. Owner only. */
void tern_wake_prepare(struct tern_wake *w);

/** The owner found work after tern_wake_prepare: it will not sleep. */
void tern_wake_cancel(struct tern_wake *w);

/** Also end waits when fd turns readable (a duplicate is ignored). 0, or
 *  -ENOSPC past TERN_WAKE_MAX_RX_FDS. Owner only, before it sleeps. */
int tern_wake_add_rx_fd(struct tern_wake *w, int fd);

/**
 * Sleep until rung, a frame arrives on an RX descriptor, or ns have passed
 * (the caller is RCU-offline). Returns the cause; a ring counts first.
 * Owner only.
 */
enum tern_wake_cause tern_wake_wait(struct tern_wake *w, uint64_t ns);

/** Wake w's owner if it sleeps (after publishing work for it). Any thread. */
void tern_wake_ring(struct tern_wake *w);

#ifdef __cplusplus
}
#endif

#endif /* TERN_WAKE_H */
