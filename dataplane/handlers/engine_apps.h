/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the engine's control-side modules (engine_apps.c, canary.c) share:
 * building a handler and publishing a handler table. Control thread only;
 * not for workers or apps.
 */
#ifndef TERN_ENGINE_APPS_H
#define TERN_ENGINE_APPS_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a worker needs to run app (its handler-table entry). */
struct tern_handler tern_engine_handler_of(const struct tern_app_instance *app);

/** Publish t as the handler table; the old one is freed after a grace
 *  period (this blocks until then). */
void tern_engine_publish_handlers(struct tern_engine *e, struct tern_handler_table *t);

#ifdef __cplusplus
}
#endif

#endif /* TERN_ENGINE_APPS_H */
