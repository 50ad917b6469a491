/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_responder: a tern app that answers UDP requests, for tests and
 * benchmarks. Modes (arg mode=):
 *   echo      reply with the payload unchanged (default)
 *   sockperf  answer sockperf ping-pong clients (see sockperf.h)
 *   fixed     reply with size=N bytes, each a copy of the request's first
 *             byte (zeros if the request is empty); dropped if N > cap
 * and a synthetic service time per request (service_ns=N, dist=fixed|exp),
 * spent spinning on the TSC. replies=N (1-16) answers each request with N
 * datagrams of the same payload (N-1 through tern_host.reply_more), within
 * the app's amplification limit. Other keys are refused.
 *
 * Its counters (requests, replies, drops by reason) show in `show apps`
 * (stats hook) and carry over to a successor on `app replace`
 * (export_state/import_state with a versioned struct resp_blob).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_pause.h>

#include <tern/app.h>

#include "service_time.h"
#include "sockperf.h"

#define RESP_MAX_SIZE 65507u           /* largest UDP payload over IPv4 */
#define RESP_MAX_SERVICE_NS 1000000000ull /* 1 s: anything longer is a typo */
#define RESP_MAX_REPLIES 16u          /* replies=N: datagrams per answer */
#define RESP_CALIBRATE_NS 20000000ll   /* TSC calibration without EAL: 20 ms */

enum resp_mode {
	RESP_MODE_ECHO,
	RESP_MODE_SOCKPERF,
	RESP_MODE_FIXED,
};

enum resp_dist {
	RESP_DIST_FIXED,
	RESP_DIST_EXP,
};

/** Why a request got no reply. */
enum resp_drop {
	RESP_DROP_SHORT,            /**< sockperf: shorter than its header */
	RESP_DROP_BAD_LENGTH,       /**< sockperf: length field != payload length */
	RESP_DROP_NOT_PONG_REQUEST, /**< sockperf: no answer wanted */
	RESP_DROP_TOO_BIG,          /**< fixed: size > the request's cap */
	RESP_DROP_MAX
};

static const char *const resp_drop_names[RESP_DROP_MAX] = {
	[RESP_DROP_SHORT] = "short",
	[RESP_DROP_BAD_LENGTH] = "bad_length",
	[RESP_DROP_NOT_PONG_REQUEST] = "not_pong_request",
	[RESP_DROP_TOO_BIG] = "too_big",
};

/* The counters a replaced responder hands to its successor (app replace).
 * Bump RESP_BLOB_VERSION whenever the layout changes. */
#define RESP_BLOB_MAGIC 0x54525350u /* "TRSP" */
#define RESP_BLOB_VERSION 1u

struct resp_blob {
	uint32_t magic;          /**< RESP_BLOB_MAGIC */
	uint32_t version;        /**< RESP_BLOB_VERSION */
	uint64_t requests;
	uint64_t replies;
	uint64_t drops[RESP_DROP_MAX];
};

/** One worker's counters and generator, on its own cache lines. */
struct resp_worker {
	uint64_t requests;
	uint64_t replies;
	uint64_t drops[RESP_DROP_MAX];
	struct svc_rng rng;
} __rte_cache_aligned;

struct responder {
	char name[32];
	const struct tern_host *host;
	void *self;                /**< for host calls */
	uint16_t replies;          /**< datagrams per answer (replies=N) */
	enum resp_mode mode;
	enum resp_dist dist;
	uint16_t fixed_size;
	uint64_t service_cycles;   /**< mean service time in TSC cycles; 0: none */
	unsigned n_workers;
	struct resp_worker *workers;
};

struct resp_config {
	uint64_t replies;
	enum resp_mode mode;
	enum resp_dist dist;
	uint16_t fixed_size;
	uint64_t service_ns;
};

static int
parse_mode(const struct tern_app_init *ia, const char *v, struct resp_config *c)
{
	if (strcmp(v, "echo") == 0)
		c->mode = RESP_MODE_ECHO;
	else if (strcmp(v, "sockperf") == 0)
		c->mode = RESP_MODE_SOCKPERF;
	else if (strcmp(v, "fixed") == 0)
		c->mode = RESP_MODE_FIXED;
	else
		return tern_app_fail(ia, EINVAL, "mode must be echo, sockperf or fixed, not '%s'", v);
	return 0;
}

static int
parse_dist(const struct tern_app_init *ia, const char *v, struct resp_config *c)
{
	if (strcmp(v, "fixed") == 0)
		c->dist = RESP_DIST_FIXED;
	else if (strcmp(v, "exp") == 0)
		c->dist = RESP_DIST_EXP;
	else
		return tern_app_fail(ia, EINVAL, "dist must be fixed or exp, not '%s'", v);
	return 0;
}

static int
parse_one(const struct tern_app_init *ia, const struct tern_app_kv *kv,
	  struct resp_config *c, int *have_size)
{
	uint64_t v = 0;
	int ret;

	if (strcmp(kv->key, "mode") == 0)
		return parse_mode(ia, kv->value, c);
	if (strcmp(kv->key, "dist") == 0)
		return parse_dist(ia, kv->value, c);
	if (strcmp(kv->key, "size") == 0) {
		ret = tern_app_arg_u64(ia, "size", 0, RESP_MAX_SIZE, 0, &v);
		c->fixed_size = (uint16_t)v;
		*have_size = 1;
		return ret;
	}
	if (strcmp(kv->key, "service_ns") == 0)
		return tern_app_arg_u64(ia, "service_ns", 0, RESP_MAX_SERVICE_NS, 0, &c->service_ns);
	if (strcmp(kv->key, "replies") == 0)
		return tern_app_arg_u64(ia, "replies", 1, RESP_MAX_REPLIES, 1, &c->replies);
	return 0; /* tern_app_args_known refused the others */
}

static const char *const resp_keys[] = { "mode", "size", "service_ns", "dist", "replies", NULL };

static int
parse_config(const struct tern_app_init *ia, struct resp_config *c)
{
	int have_size = 0;
	int ret;

	memset(c, 0, sizeof(*c));
	c->mode = RESP_MODE_ECHO;
	c->dist = RESP_DIST_FIXED;
	c->replies = 1;
	ret = tern_app_args_known(ia, resp_keys);
	if (ret != 0)
		return ret;
	for (unsigned i = 0; i < ia->n_kv; i++) {
		ret = parse_one(ia, &ia->kv[i], c, &have_size);
		if (ret != 0)
			return ret;
	}
	if (c->mode == RESP_MODE_FIXED && !have_size)
		return tern_app_fail(ia, EINVAL, "mode=fixed needs size=N (reply bytes)");
	if (c->mode != RESP_MODE_FIXED && have_size)
		return tern_app_fail(ia, EINVAL, "size= only applies to mode=fixed");
	return 0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The TSC frequency: EAL's if it is up, else measured against the clock. */
static uint64_t
tsc_hz(void)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t t0, c0, t1, c1;

	if (hz != 0)
		return hz;
	t0 = now_ns();
	c0 = rte_rdtsc();
	do {
		t1 = now_ns();
	} while (t1 - t0 < RESP_CALIBRATE_NS);
	c1 = rte_rdtsc();
	return (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
}

static int
responder_init(const struct tern_app_init *ia, void **state)
{
	struct resp_config c;
	struct responder *r;
	int ret;

	ret = parse_config(ia, &c);
	if (ret != 0)
		return ret;
	if (ia->n_workers == 0)
		return tern_app_fail(ia, EINVAL, "needs at least one worker");
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return tern_app_fail(ia, ENOMEM, "out of memory");
	r->workers = aligned_alloc(RTE_CACHE_LINE_SIZE,
				   sizeof(*r->workers) * ia->n_workers);
	if (r->workers == NULL) {
		free(r);
		return tern_app_fail(ia, ENOMEM, "out of memory");
	}
	memset(r->workers, 0, sizeof(*r->workers) * ia->n_workers);
	for (unsigned i = 0; i < ia->n_workers; i++)
		svc_rng_seed(&r->workers[i].rng, i);
	snprintf(r->name, sizeof(r->name), "%s", ia->name);
	r->host = ia->host;
	r->self = ia->self;
	r->replies = (uint16_t)c.replies;
	r->mode = c.mode;
	r->dist = c.dist;
	r->fixed_size = c.fixed_size;
	r->n_workers = ia->n_workers;
	if (c.service_ns != 0) {
		r->service_cycles = (uint64_t)((double)c.service_ns * (double)tsc_hz() / 1e9);
		if (r->service_cycles == 0)
			r->service_cycles = 1;
	}
	*state = r;
	return 0;
}

/* The counters summed over workers into b. Workers may be counting: each
 * counter is read with a relaxed load (a snapshot, not a consistent cut). */
static void
responder_sum(const struct responder *r, struct resp_blob *b)
{
	const struct resp_worker *w;

	memset(b, 0, sizeof(*b));
	b->magic = RESP_BLOB_MAGIC;
	b->version = RESP_BLOB_VERSION;
	for (unsigned i = 0; i < r->n_workers; i++) {
		w = &r->workers[i];
		b->requests += __atomic_load_n(&w->requests, __ATOMIC_RELAXED);
		b->replies += __atomic_load_n(&w->replies, __ATOMIC_RELAXED);
		for (unsigned d = 0; d < RESP_DROP_MAX; d++)
			b->drops[d] += __atomic_load_n(&w->drops[d], __ATOMIC_RELAXED);
	}
}

/* Print the counters summed over workers: the grace period has passed. */
static void
responder_fini(void *state)
{
	struct responder *r = state;
	struct resp_blob sum;

	char line[512];

	responder_sum(r, &sum);
	snprintf(line, sizeof(line), "%" PRIu64 " requests, %" PRIu64 " replies", sum.requests,
		 sum.replies);
	for (unsigned d = 0; d < RESP_DROP_MAX; d++)
		if (sum.drops[d] != 0)
			tern_app_text_append(line, sizeof(line), ", %" PRIu64 " dropped %s",
					     sum.drops[d], resp_drop_names[d]);
	r->host->log(r->self, "%s", line);
	free(r->workers);
	free(r);
}

/* show apps: "requests=N replies=N drop_short=N ..." over all workers. */
static void
responder_stats(void *state, char *buf, size_t len)
{
	struct resp_blob sum;

	if (len == 0)
		return;
	responder_sum(state, &sum);
	buf[0] = '\0';
	tern_app_text_append(buf, len, "requests=%" PRIu64 " replies=%" PRIu64,
		   sum.requests, sum.replies);
	for (unsigned d = 0; d < RESP_DROP_MAX; d++)
		tern_app_text_append(buf, len, " drop_%s=%" PRIu64, resp_drop_names[d], sum.drops[d]);
}

/* app replace, old side: the counters so far, as a struct resp_blob. */
static int
responder_export(void *state, void **blob, size_t *len)
{
	struct resp_blob *b = malloc(sizeof(*b));

	if (b == NULL)
		return -ENOMEM;
	responder_sum(state, b);
	*blob = b;
	*len = sizeof(*b);
	return 0;
}

/* app replace, new side: continue counting from the predecessor's totals
 * (added to worker 0; the new instance serves nothing yet). */
static int
responder_import(void *state, const struct tern_app_import *im)
{
	struct responder *r = state;
	struct resp_worker *w = &r->workers[0];
	struct resp_blob b;

	if (im->blob == NULL || im->len != sizeof(b))
		return tern_app_import_fail(im, EINVAL, "state of %zu bytes, expected %zu",
					    im->len, sizeof(b));
	memcpy(&b, im->blob, sizeof(b));
	if (b.magic != RESP_BLOB_MAGIC || b.version != RESP_BLOB_VERSION)
		return tern_app_import_fail(im, EINVAL, "state version %u, this build reads %u",
					    b.magic == RESP_BLOB_MAGIC ? b.version : 0u,
					    RESP_BLOB_VERSION);
	w->requests += b.requests;
	w->replies += b.replies;
	for (unsigned d = 0; d < RESP_DROP_MAX; d++)
		w->drops[d] += b.drops[d];
	return 0;
}

/* Spend this request's synthetic service time (deliberately a busy wait). */
static inline void
spend_service(const struct responder *r, struct resp_worker *w)
{
	uint64_t cycles = r->service_cycles;
	uint64_t end;

	if (cycles == 0)
		return;
	if (r->dist == RESP_DIST_EXP)
		cycles = svc_exp_draw(&w->rng, cycles);
	end = rte_rdtsc() + cycles;
	while (rte_rdtsc() < end)
		rte_pause();
}

/* One worker writes its counters; stats() reads them from the control
 * thread: a relaxed store keeps that a plain increment, minus the data race. */
static inline void
count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static uint8_t
answer_sockperf(struct resp_worker *w, struct tern_udp_req *req)
{
	static const uint8_t drop_of[SOCKPERF_VERDICT_MAX] = {
		[SOCKPERF_SHORT] = RESP_DROP_SHORT,
		[SOCKPERF_BAD_LENGTH] = RESP_DROP_BAD_LENGTH,
		[SOCKPERF_NOT_PONG_REQUEST] = RESP_DROP_NOT_PONG_REQUEST,
	};
	enum sockperf_verdict v = sockperf_answer(req->payload, req->len);

	if (v != SOCKPERF_REPLY) {
		count(&w->drops[drop_of[v]], 1);
		return TERN_VERDICT_DROP;
	}
	return TERN_VERDICT_REPLY;
}

static uint8_t
answer_fixed(const struct responder *r, struct resp_worker *w, struct tern_udp_req *req)
{
	uint8_t fill = req->len > 0 ? req->payload[0] : 0;

	if (r->fixed_size > req->cap) {
		count(&w->drops[RESP_DROP_TOO_BIG], 1);
		return TERN_VERDICT_DROP;
	}
	memset(req->payload, fill, r->fixed_size);
	req->len = r->fixed_size;
	return TERN_VERDICT_REPLY;
}

static uint8_t
answer(const struct responder *r, struct resp_worker *w, struct tern_udp_req *req)
{
	switch (r->mode) {
	case RESP_MODE_SOCKPERF:
		return answer_sockperf(w, req);
	case RESP_MODE_FIXED:
		return answer_fixed(r, w, req);
	case RESP_MODE_ECHO:
	default:
		req->reply_flags |= TERN_REPLY_F_ECHO;
		return TERN_VERDICT_REPLY;
	}
}

/* replies=N: N-1 more datagrams with the reply's payload, before it (the
 * engine refuses what the amplification limit does not allow). */
static void
reply_more(const struct responder *r, struct tern_udp_req *req)
{
	for (uint16_t k = 1; k < r->replies; k++)
		if (r->host->reply_more(r->self, req, req->payload, req->len) != 0)
			break;
}

static void
responder_burst(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	const struct responder *r = state;
	struct resp_worker *w;
	uint16_t replies = 0;

	if (unlikely(worker >= r->n_workers))	/* engine bug: leave all as DROP */
		return;
	w = &r->workers[worker];

	for (uint16_t i = 0; i < n; i++) {
		spend_service(r, w);
		reqs[i].verdict = answer(r, w, &reqs[i]);
		replies += reqs[i].verdict == TERN_VERDICT_REPLY;
		if (unlikely(r->replies > 1) && reqs[i].verdict == TERN_VERDICT_REPLY)
			reply_more(r, &reqs[i]);
	}
	count(&w->requests, n);
	count(&w->replies, replies);
}

TERN_APP_EXPORT const struct tern_app_descriptor tern_app_descriptor = {
	.abi_version = TERN_APP_ABI_VERSION,
	.size = sizeof(struct tern_app_descriptor),
	.name = "udp_responder",
	.init = responder_init,
	.fini = responder_fini,
	.udp_burst = responder_burst,
	.export_state = responder_export,
	.import_state = responder_import,
	.stats = responder_stats,
};
