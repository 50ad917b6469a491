/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * An app's code as loaded: a private, sealed copy of the bytes a shared
 * object held at the time of `app load` or `app replace`. The copy is a
 * memfd (read once from PATH, then sealed against any change) and ternd
 * dlopens it through /proc/self/fd, so rebuilding or overwriting PATH
 * afterwards can neither be missed (the dynamic linker never hands back an
 * old handle: each image is a new file) nor change code that is running.
 *
 * Control thread only. An image lives as long as its dlopen handle: the
 * descriptor stays open (its /proc/self/fd name must not be reused while
 * the library is loaded).
 */
#ifndef TERN_APP_IMAGE_H
#define TERN_APP_IMAGE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest app file ternd copies (far above any real app). */
#define TERN_APP_IMAGE_MAX (256u << 20)

struct tern_app_image {
	int fd;                  /**< the sealed memfd, -1 when closed */
	size_t size;             /**< bytes copied */
	char sha256[65];         /**< hex SHA-256 of the bytes copied */
	char build_id[41];       /**< hex GNU build-id, "" if the file has none */
	struct timespec loaded;  /**< wall-clock time of the copy */
	uint64_t copy_ns;        /**< how long reading, hashing and sealing took */
};

/**
 * Copy the regular file at path into a new sealed memfd, hash it and find
 * its build-id. 0, or -errno with err saying why (unreadable, too big, no
 * memfd). label names the memfd (shown in /proc/PID/maps).
 */
int tern_app_image_copy(const char *path, const char *label, struct tern_app_image *img,
			struct tern_err *err);

/** The path dlopen loads the image from ("/proc/self/fd/N"). */
void tern_app_image_dl_path(const struct tern_app_image *img, char *buf, size_t len);

/** Close the memfd (after dlclose). Idempotent. */
void tern_app_image_close(struct tern_app_image *img);

/** The image's load time as "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
void tern_app_image_time(const struct tern_app_image *img, char *buf, size_t len);

/** The image defines symbol name, but not for other objects to see (local
 *  binding or hidden visibility, e.g. built with -fvisibility=hidden):
 *  for a load error that says so. False if unsure (no symbol table). */
bool tern_app_image_has_hidden_symbol(const struct tern_app_image *img, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* TERN_APP_IMAGE_H */
