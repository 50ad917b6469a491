/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Counters: one array per worker and port, indexed by enum tern_ctr. Each
 * worker writes only its own (single writer, no atomics needed beyond a
 * relaxed store); the control thread sums them on read.
 */
#ifndef TERN_STATS_H
#define TERN_STATS_H

#include <stdint.h>

#include <rte_common.h>

#include "engine_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The frame counters, declared once: X(ID, name, what a frame counted here
 * did). The list makes enum tern_ctr (TERN_CTR_ID), tern_ctr_names and
 * tern_ctr_descs; docs/observability.md's table must say the same (a unit
 * test checks it). Every way a packet can be dropped has one.
 */
#define TERN_CTR_LIST(X) \
	X(RX, rx, "was received") \
	X(TX, tx, "was taken by a TX queue (a reply, or a frame an app sent)") \
	X(DROP_MALFORMED, drop_malformed, "had truncated or inconsistent headers") \
	X(DROP_NOT_FOR_US, drop_not_for_us, \
	  "was for another MAC or IP, ARP for another address, or a unicast IP request in a broadcast/multicast frame") \
	X(DROP_NO_HANDLER, drop_no_handler, "was UDP to a port no app is bound to") \
	X(DROP_BAD_CKSUM, drop_bad_cksum, "had a wrong IPv4 header, UDP, ICMP or ICMPv6 checksum") \
	X(DROP_TX_FULL, drop_tx_full, "was a reply the TX queue did not take") \
	X(DROP_UNSUPPORTED, drop_unsupported, \
	  "was valid but not handled: TCP, fragments, other ICMP types, multi-segment") \
	X(DROP_APP, drop_app, "got the verdict DROP from an app") \
	X(DROP_BAD_VERDICT, drop_bad_verdict, "got an invalid verdict or reply length from an app") \
	X(DROP_BACKLOG, drop_backlog, "was over its app's budget and found the worker's backlog full") \
	X(DROP_BUS_FULL, drop_bus_full, "was handed off or steered to a worker whose event ring was full") \
	X(DROP_HANDOFF, drop_handoff, "was handed off a second time, or to a worker that does not exist") \
	X(DROP_AMPLIFICATION, drop_amplification, \
	  "was a reply larger than `max_amplification` times its request") \
	X(DROP_BAD_SOURCE, drop_bad_source, \
	  "came from an address no reply may go to (broadcast, multicast, loopback, unspecified, martian, tern's own)") \
	X(DROP_RATE_LIMIT, drop_rate_limit, "was over its app's per-source rate limit") \
	X(DROP_TOO_BIG, drop_too_big, "was an IP packet longer than the port's MTU") \
	X(CONSUMED, consumed, "was taken by an app (verdict CONSUMED), which frees or sends it") \
	X(TX_MORE, tx_more, "was an extra reply datagram an app sent for a request (`reply_more`); also in `tx`") \
	X(APP_SENT, app_sent, "was a frame an app sent itself (`frame_send`); also in `tx`") \
	X(MORE_REFUSED, more_refused, \
	  "was an extra reply datagram not sent: refused (over the amplification limit or the MTU, or no mbuf), or withdrawn with the rest of a reply over the limit")

/**
 * The event counters of each worker (not tied to a port), declared once the
 * same way: X(ID, name, what it counts); enum tern_wctr (TERN_WCTR_ID),
 * tern_wctr_names, tern_wctr_descs, and docs/observability.md's table.
 */
#define TERN_WCTR_LIST(X) \
	X(LOOPS, loops, "loop iterations") \
	X(IDLE_SLEEPS, idle_sleeps, "sleeps taken under `--idle adaptive`") \
	X(IDLE_SLEPT_NS, idle_slept_ns, "time spent asleep (measured), ns") \
	X(IDLE_WOKEN, idle_woken, "sleeps ended early by an event posted to the worker (a message, hand-off, steered frame or reply to send), or not begun because one was waiting") \
	X(IDLE_WOKEN_RX, idle_woken_rx, "sleeps ended by a frame arriving (af_packet and AF_XDP ports, whose kernel sockets wake the worker)") \
	X(IDLE_TIMED_OUT, idle_timed_out, "sleeps that ran the time asked: to the next timer, or one sleep step where frames cannot wake the worker") \
	X(BUS_MSGS, bus_msgs, "messages delivered to an app's `on_message`") \
	X(BUS_NO_APP, bus_no_app, "messages for an app no longer loaded (dropped)") \
	X(BUS_POST_FULL, bus_post_full, "messages this worker posted that were refused (ring full)") \
	X(HANDOFF_OUT, handoff_out, "requests handed to another worker") \
	X(HANDOFF_IN, handoff_in, "requests handed to this worker") \
	X(STEERED_OUT, steered_out, "frames this receiver steered to other workers") \
	X(STEERED_IN, steered_in, "frames steered to this worker") \
	X(TX_HANDOFF_OUT, tx_handoff_out, "replies sent through another worker's TX queue") \
	X(TX_HANDOFF_IN, tx_handoff_in, "replies sent for other workers") \
	X(BUDGET_HITS, budget_hits, "loop iterations in which an app reached its budget") \
	X(DEFERRED, deferred, "requests left in the backlog for a later iteration") \
	X(PRIO_FLUSH, prio_flush, "protocol replies sent ahead of a burst's app work") \
	X(HELD, held, "requests held in the backlog while their app was replaced (each once)") \
	X(MSG_HELD, msg_held, "times a message for an app being replaced was put back on the bus")

#define TERN_CTR_ENUM_(id, name, desc) TERN_CTR_##id,
#define TERN_WCTR_ENUM_(id, name, desc) TERN_WCTR_##id,

/** Frame counter ids (TERN_CTR_LIST). */
enum tern_ctr {
	TERN_CTR_LIST(TERN_CTR_ENUM_)
	TERN_CTR_MAX
};

/** Event counter ids (TERN_WCTR_LIST). */
enum tern_wctr {
	TERN_WCTR_LIST(TERN_WCTR_ENUM_)
	TERN_WCTR_MAX
};

#undef TERN_CTR_ENUM_
#undef TERN_WCTR_ENUM_

/** A drop counter (drop_*): the list keeps them together, after rx and tx. */
static inline int
tern_ctr_is_drop(unsigned c)
{
	return c >= TERN_CTR_DROP_MALFORMED && c <= TERN_CTR_DROP_TOO_BIG;
}

/** Names for output ("rx", "drop_malformed", ...) and what each counts. */
extern const char *const tern_ctr_names[TERN_CTR_MAX];
extern const char *const tern_ctr_descs[TERN_CTR_MAX];

/** Names for output ("loops", "idle_sleeps", ...) and what each counts. */
extern const char *const tern_wctr_names[TERN_WCTR_MAX];
extern const char *const tern_wctr_descs[TERN_WCTR_MAX];

/** One worker's counters, on its own cache lines. */
struct tern_worker_stats {
	uint64_t c[TERN_MAX_PORTS][TERN_CTR_MAX];
} __rte_cache_aligned;

/** One worker's event counters, on their own cache lines. */
struct tern_worker_wstats {
	uint64_t c[TERN_WCTR_MAX];
} __rte_cache_aligned;

/** Add n to event counter ctr of this worker. Fast path; single writer. */
static inline void
tern_wctr_add(struct tern_worker_wstats *s, enum tern_wctr ctr, uint64_t n)
{
	__atomic_store_n(&s->c[ctr], s->c[ctr] + n, __ATOMIC_RELAXED);
}

/** Read an event counter from another thread. */
static inline uint64_t
tern_wctr_read(const struct tern_worker_wstats *s, enum tern_wctr ctr)
{
	return __atomic_load_n(&s->c[ctr], __ATOMIC_RELAXED);
}

/** Add n to counter ctr of port on this worker. Fast path; single writer. */
static inline void
tern_ctr_add(struct tern_worker_stats *s, uint16_t port, enum tern_ctr ctr,
	     uint64_t n)
{
	__atomic_store_n(&s->c[port][ctr], s->c[port][ctr] + n, __ATOMIC_RELAXED);
}

/** Read a counter from another thread. */
static inline uint64_t
tern_ctr_read(const struct tern_worker_stats *s, uint16_t port, enum tern_ctr ctr)
{
	return __atomic_load_n(&s->c[port][ctr], __ATOMIC_RELAXED);
}

#ifdef __cplusplus
}
#endif

#endif /* TERN_STATS_H */
