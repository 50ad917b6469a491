/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's address and trust tables, edited from the control side: each
 * edit builds a new table and publishes it through RCU; the old one is freed
 * after a grace period (rcu_publish.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "engine.h"
#include "engine_addrs.h"
#include "rcu_publish.h"

int
tern_engine_ip_add(struct tern_engine *e, const struct tern_addr *a, struct tern_err *err)
{
	struct tern_addr_table *t;

	if (a->port_id >= TERN_MAX_PORTS || e->ports[a->port_id].nb_queues == 0)
		return tern_err_set(err, ENODEV, "no port %u (see show ports; ids 0-%u)", a->port_id,
				    TERN_MAX_PORTS - 1);
	t = tern_addr_table_with(e->addrs, a, err);
	if (t == NULL)
		return -errno;
	tern_rcu_replace((void **)&e->addrs, t, free);
	return 0;
}

/* Publish a new trust table (NULL: building it failed, err says why). */
static int
trust_publish(struct tern_engine *e, struct tern_trust_table *t)
{
	if (t == NULL)
		return -errno;
	tern_rcu_replace((void **)&e->trust, t, free);
	return 0;
}

int
tern_engine_trust_add(struct tern_engine *e, const struct tern_prefix *p, struct tern_err *err)
{
	return trust_publish(e, tern_trust_with(e->trust, p, err));
}

int
tern_engine_trust_del(struct tern_engine *e, const struct tern_prefix *p, struct tern_err *err)
{
	return trust_publish(e, tern_trust_without(e->trust, p, err));
}

int
tern_engine_trust_local(struct tern_engine *e, bool on, struct tern_err *err)
{
	return trust_publish(e, tern_trust_local(e->trust, on, err));
}
