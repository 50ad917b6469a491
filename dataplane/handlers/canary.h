/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Canaries: PERCENT of a UDP port's flows go to another loaded instance
 * (chosen by flow hash, handler_table.h), the rest to the instance bound to
 * the port, the baseline. Each window the control thread compares the two on
 * the same traffic (the share of requests they drop or answer with an
 * invalid verdict, and their in-engine p99) and rolls the canary back by
 * itself when it is worse than the limits: one RCU publish, all flows to the
 * baseline, logged and counted. Control thread only.
 */
#ifndef TERN_CANARY_H
#define TERN_CANARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "app_loader.h"
#include "err.h"
#include "latency_hist.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_CANARY_DROP_RATIO_DEFAULT 2.0
#define TERN_CANARY_P99_RATIO_DEFAULT 2.0
#define TERN_CANARY_WINDOW_MS_DEFAULT 1000u
/** A p99 over fewer requests is the worst one or two: noise, not a tail. */
#define TERN_CANARY_MIN_REQUESTS_DEFAULT 1000u
/** p99 differences smaller than this never count against a canary: below
 *  it the histogram's resolution and a polling core's noise decide. */
#define TERN_CANARY_P99_FLOOR_NS 5000u

struct tern_canary_limits {
	double max_drop_ratio;   /**< canary's failure share / baseline's, at most */
	double max_p99_ratio;    /**< canary's p99 / baseline's, at most */
	uint32_t window_ms;      /**< how often the two are compared */
	uint32_t min_requests;   /**< each side needs this many in a window to be judged */
};

/** One side's figures over a window. */
struct tern_canary_side {
	uint64_t requests;       /**< requests its app saw */
	uint64_t failed;         /**< dropped (verdict DROP) or invalid verdict */
	uint64_t p99_ns;         /**< in-engine p99 (app_stats.h) */
};

enum tern_canary_verdict {
	TERN_CANARY_WAIT = 0,    /**< too few requests yet */
	TERN_CANARY_OK,
	TERN_CANARY_ROLLBACK,
};

/**
 * Judge one window. Failure shares are compared with one failure added to
 * each side ((failed + 1) / (requests + 1)), so a baseline with none does
 * not make a single canary failure infinitely worse. On ROLLBACK, why says
 * which limit was passed and by how much.
 */
enum tern_canary_verdict tern_canary_judge(const struct tern_canary_limits *l,
					   const struct tern_canary_side *base,
					   const struct tern_canary_side *can,
					   char *why, size_t why_len);

enum tern_canary_state {
	TERN_CANARY_RUNNING = 0,
	TERN_CANARY_ROLLED_BACK,
	TERN_CANARY_PROMOTED,
	TERN_CANARY_ABORTED,
};

const char *tern_canary_state_name(enum tern_canary_state s);

/** Where one side's window started. */
struct tern_canary_mark {
	uint64_t app_id;                     /**< the instance the marks belong to */
	struct tern_app_totals tot;
	struct tern_hist *lat;               /**< malloc'd */
};

/** A canary's control-side record (running, or how it ended). */
struct tern_canary {
	bool used;
	enum tern_canary_state state;
	uint16_t port;
	uint8_t percent;
	uint8_t base_slot, canary_slot;
	char base_name[TERN_APP_NAME_MAX], canary_name[TERN_APP_NAME_MAX];
	struct tern_canary_limits limits;
	uint64_t started_ns, window_start_ns, ended_ns;
	uint64_t windows;                    /**< windows judged */
	struct tern_canary_side last_base, last_canary; /**< the last window judged */
	struct tern_canary_side total_base, total_canary; /**< since the start */
	struct tern_canary_mark mark_base, mark_canary;
	char why[TERN_ERR_MSG_MAX];          /**< why it ended (rollback reason) */
};

#ifdef __cplusplus
}
#endif

#endif /* TERN_CANARY_H */
