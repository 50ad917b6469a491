/* SPDX-License-Identifier: BSD-3-Clause */
/* An app whose init always fails with a message: the loader must report it. */
#include <errno.h>
#include <stdio.h>

#include <tern/app.h>

static int
bad_init(const struct tern_app_init *ia, void **state)
{
	*state = NULL;
	snprintf(ia->err, ia->err_len, "the frobnicator is missing");
	return -ENODEV;
}

static void
bad_burst(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	(void)state;
	(void)worker;
	(void)reqs;
	(void)n;
}

TERN_APP_EXPORT const struct tern_app_descriptor tern_app_descriptor = {
	.abi_version = TERN_APP_ABI_VERSION,
	.size = sizeof(struct tern_app_descriptor),
	.name = "bad_init",
	.init = bad_init,
	.udp_burst = bad_burst,
};
