/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The text buffer a command's answer is written into: it grows as needed,
 * and an allocation failure cuts the text and sets oom instead of failing
 * the command. One owner; control thread.
 */
#ifndef TERN_OUT_H
#define TERN_OUT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A growing text buffer for a command's answer. */
struct tern_out {
	char *buf;     /**< NUL-terminated; NULL until something is written */
	size_t len;
	size_t cap;
	bool oom;      /**< an allocation failed; the text is cut */
};

void tern_out_init(struct tern_out *o);
void tern_out_printf(struct tern_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tern_out_free(struct tern_out *o);

#ifdef __cplusplus
}
#endif

#endif /* TERN_OUT_H */
