/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE /* dlinfo */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>

#include "app_loader.h"
#include "app_timer.h"
#include "mono_clock.h"

/** The key=value arguments split for init; strings live in buf. */
struct kv_args {
	struct tern_app_kv kv[TERN_APP_MAX_KV];
	char *buf[TERN_APP_MAX_KV];
	unsigned n;
};

static int
check_name(const char *name, struct tern_err *err)
{
	size_t len = name != NULL ? strlen(name) : 0;

	if (len == 0)
		return tern_err_set(err, EINVAL, "app name is empty");
	if (len >= TERN_APP_NAME_MAX)
		return tern_err_set(err, EINVAL, "app name '%.*s...' is too long (at most %d characters)",
				    16, name, TERN_APP_NAME_MAX - 1);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return tern_err_set(err, EINVAL,
					    "app name '%s' has '%c': use only letters, digits, '_' and '-'",
					    name, c);
	}
	return 0;
}

static int
check_path(const char *name, const char *path, struct tern_err *err)
{
	struct stat st;
	int e;

	if (path == NULL || path[0] == '\0')
		return tern_err_set(err, EINVAL, "app '%s': no path given", name);
	if (strchr(path, '/') == NULL)
		return tern_err_set(err, EINVAL,
				    "app '%s': path '%s' has no '/': write ./%s or an absolute path "
				    "(bare names would go through the library search path)",
				    name, path, path);
	if (strlen(path) >= PATH_MAX)
		return tern_err_set(err, ENAMETOOLONG, "app '%s': path is too long", name);
	if (stat(path, &st) != 0) {
		e = errno;
		return tern_err_set(err, e, "app '%s': %s: %s", name, path, strerror(e));
	}
	if (!S_ISREG(st.st_mode))
		return tern_err_set(err, ENOEXEC, "app '%s': %s is not a regular file", name, path);
	return 0;
}

static void
kv_free(struct kv_args *a)
{
	for (unsigned i = 0; i < a->n; i++)
		free(a->buf[i]);
	a->n = 0;
}

static int
kv_find(const struct kv_args *a, const char *key)
{
	for (unsigned i = 0; i < a->n; i++)
		if (strcmp(a->kv[i].key, key) == 0)
			return 1;
	return 0;
}

/* Split one "key=value" into a->kv[a->n]. */
static int
kv_add(struct kv_args *a, const char *name, const char *s, struct tern_err *err)
{
	const char *eq = strchr(s, '=');
	char *copy;

	if (eq == NULL)
		return tern_err_set(err, EINVAL, "app '%s': argument '%s' is not key=value", name, s);
	if (eq == s)
		return tern_err_set(err, EINVAL, "app '%s': argument '%s' has an empty key", name, s);
	copy = strdup(s);
	if (copy == NULL)
		return tern_err_set(err, ENOMEM, "app '%s': out of memory", name);
	copy[eq - s] = '\0';
	if (kv_find(a, copy)) {
		tern_err_set(err, EINVAL, "app '%s': argument '%s' given twice", name, copy);
		free(copy);
		return -EINVAL;
	}
	a->buf[a->n] = copy;
	a->kv[a->n].key = copy;
	a->kv[a->n].value = copy + (eq - s) + 1;
	a->n++;
	return 0;
}

/* Check and split the arguments, and record them space-joined in args. */
static int
kv_parse(struct kv_args *a, const char *name, unsigned n_kv, char *const *kv,
	 char *args, struct tern_err *err)
{
	size_t used = 0;
	int ret;

	a->n = 0;
	args[0] = '\0';
	if (n_kv > TERN_APP_MAX_KV)
		return tern_err_set(err, E2BIG, "app '%s': %u arguments, at most %d allowed",
				    name, n_kv, TERN_APP_MAX_KV);
	for (unsigned i = 0; i < n_kv; i++) {
		ret = kv_add(a, name, kv[i], err);
		if (ret != 0)
			goto out_free;
		ret = snprintf(args + used, TERN_APP_ARGS_MAX - used, "%s%s",
			       i > 0 ? " " : "", kv[i]);
		if (ret < 0 || (size_t)ret >= TERN_APP_ARGS_MAX - used) {
			ret = tern_err_set(err, E2BIG, "app '%s': arguments longer than %d characters",
					   name, TERN_APP_ARGS_MAX - 1);
			goto out_free;
		}
		used += (size_t)ret;
	}
	return 0;

out_free:
	kv_free(a);
	return ret;
}

static int
check_descriptor(const char *name, const char *path,
		 const struct tern_app_descriptor *d, struct tern_err *err)
{
	if (d->abi_version != TERN_APP_ABI_VERSION)
		return tern_err_set(err, ENOEXEC,
				    "app '%s': %s was built for tern app ABI %u, this ternd speaks ABI %u: "
				    "rebuild it against this tern's headers",
				    name, path, d->abi_version, TERN_APP_ABI_VERSION);
	if (d->size != sizeof(*d))
		return tern_err_set(err, ENOEXEC,
				    "app '%s': %s has a %u-byte descriptor, this ternd expects %zu: "
				    "rebuild it against this tern's headers",
				    name, path, d->size, sizeof(*d));
	if (d->name == NULL)
		return tern_err_set(err, ENOEXEC, "app '%s': %s's descriptor has no name", name, path);
	if (d->init == NULL || d->udp_burst == NULL)
		return tern_err_set(err, ENOEXEC, "app '%s': %s's descriptor has no %s function",
				    name, path, d->init == NULL ? "init" : "udp_burst");
	return 0;
}

struct prefault {
	ElfW(Addr) base;
	const char *name;
};

/* Map every page of the object's loaded segments now, on the control
 * thread, so that a worker running the new code for the first time takes
 * no page faults (they would show in the in-engine tail after a swap). */
static int
prefault_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	const struct prefault *p = arg;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	(void)size;
	if (info->dlpi_addr != p->base || strcmp(info->dlpi_name, p->name) != 0)
		return 0;
	for (unsigned i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) &
				~(page - 1);

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_R))
			continue;
		if (madvise((void *)start, end - start, MADV_POPULATE_READ) == 0)
			continue;
		for (uintptr_t a = start; a < end; a += page) /* kernels before 5.14 */
			(void)*(volatile const char *)a;
	}
	return 1;
}

static void
prefault(void *dl)
{
	struct link_map *lm = NULL;
	struct prefault p;

	if (dlinfo(dl, RTLD_DI_LINKMAP, &lm) != 0 || lm == NULL)
		return;
	p.base = lm->l_addr;
	p.name = lm->l_name;
	dl_iterate_phdr(prefault_object, &p);
}

/* Copy the file, then dlopen the copy: a new file each time, so the dynamic
 * linker can never hand back the handle of an older load. */
static int
open_app(struct tern_app_instance *app, struct tern_err *err)
{
	char dl_path[64], label[64];
	struct tern_err why = { "" };
	const char *base = strrchr(app->path, '/');
	uint64_t t0 = tern_mono_ns();
	int ret;

	snprintf(label, sizeof(label), "tern-app:%.48s", base != NULL ? base + 1 : app->path);
	ret = tern_app_image_copy(app->path, label, &app->img, &why);
	if (ret < 0)
		return tern_err_set(err, -ret, "app '%s': %s", app->name, why.msg);
	tern_app_image_dl_path(&app->img, dl_path, sizeof(dl_path));
	dlerror();
	app->dl = dlopen(dl_path, RTLD_NOW | RTLD_LOCAL);
	if (app->dl == NULL) {
		const char *e = dlerror();

		tern_app_image_close(&app->img);
		return tern_err_set(err, ENOEXEC, "app '%s': cannot load %s: %s", app->name,
				    app->path, e != NULL ? e : "unknown dlopen error");
	}
	dlerror();
	app->desc = dlsym(app->dl, TERN_APP_DESCRIPTOR_SYMBOL);
	if (app->desc == NULL) {
		bool hidden = tern_app_image_has_hidden_symbol(&app->img, TERN_APP_DESCRIPTOR_SYMBOL);

		dlclose(app->dl);
		app->dl = NULL;
		tern_app_image_close(&app->img);
		if (hidden)
			return tern_err_set(err, ENOEXEC,
					    "app '%s': %s defines %s but does not export it (built "
					    "with -fvisibility=hidden? declare it TERN_APP_EXPORT)",
					    app->name, app->path, TERN_APP_DESCRIPTOR_SYMBOL);
		return tern_err_set(err, ENOEXEC,
				    "app '%s': %s has no %s symbol (is it a tern app?)",
				    app->name, app->path, TERN_APP_DESCRIPTOR_SYMBOL);
	}
	prefault(app->dl);
	app->load_ns = tern_mono_ns() - t0;
	return 0;
}

static void
close_app(struct tern_app_instance *app)
{
	dlclose(app->dl);
	app->dl = NULL;
	tern_app_image_close(&app->img);
}

/* One block of counters per worker, cache aligned. */
static int
alloc_wstats(struct tern_app_instance *app, unsigned n_workers, struct tern_err *err)
{
	size_t n = n_workers != 0 ? n_workers : 1;

	app->ws = aligned_alloc(RTE_CACHE_LINE_SIZE, n * sizeof(*app->ws));
	if (app->ws == NULL)
		return tern_err_set(err, ENOMEM, "app '%s': out of memory", app->name);
	memset(app->ws, 0, n * sizeof(*app->ws));
	app->n_ws = (unsigned)n;
	return 0;
}

static int
run_init(struct tern_app_instance *app, const struct kv_args *a, unsigned n_workers,
	 const struct tern_host *host, struct tern_err *err)
{
	char why[TERN_ERR_MSG_MAX] = "";
	struct tern_app_init ia = {
		.name = app->name,
		.n_kv = a->n,
		.kv = a->kv,
		.n_workers = n_workers,
		.host = host,
		.self = app,
		.err = why,
		.err_len = sizeof(why),
	};
	uint64_t t0 = tern_mono_ns();
	int ret;

	ret = app->desc->init(&ia, &app->state);
	app->init_ns = tern_mono_ns() - t0;
	if (ret == 0)
		return 0;
	/* Timers a failed init armed must not fire into a closed object. */
	tern_timers_retire(&app->timers);
	tern_timers_cancel_all(&app->timers);
	tern_timers_free_all(&app->timers);
	ret = ret < 0 ? -ret : EINVAL;
	why[sizeof(why) - 1] = '\0';
	return tern_err_set(err, ret, "app '%s': init failed: %s", app->name,
			    why[0] != '\0' ? why : strerror(ret));
}

struct tern_app_instance *
tern_app_instance_create(const char *name, const char *path, unsigned n_kv,
			 char *const *kv, unsigned n_workers, const struct tern_host *host,
			 struct tern_err *err)
{
	struct tern_app_instance *app;
	struct kv_args args;
	int ret;

	ret = check_name(name, err);
	if (ret != 0)
		goto out;
	ret = check_path(name, path, err);
	if (ret != 0)
		goto out;
	app = calloc(1, sizeof(*app));
	if (app == NULL) {
		ret = tern_err_set(err, ENOMEM, "app '%s': out of memory", name);
		goto out;
	}
	snprintf(app->name, sizeof(app->name), "%s", name);
	snprintf(app->path, sizeof(app->path), "%s", path);
	ret = kv_parse(&args, name, n_kv, kv, app->args, err);
	if (ret != 0)
		goto out_free_app;
	ret = open_app(app, err);
	if (ret != 0)
		goto out_free_args;
	ret = check_descriptor(name, path, app->desc, err);
	if (ret == 0)
		ret = alloc_wstats(app, n_workers, err);
	if (ret != 0)
		goto out_close;
	ret = run_init(app, &args, n_workers, host, err);
	if (ret != 0)
		goto out_close;
	kv_free(&args);
	return app;

out_close:
	close_app(app);
	free(app->ws);
out_free_args:
	kv_free(&args);
out_free_app:
	free(app);
out:
	errno = -ret;
	return NULL;
}

/* A library left loaded by tern_app_instance_destroy_keep_code. */
struct deferred_code {
	void *dl;
	struct tern_app_image img;
	uint64_t since_ns;
	struct deferred_code *next;
};

static struct deferred_code *deferred;

/* Everything but the code: timers, fini, rate-limit tables, counters. */
/* A call queued by tern_host.later. */
struct tern_later {
	struct tern_later *next;
	void (*fn)(void *arg);
	void *arg;
};

int
tern_app_later(struct tern_app_instance *app, void (*fn)(void *arg), void *arg)
{
	struct tern_later *l = malloc(sizeof(*l)), **tail = &app->later;

	if (l == NULL)
		return -ENOMEM;
	*l = (struct tern_later){ .fn = fn, .arg = arg };
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = l;
	return 0;
}

void
tern_app_run_later(struct tern_app_instance *app)
{
	struct tern_later *l;

	while ((l = app->later) != NULL) {
		app->later = l->next;
		l->fn(l->arg);
		free(l);
	}
}

static void
destroy_state(struct tern_app_instance *app)
{
	/* What the app queued runs while its code and state are still there. */
	tern_app_run_later(app);
	/* Timers first: none may fire while fini frees what they point to. */
	tern_timers_retire(&app->timers);
	tern_timers_cancel_all(&app->timers);
	if (app->desc->fini != NULL)
		app->desc->fini(app->state);
	tern_timers_free_all(&app->timers);
	for (unsigned w = 0; w < app->n_rl_tables; w++)
		tern_rl_table_free(app->rl_tables[w]);
	free(app->rl_tables);
	free(app->ws);
	free(app->lat_base);
}

void
tern_app_instance_destroy(struct tern_app_instance *app)
{
	if (app == NULL)
		return;
	destroy_state(app);
	close_app(app);
	free(app);
}

void
tern_app_instance_destroy_keep_code(struct tern_app_instance *app)
{
	struct deferred_code *d;

	if (app == NULL)
		return;
	destroy_state(app);
	d = malloc(sizeof(*d));
	if (d == NULL) {
		close_app(app); /* no memory to remember it: unload now */
	} else {
		d->dl = app->dl;
		d->img = app->img;
		d->since_ns = tern_mono_ns();
		d->next = deferred;
		deferred = d;
	}
	free(app);
}

unsigned
tern_app_unload_deferred(uint64_t min_age_ns)
{
	struct deferred_code **pp = &deferred, *d;
	uint64_t now = tern_mono_ns();
	unsigned n = 0;

	while ((d = *pp) != NULL) {
		if (now - d->since_ns < min_age_ns) {
			pp = &d->next;
			continue;
		}
		*pp = d->next;
		dlclose(d->dl);
		tern_app_image_close(&d->img);
		free(d);
		n++;
	}
	return n;
}

unsigned
tern_app_deferred_count(void)
{
	unsigned n = 0;

	for (const struct deferred_code *d = deferred; d != NULL; d = d->next)
		n++;
	return n;
}
