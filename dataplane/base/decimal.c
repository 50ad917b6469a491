/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "decimal.h"

int
tern_dec_parse_n(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	bool over = false;
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9)
			return -EINVAL;
		/* Keep checking the syntax after an overflow: "9...9x" is -EINVAL. */
		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	if (over || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
tern_dec_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return tern_dec_parse_n(s, strlen(s), min, max, out);
}
