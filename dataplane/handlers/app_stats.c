/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "app_stats.h"

static uint64_t
rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
tern_app_totals_read(const struct tern_app_wstats *ws, unsigned n_workers,
		     struct tern_app_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned w = 0; ws != NULL && w < n_workers; w++) {
		uint64_t m = rd(&ws[w].held_wait_max);

		out->requests += rd(&ws[w].requests);
		out->replies += rd(&ws[w].replies);
		out->drops += rd(&ws[w].drops);
		out->bad += rd(&ws[w].bad);
		out->held += rd(&ws[w].held);
		out->log_suppressed += rd(&ws[w].log_suppressed);
		if (m > out->held_wait_max)
			out->held_wait_max = m;
	}
}

void
tern_app_latency_read(const struct tern_app_wstats *ws, unsigned n_workers,
		      struct tern_hist *out)
{
	for (unsigned w = 0; ws != NULL && w < n_workers; w++)
		tern_hist_merge(out, &ws[w].lat);
}
