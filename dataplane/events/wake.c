/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The doorbell on an eventfd (see wake.h). The wait is a ppoll with a
 * nanosecond timeout; a ring writes 1 to the eventfd, which the wait reads
 * back, so a ring that lands after a timeout is consumed by the next wait
 * (which then returns at once: a spurious wake-up, harmless).
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "wake.h"

int
tern_wake_init(struct tern_wake *w, struct tern_err *err)
{
	memset(w, 0, sizeof(*w));
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->fd < 0)
		return tern_err_set(err, errno, "worker doorbell: eventfd: %s", strerror(errno));
	return 0;
}

void
tern_wake_fini(struct tern_wake *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

void
tern_wake_prepare(struct tern_wake *w)
{
	__atomic_store_n(&w->asleep, 1, __ATOMIC_RELAXED);
	/* Our "asleep" before our look for work, against the poster's work
	 * before its look at "asleep". */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void
tern_wake_cancel(struct tern_wake *w)
{
	__atomic_store_n(&w->asleep, 0, __ATOMIC_RELAXED);
}

bool
tern_wake_wait(struct tern_wake *w, uint64_t ns)
{
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000u),
		.tv_nsec = (long)(ns % 1000000000u),
	};
	uint64_t v;
	bool rung;

	rung = ppoll(&pfd, 1, &ts, NULL) > 0 && (pfd.revents & POLLIN);
	__atomic_store_n(&w->asleep, 0, __ATOMIC_RELAXED);
	if (rung && read(w->fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		rung = false;
	return rung;
}

void
tern_wake_ring(struct tern_wake *w)
{
	const uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->asleep, __ATOMIC_RELAXED) == 0)
		return;
	/* Only EAGAIN (the counter full) can fail: it is rung already. */
	if (write(w->fd, &one, sizeof(one)) < 0)
		return;
}
