/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "canary.h"
#include "engine.h"
#include "engine_apps.h"
#include "mono_clock.h"

static double
fail_share(const struct tern_canary_side *s)
{
	return (double)(s->failed + 1) / (double)(s->requests + 1);
}

enum tern_canary_verdict
tern_canary_judge(const struct tern_canary_limits *l, const struct tern_canary_side *base,
		  const struct tern_canary_side *can, char *why, size_t why_len)
{
	double fb = fail_share(base), fc = fail_share(can);

	if (base->requests < l->min_requests || can->requests < l->min_requests)
		return TERN_CANARY_WAIT;
	if (fc > l->max_drop_ratio * fb) {
		snprintf(why, why_len, "drops: the canary failed %llu of %llu requests (%.4f), the "
			 "baseline %llu of %llu (%.4f): %.1fx, over max_drop_ratio=%g",
			 (unsigned long long)can->failed, (unsigned long long)can->requests,
			 (double)can->failed / (double)can->requests,
			 (unsigned long long)base->failed, (unsigned long long)base->requests,
			 (double)base->failed / (double)base->requests, fc / fb, l->max_drop_ratio);
		return TERN_CANARY_ROLLBACK;
	}
	if ((double)can->p99_ns > l->max_p99_ratio * (double)base->p99_ns &&
	    can->p99_ns > base->p99_ns + TERN_CANARY_P99_FLOOR_NS) {
		snprintf(why, why_len, "latency: the canary's p99 %llu ns, the baseline's %llu ns: "
			 "%.1fx, over max_p99_ratio=%g", (unsigned long long)can->p99_ns,
			 (unsigned long long)base->p99_ns,
			 base->p99_ns != 0 ? (double)can->p99_ns / (double)base->p99_ns : 0.0,
			 l->max_p99_ratio);
		return TERN_CANARY_ROLLBACK;
	}
	return TERN_CANARY_OK;
}

const char *
tern_canary_state_name(enum tern_canary_state s)
{
	switch (s) {
	case TERN_CANARY_RUNNING:
		return "running";
	case TERN_CANARY_ROLLED_BACK:
		return "rolled_back";
	case TERN_CANARY_PROMOTED:
		return "promoted";
	case TERN_CANARY_ABORTED:
		return "aborted";
	}
	return "?";
}

/* Where a window starts for one side: its totals and latency now. */
static void
mark_take(struct tern_canary_mark *m, const struct tern_app_instance *app)
{
	m->app_id = app->id;
	tern_app_totals_read(app->ws, app->n_ws, &m->tot);
	if (m->lat != NULL) {
		memset(m->lat, 0, sizeof(*m->lat));
		tern_app_latency_read(app->ws, app->n_ws, m->lat);
	}
}

/* The window since the mark, for one side. */
static void
side_since(const struct tern_canary_mark *m, const struct tern_app_instance *app,
	   struct tern_hist *scratch, struct tern_canary_side *out)
{
	struct tern_app_totals tot;

	tern_app_totals_read(app->ws, app->n_ws, &tot);
	out->requests = tot.requests - m->tot.requests;
	out->failed = (tot.drops + tot.bad) - (m->tot.drops + m->tot.bad);
	memset(scratch, 0, sizeof(*scratch));
	tern_app_latency_read(app->ws, app->n_ws, scratch);
	tern_hist_since(scratch, m->lat);
	out->p99_ns = scratch->n != 0 ?
		      tern_hist_cycles_to_ns(tern_hist_quantile(scratch, 0.99), rte_get_tsc_hz()) : 0;
}

static void
canary_free_marks(struct tern_canary *c)
{
	free(c->mark_base.lat);
	free(c->mark_canary.lat);
	c->mark_base.lat = c->mark_canary.lat = NULL;
}

/* The running canary of port, or NULL. */
static struct tern_canary *
running(struct tern_engine *e, uint16_t port)
{
	for (unsigned i = 0; i < TERN_MAX_CANARIES; i++)
		if (e->canaries[i].used && e->canaries[i].state == TERN_CANARY_RUNNING &&
		    e->canaries[i].port == port)
			return &e->canaries[i];
	return NULL;
}

/* A record for port: its old one, a free one, or the oldest ended one. */
static struct tern_canary *
record_for(struct tern_engine *e, uint16_t port)
{
	struct tern_canary *best = NULL;

	for (unsigned i = 0; i < TERN_MAX_CANARIES; i++) {
		struct tern_canary *c = &e->canaries[i];

		if (c->used && c->port == port)
			return c;
		if (!c->used)
			best = best != NULL && !best->used ? best : c;
		else if (c->state != TERN_CANARY_RUNNING &&
			 (best == NULL || (best->used && c->ended_ns < best->ended_ns)))
			best = c;
	}
	return best;
}

/* Publish the port's table without its canary route; udp_slot: the slot the
 * port goes to (the baseline's, or the canary's on promote). */
static int
end_route(struct tern_engine *e, uint16_t port, uint8_t udp_slot, struct tern_err *err)
{
	struct tern_handler_table *t = tern_handler_table_clone(e->handlers);

	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	tern_handler_table_canary_clear(t, port);
	t->udp[port] = udp_slot;
	tern_engine_publish_handlers(e, t);
	return 0;
}

static int
check_start(struct tern_engine *e, uint16_t port, const struct tern_app_instance *app,
	    unsigned percent, const char *name, struct tern_err *err)
{
	const struct tern_canary *c = running(e, port);
	uint8_t cur = e->handlers != NULL ? e->handlers->udp[port] : 0;

	if (app == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded (app load %s PATH "
				    "first)", name, name);
	if (percent < 1 || percent > 99)
		return tern_err_set(err, EINVAL, "percent %u: a canary takes 1 to 99 percent of "
				    "the flows", percent);
	if (cur == 0)
		return tern_err_set(err, ENOENT, "UDP port %u has no app bound: bind udp %u "
				    "BASELINE first, then start the canary", port, port);
	if (c != NULL)
		return tern_err_set(err, EBUSY, "a canary is running on UDP port %u already ('%s', "
				    "%u%%): canary abort udp %u first", port, c->canary_name,
				    c->percent, port);
	if (cur == app->slot)
		return tern_err_set(err, EINVAL, "'%s' is the app bound to UDP port %u: a canary "
				    "must be another loaded instance", name, port);
	return 0;
}

int
tern_engine_canary_start(struct tern_engine *e, uint16_t port, const char *name,
			 unsigned percent, const struct tern_canary_limits *l,
			 struct tern_err *err)
{
	struct tern_app_instance *app = tern_engine_app_find(e, name), *base;
	struct tern_handler_table *t;
	struct tern_canary *c;
	int ret = check_start(e, port, app, percent, name, err);

	if (ret < 0)
		return ret;
	c = record_for(e, port);
	if (c == NULL)
		return tern_err_set(err, ENOSPC, "%u canaries are running already (the most at once)",
				    TERN_MAX_CANARIES);
	base = e->apps[e->handlers->udp[port]];
	canary_free_marks(c);
	memset(c, 0, sizeof(*c));
	c->mark_base.lat = malloc(sizeof(struct tern_hist));
	c->mark_canary.lat = malloc(sizeof(struct tern_hist));
	t = tern_handler_table_clone(e->handlers);
	if (c->mark_base.lat == NULL || c->mark_canary.lat == NULL || t == NULL) {
		free(t);
		canary_free_marks(c);
		return tern_err_set(err, ENOMEM, "out of memory");
	}
	ret = tern_handler_table_canary_set(t, port, app->slot, (uint8_t)percent, err);
	if (ret < 0) {
		free(t);
		canary_free_marks(c);
		return ret;
	}
	c->used = true;
	c->state = TERN_CANARY_RUNNING;
	c->port = port;
	c->percent = (uint8_t)percent;
	c->base_slot = base->slot;
	c->canary_slot = app->slot;
	snprintf(c->base_name, sizeof(c->base_name), "%s", base->name);
	snprintf(c->canary_name, sizeof(c->canary_name), "%s", app->name);
	c->limits = *l;
	mark_take(&c->mark_base, base);
	mark_take(&c->mark_canary, app);
	tern_engine_publish_handlers(e, t);
	c->started_ns = c->window_start_ns = tern_mono_ns();
	return 0;
}

static void
canary_end(struct tern_canary *c, enum tern_canary_state s)
{
	c->state = s;
	c->ended_ns = tern_mono_ns();
	canary_free_marks(c);
}

/* Promote (the port to the canary) or abort (back to the baseline). */
static int
canary_finish(struct tern_engine *e, uint16_t port, bool promote, struct tern_err *err)
{
	struct tern_canary *c = running(e, port);
	int ret;

	if (c == NULL)
		return tern_err_set(err, ENOENT, "no canary is running on UDP port %u", port);
	ret = end_route(e, port, promote ? c->canary_slot : c->base_slot, err);
	if (ret < 0)
		return ret;
	canary_end(c, promote ? TERN_CANARY_PROMOTED : TERN_CANARY_ABORTED);
	if (!promote)
		snprintf(c->why, sizeof(c->why), "aborted by command");
	return 0;
}

int
tern_engine_canary_promote(struct tern_engine *e, uint16_t port, struct tern_err *err)
{
	return canary_finish(e, port, true, err);
}

int
tern_engine_canary_abort(struct tern_engine *e, uint16_t port, struct tern_err *err)
{
	return canary_finish(e, port, false, err);
}

static void
side_add(struct tern_canary_side *total, const struct tern_canary_side *w)
{
	total->requests += w->requests;
	total->failed += w->failed;
	total->p99_ns = w->p99_ns;
}

/* Judge c's window, if it is over; roll back if the canary is worse. */
static void
canary_tick(struct tern_engine *e, struct tern_canary *c, uint64_t now, FILE *log)
{
	const struct tern_app_instance *base = e->apps[c->base_slot], *can = e->apps[c->canary_slot];
	struct tern_canary_side sb, sc;
	struct tern_hist *scratch;
	struct tern_err err;
	char why[TERN_ERR_MSG_MAX];

	if (now - c->window_start_ns < (uint64_t)c->limits.window_ms * 1000000u ||
	    base == NULL || can == NULL)
		return;
	/* app replace of either side: its counters start again. */
	if (c->mark_base.app_id != base->id || c->mark_canary.app_id != can->id) {
		mark_take(&c->mark_base, base);
		mark_take(&c->mark_canary, can);
		c->window_start_ns = now;
		return;
	}
	scratch = malloc(sizeof(*scratch));
	if (scratch == NULL)
		return;
	side_since(&c->mark_base, base, scratch, &sb);
	side_since(&c->mark_canary, can, scratch, &sc);
	free(scratch);
	switch (tern_canary_judge(&c->limits, &sb, &sc, why, sizeof(why))) {
	case TERN_CANARY_WAIT:
		return; /* the window goes on until both sides have enough */
	case TERN_CANARY_OK:
		break;
	case TERN_CANARY_ROLLBACK:
		if (end_route(e, c->port, c->base_slot, &err) < 0)
			return; /* out of memory: try again next tick */
		e->canary_rollbacks++;
		snprintf(c->why, sizeof(c->why), "%s", why);
		fprintf(log, "canary udp %u: rolled back from '%s' to '%s': %s\n", c->port,
			c->canary_name, c->base_name, why);
		fflush(log);
		canary_end(c, TERN_CANARY_ROLLED_BACK);
		break;
	}
	c->windows++;
	c->last_base = sb;
	c->last_canary = sc;
	side_add(&c->total_base, &sb);
	side_add(&c->total_canary, &sc);
	if (c->state == TERN_CANARY_RUNNING) {
		mark_take(&c->mark_base, base);
		mark_take(&c->mark_canary, can);
		c->window_start_ns = now;
	}
}

void
tern_engine_canary_tick(struct tern_engine *e, FILE *log)
{
	uint64_t now = tern_mono_ns();

	for (unsigned i = 0; i < TERN_MAX_CANARIES; i++)
		if (e->canaries[i].used && e->canaries[i].state == TERN_CANARY_RUNNING)
			canary_tick(e, &e->canaries[i], now, log);
}

void
tern_engine_canary_free(struct tern_engine *e)
{
	for (unsigned i = 0; i < TERN_MAX_CANARIES; i++)
		canary_free_marks(&e->canaries[i]);
}
