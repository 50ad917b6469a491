/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The idle policy of a worker loop (--idle busy|adaptive). busy polls
 * without pause. adaptive decides by time, not by iteration count: for
 * poll_us after the last iteration that found work it polls (with an
 * rte_pause between empty iterations), then it sleeps. A worker whose every
 * RX queue can wake it (rx_wake.h) sleeps until a frame, its next timer or a
 * post arrives; one without sleeps in steps, starting at sleep_min_us and
 * doubling up to sleep_max_us while nothing arrives. The first iteration
 * with work resets it to polling. The loop sleeps RCU-offline, never past
 * its next timer, and an event posted to the worker (event_bus.h) ends its
 * sleep at once.
 *
 * Pure state machine: one struct per worker, touched by that worker only.
 */
#ifndef TERN_IDLE_H
#define TERN_IDLE_H

#include <stdint.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

enum tern_idle_mode {
	TERN_IDLE_BUSY = 0,
	TERN_IDLE_ADAPTIVE,
};

struct tern_idle_conf {
	enum tern_idle_mode mode;
	uint32_t poll_us;        /**< polling after the last work (default 100) */
	uint32_t sleep_min_us;   /**< first sleep step without RX wake-ups (default 10) */
	uint32_t sleep_max_us;   /**< longest sleep step without RX wake-ups (default 200) */
};

enum tern_idle_action {
	TERN_IDLE_POLL = 0,      /**< go on polling at once */
	TERN_IDLE_PAUSE,         /**< rte_pause(), then poll */
	TERN_IDLE_SLEEP,         /**< go offline, sleep *sleep_ns, come back online */
};

struct tern_idle {
	struct tern_idle_conf conf;
	uint64_t poll_cycles;    /**< poll_us in TSC cycles */
	uint64_t last_work;      /**< TSC of the last iteration with work */
	uint32_t sleep_us;       /**< next sleep step */
	uint64_t sleeps;         /**< sleeps taken (for counters) */
	uint64_t slept_ns;       /**< total asked-for sleep */
};

/** Defaults for mode (see the fields). */
void tern_idle_conf_default(struct tern_idle_conf *c, enum tern_idle_mode mode);

/**
 * Parse "busy", "adaptive" or "adaptive:KEY=N[,KEY=N...]" with keys
 * poll_us, sleep_min_us, sleep_max_us. 0, or -EINVAL with err set
 * saying what was wrong.
 */
int tern_idle_parse(const char *s, struct tern_idle_conf *c, struct tern_err *err);

/** "busy" or "adaptive". */
const char *tern_idle_mode_name(enum tern_idle_mode mode);

/** Start polling at TSC now; tsc_hz converts poll_us. */
void tern_idle_init(struct tern_idle *s, const struct tern_idle_conf *c, uint64_t now,
		    uint64_t tsc_hz);

/**
 * After one loop iteration that did `work` units (packets, events, timers),
 * at TSC now: what to do before the next. For TERN_IDLE_SLEEP, *sleep_ns is
 * the step without RX wake-ups (the caller shortens it to its next timer,
 * or sleeps until woken when it can be). Worker lcore, fast path.
 */
enum tern_idle_action tern_idle_step(struct tern_idle *s, unsigned work, uint64_t now,
				     uint64_t *sleep_ns);

#ifdef __cplusplus
}
#endif

#endif /* TERN_IDLE_H */
