/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Number parsing and printing with memcached 1.6's exact acceptance rules.
 *
 * memcached parses command arguments with strtoul/strtol/strtoull (base 10,
 * C locale) wrapped in its safe_strto* checks; odd inputs are accepted or
 * refused in ways a client can observe ("+5", "-0", "5\t", values above
 * 2^32 that wrap, negative numbers wrapped to large unsigned ones, ...).
 * These functions reproduce those rules on a (pointer, length) token that
 * ends where memcached's NUL-terminated token ends: a byte past the end is
 * treated as '\0'.
 *
 * Thread safety: pure functions, no state.
 */
#ifndef TERN_KV_NUM_H
#define TERN_KV_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest decimal uint64 (20 digits). */
#define KV_U64_DIGITS 20

/** C-locale isspace(). */
static inline bool
kv_isspace(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/**
 * memcached's safe_strtoul: 32-bit flags, verbosity levels. Accepts what
 * strtoul accepts followed by whitespace or the end; refuses a '-' only when
 * the 64-bit result is negative as a signed number; keeps the low 32 bits.
 * @return true and *out set, or false.
 */
bool kv_strtoul32(const uint8_t *s, size_t len, uint32_t *out);

/**
 * memcached's safe_strtol: exptime and value lengths. strtol on 64 bits,
 * then truncated to 32 bits (so 4294967299 becomes 3 and 2147483648
 * becomes negative), as memcached does.
 */
bool kv_strtol32(const uint8_t *s, size_t len, int32_t *out);

/** memcached's safe_strtoull: incr/decr deltas, CAS values, item values. */
bool kv_strtoull(const uint8_t *s, size_t len, uint64_t *out);

/** Write v in decimal at p (no NUL); return the number of bytes. */
size_t kv_u64toa(uint64_t v, uint8_t *p);

#ifdef __cplusplus
}
#endif

#endif /* TERN_KV_NUM_H */
