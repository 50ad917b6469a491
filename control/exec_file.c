/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "command.h"
#include "exec_file.h"

int
tern_exec_read_line(FILE *f, char *buf, size_t size, const volatile sig_atomic_t *stop,
		    size_t *len)
{
	size_t n = 0;
	int ch;

	*len = 0;
	for (;;) {
		ch = getc(f);
		if (ch == EOF) {
			if (!ferror(f))
				break;
			if (errno != EINTR)
				return -errno;
			clearerr(f); /* a signal: stop if it asks us to, else go on */
			if (stop != NULL && *stop != 0)
				return -EINTR;
			continue;
		}
		if (ch == '\n')
			break;
		if (ch == '\0') {
			*len = n;
			return -EILSEQ;
		}
		if (n == size - 1)
			return -E2BIG;
		buf[n++] = (char)ch;
	}
	if (ch == EOF && n == 0)
		return 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > size - 2)
		return -E2BIG; /* room was kept for a '\r' only */
	buf[n] = '\0';
	*len = n;
	return 1;
}

static void
echo_out(FILE *echo, const struct tern_out *out)
{
	if (echo != NULL && out->len > 0) {
		fputs(out->buf, echo);
		fflush(echo);
	}
}

/* Open path for reading; a directory is refused (fopen accepts it). */
static FILE *
open_exec(const char *path, struct tern_err *err)
{
	struct stat st;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		tern_err_set(err, errno, "cannot read exec file '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		tern_err_set(err, EISDIR, "exec file '%s' is a directory (give a file of "
			     "commands, one per line)", path);
		errno = EISDIR;
		return NULL;
	}
	return f;
}

/* The error of a line that could not be read (got < 0). */
static int
line_error(int got, size_t nul_at, struct tern_err *lerr)
{
	switch (got) {
	case -E2BIG:
		return tern_err_set(lerr, E2BIG, "line too long (max %d bytes)", TERN_CMD_LINE_MAX);
	case -EILSEQ:
		return tern_err_set(lerr, EILSEQ, "line contains a NUL byte (at byte %zu); "
				    "an exec file is text", nul_at + 1);
	case -EINTR:
		return tern_err_set(lerr, EINTR, "stopped by a signal");
	default:
		return tern_err_set(lerr, -got, "read error: %s", strerror(-got));
	}
}

/* 0, or an error once the input passes the limits of exec_file.h. */
static int
check_limits(unsigned lineno, size_t bytes, struct tern_err *lerr)
{
	if (lineno > TERN_EXEC_MAX_LINES || bytes > TERN_EXEC_MAX_BYTES)
		return tern_err_set(lerr, EFBIG, "input too long: an exec file holds at most %u "
				    "lines and %u MiB (does it never end?)", TERN_EXEC_MAX_LINES,
				    TERN_EXEC_MAX_BYTES >> 20);
	return 0;
}

int
tern_cmd_exec_file(struct tern_engine *e, const char *path, FILE *echo,
		   const volatile sig_atomic_t *stop, struct tern_err *err)
{
	char buf[TERN_CMD_LINE_MAX + 2]; /* the line, a '\r' before its '\n', the NUL */
	struct tern_err lerr = { "" };
	struct tern_out out;
	unsigned lineno = 0;
	size_t len, bytes = 0;
	int rc = 0, got;
	FILE *f;

	f = open_exec(path, err);
	if (f == NULL)
		return -errno;
	tern_out_init(&out);
	for (;;) {
		if (stop != NULL && *stop != 0) {
			rc = line_error(-EINTR, 0, &lerr);
			break;
		}
		got = tern_exec_read_line(f, buf, sizeof(buf), stop, &len);
		if (got == 0)
			break;
		lineno++;
		bytes += len + 1;
		rc = check_limits(lineno, bytes, &lerr);
		if (rc == 0 && got < 0)
			rc = line_error(got, len, &lerr);
		if (rc == 0)
			rc = tern_cmd_exec(e, buf, &out, &lerr);
		echo_out(echo, &out);
		tern_out_free(&out);
		if (rc < 0)
			break;
	}
	fclose(f);
	if (rc < 0)
		tern_err_set(err, -rc, "%s:%u: %s", path, lineno, lerr.msg);
	return rc;
}
