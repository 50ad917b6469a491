/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command language without a running engine: tokenizing, comments,
 * syntax errors (which fail before the engine is called), the show views on
 * a hand-built engine (fake ports, workers, apps, tables; no DPDK), JSON
 * validity, the output buffer, and exec files. Last, EAL is started (no
 * hugepages, no devices) so show latency can convert TSC cycles to ns.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_version.h>

#include "check.h"
#include "command.h"
#include "eal_runtime.h"
#include "worker.h"

static struct tern_engine eng; /* zero: no ports, no workers, no tables */

/* Run line, expecting rc; on error the message must contain want. */
static void
exec_expect(const char *line, int rc, const char *want)
{
	struct tern_err err = { "" };
	struct tern_out out;
	int got;

	tern_out_init(&out);
	got = tern_cmd_exec(&eng, line, &out, &err);
	if (got != rc || (want != NULL && strstr(err.msg, want) == NULL))
		fprintf(stderr, "'%.60s': rc %d (want %d), msg '%s' (want '%s')\n",
			line, got, rc, err.msg, want != NULL ? want : "");
	CHECK_EQ(got, rc);
	CHECK(want == NULL || strstr(err.msg, want) != NULL);
	tern_out_free(&out);
}

/* Run line, expecting success and output exactly want. */
static void
exec_out(const char *line, const char *want)
{
	struct tern_err err = { "" };
	struct tern_out out;
	int rc;

	tern_out_init(&out);
	rc = tern_cmd_exec(&eng, line, &out, &err);
	if (rc != 0 || strcmp(out.buf != NULL ? out.buf : "", want) != 0)
		fprintf(stderr, "'%s': rc %d (%s)\n got: '%s'\nwant: '%s'\n", line, rc,
			err.msg, out.buf != NULL ? out.buf : "", want);
	CHECK_EQ(rc, 0);
	CHECK(strcmp(out.buf != NULL ? out.buf : "", want) == 0);
	tern_out_free(&out);
}

/* ------------------------------------------- a small strict JSON checker */

static const char *json_value(const char *p);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *
json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF", p[i]) == NULL || p[i] == 0)
						return NULL;
				p += 4;
			} else if (*p == '\0' || strchr("\"\\/bfnrt", *p) == NULL) {
				return NULL;
			}
		}
	}
	return p + 1;
}

/* A list of items (values, or "key":value when keyed) up to close. */
static const char *
json_seq(const char *p, char close, int keyed)
{
	p = json_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keyed) {
			p = json_string(json_ws(p));
			if (p == NULL || *(p = json_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(p);
		if (p == NULL)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *
json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{')
		return json_seq(p + 1, '}', 1);
	if (*p == '[')
		return json_seq(p + 1, ']', 0);
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (*p >= '0' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
		return p;
	}
	return NULL;
}

static int
json_valid(const char *s)
{
	const char *end = json_value(s);

	return end != NULL && *json_ws(end) == '\0';
}

/* Run a show ... json, expecting valid JSON containing want. */
static void
exec_json(const char *line, const char *want)
{
	struct tern_err err = { "" };
	struct tern_out out;
	int rc;

	tern_out_init(&out);
	rc = tern_cmd_exec(&eng, line, &out, &err);
	CHECK_EQ(rc, 0);
	CHECK(out.buf != NULL);
	if (out.buf == NULL)
		return;
	if (!json_valid(out.buf) || strstr(out.buf, want) == NULL)
		fprintf(stderr, "'%s': got '%s', want valid JSON with '%s'\n",
			line, out.buf, want);
	CHECK(json_valid(out.buf));
	CHECK(strstr(out.buf, want) != NULL);
	tern_out_free(&out);
}

/* ------------------------------------------------------------------ tests */

static void
test_json_checker(void)
{
	CHECK(json_valid("{\"a\":[1,2,{\"b\":\"x\\\"y\"}],\"c\":{}}\n"));
	CHECK(!json_valid("{\"a\":1,}"));
	CHECK(!json_valid("[1 2]"));
	CHECK(!json_valid("{\"a\":\"x\ny\"}"));
	CHECK(!json_valid("{\"a\":1}}"));
}

static void
test_out(void)
{
	struct tern_out o;
	char big[3000];

	tern_out_init(&o);
	CHECK(o.buf == NULL);
	tern_out_printf(&o, "%s", "");
	tern_out_printf(&o, "a%d", 1);
	CHECK(o.buf != NULL && strcmp(o.buf, "a1") == 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 10; i++)
		tern_out_printf(&o, "%s", big);
	tern_out_printf(&o, "|end");
	CHECK_EQ(o.len, 2 + 10 * (sizeof(big) - 1) + 4);
	CHECK_EQ(strlen(o.buf), o.len);
	CHECK(strcmp(o.buf + o.len - 4, "|end") == 0);
	CHECK(o.buf[2] == 'x' && o.buf[o.len - 5] == 'x');
	CHECK(!o.oom);
	tern_out_free(&o);
	CHECK(o.buf == NULL && o.len == 0);
}

static void
test_blank_and_comments(void)
{
	exec_out("", "");
	exec_out("   \t  ", "");
	exec_out("# a comment", "");
	exec_out("   #bind udp 70000 x", "");
	/* '#' later on the line is a word, not a comment */
	exec_expect("unbind udp 7 #no", -E2BIG, "too many arguments");
}

static void
test_unknown(void)
{
	/* every verb once, in the fixed order of help and docs/commands.md */
	exec_expect("foo", -EINVAL,
		    "unknown command 'foo'; commands: help, app load, app replace, app unload, "
		    "app budget, event post, bind, rebind, unbind, canary udp, canary promote, "
		    "canary abort, ip add, trust add, trust del, trust local, show, clear stats, "
		    "clear latency");
	exec_expect("app foo x", -EINVAL, "unknown command 'app foo'");
	exec_expect("app", -EINVAL, "unknown command 'app'");
	exec_expect("ip del 1.2.3.4", -EINVAL, "unknown command 'ip del'");
	exec_expect("BIND udp 7 x", -EINVAL, "unknown command 'BIND'");
}

/* help: every command's usage, one a line, in a fixed order. */
static void
test_help(void)
{
	exec_out("help",
		 "help\n"
		 "app load NAME PATH [key=value ...]\n"
		 "app replace NAME PATH [handoff=exact|snapshot] [key=value ...]\n"
		 "app unload NAME\n"
		 "app budget NAME N\n"
		 "event post NAME TEXT...\n"
		 "bind udp PORT NAME\n"
		 "rebind udp PORT NAME\n"
		 "unbind udp PORT\n"
		 "canary udp PORT NAME PERCENT [max_drop_ratio=X] [max_p99_ratio=Y] "
		 "[window_ms=N] [min_requests=N]\n"
		 "canary promote udp PORT\n"
		 "canary abort udp PORT\n"
		 "ip add ADDR/PREFIX [port N]\n"
		 "trust add PREFIX\n"
		 "trust del PREFIX\n"
		 "trust local on|off\n"
		 "show latency [apps|interval] [json]\n"
		 "show flow SRC DST SPORT DPORT [udp|tcp] [json]\n"
		 "show metrics\n"
		 "show stats|apps|bindings|ports|lcores|events|canary|memory|trust|version [json] "
		 "(and show latency, show flow, show metrics)\n"
		 "clear stats\n"
		 "clear latency\n");
	exec_expect("help bind", -E2BIG, "help: too many arguments (at most 0; from 'bind')");
}

/* show version: tern's version, the app ABI, DPDK's version. */
static void
test_show_version(void)
{
	char want[128];

	snprintf(want, sizeof(want), "tern version=%s app_abi=%u dpdk=%s\n", TERN_VERSION,
		 TERN_APP_ABI_VERSION, rte_version() + strlen("DPDK "));
	exec_out("show version", want);
	snprintf(want, sizeof(want), "{\"version\":\"%s\",\"app_abi\":%u,\"dpdk\":\"%s\"}",
		 TERN_VERSION, TERN_APP_ABI_VERSION, rte_version() + strlen("DPDK "));
	exec_json("show version json", want);
}

static void
test_lengths(void)
{
	char line[TERN_CMD_LINE_MAX + 2];
	char words[200] = "";

	memset(line, ' ', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	exec_expect(line, -E2BIG, "line too long (max 1024 bytes)");
	line[TERN_CMD_LINE_MAX] = '\0'; /* exactly the maximum: fine */
	exec_out(line, "");
	for (int i = 0; i < 70; i++)
		strcat(words, "w ");
	exec_expect(words, -E2BIG, "too many words on the line (max 64)");
	words[0] = '#';
	exec_out(words, ""); /* a long comment is still a comment */
	/* 17 key=value arguments: the command's own limit speaks first */
	exec_expect("app load x /p a=1 a=2 a=3 a=4 a=5 a=6 a=7 a=8 a=9 a=10 a=11 a=12 "
		    "a=13 a=14 a=15 a=16 a=17", -E2BIG,
		    "app load: too many arguments (at most 16 key=value; from 'a=17')");
	/* a NULL out is allowed: the answer is dropped */
	CHECK_EQ(tern_cmd_exec(&eng, "show apps", NULL, NULL), 0);
	CHECK_EQ(tern_cmd_exec(&eng, "show", NULL, NULL), -EINVAL);
}

static void
test_bind_errors(void)
{
	exec_expect("bind udp 70000 x", -EINVAL,
		    "bind: bad UDP port '70000' (expected 1-65535); usage: bind udp PORT NAME");
	exec_expect("bind udp 0 x", -EINVAL, "bad UDP port '0'");
	exec_expect("bind udp -1 x", -EINVAL, "bad UDP port '-1'");
	exec_expect("bind udp +7 x", -EINVAL, "bad UDP port '+7'");
	exec_expect("bind udp 7x x", -EINVAL, "bad UDP port '7x'");
	exec_expect("bind udp 0x10 x", -EINVAL, "bad UDP port '0x10'");
	exec_expect("bind udp 99999999999999999999999 x", -EINVAL, "bad UDP port");
	exec_expect("bind tcp 7 x", -EPROTONOSUPPORT, "bind: only udp is supported");
	exec_expect("bind", -EINVAL, "bind: missing arguments; usage: bind udp PORT NAME");
	exec_expect("bind udp 7", -EINVAL, "missing argument; usage: bind udp PORT NAME");
	exec_expect("bind udp 7 x y", -E2BIG, "bind: too many arguments (at most 3; from 'y')");
	exec_expect("unbind udp", -EINVAL, "unbind: missing argument; usage: unbind udp PORT");
	exec_expect("unbind sctp 7", -EPROTONOSUPPORT, "only udp is supported");
	exec_expect("unbind udp 65536", -EINVAL, "unbind: bad UDP port '65536'");
}

static void
test_app_ip_errors(void)
{
	exec_expect("app load x", -EINVAL,
		    "app load: missing argument; usage: app load NAME PATH [key=value ...]");
	exec_expect("app load x /nope.so mode=echo flag", -EINVAL,
		    "app load: bad argument 'flag' (expected key=value)");
	exec_expect("app load x /nope.so =v", -EINVAL, "bad argument '=v'");
	exec_expect("app replace x", -EINVAL,
		    "app replace: missing argument; usage: app replace NAME PATH "
		    "[handoff=exact|snapshot] [key=value ...]");
	exec_expect("app replace", -EINVAL, "app replace: missing arguments");
	exec_expect("app replace x /nope.so mode=echo flag", -EINVAL,
		    "app replace: bad argument 'flag' (expected key=value)");
	exec_expect("app replace x /nope.so =v", -EINVAL, "bad argument '=v'");
	exec_expect("app replace x /p a=1 a=2 a=3 a=4 a=5 a=6 a=7 a=8 a=9 a=10 a=11 a=12 "
		    "a=13 a=14 a=15 a=16 a=17", -E2BIG,
		    "app replace: too many arguments (at most 16 key=value; from 'a=17')");
	/* the syntax is right: the engine answers (nothing is loaded) */
	exec_expect("app replace x /nope.so mode=echo", -ENOENT,
		    "app replace: no app named 'x' is loaded");
	/* app budget N: the same strict decimal as every other number */
	exec_expect("app budget echo +5", -EINVAL, "app budget: bad budget '+5'");
	exec_expect("app budget echo -1", -EINVAL, "bad budget '-1'");
	exec_expect("app budget echo 0x10", -EINVAL, "bad budget '0x10'");
	exec_expect("app budget echo 4294967296", -EINVAL, "bad budget '4294967296'");
	exec_expect("app budget echo 5", -ENOENT, "app budget: no app named 'echo'");
	exec_expect("app unload", -EINVAL, "usage: app unload NAME");
	exec_expect("app unload a b", -E2BIG, "too many arguments");
	exec_expect("ip add", -EINVAL, "ip add: missing argument");
	exec_expect("ip add 198.18.0.1/24 port", -EINVAL, "'port' needs a value");
	exec_expect("ip add 198.18.0.1/24 prt 1", -EINVAL, "unexpected 'prt'");
	exec_expect("ip add 198.18.0.1/24@1 port 1", -EINVAL, "not both");
	exec_expect("ip add 198.18.0.1/24 port 99", -EINVAL, "bad port id '99'");
	exec_expect("ip add 300.1.1.1/24", -EINVAL, "usage: ip add ADDR/PREFIX [port N]");
	exec_expect("trust add", -EINVAL, "trust add: missing argument");
	exec_expect("trust add 198.18.0.1/15", -EINVAL,
		    "trust add: '198.18.0.1/15' has host bits set: did you mean 198.18.0.0/15?; "
		    "usage: trust add PREFIX");
	exec_expect("trust del 10.0.0.0/40", -EINVAL, "bad prefix length '40'");
	exec_expect("trust add 10.0.0.0/8 10.1.0.0/16", -E2BIG, "too many arguments");
	exec_expect("trust local maybe", -EINVAL, "expected 'on' or 'off', not 'maybe'");
	exec_expect("trust all", -EINVAL, "unknown command 'trust all'");
}

static void
test_show_empty(void)
{
	exec_out("show apps", "no apps loaded\n");
	exec_out("show bindings", "no bindings\n");
	exec_out("show ports", "no ports\n");
	exec_out("show lcores", "no worker lcores\n");
	exec_out("show apps json", "[]\n");
	exec_out("show bindings json", "[]\n");
	exec_out("show stats",
		 "total: rx=0 tx=0 drop_malformed=0 drop_not_for_us=0 drop_no_handler=0 "
		 "drop_bad_cksum=0 drop_tx_full=0 drop_unsupported=0 drop_app=0 "
		 "drop_bad_verdict=0 drop_backlog=0 drop_bus_full=0 drop_handoff=0 drop_amplification=0 drop_bad_source=0 drop_rate_limit=0 drop_too_big=0 consumed=0 tx_more=0 app_sent=0 more_refused=0\n"
		 "pool: size=0 in_use=0 min_available=0 exhaustions=0 exhausted_ms=0\n");
	exec_json("show stats json", "{\"ports\":[],\"lcores\":[],\"total\":{\"rx\":0,");
	exec_out("show latency",
		 "total: count=0 p50_cycles=0 p90_cycles=0 p99_cycles=0 p999_cycles=0 "
		 "p9999_cycles=0 max_cycles=0\n");
	exec_out("show latency json",
		 "{\"unit\":\"cycles\",\"lcores\":[],\"total\":{\"count\":0,\"p50\":0,"
		 "\"p90\":0,\"p99\":0,\"p999\":0,\"p9999\":0,\"max\":0}}\n");
	exec_json("show latency json", "\"lcores\":[]");
	exec_expect("show latency xml", -EINVAL, "unknown latency view 'xml'");
	exec_expect("show", -EINVAL, "show: missing argument");
	exec_expect("show foo", -EINVAL,
		    "show: unknown view 'foo'; usage: "
		    "show stats|apps|bindings|ports|lcores|events|canary|memory|trust|version [json] "
		    "(and show latency, show flow, show metrics)");
	exec_expect("show stats xml", -EINVAL, "unexpected 'xml'");
	exec_expect("show stats json x", -E2BIG, "too many arguments");
}

/* ---------------------------------------------- a hand-built engine for show */

static const struct tern_app_descriptor fake_desc = {
	.abi_version = TERN_APP_ABI_VERSION,
	.size = sizeof(struct tern_app_descriptor),
	.name = "udp_responder",
};

/* An app's stats text with words the renderer must handle: numbers, a
 * string, an empty value, a leading zero (not a JSON number), a key with a
 * quote and a word without '=' (both skipped), a value with a quote. */
static void
fake_stats(void *state, char *buf, size_t len)
{
	(void)state;
	snprintf(buf, len, "requests=12 replies=10 mode=echo empty= zero=0 lead=007 "
		 "bad\"key=1 noeq q=a\"b");
}

static const struct tern_app_descriptor fake_desc_stats = {
	.abi_version = TERN_APP_ABI_VERSION,
	.size = sizeof(struct tern_app_descriptor),
	.name = "udp_responder",
	.stats = fake_stats,
};

static struct tern_app_instance fake_app = {
	.name = "echo",
	.path = "/lib/a \"b\".so",
	.args = "mode=echo",
	.desc = &fake_desc,
	.slot = 3,
};

static struct tern_addr_table fake_addrs = {
	.n = 2,
	.a = {
		{ .family = 4, .prefix = 24, .port_id = 1, .addr = { 198, 18, 0, 1 } },
		{ .family = 4, .prefix = 32, .port_id = 0, .addr = { 198, 18, 1, 1 } },
	},
};

/* Two ports (one queue each on worker 0 and 1), two workers on lcores 1, 2. */
static int
fake_engine_setup(void)
{
	struct tern_handler_table *t = calloc(1, sizeof(*t));

	eng.workers = aligned_alloc(RTE_CACHE_LINE_SIZE, 2 * sizeof(struct tern_worker));
	if (t == NULL || eng.workers == NULL)
		return -ENOMEM;
	memset(eng.workers, 0, 2 * sizeof(struct tern_worker));
	eng.n_workers = 2;
	tern_pool_watch_init(&eng.pool_watch, 4096, 64, 0);
	tern_pool_watch_sample(&eng.pool_watch, 17, 1000000);
	tern_pool_watch_sample(&eng.pool_watch, 4000, 1001000000);
	tern_pool_watch_sample(&eng.pool_watch, 3, 2000000000);
	tern_pool_watch_sample(&eng.pool_watch, 4096, 2500000000);
	eng.worker_lcore[0] = 1;
	eng.worker_lcore[1] = 2;
	eng.n_ports = 2;
	for (uint16_t p = 0; p < 2; p++) {
		snprintf(eng.ports[p].name, sizeof(eng.ports[p].name), "net_null%u", p);
		snprintf(eng.ports[p].driver, sizeof(eng.ports[p].driver), "net_null");
		eng.ports[p].port_id = p;
		eng.ports[p].nb_queues = 1;
		eng.ports[p].queue_worker[0] = p;
		eng.ports[p].mac.addr_bytes[0] = 2;
		eng.ports[p].mac.addr_bytes[5] = (uint8_t)p;
	}
	eng.ports[0].tx_offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	eng.workers[0].stats.c[0][TERN_CTR_RX] = 10;
	eng.workers[0].stats.c[0][TERN_CTR_TX] = 9;
	eng.workers[1].stats.c[1][TERN_CTR_RX] = 5;
	eng.workers[1].stats.c[1][TERN_CTR_DROP_APP] = 5;
	/* worker 0: 98 x 40 cycles, one 1000 (bucket 992-1007), one 5000 (the max) */
	tern_hist_add(&eng.workers[0].latency, 40, 98);
	tern_hist_add(&eng.workers[0].latency, 1000, 1);
	tern_hist_add(&eng.workers[0].latency, 5000, 1);
	/* worker 1: 10 x 7 cycles */
	tern_hist_add(&eng.workers[1].latency, 7, 10);
	t->udp[9] = 3;
	t->udp[7] = 3;
	t->h[3].app = &fake_app;
	eng.handlers = t;
	eng.apps[3] = &fake_app;
	eng.addrs = &fake_addrs;
	return 0;
}

static void
fake_engine_teardown(void)
{
	free(eng.handlers);
	free(eng.workers);
	free(eng.stats_base);
	memset(&eng, 0, sizeof(eng));
}

/* Percentiles per worker and merged: without EAL the TSC rate is unknown,
 * so values stay in cycles and the keys say so. */
static void
test_show_fake_latency(void)
{
	CHECK(rte_get_tsc_hz() == 0);
	exec_out("show latency",
		 "lcore 1 (worker 0): count=100 p50_cycles=40 p90_cycles=40 p99_cycles=1007 "
		 "p999_cycles=5000 p9999_cycles=5000 max_cycles=5000\n"
		 "lcore 2 (worker 1): count=10 p50_cycles=7 p90_cycles=7 p99_cycles=7 "
		 "p999_cycles=7 p9999_cycles=7 max_cycles=7\n"
		 "total: count=110 p50_cycles=40 p90_cycles=40 p99_cycles=1007 "
		 "p999_cycles=5000 p9999_cycles=5000 max_cycles=5000\n");
	exec_json("show latency json",
		  "{\"unit\":\"cycles\",\"lcores\":[{\"lcore\":1,\"worker\":0,\"count\":100,"
		  "\"p50\":40,\"p90\":40,\"p99\":1007,\"p999\":5000,\"p9999\":5000,"
		  "\"max\":5000},{\"lcore\":2,\"worker\":1,\"count\":10,\"p50\":7,");
	exec_json("show latency json",
		  "\"total\":{\"count\":110,\"p50\":40,\"p90\":40,\"p99\":1007,"
		  "\"p999\":5000,\"p9999\":5000,\"max\":5000}}");
	/* show reads the live histograms: the workers' own are unchanged */
	CHECK_EQ(eng.workers[0].latency.n, 100);
	CHECK_EQ(eng.workers[1].latency.n, 10);
}

/* The app's stats hook: more fields in text, a "stats" object in JSON. */
static void
test_show_fake_app_stats(void)
{
	fake_app.desc = &fake_desc_stats;
	exec_out("show apps", "echo kind=udp_responder path=\"/lib/a \\\"b\\\".so\" "
		 "args=\"mode=echo\" udp_ports=7,9 budget=0 max_amplification=0 rate_limit=none "
		 "sha256=\"\" build_id=none size=0 loaded=1970-01-01T00:00:00Z seen=0 replied=0 "
		 "dropped=0 invalid=0 held=0 held_wait_max_us=0 log_suppressed=0 requests=12 replies=10 mode=echo "
		 "empty=\"\" zero=0 lead=007 q=\"a\\\"b\"\n");
	exec_json("show apps json",
		  "\"udp_ports\":[7,9],\"budget\":0,\"max_amplification\":0,\"rate_limit\":\"none\",\"sha256\":\"\",\"build_id\":\"none\",\"size\":0,\"loaded\":\"1970-01-01T00:00:00Z\",\"seen\":0,\"replied\":0,\"dropped\":0,\"invalid\":0,\"held\":0,\"held_wait_max_us\":0,\"log_suppressed\":0,\"stats\":{\"requests\":12,\"replies\":10,"
		  "\"mode\":\"echo\",\"empty\":\"\",\"zero\":0,\"lead\":\"007\","
		  "\"q\":\"a\\\"b\"}}]");
	fake_app.desc = &fake_desc;
	exec_json("show apps json", "\"udp_ports\":[7,9],\"budget\":0,\"max_amplification\":0,\"rate_limit\":\"none\",\"sha256\":\"\",\"build_id\":\"none\",\"size\":0,\"loaded\":\"1970-01-01T00:00:00Z\",\"seen\":0,\"replied\":0,\"dropped\":0,\"invalid\":0,\"held\":0,\"held_wait_max_us\":0,\"log_suppressed\":0}]"); /* no hook: no stats */
}

/* clear stats: show stats and show lcores count from the clear on; the
 * workers' own counters are not written. */
static void
test_show_fake_clear(void)
{
	exec_out("clear stats", "");
	CHECK_EQ(eng.workers[0].stats.c[0][TERN_CTR_RX], 10);
	exec_json("show stats json", "\"total\":{\"rx\":0,\"tx\":0,");
	exec_json("show stats json", "\"pool\":{\"size\":4096,\"in_use\":0,"
		  "\"min_available\":4096,\"exhaustions\":0,\"exhausted_ms\":0}");
	eng.workers[0].stats.c[0][TERN_CTR_RX] += 3;
	eng.workers[1].stats.c[1][TERN_CTR_TX] += 2;
	exec_out("show lcores", "lcore 1 (worker 0): polls=0:0 rx=3 tx=0\n"
		 "lcore 2 (worker 1): polls=1:0 rx=0 tx=2\n");
	exec_json("show stats json", "{\"ports\":[{\"port\":0,\"name\":\"net_null0\",\"rx\":3,");
	exec_json("show stats json", "{\"port\":1,\"name\":\"net_null1\",\"rx\":0,\"tx\":2,");
	exec_json("show stats json", "\"total\":{\"rx\":3,\"tx\":2,");
	/* a second clear starts from the counters now */
	exec_out("clear stats", "");
	exec_json("show stats json", "\"total\":{\"rx\":0,\"tx\":0,");
	exec_expect("clear stats now", -E2BIG, "clear stats: too many arguments (at most 0;");
}

static void
test_show_fake(void)
{
	if (fake_engine_setup() < 0) {
		CHECK(0);
		return;
	}
	exec_out("show bindings", "udp 7 -> echo\nudp 9 -> echo\n");
	exec_json("show bindings json",
		  "[{\"proto\":\"udp\",\"port\":7,\"app\":\"echo\"},"
		  "{\"proto\":\"udp\",\"port\":9,\"app\":\"echo\"}]");
	exec_out("show apps", "echo kind=udp_responder path=\"/lib/a \\\"b\\\".so\" "
		 "args=\"mode=echo\" udp_ports=7,9 budget=0 max_amplification=0 rate_limit=none "
		 "sha256=\"\" build_id=none size=0 loaded=1970-01-01T00:00:00Z seen=0 replied=0 "
		 "dropped=0 invalid=0 held=0 held_wait_max_us=0 log_suppressed=0\n");
	exec_json("show apps json", "\"path\":\"/lib/a \\\"b\\\".so\"");
	exec_json("show apps json", "\"udp_ports\":[7,9]");
	exec_out("show stats",
		 "port 0 (net_null0): rx=10 tx=9 drop_malformed=0 drop_not_for_us=0 "
		 "drop_no_handler=0 drop_bad_cksum=0 drop_tx_full=0 drop_unsupported=0 "
		 "drop_app=0 drop_bad_verdict=0 drop_backlog=0 drop_bus_full=0 drop_handoff=0 drop_amplification=0 drop_bad_source=0 drop_rate_limit=0 drop_too_big=0 consumed=0 tx_more=0 app_sent=0 more_refused=0\n"
		 "port 1 (net_null1): rx=5 tx=0 drop_malformed=0 drop_not_for_us=0 "
		 "drop_no_handler=0 drop_bad_cksum=0 drop_tx_full=0 drop_unsupported=0 "
		 "drop_app=5 drop_bad_verdict=0 drop_backlog=0 drop_bus_full=0 drop_handoff=0 drop_amplification=0 drop_bad_source=0 drop_rate_limit=0 drop_too_big=0 consumed=0 tx_more=0 app_sent=0 more_refused=0\n"
		 "lcore 1 (worker 0): rx=10 tx=9 drop_malformed=0 drop_not_for_us=0 "
		 "drop_no_handler=0 drop_bad_cksum=0 drop_tx_full=0 drop_unsupported=0 "
		 "drop_app=0 drop_bad_verdict=0 drop_backlog=0 drop_bus_full=0 drop_handoff=0 drop_amplification=0 drop_bad_source=0 drop_rate_limit=0 drop_too_big=0 consumed=0 tx_more=0 app_sent=0 more_refused=0\n"
		 "lcore 2 (worker 1): rx=5 tx=0 drop_malformed=0 drop_not_for_us=0 "
		 "drop_no_handler=0 drop_bad_cksum=0 drop_tx_full=0 drop_unsupported=0 "
		 "drop_app=5 drop_bad_verdict=0 drop_backlog=0 drop_bus_full=0 drop_handoff=0 drop_amplification=0 drop_bad_source=0 drop_rate_limit=0 drop_too_big=0 consumed=0 tx_more=0 app_sent=0 more_refused=0\n"
		 "total: rx=15 tx=9 drop_malformed=0 drop_not_for_us=0 "
		 "drop_no_handler=0 drop_bad_cksum=0 drop_tx_full=0 drop_unsupported=0 "
		 "drop_app=5 drop_bad_verdict=0 drop_backlog=0 drop_bus_full=0 drop_handoff=0 drop_amplification=0 drop_bad_source=0 drop_rate_limit=0 drop_too_big=0 consumed=0 tx_more=0 app_sent=0 more_refused=0\n"
		 "pool: size=4096 in_use=0 min_available=3 exhaustions=2 exhausted_ms=1500\n");
	exec_json("show stats json", "\"pool\":{\"size\":4096,\"in_use\":0,\"min_available\":3,"
		  "\"exhaustions\":2,\"exhausted_ms\":1500}}");
	exec_json("show stats json", "{\"ports\":[{\"port\":0,\"name\":\"net_null0\",\"rx\":10,");
	exec_json("show stats json", "\"lcores\":[{\"lcore\":1,\"worker\":0,\"rx\":10,");
	exec_json("show stats json", "\"total\":{\"rx\":15,\"tx\":9,");
	exec_out("show lcores", "lcore 1 (worker 0): polls=0:0 rx=10 tx=9\n"
		 "lcore 2 (worker 1): polls=1:0 rx=5 tx=0\n");
	exec_json("show lcores json", "\"polls\":[{\"port\":1,\"queue\":0}]");
	exec_out("show ports",
		 "port 0 (net_null0): driver=net_null mac=02:00:00:00:00:00 queues=1 rss=none "
		 "rss_key=none tx_cksum=ipv4,udp rx_cksum=none queue_lcore=0:1 addrs=198.18.1.1/32 link=down link_changes=0 dev_rx_missed=0 dev_rx_nombuf=0 dev_rx_errors=0 dev_tx_errors=0\n"
		 "port 1 (net_null1): driver=net_null mac=02:00:00:00:00:01 queues=1 rss=none "
		 "rss_key=none tx_cksum=none rx_cksum=none queue_lcore=0:2 addrs=198.18.0.1/24 link=down link_changes=0 dev_rx_missed=0 dev_rx_nombuf=0 dev_rx_errors=0 dev_tx_errors=0\n");
	exec_json("show ports json", "\"queue_lcore\":[{\"queue\":0,\"lcore\":2}],"
		  "\"addrs\":[\"198.18.0.1/24\"]");
	exec_json("show ports json", "\"tx_cksum\":[\"ipv4\",\"udp\"],\"rx_cksum\":[]");
	/* No RSS on the fake ports: every flow lands on queue 0, whose owner
	 * is worker p on port p. */
	exec_out("show flow 198.18.0.2 198.18.0.1 4000 7",
		 "port 0 (net_null0): queue=0 steered=no worker=0 lcore=1 rss_hash=0\n"
		 "port 1 (net_null1): queue=0 steered=no worker=1 lcore=2 rss_hash=0\n");
	exec_json("show flow fd00::2 fd00::1 4000 7 tcp json",
		  "{\"port\":1,\"name\":\"net_null1\",\"queue\":0,\"steered\":\"no\",\"worker\":1,\"lcore\":2,");
	exec_expect("show flow 198.18.0.2 fd00::1 1 2", -EINVAL, "must both be IPv4 or both IPv6");
	exec_expect("show flow 198.18.0.2 198.18.0.1 1 70000", -EINVAL, "bad port '70000'");
	exec_expect("show flow 198.18.0.2 198.18.0.1 1 2 sctp", -EINVAL, "unexpected 'sctp'");
	exec_expect("show flow 198.18.0.2 1", -EINVAL, "missing argument");
	test_show_fake_latency();
	test_show_fake_app_stats();
	test_show_fake_clear();
	fake_engine_teardown();
}

/* ------------------------------------------------------------ exec files */

static char tmpl_path[64];

static int
write_file(const char *text)
{
	int fd;
	FILE *f;

	snprintf(tmpl_path, sizeof(tmpl_path), "/tmp/tern-test-cmd-XXXXXX");
	fd = mkstemp(tmpl_path);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -errno;
	}
	fputs(text, f);
	fclose(f);
	return 0;
}

/* Run text as an exec file; expect rc, message containing want (with the
 * file's path in front when at_line > 0) and echo containing echo_want. */
static void
exec_file_expect(const char *text, int rc, unsigned at_line, const char *want,
		 const char *echo_want)
{
	struct tern_err err = { "" };
	char prefix[128];
	char *echo_buf = NULL;
	size_t echo_len = 0;
	FILE *echo;
	int got;

	CHECK_EQ(write_file(text), 0);
	echo = open_memstream(&echo_buf, &echo_len);
	got = tern_cmd_exec_file(&eng, tmpl_path, echo, NULL, &err);
	fclose(echo);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", tmpl_path, at_line);
	if (got != rc || strstr(err.msg, want) == NULL ||
	    (at_line > 0 && strncmp(err.msg, prefix, strlen(prefix)) != 0) ||
	    strstr(echo_buf, echo_want) == NULL)
		fprintf(stderr, "exec file: rc %d (want %d) msg '%s' (want '%s%s') echo '%s'\n",
			got, rc, err.msg, at_line > 0 ? prefix : "", want, echo_buf);
	CHECK_EQ(got, rc);
	CHECK(strstr(err.msg, want) != NULL);
	CHECK(at_line == 0 || strncmp(err.msg, prefix, strlen(prefix)) == 0);
	CHECK(strstr(echo_buf, echo_want) != NULL);
	free(echo_buf);
	unlink(tmpl_path);
}

static void
test_exec_file(void)
{
	struct tern_err err = { "" };
	char *text = malloc(3 * TERN_CMD_LINE_MAX);
	int rc;

	rc = tern_cmd_exec_file(&eng, "/nonexistent/tern.cmds", NULL, NULL, &err);
	CHECK_EQ(rc, -ENOENT);
	CHECK(strcmp(err.msg, "cannot read exec file '/nonexistent/tern.cmds': "
		     "No such file or directory") == 0);

	exec_file_expect("# setup\n\nshow apps\r\nshow bindings json\n", 0, 0, "",
			 "no apps loaded\n[]\n");
	exec_file_expect("show apps\n  # fine\n\nbogus here\nshow bindings\n", -EINVAL, 4,
			 "unknown command 'bogus'", "no apps loaded\n");
	exec_file_expect("show apps\nshow bindings", 0, 0, "", "no bindings\n");
	exec_file_expect("bind udp 7\n", -EINVAL, 1, "usage: bind udp PORT NAME", "");

	if (text == NULL) {
		CHECK(0);
		return;
	}
	/* a comment of exactly TERN_CMD_LINE_MAX bytes is fine, one more is not */
	memset(text, 'c', 3 * TERN_CMD_LINE_MAX);
	text[0] = '#';
	text[TERN_CMD_LINE_MAX] = '\n';
	strcpy(text + TERN_CMD_LINE_MAX + 1, "show ports\n");
	exec_file_expect(text, 0, 0, "", "no ports\n");
	/* line 2: 1025 bytes */
	memset(text, 'c', 3 * TERN_CMD_LINE_MAX);
	text[0] = '\n';
	text[1] = '#';
	text[TERN_CMD_LINE_MAX + 2] = '\n';
	strcpy(text + TERN_CMD_LINE_MAX + 3, "show ports\n");
	exec_file_expect(text, -E2BIG, 2, "line too long (max 1024 bytes)", "");
	/* a long last line without a newline */
	memset(text, 'c', 3 * TERN_CMD_LINE_MAX);
	text[0] = '\n';
	text[2 * TERN_CMD_LINE_MAX] = '\0';
	exec_file_expect(text, -E2BIG, 2, "line too long", "");
	free(text);
}

/* tern_exec_read_line on text given as (data, len): the results in order. */
static void
read_lines_expect(const char *data, size_t len, const int *want_rc, const char *const *want_line,
		  unsigned n)
{
	char buf[8 + 2];
	FILE *f = fmemopen((void *)(uintptr_t)data, len, "r");
	size_t got_len;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	for (unsigned i = 0; i < n; i++) {
		int rc = tern_exec_read_line(f, buf, sizeof(buf), NULL, &got_len);

		if (rc != want_rc[i] || (rc == 1 && strcmp(buf, want_line[i]) != 0))
			fprintf(stderr, "read_line %u: rc %d (want %d) '%s' (want '%s')\n", i, rc,
				want_rc[i], rc == 1 ? buf : "", want_line[i]);
		CHECK_EQ(rc, want_rc[i]);
		if (rc == 1) {
			CHECK(strcmp(buf, want_line[i]) == 0);
			CHECK_EQ(got_len, strlen(want_line[i]));
		}
		if (rc == -EILSEQ)
			CHECK_EQ(got_len, (size_t)(want_line[i][0] - '0'));
	}
	fclose(f);
}

/* An exec file of n comment lines at tmpl_path. */
static int
exec_lines_file(unsigned n)
{
	FILE *f;

	if (write_file("") < 0)
		return -1;
	f = fopen(tmpl_path, "w");
	if (f == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++)
		fputs("# c\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* The exec file's line reader: a NUL byte anywhere (a comment too) is an
 * error at that byte, not the end of the line; lengths are exact. */
static void
test_exec_read_line(void)
{
	static const char nul[] = "bind\n# x\0\nunbind udp 7\n";
	static const int nul_rc[] = { 1, -EILSEQ };
	static const char *const nul_line[] = { "bind", "3" };
	static const char crlf[] = "a b\r\n\n\r\nlast";
	static const int crlf_rc[] = { 1, 1, 1, 1, 0, 0 };
	static const char *const crlf_line[] = { "a b", "", "", "last", "", "" };
	/* buf holds 9: 8 bytes and the NUL, or 8 bytes with a '\r' dropped */
	static const char longl[] = "12345678\n12345678\r\n123456789\n";
	static const int long_rc[] = { 1, 1, -E2BIG };
	static const char *const long_line[] = { "12345678", "12345678", "" };
	static const char zero[4] = { 0 };
	static const int zero_rc[] = { -EILSEQ };
	static const char *const zero_line[] = { "0" };
	static const char textnul[] = "show apps\n# hide\0\nbind udp 7 x\n";
	struct tern_err err = { "" };
	FILE *f;

	read_lines_expect(nul, sizeof(nul) - 1, nul_rc, nul_line, 2);
	read_lines_expect(crlf, sizeof(crlf) - 1, crlf_rc, crlf_line, 6);
	read_lines_expect(longl, sizeof(longl) - 1, long_rc, long_line, 3);
	read_lines_expect(zero, sizeof(zero), zero_rc, zero_line, 1);

	/* a whole file: the command after the NUL comment is not run */
	CHECK_EQ(write_file(""), 0);
	f = fopen(tmpl_path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fwrite(textnul, 1, sizeof(textnul) - 1, f);
	fclose(f);
	CHECK_EQ(tern_cmd_exec_file(&eng, tmpl_path, NULL, NULL, &err), -EILSEQ);
	CHECK(strstr(err.msg, ":2: line contains a NUL byte (at byte 7)") != NULL);
	unlink(tmpl_path);
	/* the line bound: TERN_EXEC_MAX_LINES lines are fine, one more is not */
	CHECK_EQ(exec_lines_file(TERN_EXEC_MAX_LINES), 0);
	CHECK_EQ(tern_cmd_exec_file(&eng, tmpl_path, NULL, NULL, &err), 0);
	CHECK_EQ(exec_lines_file(TERN_EXEC_MAX_LINES + 1), 0);
	CHECK_EQ(tern_cmd_exec_file(&eng, tmpl_path, NULL, NULL, &err), -EFBIG);
	CHECK(strstr(err.msg, ":100001: input too long: an exec file holds at most 100000 "
		     "lines and 16 MiB") != NULL);
	unlink(tmpl_path);
	/* a directory */
	CHECK_EQ(tern_cmd_exec_file(&eng, "/tmp", NULL, NULL, &err), -EISDIR);
	CHECK(strcmp(err.msg, "exec file '/tmp' is a directory (give a file of commands, "
		     "one per line)") == 0);
}

/* The buckets of series prefix ("NAME_bucket{LABELS,") in text: le bounds
 * increase, counts never decrease, and there are n of them. */
static void
check_buckets(const char *text, const char *prefix, unsigned n)
{
	double le, prev_le = -1;
	uint64_t v, prev = 0;
	unsigned seen = 0;

	for (const char *p = strstr(text, prefix); p != NULL; p = strstr(p + 1, prefix)) {
		const char *q = p + strlen(prefix);

		if (strncmp(q, "le=\"+Inf\"} ", 10) == 0)
			le = 1e300;
		else
			CHECK(sscanf(q, "le=\"%lf\"}", &le) == 1);
		CHECK(sscanf(strchr(q, ' '), "%" SCNu64, &v) == 1);
		CHECK(le > prev_le);
		CHECK(v >= prev);
		prev_le = le;
		prev = v;
		seen++;
	}
	CHECK_EQ(seen, n);
}

/* show metrics on the fake engine, EAL up (hz known): every want[] line is
 * in the answer, and the histogram of worker 0 (40 cycles and hz cycles)
 * is cumulative with +Inf = _count = 2 and _sum about 1 s. */
static void
test_show_metrics(void)
{
	static const char *const want[] = {
		"# HELP tern_port_rx_frames_total Frames per port; a frame counted here was received\n"
		"# TYPE tern_port_rx_frames_total counter\n"
		"tern_port_rx_frames_total{port=\"0\",name=\"net_null0\"} 10\n"
		"tern_port_rx_frames_total{port=\"1\",name=\"net_null1\"} 5\n",
		"tern_port_dropped_frames_total{port=\"1\",name=\"net_null1\",reason=\"app\"} 5\n",
		"# TYPE tern_worker_loops_total counter\n",
		"# TYPE tern_worker_idle_slept_seconds_total counter\n",
		"tern_mbuf_pool_size_mbufs 4096\n",
		"# TYPE tern_worker_latency_seconds histogram\n"
		"tern_worker_latency_seconds_bucket{worker=\"0\",lcore=\"1\",le=\"5e-08\"} 1\n",
		"tern_worker_latency_seconds_bucket{worker=\"0\",lcore=\"1\",le=\"0.5\"} 1\n",
		"tern_worker_latency_seconds_bucket{worker=\"0\",lcore=\"1\",le=\"+Inf\"} 2\n"
		"tern_worker_latency_seconds_sum{worker=\"0\",lcore=\"1\"} ",
		"tern_worker_latency_seconds_count{worker=\"0\",lcore=\"1\"} 2\n",
		"tern_worker_latency_seconds_count{worker=\"1\",lcore=\"2\"} 0\n",
		"tern_app_info{app=\"echo\",kind=\"udp_responder\",sha256=\"\"} 1\n",
		"tern_app_requests_total{app=\"echo\"} 0\n",
		"tern_app_stat{app=\"echo\",key=\"requests\"} 12\n",
		"tern_app_latency_seconds_count{app=\"echo\"} 0\n",
	};
	struct tern_err err = { "" };
	struct tern_out out;
	const char *p;
	double sum;

	tern_out_init(&out);
	CHECK_EQ(tern_cmd_exec(&eng, "show metrics", &out, &err), 0);
	CHECK(out.buf != NULL && strncmp(out.buf, "# HELP tern_build_info ", 23) == 0);
	CHECK(out.buf != NULL && out.buf[out.len - 1] == '\n' && out.buf[out.len - 2] != '\n');
	for (size_t i = 0; out.buf != NULL && i < RTE_DIM(want); i++) {
		if (strstr(out.buf, want[i]) == NULL)
			fprintf(stderr, "show metrics: missing '%s'\n", want[i]);
		CHECK(strstr(out.buf, want[i]) != NULL);
	}
	if (out.buf != NULL) /* 23 bounds and +Inf */
		check_buckets(out.buf, "tern_worker_latency_seconds_bucket{worker=\"0\",lcore=\"1\",", 24);
	p = out.buf != NULL ? strstr(out.buf, "tern_worker_latency_seconds_sum{worker=\"0\"") : NULL;
	CHECK(p != NULL && sscanf(strchr(p, ' '), "%lf", &sum) == 1 && sum > 0.98 && sum < 1.02);
	/* the app's stats: numbers only (mode=echo, empty= and q=a"b are not) */
	CHECK(out.buf != NULL && strstr(out.buf, "key=\"mode\"") == NULL);
	CHECK(out.buf != NULL && strstr(out.buf, "key=\"empty\"") == NULL);
	tern_out_free(&out);
	exec_expect("show metrics json", -E2BIG, "show metrics: too many arguments");
}

/* With EAL up the TSC rate is known: show latency converts to nanoseconds.
 * Worker 0 holds 1 x 40 cycles and 1 x hz cycles (one second exactly). */
static void
test_show_latency_ns(void)
{
	char prefix[64], runtime_dir[PATH_MAX], want[512];
	char *argv[] = {
		"test_command", "-l", "0", "--no-huge", "--no-pci", "-m", "64", "--no-shconf",
		"--file-prefix", prefix, "--log-level", "error",
	};
	uint64_t hz, ns40;

	snprintf(prefix, sizeof(prefix), "test_command_%d", (int)getpid());
	CHECK(rte_eal_init(RTE_DIM(argv), argv) >= 0);
	hz = rte_get_tsc_hz();
	CHECK(hz != 0);
	if (hz == 0 || fake_engine_setup() < 0)
		return;
	memset(&eng.workers[0].latency, 0, sizeof(eng.workers[0].latency));
	memset(&eng.workers[1].latency, 0, sizeof(eng.workers[1].latency));
	tern_hist_add(&eng.workers[0].latency, 40, 1);
	tern_hist_add(&eng.workers[0].latency, hz, 1);
	ns40 = (40 * UINT64_C(1000000000) + hz / 2) / hz;
	snprintf(want, sizeof(want),
		 "lcore 1 (worker 0): count=2 p50_ns=%" PRIu64 " p90_ns=1000000000 "
		 "p99_ns=1000000000 p999_ns=1000000000 p9999_ns=1000000000 max_ns=1000000000\n"
		 "lcore 2 (worker 1): count=0 p50_ns=0 p90_ns=0 p99_ns=0 p999_ns=0 "
		 "p9999_ns=0 max_ns=0\n"
		 "total: count=2 p50_ns=%" PRIu64 " p90_ns=1000000000 p99_ns=1000000000 "
		 "p999_ns=1000000000 p9999_ns=1000000000 max_ns=1000000000\n", ns40, ns40);
	exec_out("show latency", want);
	exec_json("show latency json", "{\"unit\":\"ns\",\"lcores\":[{\"lcore\":1,");
	exec_json("show latency json", "\"total\":{\"count\":2,");
	exec_json("show latency json", "\"max\":1000000000}}");
	fake_app.desc = &fake_desc_stats;
	test_show_metrics();
	fake_engine_teardown();
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	CHECK_EQ(rte_eal_cleanup(), 0);
	CHECK_EQ(eal_runtime_dir_remove(runtime_dir), 0);
}

int
main(void)
{
	test_json_checker();
	test_out();
	test_blank_and_comments();
	test_unknown();
	test_help();
	test_show_version();
	test_lengths();
	test_bind_errors();
	test_app_ip_errors();
	test_show_empty();
	test_exec_file();
	test_exec_read_line();
	test_show_fake();
	test_show_latency_ns(); /* last: starts EAL */
	return check_done("test_command");
}
