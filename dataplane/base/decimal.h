/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The one decimal number parser of ternd and ternctl: command arguments,
 * option values, app load key=values, addresses' prefixes and ports, and the
 * control protocol's lengths all go through it, so they all accept the same
 * thing: one or more ASCII digits and nothing else (no sign, no blanks, no
 * "0x", no empty string), within [min, max].
 *
 * Pure functions with no state and no DPDK: any thread, ternctl too.
 */
#ifndef TERN_DECIMAL_H
#define TERN_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Parse the NUL-terminated s into *out (untouched on failure).
 * @return 0; -EINVAL if s is not digits only (empty, a sign, a blank, any
 * other character); -ERANGE if it is, but its value is outside [min, max]
 * (an overflow of 64 bits included).
 */
int tern_dec_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/** tern_dec_parse on the len bytes at s (no NUL needed, none allowed). */
int tern_dec_parse_n(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* TERN_DECIMAL_H */
