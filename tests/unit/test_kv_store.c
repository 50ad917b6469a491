/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A partition: find, link, replace, unlink, LRU eviction, the reaper, and
 * the lock-free read another worker does (kv_part_read) while the owner
 * keeps rewriting, evicting and reusing slots: the reader must only ever
 * see whole items.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "kv_store.h"

#define MAXV 1000u

static const struct kv_clock clk0 = { .now_ns = 1000 };

/* Owner-side store of key = value (a fresh slot or in place). */
static uint32_t
put(struct kv_part *p, const char *key, const uint8_t *v, uint16_t n, uint32_t flags,
    uint64_t exp_ns, const struct kv_clock *c)
{
	size_t nkey = strlen(key);
	uint64_t h = kv_hash((const uint8_t *)key, nkey);
	uint32_t idx1 = kv_part_find(p, (const uint8_t *)key, nkey, h);
	struct kv_item *it;

	if (idx1 != 0) {
		it = kv_part_item(p, idx1);
		kv_part_write_begin(p, it);
	} else {
		idx1 = kv_part_alloc(p, c);
		it = kv_part_item(p, idx1);
		it->hash = (uint32_t)h;
		it->nkey = (uint8_t)nkey;
		memcpy(it->data, key, nkey);
	}
	memcpy(kv_item_value(it), v, n);
	it->nbytes = n;
	it->flags = flags;
	it->exp_ns = exp_ns;
	it->gen = c->flush_gen;
	it->time_ns = c->now_ns;
	it->cas = kv_part_next_cas(p);
	if (it->used)
		kv_part_write_end(p, it);
	else
		kv_part_link(p, idx1);
	return idx1;
}

static uint32_t
find(const struct kv_part *p, const char *key)
{
	size_t n = strlen(key);

	return kv_part_find(p, (const uint8_t *)key, n, kv_hash((const uint8_t *)key, n));
}

static void
test_basic(void)
{
	struct kv_part p;
	uint32_t a, b;

	CHECK_EQ(kv_part_init(&p, 0, MAXV, 0, 1), -EINVAL);
	CHECK_EQ(kv_part_init(&p, 3, MAXV, 1, 4), 0);
	a = put(&p, "a", (const uint8_t *)"xyz", 3, 7, 0, &clk0);
	CHECK(find(&p, "a") == a && find(&p, "b") == 0);
	CHECK_EQ(kv_part_item(&p, a)->cas, 2);          /* worker 1 of 4: 2, 6, 10 ... */
	CHECK_EQ(p.n_used, 1);
	b = put(&p, "a", (const uint8_t *)"q", 1, 8, 0, &clk0);
	CHECK_EQ(b, a);                                  /* in place */
	CHECK_EQ(kv_part_item(&p, a)->cas, 6);
	CHECK_EQ(kv_part_item(&p, a)->nbytes, 1);
	put(&p, "b", (const uint8_t *)"b", 1, 0, 0, &clk0);
	put(&p, "c", (const uint8_t *)"c", 1, 0, 0, &clk0);
	CHECK_EQ(p.n_used, 3);
	/* full: "a" is the least recently used unless bumped */
	kv_part_bump(&p, find(&p, "a"));
	put(&p, "d", (const uint8_t *)"d", 1, 0, 0, &clk0);
	CHECK(find(&p, "b") == 0 && find(&p, "a") != 0 && find(&p, "d") != 0);
	CHECK_EQ(p.st.evictions, 1);
	kv_part_unlink(&p, find(&p, "a"));
	CHECK(find(&p, "a") == 0);
	CHECK_EQ(p.n_used, 2);
	kv_part_fini(&p);
}

static void
test_expiry(void)
{
	struct kv_part p;
	struct kv_clock c = clk0;
	uint32_t idx1;

	CHECK_EQ(kv_part_init(&p, 64, MAXV, 0, 1), 0);
	put(&p, "e", (const uint8_t *)"1", 1, 0, 2000, &c);
	put(&p, "f", (const uint8_t *)"1", 1, 0, 0, &c);
	idx1 = find(&p, "e");
	CHECK(!kv_item_dead(kv_part_item(&p, idx1), &c));
	c.now_ns = 2000;
	CHECK(kv_item_dead(kv_part_item(&p, idx1), &c));
	CHECK(!kv_item_dead(kv_part_item(&p, find(&p, "f")), &c));
	CHECK_EQ(kv_part_reap(&p, &c, 64), 1);           /* only "e" */
	CHECK(find(&p, "e") == 0 && find(&p, "f") != 0);
	/* immediate flush_all: a newer generation kills older items */
	c.flush_gen = 1;
	CHECK(kv_item_dead(kv_part_item(&p, find(&p, "f")), &c));
	put(&p, "g", (const uint8_t *)"1", 1, 0, 0, &c);
	CHECK(!kv_item_dead(kv_part_item(&p, find(&p, "g")), &c));
	/* delayed flush_all: items stored before the deadline die at it */
	c.flush_deadline_ns = 5000;
	CHECK(!kv_item_dead(kv_part_item(&p, find(&p, "g")), &c));
	c.now_ns = 5000;
	CHECK(kv_item_dead(kv_part_item(&p, find(&p, "g")), &c));
	put(&p, "h", (const uint8_t *)"1", 1, 0, 0, &c);
	CHECK(!kv_item_dead(kv_part_item(&p, find(&p, "h")), &c));
	/* the reaper goes round in slices */
	CHECK_EQ(kv_part_reap(&p, &c, 32) + kv_part_reap(&p, &c, 32), 2);
	CHECK_EQ(p.n_used, 1);
	CHECK_EQ(p.st.reaped, 3);
	kv_part_fini(&p);
}

/* ---- concurrent reads ---- */

static unsigned keys;       /* keys the writer cycles through */
static unsigned delete_every; /* the writer deletes a key every N writes; 0 never */
static struct kv_part cp;
static atomic_int writer_done;

/* Item v of a key: flags v, length 1 + v * 7 % MAXV, every byte v & 0xff. */
static uint16_t
len_of(uint32_t v)
{
	return (uint16_t)(1 + (v * 7u) % MAXV);
}

static void *
writer(void *arg)
{
	uint8_t buf[MAXV];
	char key[8];

	(void)arg;
	for (uint32_t v = 1; v < 300000; v++) {
		snprintf(key, sizeof(key), "k%u", v % keys);
		memset(buf, (int)(v & 0xff), sizeof(buf));
		put(&cp, key, buf, len_of(v), v, 0, &clk0);
		if (delete_every != 0 && v % delete_every == 0) {
			uint32_t idx1; /* slots move between keys */

			snprintf(key, sizeof(key), "k%u", (v / delete_every) % keys);
			idx1 = find(&cp, key);
			if (idx1 != 0)
				kv_part_unlink(&cp, idx1);
		}
	}
	atomic_store(&writer_done, 1);
	return NULL;
}

struct read_counts {
	unsigned long found, missing, busy, torn;
};

static void *
reader(void *arg)
{
	struct read_counts *rc = arg;
	uint8_t val[MAXV];
	struct kv_snap s;
	char key[8][8];
	uint64_t hash[8];

	for (unsigned k = 0; k < keys; k++) {
		snprintf(key[k], sizeof(key[k]), "k%u", k);
		hash[k] = kv_hash((const uint8_t *)key[k], strlen(key[k]));
	}
	for (unsigned i = 0; !atomic_load(&writer_done); i++) {
		unsigned k = i % keys;
		int ret;

		ret = kv_part_read(&cp, (const uint8_t *)key[k], strlen(key[k]), hash[k], &clk0,
				   val, sizeof(val), &s, 1000);
		if (ret == -EBUSY) {
			rc->busy++;
			continue;
		}
		if (ret == 0) {
			rc->missing++;
			continue;
		}
		rc->found++;
		if (ret != 1 || s.nbytes != len_of(s.flags) || s.flags % keys != k) {
			rc->torn++;
			continue;
		}
		for (unsigned j = 0; j < s.nbytes; j++)
			if (val[j] != (uint8_t)s.flags) {
				rc->torn++;
				break;
			}
	}
	return NULL;
}

/* n_items slots, n_keys keys, a delete every del writes (0: none). */
static void
concurrent_reads(uint32_t n_items, unsigned n_keys, unsigned del)
{
	struct read_counts rc = { 0 };
	pthread_t w, r;

	keys = n_keys;
	delete_every = del;
	atomic_store(&writer_done, 0);
	CHECK_EQ(kv_part_init(&cp, n_items, MAXV, 0, 1), 0);
	CHECK_EQ(pthread_create(&r, NULL, reader, &rc), 0);
	CHECK_EQ(pthread_create(&w, NULL, writer, NULL), 0);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	printf("concurrent reads (%u slots, %u keys): %lu found, %lu missing, %lu busy, "
	       "%lu torn\n", n_items, n_keys, rc.found, rc.missing, rc.busy, rc.torn);
	CHECK(rc.found > 0);
	CHECK_EQ(rc.torn, 0);
	kv_part_fini(&cp);
}

int
main(void)
{
	test_basic();
	test_expiry();
	concurrent_reads(2, 2, 0);  /* values rewritten in place */
	concurrent_reads(4, 8, 5);  /* eviction, deletes, slots reused for other keys */
	return check_done("test_kv_store");
}
