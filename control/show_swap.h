/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Answers about app code and traffic moves: what `app load` and `app
 * replace` did, the per-instance fields of `show apps`, `show canary`, and
 * the per-instance and per-interval latency views (`show latency apps`,
 * `show latency interval`, `clear latency`). Control thread only.
 */
#ifndef TERN_SHOW_SWAP_H
#define TERN_SHOW_SWAP_H

#include "emit.h"
#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One line: what `app load` (replace false) or `app replace` of name did. */
void tern_show_swap_report(struct tern_out *o, bool replace, const char *name,
			   const struct tern_swap_report *r);

/** show apps: the instance's image (hash, build-id, load time) and the
 *  engine's counters for it (requests, verdicts, held, longest hold). */
void tern_show_app_image_fields(struct emit *em, const struct tern_app_instance *app);

/** show canary: every canary record, running or ended. */
void tern_show_canary(struct emit *em, const struct tern_engine *e);

/** show latency apps: each instance's in-engine latency since it loaded. */
void tern_show_latency_apps(struct emit *em, const struct tern_engine *e);

/** show latency interval: per worker (total) and per instance, since the
 *  last interval reading or clear; starts the next interval. */
void tern_show_latency_interval(struct emit *em, struct tern_engine *e);

/** clear latency: start a new interval now. 0 or -ENOMEM. */
int tern_latency_clear(struct tern_engine *e);

#ifdef __cplusplus
}
#endif

#endif /* TERN_SHOW_SWAP_H */
