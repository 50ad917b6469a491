/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>

#include "service_time.h"

/* splitmix64 step: spreads small seeds (0, 1, 2...) over the whole state. */
static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void
svc_rng_seed(struct svc_rng *r, uint64_t seed)
{
	r->s = splitmix64(seed);
	if (r->s == 0)	/* xorshift's one forbidden state */
		r->s = 0x9e3779b97f4a7c15ull;
}

uint64_t
svc_rng_next(struct svc_rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dull;
}

double
svc_rng_unit(struct svc_rng *r)
{
	/* 53 random bits: k in [0, 2^53), so (k + 1) / 2^53 is in (0, 1]. */
	uint64_t k = svc_rng_next(r) >> 11;

	return (double)(k + 1) * (1.0 / 9007199254740992.0);
}

uint64_t
svc_exp_draw(struct svc_rng *r, uint64_t mean)
{
	/* Inverse transform: -ln(U) is exponential with mean 1 for U in (0, 1]. */
	return (uint64_t)llround(-log(svc_rng_unit(r)) * (double)mean);
}
