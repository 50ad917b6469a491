/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "exec_file.h"

/* Read one line into buf (without "\n" or "\r\n"). 1 = got one, 0 = EOF,
 * -E2BIG = longer than TERN_CMD_LINE_MAX. */
static int
read_line(FILE *f, char *buf, size_t size)
{
	size_t len;

	if (fgets(buf, (int)size, f) == NULL)
		return 0;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len == size - 1)
		return -E2BIG;
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
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

int
tern_cmd_exec_file(struct tern_engine *e, const char *path, FILE *echo,
		   struct tern_err *err)
{
	/* room for TERN_CMD_LINE_MAX bytes, "\r\n" and the NUL */
	char buf[TERN_CMD_LINE_MAX + 3];
	struct tern_err lerr = { "" };
	struct tern_out out;
	unsigned lineno = 0;
	int rc = 0, got;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL)
		return tern_err_set(err, errno, "cannot read exec file '%s': %s",
				    path, strerror(errno));
	tern_out_init(&out);
	while ((got = read_line(f, buf, sizeof(buf))) != 0) {
		lineno++;
		if (got < 0)
			rc = tern_err_set(&lerr, E2BIG, "line too long (max %d bytes)",
					  TERN_CMD_LINE_MAX);
		else
			rc = tern_cmd_exec(e, buf, &out, &lerr);
		echo_out(echo, &out);
		tern_out_free(&out);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = tern_err_set(&lerr, EIO, "read error");
	fclose(f);
	if (rc < 0)
		tern_err_set(err, -rc, "%s:%u: %s", path, lineno, lerr.msg);
	return rc;
}
