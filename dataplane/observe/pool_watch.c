/* SPDX-License-Identifier: BSD-3-Clause */
/* Watch of the mbuf pool's occupancy: see pool_watch.h. */
#include "pool_watch.h"

void
tern_pool_watch_init(struct tern_pool_watch *pw, unsigned size, unsigned low_mark,
		     uint64_t now_ns)
{
	if (low_mark > size)
		low_mark = size;
	*pw = (struct tern_pool_watch){
		.size = size,
		.low_mark = low_mark != 0 ? low_mark : 1,
		.available = size,
		.min_available = size,
		.last_ns = now_ns,
	};
}

enum tern_pool_event
tern_pool_watch_sample(struct tern_pool_watch *pw, unsigned available, uint64_t now_ns)
{
	bool low = available < pw->low_mark;
	enum tern_pool_event ev = TERN_POOL_STEADY;

	if (now_ns < pw->last_ns)
		now_ns = pw->last_ns;
	if (pw->exhausted)
		pw->exhausted_ns += now_ns - pw->last_ns;
	if (low && !pw->exhausted) {
		pw->exhaustions++;
		pw->since_ns = now_ns;
		ev = TERN_POOL_EXHAUSTED;
	} else if (!low && pw->exhausted) {
		ev = TERN_POOL_RECOVERED;
	}
	pw->exhausted = low;
	pw->available = available;
	if (available < pw->min_available)
		pw->min_available = available;
	pw->last_ns = now_ns;
	return ev;
}

void
tern_pool_watch_clear(struct tern_pool_watch *pw)
{
	pw->exhaustions = pw->exhausted ? 1 : 0;
	pw->exhausted_ns = 0;
	pw->min_available = pw->available;
}
