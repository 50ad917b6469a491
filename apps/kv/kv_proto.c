/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kv_num.h"
#include "kv_proto.h"
#include "kv_text.h"

#define NS_PER_S 1000000000ull
#define REALTIME_MAXDELTA 2592000 /* 30 days: larger exptimes are Unix times */
#define KV_MIN_VALUE 24u          /* room for any incr/decr result */

static const char ERR_FORMAT[] = "CLIENT_ERROR bad command line format";
static const char ERR_TOO_LARGE[] = "SERVER_ERROR object too large for cache";
static const char ERR_CHUNK[] = "CLIENT_ERROR bad data chunk";
static const char ERR_NON_NUMERIC[] =
	"CLIENT_ERROR cannot increment or decrement non-numeric value";
static const char ERR_GET_OVERFLOW[] = "SERVER_ERROR out of memory writing get response";
static const char ERR_OVERFLOW[] = "SERVER_ERROR out of memory writing response";
static const char ERR_BUSY[] = "SERVER_ERROR busy";
static const char ERR_OOM_STORE[] = "SERVER_ERROR out of memory storing object";
static const char ERR_OOM[] = "SERVER_ERROR out of memory";

/* One datagram being run on one worker. */
struct run {
	struct kv_store *s;
	unsigned self;
	struct kv_part *p;        /**< this worker's partition */
	struct kv_wstats *st;
	struct kv_clock clk;
	uint8_t *out;             /**< reply datagram, frame header first */
	size_t limit;             /**< bytes the reply may take */
	size_t len;               /**< bytes written so far */
	size_t mark;              /**< end of what memcached would have sent already */
	bool full;                /**< a command's output did not fit */
};

static int
store_alloc(struct kv_store *s, const struct kv_config *cfg, unsigned n_workers)
{
	s->reply_cap = KV_FRAME_HDR + (size_t)cfg->reply_max;
	s->parts = calloc(n_workers, sizeof(*s->parts));
	s->wstats = aligned_alloc(64, sizeof(*s->wstats) * n_workers);
	s->scratch = malloc((size_t)cfg->max_value * n_workers);
	s->replies = malloc(s->reply_cap * n_workers);
	if (s->parts == NULL || s->wstats == NULL || s->scratch == NULL || s->replies == NULL)
		return -ENOMEM;
	memset(s->wstats, 0, sizeof(*s->wstats) * n_workers);
	return 0;
}

int
kv_store_init(struct kv_store *s, const struct kv_config *cfg, unsigned n_workers,
	      int64_t unix_offset_ns)
{
	struct kv_part_conf pc;
	size_t vlen;
	int ret;

	memset(s, 0, sizeof(*s));
	vlen = cfg->version != NULL ? strlen(cfg->version) : 0;
	if (n_workers == 0 || cfg->max_value < KV_MIN_VALUE || cfg->max_value > KV_VALUE_LIMIT ||
	    cfg->reply_max < 64 || cfg->reply_max > KV_REPLY_LIMIT || vlen >= KV_VERSION_MAX)
		return -EINVAL;
	pc = (struct kv_part_conf){ .mem_bytes = cfg->mem_bytes / n_workers,
		.max_value = cfg->max_value, .page_size = cfg->page_size };
	ret = store_alloc(s, cfg, n_workers);
	for (unsigned w = 0; w < n_workers && ret == 0; w++) {
		ret = kv_part_init(&s->parts[w], &pc, w, n_workers);
		if (ret == 0)
			s->n_parts = w + 1;
	}
	if (ret != 0) {
		kv_store_fini(s);
		return ret;
	}
	s->max_value = cfg->max_value;
	s->reply_max = cfg->reply_max;
	s->unix_offset_ns = unix_offset_ns;
	memcpy(s->version, cfg->version, vlen);
	s->version_len = vlen;
	return 0;
}

void
kv_store_fini(struct kv_store *s)
{
	for (unsigned w = 0; w < s->n_parts; w++)
		kv_part_fini(&s->parts[w]);
	free(s->parts);
	free(s->wstats);
	free(s->scratch);
	free(s->replies);
	s->parts = NULL;
	s->wstats = NULL;
	s->scratch = NULL;
	s->replies = NULL;
	s->n_parts = 0;
}

static inline void
count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static void
clock_load(const struct kv_store *s, uint64_t now_ns, struct kv_clock *c)
{
	c->now_ns = now_ns;
	c->flush_gen = __atomic_load_n(&s->flush_gen, __ATOMIC_ACQUIRE);
	c->flush_deadline_ns = __atomic_load_n(&s->flush_deadline_ns, __ATOMIC_ACQUIRE);
}

/* memcached's realtime(): 0 never, negative already expired, up to 30 days
 * relative, beyond that a Unix time. Returns an exp_ns (0 = never). */
static uint64_t
exptime_ns(const struct run *r, int32_t e)
{
	int64_t mono;

	if (e == 0)
		return 0;
	if (e < 0)
		return 1;
	if (e <= REALTIME_MAXDELTA)
		return r->clk.now_ns + (uint64_t)e * NS_PER_S;
	mono = (int64_t)e * (int64_t)NS_PER_S - r->s->unix_offset_ns;
	return mono > 1 ? (uint64_t)mono : 1;
}

/* ---- reply buffer ---- */

static void
put(struct run *r, const void *b, size_t n)
{
	if (r->full)
		return;
	if (r->len + n > r->limit) {
		r->full = true;
		return;
	}
	memcpy(r->out + r->len, b, n);
	r->len += n;
}

static inline void
put_str(struct run *r, const char *str)
{
	put(r, str, strlen(str));
}

/* A one-line answer (memcached's out_string), unless noreply. */
static void
answer(struct run *r, const struct kv_cmd *c, const char *str)
{
	if (c->noreply)
		return;
	put_str(r, str);
	put(r, "\r\n", 2);
}

static void
put_u64(struct run *r, uint64_t v)
{
	uint8_t d[KV_U64_DIGITS];

	put(r, d, kv_u64toa(v, d));
}

/* "VALUE key flags bytes [cas]\r\n" value "\r\n" */
static void
put_value(struct run *r, const uint8_t *key, size_t nkey, uint32_t flags,
	  const uint8_t *val, size_t nbytes, const uint64_t *cas)
{
	put(r, "VALUE ", 6);
	put(r, key, nkey);
	put(r, " ", 1);
	put_u64(r, flags);
	put(r, " ", 1);
	put_u64(r, nbytes);
	if (cas != NULL) {
		put(r, " ", 1);
		put_u64(r, *cas);
	}
	put(r, "\r\n", 2);
	put(r, val, nbytes);
	put(r, "\r\n", 2);
}

/* ---- this worker's partition ---- */

/* The live item holding key (ref), or 0; a dead one is freed. */
static uint32_t
lookup_own(struct run *r, const uint8_t *key, size_t nkey, uint64_t hash)
{
	uint32_t ref = kv_part_find(r->p, key, nkey, hash);

	if (ref != 0 && kv_item_dead(kv_part_item(r->p, ref), &r->clk)) {
		kv_part_unlink(r->p, ref);
		kv_count(&r->p->st.lazy_freed);
		return 0;
	}
	return ref;
}

/* Fill an item's fields for a store of c's value (the key is set). */
static void
fill_item(struct run *r, struct kv_item *it, const struct kv_cmd *c)
{
	memcpy(kv_item_value(it), c->data, c->vlen);
	it->nbytes = c->vlen;
	it->flags = c->flags;
	it->exp_ns = exptime_ns(r, c->exptime);
	it->cas = kv_part_next_cas(r->p);
	it->time_ns = r->clk.now_ns;
	it->gen = r->clk.flush_gen;
}

/* A new chunk for key with a value of nbytes, its key and hash set; 0 if
 * memory is full and its class has nothing to evict. */
static uint32_t
new_item(struct run *r, const uint8_t *key, size_t nkey, uint32_t hash, size_t nbytes)
{
	uint32_t ref = kv_part_alloc(r->p, kv_item_total(nkey, nbytes), &r->clk);
	struct kv_item *it;

	if (ref == 0)
		return 0;
	it = kv_part_item(r->p, ref);
	it->hash = hash;
	it->nkey = (uint8_t)nkey;
	memcpy(it->data, key, nkey);
	return ref;
}

/* Link nw in old's place, or as a new item if old is 0. */
static void
put_item(struct run *r, uint32_t old, uint32_t nw)
{
	if (old != 0)
		kv_part_replace(r->p, old, nw);
	else
		kv_part_link(r->p, nw);
}

/* True if a value of nbytes can replace old's in place: same size class. */
static bool
same_class(struct run *r, uint32_t old, size_t nbytes)
{
	const struct kv_item *it = kv_part_item(r->p, old);

	return kv_part_class(r->p, kv_item_total(it->nkey, nbytes)) == it->cls;
}

/* set/add/replace/cas's store: overwrite old in place if the value's size
 * class is the same, else a new item (in old's place). */
static const char *
store(struct run *r, const struct kv_cmd *c, uint64_t hash, uint32_t old)
{
	struct kv_item *it;
	uint32_t ref;

	if (old != 0 && same_class(r, old, c->vlen)) {
		it = kv_part_item(r->p, old);
		kv_part_write_begin(r->p, it);
		fill_item(r, it, c);
		kv_part_write_end(r->p, it);
		kv_part_bump(r->p, old);
		return "STORED";
	}
	ref = new_item(r, c->key, c->nkey, (uint32_t)hash, c->vlen);
	if (ref == 0) {
		/* memcached: a failed set must not leave the old value readable */
		if (old != 0 && c->op == KV_OP_SET)
			kv_part_unlink(r->p, old);
		return ERR_OOM_STORE;
	}
	fill_item(r, kv_part_item(r->p, ref), c);
	put_item(r, old, ref);
	return "STORED";
}

/* append/prepend in place: the item's chunk holds the longer value. */
static void
concat_in_place(struct run *r, const struct kv_cmd *c, struct kv_item *it)
{
	uint8_t *v = kv_item_value(it);

	kv_part_write_begin(r->p, it);
	if (c->op == KV_OP_APPEND) {
		memcpy(v + it->nbytes, c->data, c->vlen);
	} else {
		memmove(v + c->vlen, v, it->nbytes);
		memcpy(v, c->data, c->vlen);
	}
	it->nbytes += c->vlen;
	it->cas = kv_part_next_cas(r->p);
	it->time_ns = r->clk.now_ns;
	kv_part_write_end(r->p, it);
}

/* append/prepend into a new item of the bigger class; false if no memory. */
static bool
concat_moved(struct run *r, const struct kv_cmd *c, uint32_t old)
{
	struct kv_item *o = kv_part_item(r->p, old), *n;
	size_t nbytes = (size_t)o->nbytes + c->vlen;
	uint32_t ref = new_item(r, o->data, o->nkey, o->hash, nbytes);
	uint8_t *v;

	if (ref == 0)
		return false;
	n = kv_part_item(r->p, ref);
	v = kv_item_value(n);
	if (c->op == KV_OP_APPEND) {
		memcpy(v, kv_item_value(o), o->nbytes);
		memcpy(v + o->nbytes, c->data, c->vlen);
	} else {
		memcpy(v, c->data, c->vlen);
		memcpy(v + c->vlen, kv_item_value(o), o->nbytes);
	}
	n->nbytes = (uint32_t)nbytes;
	n->flags = o->flags;
	n->exp_ns = o->exp_ns;
	n->gen = o->gen;
	n->cas = kv_part_next_cas(r->p);
	n->time_ns = r->clk.now_ns;
	kv_part_replace(r->p, old, ref);
	return true;
}

/* append/prepend: the value grows; flags and expiry stay. */
static const char *
concat(struct run *r, const struct kv_cmd *c, uint32_t old)
{
	struct kv_item *it = kv_part_item(r->p, old);

	if ((size_t)it->nbytes + c->vlen > r->s->max_value)
		return "NOT_STORED"; /* memcached's answer when the sum is too large */
	if (!kv_part_fits(r->p, it, (size_t)it->nbytes + c->vlen))
		return concat_moved(r, c, old) ? "STORED" : "NOT_STORED"; /* as memcached */
	concat_in_place(r, c, it);
	kv_part_bump(r->p, old);
	return "STORED";
}

/* memcached's do_store_item, for a complete and valid data block. */
static const char *
store_item(struct run *r, const struct kv_cmd *c, uint64_t hash)
{
	uint32_t old = lookup_own(r, c->key, c->nkey, hash);

	switch (c->op) {
	case KV_OP_ADD:
		if (old != 0) {
			kv_part_bump(r->p, old);
			return "NOT_STORED";
		}
		break;
	case KV_OP_REPLACE:
		if (old == 0)
			return "NOT_STORED";
		break;
	case KV_OP_APPEND:
	case KV_OP_PREPEND:
		return old == 0 ? "NOT_STORED" : concat(r, c, old);
	case KV_OP_CAS:
		if (old == 0)
			return "NOT_FOUND";
		if (c->num == 0 || kv_part_item(r->p, old)->cas != c->num)
			return "EXISTS";
		break;
	default: /* set */
		break;
	}
	return store(r, c, hash, old);
}

static bool
owned(struct run *r, const struct kv_cmd *c, uint64_t hash)
{
	if (kv_owner(hash, r->s->n_parts) == r->self)
		return true;
	answer(r, c, KV_ERR_CROSS); /* kv_proto_route keeps this from happening */
	return false;
}

static void
run_update(struct run *r, const struct kv_cmd *c)
{
	uint64_t hash = kv_hash(c->key, c->nkey);
	const char *res;
	uint32_t old;

	if (c->data_state == KV_DATA_SHORT || c->data_state == KV_DATA_BAD_CHUNK) {
		answer(r, c, ERR_CHUNK);
		return;
	}
	if (!owned(r, c, hash))
		return;
	if (c->data_state == KV_DATA_TOO_LARGE) {
		/* A failed set must not leave the old value readable. */
		old = c->op == KV_OP_SET ? kv_part_find(r->p, c->key, c->nkey, hash) : 0;
		if (old != 0)
			kv_part_unlink(r->p, old);
		answer(r, c, ERR_TOO_LARGE);
		return;
	}
	res = store_item(r, c, hash);
	if (strcmp(res, "STORED") == 0)
		count(&r->st->stores, 1);
	answer(r, c, res);
}

/* Write an incr/decr result (n digits) to the item at ref: in place,
 * padded with spaces as memcached does, if its chunk holds it, else in a
 * new item. False if memory is full. */
static bool
arith_store(struct run *r, uint32_t ref, const uint8_t *digits, size_t n)
{
	struct kv_item *it = kv_part_item(r->p, ref), *nw;
	uint32_t nref;

	if (n <= it->nbytes || kv_part_fits(r->p, it, n)) {
		kv_part_write_begin(r->p, it);
		memcpy(kv_item_value(it), digits, n);
		if (n <= it->nbytes) /* in place, padded with spaces as memcached does */
			memset(kv_item_value(it) + n, ' ', it->nbytes - n);
		else
			it->nbytes = (uint32_t)n;
		it->cas = kv_part_next_cas(r->p);
		kv_part_write_end(r->p, it);
		kv_part_bump(r->p, ref);
		return true;
	}
	nref = new_item(r, it->data, it->nkey, it->hash, n);
	if (nref == 0)
		return false;
	nw = kv_part_item(r->p, nref);
	memcpy(kv_item_value(nw), digits, n);
	nw->nbytes = (uint32_t)n;
	nw->flags = it->flags;
	nw->exp_ns = it->exp_ns;
	nw->gen = it->gen;
	nw->time_ns = it->time_ns;
	nw->cas = kv_part_next_cas(r->p);
	kv_part_replace(r->p, ref, nref);
	return true;
}

/* incr/decr on a live item: memcached's do_add_delta. */
static void
arith(struct run *r, const struct kv_cmd *c, uint32_t ref)
{
	struct kv_item *it = kv_part_item(r->p, ref);
	uint8_t *v = kv_item_value(it), digits[KV_U64_DIGITS];
	uint64_t value;
	size_t n;

	if (it->nbytes == 0 || !kv_strtoull(v, it->nbytes, &value)) {
		answer(r, c, ERR_NON_NUMERIC);
		return;
	}
	if (c->op == KV_OP_INCR)
		value += c->num;
	else
		value = c->num > value ? 0 : value - c->num;
	n = kv_u64toa(value, digits);
	if (!arith_store(r, ref, digits, n)) {
		answer(r, c, ERR_OOM);
		return;
	}
	if (!c->noreply) {
		put(r, digits, n);
		put(r, "\r\n", 2);
	}
}

static void
run_keyed(struct run *r, const struct kv_cmd *c)
{
	uint64_t hash = kv_hash(c->key, c->nkey);
	uint32_t ref;
	struct kv_item *it;

	if (!owned(r, c, hash))
		return;
	ref = lookup_own(r, c->key, c->nkey, hash);
	if (ref == 0) {
		answer(r, c, "NOT_FOUND");
		return;
	}
	switch (c->op) {
	case KV_OP_DELETE:
		kv_part_unlink(r->p, ref);
		answer(r, c, "DELETED");
		break;
	case KV_OP_TOUCH:
		it = kv_part_item(r->p, ref);
		kv_part_write_begin(r->p, it);
		it->exp_ns = exptime_ns(r, c->exptime);
		kv_part_write_end(r->p, it);
		kv_part_bump(r->p, ref);
		answer(r, c, "TOUCHED");
		break;
	default:
		arith(r, c, ref);
		break;
	}
}

/* ---- get, gets, gat, gats ---- */

struct get_how {
	bool cas;         /**< gets, gats */
	bool touch;       /**< gat, gats */
	uint64_t exp_ns;  /**< gat, gats: the new expiry */
};

static void
get_own(struct run *r, const uint8_t *key, size_t nkey, uint64_t hash,
	const struct get_how *how)
{
	uint32_t ref = lookup_own(r, key, nkey, hash);
	struct kv_item *it;

	if (ref == 0) {
		count(&r->st->get_misses, 1);
		return;
	}
	it = kv_part_item(r->p, ref);
	if (how->touch) {
		kv_part_write_begin(r->p, it);
		it->exp_ns = how->exp_ns;
		kv_part_write_end(r->p, it);
	}
	kv_part_bump(r->p, ref);
	count(&r->st->get_hits, 1);
	put_value(r, key, nkey, it->flags, kv_item_value(it), it->nbytes,
		  how->cas ? &it->cas : NULL);
}

/* A key another worker owns: a consistent copy from its partition. */
static void
get_remote(struct run *r, unsigned owner, const uint8_t *key, size_t nkey,
	   uint64_t hash, const struct get_how *how)
{
	uint8_t *val = r->s->scratch + (size_t)r->self * r->s->max_value;
	struct kv_snap snap;
	int ret;

	count(&r->st->remote_reads, 1);
	ret = kv_part_read(&r->s->parts[owner], key, nkey, hash, &r->clk, val,
			   r->s->max_value, &snap, KV_READ_TRIES);
	if (ret < 0) {
		count(&r->st->remote_busy, 1);
		put_str(r, ERR_BUSY);
		put(r, "\r\n", 2);
		return;
	}
	if (ret == 0) {
		count(&r->st->get_misses, 1);
		return;
	}
	count(&r->st->get_hits, 1);
	put_value(r, key, nkey, snap.flags, val, snap.nbytes, how->cas ? &snap.cas : NULL);
}

static void
run_get(struct run *r, const struct kv_cmd *c)
{
	struct get_how how = {
		.cas = c->op == KV_OP_GETS || c->op == KV_OP_GATS,
		.touch = c->op == KV_OP_GAT || c->op == KV_OP_GATS,
	};
	struct kv_keyiter it;
	const uint8_t *key;
	size_t nkey;
	unsigned owner;
	int k;

	if (how.touch)
		how.exp_ns = exptime_ns(r, c->exptime);
	kv_keys_begin(c, &it);
	while ((k = kv_keys_next(&it, &key, &nkey)) == 1) {
		uint64_t hash = kv_hash(key, nkey);

		owner = kv_owner(hash, r->s->n_parts);
		if (owner == r->self)
			get_own(r, key, nkey, hash, &how);
		else if (!how.touch)
			get_remote(r, owner, key, nkey, hash, &how);
		else
			put_str(r, KV_ERR_CROSS "\r\n"); /* kv_proto_route prevents it */
	}
	if (k < 0) {
		/* memcached culls every response not sent yet, then errs. */
		r->len = r->mark;
		r->full = false;
		answer(r, c, ERR_FORMAT);
		return;
	}
	put(r, "END\r\n", 5);
	r->mark = r->len; /* memcached sends what it has after a get */
}

/* ---- the rest ---- */

static void
run_flush_all(struct run *r, const struct kv_cmd *c)
{
	struct kv_store *s = r->s;
	uint64_t deadline = c->exptime > 0 ? exptime_ns(r, c->exptime) : 0;

	if (deadline > r->clk.now_ns) {
		__atomic_store_n(&s->flush_deadline_ns, deadline, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&s->flush_deadline_ns, 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->flush_gen, 1, __ATOMIC_RELEASE);
	}
	clock_load(s, r->clk.now_ns, &r->clk);
	answer(r, c, "OK");
}

static void
run_version(struct run *r)
{
	put(r, "VERSION ", 8);
	put(r, r->s->version, r->s->version_len);
	put(r, "\r\n", 2);
}

/* Run one command; false to stop reading the datagram. */
static bool
run_cmd(struct run *r, const struct kv_cmd *c)
{
	switch (c->op) {
	case KV_OP_GET:
	case KV_OP_GETS:
	case KV_OP_GAT:
	case KV_OP_GATS:
		run_get(r, c);
		break;
	case KV_OP_SET:
	case KV_OP_ADD:
	case KV_OP_REPLACE:
	case KV_OP_APPEND:
	case KV_OP_PREPEND:
	case KV_OP_CAS:
		run_update(r, c);
		break;
	case KV_OP_INCR:
	case KV_OP_DECR:
	case KV_OP_DELETE:
	case KV_OP_TOUCH:
		run_keyed(r, c);
		break;
	case KV_OP_FLUSH_ALL:
		run_flush_all(r, c);
		break;
	case KV_OP_VERSION:
		run_version(r);
		break;
	case KV_OP_VERBOSITY:
		answer(r, c, "OK");
		break;
	case KV_OP_MN:
		answer(r, c, "MN");
		r->mark = r->len;
		break;
	case KV_OP_QUIT:
	case KV_OP_CLOSE:
		return false;
	case KV_OP_LINE:
	default:
		answer(r, c, c->line);
		break;
	}
	return true;
}

/* A command's output did not fit: what it wrote goes, an error line says so. */
static void
overflowed(struct run *r, const struct kv_cmd *c, size_t start)
{
	const char *msg = c->op >= KV_OP_GET && c->op <= KV_OP_GATS ?
			  ERR_GET_OVERFLOW : ERR_OVERFLOW;
	size_t n = strlen(msg);

	count(&r->st->overflows, 1);
	if (start + n + 2 > r->limit)
		start = KV_FRAME_HDR;
	memcpy(r->out + start, msg, n);
	memcpy(r->out + start + n, "\r\n", 2);
	r->len = start + n + 2;
	r->mark = r->len;
}

static bool
frame_ok(struct kv_wstats *st, const uint8_t *dgram, size_t len)
{
	if (len <= KV_FRAME_HDR) {
		count(&st->drop_short, 1);
		return false;
	}
	if (dgram[4] != 0 || dgram[5] != 1) { /* memcached drops multi-datagram requests */
		count(&st->drop_multi, 1);
		return false;
	}
	return true;
}

static void
frame_header(uint8_t *out, const uint8_t *dgram, uint16_t total)
{
	out[0] = dgram[0];
	out[1] = dgram[1];
	out[2] = 0;
	out[3] = 0;
	out[4] = (uint8_t)(total >> 8);
	out[5] = (uint8_t)total;
	out[6] = 0;
	out[7] = 0;
}

static void
run_init(struct run *r, struct kv_store *s, unsigned self, uint64_t now_ns,
	 uint8_t *out, size_t cap)
{
	size_t limit = KV_FRAME_HDR + (size_t)s->reply_max;

	r->s = s;
	r->self = self;
	r->p = &s->parts[self];
	r->st = &s->wstats[self];
	clock_load(s, now_ns, &r->clk);
	r->out = out;
	r->limit = cap < limit ? cap : limit;
	r->len = KV_FRAME_HDR;
	r->mark = KV_FRAME_HDR;
	r->full = false;
}

enum kv_answer
kv_proto_run(struct kv_store *s, unsigned self, uint64_t now_ns, const uint8_t *dgram,
	     size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	enum kv_op stop = KV_OP_LINE; /* QUIT or CLOSE if one ended the datagram */
	struct kv_parser ps;
	struct kv_cmd c;
	struct run r;

	*out_len = 0;
	count(&s->wstats[self].requests, 1);
	if (!frame_ok(&s->wstats[self], dgram, len) || cap < KV_FRAME_HDR + 64)
		return KV_ANSWER_NONE;
	run_init(&r, s, self, now_ns, out, cap);
	kv_parser_init(&ps, dgram + KV_FRAME_HDR, len - KV_FRAME_HDR, s->max_value);
	while (kv_parse_next(&ps, &c)) {
		size_t start = r.len;
		bool was_full = r.full;

		count(&r.st->cmds, 1);
		if (!run_cmd(&r, &c)) {
			stop = c.op;
			break;
		}
		if (r.full && !was_full)
			overflowed(&r, &c, start);
	}
	if (stop == KV_OP_CLOSE) { /* memcached closes: nothing is sent */
		count(&r.st->drop_close, 1);
		return KV_ANSWER_NONE;
	}
	if (r.len == KV_FRAME_HDR && stop != KV_OP_QUIT)
		return KV_ANSWER_NONE;
	/* quit with nothing to say: memcached sends an empty datagram, total 0 */
	frame_header(out, dgram, r.len == KV_FRAME_HDR ? 0 : 1);
	*out_len = r.len;
	count(&r.st->replies, 1);
	if (kv_reply_dgrams(r.len) > 1)
		count(&r.st->multi_replies, 1);
	return KV_ANSWER_REPLY;
}

uint8_t *
kv_reply_dgram(uint8_t *out, size_t len, unsigned i, size_t *dlen)
{
	unsigned n = kv_reply_dgrams(len);
	size_t off = (size_t)i * KV_UDP_DATA_MAX;
	uint8_t *d = out + off;

	*dlen = len - off < KV_FRAME_HDR + KV_UDP_DATA_MAX ? len - off :
		KV_FRAME_HDR + KV_UDP_DATA_MAX;
	if (len <= KV_FRAME_HDR)
		return out; /* the empty reply to quit: total 0, as written */
	d[0] = out[0]; /* the request id (datagram 0 keeps it: i >= 1 starts past it) */
	d[1] = out[1];
	d[2] = (uint8_t)(i >> 8);
	d[3] = (uint8_t)i;
	d[4] = (uint8_t)(n >> 8);
	d[5] = (uint8_t)n;
	d[6] = 0;
	d[7] = 0;
	return d;
}

size_t
kv_proto_cross_reply(struct kv_store *s, unsigned self, const uint8_t *dgram,
		     uint8_t *out, size_t cap)
{
	static const char msg[] = KV_ERR_CROSS "\r\n";
	size_t n = sizeof(msg) - 1;

	count(&s->wstats[self].cross_writes, 1);
	if (cap < KV_FRAME_HDR + n)
		return 0;
	frame_header(out, dgram, 1);
	memcpy(out + KV_FRAME_HDR, msg, n);
	count(&s->wstats[self].replies, 1);
	return KV_FRAME_HDR + n;
}

/* ---- routing ---- */

struct owners {
	int first_key;    /**< owner of the first key, -1 if none yet */
	int first_write;  /**< owner of the first key written, -1 if none */
	bool cross;       /**< keys written on two workers */
};

static void
note_key(struct owners *o, unsigned n_parts, const uint8_t *key, size_t nkey, bool write)
{
	int owner = (int)kv_owner(kv_hash(key, nkey), n_parts);

	if (o->first_key < 0)
		o->first_key = owner;
	if (!write)
		return;
	if (o->first_write < 0)
		o->first_write = owner;
	else if (o->first_write != owner)
		o->cross = true;
}

static void
note_get_keys(struct owners *o, unsigned n_parts, const struct kv_cmd *c)
{
	bool write = c->op == KV_OP_GAT || c->op == KV_OP_GATS;
	struct kv_keyiter it;
	const uint8_t *key;
	size_t nkey;

	kv_keys_begin(c, &it);
	while (kv_keys_next(&it, &key, &nkey) == 1)
		note_key(o, n_parts, key, nkey, write);
}

/* The keys a command reads or writes; false once the datagram's end is. */
static bool
note_cmd(struct owners *o, unsigned n_parts, const struct kv_cmd *c)
{
	switch (c->op) {
	case KV_OP_GET:
	case KV_OP_GETS:
	case KV_OP_GAT:
	case KV_OP_GATS:
		note_get_keys(o, n_parts, c);
		return true;
	case KV_OP_SET:
	case KV_OP_ADD:
	case KV_OP_REPLACE:
	case KV_OP_APPEND:
	case KV_OP_PREPEND:
	case KV_OP_CAS:
		if (c->data_state == KV_DATA_OK || c->data_state == KV_DATA_TOO_LARGE)
			note_key(o, n_parts, c->key, c->nkey, true);
		return true;
	case KV_OP_INCR:
	case KV_OP_DECR:
	case KV_OP_DELETE:
	case KV_OP_TOUCH:
		note_key(o, n_parts, c->key, c->nkey, true);
		return true;
	case KV_OP_QUIT:
	case KV_OP_CLOSE:
		return false;
	default:
		return true;
	}
}

void
kv_proto_route(const struct kv_store *s, unsigned self, const uint8_t *dgram,
	       size_t len, struct kv_route *r)
{
	struct owners o = { .first_key = -1, .first_write = -1, .cross = false };
	struct kv_parser ps;
	struct kv_cmd c;

	r->drop = len <= KV_FRAME_HDR || dgram[4] != 0 || dgram[5] != 1;
	r->cross = false;
	r->home = self;
	if (r->drop || s->n_parts == 1)
		return;
	kv_parser_init(&ps, dgram + KV_FRAME_HDR, len - KV_FRAME_HDR, s->max_value);
	while (kv_parse_next(&ps, &c) && note_cmd(&o, s->n_parts, &c))
		;
	r->cross = o.cross;
	if (o.first_write >= 0)
		r->home = (unsigned)o.first_write;
	else if (o.first_key >= 0)
		r->home = (unsigned)o.first_key;
}

uint32_t
kv_proto_tick(struct kv_store *s, unsigned self, uint64_t now_ns, uint32_t max_scan)
{
	struct kv_clock c;

	clock_load(s, now_ns, &c);
	return kv_part_reap(&s->parts[self], &c, max_scan);
}
