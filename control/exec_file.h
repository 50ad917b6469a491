/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * --exec files: the command language (command.h) read from a file, one
 * command per line, at start-up. Control thread.
 */
#ifndef TERN_EXEC_FILE_H
#define TERN_EXEC_FILE_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bounds on one exec file, so that an input that never ends (a device, a
 * pipe) ends start-up with an error instead of running forever. */
#define TERN_EXEC_MAX_LINES 100000u
#define TERN_EXEC_MAX_BYTES (16u << 20)

struct tern_engine;

/**
 * Read one line of f into buf (without its "\n" or "\r\n", NUL-terminated).
 * Reads no further than the end of the line, or than the byte that makes it
 * bad. The longest line is size - 2 bytes (room for a '\r' before the '\n').
 * A signal that interrupts a blocking read returns -EINTR if *stop is set
 * (stop may be NULL), else the read goes on. Pure but for reading f.
 * @return 1 with a line of *len bytes; 0 at the end of the input; -E2BIG
 * for a line that does not fit; -EILSEQ for a NUL byte, *len being its
 * offset; -EINTR; -errno of a read error.
 */
int tern_exec_read_line(FILE *f, char *buf, size_t size, const volatile sig_atomic_t *stop,
			size_t *len);

/**
 * Run every line of the file at path, stopping at the first failure, whose
 * message becomes "PATH:LINE: message": a command's error, a line too long or
 * with a NUL byte, more than TERN_EXEC_MAX_LINES or TERN_EXEC_MAX_BYTES, or
 * *stop set (by a signal handler; stop may be NULL), checked between lines and
 * when a blocking read is interrupted. Answers (e.g. of show) go to echo if
 * not NULL. -errno on failure (including an unreadable file or a directory).
 */
int tern_cmd_exec_file(struct tern_engine *e, const char *path, FILE *echo,
		       const volatile sig_atomic_t *stop, struct tern_err *err);

#ifdef __cplusplus
}
#endif

#endif /* TERN_EXEC_FILE_H */
