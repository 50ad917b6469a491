/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the whole receive path: parse, classify, the built-in
 * handlers (ARP, ICMP echo, NDP) and dispatch to the real udp_responder app
 * (echo, fixed-size, sockperf modes), through tern_worker_handle_burst on a
 * real engine with a net_ring port. Replies loop back to the ring's RX and
 * are freed after every input. A finding is a sanitizer report, a crash, or
 * an input after which the pool's in-use count is not back to its baseline
 * (a leaked or doubly freed mbuf), the port's counters do not add up
 * (received != sent + dropped: a frame lost or counted twice), or a backlog
 * or event ring does not drain.
 *
 * With FUZZ_WORKERS=2 the engine has two workers (EAL --lcores 0@0,1@1,2@1:
 * three lcores on two CPUs) and RSS off, so the port has one queue, spread
 * in software: each input is put on the port's ring and read by worker 0's
 * own RX poll, so steer.c parses every frame (hostile input) and posts those
 * of worker 1's flows to its event ring; worker 1's replies go back through
 * worker 0 (the TX queue's owner). The kv app (apps/kv) also serves UDP
 * 11211, handing requests off to the worker that owns the key (verdict
 * HANDOFF) and answering multi-key gets across partitions; its budget of 3
 * per iteration puts handed-off requests in the backlog too. The event rings
 * hold 31 events, less than a burst, so refused posts are reached. After the
 * input both workers are run (RX left out) until every backlog, event ring
 * and TX buffer is empty; still busy after SETTLE_ROUNDS_MAX rounds is a
 * finding.
 *
 * Timers: the workers run on the fuzzer's thread, lcore 0 (the EAL main
 * lcore), but app timers are armed for the workers' lcores (1, 2), and
 * rte_timer_manage only runs the calling lcore's list: kv's reapers never
 * fire here (-print_coverage=1 shows timer_trampoline and kv_reap at 0 hits),
 * so kv_proto_tick is not fuzzed. Inputs stay deterministic but for kv's
 * items: the store keeps them from one input to the next (as a server
 * would; a finding may need the inputs before it), and their expiry is
 * checked against the clock on lookup.
 *
 * Input layout: byte 0 is a set of FZ_* flags, the rest is one frame, or with
 * FZ_SPLIT a burst of frames, each as a 2-byte big-endian length and that
 * many bytes (the last one cut short by the end of the input).
 *
 * Environment: FUZZ_RESPONDER (required) path of libudp_responder.so;
 * FUZZ_WORKERS 1 (default) or 2; FUZZ_KV path of libkv.so (required with 2
 * workers); FUZZ_PREFIX EAL --file-prefix (default tern-fuzz-PID);
 * FUZZ_INJECT_LEAK=1 loses one mbuf per input, so a test can check that
 * leaks are found; FUZZ_STATS=1 prints each worker's event counters
 * (steered, handed off, ...) at exit, so a test can check that the inputs
 * reach the multi-worker paths.
 *
 * Single-threaded: the engine's workers are driven from libFuzzer's thread
 * (lcore 0); no worker lcore is ever launched.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "../unit/eal_runtime.h"
#include "engine.h"
#include "engine_addrs.h"
#include "event_bus.h"
#include "parse.h"
#include "stats.h"
#include "worker.h"

#define FZ_DST_MAC   0x01 /* overwrite the destination MAC with tern's */
#define FZ_DST_IP    0x02 /* overwrite the destination IP (or ARP target) with tern's */
#define FZ_CKSUM     0x04 /* recompute IPv4 header and L4 checksums */
#define FZ_SPLIT     0x08 /* the rest is a burst of length-prefixed frames */
#define FZ_IP_GOOD   0x10 /* RX offload flags: IP checksum good ... */
#define FZ_L4_GOOD   0x20 /* ... L4 checksum good; */
#define FZ_IP_BAD    0x40 /* with both GOOD and BAD set, the flag reads NONE */
#define FZ_L4_BAD    0x80

#define MAX_FRAME 2048
#define MAX_BURST 32
#define SETTLE_ROUNDS_MAX 64 /* rounds (every worker once) to empty backlogs and rings */
#define KV_PORT 11211
#define KV_BUDGET 3       /* kv requests per worker iteration: the rest wait */
#define BUS_RING 32       /* events per worker ring (31 fit) with two workers */

static struct tern_engine eng;
static uint16_t port;
static unsigned baseline;
static uint64_t ctr_before[TERN_CTR_MAX]; /* the port's counters before the input */
static char runtime_dir[PATH_MAX];
static bool inject_leak;
static bool print_stats;
static unsigned n_workers = 1;
static const uint8_t tern6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t tern4[4] = { 198, 18, 0, 1 };

static void
die(const char *what, const struct tern_err *err)
{
	fprintf(stderr, "fuzz_pipeline: %s%s%s\n", what, err ? ": " : "",
		err ? err->msg : "");
	exit(2);
}

static void dump_stats(void);

static void
teardown(void)
{
	if (print_stats)
		dump_stats();
	tern_engine_close(&eng);
	rte_eal_cleanup();
	eal_runtime_dir_remove(runtime_dir);
}

/* With two workers, kv on 11211, loaded as tests/integration/kv_memcached.sh
 * does, with a budget so handed-off requests also wait in the backlog. The
 * port must be steered, or the multi-worker paths are not reached. */
static void
setup_kv(const char *kv)
{
	struct tern_err err;
	char *kv_args[] = { "version=1.6.18", "memory_mb=16", "max_value=1024",
			    "max_amplification=100" };

	if (tern_engine_app_load(&eng, "kv", kv, RTE_DIM(kv_args), kv_args, &err) < 0 ||
	    tern_engine_bind_udp(&eng, KV_PORT, "kv", &err) < 0 ||
	    tern_engine_app_budget(&eng, "kv", KV_BUDGET, &err) < 0)
		die("kv set-up failed", &err);
	if (eng.n_workers != 2 || !eng.steered[port])
		die("two workers wanted, with the net_ring port steered in software", NULL);
}

/* The apps: echo on 7, fixed-size (budget 2, so the backlog is used) on 8,
 * fixed-size under the default amplification limit on 20, sockperf on 11111;
 * kv on 11211 with two workers. */
static void
setup(const char *responder, const char *kv)
{
	struct tern_engine_conf conf = { .burst = 32 };
	struct tern_err err;
	struct tern_addr a4, a6;
	char *echo_args[] = { "mode=echo" };
	char *fixed_args[] = { "mode=fixed", "size=1000", "max_amplification=100" };
	char *amp_args[] = { "mode=fixed", "size=1000" };
	char *sp_args[] = { "mode=sockperf" };

	/* net_ring offers a queue per worker: with RSS off it gets one, which
	 * the two workers then share by software steering (--steer auto).
	 * Rings of BUS_RING events: an input's burst can fill one, so refused
	 * posts (steered frames, hand-offs) are fuzzed too. Replies to send
	 * through worker 0 are not refused here: it drains its ring between
	 * any two iterations of worker 1. */
	if (n_workers == 2) {
		conf.rss = TERN_RSS_OFF;
		conf.bus_ring = BUS_RING;
	}
	if (tern_engine_init(&eng, &conf, &err) < 0 ||
	    tern_engine_start_ports(&eng, &err) < 0 ||
	    tern_addr_parse("198.18.0.1/24", &a4, &err) < 0 ||
	    tern_addr_parse("2001:db8::1/64", &a6, &err) < 0 ||
	    tern_engine_ip_add(&eng, &a4, &err) < 0 ||
	    tern_engine_ip_add(&eng, &a6, &err) < 0 ||
	    tern_engine_app_load(&eng, "echo", responder, 1, echo_args, &err) < 0 ||
	    tern_engine_app_load(&eng, "fixed", responder, 3, fixed_args, &err) < 0 ||
	    tern_engine_app_load(&eng, "amp", responder, 2, amp_args, &err) < 0 ||
	    tern_engine_app_load(&eng, "sockperf", responder, 1, sp_args, &err) < 0 ||
	    tern_engine_bind_udp(&eng, 7, "echo", &err) < 0 ||
	    tern_engine_bind_udp(&eng, 8, "fixed", &err) < 0 ||
	    tern_engine_bind_udp(&eng, 20, "amp", &err) < 0 ||
	    tern_engine_bind_udp(&eng, 11111, "sockperf", &err) < 0 ||
	    tern_engine_app_budget(&eng, "fixed", 2, &err) < 0)
		die("engine set-up failed", &err);
	port = eng.workers[0].rxq[0].port_id;
	if (n_workers == 2)
		setup_kv(kv);
}

/* At exit with FUZZ_STATS=1: what each worker's event counters say the
 * inputs reached (fuzz_smoke.sh checks the multi-worker ones). */
static void
dump_stats(void)
{
	uint64_t c[TERN_CTR_MAX];

	for (unsigned i = 0; i < eng.n_workers; i++) {
		uint64_t wc[TERN_WCTR_MAX];

		tern_engine_worker_events(&eng, i, wc);
		fprintf(stderr, "fuzz_pipeline: worker %u:", i);
		for (unsigned k = 0; k < TERN_WCTR_MAX; k++)
			fprintf(stderr, " %s=%" PRIu64, tern_wctr_names[k], wc[k]);
		fputc('\n', stderr);
	}
	tern_engine_port_counters(&eng, port, c);
	fprintf(stderr, "fuzz_pipeline: port %u:", port);
	for (unsigned k = 0; k < TERN_CTR_MAX; k++)
		fprintf(stderr, " %s=%" PRIu64, tern_ctr_names[k], c[k]);
	fputc('\n', stderr);
}

/* FUZZ_WORKERS: 1 (default) or 2. */
static unsigned
workers_from_env(void)
{
	const char *v = getenv("FUZZ_WORKERS");

	if (v == NULL || v[0] == '\0' || strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "2") == 0)
		return 2;
	die("FUZZ_WORKERS must be 1 or 2", NULL);
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *responder = getenv("FUZZ_RESPONDER");
	const char *kv = getenv("FUZZ_KV");
	const char *pfx = getenv("FUZZ_PREFIX");
	char prefix[64];
	char *eal[] = { (*argv)[0], "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
			"--vdev", "net_ring0", "--log-level", "error", "--no-shconf",
			"--file-prefix", prefix };

	(void)argc;
	n_workers = workers_from_env();
	if (responder == NULL || responder[0] == '\0')
		die("set FUZZ_RESPONDER to the path of libudp_responder.so", NULL);
	if (n_workers == 2 && (kv == NULL || kv[0] == '\0'))
		die("set FUZZ_KV to the path of libkv.so (FUZZ_WORKERS=2 fuzzes kv)", NULL);
	if (n_workers == 2) {
		/* The main lcore and two workers, on two CPUs (workers never run). */
		eal[1] = "--lcores";
		eal[2] = "0@0,1@1,2@1";
	}
	if (pfx != NULL && pfx[0] != '\0')
		snprintf(prefix, sizeof(prefix), "%s", pfx);
	else
		snprintf(prefix, sizeof(prefix), "tern-fuzz-%d", getpid());
	if (rte_eal_init(RTE_DIM(eal), eal) < 0)
		die("rte_eal_init failed", NULL);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	setup(responder, kv);
	atexit(teardown);
	inject_leak = getenv("FUZZ_INJECT_LEAK") != NULL;
	print_stats = getenv("FUZZ_STATS") != NULL;
	baseline = tern_engine_mbufs_in_use(&eng);
	tern_engine_port_counters(&eng, port, ctr_before);
	return 0;
}

/* ---- input to frames ---------------------------------------------------- */

static uint16_t
l4_cksum(const void *ph, uint32_t ph_len, const void *l4, uint32_t len)
{
	uint32_t s = __rte_raw_cksum(ph, ph_len, 0);

	s = __rte_raw_cksum(l4, len, s);
	return (uint16_t)~__rte_raw_cksum_reduce(s);
}

static void
fix_cksums(uint8_t *f, const struct tern_parsed *p)
{
	uint8_t *ip = f + p->l3_off, *l4 = f + p->l4_off;
	uint16_t ihl = p->l4_off - p->l3_off;
	uint8_t ph[40];
	uint16_t c, at;

	if (p->l3 == TERN_L3_IPV4) {
		ip[10] = ip[11] = 0;
		c = (uint16_t)~rte_raw_cksum(ip, ihl);
		memcpy(ip + 10, &c, 2);
	}
	if (p->l4 == TERN_L4_ICMP) {
		l4[2] = l4[3] = 0;
		c = (uint16_t)~rte_raw_cksum(l4, p->l4_len);
		memcpy(l4 + 2, &c, 2);
		return;
	}
	if (p->l4 != TERN_L4_UDP && p->l4 != TERN_L4_ICMPV6)
		return;
	at = p->l4 == TERN_L4_UDP ? 6 : 2;
	l4[at] = l4[at + 1] = 0;
	memset(ph, 0, sizeof(ph));
	if (p->l3 == TERN_L3_IPV4) {
		memcpy(ph, ip + 12, 8);
		ph[9] = p->l4_proto;
		ph[10] = p->l4_len >> 8;
		ph[11] = p->l4_len & 0xff;
		c = l4_cksum(ph, 12, l4, p->l4_len);
	} else {
		memcpy(ph, ip + 8, 32);
		ph[34] = p->l4_len >> 8;
		ph[35] = p->l4_len & 0xff;
		ph[39] = p->l4_proto;
		c = l4_cksum(ph, 40, l4, p->l4_len);
	}
	if (c == 0 && p->l4 == TERN_L4_UDP)
		c = 0xffff;
	memcpy(l4 + at, &c, 2);
}

/* Steer the frame toward tern so the fuzzer reaches the apps quickly. */
static void
fixup(uint8_t *f, uint16_t len, uint8_t flags)
{
	struct tern_parsed p;

	if ((flags & FZ_DST_MAC) && len >= 6)
		memcpy(f, &eng.ports[port].mac, 6);
	if (!(flags & (FZ_DST_IP | FZ_CKSUM)) || tern_parse(f, len, &p) != TERN_PARSE_OK)
		return;
	if (flags & FZ_DST_IP) {
		if (p.l3 == TERN_L3_IPV4)
			memcpy(f + p.l3_off + 16, tern4, 4);
		else if (p.l3 == TERN_L3_IPV6)
			memcpy(f + p.l3_off + 24, tern6, 16);
		else if (p.l3 == TERN_L3_ARP)
			memcpy(f + p.l3_off + 24, tern4, 4);
	}
	if (flags & FZ_CKSUM)
		fix_cksums(f, &p);
}

static struct rte_mbuf *
make_mbuf(const uint8_t *d, size_t len, uint8_t flags)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(eng.pool);
	uint8_t *f;

	if (m == NULL) {
		fprintf(stderr, "fuzz_pipeline: mbuf pool empty\n");
		abort();
	}
	if (len > MAX_FRAME)
		len = MAX_FRAME;
	if (len > rte_pktmbuf_tailroom(m))
		len = rte_pktmbuf_tailroom(m);
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	memcpy(f, d, len);
	fixup(f, (uint16_t)len, flags);
	if (flags & FZ_IP_GOOD)
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	if (flags & FZ_IP_BAD)
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	if (flags & FZ_L4_GOOD)
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	if (flags & FZ_L4_BAD)
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	return m;
}

static unsigned
make_burst(const uint8_t *d, size_t n, uint8_t flags, struct rte_mbuf **m)
{
	unsigned k = 0;

	if (!(flags & FZ_SPLIT)) {
		m[0] = make_mbuf(d, n, flags);
		return 1;
	}
	while (n >= 2 && k < MAX_BURST) {
		size_t len = ((size_t)d[0] << 8) | d[1];

		d += 2;
		n -= 2;
		if (len > n)
			len = n;
		m[k++] = make_mbuf(d, len, flags);
		d += len;
		n -= len;
	}
	return k;
}

/* ---- running it ----------------------------------------------------------- */

/* Free whatever the engine sent (net_ring loops TX back to RX). */
static void
drain_rx(void)
{
	struct rte_mbuf *r[64];
	uint16_t n;

	while ((n = rte_eth_rx_burst(port, 0, r, RTE_DIM(r))) != 0)
		rte_pktmbuf_free_bulk(r, n);
}

/* ---- settling (both modes) and the steered path (two workers) ------------ */

/* Something left to do: a backlog, an event ring or a TX buffer not empty. */
static bool
busy(unsigned *which)
{
	for (unsigned i = 0; i < eng.n_workers; i++) {
		const struct tern_worker *w = &eng.workers[i];

		if (tern_worker_backlog_len(w) != 0 || tern_bus_pending(&eng.bus, i) != 0 ||
		    w->tx[port].n != 0) {
			*which = i;
			return true;
		}
	}
	return false;
}

/* Run every worker's loop (timers, bus, backlog; RX queues left out), freeing
 * what reaches the wire, until nothing is left; a frame or event still there
 * after SETTLE_ROUNDS_MAX rounds is stuck: a finding. */
static void
settle(void)
{
	unsigned i, k;

	for (i = 0; busy(&k); i++) {
		if (i == SETTLE_ROUNDS_MAX) {
			fprintf(stderr, "fuzz_pipeline: worker %u still has %u in its backlog, "
				"%u events in its ring, %u frames to send after %u rounds\n", k,
				tern_worker_backlog_len(&eng.workers[k]),
				tern_bus_pending(&eng.bus, k), eng.workers[k].tx[port].n,
				SETTLE_ROUNDS_MAX);
			abort();
		}
		for (unsigned j = 0; j < eng.n_workers; j++) {
			struct tern_worker *w = &eng.workers[j];
			unsigned n_rxq = w->n_rxq;

			w->n_rxq = 0;
			tern_worker_poll_once(w);
			w->n_rxq = n_rxq;
			drain_rx();
		}
	}
}

/* The burst arrives on the wire: put it on the port's ring and let worker 0
 * read it with its own RX poll, which steers it (steer.c parses each frame). */
static void
receive_steered(struct rte_mbuf **m, unsigned n)
{
	uint16_t sent = rte_eth_tx_burst(port, 0, m, (uint16_t)n);

	if (sent != n) {
		fprintf(stderr, "fuzz_pipeline: the ring took %u of %u frames\n", sent, n);
		abort();
	}
	tern_worker_poll_once(&eng.workers[0]);
	drain_rx();
	settle();
}

/* ---- checks ------------------------------------------------------------- */

/* Every frame the input brought in was sent or dropped once, and counted:
 * received = sent + dropped (apps here never consume, replies reuse their
 * request's mbuf, nothing is still in flight). */
static void
check_counted(void)
{
	uint64_t c[TERN_CTR_MAX], d[TERN_CTR_MAX], dropped = 0;

	tern_engine_port_counters(&eng, port, c);
	for (unsigned k = 0; k < TERN_CTR_MAX; k++) {
		d[k] = c[k] - ctr_before[k];
		if (tern_ctr_is_drop(k))
			dropped += d[k];
		ctr_before[k] = c[k];
	}
	if (d[TERN_CTR_RX] == d[TERN_CTR_TX] + dropped)
		return;
	fprintf(stderr, "fuzz_pipeline: %" PRIu64 " frames received, %" PRIu64 " sent, %"
		PRIu64 " dropped (not counted once each):", d[TERN_CTR_RX], d[TERN_CTR_TX], dropped);
	for (unsigned k = 0; k < TERN_CTR_MAX; k++)
		if (d[k] != 0)
			fprintf(stderr, " %s=%" PRIu64, tern_ctr_names[k], d[k]);
	fputc('\n', stderr);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tern_worker *w = &eng.workers[0];
	struct rte_mbuf *m[MAX_BURST];
	unsigned n, in_use;

	if (size < 1)
		return 0;
	n = make_burst(data + 1, size - 1, data[0], m);
	if (n == 0)
		return 0;
	if (n_workers == 2) {
		receive_steered(m, n);
	} else {
		w->iter++; /* a fresh iteration: app budgets start over */
		tern_worker_handle_burst(w, port, m, (uint16_t)n);
		drain_rx();
		settle();
	}
	check_counted();
	if (inject_leak)
		(void)rte_pktmbuf_alloc(eng.pool);
	in_use = tern_engine_mbufs_in_use(&eng);
	if (in_use != baseline) {
		fprintf(stderr, "fuzz_pipeline: %u mbufs in use after the input, %u before "
			"(leaked or freed twice)\n", in_use, baseline);
		abort();
	}
	return 0;
}
