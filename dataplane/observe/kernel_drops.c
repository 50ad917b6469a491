/* SPDX-License-Identifier: BSD-3-Clause */
/* Drops the kernel counted under a vdev: see kernel_drops.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_packet.h>

#include "kernel_drops.h"
#include "kernel_sockets.h"

static bool
read_sysfs_rx_dropped(const char *ifname, uint64_t *v)
{
	char path[112];
	unsigned long long x;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_dropped", ifname);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fscanf(f, "%llu", &x);
	fclose(f);
	if (n != 1)
		return false;
	*v = x;
	return true;
}

/* The af_packet driver's sockets: this process's descriptors that are packet
 * sockets bound to the interface. */
static void
find_packet_sockets(struct tern_kernel_drops *d)
{
	d->n_fds = tern_kernel_sockets(AF_PACKET, d->ifname, d->fds, TERN_KDROPS_MAX_FDS);
}

void
tern_kernel_drops_init(struct tern_kernel_drops *d, const char *driver, const char *ifname)
{
	memset(d, 0, sizeof(*d));
	if (ifname == NULL || ifname[0] == '\0' || strlen(ifname) >= sizeof(d->ifname))
		return;
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	d->have_sysfs = read_sysfs_rx_dropped(d->ifname, &d->sysfs_base);
	if (driver != NULL && strcmp(driver, "net_af_packet") == 0) {
		find_packet_sockets(d);
		tern_kernel_drops_poll(d); /* reset what the sockets counted before */
		d->packet_drops = 0;
	}
}

void
tern_kernel_drops_poll(struct tern_kernel_drops *d)
{
	uint64_t v;

	if (d->have_sysfs && read_sysfs_rx_dropped(d->ifname, &v) && v >= d->sysfs_base)
		d->sysfs_delta = v - d->sysfs_base;
	for (unsigned i = 0; i < d->n_fds; i++) {
		struct tpacket_stats st;
		socklen_t len = sizeof(st);

		if (getsockopt(d->fds[i], SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			d->packet_drops += st.tp_drops;
	}
}

bool
tern_kernel_drops_total(const struct tern_kernel_drops *d, uint64_t *total)
{
	if (!d->have_sysfs && d->n_fds == 0)
		return false;
	*total = d->sysfs_delta + d->packet_drops;
	return true;
}
