/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * tern-bench's datapath: one DPDK port, one queue pair, driven by the
 * calling lcore (TX and RX interleaved in one loop). lg_run() runs one
 * measurement: warm-up, a measured window, then a drain, and fills an
 * lg_result. Not thread-safe: one run at a time per port.
 *
 * Every request sent in the measured window ends as exactly one of
 * on_time, late or lost (sent == on_time + late + lost); duplicates,
 * invalid and stale replies are counted apart. Warm-up requests are checked
 * the same way but counted only in warmup_sent / warmup_replies.
 */
#ifndef TERN_BENCH_LOADGEN_H
#define TERN_BENCH_LOADGEN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "latency_hist.h"
#include "packet.h"

#ifdef __cplusplus
extern "C" {
#endif

enum lg_mode {
	LG_CLOSED = 0,	/**< a fixed number of requests outstanding */
	LG_OPEN,	/**< a schedule of intended send times, replies or not */
};

enum lg_arrival {
	LG_CONST = 0,	/**< gaps of exactly 1/rate */
	LG_POISSON,	/**< exponential gaps of mean 1/rate */
};

struct lg_run_cfg {
	enum lg_mode mode;
	enum lg_arrival arrival;
	double rate;		/**< open loop: requests per second */
	uint32_t outstanding;	/**< closed loop: requests in flight */
	double duration_s;	/**< measured window */
	double warmup_s;	/**< before the window; excluded from statistics */
	uint32_t timeout_ms;	/**< a reply later than this is late; also the drain */
};

struct lg_result {
	double duration_s;	/**< measured window, from the TSC */
	uint64_t scheduled;	/**< open loop: intended sends in the window; closed: = sent */
	uint64_t sent;		/**< requests sent in the window */
	uint64_t unsent;	/**< scheduled but never sent (generator too slow) */
	uint64_t on_time;	/**< first replies within timeout */
	uint64_t late;		/**< first replies after timeout */
	uint64_t lost;		/**< no reply by the end of the drain */
	uint64_t dup;		/**< further replies to an answered request (whole run) */
	uint64_t invalid;	/**< replies failing a check (whole run) */
	uint64_t stale;		/**< valid replies to an earlier run */
	uint64_t other;		/**< frames that are not replies to us (ARP etc.) */
	uint64_t tx_fail;	/**< failed burst calls (TX ring full), retried */
	uint64_t warmup_sent;
	uint64_t warmup_replies;
	uint64_t gen_lag_cycles;	/**< max(actual - intended send), window only */
	uint64_t lat_sum_cycles;	/**< sum of latencies in hist, for the mean */
	uint64_t tsc_hz;
	struct tern_hist hist;	/**< latency in TSC cycles, on_time + late */
};

/** The port and what lg_run needs from it. */
struct lg_port {
	uint16_t port_id;
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
};

/**
 * Configure and start the only DPDK port (1 RX, 1 TX queue) and wait for its
 * link. Returns 0 or -errno (a message is printed to stderr).
 */
int lg_port_init(struct lg_port *p);

/**
 * Find the MAC of dst_ip (host order) by ARP from src_ip. Returns 0 with
 * *mac set, or -ETIMEDOUT after timeout_ms.
 */
int lg_arp_resolve(struct lg_port *p, uint32_t src_ip, uint32_t dst_ip, uint32_t timeout_ms,
		   struct rte_ether_addr *mac);

/**
 * One run with template t and run id run_id. r is zeroed first.
 * Returns 0 or -ENOMEM (sequence bitmap).
 */
int lg_run(struct lg_port *p, const struct lg_tmpl *t, const struct lg_run_cfg *c,
	   uint32_t run_id, struct lg_result *r);

/**
 * LG_PROTO_MC_GET: store every key of t (memcached "set" of t->cfg.size
 * bytes), waiting for "STORED" and sending again what is missing, up to 5
 * rounds of timeout_ms. Returns 0, or -EIO (a message is printed).
 */
int lg_mc_preload(struct lg_port *p, const struct lg_tmpl *t, uint32_t timeout_ms);

/**
 * Stop polling and keep the port open until its link goes down or
 * linger_ms pass (memif: the peer should disconnect first).
 */
void lg_linger(struct lg_port *p, uint32_t linger_ms);

/** Stop and close the port, free the pool. */
void lg_port_close(struct lg_port *p);

#ifdef __cplusplus
}
#endif

#endif /* TERN_BENCH_LOADGEN_H */
