/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * For unit tests that start EAL: rte_eal_cleanup() leaves the runtime
 * directory (/var/run/dpdk/PREFIX) behind; this removes it. Call with the
 * path saved from rte_eal_get_runtime_dir() before the cleanup.
 */
#ifndef TERN_TEST_EAL_RUNTIME_H
#define TERN_TEST_EAL_RUNTIME_H

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/** Remove the (flat) directory at path; 0 or -1. */
static inline int
eal_runtime_dir_remove(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return rmdir(path);
}

#endif /* TERN_TEST_EAL_RUNTIME_H */
