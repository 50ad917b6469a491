/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A minimal check harness for unit tests: CHECK(cond) records a failure with
 * file and line and goes on; check_done() prints "N checks, M failed" and
 * returns the exit status for main.
 */
#ifndef TERN_TEST_CHECK_H
#define TERN_TEST_CHECK_H

#include <stdio.h>

static unsigned check_total, check_failed;

#define CHECK(cond) do {                                                    \
	check_total++;                                                      \
	if (!(cond)) {                                                      \
		check_failed++;                                             \
		fprintf(stderr, "%s:%d: check failed: %s\n",                \
			__FILE__, __LINE__, #cond);                          \
	}                                                                   \
} while (0)

#define CHECK_EQ(a, b) do {                                                 \
	long long check_a_ = (long long)(a), check_b_ = (long long)(b);     \
	check_total++;                                                      \
	if (check_a_ != check_b_) {                                         \
		check_failed++;                                             \
		fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n", \
			__FILE__, __LINE__, #a, #b, check_a_, check_b_);     \
	}                                                                   \
} while (0)

static inline int
check_done(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, check_total, check_failed);
	return check_failed == 0 ? 0 : 1;
}

#endif /* TERN_TEST_CHECK_H */
