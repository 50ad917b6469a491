/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port set-up, after DPDK's examples: ask the device what it can do, trim the
 * wanted configuration to that (queues, RSS types, checksum offloads), say on
 * stdout what was trimmed, and check every ethdev return. Control thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "engine_limits.h"
#include "port.h"

#define DEFAULT_KEY_LEN		40	/* Toeplitz key for a device that does not say */
#define MODEL_RETA_SIZE		128	/* RETA assumed when the device reports none */
#define RETA_DEV_MAX		4096	/* largest device RETA tern writes or reads */
#define RETA_GROUPS		(RETA_DEV_MAX / RTE_ETH_RETA_GROUP_SIZE)
#define TYPES_BUF		512

static const uint64_t tx_cksum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
static const uint64_t rx_cksum = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;

static int
port_identify(struct tern_port *p, const struct rte_eth_dev_info *info, struct tern_err *err)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	int ret;

	ret = rte_eth_dev_get_name_by_port(p->port_id, name);
	if (ret < 0)
		return tern_err_set(err, -ret, "port %u: rte_eth_dev_get_name_by_port: %s",
				    p->port_id, strerror(-ret));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->driver, sizeof(p->driver), "%s",
		 info->driver_name != NULL ? info->driver_name : "unknown");
	return 0;
}

/* One queue per worker, as far as the device has queues. */
static uint16_t
port_queues(const struct tern_port *p, const struct tern_port_conf *c,
	    const struct rte_eth_dev_info *info)
{
	unsigned n = RTE_MIN(c->n_workers, (unsigned)TERN_MAX_QUEUES);

	n = RTE_MIN(n, (unsigned)info->max_rx_queues);
	n = RTE_MIN(n, (unsigned)info->max_tx_queues);
	if (n < c->n_workers)
		printf("port %u (%s): device has only %u queue(s) for %u workers\n",
		       p->port_id, p->name, n, c->n_workers);
	return (uint16_t)n;
}

/* The key the device gets: tern's symmetric key, cut to the device's size. */
static void
port_rss_key(struct tern_port *p, const struct tern_port_conf *c,
	     const struct rte_eth_dev_info *info, struct rte_eth_conf *conf)
{
	unsigned len = info->hash_key_size != 0 ? info->hash_key_size : DEFAULT_KEY_LEN;

	if (c->rss != TERN_RSS_SYMMETRIC)
		return;
	if (len > TERN_RSS_KEY_MAX) {
		printf("port %u (%s): RSS key of %u bytes is longer than tern's %u: "
		       "keeping the device's key (flows are not symmetric)\n",
		       p->port_id, p->name, len, TERN_RSS_KEY_MAX);
		return;
	}
	memcpy(p->rss_key, tern_rss_symmetric_key, len);
	p->rss_key_len = (uint8_t)len;
	conf->rx_adv_conf.rss_conf.rss_key = p->rss_key;
	conf->rx_adv_conf.rss_conf.rss_key_len = (uint8_t)len;
}

/* RSS if asked for, useful (several queues) and offered; one queue if
 * RSS is off; the device's own spreading if it has queues but no RSS. */
static void
port_rss(struct tern_port *p, const struct tern_port_conf *c,
	 const struct rte_eth_dev_info *info, struct rte_eth_conf *conf)
{
	uint64_t wanted = tern_rss_wanted_types();
	uint64_t have = wanted & info->flow_type_rss_offloads;
	char buf[TYPES_BUF];

	if (c->rss == TERN_RSS_OFF || p->nb_queues <= 1) {
		if (p->nb_queues > 1)
			printf("port %u (%s): RSS off: one queue\n", p->port_id, p->name);
		p->nb_queues = 1;
		return;
	}
	if (have == 0) {
		tern_rss_types_format(info->flow_type_rss_offloads, buf, sizeof(buf));
		/* Its queues may still carry traffic (af_packet spreads by a
		 * kernel fanout): read them all, rather than lose what lands
		 * on a queue nobody polls. */
		printf("port %u (%s): device cannot do RSS on IPv4/IPv6 (it offers: %s); "
		       "polling its %u queue(s) as the device fills them (show flow cannot "
		       "predict which)\n", p->port_id, p->name, buf, p->nb_queues);
		return;
	}
	if (have != wanted) {
		tern_rss_types_format(wanted & ~have, buf, sizeof(buf));
		printf("port %u (%s): device does not hash on RSS types: %s\n",
		       p->port_id, p->name, buf);
	}
	p->rss_hf = have;
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_hf = have;
	port_rss_key(p, c, info, conf);
}

/* Checksum offloads, each that the device has: a reply's UDP checksum
 * goes to the device with UDP, its IPv4 header's with IPv4 (virtio has
 * UDP only: the header is summed in software). */
static void
port_offloads(struct tern_port *p, const struct rte_eth_dev_info *info,
	      struct rte_eth_conf *conf)
{
	p->tx_offloads = info->tx_offload_capa & tx_cksum;
	if (!(p->tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM))
		printf("port %u (%s): no UDP TX checksum offload: checksums in software\n",
		       p->port_id, p->name);
	else if (!(p->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM))
		printf("port %u (%s): UDP TX checksum offload, no IPv4 one: IPv4 header "
		       "checksums in software\n", p->port_id, p->name);
	p->rx_offloads = info->rx_offload_capa & rx_cksum;
	conf->txmode.offloads = p->tx_offloads;
	conf->rxmode.offloads = p->rx_offloads;
}

static void
port_queue_owners(struct tern_port *p, unsigned n_workers)
{
	for (uint16_t q = 0; q < p->nb_queues; q++)
		p->queue_worker[q] = p->nb_queues == n_workers ? q :
				     (uint16_t)((q + p->port_id) % n_workers);
}

static int
port_queues_setup(struct tern_port *p, const struct tern_port_conf *c,
		  const struct rte_eth_dev_info *info, const struct rte_eth_conf *conf,
		  struct tern_err *err)
{
	uint16_t nb_rxd = c->nb_rxd != 0 ? c->nb_rxd : TERN_NB_DESC_DEFAULT;
	uint16_t nb_txd = c->nb_txd != 0 ? c->nb_txd : TERN_NB_DESC_DEFAULT;
	struct rte_eth_rxconf rxconf = info->default_rxconf;
	struct rte_eth_txconf txconf = info->default_txconf;
	int socket = rte_eth_dev_socket_id(p->port_id);
	int ret;

	ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (ret < 0)
		return tern_err_set(err, -ret, "port %u (%s): rte_eth_dev_adjust_nb_rx_tx_desc: %s",
				    p->port_id, p->name, strerror(-ret));
	rxconf.offloads = conf->rxmode.offloads;
	txconf.offloads = conf->txmode.offloads;
	for (uint16_t q = 0; q < p->nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, socket, &rxconf, c->pool);
		if (ret < 0)
			return tern_err_set(err, -ret, "port %u (%s): rte_eth_rx_queue_setup "
					    "(queue %u, %u descriptors): %s (the pool has %u "
					    "mbufs: if --mbufs made it too small for the rings, "
					    "raise it or leave the default)", p->port_id,
					    p->name, q, nb_rxd, strerror(-ret), c->pool->size);
		ret = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, socket, &txconf);
		if (ret < 0)
			return tern_err_set(err, -ret, "port %u (%s): rte_eth_tx_queue_setup "
					    "(queue %u, %u descriptors): %s", p->port_id,
					    p->name, q, nb_txd, strerror(-ret));
	}
	return 0;
}

static int
port_promiscuous(const struct tern_port *p, struct tern_err *err)
{
	int ret = rte_eth_promiscuous_enable(p->port_id);

	if (ret == -ENOTSUP) {
		printf("port %u (%s): no promiscuous mode; receiving for the port's MAC only\n",
		       p->port_id, p->name);
		return 0;
	}
	if (ret < 0)
		return tern_err_set(err, -ret, "port %u (%s): rte_eth_promiscuous_enable: %s",
				    p->port_id, p->name, strerror(-ret));
	return 0;
}

/* Drivers that may deliver RX interrupts: not those known to have none in
 * DPDK 22.11 (af_packet and AF_XDP are woken through their sockets). */
static bool
port_may_interrupt(const char *driver)
{
	static const char *const none[] = { "net_af_packet", "net_af_xdp", "net_memif",
					    "net_ring", "net_null" };

	for (size_t i = 0; i < RTE_DIM(none); i++)
		if (strcmp(driver, none[i]) == 0)
			return false;
	return true;
}

int
tern_port_setup(uint16_t port_id, const struct tern_port_conf *c,
		struct tern_port *p, struct tern_err *err)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int ret;

	if (port_id >= TERN_MAX_PORTS)
		return tern_err_set(err, ENOTSUP, "port %u: tern handles ports 0-%u only",
				    port_id, TERN_MAX_PORTS - 1);
	if (!rte_eth_dev_is_valid_port(port_id))
		return tern_err_set(err, ENODEV, "port %u: no such DPDK port", port_id);
	if (c == NULL || p == NULL || c->n_workers == 0 || c->pool == NULL)
		return tern_err_set(err, EINVAL, "port %u: set-up needs at least one worker "
				    "and an mbuf pool", port_id);
	memset(p, 0, sizeof(*p));
	memset(&conf, 0, sizeof(conf));
	p->port_id = port_id;
	p->link = -1;

	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0)
		return tern_err_set(err, -ret, "port %u: rte_eth_dev_info_get: %s",
				    port_id, strerror(-ret));
	ret = port_identify(p, &info, err);
	if (ret < 0)
		return ret;
	p->nb_queues = port_queues(p, c, &info);
	if (p->nb_queues == 0)
		return tern_err_set(err, ENOTSUP, "port %u (%s): device offers no RX/TX queue pair",
				    port_id, p->name);
	port_rss(p, c, &info, &conf);
	port_offloads(p, &info, &conf);

	/* RX interrupts where the driver may have them (see port_learn_rx_wake);
	 * a device that refuses them is configured without. */
	conf.intr_conf.rxq = c->rx_intr && port_may_interrupt(p->driver);
	ret = rte_eth_dev_configure(port_id, p->nb_queues, p->nb_queues, &conf);
	if (ret < 0 && conf.intr_conf.rxq) {
		conf.intr_conf.rxq = 0;
		ret = rte_eth_dev_configure(port_id, p->nb_queues, p->nb_queues, &conf);
	}
	p->rx_intr = conf.intr_conf.rxq;
	if (ret < 0) {
		ret = tern_err_set(err, -ret, "port %u (%s): rte_eth_dev_configure "
				   "(%u queues): %s", port_id, p->name, p->nb_queues, strerror(-ret));
		p->nb_queues = 0;
		return ret;
	}
	/* Configured from here on: tern_port_close() releases it. */
	port_queue_owners(p, c->n_workers);
	ret = port_queues_setup(p, c, &info, &conf, err);
	if (ret < 0)
		return ret;
	return port_promiscuous(p, err);
}

/* Write RETA entry i = i % nb_queues into the device. */
static int
reta_write_modulo(const struct tern_port *p, uint16_t size)
{
	struct rte_eth_rss_reta_entry64 conf[RETA_GROUPS];

	if (size > RETA_DEV_MAX)
		return -E2BIG;
	memset(conf, 0, sizeof(conf));
	for (uint16_t i = 0; i < size; i++) {
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= UINT64_C(1) << (i % RTE_ETH_RETA_GROUP_SIZE);
		conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			i % p->nb_queues;
	}
	return rte_eth_dev_rss_reta_update(p->port_id, conf, size);
}

/* Read the device's RETA into p->reta (first TERN_RETA_MAX entries). */
static int
reta_read(struct tern_port *p, uint16_t size)
{
	struct rte_eth_rss_reta_entry64 conf[RETA_GROUPS];
	int ret;

	if (size > RETA_DEV_MAX)
		return -E2BIG;
	memset(conf, 0, sizeof(conf));
	for (uint16_t i = 0; i < size; i++)
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= UINT64_C(1) << (i % RTE_ETH_RETA_GROUP_SIZE);
	ret = rte_eth_dev_rss_reta_query(p->port_id, conf, size);
	if (ret < 0)
		return ret;
	for (uint16_t i = 0; i < size && i < TERN_RETA_MAX; i++)
		p->reta[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	return 0;
}

static void
reta_model_modulo(struct tern_port *p)
{
	for (uint16_t i = 0; i < p->reta_size && i < TERN_RETA_MAX; i++)
		p->reta[i] = i % p->nb_queues;
}

/* Learn where the device sends each hash: set i % nb_queues if allowed, else
 * read what it has, else assume i % nb_queues. */
static void
port_learn_reta(struct tern_port *p, uint16_t dev_reta_size)
{
	int ret;

	p->reta_size = 0;
	if (p->rss_hf == 0 || p->nb_queues <= 1)
		return;
	if (dev_reta_size == 0) {
		p->reta_size = MODEL_RETA_SIZE;
		reta_model_modulo(p);
		printf("port %u (%s): RETA unknown, assuming modulo over %u entries\n",
		       p->port_id, p->name, MODEL_RETA_SIZE);
		return;
	}
	p->reta_size = dev_reta_size;
	ret = reta_write_modulo(p, dev_reta_size);
	if (ret == 0) {
		reta_model_modulo(p);
		return;
	}
	printf("port %u (%s): rte_eth_dev_rss_reta_update: %s; reading the device's RETA\n",
	       p->port_id, p->name, strerror(-ret));
	ret = reta_read(p, dev_reta_size);
	if (ret == 0 && dev_reta_size <= TERN_RETA_MAX)
		return;
	if (ret < 0)
		printf("port %u (%s): rte_eth_dev_rss_reta_query: %s; RETA unknown, assuming modulo\n",
		       p->port_id, p->name, strerror(-ret));
	else
		printf("port %u (%s): RETA of %u entries longer than tern's %u: assuming modulo\n",
		       p->port_id, p->name, dev_reta_size, TERN_RETA_MAX);
	reta_model_modulo(p);
}

/* Read the device's key into key; its length, or -errno. Not every driver
 * sets rss_key_len (nor hash_key_size): then assume the length tern set. */
static int
key_read(const struct tern_port *p, const struct rte_eth_dev_info *info, uint8_t *key)
{
	struct rte_eth_rss_conf rc = {
		.rss_key = key,
		.rss_key_len = TERN_RSS_KEY_MAX,
	};
	int ret;

	memset(key, 0, TERN_RSS_KEY_MAX);
	ret = rte_eth_dev_rss_hash_conf_get(p->port_id, &rc);
	if (ret < 0)
		return ret;
	if (info->hash_key_size != 0)
		return info->hash_key_size;
	if (rc.rss_key_len != 0 && rc.rss_key_len < TERN_RSS_KEY_MAX)
		return rc.rss_key_len;
	return p->rss_key_len != 0 ? p->rss_key_len : DEFAULT_KEY_LEN;
}

/* Some drivers (net_null) ignore the key given to rte_eth_dev_configure():
 * give it again through rte_eth_dev_rss_hash_update(). */
static int
key_set_again(struct tern_port *p, const struct rte_eth_dev_info *info, uint8_t *key)
{
	struct rte_eth_rss_conf rc = {
		.rss_key = p->rss_key,
		.rss_key_len = p->rss_key_len,
		.rss_hf = p->rss_hf,
	};
	int ret = rte_eth_dev_rss_hash_update(p->port_id, &rc);

	if (ret < 0) {
		printf("port %u (%s): device did not take tern's RSS key and "
		       "rte_eth_dev_rss_hash_update failed: %s\n", p->port_id, p->name,
		       strerror(-ret));
		return ret;
	}
	return key_read(p, info, key);
}

/* The key in use: what the device reports, else the one tern gave it. */
static void
port_learn_key(struct tern_port *p, const struct rte_eth_dev_info *info)
{
	uint8_t key[TERN_RSS_KEY_MAX];
	int len;

	if (p->rss_hf == 0)
		return;
	if (info->hash_key_size > TERN_RSS_KEY_MAX) {
		printf("port %u (%s): RSS key of %u bytes is longer than tern's %u: "
		       "flow to queue predictions are wrong\n", p->port_id, p->name,
		       info->hash_key_size, TERN_RSS_KEY_MAX);
		return;
	}
	len = key_read(p, info, key);
	if (len > 0 && p->rss_key_len != 0 &&
	    (len != p->rss_key_len || memcmp(key, p->rss_key, len) != 0))
		len = key_set_again(p, info, key);
	if (len <= 0) {
		if (p->rss_key_len == 0)
			printf("port %u (%s): cannot read the device's RSS key (%s): "
			       "flow to queue predictions are wrong\n", p->port_id, p->name,
			       len < 0 ? strerror(-len) : "no key length");
		return;
	}
	if (p->rss_key_len != 0 &&
	    (len != p->rss_key_len || memcmp(key, p->rss_key, len) != 0))
		printf("port %u (%s): device uses an RSS key other than tern's: "
		       "flows are not symmetric\n", p->port_id, p->name);
	memcpy(p->rss_key, key, len);
	p->rss_key_len = (uint8_t)len;
}

/* The kernel interface a vdev sits on (its "iface=NAME" argument), which
 * knows the link state when the PMD does not (AF_XDP reports "up" always). */
static void
port_learn_kernel_if(struct tern_port *p, const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da = info->device != NULL ? rte_dev_devargs(info->device) : NULL;
	const char *a = da != NULL ? da->args : NULL;
	const char *i = a != NULL ? strstr(a, "iface=") : NULL;
	size_t n;

	p->kernel_if[0] = '\0';
	if (i == NULL || (i != a && i[-1] != ','))
		return;
	i += strlen("iface=");
	n = strcspn(i, ",");
	if (n == 0 || n >= sizeof(p->kernel_if))
		return;
	memcpy(p->kernel_if, i, n);
	p->kernel_if[n] = '\0';
}

/* 1 if the kernel says the interface is up (operstate "up" or "unknown"),
 * 0 if down, -1 if it cannot tell. */
static int
kernel_if_up(const char *ifname)
{
	char path[96], state[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifname);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(state, sizeof(state), f) == NULL)
		state[0] = '\0';
	fclose(f);
	return strncmp(state, "up", 2) == 0 || strncmp(state, "unknown", 7) == 0;
}

/* An eventfd counts interrupts and must be read after one; tap's RX
 * interrupt fd is its queue's own descriptor, which a read would rob of a
 * frame. */
static bool
fd_is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* The descriptors that turn readable when a frame waits: the kernel
 * sockets under af_packet and AF_XDP (which have no RX interrupts in DPDK
 * 22.11), else each queue's RX interrupt fd where the driver has one (tap,
 * virtio, NICs; see docs/performance.md). */
static void
port_learn_rx_wake(struct tern_port *p)
{
	int family = strcmp(p->driver, "net_af_packet") == 0 ? AF_PACKET :
		     strcmp(p->driver, "net_af_xdp") == 0 ? AF_XDP : -1;

	p->n_rx_wake = family < 0 || p->kernel_if[0] == '\0' ? 0 :
		       tern_kernel_sockets(family, p->kernel_if, p->rx_wake_fd, TERN_KSOCK_MAX);
	for (uint16_t q = 0; q < p->nb_queues; q++) {
		p->rx_intr_fd[q] = p->rx_intr ? rte_eth_dev_rx_intr_ctl_q_get_fd(p->port_id, q) : -1;
		if (p->rx_intr_fd[q] < 0)
			p->rx_intr_fd[q] = -1;
		p->rx_intr_eventfd[q] = p->rx_intr_fd[q] >= 0 && fd_is_eventfd(p->rx_intr_fd[q]);
	}
}

int
tern_port_start(struct tern_port *p, struct tern_err *err)
{
	struct rte_eth_dev_info info;
	int ret;

	if (p->nb_queues == 0)
		return tern_err_set(err, EINVAL, "port %u: start before set-up", p->port_id);
	if (p->started)
		return 0;
	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret < 0)
		return tern_err_set(err, -ret, "port %u (%s): rte_eth_dev_info_get: %s",
				    p->port_id, p->name, strerror(-ret));
	ret = rte_eth_dev_start(p->port_id);
	if (ret < 0)
		return tern_err_set(err, -ret, "port %u (%s): rte_eth_dev_start: %s",
				    p->port_id, p->name, strerror(-ret));
	p->started = true;
	ret = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (ret < 0)
		return tern_err_set(err, -ret, "port %u (%s): rte_eth_macaddr_get: %s",
				    p->port_id, p->name, strerror(-ret));
	/* Frames longer than this never were sent by a conforming peer. */
	if (rte_eth_dev_get_mtu(p->port_id, &p->mtu) < 0 || p->mtu == 0)
		p->mtu = RTE_ETHER_MTU;
	port_learn_reta(p, info.reta_size);
	port_learn_key(p, &info);
	port_learn_kernel_if(p, &info);
	tern_kernel_drops_init(&p->kdrops, p->driver, p->kernel_if);
	port_learn_rx_wake(p);
	return 0;
}

int
tern_port_watch_link(struct tern_port *p, FILE *f)
{
	struct rte_eth_link link;
	int8_t up;

	if (!p->started || rte_eth_link_get_nowait(p->port_id, &link) < 0)
		return 0;
	up = link.link_status == RTE_ETH_LINK_UP;
	if (up && p->kernel_if[0] != '\0' && kernel_if_up(p->kernel_if) == 0)
		up = 0;
	if (up == p->link)
		return 0;
	if (p->link != -1) {
		p->link_changes++;
		fprintf(f, "port %u (%s): link %s\n", p->port_id, p->name, up ? "up" : "down");
		fflush(f);
	}
	p->link = up;
	return p->link_changes != 0;
}

void
tern_port_close(struct tern_port *p)
{
	int ret;

	if (p == NULL || p->nb_queues == 0)
		return;
	if (p->started) {
		ret = rte_eth_dev_stop(p->port_id);
		if (ret < 0)
			printf("port %u (%s): rte_eth_dev_stop: %s\n",
			       p->port_id, p->name, strerror(-ret));
		p->started = false;
	}
	ret = rte_eth_dev_close(p->port_id);
	if (ret < 0)
		printf("port %u (%s): rte_eth_dev_close: %s\n", p->port_id, p->name, strerror(-ret));
	p->nb_queues = 0;
}

uint16_t
tern_port_flow_queue(const struct tern_port *p, const struct tern_rss_flow *f)
{
	uint32_t idx;

	if (p->rss_hf == 0 || p->nb_queues <= 1 || p->reta_size == 0)
		return 0;
	/* Devices index the RETA with the hash's low bits: the same as modulo
	 * for the power-of-two sizes they have. */
	idx = tern_rss_hash(f, p->rss_hf, p->rss_key, p->rss_key_len) % p->reta_size;
	if (idx >= TERN_RETA_MAX)
		return idx % p->nb_queues;
	return p->reta[idx];
}

static const char *
cksum_name(uint64_t off, uint64_t ip4, uint64_t udp)
{
	if ((off & ip4) && (off & udp))
		return "ipv4 udp";
	if (off & ip4)
		return "ipv4";
	if (off & udp)
		return "udp";
	return "none";
}

void
tern_port_print(const struct tern_port *p, const unsigned *worker_lcore, FILE *f)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	char types[TYPES_BUF];

	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	fprintf(f, "port %u (%s, driver %s): mac %s, %u queue(s), rss: %s, "
		"tx cksum offload: %s, rx cksum offload: %s\n",
		p->port_id, p->name, p->driver, mac, p->nb_queues,
		p->rss_hf != 0 ? "on" : "off",
		cksum_name(p->tx_offloads, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM,
			   RTE_ETH_TX_OFFLOAD_UDP_CKSUM),
		cksum_name(p->rx_offloads, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM,
			   RTE_ETH_RX_OFFLOAD_UDP_CKSUM));
	if (p->rss_hf != 0) {
		tern_rss_types_format(p->rss_hf, types, sizeof(types));
		fprintf(f, "  rss types: %s\n", types);
		fprintf(f, "  rss key: %u bytes%s, reta: %u entries\n", p->rss_key_len,
			p->rss_key_len != 0 &&
			memcmp(p->rss_key, tern_rss_symmetric_key, p->rss_key_len) == 0 ?
			" (symmetric)" : "", p->reta_size);
	}
	for (uint16_t q = 0; q < p->nb_queues && q < TERN_MAX_QUEUES; q++) {
		unsigned w = p->queue_worker[q];

		if (worker_lcore != NULL)
			fprintf(f, "  queue %u -> lcore %u (worker %u)\n", q, worker_lcore[w], w);
		else
			fprintf(f, "  queue %u -> worker %u\n", q, w);
	}
}
