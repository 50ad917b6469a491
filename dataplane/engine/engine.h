/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The engine: ports, workers, the RCU-published handler and address tables,
 * and the loaded apps. Everything here but the worker loop runs on the
 * control thread (the EAL main lcore); functions that change the tables
 * publish a new one and wait a grace period, so they block for as long as
 * it takes every worker to finish its current burst.
 */
#ifndef TERN_ENGINE_H
#define TERN_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>

#include <rte_lcore.h>
#include <rte_mempool.h>

#include "addr_table.h"
#include "app_loader.h"
#include "canary.h"
#include "engine_limits.h"
#include "engine_stats.h"
#include "err.h"
#include "event_bus.h"
#include "handler_table.h"
#include "idle.h"
#include "latency_hist.h"
#include "pool_watch.h"
#include "port.h"
#include "rss.h"
#include "drop_log.h"
#include "stats.h"
#include "trust.h"
#include "steer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest reply, as a multiple of its request's IP length, unless the app
 *  is loaded with max_amplification=N (QUIC's anti-amplification factor). */
#define TERN_MAX_AMPLIFICATION_DEFAULT 3
#define TERN_MAX_AMPLIFICATION_MAX 1000000

struct tern_engine_conf {
	uint16_t burst;          /**< RX burst size, 1..TERN_BURST_MAX */
	enum tern_rss_mode rss;
	uint16_t nb_rxd;         /**< 0 = TERN_NB_DESC_DEFAULT */
	uint16_t nb_txd;         /**< 0 = TERN_NB_DESC_DEFAULT */
	unsigned n_mbufs;        /**< 0 = sized from ports and queues */
	const char *app_dir;     /**< where bare app names are looked up; NULL = cwd */
	bool restrict_app_dir;   /**< refuse app paths outside app_dir */
	struct tern_idle_conf idle; /**< --idle; zero = busy */
	enum tern_steer_mode steer; /**< --steer; default auto */
	unsigned bus_ring;       /**< events per worker ring; 0 = TERN_BUS_RING_DEFAULT */
};

/** How `app replace` carries state (handoff=...). */
enum tern_handoff {
	TERN_HANDOFF_EXACT = 0,  /**< hold requests, export when no worker can touch it */
	TERN_HANDOFF_SNAPSHOT,   /**< export while the old instance still serves */
};

/** Whether a replace carried state. */
enum tern_swap_state {
	TERN_SWAP_STATE_CARRIED = 0,
	TERN_SWAP_STATE_OTHER_KIND,  /**< another descriptor name: nothing carried */
	TERN_SWAP_STATE_NO_HOOKS,    /**< export_state or import_state missing */
};

/** The phases of a load or replace, timed. */
enum tern_swap_phase {
	TERN_SWAP_LOAD = 0,      /**< copy the file, hash it, dlopen the copy */
	TERN_SWAP_INIT,          /**< the new instance's init */
	TERN_SWAP_QUIESCE,       /**< publish the hold, wait a grace period */
	TERN_SWAP_EXPORT,        /**< old export_state */
	TERN_SWAP_IMPORT,        /**< new import_state */
	TERN_SWAP_PUBLISH,       /**< publish the new table (and its grace period) */
	TERN_SWAP_GRACE,         /**< the second grace period (timers, held requests run) */
	TERN_SWAP_FINI,          /**< old fini and free (its code unloads later) */
	TERN_SWAP_PHASES
};

/** What the last successful `app load` or `app replace` did. */
struct tern_swap_report {
	char path[PATH_MAX];
	char sha256[65];
	char build_id[41];
	size_t size;
	enum tern_handoff handoff;
	enum tern_swap_state state;
	char old_kind[64], new_kind[64];
	size_t state_bytes;      /**< the exported blob */
	uint64_t held;           /**< requests held during the swap */
	uint64_t hold_ns;        /**< how long the port was held */
	uint64_t held_wait_max_ns; /**< the longest a held request waited (measured) */
	uint64_t phase_ns[TERN_SWAP_PHASES];
	unsigned deferred_unloads; /**< old libraries still mapped (unloaded when quiet) */
};

struct tern_worker;
struct tern_stats_base;

/** Iterate p over the DPDK port ids the engine set up (ids may have gaps). */
#define TERN_ENGINE_FOREACH_PORT(e, p)					\
	for ((p) = 0; (p) < TERN_MAX_PORTS; (p)++)			\
		if ((e)->ports[(p)].nb_queues != 0)

struct tern_engine {
	struct tern_engine_conf conf;
	struct rte_mempool *pool;
	uint16_t n_ports;
	struct tern_port ports[TERN_MAX_PORTS];    /**< indexed by DPDK port id */
	unsigned n_workers;
	unsigned worker_lcore[RTE_MAX_LCORE];      /**< lcore id per worker index */
	struct tern_worker *workers;               /**< n_workers, cache aligned */
	struct tern_handler_table *handlers;       /**< RCU-published */
	struct tern_addr_table *addrs;             /**< RCU-published */
	struct tern_trust_table *trust;            /**< RCU-published (trust.h) */
	struct tern_droplog_ctl droplog;           /**< drop notes printed (drop_log.h); control */
	struct tern_bus bus;                       /**< one inbound event ring per worker */
	struct tern_steer steer[TERN_MAX_PORTS];   /**< per port, used when steered[port] */
	bool steered[TERN_MAX_PORTS];              /**< the port's queues are spread */
	struct tern_app_instance *apps[TERN_MAX_APPS + 1]; /**< by slot; control thread only */
	uint64_t next_app_id;                      /**< last instance id given */
	struct tern_swap_report last_report;       /**< of the last load or replace */
	uint64_t last_change_ns;                   /**< monotonic time of the last load/replace/unload */
	struct tern_canary canaries[TERN_MAX_CANARIES]; /**< control thread only */
	uint64_t canary_rollbacks;                 /**< automatic rollbacks so far */
	struct tern_hist *lat_base;                /**< `show latency interval`'s last reading */
	struct tern_stats_base *stats_base;        /**< `clear stats`' reading (control/stats_base.h) */
	unsigned mbufs_baseline;                   /**< pool in-use count when workers started */
	unsigned mbufs_after_close;                /**< pool in-use count once ports, apps and rings closed */
	struct tern_pool_watch pool_watch;         /**< control thread (tern_engine_watch_pool) */
	bool running;
	volatile bool stop;                        /**< tells workers to leave their loop */
};

/**
 * Set up the engine after rte_eal_init: the mbuf pool, every probed port
 * (tern_port_setup), the worker list (every EAL worker lcore; at least one
 * is required), empty tables. Nothing is started.
 * @return 0, or -errno with err set (no ports, no worker lcore, port set-up).
 */
int tern_engine_init(struct tern_engine *e, const struct tern_engine_conf *c,
		     struct tern_err *err);

/** Start the ports and give their queues to the workers, without launching
 *  the workers (tests drive tern_worker_handle_burst themselves). */
int tern_engine_start_ports(struct tern_engine *e, struct tern_err *err);

/** Start the ports and launch a worker on each worker lcore. */
int tern_engine_start(struct tern_engine *e, struct tern_err *err);

/** Tell the workers to stop and wait for them. Idempotent. */
void tern_engine_stop(struct tern_engine *e);

/** Close the ports, unload every app, free the tables. After stop. */
void tern_engine_close(struct tern_engine *e);

/** Load an app instance (see tern_app_instance_create). -EEXIST for a name in use. */
int tern_engine_app_load(struct tern_engine *e, const char *name, const char *path,
			 unsigned n_kv, char *const *kv, struct tern_err *err);

/**
 * Replace the named instance by a new one from path with args kv (the
 * engine's own handoff=exact|snapshot among them). The new instance is
 * created from a private copy of path, takes the old one's handler slot
 * (every port, canary route and queued message follows) and inherits its
 * state through export/import when both have the hooks and the same
 * descriptor name. Exact (default): the old instance's requests are held
 * while its final state is carried, then run by the new one in order.
 * Snapshot: state exported while the old one serves. e->last_report says
 * what happened. On failure the old instance keeps serving.
 */
int tern_engine_app_replace(struct tern_engine *e, const char *name, const char *path,
			    unsigned n_kv, char *const *kv, struct tern_err *err);

/** Unload an app instance. -ENOENT if unknown, -EBUSY while bound to a port. */
int tern_engine_app_unload(struct tern_engine *e, const char *name, struct tern_err *err);

/** Bind UDP port to the named instance. -ENOENT unknown app, -EBUSY port taken. */
int tern_engine_bind_udp(struct tern_engine *e, uint16_t port, const char *name,
			 struct tern_err *err);

/** Unbind UDP port. -ENOENT if not bound, -EBUSY while it has a canary. */
int tern_engine_unbind_udp(struct tern_engine *e, uint16_t port, struct tern_err *err);

/**
 * Move bound UDP port to the named instance in one publish (blue/green):
 * each request is answered by the old instance or the new one. -ENOENT
 * unknown app or unbound port, -EALREADY bound to it already, -EBUSY while
 * the port has a canary.
 */
int tern_engine_rebind_udp(struct tern_engine *e, uint16_t port, const char *name,
			   struct tern_err *err);

/**
 * Start a canary on bound UDP port: percent (1-99) of its flows go to the
 * named instance, judged against the bound one every window (canary.h).
 * -ENOENT unknown app or unbound port, -EINVAL bad percent or the bound app
 * itself, -EBUSY a canary runs there already, -ENOSPC too many canaries.
 */
int tern_engine_canary_start(struct tern_engine *e, uint16_t port, const char *name,
			     unsigned percent, const struct tern_canary_limits *l,
			     struct tern_err *err);

/** Move port wholly to its canary. -ENOENT if none is running. */
int tern_engine_canary_promote(struct tern_engine *e, uint16_t port, struct tern_err *err);

/** Send all of port's flows back to its baseline. -ENOENT if none is running. */
int tern_engine_canary_abort(struct tern_engine *e, uint16_t port, struct tern_err *err);

/** Judge the running canaries whose window is over; roll back (logging on
 *  log) those worse than their limits. Control thread, every tick. */
void tern_engine_canary_tick(struct tern_engine *e, FILE *log);

/** Free the canaries' records (tern_engine_close). */
void tern_engine_canary_free(struct tern_engine *e);

/** Housekeeping of apps, every tick: unload the code of replaced or
 *  unloaded instances once no app changed for a while (app_loader.h). */
void tern_engine_apps_tick(struct tern_engine *e);

/** Set the named instance's budget: requests per worker loop iteration,
 *  0 = unlimited. Takes effect with a table swap. -ENOENT if unknown. */
int tern_engine_app_budget(struct tern_engine *e, const char *name, uint32_t budget,
			   struct tern_err *err);

/**
 * Post a message (tag 0, from TERN_FROM_CONTROL, len <= TERN_MSG_MAX bytes)
 * to the named app on every worker, ahead of their packets. Returns how many
 * workers took it (a full ring refuses); -ENOENT unknown app, -ENOTSUP the
 * app has no on_message, -EMSGSIZE too long.
 */
int tern_engine_post_all(struct tern_engine *e, const char *name, const void *data,
			 uint16_t len, struct tern_err *err);



/** The worker that serves flow f arriving on port (RSS queue owner, or the
 *  steering choice on a steered port). */
unsigned tern_engine_flow_worker(const struct tern_engine *e, uint16_t port,
				 const struct tern_rss_flow *f);

/** Find a loaded app instance by name, or NULL. Control thread. */
struct tern_app_instance *tern_engine_app_find(const struct tern_engine *e, const char *name);







#ifdef __cplusplus
}
#endif

#endif /* TERN_ENGINE_H */
