/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counters are declared once (TERN_CTR_LIST, TERN_WCTR_LIST in stats.h)
 * and docs/observability.md's two tables must say exactly the same: every
 * counter, in order, with its description, and nothing else. Argument: the
 * path of docs/observability.md.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "stats.h"

#define LINE_MAX_ 512
#define ROWS_MAX 64

/* The rows "| `name` | text |" of the table under heading, into names and
 * descs; the number of rows, or -1 if the heading is missing. */
static int
doc_table(const char *path, const char *heading, char names[][64], char descs[][LINE_MAX_])
{
	char line[LINE_MAX_];
	FILE *f = fopen(path, "r");
	int in = 0, n = 0, found = -1;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "## ", 3) == 0) {
			in = strcmp(line + 3, heading) == 0;
			if (in)
				found = 0;
			continue;
		}
		if (!in || strncmp(line, "| `", 3) != 0 || n == ROWS_MAX)
			continue;
		char *name = line + 3, *tick = strchr(name, '`'), *desc;
		size_t len;

		if (tick == NULL || strncmp(tick, "` | ", 4) != 0)
			continue;
		*tick = '\0';
		desc = tick + 4;
		len = strlen(desc);
		if (len < 2 || strcmp(desc + len - 2, " |") != 0)
			continue;
		desc[len - 2] = '\0';
		snprintf(names[n], 64, "%.63s", name);
		snprintf(descs[n], LINE_MAX_, "%s", desc);
		n++;
	}
	fclose(f);
	return found < 0 ? -1 : n;
}

static void
check_table(const char *path, const char *heading, const char *const *names,
	    const char *const *descs, int count)
{
	static char dn[ROWS_MAX][64], dd[ROWS_MAX][LINE_MAX_];
	int n = doc_table(path, heading, dn, dd);

	CHECK_EQ(n, count);
	for (int i = 0; i < n && i < count; i++) {
		if (strcmp(dn[i], names[i]) != 0 || strcmp(dd[i], descs[i]) != 0) {
			fprintf(stderr, "%s, row %d:\n  docs: `%s` | %s\n  code: `%s` | %s\n",
				heading, i + 1, dn[i], dd[i], names[i], descs[i]);
			CHECK(0);
		}
	}
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s docs/observability.md\n", argv[0]);
		return 2;
	}
	check_table(argv[1], "Counters", tern_ctr_names, tern_ctr_descs, TERN_CTR_MAX);
	check_table(argv[1], "Event counters", tern_wctr_names, tern_wctr_descs, TERN_WCTR_MAX);
	return check_done("test_counter_docs");
}
