/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The key-value store behind the memcached text protocol over UDP: the
 * partitions of all workers, the 8-byte UDP frame header, routing a request
 * to the worker owning its keys, and running it (kv_proto_run), with
 * memcached 1.6's replies.
 *
 * Keys are partitioned: the worker kv_owner(kv_hash(key)) owns a key and
 * is the only one to change it. A request runs on its home worker
 * (kv_proto_route): the owner of its first key written, or of its first
 * key if it writes none. Keys read (get, gets) that another worker owns
 * are read from that worker's partition without locks (kv_part_read). A
 * request writing keys of two or more workers is refused whole with
 * KV_ERR_CROSS.
 *
 * Thread safety: kv_proto_run and kv_proto_tick on worker w change only
 * partition w; flush_all changes two shared words atomically. The rest is
 * read-only after kv_store_init.
 */
#ifndef TERN_KV_PROTO_H
#define TERN_KV_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv_store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KV_FRAME_HDR 8          /**< memcached's UDP frame header */
#define KV_UDP_DATA_MAX 1392    /**< memcached's reply data per datagram (1400 - 8) */
#define KV_REPLY_LIMIT (65535u * KV_UDP_DATA_MAX) /**< largest reply_max: 65535 datagrams */
#define KV_VERSION_MAX 48
#define KV_READ_TRIES 256       /**< kv_part_read attempts before "busy" */
/**
 * The layout of struct kv_store and everything it points to (partitions,
 * items, counters): app replace hands the store to the successor only if
 * its layout version is the same. Bump it with any change to them.
 */
#define KV_LAYOUT_VERSION 1u
/** The reply to a request that writes keys owned by different workers. */
#define KV_ERR_CROSS "SERVER_ERROR keys of this request live on different workers"

/** What kv_store_init needs. */
struct kv_config {
	uint64_t mem_bytes;    /**< item memory of all workers, split evenly */
	uint32_t page_size;    /**< 0: kv_part_page_size's default (tests set it) */
	uint32_t max_value;    /**< longest value stored, bytes */
	uint32_t reply_max;    /**< longest reply body (after the frame header) */
	const char *version;   /**< the "version" command's answer */
};

/** A worker's counters (the worker writes them, stats reads them relaxed). */
struct kv_wstats {
	uint64_t requests;       /**< datagrams run here */
	uint64_t replies;        /**< datagrams answered */
	uint64_t handoffs;       /**< handed to the home worker */
	uint64_t drop_short;     /**< not longer than the frame header */
	uint64_t drop_multi;     /**< frame header says more than one datagram */
	uint64_t drop_close;     /**< HTTP request line (memcached closes) */
	uint64_t cmds;           /**< commands run */
	uint64_t get_hits;
	uint64_t get_misses;
	uint64_t stores;         /**< STORED */
	uint64_t remote_reads;   /**< keys read from another worker's partition */
	uint64_t remote_busy;    /**< ... that kept changing (answered busy) */
	uint64_t cross_writes;   /**< requests refused with KV_ERR_CROSS */
	uint64_t overflows;      /**< replies cut at reply_max */
	uint64_t multi_replies;  /**< replies of more than one datagram */
	uint64_t reply_refused;  /**< ... whose extra datagrams the engine refused */
} __attribute__((aligned(64)));

/** The whole store. */
struct kv_store {
	unsigned n_parts;          /**< = workers */
	struct kv_part *parts;
	struct kv_wstats *wstats;  /**< one per worker */
	uint8_t *scratch;          /**< max_value bytes per worker (remote reads) */
	uint8_t *replies;          /**< reply_cap bytes per worker: kv_store_reply_buf */
	size_t reply_cap;          /**< KV_FRAME_HDR + reply_max */
	uint32_t max_value;
	uint32_t reply_max;
	int64_t unix_offset_ns;    /**< Unix time = monotonic clock + this */
	uint32_t flush_gen;        /**< atomic: immediate flush_all count */
	uint64_t flush_deadline_ns; /**< atomic: pending delayed flush_all, 0 = none */
	size_t version_len;
	char version[KV_VERSION_MAX];
};

/**
 * Allocate the store for n_workers (control thread): each worker's
 * partition of mem_bytes / n_workers, its remote-read scratch and its
 * reply buffer. unix_offset_ns maps the clock kv_proto_run is given to
 * Unix time (for absolute exptimes).
 * @return 0, -EINVAL (a bad config value, or too little memory for
 *   KV_PAGES_MIN pages per worker) or -ENOMEM.
 */
int kv_store_init(struct kv_store *s, const struct kv_config *cfg, unsigned n_workers,
		  int64_t unix_offset_ns);

/** Free the store (control thread, no worker uses it). */
void kv_store_fini(struct kv_store *s);

/** Worker w's reply buffer (s->reply_cap bytes), for kv_proto_run's out. */
static inline uint8_t *
kv_store_reply_buf(struct kv_store *s, unsigned w)
{
	return s->replies + (size_t)w * s->reply_cap;
}

/** Where a datagram runs. */
struct kv_route {
	bool drop;          /**< not a valid single-datagram request: drop it */
	bool cross;         /**< writes keys of several workers: refuse it */
	unsigned home;      /**< the worker to run it on */
};

/**
 * Decide where the datagram (frame header included) runs. Without keys it
 * runs where it is (self).
 */
void kv_proto_route(const struct kv_store *s, unsigned self, const uint8_t *dgram,
		    size_t len, struct kv_route *r);

/** How kv_proto_run answers. */
enum kv_answer {
	KV_ANSWER_NONE,     /**< nothing to send (noreply, no command, dropped) */
	KV_ANSWER_REPLY,    /**< send the *out_len bytes written to out */
};

/**
 * Run a datagram (frame header included) on worker self, as routed by
 * kv_proto_route; write the whole reply to out (cap bytes; out must not
 * overlap dgram): a frame header, then the reply body (at most reply_max
 * bytes), which may need several datagrams: send them with kv_reply_dgram.
 * now_ns is the monotonic clock.
 */
enum kv_answer kv_proto_run(struct kv_store *s, unsigned self, uint64_t now_ns,
			    const uint8_t *dgram, size_t len, uint8_t *out, size_t cap,
			    size_t *out_len);

/**
 * Write the KV_ERR_CROSS reply for dgram into out (cap bytes).
 * @return the reply length.
 */
size_t kv_proto_cross_reply(struct kv_store *s, unsigned self, const uint8_t *dgram,
			    uint8_t *out, size_t cap);

/** How many datagrams the reply kv_proto_run wrote (len bytes) takes. */
static inline unsigned
kv_reply_dgrams(size_t len)
{
	if (len <= KV_FRAME_HDR)
		return 1; /* an empty datagram (quit) */
	return (unsigned)((len - KV_FRAME_HDR + KV_UDP_DATA_MAX - 1) / KV_UDP_DATA_MAX);
}

/**
 * Datagram i of the reply kv_proto_run wrote to out (len bytes): its frame
 * header (request id, sequence i, total, reserved 0), as memcached frames a
 * reply, is written in place over the last bytes of datagram i - 1, so
 * take them in order, each sent (copied) before the next is asked for.
 * @return its start; *dlen its length (at most KV_FRAME_HDR + KV_UDP_DATA_MAX).
 */
uint8_t *kv_reply_dgram(uint8_t *out, size_t len, unsigned i, size_t *dlen);

/** The reaper, on worker self: free dead items among max_scan chunks. */
uint32_t kv_proto_tick(struct kv_store *s, unsigned self, uint64_t now_ns,
		       uint32_t max_scan);

#ifdef __cplusplus
}
#endif

#endif /* TERN_KV_PROTO_H */
