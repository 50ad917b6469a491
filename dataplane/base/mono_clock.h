/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The monotonic clock in nanoseconds (CLOCK_MONOTONIC), for timing control
 * work and for apps (tern_host.now_ns). Any thread; a vDSO call, no system
 * call.
 */
#ifndef TERN_MONO_CLOCK_H
#define TERN_MONO_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
tern_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* TERN_MONO_CLOCK_H */
