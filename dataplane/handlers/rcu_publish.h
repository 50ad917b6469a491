/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Publishing RCU-protected tables (QSBR flavour of liburcu).
 *
 * Writers (the control thread only) publish a fully built object and free the
 * old one after a grace period. Readers (workers) are registered QSBR threads
 * that rcu_dereference the slot and report a quiescent state once per loop.
 * Never call these from a worker: an online QSBR thread waiting for a grace
 * period waits for itself.
 */
#ifndef TERN_RCU_PUBLISH_H
#define TERN_RCU_PUBLISH_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Publish new_obj into *slot, wait for a grace period, then free_old(old)
 * (if old is not NULL and free_old is not NULL). Blocks; control thread.
 */
void tern_rcu_replace(void **slot, void *new_obj, void (*free_old)(void *));

/** Wait until every worker has passed a quiescent state. Control thread. */
void tern_rcu_wait(void);

#ifdef __cplusplus
}
#endif

#endif /* TERN_RCU_PUBLISH_H */
