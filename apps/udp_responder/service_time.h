/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Synthetic service times: a per-worker xorshift64* generator and
 * exponentially distributed draws. Pure functions, no DPDK; the caller spins
 * for the drawn number of TSC cycles. Not thread-safe per generator: one
 * generator per worker.
 */
#ifndef TERN_SERVICE_TIME_H
#define TERN_SERVICE_TIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** xorshift64* state; never zero once seeded. */
struct svc_rng {
	uint64_t s;
};

/** Seed r from any value (0 included), e.g. the worker index. */
void svc_rng_seed(struct svc_rng *r, uint64_t seed);

/** The next 64 random bits. */
uint64_t svc_rng_next(struct svc_rng *r);

/** A uniform draw in (0, 1]. */
double svc_rng_unit(struct svc_rng *r);

/** An exponentially distributed draw with the given mean (any unit), rounded. */
uint64_t svc_exp_draw(struct svc_rng *r, uint64_t mean);

#ifdef __cplusplus
}
#endif

#endif /* TERN_SERVICE_TIME_H */
