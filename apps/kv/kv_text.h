/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The memcached text protocol's framing, as memcached 1.6 does it: a
 * datagram body is a sequence of command lines ("\n"-terminated, one "\r"
 * before it dropped, cut at the first NUL), each split on spaces into at
 * most 23 tokens (get-family keys beyond that are tokenised again), and
 * storage commands followed by a data block of the announced length plus
 * "\r\n". A storage command whose line is refused (wrong token count, bad
 * number, key too long) takes no data block: its data line is read as the
 * next command, as memcached reads it.
 *
 * kv_parse_next turns the next command into a struct kv_cmd: its operation
 * and arguments, or the fixed line memcached answers it with. It reads the
 * store nowhere, so the router (which worker runs a request) and the
 * executor see the same commands.
 *
 * Thread safety: pure functions over the caller's buffer.
 */
#ifndef TERN_KV_TEXT_H
#define TERN_KV_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KV_MAX_TOKENS 24   /**< memcached's MAX_TOKENS, the terminal one included */

/** A token: bytes in the request; len 0 only for the terminal token. */
struct kv_tok {
	const uint8_t *p;
	size_t len;
};

/**
 * A tokenised command line. t[n - 1] is the terminal token: its p is NULL
 * when the line was tokenised to its end, else it points at the rest
 * (rest_len bytes) that did not fit in KV_MAX_TOKENS.
 */
struct kv_toks {
	struct kv_tok t[KV_MAX_TOKENS];
	unsigned n;         /**< tokens, the terminal one included */
	size_t rest_len;
};

/** Split line (len bytes, no NUL inside) as memcached's tokenize_command. */
void kv_tokenize(const uint8_t *line, size_t len, struct kv_toks *tk);

enum kv_op {
	KV_OP_LINE,      /**< answered with cmd.line (an error, usually) */
	KV_OP_GET,       /**< get, bget */
	KV_OP_GETS,
	KV_OP_GAT,
	KV_OP_GATS,
	KV_OP_SET,
	KV_OP_ADD,
	KV_OP_REPLACE,
	KV_OP_APPEND,
	KV_OP_PREPEND,
	KV_OP_CAS,
	KV_OP_INCR,
	KV_OP_DECR,
	KV_OP_DELETE,
	KV_OP_TOUCH,
	KV_OP_FLUSH_ALL,
	KV_OP_VERSION,
	KV_OP_VERBOSITY, /**< accepted and ignored */
	KV_OP_MN,        /**< meta no-op */
	KV_OP_QUIT,      /**< stop reading the datagram */
	KV_OP_CLOSE,     /**< an HTTP request line: memcached drops the connection */
};

/** What followed a storage command line. */
enum kv_data {
	KV_DATA_OK,        /**< vlen bytes then "\r\n": cmd.data */
	KV_DATA_BAD_CHUNK, /**< vlen + 2 bytes not ending in "\r\n" */
	KV_DATA_SHORT,     /**< the datagram ended before vlen + 2 bytes */
	KV_DATA_TOO_LARGE, /**< vlen > the store's limit: the block was skipped */
};

/** One parsed command. */
struct kv_cmd {
	enum kv_op op;
	bool noreply;           /**< memcached's "noreply" rule applied */
	const char *line;       /**< KV_OP_LINE: the reply, without "\r\n" */
	const uint8_t *key;     /**< single-key commands */
	size_t nkey;
	uint32_t flags;         /**< storage */
	int32_t exptime;        /**< storage, touch, gat, flush_all (0 if none) */
	uint32_t vlen;          /**< storage: value length */
	uint64_t num;           /**< cas: the CAS unique; incr/decr: the delta */
	enum kv_data data_state; /**< storage */
	const uint8_t *data;    /**< storage, KV_DATA_OK: the value */
	struct kv_toks toks;    /**< get family: the line's tokens */
	unsigned first_key;     /**< get family: index of the first key token */
};

/** A position in a datagram body. */
struct kv_parser {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	uint32_t max_value;     /**< values longer than this are "too large" */
};

/** Start parsing body (len bytes). */
static inline void
kv_parser_init(struct kv_parser *ps, const uint8_t *body, size_t len, uint32_t max_value)
{
	ps->buf = body;
	ps->len = len;
	ps->pos = 0;
	ps->max_value = max_value;
}

/**
 * The next command. A trailing line without "\n" is not a command
 * (memcached waits for the rest, which a datagram never brings).
 * @return false when no command is left.
 */
bool kv_parse_next(struct kv_parser *ps, struct kv_cmd *cmd);

/** Iterates over a get-family command's keys, tokenising again past 23. */
struct kv_keyiter {
	struct kv_toks toks;
	unsigned i;
};

/** Start iterating over cmd's keys (cmd is a get-family command). */
void kv_keys_begin(const struct kv_cmd *cmd, struct kv_keyiter *it);

/**
 * The next key. @return 1 (key set), 0 (no more keys) or -1 (the next key
 * is longer than 250 bytes: memcached answers the whole command with
 * "CLIENT_ERROR bad command line format").
 */
int kv_keys_next(struct kv_keyiter *it, const uint8_t **key, size_t *nkey);

#ifdef __cplusplus
}
#endif

#endif /* TERN_KV_TEXT_H */
