/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "kv_num.h"
#include "kv_store.h"
#include "kv_text.h"

#define KV_INT_MAX 2147483647

static const char ERR_LINE[] = "ERROR";
static const char ERR_FORMAT[] = "CLIENT_ERROR bad command line format";
static const char ERR_EXPTIME[] = "CLIENT_ERROR invalid exptime argument";
static const char ERR_DELTA[] = "CLIENT_ERROR invalid numeric delta argument";
static const char ERR_DELETE[] =
	"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
static const char ERR_SHUTDOWN[] = "ERROR: shutdown not enabled";

void
kv_tokenize(const uint8_t *line, size_t len, struct kv_toks *tk)
{
	size_t s = 0, e = 0;
	unsigned n = 0;

	for (; e < len; e++) {
		if (line[e] != ' ')
			continue;
		if (s != e) {
			tk->t[n].p = line + s;
			tk->t[n].len = e - s;
			if (++n == KV_MAX_TOKENS - 1) {
				s = ++e; /* the rest stays untokenised */
				break;
			}
		}
		s = e + 1;
	}
	if (s < e) {
		tk->t[n].p = line + s;
		tk->t[n].len = e - s;
		n++;
	}
	tk->t[n].p = e < len ? line + e : NULL;
	tk->t[n].len = 0;
	tk->rest_len = e < len ? len - e : 0;
	tk->n = n + 1;
}

static bool
tok_is(const struct kv_tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && memcmp(t->p, s, n) == 0;
}

/* memcached's set_noreply_maybe: the last real token is "noreply". */
static bool
noreply_token(const struct kv_toks *tk)
{
	return tk->n >= 2 && tok_is(&tk->t[tk->n - 2], "noreply");
}

static bool
as_line(struct kv_cmd *c, const char *line)
{
	c->op = KV_OP_LINE;
	c->line = line;
	return true;
}

/*
 * The head of a keyed command (storage, incr/decr, touch): n tokens (counting
 * the end marker), or n + 1 with "noreply" last, and the key (token 1) no
 * longer than KV_KEY_MAX. Sets noreply. On a bad head c is answered (ERROR,
 * or bad command line format) and false returned: the caller is done.
 */
static bool
keyed_head(struct kv_cmd *c, unsigned n)
{
	const struct kv_toks *tk = &c->toks;

	if (tk->n != n && tk->n != n + 1) {
		as_line(c, ERR_LINE);
		return false;
	}
	c->noreply = noreply_token(tk);
	if (tk->t[1].len > KV_KEY_MAX) {
		as_line(c, ERR_FORMAT);
		return false;
	}
	return true;
}

/* Accept c as op on the key at token 1. */
static bool
keyed(struct kv_cmd *c, enum kv_op op)
{
	c->op = op;
	c->key = c->toks.t[1].p;
	c->nkey = c->toks.t[1].len;
	return true;
}

/* The next "\n"-terminated line, as try_read_command_ascii cuts it. */
static bool
next_line(struct kv_parser *ps, const uint8_t **line, size_t *len)
{
	const uint8_t *start = ps->buf + ps->pos;
	size_t avail = ps->len - ps->pos, n;
	const uint8_t *el, *nul;

	el = avail != 0 ? memchr(start, '\n', avail) : NULL;
	if (el == NULL)
		return false;
	n = (size_t)(el - start);
	if (n > 1 && el[-1] == '\r')
		n--;
	nul = memchr(start, 0, n); /* the command is a C string in memcached */
	if (nul != NULL)
		n = (size_t)(nul - start);
	ps->pos += (size_t)(el - start) + 1;
	*line = start;
	*len = n;
	return true;
}

/* The data block after an accepted storage command line. */
static void
take_data(struct kv_parser *ps, struct kv_cmd *c)
{
	size_t need = (size_t)c->vlen + 2, avail = ps->len - ps->pos;
	const uint8_t *d = ps->buf + ps->pos;

	if (c->vlen > ps->max_value) {
		c->data_state = KV_DATA_TOO_LARGE; /* swallowed, as memcached does */
		ps->pos += need < avail ? need : avail;
		return;
	}
	if (avail < need) {
		c->data_state = KV_DATA_SHORT;
		ps->pos = ps->len;
		return;
	}
	ps->pos += need;
	c->data = d;
	c->data_state = d[c->vlen] == '\r' && d[c->vlen + 1] == '\n' ?
			KV_DATA_OK : KV_DATA_BAD_CHUNK;
}

/* set, add, replace, append, prepend, cas: process_update_command. */
static bool
parse_update(struct kv_parser *ps, struct kv_cmd *c, enum kv_op op)
{
	const struct kv_toks *tk = &c->toks;
	bool cas = op == KV_OP_CAS;
	unsigned base = cas ? 7 : 6;
	int32_t vlen;

	if (!keyed_head(c, base))
		return true;
	if (!kv_strtoul32(tk->t[2].p, tk->t[2].len, &c->flags) ||
	    !kv_strtol32(tk->t[3].p, tk->t[3].len, &c->exptime) ||
	    !kv_strtol32(tk->t[4].p, tk->t[4].len, &vlen))
		return as_line(c, ERR_FORMAT);
	if (cas && !kv_strtoull(tk->t[5].p, tk->t[5].len, &c->num))
		return as_line(c, ERR_FORMAT);
	if (vlen < 0 || vlen > KV_INT_MAX - 2)
		return as_line(c, ERR_FORMAT);
	keyed(c, op);
	c->vlen = (uint32_t)vlen;
	take_data(ps, c);
	return true;
}

/* incr, decr: process_arithmetic_command. */
static bool
parse_arith(struct kv_cmd *c, enum kv_op op)
{
	const struct kv_toks *tk = &c->toks;

	if (!keyed_head(c, 4))
		return true;
	if (!kv_strtoull(tk->t[2].p, tk->t[2].len, &c->num))
		return as_line(c, ERR_DELTA);
	return keyed(c, op);
}

/* process_delete_command: "delete key [0] [noreply]". */
static bool
parse_delete(struct kv_cmd *c)
{
	const struct kv_toks *tk = &c->toks;

	if (tk->n < 3 || tk->n > 5)
		return as_line(c, ERR_LINE);
	if (tk->n > 3) {
		bool zero = tok_is(&tk->t[2], "0");
		bool valid;

		c->noreply = noreply_token(tk);
		valid = (tk->n == 4 && (zero || c->noreply)) ||
			(tk->n == 5 && zero && c->noreply);
		if (!valid)
			return as_line(c, ERR_DELETE);
	}
	if (tk->t[1].len > KV_KEY_MAX)
		return as_line(c, ERR_FORMAT);
	return keyed(c, KV_OP_DELETE);
}

static bool
parse_touch(struct kv_cmd *c)
{
	const struct kv_toks *tk = &c->toks;

	if (!keyed_head(c, 4))
		return true;
	if (!kv_strtol32(tk->t[2].p, tk->t[2].len, &c->exptime))
		return as_line(c, ERR_EXPTIME);
	return keyed(c, KV_OP_TOUCH);
}

/* get, gets, gat, gats (the caller checked the token count). */
static bool
parse_get(struct kv_cmd *c, enum kv_op op)
{
	const struct kv_toks *tk = &c->toks;

	c->first_key = 1;
	if (op == KV_OP_GAT || op == KV_OP_GATS) {
		if (!kv_strtol32(tk->t[1].p, tk->t[1].len, &c->exptime))
			return as_line(c, ERR_EXPTIME);
		c->first_key = 2;
	}
	c->op = op;
	return true;
}

static bool
parse_flush_all(struct kv_cmd *c)
{
	const struct kv_toks *tk = &c->toks;

	if (tk->n < 2 || tk->n > 4)
		return as_line(c, ERR_LINE);
	c->noreply = noreply_token(tk);
	if (tk->n != (c->noreply ? 3u : 2u) &&
	    !kv_strtol32(tk->t[1].p, tk->t[1].len, &c->exptime))
		return as_line(c, ERR_EXPTIME);
	c->op = KV_OP_FLUSH_ALL;
	return true;
}

static bool
parse_verbosity(struct kv_cmd *c)
{
	const struct kv_toks *tk = &c->toks;
	uint32_t level;

	if (tk->n != 3 && tk->n != 4)
		return as_line(c, ERR_LINE);
	c->noreply = noreply_token(tk);
	if (!kv_strtoul32(tk->t[1].p, tk->t[1].len, &level))
		return as_line(c, ERR_FORMAT);
	c->op = KV_OP_VERBOSITY;
	return true;
}

/* Commands starting with 'g': WANT_TOKENS_MIN(3) for all of them. */
static bool
dispatch_g(struct kv_cmd *c, const struct kv_tok *cmd)
{
	if (c->toks.n < 3)
		return as_line(c, ERR_LINE);
	if (tok_is(cmd, "get"))
		return parse_get(c, KV_OP_GET);
	if (tok_is(cmd, "gets"))
		return parse_get(c, KV_OP_GETS);
	if (tok_is(cmd, "gat"))
		return parse_get(c, KV_OP_GAT);
	if (tok_is(cmd, "gats"))
		return parse_get(c, KV_OP_GATS);
	return as_line(c, ERR_LINE);
}

/*
 * Commands chosen by their first letter, as memcached's process_command_ascii
 * does. Known commands kv does not implement (stats, slabs, cache_memlimit,
 * meta commands other than mn) are answered "ERROR" like unknown ones.
 */
static bool
dispatch_letter(struct kv_parser *ps, struct kv_cmd *c, const struct kv_tok *cmd)
{
	switch (cmd->p[0]) {
	case 'g':
		return dispatch_g(c, cmd);
	case 's':
		if (tok_is(cmd, "set"))
			return parse_update(ps, c, KV_OP_SET);
		if (tok_is(cmd, "shutdown"))
			return as_line(c, ERR_SHUTDOWN);
		return as_line(c, ERR_LINE);
	case 'a':
		if (tok_is(cmd, "add"))
			return parse_update(ps, c, KV_OP_ADD);
		if (tok_is(cmd, "append"))
			return parse_update(ps, c, KV_OP_APPEND);
		return as_line(c, ERR_LINE);
	case 'c':
		if (tok_is(cmd, "cas"))
			return parse_update(ps, c, KV_OP_CAS);
		return as_line(c, ERR_LINE);
	case 'i':
		if (tok_is(cmd, "incr"))
			return parse_arith(c, KV_OP_INCR);
		return as_line(c, ERR_LINE);
	case 'd':
		if (tok_is(cmd, "delete"))
			return parse_delete(c);
		if (tok_is(cmd, "decr"))
			return parse_arith(c, KV_OP_DECR);
		return as_line(c, ERR_LINE);
	case 't':
		if (tok_is(cmd, "touch"))
			return parse_touch(c);
		return as_line(c, ERR_LINE);
	default:
		return false;
	}
}

/* The rest of process_command_ascii's chain, after the first-letter cases. */
static bool
dispatch_word(struct kv_parser *ps, struct kv_cmd *c, const struct kv_tok *cmd)
{
	const struct kv_toks *tk = &c->toks;

	if (tok_is(cmd, "replace"))
		return parse_update(ps, c, KV_OP_REPLACE);
	if (tok_is(cmd, "prepend"))
		return parse_update(ps, c, KV_OP_PREPEND);
	if (tok_is(cmd, "bget"))
		return tk->n < 3 ? as_line(c, ERR_LINE) : parse_get(c, KV_OP_GET);
	if (tok_is(cmd, "flush_all"))
		return parse_flush_all(c);
	if (tok_is(cmd, "version")) {
		c->op = KV_OP_VERSION;
		return true;
	}
	if (tok_is(cmd, "quit")) {
		c->op = KV_OP_QUIT;
		return true;
	}
	if (tok_is(cmd, "verbosity"))
		return parse_verbosity(c);
	if (tk->t[tk->n - 2].len >= 5 && memcmp(tk->t[tk->n - 2].p, "HTTP/", 5) == 0) {
		c->op = KV_OP_CLOSE;
		return true;
	}
	return as_line(c, ERR_LINE);
}

static void
dispatch(struct kv_parser *ps, struct kv_cmd *c)
{
	const struct kv_tok *cmd = &c->toks.t[0];

	if (c->toks.n < 2 || cmd->len < 2) {
		as_line(c, ERR_LINE);
		return;
	}
	if (cmd->p[0] == 'm' && cmd->len == 2) {
		if (cmd->p[1] == 'n')
			c->op = KV_OP_MN;
		else
			as_line(c, ERR_LINE); /* meta commands: not implemented */
		return;
	}
	if (!dispatch_letter(ps, c, cmd))
		dispatch_word(ps, c, cmd);
}

bool
kv_parse_next(struct kv_parser *ps, struct kv_cmd *c)
{
	const uint8_t *line;
	size_t len;

	if (!next_line(ps, &line, &len))
		return false;
	c->op = KV_OP_LINE;
	c->noreply = false;
	c->line = NULL;
	c->key = NULL;
	c->nkey = 0;
	c->flags = 0;
	c->exptime = 0;
	c->vlen = 0;
	c->num = 0;
	c->data_state = KV_DATA_OK;
	c->data = NULL;
	c->first_key = 1;
	kv_tokenize(line, len, &c->toks);
	dispatch(ps, c);
	return true;
}

void
kv_keys_begin(const struct kv_cmd *cmd, struct kv_keyiter *it)
{
	it->toks = cmd->toks;
	it->i = cmd->first_key;
}

int
kv_keys_next(struct kv_keyiter *it, const uint8_t **key, size_t *nkey)
{
	for (;;) {
		const struct kv_tok *t = &it->toks.t[it->i];

		if (t->len != 0) {
			if (t->len > KV_KEY_MAX)
				return -1;
			*key = t->p;
			*nkey = t->len;
			it->i++;
			return 1;
		}
		if (t->p == NULL)
			return 0;
		kv_tokenize(t->p, it->toks.rest_len, &it->toks);
		it->i = 0;
	}
}
