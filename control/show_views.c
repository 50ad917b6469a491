/* SPDX-License-Identifier: BSD-3-Clause */
/* The `show VIEW` answers: see show_views.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_version.h>

#include "emit.h"
#include "engine_limits.h"
#include "latency_hist.h"
#include "show_memory.h"
#include "show_swap.h"
#include "show_views.h"
#include "stats_base.h"
#include "worker.h"

/* An app's stats hook writes at most this much (longer text is cut). */
#define APP_STATS_MAX 1024

static void
show_stats_total(struct emit *em, const struct tern_engine *e)
{
	uint64_t total[TERN_CTR_MAX];

	tern_engine_ctr_total(e, tern_stats_port, total);
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
	uint64_t v[TERN_POOL_FIG_MAX];

	tern_engine_pool_figures(e, v);
	tern_out_printf(em->o, em->json ? "\"pool\":{" : "pool:");
	em->fields = 0;
	for (unsigned i = 0; i < TERN_POOL_FIG_MAX; i++)
		field_u64(em, tern_pool_fig_names[i], v[i]);
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
void
tern_show_latency(struct emit *em, const struct tern_engine *e)
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
	/* Idle: how a sleep ends, and how late timed ones wake. */
	memcpy(h, &e->workers[w].wake_late, sizeof(*h)); /* its worker writes it */
	tern_hist_summarize(h, &s);
	field_str(em, "idle_wait", e->conf.idle.mode == TERN_IDLE_BUSY ? "none" :
		  e->workers[w].rx_wake ? "frame" : "steps");
	field_u64(em, "wake_late_p50_ns", tern_hist_cycles_to_ns(s.p50, hz));
	field_u64(em, "wake_late_p99_ns", tern_hist_cycles_to_ns(s.p99, hz));
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

/* Who gets replies over max_amplification (trust.h): tern's own subnets
 * (when local is on) and the trusted prefixes. */
static void
show_trust(struct emit *em, const struct tern_engine *e)
{
	const struct tern_trust_table *t = e->trust;
	const struct tern_addr_table *at = e->addrs;
	bool local = t == NULL || t->local;
	char buf[64];

	row_begin(em, "trust:");
	field_str(em, "local", local ? "on" : "off");
	field_list_begin(em, "local_subnets");
	for (unsigned i = 0; local && at != NULL && i < at->n; i++) {
		struct tern_prefix p;

		tern_prefix_of_addr(&at->a[i], &p);
		item_str(em, tern_prefix_format(&p, buf, sizeof(buf)));
	}
	field_list_end(em);
	field_list_begin(em, "prefixes");
	for (unsigned i = 0; t != NULL && i < t->n; i++)
		item_str(em, tern_prefix_format(&t->p[i], buf, sizeof(buf)));
	field_list_end(em);
	row_end(em);
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
	{ "latency", tern_show_latency },
	{ "events", show_events },
	{ "canary", tern_show_canary },
	{ "memory", tern_show_memory },
	{ "trust", show_trust },
	{ "version", show_version },
};

int
tern_show_view(struct emit *em, const struct tern_engine *e, const char *name)
{
	for (size_t i = 0; i < RTE_DIM(show_views); i++) {
		if (strcmp(name, show_views[i].name) == 0) {
			show_views[i].fn(em, e);
			return 0;
		}
	}
	return -ENOENT;
}

/* Which queue, and so which worker and lcore, a flow lands on, per port:
 * the device's hash over the flow (its RSS types and key), then its RETA. */
void
tern_show_flow(struct emit *em, const struct tern_engine *e, const struct tern_rss_flow *f)
{
	uint16_t p;

	list_begin(em, NULL);
	TERN_ENGINE_FOREACH_PORT(e, p) {
		const struct tern_port *pt = &e->ports[p];
		uint16_t q = tern_port_flow_queue(pt, f);
		unsigned w = tern_engine_flow_worker(e, p, f);

		row_begin(em, "port %u (%s):", p, pt->name);
		if (em->json) {
			field_u64(em, "port", p);
			field_str(em, "name", pt->name);
		}
		field_u64(em, "queue", q);
		field_str(em, "steered", e->steered[p] ? "yes" : "no");
		field_u64(em, "worker", w);
		field_u64(em, "lcore", e->worker_lcore[w]);
		field_u64(em, "rss_hash", pt->rss_hf != 0 ?
			  tern_rss_hash(f, pt->rss_hf, pt->rss_key, pt->rss_key_len) : 0);
		row_end(em);
	}
	list_end(em, "no ports");
}
