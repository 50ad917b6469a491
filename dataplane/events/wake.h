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
 */
#ifndef TERN_WAKE_H
#define TERN_WAKE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tern_wake {
	int fd;               /**< eventfd, non-blocking */
	uint32_t asleep;      /**< 1 from prepare until the wait ends */
} __rte_cache_aligned;

/** An eventfd for w. 0, or -errno with err set. Control thread. */
int tern_wake_init(struct tern_wake *w, struct tern_err *err);

/** Close w's eventfd. */
void tern_wake_fini(struct tern_wake *w);

/** The owner is about to sleep: from here posters ring. Owner only. */
void tern_wake_prepare(struct tern_wake *w);

/** The owner found work after tern_wake_prepare: it will not sleep. */
void tern_wake_cancel(struct tern_wake *w);

/**
 * Sleep until rung or ns have passed (the caller is RCU-offline). Returns
 * true if the doorbell ended the sleep, false on the timeout. Owner only.
 */
bool tern_wake_wait(struct tern_wake *w, uint64_t ns);

/** Wake w's owner if it sleeps (after publishing work for it). Any thread. */
void tern_wake_ring(struct tern_wake *w);

#ifdef __cplusplus
}
#endif

#endif /* TERN_WAKE_H */
