/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_per_lcore.h>

#include "app_loader.h"
#include "app_log.h"
#include "app_timer.h"
#include "engine.h"
#include "host.h"
#include "mono_clock.h"
#include "worker.h"

/* The process's engine (one per process; ternd and tests make one). */
static struct tern_engine *host_engine;

/* The calling thread's worker index; TERN_FROM_CONTROL elsewhere. */
static __thread unsigned host_worker = TERN_FROM_CONTROL;

void
tern_host_bind(struct tern_engine *e)
{
	host_engine = e;
}

void
tern_host_set_worker(unsigned idx)
{
	host_worker = idx;
}

unsigned
tern_host_worker(void)
{
	return host_worker;
}

static unsigned
host_worker_id(void)
{
	return host_worker;
}

static uint64_t
host_now_ns(void)
{
	return tern_mono_ns();
}

static struct tern_timer *
host_timer_new(void *self, tern_timer_fn fn, void *arg)
{
	return tern_timer_new(&((struct tern_app_instance *)self)->timers, fn, arg);
}

/* A message to this app on worker; counted against the poster when refused. */
static int
host_post(void *self, unsigned worker, uint32_t tag, const void *data, uint16_t len)
{
	const struct tern_app_instance *app = self;
	struct tern_engine *e = host_engine;
	struct tern_event ev = { .kind = TERN_EV_MSG };

	if (e == NULL || worker >= e->n_workers || len > TERN_MSG_MAX)
		return -EINVAL;
	ev.slot = app->slot;
	ev.msg.tag = tag;
	ev.msg.from_worker = (uint16_t)host_worker;
	ev.msg.len = len;
	memcpy(ev.msg.data, data, len);
	if (tern_bus_post(&e->bus, worker, &ev) == 0)
		return 0;
	if (host_worker < e->n_workers)
		tern_wctr_add(&e->workers[host_worker].wstats, TERN_WCTR_BUS_POST_FULL, 1);
	return -ENOBUFS;
}

/* The calling worker, or NULL off the workers. */
static struct tern_worker *
host_this_worker(void)
{
	struct tern_engine *e = host_engine;

	return e != NULL && host_worker < e->n_workers ? &e->workers[host_worker] : NULL;
}

static void
host_log(void *self, const char *fmt, ...)
{
	struct tern_worker *w = host_this_worker();
	va_list ap;

	va_start(ap, fmt);
	tern_app_vlog(self, host_worker, w != NULL ? w->log : NULL, stdout, fmt, ap);
	va_end(ap);
}

static int
host_reply_more(void *self, struct tern_udp_req *r, const void *payload, uint16_t len)
{
	struct tern_worker *w = host_this_worker();

	(void)self;
	return w != NULL ? tern_worker_reply_more(w, r, payload, len) : -EINVAL;
}

static void
host_frame_free(struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
}

static int
host_frame_send(void *self, struct rte_mbuf *m)
{
	struct tern_worker *w = host_this_worker();

	(void)self;
	return w != NULL ? tern_worker_frame_send(w, m) : -EPERM;
}

static int
host_later(void *self, void (*fn)(void *arg), void *arg)
{
	if (host_worker != TERN_FROM_CONTROL || self == NULL || fn == NULL)
		return -EINVAL;
	return tern_app_later(self, fn, arg);
}

const struct tern_host tern_host_ops = {
	.size = sizeof(struct tern_host),
	.worker_id = host_worker_id,
	.now_ns = host_now_ns,
	.timer_new = host_timer_new,
	.timer_arm = tern_timer_arm,
	.timer_cancel = tern_timer_cancel,
	.timer_free = tern_timer_free,
	.post = host_post,
	.log = host_log,
	.reply_more = host_reply_more,
	.frame_free = host_frame_free,
	.frame_send = host_frame_send,
	.later = host_later,
};
