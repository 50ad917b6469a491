/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * --exec files: the command language (command.h) read from a file, one
 * command per line, at start-up. Control thread.
 */
#ifndef TERN_EXEC_FILE_H
#define TERN_EXEC_FILE_H

#include <stdio.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tern_engine;

/**
 * Run every line of the file at path, stopping at the first failure, whose
 * message becomes "PATH:LINE: message". Answers (e.g. of show) go to echo if
 * not NULL. -errno on failure (including an unreadable file).
 */
int tern_cmd_exec_file(struct tern_engine *e, const char *path, FILE *echo,
		       struct tern_err *err);

#ifdef __cplusplus
}
#endif

#endif /* TERN_EXEC_FILE_H */
