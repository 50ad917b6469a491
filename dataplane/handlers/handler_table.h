/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The handler table: which app instance serves which UDP port.
 *
 * RCU rule: a published table is never modified. The control thread builds a
 * new one (clone + bind/unbind), publishes it with tern_rcu_replace() and the
 * old one is freed after a grace period. Workers get the current table with
 * rcu_dereference once per loop iteration and use it until their next
 * quiescent state.
 */
#ifndef TERN_HANDLER_TABLE_H
#define TERN_HANDLER_TABLE_H

#include <stdint.h>

#include <tern/app.h>

#include "app_stats.h"
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
	struct tern_app_wstats *ws;          /**< the instance's counters, one block per worker */
	uint8_t hold;                        /**< being replaced: its requests wait in the
					      *   backlog, its messages on the bus */
};

/** Ports with a canary at once. */
#define TERN_MAX_CANARIES 8

/** A canary: PERCENT of the flows to UDP port go to slot (the rest to the
 *  port's own slot), chosen by a hash of the sender's address and port. */
struct tern_canary_route {
	uint16_t port;
	uint8_t slot;
	uint8_t percent;                     /**< 1..99 */
};

struct tern_handler_table {
	uint64_t generation;                      /**< bumped on every change */
	uint32_t n_canary;                        /**< canary[0..n_canary) in use */
	struct tern_canary_route canary[TERN_MAX_CANARIES];
	struct tern_handler h[TERN_MAX_APPS + 1]; /**< h[0] unused */
	uint8_t udp[65536];                       /**< slot per UDP port, 0 = unbound */
};

/** The handler for UDP port, or NULL, ignoring canaries. t from rcu_dereference. */
static inline const struct tern_handler *
tern_handler_lookup_udp(const struct tern_handler_table *t, uint16_t port)
{
	uint8_t s = t->udp[port];

	return s != 0 ? &t->h[s] : NULL;
}

/**
 * Which of 100 canary buckets a flow from (src, sport) falls in: a CRC32 of
 * the sender's address and port, scaled to 0..99. A flow stays in its bucket.
 * family 4 (src: 4 bytes) or 6 (16 bytes), network order.
 */
uint32_t tern_canary_bucket(const uint8_t *src, uint8_t family, uint16_t sport);

/** The slot that serves a request to UDP port from (src, sport), given the
 *  port's own slot: the canary's when the flow's bucket is below PERCENT. */
static inline uint8_t
tern_handler_canary_slot(const struct tern_handler_table *t, uint16_t port, uint8_t slot,
			 const uint8_t *src, uint8_t family, uint16_t sport)
{
	for (uint32_t i = 0; i < t->n_canary; i++)
		if (t->canary[i].port == port)
			return tern_canary_bucket(src, family, sport) < t->canary[i].percent ?
			       t->canary[i].slot : slot;
	return slot;
}

/** The canary route of port in t, or NULL. */
const struct tern_canary_route *tern_handler_table_canary(const struct tern_handler_table *t,
							   uint16_t port);

/** Add (or change) port's canary route in an unpublished table. -ENOSPC if
 *  TERN_MAX_CANARIES are in use. */
int tern_handler_table_canary_set(struct tern_handler_table *t, uint16_t port, uint8_t slot,
				  uint8_t percent, struct tern_err *err);

/** Remove port's canary route from an unpublished table (if any). */
void tern_handler_table_canary_clear(struct tern_handler_table *t, uint16_t port);

/** A private copy of old (or an empty table if old is NULL), generation+1.
 *  Control thread. NULL on allocation failure. Free with free(). */
struct tern_handler_table *tern_handler_table_clone(const struct tern_handler_table *old);

/**
 * Bind UDP port to slot in an unpublished table t, setting the slot's handler.
 * @return 0; -EINVAL if slot is 0 or > TERN_MAX_APPS or burst is NULL;
 * -EBUSY (with err) if port is bound to another slot (the engine names the
 * app that holds it).
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
