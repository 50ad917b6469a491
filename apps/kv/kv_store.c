/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kv_store.h"

#define KV_SLOT_ALIGN 64u

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
pow2_at_least(uint32_t n)
{
	uint32_t v = 1;

	while (v < n && v < (1u << 31))
		v <<= 1;
	return v;
}

int
kv_part_init(struct kv_part *p, uint32_t n_items, uint32_t max_value,
	     unsigned worker, unsigned n_workers)
{
	size_t stride;

	memset(p, 0, sizeof(*p));
	if (n_items == 0 || n_workers == 0 || max_value > KV_VALUE_LIMIT)
		return -EINVAL;
	stride = sizeof(struct kv_item) + KV_KEY_MAX + max_value;
	stride = (stride + KV_SLOT_ALIGN - 1) / KV_SLOT_ALIGN * KV_SLOT_ALIGN;
	p->slots = aligned_alloc(KV_SLOT_ALIGN, stride * n_items);
	p->mask = pow2_at_least(n_items) - 1;
	p->buckets = calloc((size_t)p->mask + 1, sizeof(*p->buckets));
	if (p->slots == NULL || p->buckets == NULL) {
		kv_part_fini(p);
		return -ENOMEM;
	}
	memset(p->slots, 0, stride * n_items);
	p->stride = stride;
	p->n_slots = n_items;
	p->max_value = max_value;
	for (uint32_t i = 1; i <= n_items; i++)
		kv_part_item(p, i)->next = i < n_items ? i + 1 : 0;
	p->free_head = 1;
	p->cas_next = worker + 1;
	p->cas_step = n_workers;
	return 0;
}

void
kv_part_fini(struct kv_part *p)
{
	free(p->slots);
	free(p->buckets);
	p->slots = NULL;
	p->buckets = NULL;
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
	uint32_t idx = bucket_of(p, (uint32_t)hash)->head;

	while (idx != 0) {
		const struct kv_item *it = kv_part_item(p, idx);

		if (key_is(it, key, nkey, (uint32_t)hash))
			return idx;
		idx = it->next;
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

static void
lru_remove(struct kv_part *p, uint32_t idx1)
{
	struct kv_item *it = kv_part_item(p, idx1);

	if (it->lru_prev != 0)
		kv_part_item(p, it->lru_prev)->lru_next = it->lru_next;
	else
		p->lru_head = it->lru_next;
	if (it->lru_next != 0)
		kv_part_item(p, it->lru_next)->lru_prev = it->lru_prev;
	else
		p->lru_tail = it->lru_prev;
	it->lru_prev = 0;
	it->lru_next = 0;
}

static void
lru_push(struct kv_part *p, uint32_t idx1)
{
	struct kv_item *it = kv_part_item(p, idx1);

	it->lru_prev = 0;
	it->lru_next = p->lru_head;
	if (p->lru_head != 0)
		kv_part_item(p, p->lru_head)->lru_prev = idx1;
	else
		p->lru_tail = idx1;
	p->lru_head = idx1;
}

void
kv_part_bump(struct kv_part *p, uint32_t idx1)
{
	if (p->lru_head == idx1)
		return;
	lru_remove(p, idx1);
	lru_push(p, idx1);
}

/* The chain link pointing at idx1 (the bucket head or a predecessor's next). */
static uint32_t *
chain_link_to(struct kv_part *p, struct kv_bucket *b, uint32_t idx1)
{
	uint32_t *link = &b->head;

	while (*link != 0 && *link != idx1)
		link = &kv_part_item(p, *link)->next;
	return *link == idx1 ? link : NULL;
}

static inline void
free_push(struct kv_part *p, uint32_t idx1)
{
	struct kv_item *it = kv_part_item(p, idx1);

	it->used = 0;
	__atomic_store_n(&it->next, p->free_head, __ATOMIC_RELAXED);
	p->free_head = idx1;
}

void
kv_part_link(struct kv_part *p, uint32_t idx1)
{
	struct kv_item *it = kv_part_item(p, idx1);
	struct kv_bucket *b = bucket_of(p, it->hash);

	seq_begin(b);
	it->used = 1;
	__atomic_store_n(&it->next, b->head, __ATOMIC_RELAXED);
	__atomic_store_n(&b->head, idx1, __ATOMIC_RELAXED);
	seq_end(b);
	lru_push(p, idx1);
	__atomic_store_n(&p->n_used, p->n_used + 1, __ATOMIC_RELAXED);
}

void
kv_part_unlink(struct kv_part *p, uint32_t idx1)
{
	struct kv_item *it = kv_part_item(p, idx1);
	struct kv_bucket *b = bucket_of(p, it->hash);
	uint32_t *link;

	seq_begin(b);
	link = chain_link_to(p, b, idx1);
	if (link != NULL)
		__atomic_store_n(link, it->next, __ATOMIC_RELAXED);
	free_push(p, idx1);
	seq_end(b);
	lru_remove(p, idx1);
	__atomic_store_n(&p->n_used, p->n_used - 1, __ATOMIC_RELAXED);
}

uint32_t
kv_part_alloc(struct kv_part *p, const struct kv_clock *c)
{
	uint32_t idx1 = p->free_head;
	struct kv_item *victim;

	if (idx1 == 0) {
		idx1 = p->lru_tail;
		victim = kv_part_item(p, idx1);
		kv_count(kv_item_dead(victim, c) ? &p->st.reclaimed : &p->st.evictions);
		kv_part_unlink(p, idx1);
	}
	p->free_head = kv_part_item(p, idx1)->next;
	return idx1;
}

uint32_t
kv_part_reap(struct kv_part *p, const struct kv_clock *c, uint32_t max_scan)
{
	uint32_t freed = 0;

	if (max_scan > p->n_slots)
		max_scan = p->n_slots;
	for (uint32_t i = 0; i < max_scan; i++) {
		uint32_t idx1 = p->reap_hand + 1;
		struct kv_item *it = kv_part_item(p, idx1);

		p->reap_hand = idx1 == p->n_slots ? 0 : idx1;
		if (it->used && kv_item_dead(it, c)) {
			kv_part_unlink(p, idx1);
			freed++;
		}
	}
	__atomic_store_n(&p->st.reaped, p->st.reaped + freed, __ATOMIC_RELAXED);
	return freed;
}

/* One optimistic pass over the bucket: 1 found (copied), 0 missing,
 * -ENOSPC; the caller validates the sequence count afterwards. */
static int
read_pass(const struct kv_part *p, const struct kv_bucket *b, const uint8_t *key,
	  size_t nkey, uint32_t hash, const struct kv_clock *c, uint8_t *val,
	  size_t val_cap, struct kv_snap *snap)
{
	uint32_t idx = __atomic_load_n(&b->head, __ATOMIC_RELAXED);
	struct kv_item *it = NULL, copy;

	for (uint32_t steps = 0; idx != 0 && idx <= p->n_slots && steps <= p->n_slots; steps++) {
		it = kv_part_item(p, idx);
		if (__atomic_load_n(&it->hash, __ATOMIC_RELAXED) == hash &&
		    __atomic_load_n(&it->nkey, __ATOMIC_RELAXED) == nkey &&
		    memcmp(it->data, key, nkey) == 0)
			break;
		idx = __atomic_load_n(&it->next, __ATOMIC_RELAXED);
	}
	if (it == NULL || idx == 0 || idx > p->n_slots)
		return 0;
	memcpy(&copy, it, sizeof(copy));
	if (kv_item_dead(&copy, c))
		return 0;
	if (copy.nbytes > p->max_value || copy.nbytes > val_cap)
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
