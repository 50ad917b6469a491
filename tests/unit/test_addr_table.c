/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr_table.h"
#include "check.h"

/* Parse s, expecting success; returns the result (zeroed on failure). */
static struct tern_addr
parse_ok(const char *s)
{
	struct tern_addr a;
	struct tern_err err = { .msg = "" };
	int ret;

	memset(&a, 0, sizeof(a));
	ret = tern_addr_parse(s, &a, &err);
	if (ret != 0)
		fprintf(stderr, "parse '%s' failed: %s\n", s, err.msg);
	CHECK_EQ(ret, 0);
	return a;
}

/* Parse s, expecting -EINVAL with a message containing want. */
static void
parse_bad(const char *s, const char *want)
{
	struct tern_addr a;
	struct tern_err err = { .msg = "" };
	int ret;

	memset(&a, 0x5a, sizeof(a));
	ret = tern_addr_parse(s, &a, &err);
	CHECK_EQ(ret, -EINVAL);
	if (strstr(err.msg, want) == NULL)
		fprintf(stderr, "parse '%s': message '%s' lacks '%s'\n",
			s, err.msg, want);
	CHECK(strstr(err.msg, want) != NULL);
	/* out is untouched on failure */
	CHECK_EQ(a.family, 0x5a);
}

static void
ip4(const char *s, uint8_t *out)
{
	CHECK_EQ(inet_pton(AF_INET, s, out), 1);
}

static void
ip6(const char *s, uint8_t *out)
{
	CHECK_EQ(inet_pton(AF_INET6, s, out), 1);
}

static void
test_parse_good(void)
{
	struct tern_addr a;
	uint8_t want[16];

	a = parse_ok("198.18.0.1/24");
	CHECK_EQ(a.family, 4);
	CHECK_EQ(a.prefix, 24);
	CHECK_EQ(a.port_id, 0);
	ip4("198.18.0.1", want);
	CHECK(memcmp(a.addr, want, 4) == 0);

	a = parse_ok("198.18.0.1");
	CHECK_EQ(a.family, 4);
	CHECK_EQ(a.prefix, 32);
	CHECK_EQ(a.port_id, 0);

	a = parse_ok("10.0.0.1/0@3");
	CHECK_EQ(a.prefix, 0);
	CHECK_EQ(a.port_id, 3);

	a = parse_ok("198.18.1.2@65535");
	CHECK_EQ(a.prefix, 32);
	CHECK_EQ(a.port_id, 65535);

	a = parse_ok("198.18.1.2/32@0");
	CHECK_EQ(a.prefix, 32);
	CHECK_EQ(a.port_id, 0);

	a = parse_ok("2001:db8::1/64");
	CHECK_EQ(a.family, 6);
	CHECK_EQ(a.prefix, 64);
	ip6("2001:db8::1", want);
	CHECK(memcmp(a.addr, want, 16) == 0);

	a = parse_ok("fe80::1");
	CHECK_EQ(a.family, 6);
	CHECK_EQ(a.prefix, 128);

	a = parse_ok("2001:db8::1/128@2");
	CHECK_EQ(a.prefix, 128);
	CHECK_EQ(a.port_id, 2);

	a = parse_ok("::ffff:198.18.0.1/96");
	CHECK_EQ(a.family, 6);
	CHECK_EQ(a.prefix, 96);
}

static void
test_parse_bad(void)
{
	struct tern_err err = { .msg = "" };
	struct tern_addr a;

	parse_bad("198.18.0.300", "bad address '198.18.0.300'");
	parse_bad("198.18.0.300", "expected IPv4 or IPv6");
	parse_bad("198.18.0.1/33", "prefix 33 out of range for IPv4 (0-32)");
	parse_bad("2001:db8::1/129", "prefix 129 out of range for IPv6 (0-128)");
	parse_bad("198.18.0.1/", "prefix");
	parse_bad("198.18.0.1/-1", "bad prefix '-1'");
	parse_bad("198.18.0.1/2x", "bad prefix '2x'");
	parse_bad("198.18.0.1/0x10", "bad prefix");
	parse_bad("198.18.0.1/24/8", "bad prefix");
	parse_bad("198.18.0.1/24@", "bad port ''");
	parse_bad("198.18.0.1/24@65536", "bad port '65536'");
	parse_bad("198.18.0.1/24@0x1", "bad port '0x1'");
	parse_bad("198.18.0.1/24@-1", "bad port '-1'");
	parse_bad("198.18.0.1/24@1@2", "bad port '1@2'");
	parse_bad("198.18.0.1/24@ 1", "bad port");
	parse_bad("198.18.0.1 ", "bad address '198.18.0.1 '");
	parse_bad("198.18.0.1x/24", "bad address");
	parse_bad("198.18.0", "bad address");
	parse_bad("hello", "bad address 'hello'");
	parse_bad("2001:db8:::1", "bad address");
	parse_bad("/24", "address");
	parse_bad("@1", "address");
	parse_bad("", "empty");
	parse_bad("0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
		  "bad address");

	/* err may be NULL */
	CHECK_EQ(tern_addr_parse("nope", &a, NULL), -EINVAL);
	CHECK_EQ(tern_addr_parse(NULL, &a, &err), -EINVAL);
}

static void
round_trip(const char *in, const char *want)
{
	struct tern_addr a = parse_ok(in);
	char buf[64];
	char *r = tern_addr_format(&a, buf, sizeof(buf));

	CHECK(r == buf);
	if (strcmp(buf, want) != 0)
		fprintf(stderr, "format '%s': got '%s', want '%s'\n",
			in, buf, want);
	CHECK(strcmp(buf, want) == 0);
}

static void
test_format(void)
{
	struct tern_addr a;
	char small[8];

	round_trip("198.18.0.1/24", "198.18.0.1/24");
	round_trip("198.18.0.1", "198.18.0.1/32");
	round_trip("198.18.0.1/24@7", "198.18.0.1/24");
	round_trip("2001:db8::1/64", "2001:db8::1/64");
	round_trip("2001:0db8:0000::0001", "2001:db8::1/128");
	round_trip("::/0", "::/0");

	/* truncates safely, always NUL-terminated */
	a = parse_ok("198.18.0.1/24");
	memset(small, 'x', sizeof(small));
	tern_addr_format(&a, small, sizeof(small));
	CHECK_EQ(small[sizeof(small) - 1], '\0');
	CHECK(strncmp(small, "198.18.", 7) == 0);
}

static void
test_table_with(void)
{
	struct tern_err err = { .msg = "" };
	struct tern_addr a1 = parse_ok("198.18.0.1/24@0");
	struct tern_addr a2 = parse_ok("198.18.0.1/16@1");
	struct tern_addr a3 = parse_ok("198.18.0.1/16@0");
	struct tern_addr a4 = parse_ok("2001:db8::1/64@0");
	struct tern_addr_table *t1, *t2, *t3, *t, *next;
	struct tern_addr_table snap;
	unsigned i;

	t1 = tern_addr_table_with(NULL, &a1, &err);
	CHECK(t1 != NULL);
	if (t1 == NULL)
		return;
	CHECK_EQ(t1->n, 1);
	CHECK(memcmp(&t1->a[0], &a1, sizeof(a1)) == 0);

	/* same address on another port is a different entry */
	t2 = tern_addr_table_with(t1, &a2, &err);
	CHECK(t2 != NULL);
	CHECK_EQ(t1->n, 1);
	if (t2 == NULL)
		return;
	CHECK_EQ(t2->n, 2);

	/* same family+addr+port, other prefix: duplicate */
	memcpy(&snap, t2, sizeof(snap));
	errno = 0;
	err.msg[0] = '\0';
	CHECK(tern_addr_table_with(t2, &a3, &err) == NULL);
	CHECK_EQ(errno, EEXIST);
	CHECK(strstr(err.msg, "198.18.0.1") != NULL);
	CHECK(strstr(err.msg, "already") != NULL);
	CHECK(memcmp(&snap, t2, sizeof(snap)) == 0);

	t3 = tern_addr_table_with(t2, &a4, &err);
	CHECK(t3 != NULL);
	CHECK(memcmp(&snap, t2, sizeof(snap)) == 0);
	if (t3 == NULL)
		return;
	CHECK_EQ(t3->n, 3);
	CHECK_EQ(t3->a[2].family, 6);

	/* v6 duplicate */
	errno = 0;
	CHECK(tern_addr_table_with(t3, &a4, NULL) == NULL);
	CHECK_EQ(errno, EEXIST);

	/* fill up */
	t = t3;
	for (i = t->n; i < TERN_MAX_ADDRS; i++) {
		struct tern_addr x = a1;

		x.addr[3] = (uint8_t)(100 + i);
		next = tern_addr_table_with(t, &x, &err);
		CHECK(next != NULL);
		if (next == NULL)
			break;
		CHECK_EQ(next->n, i + 1);
		if (t != t3)
			free(t);
		t = next;
	}
	CHECK_EQ(t->n, TERN_MAX_ADDRS);
	memcpy(&snap, t, sizeof(snap));
	{
		struct tern_addr x = a1;

		x.addr[3] = 250;
		errno = 0;
		err.msg[0] = '\0';
		CHECK(tern_addr_table_with(t, &x, &err) == NULL);
		CHECK_EQ(errno, ENOSPC);
		CHECK(strstr(err.msg, "full") != NULL);
		CHECK(memcmp(&snap, t, sizeof(snap)) == 0);
	}
	/* full table still reports a duplicate as a duplicate */
	errno = 0;
	CHECK(tern_addr_table_with(t, &a1, &err) == NULL);
	CHECK_EQ(errno, EEXIST);

	/* bad family */
	{
		struct tern_addr x = a1;

		x.family = 5;
		errno = 0;
		CHECK(tern_addr_table_with(t1, &x, &err) == NULL);
		CHECK_EQ(errno, EINVAL);
	}

	if (t != t3)
		free(t);
	free(t3);
	free(t2);
	free(t1);
}

static struct tern_addr_table *
table_of(const char *const *addrs, unsigned n)
{
	struct tern_addr_table *t = NULL, *next;
	struct tern_err err;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct tern_addr a = parse_ok(addrs[i]);

		next = tern_addr_table_with(t, &a, &err);
		CHECK(next != NULL);
		free(t);
		t = next;
		if (t == NULL)
			return NULL;
	}
	return t;
}

static void
test_is_local(void)
{
	static const char *const addrs[] = {
		"198.18.0.1/24@0",
		"198.18.1.1/24@1",
		"2001:db8::1/64@0",
		"2001:db8::abcd:1234:5678/64@1",
	};
	struct tern_addr_table *t = table_of(addrs, 4);
	struct tern_addr_table empty = { .n = 0 };
	uint8_t ip[16];

	CHECK(t != NULL);
	if (t == NULL)
		return;

	ip4("198.18.0.1", ip);
	CHECK(tern_addr_is_local4(t, 0, ip));
	CHECK(!tern_addr_is_local4(t, 1, ip));
	CHECK(!tern_addr_is_local4(t, 2, ip));
	CHECK(!tern_addr_is_local4(&empty, 0, ip));
	ip4("198.18.1.1", ip);
	CHECK(tern_addr_is_local4(t, 1, ip));
	CHECK(!tern_addr_is_local4(t, 0, ip));
	ip4("198.18.0.2", ip);
	CHECK(!tern_addr_is_local4(t, 0, ip));
	/* an IPv4 lookup never matches IPv6 entries */
	ip6("2001:db8::1", ip);
	CHECK(!tern_addr_is_local4(t, 0, ip));

	ip6("2001:db8::1", ip);
	CHECK(tern_addr_is_local6(t, 0, ip));
	CHECK(!tern_addr_is_local6(t, 1, ip));
	ip6("2001:db8::abcd:1234:5678", ip);
	CHECK(tern_addr_is_local6(t, 1, ip));
	CHECK(!tern_addr_is_local6(t, 0, ip));
	ip6("2001:db8::2", ip);
	CHECK(!tern_addr_is_local6(t, 0, ip));
	CHECK(!tern_addr_is_local6(&empty, 0, ip));
	/* an IPv6 lookup never matches IPv4 entries (first 4 bytes equal) */
	memset(ip, 0, sizeof(ip));
	ip4("198.18.0.1", ip);
	CHECK(!tern_addr_is_local6(t, 0, ip));

	free(t);
}

static void
test_solicited(void)
{
	static const char *const addrs[] = {
		"198.18.0.1/24@0",
		"2001:db8::1/64@0",
		"2001:db8::abcd:1234:5678/64@1",
	};
	struct tern_addr_table *t = table_of(addrs, 3);
	uint8_t ip[16];

	CHECK(t != NULL);
	if (t == NULL)
		return;

	ip6("ff02::1:ff00:1", ip);
	CHECK(tern_addr_is_solicited6(t, 0, ip));
	CHECK(!tern_addr_is_solicited6(t, 1, ip));
	/* low 24 bits of ...:1234:5678 are 34:56:78 */
	ip6("ff02::1:ff34:5678", ip);
	CHECK(tern_addr_is_solicited6(t, 1, ip));
	CHECK(!tern_addr_is_solicited6(t, 0, ip));
	/* differs in the low 24 bits */
	ip6("ff02::1:ff00:2", ip);
	CHECK(!tern_addr_is_solicited6(t, 0, ip));
	ip6("ff02::1:ff35:5678", ip);
	CHECK(!tern_addr_is_solicited6(t, 1, ip));
	/* right low bits, wrong prefix */
	ip6("ff02::1:fe00:1", ip);
	CHECK(!tern_addr_is_solicited6(t, 0, ip));
	ip6("ff05::1:ff00:1", ip);
	CHECK(!tern_addr_is_solicited6(t, 0, ip));
	ip6("ff02::2:ff00:1", ip);
	CHECK(!tern_addr_is_solicited6(t, 0, ip));
	/* our own unicast address is not its solicited-node address */
	ip6("2001:db8::1", ip);
	CHECK(!tern_addr_is_solicited6(t, 0, ip));
	/* IPv4 entries never count (their bytes 13..15 are zero) */
	{
		static const char *const v4only[] = { "198.18.0.1/24@0" };
		struct tern_addr_table *t4 = table_of(v4only, 1);

		ip6("ff02::1:ff00:0", ip);
		CHECK(t4 != NULL && !tern_addr_is_solicited6(t4, 0, ip));
		ip6("ff02::1:ff00:1", ip);
		CHECK(t4 != NULL && !tern_addr_is_solicited6(t4, 0, ip));
		free(t4);
	}

	free(t);
}

int
main(void)
{
	test_parse_good();
	test_parse_bad();
	test_format();
	test_table_with();
	test_is_local();
	test_solicited();
	return check_done("test_addr_table");
}
