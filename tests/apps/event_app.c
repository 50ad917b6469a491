/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * event_app: a small app for the integration tests of timers, messages
 * and HANDOFF. It uses only <tern/app.h> (no DPDK), like an out-of-tree app.
 *
 * Argument (optional):
 *   tick_ms=N    (1..60000) at init, one periodic timer per worker, armed
 *                for that worker every N ms (host->timer_arm(t, w, N ms,
 *                N ms)); each expiry counts a tick for the worker it fires
 *                on, and tick_wrong_worker if host->worker_id() says the
 *                callback runs on another worker than the one armed.
 *
 * Messages (on_message): each worker counts the messages it gets and keeps
 * the text of the last one; with log=1 it also logs each one from the
 * worker (host->log: "message 'TEXT' on worker W").
 *
 * Requests: the UDP payload is a text command (a trailing "\r\n" or "\n" is
 * ignored); the reply replaces the payload (cut to the request's cap).
 *   ticks          "ticks T0 T1 ..."  ticks counted so far on each worker
 *   msg            "msg COUNT LAST"   messages the answering worker got and
 *                                     the last one's text ("-" if none)
 *   where          "worker W"         the answering worker
 *   handoff N      verdict HANDOFF to worker N (N is passed as given, so a
 *                  test can see the engine refuse a bad one); the worker
 *                  that receives it (TERN_REQ_F_HANDED_OFF set) replies
 *                  "handed W" with its own index
 *   post N TEXT    host->post(self, N, tag 1, TEXT, strlen(TEXT)), replies
 *                  "posted RC" (0, or the negative errno: -105 ENOBUFS, -22
 *                  EINVAL for a bad worker or TEXT over 48 bytes)
 *   badverdict     sets the verdict to 200, which no engine knows (the
 *                  engine must drop it and count drop_bad_verdict)
 *   hugereply      a reply longer than the request's buffer (len > cap:
 *                  drop_bad_verdict)
 *   consume free   verdict CONSUMED, and the frame goes back through
 *                  host->frame_free
 *   consume send   verdict CONSUMED, and the frame, unchanged, goes out
 *                  through host->frame_send (freed if that fails)
 *   anything else  echoed unchanged ("handoff x" or "post x" with a bad
 *                  number reply "error: ...")
 *
 * show apps (stats hook): "ticks=T msgs=M handoffs=H handed=D posts=P
 * post_fail=F tick_wrong_worker=X ticks_w0=.. ticks_w1=.." (sums, then the
 * ticks of each worker). fini frees the timers with host->timer_free and
 * prints the totals on stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/app.h>

#define EV_CACHE_LINE 64
#define EV_TICK_MS_MAX 60000u
#define EV_CMD_MAX 256        /* longest command read from a payload */
#define EV_REPLY_MAX 2048     /* longest reply built (then cut to cap) */

/** One worker's counters, on its own cache lines; written by that worker. */
struct ev_worker {
	uint64_t ticks;
	uint64_t tick_wrong_worker;
	uint64_t msgs;
	uint64_t handoffs;          /**< requests this worker handed off */
	uint64_t handed;            /**< handed-off requests this worker answered */
	uint64_t posts;             /**< posts accepted */
	uint64_t post_fail;         /**< posts refused */
	char last[TERN_MSG_MAX + 1];/**< last message's text, NUL-terminated */
	unsigned idx;
	struct event_app *app;
	struct tern_timer *timer;   /**< tick timer, or NULL */
} __attribute__((aligned(EV_CACHE_LINE)));

struct event_app {
	const struct tern_host *host;
	void *self;
	unsigned n_workers;
	unsigned tick_ms;           /**< 0: no timers */
	bool log;                   /**< log=1: log each message (host->log) */
	struct ev_worker *workers;
};

/** The counters summed over workers (relaxed loads: a snapshot). */
struct ev_sum {
	uint64_t ticks, tick_wrong_worker, msgs, handoffs, handed, posts, post_fail;
};

/* Single writer per counter; readers on other threads use relaxed loads. */
static inline void
count(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

static inline uint64_t
get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* A decimal number from s up to end (or the first space); -1 if none. */
static long
parse_num(const char *s, const char **end)
{
	char *e;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno != 0 || v > UINT16_MAX || (*e != '\0' && *e != ' '))
		return -1;
	if (end != NULL)
		*end = e;
	return (long)v;
}

static void
on_tick(struct tern_timer *t, void *arg)
{
	struct ev_worker *w = arg;

	(void)t;
	count(&w->ticks);
	if (w->app->host->worker_id() != w->idx)
		count(&w->tick_wrong_worker);
}

static void
free_timers(struct event_app *a)
{
	for (unsigned i = 0; i < a->n_workers; i++) {
		if (a->workers[i].timer != NULL)
			a->host->timer_free(a->workers[i].timer);
		a->workers[i].timer = NULL;
	}
}

/* One periodic tick timer per worker, armed for that worker. */
static int
start_timers(const struct tern_app_init *ia, struct event_app *a)
{
	uint64_t ns = (uint64_t)a->tick_ms * 1000000u;
	struct ev_worker *w;
	int ret;

	for (unsigned i = 0; i < a->n_workers; i++) {
		w = &a->workers[i];
		w->timer = a->host->timer_new(a->self, on_tick, w);
		if (w->timer == NULL)
			return tern_app_fail(ia, errno != 0 ? errno : ENOMEM,
				    "cannot create the tick timer of worker %u: %s", i,
				    strerror(errno));
		ret = a->host->timer_arm(w->timer, i, ns, ns);
		if (ret < 0)
			return tern_app_fail(ia, -ret, "cannot arm the tick timer of worker %u: %s", i,
				    strerror(-ret));
	}
	return 0;
}

static int
parse_args(const struct tern_app_init *ia, struct event_app *a)
{
	uint64_t v;
	int ret;

	static const char *const keys[] = { "tick_ms", "log", NULL };

	ret = tern_app_args_known(ia, keys);
	if (ret == 0)
		ret = tern_app_arg_u64(ia, "tick_ms", 1, EV_TICK_MS_MAX, 0, &v);
	if (ret == 0)
		a->tick_ms = (unsigned)v;
	if (ret == 0)
		ret = tern_app_arg_u64(ia, "log", 0, 1, 0, &v);
	if (ret == 0)
		a->log = v != 0;
	return ret;
}

static void
event_free(struct event_app *a)
{
	free_timers(a);
	free(a->workers);
	free(a);
}

static int
event_init(const struct tern_app_init *ia, void **state)
{
	struct event_app *a;
	size_t sz;
	int ret;

	if (ia->n_workers == 0)
		return tern_app_fail(ia, EINVAL, "needs at least one worker");
	if (ia->host == NULL || ia->host->size < sizeof(struct tern_host))
		return tern_app_fail(ia, EINVAL, "needs the ABI 3 host services (timers, post)");
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return tern_app_fail(ia, ENOMEM, "out of memory");
	sz = sizeof(*a->workers) * ia->n_workers;
	a->workers = aligned_alloc(EV_CACHE_LINE, sz);
	if (a->workers == NULL) {
		free(a);
		return tern_app_fail(ia, ENOMEM, "out of memory");
	}
	memset(a->workers, 0, sz);
	a->host = ia->host;
	a->self = ia->self;
	a->n_workers = ia->n_workers;
	for (unsigned i = 0; i < a->n_workers; i++) {
		a->workers[i].idx = i;
		a->workers[i].app = a;
	}
	ret = parse_args(ia, a);
	if (ret == 0 && a->tick_ms != 0)
		ret = start_timers(ia, a);
	if (ret != 0) {
		event_free(a);
		return ret;
	}
	*state = a;
	return 0;
}

static void
event_sum(const struct event_app *a, struct ev_sum *s)
{
	const struct ev_worker *w;

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < a->n_workers; i++) {
		w = &a->workers[i];
		s->ticks += get(&w->ticks);
		s->tick_wrong_worker += get(&w->tick_wrong_worker);
		s->msgs += get(&w->msgs);
		s->handoffs += get(&w->handoffs);
		s->handed += get(&w->handed);
		s->posts += get(&w->posts);
		s->post_fail += get(&w->post_fail);
	}
}

static void
event_fini(void *state)
{
	struct event_app *a = state;
	struct ev_sum s;

	event_sum(a, &s);
	fprintf(stderr, "event_app: %" PRIu64 " ticks, %" PRIu64 " messages, %" PRIu64
		" handoffs, %" PRIu64 " handed\n", s.ticks, s.msgs, s.handoffs, s.handed);
	event_free(a);
}

static void
event_stats(void *state, char *buf, size_t len)
{
	const struct event_app *a = state;
	struct ev_sum s;

	if (len == 0)
		return;
	event_sum(a, &s);
	buf[0] = '\0';
	tern_app_text_append(buf, len, "ticks=%" PRIu64 " msgs=%" PRIu64 " handoffs=%" PRIu64
		   " handed=%" PRIu64 " posts=%" PRIu64 " post_fail=%" PRIu64
		   " tick_wrong_worker=%" PRIu64, s.ticks, s.msgs, s.handoffs, s.handed,
		   s.posts, s.post_fail, s.tick_wrong_worker);
	for (unsigned i = 0; i < a->n_workers; i++)
		tern_app_text_append(buf, len, " ticks_w%u=%" PRIu64, i, get(&a->workers[i].ticks));
}

/* A message for this app on worker: count it, keep its text. */
static void
event_message(void *state, unsigned worker, const struct tern_msg *m)
{
	struct event_app *a = state;
	struct ev_worker *w;
	uint16_t len;

	if (worker >= a->n_workers)
		return;
	w = &a->workers[worker];
	len = m->len < TERN_MSG_MAX ? m->len : TERN_MSG_MAX;
	memcpy(w->last, m->data, len);
	w->last[len] = '\0';
	count(&w->msgs);
	if (a->log)
		a->host->log(a->self, "message '%s' on worker %u", w->last, worker);
}

/* ---- requests ---------------------------------------------------------- */

/* Replace the payload with text (cut to cap) and answer. */
static void
reply(struct tern_udp_req *r, const char *text)
{
	size_t n = strlen(text);

	if (n > r->cap)
		n = r->cap;
	memcpy(r->payload, text, n);
	r->len = (uint16_t)n;
	r->verdict = TERN_VERDICT_REPLY;
}

static void
cmd_ticks(const struct event_app *a, char *out, size_t len)
{
	snprintf(out, len, "ticks");
	for (unsigned i = 0; i < a->n_workers; i++)
		tern_app_text_append(out, len, " %" PRIu64, get(&a->workers[i].ticks));
}

static void
cmd_handoff(struct ev_worker *w, struct tern_udp_req *r, const char *arg, char *out,
	    size_t len)
{
	long to = parse_num(arg, NULL);

	if (r->flags & TERN_REQ_F_HANDED_OFF) {
		count(&w->handed);
		snprintf(out, len, "handed %u", w->idx);
		reply(r, out);
		return;
	}
	if (to < 0) {
		reply(r, "error: handoff needs a worker number");
		return;
	}
	count(&w->handoffs);
	r->to_worker = (uint16_t)to;
	r->verdict = TERN_VERDICT_HANDOFF;
}

static void
cmd_post(struct event_app *a, struct ev_worker *w, struct tern_udp_req *r, const char *arg,
	 char *out, size_t len)
{
	const char *text;
	long to = parse_num(arg, &text);
	int rc;

	if (to < 0) {
		reply(r, "error: post needs a worker number");
		return;
	}
	if (*text == ' ')
		text++;
	rc = a->host->post(a->self, (unsigned)to, 1, text, (uint16_t)strnlen(text, UINT16_MAX));
	count(rc == 0 ? &w->posts : &w->post_fail);
	snprintf(out, len, "posted %d", rc);
	reply(r, out);
}

/* The payload as a C string without its line ending; false if too long. */
static int
read_command(const struct tern_udp_req *r, char *cmd, size_t len)
{
	size_t n = r->len;

	if (n >= len)
		return 0;
	memcpy(cmd, r->payload, n);
	while (n > 0 && (cmd[n - 1] == '\n' || cmd[n - 1] == '\r'))
		n--;
	cmd[n] = '\0';
	return 1;
}

static void
answer(struct event_app *a, struct ev_worker *w, struct tern_udp_req *r)
{
	char cmd[EV_CMD_MAX];
	char out[EV_REPLY_MAX];

	r->verdict = TERN_VERDICT_REPLY;	/* echo unless a command says otherwise */
	if (!read_command(r, cmd, sizeof(cmd)))
		return;
	if (strcmp(cmd, "ticks") == 0) {
		cmd_ticks(a, out, sizeof(out));
		reply(r, out);
	} else if (strcmp(cmd, "msg") == 0) {
		snprintf(out, sizeof(out), "msg %" PRIu64 " %s", w->msgs,
			 w->last[0] != '\0' ? w->last : "-");
		reply(r, out);
	} else if (strcmp(cmd, "where") == 0) {
		snprintf(out, sizeof(out), "worker %u", w->idx);
		reply(r, out);
	} else if (strncmp(cmd, "handoff ", 8) == 0) {
		cmd_handoff(w, r, cmd + 8, out, sizeof(out));
	} else if (strncmp(cmd, "post ", 5) == 0) {
		cmd_post(a, w, r, cmd + 5, out, sizeof(out));
	} else if (strcmp(cmd, "badverdict") == 0) {
		r->verdict = 200;
	} else if (strcmp(cmd, "hugereply") == 0) {
		r->len = (uint16_t)(r->cap + 1);
	} else if (strcmp(cmd, "consume free") == 0) {
		r->verdict = TERN_VERDICT_CONSUMED;
		a->host->frame_free(r->mbuf);
	} else if (strcmp(cmd, "consume send") == 0) {
		r->verdict = TERN_VERDICT_CONSUMED;
		if (a->host->frame_send(a->self, r->mbuf) != 0)
			a->host->frame_free(r->mbuf);
	}
}

static void
event_burst(void *state, unsigned worker, struct tern_udp_req *reqs, uint16_t n)
{
	struct event_app *a = state;

	if (worker >= a->n_workers)	/* engine bug: leave all as DROP */
		return;
	for (uint16_t i = 0; i < n; i++)
		answer(a, &a->workers[worker], &reqs[i]);
}

TERN_APP_EXPORT const struct tern_app_descriptor tern_app_descriptor = {
	.abi_version = TERN_APP_ABI_VERSION,
	.size = sizeof(struct tern_app_descriptor),
	.name = "event_app",
	.init = event_init,
	.fini = event_fini,
	.udp_burst = event_burst,
	.stats = event_stats,
	.on_message = event_message,
};
