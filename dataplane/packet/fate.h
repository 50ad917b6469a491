/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What classification decides for one received frame: it becomes a request
 * for an app, it was rewritten in place into a reply (ARP, ICMP, NDP) that
 * the caller sends, or it is dropped, counted under a named drop counter.
 * Fast path; a plain value, returned in a register.
 */
#ifndef TERN_FATE_H
#define TERN_FATE_H

#include <stdint.h>

#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

enum tern_fate_kind {
	TERN_FATE_TO_APP = 0, /**< queued as a request for its app */
	TERN_FATE_REPLY,      /**< rewritten into a reply: the caller sends it */
	TERN_FATE_DROP,       /**< the caller frees it and counts why */
};

struct tern_fate {
	uint8_t kind;         /**< enum tern_fate_kind */
	uint8_t why;          /**< enum tern_ctr (a drop counter) for TERN_FATE_DROP */
};

static inline struct tern_fate
tern_fate_to_app(void)
{
	return (struct tern_fate){ .kind = TERN_FATE_TO_APP };
}

static inline struct tern_fate
tern_fate_reply(void)
{
	return (struct tern_fate){ .kind = TERN_FATE_REPLY };
}

static inline struct tern_fate
tern_fate_drop(enum tern_ctr why)
{
	return (struct tern_fate){ .kind = TERN_FATE_DROP, .why = (uint8_t)why };
}

#ifdef __cplusplus
}
#endif

#endif /* TERN_FATE_H */
