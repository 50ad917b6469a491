/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The sockets a vdev's driver opened on a kernel interface (net_af_packet's
 * packet sockets, net_af_xdp's XDP sockets), found among this process's
 * descriptors: DPDK 22.11 gives no other way to reach them. Used to read
 * what the kernel dropped (kernel_drops.h) and to sleep until a frame
 * arrives (the worker's idle wait). Control thread, after the port started.
 */
#ifndef TERN_KERNEL_SOCKETS_H
#define TERN_KERNEL_SOCKETS_H

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_KSOCK_MAX 16

#ifndef AF_XDP
#define AF_XDP 44 /* older C libraries' sys/socket.h lack it */
#endif

/**
 * Up to max descriptors of this process that are sockets of family into
 * fds; returns how many. AF_PACKET: those bound to ifname. AF_XDP: every
 * XDP socket of the process, whatever ifname (the kernel does not name an
 * XDP socket's interface to getsockname), so with several AF_XDP ports a
 * port's list holds the others' sockets too.
 */
unsigned tern_kernel_sockets(int family, const char *ifname, int *fds, unsigned max);

#ifdef __cplusplus
}
#endif

#endif /* TERN_KERNEL_SOCKETS_H */
