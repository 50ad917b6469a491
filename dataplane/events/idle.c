/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "idle.h"

#define IDLE_POLL_DEFAULT      100
#define IDLE_SLEEP_MIN_DEFAULT 10
#define IDLE_SLEEP_MAX_DEFAULT 200
/* A sleep longer than this would delay stopping and every first packet. */
#define IDLE_SLEEP_LIMIT_US    1000000
#define IDLE_SPEC_MAX          128

#define IDLE_EXPECTED "expected busy, adaptive or adaptive:KEY=N[,KEY=N...] " \
	"with KEY poll_us, sleep_min_us or sleep_max_us"

void
tern_idle_conf_default(struct tern_idle_conf *c, enum tern_idle_mode mode)
{
	c->mode = mode;
	c->poll_us = IDLE_POLL_DEFAULT;
	c->sleep_min_us = IDLE_SLEEP_MIN_DEFAULT;
	c->sleep_max_us = IDLE_SLEEP_MAX_DEFAULT;
}

const char *
tern_idle_mode_name(enum tern_idle_mode mode)
{
	return mode == TERN_IDLE_ADAPTIVE ? "adaptive" : "busy";
}

/* One KEY=N of an adaptive spec into c. */
static int
parse_param(char *kv, struct tern_idle_conf *c, struct tern_err *err)
{
	static const struct {
		const char *key;
		size_t off;
		uint32_t min, max;
	} keys[] = {
		{ "poll_us", offsetof(struct tern_idle_conf, poll_us), 0, IDLE_SLEEP_LIMIT_US },
		{ "sleep_min_us", offsetof(struct tern_idle_conf, sleep_min_us),
		  1, IDLE_SLEEP_LIMIT_US },
		{ "sleep_max_us", offsetof(struct tern_idle_conf, sleep_max_us),
		  1, IDLE_SLEEP_LIMIT_US },
	};
	char *val = strchr(kv, '=');
	uint64_t v;

	if (val == NULL)
		return tern_err_set(err, EINVAL, "idle parameter '%s' has no value (%s)",
				    kv, IDLE_EXPECTED);
	*val++ = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(kv, keys[i].key) != 0)
			continue;
		if (tern_dec_parse(val, keys[i].min, keys[i].max, &v) < 0)
			return tern_err_set(err, EINVAL, "bad idle %s '%s' (expected %u-%u)",
					    kv, val, keys[i].min, keys[i].max);
		*(uint32_t *)((char *)c + keys[i].off) = (uint32_t)v;
		return 0;
	}
	return tern_err_set(err, EINVAL, "unknown idle parameter '%s' (%s)", kv,
			    IDLE_EXPECTED);
}

/* The KEY=N[,KEY=N...] list after "adaptive:" into c, then check it whole. */
static int
parse_params(const char *list, struct tern_idle_conf *c, struct tern_err *err)
{
	char buf[IDLE_SPEC_MAX], *kv, *next;
	int rc;

	if (strlen(list) >= sizeof(buf))
		return tern_err_set(err, EINVAL, "idle policy too long (at most %d characters)",
				    IDLE_SPEC_MAX - 1);
	strcpy(buf, list);
	for (kv = buf; kv != NULL; kv = next) {
		next = strchr(kv, ',');
		if (next != NULL)
			*next++ = '\0';
		if (*kv == '\0')
			return tern_err_set(err, EINVAL, "empty idle parameter in 'adaptive:%s' (%s)",
					    list, IDLE_EXPECTED);
		rc = parse_param(kv, c, err);
		if (rc < 0)
			return rc;
	}
	if (c->sleep_max_us < c->sleep_min_us)
		return tern_err_set(err, EINVAL, "idle sleep_max_us=%u is below sleep_min_us=%u",
				    c->sleep_max_us, c->sleep_min_us);
	return 0;
}

int
tern_idle_parse(const char *s, struct tern_idle_conf *c, struct tern_err *err)
{
	static const char adaptive[] = "adaptive";
	const size_t n = sizeof(adaptive) - 1;
	struct tern_idle_conf tmp;
	int rc;

	if (strcmp(s, "busy") == 0) {
		tern_idle_conf_default(c, TERN_IDLE_BUSY);
		return 0;
	}
	if (strncmp(s, adaptive, n) != 0 || (s[n] != '\0' && s[n] != ':'))
		return tern_err_set(err, EINVAL, "bad idle policy '%s' (%s)", s, IDLE_EXPECTED);
	tern_idle_conf_default(&tmp, TERN_IDLE_ADAPTIVE);
	if (s[n] == ':') {
		rc = parse_params(s + n + 1, &tmp, err);
		if (rc < 0)
			return rc;
	}
	*c = tmp; /* only a whole, valid policy replaces the caller's */
	return 0;
}

void
tern_idle_init(struct tern_idle *s, const struct tern_idle_conf *c, uint64_t now,
	       uint64_t tsc_hz)
{
	s->conf = *c;
	s->poll_cycles = (uint64_t)((double)c->poll_us * (double)tsc_hz / 1e6);
	s->last_work = now;
	s->sleep_us = c->sleep_min_us;
	s->sleeps = 0;
	s->slept_ns = 0;
}

enum tern_idle_action
tern_idle_step(struct tern_idle *s, unsigned work, uint64_t now, uint64_t *sleep_ns)
{
	if (s->conf.mode == TERN_IDLE_BUSY)
		return TERN_IDLE_POLL;
	if (work != 0) {
		s->last_work = now;
		s->sleep_us = s->conf.sleep_min_us;
		return TERN_IDLE_POLL;
	}
	if (now - s->last_work < s->poll_cycles)
		return TERN_IDLE_PAUSE;
	/* Asleep: the step doubles to its cap while nothing arrives. */
	*sleep_ns = (uint64_t)s->sleep_us * 1000;
	s->sleeps++;
	s->slept_ns += *sleep_ns;
	s->sleep_us = s->sleep_us > s->conf.sleep_max_us / 2 ?
		      s->conf.sleep_max_us : s->sleep_us * 2;
	return TERN_IDLE_SLEEP;
}
