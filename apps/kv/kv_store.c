/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kv_store.h"

#define KV_CHUNK_ALIGN 8u          /* chunk sizes are multiples of this (KV_REF_UNIT) */
#define KV_PAGE_ALIGN 4096u        /* a default page bigger than KV_PAGE_MIN rounds to this */
#define KV_BYTES_PER_BUCKET 128u   /* one hash bucket per this much arena */
#define KV_BUCKETS_MIN 1024u
#define KV_NO_CLASS 0xffu

/* FNV-1a over the key, then a 64-bit finaliser so every bit mixes: the low
 * 32 bits pick the bucket, the high 32 the owner (tests/tools/kv_diff.py
 * computes the same). */
uint64_t
kv_hash(const uint8_t *key, size_t nkey)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < nkey; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint32_t
pow2_at_least(uint64_t n)
{
	uint32_t v = 1;

	while (v < n && v < (1u << 31))
		v <<= 1;
	return v;
}

static inline size_t
round_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

uint32_t
kv_part_page_size(const struct kv_part_conf *conf)
{
	size_t largest = round_up(kv_item_total(KV_KEY_MAX, conf->max_value), KV_CHUNK_ALIGN);

	if (conf->page_size != 0)
		return conf->page_size;
	return largest <= KV_PAGE_MIN ? KV_PAGE_MIN : (uint32_t)round_up(largest, KV_PAGE_ALIGN);
}

/* memcached's slabs_init: KV_CHUNK_MIN growing by the factor while a page
 * holds two chunks, then one class for the largest item (a page holds at
 * least one). */
static int
classes_init(struct kv_part *p)
{
	size_t largest = round_up(kv_item_total(KV_KEY_MAX, p->max_value), KV_CHUNK_ALIGN);
	size_t size = KV_CHUNK_MIN;

	if (largest > p->page_size)
		return -EINVAL;
	p->n_cls = 0;
	while (size < largest && size <= p->page_size / 2 && p->n_cls < KV_CLASS_MAX - 1) {
		p->cls[p->n_cls++].size = (uint32_t)size;
		size = round_up(size * KV_CLASS_FACTOR_NUM / KV_CLASS_FACTOR_DEN, KV_CHUNK_ALIGN);
	}
	p->cls[p->n_cls++].size = (uint32_t)largest;
	for (unsigned i = 0; i < p->n_cls; i++)
		p->cls[i].per_page = p->page_size / p->cls[i].size;
	return 0;
}

static int
arena_map(struct kv_part *p, size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (m == MAP_FAILED)
		return -ENOMEM;
	p->arena = m;
	p->arena_len = len;
	return 0;
}

int
kv_part_init(struct kv_part *p, const struct kv_part_conf *conf, unsigned worker,
	     unsigned n_workers)
{
	size_t pages;
	int ret;

	memset(p, 0, sizeof(*p));
	if (n_workers == 0 || conf->max_value == 0 || conf->max_value > KV_VALUE_LIMIT)
		return -EINVAL;
	p->max_value = conf->max_value;
	p->page_size = kv_part_page_size(conf);
	pages = conf->mem_bytes / p->page_size;
	if (p->page_size % KV_CHUNK_ALIGN != 0 || pages < KV_PAGES_MIN ||
	    pages * p->page_size > KV_PART_MAX_BYTES || classes_init(p) != 0)
		return -EINVAL;
	p->n_pages = (uint32_t)pages;
	p->mask = pow2_at_least(pages * p->page_size / KV_BYTES_PER_BUCKET) - 1;
	if (p->mask + 1 < KV_BUCKETS_MIN)
		p->mask = KV_BUCKETS_MIN - 1;
	p->buckets = calloc((size_t)p->mask + 1, sizeof(*p->buckets));
	p->page_cls = malloc(pages);
	ret = p->buckets == NULL || p->page_cls == NULL ? -ENOMEM :
	      arena_map(p, pages * p->page_size);
	if (ret != 0) {
		kv_part_fini(p);
		return ret;
	}
	memset(p->page_cls, KV_NO_CLASS, pages);
	p->ref_max = (uint32_t)((p->arena_len - sizeof(struct kv_item)) / KV_REF_UNIT + 1);
	p->cas_next = worker + 1;
	p->cas_step = n_workers;
	return 0;
}

void
kv_part_fini(struct kv_part *p)
{
	if (p->arena != NULL)
		munmap(p->arena, p->arena_len);
	free(p->buckets);
	free(p->page_cls);
	p->arena = NULL;
	p->buckets = NULL;
	p->page_cls = NULL;
}

int
kv_part_class(const struct kv_part *p, size_t total)
{
	unsigned lo = 0, hi = p->n_cls;

	while (lo < hi) { /* the first class at least total bytes big */
		unsigned mid = (lo + hi) / 2;

		if (p->cls[mid].size < total)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->n_cls ? (int)lo : -1;
}

static inline struct kv_bucket *
bucket_of(const struct kv_part *p, uint32_t hash)
{
	return &p->buckets[hash & p->mask];
}

static inline bool
key_is(const struct kv_item *it, const uint8_t *key, size_t nkey, uint32_t hash)
{
	return it->hash == hash && it->nkey == nkey && memcmp(it->data, key, nkey) == 0;
}

uint32_t
kv_part_find(const struct kv_part *p, const uint8_t *key, size_t nkey, uint64_t hash)
{
	uint32_t ref = bucket_of(p, (uint32_t)hash)->head;

	while (ref != 0) {
		const struct kv_item *it = kv_part_item(p, ref);

		if (key_is(it, key, nkey, (uint32_t)hash))
			return ref;
		ref = it->next;
	}
	return 0;
}

/* Seqlock writer side (Boehm's construction): the odd count is visible
 * before any change to the bucket, the even one after all of them. */
static inline void
seq_begin(struct kv_bucket *b)
{
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
seq_end(struct kv_bucket *b)
{
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELEASE);
}

void
kv_part_write_begin(struct kv_part *p, const struct kv_item *it)
{
	seq_begin(bucket_of(p, it->hash));
}

void
kv_part_write_end(struct kv_part *p, const struct kv_item *it)
{
	seq_end(bucket_of(p, it->hash));
}

/* ---- LRU per class ---- */

static void
lru_remove(struct kv_part *p, uint32_t ref)
{
	struct kv_item *it = kv_part_item(p, ref);
	struct kv_class *k = &p->cls[it->cls];

	if (it->lru_prev != 0)
		kv_part_item(p, it->lru_prev)->lru_next = it->lru_next;
	else
		k->lru_head = it->lru_next;
	if (it->lru_next != 0)
		kv_part_item(p, it->lru_next)->lru_prev = it->lru_prev;
	else
		k->lru_tail = it->lru_prev;
	it->lru_prev = 0;
	it->lru_next = 0;
}

static void
lru_push(struct kv_part *p, uint32_t ref)
{
	struct kv_item *it = kv_part_item(p, ref);
	struct kv_class *k = &p->cls[it->cls];

	it->lru_prev = 0;
	it->lru_next = k->lru_head;
	if (k->lru_head != 0)
		kv_part_item(p, k->lru_head)->lru_prev = ref;
	else
		k->lru_tail = ref;
	k->lru_head = ref;
}

void
kv_part_bump(struct kv_part *p, uint32_t ref)
{
	struct kv_class *k = &p->cls[kv_part_item(p, ref)->cls];

	if (k->lru_head == ref)
		return;
	lru_remove(p, ref);
	lru_push(p, ref);
}

/* ---- chunks ---- */

static inline void
free_push(struct kv_part *p, uint32_t ref)
{
	struct kv_item *it = kv_part_item(p, ref);
	struct kv_class *k = &p->cls[it->cls];

	it->used = 0;
	__atomic_store_n(&it->next, k->free_head, __ATOMIC_RELAXED);
	k->free_head = ref;
}

static inline void
relaxed_add32(uint32_t *c, int32_t d)
{
	__atomic_store_n(c, *c + (uint32_t)d, __ATOMIC_RELAXED);
}

/* Linked-item accounting: d is +1 or -1. */
static void
account(struct kv_part *p, const struct kv_item *it, int d)
{
	const struct kv_class *k = &p->cls[it->cls];

	relaxed_add32(&p->n_used, d);
	relaxed_add32(&p->cls[it->cls].items, d);
	__atomic_store_n(&p->bytes_used, p->bytes_used + (uint64_t)((int64_t)d * k->size),
			 __ATOMIC_RELAXED);
}

/* The next never-used chunk of class ci: from its page, or a new page. */
static uint32_t
carve(struct kv_part *p, unsigned ci)
{
	struct kv_class *k = &p->cls[ci];
	size_t off;

	if (k->carve_page == 0 || k->carve_next == k->per_page) {
		if (p->pages_used == p->n_pages)
			return 0;
		p->page_cls[p->pages_used] = (uint8_t)ci;
		k->carve_page = p->pages_used + 1;
		k->carve_next = 0;
		relaxed_add32(&k->pages, 1);
		relaxed_add32(&p->pages_used, 1);
	}
	off = (size_t)(k->carve_page - 1) * p->page_size + (size_t)k->carve_next * k->size;
	k->carve_next++;
	kv_part_item(p, (uint32_t)(off / KV_REF_UNIT + 1))->cls = (uint8_t)ci;
	return (uint32_t)(off / KV_REF_UNIT + 1);
}

/* Memory is full: free the class's least recently used item. */
static bool
evict(struct kv_part *p, unsigned ci, const struct kv_clock *c)
{
	uint32_t victim = p->cls[ci].lru_tail;

	if (victim == 0)
		return false;
	kv_count(kv_item_dead(kv_part_item(p, victim), c) ? &p->st.reclaimed : &p->st.evictions);
	kv_part_unlink(p, victim);
	return true;
}

uint32_t
kv_part_alloc(struct kv_part *p, size_t total, const struct kv_clock *c)
{
	int ci = kv_part_class(p, total);
	struct kv_class *k;
	uint32_t ref;

	if (ci < 0)
		return 0;
	k = &p->cls[ci];
	if (k->free_head == 0) {
		ref = carve(p, (unsigned)ci);
		if (ref != 0)
			return ref;
		if (!evict(p, (unsigned)ci, c)) {
			kv_count(&p->st.alloc_fail);
			return 0;
		}
	}
	ref = k->free_head;
	k->free_head = kv_part_item(p, ref)->next;
	return ref;
}

void
kv_part_free(struct kv_part *p, uint32_t ref)
{
	free_push(p, ref);
}

/* ---- the hash table ---- */

/* The chain link pointing at ref (the bucket head or a predecessor's next). */
static uint32_t *
chain_link_to(struct kv_part *p, struct kv_bucket *b, uint32_t ref)
{
	uint32_t *link = &b->head;

	while (*link != 0 && *link != ref)
		link = &kv_part_item(p, *link)->next;
	return *link == ref ? link : NULL;
}

void
kv_part_link(struct kv_part *p, uint32_t ref)
{
	struct kv_item *it = kv_part_item(p, ref);
	struct kv_bucket *b = bucket_of(p, it->hash);

	seq_begin(b);
	it->used = 1;
	__atomic_store_n(&it->next, b->head, __ATOMIC_RELAXED);
	__atomic_store_n(&b->head, ref, __ATOMIC_RELAXED);
	seq_end(b);
	lru_push(p, ref);
	account(p, it, 1);
}

void
kv_part_replace(struct kv_part *p, uint32_t old, uint32_t nw)
{
	struct kv_item *o = kv_part_item(p, old), *n = kv_part_item(p, nw);
	struct kv_bucket *b = bucket_of(p, o->hash);
	uint32_t *link;

	seq_begin(b);
	link = chain_link_to(p, b, old);
	n->used = 1;
	__atomic_store_n(&n->next, o->next, __ATOMIC_RELAXED);
	if (link != NULL)
		__atomic_store_n(link, nw, __ATOMIC_RELAXED);
	free_push(p, old);
	seq_end(b);
	lru_remove(p, old);
	account(p, o, -1);
	lru_push(p, nw);
	account(p, n, 1);
}

void
kv_part_unlink(struct kv_part *p, uint32_t ref)
{
	struct kv_item *it = kv_part_item(p, ref);
	struct kv_bucket *b = bucket_of(p, it->hash);
	uint32_t *link;

	seq_begin(b);
	link = chain_link_to(p, b, ref);
	if (link != NULL)
		__atomic_store_n(link, it->next, __ATOMIC_RELAXED);
	free_push(p, ref);
	seq_end(b);
	lru_remove(p, ref);
	account(p, it, -1);
}

/* ---- the reaper ---- */

uint32_t
kv_part_reap(struct kv_part *p, const struct kv_clock *c, uint32_t max_scan)
{
	uint32_t freed = 0;

	for (uint32_t i = 0; i < max_scan && p->pages_used != 0; i++) {
		const struct kv_class *k;
		struct kv_item *it;
		size_t off;

		if (p->reap_page >= p->pages_used) {
			p->reap_page = 0;
			p->reap_chunk = 0;
		}
		k = &p->cls[p->page_cls[p->reap_page]];
		off = (size_t)p->reap_page * p->page_size + (size_t)p->reap_chunk * k->size;
		it = (struct kv_item *)(p->arena + off);
		if (++p->reap_chunk == k->per_page) {
			p->reap_page++;
			p->reap_chunk = 0;
		}
		if (it->used && kv_item_dead(it, c)) {
			kv_part_unlink(p, (uint32_t)(off / KV_REF_UNIT + 1));
			freed++;
		}
	}
	__atomic_store_n(&p->st.reaped, p->st.reaped + freed, __ATOMIC_RELAXED);
	return freed;
}

/* ---- lock-free reads ---- */

/* One optimistic pass over the bucket: 1 found (copied), 0 missing,
 * -ENOSPC; the caller validates the sequence count afterwards. Every
 * access stays inside the arena whatever the (possibly torn) fields say. */
static int
read_pass(const struct kv_part *p, const struct kv_bucket *b, const uint8_t *key,
	  size_t nkey, uint32_t hash, const struct kv_clock *c, uint8_t *val,
	  size_t val_cap, struct kv_snap *snap)
{
	uint32_t ref = __atomic_load_n(&b->head, __ATOMIC_RELAXED);
	size_t limit = (size_t)p->n_pages * p->cls[0].per_page; /* chunks at most */
	struct kv_item *it = NULL, copy;
	bool found = false;
	size_t off;

	for (size_t steps = 0; ref != 0 && ref <= p->ref_max && steps <= limit; steps++) {
		it = kv_part_item(p, ref);
		if ((size_t)(ref - 1) * KV_REF_UNIT + kv_item_total(nkey, 0) <= p->arena_len &&
		    __atomic_load_n(&it->hash, __ATOMIC_RELAXED) == hash &&
		    __atomic_load_n(&it->nkey, __ATOMIC_RELAXED) == nkey &&
		    memcmp(it->data, key, nkey) == 0) {
			found = true;
			break;
		}
		ref = __atomic_load_n(&it->next, __ATOMIC_RELAXED);
	}
	if (!found)
		return 0;
	memcpy(&copy, it, sizeof(copy));
	if (kv_item_dead(&copy, c))
		return 0;
	off = (size_t)(ref - 1) * KV_REF_UNIT;
	if (copy.nbytes > p->max_value || copy.nbytes > val_cap ||
	    off + kv_item_total(nkey, copy.nbytes) > p->arena_len)
		return -ENOSPC; /* torn or too long: validation decides which */
	memcpy(val, it->data + nkey, copy.nbytes);
	snap->flags = copy.flags;
	snap->nbytes = copy.nbytes;
	snap->cas = copy.cas;
	return 1;
}

int
kv_part_read(struct kv_part *p, const uint8_t *key, size_t nkey, uint64_t hash,
	     const struct kv_clock *c, uint8_t *val, size_t val_cap,
	     struct kv_snap *snap, unsigned max_tries)
{
	const struct kv_bucket *b = bucket_of(p, (uint32_t)hash);

	for (unsigned t = 0; t < max_tries; t++) {
		uint32_t s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
		int ret;

		if (s1 & 1u)
			continue;
		ret = read_pass(p, b, key, nkey, (uint32_t)hash, c, val, val_cap, snap);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) == s1)
			return ret;
	}
	return -EBUSY;
}
