/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS and port set-up.
 * (a) tern_rss_hash against a bitwise Toeplitz written here from the
 *     Microsoft RSS definition (catches tuple byte-order mistakes), and the
 *     published RSS verification suite (default key);
 * (b) the symmetric key hashes both directions of a flow alike;
 * (c) with EAL: net_null (RSS), net_ring (one queue) ports set up, started,
 *     printed and closed; tern_port_flow_queue against the RETA and key read
 *     from the device and the Toeplitz of (a).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "check.h"
#include "eal_runtime.h"
#include "flows.h"
#include "port.h"
#include "rss.h"
#include "stats.h"

#define N_FLOWS 200

/* ---- reference Toeplitz ------------------------------------------------ */

/* Bit n of a byte string, most significant bit of byte 0 first; 0 past end. */
static unsigned
bit_at(const uint8_t *b, size_t len, size_t n)
{
	if (n / 8 >= len)
		return 0;
	return (b[n / 8] >> (7 - n % 8)) & 1;
}

/*
 * For every set bit i of the input (in wire order), XOR in the 32 key bits
 * starting at key bit i. The input is source address, destination address,
 * then source and destination port when with_ports.
 */
static uint32_t
ref_toeplitz(const struct tern_rss_flow *f, int with_ports, const uint8_t *key, size_t key_len)
{
	uint8_t in[36];
	size_t alen = f->family == 4 ? 4 : 16, n = 0;
	uint32_t h = 0;

	memcpy(in + n, f->src, alen);
	n += alen;
	memcpy(in + n, f->dst, alen);
	n += alen;
	if (with_ports) {
		memcpy(in + n, &f->sport, 2);
		memcpy(in + n + 2, &f->dport, 2);
		n += 4;
	}
	for (size_t i = 0; i < n * 8; i++) {
		uint32_t window = 0;

		if (!bit_at(in, n, i))
			continue;
		for (size_t k = 0; k < 32; k++)
			window = (window << 1) | bit_at(key, key_len, i + k);
		h ^= window;
	}
	return h;
}

/* ---- flows ------------------------------------------------------------- */

/* This test's own flows.h generator state (a fixed seed: runs repeat). */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
l3_type(const struct tern_rss_flow *f)
{
	return f->family == 4 ? RTE_ETH_RSS_IPV4 : RTE_ETH_RSS_IPV6;
}

static uint64_t
l4_type(const struct tern_rss_flow *f)
{
	if (f->family == 4)
		return f->proto == IPPROTO_UDP ? RTE_ETH_RSS_NONFRAG_IPV4_UDP :
						 RTE_ETH_RSS_NONFRAG_IPV4_TCP;
	return f->proto == IPPROTO_UDP ? RTE_ETH_RSS_NONFRAG_IPV6_UDP :
					 RTE_ETH_RSS_NONFRAG_IPV6_TCP;
}

/* ---- (a) --------------------------------------------------------------- */

/* From the Microsoft RSS verification suite (also in the 82599 datasheet). */
struct kat_v4 {
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t l3, l4;
};

static const struct kat_v4 kat4[] = {
	{ "66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178 },
	{ "199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea },
	{ "24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
	{ "38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f },
	{ "153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2 },
};

static const struct kat_v4 kat6[] = {
	{ "3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766, 0x2cc18cd5, 0x40207d3d },
	{ "3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739, 0x0f0c461c, 0xdde51bbf },
	{ "3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf", 44251, 38024,
	  0x4b61e985, 0x02d1feef },
};

static struct tern_rss_flow
kat_flow(const struct kat_v4 *k, int family, uint8_t proto)
{
	struct tern_rss_flow f;

	memset(&f, 0, sizeof(f));
	f.family = (uint8_t)family;
	f.proto = proto;
	CHECK_EQ(inet_pton(family == 4 ? AF_INET : AF_INET6, k->src, f.src), 1);
	CHECK_EQ(inet_pton(family == 4 ? AF_INET : AF_INET6, k->dst, f.dst), 1);
	f.sport = htons(k->sport);
	f.dport = htons(k->dport);
	return f;
}

static void
check_kat(const struct kat_v4 *k, int family)
{
	uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };

	for (unsigned p = 0; p < RTE_DIM(protos); p++) {
		struct tern_rss_flow f = kat_flow(k, family, protos[p]);

		CHECK_EQ(tern_rss_hash(&f, l3_type(&f), flows_ms_key, sizeof(flows_ms_key)), k->l3);
		CHECK_EQ(tern_rss_hash(&f, l3_type(&f) | l4_type(&f), flows_ms_key, sizeof(flows_ms_key)),
			 k->l4);
		CHECK_EQ(ref_toeplitz(&f, 0, flows_ms_key, sizeof(flows_ms_key)), k->l3);
		CHECK_EQ(ref_toeplitz(&f, 1, flows_ms_key, sizeof(flows_ms_key)), k->l4);
	}
}

static void
test_known_answers(void)
{
	for (unsigned i = 0; i < RTE_DIM(kat4); i++)
		check_kat(&kat4[i], 4);
	for (unsigned i = 0; i < RTE_DIM(kat6); i++)
		check_kat(&kat6[i], 6);
}

/* tern_rss_hash equals the reference for random flows and keys. */
static void
test_random_flows(void)
{
	uint8_t key[40];
	unsigned bad = 0;

	for (unsigned i = 0; i < N_FLOWS; i++) {
		struct tern_rss_flow f = flows_random(&rng, i);
		uint64_t all = tern_rss_wanted_types();
		const uint8_t *k = key;

		for (unsigned b = 0; b < sizeof(key); b++)
			key[b] = (uint8_t)flows_rnd(&rng);
		if (i % 3 == 1)
			k = flows_ms_key;
		else if (i % 3 == 2)
			k = tern_rss_symmetric_key;
		bad += tern_rss_hash(&f, all, k, 40) != ref_toeplitz(&f, 1, k, 40);
		bad += tern_rss_hash(&f, l4_type(&f), k, 40) != ref_toeplitz(&f, 1, k, 40);
		bad += tern_rss_hash(&f, l3_type(&f), k, 40) != ref_toeplitz(&f, 0, k, 40);
	}
	CHECK_EQ(bad, 0);
}

/* Which types select which input. */
static void
test_type_selection(void)
{
	struct tern_rss_flow f4 = kat_flow(&kat4[0], 4, IPPROTO_UDP);
	struct tern_rss_flow f6 = kat_flow(&kat6[0], 6, IPPROTO_TCP);
	struct tern_rss_flow icmp = kat_flow(&kat4[0], 4, IPPROTO_ICMP);

	CHECK_EQ(tern_rss_hash(&f4, 0, flows_ms_key, 40), 0);
	/* TCP type only: a UDP flow is not hashed at all */
	CHECK_EQ(tern_rss_hash(&f4, RTE_ETH_RSS_NONFRAG_IPV4_TCP, flows_ms_key, 40), 0);
	/* IPv6 types do not hash IPv4 flows */
	CHECK_EQ(tern_rss_hash(&f4, RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_UDP, flows_ms_key, 40), 0);
	CHECK_EQ(tern_rss_hash(&f4, RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP, flows_ms_key, 40),
		 kat4[0].l3);
	CHECK_EQ(tern_rss_hash(&f6, RTE_ETH_RSS_IPV6_TCP_EX, flows_ms_key, 40), kat6[0].l4);
	CHECK_EQ(tern_rss_hash(&f6, RTE_ETH_RSS_IPV6_EX, flows_ms_key, 40), kat6[0].l3);
	CHECK_EQ(tern_rss_hash(&icmp, RTE_ETH_RSS_NONFRAG_IPV4_OTHER, flows_ms_key, 40), kat4[0].l3);
	CHECK_EQ(tern_rss_hash(&icmp, RTE_ETH_RSS_NONFRAG_IPV4_UDP, flows_ms_key, 40), 0);
	f4.family = 5;
	CHECK_EQ(tern_rss_hash(&f4, tern_rss_wanted_types(), flows_ms_key, 40), 0);
	/* a short key hashes as if padded with zeros */
	f4.family = 4;
	CHECK_EQ(tern_rss_hash(&f4, RTE_ETH_RSS_IPV4, flows_ms_key, 8),
		 ref_toeplitz(&f4, 0, flows_ms_key, 8));
}

static void
test_names(void)
{
	enum tern_rss_mode m = TERN_RSS_OFF;
	char buf[256], tiny[6];

	CHECK_EQ(tern_rss_mode_parse("symmetric", &m), 0);
	CHECK_EQ(m, TERN_RSS_SYMMETRIC);
	CHECK_EQ(tern_rss_mode_parse("default", &m), 0);
	CHECK_EQ(m, TERN_RSS_DEFAULT);
	CHECK_EQ(tern_rss_mode_parse("off", &m), 0);
	CHECK_EQ(m, TERN_RSS_OFF);
	CHECK_EQ(tern_rss_mode_parse("on", &m), -EINVAL);
	CHECK_EQ(tern_rss_mode_parse(NULL, &m), -EINVAL);
	CHECK_EQ(m, TERN_RSS_OFF);
	CHECK(strcmp(tern_rss_mode_name(TERN_RSS_SYMMETRIC), "symmetric") == 0);
	CHECK(strcmp(tern_rss_mode_name(TERN_RSS_DEFAULT), "default") == 0);
	CHECK(strcmp(tern_rss_mode_name(TERN_RSS_OFF), "off") == 0);

	tern_rss_types_format(0, buf, sizeof(buf));
	CHECK(strcmp(buf, "none") == 0);
	tern_rss_types_format(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP, buf, sizeof(buf));
	CHECK(strcmp(buf, "ipv4 ipv4-udp") == 0);
	tern_rss_types_format(tern_rss_wanted_types(), buf, sizeof(buf));
	CHECK(strstr(buf, "ipv6-tcp") != NULL && strstr(buf, "ipv4-frag") != NULL);
	CHECK(strstr(buf, "bit") == NULL);
	tern_rss_types_format(RTE_BIT64(22), buf, sizeof(buf));
	CHECK(strcmp(buf, "bit22") == 0);
	tern_rss_types_format(tern_rss_wanted_types(), tiny, sizeof(tiny));
	CHECK_EQ(strlen(tiny), sizeof(tiny) - 1);

	for (unsigned i = 0; i < TERN_RSS_KEY_MAX; i++)
		CHECK_EQ(tern_rss_symmetric_key[i], i % 2 ? 0x5a : 0x6d);
	CHECK((tern_rss_wanted_types() & (RTE_ETH_RSS_NONFRAG_IPV4_UDP |
		RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_NONFRAG_IPV4_TCP |
		RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6)) ==
	      (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP |
	       RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP |
	       RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6));
}

/* ---- (b) --------------------------------------------------------------- */

static void
test_symmetric(void)
{
	const uint8_t *sym = tern_rss_symmetric_key;
	unsigned asym = 0, differ_ms = 0;

	for (unsigned i = 0; i < N_FLOWS; i++) {
		struct tern_rss_flow f = flows_random(&rng, i), r = flows_reverse(&f);
		uint64_t hf = l3_type(&f) | l4_type(&f);

		asym += tern_rss_hash(&f, hf, sym, 40) != tern_rss_hash(&r, hf, sym, 40);
		asym += tern_rss_hash(&f, l3_type(&f), sym, 40) !=
			tern_rss_hash(&r, l3_type(&f), sym, 40);
		asym += tern_rss_hash(&f, hf, sym, TERN_RSS_KEY_MAX) !=
			tern_rss_hash(&r, hf, sym, TERN_RSS_KEY_MAX);
		/* control: the default key is not symmetric */
		differ_ms += tern_rss_hash(&f, hf, flows_ms_key, 40) != tern_rss_hash(&r, hf, flows_ms_key, 40);
	}
	CHECK_EQ(asym, 0);
	CHECK(differ_ms > N_FLOWS / 2);
}

/* ---- (c) --------------------------------------------------------------- */

static struct rte_mempool *pool;

/* The device's RETA, read here rather than trusted from p. */
static int
dev_reta(uint16_t port, uint16_t size, uint16_t *out)
{
	struct rte_eth_rss_reta_entry64 conf[TERN_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	int ret;

	if (size == 0 || size > TERN_RETA_MAX)
		return -EINVAL;
	memset(conf, 0, sizeof(conf));
	for (unsigned i = 0; i < size; i++)
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= UINT64_C(1) << (i % RTE_ETH_RETA_GROUP_SIZE);
	ret = rte_eth_dev_rss_reta_query(port, conf, size);
	for (unsigned i = 0; ret == 0 && i < size; i++)
		out[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	return ret;
}

/* Flows land where the device's RETA and key say; both directions alike
 * when the key is symmetric. */
static void
check_flow_queues(const struct tern_port *p, int symmetric)
{
	struct rte_eth_dev_info info;
	uint16_t reta[TERN_RETA_MAX];
	uint8_t key[TERN_RSS_KEY_MAX] = { 0 };
	struct rte_eth_rss_conf rc = { .rss_key = key, .rss_key_len = sizeof(key) };
	unsigned bad = 0, used = 0, hits[TERN_MAX_QUEUES] = { 0 };
	size_t key_len;

	CHECK_EQ(rte_eth_dev_info_get(p->port_id, &info), 0);
	/* net_null advertises no key size; its key is 40 bytes */
	key_len = info.hash_key_size != 0 ? info.hash_key_size : 40;
	CHECK(info.reta_size > 0);
	CHECK_EQ(p->reta_size, info.reta_size);
	CHECK_EQ(dev_reta(p->port_id, info.reta_size, reta), 0);
	CHECK_EQ(rte_eth_dev_rss_hash_conf_get(p->port_id, &rc), 0);
	CHECK_EQ(p->rss_key_len, key_len);
	CHECK(memcmp(key, p->rss_key, key_len) == 0);
	if (symmetric)
		CHECK(memcmp(key, tern_rss_symmetric_key, key_len) == 0);
	for (unsigned i = 0; i < info.reta_size; i++)
		CHECK_EQ(reta[i], i % p->nb_queues);

	for (unsigned i = 0; i < N_FLOWS; i++) {
		struct tern_rss_flow f = flows_random(&rng, i), r = flows_reverse(&f);
		int ports = (p->rss_hf & l4_type(&f)) != 0;
		uint32_t h = ref_toeplitz(&f, ports, key, key_len);
		uint16_t q = reta[h % info.reta_size];

		bad += tern_port_flow_queue(p, &f) != q;
		if (symmetric)
			bad += tern_port_flow_queue(p, &r) != q;
		hits[q]++;
	}
	CHECK_EQ(bad, 0);
	for (unsigned q = 0; q < p->nb_queues; q++)
		used += hits[q] != 0;
	CHECK_EQ(used, p->nb_queues);
}

/* No RSS: want_queues queues (1 with RSS off; the device's queues, up to
 * one per worker, when it has several but cannot hash), and show flow
 * says queue 0 for every flow. */
static void
check_no_rss(const struct tern_port *p, unsigned want_queues)
{
	unsigned bad = 0;

	CHECK_EQ(p->rss_hf, 0);
	CHECK_EQ(p->nb_queues, want_queues);
	for (unsigned i = 0; i < N_FLOWS; i++) {
		struct tern_rss_flow f = flows_random(&rng, i);

		bad += tern_port_flow_queue(p, &f) != 0;
	}
	CHECK_EQ(bad, 0);
}

/* The print names the port and maps every queue to an lcore. */
static void
check_print(const struct tern_port *p)
{
	static const unsigned lcores[TERN_MAX_QUEUES] = { 10, 11, 12, 13, 14, 15 };
	char *text = NULL, want[128];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	if (f == NULL)
		return;
	tern_port_print(p, lcores, f);
	fclose(f);
	snprintf(want, sizeof(want), "port %u (%s, driver ", p->port_id, p->name);
	CHECK(strstr(text, want) != NULL);
	for (unsigned q = 0; q < p->nb_queues; q++) {
		snprintf(want, sizeof(want), "queue %u -> lcore %u (worker %u)", q,
			 lcores[p->queue_worker[q]], p->queue_worker[q]);
		CHECK(strstr(text, want) != NULL);
	}
	CHECK((strstr(text, "ipv4-udp") != NULL) == (p->rss_hf != 0));
	fputs(text, stdout);
	free(text);
}

static int
port_by_name(const char *name, uint16_t *id)
{
	return rte_eth_dev_get_port_by_name(name, id);
}

static int
setup_start(const char *name, unsigned n_workers, enum tern_rss_mode mode, struct tern_port *p)
{
	struct tern_port_conf c = {
		.n_workers = n_workers, .rss = mode, .nb_rxd = 256, .nb_txd = 256, .pool = pool,
	};
	struct tern_err err = { .msg = "" };
	uint16_t id;
	int ret;

	CHECK_EQ(port_by_name(name, &id), 0);
	ret = tern_port_setup(id, &c, p, &err);
	if (ret == 0)
		ret = tern_port_start(p, &err);
	if (ret != 0)
		fprintf(stderr, "%s: %s\n", name, err.msg);
	CHECK_EQ(ret, 0);
	CHECK(strcmp(p->name, name) == 0);
	return ret;
}

static void
test_null_symmetric(void)
{
	struct tern_port p;
	struct rte_ether_addr mac;

	if (setup_start("net_null0", 4, TERN_RSS_SYMMETRIC, &p) != 0)
		return;
	CHECK(p.started);
	CHECK_EQ(rte_eth_macaddr_get(p.port_id, &mac), 0);
	CHECK(rte_is_same_ether_addr(&mac, &p.mac));
	if (p.rss_hf == 0) {
		printf("net_null offers no RSS here: checking its queues are all polled\n");
		check_no_rss(&p, 4);
	} else {
		CHECK_EQ(p.nb_queues, 4);
		for (unsigned q = 0; q < 4; q++)
			CHECK_EQ(p.queue_worker[q], q);
		CHECK_EQ(p.rss_hf & ~tern_rss_wanted_types(), 0);
		CHECK_EQ(p.rss_key_len, 40);
		check_flow_queues(&p, 1);
	}
	check_print(&p);
	tern_port_close(&p);
	CHECK(!p.started);
	tern_port_close(&p); /* idempotent */
	CHECK(!rte_eth_dev_is_valid_port(p.port_id));
}

static void
test_null_default_key(void)
{
	struct tern_port p;

	if (setup_start("net_null1", 3, TERN_RSS_DEFAULT, &p) != 0)
		return;
	if (p.rss_hf != 0) {
		CHECK_EQ(p.nb_queues, 3);
		CHECK(p.rss_key_len > 0);
		check_flow_queues(&p, 0);
	} else {
		check_no_rss(&p, 3);
	}
	check_print(&p);
	tern_port_close(&p);
}

static void
test_null_off(void)
{
	struct tern_port p;

	if (setup_start("net_null2", 4, TERN_RSS_OFF, &p) != 0)
		return;
	check_no_rss(&p, 1);
	check_print(&p);
	tern_port_close(&p);
}

/* net_ring has queue pairs (one ring each) but no RSS: all polled, queue q
 * by worker q, nothing predicted. */
static void
test_ring_trimmed(void)
{
	struct tern_port p;

	if (setup_start("net_ring0", 3, TERN_RSS_SYMMETRIC, &p) != 0)
		return;
	check_no_rss(&p, 3);
	for (unsigned q = 0; q < 3; q++)
		CHECK_EQ(p.queue_worker[q], q);
	check_print(&p);
	tern_port_close(&p);
}

static void
test_bad_ports(void)
{
	struct tern_port_conf c = { .n_workers = 1, .rss = TERN_RSS_SYMMETRIC, .pool = pool };
	struct tern_port p;
	struct tern_err err = { .msg = "" };
	uint16_t id;

	CHECK(tern_port_setup(TERN_MAX_PORTS, &c, &p, &err) < 0);
	CHECK(strstr(err.msg, "ports 0-") != NULL);
	err.msg[0] = '\0';
	CHECK_EQ(tern_port_setup(TERN_MAX_PORTS - 1, &c, &p, &err), -ENODEV);
	CHECK(err.msg[0] != '\0');
	CHECK_EQ(port_by_name("net_null0", &id), 0);
	c.n_workers = 0;
	CHECK_EQ(tern_port_setup(id, &c, &p, &err), -EINVAL);
}

static int
eal_init(void)
{
	char prefix[64];
	char *argv[] = {
		"test_rss", "-l", "0", "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
		"--file-prefix", prefix, "--log-level", "error",
		"--vdev", "net_null0", "--vdev", "net_null1", "--vdev", "net_null2",
		"--vdev", "net_ring0",
	};

	snprintf(prefix, sizeof(prefix), "test_rss_%d", (int)getpid());
	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("test_rss", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	return pool == NULL ? -1 : 0;
}

static void
test_ports(void)
{
	char runtime_dir[PATH_MAX];
	int ok = eal_init() == 0;

	CHECK(ok);
	if (!ok)
		return;
	CHECK(rte_eth_dev_count_avail() == 4);
	test_bad_ports();
	test_null_symmetric();
	test_null_default_key();
	test_null_off();
	test_ring_trimmed();
	rte_mempool_free(pool);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	CHECK_EQ(rte_eal_cleanup(), 0);
	CHECK_EQ(eal_runtime_dir_remove(runtime_dir), 0);
}

int
main(void)
{
	test_names();
	test_known_answers();
	test_random_flows();
	test_type_selection();
	test_symmetric();
	test_ports();
	return check_done("test_rss");
}
