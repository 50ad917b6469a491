/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event bus (dataplane/events/event_bus.c) under EAL with --no-huge: events come
 * out in the order they went in, unchanged; a full ring refuses a post
 * (-ENOBUFS) and a burst post takes a prefix; freeing the bus frees the mbufs
 * still in it; bad arguments are refused; and with two producers posting at
 * once (an EAL lcore and a plain pthread) the consumer sees each sender's
 * sequence complete and in order. A worker sleeping on the bus
 * (tern_bus_sleep) is woken by a post long before its timeout, does not
 * sleep at all with an event waiting, and sleeps its time out otherwise.
 *
 * Three busy threads share the machine's two CPUs in the two-producer test
 * (the pthread shares CPU 0 with the consumer), so whoever finds the ring
 * full or empty yields its CPU rather than spin through its time slice.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "check.h"
#include "eal_runtime.h"
#include "event_bus.h"
#include "mono_clock.h"

#define SMALL_RING 8          /* holds SMALL_RING - 1 events */
#define MT_RING 64
#define MT_EVENTS 100000u     /* per producer */
#define MT_BURST 8u
#define MT_TIMEOUT_S 60

static struct tern_event
msg_event(uint16_t from, uint32_t seq)
{
	struct tern_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = TERN_EV_MSG;
	ev.slot = 3;
	ev.msg.tag = seq;
	ev.msg.from_worker = from;
	ev.msg.len = (uint16_t)snprintf((char *)ev.msg.data, sizeof(ev.msg.data),
					"from %u seq %u", from, seq);
	return ev;
}

static bool
msg_event_ok(const struct tern_event *ev, uint16_t from, uint32_t seq)
{
	struct tern_event want = msg_event(from, seq);

	return memcmp(ev, &want, sizeof(want)) == 0;
}

static void
test_bad_arguments(void)
{
	struct tern_bus b, dup;
	struct tern_event ev = msg_event(0, 0), out;
	struct tern_err err;

	CHECK_EQ(tern_bus_create(&b, "bad", 2, 1000, &err), -EINVAL);
	CHECK(strstr(err.msg, "power of two") != NULL);
	CHECK_EQ(tern_bus_create(&b, "bad", 0, 0, &err), -EINVAL);
	CHECK_EQ(tern_bus_create(&b, "a_prefix_much_too_long_for_dpdk", 1, 0, &err),
		 -ENAMETOOLONG);
	CHECK(strstr(err.msg, "shorter prefix") != NULL);

	/* Ring names are per process: a second bus with the same prefix fails
	 * cleanly, and the first still works. */
	CHECK_EQ(tern_bus_create(&b, "dup", 2, 0, &err), 0);
	CHECK_EQ(b.n_workers, 2);
	CHECK_EQ(tern_bus_create(&dup, "dup", 2, 0, &err), -EEXIST);
	CHECK(strstr(err.msg, "dup_bus0") != NULL);
	CHECK_EQ(tern_bus_post(&b, 2, &ev), -EINVAL);
	CHECK_EQ(tern_bus_post_burst(&b, 7, &ev, 1), 0);
	CHECK_EQ(tern_bus_drain(&b, 2, &out, 1), 0);
	CHECK_EQ(tern_bus_pending(&b, 2), 0);
	CHECK_EQ(tern_bus_post(&b, 1, &ev), 0);
	CHECK_EQ(tern_bus_pending(&b, 1), 1);
	tern_bus_free(&b);
	tern_bus_free(&b);	/* twice is harmless */
	/* The names are free again. */
	CHECK_EQ(tern_bus_create(&b, "dup", 2, 0, &err), 0);
	tern_bus_free(&b);
}

static void
test_order_and_full(void)
{
	struct tern_event in[SMALL_RING], out[2 * SMALL_RING];
	struct tern_bus b;
	struct tern_err err;
	uint32_t seq = 0;
	unsigned n, taken;

	CHECK_EQ(tern_bus_create(&b, "order", 2, SMALL_RING, &err), 0);

	/* Fill worker 1's ring: SMALL_RING - 1 posts go in, the next is refused. */
	for (unsigned i = 0; i < SMALL_RING - 1; i++) {
		in[0] = msg_event(1, seq++);
		CHECK_EQ(tern_bus_post(&b, 1, &in[0]), 0);
	}
	in[0] = msg_event(1, seq);
	CHECK_EQ(tern_bus_post(&b, 1, &in[0]), -ENOBUFS);
	CHECK_EQ(tern_bus_pending(&b, 1), SMALL_RING - 1);
	CHECK_EQ(tern_bus_pending(&b, 0), 0);	/* the other worker is untouched */

	/* Oldest first, contents unchanged. */
	n = tern_bus_drain(&b, 1, out, 3);
	CHECK_EQ(n, 3);
	for (unsigned i = 0; i < n; i++)
		CHECK(msg_event_ok(&out[i], 1, i));

	/* Room for 3: a burst of 5 takes its first 3. */
	for (unsigned i = 0; i < 5; i++)
		in[i] = msg_event(1, seq + i);
	taken = tern_bus_post_burst(&b, 1, in, 5);
	CHECK_EQ(taken, 3);
	seq += taken;
	CHECK_EQ(tern_bus_post_burst(&b, 1, &in[3], 2), 0);

	n = tern_bus_drain(&b, 1, out, RTE_DIM(out));
	CHECK_EQ(n, SMALL_RING - 1);
	for (unsigned i = 0; i < n; i++)
		CHECK(msg_event_ok(&out[i], 1, 3 + i));
	CHECK_EQ(tern_bus_drain(&b, 1, out, RTE_DIM(out)), 0);
	CHECK_EQ(seq, 10);
	tern_bus_free(&b);
}

static void
test_free_releases_mbufs(void)
{
	static const uint8_t kinds[] = { TERN_EV_PKT, TERN_EV_STEER, TERN_EV_TX };
	struct rte_mempool *mp;
	struct tern_event ev;
	struct tern_bus b;
	struct tern_err err;
	unsigned full;

	mp = rte_pktmbuf_pool_create("bus_test_mp", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	CHECK(mp != NULL);
	if (mp == NULL)
		return;
	full = rte_mempool_avail_count(mp);
	CHECK_EQ(tern_bus_create(&b, "free", 2, 16, &err), 0);
	for (unsigned i = 0; i < RTE_DIM(kinds); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = kinds[i];
		ev.m = rte_pktmbuf_alloc(mp);
		CHECK(ev.m != NULL);
		CHECK_EQ(tern_bus_post(&b, i % 2, &ev), 0);
	}
	ev = msg_event(0, 1);
	CHECK_EQ(tern_bus_post(&b, 0, &ev), 0);
	CHECK_EQ(rte_mempool_avail_count(mp), full - RTE_DIM(kinds));
	tern_bus_free(&b);
	CHECK_EQ(rte_mempool_avail_count(mp), full);
	rte_mempool_free(mp);
}

/* ---- two producers, one consumer --------------------------------------- */

struct producer {
	struct tern_bus *bus;
	uint16_t id;
	bool burst;               /**< post_burst in MT_BURST, else one by one */
	uint64_t refused;         /**< posts (or burst remainders) refused as full */
};

static volatile bool mt_abort;

static void
produce_one_by_one(struct producer *p)
{
	struct tern_event ev;

	for (uint32_t seq = 0; seq < MT_EVENTS && !mt_abort; seq++) {
		ev = msg_event(p->id, seq);
		while (tern_bus_post(p->bus, 0, &ev) == -ENOBUFS && !mt_abort) {
			p->refused++;
			sched_yield();
		}
	}
}

static void
produce_bursts(struct producer *p)
{
	struct tern_event evs[MT_BURST];
	uint32_t seq = 0;
	unsigned n, done;

	while (seq < MT_EVENTS && !mt_abort) {
		n = RTE_MIN(MT_BURST, MT_EVENTS - seq);
		for (unsigned i = 0; i < n; i++)
			evs[i] = msg_event(p->id, seq + i);
		/* Whatever was not taken goes again, after the taken prefix. */
		for (done = 0; done < n && !mt_abort; ) {
			done += tern_bus_post_burst(p->bus, 0, &evs[done], n - done);
			if (done < n) {
				p->refused++;
				sched_yield();
			}
		}
		seq += n;
	}
}

static int
producer_main(void *arg)
{
	struct producer *p = arg;

	if (p->burst)
		produce_bursts(p);
	else
		produce_one_by_one(p);
	return 0;
}

static void *
producer_thread(void *arg)
{
	producer_main(arg);
	return NULL;
}

/* Drain until every event of both producers arrived; each sender's
 * sequence numbers must come as 0, 1, 2, ... (in order, none lost, none
 * repeated). */
static void
consume(struct tern_bus *b, uint32_t next[2], unsigned *bad)
{
	struct tern_event evs[32];
	uint64_t deadline = rte_get_timer_cycles() + MT_TIMEOUT_S * rte_get_timer_hz();
	unsigned n;

	while (next[0] + next[1] < 2 * MT_EVENTS) {
		if (rte_get_timer_cycles() > deadline) {
			mt_abort = true;
			break;
		}
		n = tern_bus_drain(b, 0, evs, RTE_DIM(evs));
		if (n == 0)
			sched_yield();
		for (unsigned i = 0; i < n; i++) {
			uint16_t from = evs[i].msg.from_worker;

			if (from > 1 || !msg_event_ok(&evs[i], from, next[from])) {
				(*bad)++;
				continue;
			}
			next[from]++;
		}
	}
}

static void
test_two_producers(void)
{
	struct producer p[2];
	struct tern_bus b;
	struct tern_err err;
	uint32_t next[2] = { 0, 0 };
	unsigned bad = 0, lcore;
	pthread_t th[2];
	bool on_lcore;

	CHECK_EQ(tern_bus_create(&b, "mt", 1, MT_RING, &err), 0);
	for (unsigned i = 0; i < 2; i++)
		p[i] = (struct producer){ .bus = &b, .id = (uint16_t)i, .burst = i == 1 };

	/* Producer 0 on the second EAL lcore if there is one, producer 1 on a
	 * non-EAL thread (MP enqueue must work from both). */
	lcore = rte_get_next_lcore(-1, 1, 0);
	on_lcore = lcore < RTE_MAX_LCORE;
	if (on_lcore)
		CHECK_EQ(rte_eal_remote_launch(producer_main, &p[0], lcore), 0);
	else
		CHECK_EQ(pthread_create(&th[0], NULL, producer_thread, &p[0]), 0);
	CHECK_EQ(pthread_create(&th[1], NULL, producer_thread, &p[1]), 0);

	consume(&b, next, &bad);

	if (on_lcore)
		rte_eal_wait_lcore(lcore);
	else
		pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	printf("two producers (%s + pthread), ring %u: %u + %u events in order, "
	       "full ring refused %" PRIu64 " + %" PRIu64 " times\n",
	       on_lcore ? "lcore" : "pthread", MT_RING, next[0], next[1],
	       p[0].refused, p[1].refused);
	CHECK(!mt_abort);
	CHECK_EQ(bad, 0);
	CHECK_EQ(next[0], MT_EVENTS);
	CHECK_EQ(next[1], MT_EVENTS);
	CHECK_EQ(tern_bus_pending(&b, 0), 0);
	tern_bus_free(&b);
}

struct sleeper {
	struct tern_bus *bus;
	uint64_t sleep_ns;
	int woken;
	uint64_t took_ns;
	volatile int started;
};

static void *
sleeper_thread(void *arg)
{
	struct sleeper *s = arg;
	uint64_t t0 = tern_mono_ns();

	s->started = 1;
	s->woken = tern_bus_sleep(s->bus, 0, s->sleep_ns);
	s->took_ns = tern_mono_ns() - t0;
	return NULL;
}

/* The doorbell: a post ends a 10 s sleep (well before it would end), an
 * event already waiting means no sleep, and with nothing posted the sleep
 * runs its time. Whatever the scheduling, a missed ring shows as 10 s. */
static void
test_post_wakes_sleeper(void)
{
	struct sleeper s = { .sleep_ns = 10000000000ull };
	struct tern_event ev = msg_event(1, 7), out[2];
	struct tern_bus b;
	struct tern_err err;
	pthread_t th;

	CHECK_EQ(tern_bus_create(&b, "wake", 1, SMALL_RING, &err), 0);
	s.bus = &b;
	CHECK_EQ(pthread_create(&th, NULL, sleeper_thread, &s), 0);
	while (!s.started)
		sched_yield();
	usleep(50000); /* most likely asleep by now; a post before is found too */
	CHECK_EQ(tern_bus_post(&b, 0, &ev), 0);
	pthread_join(th, NULL);
	printf("a post woke a 10 s sleep after %" PRIu64 " ms\n", s.took_ns / 1000000);
	CHECK_EQ(s.woken, 1);
	CHECK(s.took_ns < 5000000000ull);
	CHECK_EQ(tern_bus_drain(&b, 0, out, 2), 1);

	/* An event waiting: no sleep at all. */
	CHECK_EQ(tern_bus_post(&b, 0, &ev), 0);
	s.sleep_ns = 10000000000ull;
	sleeper_thread(&s);
	CHECK_EQ(s.woken, 1);
	CHECK(s.took_ns < 5000000000ull);
	CHECK_EQ(tern_bus_drain(&b, 0, out, 2), 1);

	/* Nothing posted: the whole 20 ms. */
	s.sleep_ns = 20000000;
	sleeper_thread(&s);
	CHECK_EQ(s.woken, 0);
	CHECK(s.took_ns >= 20000000);
	tern_bus_free(&b);
}

/* A frame ends a sleep: an RX descriptor on the doorbell turning readable
 * (here a pipe, as a kernel socket does when a frame waits) ends a 10 s
 * sleep with TERN_WAKE_RX, one readable before the sleep (a frame after the
 * last RX poll) ends it at once, a post still counts as a post, and the
 * descriptor list refuses duplicates quietly and overflow loudly. */
static void
test_rx_fd_wakes_sleeper(void)
{
	struct sleeper s = { .sleep_ns = 10000000000ull };
	struct tern_event ev = msg_event(1, 7), out[2];
	struct tern_bus b;
	struct tern_err err;
	int fds[2];
	char c = 'x';
	pthread_t th;

	CHECK_EQ(tern_bus_create(&b, "rxwake", 1, SMALL_RING, &err), 0);
	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(tern_wake_add_rx_fd(&b.wake[0], fds[0]), 0);
	CHECK_EQ(tern_wake_add_rx_fd(&b.wake[0], fds[0]), 0);
	CHECK_EQ(b.wake[0].n_rx, 1);
	s.bus = &b;

	CHECK_EQ(pthread_create(&th, NULL, sleeper_thread, &s), 0);
	while (!s.started)
		sched_yield();
	usleep(50000);
	CHECK_EQ(write(fds[1], &c, 1), 1);
	pthread_join(th, NULL);
	printf("a frame woke a 10 s sleep after %" PRIu64 " ms\n", s.took_ns / 1000000);
	CHECK_EQ(s.woken, TERN_WAKE_RX);
	CHECK(s.took_ns < 5000000000ull);

	/* Still readable (the frame not taken yet): no sleep. */
	s.sleep_ns = 10000000000ull;
	sleeper_thread(&s);
	CHECK_EQ(s.woken, TERN_WAKE_RX);
	CHECK(s.took_ns < 5000000000ull);
	CHECK_EQ(read(fds[0], &c, 1), 1);

	/* A post with the descriptor quiet is a post. */
	CHECK_EQ(tern_bus_post(&b, 0, &ev), 0);
	sleeper_thread(&s);
	CHECK_EQ(s.woken, TERN_WAKE_RUNG);
	CHECK_EQ(tern_bus_drain(&b, 0, out, 2), 1);

	/* Quiet: the time runs out. */
	s.sleep_ns = 20000000;
	sleeper_thread(&s);
	CHECK_EQ(s.woken, TERN_WAKE_TIMEOUT);
	CHECK(s.took_ns >= 20000000);

	for (int i = 1; i < TERN_WAKE_MAX_RX_FDS; i++)
		CHECK_EQ(tern_wake_add_rx_fd(&b.wake[0], 1000 + i), 0);
	CHECK_EQ(tern_wake_add_rx_fd(&b.wake[0], 999), -ENOSPC);
	close(fds[0]);
	close(fds[1]);
	tern_bus_free(&b);
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { argv[0], "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
			"--log-level", "error", "--no-shconf", "--file-prefix", prefix };
	char runtime_dir[PATH_MAX];

	(void)argc;
	snprintf(prefix, sizeof(prefix), "tern-bus-%d", getpid());
	if (rte_eal_init(RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "test_event_bus: EAL init failed\n");
		return 1;
	}

	test_bad_arguments();
	test_order_and_full();
	test_free_releases_mbufs();
	test_two_producers();
	test_post_wakes_sleeper();
	test_rx_fd_wakes_sleeper();

	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	CHECK_EQ(eal_runtime_dir_remove(runtime_dir), 0);
	return check_done("test_event_bus");
}
