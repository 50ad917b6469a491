/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * `show memory`: what ternd holds, by owner — the process's resident set,
 * the C heap in use, DPDK's heap, the mbufs out of the pool and the app
 * libraries still mapped after their instances ended. Tests compare these
 * before and after a load to show that nothing accumulates. Control thread
 * only.
 */
#ifndef TERN_SHOW_MEMORY_H
#define TERN_SHOW_MEMORY_H

#include "emit.h"
#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** show memory: one row of fields (see docs/commands.md). */
void tern_show_memory(struct emit *em, const struct tern_engine *e);

#ifdef __cplusplus
}
#endif

#endif /* TERN_SHOW_MEMORY_H */
