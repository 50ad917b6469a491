/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ternd: the tern engine. `ternd [EAL options] -- [options]`.
 *
 * Start-up order: tern's own options are checked before EAL starts; then the
 * engine is set up (ports configured, nothing running), --ip addresses added,
 * the --exec file run, and only then the ports started and the workers
 * launched. Any failure before that prints one line and exits 1 with
 * everything torn down. Signals (taken by the main thread only: EAL's
 * threads start with them blocked): SIGINT, SIGTERM and SIGHUP stop the
 * workers, print the counters and exit 0, also during start-up (then before
 * any worker started); SIGUSR1 prints the counters; SIGPIPE is ignored.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>

#include "addr_table.h"
#include "command.h"
#include "control_proto.h"
#include "control_socket.h"
#include "decimal.h"
#include "app_log.h"
#include "engine.h"
#include "engine_addrs.h"
#include "engine_limits.h"
#include "idle.h"
#include "rss.h"
#include "metrics_http.h"
#include "telemetry.h"

#define MAX_IPS TERN_MAX_ADDRS
#define CONTROL_TICK_MS 100
#define MBUFS_MIN 64
#define MBUFS_MAX (1u << 24)

#ifndef TERN_APP_DIR
#define TERN_APP_DIR "/usr/local/lib/tern/apps"
#endif

struct ternd_opts {
	struct tern_engine_conf conf;
	const char *exec;
	const char *control;     /**< socket path; NULL = default, "none" = no socket */
	gid_t control_gid;       /**< (gid_t)-1 = owner only */
	unsigned control_idle_s; /**< idle clients are closed after this */
	const char *metrics;     /**< --metrics ADDR:PORT, or NULL */
	unsigned n_ips;
	struct tern_addr ips[MAX_IPS];
};

static volatile sig_atomic_t quit_signal;        /**< the stop signal, 0 = run on */
static volatile sig_atomic_t counters_requested; /**< SIGUSR1: print counters */

/* Only flags: the control loop (or start-up, between steps) acts on them. */
static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		counters_requested = 1;
	else
		quit_signal = sig;
}

static const int handled_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };

/* Block the handled signals in this thread, so the threads EAL creates
 * inherit the mask and leave them to the main thread. */
static void
signals_block(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++)
		sigaddset(set, handled_signals[i]);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* Install the handlers (the signals stay blocked until signals_take). A stop
 * signal has no SA_RESTART: a blocking read at start-up (an --exec pipe)
 * returns, so the stop is seen at once (a call it fails does not matter: ternd
 * stops). SIGUSR1 restarts what it interrupts: it must not fail a command. */
static void
signals_install(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++) {
		sa.sa_flags = handled_signals[i] == SIGUSR1 ? SA_RESTART : 0;
		sigaction(handled_signals[i], &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN); /* a closed stdout pipe is a write error, not death */
}

/* Take the signals in this (the main) thread. After the engine's set-up, so
 * that threads a driver creates there inherit them blocked too. */
static void
signals_take(const sigset_t *set)
{
	pthread_sigmask(SIG_UNBLOCK, set, NULL);
}

/* tern's own options, one line each (ternd -- --help, and after EAL's
 * options in ternd --help). */
static void
usage(FILE *f)
{
	fprintf(f,
		"usage: ternd [EAL options] -- [options]\n"
		"tern's options (after '--'):\n"
		"  --ip ADDR/PREFIX[@PORT]  an address of tern (IPv4 or IPv6) on DPDK port PORT (default 0); repeatable\n"
		"  --exec FILE              run the commands in FILE at start-up (one per line)\n"
		"  --burst N                RX burst size, 1-%u (default %u)\n"
		"  --rss MODE               symmetric (default), default (the device's key) or off\n"
		"  --idle POLICY            busy (default) or adaptive[:poll_us=N,sleep_min_us=N,sleep_max_us=N]\n"
		"  --steer MODE             auto (default: spread a port over all workers by flow hash) or off\n"
		"  --mbufs N                mbufs in the pool, %u-%u (default: enough for every ring full)\n"
		"  --control PATH           control socket (default %s/<file-prefix>.sock; 'none': no socket)\n"
		"  --control-group GROUP    let GROUP use the control socket (mode 0660, not 0600)\n"
		"  --control-timeout S      close a control client idle for S seconds, 1-%u (default %u)\n"
		"  --metrics ADDR:PORT      serve 'show metrics' over HTTP at /metrics (e.g. 127.0.0.1:9469)%s\n"
		"  --app-dir DIR            load apps only from DIR (default %s)\n"
		"  --allow-any-app-path     load apps from any path\n"
		"  --help                   this text ('ternd --help' adds EAL's options)\n"
		"example: ternd -l 0,1 --no-pci --vdev net_af_xdp0,iface=veth0 -- \\\n"
		"           --ip 198.18.0.1/24 --exec start.cmds\n",
		TERN_BURST_MAX, TERN_BURST_DEFAULT, MBUFS_MIN, MBUFS_MAX, TERN_CTL_DIR,
		TERN_CTL_IDLE_MAX_S, TERN_CTL_IDLE_DEFAULT_S,
		tern_metrics_http_available() ? "" : "; not in this build (no libmicrohttpd)",
		TERN_APP_DIR);
}

/* EAL prints its usage (ternd --help, or a bad EAL option), then this. */
static void
eal_usage_hook(const char *prgname)
{
	(void)prgname;
	usage(stdout);
}

static int
parse_group(const char *name, gid_t *gid, struct tern_err *err)
{
	struct group *g = getgrnam(name);
	uint64_t v;

	if (g != NULL) {
		*gid = g->gr_gid;
		return 0;
	}
	if (tern_dec_parse(name, 0, UINT_MAX - 1, &v) == 0) {
		*gid = (gid_t)v;
		return 0;
	}
	return tern_err_set(err, EINVAL, "unknown group '%s' for --control-group", name);
}

static int
parse_opt(int opt, struct ternd_opts *o, struct tern_err *err)
{
	uint64_t v;

	switch (opt) {
	case 'i':
		if (o->n_ips == MAX_IPS)
			return tern_err_set(err, ENOSPC, "too many --ip (max %d)", MAX_IPS);
		return tern_addr_parse(optarg, &o->ips[o->n_ips++], err);
	case 'e':
		o->exec = optarg;
		return 0;
	case 'b':
		if (tern_dec_parse(optarg, 1, TERN_BURST_MAX, &v) < 0)
			return tern_err_set(err, EINVAL, "bad --burst '%s' (expected 1-%u)",
					    optarg, TERN_BURST_MAX);
		o->conf.burst = (uint16_t)v;
		return 0;
	case 'r':
		if (tern_rss_mode_parse(optarg, &o->conf.rss) < 0)
			return tern_err_set(err, EINVAL, "bad --rss '%s' (expected symmetric, "
					    "default or off)", optarg);
		return 0;
	case 'I':
		return tern_idle_parse(optarg, &o->conf.idle, err);
	case 's':
		if (tern_steer_mode_parse(optarg, &o->conf.steer) < 0)
			return tern_err_set(err, EINVAL, "bad --steer '%s' (expected auto or off)",
					    optarg);
		return 0;
	case 'm':
		if (tern_dec_parse(optarg, MBUFS_MIN, MBUFS_MAX, &v) < 0)
			return tern_err_set(err, EINVAL, "bad --mbufs '%s' (expected %u-%u)",
					    optarg, MBUFS_MIN, MBUFS_MAX);
		o->conf.n_mbufs = (unsigned)v;
		return 0;
	case 'c':
		o->control = optarg;
		return 0;
	case 'g':
		return parse_group(optarg, &o->control_gid, err);
	case 'T':
		if (tern_dec_parse(optarg, 1, TERN_CTL_IDLE_MAX_S, &v) < 0)
			return tern_err_set(err, EINVAL, "bad --control-timeout '%s' (expected "
					    "1-%u seconds)", optarg, TERN_CTL_IDLE_MAX_S);
		o->control_idle_s = (unsigned)v;
		return 0;
	case 'M':
		o->metrics = optarg;
		return 0;
	case 'a':
		o->conf.app_dir = optarg;
		return 0;
	case 'A':
		o->conf.restrict_app_dir = false;
		return 0;
	default:
		return tern_err_set(err, EINVAL, "unknown option '%s' (see ternd -- --help)",
				    optarg != NULL ? optarg : "?");
	}
}

/* Parse tern's options (argv[0] is the program name). 1 means --help. */
static int
parse_args(int argc, char **argv, struct ternd_opts *o, struct tern_err *err)
{
	static const struct option longopts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "exec", required_argument, NULL, 'e' },
		{ "burst", required_argument, NULL, 'b' },
		{ "rss", required_argument, NULL, 'r' },
		{ "idle", required_argument, NULL, 'I' },
		{ "steer", required_argument, NULL, 's' },
		{ "mbufs", required_argument, NULL, 'm' },
		{ "control", required_argument, NULL, 'c' },
		{ "control-group", required_argument, NULL, 'g' },
		{ "control-timeout", required_argument, NULL, 'T' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "app-dir", required_argument, NULL, 'a' },
		{ "allow-any-app-path", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (opt == 'h')
			return 1;
		if (opt == ':')
			return tern_err_set(err, EINVAL, "option '%s' needs a value",
					    argv[optind - 1]);
		if (opt == '?')
			return tern_err_set(err, EINVAL, "unknown option '%s' (see ternd -- --help)",
					    argv[optind - 1]);
		ret = parse_opt(opt, o, err);
		if (ret < 0)
			return ret;
	}
	if (optind < argc)
		return tern_err_set(err, EINVAL, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Split argv at "--": EAL gets what is before, tern what is after. */
static int
split_args(int argc, char **argv, int *eal_argc, char ***tern_argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			*eal_argc = i;
			argv[i] = argv[0]; /* tern's argv[0] */
			*tern_argv = &argv[i];
			return argc - i;
		}
	}
	*eal_argc = argc;
	*tern_argv = argv;
	return 1;
}

static int
configure(struct tern_engine *e, const struct ternd_opts *o, struct tern_err *err)
{
	int ret;

	for (unsigned i = 0; i < o->n_ips; i++) {
		ret = tern_engine_ip_add(e, &o->ips[i], err);
		if (ret < 0)
			return ret;
	}
	if (o->exec != NULL)
		return tern_cmd_exec_file(e, o->exec, stdout, &quit_signal, err);
	return 0;
}

/* The DPDK file prefix: the last component of EAL's runtime directory. */
static void
control_path(const struct ternd_opts *o, char *buf, size_t len)
{
	char dir[PATH_MAX];

	if (o->control != NULL) {
		snprintf(buf, len, "%s", o->control);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	tern_ctl_default_path(basename(dir), buf, len);
}

/* Open the control socket unless --control none; 0 or -errno. */
static int
control_open(const struct ternd_opts *o, struct tern_ctl_server **out, struct tern_err *err)
{
	char path[PATH_MAX];

	*out = NULL;
	if (o->control != NULL && strcmp(o->control, "none") == 0)
		return 0;
	control_path(o, path, sizeof(path));
	*out = tern_ctl_open(path, o->control_gid, o->control_idle_s, err);
	if (*out == NULL)
		return -errno;
	printf("control socket: %s (ternctl -s %s ...)\n", path, path);
	return 0;
}

/* Serve show metrics over HTTP with --metrics; the control socket's poll
 * wakes for it too. 0 or -errno. */
static int
metrics_open(const struct ternd_opts *o, const struct tern_engine *e,
	     struct tern_ctl_server *ctl, struct tern_metrics_http **out, struct tern_err *err)
{
	*out = NULL;
	if (o->metrics == NULL)
		return 0;
	*out = tern_metrics_http_open(o->metrics, e, err);
	if (*out == NULL)
		return -errno;
	if (ctl != NULL)
		tern_ctl_wake_on(ctl, tern_metrics_http_fd(*out));
	printf("metrics: http://%s/metrics\n", o->metrics);
	return 0;
}

/* One control tick's wait: on the control socket (and the metrics server's
 * descriptor through it), on the metrics server alone, or a sleep. Then
 * the metrics server answers what is ready. */
static void
control_wait(struct tern_ctl_server *ctl, struct tern_metrics_http *http, struct tern_engine *e)
{
	if (ctl != NULL) {
		tern_ctl_poll(ctl, e, CONTROL_TICK_MS);
	} else if (http != NULL) {
		struct pollfd pfd = { .fd = tern_metrics_http_fd(http), .events = POLLIN };

		poll(&pfd, 1, CONTROL_TICK_MS);
	} else {
		usleep(CONTROL_TICK_MS * 1000);
	}
	if (http != NULL)
		tern_metrics_http_run(http); /* also every tick: its timeouts */
}

/* Multi-process capture (dpdk-dumpcap); not fatal without it. */
static bool
capture_init(void)
{
	if (rte_pdump_init() == 0)
		return true;
	printf("ternd: note: packet capture (dpdk-dumpcap) unavailable: %s\n",
	       rte_strerror(rte_errno));
	return false;
}

static void
print_show(struct tern_engine *e, const char *cmd)
{
	struct tern_out out;
	struct tern_err err;

	tern_out_init(&out);
	if (tern_cmd_exec(e, cmd, &out, &err) == 0 && out.buf != NULL)
		fputs(out.buf, stdout);
	tern_out_free(&out);
}

static void
print_ports(const struct tern_engine *e)
{
	for (uint16_t pid = 0; pid < TERN_MAX_PORTS; pid++)
		if (e->ports[pid].nb_queues != 0)
			tern_port_print(&e->ports[pid], e->worker_lcore, stdout);
	bool steered = false;

	for (uint16_t pid = 0; pid < TERN_MAX_PORTS; pid++)
		steered |= e->steered[pid];
	for (unsigned w = 0; w < e->n_workers; w++)
		if (e->workers != NULL && tern_engine_worker_queues(e, w) == 0)
			printf("worker %u (lcore %u) has no RX queue of its own: %s\n", w,
			       e->worker_lcore[w], steered ?
			       "it serves steered frames, timers and messages" :
			       "it gets no packets (--steer off), only timers and messages");
	printf("idle policy: %s\n", tern_idle_mode_name(e->conf.idle.mode));
}

/*
 * The mbuf check, once the ports are closed: in_use and the baseline are
 * counted with the ports running (the drivers' RX rings in both), after_close
 * once they closed. Some drivers free sent mbufs only when their TX ring
 * wraps (virtio), others keep their RX buffers past close (AF_XDP's umem):
 * tern's own leak is in both differences, so the smaller is reported.
 */
static void
print_mbuf_check(const struct tern_engine *e, unsigned in_use)
{
	int held = (int)in_use - (int)e->mbufs_baseline;
	int leaked = held <= 0 ? held : RTE_MIN(held, (int)e->mbufs_after_close);

	printf("mbufs: in_use=%u baseline=%u after_close=%u leaked=%d\n", in_use,
	       e->mbufs_baseline, e->mbufs_after_close, leaked);
}

/* Tear down what start-up built. */
static void
teardown(struct tern_engine *e, bool engine_up, bool capture)
{
	if (engine_up) {
		tern_telemetry_unregister(); /* no callback may still read e */
		tern_engine_close(e);
	}
	if (capture)
		rte_pdump_uninit();
	rte_eal_cleanup();
}

static int
fail(struct tern_engine *e, bool engine_up, bool capture, const struct tern_err *err)
{
	fprintf(stderr, "ternd: error: %s\n", err->msg);
	teardown(e, engine_up, capture);
	return EXIT_FAILURE;
}

/* A stop signal before the workers started: the clean stop, nothing to count. */
static int
stopped_early(struct tern_engine *e, bool engine_up, bool capture)
{
	printf("ternd: %s during start-up, stopping (no worker was started)\n",
	       strsignal(quit_signal));
	fflush(stdout);
	teardown(e, engine_up, capture);
	return EXIT_SUCCESS;
}

/* SIGUSR1: the counters, as at exit, while serving. */
static void
print_counters(struct tern_engine *e)
{
	printf("ternd: %s: counters\n", strsignal(SIGUSR1));
	print_show(e, "show stats");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static struct tern_engine engine;
	struct ternd_opts opts = {
		.conf = {
			.burst = TERN_BURST_DEFAULT,
			.app_dir = TERN_APP_DIR,
			.restrict_app_dir = true,
		},
		.control_gid = (gid_t)-1,
		.control_idle_s = TERN_CTL_IDLE_DEFAULT_S,
	};
	struct tern_err err = { "" };
	struct tern_ctl_server *ctl = NULL;
	struct tern_metrics_http *http = NULL;
	int eal_argc, tern_argc, ret;
	char **tern_argv;
	unsigned in_use;
	sigset_t sigs;
	bool capture;

	/* Memory the control thread frees stays with the process: giving it
	 * back (trimming the heap, unmapping a large block) makes the kernel
	 * interrupt the worker cores to flush their TLBs, which shows in their
	 * tail latency (app replace frees tables and app state). */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	tern_idle_conf_default(&opts.conf.idle, TERN_IDLE_BUSY);
	tern_argc = split_args(argc, argv, &eal_argc, &tern_argv);
	ret = parse_args(tern_argc, tern_argv, &opts, &err);
	if (ret == 1) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (ret < 0) {
		fprintf(stderr, "ternd: error: %s\n", err.msg);
		return EXIT_FAILURE;
	}
	rte_set_application_usage_hook(eal_usage_hook);
	signals_block(&sigs);
	if (rte_eal_init(eal_argc, argv) < 0) {
		fprintf(stderr, "ternd: error: EAL initialisation failed%s%s "
			"(check the EAL options before '--', and that no other DPDK "
			"process uses the same --file-prefix)\n",
			rte_errno != 0 ? ": " : "", rte_errno != 0 ? rte_strerror(rte_errno) : "");
		return EXIT_FAILURE;
	}
	signals_install();
	capture = capture_init();

	ret = tern_engine_init(&engine, &opts.conf, &err);
	signals_take(&sigs); /* one that came in the meantime is taken now */
	if (quit_signal != 0)
		return stopped_early(&engine, ret == 0, capture);
	if (ret < 0)
		return fail(&engine, false, capture, &err);
	ret = tern_telemetry_register(&engine, &err);
	if (ret == 0)
		ret = configure(&engine, &opts, &err);
	if (ret == 0 && quit_signal == 0)
		ret = control_open(&opts, &ctl, &err);
	if (ret == 0 && quit_signal == 0)
		ret = metrics_open(&opts, &engine, ctl, &http, &err);
	if (quit_signal != 0) {
		tern_metrics_http_close(http);
		tern_ctl_close(ctl);
		return stopped_early(&engine, true, capture);
	}
	if (ret == 0)
		ret = tern_engine_start(&engine, &err);
	if (ret < 0) {
		tern_metrics_http_close(http);
		tern_ctl_close(ctl);
		return fail(&engine, true, capture, &err);
	}

	print_ports(&engine);
	printf("ternd: ready (%u worker%s); SIGINT, SIGTERM or SIGHUP stops, SIGUSR1 prints "
	       "the counters\n", engine.n_workers, engine.n_workers == 1 ? "" : "s");
	fflush(stdout);
	while (quit_signal == 0) {
		uint16_t pid;

		control_wait(ctl, http, &engine);
		TERN_ENGINE_FOREACH_PORT(&engine, pid) {
			tern_port_watch_link(&engine.ports[pid], stdout);
			tern_kernel_drops_poll(&engine.ports[pid].kdrops);
		}
		tern_engine_watch_pool(&engine, stdout);
		tern_engine_canary_tick(&engine, stdout);
		tern_engine_apps_tick(&engine);
		tern_engine_log_drain(&engine, stdout);
		tern_engine_droplog_drain(&engine, stdout);
		if (counters_requested != 0) {
			counters_requested = 0;
			print_counters(&engine);
		}
	}

	printf("ternd: %s, stopping\n", strsignal(quit_signal));
	tern_metrics_http_close(http);
	tern_ctl_close(ctl);
	tern_engine_stop(&engine);
	tern_engine_log_drain(&engine, stdout);
	tern_engine_droplog_drain(&engine, stdout);
	print_show(&engine, "show stats");
	in_use = tern_engine_mbufs_in_use(&engine);
	tern_telemetry_unregister();
	tern_engine_close(&engine);
	print_mbuf_check(&engine, in_use);
	fflush(stdout);
	if (capture)
		rte_pdump_uninit();
	rte_eal_cleanup();
	return EXIT_SUCCESS;
}
