/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store as a client sees it through kv_proto_run, with a clock the test
 * moves: expiry (relative, absolute, negative), flush_all, CAS, incr's
 * padding, the paths kv_diff.py cannot compare with memcached (values over
 * max_value, data cut short by the datagram's end, replies over
 * reply_max, full memory), replies of several datagrams and their frame
 * headers, values growing across size classes, routing between workers and
 * reads of another worker's keys.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "kv_proto.h"

#define S 1000000000ull
#define T0 (100 * S)                     /* the test clock starts here */
#define UNIX_OFFSET (1700000000ll * (long long)S - (long long)T0) /* T0 is 1700000000 */

static struct kv_store st;
static uint8_t out[140000];
static size_t out_len;
static uint16_t rid = 1;

/* Run body on worker w at clock now; the reply body (after its frame header)
 * as a C string in out + 8, or "<none>". */
static const char *
req_on(unsigned w, uint64_t now, const char *body, size_t len)
{
	static uint8_t in[70000];

	rid++;
	in[0] = (uint8_t)(rid >> 8);
	in[1] = (uint8_t)rid;
	memcpy(in + 2, "\0\0\0\1\0\0", 6);
	memcpy(in + 8, body, len);
	if (kv_proto_run(&st, w, now, in, len + 8, out, sizeof(out) - 1, &out_len) !=
	    KV_ANSWER_REPLY)
		return "<none>";
	out[out_len] = 0;
	return (const char *)out + 8;
}

#define REQ(now, lit) req_on(0, (now), lit, sizeof(lit) - 1)
#define IS(now, lit, want) CHECK(strcmp(REQ(now, lit), want) == 0)

#define PAGE 4096u

/* A store of pages pages of page bytes per worker (0: the default page),
 * values up to max_value. */
static void
setup_big(unsigned workers, uint32_t pages, uint32_t page, uint32_t max_value,
	  uint32_t reply_max)
{
	struct kv_config cfg = { .page_size = page,
				 .mem_bytes = (uint64_t)pages * (page ? page : 1u << 20) * workers,
				 .max_value = max_value, .reply_max = reply_max, .version = "t" };

	kv_store_fini(&st);
	CHECK_EQ(kv_store_init(&st, &cfg, workers, UNIX_OFFSET), 0);
}

static void
setup(unsigned workers, uint32_t pages)
{
	setup_big(workers, pages, PAGE, 100, 1392);
}

static void
test_frame(void)
{
	uint8_t in[16] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0 };

	setup(1, 64);
	memcpy(in + 8, "mn\r\n", 4);
	CHECK(kv_proto_run(&st, 0, T0, in, 12, out, sizeof(out), &out_len) == KV_ANSWER_REPLY);
	CHECK(out_len == 12 && memcmp(out, "\x12\x34\0\0\0\1\0\0MN\r\n", 12) == 0);
	in[5] = 2; /* total 2: memcached drops multi-datagram requests */
	CHECK(kv_proto_run(&st, 0, T0, in, 12, out, sizeof(out), &out_len) == KV_ANSWER_NONE);
	CHECK(kv_proto_run(&st, 0, T0, in, 8, out, sizeof(out), &out_len) == KV_ANSWER_NONE);
	CHECK_EQ(st.wstats[0].drop_multi, 1);
	CHECK_EQ(st.wstats[0].drop_short, 1);
	/* quit alone: an empty datagram, total 0, as memcached sends */
	in[5] = 1;
	memcpy(in + 8, "quit\r\n", 6);
	CHECK(kv_proto_run(&st, 0, T0, in, 14, out, sizeof(out), &out_len) == KV_ANSWER_REPLY);
	CHECK(out_len == 8 && out[5] == 0);
	{ /* ... sent as it is: one datagram, total 0 */
		size_t dlen;

		CHECK_EQ(kv_reply_dgrams(out_len), 1);
		CHECK(kv_reply_dgram(out, out_len, 0, &dlen) == out && dlen == 8 && out[5] == 0);
	}
	IS(T0, "set a 0 0 1 noreply\r\nx\r\n", "<none>");
	IS(T0, "GET / HTTP/1.1\r\n", "<none>");
}

static void
test_expiry(void)
{
	setup(1, 64);
	IS(T0, "set r 0 2 1\r\nr\r\n", "STORED\r\n");
	IS(T0 + 2 * S - 1, "get r\r\n", "VALUE r 0 1\r\nr\r\nEND\r\n");
	IS(T0 + 2 * S, "get r\r\n", "END\r\n");            /* exactly 2 s */
	IS(T0, "set a 0 1700000005 1\r\na\r\n", "STORED\r\n"); /* Unix time T0 + 5 s */
	IS(T0 + 5 * S - 1, "get a\r\n", "VALUE a 0 1\r\na\r\nEND\r\n");
	IS(T0 + 5 * S, "get a\r\n", "END\r\n");
	IS(T0, "set n 0 -1 1\r\nn\r\n", "STORED\r\n");
	IS(T0, "get n\r\n", "END\r\n");
	IS(T0, "add n 0 0 1\r\nm\r\n", "STORED\r\n");      /* the dead one is gone */
	IS(T0, "set t 0 0 1\r\nt\r\n", "STORED\r\n");
	IS(T0, "touch t 1\r\n", "TOUCHED\r\n");
	IS(T0 + S, "get t\r\n", "END\r\n");
	IS(T0, "set g 0 0 1\r\ng\r\n", "STORED\r\n");
	IS(T0, "gat 3 g\r\n", "VALUE g 0 1\r\ng\r\nEND\r\n");
	IS(T0 + 3 * S, "get g\r\n", "END\r\n");
	/* the reaper frees what expired without being looked up */
	IS(T0, "set x 0 1 1\r\nx\r\nset y 0 1 1\r\ny\r\nset z 0 0 1\r\nz\r\n",
	   "STORED\r\nSTORED\r\nSTORED\r\n");
	CHECK_EQ(st.parts[0].n_used, 4);   /* n, x, y, z */
	CHECK_EQ(kv_proto_tick(&st, 0, T0 + S, 64), 2);
	CHECK_EQ(st.parts[0].n_used, 2);
}

static void
test_flush_all(void)
{
	setup(1, 64);
	IS(T0, "set a 0 0 1\r\na\r\nflush_all\r\nset b 0 0 1\r\nb\r\n",
	   "STORED\r\nOK\r\nSTORED\r\n");
	IS(T0, "get a b\r\n", "VALUE b 0 1\r\nb\r\nEND\r\n");
	IS(T0, "flush_all 2\r\n", "OK\r\n");
	IS(T0 + S, "set c 0 0 1\r\nc\r\n", "STORED\r\n");
	IS(T0 + 2 * S - 1, "get b c\r\n", "VALUE b 0 1\r\nb\r\nVALUE c 0 1\r\nc\r\nEND\r\n");
	IS(T0 + 2 * S, "get b c\r\n", "END\r\n");
	IS(T0 + 2 * S, "set d 0 0 1\r\nd\r\n", "STORED\r\n");
	IS(T0 + 3 * S, "get d\r\n", "VALUE d 0 1\r\nd\r\nEND\r\n");
}

static void
test_cas_incr(void)
{
	setup(1, 64);
	IS(T0, "set a 0 0 1\r\na\r\n", "STORED\r\n");
	IS(T0, "gets a\r\n", "VALUE a 0 1 1\r\na\r\nEND\r\n");
	IS(T0, "cas a 0 0 1 2\r\nb\r\n", "EXISTS\r\n");
	IS(T0, "cas a 0 0 1 1\r\nb\r\n", "STORED\r\n");
	IS(T0, "gets a\r\n", "VALUE a 0 1 2\r\nb\r\nEND\r\n");
	IS(T0, "touch a 100\r\n", "TOUCHED\r\n");
	IS(T0, "gets a\r\n", "VALUE a 0 1 2\r\nb\r\nEND\r\n");   /* touch keeps the CAS */
	IS(T0, "set n 0 0 4\r\n1000\r\n", "STORED\r\n");
	IS(T0, "decr n 1\r\n", "999\r\n");
	IS(T0, "gets n\r\n", "VALUE n 0 4 4\r\n999 \r\nEND\r\n"); /* padded, new CAS */
	IS(T0, "incr n 99999\r\n", "100998\r\n");
	IS(T0, "get n\r\n", "VALUE n 0 6\r\n100998\r\nEND\r\n");
	IS(T0, "append n 0 0 1\r\nx\r\nincr n 1\r\n",
	   "STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
}

static void
test_limits(void)
{
	char big[400];
	int n;

	setup(1, 64);
	/* over max_value (100): refused, the data swallowed, a set drops the old value */
	IS(T0, "set a 0 0 1\r\na\r\n", "STORED\r\n");
	n = snprintf(big, sizeof(big), "set a 0 0 101\r\n%0101d\r\nget a\r\n", 0);
	CHECK(strcmp(req_on(0, T0, big, (size_t)n),
		     "SERVER_ERROR object too large for cache\r\nEND\r\n") == 0);
	IS(T0, "set a 0 0 1\r\na\r\nadd a 0 0 500\r\n", "STORED\r\n"
	   "SERVER_ERROR object too large for cache\r\n");
	IS(T0, "get a\r\n", "VALUE a 0 1\r\na\r\nEND\r\n");   /* add keeps it */
	n = snprintf(big, sizeof(big), "append a 0 0 100\r\n%0100d\r\n", 0);
	CHECK(strcmp(req_on(0, T0, big, (size_t)n), "NOT_STORED\r\n") == 0); /* as memcached */
	/* data cut short by the datagram's end */
	IS(T0, "set b 0 0 10\r\nabc\r\n", "CLIENT_ERROR bad data chunk\r\n");
	IS(T0, "get b\r\n", "END\r\n");
	/* a reply over reply_max (1392): what came before stays, then an error */
	for (int i = 0; i < 20; i++) {
		n = snprintf(big, sizeof(big), "set k%02d 0 0 100\r\n%0100d\r\n", i, i);
		CHECK(strcmp(req_on(0, T0, big, (size_t)n), "STORED\r\n") == 0);
	}
	n = snprintf(big, sizeof(big), "version\r\nget");
	for (int i = 0; i < 20; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, " k%02d", i);
	n += snprintf(big + n, sizeof(big) - (size_t)n, "\r\nversion\r\n");
	CHECK(strcmp(req_on(0, T0, big, (size_t)n),
		     "VERSION t\r\nSERVER_ERROR out of memory writing get response\r\n") == 0);
	CHECK_EQ(st.wstats[0].overflows, 1);
}

static void
test_eviction(void)
{
	char b[128];
	uint32_t per_page;

	setup(1, 2);
	per_page = st.parts[0].cls[0].per_page;
	/* both pages go to the smallest class; nothing is evicted until then */
	for (uint32_t i = 0; i < 2 * per_page; i++) {
		snprintf(b, sizeof(b), "set k%u 0 0 1\r\nx\r\n", i);
		CHECK(strcmp(req_on(0, T0, b, strlen(b)), "STORED\r\n") == 0);
	}
	CHECK_EQ(st.parts[0].pages_used, 2);
	CHECK_EQ(st.parts[0].st.evictions, 0);
	IS(T0, "get k0\r\n", "VALUE k0 0 1\r\nx\r\nEND\r\n");   /* k0 is now the newest */
	IS(T0, "set c 0 0 1\r\nc\r\n", "STORED\r\n");
	IS(T0, "get k0 k1 c\r\n", "VALUE k0 0 1\r\nx\r\nVALUE c 0 1\r\nc\r\nEND\r\n");
	CHECK_EQ(st.parts[0].st.evictions, 1);
	/* another class, no page left, nothing of its class to evict */
	snprintf(b, sizeof(b), "set big 0 0 90\r\n%090d\r\n", 0);
	CHECK(strcmp(req_on(0, T0, b, strlen(b)),
		     "SERVER_ERROR out of memory storing object\r\n") == 0);
	/* ... and a failed set drops the old value, as memcached does */
	snprintf(b, sizeof(b), "set k0 0 0 90\r\n%090d\r\nget k0\r\n", 0);
	CHECK(strcmp(req_on(0, T0, b, strlen(b)),
		     "SERVER_ERROR out of memory storing object\r\nEND\r\n") == 0);
	snprintf(b, sizeof(b), "append c 0 0 90\r\n%090d\r\n", 0);
	CHECK(strcmp(req_on(0, T0, b, strlen(b)), "NOT_STORED\r\n") == 0);
	CHECK_EQ(st.parts[0].st.alloc_fail, 3);
	CHECK_EQ(st.parts[0].st.evictions, 1);
}

/* Reassemble the datagrams of the reply in out (out_len bytes) into body,
 * checking each frame header: request id, sequence i, total n, reserved 0.
 * Returns the body's length, or 0 on a bad header. */
static size_t
reassemble(uint8_t *body, unsigned *n_dgrams)
{
	unsigned n = kv_reply_dgrams(out_len);
	uint16_t id = (uint16_t)(out[0] << 8 | out[1]);
	size_t len = 0;

	*n_dgrams = n;
	for (unsigned i = 0; i < n; i++) {
		size_t dlen;
		const uint8_t *d = kv_reply_dgram(out, out_len, i, &dlen);

		if ((d[0] << 8 | d[1]) != id || (d[2] << 8 | d[3]) != (int)i ||
		    (d[4] << 8 | d[5]) != (int)n || d[6] != 0 || d[7] != 0 ||
		    dlen > KV_FRAME_HDR + KV_UDP_DATA_MAX || dlen <= KV_FRAME_HDR ||
		    (i + 1 < n && dlen != KV_FRAME_HDR + KV_UDP_DATA_MAX))
			return 0;
		memcpy(body + len, d + KV_FRAME_HDR, dlen - KV_FRAME_HDR);
		len += dlen - KV_FRAME_HDR;
	}
	return len;
}

/* Replies longer than one datagram, values over several size classes. */
static void
test_multi_datagram(void)
{
	static char b[70000], want[70000];
	static uint8_t body[140000];
	unsigned n;
	int len;

	setup_big(1, 32, 0, 60000, 100000); /* the appends below take a page in ~20 classes */
	/* body exactly 1392 bytes: one datagram; 1393: two */
	len = snprintf(b, sizeof(b), "set a 0 0 1369\r\n%01369d\r\n", 0);
	CHECK(strcmp(req_on(0, T0, b, (size_t)len), "STORED\r\n") == 0);
	req_on(0, T0, "get a\r\n", 7);
	CHECK_EQ(out_len, 8 + 1392);
	CHECK_EQ(kv_reply_dgrams(out_len), 1);
	CHECK_EQ(reassemble(body, &n), 1392);
	CHECK(out[4] == 0 && out[5] == 1);
	len = snprintf(b, sizeof(b), "set a 0 0 1370\r\n%01370d\r\n", 0);
	CHECK(strcmp(req_on(0, T0, b, (size_t)len), "STORED\r\n") == 0);
	req_on(0, T0, "get a\r\n", 7);
	CHECK_EQ(kv_reply_dgrams(out_len), 2);
	CHECK_EQ(reassemble(body, &n), 1393);
	/* a 50000-byte value grown by appends through several classes */
	len = snprintf(b, sizeof(b), "set g 7 0 1000\r\n%01000d\r\n", 1);
	CHECK(strcmp(req_on(0, T0, b, (size_t)len), "STORED\r\n") == 0);
	for (int i = 0; i < 49; i++) {
		len = snprintf(b, sizeof(b), "append g 0 0 1000\r\n%01000d\r\n", i + 2);
		CHECK(strcmp(req_on(0, T0, b, (size_t)len), "STORED\r\n") == 0);
	}
	CHECK(st.parts[0].n_used == 2 && st.parts[0].bytes_used < 70000);
	len = snprintf(want, sizeof(want), "VALUE g 7 50000\r\n");
	for (int i = 0; i < 50; i++)
		len += snprintf(want + len, sizeof(want) - (size_t)len, "%01000d", i + 1);
	len += snprintf(want + len, sizeof(want) - (size_t)len, "\r\nEND\r\n");
	req_on(0, T0, "get g\r\n", 7);
	CHECK_EQ(kv_reply_dgrams(out_len), (len + 1391) / 1392);
	CHECK_EQ(reassemble(body, &n), len);
	CHECK(memcmp(body, want, (size_t)len) == 0);
	CHECK_EQ(st.wstats[0].multi_replies, 2);
	/* max_value itself is stored, one byte more is refused */
	len = snprintf(b, sizeof(b), "set m 0 0 60000\r\n%060000d\r\n", 0);
	CHECK(strcmp(req_on(0, T0, b, (size_t)len), "STORED\r\n") == 0);
	len = snprintf(b, sizeof(b), "set m 0 0 60001\r\n%060001d\r\nget m\r\n", 0);
	CHECK(strcmp(req_on(0, T0, b, (size_t)len),
		     "SERVER_ERROR object too large for cache\r\nEND\r\n") == 0);
	/* a multi-key get over reply_max (100000): cut, as before */
	len = snprintf(b, sizeof(b), "set m 0 0 60000\r\n%060000d\r\n", 0);
	CHECK(strcmp(req_on(0, T0, b, (size_t)len), "STORED\r\n") == 0);
	CHECK(strcmp(req_on(0, T0, "get m g\r\n", 9), "VALUE m 0 60000\r\n") != 0);
	CHECK(strcmp((const char *)out + 8, "SERVER_ERROR out of memory writing get response\r\n")
	      == 0);
	/* incr whose result outgrows the item's chunk moves it */
	memset(want, 'n', 60);
	want[60] = 0;
	len = snprintf(b, sizeof(b), "set %s 0 0 1\r\n9\r\n", want);
	CHECK(strcmp(req_on(0, T0, b, (size_t)len), "STORED\r\n") == 0);
	len = snprintf(b, sizeof(b), "incr %s 18446744073709551606\r\n", want);
	CHECK(strcmp(req_on(0, T0, b, (size_t)len), "18446744073709551615\r\n") == 0);
	len = snprintf(b, sizeof(b), "get %s\r\n", want);
	req_on(0, T0, b, (size_t)len);
	CHECK(strstr((const char *)out + 8, " 0 20\r\n18446744073709551615\r\nEND") != NULL);
}

/* Two keys owned by different workers of 2, and a third with the first's owner. */
static void
keys_by_owner(char *k0, char *k1, char *k0b)
{
	unsigned found = 0;

	k0[0] = k1[0] = k0b[0] = 0;
	for (int i = 0; found != 7; i++) {
		char k[16];
		unsigned o;

		snprintf(k, sizeof(k), "key%d", i);
		o = kv_owner(kv_hash((const uint8_t *)k, strlen(k)), 2);
		if (o == 0 && !(found & 1)) {
			strcpy(k0, k);
			found |= 1;
		} else if (o == 0 && !(found & 4)) {
			strcpy(k0b, k);
			found |= 4;
		} else if (o == 1 && !(found & 2)) {
			strcpy(k1, k);
			found |= 2;
		}
	}
}

static void
route(const char *body, struct kv_route *r)
{
	uint8_t in[512] = { 0, 1, 0, 0, 0, 1, 0, 0 };
	size_t n = strlen(body);

	memcpy(in + 8, body, n);
	kv_proto_route(&st, 0, in, n + 8, r);
}

static void
test_workers(void)
{
	char k0[16], k1[16], k0b[16], b[256], want[256];
	struct kv_route r;

	setup(2, 64);
	keys_by_owner(k0, k1, k0b);
	snprintf(b, sizeof(b), "get %s\r\n", k1);
	route(b, &r);
	CHECK(!r.drop && !r.cross && r.home == 1);
	snprintf(b, sizeof(b), "get %s %s\r\nset %s 0 0 1\r\nx\r\n", k1, k0, k0b);
	route(b, &r);
	CHECK(!r.cross && r.home == 0);      /* the first key written decides */
	snprintf(b, sizeof(b), "set %s 0 0 1\r\nx\r\ndelete %s\r\n", k0, k1);
	route(b, &r);
	CHECK(r.cross);
	route("version\r\n", &r);
	CHECK(!r.cross && r.home == 0);
	/* each worker stores its own key; either reads both */
	snprintf(b, sizeof(b), "set %s 1 0 2\r\nv0\r\n", k0);
	CHECK(strcmp(req_on(0, T0, b, strlen(b)), "STORED\r\n") == 0);
	snprintf(b, sizeof(b), "set %s 2 0 2\r\nv1\r\n", k1);
	CHECK(strcmp(req_on(1, T0, b, strlen(b)), "STORED\r\n") == 0);
	snprintf(b, sizeof(b), "gets %s %s\r\n", k1, k0);
	snprintf(want, sizeof(want), "VALUE %s 2 2 2\r\nv1\r\nVALUE %s 1 2 1\r\nv0\r\nEND\r\n",
		 k1, k0);
	CHECK(strcmp(req_on(0, T0, b, strlen(b)), want) == 0);
	CHECK(strcmp(req_on(1, T0, b, strlen(b)), want) == 0);
	CHECK_EQ(st.wstats[0].remote_reads, 1);
	/* a write that reached the wrong worker anyway is refused, not done */
	snprintf(b, sizeof(b), "delete %s\r\n", k1);
	CHECK(strcmp(req_on(0, T0, b, strlen(b)), KV_ERR_CROSS "\r\n") == 0);
	CHECK(kv_proto_cross_reply(&st, 0, (const uint8_t *)"\0\7\0\0\0\1\0\0", out,
				   sizeof(out)) == 8 + sizeof(KV_ERR_CROSS) + 1);
	CHECK(out[1] == 7 && memcmp(out + 8, KV_ERR_CROSS "\r\n", 4) == 0);
}

int
main(void)
{
	test_frame();
	test_expiry();
	test_flush_all();
	test_cas_incr();
	test_limits();
	test_eviction();
	test_multi_datagram();
	test_workers();
	kv_store_fini(&st);
	return check_done("test_kv_proto");
}
