/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one decimal parser (decimal.c) that every number of ternd and ternctl
 * goes through: digits only (no sign, blank, "0x", empty), the range bounds
 * inclusive, 64-bit overflow caught, -EINVAL for syntax and -ERANGE for
 * range, *out untouched on failure, and the length-bounded form.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "decimal.h"

#define SENTINEL 0xdeadbeefULL

static void
expect_ok(const char *s, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t v = SENTINEL;

	CHECK_EQ(tern_dec_parse(s, min, max, &v), 0);
	CHECK(v == want);
}

static void
expect_bad(const char *s, uint64_t min, uint64_t max, int rc)
{
	uint64_t v = SENTINEL;

	if (tern_dec_parse(s, min, max, &v) != rc)
		fprintf(stderr, "'%s': want %d\n", s, rc);
	CHECK_EQ(tern_dec_parse(s, min, max, &v), rc);
	CHECK(v == SENTINEL);
}

static void
test_accepted(void)
{
	expect_ok("0", 0, 10, 0);
	expect_ok("7", 0, 10, 7);
	expect_ok("10", 0, 10, 10);      /* max is inclusive */
	expect_ok("3", 3, 10, 3);        /* min is inclusive */
	expect_ok("007", 0, 10, 7);      /* leading zeros are decimal, not octal */
	expect_ok("65535", 1, 65535, 65535);
	expect_ok("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
}

static void
test_syntax(void)
{
	static const char *const bad[] = {
		"", "+5", "-5", "-0", " 5", "5 ", "5\n", "\t5", "0x10", "1e3", "5.0",
		"5x", "x5", "+", "-", "1,000", "1_000", "\xd9\xa5",
		"99999999999999999999999x", /* an overflow, but bad syntax first */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(bad[i], 0, UINT64_MAX, -EINVAL);
}

static void
test_range(void)
{
	expect_bad("11", 0, 10, -ERANGE);
	expect_bad("0", 1, 10, -ERANGE);
	expect_bad("65536", 1, 65535, -ERANGE);
	expect_bad("4294967296", 0, UINT32_MAX, -ERANGE);
	expect_bad("18446744073709551616", 0, UINT64_MAX, -ERANGE); /* 2^64 */
	expect_bad("99999999999999999999999", 0, UINT64_MAX, -ERANGE);
}

static void
test_bounded(void)
{
	const char *s = "12/24";
	uint64_t v = SENTINEL;

	CHECK_EQ(tern_dec_parse_n(s, 2, 0, 32, &v), 0);
	CHECK(v == 12);
	CHECK_EQ(tern_dec_parse_n(s + 3, 2, 0, 32, &v), 0);
	CHECK(v == 24);
	CHECK_EQ(tern_dec_parse_n(s, 3, 0, 32, &v), -EINVAL);  /* "12/" */
	CHECK_EQ(tern_dec_parse_n(s, 0, 0, 32, &v), -EINVAL);  /* empty */
	CHECK_EQ(tern_dec_parse_n("7\0" "9", 3, 0, 999, &v), -EINVAL); /* a NUL inside */
	CHECK(v == 24);
}

int
main(void)
{
	test_accepted();
	test_syntax();
	test_range();
	test_bounded();
	return check_done("test_decimal");
}
