/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The handler table: which app instance serves which UDP port.
 *
 * RCU rule: a published table is never modified. The control thread builds a
 * new one (clone + bind/unbind), publishes it with tern_rcu_replace() and the
 * old one is freed after a grace period. Workers get the current table with
 * rcu_dereference once per burst and use it until their next quiescent state.
 */
#ifndef TERN_HANDLER_TABLE_H
#define TERN_HANDLER_TABLE_H

#include <stdint.h>

#include <tern/app.h>

#include "err.h"
#include "rate_limit.h"

#ifdef __cplusplus
extern "C" {
#endif

/** App instances that can be bound at once. Slot 0 means "no handler". */
#define TERN_MAX_APPS 64

struct tern_app_instance;

/** What a worker needs to call an app. */
struct tern_handler {
	tern_app_burst_fn burst;             /**< NULL for an empty slot */
	void *state;
	tern_app_msg_fn msg;                 /**< on_message, may be NULL */
	uint32_t budget;                     /**< requests per worker loop, 0 = unlimited */
	const struct tern_app_instance *app; /**< for names in output; control side */
	uint32_t max_amp;                    /**< reply IP length <= max_amp x request's; 0 = unlimited */
	struct tern_rl_conf rl;              /**< per-source limit; rate 0 = none */
	struct tern_rl_table *const *rl_tables; /**< per worker, when rl.rate != 0 */
};

struct tern_handler_table {
	uint64_t generation;                      /**< bumped on every change */
	struct tern_handler h[TERN_MAX_APPS + 1]; /**< h[0] unused */
	uint8_t udp[65536];                       /**< slot per UDP port, 0 = unbound */
};

/** The handler for UDP port, or NULL. Fast path; t from rcu_dereference. */
static inline const struct tern_handler *
tern_handler_lookup_udp(const struct tern_handler_table *t, uint16_t port)
{
	uint8_t s = t->udp[port];

	return s != 0 ? &t->h[s] : NULL;
}

/** A private copy of old (or an empty table if old is NULL), generation+1.
 *  Control thread. NULL on allocation failure. Free with free(). */
struct tern_handler_table *tern_handler_table_clone(const struct tern_handler_table *old);

/**
 * Bind UDP port to slot in an unpublished table t, setting the slot's handler.
 * @return 0; -EINVAL if slot is 0 or > TERN_MAX_APPS or burst is NULL;
 * -EBUSY (with err) if port is bound to another slot.
 */
int tern_handler_table_bind_udp(struct tern_handler_table *t, uint16_t port,
				uint8_t slot, const struct tern_handler *h,
				struct tern_err *err);

/** Unbind UDP port in an unpublished table t. -ENOENT (with err) if unbound.
 *  A slot left with no port keeps its handler until tern_handler_table_clear_slot. */
int tern_handler_table_unbind_udp(struct tern_handler_table *t, uint16_t port,
				  struct tern_err *err);

/** Number of UDP ports bound to slot. */
unsigned tern_handler_table_slot_ports(const struct tern_handler_table *t, uint8_t slot);

/**
 * Give every UDP port bound to slot from to slot to, whose handler becomes h,
 * and forget from's handler, in an unpublished table: what `app replace`
 * publishes, so each port switches from the old app to the new one at once.
 * -EINVAL for bad slots or a NULL burst.
 */
int tern_handler_table_move_slot(struct tern_handler_table *t, uint8_t from, uint8_t to,
				 const struct tern_handler *h, struct tern_err *err);

/** Forget slot's handler and unbind all its ports, in an unpublished table. */
void tern_handler_table_clear_slot(struct tern_handler_table *t, uint8_t slot);

#ifdef __cplusplus
}
#endif

#endif /* TERN_HANDLER_TABLE_H */
