/* SPDX-License-Identifier: BSD-3-Clause */
/* clear stats: a reading subtracted by the show views; see stats_base.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stats_base.h"

/* Per worker: its counters summed over ports, its event counters, timers. */
struct worker_base {
	uint64_t ctr[TERN_CTR_MAX];
	uint64_t wctr[TERN_WCTR_MAX];
	uint64_t fired;
};

struct tern_stats_base {
	uint64_t port[TERN_MAX_PORTS][TERN_CTR_MAX];
	unsigned n_workers;
	struct worker_base w[];
};

/* Counters only grow, and the reading is older than any later one: each
 * difference is at least 0. */
static void
subtract(uint64_t *v, const uint64_t *base, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		v[i] -= base[i];
}

/* The reading of worker w, or NULL before the first clear. */
static const struct worker_base *
worker_base(const struct tern_engine *e, unsigned w)
{
	const struct tern_stats_base *b = e->stats_base;

	return b != NULL && w < b->n_workers ? &b->w[w] : NULL;
}

int
tern_stats_clear(struct tern_engine *e)
{
	struct tern_hist *h = calloc(1, sizeof(*h)); /* timer lateness, not kept */
	struct tern_stats_base *b = e->stats_base;

	if (h == NULL)
		return -ENOMEM;
	if (b == NULL || b->n_workers != e->n_workers) {
		b = calloc(1, sizeof(*b) + e->n_workers * sizeof(b->w[0]));
		if (b == NULL) {
			free(h);
			return -ENOMEM;
		}
		free(e->stats_base);
		e->stats_base = b;
		b->n_workers = e->n_workers;
	}
	for (uint16_t p = 0; p < TERN_MAX_PORTS; p++)
		tern_engine_port_counters(e, p, b->port[p]);
	for (unsigned w = 0; w < b->n_workers; w++) {
		tern_engine_worker_counters(e, w, b->w[w].ctr);
		tern_engine_worker_events(e, w, b->w[w].wctr);
		b->w[w].fired = tern_engine_worker_timers(e, w, h);
	}
	free(h);
	tern_pool_watch_clear(&e->pool_watch);
	return 0;
}

void
tern_stats_port(const struct tern_engine *e, uint16_t port, uint64_t *out)
{
	tern_engine_port_counters(e, port, out);
	if (e->stats_base != NULL && port < TERN_MAX_PORTS)
		subtract(out, e->stats_base->port[port], TERN_CTR_MAX);
}

void
tern_stats_worker(const struct tern_engine *e, unsigned worker, uint64_t *out)
{
	const struct worker_base *b = worker_base(e, worker);

	tern_engine_worker_counters(e, worker, out);
	if (b != NULL)
		subtract(out, b->ctr, TERN_CTR_MAX);
}

void
tern_stats_worker_events(const struct tern_engine *e, unsigned worker, uint64_t *out)
{
	const struct worker_base *b = worker_base(e, worker);

	tern_engine_worker_events(e, worker, out);
	if (b != NULL)
		subtract(out, b->wctr, TERN_WCTR_MAX);
}

uint64_t
tern_stats_worker_timers(const struct tern_engine *e, unsigned worker, struct tern_hist *out)
{
	const struct worker_base *b = worker_base(e, worker);
	uint64_t fired = tern_engine_worker_timers(e, worker, out);

	return b != NULL ? fired - b->fired : fired;
}
