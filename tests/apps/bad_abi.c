/* SPDX-License-Identifier: BSD-3-Clause */
/* A descriptor from a future ABI: the loader must refuse it. */
#include <tern/app.h>

static int
bad_init(const struct tern_app_init *ia, void **state)
{
	(void)ia;
	*state = NULL;
	return 0;
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
	.abi_version = 999,
	.size = sizeof(struct tern_app_descriptor),
	.name = "bad_abi",
	.init = bad_init,
	.udp_burst = bad_burst,
};
