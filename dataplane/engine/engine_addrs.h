/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * tern's addresses and the prefixes trusted for full replies: the tables the
 * packet path checks sources and replies against (addr_table.h, trust.h).
 * Each call publishes a new table through RCU and may wait for a grace
 * period. Control thread only.
 */
#ifndef TERN_ENGINE_ADDRS_H
#define TERN_ENGINE_ADDRS_H

#include <stdbool.h>

#include "addr_table.h"
#include "err.h"
#include "trust.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tern_engine;

/** Add one of tern's addresses. -ENODEV if a->port_id is not a port, -EEXIST. */
int tern_engine_ip_add(struct tern_engine *e, const struct tern_addr *a,
		       struct tern_err *err);

/** Trust a prefix for full replies (trust.h). -EEXIST, -ENOSPC. Control thread. */
int tern_engine_trust_add(struct tern_engine *e, const struct tern_prefix *p,
			  struct tern_err *err);

/** Stop trusting a prefix. -ENOENT if it is not trusted. Control thread. */
int tern_engine_trust_del(struct tern_engine *e, const struct tern_prefix *p,
			  struct tern_err *err);

/** Trust tern's own subnets (the default) or not. Control thread. */
int tern_engine_trust_local(struct tern_engine *e, bool on, struct tern_err *err);

#ifdef __cplusplus
}
#endif

#endif /* TERN_ENGINE_ADDRS_H */
