/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command language (see command.h and docs/commands.md): a tokenizer, one
 * dispatch table, one function per command, and a small emitter that writes
 * each `show` row either as key=value text or as JSON.
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
#include "engine_limits.h"
#include "show_memory.h"
#include "show_swap.h"
#include "stats_base.h"
#include "latency_hist.h"
#include "worker.h"

/* Words per line: well above any command's maximum (app load: 4 + TERN_APP_MAX_KV),
 * so that extra arguments get the command's own "too many arguments" error. */
#define CMD_WORDS_MAX 64
#define OUT_MIN_CAP 256
/* An app's stats hook writes at most this much (longer text is cut). */
#define APP_STATS_MAX 1024

/* ---------------------------------------------------------------- output */

void
tern_out_init(struct tern_out *o)
{
	memset(o, 0, sizeof(*o));
}

void
tern_out_free(struct tern_out *o)
{
	free(o->buf);
	tern_out_init(o);
}

/* Make room for need more bytes plus the NUL. False (and oom set) if not possible. */
static bool
out_reserve(struct tern_out *o, size_t need)
{
	size_t cap = o->cap < OUT_MIN_CAP ? OUT_MIN_CAP : o->cap;
	char *nb;

	if (o->len + need + 1 <= o->cap)
		return true;
	while (cap < o->len + need + 1)
		cap *= 2;
	nb = realloc(o->buf, cap);
	if (nb == NULL) {
		o->oom = true;
		return false;
	}
	o->buf = nb;
	o->cap = cap;
	return true;
}

void
tern_out_printf(struct tern_out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (o->oom)
		return;
	/* First try: format into the room left; most calls fit. */
	room = o->buf != NULL ? o->cap - o->len : 0;
	va_start(ap, fmt);
	n = vsnprintf(o->buf != NULL ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->oom = true;
		return;
	}
	if ((size_t)n < room) {
		o->len += n;
		return;
	}
	/* Second try: grow to the size vsnprintf asked for and format again. */
	if (!out_reserve(o, (size_t)n)) {
		if (o->buf != NULL)
			o->buf[o->len] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += n;
}

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

static int
cmd_app_load(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct tern_err eerr = { "" };
	int rc;

	rc = check_app_kv(c, argc, argv);
	if (rc < 0)
		return rc;
	rc = tern_engine_app_load(c->e, argv[0], argv[1], argc - 2, argv + 2, &eerr);
	if (rc < 0)
		return cmd_engine_err(c, rc, &eerr);
	tern_show_swap_report(c->out, false, argv[0], &c->e->last_report);
	return 0;
}

static int
cmd_app_replace(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct tern_err eerr = { "" };
	int rc;

	rc = check_app_kv(c, argc, argv);
	if (rc < 0)
		return rc;
	rc = tern_engine_app_replace(c->e, argv[0], argv[1], argc - 2, argv + 2, &eerr);
	if (rc < 0)
		return cmd_engine_err(c, rc, &eerr);
	tern_show_swap_report(c->out, true, argv[0], &c->e->last_report);
	return 0;
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

static void show_latency(struct emit *em, const struct tern_engine *e);

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
		show_latency(&em, c->e);
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

/* ------------------------------------------------------------------ show */

static void
show_stats_total(struct emit *em, const struct tern_engine *e)
{
	uint64_t total[TERN_CTR_MAX] = { 0 };
	uint64_t v[TERN_CTR_MAX];
	uint16_t p;

	TERN_ENGINE_FOREACH_PORT(e, p) {
		tern_stats_port(e, p, v);
		for (unsigned i = 0; i < TERN_CTR_MAX; i++)
			total[i] += v[i];
	}
	tern_out_printf(em->o, em->json ? "\"total\":{" : "total:");
	em->fields = 0;
	fields_ctrs(em, total);
	row_end(em);
}

/* The mbuf pool: occupancy now, its low-water mark and exhaustions
 * (sampled every control tick, see pool_watch.h). */
static void
show_stats_pool(struct emit *em, const struct tern_engine *e)
{
	const struct tern_pool_watch *pw = &e->pool_watch;

	tern_out_printf(em->o, em->json ? "\"pool\":{" : "pool:");
	em->fields = 0;
	field_u64(em, "size", pw->size);
	field_u64(em, "in_use", tern_engine_mbufs_in_use(e));
	field_u64(em, "min_available", pw->min_available);
	field_u64(em, "exhaustions", pw->exhaustions);
	field_u64(em, "exhausted_ms", pw->exhausted_ns / 1000000);
	row_end(em);
}

static void
show_stats(struct emit *em, const struct tern_engine *e)
{
	uint64_t v[TERN_CTR_MAX];
	uint16_t p;

	if (em->json)
		tern_out_printf(em->o, "{");
	list_begin(em, "ports");
	TERN_ENGINE_FOREACH_PORT(e, p) {
		row_begin(em, "port %u (%s):", p, e->ports[p].name);
		if (em->json) {
			field_u64(em, "port", p);
			field_str(em, "name", e->ports[p].name);
		}
		tern_stats_port(e, p, v);
		fields_ctrs(em, v);
		row_end(em);
	}
	list_end(em, NULL);
	if (em->json)
		tern_out_printf(em->o, ",");
	list_begin(em, "lcores");
	for (unsigned w = 0; w < e->n_workers; w++) {
		row_begin(em, "lcore %u (worker %u):", e->worker_lcore[w], w);
		if (em->json) {
			field_u64(em, "lcore", e->worker_lcore[w]);
			field_u64(em, "worker", w);
		}
		tern_stats_worker(e, w, v);
		fields_ctrs(em, v);
		row_end(em);
	}
	list_end(em, NULL);
	if (em->json)
		tern_out_printf(em->o, ",");
	show_stats_total(em, e);
	if (em->json)
		tern_out_printf(em->o, ",");
	show_stats_pool(em, e);
	if (em->json)
		tern_out_printf(em->o, "}");
}

/* A key an app may use: letters, digits, '_', '.', '-'. */
static bool
stats_key_ok(const char *k, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_' && k[i] != '.' && k[i] != '-')
			return false;
	return true;
}

/* A JSON number: digits without a leading zero (or "0" itself). */
static bool
stats_is_number(const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len > 20 || (v[0] == '0' && len > 1))
		return false;
	return strspn(v, "0123456789") == len;
}

/* One "key=value" word of an app's stats as a field; other words are skipped. */
static void
field_app_stat(struct emit *em, char *word)
{
	char *eq = strchr(word, '=');

	if (eq == NULL || !stats_key_ok(word, (size_t)(eq - word)))
		return;
	*eq = '\0';
	if (em->json && stats_is_number(eq + 1)) {
		field_key(em, word);
		tern_out_printf(em->o, "%s", eq + 1);
	} else {
		field_str(em, word, eq + 1);
	}
}

/* The app's own counters from its stats hook: more fields in text, a
 * "stats" object in JSON. Nothing when the app has no hook. */
static void
fields_app_stats(struct emit *em, const struct tern_app_instance *app)
{
	char buf[APP_STATS_MAX];
	char *tok, *save = NULL;
	unsigned outer;

	if (app->desc == NULL || app->desc->stats == NULL)
		return;
	buf[0] = '\0';
	app->desc->stats(app->state, buf, sizeof(buf));
	buf[sizeof(buf) - 1] = '\0';
	if (em->json) {
		field_key(em, "stats");
		tern_out_printf(em->o, "{");
	}
	outer = em->fields;
	em->fields = 0;
	for (tok = strtok_r(buf, " \t\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\n", &save))
		field_app_stat(em, tok);
	em->fields = outer;
	if (em->json)
		tern_out_printf(em->o, "}");
}

static void
show_app(struct emit *em, const struct tern_engine *e, const struct tern_app_instance *app)
{
	const struct tern_handler_table *t = e->handlers;

	row_begin(em, "%s", app->name);
	if (em->json)
		field_str(em, "name", app->name);
	field_str(em, "kind", app->desc != NULL && app->desc->name != NULL ?
		  app->desc->name : "unknown");
	field_str(em, "path", app->path);
	field_key(em, "args");
	json_str(em->o, app->args); /* quoted in text too: args="mode=echo" */
	field_list_begin(em, "udp_ports");
	for (unsigned p = 1; t != NULL && app->slot != 0 && p < 65536; p++)
		if (t->udp[p] == app->slot)
			item_u64(em, p);
	field_list_end(em);
	field_u64(em, "budget", app->budget);
	field_u64(em, "max_amplification", app->max_amp);
	if (app->rl.rate != 0) {
		char rl[32];

		snprintf(rl, sizeof(rl), "%u/%u", app->rl.rate,
			 app->rl.burst != 0 ? app->rl.burst : app->rl.rate);
		field_str(em, "rate_limit", rl);
	} else {
		field_str(em, "rate_limit", "none");
	}
	tern_show_app_image_fields(em, app);
	fields_app_stats(em, app);
	row_end(em);
}

static void
show_apps(struct emit *em, const struct tern_engine *e)
{
	list_begin(em, NULL);
	for (unsigned s = 0; s <= TERN_MAX_APPS; s++)
		if (e->apps[s] != NULL)
			show_app(em, e, e->apps[s]);
	list_end(em, "no apps loaded");
}

/* The name of the app in slot s, from the table or the engine's slots. */
static const char *
slot_app_name(const struct tern_engine *e, uint8_t s)
{
	const struct tern_app_instance *app = e->handlers->h[s].app;

	if (app == NULL && s <= TERN_MAX_APPS)
		app = e->apps[s];
	return app != NULL ? app->name : "?";
}

static void
show_bindings(struct emit *em, const struct tern_engine *e)
{
	const struct tern_handler_table *t = e->handlers;
	const char *name;

	list_begin(em, NULL);
	for (unsigned p = 1; t != NULL && p < 65536; p++) {
		if (t->udp[p] == 0)
			continue;
		name = slot_app_name(e, t->udp[p]);
		row_begin(em, "udp %u -> %s", p, name);
		if (em->json) {
			field_str(em, "proto", "udp");
			field_u64(em, "port", p);
			field_str(em, "app", name);
		}
		row_end(em);
	}
	list_end(em, "no bindings");
}

/* The words of tern_rss_types_format as list items. */
static void
items_rss_types(struct emit *em, uint64_t hf)
{
	char buf[512];
	char *tok, *save = NULL;

	if (hf == 0)
		return;
	tern_rss_types_format(hf, buf, sizeof(buf));
	for (tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
		if (strcmp(tok, "none") != 0)
			item_str(em, tok);
}

static void
field_cksum(struct emit *em, const char *key, uint64_t off, uint64_t ip4, uint64_t udp)
{
	field_list_begin(em, key);
	if (off & ip4)
		item_str(em, "ipv4");
	if (off & udp)
		item_str(em, "udp");
	field_list_end(em);
}

static void
field_port_addrs(struct emit *em, const struct tern_engine *e, uint16_t port)
{
	const struct tern_addr_table *t = e->addrs;
	char buf[64];

	field_list_begin(em, "addrs");
	for (unsigned i = 0; t != NULL && i < t->n; i++)
		if (t->a[i].port_id == port)
			item_str(em, tern_addr_format(&t->a[i], buf, sizeof(buf)));
	field_list_end(em);
}

/* What the device itself dropped before tern saw it: frames it had no room
 * or no mbuf for (the RX ring full, the pool exhausted), and errors. */
static void
fields_dev_stats(struct emit *em, uint16_t id)
{
	struct rte_eth_stats st;

	if (!rte_eth_dev_is_valid_port(id) || rte_eth_stats_get(id, &st) != 0)
		memset(&st, 0, sizeof(st));
	field_u64(em, "dev_rx_missed", st.imissed);
	field_u64(em, "dev_rx_nombuf", st.rx_nombuf);
	field_u64(em, "dev_rx_errors", st.ierrors);
	field_u64(em, "dev_tx_errors", st.oerrors);
}

static void
show_port(struct emit *em, const struct tern_engine *e, uint16_t id)
{
	const struct tern_port *p = &e->ports[id];
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	uint64_t kdrop;

	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	row_begin(em, "port %u (%s):", id, p->name);
	if (em->json) {
		field_u64(em, "port", id);
		field_str(em, "name", p->name);
	}
	field_str(em, "driver", p->driver);
	field_str(em, "mac", mac);
	field_u64(em, "queues", p->nb_queues);
	field_list_begin(em, "rss");
	items_rss_types(em, p->rss_hf);
	field_list_end(em);
	field_str(em, "rss_key", p->rss_hf == 0 ? "none" : tern_rss_mode_name(e->conf.rss));
	field_cksum(em, "tx_cksum", p->tx_offloads, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM,
		    RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	field_cksum(em, "rx_cksum", p->rx_offloads, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM,
		    RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	field_list_begin(em, "queue_lcore");
	for (uint16_t q = 0; q < p->nb_queues && q < TERN_MAX_QUEUES; q++)
		item_pair(em, "queue", q, "lcore", e->worker_lcore[p->queue_worker[q]]);
	field_list_end(em);
	field_port_addrs(em, e, id);
	field_str(em, "link", p->link < 0 ? "unknown" : p->link ? "up" : "down");
	field_u64(em, "link_changes", p->link_changes);
	fields_dev_stats(em, id);
	if (tern_kernel_drops_total(&p->kdrops, &kdrop))
		field_u64(em, "kernel_rx_dropped", kdrop);
	row_end(em);
}

static void
show_ports(struct emit *em, const struct tern_engine *e)
{
	uint16_t p;

	list_begin(em, NULL);
	TERN_ENGINE_FOREACH_PORT(e, p)
		show_port(em, e, p);
	list_end(em, "no ports");
}

static void
show_lcore(struct emit *em, const struct tern_engine *e, unsigned w)
{
	uint64_t v[TERN_CTR_MAX];
	uint16_t p;

	row_begin(em, "lcore %u (worker %u):", e->worker_lcore[w], w);
	if (em->json) {
		field_u64(em, "lcore", e->worker_lcore[w]);
		field_u64(em, "worker", w);
	}
	field_list_begin(em, "polls");
	TERN_ENGINE_FOREACH_PORT(e, p)
		for (uint16_t q = 0; q < e->ports[p].nb_queues && q < TERN_MAX_QUEUES; q++)
			if (e->ports[p].queue_worker[q] == w)
				item_pair(em, "port", p, "queue", q);
	field_list_end(em);
	tern_stats_worker(e, w, v);
	field_u64(em, "rx", v[TERN_CTR_RX]);
	field_u64(em, "tx", v[TERN_CTR_TX]);
	row_end(em);
}

static void
show_lcores(struct emit *em, const struct tern_engine *e)
{
	list_begin(em, NULL);
	for (unsigned w = 0; w < e->n_workers; w++)
		show_lcore(em, e, w);
	list_end(em, "no worker lcores");
}

/* count and the percentiles of h: "p50_ns=812" in text (p50_cycles when the
 * TSC rate is unknown), "p50":812 in JSON (the unit is given once). */
static void
show_latency(struct emit *em, const struct tern_engine *e)
{
	uint64_t hz = rte_get_tsc_hz();
	struct tern_hist *h = malloc(sizeof(*h));
	struct tern_hist *total = calloc(1, sizeof(*total));

	if (h == NULL || total == NULL) {
		em->o->oom = true; /* the answer is cut, as for any allocation failure */
		goto out_free;
	}
	if (em->json)
		tern_out_printf(em->o, "{\"unit\":\"%s\",", hz != 0 ? "ns" : "cycles");
	list_begin(em, "lcores");
	for (unsigned w = 0; w < e->n_workers; w++) {
		memset(h, 0, sizeof(*h));
		tern_engine_worker_latency(e, w, h);
		tern_hist_merge(total, h);
		row_begin(em, "lcore %u (worker %u):", e->worker_lcore[w], w);
		if (em->json) {
			field_u64(em, "lcore", e->worker_lcore[w]);
			field_u64(em, "worker", w);
		}
		fields_latency(em, h, hz);
		row_end(em);
	}
	list_end(em, NULL);
	tern_out_printf(em->o, em->json ? ",\"total\":{" : "total:");
	em->fields = 0;
	fields_latency(em, total, hz);
	row_end(em);
	if (em->json)
		tern_out_printf(em->o, "}");
out_free:
	free(h);
	free(total);
}

/* One worker's event counters and timer lateness. */
static void
show_worker_events(struct emit *em, const struct tern_engine *e, unsigned w,
		   struct tern_hist *h, uint64_t hz)
{
	uint64_t v[TERN_WCTR_MAX];
	struct tern_hist_summary s;
	uint64_t fired;

	tern_stats_worker_events(e, w, v);
	memset(h, 0, sizeof(*h));
	fired = tern_stats_worker_timers(e, w, h);
	tern_hist_summarize(h, &s);
	row_begin(em, "worker %u lcore %u:", w, e->worker_lcore[w]);
	if (em->json) {
		field_u64(em, "worker", w);
		field_u64(em, "lcore", e->worker_lcore[w]);
	}
	for (unsigned i = 0; i < TERN_WCTR_MAX; i++)
		field_u64(em, tern_wctr_names[i], v[i]);
	field_u64(em, "backlog", tern_worker_backlog_len(&e->workers[w]));
	field_u64(em, "bus_pending", tern_bus_pending(&e->bus, w));
	field_u64(em, "timers_fired", fired);
	field_u64(em, "timer_late_p50_ns", tern_hist_cycles_to_ns(s.p50, hz));
	field_u64(em, "timer_late_p99_ns", tern_hist_cycles_to_ns(s.p99, hz));
	field_u64(em, "timer_late_max_ns", tern_hist_cycles_to_ns(s.max, hz));
	row_end(em);
}

/* Per worker: loop, idle, bus, steering, budget and timer counters. */
static void
show_events(struct emit *em, const struct tern_engine *e)
{
	struct tern_hist *h = malloc(sizeof(*h));

	if (h == NULL) {
		em->o->oom = true;
		return;
	}
	if (em->json)
		tern_out_printf(em->o, "{\"idle\":\"%s\",\"steer\":\"%s\",",
				tern_idle_mode_name(e->conf.idle.mode),
				tern_steer_mode_name(e->conf.steer));
	else
		tern_out_printf(em->o, "idle %s, steer %s\n", tern_idle_mode_name(e->conf.idle.mode),
				tern_steer_mode_name(e->conf.steer));
	list_begin(em, "workers");
	for (unsigned w = 0; w < e->n_workers; w++)
		show_worker_events(em, e, w, h, rte_get_tsc_hz());
	list_end(em, NULL);
	if (em->json)
		tern_out_printf(em->o, "}");
	free(h);
}

/* tern's version, the app ABI it loads, the DPDK it runs on. */
static void
show_version(struct emit *em, const struct tern_engine *e)
{
	const char *dpdk = rte_version();

	(void)e;
	if (strncmp(dpdk, "DPDK ", 5) == 0)
		dpdk += 5;
	row_begin(em, "tern");
	field_str(em, "version", TERN_VERSION);
	field_u64(em, "app_abi", TERN_APP_ABI_VERSION);
	field_str(em, "dpdk", dpdk);
	row_end(em);
}

static const struct {
	const char *name;
	void (*fn)(struct emit *em, const struct tern_engine *e);
} show_views[] = {
	{ "stats", show_stats },
	{ "apps", show_apps },
	{ "bindings", show_bindings },
	{ "ports", show_ports },
	{ "lcores", show_lcores },
	{ "latency", show_latency },
	{ "events", show_events },
	{ "canary", tern_show_canary },
	{ "memory", tern_show_memory },
	{ "version", show_version },
};

static int
cmd_show(struct cmd_ctx *c, unsigned argc, char **argv)
{
	struct emit em = { .o = c->out };

	if (argc == 2 && strcmp(argv[1], "json") != 0)
		return cmd_usage_err(c, EINVAL, "unexpected '%s' (expected 'json')", argv[1]);
	em.json = argc == 2;
	for (size_t i = 0; i < RTE_DIM(show_views); i++) {
		if (strcmp(argv[0], show_views[i].name) != 0)
			continue;
		show_views[i].fn(&em, c->e);
		if (em.json)
			tern_out_printf(c->out, "\n");
		return 0;
	}
	return cmd_usage_err(c, EINVAL, "unknown view '%.64s'", argv[0]);
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

/* Which queue, and so which worker and lcore, a flow lands on, per port:
 * the device's hash over the flow (its RSS types and key), then its RETA. */
static int
cmd_show_flow(struct cmd_ctx *c, unsigned argc, char **argv)
{
	const struct tern_engine *e = c->e;
	struct emit em = { .o = c->out };
	struct tern_rss_flow f;
	uint16_t p;
	int rc = parse_flow(c, argc, argv, &f, &em.json);

	if (rc < 0)
		return rc;
	list_begin(&em, NULL);
	TERN_ENGINE_FOREACH_PORT(e, p) {
		const struct tern_port *pt = &e->ports[p];
		uint16_t q = tern_port_flow_queue(pt, &f);
		unsigned w = tern_engine_flow_worker(e, p, &f);

		row_begin(&em, "port %u (%s):", p, pt->name);
		if (em.json) {
			field_u64(&em, "port", p);
			field_str(&em, "name", pt->name);
		}
		field_u64(&em, "queue", q);
		field_str(&em, "steered", e->steered[p] ? "yes" : "no");
		field_u64(&em, "worker", w);
		field_u64(&em, "lcore", e->worker_lcore[w]);
		field_u64(&em, "rss_hash", pt->rss_hf != 0 ?
			  tern_rss_hash(&f, pt->rss_hf, pt->rss_key, pt->rss_key_len) : 0);
		row_end(&em);
	}
	list_end(&em, "no ports");
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
	{ { "event", "post" }, 2, 2 + TERN_APP_MAX_KV, cmd_event_post, "event post NAME TEXT..." },
	{ { "bind", NULL }, 3, 3, cmd_port, "bind udp PORT NAME" },
	{ { "rebind", NULL }, 3, 3, cmd_port, "rebind udp PORT NAME" },
	{ { "unbind", NULL }, 2, 2, cmd_port, "unbind udp PORT" },
	{ { "canary", "udp" }, 3, 7, cmd_canary,
	  "canary udp PORT NAME PERCENT [max_drop_ratio=X] [max_p99_ratio=Y] [window_ms=N] "
	  "[min_requests=N]" },
	{ { "canary", "promote" }, 2, 2, cmd_canary_end, "canary promote udp PORT" },
	{ { "canary", "abort" }, 2, 2, cmd_canary_end, "canary abort udp PORT" },
	{ { "ip", "add" }, 1, 3, cmd_ip_add, "ip add ADDR/PREFIX [port N]" },
	{ { "show", "latency" }, 0, 2, cmd_show_latency, "show latency [apps|interval] [json]" },
	{ { "show", "flow" }, 4, 6, cmd_show_flow,
	  "show flow SRC DST SPORT DPORT [udp|tcp] [json]" },
	{ { "show", NULL }, 1, 2, cmd_show,
	  "show stats|apps|bindings|ports|lcores|events|canary|memory|version [json] "
	  "(and show latency, show flow)" },
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
		/* "show latency" and "show flow" are listed as "show" */
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

/* ------------------------------------------------------------ exec files */

/* Read one line into buf (without "\n" or "\r\n"). 1 = got one, 0 = EOF,
 * -E2BIG = longer than TERN_CMD_LINE_MAX. */
static int
read_line(FILE *f, char *buf, size_t size)
{
	size_t len;

	if (fgets(buf, (int)size, f) == NULL)
		return 0;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len == size - 1)
		return -E2BIG;
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 1;
}

static void
echo_out(FILE *echo, const struct tern_out *out)
{
	if (echo != NULL && out->len > 0) {
		fputs(out->buf, echo);
		fflush(echo);
	}
}

int
tern_cmd_exec_file(struct tern_engine *e, const char *path, FILE *echo,
		   struct tern_err *err)
{
	/* room for TERN_CMD_LINE_MAX bytes, "\r\n" and the NUL */
	char buf[TERN_CMD_LINE_MAX + 3];
	struct tern_err lerr = { "" };
	struct tern_out out;
	unsigned lineno = 0;
	int rc = 0, got;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL)
		return tern_err_set(err, errno, "cannot read exec file '%s': %s",
				    path, strerror(errno));
	tern_out_init(&out);
	while ((got = read_line(f, buf, sizeof(buf))) != 0) {
		lineno++;
		if (got < 0)
			rc = tern_err_set(&lerr, E2BIG, "line too long (max %d bytes)",
					  TERN_CMD_LINE_MAX);
		else
			rc = tern_cmd_exec(e, buf, &out, &lerr);
		echo_out(echo, &out);
		tern_out_free(&out);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = tern_err_set(&lerr, EIO, "read error");
	fclose(f);
	if (rc < 0)
		tern_err_set(err, -rc, "%s:%u: %s", path, lineno, lerr.msg);
	return rc;
}
