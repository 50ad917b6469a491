/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_mempool.h>

#include "engine.h"
#include "engine_stats.h"
#include "mono_clock.h"
#include "worker.h"

#define FIG_NAME_(id, name) #name,
const char *const tern_pool_fig_names[TERN_POOL_FIG_MAX] = { TERN_POOL_FIG_LIST(FIG_NAME_) };

void
tern_engine_worker_events(const struct tern_engine *e, unsigned worker, uint64_t *out)
{
	for (unsigned c = 0; c < TERN_WCTR_MAX; c++)
		out[c] = worker < e->n_workers ?
			 tern_wctr_read(&e->workers[worker].wstats, c) : 0;
}

uint64_t
tern_engine_worker_timers(const struct tern_engine *e, unsigned worker, struct tern_hist *out)
{
	const struct tern_timer_stats *ts;

	if (worker >= e->n_workers)
		return 0;
	ts = &e->workers[worker].timer_stats;
	tern_hist_merge(out, &ts->late);
	return __atomic_load_n(&ts->fired, __ATOMIC_RELAXED);
}

void
tern_engine_port_counters(const struct tern_engine *e, uint16_t port, uint64_t *out)
{
	memset(out, 0, sizeof(*out) * TERN_CTR_MAX);
	for (unsigned w = 0; w < e->n_workers; w++)
		for (unsigned c = 0; c < TERN_CTR_MAX; c++)
			out[c] += tern_ctr_read(&e->workers[w].stats, port, c);
}

void
tern_engine_worker_counters(const struct tern_engine *e, unsigned worker, uint64_t *out)
{
	memset(out, 0, sizeof(*out) * TERN_CTR_MAX);
	for (uint16_t p = 0; p < TERN_MAX_PORTS; p++)
		for (unsigned c = 0; c < TERN_CTR_MAX; c++)
			out[c] += tern_ctr_read(&e->workers[worker].stats, p, c);
}

unsigned
tern_engine_mbufs_in_use(const struct tern_engine *e)
{
	return e->pool != NULL ? rte_mempool_in_use_count(e->pool) : 0;
}

enum tern_pool_event
tern_engine_watch_pool(struct tern_engine *e, FILE *f)
{
	struct tern_pool_watch *pw = &e->pool_watch;
	enum tern_pool_event ev;

	if (e->pool == NULL)
		return TERN_POOL_STEADY;
	ev = tern_pool_watch_sample(pw, rte_mempool_avail_count(e->pool), tern_mono_ns());
	if (ev == TERN_POOL_EXHAUSTED)
		fprintf(f, "mbuf pool exhausted: %u of %u mbufs in use; the drivers drop what "
			"arrives until mbufs come back (kernel_rx_dropped, dev_rx_* in 'show "
			"ports'); a bigger pool: ternd -- --mbufs N\n", pw->size - pw->available,
			pw->size);
	else if (ev == TERN_POOL_RECOVERED)
		fprintf(f, "mbuf pool recovered after %.1f ms: %u of %u mbufs available\n",
			(double)(pw->last_ns - pw->since_ns) / 1e6, pw->available, pw->size);
	if (ev != TERN_POOL_STEADY)
		fflush(f);
	return ev;
}

unsigned
tern_engine_worker_queues(const struct tern_engine *e, unsigned worker)
{
	return worker < e->n_workers ? e->workers[worker].n_rxq : 0;
}

void
tern_engine_worker_latency(const struct tern_engine *e, unsigned worker,
			   struct tern_hist *out)
{
	if (worker < e->n_workers)
		tern_hist_merge(out, &e->workers[worker].latency);
}

void
tern_engine_ctr_total(const struct tern_engine *e, tern_port_ctr_fn read, uint64_t *out)
{
	uint64_t v[TERN_CTR_MAX];
	uint16_t p;

	memset(out, 0, sizeof(*out) * TERN_CTR_MAX);
	TERN_ENGINE_FOREACH_PORT(e, p) {
		read(e, p, v);
		for (unsigned i = 0; i < TERN_CTR_MAX; i++)
			out[i] += v[i];
	}
}

void
tern_engine_pool_figures(const struct tern_engine *e, uint64_t *out)
{
	const struct tern_pool_watch *pw = &e->pool_watch;

	out[TERN_POOL_FIG_SIZE] = pw->size;
	out[TERN_POOL_FIG_IN_USE] = tern_engine_mbufs_in_use(e);
	out[TERN_POOL_FIG_MIN_AVAILABLE] = pw->min_available;
	out[TERN_POOL_FIG_EXHAUSTIONS] = pw->exhaustions;
	out[TERN_POOL_FIG_EXHAUSTED_MS] = pw->exhausted_ns / 1000000;
}
