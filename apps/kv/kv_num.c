/* SPDX-License-Identifier: BSD-3-Clause */
#include "kv_num.h"

/* What strtoul/strtol saw in a token: sign, magnitude, where it stopped. */
struct kv_scan {
	bool neg;
	bool range;      /**< the magnitude overflowed 64 bits (ERANGE) */
	uint64_t mag;
	size_t end;      /**< endptr as an offset; 0 if no digits (endptr == str) */
};

static inline uint8_t
byte_at(const uint8_t *s, size_t len, size_t i)
{
	return i < len ? s[i] : 0;
}

/* strto*'s common part: spaces, a sign, decimal digits. */
static void
scan_number(const uint8_t *s, size_t len, struct kv_scan *r)
{
	size_t i = 0, first;

	r->neg = false;
	r->range = false;
	r->mag = 0;
	r->end = 0;
	while (i < len && kv_isspace(s[i]))
		i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		r->neg = s[i++] == '-';
	first = i;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (r->mag > (UINT64_MAX - d) / 10)
			r->range = true;
		else
			r->mag = r->mag * 10 + d;
	}
	if (i != first)
		r->end = i;
}

/* safe_strto*'s tail check: the number is followed by a space or the end. */
static bool
tail_ok(const uint8_t *s, size_t len, const struct kv_scan *r)
{
	uint8_t c;

	if (r->end == 0 || r->range)
		return false;
	c = byte_at(s, len, r->end);
	return c == 0 || kv_isspace(c);
}

/* strchr(str, '-') on a string that ends at the first NUL or at len. */
static bool
has_minus(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len && s[i] != 0; i++)
		if (s[i] == '-')
			return true;
	return false;
}

/* strtoul/strtoull's value: a negative number wraps. */
static uint64_t
unsigned_value(const struct kv_scan *r)
{
	return r->neg ? (uint64_t)0 - r->mag : r->mag;
}

bool
kv_strtoull(const uint8_t *s, size_t len, uint64_t *out)
{
	struct kv_scan r;
	uint64_t v;

	*out = 0;
	scan_number(s, len, &r);
	if (!tail_ok(s, len, &r))
		return false;
	v = unsigned_value(&r);
	if ((int64_t)v < 0 && has_minus(s, len))
		return false;
	*out = v;
	return true;
}

/* safe_strtoul with a 64-bit long: safe_strtoull's checks, low 32 bits kept. */
bool
kv_strtoul32(const uint8_t *s, size_t len, uint32_t *out)
{
	uint64_t v;
	bool ok = kv_strtoull(s, len, &v);

	*out = (uint32_t)v;
	return ok;
}

bool
kv_strtol32(const uint8_t *s, size_t len, int32_t *out)
{
	struct kv_scan r;
	int64_t v;

	*out = 0;
	scan_number(s, len, &r);
	/* strtol's range is [INT64_MIN, INT64_MAX]: beyond it, ERANGE. */
	if (r.mag > (uint64_t)INT64_MAX + (r.neg ? 1u : 0u))
		r.range = true;
	if (!tail_ok(s, len, &r))
		return false;
	v = r.neg ? (int64_t)((uint64_t)0 - r.mag) : (int64_t)r.mag;
	*out = (int32_t)(uint32_t)(uint64_t)v; /* memcached keeps the low 32 bits */
	return true;
}

size_t
kv_u64toa(uint64_t v, uint8_t *p)
{
	uint8_t tmp[KV_U64_DIGITS];
	size_t n = 0;

	do {
		tmp[n++] = (uint8_t)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}
