/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "handler_table.h"

static int
slot_valid(uint8_t slot)
{
	return slot != 0 && slot <= TERN_MAX_APPS;
}

struct tern_handler_table *
tern_handler_table_clone(const struct tern_handler_table *old)
{
	struct tern_handler_table *t;

	if (old == NULL) {
		/* An empty table is one change after "no table" (generation 0). */
		t = calloc(1, sizeof(*t));
		if (t != NULL)
			t->generation = 1;
		return t;
	}
	t = malloc(sizeof(*t));
	if (t == NULL)
		return NULL;
	memcpy(t, old, sizeof(*t));
	t->generation = old->generation + 1;
	return t;
}

int
tern_handler_table_bind_udp(struct tern_handler_table *t, uint16_t port,
			    uint8_t slot, const struct tern_handler *h,
			    struct tern_err *err)
{
	if (!slot_valid(slot))
		return tern_err_set(err, EINVAL,
				    "app slot %u out of range (1-%u)",
				    slot, TERN_MAX_APPS);
	if (h == NULL || h->burst == NULL)
		return tern_err_set(err, EINVAL,
				    "cannot bind UDP port %u: handler has no burst function",
				    port);
	if (t->udp[port] != 0 && t->udp[port] != slot)
		return tern_err_set(err, EBUSY,
				    "UDP port %u is already bound to another app",
				    port);
	t->h[slot] = *h;
	t->udp[port] = slot;
	return 0;
}

int
tern_handler_table_unbind_udp(struct tern_handler_table *t, uint16_t port,
			      struct tern_err *err)
{
	if (t->udp[port] == 0)
		return tern_err_set(err, ENOENT, "UDP port %u is not bound",
				    port);
	t->udp[port] = 0;
	return 0;
}

unsigned
tern_handler_table_slot_ports(const struct tern_handler_table *t, uint8_t slot)
{
	unsigned n = 0;
	size_t p;

	if (!slot_valid(slot))
		return 0;
	for (p = 0; p < sizeof(t->udp); p++)
		n += t->udp[p] == slot;
	return n;
}

void
tern_handler_table_clear_slot(struct tern_handler_table *t, uint8_t slot)
{
	size_t p;

	if (!slot_valid(slot))
		return;
	for (p = 0; p < sizeof(t->udp); p++)
		if (t->udp[p] == slot)
			t->udp[p] = 0;
	memset(&t->h[slot], 0, sizeof(t->h[slot]));
}

int
tern_handler_table_move_slot(struct tern_handler_table *t, uint8_t from, uint8_t to,
			     const struct tern_handler *h, struct tern_err *err)
{
	size_t p;

	if (!slot_valid(from) || !slot_valid(to) || from == to || h == NULL || h->burst == NULL)
		return tern_err_set(err, EINVAL, "bad handler slot move %u -> %u", from, to);
	for (p = 0; p < sizeof(t->udp); p++)
		if (t->udp[p] == from)
			t->udp[p] = to;
	t->h[to] = *h;
	memset(&t->h[from], 0, sizeof(t->h[from]));
	return 0;
}

uint32_t
tern_canary_bucket(const uint8_t *src, uint8_t family, uint16_t sport)
{
	unsigned n = family == 4 ? 1 : 4;
	uint32_t w[4], h = 0x7e57u ^ sport;

	memcpy(w, src, n * sizeof(w[0])); /* src need not be 4-byte aligned */
	for (unsigned i = 0; i < n; i++)
		h = rte_hash_crc_4byte(w[i], h);

	/* scale to 0..99 without a division */
	return (uint32_t)(((uint64_t)h * 100u) >> 32);
}

const struct tern_canary_route *
tern_handler_table_canary(const struct tern_handler_table *t, uint16_t port)
{
	for (uint32_t i = 0; i < t->n_canary; i++)
		if (t->canary[i].port == port)
			return &t->canary[i];
	return NULL;
}

int
tern_handler_table_canary_set(struct tern_handler_table *t, uint16_t port, uint8_t slot,
			      uint8_t percent, struct tern_err *err)
{
	struct tern_canary_route *r = (struct tern_canary_route *)tern_handler_table_canary(t, port);

	if (!slot_valid(slot) || percent == 0 || percent > 99)
		return tern_err_set(err, EINVAL, "bad canary slot %u or percent %u", slot, percent);
	if (r == NULL) {
		if (t->n_canary >= TERN_MAX_CANARIES)
			return tern_err_set(err, ENOSPC, "%u canaries are running already (the most "
					    "at once)", TERN_MAX_CANARIES);
		r = &t->canary[t->n_canary++];
	}
	r->port = port;
	r->slot = slot;
	r->percent = percent;
	return 0;
}

void
tern_handler_table_canary_clear(struct tern_handler_table *t, uint16_t port)
{
	for (uint32_t i = 0; i < t->n_canary; i++) {
		if (t->canary[i].port != port)
			continue;
		t->canary[i] = t->canary[--t->n_canary];
		memset(&t->canary[t->n_canary], 0, sizeof(t->canary[0]));
		return;
	}
}
