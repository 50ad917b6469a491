/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the kernel dropped under a vdev before its driver could receive it.
 * DPDK 22.11's AF_XDP driver reports only part of it (its imissed leaves out
 * frames lost to a full socket ring) and af_packet none (frames lost to a
 * full packet ring are only in the socket's PACKET_STATISTICS). This counts
 * both: the kernel interface's rx_dropped (sysfs) since start, plus, for
 * af_packet, tp_drops of the driver's packet sockets, found among the
 * process's descriptors by the interface they are bound to. Control thread
 * only (sysfs reads, getsockopt); reading PACKET_STATISTICS resets it in
 * the kernel, so nothing else in the process may read it.
 */
#ifndef TERN_KERNEL_DROPS_H
#define TERN_KERNEL_DROPS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_KDROPS_MAX_FDS 16

struct tern_kernel_drops {
	char ifname[32];               /**< "" = not a vdev on a kernel interface */
	bool have_sysfs;               /**< rx_dropped was readable at start */
	uint64_t sysfs_base;           /**< rx_dropped at start */
	uint64_t sysfs_delta;          /**< rx_dropped since start, at the last poll */
	unsigned n_fds;                /**< af_packet sockets found */
	int fds[TERN_KDROPS_MAX_FDS];
	uint64_t packet_drops;         /**< tp_drops summed since start */
};

/**
 * Start counting for a port whose driver is driver (e.g. "net_af_packet")
 * on kernel interface ifname ("" or NULL: nothing to count). Call after the
 * port started (the driver's sockets exist then).
 */
void tern_kernel_drops_init(struct tern_kernel_drops *d, const char *driver,
			    const char *ifname);

/** Read the kernel's counters again (every control tick). */
void tern_kernel_drops_poll(struct tern_kernel_drops *d);

/** Frames dropped since start as of the last poll; false if nothing is counted. */
bool tern_kernel_drops_total(const struct tern_kernel_drops *d, uint64_t *total);

#ifdef __cplusplus
}
#endif

#endif /* TERN_KERNEL_DROPS_H */
