/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The `show VIEW [json]` answers (stats, apps, bindings, ports, lcores,
 * latency, events, canary, memory, trust, version, flow), each a list of rows written
 * through emit.h; docs/commands.md shows each. Control thread only.
 */
#ifndef TERN_SHOW_VIEWS_H
#define TERN_SHOW_VIEWS_H

#include "emit.h"
#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Write view name of e into em. 0, or -ENOENT for an unknown view. */
int tern_show_view(struct emit *em, const struct tern_engine *e, const char *name);

/** show flow: the queue, worker and lcore flow f lands on, per port. */
void tern_show_flow(struct emit *em, const struct tern_engine *e, const struct tern_rss_flow *f);

/** show latency: per worker and total, cumulative. */
void tern_show_latency(struct emit *em, const struct tern_engine *e);

#ifdef __cplusplus
}
#endif

#endif /* TERN_SHOW_VIEWS_H */
