/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memcached framing: how a datagram body splits into commands and data
 * blocks, including the cases where memcached reads a refused storage
 * command's data line as the next command, and get-family keys past the
 * 23-token limit.
 */
#include <string.h>

#include "check.h"
#include "kv_text.h"

#define MAXV 1024

/* Parse body and return the operations, at most max. */
static unsigned
ops_of(const char *body, size_t len, struct kv_cmd *cmds, unsigned max)
{
	struct kv_parser ps;
	unsigned n = 0;

	kv_parser_init(&ps, (const uint8_t *)body, len, MAXV);
	while (n < max && kv_parse_next(&ps, &cmds[n]))
		n++;
	return n;
}

#define OPS(lit, cmds) ops_of(lit, sizeof(lit) - 1, cmds, 8)

static int
line_is(const struct kv_cmd *c, const char *s)
{
	return c->op == KV_OP_LINE && strcmp(c->line, s) == 0;
}

static void
test_tokenize(void)
{
	struct kv_toks tk;
	char line[200];
	int n;

	kv_tokenize((const uint8_t *)"  get  a b ", 11, &tk);
	CHECK_EQ(tk.n, 4);
	CHECK(tk.t[0].len == 3 && memcmp(tk.t[0].p, "get", 3) == 0);
	CHECK(tk.t[2].len == 1 && tk.t[2].p[0] == 'b');
	CHECK(tk.t[3].len == 0 && tk.t[3].p == NULL);
	/* 30 tokens: 23 taken, the rest left for the terminal token */
	n = 0;
	for (int i = 0; i < 30; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%d", i ? " " : "", i % 10);
	kv_tokenize((const uint8_t *)line, (size_t)n, &tk);
	CHECK_EQ(tk.n, KV_MAX_TOKENS);
	CHECK(tk.t[23].p != NULL && tk.t[23].len == 0);
	CHECK_EQ(tk.rest_len, 13);  /* "3 4 5 6 7 8 9" */
	CHECK(tk.t[23].p[0] == '3');
	/* tabs are not separators */
	kv_tokenize((const uint8_t *)"get a\tb", 7, &tk);
	CHECK_EQ(tk.n, 3);
	CHECK_EQ(tk.t[1].len, 3);
}

static void
test_storage(void)
{
	struct kv_cmd c[8];

	CHECK_EQ(OPS("set a 5 10 3\r\nabc\r\nget a\r\n", c), 2);
	CHECK(c[0].op == KV_OP_SET && c[0].data_state == KV_DATA_OK);
	CHECK(c[0].flags == 5 && c[0].exptime == 10 && c[0].vlen == 3);
	CHECK(memcmp(c[0].data, "abc", 3) == 0 && c[0].nkey == 1);
	CHECK(c[1].op == KV_OP_GET);
	/* a refused line takes no data block: "abc" is the next command */
	CHECK_EQ(OPS("set a 0 0 -1\r\nabc\r\n", c), 2);
	CHECK(line_is(&c[0], "CLIENT_ERROR bad command line format"));
	CHECK(line_is(&c[1], "ERROR"));
	CHECK_EQ(OPS("set a 0 0\r\nabc\r\n", c), 2);
	CHECK(line_is(&c[0], "ERROR"));
	/* noreply where the length should be: the error is silent */
	CHECK_EQ(OPS("set a 0 0 noreply\r\nabc\r\n", c), 2);
	CHECK(c[0].op == KV_OP_LINE && c[0].noreply);
	/* a bad chunk eats vlen + 2 bytes, the rest is the next command */
	CHECK_EQ(OPS("set a 0 0 3\r\nabcd\r\n", c), 2);
	CHECK(c[0].op == KV_OP_SET && c[0].data_state == KV_DATA_BAD_CHUNK);
	CHECK(line_is(&c[1], "ERROR"));  /* the lone "\n" */
	CHECK_EQ(OPS("set a 0 0 10\r\nabc\r\n", c), 1);
	CHECK(c[0].data_state == KV_DATA_SHORT);
	/* too large: swallowed, parsing goes on after it */
	CHECK_EQ(OPS("set a 0 0 2000\r\nabc\r\n", c), 1);
	CHECK(c[0].data_state == KV_DATA_TOO_LARGE);
	CHECK_EQ(OPS("cas a 0 0 1 77 noreply\r\nx\r\n", c), 1);
	CHECK(c[0].op == KV_OP_CAS && c[0].num == 77 && c[0].noreply);
	CHECK_EQ(OPS("cas a 0 0 1\r\nx\r\n", c), 2);
	CHECK(line_is(&c[0], "ERROR"));
}

static void
test_lines(void)
{
	struct kv_cmd c[8];

	CHECK_EQ(OPS("get a", c), 0);              /* no line end: no command */
	CHECK_EQ(OPS("get a\r\nget", c), 1);
	CHECK_EQ(OPS("\r\n", c), 1);               /* "\r" is a 1-byte command */
	CHECK(line_is(&c[0], "ERROR"));
	CHECK_EQ(OPS("get a\0zz\r\n", c), 1);      /* NUL ends the command */
	CHECK(c[0].op == KV_OP_GET && c[0].toks.n == 3 && c[0].toks.t[1].len == 1);
	CHECK_EQ(OPS("SET a 0 0 1\r\n", c), 1);
	CHECK(line_is(&c[0], "ERROR"));
	CHECK_EQ(OPS("GET / HTTP/1.1\r\n", c), 1);
	CHECK(c[0].op == KV_OP_CLOSE);
	CHECK_EQ(OPS("get / HTTP/1.1\r\n", c), 1);  /* a get of two keys */
	CHECK(c[0].op == KV_OP_GET);
	CHECK_EQ(OPS("mn\r\nmg a v\r\nshutdown\r\nquit\r\n", c), 4);
	CHECK(c[0].op == KV_OP_MN);
	CHECK(line_is(&c[1], "ERROR"));
	CHECK(line_is(&c[2], "ERROR: shutdown not enabled"));
	CHECK(c[3].op == KV_OP_QUIT);
	CHECK_EQ(OPS("delete a 1\r\ndelete a 0 noreply\r\ndelete a noreply 0\r\n", c), 3);
	CHECK(line_is(&c[0], "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"));
	CHECK(c[1].op == KV_OP_DELETE && c[1].noreply);
	CHECK(c[2].op == KV_OP_LINE && !c[2].noreply);
	CHECK_EQ(OPS("flush_all noreply\r\nflush_all 0 xyz\r\nflush_all abc\r\n", c), 3);
	CHECK(c[0].op == KV_OP_FLUSH_ALL && c[0].noreply);
	CHECK(c[1].op == KV_OP_FLUSH_ALL && !c[1].noreply);
	CHECK(line_is(&c[2], "CLIENT_ERROR invalid exptime argument"));
	CHECK_EQ(OPS("incr a -1\r\nincr a 1 x\r\ntouch a x\r\n", c), 3);
	CHECK(line_is(&c[0], "CLIENT_ERROR invalid numeric delta argument"));
	CHECK(c[1].op == KV_OP_INCR && c[1].num == 1 && !c[1].noreply);
	CHECK(line_is(&c[2], "CLIENT_ERROR invalid exptime argument"));
}

static void
test_keys(void)
{
	char body[600];
	struct kv_cmd c[2];
	struct kv_keyiter it;
	const uint8_t *key;
	size_t nkey, n = 0;
	int k, count = 0;

	n += (size_t)snprintf(body, sizeof(body), "gat 10");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, " k%d", i);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\n");
	CHECK_EQ(ops_of(body, n, c, 2), 1);
	CHECK(c[0].op == KV_OP_GAT && c[0].exptime == 10);
	kv_keys_begin(&c[0], &it);
	while ((k = kv_keys_next(&it, &key, &nkey)) == 1) {
		char want[16];

		snprintf(want, sizeof(want), "k%d", count++);
		CHECK(nkey == strlen(want) && memcmp(key, want, nkey) == 0);
	}
	CHECK_EQ(k, 0);
	CHECK_EQ(count, 40);
	/* a 251-byte key stops the iteration with -1 */
	n = (size_t)snprintf(body, sizeof(body), "get a %0251d b\r\n", 0);
	CHECK_EQ(ops_of(body, n, c, 2), 1);
	kv_keys_begin(&c[0], &it);
	CHECK_EQ(kv_keys_next(&it, &key, &nkey), 1);
	CHECK_EQ(kv_keys_next(&it, &key, &nkey), -1);
}

int
main(void)
{
	test_tokenize();
	test_storage();
	test_lines();
	test_keys();
	return check_done("test_kv_text");
}
