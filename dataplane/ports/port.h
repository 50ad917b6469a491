/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Port set-up: one RX and one TX queue per worker (fewer if the device has
 * fewer), RSS trimmed to what the device supports, TX checksum offloads where
 * offered. Control thread only; functions return 0 or -errno with err set.
 */
#ifndef TERN_PORT_H
#define TERN_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "kernel_drops.h"
#include "kernel_sockets.h"

#include "err.h"
#include "rss.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_MAX_QUEUES 128
#define TERN_RETA_MAX 512

struct tern_port_conf {
	unsigned n_workers;        /**< queues wanted (one per worker) */
	enum tern_rss_mode rss;
	uint16_t nb_rxd;           /**< RX descriptors per queue */
	uint16_t nb_txd;           /**< TX descriptors per queue */
	struct rte_mempool *pool;  /**< RX buffers */
	bool rx_intr;              /**< ask for RX interrupts (for --idle adaptive) */
};

struct tern_port {
	uint16_t port_id;
	char name[64];                        /**< ethdev name, e.g. net_af_xdp0 */
	char driver[32];                      /**< driver name */
	struct rte_ether_addr mac;
	uint16_t nb_queues;                   /**< RX == TX queues configured */
	uint16_t queue_worker[TERN_MAX_QUEUES]; /**< worker index that owns queue q */
	uint64_t rss_hf;                      /**< active RSS types; 0 = no RSS */
	uint8_t rss_key[TERN_RSS_KEY_MAX];
	uint8_t rss_key_len;
	uint16_t reta_size;                   /**< 0 if the device has none */
	uint16_t reta[TERN_RETA_MAX];         /**< queue per RETA entry */
	uint64_t tx_offloads;                 /**< RTE_ETH_TX_OFFLOAD_{IPV4,UDP}_CKSUM actually enabled */
	uint64_t rx_offloads;                 /**< RTE_ETH_RX_OFFLOAD_{IPV4,UDP}_CKSUM actually enabled */
	uint16_t mtu;                         /**< the port's MTU (IP bytes per frame), learnt at start */
	int8_t link;                          /**< 1 up, 0 down, -1 not read yet (tern_port_watch_link) */
	char kernel_if[32];                   /**< the kernel interface under a vdev (iface=), or "" */
	uint32_t link_changes;                /**< up/down transitions seen since start */
	struct tern_kernel_drops kdrops;      /**< kernel drops under a vdev; control thread */
	unsigned n_rx_wake;                   /**< descriptors in rx_wake_fd (0: none) */
	int rx_wake_fd[TERN_KSOCK_MAX];       /**< readable when a frame waits (kernel_sockets.h) */
	bool rx_intr;                         /**< configured with RX interrupts */
	int rx_intr_fd[TERN_MAX_QUEUES];      /**< queue q's RX interrupt fd, or -1 */
	bool rx_intr_eventfd[TERN_MAX_QUEUES];/**< that fd is an eventfd: read it after a wake */
	bool started;
};

/**
 * Configure port_id with c: queues (min of workers and device limits), RSS,
 * offloads, descriptors; queue q is owned by worker q when there are as many
 * queues as workers, else by (q + port_id) % n_workers. Does not start it.
 * Logs (to stdout) what was trimmed.
 */
int tern_port_setup(uint16_t port_id, const struct tern_port_conf *c,
		    struct tern_port *p, struct tern_err *err);

/** Start the port and learn its RETA (set to q = i % nb_queues where allowed). */
int tern_port_start(struct tern_port *p, struct tern_err *err);

/**
 * Read the link state without waiting; when it changed since the last call,
 * say so on f ("port 0 (net_af_xdp0): link down") and count it. Returns 1
 * if it changed, else 0. Control thread; the workers keep polling whatever
 * the link does, so traffic resumes by itself when it comes back.
 */
int tern_port_watch_link(struct tern_port *p, FILE *f);

/** Stop and close the port (if started). */
void tern_port_close(struct tern_port *p);

/** The RX queue flow f lands on (0 when the port has no RSS). */
uint16_t tern_port_flow_queue(const struct tern_port *p, const struct tern_rss_flow *f);

/** Print the port: name, MAC, queues, queue->lcore map, active RSS types,
 *  offloads. worker_lcore maps worker index to lcore id. */
void tern_port_print(const struct tern_port *p, const unsigned *worker_lcore, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* TERN_PORT_H */
