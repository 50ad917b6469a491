/* SPDX-License-Identifier: BSD-3-Clause */
/* Where the engine's resources go: see engine_layout.h. */
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "app_timer.h"
#include "engine.h"
#include "engine_layout.h"
#include "worker.h"

#define POOL_CACHE 256u
#define POOL_SPARE 4096

/* The pool is exhausted when it cannot give every worker two bursts. */
unsigned
tern_engine_pool_low_mark(const struct tern_engine *e)
{
	return 2 * e->n_workers * e->conf.burst;
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

int
tern_engine_find_workers(struct tern_engine *e, struct tern_err *err)
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
		w->log = rte_zmalloc("tern_log", sizeof(*w->log), RTE_CACHE_LINE_SIZE);
		if (w->log == NULL)
			return tern_err_set(err, ENOMEM, "cannot allocate worker %u's log ring", i);
		w->lcore_id = e->worker_lcore[i];
		for (unsigned p = 0; p < TERN_MAX_PORTS; p++)
			w->txq[p] = TERN_TXQ_NONE;
	}
	tern_timers_set_workers(e->worker_lcore, &e->workers[0].timer_stats,
				sizeof(struct tern_worker), e->n_workers);
	return 0;
}

int
tern_engine_create_pool(struct tern_engine *e, uint16_t n_ports, struct tern_err *err)
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
void
tern_engine_assign_queues(struct tern_engine *e, const struct tern_port *p)
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
