/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source rate limiting (rate_limit.h).
 *
 * Each bucket is a token bucket kept in its "virtual scheduling" form (the
 * GCRA): instead of a token count and a last-refill time it keeps one time,
 * tat, the moment at which the bucket will be full again. A request costs
 * T = hz / rate cycles; it may pass if the bucket holds at least one token,
 * which is tat <= now + tau with tau = (burst - 1) * T; passing moves tat to
 * max(tat, now) + T. This is exactly a bucket of depth burst refilled at rate
 * tokens per second, but refill is implicit: no multiply by the elapsed time,
 * so no overflow however long a source stays idle (max(tat, now) is a full
 * bucket, never more), and a zeroed bucket (tat 0) is a full one.
 *
 * T and tau are fixed point with 32 fraction bits (error under 2^-32 cycle
 * per request, so 30000000/s at 1 GHz costs 33.33 cycles, not 33). They are
 * computed with one 128-bit division when the table first sees a (conf, hz)
 * pair and cached in the table, so the fast path is a hash, a compare and
 * an add. A table meant for one conf: alternating confs on one table would
 * recompute on every call (correct, but slow).
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "rate_limit.h"

#define RL_FRAC_BITS 32
#define RL_MAX_BUCKETS (1u << 24)    /* 256 MiB of buckets */
#define RL_LIMIT_MAX 100000000u
#define RL_EXPECTED "expected RATE or RATE/BURST, decimal requests per second per " \
	"source: RATE 0 (no limit) to 100000000, BURST 1 to 100000000"
#define RL_CACHE_LINE 64

/* Multipliers for the address hash: 2^64 / golden ratio, and another odd one. */
#define RL_K1 0x9e3779b97f4a7c15ULL
#define RL_K2 0xc2b2ae3d27d4eb4fULL

/* One source's bucket: full again at tat + tat_frac / 2^32 cycles. */
struct rl_bucket {
	uint64_t tat;      /**< integer part, TSC cycles; 0 = full */
	uint32_t tat_frac; /**< fraction of a cycle */
	uint32_t pad;
};

struct tern_rl_table {
	/* The (conf, hz) the cached costs below are for. */
	uint32_t rate;
	uint32_t burst;
	uint64_t hz;
	/* Cost of one request, T = hz / rate, and tolerance tau = (burst-1) T. */
	uint64_t t_int;
	uint64_t tau_int;
	uint32_t t_frac;
	uint32_t tau_frac;
	unsigned shift;    /**< index = hash >> shift & mask */
	uint32_t mask;
	struct rl_bucket b[] __attribute__((aligned(RL_CACHE_LINE)));
};

/* ---- parsing ------------------------------------------------------------ */

/* A decimal number in [min, max] from s up to (not including) end. */
static int
parse_num(const char *s, const char *end, uint32_t min, uint32_t max,
	  uint32_t *out)
{
	uint64_t v;
	int rc = tern_dec_parse_n(s, (size_t)(end - s), min, max, &v);

	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

int
tern_rl_parse(const char *s, struct tern_rl_conf *c, struct tern_err *err)
{
	const char *slash, *end;
	struct tern_rl_conf v = { 0, 0 };

	if (s == NULL || *s == '\0')
		return tern_err_set(err, EINVAL, "empty rate limit (%s)", RL_EXPECTED);
	end = s + strlen(s);
	slash = strchr(s, '/');
	if (parse_num(s, slash != NULL ? slash : end, 0, RL_LIMIT_MAX, &v.rate) < 0)
		return tern_err_set(err, EINVAL, "bad rate limit '%s': bad RATE (%s)",
				    s, RL_EXPECTED);
	if (slash != NULL &&
	    parse_num(slash + 1, end, 1, RL_LIMIT_MAX, &v.burst) < 0)
		return tern_err_set(err, EINVAL, "bad rate limit '%s': bad BURST (%s)",
				    s, RL_EXPECTED);
	*c = v;
	return 0;
}

/* ---- table -------------------------------------------------------------- */

struct tern_rl_table *
tern_rl_table_create(unsigned n_buckets)
{
	struct tern_rl_table *t;
	unsigned bits = 0;
	size_t size;

	if (n_buckets == 0)
		n_buckets = TERN_RL_BUCKETS_DEFAULT;
	if ((n_buckets & (n_buckets - 1)) != 0 || n_buckets > RL_MAX_BUCKETS) {
		errno = EINVAL;
		return NULL;
	}
	while ((1u << bits) < n_buckets)
		bits++;
	size = sizeof(*t) + (size_t)n_buckets * sizeof(t->b[0]);
	size = (size + RL_CACHE_LINE - 1) & ~(size_t)(RL_CACHE_LINE - 1);
	t = aligned_alloc(RL_CACHE_LINE, size);
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(t, 0, size);   /* all buckets full; no (conf, hz) cached yet */
	t->mask = n_buckets - 1;
	t->shift = 64 - (bits > 0 ? bits : 1);
	return t;
}

void
tern_rl_table_free(struct tern_rl_table *t)
{
	free(t);
}

/*
 * Cache T and tau for (rate, burst, hz); rate >= 1. Off the fast path: runs
 * once per table unless the conf changes. Buckets keep their tat, so a new
 * limit applies from now on without a reset.
 */
static void
rl_set_conf(struct tern_rl_table *t, uint32_t rate, uint32_t burst, uint64_t hz)
{
	uint32_t depth = burst != 0 ? burst : rate;
	unsigned __int128 cost = ((unsigned __int128)hz << RL_FRAC_BITS) / rate;
	unsigned __int128 tau = cost * (depth - 1);

	t->rate = rate;
	t->burst = burst;
	t->hz = hz;
	t->t_int = (uint64_t)(cost >> RL_FRAC_BITS);
	t->t_frac = (uint32_t)cost;
	if ((tau >> RL_FRAC_BITS) > UINT64_MAX) {   /* absurd hz: no limit on depth */
		t->tau_int = UINT64_MAX;
		t->tau_frac = UINT32_MAX;
	} else {
		t->tau_int = (uint64_t)(tau >> RL_FRAC_BITS);
		t->tau_frac = (uint32_t)tau;
	}
}

/*
 * Bucket index of a source: a multiplicative (Fibonacci) hash of the address
 * read as a big-endian number, top bits. Consecutive addresses (the hosts of
 * a /24, or IPv6 interface IDs differing in the last byte) land in distinct,
 * evenly spread buckets.
 */
static inline uint32_t
rl_index(const struct tern_rl_table *t, const uint8_t *addr, uint8_t family)
{
	uint64_t h;

	if (family == 6) {
		uint64_t hi, lo;

		memcpy(&hi, addr, sizeof(hi));
		memcpy(&lo, addr + 8, sizeof(lo));
		h = ((be64toh(hi) * RL_K2) ^ be64toh(lo)) * RL_K1;
	} else {
		uint32_t a;

		memcpy(&a, addr, sizeof(a));
		h = (uint64_t)be32toh(a) * RL_K1;
	}
	return (uint32_t)(h >> t->shift) & t->mask;
}

bool
tern_rl_allow(struct tern_rl_table *t, const struct tern_rl_conf *c,
	      const uint8_t *addr, uint8_t family, uint64_t now, uint64_t hz)
{
	struct rl_bucket *b;
	uint64_t d;
	uint32_t frac;

	if (c->rate == 0)
		return true;
	if (__builtin_expect(c->rate != t->rate || c->burst != t->burst ||
			     hz != t->hz, 0))
		rl_set_conf(t, c->rate, c->burst, hz);
	b = &t->b[rl_index(t, addr, family)];
	if (b->tat < now || (b->tat == now && b->tat_frac == 0)) {
		/* At least full: the request starts from a full bucket. */
		b->tat = now;
		b->tat_frac = 0;
	} else {
		/* Less than one token left when tat - now exceeds tau. */
		d = b->tat - now;
		if (d > t->tau_int || (d == t->tau_int && b->tat_frac > t->tau_frac))
			return false;
	}
	frac = b->tat_frac + t->t_frac;
	b->tat += t->t_int + (frac < b->tat_frac);
	b->tat_frac = frac;
	return true;
}
