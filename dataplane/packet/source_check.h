/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Who tern never answers: requests whose source address no reply may go to
 * (RFC 1122 3.2.1.3, RFC 1812 5.3.7, RFC 4291): unspecified, loopback,
 * multicast, limited or directed broadcast, class E, or one of tern's own
 * addresses. Answering them would reflect traffic onto a group, a whole
 * subnet or tern itself. Pure functions on the fast path, any thread.
 */
#ifndef TERN_SOURCE_CHECK_H
#define TERN_SOURCE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "addr_table.h"

#ifdef __cplusplus
extern "C" {
#endif

/** True if an IPv4 request from src (network order) arriving on port may be
 *  answered: not 0/8, 127/8, 224/4 (multicast), 240/4 (class E and the
 *  limited broadcast), the broadcast or network address of one of tern's
 *  subnets on port, nor one of tern's own addresses. */
bool tern_source_ok4(const struct tern_addr_table *t, uint16_t port, const uint8_t *src);

/** True if an IPv6 request from src may be answered: not ::, not ::1, not
 *  ff00::/8 (multicast), not a v4-mapped address, nor one of tern's own. */
bool tern_source_ok6(const struct tern_addr_table *t, uint16_t port, const uint8_t *src);

#ifdef __cplusplus
}
#endif

#endif /* TERN_SOURCE_CHECK_H */
