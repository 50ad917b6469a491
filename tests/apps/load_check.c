/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * load_check PATH: load the app at PATH through the tern loader, hand it one
 * request and check that it replies "hello". Used by outoftree_build.sh.
 */
#include <stdio.h>
#include <string.h>

#include "app_loader.h"
#include "host.h"

int
main(int argc, char **argv)
{
	struct tern_app_instance *app;
	struct tern_udp_req req;
	struct tern_err err = { "" };
	uint8_t buf[64] = "ping";
	int ok;

	if (argc != 2) {
		fprintf(stderr, "usage: load_check PATH-TO-APP.so\n");
		return 2;
	}
	app = tern_app_instance_create("hello", argv[1], 0, NULL, 1, &tern_host_ops, &err);
	if (app == NULL) {
		fprintf(stderr, "load_check: %s\n", err.msg);
		return 1;
	}
	memset(&req, 0, sizeof(req));
	req.payload = buf;
	req.len = 4;
	req.cap = sizeof(buf);
	req.verdict = TERN_VERDICT_DROP;
	app->desc->udp_burst(app->state, 0, &req, 1);
	ok = req.verdict == TERN_VERDICT_REPLY && req.len == 5 && memcmp(buf, "hello", 5) == 0;
	if (!ok)
		fprintf(stderr, "load_check: %s: verdict %u, reply '%.*s' (%u bytes), want 'hello'\n",
			argv[1], req.verdict, (int)req.len, (const char *)buf, req.len);
	else
		printf("load_check: %s (%s) replied hello\n", argv[1], app->desc->name);
	tern_app_instance_destroy(app);
	return ok ? 0 : 1;
}
