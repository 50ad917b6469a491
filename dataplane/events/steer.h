/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Software steering: when a port has fewer RX queues than there are workers
 * (af_packet, tap, many virtual NICs), the worker that receives a queue
 * spreads its frames over all workers by the same symmetric Toeplitz hash a
 * NIC's RSS would use, so each flow (both directions) stays on one worker.
 * Frames that are not IPv4/IPv6 (ARP, ...) stay with the receiver.
 *
 * A tern_steer is built once on the control thread and read-only after;
 * any thread may use it.
 */
#ifndef TERN_STEER_H
#define TERN_STEER_H

#include <stdint.h>

#include "rss.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_STEER_RETA 128     /**< indirection entries, hash % TERN_STEER_RETA */
#define TERN_STEER_LOCAL 0xffffu /**< "keep it on the receiving worker" */

/** When a receiving worker spreads its queue over all workers (--steer). */
enum tern_steer_mode {
	TERN_STEER_AUTO = 0,     /**< on ports with fewer RX queues than workers */
	TERN_STEER_OFF,          /**< never: extra workers get no traffic from such ports */
};

/** Parse "auto" or "off". -EINVAL otherwise. */
int tern_steer_mode_parse(const char *s, enum tern_steer_mode *mode);
const char *tern_steer_mode_name(enum tern_steer_mode mode);

struct tern_steer {
	unsigned n_workers;
	uint64_t hf;                          /**< hash types (RTE_ETH_RSS_*), as rss.h */
	uint8_t key[TERN_RSS_KEY_MAX];        /**< Toeplitz key (symmetric by default) */
	uint8_t key_len;
	uint16_t reta[TERN_STEER_RETA];       /**< worker per entry: i % n_workers */
};

/** Build s for n_workers (>= 1) over key (key_len <= TERN_RSS_KEY_MAX bytes)
 *  and hash types hf. */
void tern_steer_init(struct tern_steer *s, unsigned n_workers, const uint8_t *key,
		     unsigned key_len, uint64_t hf);

/** The worker for flow f (hash as tern_rss_hash, then reta). */
uint16_t tern_steer_flow_worker(const struct tern_steer *s, const struct tern_rss_flow *f);

/**
 * The worker for an Ethernet frame (up to two VLAN tags, IPv4 or IPv6, UDP or
 * TCP ports when present): the same answer as tern_steer_flow_worker for its
 * flow; TERN_STEER_LOCAL for non-IP or truncated frames. Fast path; reads only
 * the headers, no checksum checks (the destination worker does those).
 */
uint16_t tern_steer_frame_worker(const struct tern_steer *s, const uint8_t *frame,
				 uint16_t len);

#ifdef __cplusplus
}
#endif

#endif /* TERN_STEER_H */
