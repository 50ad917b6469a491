/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * One worker's partition of the key-value store, with memcached's memory
 * scheme: an arena allocated once (kv_part_init) and cut into pages; each
 * page is handed, on demand and for good, to one size class, whose chunks
 * hold items of up to its size (classes grow by KV_CLASS_FACTOR from
 * KV_CHUNK_MIN). Items live in a chained hash table; each class keeps an
 * LRU list and a free list. An item is evicted only when memory is full:
 * its class has no free chunk and no page is left (the least recently used
 * item of that class goes, as in memcached without slab rebalancing).
 * Nothing here allocates after kv_part_init.
 *
 * Ownership: a partition belongs to one worker (the owner of the keys that
 * hash to it). Only the owner calls the functions that change it. Any
 * worker may call kv_part_read (a consistent copy of one item, without
 * locks): every change to a hash bucket's chain or to an item in it is
 * made inside that bucket's write section (a sequence counter, odd while
 * writing), and a reader retries when the counter moved. The arena is
 * never returned to the system and pages never change class while the
 * partition lives, so a reader that follows a stale reference reads valid
 * memory (every read is bounded by the arena) and then notices the counter.
 */
#ifndef TERN_KV_STORE_H
#define TERN_KV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KV_KEY_MAX 250            /**< memcached's KEY_MAX_LENGTH */
#define KV_VALUE_LIMIT (1u << 20) /**< largest max_value a partition accepts (1 MiB) */
#define KV_CHUNK_MIN 96u          /**< the smallest class's chunk (memcached's) */
#define KV_CLASS_FACTOR_NUM 5u    /**< classes grow by 5/4 (memcached's -f 1.25) */
#define KV_CLASS_FACTOR_DEN 4u
#define KV_CLASS_MAX 64           /**< size classes at most */
#define KV_PAGE_MIN (1u << 20)    /**< default page: 1 MiB, or the largest item if bigger */
#define KV_REF_UNIT 8u            /**< item references count 8-byte units of the arena */
#define KV_PAGES_MIN 2u           /**< a partition has at least this many pages */
#define KV_PART_MAX_BYTES ((size_t)KV_REF_UNIT * 0xfffffff0u) /**< arena limit: 32-bit refs */

/**
 * An item's header, at the start of its chunk; the key and then the value
 * follow it. References (ref) are arena offset / KV_REF_UNIT + 1; 0 is none.
 */
struct kv_item {
	uint32_t next;      /**< hash chain, or the class's free list: ref; 0 ends */
	uint32_t lru_prev;  /**< towards the most recently used of its class: ref */
	uint32_t lru_next;  /**< towards the least recently used */
	uint32_t hash;      /**< low 32 bits of the key's hash (its bucket) */
	uint64_t cas;       /**< CAS unique, changed by every store and incr/decr */
	uint64_t exp_ns;    /**< expires when the clock reaches this; 0 = never */
	uint64_t time_ns;   /**< when last stored (delayed flush_all) */
	uint32_t gen;       /**< flush generation when last stored (flush_all) */
	uint32_t flags;     /**< the client's flags */
	uint32_t nbytes;    /**< value length */
	uint8_t nkey;       /**< key length, 1..KV_KEY_MAX */
	uint8_t used;       /**< 1 while linked in the hash table */
	uint8_t cls;        /**< its size class */
	uint8_t pad;
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
	uint32_t head;  /**< ref; 0 = empty */
	uint32_t seq;   /**< odd while the owner changes this bucket */
};

/** A partition's counters (owner writes, anyone reads relaxed). */
struct kv_part_stats {
	uint64_t evictions;      /**< live items dropped to make room */
	uint64_t reclaimed;      /**< dead items reused to make room */
	uint64_t reaped;         /**< dead items freed by the reaper */
	uint64_t lazy_freed;     /**< dead items freed when looked up */
	uint64_t alloc_fail;     /**< no chunk: class empty and no page left */
};

/** One size class (owner writes; pages and items read relaxed by stats). */
struct kv_class {
	uint32_t size;        /**< chunk bytes (header, key and value) */
	uint32_t per_page;    /**< chunks in a page */
	uint32_t free_head;   /**< free chunks: ref; 0 = none */
	uint32_t carve_page;  /**< the page being cut into chunks: index + 1; 0 = none */
	uint32_t carve_next;  /**< its next chunk not handed out yet */
	uint32_t lru_head;    /**< most recently used: ref */
	uint32_t lru_tail;    /**< least recently used: evicted first */
	uint32_t pages;       /**< pages this class owns */
	uint32_t items;       /**< items of this class linked */
};

/** What a partition is made of. */
struct kv_part_conf {
	size_t mem_bytes;     /**< the arena: item memory of this partition */
	uint32_t max_value;   /**< longest value, 1..KV_VALUE_LIMIT */
	uint32_t page_size;   /**< 0: KV_PAGE_MIN, or the largest item rounded
			       *   up to 4 KiB if bigger (tests use small pages) */
};

/** Owner: add one to a counter others read (a relaxed store, no data race). */
static inline void
kv_count(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

struct kv_part {
	uint8_t *arena;            /**< n_pages * page_size bytes, mapped at init */
	size_t arena_len;
	uint32_t page_size;
	uint32_t n_pages;
	uint32_t pages_used;       /**< pages handed to classes (stats read relaxed) */
	uint8_t *page_cls;         /**< each handed-out page's class */
	struct kv_class cls[KV_CLASS_MAX];
	unsigned n_cls;
	struct kv_bucket *buckets; /**< mask + 1 of them */
	uint32_t mask;
	uint32_t n_used;           /**< linked items (stats read relaxed) */
	uint64_t bytes_used;       /**< chunk bytes of linked items (stats read relaxed) */
	uint32_t reap_page;        /**< the reaper's next chunk: page ... */
	uint32_t reap_chunk;       /**< ... and chunk in it */
	uint32_t max_value;
	uint32_t ref_max;          /**< largest ref whose header lies in the arena */
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

/** Bytes an item of this key and value length takes in a chunk. */
static inline size_t
kv_item_total(size_t nkey, size_t nbytes)
{
	return sizeof(struct kv_item) + nkey + nbytes;
}

/** The page size kv_part_init uses for conf (page_size 0: the default). */
uint32_t kv_part_page_size(const struct kv_part_conf *conf);

/**
 * Map the arena (conf->mem_bytes rounded down to whole pages, at least
 * KV_PAGES_MIN) and the hash table, and lay out the size classes. Its CAS
 * uniques are worker + 1 + k * n_workers. Control thread (allocates).
 * @return 0, -EINVAL (max_value 0 or over KV_VALUE_LIMIT, fewer than
 *   KV_PAGES_MIN pages, an arena over 32 GiB) or -ENOMEM.
 */
int kv_part_init(struct kv_part *p, const struct kv_part_conf *conf, unsigned worker,
		 unsigned n_workers);

/** Unmap and free what kv_part_init allocated. Control thread, no reader left. */
void kv_part_fini(struct kv_part *p);

/** The item at ref (ref != 0). */
static inline struct kv_item *
kv_part_item(const struct kv_part *p, uint32_t ref)
{
	return (struct kv_item *)(p->arena + (size_t)(ref - 1) * KV_REF_UNIT);
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

/** The class of chunks holding total bytes, or -1 if none is that big. */
int kv_part_class(const struct kv_part *p, size_t total);

/** True if the item's chunk can hold a value of nbytes (a change in place). */
static inline bool
kv_part_fits(const struct kv_part *p, const struct kv_item *it, size_t nbytes)
{
	return kv_item_total(it->nkey, nbytes) <= p->cls[it->cls].size;
}

/** Owner: the item holding key (ref), dead or alive, or 0. */
uint32_t kv_part_find(const struct kv_part *p, const uint8_t *key, size_t nkey,
		      uint64_t hash);

/**
 * Owner: a chunk for an item of total bytes (ref), not linked, its cls set.
 * From the class's free list, else a fresh chunk of its current page, else a
 * new page from the arena; when memory is full, the class's least recently
 * used item is unlinked for it (counted as reclaimed if dead at c, else as
 * an eviction).
 * @return the ref, or 0: too big for any class, or the class has no item to
 *   evict (it has no page and none is left; counted in alloc_fail).
 */
uint32_t kv_part_alloc(struct kv_part *p, size_t total, const struct kv_clock *c);

/** Owner: give back a chunk kv_part_alloc returned that was not linked. */
void kv_part_free(struct kv_part *p, uint32_t ref);

/**
 * Owner: link a filled item (key, value, fields set; hash set from the key)
 * into the table as the most recently used of its class. Its key must not
 * be in the table.
 */
void kv_part_link(struct kv_part *p, uint32_t ref);

/**
 * Owner: put filled item nw (same key as old, not linked) in linked old's
 * place, in one write section of their bucket, and free old's chunk.
 */
void kv_part_replace(struct kv_part *p, uint32_t old, uint32_t nw);

/** Owner: unlink an item and free its chunk. */
void kv_part_unlink(struct kv_part *p, uint32_t ref);

/** Owner: mark it the most recently used of its class. */
void kv_part_bump(struct kv_part *p, uint32_t ref);

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
 * Owner: look at up to max_scan chunks of the pages handed out, from where
 * the last call stopped, and free those holding dead items.
 * @return how many it freed.
 */
uint32_t kv_part_reap(struct kv_part *p, const struct kv_clock *c, uint32_t max_scan);

/** What kv_part_read copies out of an item. */
struct kv_snap {
	uint32_t flags;
	uint32_t nbytes;    /**< value length (copied to the caller's buffer) */
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
