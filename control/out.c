/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

#define OUT_MIN_CAP 256

void
tern_out_init(struct tern_out *o)
{
	memset(o, 0, sizeof(*o));
}

void
tern_out_free(struct tern_out *o)
{
	free(o->buf);
	tern_out_init(o);
}

/* Make room for need more bytes plus the NUL. False (and oom set) if not possible. */
static bool
out_reserve(struct tern_out *o, size_t need)
{
	size_t cap = o->cap < OUT_MIN_CAP ? OUT_MIN_CAP : o->cap;
	char *nb;

	if (o->len + need + 1 <= o->cap)
		return true;
	while (cap < o->len + need + 1)
		cap *= 2;
	nb = realloc(o->buf, cap);
	if (nb == NULL) {
		o->oom = true;
		return false;
	}
	o->buf = nb;
	o->cap = cap;
	return true;
}

void
tern_out_printf(struct tern_out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (o->oom)
		return;
	/* First try: format into the room left; most calls fit. */
	room = o->buf != NULL ? o->cap - o->len : 0;
	va_start(ap, fmt);
	n = vsnprintf(o->buf != NULL ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->oom = true;
		return;
	}
	if ((size_t)n < room) {
		o->len += n;
		return;
	}
	/* Second try: grow to the size vsnprintf asked for and format again. */
	if (!out_reserve(o, (size_t)n)) {
		if (o->buf != NULL)
			o->buf[o->len] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += n;
}
