/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Where the engine's resources go, at start-up: which lcores run workers,
 * how many mbufs the pool needs so that the engine alone can never run it
 * dry, and which worker owns which queue of a port (with software steering
 * for a port with fewer queues than workers). Internal to the engine;
 * control thread, before the workers start.
 */
#ifndef TERN_ENGINE_LAYOUT_H
#define TERN_ENGINE_LAYOUT_H

#include <stdint.h>

#include "err.h"

struct tern_engine;
struct tern_port;

/** The EAL worker lcores become the engine's workers (allocated). */
int tern_engine_find_workers(struct tern_engine *e, struct tern_err *err);

/** The mbuf pool: --mbufs, or enough for every ring, burst, cache, backlog
 *  and event ring full at once, plus spare. */
int tern_engine_create_pool(struct tern_engine *e, uint16_t n_ports, struct tern_err *err);

/** The pool is exhausted when it cannot give every worker two bursts. */
unsigned tern_engine_pool_low_mark(const struct tern_engine *e);

/** Give a started port's queues to their workers (and set up steering). */
void tern_engine_assign_queues(struct tern_engine *e, const struct tern_port *p);

#endif /* TERN_ENGINE_LAYOUT_H */
