/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The tern app ABI: what a handler app (a shared object) exports and what the
 * engine hands it. This header is installed; it needs no DPDK headers, so an
 * app can be built outside the tree with `pkg-config --cflags tern-app`.
 *
 * An app exports one symbol, `tern_app_descriptor` (TERN_APP_DESCRIPTOR_SYMBOL),
 * a `const struct tern_app_descriptor` whose abi_version is TERN_APP_ABI_VERSION
 * and whose size is sizeof(struct tern_app_descriptor). The engine refuses any
 * other. Declare it with TERN_APP_EXPORT, so that it stays visible when the
 * app is built with -fvisibility=hidden:
 *
 *     TERN_APP_EXPORT const struct tern_app_descriptor tern_app_descriptor = { ... };
 *
 * Threading: init and fini run on the control thread. udp_burst, on_message
 * and timer callbacks run on worker lcores, concurrently on several of them,
 * each with its own worker index (< n_workers given to init): keep per-worker
 * state indexed by it, and never block, sleep, lock or allocate there.
 *
 * Events: besides requests, an app gets timer expiries (struct tern_host
 * timer_*; a timer fires on the worker it was armed for, inside that
 * worker's loop) and messages posted by other workers or by the control
 * plane (on_message). A request can be handed to another worker with the
 * verdict HANDOFF: that worker's udp_burst sees it again, with
 * TERN_REQ_F_HANDED_OFF set, and replies from there.
 */
#ifndef TERN_APP_H
#define TERN_APP_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_APP_ABI_VERSION 6u
#define TERN_APP_DESCRIPTOR_SYMBOL "tern_app_descriptor"

/** Exports the descriptor whatever the build's default visibility. */
#define TERN_APP_EXPORT __attribute__((visibility("default")))

struct rte_mbuf;

/** What the engine does with a request after the app has seen it. */
enum tern_verdict {
	TERN_VERDICT_DROP = 0,  /**< engine frees the mbuf, counted as drop_app */
	TERN_VERDICT_REPLY,     /**< engine sends payload[0..len) back to the sender */
	TERN_VERDICT_FORWARD,   /**< engine transmits the frame as the app left it, out the port it came in */
	TERN_VERDICT_CONSUMED,  /**< the app owns the mbuf now and must free or send it */
	TERN_VERDICT_HANDOFF,   /**< engine posts the request to worker to_worker's udp_burst
				 *   (refused and counted if its ring is full or the request
				 *   was handed off already) */
	TERN_VERDICT_MAX
};

/**
 * One UDP request, as handed to udp_burst. The engine owns the mbuf unless the
 * app sets verdict CONSUMED. For REPLY the app rewrites payload in place (up to
 * cap bytes) and sets len to the reply's payload length; the engine builds the
 * headers (addresses and ports swapped, lengths and checksums right).
 */
struct tern_udp_req {
	struct rte_mbuf *mbuf;   /**< the request frame */
	uint8_t *payload;        /**< UDP payload, contiguous in memory */
	uint16_t len;            /**< in: request payload length; out: reply payload length */
	uint16_t cap;            /**< bytes the app may write at payload (>= len) */
	uint16_t src_port;       /**< sender's UDP port, host order */
	uint16_t dst_port;       /**< tern's UDP port, host order */
	uint8_t family;          /**< 4 or 6 */
	uint8_t verdict;         /**< enum tern_verdict; preset to TERN_VERDICT_DROP */
	uint8_t flags;           /**< TERN_REQ_F_*, set by the engine */
	uint8_t reply_flags;     /**< out, for REPLY: TERN_REPLY_F_*; preset to 0 */
	uint16_t to_worker;      /**< out, for HANDOFF: the worker to hand it to */
	const uint8_t *src_addr; /**< sender's address, network order, 4 or 16 bytes */
	const uint8_t *dst_addr; /**< tern's address, network order, 4 or 16 bytes */
	uint64_t rx_ns;          /**< when it arrived (its RX burst), on tern_host.now_ns's
				  *   clock: "now" for the burst, and the age of a request
				  *   that waited in the backlog */
};

/** The request was handed to this worker by another one (verdict HANDOFF). */
#define TERN_REQ_F_HANDED_OFF 0x01u

/**
 * reply_flags: the reply's payload is the request's own, unchanged (an echo).
 * If len is still the request's, the engine keeps the request's UDP checksum,
 * which addresses and ports swapped do not change, instead of summing the
 * payload again. A promise: an app that sets it and changed a byte sends a
 * wrong checksum.
 */
#define TERN_REPLY_F_ECHO 0x01u

/** Largest message body for tern_host.post / on_message. */
#define TERN_MSG_MAX 48

/** A message between workers, or from the control plane (`event post`). */
struct tern_msg {
	uint32_t tag;            /**< the sender's choice (0 for the control plane) */
	uint16_t from_worker;    /**< sender's worker index; TERN_FROM_CONTROL if control */
	uint16_t len;            /**< bytes in data */
	uint8_t data[TERN_MSG_MAX];
};
#define TERN_FROM_CONTROL 0xffffu

struct tern_timer;  /**< opaque; created by tern_host.timer_new */

/** A timer callback: runs on the worker the timer was armed for. */
typedef void (*tern_timer_fn)(struct tern_timer *t, void *arg);

/**
 * What the engine offers an app (struct tern_app_init.host). The pointer and
 * the functions stay valid for the instance's life. `self` is the
 * instance's own handle (struct tern_app_init.self).
 *
 * Timers: created with timer_new (control thread, e.g. in init: it
 * allocates), armed and cancelled from the control thread or any worker;
 * delay and period are in nanoseconds (period 0 = one shot). A timer fires
 * on `worker`'s lcore, between bursts; lateness is bounded by one loop
 * iteration (plus the idle sleep under --idle adaptive, itself bounded by
 * the next timer). The engine cancels every timer of an instance before its
 * fini, so fini may free them (timer_free) and the memory they point to.
 *
 * post: queue a message for this app on `worker` (its on_message runs there,
 * before the worker's next packets). Never blocks: -ENOBUFS when the
 * worker's ring is full (counted as bus_full), -EINVAL for a bad worker or
 * len > TERN_MSG_MAX. Order per sender and receiver is kept.
 *
 * log: one line, printed by ternd as "app NAME: TEXT" (TEXT cut at
 * TERN_LOG_MAX bytes). From a worker it makes no system call: the line is
 * queued and the control thread prints it; at most TERN_LOG_RATE lines per
 * second per worker and instance, the rest are counted and reported as
 * suppressed. Apps log through here, never to stderr from a worker.
 *
 * reply_more: during udp_burst, for one of its requests r: send another
 * reply datagram (payload[0..len)) to r's sender, ahead of r's own reply
 * (its verdict still decides what happens to r: REPLY for the last
 * datagram). For a source the engine does not trust (not on tern's own
 * subnets nor `trust add`ed), all of r's datagrams together stay within
 * the app's max_amplification, or none is sent: they are kept until r's
 * verdict, and after -E2BIG they are withdrawn (more_refused) and a REPLY
 * verdict is dropped (drop_amplification). 0 when queued, else -E2BIG
 * (over the amplification limit, or longer than the port's MTU), -ENOBUFS
 * (no mbuf; for an untrusted source also more than 64 datagrams in a
 * burst), -EINVAL (r is not a request of the running udp_burst, or not on
 * this worker). On -E2BIG, stop and return REPLY.
 *
 * frame_free / frame_send: for a frame the app took with CONSUMED.
 * frame_free gives it back (any thread). frame_send transmits it as it is
 * out the port it came in, on the calling worker's TX queue (workers only):
 * 0 when the engine took it (counted in tx and app_sent), else -errno and
 * the app still owns it. The app needs no DPDK for either.
 *
 * later: from the control thread (a hook such as import_state), run
 * fn(arg) on the control thread at the engine's next tick (within about
 * 100 ms), outside any swap's hold; before fini at the latest. For work too
 * slow for a hook whose time counts in the hold, such as unmapping memory.
 * 0, -ENOMEM, or -EINVAL (called from a worker).
 */
struct tern_host {
	uint32_t size;                       /**< sizeof(struct tern_host) */
	unsigned (*worker_id)(void);         /**< the caller's worker index, or
					      *   TERN_FROM_CONTROL off the workers */
	uint64_t (*now_ns)(void);            /**< monotonic clock, nanoseconds */
	struct tern_timer *(*timer_new)(void *self, tern_timer_fn fn, void *arg);
	int (*timer_arm)(struct tern_timer *t, unsigned worker, uint64_t delay_ns,
			 uint64_t period_ns);
	int (*timer_cancel)(struct tern_timer *t); /**< 0, or -EBUSY if it is running
						    *   on another worker right now */
	void (*timer_free)(struct tern_timer *t);  /**< cancel and free */
	int (*post)(void *self, unsigned worker, uint32_t tag, const void *data,
		    uint16_t len);
	void (*log)(void *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	int (*reply_more)(void *self, struct tern_udp_req *r, const void *payload, uint16_t len);
	void (*frame_free)(struct rte_mbuf *m);
	int (*frame_send)(void *self, struct rte_mbuf *m);
	int (*later)(void *self, void (*fn)(void *arg), void *arg); /**< control thread */
};

/** Longest line of tern_host.log, and lines per second per worker and instance. */
#define TERN_LOG_MAX 256
#define TERN_LOG_RATE 10

/** One key=value argument from `app load NAME PATH key=value ...`. */
struct tern_app_kv {
	const char *key;
	const char *value;
};

/** What init gets. Strings live until init returns: copy what you keep. */
struct tern_app_init {
	const char *name;             /**< instance name given to `app load` */
	unsigned n_kv;
	const struct tern_app_kv *kv;
	unsigned n_workers;           /**< udp_burst's worker index is < n_workers */
	const struct tern_host *host; /**< timers, messages, clock */
	void *self;                   /**< this instance's handle, for host calls */
	char *err;                    /**< on failure, write a one-line reason here */
	size_t err_len;
};

/** Create the app's state. Return 0, or -errno after writing ia->err. */
typedef int (*tern_app_init_fn)(const struct tern_app_init *ia, void **state);
/** Destroy the state. Runs after a grace period: no worker uses it any more. */
typedef void (*tern_app_fini_fn)(void *state);
/** Handle n requests on one worker; set each verdict. */
typedef void (*tern_app_burst_fn)(void *state, unsigned worker,
				  struct tern_udp_req *reqs, uint16_t n);
/**
 * Optional, for `app replace`: serialise what a successor should inherit
 * into a malloc'd blob (the engine frees it). Runs on the control thread.
 * With the default exact hand-off it runs after a grace period in which no
 * worker can touch the instance (requests for it are held, its timers
 * postponed, its messages kept), so the blob is its final state; with
 * `handoff=snapshot` it runs while the instance still serves. 0 or -errno.
 */
typedef int (*tern_app_export_fn)(void *state, void **blob, size_t *len);

/** What import_state gets: the predecessor's blob and room for a reason. */
struct tern_app_import {
	const void *blob;        /**< export_state's blob (may be NULL if len is 0) */
	size_t len;
	const char *from_path;   /**< the predecessor's file, for messages */
	char *err;               /**< on refusal, write a one-line reason here */
	size_t err_len;
};

/**
 * Optional, for `app replace`: take over a predecessor's blob, produced by
 * export_state of an app with the same descriptor name. Runs on the control
 * thread after init and before this instance serves. 0, or -errno after
 * writing im->err (tern_app_import_fail): the replace is then abandoned, the
 * predecessor keeps serving and gets the requests held meanwhile.
 */
typedef int (*tern_app_import_fn)(void *state, const struct tern_app_import *im);
/**
 * Optional: write the app's own counters as "key=value key=value" (one line,
 * no newline) into buf, for `show apps`. Control thread, concurrent with
 * udp_burst on the workers: read counters with relaxed loads.
 */
typedef void (*tern_app_stats_fn)(void *state, char *buf, size_t len);
/**
 * Optional: a message for this app on this worker (from tern_host.post or
 * the control plane's `event post`). Worker lcore, handled before the
 * worker's next packets; the message is valid during the call only.
 */
typedef void (*tern_app_msg_fn)(void *state, unsigned worker, const struct tern_msg *m);

struct tern_app_descriptor {
	uint32_t abi_version;    /**< TERN_APP_ABI_VERSION */
	uint32_t size;           /**< sizeof(struct tern_app_descriptor) */
	const char *name;        /**< the app's kind, e.g. "udp_responder" */
	tern_app_init_fn init;   /**< required */
	tern_app_fini_fn fini;   /**< optional */
	tern_app_burst_fn udp_burst; /**< required */
	tern_app_export_fn export_state; /**< optional (app replace) */
	tern_app_import_fn import_state; /**< optional (app replace) */
	tern_app_stats_fn stats;     /**< optional (show apps) */
	tern_app_msg_fn on_message;  /**< optional (messages, `event post`) */
};

/**
 * Write a one-line reason (printf-style) into ia->err and return -errnum,
 * for init: `return tern_app_fail(ia, EINVAL, "size %u is too big", n);`
 */
static inline int tern_app_fail(const struct tern_app_init *ia, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int
tern_app_fail(const struct tern_app_init *ia, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (ia->err != NULL && ia->err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(ia->err, ia->err_len, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

/**
 * Write a one-line reason (printf-style) into im->err and return -errnum,
 * for import_state: `return tern_app_import_fail(im, EINVAL, "blob v%u", v);`
 */
static inline int tern_app_import_fail(const struct tern_app_import *im, int errnum,
				       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline int
tern_app_import_fail(const struct tern_app_import *im, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (im->err != NULL && im->err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(im->err, im->err_len, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

/** Append printf-style text to the NUL-terminated text in buf (len bytes),
 *  cut when full: for the stats hook's "key=value ..." line. */
static inline void tern_app_text_append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void
tern_app_text_append(char *buf, size_t len, const char *fmt, ...)
{
	const char *end = (const char *)memchr(buf, '\0', len);
	size_t used = end != NULL ? (size_t)(end - buf) : len;
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/**
 * For init: refuse any argument whose key is not in known (a NULL-terminated
 * list), naming it and the keys the app takes:
 * "unknown argument 'colour' (this app takes mode, size)". 0 or -EINVAL.
 */
static inline int
tern_app_args_known(const struct tern_app_init *ia, const char *const *known)
{
	for (unsigned i = 0; i < ia->n_kv; i++) {
		unsigned k = 0;
		size_t used;

		while (known[k] != NULL && strcmp(known[k], ia->kv[i].key) != 0)
			k++;
		if (known[k] != NULL)
			continue;
		if (ia->err == NULL || ia->err_len == 0)
			return -EINVAL;
		snprintf(ia->err, ia->err_len, "unknown argument '%s' (this app takes", ia->kv[i].key);
		for (k = 0; known[k] != NULL; k++) {
			used = strlen(ia->err);
			snprintf(ia->err + used, ia->err_len - used, "%s %s", k == 0 ? "" : ",", known[k]);
		}
		used = strlen(ia->err);
		snprintf(ia->err + used, ia->err_len - used, "%s)", known[0] == NULL ? " no arguments" : "");
		return -EINVAL;
	}
	return 0;
}

/** The value of key in ia's arguments, or NULL. */
static inline const char *
tern_app_arg(const struct tern_app_init *ia, const char *key)
{
	for (unsigned i = 0; i < ia->n_kv; i++)
		if (strcmp(ia->kv[i].key, key) == 0)
			return ia->kv[i].value;
	return NULL;
}

/**
 * An unsigned decimal argument key=N of ia, for init (control thread).
 * Without key, *out = dflt (not range-checked, so it can mean "off").
 * With it, N must be digits only (no sign, blanks or suffix) within
 * [min, max]: then *out = N and 0 is returned. Otherwise *out is left alone,
 * "KEY must be a whole number from MIN to MAX, not 'N'" is written to ia->err
 * and -EINVAL returned, which init can return as it is.
 */
static inline int
tern_app_arg_u64(const struct tern_app_init *ia, const char *key, uint64_t min, uint64_t max,
		 uint64_t dflt, uint64_t *out)
{
	const char *s = tern_app_arg(ia, key);
	unsigned long long v = 0;
	char *end = NULL;
	int saved = errno;

	if (s == NULL) {
		*out = dflt;
		return 0;
	}
	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno == 0 && *end == '\0' && v >= min && v <= max) {
			errno = saved;
			*out = v;
			return 0;
		}
	}
	errno = saved;
	if (ia->err != NULL && ia->err_len > 0)
		snprintf(ia->err, ia->err_len, "%s must be a whole number from %llu to %llu, not '%s'",
			 key, (unsigned long long)min, (unsigned long long)max, s);
	return -EINVAL;
}

#ifdef __cplusplus
}
#endif

#endif /* TERN_APP_H */
