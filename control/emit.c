/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "emit.h"
#include "latency_hist.h"
#include "stats.h"

void
json_str(struct tern_out *o, const char *s)
{
	const unsigned char *p;

	tern_out_printf(o, "\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			tern_out_printf(o, "\\%c", *p);
		else if (*p == '\n')
			tern_out_printf(o, "\\n");
		else if (*p == '\t')
			tern_out_printf(o, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			tern_out_printf(o, "\\u%04x", *p);
		else
			tern_out_printf(o, "%c", *p);
	}
	tern_out_printf(o, "\"");
}

/* Text values are bare unless empty or holding blanks, quotes, '=' or controls. */
static bool
text_needs_quotes(const char *s)
{
	const unsigned char *p;

	if (*s == '\0')
		return true;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == '=' || *p == 0x7f)
			return true;
	return false;
}

void
text_str(struct tern_out *o, const char *s)
{
	if (text_needs_quotes(s))
		json_str(o, s); /* the same escaping reads well in text */
	else
		tern_out_printf(o, "%s", s);
}

/* Start a list; name is its JSON key inside an object, or NULL for a bare list. */
void
list_begin(struct emit *em, const char *name)
{
	em->rows = 0;
	if (!em->json)
		return;
	if (name != NULL)
		tern_out_printf(em->o, "\"%s\":", name);
	tern_out_printf(em->o, "[");
}

/* End a list; in text an empty list says so with empty_msg. */
void
list_end(struct emit *em, const char *empty_msg)
{
	if (em->json)
		tern_out_printf(em->o, "]");
	else if (em->rows == 0 && empty_msg != NULL)
		tern_out_printf(em->o, "%s\n", empty_msg);
}

/* Start a row; prefix (printf-style) is its text head, unused in JSON. */
void
row_begin(struct emit *em, const char *fmt, ...)
{
	va_list ap;
	char head[TERN_CMD_LINE_MAX];

	em->fields = 0;
	if (em->json) {
		tern_out_printf(em->o, "%s{", em->rows > 0 ? "," : "");
	} else {
		va_start(ap, fmt);
		vsnprintf(head, sizeof(head), fmt, ap);
		va_end(ap);
		tern_out_printf(em->o, "%s", head);
	}
	em->rows++;
}

void
row_end(struct emit *em)
{
	tern_out_printf(em->o, em->json ? "}" : "\n");
}

void
field_key(struct emit *em, const char *key)
{
	if (em->json)
		tern_out_printf(em->o, "%s\"%s\":", em->fields > 0 ? "," : "", key);
	else
		tern_out_printf(em->o, " %s=", key);
	em->fields++;
}

void
field_u64(struct emit *em, const char *key, uint64_t v)
{
	field_key(em, key);
	tern_out_printf(em->o, "%" PRIu64, v);
}

void
field_str(struct emit *em, const char *key, const char *s)
{
	field_key(em, key);
	if (em->json)
		json_str(em->o, s);
	else
		text_str(em->o, s);
}

/* A field that is a list: field_list_begin, items, field_list_end. */
void
field_list_begin(struct emit *em, const char *key)
{
	field_key(em, key);
	em->items = 0;
	if (em->json)
		tern_out_printf(em->o, "[");
}

void
field_list_end(struct emit *em)
{
	if (em->json)
		tern_out_printf(em->o, "]");
	else if (em->items == 0)
		tern_out_printf(em->o, "none");
}

static void
item_sep(struct emit *em)
{
	if (em->items++ > 0)
		tern_out_printf(em->o, ",");
}

void
item_u64(struct emit *em, uint64_t v)
{
	item_sep(em);
	tern_out_printf(em->o, "%" PRIu64, v);
}

void
item_str(struct emit *em, const char *s)
{
	item_sep(em);
	if (em->json)
		json_str(em->o, s);
	else
		tern_out_printf(em->o, "%s", s);
}

/* A pair item: "a:b" in text, {"ka":a,"kb":b} in JSON. */
void
item_pair(struct emit *em, const char *ka, uint64_t a, const char *kb, uint64_t b)
{
	item_sep(em);
	if (em->json)
		tern_out_printf(em->o, "{\"%s\":%" PRIu64 ",\"%s\":%" PRIu64 "}",
				ka, a, kb, b);
	else
		tern_out_printf(em->o, "%" PRIu64 ":%" PRIu64, a, b);
}

/* All counters of v as fields named by tern_ctr_names. */
void
fields_ctrs(struct emit *em, const uint64_t *v)
{
	for (unsigned i = 0; i < TERN_CTR_MAX; i++)
		field_u64(em, tern_ctr_names[i], v[i]);
}

void
fields_latency(struct emit *em, const struct tern_hist *h, uint64_t hz)
{
	static const char *const names[] = { "p50", "p90", "p99", "p999", "p9999", "max" };
	struct tern_hist_summary s;
	uint64_t v[sizeof(names) / sizeof(names[0])];
	char key[32];

	tern_hist_summarize(h, &s);
	v[0] = s.p50;
	v[1] = s.p90;
	v[2] = s.p99;
	v[3] = s.p999;
	v[4] = s.p9999;
	v[5] = s.max;
	field_u64(em, "count", s.n);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (em->json)
			snprintf(key, sizeof(key), "%s", names[i]);
		else
			snprintf(key, sizeof(key), "%s_%s", names[i], hz != 0 ? "ns" : "cycles");
		field_u64(em, key, tern_hist_cycles_to_ns(v[i], hz));
	}
}
