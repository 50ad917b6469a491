/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kv's number rules against memcached 1.6's safe_strtoul/strtol/strtoull:
 * what the stock server accepts (observed on the wire) kv accepts, with the
 * same value.
 */
#include <string.h>

#include "check.h"
#include "kv_num.h"

static int
ul(const char *s, uint32_t *v)
{
	return kv_strtoul32((const uint8_t *)s, strlen(s), v);
}

static int
l32(const char *s, int32_t *v)
{
	return kv_strtol32((const uint8_t *)s, strlen(s), v);
}

static int
ull(const char *s, uint64_t *v)
{
	return kv_strtoull((const uint8_t *)s, strlen(s), v);
}

static void
test_strtoul32(void)
{
	uint32_t v;

	CHECK(ul("0", &v) && v == 0);
	CHECK(ul("4294967295", &v) && v == 4294967295u);
	CHECK(ul("4294967296", &v) && v == 0);          /* wraps: memcached stores 0 */
	CHECK(ul("+7", &v) && v == 7);
	CHECK(ul("-0", &v) && v == 0);
	CHECK(!ul("-1", &v));                           /* negative: refused */
	CHECK(ul("-18446744073709551615", &v) && v == 1); /* strtoul wraps it to 1 */
	CHECK(ul("18446744073709551615", &v) && v == 4294967295u);
	CHECK(!ul("18446744073709551616", &v));         /* ERANGE */
	CHECK(ul("5\t", &v) && v == 5);                 /* a space after the digits */
	CHECK(ul("\t5", &v) && v == 5);                 /* leading space skipped */
	CHECK(!ul("5x", &v));
	CHECK(!ul("0x10", &v));
	CHECK(!ul("", &v));
	CHECK(!ul("-", &v));
	CHECK(!ul("\t", &v));
}

static void
test_strtol32(void)
{
	int32_t v;

	CHECK(l32("0", &v) && v == 0);
	CHECK(l32("-1", &v) && v == -1);
	CHECK(l32("2592000", &v) && v == 2592000);
	CHECK(l32("4294967299", &v) && v == 3);          /* low 32 bits */
	CHECK(l32("2147483648", &v) && v == INT32_MIN);  /* becomes negative */
	CHECK(l32("4000000000", &v) && v < 0);
	CHECK(l32("9223372036854775807", &v) && v == -1);
	CHECK(!l32("9223372036854775808", &v));          /* ERANGE */
	CHECK(l32("-9223372036854775808", &v) && v == 0);
	CHECK(!l32("3x", &v));
	CHECK(l32("03", &v) && v == 3);
}

static void
test_strtoull(void)
{
	uint64_t v;

	CHECK(ull("18446744073709551615", &v) && v == UINT64_MAX);
	CHECK(!ull("18446744073709551616", &v));
	CHECK(!ull("-1", &v));
	CHECK(ull("-0", &v) && v == 0);
	CHECK(ull("-18446744073709551615", &v) && v == 1);
	CHECK(!ull("1x", &v));
	/* item values end at the buffer: "12" then nothing, " 12", "12 " */
	CHECK(kv_strtoull((const uint8_t *)"12", 2, &v) && v == 12);
	CHECK(kv_strtoull((const uint8_t *)" 12", 3, &v) && v == 12);
	CHECK(kv_strtoull((const uint8_t *)"12 ", 3, &v) && v == 12);
	CHECK(!kv_strtoull((const uint8_t *)"12ab", 4, &v));
	CHECK(!kv_strtoull((const uint8_t *)"   ", 3, &v));
	CHECK(kv_strtoull((const uint8_t *)"12\0x", 4, &v) && v == 12); /* NUL ends it */
}

static void
test_u64toa(void)
{
	uint8_t b[KV_U64_DIGITS];

	CHECK(kv_u64toa(0, b) == 1 && b[0] == '0');
	CHECK(kv_u64toa(UINT64_MAX, b) == 20 && memcmp(b, "18446744073709551615", 20) == 0);
	CHECK(kv_u64toa(1000, b) == 4 && memcmp(b, "1000", 4) == 0);
}

int
main(void)
{
	test_strtoul32();
	test_strtol32();
	test_strtoull();
	test_u64toa();
	return check_done("test_kv_num");
}
