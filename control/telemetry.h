/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ternd's commands on DPDK's telemetry socket
 * (/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2), for dpdk-telemetry.py
 * and any other telemetry client:
 *
 *   /tern/stats         counters per port ("port0", ...) and "total"
 *   /tern/stats/lcores  counters per worker ("lcore1", ...)
 *   /tern/latency       in-engine latency per worker ("lcore1", ...) and
 *                       "total": count, p50_ns, p90_ns, p99_ns, p999_ns,
 *                       p9999_ns, max_ns
 *   /tern/info          tern and DPDK versions, workers, ports
 *
 * The callbacks run on DPDK's telemetry thread, concurrently with the
 * workers and the control thread. They read only what is safe to read from
 * there: the per-worker counters and latency histograms (single writer,
 * relaxed loads) and what is fixed once the engine is set up (port names,
 * worker lcores). They never touch the apps or the bindings, which belong to
 * the control thread.
 *
 * The callbacks find the engine through one file-static pointer, so only one
 * engine per process can be attached at a time.
 */
#ifndef TERN_TELEMETRY_H
#define TERN_TELEMETRY_H

#include "engine.h"
#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Attach engine e to the /tern/... telemetry commands, registering them with
 * DPDK the first time. Call after tern_engine_init (the counters exist from
 * then on) and after rte_eal_init. Control thread; does not block.
 *
 * @return 0; -EBUSY if another engine is attached (one per process);
 * -errno from rte_telemetry_register_cmd, with err set.
 */
int tern_telemetry_register(struct tern_engine *e, struct tern_err *err);

/**
 * Detach the engine: the commands answer null from now on. Waits for a
 * callback that is running to finish, so the engine may be closed as soon
 * as this returns. Call before tern_engine_close. Idempotent. Control
 * thread.
 */
void tern_telemetry_unregister(void);

#ifdef __cplusplus
}
#endif

#endif /* TERN_TELEMETRY_H */
