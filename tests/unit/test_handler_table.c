/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu-qsbr.h>

#include "canary.h"
#include "check.h"
#include "handler_table.h"
#include "rcu_publish.h"

static void
burst_a(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	(void)state;
	(void)worker;
	(void)reqs;
	(void)n;
}

static void
burst_b(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	burst_a(state, worker, reqs, n);
}

static int state_a, state_b;

/* ------------------------------------------------------------------ */
/* Single-threaded semantics                                          */
/* ------------------------------------------------------------------ */

static void
test_bind_unbind(void)
{
	const struct tern_handler ha = { .burst = burst_a, .state = &state_a };
	const struct tern_handler hb = { .burst = burst_b, .state = &state_b };
	const struct tern_handler hnull = { .burst = NULL, .state = &state_a };
	struct tern_err err = { .msg = "" };
	struct tern_handler_table *t = tern_handler_table_clone(NULL);
	const struct tern_handler *h;
	unsigned p;

	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_EQ(t->generation, 1);
	for (p = 0; p < 65536; p++)
		if (tern_handler_lookup_udp(t, (uint16_t)p) != NULL)
			break;
	CHECK_EQ(p, 65536);
	CHECK_EQ(tern_handler_table_slot_ports(t, 1), 0);

	CHECK_EQ(tern_handler_table_bind_udp(t, 7, 1, &ha, &err), 0);
	h = tern_handler_lookup_udp(t, 7);
	CHECK(h == &t->h[1]);
	CHECK(h != NULL && h->burst == burst_a && h->state == &state_a);
	CHECK(tern_handler_lookup_udp(t, 6) == NULL);
	CHECK(tern_handler_lookup_udp(t, 8) == NULL);

	/* rebinding to the same slot is fine; to another slot is -EBUSY */
	CHECK_EQ(tern_handler_table_bind_udp(t, 7, 1, &ha, &err), 0);
	err.msg[0] = '\0';
	CHECK_EQ(tern_handler_table_bind_udp(t, 7, 2, &hb, &err), -EBUSY);
	CHECK(strcmp(err.msg, "UDP port 7 is already bound to another app") == 0);
	CHECK(tern_handler_lookup_udp(t, 7) == &t->h[1]);
	CHECK(t->h[2].burst == NULL); /* a refused bind leaves no trace */
	CHECK_EQ(tern_handler_table_bind_udp(t, 7, 2, &hb, NULL), -EBUSY);

	/* invalid arguments */
	CHECK_EQ(tern_handler_table_bind_udp(t, 9, 0, &ha, &err), -EINVAL);
	CHECK_EQ(tern_handler_table_bind_udp(t, 9, TERN_MAX_APPS + 1, &ha, &err),
		 -EINVAL);
	CHECK(strstr(err.msg, "slot") != NULL);
	CHECK_EQ(tern_handler_table_bind_udp(t, 9, 3, &hnull, &err), -EINVAL);
	CHECK_EQ(tern_handler_table_bind_udp(t, 9, 3, NULL, &err), -EINVAL);
	CHECK(tern_handler_lookup_udp(t, 9) == NULL);
	CHECK(t->h[3].burst == NULL);

	/* edges of the port range and the highest slot */
	CHECK_EQ(tern_handler_table_bind_udp(t, 0, 1, &ha, &err), 0);
	CHECK_EQ(tern_handler_table_bind_udp(t, 65535, TERN_MAX_APPS, &hb, &err), 0);
	h = tern_handler_lookup_udp(t, 65535);
	CHECK(h != NULL && h->burst == burst_b && h->state == &state_b);
	CHECK(h == &t->h[TERN_MAX_APPS]);

	CHECK_EQ(tern_handler_table_bind_udp(t, 8, 2, &hb, &err), 0);
	CHECK_EQ(tern_handler_table_bind_udp(t, 9, 2, &hb, &err), 0);
	CHECK_EQ(tern_handler_table_slot_ports(t, 1), 2);
	CHECK_EQ(tern_handler_table_slot_ports(t, 2), 2);
	CHECK_EQ(tern_handler_table_slot_ports(t, TERN_MAX_APPS), 1);
	CHECK_EQ(tern_handler_table_slot_ports(t, 3), 0);

	/* unbind */
	err.msg[0] = '\0';
	CHECK_EQ(tern_handler_table_unbind_udp(t, 10, &err), -ENOENT);
	CHECK(strstr(err.msg, "UDP port 10") != NULL);
	CHECK(strstr(err.msg, "not bound") != NULL);
	CHECK_EQ(tern_handler_table_unbind_udp(t, 8, &err), 0);
	CHECK(tern_handler_lookup_udp(t, 8) == NULL);
	CHECK_EQ(tern_handler_table_unbind_udp(t, 8, &err), -ENOENT);
	CHECK_EQ(tern_handler_table_slot_ports(t, 2), 1);
	CHECK_EQ(tern_handler_table_unbind_udp(t, 9, NULL), 0);
	CHECK_EQ(tern_handler_table_slot_ports(t, 2), 0);
	/* a slot with no port left keeps its handler */
	CHECK(t->h[2].burst == burst_b && t->h[2].state == &state_b);
	/* once unbound, the port can go to another slot */
	CHECK_EQ(tern_handler_table_bind_udp(t, 8, 3, &ha, &err), 0);
	CHECK(tern_handler_lookup_udp(t, 8) == &t->h[3]);

	/* clear_slot unbinds all of the slot's ports and forgets its handler */
	tern_handler_table_clear_slot(t, 1);
	CHECK(tern_handler_lookup_udp(t, 7) == NULL);
	CHECK(tern_handler_lookup_udp(t, 0) == NULL);
	CHECK_EQ(tern_handler_table_slot_ports(t, 1), 0);
	CHECK(t->h[1].burst == NULL && t->h[1].state == NULL);
	/* and nothing else */
	CHECK(tern_handler_lookup_udp(t, 8) == &t->h[3]);
	CHECK(tern_handler_lookup_udp(t, 65535) == &t->h[TERN_MAX_APPS]);
	CHECK(t->h[2].burst == burst_b);
	/* the port is free again */
	CHECK_EQ(tern_handler_table_bind_udp(t, 7, 2, &hb, &err), 0);
	/* slot 0 and out-of-range slots are ignored */
	tern_handler_table_clear_slot(t, 0);
	tern_handler_table_clear_slot(t, TERN_MAX_APPS + 1);
	CHECK(tern_handler_lookup_udp(t, 7) == &t->h[2]);
	CHECK_EQ(tern_handler_table_slot_ports(t, 0), 0);

	free(t);
}

static void
test_clone(void)
{
	const struct tern_handler ha = { .burst = burst_a, .state = &state_a };
	const struct tern_handler hb = { .burst = burst_b, .state = &state_b };
	struct tern_handler_table *t1, *t2, *t3, *e2;
	struct tern_handler_table *snap;

	t1 = tern_handler_table_clone(NULL);
	e2 = tern_handler_table_clone(NULL);
	CHECK(t1 != NULL && e2 != NULL);
	if (t1 == NULL || e2 == NULL)
		return;
	CHECK(t1 != e2);
	CHECK_EQ(tern_handler_table_bind_udp(t1, 53, 5, &ha, NULL), 0);
	CHECK_EQ(tern_handler_table_bind_udp(t1, 54, 5, &ha, NULL), 0);
	CHECK(tern_handler_lookup_udp(e2, 53) == NULL);

	t2 = tern_handler_table_clone(t1);
	CHECK(t2 != NULL);
	if (t2 == NULL)
		return;
	CHECK(t2 != t1);
	CHECK_EQ(t2->generation, t1->generation + 1);
	CHECK(memcmp(t2->h, t1->h, sizeof(t1->h)) == 0);
	CHECK(memcmp(t2->udp, t1->udp, sizeof(t1->udp)) == 0);
	/* the copy resolves to its own handler array */
	CHECK(tern_handler_lookup_udp(t2, 53) == &t2->h[5]);

	snap = malloc(sizeof(*snap));
	CHECK(snap != NULL);
	if (snap == NULL)
		return;
	memcpy(snap, t1, sizeof(*snap));
	CHECK_EQ(tern_handler_table_unbind_udp(t2, 53, NULL), 0);
	CHECK_EQ(tern_handler_table_bind_udp(t2, 99, 6, &hb, NULL), 0);
	tern_handler_table_clear_slot(t2, 5);
	CHECK(memcmp(snap, t1, sizeof(*snap)) == 0);
	CHECK(tern_handler_lookup_udp(t1, 53) == &t1->h[5]);
	CHECK(tern_handler_lookup_udp(t1, 99) == NULL);

	t3 = tern_handler_table_clone(t2);
	CHECK(t3 != NULL);
	if (t3 != NULL) {
		CHECK_EQ(t3->generation, t1->generation + 2);
		CHECK(tern_handler_lookup_udp(t3, 99) == &t3->h[6]);
		CHECK(tern_handler_lookup_udp(t3, 54) == NULL);
	}

	free(snap);
	free(t3);
	free(t2);
	free(e2);
	free(t1);
}

/* ------------------------------------------------------------------ */
/* Concurrency: readers under QSBR while the writer replaces tables   */
/* ------------------------------------------------------------------ */

#define N_READERS 2
#define N_PUBLISH 2000
#define TIME_LIMIT_NS (3ULL * 1000 * 1000 * 1000)
#define PORT_BASE 5000
#define PORT_SPAN 16          /* ports PORT_BASE..PORT_BASE+PORT_SPAN-1 */
#define LOOKUP_ROUNDS 8       /* rounds over the span per snapshot */
#define STATE_MAGIC 0x7e41000000000000ULL
#define POISON 0xA5

/* The published table. Written by the writer only, read by readers. */
static struct tern_handler_table *g_table;
static atomic_int g_stop;
static atomic_ulong g_freed;

enum reader_fault {
	FAULT_NONE,
	FAULT_POISON,     /* read a table after the writer poisoned it */
	FAULT_UNBOUND,    /* a port of the span had no handler */
	FAULT_SLOT,       /* ports of one snapshot map to different slots */
	FAULT_HANDLER,    /* burst/state do not match the generation */
	FAULT_GEN_CHANGE, /* the table changed under the reader */
	FAULT_GEN_BACK,   /* generation went backwards between snapshots */
	FAULT_EXTRA,      /* a port outside the span was bound */
};

struct reader {
	pthread_t tid;
	unsigned long snapshots;
	unsigned long lookups;
	unsigned long gen_changes;
	unsigned long faults;
	enum reader_fault first_fault;
	uint64_t fault_gen;
};

static void *
gen_state(uint64_t gen)
{
	return (void *)(uintptr_t)(STATE_MAGIC ^ gen);
}

static uint8_t
gen_slot(uint64_t gen)
{
	return (uint8_t)(1 + gen % TERN_MAX_APPS);
}

static bool
is_poison(uint64_t gen)
{
	uint64_t p;

	memset(&p, POISON, sizeof(p));
	return gen == p;
}

static void
fault(struct reader *r, enum reader_fault f, uint64_t gen)
{
	if (r->faults++ == 0) {
		r->first_fault = f;
		r->fault_gen = gen;
	}
}

/* Check one snapshot of the table; all reads go through t. */
static void
check_snapshot(struct reader *r, const struct tern_handler_table *t)
{
	uint64_t gen = t->generation;
	uint8_t slot = gen_slot(gen);
	unsigned round, i;

	if (is_poison(gen) || t->udp[PORT_BASE] == POISON) {
		fault(r, FAULT_POISON, gen);
		return;
	}
	for (round = 0; round < LOOKUP_ROUNDS; round++) {
		for (i = 0; i < PORT_SPAN; i++) {
			const struct tern_handler *h =
				tern_handler_lookup_udp(t, PORT_BASE + i);

			r->lookups++;
			if (h == NULL) {
				fault(r, FAULT_UNBOUND, gen);
				return;
			}
			if (h != &t->h[slot]) {
				fault(r, t->udp[PORT_BASE + i] == POISON ?
					 FAULT_POISON : FAULT_SLOT, gen);
				return;
			}
			if (h->burst != burst_a || h->state != gen_state(gen)) {
				fault(r, FAULT_HANDLER, gen);
				return;
			}
		}
	}
	if (tern_handler_lookup_udp(t, PORT_BASE + PORT_SPAN) != NULL ||
	    tern_handler_lookup_udp(t, PORT_BASE - 1) != NULL)
		fault(r, FAULT_EXTRA, gen);
	if (t->generation != gen)
		fault(r, is_poison(t->generation) ? FAULT_POISON :
			 FAULT_GEN_CHANGE, gen);
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	uint64_t last_gen = 0;

	/* A QSBR reader must be registered before its first rcu_dereference. */
	rcu_register_thread();
	while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
		const struct tern_handler_table *t = rcu_dereference(g_table);
		uint64_t gen = t->generation;

		check_snapshot(r, t);
		if (gen < last_gen && !is_poison(gen))
			fault(r, FAULT_GEN_BACK, gen);
		if (gen != last_gen)
			r->gen_changes++;
		last_gen = gen;
		r->snapshots++;
		/* t is not used past this point: tell the writer. */
		rcu_quiescent_state();
	}
	/* Leave the grace-period bookkeeping before the thread goes away. */
	rcu_thread_offline();
	rcu_unregister_thread();
	return NULL;
}

/* The free function handed to tern_rcu_replace: poison, then free. */
static void
poison_free(void *p)
{
	memset(p, POISON, sizeof(struct tern_handler_table));
	free(p);
	atomic_fetch_add(&g_freed, 1);
}

/* A new table, cloned from prev, with the span bound to gen's slot. */
static struct tern_handler_table *
build_table(const struct tern_handler_table *prev)
{
	struct tern_handler_table *t = tern_handler_table_clone(prev);
	struct tern_handler h = { .burst = burst_a };
	unsigned i;

	if (t == NULL)
		return NULL;
	if (prev != NULL)
		tern_handler_table_clear_slot(t, gen_slot(prev->generation));
	h.state = gen_state(t->generation);
	for (i = 0; i < PORT_SPAN; i++)
		if (tern_handler_table_bind_udp(t, PORT_BASE + i,
						gen_slot(t->generation), &h,
						NULL) != 0) {
			free(t);
			return NULL;
		}
	return t;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
test_rcu_concurrency(void)
{
	static const char *const fault_names[] = {
		"none", "poison (use after free)", "unbound port",
		"slot mismatch", "handler mismatch", "table changed under reader",
		"generation went backwards", "port outside span bound",
	};
	struct reader readers[N_READERS];
	struct tern_handler_table *t;
	uint64_t deadline;
	unsigned long published = 0;
	unsigned i;

	memset(readers, 0, sizeof(readers));
	atomic_store(&g_stop, 0);
	atomic_store(&g_freed, 0);

	t = build_table(NULL);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	/* Nobody reads yet: a plain publish is enough. */
	rcu_set_pointer(&g_table, t);

	for (i = 0; i < N_READERS; i++)
		CHECK_EQ(pthread_create(&readers[i].tid, NULL, reader_main,
					&readers[i]), 0);

	deadline = now_ns() + TIME_LIMIT_NS;
	while (published < N_PUBLISH && now_ns() < deadline) {
		/* Only this thread writes g_table, so reading it is safe. */
		t = build_table(g_table);
		CHECK(t != NULL);
		if (t == NULL)
			break;
		tern_rcu_replace((void **)&g_table, t, poison_free);
		published++;
	}
	/* One more grace period through the other entry point. */
	tern_rcu_wait();

	atomic_store(&g_stop, 1);
	for (i = 0; i < N_READERS; i++)
		CHECK_EQ(pthread_join(readers[i].tid, NULL), 0);

	printf("rcu: published %lu tables, freed %lu\n", published,
	       atomic_load(&g_freed));
	CHECK(published > 0);
	/* every replaced table was freed, by the time replace returned */
	CHECK_EQ(atomic_load(&g_freed), published);
	CHECK_EQ(g_table->generation, published + 1);

	for (i = 0; i < N_READERS; i++) {
		struct reader *r = &readers[i];

		printf("reader %u: %lu snapshots, %lu lookups, %lu generation changes, %lu faults\n",
		       i, r->snapshots, r->lookups, r->gen_changes, r->faults);
		if (r->faults != 0)
			fprintf(stderr, "reader %u: first fault: %s (generation %#llx)\n",
				i, fault_names[r->first_fault],
				(unsigned long long)r->fault_gen);
		CHECK_EQ(r->faults, 0);
		CHECK(r->snapshots > 0);
		CHECK(r->lookups > 0);
		/* the reader saw the table change while it was reading */
		CHECK(r->gen_changes > 1);
	}

	poison_free(g_table);
	g_table = NULL;
}

/* Canary routing: a flow's bucket is fixed, the buckets spread evenly, and
 * PERCENT of them go to the canary's slot; routes are set, changed and
 * cleared in an unpublished table. */
static void
test_canary_routes(void)
{
	struct tern_handler_table *t = tern_handler_table_clone(NULL);
	struct tern_err err;
	unsigned to_canary = 0, hist[100] = { 0 };
	uint8_t src[16] = { 198, 18, 0, 2 };

	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_EQ(tern_handler_table_canary_set(t, 7, 5, 0, &err), -EINVAL);
	CHECK_EQ(tern_handler_table_canary_set(t, 7, 5, 100, &err), -EINVAL);
	CHECK_EQ(tern_handler_table_canary_set(t, 7, 0, 10, &err), -EINVAL);
	CHECK_EQ(tern_handler_table_canary_set(t, 7, 5, 25, &err), 0);
	CHECK_EQ(t->n_canary, 1);
	for (uint32_t i = 0; i < 40000; i++) {
		uint16_t sport = (uint16_t)(1024 + i % 60000);
		uint32_t b;

		src[3] = (uint8_t)(i / 60000 + 2);
		b = tern_canary_bucket(src, 4, sport);
		CHECK(b < 100);
		if (b >= 100)
			break;
		hist[b]++;
		CHECK_EQ(tern_canary_bucket(src, 4, sport), b); /* a flow keeps its bucket */
		to_canary += tern_handler_canary_slot(t, 7, 3, src, 4, sport) == 5;
		CHECK_EQ(tern_handler_canary_slot(t, 8, 3, src, 4, sport), 3); /* other port */
	}
	/* 25% +- 1.5% of 40000 flows; every bucket used, none over twice its share. */
	CHECK(to_canary > 9400 && to_canary < 10600);
	for (unsigned b = 0; b < 100; b++)
		CHECK(hist[b] > 0 && hist[b] < 800);
	for (uint16_t p = 100; p < 100 + TERN_MAX_CANARIES - 1; p++)
		CHECK_EQ(tern_handler_table_canary_set(t, p, 6, 50, &err), 0);
	CHECK_EQ(tern_handler_table_canary_set(t, 200, 6, 50, &err), -ENOSPC);
	CHECK_EQ(tern_handler_table_canary_set(t, 7, 6, 50, &err), 0); /* change: no new route */
	CHECK_EQ(tern_handler_table_canary(t, 7)->slot, 6);
	tern_handler_table_canary_clear(t, 7);
	CHECK(tern_handler_table_canary(t, 7) == NULL);
	CHECK(tern_handler_table_canary(t, 100) != NULL);
	CHECK_EQ(t->n_canary, TERN_MAX_CANARIES - 1);
	CHECK_EQ(tern_handler_canary_slot(t, 7, 3, src, 4, 5000), 3);
	free(t);
}

/* The canary's judgement: too few requests wait; drops and p99 against
 * their limits, with the one-extra-failure smoothing and the p99 floor. */
static void
test_canary_judge(void)
{
	struct tern_canary_limits l = { .max_drop_ratio = 2, .max_p99_ratio = 2,
					.window_ms = 1000, .min_requests = 100 };
	struct tern_canary_side b = { 1000, 0, 20000 }, c = { 1000, 0, 20000 };
	char why[256] = "";

	CHECK_EQ(tern_canary_judge(&l, &b, &c, why, sizeof(why)), TERN_CANARY_OK);
	c.requests = 99;
	CHECK_EQ(tern_canary_judge(&l, &b, &c, why, sizeof(why)), TERN_CANARY_WAIT);
	c.requests = 1000;
	c.failed = 1; /* (1+1)/1001 vs 1/1001: 2x, not over 2 */
	CHECK_EQ(tern_canary_judge(&l, &b, &c, why, sizeof(why)), TERN_CANARY_OK);
	c.failed = 2;
	CHECK_EQ(tern_canary_judge(&l, &b, &c, why, sizeof(why)), TERN_CANARY_ROLLBACK);
	CHECK(strncmp(why, "drops:", 6) == 0);
	b.failed = 500;
	c.failed = 500;
	CHECK_EQ(tern_canary_judge(&l, &b, &c, why, sizeof(why)), TERN_CANARY_OK);
	c.failed = 0;
	c.p99_ns = 40001; /* over 2x and 5 us worse */
	CHECK_EQ(tern_canary_judge(&l, &b, &c, why, sizeof(why)), TERN_CANARY_ROLLBACK);
	CHECK(strncmp(why, "latency:", 8) == 0);
	b.p99_ns = 1000;
	c.p99_ns = 5900; /* 5.9x but under the 5 us floor */
	CHECK_EQ(tern_canary_judge(&l, &b, &c, why, sizeof(why)), TERN_CANARY_OK);
	c.p99_ns = 6001;
	CHECK_EQ(tern_canary_judge(&l, &b, &c, why, sizeof(why)), TERN_CANARY_ROLLBACK);
}

int
main(void)
{
	test_bind_unbind();
	test_clone();
	test_rcu_concurrency();
	test_canary_routes();
	test_canary_judge();
	return check_done("test_handler_table");
}
