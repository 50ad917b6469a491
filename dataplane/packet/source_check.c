/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "source_check.h"

/* src is the all-ones (broadcast) or all-zeros (the network itself, the
 * old broadcast) host part of one of tern's IPv4 subnets on port (subnets
 * of /30 and wider have both). */
static bool
is_directed_bcast4(const struct tern_addr_table *t, uint16_t port, uint32_t src)
{
	for (unsigned i = 0; i < t->n; i++) {
		const struct tern_addr *a = &t->a[i];
		uint32_t net, host;

		if (a->family != 4 || a->port_id != port || a->prefix > 30)
			continue;
		host = a->prefix == 0 ? UINT32_MAX : (UINT32_C(1) << (32 - a->prefix)) - 1;
		net = ((uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 |
		       (uint32_t)a->addr[2] << 8 | a->addr[3]) & ~host;
		if (src == (net | host) || src == net)
			return true;
	}
	return false;
}

bool
tern_source_ok4(const struct tern_addr_table *t, uint16_t port, const uint8_t *src)
{
	uint32_t s = (uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 |
		     (uint32_t)src[2] << 8 | src[3];

	if (src[0] == 0 || src[0] == 127 || src[0] >= 224)
		return false; /* this network, loopback, multicast, class E, 255.255.255.255 */
	if (is_directed_bcast4(t, port, s))
		return false;
	return !tern_addr_is_local4(t, port, src);
}

bool
tern_source_ok6(const struct tern_addr_table *t, uint16_t port, const uint8_t *src)
{
	static const uint8_t zero[15];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (src[0] == 0xff)
		return false; /* multicast */
	if (memcmp(src, zero, 15) == 0 && (src[15] == 0 || src[15] == 1))
		return false; /* unspecified, loopback */
	if (memcmp(src, mapped, 12) == 0)
		return false; /* v4-mapped: never on the wire */
	return !tern_addr_is_local6(t, port, src);
}
