/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Saying why replies vanish: for the drops an operator can act on
 * (amplification, rate limit, bad source, too big), a worker queues a note
 * naming the source, the app and the numbers, at most one per reason per
 * second (no system call, no allocation: a small ring in the worker). The
 * control thread prints them at its tick, at most one line per reason per
 * second over all workers, each with how many drops of that reason the
 * counters saw since the reason's previous line. The counters stay exact;
 * the log is the explanation.
 */
#ifndef TERN_DROP_LOG_H
#define TERN_DROP_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The drops that are explained in the log, each with its counter. */
enum tern_dl_reason {
	TERN_DL_AMPLIFICATION,  /**< drop_amplification */
	TERN_DL_RATE_LIMIT,     /**< drop_rate_limit */
	TERN_DL_BAD_SOURCE,     /**< drop_bad_source */
	TERN_DL_TOO_BIG,        /**< drop_too_big */
	TERN_DL_MAX
};

#define TERN_DROPLOG_RING 16u   /**< notes a worker can queue (a power of 2) */
#define TERN_DROPLOG_APP 32u

/** One dropped frame, as the log line describes it. */
struct tern_drop_note {
	uint8_t why;            /**< enum tern_dl_reason */
	uint8_t family;         /**< 4 or 6; 0 if the source is unknown */
	uint16_t port;          /**< DPDK port it came in on */
	uint16_t sport;         /**< UDP ports, 0 if not UDP */
	uint16_t dport;
	uint8_t src[16];
	uint32_t a, b, lim;     /**< amplification: reply and request IP bytes, max_amp;
				 *   rate limit: rate, burst; too big: IP length, MTU */
	char app[TERN_DROPLOG_APP]; /**< the app it was for, "" if none */
};

/** A worker's notes: single producer (the worker), single consumer (control). */
struct tern_droplog {
	uint64_t next_tsc[TERN_DL_MAX]; /**< worker only: earliest time of the next note */
	uint32_t head;                  /**< next to print (control) */
	uint32_t tail;                  /**< next free (worker) */
	struct tern_drop_note n[TERN_DROPLOG_RING];
};

/** The reason logged for a drop counter, or TERN_DL_MAX if none. */
static inline enum tern_dl_reason
tern_dl_reason_of(enum tern_ctr why)
{
	switch (why) {
	case TERN_CTR_DROP_AMPLIFICATION: return TERN_DL_AMPLIFICATION;
	case TERN_CTR_DROP_RATE_LIMIT: return TERN_DL_RATE_LIMIT;
	case TERN_CTR_DROP_BAD_SOURCE: return TERN_DL_BAD_SOURCE;
	case TERN_CTR_DROP_TOO_BIG: return TERN_DL_TOO_BIG;
	default: return TERN_DL_MAX;
	}
}

/** Worker: is a note for reason due at tsc (hz ticks a second)? If so, the
 *  next is due a second later. */
static inline bool
tern_droplog_due(struct tern_droplog *d, enum tern_dl_reason why, uint64_t tsc, uint64_t hz)
{
	if (tsc < d->next_tsc[why])
		return false;
	d->next_tsc[why] = tsc + hz;
	return true;
}

/** Worker: queue a note (dropped silently if the ring is full: the counter
 *  still counts it and the next line says so). */
void tern_droplog_push(struct tern_droplog *d, const struct tern_drop_note *n);

/** Where the control thread keeps what it printed, per reason. */
struct tern_droplog_ctl {
	uint64_t last_ns[TERN_DL_MAX];   /**< when its last line was printed */
	uint64_t counted[TERN_DL_MAX];   /**< its counter then */
};

struct tern_engine;

/** Control thread: print the queued notes of e's workers to f (see the file
 *  comment). Returns the lines printed. */
unsigned tern_engine_droplog_drain(struct tern_engine *e, FILE *f);

/** One note as a line, without the newline: for drain and tests. */
void tern_drop_note_format(const struct tern_drop_note *n, uint64_t others, char *buf,
			   size_t len);

#ifdef __cplusplus
}
#endif

#endif /* TERN_DROP_LOG_H */
