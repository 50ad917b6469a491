/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ternctl: a small client for ternd's control socket (protocol in
 * control_proto.h). It links no DPDK.
 *
 *   ternctl [-s PATH | -p PREFIX] [COMMAND ...]
 *   ternctl -h | --help
 *
 * With COMMAND words, they are joined with single spaces and sent as one
 * line; the answer's body goes to stdout (exit 0), or an error to stderr
 * (exit 1). Without, every line of stdin is sent in turn and each answer
 * printed the same way; the exit status is 1 if any answer was an error.
 * Exit status 2: no connection, the server broke the protocol, or standard
 * output could not be written (then no further command is sent).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_proto.h"
#include "decimal.h"

#define EXIT_CMD_ERROR 1
#define EXIT_FAILURE_LINK 2
/* The longest header we accept: "error " + 20 digits + '\n'. */
#define HDR_MAX 32
/* A sanity bound on an answer's body (show views are a few kB). */
#define BODY_MAX (64u << 20)

/* A connection to ternd with a small read buffer for headers. */
struct conn {
	int fd;
	const char *path;
	char buf[4096];
	size_t off;     /* first unread byte in buf */
	size_t len;     /* bytes in buf */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: ternctl [-s PATH | -p PREFIX] [COMMAND ...]\n"
		"  -s PATH     control socket (default %s/%s.sock)\n"
		"  -p PREFIX   use %s/PREFIX.sock, for a ternd run with --file-prefix PREFIX\n"
		"  -h, --help  this help\n"
		"With COMMAND, send it and print the answer; without, send each line of\n"
		"standard input in turn. Exit status: 0 ok, 1 a command failed,\n"
		"2 no connection, a broken answer, or output that cannot be written.\n"
		"'ternctl help' lists the commands;\n"
		"docs/commands.md describes them.\n",
		TERN_CTL_DIR, TERN_CTL_DEFAULT_PREFIX, TERN_CTL_DIR);
}

/*
 * Connect to path. prefix: the DPDK --file-prefix the path was made from
 * (-p, or the default), or NULL for a path given with -s; it makes the hint
 * of a failed connection name the option ternd must have been started with.
 */
static int
conn_open(struct conn *c, const char *path, const char *prefix)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	c->path = path;
	c->off = c->len = 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ternctl: socket path too long (max %zu bytes): %s\n",
			sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fprintf(stderr, "ternctl: socket: %s\n", strerror(errno));
		return -errno;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		if (prefix == NULL)
			fprintf(stderr, "ternctl: cannot connect to %s: %s (is ternd running "
				"with --control %s?)\n", path, strerror(err), path);
		else if (strcmp(prefix, TERN_CTL_DEFAULT_PREFIX) == 0)
			fprintf(stderr, "ternctl: cannot connect to %s: %s (is ternd running? "
				"for one started with --file-prefix P, use -p P)\n", path,
				strerror(err));
		else
			fprintf(stderr, "ternctl: cannot connect to %s: %s (is ternd running "
				"with --file-prefix %s?)\n", path, strerror(err), prefix);
		close(c->fd);
		c->fd = -1;
		return -err;
	}
	return 0;
}

static int
write_all(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(c->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fprintf(stderr, "ternctl: cannot send to %s: %s\n", c->path, strerror(errno));
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Send line (without its newline) followed by '\n'. */
static int
send_line(struct conn *c, const char *line, size_t n)
{
	int rc = write_all(c, line, n);

	return rc < 0 ? rc : write_all(c, "\n", 1);
}

/* Refill the buffer: > 0 bytes added, 0 at end of stream, -errno. */
static ssize_t
conn_fill(struct conn *c)
{
	ssize_t r;

	if (c->off == c->len)
		c->off = c->len = 0;
	do
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		fprintf(stderr, "ternctl: cannot read from %s: %s\n", c->path, strerror(errno));
		return -errno;
	}
	c->len += (size_t)r;
	return r;
}

static void
closed_early(const struct conn *c)
{
	fprintf(stderr, "ternctl: %s closed the connection before answering in full "
		"(did ternd stop?)\n", c->path);
}

/* Read the header line into hdr (NUL-terminated, without '\n'). */
static int
read_header(struct conn *c, char *hdr)
{
	size_t n = 0;

	for (;;) {
		ssize_t r;

		while (c->off < c->len) {
			char ch = c->buf[c->off++];

			if (ch == '\n') {
				hdr[n] = '\0';
				return 0;
			}
			if (n == HDR_MAX - 1) {
				hdr[n] = '\0';
				fprintf(stderr, "ternctl: malformed answer from %s: header '%s...' "
					"too long (is it a ternd control socket?)\n", c->path, hdr);
				return -EPROTO;
			}
			hdr[n++] = ch;
		}
		r = conn_fill(c);
		if (r < 0)
			return (int)r;
		if (r == 0) {
			closed_early(c);
			return -ECONNRESET;
		}
	}
}

/* Parse "ok <len>" or "error <len>". */
static int
parse_header(const struct conn *c, const char *hdr, bool *ok, size_t *len)
{
	const char *sp = strchr(hdr, ' ');
	uint64_t v;

	if (sp != NULL && (size_t)(sp - hdr) == strlen(TERN_CTL_OK) &&
	    strncmp(hdr, TERN_CTL_OK, (size_t)(sp - hdr)) == 0)
		*ok = true;
	else if (sp != NULL && (size_t)(sp - hdr) == strlen(TERN_CTL_ERROR) &&
		 strncmp(hdr, TERN_CTL_ERROR, (size_t)(sp - hdr)) == 0)
		*ok = false;
	else
		goto bad;
	if (tern_dec_parse(sp + 1, 0, BODY_MAX, &v) < 0)
		goto bad;
	*len = (size_t)v;
	return 0;
bad:
	fprintf(stderr, "ternctl: malformed answer from %s: '%s' "
		"(expected 'ok LEN' or 'error LEN')\n", c->path, hdr);
	return -EPROTO;
}

/* Read exactly n body bytes into a new buffer (NUL-terminated). */
static int
read_body(struct conn *c, size_t n, char **out)
{
	char *body = malloc(n + 1);
	size_t got = 0;

	if (body == NULL) {
		fprintf(stderr, "ternctl: out of memory for a %zu-byte answer\n", n);
		return -ENOMEM;
	}
	while (got < n) {
		size_t take = c->len - c->off;
		ssize_t r;

		if (take > 0) {
			if (take > n - got)
				take = n - got;
			memcpy(body + got, c->buf + c->off, take);
			c->off += take;
			got += take;
			continue;
		}
		r = conn_fill(c);
		if (r <= 0) {
			if (r == 0)
				closed_early(c);
			free(body);
			return r < 0 ? (int)r : -ECONNRESET;
		}
	}
	body[n] = '\0';
	*out = body;
	return 0;
}

/*
 * Print one answer: body to stdout, or the error to stderr. -EIO when stdout
 * cannot take it (full, or its reader has gone: SIGPIPE is ignored), so that
 * ternctl stops instead of sending more commands nobody reads the answers of.
 */
static int
print_answer(bool ok, const char *body, size_t n)
{
	if (ok) {
		fwrite(body, 1, n, stdout);
		if (n > 0 && body[n - 1] != '\n')
			fputc('\n', stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "ternctl: cannot write standard output: %s\n",
				strerror(errno));
			return -EIO;
		}
		return 0;
	}
	while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r'))
		n--;
	fprintf(stderr, "ternctl: error: %.*s\n", (int)(n > INT_MAX ? INT_MAX : n), body);
	return 0;
}

/*
 * Read and print one answer. 0 for ok, 1 for an error answer, -errno when
 * the link or the protocol failed.
 */
static int
read_answer(struct conn *c)
{
	char hdr[HDR_MAX];
	char *body = NULL;
	size_t len;
	bool ok;
	int rc;

	rc = read_header(c, hdr);
	if (rc < 0)
		return rc;
	rc = parse_header(c, hdr, &ok, &len);
	if (rc < 0)
		return rc;
	rc = read_body(c, len, &body);
	if (rc < 0)
		return rc;
	rc = print_answer(ok, body, len);
	free(body);
	if (rc < 0)
		return rc;
	return ok ? 0 : 1;
}

/* One command from the command line's words. */
static int
run_words(struct conn *c, int argc, char **argv)
{
	size_t n = 0, i;
	char *line;
	int rc;

	for (i = 0; i < (size_t)argc; i++)
		n += strlen(argv[i]) + 1;
	line = malloc(n + 1);
	if (line == NULL) {
		fprintf(stderr, "ternctl: out of memory\n");
		return EXIT_FAILURE_LINK;
	}
	n = 0;
	for (i = 0; i < (size_t)argc; i++) {
		size_t w = strlen(argv[i]);

		if (i > 0)
			line[n++] = ' ';
		memcpy(line + n, argv[i], w);
		n += w;
	}
	rc = send_line(c, line, n);
	free(line);
	if (rc == 0)
		rc = read_answer(c);
	if (rc < 0)
		return EXIT_FAILURE_LINK;
	return rc == 0 ? EXIT_SUCCESS : EXIT_CMD_ERROR;
}

/* True for a line the server would ignore anyway: blank or a comment. */
static bool
is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	return i == n || s[i] == '#';
}

/*
 * Every line of stdin, one at a time: send, wait for the answer, print it.
 * Blank and comment lines are not sent (they would do nothing).
 */
static int
run_stdin(struct conn *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool failed = false;
	int rc = 0;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (is_blank(line, (size_t)n))
			continue;
		rc = send_line(c, line, (size_t)n);
		if (rc == 0)
			rc = read_answer(c);
		if (rc < 0)
			break;
		if (rc == 1)
			failed = true;
	}
	if (rc >= 0 && ferror(stdin)) {
		fprintf(stderr, "ternctl: cannot read standard input: %s\n", strerror(errno));
		rc = -EIO;
	}
	free(line);
	if (rc < 0)
		return EXIT_FAILURE_LINK;
	return failed ? EXIT_CMD_ERROR : EXIT_SUCCESS;
}

int
main(int argc, char **argv)
{
	char path_buf[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *prefix = NULL;
	struct conn c;
	int opt, rc;

	/* '+': stop at the first command word, which may look like anything. */
	while ((opt = getopt_long(argc, argv, "+s:p:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE_LINK;
		}
	}
	if (path != NULL && prefix != NULL) {
		fprintf(stderr, "ternctl: give -s PATH or -p PREFIX, not both\n");
		return EXIT_FAILURE_LINK;
	}
	if (path == NULL) {
		if (prefix == NULL)
			prefix = TERN_CTL_DEFAULT_PREFIX;
		if (prefix[0] == '\0' || strchr(prefix, '/') != NULL) {
			fprintf(stderr, "ternctl: bad prefix '%s' (a DPDK --file-prefix, no '/')\n",
				prefix);
			return EXIT_FAILURE_LINK;
		}
		if ((size_t)snprintf(path_buf, sizeof(path_buf), "%s/%s.sock", TERN_CTL_DIR,
				     prefix) >= sizeof(path_buf)) {
			fprintf(stderr, "ternctl: prefix '%s' too long\n", prefix);
			return EXIT_FAILURE_LINK;
		}
		path = path_buf;
	}
	/* A server that goes away makes write() fail with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	if (conn_open(&c, path, path == path_buf ? prefix : NULL) < 0)
		return EXIT_FAILURE_LINK;
	if (optind < argc)
		rc = run_words(&c, argc - optind, argv + optind);
	else
		rc = run_stdin(&c);
	close(c.fd);
	return rc;
}
