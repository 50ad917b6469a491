/* SPDX-License-Identifier: BSD-3-Clause */
#include <malloc.h>
#include <stdio.h>

#include <rte_malloc.h>
#include <rte_memory.h>

#include "app_loader.h"
#include "show_memory.h"

/* VmRSS of this process in kB, or 0 if /proc cannot tell. */
static uint64_t
rss_kb(void)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Bytes allocated from DPDK's heaps, all sockets. */
static uint64_t
dpdk_heap_bytes(void)
{
	struct rte_malloc_socket_stats st;
	uint64_t sum = 0;

	for (unsigned s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats((int)s, &st) == 0)
			sum += st.heap_allocsz_bytes;
	return sum;
}

void
tern_show_memory(struct emit *em, const struct tern_engine *e)
{
	struct mallinfo2 mi = mallinfo2();

	row_begin(em, "memory:");
	field_u64(em, "rss_kb", rss_kb());
	field_u64(em, "heap_in_use", mi.uordblks);
	field_u64(em, "heap_mmapped", mi.hblkhd);
	field_u64(em, "dpdk_heap_in_use", dpdk_heap_bytes());
	field_u64(em, "mbufs_in_use", tern_engine_mbufs_in_use(e));
	field_u64(em, "app_code_waiting", tern_app_deferred_count());
	row_end(em);
}
