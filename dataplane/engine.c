/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <urcu-qsbr.h>

#include "app_timer.h"
#include "engine.h"
#include "host.h"
#include "rcu_publish.h"
#include "worker.h"

#define DEFAULT_NB_DESC 1024
#define POOL_CACHE 256u
#define POOL_SPARE 4096
#define RECLAIM_PASSES 10
#define RECLAIM_WAIT_US 10000

/* The pool is exhausted when it cannot give every worker two bursts. */
static unsigned
pool_low_mark(const struct tern_engine *e)
{
	return 2 * e->n_workers * e->conf.burst;
}

int
tern_steer_mode_parse(const char *s, enum tern_steer_mode *mode)
{
	if (strcmp(s, "auto") == 0)
		*mode = TERN_STEER_AUTO;
	else if (strcmp(s, "off") == 0)
		*mode = TERN_STEER_OFF;
	else
		return -EINVAL;
	return 0;
}

const char *
tern_steer_mode_name(enum tern_steer_mode mode)
{
	return mode == TERN_STEER_OFF ? "off" : "auto";
}

static void
conf_defaults(struct tern_engine_conf *c)
{
	if (c->burst == 0)
		c->burst = TERN_BURST_DEFAULT;
	if (c->nb_rxd == 0)
		c->nb_rxd = DEFAULT_NB_DESC;
	if (c->nb_txd == 0)
		c->nb_txd = DEFAULT_NB_DESC;
}

/* Enough mbufs for every RX and TX ring full, every worker's burst and TX
 * buffer, the per-lcore caches, every worker's backlog full and (with more
 * than one worker) every event ring full of frames, plus spare: what the
 * engine holds itself can then never run the pool dry. */
static unsigned
pool_size(const struct tern_engine *e, uint16_t n_ports)
{
	const struct tern_engine_conf *c = &e->conf;
	unsigned per_port = e->n_workers * (c->nb_rxd + c->nb_txd);
	unsigned ring = c->bus_ring != 0 ? c->bus_ring : TERN_BUS_RING_DEFAULT;
	unsigned per_worker = 2 * TERN_BURST_MAX + POOL_CACHE + TERN_BACKLOG +
			      (e->n_workers > 1 ? ring : 0);

	return n_ports * per_port + e->n_workers * per_worker + POOL_SPARE;
}

static int
find_workers(struct tern_engine *e, struct tern_err *err)
{
	unsigned lcore;

	e->n_workers = 0;
	RTE_LCORE_FOREACH_WORKER(lcore)
		e->worker_lcore[e->n_workers++] = lcore;
	if (e->n_workers == 0)
		return tern_err_set(err, EINVAL,
				    "no worker lcore: give EAL at least two lcores, e.g. -l 0,1 "
				    "(the first is the control thread, the others run workers)");
	e->workers = rte_zmalloc("tern_workers", sizeof(*e->workers) * e->n_workers,
				 RTE_CACHE_LINE_SIZE);
	if (e->workers == NULL)
		return tern_err_set(err, ENOMEM, "cannot allocate %u workers", e->n_workers);
	for (unsigned i = 0; i < e->n_workers; i++) {
		struct tern_worker *w = &e->workers[i];

		w->engine = e;
		w->idx = i;
		w->lcore_id = e->worker_lcore[i];
		for (unsigned p = 0; p < TERN_MAX_PORTS; p++)
			w->txq[p] = TERN_TXQ_NONE;
	}
	tern_timers_set_workers(e->worker_lcore, &e->workers[0].timer_stats,
				sizeof(struct tern_worker), e->n_workers);
	return 0;
}

static int
create_pool(struct tern_engine *e, uint16_t n_ports, struct tern_err *err)
{
	unsigned n = e->conf.n_mbufs != 0 ? e->conf.n_mbufs : pool_size(e, n_ports);
	/* per-lcore caches: at most a quarter of a small pool */
	unsigned cache = RTE_MIN(POOL_CACHE, n / 4);

	e->pool = rte_pktmbuf_pool_create("tern_mbufs", n, cache, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (e->pool == NULL)
		return tern_err_set(err, rte_errno, "cannot create a pool of %u mbufs: %s "
				    "(more memory with EAL -m, or hugepages)", n,
				    rte_strerror(rte_errno));
	return 0;
}

/* Steering for a port with fewer queues than workers: always the
 * symmetric key (both directions of a flow on one worker, and the fast
 * path of tern_steer_frame_worker), over the types tern asks RSS for. */
static void
setup_steering(struct tern_engine *e, const struct tern_port *p)
{
	uint16_t pid = p->port_id;

	e->steered[pid] = e->conf.steer == TERN_STEER_AUTO && p->nb_queues < e->n_workers;
	if (!e->steered[pid])
		return;
	tern_steer_init(&e->steer[pid], e->n_workers, tern_rss_symmetric_key, 40,
			tern_rss_wanted_types());
	printf("port %u: %u queue(s) for %u workers: software steering by symmetric "
	       "Toeplitz hash (--steer off to disable)\n", pid, p->nb_queues, e->n_workers);
}

/* Give each port's queues to the workers that own them; every worker can
 * reply on every port, through its own TX queue or the owner of queue 0's. */
static void
assign_queues(struct tern_engine *e, const struct tern_port *p)
{
	uint16_t pid = p->port_id;

	setup_steering(e, p);
	for (uint16_t q = 0; q < p->nb_queues; q++) {
		struct tern_worker *w = &e->workers[p->queue_worker[q]];

		w->rxq[w->n_rxq].port_id = pid;
		w->rxq[w->n_rxq].queue = q;
		w->rxq[w->n_rxq].steer = e->steered[pid];
		w->n_rxq++;
		w->txq[pid] = q;
	}
	for (unsigned i = 0; i < e->n_workers; i++) {
		struct tern_worker *w = &e->workers[i];

		w->tx_owner[pid] = p->queue_worker[0];
		w->reply_port[pid].mac = p->mac;
		w->reply_port[pid].tx_offloads = p->tx_offloads;
		w->reply_port[pid].mtu = p->mtu;
	}
}

static int
setup_ports(struct tern_engine *e, struct tern_err *err)
{
	struct tern_port_conf pc = {
		.n_workers = e->n_workers,
		.rss = e->conf.rss,
		.nb_rxd = e->conf.nb_rxd,
		.nb_txd = e->conf.nb_txd,
		.pool = e->pool,
	};
	uint16_t pid;
	int ret;

	RTE_ETH_FOREACH_DEV(pid) {
		ret = tern_port_setup(pid, &pc, &e->ports[pid], err);
		if (ret < 0)
			return ret;
		e->n_ports++;
	}
	return 0;
}

static int
check_ports(struct tern_err *err)
{
	uint16_t pid, n = rte_eth_dev_count_avail();

	if (n == 0)
		return tern_err_set(err, ENODEV,
				    "no DPDK ports: add a device, e.g. --vdev net_af_xdp0,iface=IF "
				    "or a NIC bound to vfio-pci (-a PCI_ADDR)");
	RTE_ETH_FOREACH_DEV(pid)
		if (pid >= TERN_MAX_PORTS)
			return tern_err_set(err, ENOTSUP, "port %u: tern handles ports 0-%u only",
					    pid, TERN_MAX_PORTS - 1);
	return 0;
}

int
tern_engine_init(struct tern_engine *e, const struct tern_engine_conf *c,
		 struct tern_err *err)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->conf = *c;
	tern_host_bind(e);
	conf_defaults(&e->conf);
	if (e->conf.burst > TERN_BURST_MAX)
		return tern_err_set(err, EINVAL, "burst %u too large (max %u)",
				    e->conf.burst, TERN_BURST_MAX);
	ret = check_ports(err);
	if (ret == 0)
		ret = find_workers(e, err);
	if (ret == 0)
		ret = create_pool(e, rte_eth_dev_count_avail(), err);
	if (ret == 0)
		ret = setup_ports(e, err);
	if (ret == 0)
		ret = tern_timers_init(err);
	if (ret == 0)
		ret = tern_bus_create(&e->bus, "tern", e->n_workers, e->conf.bus_ring, err);
	if (ret == 0) {
		e->handlers = tern_handler_table_clone(NULL);
		e->addrs = calloc(1, sizeof(*e->addrs));
		if (e->handlers == NULL || e->addrs == NULL)
			ret = tern_err_set(err, ENOMEM, "cannot allocate the engine's tables");
	}
	if (ret < 0)
		tern_engine_close(e);
	return ret;
}

int
tern_engine_start_ports(struct tern_engine *e, struct tern_err *err)
{
	int ret;

	for (uint16_t pid = 0; pid < TERN_MAX_PORTS; pid++) {
		if (e->ports[pid].nb_queues == 0 || e->ports[pid].started)
			continue;
		ret = tern_port_start(&e->ports[pid], err);
		if (ret < 0)
			return ret;
		assign_queues(e, &e->ports[pid]);
	}
	e->mbufs_baseline = tern_engine_mbufs_in_use(e);
	tern_pool_watch_init(&e->pool_watch, e->pool->size, pool_low_mark(e),
			     tern_host_ops.now_ns());
	return 0;
}

int
tern_engine_start(struct tern_engine *e, struct tern_err *err)
{
	int ret = tern_engine_start_ports(e, err);

	if (ret < 0)
		return ret;
	e->stop = false;
	for (unsigned i = 0; i < e->n_workers; i++) {
		ret = rte_eal_remote_launch(tern_worker_main, &e->workers[i],
					    e->worker_lcore[i]);
		if (ret < 0) {
			tern_engine_stop(e);
			return tern_err_set(err, -ret, "cannot launch worker %u on lcore %u: %s",
					    i, e->worker_lcore[i], strerror(-ret));
		}
	}
	e->running = true;
	return 0;
}

/*
 * Give back what the TX rings still hold, so the pool count is exact. Some
 * drivers (AF_XDP) reap completed sends only inside tx_burst, so an empty
 * burst is issued too; the workers are stopped, so the queues are ours.
 */
static void
reclaim_tx(struct tern_engine *e)
{
	for (int pass = 0; pass < RECLAIM_PASSES; pass++) {
		for (uint16_t pid = 0; pid < TERN_MAX_PORTS; pid++) {
			if (!e->ports[pid].started)
				continue;
			for (uint16_t q = 0; q < e->ports[pid].nb_queues; q++) {
				rte_eth_tx_done_cleanup(pid, q, 0);
				rte_eth_tx_burst(pid, q, NULL, 0);
			}
		}
		if (tern_engine_mbufs_in_use(e) <= e->mbufs_baseline)
			return;
		rte_delay_us_sleep(RECLAIM_WAIT_US);
	}
}

void
tern_engine_stop(struct tern_engine *e)
{
	__atomic_store_n(&e->stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	e->running = false;
	reclaim_tx(e);
}

static void
free_apps(struct tern_engine *e)
{
	for (unsigned s = 1; s <= TERN_MAX_APPS; s++) {
		if (e->apps[s] != NULL)
			tern_app_instance_destroy(e->apps[s]);
		e->apps[s] = NULL;
	}
}

void
tern_engine_close(struct tern_engine *e)
{
	if (e->running)
		tern_engine_stop(e);
	for (uint16_t pid = 0; pid < TERN_MAX_PORTS; pid++)
		if (e->ports[pid].nb_queues != 0)
			tern_port_close(&e->ports[pid]);
	/* No worker runs any more: nothing can reach the tables or the apps. */
	free(e->handlers);
	free(e->addrs);
	e->handlers = NULL;
	e->addrs = NULL;
	free_apps(e);
	tern_bus_free(&e->bus);
	rte_free(e->workers);
	e->workers = NULL;
	rte_mempool_free(e->pool);
	e->pool = NULL;
}

struct tern_app_instance *
tern_engine_app_find(const struct tern_engine *e, const char *name)
{
	for (unsigned s = 1; s <= TERN_MAX_APPS; s++)
		if (e->apps[s] != NULL && strcmp(e->apps[s]->name, name) == 0)
			return e->apps[s];
	return NULL;
}

/* Where an app's file is: a bare name is looked up in the app directory. */
static int
app_path_resolve(const struct tern_engine *e, const char *path, char *buf, size_t len,
		 struct tern_err *err)
{
	int n;

	if (strchr(path, '/') == NULL && e->conf.app_dir != NULL)
		n = snprintf(buf, len, "%s/%s", e->conf.app_dir, path);
	else
		n = snprintf(buf, len, "%s", path);
	if (n < 0 || (size_t)n >= len)
		return tern_err_set(err, ENAMETOOLONG, "app path too long: %s", path);
	return 0;
}

/* With restrict_app_dir, only files inside the app directory (after
 * resolving symbolic links and "..") may be loaded. */
static int
app_path_check(const struct tern_engine *e, const char *path, struct tern_err *err)
{
	char real[PATH_MAX], dir[PATH_MAX];
	size_t n;

	if (!e->conf.restrict_app_dir || e->conf.app_dir == NULL)
		return 0;
	if (realpath(e->conf.app_dir, dir) == NULL)
		return tern_err_set(err, errno, "app directory %s: %s", e->conf.app_dir,
				    strerror(errno));
	if (realpath(path, real) == NULL)
		return tern_err_set(err, errno, "app file %s: %s", path, strerror(errno));
	n = strlen(dir);
	if (strncmp(real, dir, n) != 0 || (real[n] != '/' && dir[n - 1] != '/'))
		return tern_err_set(err, EPERM, "app file %s is outside the app directory %s "
				    "(put it there, start ternd with --app-dir DIR, or with "
				    "--allow-any-app-path)", path, dir);
	return 0;
}

static int
free_slot(const struct tern_engine *e, struct tern_err *err)
{
	for (unsigned s = 1; s <= TERN_MAX_APPS; s++)
		if (e->apps[s] == NULL)
			return (int)s;
	return tern_err_set(err, ENOSPC, "too many apps loaded (max %u)", TERN_MAX_APPS);
}

/* What a worker needs to run app. */
static struct tern_handler
handler_of(const struct tern_app_instance *app)
{
	return (struct tern_handler){
		.burst = app->desc->udp_burst,
		.state = app->state,
		.msg = app->desc->on_message,
		.budget = app->budget,
		.max_amp = app->max_amp,
		.rl = app->rl,
		.rl_tables = app->rl_tables,
		.app = app,
	};
}

/* The engine's own arguments for an instance (not passed to the app). */
struct engine_args {
	uint32_t budget;          /* requests per loop iteration, 0 = no limit */
	uint32_t max_amp;         /* reply/request size factor, 0 = no limit */
	struct tern_rl_conf rl;   /* per-source rate limit, rate 0 = none */
};

/* One "key=N" number in [0, max] into *out. 0, or -EINVAL with err set. */
static int
engine_arg_u32(const char *kv, size_t key_len, uint32_t max, const char *what,
	       uint32_t *out, struct tern_err *err)
{
	const char *v = kv + key_len;
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || *v == '-' || n > max)
		return tern_err_set(err, EINVAL, "%s: want %s, 0 (no limit) to %u", kv, what,
				    max);
	*out = (uint32_t)n;
	return 0;
}

/* Take the engine's own arguments, budget=N, max_amplification=N and
 * rate_limit=RATE[/BURST], out of kv (in place); the rest go to the app.
 * Returns the new count, or -EINVAL with err set. */
static int
take_engine_args(unsigned n_kv, char **kv, struct engine_args *a, struct tern_err *err)
{
	unsigned n = 0;
	int ret = 0;

	a->budget = 0;
	a->max_amp = TERN_MAX_AMPLIFICATION_DEFAULT;
	a->rl = (struct tern_rl_conf){ 0, 0 };
	for (unsigned i = 0; i < n_kv && ret == 0; i++) {
		if (strncmp(kv[i], "budget=", 7) == 0)
			ret = engine_arg_u32(kv[i], 7, UINT32_MAX, "requests per loop iteration",
					     &a->budget, err);
		else if (strncmp(kv[i], "rate_limit=", 11) == 0)
			ret = tern_rl_parse(kv[i] + 11, &a->rl, err);
		else if (strncmp(kv[i], "max_amplification=", 18) == 0)
			ret = engine_arg_u32(kv[i], 18, TERN_MAX_AMPLIFICATION_MAX,
					     "how many times larger than its request a reply may be",
					     &a->max_amp, err);
		else
			kv[n++] = kv[i];
	}
	return ret < 0 ? ret : (int)n;
}

/* One rate-limit table per worker, when the instance has a limit. */
static int
rl_tables_create(struct tern_app_instance *app, unsigned n_workers, struct tern_err *err)
{
	if (app->rl.rate == 0)
		return 0;
	app->rl_tables = calloc(n_workers, sizeof(*app->rl_tables));
	if (app->rl_tables == NULL)
		return tern_err_set(err, ENOMEM, "app '%s': out of memory for rate limits", app->name);
	app->n_rl_tables = n_workers;
	for (unsigned w = 0; w < n_workers; w++) {
		app->rl_tables[w] = tern_rl_table_create(0);
		if (app->rl_tables[w] == NULL)
			return tern_err_set(err, ENOMEM, "app '%s': out of memory for rate limits",
					    app->name);
	}
	return 0;
}

/* Resolve, check and create an instance; it is not in a slot yet. */
static struct tern_app_instance *
app_create(const struct tern_engine *e, const char *name, const char *path,
	   unsigned n_kv, char *const *kv, struct tern_err *err)
{
	char file[PATH_MAX];
	char *args[TERN_APP_MAX_KV + 1];
	struct tern_app_instance *app;
	struct engine_args ea;
	int ret = app_path_resolve(e, path, file, sizeof(file), err);

	if (ret == 0)
		ret = app_path_check(e, file, err);
	if (ret == 0 && n_kv > TERN_APP_MAX_KV + 1)
		ret = tern_err_set(err, E2BIG, "app '%s': too many arguments (max %u)", name,
				   TERN_APP_MAX_KV);
	if (ret == 0) {
		memcpy(args, kv, n_kv * sizeof(*kv));
		ret = take_engine_args(n_kv, args, &ea, err);
	}
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	app = tern_app_instance_create(name, file, (unsigned)ret, args, e->n_workers,
				       &tern_host_ops, err);
	if (app != NULL) {
		app->budget = ea.budget;
		app->max_amp = ea.max_amp;
		app->rl = ea.rl;
		if (rl_tables_create(app, e->n_workers, err) < 0) {
			tern_app_instance_destroy(app); /* never published */
			errno = ENOMEM;
			return NULL;
		}
	}
	return app;
}

static void publish_handlers(struct tern_engine *e, struct tern_handler_table *t);

int
tern_engine_app_load(struct tern_engine *e, const char *name, const char *path,
		     unsigned n_kv, char *const *kv, struct tern_err *err)
{
	struct tern_app_instance *app;
	struct tern_handler_table *t;
	int s;

	if (tern_engine_app_find(e, name) != NULL)
		return tern_err_set(err, EEXIST, "an app named '%s' is already loaded", name);
	s = free_slot(e, err);
	if (s < 0)
		return s;
	app = app_create(e, name, path, n_kv, kv, err);
	if (app == NULL)
		return -errno;
	t = tern_handler_table_clone(e->handlers);
	if (t == NULL) {
		tern_app_instance_destroy(app); /* never published */
		return tern_err_set(err, ENOMEM, "out of memory");
	}
	app->slot = (uint8_t)s;
	e->apps[s] = app;
	/* In the table before any port is bound: its messages find it. */
	t->h[s] = handler_of(app);
	publish_handlers(e, t);
	return 0;
}

/* Publish t as the handler table; the old one is freed after a grace period. */
static void
publish_handlers(struct tern_engine *e, struct tern_handler_table *t)
{
	tern_rcu_replace((void **)&e->handlers, t, free);
}

/* Publish the edited table t if the edit (ret) succeeded, else drop it. */
static int
publish_or_discard(struct tern_engine *e, struct tern_handler_table *t, int ret)
{
	if (ret < 0) {
		free(t);
		return ret;
	}
	publish_handlers(e, t);
	return 0;
}

int
tern_engine_app_unload(struct tern_engine *e, const char *name, struct tern_err *err)
{
	struct tern_app_instance *app = tern_engine_app_find(e, name);
	struct tern_handler_table *t;
	unsigned bound;

	if (app == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded", name);
	bound = tern_handler_table_slot_ports(e->handlers, app->slot);
	if (bound != 0)
		return tern_err_set(err, EBUSY, "app '%s' is still bound to %u UDP port(s): "
				    "unbind them first", name, bound);
	t = tern_handler_table_clone(e->handlers);
	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	tern_handler_table_clear_slot(t, app->slot);
	/* Its timers may not be armed again; after the grace period no worker
	 * holds a pointer to the app and no callback of it is running. */
	tern_timers_retire(app);
	publish_handlers(e, t);
	e->apps[app->slot] = NULL;
	tern_app_instance_destroy(app);
	return 0;
}

/* Let the new instance inherit the old one's state, when both can. */
static int
app_handoff(const struct tern_app_instance *old, struct tern_app_instance *new,
	    struct tern_err *err)
{
	const struct tern_app_descriptor *od = old->desc, *nd = new->desc;
	void *blob = NULL;
	size_t len = 0;
	int ret;

	if (od->export_state == NULL || nd->import_state == NULL ||
	    strcmp(od->name, nd->name) != 0)
		return 0;
	ret = od->export_state(old->state, &blob, &len);
	if (ret < 0)
		return tern_err_set(err, -ret, "app '%s': exporting its state failed: %s",
				    old->name, strerror(-ret));
	ret = nd->import_state(new->state, blob, len);
	free(blob);
	if (ret < 0)
		return tern_err_set(err, -ret, "app '%s': the new code refused the old "
				    "state: %s", old->name, strerror(-ret));
	return 0;
}

int
tern_engine_app_replace(struct tern_engine *e, const char *name, const char *path,
			unsigned n_kv, char *const *kv, struct tern_err *err)
{
	struct tern_app_instance *old = tern_engine_app_find(e, name), *new;
	struct tern_handler_table *t;
	struct tern_handler h;
	int s, ret;

	if (old == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded", name);
	s = free_slot(e, err);
	if (s < 0)
		return s;
	new = app_create(e, name, path, n_kv, kv, err);
	if (new == NULL)
		return -errno;
	new->slot = (uint8_t)s;
	h = handler_of(new);
	t = tern_handler_table_clone(e->handlers);
	ret = t == NULL ? tern_err_set(err, ENOMEM, "out of memory") : app_handoff(old, new, err);
	if (ret == 0)
		ret = tern_handler_table_move_slot(t, old->slot, new->slot, &h, err);
	if (ret < 0) {
		free(t);
		tern_app_instance_destroy(new); /* never published: no grace period needed */
		return ret;
	}
	e->apps[s] = new;
	/* Every port switches in one swap; after the grace period no worker
	 * can be inside the old instance. */
	publish_handlers(e, t);
	/* A second grace period: timer callbacks of the old instance that
	 * started before it was retired have finished. */
	tern_timers_retire(old);
	synchronize_rcu();
	e->apps[old->slot] = NULL;
	tern_app_instance_destroy(old);
	return 0;
}

int
tern_engine_bind_udp(struct tern_engine *e, uint16_t port, const char *name,
		     struct tern_err *err)
{
	struct tern_app_instance *app = tern_engine_app_find(e, name);
	struct tern_handler h;
	struct tern_handler_table *t;
	int ret;

	if (app == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded", name);
	t = tern_handler_table_clone(e->handlers);
	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	h = handler_of(app);
	ret = tern_handler_table_bind_udp(t, port, app->slot, &h, err);
	return publish_or_discard(e, t, ret);
}

int
tern_engine_unbind_udp(struct tern_engine *e, uint16_t port, struct tern_err *err)
{
	struct tern_handler_table *t = tern_handler_table_clone(e->handlers);
	int ret;

	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	ret = tern_handler_table_unbind_udp(t, port, err);
	return publish_or_discard(e, t, ret);
}

int
tern_engine_ip_add(struct tern_engine *e, const struct tern_addr *a, struct tern_err *err)
{
	struct tern_addr_table *t;

	if (a->port_id >= TERN_MAX_PORTS || e->ports[a->port_id].nb_queues == 0)
		return tern_err_set(err, ENODEV, "no port %u (see show ports; ids 0-%u)", a->port_id,
				    TERN_MAX_PORTS - 1);
	t = tern_addr_table_with(e->addrs, a, err);
	if (t == NULL)
		return -errno;
	tern_rcu_replace((void **)&e->addrs, t, free);
	return 0;
}

int
tern_engine_app_budget(struct tern_engine *e, const char *name, uint32_t budget,
		       struct tern_err *err)
{
	struct tern_app_instance *app = tern_engine_app_find(e, name);
	struct tern_handler_table *t;

	if (app == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded", name);
	t = tern_handler_table_clone(e->handlers);
	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	app->budget = budget;
	if (t->h[app->slot].burst != NULL)
		t->h[app->slot].budget = budget;
	publish_handlers(e, t);
	return 0;
}

int
tern_engine_post_all(struct tern_engine *e, const char *name, const void *data,
		     uint16_t len, struct tern_err *err)
{
	struct tern_app_instance *app = tern_engine_app_find(e, name);
	struct tern_event ev = { .kind = TERN_EV_MSG };
	int n = 0;

	if (app == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded", name);
	if (app->desc->on_message == NULL)
		return tern_err_set(err, ENOTSUP, "app '%s' takes no messages (no on_message)",
				    name);
	if (len > TERN_MSG_MAX)
		return tern_err_set(err, EMSGSIZE, "message of %u bytes: at most %u", len,
				    TERN_MSG_MAX);
	ev.slot = app->slot;
	ev.msg.from_worker = TERN_FROM_CONTROL;
	ev.msg.len = len;
	memcpy(ev.msg.data, data, len);
	for (unsigned w = 0; w < e->n_workers; w++)
		if (tern_bus_post(&e->bus, w, &ev) == 0)
			n++;
	return n;
}

void
tern_engine_worker_events(const struct tern_engine *e, unsigned worker, uint64_t *out)
{
	for (unsigned c = 0; c < TERN_WCTR_MAX; c++)
		out[c] = worker < e->n_workers ?
			 tern_wctr_read(&e->workers[worker].wstats, c) : 0;
}

uint64_t
tern_engine_worker_timers(const struct tern_engine *e, unsigned worker, struct tern_hist *out)
{
	const struct tern_timer_stats *ts;

	if (worker >= e->n_workers)
		return 0;
	ts = &e->workers[worker].timer_stats;
	tern_hist_merge(out, &ts->late);
	return __atomic_load_n(&ts->fired, __ATOMIC_RELAXED);
}

unsigned
tern_engine_flow_worker(const struct tern_engine *e, uint16_t port,
			const struct tern_rss_flow *f)
{
	const struct tern_port *p = &e->ports[port];

	if (e->steered[port])
		return tern_steer_flow_worker(&e->steer[port], f);
	return p->queue_worker[tern_port_flow_queue(p, f)];
}

void
tern_engine_port_counters(const struct tern_engine *e, uint16_t port, uint64_t *out)
{
	memset(out, 0, sizeof(*out) * TERN_CTR_MAX);
	for (unsigned w = 0; w < e->n_workers; w++)
		for (unsigned c = 0; c < TERN_CTR_MAX; c++)
			out[c] += tern_ctr_read(&e->workers[w].stats, port, c);
}

void
tern_engine_worker_counters(const struct tern_engine *e, unsigned worker, uint64_t *out)
{
	memset(out, 0, sizeof(*out) * TERN_CTR_MAX);
	for (uint16_t p = 0; p < TERN_MAX_PORTS; p++)
		for (unsigned c = 0; c < TERN_CTR_MAX; c++)
			out[c] += tern_ctr_read(&e->workers[worker].stats, p, c);
}

unsigned
tern_engine_mbufs_in_use(const struct tern_engine *e)
{
	return e->pool != NULL ? rte_mempool_in_use_count(e->pool) : 0;
}

enum tern_pool_event
tern_engine_watch_pool(struct tern_engine *e, FILE *f)
{
	struct tern_pool_watch *pw = &e->pool_watch;
	enum tern_pool_event ev;

	if (e->pool == NULL)
		return TERN_POOL_STEADY;
	ev = tern_pool_watch_sample(pw, rte_mempool_avail_count(e->pool), tern_host_ops.now_ns());
	if (ev == TERN_POOL_EXHAUSTED)
		fprintf(f, "mbuf pool exhausted: %u of %u mbufs in use; the drivers drop what "
			"arrives until mbufs come back (kernel_rx_dropped, dev_rx_* in 'show "
			"ports'); a bigger pool: ternd -- --mbufs N\n", pw->size - pw->available,
			pw->size);
	else if (ev == TERN_POOL_RECOVERED)
		fprintf(f, "mbuf pool recovered after %.1f ms: %u of %u mbufs available\n",
			(double)(pw->last_ns - pw->since_ns) / 1e6, pw->available, pw->size);
	if (ev != TERN_POOL_STEADY)
		fflush(f);
	return ev;
}

unsigned
tern_engine_worker_queues(const struct tern_engine *e, unsigned worker)
{
	return worker < e->n_workers ? e->workers[worker].n_rxq : 0;
}

void
tern_engine_worker_latency(const struct tern_engine *e, unsigned worker,
			   struct tern_hist *out)
{
	if (worker < e->n_workers)
		tern_hist_merge(out, &e->workers[worker].latency);
}
