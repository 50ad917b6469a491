/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kv_loopback: the kv store (kv_proto) behind an ordinary UDP socket, one
 * thread, for testing the protocol against memcached without DPDK:
 *
 *   kv_loopback [--addr A] [--port P] [--workers N] [--memory-mb N]
 *               [--max-value N] [--reply-max N] [--version STR]
 *
 * --workers N partitions the keys as ternd with N workers would: each
 * datagram is routed (kv_proto_route) and run on its home partition, so the
 * cross-worker paths (remote reads, refused cross writes) run too, just not
 * concurrently. Replies longer than one datagram go out as several, framed
 * as memcached frames them (kv_reply_dgram). Prints "kv_loopback: ready
 * port P" once it listens; stops on SIGINT/SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "decimal.h"
#include "kv_proto.h"

#define LOOPBACK_REAP_NS 100000000ull /* reaper period: 100 ms */
#define LOOPBACK_REAP_SCAN 4096u

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct opts {
	const char *addr;
	unsigned port;
	unsigned workers;
	struct kv_config cfg;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "memory-mb", required_argument, NULL, 'M' },
		{ "max-value", required_argument, NULL, 'm' },
		{ "reply-max", required_argument, NULL, 'r' },
		{ "version", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int ch;

	*o = (struct opts){ .addr = "127.0.0.1", .port = 11211, .workers = 1,
		.cfg = { .mem_bytes = 64ull << 20, .max_value = KV_VALUE_LIMIT,
			 .reply_max = KV_VALUE_LIMIT + 65536, .version = "1.6.18" } };
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': o->addr = optarg; break;
		case 'p':
			if (tern_dec_parse(optarg, 1, 65535, &v) < 0)
				return -1;
			o->port = (unsigned)v;
			break;
		case 'w':
			if (tern_dec_parse(optarg, 1, 64, &v) < 0)
				return -1;
			o->workers = (unsigned)v;
			break;
		case 'M':
			if (tern_dec_parse(optarg, 1, 1u << 20, &v) < 0)
				return -1;
			o->cfg.mem_bytes = v << 20;
			break;
		case 'm':
			if (tern_dec_parse(optarg, 1, UINT32_MAX, &v) < 0)
				return -1;
			o->cfg.max_value = (uint32_t)v;
			break;
		case 'r':
			if (tern_dec_parse(optarg, 1, UINT32_MAX, &v) < 0)
				return -1;
			o->cfg.reply_max = (uint32_t)v;
			break;
		case 'v': o->cfg.version = optarg; break;
		default: return -1;
		}
	}
	return 0;
}

static int
open_socket(const struct opts *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || inet_pton(AF_INET, o->addr, &sa.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("kv_loopback: socket");
		return -1;
	}
	return fd;
}

/* The reply in out (len bytes), one datagram after the other. */
static void
send_all(int fd, uint8_t *out, size_t len, const struct sockaddr_in *to)
{
	unsigned n = kv_reply_dgrams(len);

	for (unsigned i = 0; i < n; i++) {
		size_t dlen;
		uint8_t *d = kv_reply_dgram(out, len, i, &dlen);

		sendto(fd, d, dlen, 0, (const struct sockaddr *)to, sizeof(*to));
	}
}

/* One datagram: route it, run it on its home partition, answer. */
static void
serve_one(struct kv_store *s, int fd, const uint8_t *in, size_t n,
	  const struct sockaddr_in *from)
{
	static uint8_t small[256];
	struct kv_route rt;
	size_t len = 0;

	kv_proto_route(s, 0, in, n, &rt);
	if (rt.drop) {
		kv_proto_run(s, 0, clock_ns(CLOCK_MONOTONIC), in, n, kv_store_reply_buf(s, 0),
			     s->reply_cap, &len);
		return; /* counts the drop */
	}
	if (rt.cross) {
		len = kv_proto_cross_reply(s, 0, in, small, sizeof(small));
		if (len != 0)
			sendto(fd, small, len, 0, (const struct sockaddr *)from, sizeof(*from));
		return;
	}
	if (kv_proto_run(s, rt.home, clock_ns(CLOCK_MONOTONIC), in, n,
			 kv_store_reply_buf(s, rt.home), s->reply_cap, &len) == KV_ANSWER_REPLY)
		send_all(fd, kv_store_reply_buf(s, rt.home), len, from);
}

static void
serve(struct kv_store *s, int fd)
{
	static uint8_t in[65536];
	uint64_t next_reap = clock_ns(CLOCK_MONOTONIC) + LOOPBACK_REAP_NS;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (!stop) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		ssize_t n;

		if (now >= next_reap) {
			for (unsigned w = 0; w < s->n_parts; w++)
				kv_proto_tick(s, w, now, LOOPBACK_REAP_SCAN);
			next_reap = now + LOOPBACK_REAP_NS;
		}
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		if (n >= 0)
			serve_one(s, fd, in, (size_t)n, &from);
	}
}

int
main(int argc, char **argv)
{
	struct kv_store s;
	struct opts o;
	int fd, ret;

	if (parse_opts(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: kv_loopback [--addr A] [--port P] [--workers N] "
			"[--memory-mb N] [--max-value N] [--reply-max N] [--version STR]\n");
		return 2;
	}
	ret = kv_store_init(&s, &o.cfg, o.workers,
			    (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC)));
	if (ret != 0) {
		fprintf(stderr, "kv_loopback: store: %s\n", strerror(-ret));
		return 1;
	}
	fd = open_socket(&o);
	if (fd < 0)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("kv_loopback: ready port %u\n", o.port);
	fflush(stdout);
	serve(&s, fd);
	close(fd);
	kv_store_fini(&s);
	return 0;
}
