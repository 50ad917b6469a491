/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * No _LGPL_SOURCE here: this is the control path, so calling liburcu's
 * exported functions costs nothing that matters and keeps us on its ABI.
 */
#include <urcu-qsbr.h>

#include "rcu_publish.h"

void
tern_rcu_replace(void **slot, void *new_obj, void (*free_old)(void *))
{
	void *old;

	/*
	 * Publish: the exchange has a full barrier before the store, so a
	 * worker that loads new_obj with rcu_dereference also sees every
	 * write the control thread made while building it.
	 */
	old = rcu_xchg_pointer(slot, new_obj);

	/*
	 * Workers may still be using old: each one got it from
	 * rcu_dereference and keeps it until its next quiescent state. Wait
	 * until every registered online thread has passed one; after that no
	 * worker can hold a reference to old.
	 */
	synchronize_rcu();

	/* Now nobody can see old: it is safe to free. */
	if (old != NULL && free_old != NULL)
		free_old(old);
}

void
tern_rcu_wait(void)
{
	/*
	 * Wait for a grace period: every worker has passed a quiescent state,
	 * so nothing it read from a table unpublished before this call is
	 * still in use (e.g. before an app's fini runs).
	 */
	synchronize_rcu();
}
