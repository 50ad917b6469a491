/* SPDX-License-Identifier: BSD-3-Clause */
/* trust.h: prefixes as an operator types them, and who is trusted. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "trust.h"

static struct tern_prefix
prefix(const char *s)
{
	struct tern_err err = { .msg = "" };
	struct tern_prefix p;

	memset(&p, 0, sizeof(p));
	if (tern_prefix_parse(s, &p, &err) != 0)
		fprintf(stderr, "parse '%s' failed: %s\n", s, err.msg);
	return p;
}

static void
parse_bad(const char *s, const char *want)
{
	struct tern_err err = { .msg = "" };
	struct tern_prefix p;

	CHECK_EQ(tern_prefix_parse(s, &p, &err), -EINVAL);
	if (strstr(err.msg, want) == NULL)
		fprintf(stderr, "parse '%s': message '%s' lacks '%s'\n", s, err.msg, want);
	CHECK(strstr(err.msg, want) != NULL);
}

static void
check_format(const char *in, const char *want)
{
	struct tern_prefix p = prefix(in);
	char buf[64];

	CHECK(strcmp(tern_prefix_format(&p, buf, sizeof(buf)), want) == 0);
}

static void
test_parse(void)
{
	check_format("198.18.0.0/15", "198.18.0.0/15");
	check_format("10.1.2.3", "10.1.2.3/32");
	check_format("0.0.0.0/0", "0.0.0.0/0");
	check_format("2001:db8::/32", "2001:db8::/32");
	check_format("2001:db8::1", "2001:db8::1/128");
	parse_bad("198.18.0.1/15", "has host bits set: did you mean 198.18.0.0/15?");
	parse_bad("2001:db8::1/64", "did you mean 2001:db8::/64?");
	parse_bad("198.18.0.0/33", "bad prefix length '33' in '198.18.0.0/33' (0-32)");
	parse_bad("198.18.0.0/", "bad prefix length");
	parse_bad("198.18.0.0/+8", "bad prefix length");
	parse_bad("2001:db8::/129", "(0-128)");
	parse_bad("198.18.0", "bad address '198.18.0'");
	parse_bad("", "bad address");
	parse_bad("example.com/8", "bad address 'example.com'");
}

static bool
has(const char *pfx, const char *ip)
{
	struct tern_prefix p = prefix(pfx);
	uint8_t a[16];
	uint8_t fam = strchr(ip, ':') != NULL ? 6 : 4;

	CHECK_EQ(inet_pton(fam == 4 ? AF_INET : AF_INET6, ip, a), 1);
	return tern_prefix_has(&p, fam, a);
}

static void
test_has(void)
{
	CHECK(has("198.18.0.0/15", "198.19.255.255"));
	CHECK(has("198.18.0.0/15", "198.18.0.0"));
	CHECK(!has("198.18.0.0/15", "198.20.0.0"));
	CHECK(!has("198.18.0.0/15", "198.17.255.255"));
	CHECK(has("10.0.0.0/9", "10.127.1.1"));
	CHECK(!has("10.0.0.0/9", "10.128.0.0"));
	CHECK(has("0.0.0.0/0", "203.0.113.9"));
	CHECK(has("10.1.2.3", "10.1.2.3"));
	CHECK(!has("10.1.2.3", "10.1.2.4"));
	CHECK(!has("0.0.0.0/0", "::1"));  /* families never mix */
	CHECK(has("2001:db8::/33", "2001:db8:7fff::1"));
	CHECK(!has("2001:db8::/33", "2001:db8:8000::1"));
}

static bool
trusted(const struct tern_trust_table *t, const struct tern_addr_table *at, uint16_t port,
	const char *ip)
{
	uint8_t a[16];
	uint8_t fam = strchr(ip, ':') != NULL ? 6 : 4;

	CHECK_EQ(inet_pton(fam == 4 ? AF_INET : AF_INET6, ip, a), 1);
	return tern_trusted(t, at, port, fam, a);
}

static struct tern_addr_table *
addrs(void)
{
	struct tern_err err;
	struct tern_addr a4, a6;
	struct tern_addr_table *t1, *t2;

	CHECK_EQ(tern_addr_parse("198.18.0.1/24", &a4, &err), 0);
	CHECK_EQ(tern_addr_parse("2001:db8::1/64@1", &a6, &err), 0);
	t1 = tern_addr_table_with(NULL, &a4, &err);
	t2 = tern_addr_table_with(t1, &a6, &err);
	free(t1);
	return t2;
}

static void
test_trusted(void)
{
	struct tern_addr_table *at = addrs();
	struct tern_trust_table *t, *t2, *t3;
	struct tern_prefix p = prefix("203.0.113.0/24");
	struct tern_err err = { .msg = "" };

	/* The default (NULL or a fresh table): tern's own subnets, per port. */
	CHECK(trusted(NULL, at, 0, "198.18.0.77"));
	CHECK(!trusted(NULL, at, 1, "198.18.0.77"));   /* that subnet is on port 0 */
	CHECK(!trusted(NULL, at, 0, "198.18.1.77"));
	CHECK(trusted(NULL, at, 1, "2001:db8::99"));
	CHECK(!trusted(NULL, at, 0, "2001:db8::99"));
	CHECK(!trusted(NULL, at, 0, "203.0.113.5"));
	t = tern_trust_with(NULL, &p, &err);
	CHECK(t != NULL && t->local && t->n == 1);
	CHECK(trusted(t, at, 0, "203.0.113.5"));
	CHECK(trusted(t, at, 3, "203.0.113.255"));
	CHECK(!trusted(t, at, 0, "203.0.114.1"));
	/* Twice is an error naming the prefix; so is removing what is not there. */
	CHECK(tern_trust_with(t, &p, &err) == NULL && errno == EEXIST);
	CHECK(strstr(err.msg, "203.0.113.0/24 is already trusted") != NULL);
	t2 = tern_trust_local(t, false, &err);
	CHECK(t2 != NULL && !t2->local && t2->n == 1);
	CHECK(!trusted(t2, at, 0, "198.18.0.77"));
	CHECK(trusted(t2, at, 0, "203.0.113.5"));
	t3 = tern_trust_without(t2, &p, &err);
	CHECK(t3 != NULL && t3->n == 0);
	CHECK(!trusted(t3, at, 0, "203.0.113.5"));
	CHECK(tern_trust_without(t3, &p, &err) == NULL && errno == ENOENT);
	CHECK(strstr(err.msg, "203.0.113.0/24 is not trusted (see show trust)") != NULL);
	free(t3);
	free(t2);
	/* Full: TERN_TRUST_MAX prefixes, then ENOSPC. */
	for (unsigned i = 1; i < TERN_TRUST_MAX; i++) {
		struct tern_prefix q = { .family = 4, .len = 32, .addr = { 10, 0, i >> 8, i & 255 } };
		struct tern_trust_table *n = tern_trust_with(t, &q, &err);

		CHECK(n != NULL);
		free(t);
		t = n;
	}
	CHECK_EQ(t->n, TERN_TRUST_MAX);
	CHECK(tern_trust_with(t, &(struct tern_prefix){ .family = 4, .len = 8, .addr = { 11 } },
			      &err) == NULL && errno == ENOSPC);
	free(t);
	free(at);
}

int
main(void)
{
	test_parse();
	test_has();
	test_trusted();
	return check_done("test_trust");
}
