/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Loading app shared objects: dlopen, find and check the descriptor, run
 * init; and the reverse. Control thread only. Whoever calls
 * tern_app_instance_destroy must first make sure no worker can still reach
 * the instance (it is in no published handler table and a grace period passed).
 */
#ifndef TERN_APP_LOADER_H
#define TERN_APP_LOADER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <tern/app.h>

#include "app_image.h"
#include "app_stats.h"
#include "err.h"
#include "rate_limit.h"
#include "app_timer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_APP_NAME_MAX 32
#define TERN_APP_ARGS_MAX 256
#define TERN_APP_MAX_KV 16

struct tern_app_instance {
	char name[TERN_APP_NAME_MAX];   /**< instance name from `app load` */
	char path[PATH_MAX];            /**< the shared object it was copied from */
	char args[TERN_APP_ARGS_MAX];   /**< "k=v k=v" as given */
	struct tern_app_image img;      /**< the private copy that is loaded */
	void *dl;                       /**< dlopen handle of img */
	const struct tern_app_descriptor *desc;
	void *state;                    /**< from desc->init */
	uint64_t load_ns;               /**< copying and dlopen took */
	uint64_t init_ns;               /**< init took */
	uint8_t slot;                   /**< handler-table slot, set by the engine */
	uint64_t id;                    /**< unique in the process, set by the engine */
	uint32_t budget;                /**< requests per worker loop, 0 = no limit (engine) */
	uint32_t max_amp;               /**< reply/request IP length factor, 0 = no limit (engine) */
	struct tern_rl_conf rl;         /**< per-source rate limit, rate 0 = none (engine) */
	struct tern_rl_table **rl_tables; /**< one per worker when rl.rate != 0; freed with the instance */
	unsigned n_rl_tables;
	struct tern_app_wstats *ws;     /**< one block per worker (n_ws); freed with the instance */
	unsigned n_ws;
	struct tern_hist *lat_base;     /**< `show latency interval`'s last reading (control) */
	struct tern_timer_owner timers; /**< its timers, dying, paused (app_timer.h) */
	struct tern_later *later;       /**< calls queued by tern_host.later, oldest first */
};

/** Queue fn(arg) for app, to run on the control thread at the engine's next
 *  tick (tern_host.later). Control thread. 0, or -ENOMEM. */
int tern_app_later(struct tern_app_instance *app, void (*fn)(void *arg), void *arg);

/** Run app's queued calls, oldest first, and forget them. Control thread;
 *  also done before fini when the instance is destroyed. */
void tern_app_run_later(struct tern_app_instance *app);

/**
 * Copy path into a private sealed image (app_image.h), load that, check its
 * descriptor, and run init with the key=value strings
 * in kv (n_kv of them, each "key=value"; a string without '=' is an error).
 * @return the instance (free with tern_app_instance_destroy), or NULL with
 * errno set and err saying which: file missing or not a shared object
 * (dlerror text), no `tern_app_descriptor` symbol, wrong ABI version or size,
 * missing init/udp_burst, name too long, bad argument, init's own message.
 */
struct tern_app_instance *tern_app_instance_create(const char *name, const char *path,
						   unsigned n_kv, char *const *kv,
						   unsigned n_workers,
						   const struct tern_host *host,
						   struct tern_err *err);

/** Run fini and dlclose. See the file comment for when this is safe. */
void tern_app_instance_destroy(struct tern_app_instance *app);

/**
 * Run fini and free the instance, but keep its code loaded until
 * tern_app_unload_deferred: unmapping a library makes the kernel flush the
 * TLBs of every core running this process, workers included, which shows in
 * their tail latency. The engine does it at a quiet moment (or at exit).
 */
void tern_app_instance_destroy_keep_code(struct tern_app_instance *app);

/** dlclose the code of destroyed instances (all, or those destroyed more
 *  than min_age_ns ago). Returns how many were unloaded. Control thread. */
unsigned tern_app_unload_deferred(uint64_t min_age_ns);

/** Libraries destroyed instances left loaded (tern_app_unload_deferred). */
unsigned tern_app_deferred_count(void);

#ifdef __cplusplus
}
#endif

#endif /* TERN_APP_LOADER_H */
