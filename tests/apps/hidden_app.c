/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hidden_app: a well-formed app built with -fvisibility=hidden whose
 * descriptor lacks TERN_APP_EXPORT, so dlsym cannot find it. The loader must
 * say so (and name TERN_APP_EXPORT) rather than call it "not a tern app".
 */
#include <tern/app.h>

static int
hidden_init(const struct tern_app_init *ia, void **state)
{
	(void)ia;
	*state = NULL;
	return 0;
}

static void
hidden_burst(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	(void)state;
	(void)worker;
	for (uint16_t i = 0; i < n; i++)
		reqs[i].verdict = TERN_VERDICT_REPLY;
}

const struct tern_app_descriptor tern_app_descriptor = {
	.abi_version = TERN_APP_ABI_VERSION,
	.size = sizeof(struct tern_app_descriptor),
	.name = "hidden",
	.init = hidden_init,
	.udp_burst = hidden_burst,
};
