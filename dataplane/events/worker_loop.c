/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's event loop: timers, the event bus, the backlog and the RX
 * queues, in that order, then a quiescent state and the idle policy. The
 * per-burst work (classification, apps, replies) is in packet/pipeline.c.
 */
#include <sys/prctl.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

#include <urcu-qsbr.h>

#include "app_timer.h"
#include "engine_limits.h"
#include "event_bus.h"
#include "host.h"
#include "steer.h"
#include "worker.h"

/* Deliver one message to its app's on_message, if the app is still there.
 * An app being replaced gets none: its messages go back on this worker's
 * ring, in order, for whichever instance serves after the swap. */
static void
deliver_msg(struct tern_worker *w, const struct tern_handler_table *ht,
	    const struct tern_event *ev)
{
	const struct tern_handler *h = &ht->h[ev->slot];

	if (ev->slot == 0 || h->burst == NULL || h->msg == NULL) {
		tern_wctr_add(&w->wstats, TERN_WCTR_BUS_NO_APP, 1);
		return;
	}
	if (unlikely(h->hold)) {
		if (tern_bus_post(&w->engine->bus, w->idx, ev) == 0)
			tern_wctr_add(&w->wstats, TERN_WCTR_MSG_HELD, 1);
		else
			tern_wctr_add(&w->wstats, TERN_WCTR_BUS_NO_APP, 1);
		return;
	}
	h->msg(h->state, w->idx, &ev->msg);
	tern_wctr_add(&w->wstats, TERN_WCTR_BUS_MSGS, 1);
}

/* Frames handed or steered here: through the pipeline in runs of one port
 * and kind (they were counted as received where they arrived). Messages
 * in ev were delivered already and are skipped. */
static void
run_frames(struct tern_worker *w, const struct tern_event *ev, unsigned n)
{
	struct rte_mbuf *pkts[TERN_BUS_DRAIN_MAX];
	uint64_t now = rte_rdtsc();
	unsigned i = 0;

	while (i < n) {
		uint8_t kind = ev[i].kind;
		uint16_t port = ev[i].port;
		uint16_t k = 0;

		if (kind == TERN_EV_MSG) {
			i++;
			continue;
		}
		for (; i < n && ev[i].kind == kind && ev[i].port == port; i++)
			pkts[k++] = ev[i].m;
		if (kind == TERN_EV_PKT) {
			tern_wctr_add(&w->wstats, TERN_WCTR_HANDOFF_IN, k);
			tern_worker_handle_frames(w, port, pkts, k, TERN_REQ_F_HANDED_OFF,
						  false, now);
		} else if (kind == TERN_EV_STEER) {
			tern_wctr_add(&w->wstats, TERN_WCTR_STEERED_IN, k);
			tern_worker_handle_frames(w, port, pkts, k, 0, false, now);
		} else { /* TERN_EV_TX: replies of a worker without a TX queue */
			struct tern_txbuf *b = &w->tx[port];

			for (uint16_t j = 0; j < k; j++)
				b->pkts[b->n++] = pkts[j];
			tern_wctr_add(&w->wstats, TERN_WCTR_TX_HANDOFF_IN, k);
			tern_worker_flush_tx(w, port);
		}
	}
}

/* Messages first (control before bulk), then frames, each in order. */
static unsigned
drain_bus(struct tern_worker *w)
{
	struct tern_event ev[TERN_BUS_DRAIN_MAX];
	const struct tern_handler_table *ht;
	unsigned n, nf = 0;

	n = tern_bus_drain(&w->engine->bus, w->idx, ev, TERN_BUS_DRAIN_MAX);
	if (n == 0)
		return 0;
	ht = w->ht;
	for (unsigned i = 0; i < n; i++) {
		if (ev[i].kind == TERN_EV_MSG)
			deliver_msg(w, ht, &ev[i]);
		else
			nf++;
	}
	if (nf != 0)
		run_frames(w, ev, n);
	return n;
}

/* Requests deferred by earlier iterations, oldest first, in runs of one
 * RX burst (same port, flags and arrival time); those still over budget go
 * back to the tail in the same order, with their arrival time. */
static unsigned
run_backlog(struct tern_worker *w)
{
	struct tern_backlog *b = &w->backlog;
	uint32_t todo = b->tail - b->head;
	unsigned done = todo;

	while (todo != 0) {
		struct rte_mbuf *pkts[TERN_BURST_DEFAULT];
		const struct tern_backlog_ent *first = &b->e[b->head & (TERN_BACKLOG - 1)];
		uint16_t port = first->port;
		uint8_t flags = first->flags;
		uint64_t t_rx = first->t_rx;
		uint16_t k = 0;

		while (todo != 0 && k < TERN_BURST_DEFAULT) {
			const struct tern_backlog_ent *e = &b->e[b->head & (TERN_BACKLOG - 1)];

			/* Same burst only: each keeps its own arrival time. */
			if (e->port != port || e->flags != flags || e->t_rx != t_rx)
				break;
			pkts[k++] = e->m;
			b->head++;
			todo--;
		}
		tern_worker_handle_frames(w, port, pkts, k, flags, false, t_rx);
	}
	return done;
}

/* Spread a burst from a steered queue: frames for other workers go to their
 * rings, the rest (ours, and non-IP) are handled here. */
static void
steer_burst(struct tern_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n,
	    uint64_t t_rx)
{
	struct tern_engine *e = w->engine;
	const struct tern_steer *s = &e->steer[port];
	struct rte_mbuf *local[TERN_BURST_MAX];
	uint16_t dst[TERN_BURST_MAX];
	uint16_t n_local = 0, n_away = 0;

	tern_ctr_add(&w->stats, port, TERN_CTR_RX, n);
	for (uint16_t i = 0; i < n; i++) {
		dst[i] = tern_steer_frame_worker(s, rte_pktmbuf_mtod(pkts[i], const uint8_t *),
						 pkts[i]->data_len);
		if (dst[i] == TERN_STEER_LOCAL || dst[i] == w->idx) {
			dst[i] = TERN_STEER_LOCAL;
			local[n_local++] = pkts[i];
		} else {
			n_away++;
		}
	}
	for (unsigned d = 0; n_away != 0 && d < e->n_workers; d++) {
		struct tern_event ev[TERN_BURST_MAX];
		unsigned k = 0, sent;

		for (uint16_t i = 0; i < n; i++)
			if (dst[i] == d)
				ev[k++] = (struct tern_event){ .kind = TERN_EV_STEER, .port = port,
							       .m = pkts[i] };
		if (k == 0)
			continue;
		n_away -= k;
		sent = tern_bus_post_burst(&e->bus, d, ev, k);
		tern_wctr_add(&w->wstats, TERN_WCTR_STEERED_OUT, sent);
		if (sent < k) {
			tern_ctr_add(&w->stats, port, TERN_CTR_DROP_BUS_FULL, k - sent);
			for (unsigned j = sent; j < k; j++)
				rte_pktmbuf_free(ev[j].m);
		}
	}
	if (n_local != 0)
		tern_worker_handle_frames(w, port, local, n_local, 0, false, t_rx);
}

static unsigned
poll_rxq(struct tern_worker *w, const struct tern_rxq *q, uint16_t burst)
{
	struct rte_mbuf *pkts[TERN_BURST_MAX];
	uint16_t nb = rte_eth_rx_burst(q->port_id, q->queue, pkts, burst);

	if (nb == 0)
		return 0;
	if (q->steer)
		steer_burst(w, q->port_id, pkts, nb, rte_rdtsc());
	else
		tern_worker_handle_frames(w, q->port_id, pkts, nb, 0, true, rte_rdtsc());
	return nb;
}

unsigned
tern_worker_poll_once(struct tern_worker *w)
{
	uint16_t burst = w->engine->conf.burst;
	unsigned work;

	w->iter++;
	/* One table for the whole iteration (see struct tern_worker). */
	w->ht = rcu_dereference(w->engine->handlers);
	work = tern_timers_run(w->idx);
	work += drain_bus(w);
	work += run_backlog(w);
	for (unsigned i = 0; i < w->n_rxq; i++) {
		unsigned n = poll_rxq(w, &w->rxq[i], burst);

		work += n;
		/* Overloaded: with the backlog full, app requests are shed as
		 * they are read, which costs little; read on, so protocol
		 * traffic queued behind a flood is found and answered rather
		 * than lost in a full RX ring. */
		for (unsigned k = 0; n == burst && k < TERN_SHED_BURSTS &&
		     tern_worker_backlog_len(w) >= TERN_BACKLOG; k++) {
			n = poll_rxq(w, &w->rxq[i], burst);
			work += n;
		}
	}
	return work;
}

/* A worker that frames can wake sleeps until one comes, a post, or its
 * next timer; this bounds that sleep all the same (a lost wake-up, were
 * there one, would cost at most this), unless sleep_max_us is longer. */
#define RX_WAKE_SLEEP_MAX_NS (100 * 1000 * 1000)

/* Under --idle adaptive: put on the doorbell, for every queue this worker
 * polls, its port's kernel sockets or else its RX interrupt fd. True if
 * each queue has one or the other (or it polls none): then a frame ends its
 * sleep. */
static bool
arm_rx_wake(struct tern_worker *w)
{
	struct tern_wake *wk = &w->engine->bus.wake[w->idx];

	for (unsigned i = 0; i < w->n_rxq; i++) {
		struct tern_rxq *q = &w->rxq[i];
		const struct tern_port *p = &w->engine->ports[q->port_id];

		if (p->n_rx_wake != 0) {
			for (unsigned k = 0; k < p->n_rx_wake; k++)
				if (tern_wake_add_rx_fd(wk, p->rx_wake_fd[k]) < 0)
					return false;
		} else if (p->rx_intr_fd[q->queue] >= 0) {
			if (tern_wake_add_rx_fd(wk, p->rx_intr_fd[q->queue]) < 0)
				return false;
			q->intr = 1;
		} else {
			return false;
		}
	}
	return true;
}

/* Before a sleep: ask the queues that wake by RX interrupt to interrupt
 * (a driver whose fd is readable anyway, as tap's, says -ENOTSUP: fine). */
static void
rx_intr_arm(struct tern_worker *w)
{
	for (unsigned i = 0; i < w->n_rxq; i++)
		if (w->rxq[i].intr)
			(void)rte_eth_dev_rx_intr_enable(w->rxq[i].port_id, w->rxq[i].queue);
}

/* After it: no more interrupts while polling, and an eventfd's count
 * consumed (a queue's own fd is left alone: reading it would take a frame). */
static void
rx_intr_disarm(struct tern_worker *w)
{
	for (unsigned i = 0; i < w->n_rxq; i++) {
		const struct tern_rxq *q = &w->rxq[i];
		const struct tern_port *p = &w->engine->ports[q->port_id];
		uint64_t count;

		if (!q->intr)
			continue;
		(void)rte_eth_dev_rx_intr_disable(q->port_id, q->queue);
		if (p->rx_intr_eventfd[q->queue] &&
		    read(p->rx_intr_fd[q->queue], &count, sizeof(count)) < 0)
			continue; /* EAGAIN: nothing counted */
	}
}

/* How late the worker ran after it should have: past the time asked for a
 * timed sleep, after the ring for a post (the kernel's wake-up delay, the
 * same a frame pays; a frame's own arrival time is unknown). */
static void
note_wake_late(struct tern_worker *w, enum tern_wake_cause cause, uint64_t ns,
	       uint64_t took, uint64_t now)
{
	uint64_t asked, rung;

	if (cause == TERN_WAKE_TIMEOUT) {
		asked = (uint64_t)((double)ns * (double)rte_get_tsc_hz() / 1e9);
		tern_hist_add(&w->wake_late, took > asked ? took - asked : 0, 1);
	} else if (cause == TERN_WAKE_RUNG) {
		rung = __atomic_load_n(&w->engine->bus.wake[w->idx].rung_tsc, __ATOMIC_RELAXED);
		if (rung != 0 && now >= rung && now - rung < took)
			tern_hist_add(&w->wake_late, now - rung, 1);
	}
}

/* Sleep offline (grace periods do not wait for us), never past the next
 * timer, and only until something is posted to us (the event bus rings our
 * doorbell) or, with rx_wake, a frame arrives; count the time really slept
 * and what ended it. */
static void
idle_sleep(struct tern_worker *w, uint64_t ns)
{
	uint64_t next = tern_timers_next_ns();
	enum tern_wake_cause cause;
	uint64_t t0, took;

	if (w->rx_wake && ns < RX_WAKE_SLEEP_MAX_NS)
		ns = RX_WAKE_SLEEP_MAX_NS;
	if (next < ns)
		ns = next;
	if (ns == 0)
		return;
	/* A frame that came before the interrupts were armed raised none:
	 * poll once more, armed, and do not sleep if there was work. */
	if (w->rx_intr) {
		rx_intr_arm(w);
		if (tern_worker_poll_once(w) != 0) {
			rx_intr_disarm(w);
			return;
		}
	}
	t0 = rte_rdtsc();
	rcu_thread_offline();
	cause = tern_bus_sleep(&w->engine->bus, w->idx, ns);
	rcu_thread_online();
	took = rte_rdtsc() - t0;
	if (w->rx_intr)
		rx_intr_disarm(w);
	/* What the sleep really took: the kernel overshoots short sleeps. */
	tern_wctr_add(&w->wstats, TERN_WCTR_IDLE_SLEEPS, 1);
	tern_wctr_add(&w->wstats, TERN_WCTR_IDLE_WOKEN, cause == TERN_WAKE_RUNG);
	tern_wctr_add(&w->wstats, TERN_WCTR_IDLE_WOKEN_RX, cause == TERN_WAKE_RX);
	tern_wctr_add(&w->wstats, TERN_WCTR_IDLE_TIMED_OUT, cause == TERN_WAKE_TIMEOUT);
	tern_wctr_add(&w->wstats, TERN_WCTR_IDLE_SLEPT_NS,
		      tern_hist_cycles_to_ns(took, rte_get_tsc_hz()));
	note_wake_late(w, cause, ns, took, t0 + took);
}

static void
idle(struct tern_worker *w, unsigned work)
{
	uint64_t ns = 0;

	switch (tern_idle_step(&w->idle, work, rte_rdtsc(), &ns)) {
	case TERN_IDLE_PAUSE:
		rte_pause();
		break;
	case TERN_IDLE_SLEEP:
		/* Never asleep over frames waiting their turn. */
		if (tern_worker_backlog_len(w) == 0)
			idle_sleep(w, ns);
		break;
	default:
		break;
	}
}

/* What is still in the backlog at exit is dropped, and counted. */
static void
drop_backlog(struct tern_worker *w)
{
	struct tern_backlog *b = &w->backlog;

	while (b->head != b->tail) {
		const struct tern_backlog_ent *e = &b->e[b->head++ & (TERN_BACKLOG - 1)];

		tern_ctr_add(&w->stats, e->port, TERN_CTR_DROP_BACKLOG, 1);
		rte_pktmbuf_free(e->m);
	}
}

int
tern_worker_main(void *arg)
{
	struct tern_worker *w = arg;
	struct tern_engine *e = w->engine;
	bool busy = e->conf.idle.mode == TERN_IDLE_BUSY;

	tern_host_set_worker(w->idx);
	tern_idle_init(&w->idle, &e->conf.idle, rte_rdtsc(), rte_get_tsc_hz());
	/* Short sleeps, not the default 50 us of timer slack on top. */
	if (!busy) {
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
		w->rx_wake = arm_rx_wake(w);
		for (unsigned i = 0; i < w->n_rxq; i++)
			w->rx_intr |= w->rxq[i].intr;
	}
	/* A QSBR reader from here on: online, so grace periods wait for us. */
	rcu_register_thread();
	while (!__atomic_load_n(&e->stop, __ATOMIC_ACQUIRE)) {
		unsigned work = tern_worker_poll_once(w);

		tern_wctr_add(&w->wstats, TERN_WCTR_LOOPS, 1);
		/* No table pointer survives this point: let writers free old ones. */
		__atomic_store_n(&w->epoch, w->epoch + 1, __ATOMIC_RELEASE);
		rcu_quiescent_state();
		if (!busy)
			idle(w, work);
	}
	drop_backlog(w);
	/* Unregistering also takes us offline: no grace period waits for us. */
	rcu_unregister_thread();
	tern_host_set_worker(TERN_FROM_CONTROL);
	return 0;
}
