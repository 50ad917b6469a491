/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "trust.h"

#define PREFIX_SYNTAX "expected IPv4 or IPv6 ADDR[/LEN], e.g. 198.18.0.0/15"

static unsigned
ip_len(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

/* Clear the bits of ip past len; true if any was set. */
static bool
mask_host_bits(uint8_t *ip, uint8_t family, unsigned len)
{
	bool had = false;

	for (unsigned i = 0; i < ip_len(family); i++) {
		unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
		uint8_t mask = keep == 0 ? 0 : (uint8_t)(0xffu << (8 - keep));

		had |= (ip[i] & (uint8_t)~mask) != 0;
		ip[i] &= mask;
	}
	return had;
}

static int
parse_addr(const char *s, struct tern_prefix *out, struct tern_err *err)
{
	memset(out->addr, 0, sizeof(out->addr));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = 6;
		return 0;
	}
	return tern_err_set(err, EINVAL, "bad address '%s' (%s)", s, PREFIX_SYNTAX);
}

int
tern_prefix_parse(const char *s, struct tern_prefix *out, struct tern_err *err)
{
	char buf[INET6_ADDRSTRLEN + 8], fixed[INET6_ADDRSTRLEN + 8];
	const char *slash;
	uint64_t len;
	unsigned max;
	int rc;

	if (strlen(s) >= sizeof(buf))
		return tern_err_set(err, EINVAL, "bad prefix '%.60s...' (%s)", s, PREFIX_SYNTAX);
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		buf[slash - buf] = '\0';
	rc = parse_addr(buf, out, err);
	if (rc < 0)
		return rc;
	max = out->family == 4 ? 32 : 128;
	len = max;
	if (slash != NULL && tern_dec_parse(slash + 1, 0, max, &len) < 0)
		return tern_err_set(err, EINVAL, "bad prefix length '%s' in '%s' (0-%u)",
				    slash + 1, s, max);
	out->len = (uint8_t)len;
	if (mask_host_bits(out->addr, out->family, out->len))
		return tern_err_set(err, EINVAL, "'%s' has host bits set: did you mean %s?", s,
				    tern_prefix_format(out, fixed, sizeof(fixed)));
	return 0;
}

char *
tern_prefix_format(const struct tern_prefix *p, char *buf, unsigned len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, p->len);
	return buf;
}

bool
tern_prefix_has(const struct tern_prefix *p, uint8_t family, const uint8_t *ip)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (p->family != family || memcmp(p->addr, ip, full) != 0)
		return false;
	return rest == 0 || ((ip[full] ^ p->addr[full]) & (uint8_t)(0xffu << (8 - rest))) == 0;
}

static bool
same_prefix(const struct tern_prefix *a, const struct tern_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr, b->addr, ip_len(a->family)) == 0;
}

static struct tern_trust_table *
copy(const struct tern_trust_table *old, struct tern_err *err)
{
	struct tern_trust_table *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		tern_err_set(err, ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (old != NULL)
		*t = *old;
	else
		t->local = true;
	return t;
}

static int
find(const struct tern_trust_table *t, const struct tern_prefix *p)
{
	for (unsigned i = 0; t != NULL && i < t->n; i++)
		if (same_prefix(&t->p[i], p))
			return (int)i;
	return -1;
}

struct tern_trust_table *
tern_trust_with(const struct tern_trust_table *old, const struct tern_prefix *p,
		struct tern_err *err)
{
	struct tern_trust_table *t;
	char buf[64];

	if (find(old, p) >= 0) {
		tern_err_set(err, EEXIST, "%s is already trusted",
			     tern_prefix_format(p, buf, sizeof(buf)));
		errno = EEXIST;
		return NULL;
	}
	if (old != NULL && old->n == TERN_TRUST_MAX) {
		tern_err_set(err, ENOSPC, "too many trusted prefixes (max %d): merge some",
			     TERN_TRUST_MAX);
		errno = ENOSPC;
		return NULL;
	}
	t = copy(old, err);
	if (t != NULL)
		t->p[t->n++] = *p;
	return t;
}

struct tern_trust_table *
tern_trust_without(const struct tern_trust_table *old, const struct tern_prefix *p,
		   struct tern_err *err)
{
	struct tern_trust_table *t;
	int i = find(old, p);
	char buf[64];

	if (i < 0) {
		tern_err_set(err, ENOENT, "%s is not trusted (see show trust)",
			     tern_prefix_format(p, buf, sizeof(buf)));
		errno = ENOENT;
		return NULL;
	}
	t = copy(old, err);
	if (t == NULL)
		return NULL;
	memmove(&t->p[i], &t->p[i + 1], (t->n - (unsigned)i - 1) * sizeof(t->p[0]));
	t->n--;
	return t;
}

struct tern_trust_table *
tern_trust_local(const struct tern_trust_table *old, bool on, struct tern_err *err)
{
	struct tern_trust_table *t = copy(old, err);

	if (t != NULL)
		t->local = on;
	return t;
}

void
tern_prefix_of_addr(const struct tern_addr *a, struct tern_prefix *out)
{
	out->family = a->family;
	out->len = a->prefix;
	memcpy(out->addr, a->addr, sizeof(out->addr));
	mask_host_bits(out->addr, out->family, out->len);
}

/* Is src on the subnet of one of tern's addresses on port? */
static bool
on_local_subnet(const struct tern_addr_table *at, uint16_t port, uint8_t family,
		const uint8_t *src)
{
	for (unsigned i = 0; at != NULL && i < at->n; i++) {
		const struct tern_addr *a = &at->a[i];
		struct tern_prefix p;

		if (a->port_id != port || a->family != family)
			continue;
		tern_prefix_of_addr(a, &p);
		if (tern_prefix_has(&p, family, src))
			return true;
	}
	return false;
}

bool
tern_trusted(const struct tern_trust_table *t, const struct tern_addr_table *at,
	     uint16_t port, uint8_t family, const uint8_t *src)
{
	if ((t == NULL || t->local) && on_local_subnet(at, port, family, src))
		return true;
	for (unsigned i = 0; t != NULL && i < t->n; i++)
		if (tern_prefix_has(&t->p[i], family, src))
			return true;
	return false;
}
