/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * tern's own IP addresses, per port. A table is immutable once published:
 * the control thread builds a new one (tern_addr_table_with) and publishes it
 * through RCU (rcu_publish.h); workers read it under rcu_dereference.
 */
#ifndef TERN_ADDR_TABLE_H
#define TERN_ADDR_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_MAX_ADDRS 32

struct tern_addr {
	uint8_t family;     /**< 4 or 6 */
	uint8_t prefix;     /**< prefix length: 0..32 or 0..128 */
	uint16_t port_id;   /**< DPDK port the address lives on */
	uint8_t addr[16];   /**< network order; IPv4 uses the first 4 bytes */
};

/** An IPv4 entry as 32-bit words (network order, as a 4-byte load gives
 *  them), for the per-packet checks. */
struct tern_addr4 {
	uint32_t addr;      /**< the address */
	uint32_t net;       /**< its subnet's network address */
	uint32_t bcast;     /**< its subnet's broadcast address */
	uint16_t port_id;
	uint8_t directed;   /**< net and bcast are distinct from hosts: prefix <= 30 */
};

struct tern_addr_table {
	unsigned n;
	unsigned n4;                          /**< entries in a4 */
	struct tern_addr a[TERN_MAX_ADDRS];
	struct tern_addr4 a4[TERN_MAX_ADDRS]; /**< a's IPv4 entries, in order */
};

/**
 * Parse "ADDR/PREFIX[@PORT]" (IPv4 or IPv6; PREFIX optional, defaulting to
 * 32 or 128; PORT defaulting to 0) into out.
 * @return 0, or -EINVAL with err naming what is wrong.
 */
int tern_addr_parse(const char *s, struct tern_addr *out, struct tern_err *err);

/** Format a as "ADDR/PREFIX" into buf. Returns buf. */
char *tern_addr_format(const struct tern_addr *a, char *buf, unsigned len);

/**
 * A new table holding old's addresses plus a (old may be NULL). Control thread.
 * @return the new table (free with free()), or NULL with err set: -EEXIST if
 * the address is already there, -ENOSPC if full, -ENOMEM.
 */
struct tern_addr_table *tern_addr_table_with(const struct tern_addr_table *old,
					     const struct tern_addr *a,
					     struct tern_err *err);

/** True if ip (4 bytes, network order) is one of tern's on port. Fast path. */
static inline bool
tern_addr_is_local4(const struct tern_addr_table *t, uint16_t port, const uint8_t *ip)
{
	uint32_t v;

	memcpy(&v, ip, sizeof(v));
	for (unsigned i = 0; i < t->n4; i++)
		if (t->a4[i].addr == v && t->a4[i].port_id == port)
			return true;
	return false;
}

/** True if ip (16 bytes) is one of tern's on port. Fast path. */
bool tern_addr_is_local6(const struct tern_addr_table *t, uint16_t port,
			 const uint8_t *ip);

/** True if ip is the solicited-node multicast address (ff02::1:ffXX:XXXX)
 *  of one of tern's IPv6 addresses on port. Fast path. */
bool tern_addr_is_solicited6(const struct tern_addr_table *t, uint16_t port,
			     const uint8_t *ip);

#ifdef __cplusplus
}
#endif

#endif /* TERN_ADDR_TABLE_H */
