/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal tern app, built out of tree with only the public header:
 *   cc -shared -fPIC $(pkg-config --cflags tern-app) -o libhello.so hello_app.c
 * It answers every request with "hello".
 */
#include <tern/app.h>

static int
hello_init(const struct tern_app_init *ia, void **state)
{
	(void)ia;
	*state = NULL;	/* no state: nothing to keep per worker */
	return 0;
}

static void
hello_burst(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	static const char msg[] = "hello";

	(void)state;
	(void)worker;
	for (uint16_t i = 0; i < n; i++) {
		if (reqs[i].cap < sizeof(msg) - 1)
			continue;	/* verdict stays DROP */
		memcpy(reqs[i].payload, msg, sizeof(msg) - 1);
		reqs[i].len = sizeof(msg) - 1;
		reqs[i].verdict = TERN_VERDICT_REPLY;
	}
}

TERN_APP_EXPORT const struct tern_app_descriptor tern_app_descriptor = {
	.abi_version = TERN_APP_ABI_VERSION,
	.size = sizeof(struct tern_app_descriptor),
	.name = "hello",
	.init = hello_init,
	.udp_burst = hello_burst,
};
