/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The protocols tern answers itself, so an ordinary host can reach it with no
 * static neighbour entries: ARP requests for tern's addresses, ICMP echo,
 * ICMPv6 echo and IPv6 neighbour solicitations.
 *
 * Each function takes a parsed frame whose Ethernet destination was already
 * accepted, and either rewrites it in place into a reply and returns
 * tern_fate_reply() (the caller sends it), or a drop with the counter that
 * says why not (the caller frees it). Fast path; the caller owns m throughout.
 */
#ifndef TERN_BUILTIN_H
#define TERN_BUILTIN_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "addr_table.h"
#include "parse.h"
#include "reply.h"
#include "fate.h"

#ifdef __cplusplus
extern "C" {
#endif

/** ARP: answer requests for tern's IPv4 addresses on port. */
struct tern_fate tern_builtin_arp(struct rte_mbuf *m, const struct tern_parsed *p,
			       uint16_t port, const struct tern_addr_table *at,
			       const struct tern_reply_port *rp);

/** ICMP over IPv4 addressed to tern: answer echo requests. */
struct tern_fate tern_builtin_icmp4(struct rte_mbuf *m, const struct tern_parsed *p,
				 const struct tern_reply_port *rp);

/** ICMPv6 addressed to tern (or to the solicited-node group of one of its
 *  addresses): answer echo requests and neighbour solicitations. */
struct tern_fate tern_builtin_icmp6(struct rte_mbuf *m, const struct tern_parsed *p,
				 uint16_t port, const struct tern_addr_table *at,
				 const struct tern_reply_port *rp);

#ifdef __cplusplus
}
#endif

#endif /* TERN_BUILTIN_H */
