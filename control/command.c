/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command language (see command.h and docs/commands.md): a tokenizer, one
 * dispatch table, one function per command. The show views are in
 * show_views.c, the row emitter in emit.c, the answer buffer in out.c.
 *
 * Nothing here prints or exits: answers go to a struct tern_out and errors to
 * a struct tern_err, so --exec files and a control socket share this code.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_version.h>

#include "command.h"
#include "decimal.h"
#include "emit.h"
#include "engine_addrs.h"
#include "engine_limits.h"
#include "show_swap.h"
#include "show_views.h"
#include "stats_base.h"
#include "latency_hist.h"
#include "metrics.h"
#include "worker.h"

/* Words per line: well above any command's maximum (app load: 4 + TERN_APP_MAX_KV),
 * so that extra arguments get the command's own "too many arguments" error. */
#define CMD_WORDS_MAX 64

/* --------------------------------------------------------------- commands */

struct cmd_ctx;

struct cmd_def {
	const char *words[2];  /* verb: one or two words (words[1] NULL for one) */
	unsigned min_args;
	unsigned max_args;
	int (*fn)(struct cmd_ctx *c, unsigned argc, char **argv);
	const char *usage;
};

struct cmd_ctx {
	struct tern_engine *e;
	struct tern_out *out;
	struct tern_err *err;
	const struct cmd_def *def;
};

static const char *
cmd_verb(const struct cmd_def *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", d->words[0], d->words[1] != NULL ? " " : "",
		 d->words[1] != NULL ? d->words[1] : "");
	return buf;
}

/* A syntax error: "VERB: problem; usage: USAGE". Returns -errnum. */
static int __attribute__((format(printf, 3, 4)))
cmd_usage_err(struct cmd_ctx *c, int errnum, const char *fmt, ...)
{
	char msg[TERN_ERR_MSG_MAX];
	char verb[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tern_err_set(c->err, errnum, "%s: %s; usage: %s",
			    cmd_verb(c->def, verb, sizeof(verb)), msg, c->def->usage);
}

/* The engine refused (rc < 0): "VERB: engine's message". Returns rc. */
static int
cmd_engine_err(struct cmd_ctx *c, int rc, const struct tern_err *eerr)
{
	char verb[32];

	return tern_err_set(c->err, -rc, "%s: %s",
			    cmd_verb(c->def, verb, sizeof(verb)),
			    eerr->msg[0] != '\0' ? eerr->msg : strerror(-rc));
}

static int
parse_udp_port(struct cmd_ctx *c, const char *s, uint16_t *port)
{
	uint64_t v;

	if (tern_dec_parse(s, 1, 65535, &v) < 0)
		return cmd_usage_err(c, EINVAL, "bad UDP port '%s' (expected 1-65535)", s);
	*port = (uint16_t)v;
	return 0;
}

static int
check_proto(struct cmd_ctx *c, const char *proto)
{
	if (strcmp(proto, "udp") != 0)
		return cmd_usage_err(c, EPROTONOSUPPORT,
				     "only udp is supported (got '%s')", proto);
	return 0;
}

/* "udp PORT" at argv[0], argv[1]. */
static int
parse_proto_port(struct cmd_ctx *c, char **argv, uint16_t *port)
{
	int rc = check_proto(c, argv[0]);

	return rc < 0 ? rc : parse_udp_port(c, argv[1], port);
}

/* The key=value words after NAME PATH (app load, app replace). */
static int
check_app_kv(struct cmd_ctx *c, unsigned argc, char **argv)
{
	for (unsigned i = 2; i < argc; i++)
		if (strchr(argv[i], '=') == NULL || argv[i][0] == '=')
			return cmd_usage_err(c, EINVAL,
					     "bad argument '%s' (expected key=value)", argv[i]);
	return 0;
}

/* app load and app replace: the same words, one engine call apart. */
static int
cmd_app_put(struct cmd_ctx *c, unsigned argc, char **argv, bool replace)
{
	struct tern_err eerr = { "" };
	int rc;

	rc = check_app_kv(c, argc, argv);
	if (rc < 0)
		return rc;
	rc = (replace ? tern_engine_app_replace : tern_engine_app_load)(
		c->e, argv[0], argv[1], argc - 2, argv + 2, &eerr);
	if (rc < 0)
		return cmd_engine_err(c, rc, &eerr);
	tern_show_swap_report(c->out, replace, argv[0], &c->e->last_report);
	return 0;
}

static int
cmd_app_load(struct cmd_ctx *c, unsigned argc, char **argv)
{
	return cmd_app_put(c, argc, argv, false);
}

static int
cmd_app_replace(struct cmd_ctx *c, unsigned argc, char **argv)
{
	return cmd_app_put(c, argc, argv, true);
}

static int
cmd_app_unload(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct tern_err eerr = { "" };
	int rc;

	(void)argc;
	rc = tern_engine_app_unload(c->e, argv[0], &eerr);
	return rc < 0 ? cmd_engine_err(c, rc, &eerr) : 0;
}

static int
cmd_app_budget(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct tern_err eerr = { "" };
	uint64_t v;
	int rc;

	(void)argc;
	if (tern_dec_parse(argv[1], 0, UINT32_MAX, &v) < 0)
		return cmd_usage_err(c, EINVAL, "bad budget '%.32s' (requests per loop "
				     "iteration; 0 = no limit)", argv[1]);
	rc = tern_engine_app_budget(c->e, argv[0], (uint32_t)v, &eerr);
	return rc < 0 ? cmd_engine_err(c, rc, &eerr) : 0;
}

/* "event post NAME TEXT...": the words of TEXT joined by single spaces. */
static int
cmd_event_post(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct tern_err eerr = { "" };
	char text[TERN_MSG_MAX + 1];
	size_t len = 0;
	int rc;

	for (unsigned i = 1; i < argc; i++) {
		int n = snprintf(text + len, sizeof(text) - len, "%s%s", i > 1 ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(text) - len)
			return cmd_usage_err(c, EMSGSIZE, "message too long (at most %u bytes)",
					     TERN_MSG_MAX);
		len += (size_t)n;
	}
	rc = tern_engine_post_all(c->e, argv[0], text, (uint16_t)len, &eerr);
	if (rc < 0)
		return cmd_engine_err(c, rc, &eerr);
	tern_out_printf(c->out, "posted to %d of %u workers\n", rc, c->e->n_workers);
	return 0;
}

/* bind udp PORT NAME, rebind udp PORT NAME, unbind udp PORT */
static int
cmd_port(struct cmd_ctx *c, unsigned argc, char **argv)
{
	const char *verb = c->def->words[0];
	struct tern_err eerr = { "" };
	uint16_t port = 0;
	int rc;

	(void)argc;
	rc = parse_proto_port(c, argv, &port);
	if (rc < 0)
		return rc;
	if (strcmp(verb, "bind") == 0)
		rc = tern_engine_bind_udp(c->e, port, argv[2], &eerr);
	else if (strcmp(verb, "rebind") == 0)
		rc = tern_engine_rebind_udp(c->e, port, argv[2], &eerr);
	else
		rc = tern_engine_unbind_udp(c->e, port, &eerr);
	return rc < 0 ? cmd_engine_err(c, rc, &eerr) : 0;
}


/* A canary ratio: a finite decimal from 1 to 1000000. */
static int
parse_ratio(const char *s, double *out)
{
	char *end;
	double v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v >= 1.0 && v <= 1e6))
		return -EINVAL;
	*out = v;
	return 0;
}

/* One key=value option of `canary udp` into l. */
static int
canary_option(struct cmd_ctx *c, const char *kv, struct tern_canary_limits *l)
{
	const char *v = strchr(kv, '=');
	uint64_t n;
	size_t klen;

	if (v == NULL)
		return cmd_usage_err(c, EINVAL, "bad option '%.64s' (expected key=value)", kv);
	klen = (size_t)(v++ - kv);
	if (klen == 14 && strncmp(kv, "max_drop_ratio", klen) == 0) {
		if (parse_ratio(v, &l->max_drop_ratio) == 0)
			return 0;
	} else if (klen == 13 && strncmp(kv, "max_p99_ratio", klen) == 0) {
		if (parse_ratio(v, &l->max_p99_ratio) == 0)
			return 0;
	} else if (klen == 9 && strncmp(kv, "window_ms", klen) == 0) {
		if (tern_dec_parse(v, 10, 3600000, &n) == 0) {
			l->window_ms = (uint32_t)n;
			return 0;
		}
		return cmd_usage_err(c, EINVAL, "bad window_ms '%.32s' (10 to 3600000)", v);
	} else if (klen == 12 && strncmp(kv, "min_requests", klen) == 0) {
		if (tern_dec_parse(v, 1, 1000000000, &n) == 0) {
			l->min_requests = (uint32_t)n;
			return 0;
		}
		return cmd_usage_err(c, EINVAL, "bad min_requests '%.32s' (1 to 1000000000)", v);
	} else {
		return cmd_usage_err(c, EINVAL, "unknown option '%.64s' (max_drop_ratio, "
				     "max_p99_ratio, window_ms, min_requests)", kv);
	}
	return cmd_usage_err(c, EINVAL, "bad ratio '%.64s' (a number from 1 to 1000000)", kv);
}

/* canary udp PORT NAME PERCENT [key=value ...] */
static int
cmd_canary(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct tern_canary_limits l = {
		.max_drop_ratio = TERN_CANARY_DROP_RATIO_DEFAULT,
		.max_p99_ratio = TERN_CANARY_P99_RATIO_DEFAULT,
		.window_ms = TERN_CANARY_WINDOW_MS_DEFAULT,
		.min_requests = TERN_CANARY_MIN_REQUESTS_DEFAULT,
	};
	struct tern_err eerr = { "" };
	uint64_t pct;
	uint16_t port = 0;
	int rc = parse_udp_port(c, argv[0], &port);

	if (rc < 0)
		return rc;
	if (tern_dec_parse(argv[2], 1, 99, &pct) < 0)
		return cmd_usage_err(c, EINVAL, "bad PERCENT '%.32s' (1 to 99: the share of flows "
				     "the canary gets)", argv[2]);
	for (unsigned i = 3; i < argc; i++) {
		rc = canary_option(c, argv[i], &l);
		if (rc < 0)
			return rc;
	}
	rc = tern_engine_canary_start(c->e, port, argv[1], (unsigned)pct, &l, &eerr);
	if (rc < 0)
		return cmd_engine_err(c, rc, &eerr);
	tern_out_printf(c->out, "canary udp %u: %" PRIu64 "%% of flows to '%s', judged every %u ms\n",
			port, pct, argv[1], l.window_ms);
	return 0;
}

/* canary promote|abort udp PORT */
static int
cmd_canary_end(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct tern_err eerr = { "" };
	bool promote = strcmp(c->def->words[1], "promote") == 0;
	uint16_t port = 0;
	int rc;

	(void)argc;
	rc = parse_proto_port(c, argv, &port);
	if (rc < 0)
		return rc;
	rc = promote ? tern_engine_canary_promote(c->e, port, &eerr) :
		       tern_engine_canary_abort(c->e, port, &eerr);
	return rc < 0 ? cmd_engine_err(c, rc, &eerr) : 0;
}

static int
cmd_clear_latency(struct cmd_ctx *c, unsigned argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (tern_latency_clear(c->e) < 0)
		return tern_err_set(c->err, ENOMEM, "clear latency: out of memory");
	return 0;
}

static int
cmd_clear_stats(struct cmd_ctx *c, unsigned argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (tern_stats_clear(c->e) < 0)
		return tern_err_set(c->err, ENOMEM, "clear stats: out of memory");
	return 0;
}

/* show latency [apps|interval] [json] */
static int
cmd_show_latency(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct emit em = { .o = c->out };
	const char *view = argc > 0 && strcmp(argv[0], "json") != 0 ? argv[0] : "";
	unsigned rest = view[0] != '\0' ? 1 : 0;

	if (argc > rest + 1 || (argc == rest + 1 && strcmp(argv[rest], "json") != 0))
		return cmd_usage_err(c, EINVAL, "unexpected '%.32s'", argv[argc - 1]);
	em.json = argc == rest + 1;
	if (view[0] == '\0')
		tern_show_latency(&em, c->e);
	else if (strcmp(view, "apps") == 0)
		tern_show_latency_apps(&em, c->e);
	else if (strcmp(view, "interval") == 0)
		tern_show_latency_interval(&em, c->e);
	else
		return cmd_usage_err(c, EINVAL, "unknown latency view '%.32s'", view);
	if (em.json)
		tern_out_printf(c->out, "\n");
	return 0;
}

/* "ADDR/PREFIX", "ADDR/PREFIX@PORT" or "ADDR/PREFIX port N". */
static int
cmd_ip_add(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct tern_err eerr = { "" };
	struct tern_addr a;
	uint64_t port;
	int rc;

	if (argc == 2)
		return cmd_usage_err(c, EINVAL, "'%s' needs a value", argv[1]);
	if (argc == 3 && strcmp(argv[1], "port") != 0)
		return cmd_usage_err(c, EINVAL, "unexpected '%s' (expected 'port N')", argv[1]);
	if (argc == 3 && strchr(argv[0], '@') != NULL)
		return cmd_usage_err(c, EINVAL,
				     "give the port as '@PORT' or as 'port N', not both");
	if (argc == 3 && tern_dec_parse(argv[2], 0, TERN_MAX_PORTS - 1, &port) < 0)
		return cmd_usage_err(c, EINVAL, "bad port id '%s' (expected 0-%d)",
				     argv[2], TERN_MAX_PORTS - 1);
	if (tern_addr_parse(argv[0], &a, &eerr) < 0)
		return cmd_usage_err(c, EINVAL, "%s", eerr.msg[0] != '\0' ? eerr.msg :
				     "bad address");
	if (argc == 3)
		a.port_id = (uint16_t)port;
	rc = tern_engine_ip_add(c->e, &a, &eerr);
	return rc < 0 ? cmd_engine_err(c, rc, &eerr) : 0;
}

/* "trust add PREFIX", "trust del PREFIX", "trust local on|off". */
static int
cmd_trust(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct tern_err eerr = { "" };
	const char *verb = c->def->words[1];
	struct tern_prefix p;
	int rc;

	(void)argc;
	if (strcmp(verb, "local") == 0) {
		if (strcmp(argv[0], "on") != 0 && strcmp(argv[0], "off") != 0)
			return cmd_usage_err(c, EINVAL, "expected 'on' or 'off', not '%.32s'",
					     argv[0]);
		rc = tern_engine_trust_local(c->e, strcmp(argv[0], "on") == 0, &eerr);
		return rc < 0 ? cmd_engine_err(c, rc, &eerr) : 0;
	}
	if (tern_prefix_parse(argv[0], &p, &eerr) < 0)
		return cmd_usage_err(c, EINVAL, "%s", eerr.msg);
	if (strcmp(verb, "add") == 0)
		rc = tern_engine_trust_add(c->e, &p, &eerr);
	else
		rc = tern_engine_trust_del(c->e, &p, &eerr);
	return rc < 0 ? cmd_engine_err(c, rc, &eerr) : 0;
}

static int
cmd_show(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct emit em = { .o = c->out };

	if (argc == 2 && strcmp(argv[1], "json") != 0)
		return cmd_usage_err(c, EINVAL, "unexpected '%s' (expected 'json')", argv[1]);
	em.json = argc == 2;
	if (tern_show_view(&em, c->e, argv[0]) == 0) {
		if (em.json)
			tern_out_printf(c->out, "\n");
		return 0;
	}
	return cmd_usage_err(c, EINVAL, "unknown view '%.64s'", argv[0]);
}

/* show metrics: the Prometheus text exposition format (metrics.h). */
static int
cmd_show_metrics(struct cmd_ctx *c, unsigned argc, char **argv)
{
	(void)argc;
	(void)argv;
	tern_metrics_write(c->out, c->e);
	return 0;
}

/* SRC and DST of `show flow` into f (both IPv4 or both IPv6). */
static int
parse_flow_addrs(struct cmd_ctx *c, const char *src, const char *dst,
		 struct tern_rss_flow *f)
{
	const char *a[2] = { src, dst };
	uint8_t *out[2] = { f->src, f->dst };
	uint8_t fam[2];

	for (int i = 0; i < 2; i++) {
		if (inet_pton(AF_INET, a[i], out[i]) == 1)
			fam[i] = 4;
		else if (inet_pton(AF_INET6, a[i], out[i]) == 1)
			fam[i] = 6;
		else
			return cmd_usage_err(c, EINVAL, "bad address '%.64s'", a[i]);
	}
	if (fam[0] != fam[1])
		return cmd_usage_err(c, EINVAL, "SRC and DST must both be IPv4 or both IPv6");
	f->family = fam[0];
	return 0;
}

/* "show flow SRC DST SPORT DPORT [udp|tcp] [json]" into f and *json. */
static int
parse_flow(struct cmd_ctx *c, unsigned argc, char **argv, struct tern_rss_flow *f,
	   bool *json)
{
	uint64_t port[2];

	memset(f, 0, sizeof(*f));
	f->proto = IPPROTO_UDP;
	*json = false;
	for (int i = 0; i < 2; i++)
		if (tern_dec_parse(argv[2 + i], 0, 65535, &port[i]) < 0)
			return cmd_usage_err(c, EINVAL, "bad port '%.64s' (expected 0-65535)",
					     argv[2 + i]);
	f->sport = rte_cpu_to_be_16((uint16_t)port[0]);
	f->dport = rte_cpu_to_be_16((uint16_t)port[1]);
	for (unsigned i = 4; i < argc; i++) {
		if (strcmp(argv[i], "udp") == 0 && i == 4)
			f->proto = IPPROTO_UDP;
		else if (strcmp(argv[i], "tcp") == 0 && i == 4)
			f->proto = IPPROTO_TCP;
		else if (strcmp(argv[i], "json") == 0 && i == argc - 1)
			*json = true;
		else
			return cmd_usage_err(c, EINVAL, "unexpected '%.64s'", argv[i]);
	}
	return parse_flow_addrs(c, argv[0], argv[1], f);
}

/* show flow: which queue, worker and lcore a flow lands on, per port. */
static int
cmd_show_flow(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct emit em = { .o = c->out };
	struct tern_rss_flow f;
	int rc = parse_flow(c, argc, argv, &f, &em.json);

	if (rc < 0)
		return rc;
	tern_show_flow(&em, c->e, &f);
	if (em.json)
		tern_out_printf(c->out, "\n");
	return 0;
}

/* ------------------------------------------------------------- dispatch */

static int cmd_help(struct cmd_ctx *c, unsigned argc, char **argv);

/*
 * Every command, in the order help and the unknown-command error list them
 * (the order of docs/commands.md). A two-word verb comes before the
 * one-word verb it starts with ("show flow" before "show"): the first match
 * runs.
 */
static const struct cmd_def cmd_table[] = {
	{ { "help", NULL }, 0, 0, cmd_help, "help" },
	{ { "app", "load" }, 2, 2 + TERN_APP_MAX_KV, cmd_app_load,
	  "app load NAME PATH [key=value ...]" },
	{ { "app", "replace" }, 2, 2 + TERN_APP_MAX_KV, cmd_app_replace,
	  "app replace NAME PATH [handoff=exact|snapshot] [key=value ...]" },
	{ { "app", "unload" }, 1, 1, cmd_app_unload, "app unload NAME" },
	{ { "app", "budget" }, 2, 2, cmd_app_budget, "app budget NAME N" },
	/* TEXT's only bound is the message's TERN_MSG_MAX bytes (and the line's words). */
	{ { "event", "post" }, 2, CMD_WORDS_MAX - 2, cmd_event_post, "event post NAME TEXT..." },
	{ { "bind", NULL }, 3, 3, cmd_port, "bind udp PORT NAME" },
	{ { "rebind", NULL }, 3, 3, cmd_port, "rebind udp PORT NAME" },
	{ { "unbind", NULL }, 2, 2, cmd_port, "unbind udp PORT" },
	{ { "canary", "udp" }, 3, 7, cmd_canary,
	  "canary udp PORT NAME PERCENT [max_drop_ratio=X] [max_p99_ratio=Y] [window_ms=N] "
	  "[min_requests=N]" },
	{ { "canary", "promote" }, 2, 2, cmd_canary_end, "canary promote udp PORT" },
	{ { "canary", "abort" }, 2, 2, cmd_canary_end, "canary abort udp PORT" },
	{ { "ip", "add" }, 1, 3, cmd_ip_add, "ip add ADDR/PREFIX [port N]" },
	{ { "trust", "add" }, 1, 1, cmd_trust, "trust add PREFIX" },
	{ { "trust", "del" }, 1, 1, cmd_trust, "trust del PREFIX" },
	{ { "trust", "local" }, 1, 1, cmd_trust, "trust local on|off" },
	{ { "show", "latency" }, 0, 2, cmd_show_latency, "show latency [apps|interval] [json]" },
	{ { "show", "flow" }, 4, 6, cmd_show_flow,
	  "show flow SRC DST SPORT DPORT [udp|tcp] [json]" },
	{ { "show", "metrics" }, 0, 0, cmd_show_metrics, "show metrics" },
	{ { "show", NULL }, 1, 2, cmd_show,
	  "show stats|apps|bindings|ports|lcores|events|canary|memory|trust|version [json] "
	  "(and show latency, show flow, show metrics)" },
	{ { "clear", "stats" }, 0, 0, cmd_clear_stats, "clear stats" },
	{ { "clear", "latency" }, 0, 0, cmd_clear_latency, "clear latency" },
};

/* help: every command's usage, one a line, in the table's order. */
static int
cmd_help(struct cmd_ctx *c, unsigned argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < RTE_DIM(cmd_table); i++)
		tern_out_printf(c->out, "%s\n", cmd_table[i].usage);
	return 0;
}

/* Split buf in place on blanks. Returns the word count, or -E2BIG. */
static int
tokenize(char *buf, char **argv, unsigned max)
{
	unsigned n = 0;
	char *p = buf;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			*p++ = '\0';
		if (*p == '\0')
			return (int)n;
		if (n == max)
			return -E2BIG;
		argv[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
	}
}

static bool
cmd_matches(const struct cmd_def *d, unsigned argc, char **argv)
{
	if (strcmp(argv[0], d->words[0]) != 0)
		return false;
	return d->words[1] == NULL || (argc > 1 && strcmp(argv[1], d->words[1]) == 0);
}

static int
cmd_unknown(struct tern_err *err, unsigned argc, char **argv)
{
	char list[512] = "";
	char verb[32];
	size_t len = 0;
	bool two = false;

	for (size_t i = 0; i < RTE_DIM(cmd_table); i++) {
		/* "show latency", "show flow", "show metrics" are listed as "show" */
		if (cmd_table[i].words[1] == NULL || strcmp(cmd_table[i].words[0], "show") != 0)
			len += snprintf(list + len, sizeof(list) - len, "%s%s", len > 0 ? ", " : "",
					cmd_verb(&cmd_table[i], verb, sizeof(verb)));
		if (len >= sizeof(list))
			break;
		if (cmd_table[i].words[1] != NULL && strcmp(argv[0], cmd_table[i].words[0]) == 0)
			two = true;
	}
	/* "app foo": name both words, since "app" alone is a known prefix. */
	if (two && argc > 1)
		return tern_err_set(err, EINVAL, "unknown command '%.64s %.64s'; commands: %s",
				    argv[0], argv[1], list);
	return tern_err_set(err, EINVAL, "unknown command '%.64s'; commands: %s",
			    argv[0], list);
}

static int
cmd_run(struct cmd_ctx *c, const struct cmd_def *d, unsigned argc, char **argv)
{
	unsigned nw = d->words[1] != NULL ? 2 : 1;
	unsigned nargs = argc - nw;

	c->def = d;
	if (nargs < d->min_args)
		return cmd_usage_err(c, EINVAL, "missing argument%s",
				     d->min_args - nargs > 1 ? "s" : "");
	if (nargs > d->max_args && strstr(d->usage, "key=value ...") != NULL)
		return cmd_usage_err(c, E2BIG, "too many arguments (at most %u key=value; "
				     "from '%.64s')", d->max_args - d->min_args,
				     argv[nw + d->max_args]);
	if (nargs > d->max_args)
		return cmd_usage_err(c, E2BIG, "too many arguments (at most %u; from '%.64s')",
				     d->max_args, argv[nw + d->max_args]);
	return d->fn(c, nargs, argv + nw);
}

static int
cmd_dispatch(struct cmd_ctx *c, unsigned argc, char **argv)
{
	for (size_t i = 0; i < RTE_DIM(cmd_table); i++)
		if (cmd_matches(&cmd_table[i], argc, argv))
			return cmd_run(c, &cmd_table[i], argc, argv);
	return cmd_unknown(c->err, argc, argv);
}

int
tern_cmd_exec(struct tern_engine *e, const char *line, struct tern_out *out,
	      struct tern_err *err)
{
	char buf[TERN_CMD_LINE_MAX + 1];
	char *argv[CMD_WORDS_MAX];
	struct tern_out discard;
	struct tern_err dummy;
	struct cmd_ctx c;
	int argc, rc;

	if (err == NULL)
		err = &dummy;
	if (strnlen(line, TERN_CMD_LINE_MAX + 1) > TERN_CMD_LINE_MAX)
		return tern_err_set(err, E2BIG, "line too long (max %d bytes)",
				    TERN_CMD_LINE_MAX);
	if (line[strspn(line, " \t\r\n")] == '#')
		return 0; /* a comment line, however many words it has */
	strcpy(buf, line);
	argc = tokenize(buf, argv, RTE_DIM(argv));
	if (argc == -E2BIG)
		return tern_err_set(err, E2BIG, "too many words on the line (max %zu)",
				    RTE_DIM(argv));
	if (argc == 0)
		return 0;
	tern_out_init(&discard);
	c = (struct cmd_ctx){ .e = e, .out = out != NULL ? out : &discard, .err = err };
	rc = cmd_dispatch(&c, (unsigned)argc, argv);
	tern_out_free(&discard);
	return rc;
}
