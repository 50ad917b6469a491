/* SPDX-License-Identifier: BSD-3-Clause */
/* Apps' log lines: see app_log.h. */
#include <stdio.h>
#include <string.h>

#include "app_loader.h"
#include "app_log.h"
#include "engine.h"
#include "mono_clock.h"
#include "worker.h"

#define NS_PER_SEC 1000000000ull

/* Room for one more line this second (and in the ring)? Counts what is not. */
static int
admit(struct tern_app_wstats *ws, const struct tern_log_ring *ring)
{
	uint64_t sec = tern_mono_ns() / NS_PER_SEC;
	uint32_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);

	if (ws->log_sec != sec) {
		ws->log_sec = sec;
		ws->log_n = 0;
	}
	if (ws->log_n >= TERN_LOG_RATE || ring->tail - head >= TERN_LOG_RING) {
		tern_app_wstats_add(&ws->log_suppressed, 1);
		return 0;
	}
	ws->log_n++;
	return 1;
}

void
tern_app_vlog(struct tern_app_instance *app, unsigned worker, struct tern_log_ring *ring,
	      FILE *f, const char *fmt, va_list ap)
{
	struct tern_app_wstats *ws;
	struct tern_log_line *l;

	if (ring == NULL || worker >= app->n_ws) {
		fprintf(f, "app %s: ", app->name);
		vfprintf(f, fmt, ap);
		fputc('\n', f);
		fflush(f);
		return;
	}
	ws = &app->ws[worker];
	if (!admit(ws, ring))
		return;
	l = &ring->l[ring->tail % TERN_LOG_RING];
	snprintf(l->app, sizeof(l->app), "%s", app->name);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	l->suppressed = ws->log_suppressed - ws->log_reported;
	ws->log_reported = ws->log_suppressed;
	__atomic_store_n(&ring->tail, ring->tail + 1, __ATOMIC_RELEASE);
}

unsigned
tern_engine_log_drain(struct tern_engine *e, FILE *f)
{
	unsigned n = 0;

	for (unsigned w = 0; w < e->n_workers; w++) {
		struct tern_log_ring *ring = e->workers[w].log;
		uint32_t tail;

		if (ring == NULL)
			continue;
		tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
		for (uint32_t h = ring->head; h != tail; h++, n++) {
			const struct tern_log_line *l = &ring->l[h % TERN_LOG_RING];

			fprintf(f, "app %s (worker %u): %s", l->app, w, l->text);
			if (l->suppressed != 0)
				fprintf(f, " [%" PRIu64 " earlier lines suppressed: at most %u a second]",
					l->suppressed, TERN_LOG_RATE);
			fputc('\n', f);
		}
		__atomic_store_n(&ring->head, tail, __ATOMIC_RELEASE);
	}
	if (n != 0)
		fflush(f);
	return n;
}
