/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kv: a tern app serving an in-memory key-value store with the memcached
 * text protocol over UDP (see docs/kv.md). Arguments (app load NAME PATH
 * key=value ...):
 *   memory_mb=N    item memory in MiB, split evenly among workers (default 64)
 *   max_value=N    longest value in bytes (default 1048576, 24 to 1048576)
 *   reply_max=N    longest reply body (default max_value + 65536), sent in
 *                  datagrams of 1392 bytes after the frame header
 *   version=STR    what "version" answers (default "1.6.18-tern-kv")
 *   reap_ms=N      reaper period per worker (default 1000)
 *   reap_scan=N    slots the reaper looks at per period (default 4096)
 *
 * Each worker owns the keys that hash to it; a request arriving elsewhere
 * is handed to its home worker (verdict HANDOFF). Each worker runs a
 * periodic timer that frees expired items; lookups also check expiry.
 * All memory is allocated in init. A reply longer than one datagram goes
 * out as several (tern_host.reply_more for all but the last).
 *
 * app replace keeps the cache: export_state hands the store itself (a
 * pointer, with its layout version and configuration) to the successor,
 * which adopts it if its layout and configuration match and frees the
 * store its own init made at the engine's next tick (off the hold); the
 * predecessor then leaves the store alone in fini. If the successor
 * refuses, the predecessor keeps its store and keeps serving.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tern/app.h>

#include "kv_proto.h"

#define KV_DEFAULT_MEMORY_MB 64u
#define KV_MAX_MEMORY_MB (1u << 20) /* 1 TiB; a worker's share stays under 32 GiB */
#define KV_DEFAULT_MAX_VALUE KV_VALUE_LIMIT
#define KV_REPLY_ROOM 65536u  /* default reply_max: max_value + this */
#define KV_MB ((uint64_t)1 << 20)
#define KV_DEFAULT_VERSION "1.6.18-tern-kv"
#define KV_DEFAULT_REAP_MS 1000u
#define KV_DEFAULT_REAP_SCAN 4096u
#define KV_MAX_SCAN (1u << 24)
#define KV_NS_PER_MS 1000000ull
#define KV_HANDOVER_MAGIC 0x6b765354u /* "kvST" */

struct kv_app;

/** One worker's own things, on their own cache lines. */
struct kv_worker {
	struct kv_app *app;
	unsigned idx;
	struct tern_timer *reaper;
} __attribute__((aligned(64)));

struct kv_app {
	char name[32];
	const struct tern_host *host;
	void *self;                 /* for host calls */
	unsigned n_workers;
	bool store_given;           /* a successor adopted the store: fini leaves it */
	uint32_t memory_mb;
	uint32_t reap_scan;
	uint64_t reap_ns;
	struct kv_store *store;     /* its own, or adopted from its predecessor */
	struct kv_worker *w;
};

/**
 * export_state's blob: the store itself changes hands (same process, so a
 * pointer), with what the adopter must check before reading it.
 */
struct kv_handover {
	uint32_t magic;             /**< KV_HANDOVER_MAGIC */
	uint32_t layout;            /**< the exporter's KV_LAYOUT_VERSION */
	uint32_t sizes[4];          /**< sizeof kv_store, kv_part, kv_item, kv_wstats */
	uint32_t n_workers;
	uint32_t memory_mb;
	uint32_t max_value;
	uint32_t reply_max;
	struct kv_store *store;
	bool *given;                /**< the exporter's store_given: set by the adopter */
};

struct kv_args {
	struct kv_config cfg;
	uint64_t memory_mb;
	uint64_t reap_ms;
	uint64_t reap_scan;
};

static const char *const kv_keys[] = {
	"memory_mb", "max_value", "reply_max", "version", "reap_ms", "reap_scan", NULL,
};

/* reply_max: given, or max_value + KV_REPLY_ROOM. */
static int
parse_reply_max(const struct tern_app_init *ia, uint64_t max_value, uint64_t *reply_max)
{
	uint64_t dflt = max_value + KV_REPLY_ROOM;

	return tern_app_arg_u64(ia, "reply_max", 64, KV_REPLY_LIMIT, dflt, reply_max);
}

/* The arguments into a, defaults for those not given; -EINVAL and ia->err. */
static int
parse_args(const struct tern_app_init *ia, struct kv_args *a)
{
	const char *version = tern_app_arg(ia, "version");
	uint64_t max_value, reply_max;
	int ret;

	if (tern_app_arg(ia, "items") != NULL)
		return tern_app_fail(ia, EINVAL, "items= is gone: kv sizes its memory like memcached, "
				     "memory_mb=N in all (default %u), items of any size",
				     KV_DEFAULT_MEMORY_MB);
	ret = tern_app_args_known(ia, kv_keys);
	if (ret == 0)
		ret = tern_app_arg_u64(ia, "memory_mb", 1, KV_MAX_MEMORY_MB, KV_DEFAULT_MEMORY_MB,
				       &a->memory_mb);
	if (ret == 0)
		ret = tern_app_arg_u64(ia, "max_value", 24, KV_VALUE_LIMIT, KV_DEFAULT_MAX_VALUE,
				       &max_value);
	if (ret == 0)
		ret = parse_reply_max(ia, max_value, &reply_max);
	if (ret == 0)
		ret = tern_app_arg_u64(ia, "reap_ms", 1, 3600000, KV_DEFAULT_REAP_MS, &a->reap_ms);
	if (ret == 0)
		ret = tern_app_arg_u64(ia, "reap_scan", 1, KV_MAX_SCAN, KV_DEFAULT_REAP_SCAN,
				       &a->reap_scan);
	if (ret != 0)
		return ret;
	if (version != NULL && strlen(version) >= KV_VERSION_MAX)
		return tern_app_fail(ia, EINVAL, "version must be shorter than %d bytes", KV_VERSION_MAX);
	a->cfg = (struct kv_config){
		.mem_bytes = a->memory_mb * KV_MB,
		.max_value = (uint32_t)max_value,
		.reply_max = (uint32_t)reply_max,
		.version = version != NULL ? version : KV_DEFAULT_VERSION,
	};
	return 0;
}

/* Why kv_store_init refused args (-ret): a one-line reason in ia->err. */
static int
store_fail(const struct tern_app_init *ia, const struct kv_args *args, int ret)
{
	struct kv_part_conf pc = { .max_value = args->cfg.max_value };
	uint64_t page = kv_part_page_size(&pc);
	uint64_t need = (uint64_t)KV_PAGES_MIN * page * ia->n_workers;

	if (ret == -EINVAL && args->cfg.mem_bytes / ia->n_workers > KV_PART_MAX_BYTES)
		return tern_app_fail(ia, EINVAL, "memory_mb=%" PRIu64 " gives each of %u worker(s) more "
				     "than %" PRIu64 " MiB, the most a partition addresses", args->memory_mb,
				     ia->n_workers, (uint64_t)(KV_PART_MAX_BYTES / KV_MB));
	if (ret == -EINVAL && args->cfg.mem_bytes < need)
		return tern_app_fail(ia, EINVAL, "memory_mb=%" PRIu64 " is too little for %u worker(s): "
				     "each needs at least %u pages of %" PRIu64 " bytes (memory_mb=%" PRIu64
				     " or more, or a smaller max_value)", args->memory_mb, ia->n_workers,
				     KV_PAGES_MIN, page, (need + KV_MB - 1) / KV_MB);
	return tern_app_fail(ia, -ret, "cannot allocate %" PRIu64 " MiB of items of up to %" PRIu32
			     " bytes for %u worker(s): %s", args->memory_mb, args->cfg.max_value,
			     ia->n_workers, strerror(-ret));
}

/* Unix time minus the host clock, for absolute exptimes. */
static int64_t
unix_offset(const struct tern_host *host)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec - (int64_t)host->now_ns();
}

/* The reaper: runs on its worker, between bursts. */
static void
kv_reap(struct tern_timer *t, void *arg)
{
	struct kv_worker *w = arg;
	struct kv_app *a = w->app;

	(void)t;
	kv_proto_tick(a->store, w->idx, a->host->now_ns(), a->reap_scan);
}

static void
kv_free(struct kv_app *a)
{
	if (a->w != NULL) {
		for (unsigned i = 0; i < a->n_workers; i++) {
			if (a->w[i].reaper != NULL)
				a->host->timer_free(a->w[i].reaper);
		}
	}
	if (a->store != NULL && !a->store_given) {
		kv_store_fini(a->store);
		free(a->store);
	}
	free(a->w);
	free(a);
}

static int
start_workers(const struct tern_app_init *ia, struct kv_app *a)
{
	int ret;

	for (unsigned i = 0; i < a->n_workers; i++) {
		struct kv_worker *w = &a->w[i];

		w->app = a;
		w->idx = i;
		w->reaper = a->host->timer_new(ia->self, kv_reap, w);
		if (w->reaper == NULL)
			return tern_app_fail(ia, ENOMEM, "cannot create the reaper timer of worker %u", i);
		ret = a->host->timer_arm(w->reaper, i, a->reap_ns, a->reap_ns);
		if (ret != 0)
			return tern_app_fail(ia, -ret, "cannot arm the reaper timer of worker %u: %s", i,
				    strerror(-ret));
	}
	return 0;
}

static int
kv_init(const struct tern_app_init *ia, void **state)
{
	struct kv_args args;
	struct kv_app *a;
	int ret;

	ret = parse_args(ia, &args);
	if (ret != 0)
		return ret;
	if (ia->n_workers == 0 || ia->host == NULL)
		return tern_app_fail(ia, EINVAL, "needs at least one worker and the host services");
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return tern_app_fail(ia, ENOMEM, "out of memory");
	snprintf(a->name, sizeof(a->name), "%s", ia->name);
	a->self = ia->self;
	a->host = ia->host;
	a->reap_ns = args.reap_ms * KV_NS_PER_MS;
	a->reap_scan = (uint32_t)args.reap_scan;
	a->memory_mb = (uint32_t)args.memory_mb;
	a->store = malloc(sizeof(*a->store));
	if (a->store == NULL) {
		free(a);
		return tern_app_fail(ia, ENOMEM, "out of memory");
	}
	ret = kv_store_init(a->store, &args.cfg, ia->n_workers, unix_offset(ia->host));
	if (ret != 0) {
		free(a->store);
		free(a);
		return store_fail(ia, &args, ret);
	}
	a->w = aligned_alloc(64, sizeof(*a->w) * ia->n_workers);
	if (a->w == NULL) {
		kv_free(a);
		return tern_app_fail(ia, ENOMEM, "out of memory");
	}
	memset(a->w, 0, sizeof(*a->w) * ia->n_workers);
	a->n_workers = ia->n_workers;
	ret = start_workers(ia, a);
	if (ret != 0) {
		kv_free(a);
		return ret;
	}
	*state = a;
	return 0;
}

static void kv_stats(void *state, char *buf, size_t len);

/* Say what the instance did (ternd's log), then free it. */
static void
kv_fini(void *state)
{
	struct kv_app *a = state;
	char line[1024];

	kv_stats(a, line, sizeof(line));
	a->host->log(a->self, "%s", line);
	kv_free(a);
}

static uint64_t
load(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* The partitions' memory: "memory_mb=64 pages=3/62 bytes_used=N slabs=96:1,1184:2" */
static void
stats_memory(const struct kv_store *s, uint32_t memory_mb, char *buf, size_t len)
{
	uint64_t pages = 0, n_pages = 0, bytes = 0;
	const struct kv_part *p0 = &s->parts[0];

	for (unsigned i = 0; i < s->n_parts; i++) {
		pages += __atomic_load_n(&s->parts[i].pages_used, __ATOMIC_RELAXED);
		n_pages += s->parts[i].n_pages;
		bytes += load(&s->parts[i].bytes_used);
	}
	tern_app_text_append(buf, len, " memory_mb=%" PRIu32 " page_size=%" PRIu32 " pages=%" PRIu64
			     "/%" PRIu64 " bytes_used=%" PRIu64 " slabs=", memory_mb,
			     p0->page_size, pages, n_pages, bytes);
	for (unsigned c = 0, first = 1; c < p0->n_cls; c++) {
		uint64_t cp = 0;

		for (unsigned i = 0; i < s->n_parts; i++)
			cp += __atomic_load_n(&s->parts[i].cls[c].pages, __ATOMIC_RELAXED);
		if (cp == 0)
			continue;
		tern_app_text_append(buf, len, "%s%" PRIu32 ":%" PRIu64, first ? "" : ",",
				     p0->cls[c].size, cp);
		first = 0;
	}
}

/* show apps: the counters summed over workers. */
static void
kv_stats(void *state, char *buf, size_t len)
{
	const struct kv_app *a = state;
	const struct kv_store *s = a->store;
	struct kv_wstats t = { 0 };
	struct kv_part_stats ps = { 0 };
	uint64_t items = 0;

	for (unsigned i = 0; i < a->n_workers; i++) {
		const struct kv_wstats *w = &s->wstats[i];
		const struct kv_part_stats *st = &s->parts[i].st;

		t.requests += load(&w->requests);
		t.replies += load(&w->replies);
		t.handoffs += load(&w->handoffs);
		t.get_hits += load(&w->get_hits);
		t.get_misses += load(&w->get_misses);
		t.stores += load(&w->stores);
		t.remote_reads += load(&w->remote_reads);
		t.cross_writes += load(&w->cross_writes);
		t.drop_short += load(&w->drop_short) + load(&w->drop_multi);
		t.multi_replies += load(&w->multi_replies);
		t.reply_refused += load(&w->reply_refused);
		items += __atomic_load_n(&s->parts[i].n_used, __ATOMIC_RELAXED);
		ps.evictions += load(&st->evictions);
		ps.reclaimed += load(&st->reclaimed);
		ps.reaped += load(&st->reaped);
		ps.alloc_fail += load(&st->alloc_fail);
	}
	snprintf(buf, len, "requests=%" PRIu64 " replies=%" PRIu64 " handoffs=%" PRIu64
		 " get_hits=%" PRIu64 " get_misses=%" PRIu64 " stores=%" PRIu64
		 " items=%" PRIu64 " evictions=%" PRIu64 " reclaimed=%" PRIu64 " reaped=%" PRIu64
		 " out_of_memory=%" PRIu64 " remote_reads=%" PRIu64 " cross_writes=%" PRIu64
		 " drop_frame=%" PRIu64 " multi_replies=%" PRIu64 " reply_refused=%" PRIu64,
		 t.requests, t.replies, t.handoffs, t.get_hits, t.get_misses, t.stores,
		 items, ps.evictions, ps.reclaimed, ps.reaped, ps.alloc_fail, t.remote_reads,
		 t.cross_writes, t.drop_short, t.multi_replies, t.reply_refused);
	stats_memory(s, a->memory_mb, buf, len);
}

/* Where a request goes when it may not be home: 1 if its verdict is set. */
static int
route(struct kv_app *a, unsigned worker, struct tern_udp_req *req)
{
	struct kv_route rt;

	kv_proto_route(a->store, worker, req->payload, req->len, &rt);
	if (rt.drop)
		return 0; /* kv_proto_run counts and drops it */
	if (rt.cross) {
		req->len = (uint16_t)kv_proto_cross_reply(a->store, worker, req->payload,
							   req->payload, req->cap);
		req->verdict = req->len != 0 ? TERN_VERDICT_REPLY : TERN_VERDICT_DROP;
		return 1;
	}
	if (rt.home == worker)
		return 0;
	__atomic_store_n(&a->store->wstats[worker].handoffs,
			 a->store->wstats[worker].handoffs + 1, __ATOMIC_RELAXED);
	req->to_worker = (uint16_t)rt.home;
	req->verdict = TERN_VERDICT_HANDOFF;
	return 1;
}

/* Datagrams 0..n-2 of the reply in out through reply_more, the last one
 * into req's payload. If the engine refuses one, the rest are not sent and
 * the verdict stays REPLY: the engine drops the whole reply (counted in
 * its drop_amplification, and here in reply_refused). */
static void
send_reply(struct kv_app *a, unsigned worker, struct tern_udp_req *req, uint8_t *out,
	   size_t len)
{
	unsigned n = kv_reply_dgrams(len);
	uint8_t *d;
	size_t dlen;

	for (unsigned i = 0; i + 1 < n; i++) {
		d = kv_reply_dgram(out, len, i, &dlen);
		if (a->host->reply_more(a->self, req, d, (uint16_t)dlen) != 0) {
			kv_count(&a->store->wstats[worker].reply_refused);
			break;
		}
	}
	d = kv_reply_dgram(out, len, n - 1, &dlen);
	if (dlen > req->cap) { /* a request buffer smaller than a datagram: engine bug */
		req->verdict = TERN_VERDICT_DROP;
		return;
	}
	memcpy(req->payload, d, dlen);
	req->len = (uint16_t)dlen;
	req->verdict = TERN_VERDICT_REPLY;
}

static void
serve(struct kv_app *a, unsigned worker, uint64_t now, struct tern_udp_req *req)
{
	uint8_t *out = kv_store_reply_buf(a->store, worker);
	size_t out_len;

	if (kv_proto_run(a->store, worker, now, req->payload, req->len, out,
			 a->store->reply_cap, &out_len) == KV_ANSWER_REPLY)
		send_reply(a, worker, req, out, out_len);
	else
		req->verdict = TERN_VERDICT_DROP;
}

static void
kv_burst(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	struct kv_app *a = state;
	uint64_t now;

	if (worker >= a->n_workers) /* engine bug: leave all as DROP */
		return;
	now = a->host->now_ns();
	for (uint16_t i = 0; i < n; i++) {
		struct tern_udp_req *req = &reqs[i];

		if (a->n_workers > 1 && !(req->flags & TERN_REQ_F_HANDED_OFF) &&
		    route(a, worker, req))
			continue;
		serve(a, worker, now, req);
	}
}

/* ---- app replace: the store changes hands ---- */

static int
kv_export(void *state, void **blob, size_t *len)
{
	struct kv_app *a = state;
	struct kv_handover *h = malloc(sizeof(*h));

	if (h == NULL)
		return -ENOMEM;
	*h = (struct kv_handover){
		.magic = KV_HANDOVER_MAGIC,
		.layout = KV_LAYOUT_VERSION,
		.sizes = { sizeof(struct kv_store), sizeof(struct kv_part), sizeof(struct kv_item),
			   sizeof(struct kv_wstats) },
		.n_workers = a->n_workers,
		.memory_mb = a->memory_mb,
		.max_value = a->store->max_value,
		.reply_max = a->store->reply_max,
		.store = a->store,
		.given = &a->store_given,
	};
	*blob = h;
	*len = sizeof(*h);
	return 0;
}

/* Whether h is a store this kv can adopt: 0, or -errno with the reason. */
static int
handover_check(const struct kv_app *a, const struct kv_handover *h,
	       const struct tern_app_import *im)
{
	const uint32_t sizes[4] = { sizeof(struct kv_store), sizeof(struct kv_part),
				    sizeof(struct kv_item), sizeof(struct kv_wstats) };

	if (h == NULL || im->len != sizeof(*h) || h->magic != KV_HANDOVER_MAGIC)
		return tern_app_import_fail(im, EINVAL, "not a kv store hand-over (%zu bytes from %s)",
					    im->len, im->from_path);
	if (h->layout != KV_LAYOUT_VERSION || memcmp(h->sizes, sizes, sizeof(sizes)) != 0)
		return tern_app_import_fail(im, EPROTO, "the running kv's store has layout %" PRIu32
					    ", this kv reads layout %u: its items cannot be kept "
					    "(app unload and app load start empty)", h->layout,
					    KV_LAYOUT_VERSION);
	if (h->n_workers != a->n_workers || h->memory_mb != a->memory_mb ||
	    h->max_value != a->store->max_value || h->reply_max != a->store->reply_max)
		return tern_app_import_fail(im, EINVAL, "the running kv has memory_mb=%" PRIu32
					    " max_value=%" PRIu32 " reply_max=%" PRIu32 " on %" PRIu32
					    " workers, this one memory_mb=%" PRIu32 " max_value=%" PRIu32
					    " reply_max=%" PRIu32 " on %u: give the same values to keep "
					    "the items", h->memory_mb, h->max_value, h->reply_max,
					    h->n_workers, a->memory_mb, a->store->max_value,
					    a->store->reply_max, a->n_workers);
	return 0;
}

/* Cancel the reapers: none runs after this (they may be running now). */
static void
reapers_stop(struct kv_app *a)
{
	for (unsigned i = 0; i < a->n_workers; i++)
		while (a->host->timer_cancel(a->w[i].reaper) == -EBUSY)
			;
}

static void
reapers_start(struct kv_app *a)
{
	for (unsigned i = 0; i < a->n_workers; i++) {
		int ret = a->host->timer_arm(a->w[i].reaper, i, a->reap_ns, a->reap_ns);

		if (ret != 0)
			a->host->log(a->self, "worker %u's reaper not re-armed after app replace: %s", i,
				     strerror(-ret));
	}
}

/* Free a store that will not be used (the one init made, when import
 * adopts its predecessor's). */
static void
store_free(void *arg)
{
	struct kv_store *s = arg;

	kv_store_fini(s);
	free(s);
}

/* Free it off the swap's hold: unmapping a populated arena takes
 * milliseconds (9 ms for 256 MB), so the engine runs it at its next tick
 * (tern_host.later). */
static void
store_discard(const struct kv_app *a, struct kv_store *s)
{
	if (a->host->later(a->self, store_free, s) != 0)
		store_free(s); /* no memory to queue it: now, in the hold */
}

static int
kv_import(void *state, const struct tern_app_import *im)
{
	struct kv_app *a = state;
	const struct kv_handover *h = im->blob;
	struct kv_store *own = a->store;
	int ret = handover_check(a, h, im);

	if (ret != 0)
		return ret;
	reapers_stop(a);
	if (strcmp(h->store->version, own->version) != 0) { /* this instance's version= */
		memcpy(h->store->version, own->version, sizeof(own->version));
		h->store->version_len = own->version_len;
	}
	a->store = h->store;
	*h->given = true;
	reapers_start(a);
	store_discard(a, own);
	return 0;
}

TERN_APP_EXPORT const struct tern_app_descriptor tern_app_descriptor = {
	.abi_version = TERN_APP_ABI_VERSION,
	.size = sizeof(struct tern_app_descriptor),
	.name = "kv",
	.init = kv_init,
	.fini = kv_fini,
	.udp_burst = kv_burst,
	.export_state = kv_export,
	.import_state = kv_import,
	.stats = kv_stats,
};
