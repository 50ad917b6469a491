/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The sockperf message header, as the sockperf 3.7 client puts it at the
 * start of every UDP payload (checked on the wire against Debian's sockperf
 * 3.7 ping-pong client and server):
 *
 *   offset 0   8 bytes  sequence number, big endian
 *   offset 8   2 bytes  flags, big endian: 1 client, 2 pong request, 4 warm-up
 *   offset 10  4 bytes  length of the whole message (header included), big endian
 *   offset 14  ...      client data (echoed unchanged)
 *
 * The header is 14 bytes; the client's smallest message (--msg-size 14) is the
 * header alone. A sockperf server answers a pong request with the whole
 * message, byte for byte, except that the client flag is cleared (flags 0x0003
 * become 0x0002); everything else (other messages) gets no answer.
 *
 * Pure functions on byte buffers: no DPDK, no allocation, thread-safe.
 */
#ifndef TERN_SOCKPERF_H
#define TERN_SOCKPERF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SOCKPERF_HDR_LEN 14u
#define SOCKPERF_FLAG_CLIENT 0x0001u
#define SOCKPERF_FLAG_PONG_REQUEST 0x0002u
#define SOCKPERF_FLAG_WARMUP 0x0004u

/** A decoded header, host order. */
struct sockperf_hdr {
	uint64_t seq;     /**< sequence number */
	uint16_t flags;   /**< SOCKPERF_FLAG_* */
	uint32_t length;  /**< whole message length, header included */
};

/** What to do with a message. */
enum sockperf_verdict {
	SOCKPERF_REPLY = 0,         /**< answer with the rewritten message */
	SOCKPERF_SHORT,             /**< shorter than the header: drop */
	SOCKPERF_BAD_LENGTH,        /**< length field != payload length: drop */
	SOCKPERF_NOT_PONG_REQUEST,  /**< valid, but no answer wanted: drop */
	SOCKPERF_VERDICT_MAX
};

/**
 * Decode the header at msg (len bytes available).
 * @return 0, or -EINVAL if len < SOCKPERF_HDR_LEN (hdr untouched).
 */
int sockperf_parse(const uint8_t *msg, size_t len, struct sockperf_hdr *hdr);

/**
 * Decide the answer to the message msg[0..len) and, if it is SOCKPERF_REPLY,
 * turn msg into the reply in place (client flag cleared, all else unchanged;
 * the reply has the same length as the request).
 */
enum sockperf_verdict sockperf_answer(uint8_t *msg, size_t len);

/** A short name for a verdict ("reply", "short", ...), for messages and stats. */
const char *sockperf_verdict_name(enum sockperf_verdict v);

#ifdef __cplusplus
}
#endif

#endif /* TERN_SOCKPERF_H */
