/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "sockperf.h"

#define SOCKPERF_OFF_SEQ 0
#define SOCKPERF_OFF_FLAGS 8
#define SOCKPERF_OFF_LENGTH 10

/* Big-endian loads and stores by bytes: the payload has no alignment. */
static uint64_t
load_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int
sockperf_parse(const uint8_t *msg, size_t len, struct sockperf_hdr *hdr)
{
	if (len < SOCKPERF_HDR_LEN)
		return -EINVAL;
	hdr->seq = load_be(msg + SOCKPERF_OFF_SEQ, 8);
	hdr->flags = (uint16_t)load_be(msg + SOCKPERF_OFF_FLAGS, 2);
	hdr->length = (uint32_t)load_be(msg + SOCKPERF_OFF_LENGTH, 4);
	return 0;
}

enum sockperf_verdict
sockperf_answer(uint8_t *msg, size_t len)
{
	struct sockperf_hdr hdr;

	if (sockperf_parse(msg, len, &hdr) != 0)
		return SOCKPERF_SHORT;
	if (hdr.length != len)
		return SOCKPERF_BAD_LENGTH;
	if (!(hdr.flags & SOCKPERF_FLAG_PONG_REQUEST))
		return SOCKPERF_NOT_PONG_REQUEST;
	store_be16(msg + SOCKPERF_OFF_FLAGS,
		   (uint16_t)(hdr.flags & ~SOCKPERF_FLAG_CLIENT));
	return SOCKPERF_REPLY;
}

const char *
sockperf_verdict_name(enum sockperf_verdict v)
{
	static const char *const names[SOCKPERF_VERDICT_MAX] = {
		[SOCKPERF_REPLY] = "reply",
		[SOCKPERF_SHORT] = "short",
		[SOCKPERF_BAD_LENGTH] = "bad_length",
		[SOCKPERF_NOT_PONG_REQUEST] = "not_pong_request",
	};

	if ((unsigned)v >= SOCKPERF_VERDICT_MAX)
		return "unknown";
	return names[v];
}
