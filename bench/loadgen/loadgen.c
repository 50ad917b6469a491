/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-bench's run loop. One lcore: build what is due, hand it to the
 * driver, poll replies, repeat. Per request: one mbuf from the pool, a copy
 * of the template and a 32-byte stamp; per reply: the checks of
 * lg_classify(), one bit in the sequence bitmap and one histogram record.
 * Nothing on this path allocates, locks or makes a system call: the bitmap
 * and the closed-loop send-time ring are allocated and touched before the
 * first request.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "loadgen.h"

#define LG_BURST	32
#define LG_NB_MBUFS	16383
#define LG_MBUF_CACHE	256
#define LG_RING_DESC	1024
#define LG_LINK_WAIT_MS	10000
#define LG_ARP_TRIES	10
#define LG_RX_BURSTS	8	/* RX bursts per loop turn at most */
/* Closed loop: send TSC of each request in flight, by seq modulo this. */
#define LG_TX_RING	(1u << 16)
/* Closed loop: the bitmap is sized for this rate over the run. */
#define LG_CLOSED_MAX_PPS 50e6

#define LG_NONE UINT64_MAX

struct lg_gen {
	struct lg_port *p;
	const struct lg_tmpl *t;
	const struct lg_run_cfg *c;
	struct lg_result *r;
	uint32_t run_id;
	uint64_t timeout;	/* cycles */
	uint64_t t0, t_meas, t_end;
	uint64_t t_stop;	/* no TX after this: the catch-up limit */
	uint64_t last_tx;	/* TSC of the last burst handed to the driver */
	/* Sequence space: [0, next_tx) sent, [next_tx, next_seq) built, pending. */
	uint64_t *seen;		/* bitmap: first reply received */
	uint64_t cap;		/* bits in seen */
	uint64_t next_seq;
	uint64_t next_tx;
	uint64_t first_meas;	/* first seq of the window, LG_NONE before */
	uint64_t end_meas;	/* first seq after the window, LG_NONE while sending */
	uint64_t replies;	/* first replies, warm-up included */
	bool sending;
	bool cap_hit;
	/* Open loop: intended send time of next_seq, cycles after t0. */
	double next_off;
	double gap;		/* mean gap, cycles */
	uint64_t rng;
	/* Closed loop. */
	uint64_t inflight;
	uint64_t oldest;	/* every seq below is answered or expired */
	uint64_t *tx_tsc;	/* LG_TX_RING entries */
	/* Built, not yet accepted by the driver (in seq order). */
	struct rte_mbuf *pend[LG_BURST];
	uint64_t pend_int[LG_BURST];
	uint16_t npend;
	const char *why;	/* first invalid reply's reason */
	/* LG_PROTO_MC_GET: send times by seq modulo mc_win (replies carry no stamp). */
	uint64_t mc_win;
	uint64_t *mc_int;
	uint64_t *mc_sent;
};

/* ---- open-loop schedule ---- */

static uint64_t
xorshift64s(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Gap to the next intended send time, in cycles. */
static double
next_gap(struct lg_gen *g)
{
	double u;

	if (g->c->arrival == LG_CONST)
		return g->gap;
	/* u in (0, 1]: -ln(u) is exponential with mean 1. */
	u = (double)((xorshift64s(&g->rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
	return -log(u) * g->gap;
}

/* ---- sending ---- */

static void
stop_sending(struct lg_gen *g)
{
	g->sending = false;
	if (g->first_meas == LG_NONE)
		g->first_meas = g->next_seq;
	g->end_meas = g->next_seq;
}

static int
build_one(struct lg_gen *g, uint64_t intended, uint64_t now)
{
	struct rte_mbuf *m;
	uint8_t *d;

	if (g->next_seq >= g->cap) {
		g->cap_hit = true;
		stop_sending(g);
		return -ERANGE;
	}
	m = rte_pktmbuf_alloc(g->p->pool);
	if (unlikely(m == NULL))
		return -ENOBUFS;	/* all in flight: try again next turn */
	/* frame_len <= LG_MAX_FRAME fits any default-sized mbuf: no append checks. */
	d = rte_pktmbuf_mtod(m, uint8_t *);
	m->data_len = g->t->frame_len;
	m->pkt_len = g->t->frame_len;
	lg_build(g->t, d, g->run_id, g->next_seq, intended, now);
	if (g->mc_int != NULL) {
		g->mc_int[g->next_seq % g->mc_win] = intended;
		g->mc_sent[g->next_seq % g->mc_win] = now;
	}
	if (g->first_meas == LG_NONE && intended >= g->t_meas)
		g->first_meas = g->next_seq;
	g->pend[g->npend] = m;
	g->pend_int[g->npend] = intended;
	g->npend++;
	g->next_seq++;
	return 0;
}

static void
fill_open(struct lg_gen *g, uint64_t now)
{
	while (g->npend < LG_BURST && g->sending) {
		uint64_t intended = g->t0 + (uint64_t)g->next_off;

		if (intended > now)
			break;
		if (intended >= g->t_end) {
			stop_sending(g);
			break;
		}
		/* Late or not, it goes now and keeps its intended time. */
		if (build_one(g, intended, now) != 0)
			break;
		g->next_off += next_gap(g);
	}
}

static void
fill_closed(struct lg_gen *g, uint64_t now)
{
	if (now >= g->t_end) {
		stop_sending(g);
		return;
	}
	while (g->npend < LG_BURST && g->inflight + g->npend < g->c->outstanding &&
	       g->next_seq - g->oldest < LG_TX_RING) {
		if (build_one(g, now, now) != 0)
			break;
	}
}

static void
flush_tx(struct lg_gen *g, uint64_t now)
{
	uint16_t k = rte_eth_tx_burst(g->p->port_id, 0, g->pend, g->npend);

	if (k < g->npend)
		g->r->tx_fail++;
	if (k == 0)
		return;
	for (uint16_t i = 0; i < k; i++) {
		uint64_t seq = g->next_tx + i;

		if (g->c->mode == LG_CLOSED)
			g->tx_tsc[seq & (LG_TX_RING - 1)] = now;
		if (seq >= g->first_meas && now - g->pend_int[i] > g->r->gen_lag_cycles)
			g->r->gen_lag_cycles = now - g->pend_int[i];
	}
	g->next_tx += k;
	g->inflight += k;
	g->last_tx = now;
	g->npend -= k;
	memmove(g->pend, g->pend + k, g->npend * sizeof(g->pend[0]));
	memmove(g->pend_int, g->pend_int + k, g->npend * sizeof(g->pend_int[0]));
}

/* Closed loop: give up on requests older than the timeout (their slot is
 * reused; a reply that comes later still counts as late). */
static void
expire_closed(struct lg_gen *g, uint64_t now)
{
	while (g->oldest < g->next_tx) {
		uint64_t s = g->oldest;

		if (!(g->seen[s >> 6] & (1ull << (s & 63)))) {
			if (now - g->tx_tsc[s & (LG_TX_RING - 1)] <= g->timeout)
				break;
			g->inflight--;
		}
		g->oldest++;
	}
}

/* ---- receiving ---- */

static void
count_invalid(struct lg_gen *g, const char *why)
{
	g->r->invalid++;
	if (g->why == NULL)
		g->why = why;
}

static void
on_reply(struct lg_gen *g, const struct lg_stamp *st, uint64_t now)
{
	uint64_t seq = st->seq, bit = 1ull << (seq & 63), lat;
	struct lg_result *r = g->r;

	if (seq >= g->next_tx) {
		count_invalid(g, "sequence number never sent");
		return;
	}
	if (st->t_intended < g->t0 || st->t_intended > now) {
		count_invalid(g, "intended send time outside the run");
		return;
	}
	if (g->seen[seq >> 6] & bit) {
		r->dup++;
		return;
	}
	g->seen[seq >> 6] |= bit;
	g->replies++;
	if (g->c->mode == LG_CLOSED && seq >= g->oldest)
		g->inflight--;
	if (seq < g->first_meas || seq >= g->end_meas) {
		r->warmup_replies++;
		return;
	}
	lat = now - st->t_intended;
	if (lat > g->timeout)
		r->late++;
	else
		r->on_time++;
	tern_hist_add(&r->hist, lat, 1);
	r->lat_sum_cycles += lat;
}

/* LG_PROTO_MC_GET: turn a reply's seq modulo mc_win into the latest request
 * sent with it, with that request's send times; false if none was sent. */
static bool
mc_resolve(const struct lg_gen *g, struct lg_stamp *st)
{
	uint64_t r = st->seq, last, back;

	if (g->next_tx == 0)
		return false;
	last = g->next_tx - 1;
	back = (last % g->mc_win + g->mc_win - r) % g->mc_win;
	if (back > last)
		return false;
	st->seq = last - back;
	st->t_intended = g->mc_int[r];
	st->t_sent = g->mc_sent[r];
	return true;
}

/* Answers an ARP request for our address; false if m is not one. */
static bool
answer_arp(struct lg_port *p, uint32_t our_ip, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);
	struct rte_ether_hdr *e2;
	struct rte_arp_hdr *a2;
	struct rte_mbuf *reply;

	if (m->data_len < sizeof(*eth) + sizeof(*arp) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
	    arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    arp->arp_data.arp_tip != rte_cpu_to_be_32(our_ip))
		return false;
	reply = rte_pktmbuf_alloc(p->pool);
	if (reply == NULL)
		return true;
	e2 = (struct rte_ether_hdr *)rte_pktmbuf_append(reply, sizeof(*eth) + sizeof(*arp));
	if (e2 == NULL) {
		rte_pktmbuf_free(reply);
		return true;
	}
	a2 = (struct rte_arp_hdr *)(e2 + 1);
	rte_ether_addr_copy(&eth->src_addr, &e2->dst_addr);
	rte_ether_addr_copy(&p->mac, &e2->src_addr);
	e2->ether_type = eth->ether_type;
	*a2 = *arp;
	a2->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&p->mac, &a2->arp_data.arp_sha);
	a2->arp_data.arp_sip = arp->arp_data.arp_tip;
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &a2->arp_data.arp_tha);
	a2->arp_data.arp_tip = arp->arp_data.arp_sip;
	if (rte_eth_tx_burst(p->port_id, 0, &reply, 1) != 1)
		rte_pktmbuf_free(reply);
	return true;
}

/* One RX burst; returns the number of frames received. */
static uint16_t
poll_rx_burst(struct lg_gen *g)
{
	struct rte_mbuf *pkts[LG_BURST];
	uint16_t n = rte_eth_rx_burst(g->p->port_id, 0, pkts, LG_BURST);
	uint64_t now;

	if (n == 0)
		return 0;
	now = rte_rdtsc();	/* one receive time per burst */
	for (uint16_t i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		const char *why = NULL;
		struct lg_stamp st;
		enum lg_rx_kind kind = LG_RX_OTHER;

		if (likely(m->nb_segs == 1))
			kind = lg_classify(g->t, rte_pktmbuf_mtod(m, const uint8_t *),
					   m->data_len, g->run_id, &st, &why);
		if (kind == LG_RX_REPLY && g->mc_int != NULL && !mc_resolve(g, &st)) {
			kind = LG_RX_INVALID;
			why = "request id never sent";
		}
		switch (kind) {
		case LG_RX_REPLY:
			on_reply(g, &st, now);
			break;
		case LG_RX_INVALID:
			count_invalid(g, why);
			break;
		case LG_RX_STALE:
			g->r->stale++;
			break;
		default:
			if (!answer_arp(g->p, g->t->cfg.src_ip, m))
				g->r->other++;
			break;
		}
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

/* Receive until the RX ring is empty (at most LG_RX_BURSTS bursts): the
 * generator must not be the one who lets the responder's replies overflow. */
static void
poll_rx(struct lg_gen *g)
{
	for (int i = 0; i < LG_RX_BURSTS; i++)
		if (poll_rx_burst(g) < LG_BURST)
			return;
}

/* ---- one run ---- */

/* LG_PROTO_MC_GET: replies name their request modulo the window; requests
 * answered up to two timeouts late must not wrap it. */
static int
mc_init(struct lg_gen *g, const struct lg_run_cfg *c)
{
	double in_flight = c->mode == LG_OPEN ? c->rate * 2e-3 * c->timeout_ms : c->outstanding;

	g->mc_win = lg_mc_window(g->t);
	if (in_flight * 2 > (double)g->mc_win) {
		fprintf(stderr, "tern-bench: error: memcached requests carry a 16-bit id: at %.0f "
			"requests per two timeouts they would wrap %" PRIu64 " ids; lower "
			"--timeout-ms or raise --flows\n", in_flight, g->mc_win);
		return -EINVAL;
	}
	g->mc_int = calloc(g->mc_win, sizeof(uint64_t));
	g->mc_sent = calloc(g->mc_win, sizeof(uint64_t));
	if (g->mc_int == NULL || g->mc_sent == NULL) {
		free(g->mc_int);
		free(g->mc_sent);
		g->mc_int = g->mc_sent = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int
gen_init(struct lg_gen *g, const struct lg_run_cfg *c)
{
	uint64_t hz = rte_get_tsc_hz();
	double total_s = c->warmup_s + c->duration_s, n;

	if (g->t->cfg.proto == LG_PROTO_MC_GET && mc_init(g, c) != 0)
		return -EINVAL;
	if (c->mode == LG_OPEN) {
		n = c->rate * total_s;
		n += 10 * sqrt(n) + 4096;	/* Poisson: far beyond any deviation */
	} else {
		n = LG_CLOSED_MAX_PPS * total_s + 4096;
	}
	g->cap = ((uint64_t)n + 63) & ~63ull;
	g->seen = malloc(g->cap / 8);
	g->tx_tsc = c->mode == LG_CLOSED ? malloc(LG_TX_RING * sizeof(uint64_t)) : NULL;
	if (g->seen == NULL || (c->mode == LG_CLOSED && g->tx_tsc == NULL)) {
		free(g->seen);
		free(g->tx_tsc);
		free(g->mc_int);
		free(g->mc_sent);
		fprintf(stderr, "tern-bench: error: no memory for a %" PRIu64
			"-request sequence bitmap (shorter --duration?)\n", g->cap);
		return -ENOMEM;
	}
	/* Touch every page now, not on the per-packet path. */
	memset(g->seen, 0, g->cap / 8);
	if (g->tx_tsc != NULL)
		memset(g->tx_tsc, 0, LG_TX_RING * sizeof(uint64_t));
	g->timeout = hz / 1000 * c->timeout_ms;
	g->gap = c->mode == LG_OPEN ? (double)hz / c->rate : 0;
	g->rng = rte_rand() | 1;
	g->first_meas = LG_NONE;
	g->end_meas = LG_NONE;
	g->sending = true;
	g->r->tsc_hz = hz;
	g->t0 = rte_rdtsc();
	g->t_meas = g->t0 + (uint64_t)(c->warmup_s * (double)hz);
	g->t_end = g->t_meas + (uint64_t)(c->duration_s * (double)hz);
	g->t_stop = g->t_end + g->timeout;
	g->last_tx = g->t0;
	return 0;
}

/* Requests of the window that were scheduled but never sent. */
static uint64_t
count_unsent(struct lg_gen *g)
{
	uint64_t from = g->next_tx > g->first_meas ? g->next_tx : g->first_meas;
	uint64_t n = g->end_meas > from ? g->end_meas - from : 0;

	rte_pktmbuf_free_bulk(g->pend, g->npend);
	g->npend = 0;
	if (g->c->mode == LG_OPEN) {
		/* The rest of the schedule, had the generator kept up. */
		while (g->t0 + (uint64_t)g->next_off < g->t_end) {
			if (g->t0 + (uint64_t)g->next_off >= g->t_meas)
				n++;
			g->next_off += next_gap(g);
		}
	}
	return n;
}

static void
gen_loop(struct lg_gen *g)
{
	for (;;) {
		uint64_t now = rte_rdtsc();

		if (g->sending) {
			if (now >= g->t_stop)
				stop_sending(g);
			else if (g->c->mode == LG_OPEN)
				fill_open(g, now);
			else
				fill_closed(g, now);
		}
		if (g->npend > 0 && now < g->t_stop)
			flush_tx(g, now);
		poll_rx(g);
		if (g->c->mode == LG_CLOSED)
			expire_closed(g, now);
		if (g->sending)
			continue;
		/* Drain: until every reply is in, or two timeouts after the last send. */
		if ((g->npend == 0 || now >= g->t_stop) && g->replies >= g->next_tx)
			break;
		if (now - g->last_tx > 2 * g->timeout)
			break;
	}
}

static void
gen_finish(struct lg_gen *g)
{
	struct lg_result *r = g->r;
	uint64_t sent_end = g->next_tx < g->end_meas ? g->next_tx : g->end_meas;

	r->unsent = count_unsent(g);
	r->sent = sent_end > g->first_meas ? sent_end - g->first_meas : 0;
	r->warmup_sent = g->next_tx < g->first_meas ? g->next_tx : g->first_meas;
	r->lost = r->sent - r->on_time - r->late;
	r->scheduled = r->sent + r->unsent;
	r->duration_s = (double)(g->t_end - g->t_meas) / (double)r->tsc_hz;
	if (g->cap_hit)
		fprintf(stderr, "tern-bench: warning: sequence space of %" PRIu64
			" requests used up; the rest of the run was not sent\n", g->cap);
	if (g->why != NULL)
		fprintf(stderr, "tern-bench: warning: %" PRIu64 " invalid replies; first: %s\n",
			r->invalid, g->why);
	free(g->seen);
	free(g->tx_tsc);
	free(g->mc_int);
	free(g->mc_sent);
}

int
lg_run(struct lg_port *p, const struct lg_tmpl *t, const struct lg_run_cfg *c,
       uint32_t run_id, struct lg_result *r)
{
	struct lg_gen g = { .p = p, .t = t, .c = c, .r = r, .run_id = run_id };
	int rc;

	memset(r, 0, sizeof(*r));
	rc = gen_init(&g, c);
	if (rc != 0)
		return rc;
	gen_loop(&g);
	gen_finish(&g);
	return 0;
}

/* ---- port ---- */

static uint64_t
ms_to_cycles(uint64_t ms)
{
	return rte_get_tsc_hz() / 1000 * ms;
}

static int
wait_link(uint16_t port_id)
{
	uint64_t deadline = rte_rdtsc() + ms_to_cycles(LG_LINK_WAIT_MS);
	struct rte_eth_link link;

	do {
		if (rte_eth_link_get_nowait(port_id, &link) == 0 && link.link_status)
			return 0;
		rte_delay_ms(10);
	} while (rte_rdtsc() < deadline);
	fprintf(stderr, "tern-bench: error: link of port %u not up within %d ms "
		"(is the responder running? memif: is its server socket there?)\n",
		port_id, LG_LINK_WAIT_MS);
	return -ETIMEDOUT;
}

static int
queues_setup(struct lg_port *p)
{
	struct rte_eth_conf conf;
	uint16_t nb_rx = LG_RING_DESC, nb_tx = LG_RING_DESC;
	int socket = rte_eth_dev_socket_id(p->port_id);
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(p->port_id, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rx, &nb_tx);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(p->port_id, 0, nb_rx, socket, NULL, p->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(p->port_id, 0, nb_tx, socket, NULL);
	if (rc == 0)
		rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc == 0)
		rc = rte_eth_dev_start(p->port_id);
	return rc;
}

int
lg_port_init(struct lg_port *p)
{
	int rc;

	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "tern-bench: error: need exactly one DPDK port, found %u; "
			"give one with --vdev (and --no-pci) or -a PCI\n",
			rte_eth_dev_count_avail());
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(p->port_id)
		break;
	p->pool = rte_pktmbuf_pool_create("tern_bench", LG_NB_MBUFS, LG_MBUF_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (p->pool == NULL) {
		fprintf(stderr, "tern-bench: error: mbuf pool: %s (try a larger -m)\n",
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = queues_setup(p);
	if (rc != 0) {
		fprintf(stderr, "tern-bench: error: port %u set-up failed: %s\n",
			p->port_id, strerror(-rc));
		return rc;
	}
	return wait_link(p->port_id);
}

static struct rte_mbuf *
build_arp_request(struct lg_port *p, uint32_t src_ip, uint32_t dst_ip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(eth, 0, sizeof(*eth) + sizeof(*arp));
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&p->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = rte_cpu_to_be_32(src_ip);
	arp->arp_data.arp_tip = rte_cpu_to_be_32(dst_ip);
	return m;
}

/* True (and *mac set) if m is an ARP reply from dst_ip to us. */
static bool
is_arp_reply(const struct lg_port *p, const struct rte_mbuf *m, uint32_t dst_ip,
	     struct rte_ether_addr *mac)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);

	if (m->data_len < sizeof(*eth) + sizeof(*arp) ||
	    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
	    arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REPLY) ||
	    arp->arp_data.arp_sip != rte_cpu_to_be_32(dst_ip) ||
	    !rte_is_same_ether_addr(&arp->arp_data.arp_tha, &p->mac) ||
	    !rte_is_unicast_ether_addr(&arp->arp_data.arp_sha))
		return false;
	rte_ether_addr_copy(&arp->arp_data.arp_sha, mac);
	return true;
}

int
lg_arp_resolve(struct lg_port *p, uint32_t src_ip, uint32_t dst_ip, uint32_t timeout_ms,
	       struct rte_ether_addr *mac)
{
	struct rte_mbuf *pkts[LG_BURST];

	for (int try = 0; try < LG_ARP_TRIES; try++) {
		uint64_t deadline = rte_rdtsc() + ms_to_cycles(timeout_ms / LG_ARP_TRIES + 1);
		struct rte_mbuf *req = build_arp_request(p, src_ip, dst_ip);
		bool found = false;

		if (req != NULL && rte_eth_tx_burst(p->port_id, 0, &req, 1) != 1)
			rte_pktmbuf_free(req);
		while (!found && rte_rdtsc() < deadline) {
			uint16_t n = rte_eth_rx_burst(p->port_id, 0, pkts, LG_BURST);

			for (uint16_t i = 0; i < n; i++) {
				if (!found)
					found = is_arp_reply(p, pkts[i], dst_ip, mac);
				if (!found)
					answer_arp(p, src_ip, pkts[i]);
			}
			rte_pktmbuf_free_bulk(pkts, n);
		}
		if (found)
			return 0;
	}
	fprintf(stderr, "tern-bench: error: no ARP reply for the destination within %u ms "
		"(is --dst-ip the responder's address? else give --dst-mac)\n", timeout_ms);
	return -ETIMEDOUT;
}

/* Preload: send the sets of keys [from, to) not yet stored, a burst at a time. */
static void
mc_send_sets(struct lg_port *p, const struct lg_tmpl *t, const uint8_t *stored,
	     uint32_t from, uint32_t to)
{
	struct rte_mbuf *m;
	uint16_t len;

	for (uint32_t k = from; k < to; k++) {
		if (stored[k] || (m = rte_pktmbuf_alloc(p->pool)) == NULL)
			continue;
		len = lg_mc_set(t, rte_pktmbuf_mtod(m, uint8_t *), k);
		m->data_len = len;
		m->pkt_len = len;
		while (rte_eth_tx_burst(p->port_id, 0, &m, 1) != 1)
			;
	}
}

/* Preload: collect "STORED" answers until deadline; returns how many were new. */
static uint32_t
mc_collect(struct lg_port *p, const struct lg_tmpl *t, uint8_t *stored, uint32_t from,
	   uint32_t to, uint64_t deadline)
{
	struct rte_mbuf *pkts[LG_BURST];
	uint32_t got = 0;

	while (rte_rdtsc() < deadline && got < to - from) {
		uint16_t n = rte_eth_rx_burst(p->port_id, 0, pkts, LG_BURST);

		for (uint16_t i = 0; i < n; i++) {
			int rid = lg_mc_stored(t, rte_pktmbuf_mtod(pkts[i], const uint8_t *),
					       pkts[i]->data_len);
			/* request ids are keys modulo 65536: find the one in this slice */
			uint32_t k = rid < 0 ? to : from + ((uint32_t)rid - from % 65536u) % 65536u;

			if (k < to && !stored[k]) {
				stored[k] = 1;
				got++;
			} else if (rid < 0) {
				answer_arp(p, t->cfg.src_ip, pkts[i]);
			}
		}
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return got;
}

int
lg_mc_preload(struct lg_port *p, const struct lg_tmpl *t, uint32_t timeout_ms)
{
	const uint32_t slice = 4096; /* sets in flight at once: well under 65536 ids */
	uint8_t *stored = calloc(t->cfg.keys, 1);
	uint32_t done = 0;

	if (stored == NULL)
		return -ENOMEM;
	for (uint32_t from = 0; from < t->cfg.keys; from += slice) {
		uint32_t to = t->cfg.keys - from < slice ? t->cfg.keys : from + slice;
		uint32_t need = to - from;

		for (int round = 0; round < 5 && need != 0; round++) {
			mc_send_sets(p, t, stored, from, to);
			need -= mc_collect(p, t, stored, from, to,
					   rte_rdtsc() + ms_to_cycles(timeout_ms));
		}
		done += to - from - need;
		if (need != 0)
			break;
	}
	free(stored);
	if (done != t->cfg.keys) {
		fprintf(stderr, "tern-bench: error: preload: %u of %u keys stored (is a kv or "
			"memcached listening on UDP %u, with max_value >= %u?)\n", done,
			t->cfg.keys, t->cfg.dport, t->cfg.size);
		return -EIO;
	}
	fprintf(stderr, "tern-bench: preloaded %u keys of %u bytes\n", done, t->cfg.size);
	return 0;
}

void
lg_linger(struct lg_port *p, uint32_t linger_ms)
{
	uint64_t end = rte_rdtsc() + ms_to_cycles(linger_ms);
	struct rte_eth_link link;

	while (rte_rdtsc() < end) {
		if (rte_eth_link_get_nowait(p->port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_DOWN)
			return;
		rte_delay_us_sleep(10000);
	}
}

void
lg_port_close(struct lg_port *p)
{
	rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
	rte_mempool_free(p->pool);
	p->pool = NULL;
}
