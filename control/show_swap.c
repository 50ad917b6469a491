/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "show_swap.h"

static const char *const phase_names[TERN_SWAP_PHASES] = {
	[TERN_SWAP_LOAD] = "load",
	[TERN_SWAP_INIT] = "init",
	[TERN_SWAP_QUIESCE] = "quiesce",
	[TERN_SWAP_EXPORT] = "export",
	[TERN_SWAP_IMPORT] = "import",
	[TERN_SWAP_PUBLISH] = "publish",
	[TERN_SWAP_GRACE] = "grace",
	[TERN_SWAP_FINI] = "fini",
};

static uint64_t
us(uint64_t ns)
{
	return (ns + 500) / 1000;
}

static const char *
state_text(const struct tern_swap_report *r)
{
	switch (r->state) {
	case TERN_SWAP_STATE_CARRIED:
		return "carried";
	case TERN_SWAP_STATE_OTHER_KIND:
		return "not carried (another kind of app)";
	case TERN_SWAP_STATE_NO_HOOKS:
		return "not carried (no export_state/import_state)";
	}
	return "?";
}

void
tern_show_swap_report(struct tern_out *o, bool replace, const char *name,
		      const struct tern_swap_report *r)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < TERN_SWAP_PHASES; i++)
		total += r->phase_ns[i];
	tern_out_printf(o, "%s %s: %s sha256=%s%s%s size=%zu", replace ? "replaced" : "loaded",
			name, r->path, r->sha256, r->build_id[0] != '\0' ? " build_id=" : "",
			r->build_id, r->size);
	if (replace) {
		tern_out_printf(o, " handoff=%s state=\"%s\"",
				r->handoff == TERN_HANDOFF_EXACT ? "exact" : "snapshot",
				state_text(r));
		if (r->state == TERN_SWAP_STATE_OTHER_KIND)
			tern_out_printf(o, " kind=%s->%s", r->old_kind, r->new_kind);
		else if (r->state == TERN_SWAP_STATE_CARRIED)
			tern_out_printf(o, " state_bytes=%zu", r->state_bytes);
		if (r->handoff == TERN_HANDOFF_EXACT)
			tern_out_printf(o, " held=%" PRIu64 " hold_us=%" PRIu64
					" held_wait_max_us=%" PRIu64, r->held, us(r->hold_ns),
					us(r->held_wait_max_ns));
	}
	tern_out_printf(o, " total_us=%" PRIu64 " phases_us=", us(total));
	for (unsigned i = 0, n = 0; i < TERN_SWAP_PHASES; i++) {
		if (!replace && i != TERN_SWAP_LOAD && i != TERN_SWAP_INIT && i != TERN_SWAP_PUBLISH)
			continue;
		tern_out_printf(o, "%s%s:%" PRIu64, n++ > 0 ? "," : "", phase_names[i],
				us(r->phase_ns[i]));
	}
	if (replace)
		tern_out_printf(o, " old_code_unload=deferred(%u)", r->deferred_unloads);
	tern_out_printf(o, "\n");
}

void
tern_show_app_image_fields(struct emit *em, const struct tern_app_instance *app)
{
	struct tern_app_totals t;
	char when[32];

	tern_app_image_time(&app->img, when, sizeof(when));
	field_str(em, "sha256", app->img.sha256);
	field_str(em, "build_id", app->img.build_id[0] != '\0' ? app->img.build_id : "none");
	field_u64(em, "size", app->img.size);
	field_str(em, "loaded", when);
	tern_app_totals_read(app->ws, app->n_ws, &t);
	field_u64(em, "seen", t.requests);
	field_u64(em, "replied", t.replies);
	field_u64(em, "dropped", t.drops);
	field_u64(em, "invalid", t.bad);
	field_u64(em, "held", t.held);
	field_u64(em, "held_wait_max_us", us(tern_hist_cycles_to_ns(t.held_wait_max,
								     rte_get_tsc_hz())));
	field_u64(em, "log_suppressed", t.log_suppressed);
}

static void
fields_side(struct emit *em, const char *prefix, const struct tern_canary_side *s)
{
	char key[48];

	snprintf(key, sizeof(key), "%s_requests", prefix);
	field_u64(em, key, s->requests);
	snprintf(key, sizeof(key), "%s_failed", prefix);
	field_u64(em, key, s->failed);
	snprintf(key, sizeof(key), "%s_p99_ns", prefix);
	field_u64(em, key, s->p99_ns);
}

static void
show_one_canary(struct emit *em, const struct tern_canary *c)
{
	char num[32];

	row_begin(em, "udp %u", c->port);
	if (em->json) {
		field_str(em, "proto", "udp");
		field_u64(em, "port", c->port);
	}
	field_str(em, "state", tern_canary_state_name(c->state));
	field_str(em, "baseline", c->base_name);
	field_str(em, "canary", c->canary_name);
	field_u64(em, "percent", c->percent);
	snprintf(num, sizeof(num), "%g", c->limits.max_drop_ratio);
	field_str(em, "max_drop_ratio", num);
	snprintf(num, sizeof(num), "%g", c->limits.max_p99_ratio);
	field_str(em, "max_p99_ratio", num);
	field_u64(em, "window_ms", c->limits.window_ms);
	field_u64(em, "min_requests", c->limits.min_requests);
	field_u64(em, "windows", c->windows);
	fields_side(em, "window_baseline", &c->last_base);
	fields_side(em, "window_canary", &c->last_canary);
	fields_side(em, "total_baseline", &c->total_base);
	fields_side(em, "total_canary", &c->total_canary);
	field_str(em, "why", c->why[0] != '\0' ? c->why : "-");
	row_end(em);
}

void
tern_show_canary(struct emit *em, const struct tern_engine *e)
{
	if (em->json)
		tern_out_printf(em->o, "{\"rollbacks\":%" PRIu64 ",", e->canary_rollbacks);
	else
		tern_out_printf(em->o, "rollbacks=%" PRIu64 "\n", e->canary_rollbacks);
	list_begin(em, "canaries");
	for (unsigned i = 0; i < TERN_MAX_CANARIES; i++)
		if (e->canaries[i].used)
			show_one_canary(em, &e->canaries[i]);
	list_end(em, "no canaries");
	if (em->json)
		tern_out_printf(em->o, "}");
}

/* The instance's latency since it loaded into h (cleared first). */
static void
app_latency(const struct tern_app_instance *app, struct tern_hist *h)
{
	memset(h, 0, sizeof(*h));
	tern_app_latency_read(app->ws, app->n_ws, h);
}

static void
row_app_latency(struct emit *em, const struct tern_app_instance *app, const struct tern_hist *h)
{
	row_begin(em, "app %s:", app->name);
	if (em->json)
		field_str(em, "app", app->name);
	fields_latency(em, h, rte_get_tsc_hz());
	row_end(em);
}

void
tern_show_latency_apps(struct emit *em, const struct tern_engine *e)
{
	struct tern_hist *h = malloc(sizeof(*h));

	if (h == NULL) {
		em->o->oom = true;
		return;
	}
	list_begin(em, NULL);
	for (unsigned s = 1; s <= TERN_MAX_APPS; s++) {
		if (e->apps[s] == NULL)
			continue;
		app_latency(e->apps[s], h);
		row_app_latency(em, e->apps[s], h);
	}
	list_end(em, "no apps loaded");
	free(h);
}

/* The workers' total latency now into h (cleared first). */
static void
engine_latency(const struct tern_engine *e, struct tern_hist *h)
{
	memset(h, 0, sizeof(*h));
	for (unsigned w = 0; w < e->n_workers; w++)
		tern_engine_worker_latency(e, w, h);
}

/* *base (allocated on first use) := now. -ENOMEM. */
static int
rebase(struct tern_hist **base, const struct tern_hist *now)
{
	if (*base == NULL)
		*base = malloc(sizeof(**base));
	if (*base == NULL)
		return -ENOMEM;
	memcpy(*base, now, sizeof(**base));
	return 0;
}

/* h := now - *base, then *base := now. Without a base: since the start. */
static int
interval(struct tern_hist *h, struct tern_hist **base)
{
	struct tern_hist *now = malloc(sizeof(*now));
	int ret;

	if (now == NULL)
		return -ENOMEM;
	memcpy(now, h, sizeof(*now));
	if (*base != NULL)
		tern_hist_since(h, *base);
	ret = rebase(base, now);
	free(now);
	return ret;
}

void
tern_show_latency_interval(struct emit *em, struct tern_engine *e)
{
	struct tern_hist *h = malloc(sizeof(*h));

	if (h == NULL) {
		em->o->oom = true;
		return;
	}
	engine_latency(e, h);
	if (interval(h, &e->lat_base) < 0)
		em->o->oom = true;
	tern_out_printf(em->o, em->json ? "{\"unit\":\"ns\",\"total\":{" : "total:");
	em->fields = 0;
	fields_latency(em, h, rte_get_tsc_hz());
	row_end(em);
	if (em->json)
		tern_out_printf(em->o, ",");
	list_begin(em, "apps");
	for (unsigned s = 1; s <= TERN_MAX_APPS; s++) {
		struct tern_app_instance *app = e->apps[s];

		if (app == NULL)
			continue;
		app_latency(app, h);
		if (interval(h, &app->lat_base) < 0)
			em->o->oom = true;
		row_app_latency(em, app, h);
	}
	list_end(em, NULL);
	if (em->json)
		tern_out_printf(em->o, "}");
	free(h);
}

int
tern_latency_clear(struct tern_engine *e)
{
	struct tern_hist *h = malloc(sizeof(*h));
	int ret = 0;

	if (h == NULL)
		return -ENOMEM;
	engine_latency(e, h);
	ret = rebase(&e->lat_base, h);
	for (unsigned s = 1; ret == 0 && s <= TERN_MAX_APPS; s++) {
		if (e->apps[s] == NULL)
			continue;
		app_latency(e->apps[s], h);
		ret = rebase(&e->apps[s]->lat_base, h);
	}
	free(h);
	return ret;
}
