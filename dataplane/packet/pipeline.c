/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <urcu-qsbr.h>

#include "app_loader.h"
#include "builtin.h"
#include "event_bus.h"
#include "cksum.h"
#include "engine_limits.h"
#include "mono_clock.h"
#include "reply.h"
#include "parse.h"
#include "source_check.h"
#include "trust.h"
#include "worker.h"

/* Everything one burst needs, on the worker's stack. */
struct burst_ctx {
	struct tern_worker *w;
	uint16_t port;
	uint8_t flags;           /* TERN_REQ_F_* of every frame in the burst */
	uint64_t t_rx;
	uint64_t rx_ns;          /* t_rx on the monotonic clock (set when n_req != 0) */
	const struct tern_handler_table *ht;
	const struct tern_addr_table *at;
	const struct tern_reply_port *rp;
	uint16_t n_req;
	uint16_t n_drop;
	uint16_t n_proto;        /* protocol replies queued during classification */
	struct tern_udp_req req[TERN_BURST_MAX];
	struct tern_parsed req_p[TERN_BURST_MAX];
	uint8_t req_slot[TERN_BURST_MAX];
	uint32_t more_ip_len[TERN_BURST_MAX]; /* IP bytes of a request's reply_more datagrams */
	uint8_t amp[TERN_BURST_MAX];  /* AMP_* of a request */
	struct rte_mbuf *drop[TERN_BURST_MAX];
	/* reply_more datagrams of limited requests, kept until the verdicts:
	 * a reply over its limit is then not sent at all. */
	uint16_t n_held;
	uint16_t held_req[TERN_MORE_HELD];
	struct rte_mbuf *held[TERN_MORE_HELD];
};

/* A request's amplification state. */
#define AMP_KNOWN 1u     /* its source's trust was looked up */
#define AMP_TRUSTED 2u   /* ... and it is trusted: no limit */
#define AMP_REFUSED 4u   /* a reply_more was refused for the limit: none of its
			  * datagrams leaves */

/* Internal verdicts: over the app's budget, keep it for a later iteration;
 * its app is being replaced, hold it in the backlog until the new one serves. */
#define VERDICT_DEFER TERN_VERDICT_MAX
#define VERDICT_HOLD (TERN_VERDICT_MAX + 1)

static uint16_t flush_tx(struct tern_worker *w, uint16_t port);

/* How many frames ahead of the one being classified to prefetch. */
#define PREFETCH_AHEAD 3

static inline void
tx_queue(struct burst_ctx *c, struct rte_mbuf *m)
{
	struct tern_txbuf *b = &c->w->tx[c->port];

	/* Full only after reply_more added datagrams to this burst's replies. */
	if (unlikely(b->n == TERN_BURST_MAX))
		flush_tx(c->w, c->port);
	b->pkts[b->n++] = m;
}

static void note_drop(struct burst_ctx *c, struct rte_mbuf *m, enum tern_ctr why, uint8_t slot,
		      uint32_t a, uint32_t b);

static inline void
drop_only(struct burst_ctx *c, struct rte_mbuf *m, enum tern_ctr why)
{
	tern_ctr_add(&c->w->stats, c->port, why, 1);
	c->drop[c->n_drop++] = m;
}

/* Free m at the end of the burst, count it, and (for the drops an operator
 * can act on) tell the log why, at most once a second per reason. */
static inline void
drop(struct burst_ctx *c, struct rte_mbuf *m, enum tern_ctr why)
{
	drop_only(c, m, why);
	if (unlikely(tern_dl_reason_of(why) != TERN_DL_MAX))
		note_drop(c, m, why, 0, 0, 0);
}

/* The frame went to a group MAC (broadcast or multicast). */
static inline bool
group_frame(const struct rte_mbuf *m)
{
	return rte_is_multicast_ether_addr(&rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->dst_addr);
}

/* The verdict of an RX checksum offload flag: 1 good, 0 bad, -1 unknown. */
static inline int
rx_flag_verdict(uint64_t flags, uint64_t mask, uint64_t good, uint64_t bad)
{
	uint64_t f = flags & mask;

	if (f == good)
		return 1;
	if (f == bad)
		return 0;
	return -1;
}

static bool
ipv4_hdr_ok(const struct rte_mbuf *m, const uint8_t *ip, uint16_t len)
{
	int v = rx_flag_verdict(m->ol_flags, RTE_MBUF_F_RX_IP_CKSUM_MASK,
				RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_BAD);

	if (v >= 0)
		return v == 1;
	/* No options: a constant length, so the sum unrolls to three loads. */
	if (likely(len == sizeof(struct rte_ipv4_hdr)))
		return tern_cksum_ipv4_hdr_ok(ip, sizeof(struct rte_ipv4_hdr));
	return tern_cksum_ipv4_hdr_ok(ip, len);
}

static bool
udp_cksum_ok(const struct rte_mbuf *m, const struct tern_parsed *p,
	     const uint8_t *src, const uint8_t *dst, const uint8_t *udp)
{
	int v = rx_flag_verdict(m->ol_flags, RTE_MBUF_F_RX_L4_CKSUM_MASK,
				RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_BAD);

	if (v >= 0)
		return v == 1;
	/* Over IPv4, src and dst are the header's adjacent address fields. */
	if (p->l3 == TERN_L3_IPV4)
		return tern_cksum_udp4_ok(src, udp, p->l4_len);
	return tern_cksum_l4_v6_ok(src, dst, IPPROTO_UDP, udp, p->l4_len);
}

/* Per-source rate limit, charged once per request: when it first reaches
 * the engine on this worker, not again from the backlog or a hand-off. */
static inline bool
rate_ok(const struct burst_ctx *c, const struct tern_handler *h, const uint8_t *src,
	const struct tern_parsed *p)
{
	if (c->flags & (TERN_REQ_F_HANDED_OFF | TERN_F_DEFERRED))
		return true;
	return tern_rl_allow(h->rl_tables[c->w->idx], &h->rl, src,
			     p->l3 == TERN_L3_IPV4 ? 4 : 6, c->t_rx, rte_get_tsc_hz());
}

/* A UDP datagram for tern: check it and queue it for its app. */
static struct tern_fate
classify_udp(struct burst_ctx *c, struct rte_mbuf *m, const struct tern_parsed *p,
	     const uint8_t *src, const uint8_t *dst)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(frame + p->l4_off);
	uint16_t dport = rte_be_to_cpu_16(udp->dst_port);
	uint8_t slot = c->ht->udp[dport];
	struct tern_udp_req *r;

	if (!udp_cksum_ok(m, p, src, dst, (const uint8_t *)udp))
		return tern_fate_drop(TERN_CTR_DROP_BAD_CKSUM);
	if (slot == 0)
		return tern_fate_drop(TERN_CTR_DROP_NO_HANDLER);
	if (unlikely(c->ht->n_canary != 0))
		slot = tern_handler_canary_slot(c->ht, dport, slot, src,
						p->l3 == TERN_L3_IPV4 ? 4 : 6,
						rte_be_to_cpu_16(udp->src_port));
	if (unlikely(c->ht->h[slot].rl.rate != 0) && !rate_ok(c, &c->ht->h[slot], src, p))
		return tern_fate_drop(TERN_CTR_DROP_RATE_LIMIT);

	r = &c->req[c->n_req];
	r->mbuf = m;
	r->payload = frame + p->payload_off;
	r->len = p->payload_len;
	r->cap = m->buf_len - m->data_off - p->payload_off;
	r->src_port = rte_be_to_cpu_16(udp->src_port);
	r->dst_port = dport;
	r->family = p->l3 == TERN_L3_IPV4 ? 4 : 6;
	r->verdict = TERN_VERDICT_DROP;
	r->flags = c->flags & TERN_REQ_F_APP_MASK;
	r->reply_flags = 0;
	r->to_worker = 0;
	r->src_addr = src;
	r->dst_addr = dst;
	c->req_p[c->n_req] = *p;
	c->req_slot[c->n_req] = slot;
	c->more_ip_len[c->n_req] = 0;
	c->amp[c->n_req] = 0;
	c->n_req++;
	return tern_fate_to_app();
}

static struct tern_fate
classify_ipv4(struct burst_ctx *c, struct rte_mbuf *m, const struct tern_parsed *p)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l3_off);
	const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)ip;
	const uint8_t *src = (const uint8_t *)&h->src_addr;
	const uint8_t *dst = (const uint8_t *)&h->dst_addr;

	if (!tern_addr_is_local4(c->at, c->port, dst))
		return tern_fate_drop(TERN_CTR_DROP_NOT_FOR_US);
	if (!ipv4_hdr_ok(m, ip, p->l4_off - p->l3_off))
		return tern_fate_drop(TERN_CTR_DROP_BAD_CKSUM);
	if (unlikely(!tern_source_ok4(c->at, c->port, src)))
		return tern_fate_drop(TERN_CTR_DROP_BAD_SOURCE);
	switch (p->l4) {
	case TERN_L4_UDP:
		return classify_udp(c, m, p, src, dst);
	case TERN_L4_ICMP:
		return tern_builtin_icmp4(m, p, c->rp);
	default:
		return tern_fate_drop(TERN_CTR_DROP_UNSUPPORTED);
	}
}

/* Duplicate address detection: a neighbour solicitation from ::, which
 * NDP answers to the all-nodes group (RFC 4861 7.2.4), not to the source. */
static bool
dad_probe(const struct rte_mbuf *m, const struct tern_parsed *p, const struct rte_ipv6_hdr *h)
{
	static const uint8_t unspecified[16];

	return p->l4 == TERN_L4_ICMPV6 && p->l4_len >= 1 &&
	       *rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l4_off) == 135 &&
	       memcmp(h->src_addr, unspecified, 16) == 0;
}

static struct tern_fate
classify_ipv6(struct burst_ctx *c, struct rte_mbuf *m, const struct tern_parsed *p)
{
	const struct rte_ipv6_hdr *h =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, p->l3_off);

	if (unlikely(!tern_source_ok6(c->at, c->port, h->src_addr)) && !dad_probe(m, p, h))
		return tern_fate_drop(TERN_CTR_DROP_BAD_SOURCE);
	if (p->l4 == TERN_L4_ICMPV6 && tern_addr_is_solicited6(c->at, c->port, h->dst_addr))
		return tern_builtin_icmp6(m, p, c->port, c->at, c->rp);
	/* Unicast from here on: not in a group frame (RFC 1122 3.3.6). */
	if (!tern_addr_is_local6(c->at, c->port, h->dst_addr) || unlikely(group_frame(m)))
		return tern_fate_drop(TERN_CTR_DROP_NOT_FOR_US);
	if (p->l4 == TERN_L4_ICMPV6)
		return tern_builtin_icmp6(m, p, c->port, c->at, c->rp);
	if (p->l4 == TERN_L4_UDP)
		return classify_udp(c, m, p, h->src_addr, h->dst_addr);
	return tern_fate_drop(TERN_CTR_DROP_UNSUPPORTED);
}

/* Ethernet: unicast to this port, or a group (broadcast, IPv6 multicast);
 * TO_APP means "go on". */
static struct tern_fate
check_l2(const struct burst_ctx *c, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (rte_is_multicast_ether_addr(&eth->src_addr))
		return tern_fate_drop(TERN_CTR_DROP_MALFORMED); /* no frame comes from a group */
	if (!rte_is_same_ether_addr(&eth->dst_addr, &c->rp->mac) &&
	    !rte_is_multicast_ether_addr(&eth->dst_addr))
		return tern_fate_drop(TERN_CTR_DROP_NOT_FOR_US);
	return tern_fate_to_app();
}

/* Decide one frame's fate: a built-in reply, a request for an app, or a drop. */
static struct tern_fate
classify(struct burst_ctx *c, struct rte_mbuf *m)
{
	struct tern_parsed p;
	struct tern_fate l2;

	if (unlikely(m->nb_segs != 1))
		return tern_fate_drop(TERN_CTR_DROP_UNSUPPORTED);
	switch (tern_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &p)) {
	case TERN_PARSE_OK:
		break;
	case TERN_PARSE_UNSUPPORTED:
		return tern_fate_drop(TERN_CTR_DROP_UNSUPPORTED);
	default:
		return tern_fate_drop(TERN_CTR_DROP_MALFORMED);
	}
	l2 = check_l2(c, m);
	if (l2.kind != TERN_FATE_TO_APP)
		return l2;
	if (p.l3 != TERN_L3_ARP && unlikely(p.l4_off - p.l3_off + p.l4_len > c->rp->mtu))
		return tern_fate_drop(TERN_CTR_DROP_TOO_BIG);
	switch (p.l3) {
	case TERN_L3_ARP:
		return tern_builtin_arp(m, &p, c->port, c->at, c->rp);
	case TERN_L3_IPV4:
		/* A unicast request in a group frame is not for us (RFC 1122 3.3.6). */
		if (unlikely(group_frame(m)))
			return tern_fate_drop(TERN_CTR_DROP_NOT_FOR_US);
		return classify_ipv4(c, m, &p);
	case TERN_L3_IPV6:
		return classify_ipv6(c, m, &p);
	default:
		return tern_fate_drop(TERN_CTR_DROP_UNSUPPORTED);
	}
}

/* Take up to want requests from app slot's budget for this iteration;
 * returns how many it may handle. Counts the first time it runs out. */
static uint32_t
budget_take(struct tern_worker *w, uint8_t slot, const struct tern_handler *h, uint32_t want)
{
	struct tern_budget_use *u = &w->budget[slot];
	uint32_t take;

	if (h->budget == 0)
		return want;
	if (u->iter != w->iter) {
		u->iter = w->iter;
		u->used = 0;
		u->hit = 0;
	}
	/* used can pass budget when `app budget` lowers it mid-iteration. */
	take = u->used >= h->budget ? 0 : RTE_MIN(want, h->budget - u->used);
	u->used += take;
	if (take < want && !u->hit) {
		u->hit = 1;
		tern_wctr_add(&w->wstats, TERN_WCTR_BUDGET_HITS, 1);
	}
	return take;
}

/* A request held through a swap reaches its (new) app: count it, and keep
 * the longest wait. Rare: only right after `app replace`. */
static void
count_held(struct burst_ctx *c, struct tern_app_wstats *ws, uint32_t n, uint64_t now)
{
	uint64_t wait = now - c->t_rx;

	tern_app_wstats_add(&ws->held, n);
	if (wait > ws->held_wait_max)
		__atomic_store_n(&ws->held_wait_max, wait, __ATOMIC_RELAXED);
}

/* Call each app once per run of consecutive requests bound to it, so a
 * burst keeps its order and an app sees as many requests at once as it
 * can; requests over the app's budget are marked for the backlog, those of
 * an app being replaced are held there. Each run's latency, per instance,
 * leaves out the time earlier runs of the burst spent in other apps. */
static void
dispatch(struct burst_ctx *c)
{
	uint64_t t0 = rte_rdtsc(), t = t0;
	uint16_t i = 0, j;

	if (c->n_req == 0)
		return;
	/* "Now" for the apps: the burst's arrival on the monotonic clock. */
	c->rx_ns = tern_mono_ns() - tern_hist_cycles_to_ns(t0 - c->t_rx, rte_get_tsc_hz());
	for (j = 0; j < c->n_req; j++)
		c->req[j].rx_ns = c->rx_ns;
	c->w->cur_burst = c;

	while (i < c->n_req) {
		uint8_t slot = c->req_slot[i];
		const struct tern_handler *h = &c->ht->h[slot];
		struct tern_app_wstats *ws = &h->ws[c->w->idx];
		uint32_t take;
		uint64_t end;

		for (j = i + 1; j < c->n_req && c->req_slot[j] == slot; j++)
			;
		if (unlikely(h->hold)) {
			for (uint16_t k = i; k < j; k++)
				c->req[k].verdict = VERDICT_HOLD;
			i = j;
			continue;
		}
		take = budget_take(c->w, slot, h, (uint32_t)(j - i));
		if (take != 0) {
			if (unlikely(c->flags & TERN_F_HELD))
				count_held(c, ws, take, t);
			h->burst(h->state, c->w->idx, &c->req[i], (uint16_t)take);
			end = rte_rdtsc();
			tern_app_wstats_add(&ws->requests, take);
			tern_hist_add(&ws->lat, end - c->t_rx - (t - t0), take);
			t = end;
		}
		for (uint16_t k = i + (uint16_t)take; k < j; k++)
			c->req[k].verdict = VERDICT_DEFER;
		i = j;
	}
	c->w->cur_burst = NULL;
}

/* Keep a request for a later iteration; full backlog: drop it. flags:
 * TERN_F_HELD for a request held through a swap, else 0. */
static void
defer(struct burst_ctx *c, struct rte_mbuf *m, uint8_t flags)
{
	struct tern_backlog *b = &c->w->backlog;
	struct tern_backlog_ent *e;

	if (b->tail - b->head >= TERN_BACKLOG) {
		drop(c, m, TERN_CTR_DROP_BACKLOG);
		return;
	}
	e = &b->e[b->tail++ & (TERN_BACKLOG - 1)];
	e->m = m;
	e->t_rx = c->t_rx;
	e->port = c->port;
	e->flags = c->flags | TERN_F_DEFERRED | flags;
	/* A held request goes round the backlog until the swap ends: count it once. */
	if (flags == 0)
		tern_wctr_add(&c->w->wstats, TERN_WCTR_DEFERRED, 1);
	else if (!(c->flags & TERN_F_HELD))
		tern_wctr_add(&c->w->wstats, TERN_WCTR_HELD, 1);
}

/* Post a request to the worker the app named; refused: drop it. */
static void
handoff(struct burst_ctx *c, struct tern_udp_req *r, uint8_t slot)
{
	struct tern_engine *e = c->w->engine;
	struct tern_event ev = { .kind = TERN_EV_PKT, .slot = slot, .port = c->port };

	if ((c->flags & TERN_REQ_F_HANDED_OFF) || r->to_worker >= e->n_workers) {
		drop(c, r->mbuf, TERN_CTR_DROP_HANDOFF);
		return;
	}
	ev.m = r->mbuf;
	if (tern_bus_post(&e->bus, r->to_worker, &ev) < 0) {
		drop(c, r->mbuf, TERN_CTR_DROP_BUS_FULL);
		return;
	}
	tern_wctr_add(&c->w->wstats, TERN_WCTR_HANDOFF_OUT, 1);
}

/* The request's IP length: headers up to UDP, UDP, payload. */
static inline uint32_t
req_ip_len(const struct burst_ctx *c, uint16_t i)
{
	const struct tern_parsed *p = &c->req_p[i];

	return p->l4_off - p->l3_off + (uint32_t)sizeof(struct rte_udp_hdr) + p->payload_len;
}

/* Is request i's source trusted for full replies (trust.h)? Looked up once
 * per request, and only for a reply over its limit. */
static __rte_noinline bool
source_trusted(struct burst_ctx *c, uint16_t i)
{
	const struct tern_udp_req *r = &c->req[i];

	if (!(c->amp[i] & AMP_KNOWN)) {
		c->amp[i] |= AMP_KNOWN;
		if (tern_trusted(rcu_dereference(c->w->engine->trust), c->at, c->port, r->family,
				 r->src_addr))
			c->amp[i] |= AMP_TRUSTED;
	}
	return c->amp[i] & AMP_TRUSTED;
}

/* Is request i limited (an app's max_amplification, a source not trusted)? */
static inline bool
amp_limited(struct burst_ctx *c, uint16_t i)
{
	return c->ht->h[c->req_slot[i]].max_amp != 0 && !source_trusted(c, i);
}

/* Over the limit: a request's replies (IP lengths: plain header, UDP,
 * payload; its reply_more datagrams included) more than max_amp times the
 * request's. */
static inline bool
over_amp(const struct burst_ctx *c, uint16_t i, uint32_t len)
{
	uint32_t amp = c->ht->h[c->req_slot[i]].max_amp;

	return amp != 0 && (uint64_t)len + c->more_ip_len[i] > (uint64_t)amp * req_ip_len(c, i);
}

/* No amplification: the reply (len more IP bytes) of request i is too big
 * for its source. Trusted sources (own subnets, `trust add`) have no limit. */
static inline bool
reply_too_big(struct burst_ctx *c, uint16_t i, uint32_t len)
{
	return unlikely(over_amp(c, i, len)) && !source_trusted(c, i);
}

/* The note for a drop the log explains (drop_log.h), if one is due: the
 * frame's source, its app (slot, or the one bound to its UDP port when 0)
 * and what was over which limit (a, b: amplification's reply and request
 * IP bytes). Cold: at most one note per reason and second leaves here. */
static __rte_noinline void
note_drop(struct burst_ctx *c, struct rte_mbuf *m, enum tern_ctr why, uint8_t slot,
	  uint32_t a, uint32_t b)
{
	enum tern_dl_reason r = tern_dl_reason_of(why);
	struct tern_drop_note n = { .why = (uint8_t)r, .port = c->port, .a = a, .b = b };
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct tern_handler *h;
	struct tern_parsed p;

	if (!tern_droplog_due(&c->w->droplog, r, rte_rdtsc(), rte_get_tsc_hz()))
		return;
	if (tern_parse(frame, m->data_len, &p) != TERN_PARSE_OK) {
		tern_droplog_push(&c->w->droplog, &n);
		return;
	}
	if (p.l3 == TERN_L3_IPV4 || p.l3 == TERN_L3_IPV6) {
		n.family = p.l3 == TERN_L3_IPV4 ? 4 : 6;
		memcpy(n.src, frame + p.l3_off + (n.family == 4 ? 12 : 8), n.family == 4 ? 4 : 16);
	}
	if (p.l4 == TERN_L4_UDP) {
		const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(frame + p.l4_off);

		n.sport = rte_be_to_cpu_16(u->src_port);
		n.dport = rte_be_to_cpu_16(u->dst_port);
		if (slot == 0)
			slot = c->ht->udp[n.dport];
	}
	h = &c->ht->h[slot];
	if (slot != 0 && h->app != NULL)
		snprintf(n.app, sizeof(n.app), "%s", h->app->name);
	if (r == TERN_DL_AMPLIFICATION) {
		n.lim = h->max_amp;
	} else if (r == TERN_DL_RATE_LIMIT) {
		n.a = h->rl.rate;
		n.b = h->rl.burst != 0 ? h->rl.burst : h->rl.rate;
	} else if (r == TERN_DL_TOO_BIG) {
		n.a = p.l4_off - p.l3_off + p.l4_len;
		n.lim = c->rp->mtu;
	}
	tern_droplog_push(&c->w->droplog, &n);
}

/* Request i's reply (len IP bytes, its reply_more datagrams besides) is
 * over its amplification limit: drop it and say so. */
static void
drop_amp(struct burst_ctx *c, uint16_t i, uint32_t len)
{
	struct rte_mbuf *m = c->req[i].mbuf;

	drop_only(c, m, TERN_CTR_DROP_AMPLIFICATION);
	note_drop(c, m, TERN_CTR_DROP_AMPLIFICATION, c->req_slot[i], len + c->more_ip_len[i],
		  req_ip_len(c, i));
}

/* Send or withdraw request i's held reply_more datagrams, in order. */
static __rte_noinline void
release_held(struct burst_ctx *c, uint16_t i, bool send)
{
	uint16_t keep = 0;

	for (uint16_t k = 0; k < c->n_held; k++) {
		if (c->held_req[k] != i) {
			c->held_req[keep] = c->held_req[k];
			c->held[keep++] = c->held[k];
		} else if (send) {
			tx_queue(c, c->held[k]);
			tern_ctr_add(&c->w->stats, c->port, TERN_CTR_TX_MORE, 1);
		} else {
			rte_pktmbuf_free(c->held[k]);
			tern_ctr_add(&c->w->stats, c->port, TERN_CTR_MORE_REFUSED, 1);
		}
	}
	c->n_held = keep;
}

static inline uint32_t
reply_ip_len(const struct tern_udp_req *r)
{
	return (r->family == 4 ? 20u : 40u) + 8u + r->len;
}

static void
apply_verdicts(struct burst_ctx *c)
{
	for (uint16_t i = 0; i < c->n_req; i++) {
		struct tern_udp_req *r = &c->req[i];
		struct tern_app_wstats *ws = &c->ht->h[c->req_slot[i]].ws[c->w->idx];

		/* Other verdicts send what reply_more queued as it is. */
		if (unlikely(c->n_held != 0) && r->verdict != TERN_VERDICT_REPLY)
			release_held(c, i, !(c->amp[i] & AMP_REFUSED));
		switch (r->verdict) {
		case TERN_VERDICT_REPLY:
			if (unlikely(r->len > r->cap)) {
				if (unlikely(c->n_held != 0))
					release_held(c, i, false);
				tern_app_wstats_add(&ws->bad, 1);
				drop(c, r->mbuf, TERN_CTR_DROP_BAD_VERDICT);
				break;
			}
			tern_app_wstats_add(&ws->replies, 1);
			if (unlikely(c->amp[i] & AMP_REFUSED) ||
			    reply_too_big(c, i, reply_ip_len(r))) {
				if (unlikely(c->n_held != 0))
					release_held(c, i, false);
				drop_amp(c, i, reply_ip_len(r));
				break;
			}
			if (unlikely(c->n_held != 0))
				release_held(c, i, true);
			tern_reply_udp(r->mbuf, &c->req_p[i], r->len, c->rp,
				       (r->reply_flags & TERN_REPLY_F_ECHO) &&
				       r->len == c->req_p[i].payload_len);
			tx_queue(c, r->mbuf);
			break;
		case TERN_VERDICT_FORWARD:
			/* No trust here: the frame goes wherever the app sent it. */
			if (unlikely(over_amp(c, i, r->mbuf->pkt_len - c->req_p[i].l3_off))) {
				drop_amp(c, i, r->mbuf->pkt_len - c->req_p[i].l3_off);
				break;
			}
			tx_queue(c, r->mbuf);
			break;
		case TERN_VERDICT_CONSUMED:
			tern_ctr_add(&c->w->stats, c->port, TERN_CTR_CONSUMED, 1);
			break;
		case TERN_VERDICT_DROP:
			tern_app_wstats_add(&ws->drops, 1);
			drop(c, r->mbuf, TERN_CTR_DROP_APP);
			break;
		case TERN_VERDICT_HANDOFF:
			handoff(c, r, c->req_slot[i]);
			break;
		case VERDICT_DEFER:
			defer(c, r->mbuf, 0);
			break;
		case VERDICT_HOLD:
			defer(c, r->mbuf, TERN_F_HELD);
			break;
		default:
			tern_app_wstats_add(&ws->bad, 1);
			drop(c, r->mbuf, TERN_CTR_DROP_BAD_VERDICT);
			break;
		}
	}
}

/* Hand replies to the worker that owns the port's TX queue; free and
 * count what its ring refuses. Returns how many it took. */
static uint16_t
tx_handoff(struct tern_worker *w, uint16_t port, struct tern_txbuf *b)
{
	struct tern_event ev[TERN_BURST_MAX];
	unsigned sent;

	for (uint16_t i = 0; i < b->n; i++) {
		ev[i].kind = TERN_EV_TX;
		ev[i].port = port;
		ev[i].m = b->pkts[i];
	}
	sent = tern_bus_post_burst(&w->engine->bus, w->tx_owner[port], ev, b->n);
	tern_wctr_add(&w->wstats, TERN_WCTR_TX_HANDOFF_OUT, sent);
	return (uint16_t)sent;
}

/* Hand the queued replies to the TX queue (ours, or the owner's through the
 * bus); free and count what is refused. Returns how many were taken. */
static uint16_t
flush_tx(struct tern_worker *w, uint16_t port)
{
	struct tern_txbuf *b = &w->tx[port];
	uint16_t sent;

	if (b->n == 0)
		return 0;
	if (likely(w->txq[port] != TERN_TXQ_NONE)) {
		sent = rte_eth_tx_burst(port, w->txq[port], b->pkts, b->n);
		tern_ctr_add(&w->stats, port, TERN_CTR_TX, sent);
	} else {
		sent = tx_handoff(w, port, b);
	}
	if (unlikely(sent < b->n)) {
		tern_ctr_add(&w->stats, port, TERN_CTR_DROP_TX_FULL, b->n - sent);
		rte_pktmbuf_free_bulk(&b->pkts[sent], b->n - sent);
	}
	b->n = 0;
	return sent;
}

void
tern_worker_flush_tx(struct tern_worker *w, uint16_t port)
{
	flush_tx(w, port);
}

/* Send what is queued, and count the in-engine time of what left. The TX
 * call itself (a system call for AF_XDP, a doorbell for a NIC) is not
 * counted: in-engine time ends where the driver's begins. */
static void
send_queued(struct tern_worker *w, uint16_t port, uint64_t t_rx)
{
	uint64_t t_tx = rte_rdtsc();
	uint16_t sent = flush_tx(w, port);

	/* Every packet sent from this burst spent the same time in the engine. */
	if (sent != 0)
		tern_hist_add(&w->latency, t_tx - t_rx, sent);
}

/* A copy of request i's frame up to its payload, then payload: the frame of
 * one more reply, built like the request's own. NULL if the pool is empty. */
static struct rte_mbuf *
more_frame(struct burst_ctx *c, uint16_t i, const void *payload, uint16_t len)
{
	const struct tern_parsed *p = &c->req_p[i];
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->w->engine->pool);
	uint8_t *d;

	if (m == NULL)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(p->payload_off + len));
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, rte_pktmbuf_mtod(c->req[i].mbuf, const uint8_t *), p->payload_off);
	memcpy(d + p->payload_off, payload, len);
	m->port = c->port;
	tern_reply_udp(m, p, len, c->rp, false);
	return m;
}

/* Keep a limited request's datagram until its verdict; no room: the whole
 * reply is refused. */
static int
hold_more(struct burst_ctx *c, uint16_t i, struct rte_mbuf *m)
{
	if (c->n_held == TERN_MORE_HELD) {
		rte_pktmbuf_free(m);
		c->amp[i] |= AMP_REFUSED;
		tern_ctr_add(&c->w->stats, c->port, TERN_CTR_MORE_REFUSED, 1);
		return -ENOBUFS;
	}
	c->held_req[c->n_held] = i;
	c->held[c->n_held++] = m;
	return 0;
}

int
tern_worker_reply_more(struct tern_worker *w, struct tern_udp_req *r, const void *payload,
		       uint16_t len)
{
	struct burst_ctx *c = w->cur_burst;
	struct tern_txbuf *b;
	struct rte_mbuf *m;
	uint32_t ip_len;
	bool limited;
	uint16_t i;

	if (c == NULL || r < c->req || r >= c->req + c->n_req)
		return -EINVAL;
	i = (uint16_t)(r - c->req);
	ip_len = reply_ip_len(r) - r->len + len;
	limited = amp_limited(c, i);
	if (ip_len > c->rp->mtu || (limited && ((c->amp[i] & AMP_REFUSED) ||
						 over_amp(c, i, ip_len)))) {
		if (ip_len <= c->rp->mtu)
			c->amp[i] |= AMP_REFUSED;
		tern_ctr_add(&w->stats, c->port, TERN_CTR_MORE_REFUSED, 1);
		return -E2BIG;
	}
	m = more_frame(c, i, payload, len);
	if (m == NULL) {
		tern_ctr_add(&w->stats, c->port, TERN_CTR_MORE_REFUSED, 1);
		return -ENOBUFS;
	}
	c->more_ip_len[i] += ip_len;
	if (limited)
		return hold_more(c, i, m);
	b = &w->tx[c->port];
	if (b->n == TERN_BURST_MAX)
		flush_tx(w, c->port);
	b->pkts[b->n++] = m;
	tern_ctr_add(&w->stats, c->port, TERN_CTR_TX_MORE, 1);
	return 0;
}

int
tern_worker_frame_send(struct tern_worker *w, struct rte_mbuf *m)
{
	uint16_t port = m->port;
	struct tern_txbuf *b;

	if (port >= TERN_MAX_PORTS || w->engine->ports[port].nb_queues == 0)
		return -EINVAL;
	b = &w->tx[port];
	if (b->n == TERN_BURST_MAX)
		flush_tx(w, port);
	b->pkts[b->n++] = m;
	tern_ctr_add(&w->stats, port, TERN_CTR_APP_SENT, 1);
	/* Inside a burst it leaves with the burst's replies; else now. */
	if (w->cur_burst == NULL)
		flush_tx(w, port);
	return 0;
}

void
tern_worker_handle_frames(struct tern_worker *w, uint16_t port,
			  struct rte_mbuf **pkts, uint16_t n, uint8_t flags,
			  bool count_rx, uint64_t t_rx)
{
	struct tern_engine *e = w->engine;
	struct burst_ctx c; /* not zero-initialised: its arrays are large */

	c.w = w;
	c.port = port;
	c.flags = flags;
	c.t_rx = t_rx;
	/* This iteration's table (tern_worker_poll_once or handle_burst). */
	c.ht = w->ht;
	c.at = rcu_dereference(e->addrs);
	c.rp = &w->reply_port[port];
	c.n_req = 0;
	c.n_drop = 0;
	c.n_proto = 0;
	c.n_held = 0;

	if (count_rx)
		tern_ctr_add(&w->stats, port, TERN_CTR_RX, n);
	/* Headers a few frames ahead are on their way while one is classified
	 * (a NIC's DMA leaves them out of cache). */
	for (uint16_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		struct tern_fate f;

		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		f = classify(&c, pkts[i]);

		if (f.kind == TERN_FATE_REPLY) {
			tx_queue(&c, pkts[i]);
			c.n_proto++;
		} else if (f.kind == TERN_FATE_DROP) {
			drop(&c, pkts[i], (enum tern_ctr)f.why);
		}
	}
	/* Priority: protocol replies leave before any app spends time. */
	if (c.n_proto != 0 && c.n_req != 0) {
		send_queued(w, port, t_rx);
		tern_wctr_add(&w->wstats, TERN_WCTR_PRIO_FLUSH, 1);
	}
	dispatch(&c);
	apply_verdicts(&c);
	if (c.n_drop != 0)
		rte_pktmbuf_free_bulk(c.drop, c.n_drop);
	send_queued(w, port, t_rx);
}

void
tern_worker_handle_burst(struct tern_worker *w, uint16_t port,
			 struct rte_mbuf **pkts, uint16_t n)
{
	/* Valid until this worker's next quiescent state. */
	w->ht = rcu_dereference(w->engine->handlers);
	tern_worker_handle_frames(w, port, pkts, n, 0, true, rte_rdtsc());
}
