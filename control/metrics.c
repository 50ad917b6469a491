/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show metrics`: see metrics.h. The format's rules that shape this file:
 * a family's samples follow its `# HELP` and `# TYPE` lines without another
 * family in between, so each function below writes one family and loops over
 * ports, workers or apps inside it; label values escape '\\', '"' and newline;
 * HELP text escapes '\\' and newline.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_version.h>

#include "app_stats.h"
#include "engine.h"
#include "metrics.h"
#include "worker.h"

/* Labels of one sample: `port="0",name="net_null0"`, escaped. */
#define LABELS_MAX 512
/* An app's stats hook writes at most this much (as in show apps). */
#define APP_STATS_MAX 1024

/* The histograms' upper bounds (le), in ns: 50 ns to 1 s, 1-2.5-5 steps. A
 * tern_hist bucket (exact below 64 cycles, 1/32 wide above) counts at the
 * first bound its high end does not exceed: a value up to 1/32 below a
 * bound may be counted at the next one. */
static const uint64_t hist_bounds_ns[] = {
	50, 100, 250, 500,
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000, 250000000, 500000000,
	1000000000,
};

/* s with '\\' and newline escaped (HELP), and '"' too when quote. */
static void
put_escaped(struct tern_out *o, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			tern_out_printf(o, "\\\\");
		else if (*s == '\n')
			tern_out_printf(o, "\\n");
		else if (*s == '"' && quote)
			tern_out_printf(o, "\\\"");
		else
			tern_out_printf(o, "%c", *s);
	}
}

/* Append k="v" (v escaped) to the label list buf. */
static void
label_add(char *buf, size_t len, const char *k, const char *v)
{
	size_t n = strlen(buf);

	n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s=\"", n > 0 ? "," : "", k);
	for (; *v != '\0' && n + 3 < len; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			buf[n++] = '\\';
		buf[n++] = *v == '\n' ? 'n' : *v;
	}
	if (n + 2 <= len) {
		buf[n++] = '"';
		buf[n] = '\0';
	}
}

static void
label_add_u(char *buf, size_t len, const char *k, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	label_add(buf, len, k, num);
}

/* # HELP and # TYPE of a family; help is "what" then an optional detail. */
static void
family(struct tern_out *o, const char *name, const char *type, const char *help,
       const char *detail)
{
	tern_out_printf(o, "# HELP %s ", name);
	put_escaped(o, help, false);
	if (detail != NULL)
		put_escaped(o, detail, false);
	tern_out_printf(o, "\n# TYPE %s %s\n", name, type);
}

static void
sample_u64(struct tern_out *o, const char *name, const char *labels, uint64_t v)
{
	if (labels[0] != '\0')
		tern_out_printf(o, "%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		tern_out_printf(o, "%s %" PRIu64 "\n", name, v);
}

static void
sample_f(struct tern_out *o, const char *name, const char *labels, double v)
{
	if (labels[0] != '\0')
		tern_out_printf(o, "%s{%s} %.9g\n", name, labels, v);
	else
		tern_out_printf(o, "%s %.9g\n", name, v);
}

/* Add bucket i of h to the running count and sum (cycles, at the bucket's
 * midpoint: within 1/64 of the values in it). */
static void
hist_take(const struct tern_hist *h, unsigned i, uint64_t *cum, double *sum)
{
	double mid = ((double)tern_hist_bucket_low(i) + (double)tern_hist_bucket_high(i)) / 2;

	*cum += h->count[i];
	*sum += (double)h->count[i] * mid;
}

void
tern_metrics_hist(struct tern_out *o, const char *name, const char *labels,
		  const struct tern_hist *h, uint64_t hz)
{
	const char *sep = labels[0] != '\0' ? "," : "";
	char sample[128];
	double sum = 0; /* cycles */
	uint64_t cum = 0;
	unsigned i = 0;

	/* Bucket highs grow with the index: one pass over both. */
	for (size_t b = 0; b < RTE_DIM(hist_bounds_ns); b++) {
		double bound = (double)hist_bounds_ns[b] * (double)hz / 1e9; /* cycles */

		for (; i < TERN_HIST_BUCKETS && (double)tern_hist_bucket_high(i) <= bound; i++)
			hist_take(h, i, &cum, &sum);
		tern_out_printf(o, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels, sep,
				(double)hist_bounds_ns[b] / 1e9, cum);
	}
	for (; i < TERN_HIST_BUCKETS; i++)
		hist_take(h, i, &cum, &sum);
	/* +Inf and _count from the same buckets (h->n may be read apart from them). */
	tern_out_printf(o, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, cum);
	snprintf(sample, sizeof(sample), "%s_sum", name);
	sample_f(o, sample, labels, sum / (double)hz);
	snprintf(sample, sizeof(sample), "%s_count", name);
	sample_u64(o, sample, labels, cum);
}

static void
port_labels(const struct tern_engine *e, uint16_t p, char *buf, size_t len)
{
	buf[0] = '\0';
	label_add_u(buf, len, "port", p);
	label_add(buf, len, "name", e->ports[p].name);
}

static void
worker_labels(const struct tern_engine *e, unsigned w, char *buf, size_t len)
{
	buf[0] = '\0';
	label_add_u(buf, len, "worker", w);
	label_add_u(buf, len, "lcore", e->worker_lcore[w]);
}

/* # HELP of the drops family, naming every reason. */
static void
family_drops(struct tern_out *o)
{
	unsigned n = 0;

	tern_out_printf(o, "# HELP tern_port_dropped_frames_total Frames per port dropped, by "
			"reason (show stats' drop_REASON, docs/observability.md): ");
	for (unsigned c = 0; c < TERN_CTR_MAX; c++)
		if (tern_ctr_is_drop(c))
			tern_out_printf(o, "%s%s", n++ > 0 ? ", " : "",
					tern_ctr_names[c] + strlen("drop_"));
	tern_out_printf(o, "\n# TYPE tern_port_dropped_frames_total counter\n");
}

/* Frame counters per port: tern_port_dropped_frames_total{reason} for the
 * drop_* counters, tern_port_NAME_frames_total for each other one. */
static void
metrics_ports(struct tern_out *o, const struct tern_engine *e)
{
	uint64_t (*v)[TERN_CTR_MAX] = calloc(TERN_MAX_PORTS, sizeof(*v));
	char labels[LABELS_MAX], name[96];
	uint16_t p;

	if (v == NULL) {
		o->oom = true;
		return;
	}
	TERN_ENGINE_FOREACH_PORT(e, p)
		tern_engine_port_counters(e, p, v[p]);
	for (unsigned c = 0; c < TERN_CTR_MAX; c++) {
		if (tern_ctr_is_drop(c))
			continue;
		snprintf(name, sizeof(name), "tern_port_%s_frames_total", tern_ctr_names[c]);
		family(o, name, "counter", "Frames per port; a frame counted here ", tern_ctr_descs[c]);
		TERN_ENGINE_FOREACH_PORT(e, p) {
			port_labels(e, p, labels, sizeof(labels));
			sample_u64(o, name, labels, v[p][c]);
		}
	}
	family_drops(o);
	TERN_ENGINE_FOREACH_PORT(e, p) {
		for (unsigned c = 0; c < TERN_CTR_MAX; c++) {
			if (!tern_ctr_is_drop(c))
				continue;
			port_labels(e, p, labels, sizeof(labels));
			label_add(labels, sizeof(labels), "reason",
				  tern_ctr_names[c] + strlen("drop_"));
			sample_u64(o, "tern_port_dropped_frames_total", labels, v[p][c]);
		}
	}
	free(v);
}

/* Event counters per worker: tern_worker_NAME_total; a counter in ns
 * (NAME_ns) becomes tern_worker_NAME_seconds_total. */
static void
metrics_worker_events(struct tern_out *o, const struct tern_engine *e)
{
	uint64_t (*v)[TERN_WCTR_MAX] = calloc(e->n_workers + 1, sizeof(*v));
	char labels[LABELS_MAX], name[96], help[512];

	if (v == NULL) {
		o->oom = true;
		return;
	}
	for (unsigned w = 0; w < e->n_workers; w++)
		tern_engine_worker_events(e, w, v[w]);
	for (unsigned c = 0; c < TERN_WCTR_MAX; c++) {
		const char *n = tern_wctr_names[c];
		size_t len = strlen(n);
		bool ns = len > 3 && strcmp(n + len - 3, "_ns") == 0;

		if (ns)
			snprintf(name, sizeof(name), "tern_worker_%.*s_seconds_total",
				 (int)(len - 3), n);
		else
			snprintf(name, sizeof(name), "tern_worker_%s_total", n);
		/* a description in ns says so: the value here is in seconds */
		snprintf(help, sizeof(help), "%s%s", tern_wctr_descs[c], ns ? " (in seconds here)" : "");
		family(o, name, "counter", "Per worker: ", help);
		for (unsigned w = 0; w < e->n_workers; w++) {
			worker_labels(e, w, labels, sizeof(labels));
			if (ns)
				sample_f(o, name, labels, (double)v[w][c] / 1e9);
			else
				sample_u64(o, name, labels, v[w][c]);
		}
	}
	free(v);
}

/* Per worker: backlog and bus now, timers fired. */
static void
metrics_worker_gauges(struct tern_out *o, const struct tern_engine *e, struct tern_hist *h)
{
	char labels[LABELS_MAX];

	family(o, "tern_worker_backlog_requests", "gauge",
	       "Requests in the worker's backlog now (deferred over an app's budget, or held)",
	       NULL);
	for (unsigned w = 0; w < e->n_workers; w++) {
		worker_labels(e, w, labels, sizeof(labels));
		sample_u64(o, "tern_worker_backlog_requests", labels,
			   tern_worker_backlog_len(&e->workers[w]));
	}
	family(o, "tern_worker_bus_pending_events", "gauge",
	       "Events waiting in the worker's event ring now", NULL);
	for (unsigned w = 0; w < e->n_workers; w++) {
		worker_labels(e, w, labels, sizeof(labels));
		sample_u64(o, "tern_worker_bus_pending_events", labels,
			   tern_bus_pending(&e->bus, w));
	}
	family(o, "tern_worker_timers_fired_total", "counter", "Timers fired on the worker",
	       NULL);
	for (unsigned w = 0; w < e->n_workers; w++) {
		worker_labels(e, w, labels, sizeof(labels));
		memset(h, 0, sizeof(*h));
		sample_u64(o, "tern_worker_timers_fired_total", labels,
			   tern_engine_worker_timers(e, w, h));
	}
}

/* One worker's histograms, read into h (TSC cycles). */
static void
read_latency(const struct tern_engine *e, unsigned w, struct tern_hist *h)
{
	tern_engine_worker_latency(e, w, h);
}

static void
read_timer_late(const struct tern_engine *e, unsigned w, struct tern_hist *h)
{
	tern_engine_worker_timers(e, w, h);
}

static void
read_wake_late(const struct tern_engine *e, unsigned w, struct tern_hist *h)
{
	tern_hist_merge(h, &e->workers[w].wake_late); /* its worker writes it */
}

/* The workers' histograms: in-engine latency, timer lateness, wake-up
 * lateness; one family each, one histogram per worker. */
static void
metrics_worker_hists(struct tern_out *o, const struct tern_engine *e, struct tern_hist *h,
		     uint64_t hz)
{
	static const struct {
		const char *name, *help;
		void (*read)(const struct tern_engine *, unsigned, struct tern_hist *);
	} fams[] = {
		{ "tern_worker_latency_seconds",
		  "Time a frame spent inside tern, from the RX burst that received its request "
		  "to the TX burst that sent it (show latency)", read_latency },
		{ "tern_worker_timer_lateness_seconds",
		  "How late timers fired after their deadline (show events timer_late_*)",
		  read_timer_late },
		{ "tern_worker_wake_lateness_seconds",
		  "How late an idle worker ran after it should have woken (show events "
		  "wake_late_*)", read_wake_late },
	};
	char labels[LABELS_MAX];

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		family(o, fams[f].name, "histogram", fams[f].help, NULL);
		for (unsigned w = 0; w < e->n_workers; w++) {
			worker_labels(e, w, labels, sizeof(labels));
			memset(h, 0, sizeof(*h));
			fams[f].read(e, w, h);
			tern_metrics_hist(o, fams[f].name, labels, h, hz);
		}
	}
}

/* The mbuf pool (show stats' pool: line). */
static void
metrics_pool(struct tern_out *o, const struct tern_engine *e)
{
	uint64_t v[TERN_POOL_FIG_MAX];

	tern_engine_pool_figures(e, v);
	family(o, "tern_mbuf_pool_size_mbufs", "gauge", "mbufs in the pool", NULL);
	sample_u64(o, "tern_mbuf_pool_size_mbufs", "", v[TERN_POOL_FIG_SIZE]);
	family(o, "tern_mbuf_pool_in_use_mbufs", "gauge",
	       "mbufs out of the pool now (rings, backlogs, apps)", NULL);
	sample_u64(o, "tern_mbuf_pool_in_use_mbufs", "", v[TERN_POOL_FIG_IN_USE]);
	family(o, "tern_mbuf_pool_min_available_mbufs", "gauge",
	       "The fewest mbufs free seen (since start or clear stats)", NULL);
	sample_u64(o, "tern_mbuf_pool_min_available_mbufs", "", v[TERN_POOL_FIG_MIN_AVAILABLE]);
	family(o, "tern_mbuf_pool_exhaustions_total", "counter",
	       "Times the pool ran dry (since start or clear stats)", NULL);
	sample_u64(o, "tern_mbuf_pool_exhaustions_total", "", v[TERN_POOL_FIG_EXHAUSTIONS]);
	family(o, "tern_mbuf_pool_exhausted_seconds_total", "counter",
	       "Time the pool was dry (since start or clear stats)", NULL);
	sample_f(o, "tern_mbuf_pool_exhausted_seconds_total", "",
		 (double)v[TERN_POOL_FIG_EXHAUSTED_MS] / 1e3);
}

/* What show apps counts per instance (struct tern_app_totals), as counters. */
static const struct {
	size_t off;
	const char *name;
	const char *help;
} app_counters[] = {
	{ offsetof(struct tern_app_totals, requests), "tern_app_requests_total",
	  "Requests the instance's udp_burst got (show apps seen)" },
	{ offsetof(struct tern_app_totals, replies), "tern_app_replies_total",
	  "Requests the instance replied to (replied)" },
	{ offsetof(struct tern_app_totals, drops), "tern_app_drops_total",
	  "Requests the instance gave the verdict DROP (dropped)" },
	{ offsetof(struct tern_app_totals, bad), "tern_app_invalid_total",
	  "Requests with an invalid verdict or reply length from the instance (invalid)" },
	{ offsetof(struct tern_app_totals, held), "tern_app_held_total",
	  "Requests the instance ran after an app replace held them (held)" },
	{ offsetof(struct tern_app_totals, log_suppressed), "tern_app_log_suppressed_total",
	  "Log lines of the instance suppressed by the rate limit (log_suppressed)" },
};

/* Words of an app's stats text kept at most (1024 bytes: 512 "k=" words). */
#define APP_STAT_WORDS_MAX (APP_STATS_MAX / 2)

static void
app_labels(const struct tern_app_instance *app, char *buf, size_t len)
{
	buf[0] = '\0';
	label_add(buf, len, "app", app->name);
}

/* One "key=digits" word of an app's stats text, or NULL: a word without
 * '=', a value that is not a number, a key seen before (keys[0..n-1]; a
 * second sample of one series would make the whole scrape fail). */
static const char *
app_stat_value(char *tok, char **keys, unsigned n)
{
	char *eq = strchr(tok, '=');
	size_t vlen;

	if (eq == NULL || eq == tok)
		return NULL;
	vlen = strlen(eq + 1);
	if (vlen == 0 || vlen > 20 || strspn(eq + 1, "0123456789") != vlen)
		return NULL;
	*eq = '\0';
	for (unsigned i = 0; i < n; i++)
		if (strcmp(keys[i], tok) == 0)
			return NULL;
	return eq + 1;
}

/* The app's own numeric counters from its stats hook, as tern_app_stat{key}. */
static void
samples_app_stat(struct tern_out *o, const struct tern_app_instance *app)
{
	char buf[APP_STATS_MAX], labels[LABELS_MAX];
	char *keys[APP_STAT_WORDS_MAX];
	char *tok, *save = NULL;
	const char *v;
	unsigned n = 0;

	if (app->desc == NULL || app->desc->stats == NULL)
		return;
	buf[0] = '\0';
	app->desc->stats(app->state, buf, sizeof(buf));
	buf[sizeof(buf) - 1] = '\0';
	for (tok = strtok_r(buf, " \t\n", &save); tok != NULL && n < RTE_DIM(keys);
	     tok = strtok_r(NULL, " \t\n", &save)) {
		v = app_stat_value(tok, keys, n);
		if (v == NULL)
			continue;
		keys[n++] = tok;
		app_labels(app, labels, sizeof(labels));
		label_add(labels, sizeof(labels), "key", tok);
		tern_out_printf(o, "tern_app_stat{%s} %s\n", labels, v);
	}
}

/* tern_app_info: one series per instance, its kind and image. */
static void
metrics_app_info(struct tern_out *o, const struct tern_engine *e)
{
	char labels[LABELS_MAX];

	family(o, "tern_app_info", "gauge",
	       "A loaded app instance (always 1): its kind and the SHA-256 of its library", NULL);
	for (unsigned s = 0; s <= TERN_MAX_APPS; s++) {
		const struct tern_app_instance *a = e->apps[s];

		if (a == NULL)
			continue;
		app_labels(a, labels, sizeof(labels));
		label_add(labels, sizeof(labels), "kind",
			  a->desc != NULL && a->desc->name != NULL ? a->desc->name : "unknown");
		label_add(labels, sizeof(labels), "sha256", a->img.sha256);
		sample_u64(o, "tern_app_info", labels, 1);
	}
}

/* Per instance: show apps' counters (t, by slot) and the stats hook's. */
static void
metrics_app_counters(struct tern_out *o, const struct tern_engine *e,
		     const struct tern_app_totals *t)
{
	char labels[LABELS_MAX];

	for (size_t c = 0; c < RTE_DIM(app_counters); c++) {
		family(o, app_counters[c].name, "counter", app_counters[c].help, NULL);
		for (unsigned s = 0; s <= TERN_MAX_APPS; s++) {
			if (e->apps[s] == NULL)
				continue;
			app_labels(e->apps[s], labels, sizeof(labels));
			sample_u64(o, app_counters[c].name, labels,
				   *(const uint64_t *)((const char *)&t[s] + app_counters[c].off));
		}
	}
	family(o, "tern_app_stat", "untyped",
	       "The app's own counters from its stats hook, by key (show apps)", NULL);
	for (unsigned s = 0; s <= TERN_MAX_APPS; s++)
		if (e->apps[s] != NULL)
			samples_app_stat(o, e->apps[s]);
}

/* Per instance, in seconds: the longest hold, the latency histogram. */
static void
metrics_app_times(struct tern_out *o, const struct tern_engine *e,
		  const struct tern_app_totals *t, struct tern_hist *h, uint64_t hz)
{
	char labels[LABELS_MAX];

	family(o, "tern_app_held_wait_max_seconds", "gauge",
	       "The longest a held request of the instance waited", NULL);
	for (unsigned s = 0; s <= TERN_MAX_APPS; s++) {
		if (e->apps[s] == NULL)
			continue;
		app_labels(e->apps[s], labels, sizeof(labels));
		sample_f(o, "tern_app_held_wait_max_seconds", labels,
			 (double)t[s].held_wait_max / (double)hz);
	}
	family(o, "tern_app_latency_seconds", "histogram",
	       "Time from a request's arrival to the end of its app's call, less other apps' "
	       "calls in the burst (show latency apps)", NULL);
	for (unsigned s = 0; s <= TERN_MAX_APPS; s++) {
		if (e->apps[s] == NULL)
			continue;
		app_labels(e->apps[s], labels, sizeof(labels));
		memset(h, 0, sizeof(*h));
		tern_app_latency_read(e->apps[s]->ws, e->apps[s]->n_ws, h);
		tern_metrics_hist(o, "tern_app_latency_seconds", labels, h, hz);
	}
}

/* Per loaded instance: what show apps counts, its own counters, its latency
 * (not without a TSC rate: unit tests). */
static void
metrics_apps(struct tern_out *o, const struct tern_engine *e, struct tern_hist *h,
	     uint64_t hz)
{
	struct tern_app_totals *t = calloc(TERN_MAX_APPS + 1, sizeof(*t));

	if (t == NULL) {
		o->oom = true;
		return;
	}
	for (unsigned s = 0; s <= TERN_MAX_APPS; s++)
		if (e->apps[s] != NULL)
			tern_app_totals_read(e->apps[s]->ws, e->apps[s]->n_ws, &t[s]);
	metrics_app_info(o, e);
	metrics_app_counters(o, e, t);
	if (hz != 0)
		metrics_app_times(o, e, t, h, hz);
	free(t);
}

static void
metrics_info(struct tern_out *o)
{
	const char *dpdk = rte_version();
	char labels[LABELS_MAX] = "";

	if (strncmp(dpdk, "DPDK ", 5) == 0)
		dpdk += 5;
	label_add(labels, sizeof(labels), "version", TERN_VERSION);
	label_add(labels, sizeof(labels), "dpdk", dpdk);
	label_add_u(labels, sizeof(labels), "app_abi", TERN_APP_ABI_VERSION);
	family(o, "tern_build_info", "gauge", "tern's version, the DPDK it runs on, its app ABI "
	       "(always 1)", NULL);
	sample_u64(o, "tern_build_info", labels, 1);
}

void
tern_metrics_write(struct tern_out *o, const struct tern_engine *e)
{
	struct tern_hist *h = malloc(sizeof(*h));
	uint64_t hz = rte_get_tsc_hz();

	metrics_info(o);
	metrics_ports(o, e);
	metrics_worker_events(o, e);
	metrics_pool(o, e);
	if (h == NULL) {
		o->oom = true;
		return;
	}
	metrics_worker_gauges(o, e, h);
	/* Without a TSC rate (unit tests, no EAL) there are no seconds to give. */
	if (hz != 0)
		metrics_worker_hists(o, e, h, hz);
	metrics_apps(o, e, h, hz);
	free(h);
}
