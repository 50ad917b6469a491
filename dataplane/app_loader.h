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

#include "err.h"
#include "rate_limit.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_APP_NAME_MAX 32
#define TERN_APP_ARGS_MAX 256
#define TERN_APP_MAX_KV 16

struct tern_app_instance {
	char name[TERN_APP_NAME_MAX];   /**< instance name from `app load` */
	char path[PATH_MAX];            /**< the shared object */
	char args[TERN_APP_ARGS_MAX];   /**< "k=v k=v" as given */
	void *dl;                       /**< dlopen handle */
	const struct tern_app_descriptor *desc;
	void *state;                    /**< from desc->init */
	uint8_t slot;                   /**< handler-table slot, set by the engine */
	uint32_t budget;                /**< requests per worker loop, 0 = no limit (engine) */
	uint32_t max_amp;               /**< reply/request IP length factor, 0 = no limit (engine) */
	struct tern_rl_conf rl;         /**< per-source rate limit, rate 0 = none (engine) */
	struct tern_rl_table **rl_tables; /**< one per worker when rl.rate != 0; freed with the instance */
	unsigned n_rl_tables;
	struct tern_timer *timers;      /**< the instance's timers (app_timer.c) */
	bool dying;                     /**< being unloaded: timer arming refused */
};

/**
 * Open path, check its descriptor, and run init with the key=value strings
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

#ifdef __cplusplus
}
#endif

#endif /* TERN_APP_LOADER_H */
