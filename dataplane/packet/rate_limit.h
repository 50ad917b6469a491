/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-source rate limiting: token buckets keyed by the sender's address, so
 * one sender cannot take all of a worker. One table per worker and app
 * instance (no sharing, no atomics): the worker that owns it is its only
 * reader and writer. A fixed number of buckets, chosen by a hash of the
 * address; senders that collide share a bucket (which can only limit them
 * more, never less). Created and freed on the control thread.
 */
#ifndef TERN_RATE_LIMIT_H
#define TERN_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_RL_BUCKETS_DEFAULT 4096

/** A limit: rate tokens (requests) per second per source, bursts up to burst. */
struct tern_rl_conf {
	uint32_t rate;     /**< requests per second per source; 0 = no limit */
	uint32_t burst;    /**< bucket depth (>= 1); 0 = same as rate */
};

/**
 * Parse "RATE" or "RATE/BURST" (decimal; RATE 0 = off, up to 100000000;
 * BURST 1 to 100000000) into c. 0, or -EINVAL with err saying what is wrong
 * and what is accepted.
 */
int tern_rl_parse(const char *s, struct tern_rl_conf *c, struct tern_err *err);

struct tern_rl_table;

/** A table of n_buckets buckets (a power of two; 0 = default), all full.
 *  NULL with errno set (ENOMEM, EINVAL). Control thread. */
struct tern_rl_table *tern_rl_table_create(unsigned n_buckets);

void tern_rl_table_free(struct tern_rl_table *t);

/**
 * May one more request from addr (4 or 16 bytes, network order, by family 4
 * or 6) pass under c at time now (TSC cycles; hz = TSC cycles per second)?
 * Takes a token if so. Fast path: no allocation, no syscall; the owning
 * worker only.
 */
bool tern_rl_allow(struct tern_rl_table *t, const struct tern_rl_conf *c,
		   const uint8_t *addr, uint8_t family, uint64_t now, uint64_t hz);

#ifdef __cplusplus
}
#endif

#endif /* TERN_RATE_LIMIT_H */
