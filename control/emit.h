/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The row emitter of `show` answers and telemetry-like views.
 *
 * Every show answer is a list of rows, each row a list of fields. In text a
 * row is "PREFIX key=value key=value\n"; in JSON it is {"key":value,...} in a
 * list. Lists of values inside a field are "a,b,c" in text, [a,b,c] in JSON.
 *
 * Control thread only (it writes into a struct tern_out).
 */
#ifndef TERN_EMIT_H
#define TERN_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "command.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emit {
	struct tern_out *o;
	bool json;
	unsigned rows;   /* rows in the current list */
	unsigned fields; /* fields in the current row */
	unsigned items;  /* items in the current field list */
};

/** s as a JSON string (quoted, escaped). */
void json_str(struct tern_out *o, const char *s);
/** s as a text value: bare unless it needs quotes (then as JSON). */
void text_str(struct tern_out *o, const char *s);
/** Start a list; name is its JSON key inside an object, or NULL for a bare list. */
void list_begin(struct emit *em, const char *name);
/** End a list; in text an empty list says so with empty_msg. */
void list_end(struct emit *em, const char *empty_msg);
/** Start a row; fmt (printf-style) is its text head, unused in JSON. */
void row_begin(struct emit *em, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void row_end(struct emit *em);
void field_key(struct emit *em, const char *key);
void field_u64(struct emit *em, const char *key, uint64_t v);
void field_str(struct emit *em, const char *key, const char *s);
/** A field that is a list: field_list_begin, items, field_list_end. */
void field_list_begin(struct emit *em, const char *key);
void field_list_end(struct emit *em);
void item_u64(struct emit *em, uint64_t v);
void item_str(struct emit *em, const char *s);
/** A pair item: "a:b" in text, {"ka":a,"kb":b} in JSON. */
void item_pair(struct emit *em, const char *ka, uint64_t a, const char *kb, uint64_t b);
/** All engine counters of v as fields named by tern_ctr_names. */
void fields_ctrs(struct emit *em, const uint64_t *v);

struct tern_hist;
/** count and p50..max of h (TSC cycles at hz; ns fields, or cycles if hz is 0). */
void fields_latency(struct emit *em, const struct tern_hist *h, uint64_t hz);

#ifdef __cplusplus
}
#endif

#endif /* TERN_EMIT_H */
