/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Error reports: functions return 0 or -errno and, where a user needs to know
 * more than the errno says, fill a struct tern_err with a one-line message.
 * The edge (ternd's main, a control command) prints it once.
 */
#ifndef TERN_ERR_H
#define TERN_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_ERR_MSG_MAX 256

struct tern_err {
	char msg[TERN_ERR_MSG_MAX]; /**< one line, no trailing newline */
};

/**
 * Write a formatted message into err (if not NULL) and return -errnum, so a
 * caller can `return tern_err_set(err, EINVAL, "bad port %s", s);`.
 */
int tern_err_set(struct tern_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif /* TERN_ERR_H */
