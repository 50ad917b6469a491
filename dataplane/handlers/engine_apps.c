/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's app operations, control thread only: load, unload, replace
 * (exact or snapshot hand-off), bind, unbind, rebind, budgets, messages.
 * Each builds a new handler table and publishes it (rcu_publish.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_cycles.h>

#include <urcu-qsbr.h>

#include "app_timer.h"
#include "decimal.h"
#include "engine.h"
#include "engine_apps.h"
#include "host.h"
#include "mono_clock.h"
#include "rcu_publish.h"
#include "worker.h"

/* Unloading a retired app's code waits until no app changed for this long
 * (app_loader.h, tern_app_instance_destroy_keep_code)... */
#define UNLOAD_QUIET_NS (2ull * 1000000000ull)
/* ...but never longer than this, nor with more libraries waiting, so that
 * swaps that never pause for UNLOAD_QUIET_NS do not pile up code. */
#define UNLOAD_MAX_AGE_NS (30ull * 1000000000ull)
#define UNLOAD_MAX_WAITING 8u

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

/* A directory is never an app (the app directory itself included). With
 * restrict_app_dir, only files inside the app directory (after resolving
 * symbolic links and "..") may be loaded. */
static int
app_path_check(const struct tern_engine *e, const char *path, struct tern_err *err)
{
	char real[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	size_t n;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return tern_err_set(err, EISDIR, "app file %s is a directory (give the app's "
				    ".so file)", path);
	if (!e->conf.restrict_app_dir || e->conf.app_dir == NULL)
		return 0;
	if (realpath(e->conf.app_dir, dir) == NULL)
		return tern_err_set(err, errno, "app directory %s: %s (start ternd with "
				    "--app-dir DIR, or with --allow-any-app-path)",
				    e->conf.app_dir, strerror(errno));
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
struct tern_handler
tern_engine_handler_of(const struct tern_app_instance *app)
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
		.ws = app->ws,
	};
}

/* The engine's own arguments for an instance (not passed to the app). */
struct engine_args {
	uint32_t budget;          /* requests per loop iteration, 0 = no limit */
	uint32_t max_amp;         /* reply/request size factor, 0 = no limit */
	struct tern_rl_conf rl;   /* per-source rate limit, rate 0 = none */
	enum tern_handoff handoff; /* app replace only */
	bool handoff_given;
};

static int
handoff_parse(const char *v, struct engine_args *a, struct tern_err *err)
{
	if (strcmp(v, "exact") == 0)
		a->handoff = TERN_HANDOFF_EXACT;
	else if (strcmp(v, "snapshot") == 0)
		a->handoff = TERN_HANDOFF_SNAPSHOT;
	else
		return tern_err_set(err, EINVAL, "handoff=%s: want handoff=exact (hold requests, "
				    "carry the final state) or handoff=snapshot", v);
	a->handoff_given = true;
	return 0;
}

/* One "key=N" number in [0, max] into *out. 0, or -EINVAL with err set. */
static int
engine_arg_u32(const char *kv, size_t key_len, uint32_t max, const char *what,
	       uint32_t *out, struct tern_err *err)
{
	uint64_t n;

	if (tern_dec_parse(kv + key_len, 0, max, &n) < 0)
		return tern_err_set(err, EINVAL, "%s: want %s, 0 (no limit) to %u", kv, what,
				    max);
	*out = (uint32_t)n;
	return 0;
}

/* Take the engine's own arguments, budget=N, max_amplification=N,
 * rate_limit=RATE[/BURST] and handoff=exact|snapshot, out of kv (in place);
 * the rest go to the app.
 * Returns the new count, or -EINVAL with err set. */
static int
take_engine_args(unsigned n_kv, char **kv, struct engine_args *a, struct tern_err *err)
{
	unsigned n = 0;
	int ret = 0;

	a->budget = 0;
	a->max_amp = TERN_MAX_AMPLIFICATION_DEFAULT;
	a->rl = (struct tern_rl_conf){ 0, 0 };
	a->handoff = TERN_HANDOFF_EXACT;
	a->handoff_given = false;
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
		else if (strncmp(kv[i], "handoff=", 8) == 0)
			ret = handoff_parse(kv[i] + 8, a, err);
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

/* Resolve, check and create an instance; it is not in a slot yet. The
 * engine's arguments are left in *ea. */
static struct tern_app_instance *
app_create(struct tern_engine *e, const char *name, const char *path,
	   unsigned n_kv, char *const *kv, struct engine_args *ea, struct tern_err *err)
{
	char file[PATH_MAX];
	char *args[TERN_APP_MAX_KV + 1];
	struct tern_app_instance *app;
	int ret = app_path_resolve(e, path, file, sizeof(file), err);

	if (ret == 0)
		ret = app_path_check(e, file, err);
	if (ret == 0 && n_kv > TERN_APP_MAX_KV + 1)
		ret = tern_err_set(err, E2BIG, "app '%s': too many arguments (max %u)", name,
				   TERN_APP_MAX_KV);
	if (ret == 0) {
		if (n_kv != 0)
			memcpy(args, kv, n_kv * sizeof(*kv));
		ret = take_engine_args(n_kv, args, ea, err);
	}
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	tern_host_bind(e); /* the services the instance gets act on e */
	app = tern_app_instance_create(name, file, (unsigned)ret, args, e->n_workers,
				       &tern_host_ops, err);
	if (app != NULL) {
		app->id = ++e->next_app_id;
		app->budget = ea->budget;
		app->max_amp = ea->max_amp;
		app->rl = ea->rl;
		if (rl_tables_create(app, e->n_workers, err) < 0) {
			tern_app_instance_destroy(app); /* never published */
			errno = ENOMEM;
			return NULL;
		}
	}
	return app;
}

/* Start a report on what loading app took. */
static void
report_begin(struct tern_swap_report *r, const struct tern_app_instance *app)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", app->path);
	memcpy(r->sha256, app->img.sha256, sizeof(r->sha256));
	memcpy(r->build_id, app->img.build_id, sizeof(r->build_id));
	r->size = app->img.size;
	r->phase_ns[TERN_SWAP_LOAD] = app->load_ns;
	r->phase_ns[TERN_SWAP_INIT] = app->init_ns;
}

int
tern_engine_app_load(struct tern_engine *e, const char *name, const char *path,
		     unsigned n_kv, char *const *kv, struct tern_err *err)
{
	struct tern_app_instance *app;
	struct tern_handler_table *t;
	struct engine_args ea;
	uint64_t t0;
	int s;

	if (tern_engine_app_find(e, name) != NULL)
		return tern_err_set(err, EEXIST, "an app named '%s' is already loaded (app replace "
				    "%s PATH to change its code)", name, name);
	s = free_slot(e, err);
	if (s < 0)
		return s;
	app = app_create(e, name, path, n_kv, kv, &ea, err);
	if (app == NULL)
		return -errno;
	if (ea.handoff_given) {
		tern_app_instance_destroy(app); /* never published */
		return tern_err_set(err, EINVAL, "handoff= is an argument of app replace, not of "
				    "app load");
	}
	t = tern_handler_table_clone(e->handlers);
	if (t == NULL) {
		tern_app_instance_destroy(app); /* never published */
		return tern_err_set(err, ENOMEM, "out of memory");
	}
	report_begin(&e->last_report, app);
	app->slot = (uint8_t)s;
	e->apps[s] = app;
	/* In the table before any port is bound: its messages find it. */
	t->h[s] = tern_engine_handler_of(app);
	t0 = tern_mono_ns();
	tern_engine_publish_handlers(e, t);
	e->last_report.phase_ns[TERN_SWAP_PUBLISH] = tern_mono_ns() - t0;
	e->last_change_ns = tern_mono_ns();
	return 0;
}

void
tern_engine_publish_handlers(struct tern_engine *e, struct tern_handler_table *t)
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
	tern_engine_publish_handlers(e, t);
	return 0;
}

/* The port whose canary app is (as the canary or the baseline), or 0. */
static uint16_t
canary_port_of(const struct tern_engine *e, const struct tern_app_instance *app)
{
	const struct tern_handler_table *t = e->handlers;

	for (uint32_t i = 0; t != NULL && i < t->n_canary; i++)
		if (t->canary[i].slot == app->slot || t->udp[t->canary[i].port] == app->slot)
			return t->canary[i].port;
	return 0;
}

/* Retire an instance no published table names any more: after a grace
 * period, fini; its code stays mapped until a quiet moment. */
static void
retire_instance(struct tern_engine *e, struct tern_app_instance *app)
{
	tern_timers_retire(&app->timers);
	synchronize_rcu();
	if (e->apps[app->slot] == app)
		e->apps[app->slot] = NULL;
	tern_app_instance_destroy_keep_code(app);
	e->last_change_ns = tern_mono_ns();
}

int
tern_engine_app_unload(struct tern_engine *e, const char *name, struct tern_err *err)
{
	struct tern_app_instance *app = tern_engine_app_find(e, name);
	struct tern_handler_table *t;
	unsigned bound;
	uint16_t cport;

	if (app == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded", name);
	cport = canary_port_of(e, app);
	if (cport != 0)
		return tern_err_set(err, EBUSY, "app '%s' takes part in the canary on UDP port %u: "
				    "canary promote or canary abort udp %u first", name, cport, cport);
	bound = tern_handler_table_slot_ports(e->handlers, app->slot);
	if (bound != 0)
		return tern_err_set(err, EBUSY, "app '%s' is still bound to %u UDP port(s): "
				    "unbind them first", name, bound);
	t = tern_handler_table_clone(e->handlers);
	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	tern_handler_table_clear_slot(t, app->slot);
	/* Its timers may not be armed again; after the grace periods no worker
	 * holds a pointer to the app and no callback of it is running. */
	tern_timers_retire(&app->timers);
	tern_engine_publish_handlers(e, t);
	retire_instance(e, app);
	return 0;
}

/* Whether old's state can go to new: both have the hooks, same kind. */
static enum tern_swap_state
handoff_kind(const struct tern_app_instance *old, const struct tern_app_instance *new)
{
	const struct tern_app_descriptor *od = old->desc, *nd = new->desc;

	if (strcmp(od->name, nd->name) != 0)
		return TERN_SWAP_STATE_OTHER_KIND;
	if (od->export_state == NULL || nd->import_state == NULL)
		return TERN_SWAP_STATE_NO_HOOKS;
	return TERN_SWAP_STATE_CARRIED;
}

/* export_state of old, import_state of new; phases timed into r. */
static int
carry_state(const struct tern_app_instance *old, struct tern_app_instance *new,
	    struct tern_swap_report *r, struct tern_err *err)
{
	char why[TERN_ERR_MSG_MAX] = "";
	struct tern_app_import im = { .from_path = old->path, .err = why, .err_len = sizeof(why) };
	void *blob = NULL;
	size_t len = 0;
	uint64_t t0 = tern_mono_ns();
	int ret;

	ret = old->desc->export_state(old->state, &blob, &len);
	r->phase_ns[TERN_SWAP_EXPORT] = tern_mono_ns() - t0;
	if (ret < 0)
		return tern_err_set(err, -ret, "app '%s': exporting its state failed: %s; the old "
				    "code keeps serving", old->name, strerror(-ret));
	im.blob = blob;
	im.len = len;
	r->state_bytes = len;
	t0 = tern_mono_ns();
	ret = new->desc->import_state(new->state, &im);
	r->phase_ns[TERN_SWAP_IMPORT] = tern_mono_ns() - t0;
	free(blob);
	if (ret < 0) {
		why[sizeof(why) - 1] = '\0';
		return tern_err_set(err, -ret,
				    "app '%s': the new code refused the old state: %s; the old code "
				    "keeps serving", old->name, why[0] != '\0' ? why : strerror(-ret));
	}
	return 0;
}

/* Publish a copy of the current table with slot's handler set to h,
 * without waiting: the old table is returned in *old, to be freed after a
 * grace period. */
static int
publish_slot_nowait(struct tern_engine *e, uint8_t slot, const struct tern_handler *h,
		    struct tern_handler_table **old, struct tern_err *err)
{
	struct tern_handler_table *t = tern_handler_table_clone(e->handlers);

	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	t->h[slot] = *h;
	*old = rcu_xchg_pointer(&e->handlers, t);
	return 0;
}

/* Publish a copy of the current table with slot's handler set to h. */
static int
publish_slot(struct tern_engine *e, uint8_t slot, const struct tern_handler *h,
	     struct tern_err *err)
{
	struct tern_handler_table *old = NULL;
	int ret = publish_slot_nowait(e, slot, h, &old, err);

	if (ret == 0) {
		synchronize_rcu();
		free(old);
	}
	return ret;
}

/*
 * Wait until every worker has finished the loop iteration it was in (its
 * epoch moved): after that none runs code of anything unpublished before
 * the call. A spin, not a sleep: what an exact hand-off holds waits for
 * this, and a polling worker finishes an iteration in microseconds (an
 * adaptive one asleep wakes within its longest sleep). Without running
 * workers, an RCU grace period does the same.
 */
static void
wait_iterations(struct tern_engine *e)
{
	uint64_t seen[RTE_MAX_LCORE];

	if (!e->running) {
		synchronize_rcu();
		return;
	}
	for (unsigned w = 0; w < e->n_workers; w++)
		seen[w] = __atomic_load_n(&e->workers[w].epoch, __ATOMIC_ACQUIRE);
	for (unsigned w = 0; w < e->n_workers; w++)
		while (__atomic_load_n(&e->workers[w].epoch, __ATOMIC_ACQUIRE) == seen[w] &&
		       e->running)
			rte_pause();
}

/* Sum of the workers' held counters. */
static uint64_t
held_now(const struct tern_engine *e)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < e->n_workers; w++)
		n += tern_wctr_read(&e->workers[w].wstats, TERN_WCTR_HELD);
	return n;
}

/*
 * The exact hand-off. 1: hold (old's requests wait in the backlogs, its
 * messages on the bus, its timers are postponed) and wait a grace period:
 * no worker can touch old any more. 2: carry its final state to new. 3:
 * publish new in old's slot: the held requests run through new, in order,
 * before anything newer. If new refuses the state, old takes the slot
 * back and serves what was held.
 */
static int
swap_exact(struct tern_engine *e, struct tern_app_instance *old, struct tern_app_instance *new,
	   struct tern_swap_report *r, struct tern_err *err)
{
	struct tern_handler_table *t_before = NULL, *t_held = NULL;
	struct tern_handler h = tern_engine_handler_of(old);
	uint64_t held0 = held_now(e), t0 = tern_mono_ns(), t1;
	int ret;

	h.hold = 1;
	tern_timers_pause(&old->timers, true);
	ret = publish_slot_nowait(e, old->slot, &h, &t_before, err);
	if (ret < 0) {
		tern_timers_pause(&old->timers, false);
		return ret;
	}
	wait_iterations(e);
	t1 = tern_mono_ns();
	r->phase_ns[TERN_SWAP_QUIESCE] = t1 - t0;
	ret = r->state == TERN_SWAP_STATE_CARRIED ? carry_state(old, new, r, err) : 0;
	h = tern_engine_handler_of(ret == 0 ? new : old);
	t1 = tern_mono_ns();
	/* Cannot fail for want of memory: the slot must not stay held. */
	while (publish_slot_nowait(e, old->slot, &h, &t_held, err) < 0)
		rte_delay_us_sleep(1000);
	r->hold_ns = tern_mono_ns() - t0;
	r->phase_ns[TERN_SWAP_PUBLISH] = tern_mono_ns() - t1;
	if (ret < 0)
		tern_timers_pause(&old->timers, false);
	/* The two tables replaced are freed after a grace period. */
	synchronize_rcu();
	free(t_before);
	free(t_held);
	r->held = held_now(e) - held0;
	return ret;
}

/* The snapshot hand-off: old's state is exported while it still serves. */
static int
swap_snapshot(struct tern_engine *e, struct tern_app_instance *old,
	      struct tern_app_instance *new, struct tern_swap_report *r, struct tern_err *err)
{
	struct tern_handler h = tern_engine_handler_of(new);
	uint64_t t0;
	int ret;

	ret = r->state == TERN_SWAP_STATE_CARRIED ? carry_state(old, new, r, err) : 0;
	if (ret < 0)
		return ret;
	t0 = tern_mono_ns();
	/* Cannot fail for want of memory once new took the state: an app may
	 * have taken over old's memory (kv's store), so new must serve now. */
	while (publish_slot(e, old->slot, &h, err) < 0)
		rte_delay_us_sleep(1000);
	r->phase_ns[TERN_SWAP_PUBLISH] = tern_mono_ns() - t0;
	return 0;
}

/* new never served, but its timers (armed by init) may run: retire it. */
static void
discard_new(struct tern_app_instance *new)
{
	tern_timers_retire(&new->timers);
	synchronize_rcu();
	tern_app_instance_destroy(new);
}

int
tern_engine_app_replace(struct tern_engine *e, const char *name, const char *path,
			unsigned n_kv, char *const *kv, struct tern_err *err)
{
	struct tern_app_instance *old = tern_engine_app_find(e, name), *new;
	struct tern_swap_report *r = &e->last_report;
	struct tern_app_totals tot;
	struct engine_args ea;
	uint64_t t0;
	int ret;

	if (old == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded (app load %s PATH "
				    "first)", name, name);
	new = app_create(e, name, path, n_kv, kv, &ea, err);
	if (new == NULL)
		return -errno;
	report_begin(r, new);
	r->handoff = ea.handoff;
	r->state = handoff_kind(old, new);
	snprintf(r->old_kind, sizeof(r->old_kind), "%s", old->desc->name);
	snprintf(r->new_kind, sizeof(r->new_kind), "%s", new->desc->name);
	new->slot = old->slot;
	if (ea.handoff == TERN_HANDOFF_EXACT)
		ret = swap_exact(e, old, new, r, err);
	else
		ret = swap_snapshot(e, old, new, r, err);
	if (ret < 0) {
		discard_new(new);
		return ret;
	}
	e->apps[new->slot] = new;
	/* Second grace period: old's timer callbacks are over, and every held
	 * request has been run by new. */
	t0 = tern_mono_ns();
	tern_timers_retire(&old->timers);
	synchronize_rcu();
	r->phase_ns[TERN_SWAP_GRACE] = tern_mono_ns() - t0;
	t0 = tern_mono_ns();
	tern_app_instance_destroy_keep_code(old);
	r->phase_ns[TERN_SWAP_FINI] = tern_mono_ns() - t0;
	tern_app_totals_read(new->ws, new->n_ws, &tot);
	r->held_wait_max_ns = tern_hist_cycles_to_ns(tot.held_wait_max, rte_get_tsc_hz());
	r->deferred_unloads = tern_app_deferred_count();
	e->last_change_ns = tern_mono_ns();
	return 0;
}

/* The name of the app in slot s (control thread), or "?". */
static const char *
slot_name(const struct tern_engine *e, uint8_t s)
{
	return s != 0 && s <= TERN_MAX_APPS && e->apps[s] != NULL ? e->apps[s]->name : "?";
}

int
tern_engine_bind_udp(struct tern_engine *e, uint16_t port, const char *name,
		     struct tern_err *err)
{
	struct tern_app_instance *app = tern_engine_app_find(e, name);
	struct tern_handler h;
	struct tern_handler_table *t;
	uint8_t cur;
	int ret;

	if (app == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded", name);
	cur = e->handlers != NULL ? e->handlers->udp[port] : 0;
	if (cur != 0 && cur != app->slot)
		return tern_err_set(err, EBUSY, "UDP port %u is bound to app '%s': to move it, "
				    "rebind udp %u %s", port, slot_name(e, cur), port, name);
	t = tern_handler_table_clone(e->handlers);
	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	h = tern_engine_handler_of(app);
	ret = tern_handler_table_bind_udp(t, port, app->slot, &h, err);
	return publish_or_discard(e, t, ret);
}

int
tern_engine_unbind_udp(struct tern_engine *e, uint16_t port, struct tern_err *err)
{
	struct tern_handler_table *t;
	int ret;

	if (e->handlers != NULL && tern_handler_table_canary(e->handlers, port) != NULL)
		return tern_err_set(err, EBUSY, "UDP port %u has a canary running: canary promote "
				    "or canary abort udp %u first", port, port);
	t = tern_handler_table_clone(e->handlers);
	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	ret = tern_handler_table_unbind_udp(t, port, err);
	return publish_or_discard(e, t, ret);
}

int
tern_engine_rebind_udp(struct tern_engine *e, uint16_t port, const char *name,
		       struct tern_err *err)
{
	struct tern_app_instance *app = tern_engine_app_find(e, name);
	struct tern_handler_table *t;
	uint8_t cur = e->handlers != NULL ? e->handlers->udp[port] : 0;

	if (app == NULL)
		return tern_err_set(err, ENOENT, "no app named '%s' is loaded", name);
	if (cur == 0)
		return tern_err_set(err, ENOENT, "UDP port %u is not bound: bind udp %u %s", port,
				    port, name);
	if (cur == app->slot)
		return tern_err_set(err, EALREADY, "UDP port %u is bound to '%s' already", port,
				    name);
	if (tern_handler_table_canary(e->handlers, port) != NULL)
		return tern_err_set(err, EBUSY, "UDP port %u has a canary running: canary promote "
				    "or canary abort udp %u first", port, port);
	t = tern_handler_table_clone(e->handlers);
	if (t == NULL)
		return tern_err_set(err, ENOMEM, "out of memory");
	/* One publish: each request is served by the old app or the new one. */
	t->udp[port] = app->slot;
	tern_engine_publish_handlers(e, t);
	return 0;
}

void
tern_engine_apps_tick(struct tern_engine *e)
{
	unsigned n;

	for (unsigned s = 1; s <= TERN_MAX_APPS; s++)
		if (e->apps[s] != NULL && e->apps[s]->later != NULL)
			tern_app_run_later(e->apps[s]);
	n = tern_app_deferred_count();
	if (n == 0)
		return;
	if (n > UNLOAD_MAX_WAITING || tern_mono_ns() - e->last_change_ns >= UNLOAD_QUIET_NS)
		tern_app_unload_deferred(0);
	else
		tern_app_unload_deferred(UNLOAD_MAX_AGE_NS);
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
	tern_engine_publish_handlers(e, t);
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
