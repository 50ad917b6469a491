/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event bus on rte_ring: one ring of 64-byte elements per worker,
 * multi-producer enqueue (the default) and single-consumer dequeue
 * (RING_F_SC_DEQ). rte_ring keeps FIFO order, and an MP enqueue publishes a
 * producer's elements in the order it reserved them, so the events of one
 * sender reach the worker in the order they were posted. A ring of N slots
 * holds N - 1 events (rte_ring keeps one slot free).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "event_bus.h"

/* Events taken per dequeue while emptying a ring in tern_bus_free. */
#define BUS_FREE_BURST 64

static bool
ring_size_ok(unsigned n)
{
	return n >= 2 && n <= RTE_RING_SZ_MASK && rte_is_power_of_2(n);
}

/* Create worker w's ring, named "<prefix>_bus<w>". */
static int
bus_ring_create(struct tern_bus *b, const char *prefix, unsigned w, unsigned size,
		struct tern_err *err)
{
	char name[RTE_RING_NAMESIZE];
	int n;

	n = snprintf(name, sizeof(name), "%s_bus%u", prefix, w);
	if (n < 0 || (size_t)n >= sizeof(name))
		return tern_err_set(err, ENAMETOOLONG,
				    "event bus: ring name '%s_bus%u' is longer than %d characters; use a shorter prefix",
				    prefix, w, (int)RTE_RING_NAMESIZE - 1);
	b->ring[w] = rte_ring_create_elem(name, sizeof(struct tern_event), size,
					  SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (b->ring[w] == NULL)
		return tern_err_set(err, rte_errno,
				    "event bus: cannot create ring '%s' of %u events: %s%s",
				    name, size, rte_strerror(rte_errno),
				    rte_errno == EEXIST ? " (a bus with this prefix exists already)" : "");
	return 0;
}

int
tern_bus_create(struct tern_bus *b, const char *name_prefix, unsigned n_workers,
		unsigned ring_size, struct tern_err *err)
{
	int ret;

	b->n_workers = 0;
	b->ring = NULL;
	b->wake = NULL;
	if (ring_size == 0)
		ring_size = TERN_BUS_RING_DEFAULT;
	if (!ring_size_ok(ring_size))
		return tern_err_set(err, EINVAL,
				    "event bus: ring size %u must be a power of two from 2 to %u",
				    ring_size, (unsigned)RTE_RING_SZ_MASK);
	if (n_workers == 0)
		return tern_err_set(err, EINVAL, "event bus: needs at least one worker");
	b->ring = calloc(n_workers, sizeof(*b->ring));
	b->wake = aligned_alloc(RTE_CACHE_LINE_SIZE, n_workers * sizeof(*b->wake));
	if (b->ring == NULL || b->wake == NULL) {
		free(b->ring);
		free(b->wake);
		b->ring = NULL;
		b->wake = NULL;
		return tern_err_set(err, ENOMEM, "event bus: out of memory");
	}
	for (unsigned w = 0; w < n_workers; w++)
		b->wake[w].fd = -1;
	for (unsigned w = 0; w < n_workers; w++) {
		ret = tern_wake_init(&b->wake[w], err);
		if (ret == 0)
			ret = bus_ring_create(b, name_prefix, w, ring_size, err);
		if (ret < 0) {
			tern_wake_fini(&b->wake[w]);
			b->n_workers = w;
			tern_bus_free(b);
			return ret;
		}
	}
	b->n_workers = n_workers;
	return 0;
}

/* Free the mbuf an event carries, if any (the ring owned it). */
static void
event_release(struct tern_event *ev)
{
	switch (ev->kind) {
	case TERN_EV_PKT:
	case TERN_EV_STEER:
	case TERN_EV_TX:
		rte_pktmbuf_free(ev->m);
		break;
	default:
		break;
	}
}

/* Empty ring r, freeing what its events own. */
static void
ring_release_all(struct rte_ring *r)
{
	struct tern_event evs[BUS_FREE_BURST];
	unsigned n;

	do {
		n = rte_ring_sc_dequeue_burst_elem(r, evs, sizeof(evs[0]), RTE_DIM(evs), NULL);
		for (unsigned i = 0; i < n; i++)
			event_release(&evs[i]);
	} while (n > 0);
}

void
tern_bus_free(struct tern_bus *b)
{
	if (b->ring == NULL)
		return;
	for (unsigned w = 0; w < b->n_workers; w++) {
		if (b->ring[w] != NULL) {
			ring_release_all(b->ring[w]);
			rte_ring_free(b->ring[w]);
		}
		tern_wake_fini(&b->wake[w]);
	}
	free(b->ring);
	free(b->wake);
	b->ring = NULL;
	b->wake = NULL;
	b->n_workers = 0;
}

int
tern_bus_post(struct tern_bus *b, unsigned worker, const struct tern_event *ev)
{
	if (unlikely(worker >= b->n_workers))
		return -EINVAL;
	/* 22.11's rte_ring_mp_enqueue_elem takes a non-const pointer; it only reads. */
	if (rte_ring_mp_enqueue_elem(b->ring[worker], (void *)ev, sizeof(*ev)) != 0)
		return -ENOBUFS;
	tern_wake_ring(&b->wake[worker]);
	return 0;
}

unsigned
tern_bus_post_burst(struct tern_bus *b, unsigned worker, const struct tern_event *evs,
		    unsigned n)
{
	unsigned taken;

	if (unlikely(worker >= b->n_workers))
		return 0;
	taken = rte_ring_mp_enqueue_burst_elem(b->ring[worker], evs, sizeof(*evs), n, NULL);
	if (taken != 0)
		tern_wake_ring(&b->wake[worker]);
	return taken;
}

unsigned
tern_bus_drain(struct tern_bus *b, unsigned worker, struct tern_event *evs, unsigned max)
{
	if (unlikely(worker >= b->n_workers))
		return 0;
	return rte_ring_sc_dequeue_burst_elem(b->ring[worker], evs, sizeof(*evs), max, NULL);
}

unsigned
tern_bus_pending(const struct tern_bus *b, unsigned worker)
{
	if (worker >= b->n_workers)
		return 0;
	return rte_ring_count(b->ring[worker]);
}

enum tern_wake_cause
tern_bus_sleep(struct tern_bus *b, unsigned worker, uint64_t ns)
{
	struct tern_wake *w = &b->wake[worker];

	tern_wake_prepare(w);
	if (rte_ring_count(b->ring[worker]) != 0) {
		tern_wake_cancel(w);
		return TERN_WAKE_RUNG;
	}
	return tern_wake_wait(w, ns);
}
