/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * swap_app: a test app for hot swap (`app replace`). It counts requests per
 * key on each worker and hands those counts to its successor, so a client
 * can check that no update was lost or repeated across a replace. It uses
 * only <tern/app.h> (no DPDK), like an out-of-tree app. It is built twice
 * from this file, with SWAP_TAG "A" (libswap_app_a.so) and "B"
 * (libswap_app_b.so), so a client sees which lineage member answered.
 *
 * Requests: the UDP payload is "KEY SEQ" (a trailing "\r\n" or "\n" is
 * ignored): KEY is 1 to 32 printable ASCII bytes without spaces, SEQ a
 * decimal number (1 to 20 digits, < 2^64). The reply replaces the payload:
 *   "TAG COUNT SEQ"
 * TAG is this instance's tag, COUNT how many requests with KEY the answering
 * worker has counted (its own and, through import_state, its predecessors'
 * on the same worker index), this one included, so the first is 1. SEQ is
 * echoed as a plain decimal number.
 * Verdict DROP, and COUNT unchanged, for a malformed payload (empty, no
 * space, empty or too long KEY, SEQ not a number), a request dropped by
 * drop=N, a new KEY when the worker's table holds SWAP_MAX_KEYS keys
 * already, and a reply that would not fit the request's buffer (cap).
 *
 * Arguments (all optional; any other key fails init):
 *   tag=STR          the reply tag (1..15 printable bytes, no spaces);
 *                    default SWAP_TAG
 *   drop=N           (0..1000000) drop every N-th well-formed request each
 *                    worker gets (N=2: every second one); 0: none
 *   delay_us=N       (0..1000000) busy-wait N microseconds per request, on
 *                    the host's now_ns clock
 *   refuse_import=1  import_state refuses any state (EPERM, with a reason)
 *
 * State: per worker, an open-addressing table of up to SWAP_MAX_KEYS keys,
 * allocated by init; the workers never allocate. export_state writes all
 * workers' tables as a versioned blob (struct swap_blob_hdr, then n_entries
 * struct swap_blob_entry); import_state puts each entry back on the same
 * worker index, and refuses (EINVAL, with a reason) a blob of another
 * magic, version or size, one from an instance with another worker count,
 * and entries that make no sense. The counters of the stats hook are the
 * instance's own (not inherited); "keys" is the number of keys in the
 * tables, inherited ones included:
 *   "requests=N replies=N drops=N keys=N"
 * requests counts every request, drops every request not replied to.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/app.h>

#ifndef SWAP_TAG
#define SWAP_TAG "A"
#endif

#define SWAP_CACHE_LINE 64
#define SWAP_KEY_MAX 32u          /* longest KEY */
#define SWAP_TAG_MAX 15u          /* longest tag */
#define SWAP_SEQ_DIGITS_MAX 20u   /* 2^64 - 1 has 20 digits */
#define SWAP_MAX_KEYS 1024u       /* keys per worker */
#define SWAP_SLOTS 2048u          /* table slots per worker: a power of 2, 2x the keys */
#define SWAP_DROP_MAX 1000000u
#define SWAP_DELAY_US_MAX 1000000u
#define SWAP_REPLY_MAX (SWAP_TAG_MAX + 1 + 20 + 1 + 20 + 1)

/* The state a replaced swap_app hands to its successor. Bump
 * SWAP_BLOB_VERSION whenever the layout changes. */
#define SWAP_BLOB_MAGIC 0x54535750u /* "TSWP" */
#define SWAP_BLOB_VERSION 1u

struct swap_blob_hdr {
	uint32_t magic;          /**< SWAP_BLOB_MAGIC */
	uint32_t version;        /**< SWAP_BLOB_VERSION */
	uint32_t n_workers;      /**< the exporter's worker count */
	uint32_t n_entries;      /**< struct swap_blob_entry that follow */
};

struct swap_blob_entry {
	uint32_t worker;         /**< worker index the key was counted on */
	uint32_t key_len;        /**< 1..SWAP_KEY_MAX */
	char key[SWAP_KEY_MAX];  /**< not NUL-terminated */
	uint64_t count;          /**< >= 1 */
};

_Static_assert(sizeof(struct swap_blob_hdr) == 16, "blob header layout");
_Static_assert(sizeof(struct swap_blob_entry) == 48, "blob entry layout");

/** One key's counter. A slot is in use once key_len != 0; the worker that
 *  owns the table fills key first and publishes key_len with a release
 *  store, so a snapshot export (acquire load) never sees half a key. */
struct swap_slot {
	uint32_t key_len;
	char key[SWAP_KEY_MAX];
	uint64_t count;
};

/** One worker's table and counters, on its own cache lines; written by that
 *  worker only (and by import_state before the instance serves). */
struct swap_worker {
	uint64_t requests;
	uint64_t replies;
	uint64_t drops;
	uint64_t well_formed;       /**< for drop=N's rhythm */
	uint32_t n_keys;
	struct swap_slot *slots;    /**< SWAP_SLOTS of them */
} __attribute__((aligned(SWAP_CACHE_LINE)));

struct swap_app {
	char name[32];
	char tag[SWAP_TAG_MAX + 1];
	size_t tag_len;
	uint64_t drop_every;        /**< 0: never */
	uint64_t delay_ns;          /**< 0: none */
	int refuse_import;
	const struct tern_host *host;
	unsigned n_workers;
	struct swap_worker *workers;
};

/* Single writer per counter; readers on other threads use relaxed loads. */
static inline void
count(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

static inline uint64_t
get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static int
printable_word(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* ---- init, fini, stats ------------------------------------------------- */

static int
parse_tag(const struct tern_app_init *ia, struct swap_app *a, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > SWAP_TAG_MAX || !printable_word(v, n))
		return tern_app_fail(ia, EINVAL,
			    "tag must be 1 to %u printable characters without spaces, not '%s'",
			    SWAP_TAG_MAX, v);
	memcpy(a->tag, v, n + 1);
	a->tag_len = n;
	return 0;
}

static int
parse_args(const struct tern_app_init *ia, struct swap_app *a)
{
	static const char *const known[] = { "tag", "drop", "delay_us", "refuse_import" };
	const char *tag = tern_app_arg(ia, "tag");
	uint64_t v;
	int ret;

	for (unsigned i = 0; i < ia->n_kv; i++) {
		unsigned k = 0;

		while (k < sizeof(known) / sizeof(known[0]) && strcmp(ia->kv[i].key, known[k]) != 0)
			k++;
		if (k == sizeof(known) / sizeof(known[0]))
			return tern_app_fail(ia, EINVAL, "unknown argument '%s' (known: tag, drop, "
				    "delay_us, refuse_import)", ia->kv[i].key);
	}
	ret = parse_tag(ia, a, tag != NULL ? tag : SWAP_TAG);
	if (ret != 0)
		return ret;
	ret = tern_app_arg_u64(ia, "drop", 0, SWAP_DROP_MAX, 0, &a->drop_every);
	if (ret != 0)
		return ret;
	ret = tern_app_arg_u64(ia, "delay_us", 0, SWAP_DELAY_US_MAX, 0, &v);
	if (ret != 0)
		return ret;
	a->delay_ns = v * 1000u;
	ret = tern_app_arg_u64(ia, "refuse_import", 0, 1, 0, &v);
	if (ret != 0)
		return ret;
	a->refuse_import = v != 0;
	return 0;
}

static void
swap_free(struct swap_app *a)
{
	if (a->workers != NULL)
		for (unsigned i = 0; i < a->n_workers; i++)
			free(a->workers[i].slots);
	free(a->workers);
	free(a);
}

static int
swap_init(const struct tern_app_init *ia, void **state)
{
	struct swap_app *a;
	size_t sz;
	int ret;

	if (ia->n_workers == 0)
		return tern_app_fail(ia, EINVAL, "needs at least one worker");
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return tern_app_fail(ia, ENOMEM, "out of memory");
	ret = parse_args(ia, a);
	if (ret != 0) {
		free(a);
		return ret;
	}
	if (a->delay_ns != 0 && (ia->host == NULL || ia->host->now_ns == NULL ||
				 ia->host->size < sizeof(struct tern_host))) {
		free(a);
		return tern_app_fail(ia, EINVAL, "delay_us needs the host's now_ns clock");
	}
	snprintf(a->name, sizeof(a->name), "%s", ia->name != NULL ? ia->name : "?");
	a->host = ia->host;
	a->n_workers = ia->n_workers;
	sz = sizeof(*a->workers) * ia->n_workers;
	a->workers = aligned_alloc(SWAP_CACHE_LINE, sz);
	if (a->workers == NULL) {
		free(a);
		return tern_app_fail(ia, ENOMEM, "out of memory");
	}
	memset(a->workers, 0, sz);
	for (unsigned i = 0; i < a->n_workers; i++) {
		a->workers[i].slots = calloc(SWAP_SLOTS, sizeof(struct swap_slot));
		if (a->workers[i].slots == NULL) {
			swap_free(a);
			return tern_app_fail(ia, ENOMEM, "out of memory for %u key tables",
					     ia->n_workers);
		}
	}
	*state = a;
	return 0;
}

struct swap_sum {
	uint64_t requests, replies, drops, keys;
};

static void
swap_sum(const struct swap_app *a, struct swap_sum *s)
{
	const struct swap_worker *w;

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < a->n_workers; i++) {
		w = &a->workers[i];
		s->requests += get(&w->requests);
		s->replies += get(&w->replies);
		s->drops += get(&w->drops);
		s->keys += __atomic_load_n(&w->n_keys, __ATOMIC_RELAXED);
	}
}

static void
swap_fini(void *state)
{
	struct swap_app *a = state;
	struct swap_sum s;

	swap_sum(a, &s);
	fprintf(stderr, "swap_app '%s' (tag %s): %" PRIu64 " requests, %" PRIu64 " replies, %"
		PRIu64 " drops, %" PRIu64 " keys\n", a->name, a->tag, s.requests, s.replies,
		s.drops, s.keys);
	swap_free(a);
}

static void
swap_stats(void *state, char *buf, size_t len)
{
	struct swap_sum s;

	if (len == 0)
		return;
	swap_sum(state, &s);
	buf[0] = '\0';
	tern_app_text_append(buf, len, "requests=%" PRIu64 " replies=%" PRIu64 " drops=%" PRIu64
			     " keys=%" PRIu64, s.requests, s.replies, s.drops, s.keys);
}

/* ---- the key table ------------------------------------------------------ */

static uint32_t
key_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)key[i];
		h *= 16777619u;
	}
	return h;
}

/* The slot holding key, or the free slot where it would go (key_len 0);
 * NULL if the table has no free slot left (it never fills: SWAP_SLOTS is
 * twice SWAP_MAX_KEYS). Owner worker (or control before serving) only. */
static struct swap_slot *
key_find(struct swap_slot *slots, const char *key, size_t len)
{
	uint32_t i = key_hash(key, len) & (SWAP_SLOTS - 1);
	struct swap_slot *s;

	for (uint32_t n = 0; n < SWAP_SLOTS; n++, i = (i + 1) & (SWAP_SLOTS - 1)) {
		s = &slots[i];
		if (s->key_len == 0)
			return s;
		if (s->key_len == len && memcmp(s->key, key, len) == 0)
			return s;
	}
	return NULL;
}

/* Fill the free slot s with key and count, then publish it. */
static void
key_publish(struct swap_worker *w, struct swap_slot *s, const char *key, size_t len,
	    uint64_t n)
{
	memcpy(s->key, key, len);
	__atomic_store_n(&s->count, n, __ATOMIC_RELAXED);
	__atomic_store_n(&s->key_len, (uint32_t)len, __ATOMIC_RELEASE);
	__atomic_store_n(&w->n_keys, w->n_keys + 1, __ATOMIC_RELEASE);
}

/* ---- state hand-off ----------------------------------------------------- */

/* app replace, old side: every worker's keys. With handoff=snapshot the
 * workers may still be counting: each slot is read as published (acquire)
 * and at most the n_keys seen first are written per worker. */
static int
swap_export(void *state, void **blob, size_t *len)
{
	const struct swap_app *a = state;
	struct swap_blob_hdr *h;
	struct swap_blob_entry *e;
	uint32_t *limit;
	size_t total = 0, sz;
	uint32_t n = 0;

	limit = calloc(a->n_workers, sizeof(*limit));
	if (limit == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < a->n_workers; i++) {
		limit[i] = __atomic_load_n(&a->workers[i].n_keys, __ATOMIC_ACQUIRE);
		total += limit[i];
	}
	sz = sizeof(*h) + total * sizeof(*e);
	h = calloc(1, sz);
	if (h == NULL) {
		free(limit);
		return -ENOMEM;
	}
	e = (struct swap_blob_entry *)(h + 1);
	for (unsigned i = 0; i < a->n_workers; i++) {
		const struct swap_slot *slots = a->workers[i].slots;
		uint32_t taken = 0;

		for (uint32_t j = 0; j < SWAP_SLOTS && taken < limit[i]; j++) {
			uint32_t kl = __atomic_load_n(&slots[j].key_len, __ATOMIC_ACQUIRE);

			if (kl == 0)
				continue;
			e[n].worker = i;
			e[n].key_len = kl;
			memcpy(e[n].key, slots[j].key, kl);
			e[n].count = __atomic_load_n(&slots[j].count, __ATOMIC_RELAXED);
			n++;
			taken++;
		}
	}
	free(limit);
	h->magic = SWAP_BLOB_MAGIC;
	h->version = SWAP_BLOB_VERSION;
	h->n_workers = a->n_workers;
	h->n_entries = n;
	*blob = h;
	*len = sizeof(*h) + (size_t)n * sizeof(*e);
	return 0;
}

/* Empty every table (a refused import leaves nothing half done). */
static void
swap_clear(struct swap_app *a)
{
	for (unsigned i = 0; i < a->n_workers; i++) {
		memset(a->workers[i].slots, 0, SWAP_SLOTS * sizeof(struct swap_slot));
		a->workers[i].n_keys = 0;
	}
}

/* Put entry i of the blob into its worker's table, or refuse it. */
static int
import_entry(struct swap_app *a, const struct tern_app_import *im, uint32_t i,
	     const struct swap_blob_entry *e)
{
	struct swap_worker *w;
	struct swap_slot *s;

	if (e->worker >= a->n_workers)
		return tern_app_import_fail(im, EINVAL, "state from %s: entry %u is for worker %u "
					    "of %u", im->from_path, i, e->worker, a->n_workers);
	if (e->key_len == 0 || e->key_len > SWAP_KEY_MAX || !printable_word(e->key, e->key_len))
		return tern_app_import_fail(im, EINVAL, "state from %s: entry %u has a bad key "
					    "(%u bytes)", im->from_path, i, e->key_len);
	if (e->count == 0)
		return tern_app_import_fail(im, EINVAL, "state from %s: entry %u has count 0",
					    im->from_path, i);
	w = &a->workers[e->worker];
	if (w->n_keys >= SWAP_MAX_KEYS)
		return tern_app_import_fail(im, EINVAL, "state from %s: more than %u keys for "
					    "worker %u", im->from_path, SWAP_MAX_KEYS, e->worker);
	s = key_find(w->slots, e->key, e->key_len);
	if (s == NULL || s->key_len != 0)
		return tern_app_import_fail(im, EINVAL, "state from %s: entry %u repeats key "
					    "'%.*s' of worker %u", im->from_path, i,
					    (int)e->key_len, e->key, e->worker);
	key_publish(w, s, e->key, e->key_len, e->count);
	return 0;
}

/* app replace, new side: each key back on the worker index it came from.
 * Runs before this instance serves; the tables are replaced, not merged. */
static int
swap_import(void *state, const struct tern_app_import *im)
{
	struct swap_app *a = state;
	const struct swap_blob_entry *e;
	struct swap_blob_hdr h;
	size_t want;
	int ret;

	if (a->refuse_import)
		return tern_app_import_fail(im, EPERM,
					    "refusing the state on purpose (refuse_import=1)");
	if (im->blob == NULL || im->len < sizeof(h))
		return tern_app_import_fail(im, EINVAL, "state from %s has %zu bytes, less than "
					    "the %zu of a swap_app header", im->from_path,
					    im->blob == NULL ? (size_t)0 : im->len, sizeof(h));
	memcpy(&h, im->blob, sizeof(h));
	if (h.magic != SWAP_BLOB_MAGIC)
		return tern_app_import_fail(im, EINVAL, "state from %s has magic 0x%08x, not "
					    "swap_app's 0x%08x", im->from_path, h.magic,
					    SWAP_BLOB_MAGIC);
	if (h.version != SWAP_BLOB_VERSION)
		return tern_app_import_fail(im, EINVAL, "state from %s is version %u, this build "
					    "reads %u", im->from_path, h.version,
					    SWAP_BLOB_VERSION);
	want = sizeof(h) + (size_t)h.n_entries * sizeof(*e);
	if (im->len != want)
		return tern_app_import_fail(im, EINVAL, "state from %s has %zu bytes, %zu expected "
					    "for %u keys", im->from_path, im->len, want,
					    h.n_entries);
	if (h.n_workers != a->n_workers)
		return tern_app_import_fail(im, EINVAL, "state from %s was counted on %u workers, "
					    "this instance has %u", im->from_path, h.n_workers,
					    a->n_workers);
	swap_clear(a);
	e = (const struct swap_blob_entry *)((const struct swap_blob_hdr *)im->blob + 1);
	for (uint32_t i = 0; i < h.n_entries; i++) {
		struct swap_blob_entry ent;

		memcpy(&ent, &e[i], sizeof(ent));	/* the blob may be unaligned */
		ret = import_entry(a, im, i, &ent);
		if (ret != 0) {
			swap_clear(a);
			return ret;
		}
	}
	return 0;
}

/* ---- requests ----------------------------------------------------------- */

/* Spend the configured service time (deliberately a busy wait). */
static inline void
spend_delay(const struct swap_app *a)
{
	uint64_t end;

	if (a->delay_ns == 0)
		return;
	end = a->host->now_ns() + a->delay_ns;
	while (a->host->now_ns() < end)
		__asm__ __volatile__("" ::: "memory");
}

/* Split "KEY SEQ" (trailing CR/LF ignored). 0 if malformed. */
static int
parse_request(const uint8_t *p, size_t len, const char **key, size_t *key_len, uint64_t *seq)
{
	const char *s = (const char *)p;
	const char *sp;
	size_t digits;
	uint64_t v = 0;

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	sp = len > 0 ? memchr(s, ' ', len) : NULL;
	if (sp == NULL)
		return 0;
	*key = s;
	*key_len = (size_t)(sp - s);
	if (*key_len == 0 || *key_len > SWAP_KEY_MAX || !printable_word(s, *key_len))
		return 0;
	sp++;
	digits = len - (size_t)(sp - s);
	if (digits == 0 || digits > SWAP_SEQ_DIGITS_MAX)
		return 0;
	for (size_t i = 0; i < digits; i++) {
		unsigned d = (unsigned)(sp[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*seq = v;
	return 1;
}

/* One request: REPLY "TAG COUNT SEQ", or DROP without counting it. */
static void
answer(const struct swap_app *a, struct swap_worker *w, struct tern_udp_req *r)
{
	char out[SWAP_REPLY_MAX];
	struct swap_slot *s;
	const char *key;
	size_t key_len;
	uint64_t seq, n;
	int len;

	r->verdict = TERN_VERDICT_DROP;
	count(&w->requests);
	spend_delay(a);
	if (!parse_request(r->payload, r->len, &key, &key_len, &seq))
		goto drop;
	count(&w->well_formed);
	if (a->drop_every != 0 && w->well_formed % a->drop_every == 0)
		goto drop;
	s = key_find(w->slots, key, key_len);
	if (s == NULL || (s->key_len == 0 && w->n_keys >= SWAP_MAX_KEYS))
		goto drop;
	n = s->key_len != 0 ? s->count + 1 : 1;
	len = snprintf(out, sizeof(out), "%s %" PRIu64 " %" PRIu64, a->tag, n, seq);
	if (len < 0 || (size_t)len >= sizeof(out) || (size_t)len > r->cap)
		goto drop;
	/* Commit: key (the payload) is read before the reply overwrites it. */
	if (s->key_len == 0)
		key_publish(w, s, key, key_len, 1);
	else
		__atomic_store_n(&s->count, n, __ATOMIC_RELAXED);
	memcpy(r->payload, out, (size_t)len);
	r->len = (uint16_t)len;
	r->verdict = TERN_VERDICT_REPLY;
	count(&w->replies);
	return;
drop:
	count(&w->drops);
}

static void
swap_burst(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	struct swap_app *a = state;

	if (worker >= a->n_workers)	/* engine bug: leave all as DROP */
		return;
	for (uint16_t i = 0; i < n; i++)
		answer(a, &a->workers[worker], &reqs[i]);
}

__attribute__((visibility("default")))
TERN_APP_EXPORT const struct tern_app_descriptor tern_app_descriptor = {
	.abi_version = TERN_APP_ABI_VERSION,
	.size = sizeof(struct tern_app_descriptor),
	.name = "swap_app",
	.init = swap_init,
	.fini = swap_fini,
	.udp_burst = swap_burst,
	.export_state = swap_export,
	.import_state = swap_import,
	.stats = swap_stats,
};
