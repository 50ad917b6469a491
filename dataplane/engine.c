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
#include "engine_limits.h"
#include "host.h"
#include "rcu_publish.h"
#include "worker.h"

#define POOL_CACHE 256u
#define POOL_SPARE 4096
#define RECLAIM_PASSES 10
#define RECLAIM_WAIT_US 10000

/* The pool is exhausted when it cannot give every worker two bursts. */
static unsigned
pool_low_mark(const struct tern_engine *e)
{
	return 2 * e->n_workers * e->conf.burst;
}

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

/* Enough mbufs for every RX and TX ring full, every worker's burst and TX
 * buffer, the per-lcore caches, every worker's backlog full and (with more
 * than one worker) every event ring full of frames, plus spare: what the
 * engine holds itself can then never run the pool dry. */
static unsigned
pool_size(const struct tern_engine *e, uint16_t n_ports)
{
	const struct tern_engine_conf *c = &e->conf;
	unsigned per_port = e->n_workers * (c->nb_rxd + c->nb_txd);
	unsigned ring = c->bus_ring != 0 ? c->bus_ring : TERN_BUS_RING_DEFAULT;
	unsigned per_worker = 2 * TERN_BURST_MAX + POOL_CACHE + TERN_BACKLOG +
			      (e->n_workers > 1 ? ring : 0);

	return n_ports * per_port + e->n_workers * per_worker + POOL_SPARE;
}

static int
find_workers(struct tern_engine *e, struct tern_err *err)
{
	unsigned lcore;

	e->n_workers = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
		e->worker_lcore[e->n_workers++] = lcore;
	if (e->n_workers == 0)
		return tern_err_set(err, EINVAL,
				    "no worker lcore: give EAL at least two lcores, e.g. -l 0,1 "
				    "(the first is the control thread, the others run workers)");
	e->workers = rte_zmalloc("tern_workers", sizeof(*e->workers) * e->n_workers,
				 RTE_CACHE_LINE_SIZE);
	if (e->workers == NULL)
		return tern_err_set(err, ENOMEM, "cannot allocate %u workers", e->n_workers);
	for (unsigned i = 0; i < e->n_workers; i++) {
		struct tern_worker *w = &e->workers[i];

		w->engine = e;
		w->idx = i;
		w->lcore_id = e->worker_lcore[i];
		for (unsigned p = 0; p < TERN_MAX_PORTS; p++)
			w->txq[p] = TERN_TXQ_NONE;
	}
	tern_timers_set_workers(e->worker_lcore, &e->workers[0].timer_stats,
				sizeof(struct tern_worker), e->n_workers);
	return 0;
}

static int
create_pool(struct tern_engine *e, uint16_t n_ports, struct tern_err *err)
{
	unsigned n = e->conf.n_mbufs != 0 ? e->conf.n_mbufs : pool_size(e, n_ports);
	/* per-lcore caches: at most a quarter of a small pool */
	unsigned cache = RTE_MIN(POOL_CACHE, n / 4);

	e->pool = rte_pktmbuf_pool_create("tern_mbufs", n, cache, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (e->pool == NULL)
		return tern_err_set(err, rte_errno, "cannot create a pool of %u mbufs: %s "
				    "(more memory with EAL -m, or hugepages)", n,
				    rte_strerror(rte_errno));
	return 0;
}

/* Steering for a port with fewer queues than workers: always the
 * symmetric key (both directions of a flow on one worker, and the fast
 * path of tern_steer_frame_worker), over the types tern asks RSS for. */
static void
setup_steering(struct tern_engine *e, const struct tern_port *p)
{
	uint16_t pid = p->port_id;

	e->steered[pid] = e->conf.steer == TERN_STEER_AUTO && p->nb_queues < e->n_workers;
	if (!e->steered[pid])
		return;
	tern_steer_init(&e->steer[pid], e->n_workers, tern_rss_symmetric_key, 40,
			tern_rss_wanted_types());
	printf("port %u: %u queue(s) for %u workers: software steering by symmetric "
	       "Toeplitz hash (--steer off to disable)\n", pid, p->nb_queues, e->n_workers);
}

/* Give each port's queues to the workers that own them; every worker can
 * reply on every port, through its own TX queue or the owner of queue 0's. */
static void
assign_queues(struct tern_engine *e, const struct tern_port *p)
{
	uint16_t pid = p->port_id;

	setup_steering(e, p);
	for (uint16_t q = 0; q < p->nb_queues; q++) {
		struct tern_worker *w = &e->workers[p->queue_worker[q]];

		w->rxq[w->n_rxq].port_id = pid;
		w->rxq[w->n_rxq].queue = q;
		w->rxq[w->n_rxq].steer = e->steered[pid];
		w->n_rxq++;
		w->txq[pid] = q;
	}
	for (unsigned i = 0; i < e->n_workers; i++) {
		struct tern_worker *w = &e->workers[i];

		w->tx_owner[pid] = p->queue_worker[0];
		w->reply_port[pid].mac = p->mac;
		w->reply_port[pid].tx_offloads = p->tx_offloads;
		w->reply_port[pid].mtu = p->mtu;
	}
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
	tern_host_bind(e);
	conf_defaults(&e->conf);
	if (e->conf.burst > TERN_BURST_MAX)
		return tern_err_set(err, EINVAL, "burst %u too large (max %u)",
				    e->conf.burst, TERN_BURST_MAX);
	ret = check_ports(err);
	if (ret == 0)
		ret = find_workers(e, err);
	if (ret == 0)
		ret = create_pool(e, rte_eth_dev_count_avail(), err);
	if (ret == 0)
		ret = setup_ports(e, err);
	if (ret == 0)
		ret = tern_timers_init(err);
	if (ret == 0)
		ret = tern_bus_create(&e->bus, "tern", e->n_workers, e->conf.bus_ring, err);
	if (ret == 0) {
		e->handlers = tern_handler_table_clone(NULL);
		e->addrs = calloc(1, sizeof(*e->addrs));
		if (e->handlers == NULL || e->addrs == NULL)
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
		assign_queues(e, &e->ports[pid]);
	}
	e->mbufs_baseline = tern_engine_mbufs_in_use(e);
	tern_pool_watch_init(&e->pool_watch, e->pool->size, pool_low_mark(e),
			     tern_host_ops.now_ns());
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
	e->handlers = NULL;
	e->addrs = NULL;
	free_apps(e);
	tern_bus_free(&e->bus);
	rte_free(e->workers);
	e->workers = NULL;
	rte_mempool_free(e->pool);
	e->pool = NULL;
}

int
tern_engine_ip_add(struct tern_engine *e, const struct tern_addr *a, struct tern_err *err)
{
	struct tern_addr_table *t;

	if (a->port_id >= TERN_MAX_PORTS || e->ports[a->port_id].nb_queues == 0)
		return tern_err_set(err, ENODEV, "no port %u (see show ports; ids 0-%u)", a->port_id,
				    TERN_MAX_PORTS - 1);
	t = tern_addr_table_with(e->addrs, a, err);
	if (t == NULL)
		return -errno;
	tern_rcu_replace((void **)&e->addrs, t, free);
	return 0;
}

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

unsigned
tern_engine_flow_worker(const struct tern_engine *e, uint16_t port,
			const struct tern_rss_flow *f)
{
	const struct tern_port *p = &e->ports[port];

	if (e->steered[port])
		return tern_steer_flow_worker(&e->steer[port], f);
	return p->queue_worker[tern_port_flow_queue(p, f)];
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
	ev = tern_pool_watch_sample(pw, rte_mempool_avail_count(e->pool), tern_host_ops.now_ns());
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
