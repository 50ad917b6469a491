/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sockperf codec and the service-time generator: hand-built messages and
 * a message captured from the real sockperf 3.7 ping-pong client.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "service_time.h"
#include "sockperf.h"

/* Build a header (big endian) followed by data_len bytes of 0xa5. */
static size_t
build(uint8_t *buf, uint64_t seq, uint16_t flags, uint32_t length, size_t data_len)
{
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(seq >> (56 - 8 * i));
	buf[8] = (uint8_t)(flags >> 8);
	buf[9] = (uint8_t)flags;
	for (int i = 0; i < 4; i++)
		buf[10 + i] = (uint8_t)(length >> (24 - 8 * i));
	memset(buf + SOCKPERF_HDR_LEN, 0xa5, data_len);
	return SOCKPERF_HDR_LEN + data_len;
}

static void
test_parse(void)
{
	uint8_t m[64];
	struct sockperf_hdr h;
	size_t n = build(m, 0x0102030405060708ull, 0x0007, 0x0a0b0c0d, 4);

	CHECK_EQ(sockperf_parse(m, n, &h), 0);
	CHECK(h.seq == 0x0102030405060708ull);
	CHECK_EQ(h.flags, 0x0007);
	CHECK_EQ(h.length, 0x0a0b0c0d);
	CHECK_EQ(sockperf_parse(m, SOCKPERF_HDR_LEN - 1, &h), -EINVAL);
	CHECK_EQ(sockperf_parse(m, SOCKPERF_HDR_LEN, &h), 0);
}

static void
test_pong_request(void)
{
	uint8_t m[64], want[64];
	size_t n = build(m, 42, SOCKPERF_FLAG_CLIENT | SOCKPERF_FLAG_PONG_REQUEST, 40, 26);

	CHECK_EQ(n, 40);
	memcpy(want, m, n);
	want[9] = SOCKPERF_FLAG_PONG_REQUEST;	/* client flag cleared, rest the same */
	CHECK_EQ(sockperf_answer(m, n), SOCKPERF_REPLY);
	CHECK(memcmp(m, want, n) == 0);
}

static void
test_warmup_pong_request(void)
{
	uint8_t m[64], want[64];
	uint16_t f = SOCKPERF_FLAG_CLIENT | SOCKPERF_FLAG_PONG_REQUEST | SOCKPERF_FLAG_WARMUP;
	size_t n = build(m, 1, f, 14, 0);

	memcpy(want, m, n);
	want[9] = SOCKPERF_FLAG_PONG_REQUEST | SOCKPERF_FLAG_WARMUP;
	CHECK_EQ(sockperf_answer(m, n), SOCKPERF_REPLY);
	CHECK(memcmp(m, want, n) == 0);
}

static void
test_no_reply(void)
{
	uint8_t m[64], orig[64];
	size_t n;

	/* A client message without the pong-request flag (throughput mode). */
	n = build(m, 7, SOCKPERF_FLAG_CLIENT, 20, 6);
	memcpy(orig, m, n);
	CHECK_EQ(sockperf_answer(m, n), SOCKPERF_NOT_PONG_REQUEST);
	CHECK(memcmp(m, orig, n) == 0);

	/* Shorter than the header. */
	n = build(m, 7, SOCKPERF_FLAG_CLIENT | SOCKPERF_FLAG_PONG_REQUEST, 13, 0);
	CHECK_EQ(sockperf_answer(m, 13), SOCKPERF_SHORT);
	CHECK_EQ(sockperf_answer(m, 0), SOCKPERF_SHORT);

	/* Length field says more, or less, than the payload holds. */
	n = build(m, 7, SOCKPERF_FLAG_CLIENT | SOCKPERF_FLAG_PONG_REQUEST, 30, 10);
	memcpy(orig, m, n);
	CHECK_EQ(sockperf_answer(m, n), SOCKPERF_BAD_LENGTH);
	CHECK(memcmp(m, orig, n) == 0);
	n = build(m, 7, SOCKPERF_FLAG_CLIENT | SOCKPERF_FLAG_PONG_REQUEST, 14, 10);
	CHECK_EQ(sockperf_answer(m, n), SOCKPERF_BAD_LENGTH);
	CHECK(strcmp(sockperf_verdict_name(SOCKPERF_BAD_LENGTH), "bad_length") == 0);
}

/*
 * Captured on loopback (tshark) from Debian's sockperf 3.7:
 * `sockperf ping-pong -i 127.0.0.1 -p 11111 --msg-size 32` against
 * `sockperf server`: the first request's UDP payload and the server's reply.
 */
static const uint8_t captured_req[32] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00,
	0x00, 0x20, 0xd4, 0xab, 0xb2, 0xcd, 0xc6, 0x9b, 0xb4, 0x54, 0x11, 0x0e,
	0x82, 0x74, 0x41, 0x21, 0x3d, 0xdc, 0x87, 0x70,
};
static const uint8_t captured_reply[32] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x20, 0xd4, 0xab, 0xb2, 0xcd, 0xc6, 0x9b, 0xb4, 0x54, 0x11, 0x0e,
	0x82, 0x74, 0x41, 0x21, 0x3d, 0xdc, 0x87, 0x70,
};
/* The same client with --msg-size 14 (header only), sequence number 2. */
static const uint8_t captured_req14[14] = {
	0, 0, 0, 0, 0, 0, 0, 2, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0e,
};
static const uint8_t captured_reply14[14] = {
	0, 0, 0, 0, 0, 0, 0, 2, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0e,
};

static void
test_captured(void)
{
	uint8_t m[32];
	struct sockperf_hdr h;

	memcpy(m, captured_req, sizeof(m));
	CHECK_EQ(sockperf_parse(m, sizeof(m), &h), 0);
	CHECK(h.seq == 1);
	CHECK_EQ(h.flags, SOCKPERF_FLAG_CLIENT | SOCKPERF_FLAG_PONG_REQUEST);
	CHECK_EQ(h.length, 32);
	CHECK_EQ(sockperf_answer(m, sizeof(m)), SOCKPERF_REPLY);
	CHECK(memcmp(m, captured_reply, sizeof(m)) == 0);

	memcpy(m, captured_req14, sizeof(captured_req14));
	CHECK_EQ(sockperf_answer(m, sizeof(captured_req14)), SOCKPERF_REPLY);
	CHECK(memcmp(m, captured_reply14, sizeof(captured_reply14)) == 0);
}

static void
test_service_time(void)
{
	struct svc_rng a, b, z;
	double sum = 0, u;
	uint64_t x;
	const unsigned n = 200000;
	const uint64_t mean = 1000;
	int in_range = 1, differ = 0;

	svc_rng_seed(&a, 0);
	svc_rng_seed(&b, 1);
	svc_rng_seed(&z, 0);
	CHECK(a.s != 0);
	for (int i = 0; i < 8; i++) {
		x = svc_rng_next(&a);
		differ |= x != svc_rng_next(&b);
		CHECK(x == svc_rng_next(&z));	/* same seed, same stream */
	}
	CHECK(differ);				/* workers get different streams */
	for (unsigned i = 0; i < n; i++) {
		u = svc_rng_unit(&a);
		in_range &= u > 0.0 && u <= 1.0;
		sum += (double)svc_exp_draw(&b, mean);
	}
	CHECK(in_range);
	/* Mean of 200000 exponential draws: standard error 1000/sqrt(2e5) ~ 2.2. */
	CHECK(sum / n > mean * 0.97 && sum / n < mean * 1.03);
	CHECK_EQ(svc_exp_draw(&a, 0), 0);
}

int
main(void)
{
	test_parse();
	test_pong_request();
	test_warmup_pong_request();
	test_no_reply();
	test_captured();
	test_service_time();
	return check_done("test_sockperf");
}
