/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * tern_host.log: apps' log lines. On the control thread a line is printed at
 * once; on a worker it is copied into that worker's ring (no system call,
 * no allocation) and the control thread prints it at its next tick. At most
 * TERN_LOG_RATE lines per second per worker and instance; the rest, and
 * lines that find the ring full, are counted (show apps: log_suppressed)
 * and the next line printed says how many were suppressed before it.
 */
#ifndef TERN_APP_LOG_H
#define TERN_APP_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <tern/app.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_LOG_RING 64u               /**< lines a worker can queue */
#define TERN_LOG_NAME_MAX 32u

struct tern_log_line {
	char app[TERN_LOG_NAME_MAX];    /**< the instance's name */
	uint64_t suppressed;            /**< lines of it suppressed since its last one */
	char text[TERN_LOG_MAX];
};

/** One worker's queued lines: single producer (the worker), single consumer
 *  (the control thread); head and tail run freely. */
struct tern_log_ring {
	uint32_t head;                  /**< next to print (control) */
	uint32_t tail;                  /**< next free (worker) */
	struct tern_log_line l[TERN_LOG_RING];
};

struct tern_app_instance;
struct tern_engine;

/** Log one line for app from the calling thread: worker (worker index,
 *  ring: its ring) or control (worker TERN_FROM_CONTROL, ring NULL, out f). */
void tern_app_vlog(struct tern_app_instance *app, unsigned worker, struct tern_log_ring *ring,
		   FILE *f, const char *fmt, va_list ap);

/** Print every queued line of e's workers to f, oldest first per worker.
 *  Control thread. Returns how many. */
unsigned tern_engine_log_drain(struct tern_engine *e, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* TERN_APP_LOG_H */
