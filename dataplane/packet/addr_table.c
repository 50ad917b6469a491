/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr_table.h"
#include "decimal.h"

#define ADDR_SYNTAX "expected IPv4 or IPv6 ADDR[/PREFIX][@PORT]"

/* ff02::1:ff00:0/104, the solicited-node multicast prefix (RFC 4291 2.7.1). */
static const uint8_t solicited_prefix[13] = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff,
};

static unsigned
addr_len(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

/* Parse the address part s[0..len) into out->family and out->addr. */
static int
parse_ip(const char *s, size_t len, struct tern_addr *out,
	 struct tern_err *err)
{
	char buf[INET6_ADDRSTRLEN];

	if (len == 0)
		return tern_err_set(err, EINVAL, "missing address (%s)",
				    ADDR_SYNTAX);
	if (len >= sizeof(buf))
		return tern_err_set(err, EINVAL, "bad address '%.*s' (%s)",
				    (int)len, s, ADDR_SYNTAX);
	memcpy(buf, s, len);
	buf[len] = '\0';

	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		return 0;
	}
	return tern_err_set(err, EINVAL, "bad address '%s' (%s)", buf,
			    ADDR_SYNTAX);
}

/* Parse the prefix part s[0..len) for out->family into out->prefix. */
static int
parse_prefix(const char *s, size_t len, struct tern_addr *out,
	     struct tern_err *err)
{
	unsigned max = out->family == 4 ? 32 : 128;
	uint64_t v;
	int rc;

	if (len == 0)
		return tern_err_set(err, EINVAL, "empty prefix after '/' (%s)",
				    ADDR_SYNTAX);
	rc = tern_dec_parse_n(s, len, 0, max, &v);
	if (rc == -ERANGE)
		return tern_err_set(err, EINVAL,
				    "prefix %.*s out of range for IPv%u (0-%u)",
				    (int)len, s, out->family, max);
	if (rc < 0)
		return tern_err_set(err, EINVAL,
				    "bad prefix '%.*s' (expected a decimal number)",
				    (int)len, s);
	out->prefix = (uint8_t)v;
	return 0;
}

/* Parse the port part (after '@') into out->port_id. */
static int
parse_port(const char *s, struct tern_addr *out, struct tern_err *err)
{
	uint64_t v;

	if (tern_dec_parse(s, 0, UINT16_MAX, &v) < 0)
		return tern_err_set(err, EINVAL,
				    "bad port '%s' after '@' (expected a decimal DPDK port id 0-65535)",
				    s);
	out->port_id = (uint16_t)v;
	return 0;
}

int
tern_addr_parse(const char *s, struct tern_addr *out, struct tern_err *err)
{
	struct tern_addr a;
	const char *at, *slash, *end;
	int ret;

	if (s == NULL || *s == '\0')
		return tern_err_set(err, EINVAL, "empty address (%s)",
				    ADDR_SYNTAX);

	memset(&a, 0, sizeof(a));
	at = strchr(s, '@');
	end = at != NULL ? at : s + strlen(s);
	slash = memchr(s, '/', (size_t)(end - s));

	ret = parse_ip(s, (size_t)((slash != NULL ? slash : end) - s), &a, err);
	if (ret < 0)
		return ret;

	if (slash != NULL) {
		ret = parse_prefix(slash + 1, (size_t)(end - slash - 1), &a, err);
		if (ret < 0)
			return ret;
	} else {
		a.prefix = a.family == 4 ? 32 : 128;
	}

	if (at != NULL) {
		ret = parse_port(at + 1, &a, err);
		if (ret < 0)
			return ret;
	}

	*out = a;
	return 0;
}

char *
tern_addr_format(const struct tern_addr *a, char *buf, unsigned len)
{
	char ip[INET6_ADDRSTRLEN];
	int af = a->family == 4 ? AF_INET : AF_INET6;

	if (len == 0)
		return buf;
	if (inet_ntop(af, a->addr, ip, sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, len, "%s/%u", ip, a->prefix);
	return buf;
}

static bool
addr_same(const struct tern_addr *x, const struct tern_addr *y)
{
	return x->family == y->family && x->port_id == y->port_id &&
	       memcmp(x->addr, y->addr, addr_len(x->family)) == 0;
}

/* a (IPv4) as words: the address, its subnet's network and broadcast. */
static struct tern_addr4
addr4_of(const struct tern_addr *a)
{
	uint32_t host = a->prefix == 0 ? UINT32_MAX : (UINT32_C(1) << (32 - a->prefix)) - 1;
	uint32_t ip = (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 |
		      (uint32_t)a->addr[2] << 8 | a->addr[3];
	struct tern_addr4 w = {
		.net = htonl(ip & ~host),
		.bcast = htonl((ip & ~host) | host),
		.port_id = a->port_id,
		.directed = a->prefix <= 30,
	};

	memcpy(&w.addr, a->addr, sizeof(w.addr));
	return w;
}

struct tern_addr_table *
tern_addr_table_with(const struct tern_addr_table *old,
		     const struct tern_addr *a, struct tern_err *err)
{
	struct tern_addr_table *t;
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned i, n = old != NULL ? old->n : 0;

	if (a->family != 4 && a->family != 6) {
		errno = -tern_err_set(err, EINVAL,
				      "address family %u is not 4 or 6",
				      a->family);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (addr_same(&old->a[i], a)) {
			errno = -tern_err_set(err, EEXIST,
					      "address %s is already on port %u",
					      tern_addr_format(a, buf, sizeof(buf)),
					      a->port_id);
			return NULL;
		}
	}
	if (n >= TERN_MAX_ADDRS) {
		errno = -tern_err_set(err, ENOSPC,
				      "address table is full (%u addresses); remove one first",
				      TERN_MAX_ADDRS);
		return NULL;
	}

	t = malloc(sizeof(*t));
	if (t == NULL) {
		errno = -tern_err_set(err, ENOMEM,
				      "out of memory for the address table");
		return NULL;
	}
	if (old != NULL)
		memcpy(t, old, sizeof(*t));
	else
		memset(t, 0, sizeof(*t));
	t->a[n] = *a;
	t->n = n + 1;
	if (a->family == 4)
		t->a4[t->n4++] = addr4_of(a);
	return t;
}

/*
 * The lookups below run per packet: a linear scan of at most TERN_MAX_ADDRS
 * entries, each a fixed-size memcmp the compiler turns into one or two loads
 * (IPv4's, tern_addr_is_local4, is inline in the header, over a4).
 */

bool
tern_addr_is_local6(const struct tern_addr_table *t, uint16_t port,
		    const uint8_t *ip)
{
	unsigned i;

	for (i = 0; i < t->n; i++) {
		const struct tern_addr *a = &t->a[i];

		if (a->family == 6 && a->port_id == port &&
		    memcmp(a->addr, ip, 16) == 0)
			return true;
	}
	return false;
}

bool
tern_addr_is_solicited6(const struct tern_addr_table *t, uint16_t port,
			const uint8_t *ip)
{
	unsigned i;

	if (memcmp(ip, solicited_prefix, sizeof(solicited_prefix)) != 0)
		return false;
	/* The last 24 bits are the low 24 bits of the solicited address. */
	for (i = 0; i < t->n; i++) {
		const struct tern_addr *a = &t->a[i];

		if (a->family == 6 && a->port_id == port &&
		    memcmp(&a->addr[13], &ip[13], 3) == 0)
			return true;
	}
	return false;
}
