/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmarks of tern's fast path (Google Benchmark): header parsing,
 * handler-table lookup (alone and while the control side publishes new
 * tables), software steering (picking a worker by the RSS hash, and handing
 * frames to other workers over 64-byte-event rings), a whole burst through
 * tern_worker_handle_burst, the sockperf reply, checksums and histogram
 * recording.
 *
 * Every benchmark handles a burst of packets per iteration and reports
 * items_per_second (packets per second) and ns_per_pkt (its inverse, in
 * nanoseconds). Rates use the benchmark thread's CPU time, Google Benchmark's
 * default.
 *
 * EAL is started once in main() (net_ring0, no hugepages, lcores 0,1 because
 * the engine wants a worker lcore; no worker is launched: the dispatch
 * benchmark drives the worker's burst function from the main thread, as
 * tests/unit/test_pipeline.c does). The real udp_responder app is found
 * through $TERN_RESPONDER or next to this executable in the build tree.
 *
 * usage: bench_fastpath [--benchmark_* options]
 */
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <pthread.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>
#include <rte_udp.h>

/* No _LGPL_SOURCE, like the engine (packet/pipeline.c): the same (non-inlined) quiescent state. */
#include <urcu-qsbr.h>

#include "cksum.h"
#include "engine.h"
#include "engine_addrs.h"
#include "event_bus.h"
#include "handler_table.h"
#include "latency_hist.h"
#include "parse.h"
#include "rcu_publish.h"
#include "sockperf.h"
#include "steer.h"
#include "worker.h"

#include "../../tests/unit/eal_runtime.h"

namespace {

constexpr unsigned kBurst = 32;            /* packets per iteration everywhere */
constexpr uint16_t kUdpPayload = 64;       /* sockperf-sized requests */
constexpr uint16_t kEchoPort = 7;          /* the real responder, echo mode */
constexpr uint16_t kInprocPort = 9;        /* the bench's own trivial handler: echo */
constexpr uint16_t kInprocDropPort = 10;   /* the same handler: DROP every request */
constexpr uint16_t kUnboundPort = 11;      /* no handler: dropped after every check */
constexpr uint8_t kInprocSlot = TERN_MAX_APPS; /* slot the engine's loader would use last */
constexpr uint32_t kTernIp4 = (198u << 24) | (18u << 16) | 1;
constexpr uint32_t kPeerIp4 = (198u << 24) | (18u << 16) | 2;
const uint8_t kTernIp6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
const uint8_t kPeerIp6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
const rte_ether_addr kPeerMac = { { 0x02, 0, 0, 0, 0, 0x02 } };

/* Packets handled in the run so far. */
uint64_t
packets(const benchmark::State &state, unsigned per_iter)
{
	return static_cast<uint64_t>(state.iterations()) * per_iter;
}

/* Items processed as packets per second, and the inverse in nanoseconds:
 * a value of n * 1e-9 per iteration, as a rate, inverted, is ns per packet. */
void
report_packets(benchmark::State &state, unsigned per_iter)
{
	state.SetItemsProcessed(state.iterations() * per_iter);
	state.counters["ns_per_pkt"] = benchmark::Counter(
		per_iter * 1e-9, benchmark::Counter::kIsIterationInvariantRate |
		benchmark::Counter::kInvert);
}

/* ---- frames ------------------------------------------------------------- */

struct Frame {
	alignas(64) uint8_t b[2048];
	uint16_t len;
};

enum FrameKind { kIpv4Udp, kIpv6Udp, kVlanIpv4Udp, kArp };

void
put_eth(Frame *f, const rte_ether_addr &dst, uint16_t type)
{
	auto *eth = reinterpret_cast<rte_ether_hdr *>(f->b);

	eth->dst_addr = dst;
	eth->src_addr = kPeerMac;
	eth->ether_type = rte_cpu_to_be_16(type);
	f->len = sizeof(*eth);
}

void
put_vlan(Frame *f, uint16_t type)
{
	auto *eth = reinterpret_cast<rte_ether_hdr *>(f->b);
	auto *v = reinterpret_cast<rte_vlan_hdr *>(f->b + f->len);

	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
	v->vlan_tci = rte_cpu_to_be_16(42);
	v->eth_proto = rte_cpu_to_be_16(type);
	f->len += sizeof(*v);
}

/* A UDP header and n payload bytes at udp; checksum left zero. */
void
put_udp(rte_udp_hdr *udp, uint16_t sport, uint16_t dport, uint16_t n)
{
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + n);
	udp->dgram_cksum = 0;
	for (uint16_t i = 0; i < n; i++)
		reinterpret_cast<uint8_t *>(udp + 1)[i] = static_cast<uint8_t>(i);
}

void
put_udp4(Frame *f, uint16_t sport, uint16_t dport, uint16_t n)
{
	auto *ip = reinterpret_cast<rte_ipv4_hdr *>(f->b + f->len);
	auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);
	uint16_t l4 = sizeof(*udp) + n;

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + l4);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(kPeerIp4);
	ip->dst_addr = rte_cpu_to_be_32(kTernIp4);
	ip->hdr_checksum = tern_cksum_ipv4_hdr(ip, sizeof(*ip));
	put_udp(udp, sport, dport, n);
	udp->dgram_cksum = tern_cksum_l4_v4(reinterpret_cast<uint8_t *>(&ip->src_addr),
					    reinterpret_cast<uint8_t *>(&ip->dst_addr),
					    IPPROTO_UDP, udp, l4);
	f->len += sizeof(*ip) + l4;
}

void
put_udp6(Frame *f, uint16_t sport, uint16_t dport, uint16_t n)
{
	auto *ip = reinterpret_cast<rte_ipv6_hdr *>(f->b + f->len);
	auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);
	uint16_t l4 = sizeof(*udp) + n;

	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(l4);
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, kPeerIp6, 16);
	memcpy(ip->dst_addr, kTernIp6, 16);
	put_udp(udp, sport, dport, n);
	udp->dgram_cksum = tern_cksum_l4_v6(ip->src_addr, ip->dst_addr, IPPROTO_UDP, udp, l4);
	f->len += sizeof(*ip) + l4;
}

void
put_arp_request(Frame *f)
{
	const rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	auto *a = reinterpret_cast<rte_arp_hdr *>(f->b + sizeof(rte_ether_hdr));

	put_eth(f, bcast, RTE_ETHER_TYPE_ARP);
	memset(a, 0, sizeof(*a));
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	a->arp_data.arp_sha = kPeerMac;
	a->arp_data.arp_sip = rte_cpu_to_be_32(kPeerIp4);
	a->arp_data.arp_tip = rte_cpu_to_be_32(kTernIp4);
	f->len += sizeof(*a);
}

void
build_frame(Frame *f, FrameKind kind, const rte_ether_addr &dst, uint16_t dport)
{
	switch (kind) {
	case kIpv4Udp:
		put_eth(f, dst, RTE_ETHER_TYPE_IPV4);
		put_udp4(f, 40000, dport, kUdpPayload);
		break;
	case kIpv6Udp:
		put_eth(f, dst, RTE_ETHER_TYPE_IPV6);
		put_udp6(f, 40000, dport, kUdpPayload);
		break;
	case kVlanIpv4Udp:
		put_eth(f, dst, RTE_ETHER_TYPE_IPV4);
		put_vlan(f, RTE_ETHER_TYPE_IPV4);
		put_udp4(f, 40000, dport, kUdpPayload);
		break;
	case kArp:
		put_arp_request(f);
		break;
	}
}

/* Small deterministic generator: the same inputs on every run. */
uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- the engine (EAL) ------------------------------------------------------ */

struct Bench {
	bool eal_up = false;
	bool engine_inited = false; /* tern_engine_close needed */
	bool engine_up = false;     /* everything set up: dispatch can run */
	std::string engine_error = "EAL or engine set-up failed (see stderr)";
	tern_engine eng{};
	uint16_t port = 0;
	unsigned mbufs_baseline = 0;
};

Bench g;

/* The bench's own app: echo every request back (REPLY, length unchanged),
 * or on kInprocDropPort drop it (DROP). */
void
inproc_echo_burst(void *, unsigned, tern_udp_req *reqs, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		reqs[i].verdict = reqs[i].dst_port == kInprocDropPort ? TERN_VERDICT_DROP :
									TERN_VERDICT_REPLY;
}

/* libudp_responder.so: $TERN_RESPONDER, else where the build tree puts it
 * relative to this executable (build/bench/micro/ -> build/apps/udp_responder/). */
std::string
responder_path()
{
	const char *env = getenv("TERN_RESPONDER");
	char exe[PATH_MAX];
	ssize_t n;

	if (env != nullptr && env[0] != '\0')
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "libudp_responder.so";
	exe[n] = '\0';
	std::string dir(exe);
	dir.erase(dir.rfind('/'));
	return dir + "/../../apps/udp_responder/libudp_responder.so";
}

/* Bind the in-process handler to kInprocPort in a slot the engine leaves
 * empty (no app instance behind it: nothing but the worker looks at it). */
int
install_inproc_handler(tern_err *err)
{
	/* The engine's counters for an instance, one block per worker. */
	static tern_app_wstats inproc_ws[RTE_MAX_LCORE];
	tern_handler h{};
	h.burst = inproc_echo_burst;
	h.ws = inproc_ws;
	tern_handler_table *t = tern_handler_table_clone(g.eng.handlers);
	int ret;

	if (t == nullptr)
		return tern_err_set(err, ENOMEM, "out of memory cloning the handler table");
	ret = tern_handler_table_bind_udp(t, kInprocPort, kInprocSlot, &h, err);
	if (ret == 0)
		ret = tern_handler_table_bind_udp(t, kInprocDropPort, kInprocSlot, &h, err);
	if (ret < 0) {
		free(t);
		return ret;
	}
	tern_rcu_replace(reinterpret_cast<void **>(&g.eng.handlers), t, free);
	return 0;
}

int
engine_setup()
{
	tern_engine_conf conf{};
	tern_err err{};
	tern_addr a4{}, a6{};
	std::string so = responder_path();
	char echo_arg[] = "mode=echo";
	char *echo_args[] = { echo_arg };

	conf.burst = kBurst;
	if (tern_engine_init(&g.eng, &conf, &err) == 0)
		g.engine_inited = true;
	if (!g.engine_inited ||
	    tern_engine_start_ports(&g.eng, &err) < 0 ||
	    tern_addr_parse("198.18.0.1/24", &a4, &err) < 0 ||
	    tern_addr_parse("2001:db8::1/64", &a6, &err) < 0 ||
	    tern_engine_ip_add(&g.eng, &a4, &err) < 0 ||
	    tern_engine_ip_add(&g.eng, &a6, &err) < 0 ||
	    tern_engine_app_load(&g.eng, "echo", so.c_str(), 1, echo_args, &err) < 0 ||
	    tern_engine_bind_udp(&g.eng, kEchoPort, "echo", &err) < 0 ||
	    install_inproc_handler(&err) < 0) {
		g.engine_error = std::string("engine set-up failed: ") + err.msg +
				 " (set TERN_RESPONDER to libudp_responder.so if it was not found)";
		return -1;
	}
	g.port = g.eng.workers[0].rxq[0].port_id;
	g.mbufs_baseline = tern_engine_mbufs_in_use(&g.eng);
	g.engine_up = true;
	return 0;
}

/* ---- BM_Parse -------------------------------------------------------------- */

void
BM_Parse(benchmark::State &state, FrameKind kind)
{
	static Frame f[kBurst];
	const rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 0x01 } };
	tern_parsed p;
	uint64_t ok = 0;

	for (unsigned i = 0; i < kBurst; i++)
		build_frame(&f[i], kind, mac, static_cast<uint16_t>(1000 + i));
	for (auto _ : state) {
		for (unsigned i = 0; i < kBurst; i++) {
			ok += tern_parse(f[i].b, f[i].len, &p) == TERN_PARSE_OK;
			benchmark::DoNotOptimize(p);
		}
	}
	if (ok != packets(state, kBurst))
		state.SkipWithError("a prebuilt frame did not parse OK");
	report_packets(state, kBurst);
}
BENCHMARK_CAPTURE(BM_Parse, ipv4_udp, kIpv4Udp);
BENCHMARK_CAPTURE(BM_Parse, ipv6_udp, kIpv6Udp);
BENCHMARK_CAPTURE(BM_Parse, vlan_ipv4_udp, kVlanIpv4Udp);
BENCHMARK_CAPTURE(BM_Parse, arp, kArp);

/* ---- software steering ------------------------------------------------------- */

/*
 * A burst of 32 frames from 32 flows, as a single-queue port delivers them:
 * IPv4 UDP, IPv6 UDP, VLAN-tagged IPv4 UDP and IPv4 TCP in turn, each from its
 * own client address and source port, to the server's port 7.
 */
void
build_mixed_frames(Frame *f)
{
	const rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 0x01 } };

	for (unsigned i = 0; i < kBurst; i++) {
		uint16_t sport = static_cast<uint16_t>(20000 + 7 * i);
		FrameKind kind = i % 4 == 1 ? kIpv6Udp : i % 4 == 2 ? kVlanIpv4Udp : kIpv4Udp;
		auto l3 = static_cast<uint16_t>(sizeof(rte_ether_hdr) +
						 (kind == kVlanIpv4Udp ? sizeof(rte_vlan_hdr) : 0));

		build_frame(&f[i], kind, mac, kEchoPort);
		if (kind == kIpv6Udp) {
			auto *ip = reinterpret_cast<rte_ipv6_hdr *>(f[i].b + l3);
			auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);

			ip->src_addr[15] = static_cast<uint8_t>(2 + i);
			udp->src_port = rte_cpu_to_be_16(sport);
			continue;
		}
		auto *ip = reinterpret_cast<rte_ipv4_hdr *>(f[i].b + l3);
		auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);

		ip->src_addr = rte_cpu_to_be_32(kPeerIp4 + i);
		udp->src_port = rte_cpu_to_be_16(sport);
		if (i % 4 == 3) /* TCP: the ports sit where UDP's do */
			ip->next_proto_id = IPPROTO_TCP;
		/* Addresses changed: fix the header checksum (parse does not care). */
		ip->hdr_checksum = 0;
		ip->hdr_checksum = tern_cksum_ipv4_hdr(ip, sizeof(*ip));
	}
}

/* The baseline for BM_Steer: tern_parse over the same 32 mixed frames. */
void
BM_ParseMixed(benchmark::State &state)
{
	static Frame f[kBurst];
	tern_parsed p;
	uint64_t ok = 0;

	build_mixed_frames(f);
	for (auto _ : state) {
		for (unsigned i = 0; i < kBurst; i++) {
			ok += tern_parse(f[i].b, f[i].len, &p) == TERN_PARSE_OK;
			benchmark::DoNotOptimize(p);
		}
	}
	if (ok != packets(state, kBurst))
		state.SkipWithError("a prebuilt frame did not parse OK");
	report_packets(state, kBurst);
}
BENCHMARK(BM_ParseMixed);

/* The well-known 40-byte default Toeplitz key of many NICs: not periodic,
 * so steer.c takes its general path (rte_softrss_be) with it. */
const uint8_t kAsymKey[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

enum SteerKey { kSymmetricKey, kAsymmetricKey };

void
steer_init(tern_steer *s, unsigned n_workers, SteerKey key = kSymmetricKey)
{
	tern_steer_init(s, n_workers, key == kSymmetricKey ? tern_rss_symmetric_key : kAsymKey,
			40, tern_rss_wanted_types());
}

/* tern_steer_frame_worker over the 32 mixed frames: the receiver's cost to
 * pick each frame's worker (headers, Toeplitz, RETA). The symmetric key is
 * what tern steers with; the other key shows the general Toeplitz path. */
void
BM_Steer(benchmark::State &state, SteerKey key)
{
	static Frame f[kBurst];
	tern_steer s;
	uint64_t to_other = 0;

	steer_init(&s, 2, key);
	build_mixed_frames(f);
	for (auto _ : state) {
		for (unsigned i = 0; i < kBurst; i++) {
			uint16_t w = tern_steer_frame_worker(&s, f[i].b, f[i].len);

			benchmark::DoNotOptimize(w);
			to_other += w == 1;
		}
	}
	/* Every frame is IP: none stays LOCAL, and both workers get some. */
	if (state.iterations() != 0 &&
	    (to_other == 0 || to_other == packets(state, kBurst)))
		state.SkipWithError("steering sent every frame to one worker");
	report_packets(state, kBurst);
}
BENCHMARK_CAPTURE(BM_Steer, symmetric_key, kSymmetricKey);
BENCHMARK_CAPTURE(BM_Steer, asymmetric_key, kAsymmetricKey);

constexpr unsigned kMaxSteerWorkers = 4;
constexpr unsigned kSteerRingSize = 1024;

/* One ring of 64-byte events per worker but the receiver (worker 0), as the
 * event bus has: multi-producer, single-consumer. */
bool
steer_rings_create(rte_ring **ring, unsigned n_workers)
{
	for (unsigned w = 1; w < n_workers; w++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "bsteer%u_%u", n_workers, w);
		ring[w] = rte_ring_create_elem(name, sizeof(tern_event), kSteerRingSize,
					       SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (ring[w] == nullptr)
			return false;
	}
	return true;
}

void
steer_rings_free(rte_ring **ring, unsigned n_workers)
{
	for (unsigned w = 1; w < n_workers; w++) {
		rte_ring_free(ring[w]);
		ring[w] = nullptr;
	}
}

/*
 * The receiver's whole hand-off, per burst of 32 frames, with
 * state.range(0) workers: pick each frame's worker (BM_Steer's work), keep
 * the receiver's own (worker 0) and LOCAL frames, build one 64-byte
 * TERN_EV_STEER event per other frame, grouped by destination, and post
 * each group with one burst enqueue (multi-producer) to that worker's ring
 * of 64-byte elements; then each destination drains its ring
 * (single-consumer burst dequeue), as the workers' loops would. Frames are
 * not mbufs here: the event carries the frame's address.
 */
void
BM_SteerHandoff(benchmark::State &state)
{
	static Frame f[kBurst];
	const unsigned n_workers = static_cast<unsigned>(state.range(0));
	rte_ring *ring[kMaxSteerWorkers] = {};
	tern_event ev[kMaxSteerWorkers][kBurst];
	tern_event out[kBurst];
	unsigned n_ev[kMaxSteerWorkers];
	uint64_t kept = 0, moved = 0, drained = 0, refused = 0;
	tern_steer s;

	if (!g.eal_up) {
		state.SkipWithError("EAL did not start: no rings");
		return;
	}
	if (!steer_rings_create(ring, n_workers)) {
		state.SkipWithError("cannot create a ring of 64-byte events");
		steer_rings_free(ring, n_workers);
		return;
	}
	steer_init(&s, n_workers);
	build_mixed_frames(f);
	memset(ev, 0, sizeof(ev));
	for (auto _ : state) {
		memset(n_ev, 0, sizeof(n_ev));
		for (unsigned i = 0; i < kBurst; i++) {
			uint16_t w = tern_steer_frame_worker(&s, f[i].b, f[i].len);

			if (w == TERN_STEER_LOCAL || w == 0) {
				kept++; /* the receiver handles it in place */
				continue;
			}
			tern_event *e = &ev[w][n_ev[w]++];

			e->kind = TERN_EV_STEER;
			e->port = 0;
			e->m = reinterpret_cast<rte_mbuf *>(&f[i]);
		}
		for (unsigned w = 1; w < n_workers; w++) {
			unsigned n;

			if (n_ev[w] == 0)
				continue;
			n = rte_ring_enqueue_burst_elem(ring[w], ev[w], sizeof(tern_event),
							n_ev[w], nullptr);
			moved += n;
			refused += n_ev[w] - n;
		}
		/* The destinations' side: drain, look at each event. */
		for (unsigned w = 1; w < n_workers; w++) {
			unsigned n = rte_ring_dequeue_burst_elem(ring[w], out, sizeof(tern_event),
								 kBurst, nullptr);

			for (unsigned k = 0; k < n; k++)
				benchmark::DoNotOptimize(out[k].m);
			drained += n;
		}
	}
	if (refused != 0 || drained != moved)
		state.SkipWithError("a ring refused or lost events");
	else if (state.iterations() != 0 && (moved == 0 || kept == 0))
		state.SkipWithError("steering kept or moved every frame");
	report_packets(state, kBurst);
	/* Share of frames handed to another worker. */
	state.counters["moved_share"] = kept + moved == 0 ? 0.0 :
		static_cast<double>(moved) / static_cast<double>(kept + moved);
	steer_rings_free(ring, n_workers);
}
BENCHMARK(BM_SteerHandoff)->ArgName("workers")->Arg(2)->Arg(4);

/* ---- handler-table lookups ---------------------------------------------------- */

constexpr unsigned kBoundPorts = 256;   /* ports 1000..1255 over all 64 slots */
constexpr unsigned kLookupPorts = 1024; /* the ports looked up, in bursts */

/* A table with kBoundPorts ports bound round-robin to every slot; NULL on
 * allocation failure. */
tern_handler_table *
populated_table()
{
	tern_handler h{};
	h.burst = inproc_echo_burst;
	tern_handler_table *t = tern_handler_table_clone(nullptr);
	tern_err err;

	if (t == nullptr)
		return nullptr;
	for (unsigned i = 0; i < kBoundPorts; i++)
		if (tern_handler_table_bind_udp(t, static_cast<uint16_t>(1000 + i),
						static_cast<uint8_t>(1 + i % TERN_MAX_APPS),
						&h, &err) < 0) {
			free(t);
			return nullptr;
		}
	return t;
}

/* Three lookups in four hit a bound port, the rest anywhere in 0..65535. */
void
lookup_ports(uint16_t *ports)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (unsigned i = 0; i < kLookupPorts; i++) {
		uint64_t r = xorshift(&s);

		ports[i] = i % 4 == 3 ? static_cast<uint16_t>(r)
				      : static_cast<uint16_t>(1000 + r % kBoundPorts);
	}
}

/* One burst of lookups; returns how many found a handler. */
inline unsigned
lookup_burst(const tern_handler_table *t, const uint16_t *ports)
{
	unsigned found = 0;

	for (unsigned i = 0; i < kBurst; i++) {
		const tern_handler *h = tern_handler_lookup_udp(t, ports[i]);

		benchmark::DoNotOptimize(h);
		found += h != nullptr;
	}
	return found;
}

void
BM_HandlerLookup(benchmark::State &state)
{
	static uint16_t ports[kLookupPorts];
	tern_handler_table *t = populated_table();
	unsigned off = 0;
	uint64_t found = 0;

	if (t == nullptr) {
		state.SkipWithError("cannot build the handler table");
		return;
	}
	lookup_ports(ports);
	for (auto _ : state) {
		found += lookup_burst(t, ports + off);
		off = (off + kBurst) % kLookupPorts;
	}
	free(t);
	if (state.iterations() != 0 && found == 0)
		state.SkipWithError("no lookup found a handler");
	report_packets(state, kBurst);
}
BENCHMARK(BM_HandlerLookup);

/*
 * Lookups by a QSBR reader (this thread, as a worker would) while a writer
 * thread keeps publishing new tables with tern_rcu_replace, as the control
 * thread does on `bind`/`unbind`: each table differs from the last by one
 * binding. The writer runs on the worker lcore's CPU (idle here), the
 * reader on the main lcore's.
 */
class PublishFixture : public benchmark::Fixture {
public:
	tern_handler_table *slot = nullptr;       /* RCU-published */
	std::atomic<bool> stop{ false };
	std::atomic<uint64_t> published{ 0 };
	std::thread writer;
	bool setup_ok = false;

	void SetUp(const benchmark::State &) override
	{
		slot = populated_table();
		setup_ok = slot != nullptr;
		if (!setup_ok)
			return;
		stop.store(false);
		published.store(0);
		writer = std::thread([this] { write_loop(); });
	}

	void TearDown(const benchmark::State &) override
	{
		if (writer.joinable()) {
			stop.store(true);
			writer.join();
		}
		free(slot);
		slot = nullptr;
	}

private:
	/* Run where EAL's worker lcore would: the other CPU. */
	static void pin_to_worker_cpu()
	{
		unsigned lc;

		if (!g.eal_up)
			return;
		lc = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
		if (lc < RTE_MAX_LCORE) {
			rte_cpuset_t cs = rte_lcore_cpuset(lc);

			pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
		}
	}

	void write_loop()
	{
		uint16_t toggle = 60000; /* bound in every other table */
		tern_handler h{};
		h.burst = inproc_echo_burst;
		tern_err err;

		pin_to_worker_cpu();
		while (!stop.load(std::memory_order_relaxed)) {
			/* Only this thread writes slot: a plain read is fine. */
			tern_handler_table *t = tern_handler_table_clone(slot);

			if (t == nullptr)
				break;
			if (t->udp[toggle] != 0)
				tern_handler_table_unbind_udp(t, toggle, &err);
			else
				tern_handler_table_bind_udp(t, toggle, 1, &h, &err);
			/* Waits for the reader's next quiescent state, then frees. */
			tern_rcu_replace(reinterpret_cast<void **>(&slot), t, free);
			published.fetch_add(1, std::memory_order_relaxed);
		}
	}
};

/*
 * The worker's reader loop: online QSBR reader (this thread), one
 * rcu_dereference per burst, a quiescent state after each. Returns how many
 * lookups found a handler; if published is given, *n_published is how much
 * it grew while this thread was a reader.
 */
uint64_t
qsbr_reader_loop(benchmark::State &state, tern_handler_table **slot,
		 const std::atomic<uint64_t> *published = nullptr,
		 uint64_t *n_published = nullptr)
{
	static uint16_t ports[kLookupPorts];
	unsigned off = 0;
	uint64_t found = 0, before = 0;

	lookup_ports(ports);
	/* Online QSBR reader from here: grace periods wait for us. */
	rcu_register_thread();
	if (published != nullptr)
		before = published->load(std::memory_order_relaxed);
	for (auto _ : state) {
		/* Once per burst, like the worker; valid until the quiescent state. */
		const tern_handler_table *t = rcu_dereference(*slot);

		found += lookup_burst(t, ports + off);
		off = (off + kBurst) % kLookupPorts;
		rcu_quiescent_state();
	}
	if (published != nullptr)
		*n_published = published->load(std::memory_order_relaxed) - before;
	/* Offline and gone: the writer's grace periods no longer wait for us. */
	rcu_unregister_thread();
	return found;
}

/* The same reader loop with nobody publishing: the QSBR bookkeeping alone. */
void
BM_HandlerLookupQsbr(benchmark::State &state)
{
	tern_handler_table *t = populated_table();

	if (t == nullptr) {
		state.SkipWithError("cannot build the handler table");
		return;
	}
	if (qsbr_reader_loop(state, &t) == 0 && state.iterations() != 0)
		state.SkipWithError("no lookup found a handler");
	free(t);
	report_packets(state, kBurst);
}
BENCHMARK(BM_HandlerLookupQsbr);

BENCHMARK_DEFINE_F(PublishFixture, BM_HandlerLookupWhilePublishing)(benchmark::State &state)
{
	uint64_t n = 0;

	if (!setup_ok) {
		state.SkipWithError("cannot build the handler table");
		return;
	}
	if (qsbr_reader_loop(state, &slot, &published, &n) == 0 && state.iterations() != 0)
		state.SkipWithError("no lookup found a handler");
	report_packets(state, kBurst);
	/* Tables the writer published while this thread was a reader. */
	state.counters["tables_published"] = static_cast<double>(n);
	state.counters["tables_per_second"] = benchmark::Counter(
		static_cast<double>(n), benchmark::Counter::kIsRate);
}
BENCHMARK_REGISTER_F(PublishFixture, BM_HandlerLookupWhilePublishing)
	->Name("BM_HandlerLookupWhilePublishing");

/* ---- the whole pipeline ------------------------------------------------------ */

enum DispatchTarget { kInproc, kResponder, kAllocCopyOnly, kNoHandler, kInprocDrop };

/* The UDP port a target's requests go to. */
uint16_t
target_port(DispatchTarget target)
{
	switch (target) {
	case kResponder:
		return kEchoPort;
	case kNoHandler:
		return kUnboundPort;
	case kInprocDrop:
		return kInprocDropPort;
	default:
		return kInprocPort;
	}
}

/* Allocate a burst from the engine's pool and copy the request bytes in:
 * what a NIC's RX would have done, and the cost BM_AllocCopyOnly measures. */
inline bool
fill_burst(rte_mbuf **m, const Frame *f)
{
	if (rte_pktmbuf_alloc_bulk(g.eng.pool, m, kBurst) != 0)
		return false;
	for (unsigned i = 0; i < kBurst; i++) {
		char *d = rte_pktmbuf_append(m[i], f[i].len);

		rte_memcpy(d, f[i].b, f[i].len);
	}
	return true;
}

/*
 * One iteration: allocate and fill 32 mbufs with UDP echo requests,
 * tern_worker_handle_burst (parse, checks, checksum verification, dispatch
 * to the app, reply headers and checksums, TX to net_ring0), then take the
 * replies back from the ring's RX and free them. BM_AllocCopyOnly does the
 * allocation, copy and free alone: subtract it to get the engine's share.
 * The stages, by difference: no_handler stops after every check (the
 * request is dropped as drop_no_handler), inproc_drop adds dispatch to an
 * app that drops it, inproc_echo adds building and sending the reply.
 */
void
run_dispatch(benchmark::State &state, DispatchTarget target)
{
	static Frame f[kBurst];
	rte_mbuf *m[kBurst], *r[2 * kBurst];
	uint64_t replies = 0, want = 0;
	bool alloc_failed = false;

	if (!g.engine_up) {
		state.SkipWithError(g.engine_error.c_str());
		return;
	}
	const bool replies_due = target == kInproc || target == kResponder;

	for (unsigned i = 0; i < kBurst; i++)
		build_frame(&f[i], kIpv4Udp, g.eng.ports[g.port].mac, target_port(target));
	for (auto _ : state) {
		if (!fill_burst(m, f)) {
			alloc_failed = true;
			break;
		}
		if (target == kAllocCopyOnly) {
			rte_pktmbuf_free_bulk(m, kBurst);
			continue;
		}
		tern_worker_handle_burst(&g.eng.workers[0], g.port, m, kBurst);
		want += replies_due ? kBurst : 0;
		uint16_t n = rte_eth_rx_burst(g.port, 0, r, RTE_DIM(r));
		replies += n;
		rte_pktmbuf_free_bulk(r, n);
	}
	if (alloc_failed)
		state.SkipWithError("mbuf pool empty: mbufs leak");
	else if (replies != want)
		state.SkipWithError(replies_due ? "not every request got its reply" :
						  "a request that must be dropped was answered");
	else if (tern_engine_mbufs_in_use(&g.eng) != g.mbufs_baseline)
		state.SkipWithError("mbufs in use after the run differ from before");
	report_packets(state, kBurst);
}

void
BM_DispatchBurst(benchmark::State &state, DispatchTarget target)
{
	run_dispatch(state, target);
}
BENCHMARK_CAPTURE(BM_DispatchBurst, no_handler, kNoHandler);
BENCHMARK_CAPTURE(BM_DispatchBurst, inproc_drop, kInprocDrop);
BENCHMARK_CAPTURE(BM_DispatchBurst, inproc_echo, kInproc);
BENCHMARK_CAPTURE(BM_DispatchBurst, udp_responder_echo, kResponder);

/* The baseline to subtract from BM_DispatchBurst: mbuf alloc, copy, free. */
void
BM_AllocCopyOnly(benchmark::State &state)
{
	run_dispatch(state, kAllocCopyOnly);
}
BENCHMARK(BM_AllocCopyOnly);

/* ---- sockperf, checksums, histograms ------------------------------------------------ */

/* A 64-byte sockperf ping-pong request (client | pong request). */
void
sockperf_request(uint8_t *m, uint64_t seq, uint32_t len)
{
	uint16_t flags = SOCKPERF_FLAG_CLIENT | SOCKPERF_FLAG_PONG_REQUEST;

	for (int i = 0; i < 8; i++)
		m[i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
	m[8] = static_cast<uint8_t>(flags >> 8);
	m[9] = static_cast<uint8_t>(flags);
	for (int i = 0; i < 4; i++)
		m[10 + i] = static_cast<uint8_t>(len >> (24 - 8 * i));
	memset(m + SOCKPERF_HDR_LEN, 0xa5, len - SOCKPERF_HDR_LEN);
}

void
BM_SockperfReply(benchmark::State &state)
{
	constexpr uint32_t kMsg = 64;
	static uint8_t msg[kBurst][kMsg];
	uint64_t replies = 0;

	for (unsigned i = 0; i < kBurst; i++)
		sockperf_request(msg[i], i, kMsg);
	for (auto _ : state) {
		/* The answer clears the client flag in place; the next answer to
		 * the same (still pong-request) message takes the same path. */
		for (unsigned i = 0; i < kBurst; i++)
			replies += sockperf_answer(msg[i], kMsg) == SOCKPERF_REPLY;
		benchmark::ClobberMemory();
	}
	if (replies != packets(state, kBurst))
		state.SkipWithError("a sockperf request got no reply");
	report_packets(state, kBurst);
}
BENCHMARK(BM_SockperfReply);

/* Per packet: the IPv4 header checksum and the UDP checksum (pseudo-header
 * included) over state.range(0) payload bytes, as a reply needs. */
void
BM_Checksum(benchmark::State &state)
{
	const uint16_t payload = static_cast<uint16_t>(state.range(0));
	static Frame f[kBurst];
	uint32_t sum = 0;

	for (unsigned i = 0; i < kBurst; i++) {
		put_eth(&f[i], kPeerMac, RTE_ETHER_TYPE_IPV4);
		put_udp4(&f[i], static_cast<uint16_t>(40000 + i), 7, payload);
	}
	for (auto _ : state) {
		for (unsigned i = 0; i < kBurst; i++) {
			auto *ip = reinterpret_cast<rte_ipv4_hdr *>(f[i].b + sizeof(rte_ether_hdr));
			auto *udp = reinterpret_cast<rte_udp_hdr *>(ip + 1);

			ip->hdr_checksum = 0;
			ip->hdr_checksum = tern_cksum_ipv4_hdr(ip, sizeof(*ip));
			udp->dgram_cksum = 0;
			udp->dgram_cksum = tern_cksum_l4_v4(
				reinterpret_cast<uint8_t *>(&ip->src_addr),
				reinterpret_cast<uint8_t *>(&ip->dst_addr), IPPROTO_UDP,
				udp, static_cast<uint16_t>(sizeof(*udp) + payload));
			sum += udp->dgram_cksum;
		}
		benchmark::ClobberMemory();
	}
	benchmark::DoNotOptimize(sum);
	/* The result must still verify: the benchmark computed real sums. */
	{
		auto *ip = reinterpret_cast<rte_ipv4_hdr *>(f[0].b + sizeof(rte_ether_hdr));

		if (!tern_cksum_ipv4_hdr_ok(ip, sizeof(*ip)) ||
		    !tern_cksum_l4_v4_ok(reinterpret_cast<uint8_t *>(&ip->src_addr),
					 reinterpret_cast<uint8_t *>(&ip->dst_addr),
					 IPPROTO_UDP, ip + 1,
					 static_cast<uint16_t>(sizeof(rte_udp_hdr) + payload)))
			state.SkipWithError("computed checksums do not verify");
	}
	state.SetBytesProcessed(state.iterations() * kBurst * (sizeof(rte_ipv4_hdr) +
								sizeof(rte_udp_hdr) + payload));
	report_packets(state, kBurst);
}
BENCHMARK(BM_Checksum)->ArgName("payload")->Arg(64)->Arg(512)->Arg(1472);

/* tern_hist_add of latency-like values: log-uniform over 2^4..2^24 cycles. */
void
BM_HistRecord(benchmark::State &state)
{
	constexpr unsigned kValues = 4096;
	static uint64_t v[kValues];
	static tern_hist h;
	uint64_t s = 0x2545f4914f6cdd1dull;
	unsigned off = 0;

	for (unsigned i = 0; i < kValues; i++) {
		uint64_t r = xorshift(&s);
		unsigned bits = 4 + r % 21;

		v[i] = (1ull << bits) | ((r >> 8) & ((1ull << bits) - 1));
	}
	memset(&h, 0, sizeof(h));
	for (auto _ : state) {
		for (unsigned i = 0; i < kBurst; i++)
			tern_hist_add(&h, v[off + i], 1);
		off = (off + kBurst) % kValues;
	}
	if (h.n != packets(state, kBurst))
		state.SkipWithError("histogram count does not match the values recorded");
	report_packets(state, kBurst);
}
BENCHMARK(BM_HistRecord);

/* ---- main --------------------------------------------------------------------- */

int
eal_start(const char *argv0)
{
	static char prefix[64];
	snprintf(prefix, sizeof(prefix), "bench-%d", getpid());
	const char *args[] = { argv0, "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
			       "--vdev", "net_ring0", "--no-shconf", "--file-prefix", prefix,
			       "--log-level", "error" };
	char *eal[RTE_DIM(args)];

	for (unsigned i = 0; i < RTE_DIM(args); i++)
		eal[i] = const_cast<char *>(args[i]);
	if (rte_eal_init(static_cast<int>(RTE_DIM(eal)), eal) < 0) {
		fprintf(stderr, "bench_fastpath: EAL start failed (%s); the dispatch "
			"benchmarks will report an error\n", rte_strerror(rte_errno));
		return -1;
	}
	g.eal_up = true;
	return 0;
}

} /* namespace */

int
main(int argc, char **argv)
{
	char runtime_dir[PATH_MAX] = "";
	int saved_stdout, ret = 0;

	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	/* The engine and apps report on stdout (port set-up, app goodbyes):
	 * send that to stderr, and keep stdout for the benchmark's output
	 * (JSON with --benchmark_format=json). */
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	dup2(STDERR_FILENO, STDOUT_FILENO);
	if (eal_start(argv[0]) == 0 && engine_setup() < 0)
		fprintf(stderr, "bench_fastpath: %s\n", g.engine_error.c_str());
	fflush(stdout);
	if (saved_stdout >= 0) {
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
	}
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();

	fflush(stdout);
	dup2(STDERR_FILENO, STDOUT_FILENO);
	if (g.engine_up && tern_engine_mbufs_in_use(&g.eng) != g.mbufs_baseline) {
		fprintf(stderr, "bench_fastpath: mbufs leaked\n");
		ret = 1;
	}
	if (g.engine_inited)
		tern_engine_close(&g.eng);
	if (g.eal_up) {
		snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		if (eal_runtime_dir_remove(runtime_dir) < 0 && errno != ENOENT) {
			fprintf(stderr, "bench_fastpath: cannot remove %s: %s\n",
				runtime_dir, strerror(errno));
			ret = 1;
		}
	}
	return ret;
}
