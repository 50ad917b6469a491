/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <urcu-qsbr.h>

#include "app_timer.h"
#include "engine.h"
#include "engine_layout.h"
#include "engine_limits.h"
#include "mono_clock.h"
#include "rcu_publish.h"
#include "worker.h"

#define RECLAIM_PASSES 10
#define RECLAIM_WAIT_US 10000

static void
conf_defaults(struct tern_engine_conf *c)
{
	if (c->burst == 0)
		c->burst = TERN_BURST_DEFAULT;
	if (c->nb_rxd == 0)
		c->nb_rxd = TERN_NB_DESC_DEFAULT;
	if (c->nb_txd == 0)
		c->nb_txd = TERN_NB_DESC_DEFAULT;
}

static int
setup_ports(struct tern_engine *e, struct tern_err *err)
{
	struct tern_port_conf pc = {
		.n_workers = e->n_workers,
		.rss = e->conf.rss,
		.nb_rxd = e->conf.nb_rxd,
		.nb_txd = e->conf.nb_txd,
		.pool = e->pool,
		.rx_intr = e->conf.idle.mode == TERN_IDLE_ADAPTIVE,
	};
	uint16_t pid;
	int ret;

	RTE_ETH_FOREACH_DEV(pid) {
		ret = tern_port_setup(pid, &pc, &e->ports[pid], err);
		if (ret < 0)
			return ret;
		e->n_ports++;
	}
	return 0;
}

static int
check_ports(struct tern_err *err)
{
	uint16_t pid, n = rte_eth_dev_count_avail();

	if (n == 0)
		return tern_err_set(err, ENODEV,
				    "no DPDK ports: add a device, e.g. --vdev net_af_xdp0,iface=IF "
				    "or a NIC bound to vfio-pci (-a PCI_ADDR)");
	RTE_ETH_FOREACH_DEV(pid)
		if (pid >= TERN_MAX_PORTS)
			return tern_err_set(err, ENOTSUP, "port %u: tern handles ports 0-%u only",
					    pid, TERN_MAX_PORTS - 1);
	return 0;
}

int
tern_engine_init(struct tern_engine *e, const struct tern_engine_conf *c,
		 struct tern_err *err)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->conf = *c;
	conf_defaults(&e->conf);
	if (e->conf.burst > TERN_BURST_MAX)
		return tern_err_set(err, EINVAL, "burst %u too large (max %u)",
				    e->conf.burst, TERN_BURST_MAX);
	ret = check_ports(err);
	if (ret == 0)
		ret = tern_engine_find_workers(e, err);
	if (ret == 0)
		ret = tern_engine_create_pool(e, rte_eth_dev_count_avail(), err);
	if (ret == 0)
		ret = setup_ports(e, err);
	if (ret == 0)
		ret = tern_timers_init(err);
	if (ret == 0)
		ret = tern_bus_create(&e->bus, "tern", e->n_workers, e->conf.bus_ring, err);
	if (ret == 0) {
		e->handlers = tern_handler_table_clone(NULL);
		e->addrs = calloc(1, sizeof(*e->addrs));
		e->trust = tern_trust_local(NULL, true, err);
		if (e->handlers == NULL || e->addrs == NULL || e->trust == NULL)
			ret = tern_err_set(err, ENOMEM, "cannot allocate the engine's tables");
	}
	if (ret < 0)
		tern_engine_close(e);
	return ret;
}

int
tern_engine_start_ports(struct tern_engine *e, struct tern_err *err)
{
	int ret;

	for (uint16_t pid = 0; pid < TERN_MAX_PORTS; pid++) {
		if (e->ports[pid].nb_queues == 0 || e->ports[pid].started)
			continue;
		ret = tern_port_start(&e->ports[pid], err);
		if (ret < 0)
			return ret;
		tern_engine_assign_queues(e, &e->ports[pid]);
	}
	e->mbufs_baseline = tern_engine_mbufs_in_use(e);
	tern_pool_watch_init(&e->pool_watch, e->pool->size, tern_engine_pool_low_mark(e),
			     tern_mono_ns());
	return 0;
}

int
tern_engine_start(struct tern_engine *e, struct tern_err *err)
{
	int ret = tern_engine_start_ports(e, err);

	if (ret < 0)
		return ret;
	e->stop = false;
	for (unsigned i = 0; i < e->n_workers; i++) {
		ret = rte_eal_remote_launch(tern_worker_main, &e->workers[i],
					    e->worker_lcore[i]);
		if (ret < 0) {
			tern_engine_stop(e);
			return tern_err_set(err, -ret, "cannot launch worker %u on lcore %u: %s",
					    i, e->worker_lcore[i], strerror(-ret));
		}
	}
	e->running = true;
	return 0;
}

/*
 * Give back what the TX rings still hold, so the pool count is exact. Some
 * drivers (AF_XDP) reap completed sends only inside tx_burst, so an empty
 * burst is issued too; the workers are stopped, so the queues are ours.
 */
static void
reclaim_tx(struct tern_engine *e)
{
	for (int pass = 0; pass < RECLAIM_PASSES; pass++) {
		for (uint16_t pid = 0; pid < TERN_MAX_PORTS; pid++) {
			if (!e->ports[pid].started)
				continue;
			for (uint16_t q = 0; q < e->ports[pid].nb_queues; q++) {
				rte_eth_tx_done_cleanup(pid, q, 0);
				rte_eth_tx_burst(pid, q, NULL, 0);
			}
		}
		if (tern_engine_mbufs_in_use(e) <= e->mbufs_baseline)
			return;
		rte_delay_us_sleep(RECLAIM_WAIT_US);
	}
}

void
tern_engine_stop(struct tern_engine *e)
{
	__atomic_store_n(&e->stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	e->running = false;
	reclaim_tx(e);
}

static void
free_apps(struct tern_engine *e)
{
	for (unsigned s = 1; s <= TERN_MAX_APPS; s++) {
		if (e->apps[s] != NULL)
			tern_app_instance_destroy(e->apps[s]);
		e->apps[s] = NULL;
	}
	tern_app_unload_deferred(0);
	tern_engine_canary_free(e);
	free(e->lat_base);
	e->lat_base = NULL;
	free(e->stats_base);
	e->stats_base = NULL;
}

void
tern_engine_close(struct tern_engine *e)
{
	if (e->running)
		tern_engine_stop(e);
	for (uint16_t pid = 0; pid < TERN_MAX_PORTS; pid++)
		if (e->ports[pid].nb_queues != 0)
			tern_port_close(&e->ports[pid]);
	/* No worker runs any more: nothing can reach the tables or the apps. */
	free(e->handlers);
	free(e->addrs);
	free(e->trust);
	e->handlers = NULL;
	e->addrs = NULL;
	e->trust = NULL;
	free_apps(e);
	tern_bus_free(&e->bus);
	for (unsigned i = 0; e->workers != NULL && i < e->n_workers; i++)
		rte_free(e->workers[i].log);
	rte_free(e->workers);
	e->workers = NULL;
	/* What is still out now is the drivers' or lost (ternd's exit check). */
	if (e->pool != NULL)
		e->mbufs_after_close = tern_engine_mbufs_in_use(e);
	rte_mempool_free(e->pool);
	e->pool = NULL;
}

unsigned
tern_engine_flow_worker(const struct tern_engine *e, uint16_t port,
			const struct tern_rss_flow *f)
{
	const struct tern_port *p = &e->ports[port];

	if (e->steered[port])
		return tern_steer_flow_worker(&e->steer[port], f);
	return p->queue_worker[tern_port_flow_queue(p, f)];
}
