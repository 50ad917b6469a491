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

#include <rte_cycles.h>

#include "wake.h"

int
tern_wake_init(struct tern_wake *w, struct tern_err *err)
{
	memset(w, 0, sizeof(*w));
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->fd < 0)
		return tern_err_set(err, errno, "worker doorbell: eventfd: %s", strerror(errno));
	w->pfd[0] = (struct pollfd){ .fd = w->fd, .events = POLLIN };
	return 0;
}

int
tern_wake_add_rx_fd(struct tern_wake *w, int fd)
{
	for (unsigned i = 0; i < w->n_rx; i++)
		if (w->pfd[1 + i].fd == fd)
			return 0;
	if (w->n_rx >= TERN_WAKE_MAX_RX_FDS)
		return -ENOSPC;
	w->pfd[1 + w->n_rx++] = (struct pollfd){ .fd = fd, .events = POLLIN };
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

enum tern_wake_cause
tern_wake_wait(struct tern_wake *w, uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000u),
		.tv_nsec = (long)(ns % 1000000000u),
	};
	enum tern_wake_cause cause = TERN_WAKE_TIMEOUT;
	uint64_t v;
	int n;

	n = ppoll(w->pfd, 1 + w->n_rx, &ts, NULL);
	__atomic_store_n(&w->asleep, 0, __ATOMIC_RELAXED);
	if (n <= 0)
		return TERN_WAKE_TIMEOUT;
	for (unsigned i = 1; i <= w->n_rx; i++)
		if (w->pfd[i].revents != 0)
			cause = TERN_WAKE_RX;
	if ((w->pfd[0].revents & POLLIN) && read(w->fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		cause = TERN_WAKE_RUNG;
	return cause;
}

void
tern_wake_ring(struct tern_wake *w)
{
	const uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->asleep, __ATOMIC_RELAXED) == 0)
		return;
	__atomic_store_n(&w->rung_tsc, rte_rdtsc(), __ATOMIC_RELAXED);
	/* Only EAGAIN (the counter full) can fail: it is rung already. */
	if (write(w->fd, &one, sizeof(one)) < 0)
		return;
}
