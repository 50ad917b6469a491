/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deliberately broken apps, one per build (meson defines one of these):
 *   BAD_ABI     a descriptor from a future ABI;
 *   BAD_SIZE    a descriptor of another size (headers of another ABI);
 *   BAD_NOINIT  a descriptor without an init function;
 *   BAD_INIT    an init that fails with a message.
 * The loader must refuse each, saying why (test_app_loader, and the
 * examples of docs/apps.md run by docs_examples).
 */
#include <errno.h>
#include <stdio.h>

#include <tern/app.h>

#ifndef BAD_NOINIT
static int
bad_init(const struct tern_app_init *ia, void **state)
{
	*state = NULL;
#ifdef BAD_INIT
	snprintf(ia->err, ia->err_len, "the frobnicator is missing");
	return -ENODEV;
#else
	(void)ia;
	return 0;
#endif
}
#endif

static void
bad_burst(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	(void)state;
	(void)worker;
	(void)reqs;
	(void)n;
}

TERN_APP_EXPORT const struct tern_app_descriptor tern_app_descriptor = {
#ifdef BAD_ABI
	.abi_version = 999,
#else
	.abi_version = TERN_APP_ABI_VERSION,
#endif
#ifdef BAD_SIZE
	.size = sizeof(struct tern_app_descriptor) - 32,
#else
	.size = sizeof(struct tern_app_descriptor),
#endif
	.name = "bad_app",
#ifndef BAD_NOINIT
	.init = bad_init,
#endif
	.udp_burst = bad_burst,
};
