/* SPDX-License-Identifier: BSD-3-Clause */
/* A vdev driver's kernel sockets: see kernel_sockets.h. */
#include <dirent.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_packet.h>

#include "decimal.h"
#include "kernel_sockets.h"

static bool
socket_domain_is(int fd, int family)
{
	int dom = -1;
	socklen_t len = sizeof(dom);

	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 && dom == family;
}

/* Is fd an AF_PACKET socket bound to interface ifindex? */
static bool
packet_socket_on(int fd, unsigned ifindex)
{
	struct sockaddr_ll sll;
	socklen_t len = sizeof(sll);

	memset(&sll, 0, sizeof(sll));
	if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0)
		return false;
	return sll.sll_family == AF_PACKET && (unsigned)sll.sll_ifindex == ifindex;
}

static bool
matches(int fd, int family, unsigned ifindex)
{
	if (family == AF_PACKET)
		return packet_socket_on(fd, ifindex);
	return socket_domain_is(fd, family);
}

unsigned
tern_kernel_sockets(int family, const char *ifname, int *fds, unsigned max)
{
	unsigned ifindex = ifname != NULL ? if_nametoindex(ifname) : 0, n = 0;
	struct dirent *de;
	DIR *dir;

	if ((family == AF_PACKET && ifindex == 0) || (dir = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL && n < max) {
		uint64_t fd;

		if (tern_dec_parse(de->d_name, 0, INT_MAX, &fd) < 0 || (int)fd == dirfd(dir))
			continue;
		if (matches((int)fd, family, ifindex))
			fds[n++] = (int)fd;
	}
	closedir(dir);
	return n;
}
