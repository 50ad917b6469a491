/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-bench: a DPDK UDP request-reply load generator reporting through
 * Google Benchmark. See bench/loadgen/README.md for the options and the
 * method. The datapath is C (loadgen.c, packet.c); this file parses the
 * command line, registers one benchmark per configuration and turns each
 * run's lg_result into counters.
 */
#include <arpa/inet.h>
#include <getopt.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "loadgen.h"

namespace {

struct options {
	lg_flow_cfg flow{};
	lg_run_cfg run{};
	bool have_dst_mac = false;
	bool have_dport = false;
	bool have_mode = false;
	bool have_rate = false;
	std::vector<double> sweep;
	std::string label;
	uint32_t linger_ms = 0;
};

lg_port g_port{};
uint32_t g_run_id;

void
usage()
{
	std::fprintf(stderr,
		"usage: tern-bench [EAL options] -- --src-ip A --dst-ip B [--dst-mac MAC]\n"
		"       [--dport P] [--size BYTES] [--flows N] [--sport-base P]\n"
		"       [--mode closed|open] [--outstanding N] [--rate PPS]\n"
		"       [--arrival const|poisson] [--sweep PPS1,PPS2,...]\n"
		"       [--duration S] [--warmup S] [--timeout-ms MS] [--label TEXT]\n"
		"       [--no-payload-check] [--linger-ms MS]\n"
		"       [--proto stamp|memcached-get] [--keys N] [--benchmark_* flags]\n");
}

int
parse_u32(const char *s, unsigned long min, unsigned long max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = std::strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = std::strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !(v >= min && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

int
parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

int
parse_sweep(const char *s, std::vector<double> *rates)
{
	std::string list(s);
	size_t pos = 0;

	while (pos <= list.size()) {
		size_t comma = list.find(',', pos);
		std::string item = list.substr(pos, comma == std::string::npos ?
					       std::string::npos : comma - pos);
		double r;

		if (parse_double(item.c_str(), 1, 1e9, &r) != 0)
			return -EINVAL;
		rates->push_back(r);
		if (comma == std::string::npos)
			break;
		pos = comma + 1;
	}
	return rates->empty() ? -EINVAL : 0;
}

int
parse_mode(const char *s, options *o)
{
	o->have_mode = true;
	if (std::strcmp(s, "closed") == 0)
		o->run.mode = LG_CLOSED;
	else if (std::strcmp(s, "open") == 0)
		o->run.mode = LG_OPEN;
	else
		return -EINVAL;
	return 0;
}

int
parse_arrival(const char *s, options *o)
{
	if (std::strcmp(s, "const") == 0)
		o->run.arrival = LG_CONST;
	else if (std::strcmp(s, "poisson") == 0)
		o->run.arrival = LG_POISSON;
	else
		return -EINVAL;
	return 0;
}

enum opt_id {
	OPT_SRC_IP = 256, OPT_DST_IP, OPT_DST_MAC, OPT_DPORT, OPT_SIZE, OPT_FLOWS,
	OPT_SPORT_BASE, OPT_MODE, OPT_OUTSTANDING, OPT_RATE, OPT_ARRIVAL, OPT_SWEEP,
	OPT_DURATION, OPT_WARMUP, OPT_TIMEOUT, OPT_LABEL, OPT_NO_PAYLOAD, OPT_LINGER,
	OPT_PROTO, OPT_KEYS,
};

int
parse_proto(const char *s, options *o)
{
	if (std::strcmp(s, "stamp") == 0)
		o->flow.proto = LG_PROTO_STAMP;
	else if (std::strcmp(s, "memcached-get") == 0)
		o->flow.proto = LG_PROTO_MC_GET;
	else
		return -EINVAL;
	return 0;
}

int
parse_opt(options *o, int opt, const char *arg)
{
	uint32_t v = 0;
	int rc;

	switch (opt) {
	case OPT_SRC_IP: return parse_ip(arg, &o->flow.src_ip);
	case OPT_DST_IP: return parse_ip(arg, &o->flow.dst_ip);
	case OPT_DST_MAC:
		o->have_dst_mac = true;
		return rte_ether_unformat_addr(arg, &o->flow.dst_mac) == 0 ? 0 : -EINVAL;
	case OPT_DPORT:
		o->have_dport = true;
		rc = parse_u32(arg, 1, 65535, &v);
		o->flow.dport = (uint16_t)v;
		return rc;
	case OPT_SIZE: /* the range depends on --proto: check_options */
		rc = parse_u32(arg, 1, LG_MAX_SIZE, &v);
		o->flow.size = (uint16_t)v;
		return rc;
	case OPT_FLOWS:
		rc = parse_u32(arg, 1, 65535, &v);
		o->flow.flows = (uint16_t)v;
		return rc;
	case OPT_SPORT_BASE:
		rc = parse_u32(arg, 1, 65535, &v);
		o->flow.sport_base = (uint16_t)v;
		return rc;
	case OPT_MODE: return parse_mode(arg, o);
	case OPT_OUTSTANDING: return parse_u32(arg, 1, 8192, &o->run.outstanding);
	case OPT_RATE:
		o->have_rate = true;
		return parse_double(arg, 1, 1e9, &o->run.rate);
	case OPT_ARRIVAL: return parse_arrival(arg, o);
	case OPT_SWEEP: return parse_sweep(arg, &o->sweep);
	case OPT_DURATION: return parse_double(arg, 0.001, 3600, &o->run.duration_s);
	case OPT_WARMUP: return parse_double(arg, 0, 3600, &o->run.warmup_s);
	case OPT_TIMEOUT: return parse_u32(arg, 1, 60000, &o->run.timeout_ms);
	case OPT_LABEL:
		o->label = arg;
		return 0;
	case OPT_NO_PAYLOAD:
		o->flow.check_payload = false;
		return 0;
	case OPT_LINGER: return parse_u32(arg, 0, 3600000, &o->linger_ms);
	case OPT_PROTO: return parse_proto(arg, o);
	case OPT_KEYS: return parse_u32(arg, 1, LG_MC_MAX_KEYS, &o->flow.keys);
	default: return -EINVAL;
	}
}

/* --size's range and --dport's default follow --proto. */
int
check_proto(options *o)
{
	if (o->flow.proto == LG_PROTO_MC_GET) {
		if (o->flow.size > LG_MC_MAX_VALUE) {
			std::fprintf(stderr, "tern-bench: error: memcached-get: --size (the value) "
				     "is 1 to %u bytes\n", LG_MC_MAX_VALUE);
			return -EINVAL;
		}
		if (!o->have_dport)
			o->flow.dport = 11211;
		return 0;
	}
	if (o->flow.size < LG_MIN_SIZE) {
		std::fprintf(stderr, "tern-bench: error: --size is %u to %u bytes\n",
			     (unsigned)LG_MIN_SIZE, LG_MAX_SIZE);
		return -EINVAL;
	}
	return 0;
}

/* Checks that need several options together. */
int
check_options(options *o)
{
	if (o->flow.src_ip == 0 || o->flow.dst_ip == 0) {
		std::fprintf(stderr, "tern-bench: error: --src-ip and --dst-ip are required\n");
		return -EINVAL;
	}
	if (!o->sweep.empty()) {
		if (o->have_mode && o->run.mode != LG_OPEN) {
			std::fprintf(stderr, "tern-bench: error: --sweep is open loop only\n");
			return -EINVAL;
		}
		o->run.mode = LG_OPEN;
	} else if (o->have_rate && !o->have_mode) {
		o->run.mode = LG_OPEN;
	}
	if (o->run.mode == LG_OPEN && o->sweep.empty() && !o->have_rate) {
		std::fprintf(stderr, "tern-bench: error: --mode open needs --rate (or --sweep)\n");
		return -EINVAL;
	}
	if ((uint32_t)o->flow.sport_base + o->flow.flows > 65536u) {
		std::fprintf(stderr, "tern-bench: error: --sport-base + --flows passes port 65535\n");
		return -EINVAL;
	}
	return check_proto(o);
}

int
parse_args(options *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "src-ip", required_argument, nullptr, OPT_SRC_IP },
		{ "dst-ip", required_argument, nullptr, OPT_DST_IP },
		{ "dst-mac", required_argument, nullptr, OPT_DST_MAC },
		{ "dport", required_argument, nullptr, OPT_DPORT },
		{ "size", required_argument, nullptr, OPT_SIZE },
		{ "flows", required_argument, nullptr, OPT_FLOWS },
		{ "sport-base", required_argument, nullptr, OPT_SPORT_BASE },
		{ "mode", required_argument, nullptr, OPT_MODE },
		{ "outstanding", required_argument, nullptr, OPT_OUTSTANDING },
		{ "rate", required_argument, nullptr, OPT_RATE },
		{ "arrival", required_argument, nullptr, OPT_ARRIVAL },
		{ "sweep", required_argument, nullptr, OPT_SWEEP },
		{ "duration", required_argument, nullptr, OPT_DURATION },
		{ "warmup", required_argument, nullptr, OPT_WARMUP },
		{ "timeout-ms", required_argument, nullptr, OPT_TIMEOUT },
		{ "label", required_argument, nullptr, OPT_LABEL },
		{ "no-payload-check", no_argument, nullptr, OPT_NO_PAYLOAD },
		{ "linger-ms", required_argument, nullptr, OPT_LINGER },
		{ "proto", required_argument, nullptr, OPT_PROTO },
		{ "keys", required_argument, nullptr, OPT_KEYS },
		{ nullptr, 0, nullptr, 0 },
	};
	int opt;

	o->flow.dport = 7;
	o->flow.size = 64;
	o->flow.flows = 1;
	o->flow.sport_base = 40000;
	o->flow.check_payload = true;
	o->flow.proto = LG_PROTO_STAMP;
	o->flow.keys = 1000;
	o->run.mode = LG_CLOSED;
	o->run.arrival = LG_POISSON;
	o->run.outstanding = 32;
	o->run.duration_s = 5;
	o->run.warmup_s = 1;
	o->run.timeout_ms = 100;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
		if (opt == '?' || parse_opt(o, opt, optarg) != 0) {
			std::fprintf(stderr, "tern-bench: error: bad option or value: %s\n",
				     argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		std::fprintf(stderr, "tern-bench: error: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	return check_options(o);
}

/* ---- benchmarks ---- */

double
cycles_to_us(uint64_t cycles, uint64_t hz)
{
	return (double)tern_hist_cycles_to_ns(cycles, hz) / 1000.0;
}

void
set_counters(benchmark::State &state, const lg_run_cfg &c, const lg_result &r)
{
	tern_hist_summary s{};
	uint64_t replies = r.on_time + r.late;
	double d = r.duration_s;
	auto &k = state.counters;

	tern_hist_summarize(&r.hist, &s);
	k["offered_pps"] = (double)r.scheduled / d;
	k["achieved_pps"] = (double)replies / d;
	k["Mpps"] = (double)replies / d / 1e6;
	k["rate"] = c.mode == LG_OPEN ? c.rate : 0;
	k["outstanding"] = c.mode == LG_CLOSED ? c.outstanding : 0;
	k["sent"] = (double)r.sent;
	k["received"] = (double)r.on_time;
	k["late"] = (double)r.late;
	k["lost"] = (double)r.lost;
	k["unsent"] = (double)r.unsent;
	k["dup"] = (double)r.dup;
	k["invalid"] = (double)r.invalid;
	k["stale"] = (double)r.stale;
	k["warmup_sent"] = (double)r.warmup_sent;
	k["warmup_replies"] = (double)r.warmup_replies;
	k["tx_full"] = (double)r.tx_fail;
	k["loss_ratio"] = r.sent ? (double)r.lost / (double)r.sent : 0;
	k["gen_lag_us"] = cycles_to_us(r.gen_lag_cycles, r.tsc_hz);
	k["mean_us"] = replies ? cycles_to_us(r.lat_sum_cycles / replies, r.tsc_hz) : 0;
	k["p50_us"] = cycles_to_us(s.p50, r.tsc_hz);
	k["p90_us"] = cycles_to_us(s.p90, r.tsc_hz);
	k["p99_us"] = cycles_to_us(s.p99, r.tsc_hz);
	k["p999_us"] = cycles_to_us(s.p999, r.tsc_hz);
	k["p9999_us"] = cycles_to_us(s.p9999, r.tsc_hz);
	k["max_us"] = cycles_to_us(s.max, r.tsc_hz);
}

void
warn_if_suspect(const lg_run_cfg &c, const lg_result &r)
{
	uint64_t timeout = r.tsc_hz / 1000 * c.timeout_ms;

	if (r.unsent != 0 || r.gen_lag_cycles > timeout)
		std::fprintf(stderr, "tern-bench: warning: the generator fell behind its schedule "
			     "(unsent=%" PRIu64 ", gen_lag=%.1f us): the offered rate was not "
			     "met; latencies include the lag\n", r.unsent,
			     cycles_to_us(r.gen_lag_cycles, r.tsc_hz));
}

void
run_bench(benchmark::State &state, lg_tmpl *t, lg_run_cfg c)
{
	static lg_result r;	/* the histogram is large: not on the stack */

	for (auto _ : state) {
		int rc = lg_run(&g_port, t, &c, ++g_run_id, &r);

		if (rc != 0) {
			state.SkipWithError("run failed (see stderr)");
			break;
		}
		state.SetIterationTime(r.duration_s);
	}
	if (state.error_occurred())
		return;
	warn_if_suspect(c, r);
	set_counters(state, c, r);
}

std::string
bench_name(const lg_run_cfg &c, const lg_flow_cfg &f)
{
	char buf[160], proto[48] = "";

	if (f.proto == LG_PROTO_MC_GET)
		std::snprintf(proto, sizeof(proto), "/memcached-get/keys:%u", f.keys);
	if (c.mode == LG_OPEN)
		std::snprintf(buf, sizeof(buf), "tern_bench/open/%s/rate:%.0f%s/size:%u",
			      c.arrival == LG_CONST ? "const" : "poisson", c.rate, proto, f.size);
	else
		std::snprintf(buf, sizeof(buf), "tern_bench/closed/outstanding:%u%s/size:%u",
			      c.outstanding, proto, f.size);
	return buf;
}

std::string
bench_label(const options &o, const lg_run_cfg &c)
{
	std::string l = o.label.empty() ? "" : o.label + "; ";

	if (c.mode == LG_OPEN)
		return l + "open loop, latency from the intended send time";
	return l + "closed loop, latency from the actual send time";
}

void
register_benchmarks(const options &o, lg_tmpl *t)
{
	std::vector<lg_run_cfg> runs;

	if (o.sweep.empty()) {
		runs.push_back(o.run);
	} else {
		for (double rate : o.sweep) {
			lg_run_cfg c = o.run;

			c.rate = rate;
			runs.push_back(c);
		}
	}
	for (const lg_run_cfg &c : runs) {
		std::string label = bench_label(o, c);

		benchmark::RegisterBenchmark(bench_name(c, o.flow).c_str(),
			[t, c, label](benchmark::State &st) {
				run_bench(st, t, c);
				st.SetLabel(label);
			})
			->Iterations(1)
			->UseManualTime()
			->Unit(benchmark::kMillisecond);
	}
}

int
setup(options *o, lg_tmpl *t)
{
	int rc = lg_port_init(&g_port);

	if (rc != 0)
		return rc;
	o->flow.src_mac = g_port.mac;
	if (!o->have_dst_mac) {
		rc = lg_arp_resolve(&g_port, o->flow.src_ip, o->flow.dst_ip, 3000,
				    &o->flow.dst_mac);
		if (rc != 0)
			return rc;
	}
	rc = lg_tmpl_init(t, &o->flow);
	if (rc != 0) {
		std::fprintf(stderr, "tern-bench: error: bad --size, --flows or --keys\n");
		return rc;
	}
	if (o->flow.proto == LG_PROTO_MC_GET)
		rc = lg_mc_preload(&g_port, t, 500);
	return rc;
}

} /* namespace */

int
main(int argc, char **argv)
{
	static lg_tmpl tmpl;
	options o;
	int ret, rc;

	/* Keep stdout for the benchmark report (JSON must parse): logs to stderr. */
	rte_openlog_stream(stderr);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		std::fprintf(stderr, "tern-bench: error: EAL init failed: %s\n",
			     rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)"tern-bench";
	benchmark::Initialize(&argc, argv);
	if (parse_args(&o, argc, argv) != 0) {
		usage();
		rte_eal_cleanup();
		return 1;
	}
	rc = setup(&o, &tmpl);
	if (rc == 0) {
		register_benchmarks(o, &tmpl);
		benchmark::RunSpecifiedBenchmarks();
		benchmark::Shutdown();
	}
	if (o.linger_ms != 0) {
		std::fprintf(stderr, "tern-bench: done\n");
		std::fflush(stderr);
		lg_linger(&g_port, o.linger_ms);
	}
	if (g_port.pool != nullptr)
		lg_port_close(&g_port);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
