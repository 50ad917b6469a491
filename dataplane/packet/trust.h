/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Who may get replies larger than max_amplification times the request:
 * sources on tern's own subnets (the prefixes of its addresses on the port
 * the request came in on; on unless `trust local off`) and the prefixes an
 * operator trusts (`trust add PREFIX`). Everyone else stays limited: UDP
 * has no handshake, so a source address proves nothing.
 *
 * A table is immutable once published: the control thread builds a new one
 * (tern_trust_with / tern_trust_without / tern_trust_local) and publishes
 * it through RCU; workers read it under rcu_dereference, and only when a
 * reply is over its limit (never for replies within it).
 */
#ifndef TERN_TRUST_H
#define TERN_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#include "addr_table.h"
#include "err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_TRUST_MAX 64    /**< trusted prefixes at once */

/** An IPv4 or IPv6 prefix; host bits are zero. */
struct tern_prefix {
	uint8_t family;      /**< 4 or 6 */
	uint8_t len;         /**< 0..32 or 0..128 */
	uint8_t addr[16];    /**< network order; IPv4 uses the first 4 bytes */
};

struct tern_trust_table {
	bool local;          /**< trust the subnets of tern's own addresses */
	unsigned n;
	struct tern_prefix p[TERN_TRUST_MAX];
};

/**
 * Parse "ADDR/LEN" (IPv4 or IPv6; without /LEN, the one address). Host bits
 * must be zero: "198.18.0.1/15" is refused, naming 198.18.0.0/15.
 * @return 0, or -EINVAL with err saying what is wrong.
 */
int tern_prefix_parse(const char *s, struct tern_prefix *out, struct tern_err *err);

/** Format p as "ADDR/LEN" into buf. Returns buf. */
char *tern_prefix_format(const struct tern_prefix *p, char *buf, unsigned len);

/** The subnet of one of tern's addresses: its prefix, host bits cleared. */
void tern_prefix_of_addr(const struct tern_addr *a, struct tern_prefix *out);

/** True if ip (4 or 16 bytes, network order, of family) is inside p. */
bool tern_prefix_has(const struct tern_prefix *p, uint8_t family, const uint8_t *ip);

/**
 * A copy of old (NULL: the default, local trusted and no prefix) plus p.
 * Control thread. @return the new table (free()), or NULL with errno and err:
 * EEXIST (already trusted), ENOSPC (TERN_TRUST_MAX), ENOMEM.
 */
struct tern_trust_table *tern_trust_with(const struct tern_trust_table *old,
					 const struct tern_prefix *p, struct tern_err *err);

/** A copy of old without p. NULL with errno ENOENT (not trusted) or ENOMEM. */
struct tern_trust_table *tern_trust_without(const struct tern_trust_table *old,
					    const struct tern_prefix *p, struct tern_err *err);

/** A copy of old with local trust on or off. NULL with errno ENOMEM. */
struct tern_trust_table *tern_trust_local(const struct tern_trust_table *old, bool on,
					  struct tern_err *err);

/**
 * True if a source (family 4 or 6, src network order) that sent a request
 * in on port is trusted by t (NULL: the default) given tern's addresses at.
 * Any thread; workers only on the slow path (a reply over its limit).
 */
bool tern_trusted(const struct tern_trust_table *t, const struct tern_addr_table *at,
		  uint16_t port, uint8_t family, const uint8_t *src);

#ifdef __cplusplus
}
#endif

#endif /* TERN_TRUST_H */
