/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A partition: size classes, pages handed to classes on demand, find,
 * link, replace, unlink, eviction only when memory is full and only from
 * the item's class (LRU per class), chunk reuse, the reaper, and the
 * lock-free read another worker does (kv_part_read) while the owner keeps
 * rewriting, moving, evicting and reusing chunks: the reader must only
 * ever see whole items (and sees torn ones when the counter check is
 * removed from kv_part_read).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "kv_store.h"

#define MAXV 1000u
#define PAGE 4096u               /* small pages: memory fills after a few items */

static const struct kv_clock clk0 = { .now_ns = 1000 };

/* A partition of n_pages pages of PAGE bytes, values up to MAXV. */
static int
init_pages(struct kv_part *p, uint32_t n_pages, unsigned worker, unsigned n_workers)
{
	struct kv_part_conf pc = { .mem_bytes = (size_t)n_pages * PAGE, .max_value = MAXV,
				   .page_size = PAGE };

	return kv_part_init(p, &pc, worker, n_workers);
}

/* Owner-side store of key = value, as kv_proto does it: in place if the
 * size class is the same, else a new chunk in the old one's place.
 * Returns the item's ref, or 0 if memory is full. */
static uint32_t
put(struct kv_part *p, const char *key, const uint8_t *v, uint32_t n, uint32_t flags,
    uint64_t exp_ns, const struct kv_clock *c)
{
	size_t nkey = strlen(key);
	uint64_t h = kv_hash((const uint8_t *)key, nkey);
	uint32_t old = kv_part_find(p, (const uint8_t *)key, nkey, h), ref = old;
	int cls = kv_part_class(p, kv_item_total(nkey, n));
	struct kv_item *it;

	if (old != 0 && kv_part_item(p, old)->cls == cls) {
		it = kv_part_item(p, old);
		kv_part_write_begin(p, it);
	} else {
		ref = kv_part_alloc(p, kv_item_total(nkey, n), c);
		if (ref == 0)
			return 0;
		it = kv_part_item(p, ref);
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
	if (ref == old)
		kv_part_write_end(p, it);
	else if (old != 0)
		kv_part_replace(p, old, ref);
	else
		kv_part_link(p, ref);
	return ref;
}

static uint32_t
find(const struct kv_part *p, const char *key)
{
	size_t n = strlen(key);

	return kv_part_find(p, (const uint8_t *)key, n, kv_hash((const uint8_t *)key, n));
}

/* A value of n bytes of c. */
static const uint8_t *
val(uint32_t n, int c)
{
	static uint8_t buf[MAXV];

	memset(buf, c, n);
	return buf;
}

static void
test_classes(void)
{
	struct kv_part p;
	struct kv_part_conf pc = { .mem_bytes = 64u << 20, .max_value = KV_VALUE_LIMIT };

	/* refused: too little memory, a value limit over KV_VALUE_LIMIT */
	CHECK_EQ(init_pages(&p, 1, 0, 1), -EINVAL);
	pc.max_value = KV_VALUE_LIMIT + 1;
	CHECK_EQ(kv_part_init(&p, &pc, 0, 1), -EINVAL);
	/* the defaults: memcached's 96-byte chunk growing by 1.25, a page as big
	 * as the largest item (1 MiB of value, its key and header) */
	pc.max_value = KV_VALUE_LIMIT;
	CHECK_EQ(kv_part_page_size(&pc), (1u << 20) + 4096);
	CHECK_EQ(kv_part_init(&p, &pc, 0, 1), 0);
	CHECK_EQ(p.n_pages, (64u << 20) / ((1u << 20) + 4096));
	CHECK_EQ(p.cls[0].size, 96);
	CHECK_EQ(p.cls[1].size, 120);
	CHECK_EQ(p.cls[2].size, 152);
	CHECK_EQ(p.cls[p.n_cls - 1].size, (kv_item_total(KV_KEY_MAX, KV_VALUE_LIMIT) + 7) / 8 * 8);
	CHECK_EQ(p.cls[p.n_cls - 1].per_page, 1);
	for (unsigned i = 1; i < p.n_cls; i++)
		CHECK(p.cls[i].size > p.cls[i - 1].size && p.cls[i].size % 8 == 0);
	CHECK(p.n_cls > 30 && p.n_cls < KV_CLASS_MAX);
	CHECK_EQ(kv_part_class(&p, 1), 0);
	CHECK_EQ(kv_part_class(&p, 96), 0);
	CHECK_EQ(kv_part_class(&p, 97), 1);
	CHECK_EQ(kv_part_class(&p, kv_item_total(KV_KEY_MAX, KV_VALUE_LIMIT)), p.n_cls - 1);
	CHECK_EQ(kv_part_class(&p, p.cls[p.n_cls - 1].size + 1), -1);
	/* a small item costs a small chunk, not a largest-value one */
	CHECK(put(&p, "a", val(10, 'a'), 10, 0, 0, &clk0) != 0);
	CHECK_EQ(kv_part_item(&p, find(&p, "a"))->cls, 0);
	CHECK_EQ(p.bytes_used, 96);
	CHECK_EQ(p.pages_used, 1);
	kv_part_fini(&p);
}

static void
test_basic(void)
{
	struct kv_part p;
	uint32_t a, b;

	CHECK_EQ(init_pages(&p, 4, 1, 4), 0);
	a = put(&p, "a", (const uint8_t *)"xyz", 3, 7, 0, &clk0);
	CHECK(find(&p, "a") == a && find(&p, "b") == 0);
	CHECK_EQ(kv_part_item(&p, a)->cas, 2);          /* worker 1 of 4: 2, 6, 10 ... */
	CHECK_EQ(p.n_used, 1);
	b = put(&p, "a", (const uint8_t *)"q", 1, 8, 0, &clk0);
	CHECK_EQ(b, a);                                  /* same class: in place */
	CHECK_EQ(kv_part_item(&p, a)->cas, 6);
	CHECK_EQ(kv_part_item(&p, a)->nbytes, 1);
	b = put(&p, "a", val(500, 'z'), 500, 9, 0, &clk0);
	CHECK(b != a && find(&p, "a") == b);             /* another class: moved */
	CHECK_EQ(kv_part_item(&p, b)->nbytes, 500);
	CHECK_EQ(p.n_used, 1);
	CHECK_EQ(p.pages_used, 2);
	CHECK_EQ(p.cls[0].items, 0);
	/* the freed small chunk is reused before a new one is cut */
	CHECK_EQ(put(&p, "c", (const uint8_t *)"c", 1, 0, 0, &clk0), a);
	kv_part_unlink(&p, find(&p, "a"));
	CHECK(find(&p, "a") == 0);
	CHECK_EQ(p.n_used, 1);
	CHECK_EQ(put(&p, "d", val(500, 'd'), 500, 0, 0, &clk0), b);
	CHECK_EQ(p.st.evictions, 0);
	kv_part_fini(&p);
}

/* Eviction only when memory is full, and only within the item's class. */
static void
test_eviction(void)
{
	struct kv_part p;
	char key[16];
	uint32_t per_page, big;

	CHECK_EQ(init_pages(&p, 3, 0, 1), 0);
	per_page = p.cls[0].per_page;                   /* 4096 / 96 = 42 */
	/* page 1: small items; page 2: one class of 600-byte values */
	for (uint32_t i = 0; i < per_page; i++) {
		snprintf(key, sizeof(key), "s%u", i);
		CHECK(put(&p, key, val(8, 's'), 8, 0, 0, &clk0) != 0);
	}
	CHECK_EQ(p.pages_used, 1);
	big = p.cls[kv_part_class(&p, kv_item_total(2, 600))].per_page;
	for (uint32_t i = 0; i < big; i++) {
		snprintf(key, sizeof(key), "b%u", i);
		CHECK(put(&p, key, val(600, 'b'), 600, 0, 0, &clk0) != 0);
	}
	CHECK_EQ(p.pages_used, 2);
	CHECK_EQ(p.st.evictions, 0);
	/* one more small item: the last page goes to the small class */
	CHECK(put(&p, "s-extra", val(8, 's'), 8, 0, 0, &clk0) != 0);
	CHECK_EQ(p.pages_used, 3);
	CHECK_EQ(p.st.evictions, 0);
	/* memory is full: a new big item evicts the least recently used big
	 * one (b0, unless bumped: then b1), never a small one */
	kv_part_bump(&p, find(&p, "b0"));
	CHECK(put(&p, "bnew", val(600, 'n'), 600, 0, 0, &clk0) != 0);
	CHECK_EQ(p.st.evictions, 1);
	CHECK(find(&p, "b0") != 0 && find(&p, "b1") == 0 && find(&p, "s0") != 0);
	CHECK_EQ(p.n_used, per_page + 1 + big);
	/* a dead victim counts as reclaimed */
	CHECK(put(&p, "b2", val(600, 'x'), 600, 0, 1, &clk0) != 0);  /* expires at 1 */
	for (uint32_t i = 3; i < big; i++) {
		snprintf(key, sizeof(key), "b%u", i);
		kv_part_bump(&p, find(&p, key));
	}
	kv_part_bump(&p, find(&p, "b0"));
	kv_part_bump(&p, find(&p, "bnew"));
	CHECK(put(&p, "bnew2", val(600, 'n'), 600, 0, 0, &clk0) != 0);
	CHECK_EQ(p.st.reclaimed, 1);
	CHECK(find(&p, "b2") == 0);
	/* a class without a page, when none is left: nothing to evict */
	CHECK_EQ(put(&p, "huge", val(MAXV, 'h'), MAXV, 0, 0, &clk0), 0);
	CHECK_EQ(p.st.alloc_fail, 1);
	CHECK_EQ(p.st.evictions, 1);
	kv_part_fini(&p);
}

static void
test_expiry(void)
{
	struct kv_part p;
	struct kv_clock c = clk0;
	uint32_t ref;

	CHECK_EQ(init_pages(&p, 4, 0, 1), 0);
	put(&p, "e", (const uint8_t *)"1", 1, 0, 2000, &c);
	put(&p, "f", (const uint8_t *)"1", 1, 0, 0, &c);
	ref = find(&p, "e");
	CHECK(!kv_item_dead(kv_part_item(&p, ref), &c));
	c.now_ns = 2000;
	CHECK(kv_item_dead(kv_part_item(&p, ref), &c));
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
	put(&p, "h", val(300, 'h'), 300, 0, 0, &c);       /* another class, another page */
	CHECK(!kv_item_dead(kv_part_item(&p, find(&p, "h")), &c));
	/* the reaper goes round the pages in slices: 42 + 10 chunks */
	CHECK_EQ(kv_part_reap(&p, &c, 32) + kv_part_reap(&p, &c, 32), 2);
	CHECK_EQ(p.n_used, 1);
	CHECK_EQ(p.st.reaped, 3);
	kv_part_fini(&p);
}

/* ---- concurrent reads ---- */

#define KEYS_MAX 64
static unsigned keys;       /* keys the writer cycles through */
static uint32_t len_mod;    /* values are 1 to len_mod bytes long */
static unsigned delete_every; /* the writer deletes a key every N writes; 0 never */
static struct kv_part cp;
static atomic_int writer_done;

/* Item v of a key: flags v, length 1 + v * 7 % MAXV (so it moves between
 * size classes), every byte v & 0xff. */
static uint32_t
len_of(uint32_t v)
{
	return 1 + (v * 7u) % len_mod;
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
			uint32_t ref; /* chunks move between keys */

			snprintf(key, sizeof(key), "k%u", (v / delete_every) % keys);
			ref = find(&cp, key);
			if (ref != 0)
				kv_part_unlink(&cp, ref);
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
	char key[KEYS_MAX][8];
	uint64_t hash[KEYS_MAX];

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

/* n_pages pages, n_keys keys, values up to max_len bytes, a delete every
 * del writes (0: none). */
static void
concurrent_reads(uint32_t n_pages, unsigned n_keys, uint32_t max_len, unsigned del)
{
	struct read_counts rc = { 0 };
	pthread_t w, r;

	keys = n_keys;
	len_mod = max_len;
	delete_every = del;
	atomic_store(&writer_done, 0);
	CHECK_EQ(init_pages(&cp, n_pages, 0, 1), 0);
	CHECK_EQ(pthread_create(&r, NULL, reader, &rc), 0);
	CHECK_EQ(pthread_create(&w, NULL, writer, NULL), 0);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	printf("concurrent reads (%u pages, %u keys): %lu found, %lu missing, %lu busy, "
	       "%lu torn; %lu evictions, %lu allocations refused\n", n_pages, n_keys, rc.found,
	       rc.missing, rc.busy, rc.torn, (unsigned long)cp.st.evictions,
	       (unsigned long)cp.st.alloc_fail);
	CHECK(rc.found > 0);
	CHECK_EQ(rc.torn, 0);
	kv_part_fini(&cp);
}

int
main(void)
{
	test_classes();
	test_basic();
	test_eviction();
	test_expiry();
	/* values rewritten in place and moved between classes */
	concurrent_reads(16, 2, MAXV, 0);
	/* memory full: eviction, deletes, chunks reused for other keys */
	concurrent_reads(3, KEYS_MAX, 200, 5);
	return check_done("test_kv_store");
}
