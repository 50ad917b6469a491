/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The app loader on good and bad shared objects, and the udp_responder app
 * driven directly through its descriptor (no DPDK, no mbufs), including its
 * stats and state hand-off hooks.
 * Usage: test_app_loader UDP_RESPONDER.so BAD_NOABI.so BAD_ABI.so BAD_INIT.so
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app_loader.h"
#include "host.h"
#include "check.h"

static const char *responder_so, *noabi_so, *abi_so, *init_so, *hidden_so, *size_so, *noinit_so;

/* Create, expecting failure with errno want_errno (0: any) and msg containing want. */
static void
expect_fail(const char *name, const char *path, unsigned n_kv, char *const *kv,
	    int want_errno, const char *want)
{
	struct tern_err err = { "" };
	struct tern_app_instance *app;

	errno = 0;
	app = tern_app_instance_create(name, path, n_kv, kv, 2, &tern_host_ops, &err);
	CHECK(app == NULL);
	if (app != NULL) {
		tern_app_instance_destroy(app);
		return;
	}
	if (want_errno != 0)
		CHECK_EQ(errno, want_errno);
	else
		CHECK(errno != 0);
	CHECK(strstr(err.msg, want) != NULL);
	if (strstr(err.msg, want) == NULL)
		fprintf(stderr, "  message was: %s\n  wanted in it: %s\n", err.msg, want);
}

static struct tern_app_instance *
load_responder(const char *name, unsigned n_kv, char *const *kv, unsigned n_workers)
{
	struct tern_err err = { "" };
	struct tern_app_instance *app;

	app = tern_app_instance_create(name, responder_so, n_kv, kv, n_workers, &tern_host_ops, &err);
	if (app == NULL)
		fprintf(stderr, "load_responder: %s\n", err.msg);
	return app;
}

static void
req_init(struct tern_udp_req *r, uint8_t *buf, uint16_t len, uint16_t cap)
{
	memset(r, 0, sizeof(*r));
	r->payload = buf;
	r->len = len;
	r->cap = cap;
	r->src_port = 40000;
	r->dst_port = 7;
	r->family = 4;
	r->verdict = TERN_VERDICT_DROP;
}

static void
test_bad_names_and_paths(void)
{
	char *none[1] = { NULL };

	expect_fail("", responder_so, 0, none, EINVAL, "empty");
	expect_fail("a-name-that-is-far-too-long-for-tern", responder_so, 0, none, EINVAL,
		    "too long");
	expect_fail("bad name", responder_so, 0, none, EINVAL, "use only letters");
	expect_fail("x", "libudp_responder.so", 0, none, EINVAL, "./libudp_responder.so");
	expect_fail("x", "/nonexistent/dir/libnothing.so", 0, none, ENOENT,
		    "No such file");
	expect_fail("x", "/tmp", 0, none, ENOEXEC, "not a regular file");
}

static void
test_not_shared_object(void)
{
	char path[] = "/tmp/tern_test_app_XXXXXX";
	int fd = mkstemp(path);
	char *none[1] = { NULL };

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, "this is text, not ELF\n", 22) == 22);
	close(fd);
	expect_fail("text", path, 0, none, ENOEXEC, "cannot load");
	unlink(path);
}

static void
test_bad_apps(void)
{
	char *none[1] = { NULL };
	char want[512];

	snprintf(want, sizeof(want), "app 'n': %s has no tern_app_descriptor symbol (is it a tern app?)",
		 noabi_so);
	expect_fail("n", noabi_so, 0, none, ENOEXEC, want);
	expect_fail("a", abi_so, 0, none, ENOEXEC, "built for tern app ABI 999");
	expect_fail("a", abi_so, 0, none, ENOEXEC, "this ternd speaks ABI 6");
	expect_fail("i", init_so, 0, none, ENODEV, "app 'i': init failed: the frobnicator is missing");
	/* -fvisibility=hidden without TERN_APP_EXPORT: say so, not "not a tern app". */
	snprintf(want, sizeof(want), "app 'h': %s defines tern_app_descriptor but does not export it "
		 "(built with -fvisibility=hidden? declare it TERN_APP_EXPORT)", hidden_so);
	expect_fail("h", hidden_so, 0, none, ENOEXEC, want);
	snprintf(want, sizeof(want), "app 's': %s has a %zu-byte descriptor, this ternd expects %zu: "
		 "rebuild it against this tern's headers",
		 size_so, sizeof(struct tern_app_descriptor) - 32, sizeof(struct tern_app_descriptor));
	expect_fail("s", size_so, 0, none, ENOEXEC, want);
	snprintf(want, sizeof(want), "app 'z': %s's descriptor has no init function", noinit_so);
	expect_fail("z", noinit_so, 0, none, ENOEXEC, want);
}

static void
test_bad_kv(void)
{
	char *nokey[] = { "mode=echo", "novalue" };
	char *empty[] = { "=echo" };
	char *twice[] = { "mode=echo", "mode=sockperf" };
	char *many[TERN_APP_MAX_KV + 1];
	char long_arg[TERN_APP_ARGS_MAX + 8];

	expect_fail("r", responder_so, 2, nokey, EINVAL, "'novalue' is not key=value");
	expect_fail("r", responder_so, 1, empty, EINVAL, "empty key");
	expect_fail("r", responder_so, 2, twice, EINVAL, "'mode' given twice");
	for (unsigned i = 0; i <= TERN_APP_MAX_KV; i++)
		many[i] = "mode=echo";
	expect_fail("r", responder_so, TERN_APP_MAX_KV + 1, many, E2BIG, "at most 16");
	memset(long_arg, 'v', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	memcpy(long_arg, "mode=", 5);
	many[0] = long_arg;
	expect_fail("r", responder_so, 1, many, E2BIG, "app 'r': arguments longer than 255 characters");
}

static void
test_responder_bad_args(void)
{
	char *mode[] = { "mode=bogus" };
	char *unknown[] = { "frob=1" };
	char *nosize[] = { "mode=fixed" };
	char *bigsize[] = { "mode=fixed", "size=70000" };
	char *size_echo[] = { "size=10" };
	char *dist[] = { "dist=pareto" };
	char *svc[] = { "service_ns=-5" };

	expect_fail("r", responder_so, 1, mode, EINVAL,
		    "init failed: mode must be echo, sockperf or fixed, not 'bogus'");
	expect_fail("r", responder_so, 1, unknown, EINVAL,
		    "unknown argument 'frob' (this app takes mode, size, service_ns, dist, replies)");
	expect_fail("r", responder_so, 1, nosize, EINVAL, "mode=fixed needs size=N");
	expect_fail("r", responder_so, 2, bigsize, EINVAL, "size must be");
	expect_fail("r", responder_so, 1, size_echo, EINVAL, "only applies to mode=fixed");
	expect_fail("r", responder_so, 1, dist, EINVAL, "dist must be fixed or exp, not 'pareto'");
	expect_fail("r", responder_so, 1, svc, EINVAL, "service_ns must be");
}

static void
test_echo(void)
{
	char *kv[] = { "mode=echo" };
	struct tern_app_instance *app = load_responder("echo1", 1, kv, 2);
	struct tern_udp_req r[3];
	uint8_t b[3][32];

	CHECK(app != NULL);
	if (app == NULL)
		return;
	CHECK(strcmp(app->name, "echo1") == 0);
	CHECK(strcmp(app->args, "mode=echo") == 0);
	CHECK(strcmp(app->path, responder_so) == 0);
	CHECK(strcmp(app->desc->name, "udp_responder") == 0);
	for (int i = 0; i < 3; i++) {
		memset(b[i], 'a' + i, sizeof(b[i]));
		req_init(&r[i], b[i], (uint16_t)(10 + i), sizeof(b[i]));
	}
	app->desc->udp_burst(app->state, 1, r, 3);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(r[i].verdict, TERN_VERDICT_REPLY);
		CHECK_EQ(r[i].len, 10 + i);
		CHECK_EQ(b[i][0], 'a' + i);
		CHECK_EQ(b[i][9 + i], 'a' + i);
	}
	/* A worker index out of range (an engine bug) leaves the verdict DROP. */
	req_init(&r[0], b[0], 4, sizeof(b[0]));
	app->desc->udp_burst(app->state, 2, r, 1);
	CHECK_EQ(r[0].verdict, TERN_VERDICT_DROP);
	tern_app_instance_destroy(app);
}

static void
sockperf_msg(uint8_t *m, uint16_t flags, uint32_t length)
{
	memset(m, 0x5a, 64);
	memset(m, 0, 8);
	m[7] = 9;
	m[8] = (uint8_t)(flags >> 8);
	m[9] = (uint8_t)flags;
	m[10] = (uint8_t)(length >> 24);
	m[11] = (uint8_t)(length >> 16);
	m[12] = (uint8_t)(length >> 8);
	m[13] = (uint8_t)length;
}

static void
test_sockperf_mode(void)
{
	char *kv[] = { "mode=sockperf" };
	struct tern_app_instance *app = load_responder("sp", 1, kv, 1);
	struct tern_udp_req r[4];
	uint8_t b[4][64], orig[64];

	CHECK(app != NULL);
	if (app == NULL)
		return;
	sockperf_msg(b[0], 0x0003, 40);	/* pong request */
	req_init(&r[0], b[0], 40, 64);
	sockperf_msg(b[1], 0x0001, 40);	/* client, not a pong request */
	req_init(&r[1], b[1], 40, 64);
	sockperf_msg(b[2], 0x0003, 40);	/* short */
	req_init(&r[2], b[2], 13, 64);
	sockperf_msg(b[3], 0x0003, 41);	/* length mismatch */
	req_init(&r[3], b[3], 40, 64);
	memcpy(orig, b[0], sizeof(orig));
	app->desc->udp_burst(app->state, 0, r, 4);
	CHECK_EQ(r[0].verdict, TERN_VERDICT_REPLY);
	CHECK_EQ(r[0].len, 40);
	orig[9] = 0x02;
	CHECK(memcmp(b[0], orig, 40) == 0);
	CHECK_EQ(r[1].verdict, TERN_VERDICT_DROP);
	CHECK_EQ(r[2].verdict, TERN_VERDICT_DROP);
	CHECK_EQ(r[3].verdict, TERN_VERDICT_DROP);
	tern_app_instance_destroy(app);
}

static void
test_fixed_mode(void)
{
	char *kv[] = { "mode=fixed", "size=8" };
	struct tern_app_instance *app = load_responder("fx", 2, kv, 1);
	struct tern_udp_req r[3];
	uint8_t b[3][16];
	int all = 1;

	CHECK(app != NULL);
	if (app == NULL)
		return;
	CHECK(strcmp(app->args, "mode=fixed size=8") == 0);
	memset(b, 0xee, sizeof(b));
	b[0][0] = 'x';
	req_init(&r[0], b[0], 3, 16);	/* grows to 8 bytes of 'x' */
	req_init(&r[1], b[1], 0, 16);	/* empty request: 8 zeros */
	req_init(&r[2], b[2], 2, 4);	/* cap too small: dropped */
	app->desc->udp_burst(app->state, 0, r, 3);
	CHECK_EQ(r[0].verdict, TERN_VERDICT_REPLY);
	CHECK_EQ(r[0].len, 8);
	for (int i = 0; i < 8; i++)
		all &= b[0][i] == 'x' && b[1][i] == 0;
	CHECK(all);
	CHECK_EQ(b[0][8], 0xee);		/* nothing written past size */
	CHECK_EQ(r[1].verdict, TERN_VERDICT_REPLY);
	CHECK_EQ(r[1].len, 8);
	CHECK_EQ(r[2].verdict, TERN_VERDICT_DROP);
	CHECK_EQ(b[2][2], 0xee);		/* nothing written when dropped */
	tern_app_instance_destroy(app);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
test_service_time(void)
{
	char *fixed[] = { "service_ns=200000" };
	char *exp[] = { "service_ns=20000", "dist=exp" };
	struct tern_app_instance *app = load_responder("svc", 1, fixed, 1);
	struct tern_udp_req r[5];
	uint8_t b[5][8];
	double t0, dt;

	CHECK(app != NULL);
	if (app == NULL)
		return;
	for (int i = 0; i < 5; i++)
		req_init(&r[i], b[i], 8, 8);
	t0 = now_s();
	app->desc->udp_burst(app->state, 0, r, 5);
	dt = now_s() - t0;
	CHECK(dt >= 1e-3);	/* 5 x 200 us; a lower bound cannot flake */
	if (dt < 1e-3)
		fprintf(stderr, "  5 requests at 200 us took %.3f ms\n", dt * 1e3);
	CHECK_EQ(r[4].verdict, TERN_VERDICT_REPLY);
	tern_app_instance_destroy(app);

	app = load_responder("svcexp", 2, exp, 1);
	CHECK(app != NULL);
	if (app == NULL)
		return;
	for (int i = 0; i < 5; i++)
		req_init(&r[i], b[i], 8, 8);
	app->desc->udp_burst(app->state, 0, r, 5);
	CHECK_EQ(r[0].verdict, TERN_VERDICT_REPLY);
	tern_app_instance_destroy(app);
}

/* Two instances of one .so are independent: destroying one leaves the other. */
static void
test_two_instances(void)
{
	char *e[] = { "mode=echo" };
	char *f[] = { "mode=fixed", "size=2" };
	struct tern_app_instance *a = load_responder("one", 1, e, 1);
	struct tern_app_instance *b = load_responder("two", 2, f, 1);
	struct tern_udp_req r;
	uint8_t buf[8] = "abcd";

	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL) {
		tern_app_instance_destroy(a);
		tern_app_instance_destroy(b);
		return;
	}
	tern_app_instance_destroy(a);
	req_init(&r, buf, 4, 8);
	b->desc->udp_burst(b->state, 0, &r, 1);
	CHECK_EQ(r.verdict, TERN_VERDICT_REPLY);
	CHECK_EQ(r.len, 2);
	CHECK(memcmp(buf, "aacd", 4) == 0);
	tern_app_instance_destroy(b);
}

/* The stats hook's text for app (the whole line). */
static const char *
stats_text(const struct tern_app_instance *app)
{
	static char buf[256];

	memset(buf, 'X', sizeof(buf));
	app->desc->stats(app->state, buf, sizeof(buf));
	return memchr(buf, '\0', sizeof(buf)) != NULL ? buf : "(not terminated)";
}

static void
check_stats(const struct tern_app_instance *app, const char *want)
{
	const char *got = stats_text(app);

	CHECK(strcmp(got, want) == 0);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "  %s stats: '%s'\n  wanted: '%s'\n", app->name, got, want);
}

/* Counters summed over workers in the stats hook; a short buffer is cut
 * but stays terminated. */
static void
test_stats_hook(void)
{
	char *kv[] = { "mode=sockperf" };
	struct tern_app_instance *app = load_responder("st", 1, kv, 2);
	struct tern_udp_req r[4];
	uint8_t b[4][64];
	char small[16];

	CHECK(app != NULL);
	if (app == NULL)
		return;
	CHECK(app->desc->stats != NULL && app->desc->export_state != NULL &&
	      app->desc->import_state != NULL);
	check_stats(app, "requests=0 replies=0 drop_short=0 drop_bad_length=0 "
		    "drop_not_pong_request=0 drop_too_big=0");
	sockperf_msg(b[0], 0x0003, 40);	/* reply */
	req_init(&r[0], b[0], 40, 64);
	sockperf_msg(b[1], 0x0001, 40);	/* not a pong request */
	req_init(&r[1], b[1], 40, 64);
	sockperf_msg(b[2], 0x0003, 40);	/* short */
	req_init(&r[2], b[2], 13, 64);
	sockperf_msg(b[3], 0x0003, 41);	/* bad length */
	req_init(&r[3], b[3], 40, 64);
	app->desc->udp_burst(app->state, 0, r, 4);
	sockperf_msg(b[0], 0x0003, 40);
	req_init(&r[0], b[0], 40, 64);
	app->desc->udp_burst(app->state, 1, r, 1);	/* the other worker */
	check_stats(app, "requests=5 replies=2 drop_short=1 drop_bad_length=1 "
		    "drop_not_pong_request=1 drop_too_big=0");
	memset(small, 'X', sizeof(small));
	app->desc->stats(app->state, small, 10);
	CHECK(strcmp(small, "requests=") == 0);
	CHECK_EQ(small[10], 'X');	/* nothing written past len */
	tern_app_instance_destroy(app);
}

/* import_state of app with blob; a refusal must say why. */
static int
import_blob(struct tern_app_instance *app, const void *blob, size_t len)
{
	char why[128] = "";
	struct tern_app_import im = {
		.blob = blob, .len = len, .from_path = "old.so", .err = why, .err_len = sizeof(why),
	};
	int ret = app->desc->import_state(app->state, &im);

	if (ret != 0)
		CHECK(why[0] != '\0');
	return ret;
}

/* app replace's hand-off: the successor's counters continue from the
 * predecessor's; a blob of the wrong size, magic or version is refused and
 * changes nothing. */
static void
test_state_handoff(void)
{
	char *sp[] = { "mode=sockperf" };
	char *echo[] = { "mode=echo" };
	struct tern_app_instance *old = load_responder("old", 1, sp, 2);
	struct tern_app_instance *new = load_responder("new", 1, echo, 1);
	struct tern_udp_req r[2];
	uint8_t b[2][64];
	uint8_t *bad = NULL;
	uint32_t word;
	void *blob = NULL;
	size_t len = 0;

	CHECK(old != NULL && new != NULL);
	if (old == NULL || new == NULL)
		goto out;
	sockperf_msg(b[0], 0x0003, 40);	/* reply */
	req_init(&r[0], b[0], 40, 64);
	sockperf_msg(b[1], 0x0003, 40);	/* short */
	req_init(&r[1], b[1], 10, 64);
	old->desc->udp_burst(old->state, 1, r, 2);
	CHECK_EQ(old->desc->export_state(old->state, &blob, &len), 0);
	CHECK(blob != NULL && len > 8);
	if (blob == NULL || len <= 8)
		goto out;

	/* refused: wrong size, wrong magic, wrong version, no blob */
	bad = malloc(len + 1);
	CHECK(bad != NULL);
	if (bad == NULL)
		goto out;
	memcpy(bad, blob, len);
	CHECK_EQ(import_blob(new, bad, len - 1), -EINVAL);
	CHECK_EQ(import_blob(new, bad, len + 1), -EINVAL);
	CHECK_EQ(import_blob(new, NULL, len), -EINVAL);
	bad[0] ^= 0xff;
	CHECK_EQ(import_blob(new, bad, len), -EINVAL);
	memcpy(bad, blob, len);
	memcpy(&word, bad + 4, sizeof(word));
	word++;
	memcpy(bad + 4, &word, sizeof(word));
	CHECK_EQ(import_blob(new, bad, len), -EINVAL);
	check_stats(new, "requests=0 replies=0 drop_short=0 drop_bad_length=0 "
		    "drop_not_pong_request=0 drop_too_big=0");

	/* accepted: the new instance (another mode, fewer workers) continues */
	CHECK_EQ(import_blob(new, blob, len), 0);
	check_stats(new, "requests=2 replies=1 drop_short=1 drop_bad_length=0 "
		    "drop_not_pong_request=0 drop_too_big=0");
	req_init(&r[0], b[0], 5, 64);
	req_init(&r[1], b[1], 5, 64);
	new->desc->udp_burst(new->state, 0, r, 2);
	check_stats(new, "requests=4 replies=3 drop_short=1 drop_bad_length=0 "
		    "drop_not_pong_request=0 drop_too_big=0");
	/* exporting is a snapshot: the old instance still has its own counts */
	check_stats(old, "requests=2 replies=1 drop_short=1 drop_bad_length=0 "
		    "drop_not_pong_request=0 drop_too_big=0");
out:
	free(bad);
	free(blob);
	tern_app_instance_destroy(old);
	tern_app_instance_destroy(new);
}

/* tern_host.later: calls run on the control thread in order, once; the
 * ones still queued run before the instance goes; not from a worker. */
static char later_log[16];

static void
later_note(void *arg)
{
	size_t n = strlen(later_log);

	if (n + 1 < sizeof(later_log))
		later_log[n] = *(const char *)arg;
}

static void
test_later(void)
{
	struct tern_app_instance *app = load_responder("later", 0, NULL, 1);

	CHECK(app != NULL);
	if (app == NULL)
		return;
	later_log[0] = '\0';
	CHECK_EQ(tern_host_ops.later(app, later_note, "a"), 0);
	CHECK_EQ(tern_host_ops.later(app, later_note, "b"), 0);
	CHECK_EQ(later_log[0], '\0'); /* not yet */
	tern_app_run_later(app);
	CHECK(strcmp(later_log, "ab") == 0);
	tern_app_run_later(app);
	CHECK(strcmp(later_log, "ab") == 0);
	CHECK_EQ(tern_host_ops.later(app, later_note, "c"), 0);
	tern_host_set_worker(0);
	CHECK_EQ(tern_host_ops.later(app, later_note, "x"), -EINVAL);
	tern_host_set_worker(TERN_FROM_CONTROL);
	tern_app_instance_destroy(app);
	CHECK(strcmp(later_log, "abc") == 0);
}

int
main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: %s UDP_RESPONDER.so BAD_NOABI.so BAD_ABI.so BAD_INIT.so "
			"HIDDEN_APP.so BAD_SIZE.so BAD_NOINIT.so\n", argv[0]);
		return 2;
	}
	responder_so = argv[1];
	noabi_so = argv[2];
	abi_so = argv[3];
	init_so = argv[4];
	hidden_so = argv[5];
	size_so = argv[6];
	noinit_so = argv[7];
	test_bad_names_and_paths();
	test_not_shared_object();
	test_bad_apps();
	test_bad_kv();
	test_responder_bad_args();
	test_echo();
	test_sockperf_mode();
	test_fixed_mode();
	test_service_time();
	test_two_instances();
	test_stats_hook();
	test_state_handoff();
	test_later();
	return check_done("test_app_loader");
}
