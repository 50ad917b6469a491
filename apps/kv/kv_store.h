/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * One worker's partition of the key-value store: fixed-size item slots
 * allocated once, a chained hash table, an LRU list for eviction and a
 * free list. Nothing here allocates after kv_part_init.
 *
 * Ownership: a partition belongs to one worker (the owner of the keys that
 * hash to it). Only the owner calls the functions that change it. Any
 * worker may call kv_part_read (a consistent copy of one item, without
 * locks): every change to a hash bucket's chain or to an item in it is
 * made inside that bucket's write section (a sequence counter, odd while
 * writing), and a reader retries when the counter moved. Slots are never
 * returned to the system, so a reader that follows a stale index reads
 * valid memory and then notices the counter.
 */
#ifndef TERN_KV_STORE_H
#define TERN_KV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KV_KEY_MAX 250     /**< memcached's KEY_MAX_LENGTH */
#define KV_VALUE_LIMIT 65000u /**< largest max_value a partition accepts */

/** An item slot's header; the key and then the value follow it. */
struct kv_item {
	uint32_t next;      /**< hash chain, or free list: slot index + 1; 0 ends */
	uint32_t lru_prev;  /**< towards the most recently used: index + 1; 0 = none */
	uint32_t lru_next;  /**< towards the least recently used */
	uint32_t hash;      /**< low 32 bits of the key's hash (its bucket) */
	uint64_t cas;       /**< CAS unique, changed by every store and incr/decr */
	uint64_t exp_ns;    /**< expires when the clock reaches this; 0 = never */
	uint64_t time_ns;   /**< when last stored (delayed flush_all) */
	uint32_t gen;       /**< flush generation when last stored (flush_all) */
	uint32_t flags;     /**< the client's flags */
	uint16_t nbytes;    /**< value length */
	uint8_t nkey;       /**< key length, 1..KV_KEY_MAX */
	uint8_t used;       /**< 1 while linked in the hash table */
	uint8_t pad[4];
	uint8_t data[];     /**< key (nkey bytes), then value (nbytes bytes) */
};

/** Time and flush_all state an item's liveness is judged against. */
struct kv_clock {
	uint64_t now_ns;            /**< monotonic clock */
	uint32_t flush_gen;         /**< bumped by each immediate flush_all */
	uint64_t flush_deadline_ns; /**< delayed flush_all: items stored before it
				     *   die when the clock reaches it; 0 = none */
};

/** A hash bucket: chain head and the write-section counter. */
struct kv_bucket {
	uint32_t head;  /**< slot index + 1; 0 = empty */
	uint32_t seq;   /**< odd while the owner changes this bucket */
};

/** A partition's counters (owner writes, anyone reads relaxed). */
struct kv_part_stats {
	uint64_t evictions;      /**< live items dropped to make room */
	uint64_t reclaimed;      /**< dead items reused to make room */
	uint64_t reaped;         /**< dead items freed by the reaper */
	uint64_t lazy_freed;     /**< dead items freed when looked up */
};

/** Owner: add one to a counter others read (a relaxed store, no data race). */
static inline void
kv_count(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

struct kv_part {
	uint8_t *slots;            /**< n_slots * stride bytes */
	size_t stride;             /**< bytes per slot */
	uint32_t n_slots;
	uint32_t n_used;           /**< linked items (owner writes, stats read relaxed) */
	struct kv_bucket *buckets; /**< mask + 1 of them */
	uint32_t mask;
	uint32_t free_head;        /**< free list: slot index + 1 */
	uint32_t lru_head;         /**< most recently used */
	uint32_t lru_tail;         /**< least recently used: evicted first */
	uint32_t reap_hand;        /**< next slot the reaper looks at */
	uint32_t max_value;
	uint64_t cas_next;         /**< next CAS unique */
	uint64_t cas_step;         /**< n_workers: CAS uniques differ across partitions */
	struct kv_part_stats st;
};

/** The hash of a key: 64 bits, the low 32 pick the bucket. */
uint64_t kv_hash(const uint8_t *key, size_t nkey);

/** The worker owning a key with this hash, of n_workers. */
static inline unsigned
kv_owner(uint64_t hash, unsigned n_workers)
{
	return (unsigned)((hash >> 32) % n_workers);
}

/**
 * Allocate a partition of n_items slots for values up to max_value bytes.
 * Its CAS uniques are worker + 1 + k * n_workers. Control thread (allocates).
 * @return 0, -EINVAL (zero items, max_value > KV_VALUE_LIMIT) or -ENOMEM.
 */
int kv_part_init(struct kv_part *p, uint32_t n_items, uint32_t max_value,
		 unsigned worker, unsigned n_workers);

/** Free what kv_part_init allocated. Control thread, no reader left. */
void kv_part_fini(struct kv_part *p);

/** The slot for index + 1 (idx1 != 0). */
static inline struct kv_item *
kv_part_item(const struct kv_part *p, uint32_t idx1)
{
	return (struct kv_item *)(p->slots + (size_t)(idx1 - 1) * p->stride);
}

/** The item's value. */
static inline uint8_t *
kv_item_value(struct kv_item *it)
{
	return it->data + it->nkey;
}

/** True if the item is expired or flushed at c. */
static inline bool
kv_item_dead(const struct kv_item *it, const struct kv_clock *c)
{
	if (it->exp_ns != 0 && c->now_ns >= it->exp_ns)
		return true;
	if ((int32_t)(it->gen - c->flush_gen) < 0)
		return true;
	return c->flush_deadline_ns != 0 && c->now_ns >= c->flush_deadline_ns &&
	       it->time_ns < c->flush_deadline_ns;
}

/** Owner: the slot (index + 1) holding key, dead or alive, or 0. */
uint32_t kv_part_find(const struct kv_part *p, const uint8_t *key, size_t nkey,
		      uint64_t hash);

/**
 * Owner: a free slot (index + 1), not linked. When none is free, the least
 * recently used item is unlinked for it (counted as reclaimed if dead at c,
 * else as an eviction). Never fails.
 */
uint32_t kv_part_alloc(struct kv_part *p, const struct kv_clock *c);

/**
 * Owner: link a filled slot (key, value, fields set; hash set from the key)
 * into the table as the most recently used item. Its key must not be in
 * the table.
 */
void kv_part_link(struct kv_part *p, uint32_t idx1);

/** Owner: unlink an item and free its slot. */
void kv_part_unlink(struct kv_part *p, uint32_t idx1);

/** Owner: mark it the most recently used. */
void kv_part_bump(struct kv_part *p, uint32_t idx1);

/**
 * Owner: begin changing a linked item in place (value, flags, expiry, CAS):
 * readers of its bucket retry until kv_part_write_end.
 */
void kv_part_write_begin(struct kv_part *p, const struct kv_item *it);

/** Owner: end kv_part_write_begin. */
void kv_part_write_end(struct kv_part *p, const struct kv_item *it);

/** Owner: the next CAS unique. */
static inline uint64_t
kv_part_next_cas(struct kv_part *p)
{
	uint64_t cas = p->cas_next;

	p->cas_next += p->cas_step;
	return cas;
}

/**
 * Owner: look at up to max_scan slots from where the last call stopped and
 * free those holding dead items. @return how many it freed.
 */
uint32_t kv_part_reap(struct kv_part *p, const struct kv_clock *c, uint32_t max_scan);

/** What kv_part_read copies out of an item. */
struct kv_snap {
	uint32_t flags;
	uint16_t nbytes;    /**< value length (copied to the caller's buffer) */
	uint64_t cas;
};

/**
 * Any worker: find key and copy its value to val (at most val_cap bytes)
 * and its fields to *snap, consistently, without locks, retrying while the
 * owner writes the bucket (at most max_tries times). Dead items (at c) are
 * reported missing.
 * @return 1 found, 0 missing, -ENOSPC (value longer than val_cap), or
 *   -EBUSY (the bucket kept changing).
 */
int kv_part_read(struct kv_part *p, const uint8_t *key, size_t nkey, uint64_t hash,
		 const struct kv_clock *c, uint8_t *val, size_t val_cap,
		 struct kv_snap *snap, unsigned max_tries);

#ifdef __cplusplus
}
#endif

#endif /* TERN_KV_STORE_H */
