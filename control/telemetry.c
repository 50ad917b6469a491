/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ternd's /tern/... telemetry commands (see telemetry.h).
 *
 * One callback serves every command: it looks the command up in tel_cmds,
 * takes tel_lock (so the engine cannot be detached and closed under it),
 * and lets the command's fill function build a dict. Everything read here is
 * either written by a single worker and read with relaxed loads (counters,
 * latency histograms) or fixed before the workers start (ports, lcores).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "latency_hist.h"
#include "stats.h"
#include "telemetry.h"

#ifndef TERN_VERSION
#define TERN_VERSION "unknown"
#endif

#define KEY_MAX 24 /* "port65535", "lcore1023" */

typedef int (*tel_fill_fn)(const struct tern_engine *e, struct rte_tel_data *d);

struct tel_cmd {
	const char *cmd;
	tel_fill_fn fill;
	const char *help;
};

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct tern_engine *tel_engine; /* guarded by tel_lock */
static unsigned tel_n_registered;           /* commands registered; control thread */

/* Add v (TERN_CTR_MAX counters) to d as a dict named key. */
static int
add_ctr_dict(struct rte_tel_data *d, const char *key, const uint64_t *v)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	int ret;

	if (c == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(c);
	for (unsigned i = 0; i < TERN_CTR_MAX; i++)
		rte_tel_data_add_dict_u64(c, tern_ctr_names[i], v[i]);
	ret = rte_tel_data_add_dict_container(d, key, c, 0);
	if (ret < 0)
		rte_tel_data_free(c);
	return ret;
}

/* The mbuf pool's occupancy and exhaustions (pool_watch.h) as dict "pool". */
static int
add_pool_dict(struct rte_tel_data *d, const struct tern_engine *e)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	uint64_t v[TERN_POOL_FIG_MAX];
	int ret;

	if (c == NULL)
		return -ENOMEM;
	tern_engine_pool_figures(e, v);
	rte_tel_data_start_dict(c);
	for (unsigned i = 0; i < TERN_POOL_FIG_MAX; i++)
		rte_tel_data_add_dict_u64(c, tern_pool_fig_names[i], v[i]);
	ret = rte_tel_data_add_dict_container(d, "pool", c, 0);
	if (ret < 0)
		rte_tel_data_free(c);
	return ret;
}

static int
fill_stats(const struct tern_engine *e, struct rte_tel_data *d)
{
	uint64_t v[TERN_CTR_MAX];
	char key[KEY_MAX];
	uint16_t p;
	int ret;

	TERN_ENGINE_FOREACH_PORT(e, p) {
		tern_engine_port_counters(e, p, v);
		snprintf(key, sizeof(key), "port%u", p);
		ret = add_ctr_dict(d, key, v);
		if (ret < 0)
			return ret;
	}
	tern_engine_ctr_total(e, tern_engine_port_counters, v);
	ret = add_ctr_dict(d, "total", v);
	return ret < 0 ? ret : add_pool_dict(d, e);
}

static int
fill_stats_lcores(const struct tern_engine *e, struct rte_tel_data *d)
{
	uint64_t v[TERN_CTR_MAX];
	char key[KEY_MAX];
	int ret;

	for (unsigned w = 0; w < e->n_workers; w++) {
		tern_engine_worker_counters(e, w, v);
		snprintf(key, sizeof(key), "lcore%u", e->worker_lcore[w]);
		ret = add_ctr_dict(d, key, v);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Add the summary of h (a private copy) to d as a dict named key. */
static int
add_latency_dict(struct rte_tel_data *d, const char *key, const struct tern_hist *h,
		 uint64_t hz)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	struct tern_hist_summary s;
	int ret;

	if (c == NULL)
		return -ENOMEM;
	tern_hist_summarize(h, &s);
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "count", s.n);
	rte_tel_data_add_dict_u64(c, "p50_ns", tern_hist_cycles_to_ns(s.p50, hz));
	rte_tel_data_add_dict_u64(c, "p90_ns", tern_hist_cycles_to_ns(s.p90, hz));
	rte_tel_data_add_dict_u64(c, "p99_ns", tern_hist_cycles_to_ns(s.p99, hz));
	rte_tel_data_add_dict_u64(c, "p999_ns", tern_hist_cycles_to_ns(s.p999, hz));
	rte_tel_data_add_dict_u64(c, "p9999_ns", tern_hist_cycles_to_ns(s.p9999, hz));
	rte_tel_data_add_dict_u64(c, "max_ns", tern_hist_cycles_to_ns(s.max, hz));
	ret = rte_tel_data_add_dict_container(d, key, c, 0);
	if (ret < 0)
		rte_tel_data_free(c);
	return ret;
}

static int
fill_latency(const struct tern_engine *e, struct rte_tel_data *d)
{
	/* 15 KiB each: the telemetry thread has a full-size stack. */
	struct tern_hist one, total;
	uint64_t hz = rte_get_tsc_hz();
	char key[KEY_MAX];
	int ret;

	if (hz == 0)
		return -EIO;
	memset(&total, 0, sizeof(total));
	for (unsigned w = 0; w < e->n_workers; w++) {
		memset(&one, 0, sizeof(one));
		tern_engine_worker_latency(e, w, &one);
		tern_hist_merge(&total, &one);
		snprintf(key, sizeof(key), "lcore%u", e->worker_lcore[w]);
		ret = add_latency_dict(d, key, &one, hz);
		if (ret < 0)
			return ret;
	}
	return add_latency_dict(d, "total", &total, hz);
}

/* Add array a to d as key; a is consumed (freed if it cannot be added). */
static int
add_array(struct rte_tel_data *d, const char *key, struct rte_tel_data *a)
{
	int ret = rte_tel_data_add_dict_container(d, key, a, 0);

	if (ret < 0)
		rte_tel_data_free(a);
	return ret;
}

static int
fill_info(const struct tern_engine *e, struct rte_tel_data *d)
{
	struct rte_tel_data *names = rte_tel_data_alloc();
	struct rte_tel_data *ids = rte_tel_data_alloc();
	struct rte_tel_data *lcores = rte_tel_data_alloc();
	int n_ports = 0, r1, r2, r3;
	uint16_t p;

	if (names == NULL || ids == NULL || lcores == NULL) {
		rte_tel_data_free(names);
		rte_tel_data_free(ids);
		rte_tel_data_free(lcores);
		return -ENOMEM;
	}
	rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
	rte_tel_data_start_array(ids, RTE_TEL_INT_VAL);
	rte_tel_data_start_array(lcores, RTE_TEL_INT_VAL);
	TERN_ENGINE_FOREACH_PORT(e, p) {
		rte_tel_data_add_array_string(names, e->ports[p].name);
		rte_tel_data_add_array_int(ids, p);
		n_ports++;
	}
	for (unsigned w = 0; w < e->n_workers; w++)
		rte_tel_data_add_array_int(lcores, (int)e->worker_lcore[w]);

	rte_tel_data_add_dict_string(d, "version", TERN_VERSION);
	rte_tel_data_add_dict_string(d, "dpdk_version", rte_version());
	rte_tel_data_add_dict_int(d, "workers", (int)e->n_workers);
	rte_tel_data_add_dict_int(d, "ports", n_ports);
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	r1 = add_array(d, "worker_lcores", lcores);
	r2 = add_array(d, "port_ids", ids);
	r3 = add_array(d, "port_names", names);
	return RTE_MIN(r1, RTE_MIN(r2, r3));
}

/* One worker's event counters as a dict named key. */
static int
add_events_dict(struct rte_tel_data *d, const char *key, const uint64_t *v)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	int ret;

	if (c == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(c);
	for (unsigned i = 0; i < TERN_WCTR_MAX; i++)
		rte_tel_data_add_dict_u64(c, tern_wctr_names[i], v[i]);
	ret = rte_tel_data_add_dict_container(d, key, c, 0);
	if (ret < 0)
		rte_tel_data_free(c);
	return ret;
}

static int
fill_events(const struct tern_engine *e, struct rte_tel_data *d)
{
	uint64_t v[TERN_WCTR_MAX];
	char key[KEY_MAX];
	int ret;

	for (unsigned w = 0; w < e->n_workers; w++) {
		tern_engine_worker_events(e, w, v);
		snprintf(key, sizeof(key), "lcore%u", e->worker_lcore[w]);
		ret = add_events_dict(d, key, v);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static const struct tel_cmd tel_cmds[] = {
	{ "/tern/stats", fill_stats,
	  "tern counters per port and total. No parameters." },
	{ "/tern/stats/lcores", fill_stats_lcores,
	  "tern counters per worker lcore. No parameters." },
	{ "/tern/latency", fill_latency,
	  "tern RX-burst-to-TX-burst latency percentiles (ns) per worker lcore and total. "
	  "No parameters." },
	{ "/tern/events", fill_events,
	  "tern event-loop counters per worker lcore (idle, bus, steering, budgets). "
	  "No parameters." },
	{ "/tern/info", fill_info,
	  "tern version, workers and ports. No parameters." },
};

/* The one telemetry callback (telemetry thread). */
static int
tel_callback(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tel_cmd *c = NULL;
	int ret = -ENODEV;

	if (params != NULL && params[0] != '\0')
		return -EINVAL;
	for (unsigned i = 0; i < RTE_DIM(tel_cmds); i++)
		if (strcmp(cmd, tel_cmds[i].cmd) == 0)
			c = &tel_cmds[i];
	if (c == NULL)
		return -EINVAL;

	pthread_mutex_lock(&tel_lock);
	if (tel_engine != NULL) {
		rte_tel_data_start_dict(d);
		ret = c->fill(tel_engine, d);
	}
	pthread_mutex_unlock(&tel_lock);
	return ret;
}

int
tern_telemetry_register(struct tern_engine *e, struct tern_err *err)
{
	int ret = 0;

	pthread_mutex_lock(&tel_lock);
	if (tel_engine != NULL && tel_engine != e)
		ret = tern_err_set(err, EBUSY, "telemetry: another engine is attached "
				   "(one engine per process)");
	else
		tel_engine = e;
	pthread_mutex_unlock(&tel_lock);
	if (ret < 0)
		return ret;

	/* DPDK cannot unregister a command: register each once per process. */
	for (; tel_n_registered < RTE_DIM(tel_cmds); tel_n_registered++) {
		const struct tel_cmd *c = &tel_cmds[tel_n_registered];

		ret = rte_telemetry_register_cmd(c->cmd, tel_callback, c->help);
		if (ret < 0) {
			tern_telemetry_unregister();
			return tern_err_set(err, -ret, "telemetry: cannot register %s: %s",
					    c->cmd, strerror(-ret));
		}
	}
	return 0;
}

void
tern_telemetry_unregister(void)
{
	pthread_mutex_lock(&tel_lock);
	tel_engine = NULL;
	pthread_mutex_unlock(&tel_lock);
}
