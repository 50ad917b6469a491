/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The engine's side of struct tern_host: the services apps call (worker id,
 * clock, timers, messages). One table per process, bound to the engine that
 * tern_host_bind names; its functions are safe from the control thread and
 * from workers as tern/app.h says.
 */
#ifndef TERN_HOST_H
#define TERN_HOST_H

#include <tern/app.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tern_engine;

/** The table apps get in struct tern_app_init.host. */
extern const struct tern_host tern_host_ops;

/** Bind the table to e (the process's engine). Control thread, at init. */
void tern_host_bind(struct tern_engine *e);

/** Mark the calling thread as worker idx (TERN_FROM_CONTROL to unmark). */
void tern_host_set_worker(unsigned idx);

/** The calling thread's worker index, or TERN_FROM_CONTROL. */
unsigned tern_host_worker(void);

#ifdef __cplusplus
}
#endif

#endif /* TERN_HOST_H */
