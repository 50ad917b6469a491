/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The engine's compile-time limits and defaults, one place for all of them.
 * Constants only: any thread, no state.
 */
#ifndef TERN_ENGINE_LIMITS_H
#define TERN_ENGINE_LIMITS_H

#define TERN_MAX_PORTS 8          /**< DPDK port ids the engine uses: 0..TERN_MAX_PORTS-1 */
#define TERN_BURST_MAX 256        /**< largest RX burst (--burst), sizes per-burst arrays */
#define TERN_MORE_HELD 64         /**< reply_more datagrams of limited requests kept per burst */
#define TERN_BURST_DEFAULT 32     /**< RX burst when --burst is not given */
#define TERN_NB_DESC_DEFAULT 1024 /**< RX and TX descriptors per queue when not configured */

#endif /* TERN_ENGINE_LIMITS_H */
