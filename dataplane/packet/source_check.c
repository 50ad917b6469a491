/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "source_check.h"

/* One pass over tern's IPv4 subnets on port: src is not one of tern's
 * addresses, nor the all-ones (broadcast) or all-zeros (the network itself,
 * the old broadcast) host part of a subnet of /30 or wider (which have both). */
bool
tern_source_ok4(const struct tern_addr_table *t, uint16_t port, const uint8_t *src)
{
	uint32_t s;

	if (src[0] == 0 || src[0] == 127 || src[0] >= 224)
		return false; /* this network, loopback, multicast, class E, 255.255.255.255 */
	memcpy(&s, src, sizeof(s));
	for (unsigned i = 0; i < t->n4; i++) {
		const struct tern_addr4 *a = &t->a4[i];

		if (a->port_id != port)
			continue;
		if (s == a->addr || (a->directed && (s == a->net || s == a->bcast)))
			return false;
	}
	return true;
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
