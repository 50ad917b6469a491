/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "drop_log.h"
#include "engine.h"
#include "engine_stats.h"
#include "mono_clock.h"
#include "worker.h"

static const enum tern_ctr reason_ctr[TERN_DL_MAX] = {
	[TERN_DL_AMPLIFICATION] = TERN_CTR_DROP_AMPLIFICATION,
	[TERN_DL_RATE_LIMIT] = TERN_CTR_DROP_RATE_LIMIT,
	[TERN_DL_BAD_SOURCE] = TERN_CTR_DROP_BAD_SOURCE,
	[TERN_DL_TOO_BIG] = TERN_CTR_DROP_TOO_BIG,
};

void
tern_droplog_push(struct tern_droplog *d, const struct tern_drop_note *n)
{
	uint32_t head = __atomic_load_n(&d->head, __ATOMIC_ACQUIRE);

	if (d->tail - head >= TERN_DROPLOG_RING)
		return;
	d->n[d->tail % TERN_DROPLOG_RING] = *n;
	__atomic_store_n(&d->tail, d->tail + 1, __ATOMIC_RELEASE);
}

/* "ADDR:PORT" (IPv6: "[ADDR]:PORT"), or "an unknown source". */
static void
format_source(const struct tern_drop_note *n, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (n->family != 4 && n->family != 6) {
		snprintf(buf, len, "an unknown source");
		return;
	}
	inet_ntop(n->family == 4 ? AF_INET : AF_INET6, n->src, ip, sizeof(ip));
	if (n->sport == 0)
		snprintf(buf, len, "%s", ip);
	else
		snprintf(buf, len, n->family == 4 ? "%s:%u" : "[%s]:%u", ip, n->sport);
}

void
tern_drop_note_format(const struct tern_drop_note *n, uint64_t others, char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN + 10];
	int k = 0;

	format_source(n, src, sizeof(src));
	switch (n->why) {
	case TERN_DL_AMPLIFICATION:
		k = snprintf(buf, len,
			     "drop_amplification: a reply to %s (app %s, udp %u) was %u bytes of IP "
			     "for a %u-byte request, over max_amplification=%u for a source that is "
			     "not trusted; trust its prefix (trust add PREFIX) or load the app with a "
			     "larger max_amplification=N",
			     src, n->app, n->dport, n->a, n->b, n->lim);
		break;
	case TERN_DL_RATE_LIMIT:
		k = snprintf(buf, len,
			     "drop_rate_limit: a request from %s (app %s, udp %u) was over the app's "
			     "per-source rate limit rate_limit=%u/%u; raise the app's "
			     "rate_limit=RATE[/BURST] if the source is legitimate",
			     src, n->app, n->dport, n->a, n->b);
		break;
	case TERN_DL_BAD_SOURCE:
		k = snprintf(buf, len,
			     "drop_bad_source: a request from %s (udp %u) came from an address no "
			     "reply may go to (unspecified, loopback, multicast, broadcast, class E "
			     "or tern's own); fix the sender, or find what spoofs it",
			     src, n->dport);
		break;
	case TERN_DL_TOO_BIG:
		k = snprintf(buf, len,
			     "drop_too_big: a frame from %s on port %u was %u bytes of IP, over the "
			     "port's MTU %u; raise the MTU of the port's device (for a veth or TAP: "
			     "ip link set IF mtu N) or lower the sender's",
			     src, n->port, n->a, n->lim);
		break;
	default:
		k = snprintf(buf, len, "drop: reason %u", n->why);
		break;
	}
	if (k >= 0 && (size_t)k < len && others != 0)
		snprintf(buf + k, len - (size_t)k, " [%" PRIu64 " more like it since the last line]",
			 others);
}

/* Print n unless a line of its reason was printed less than a second ago. */
static bool
print_note(struct tern_droplog_ctl *ctl, const uint64_t *total, const struct tern_drop_note *n,
	   uint64_t now, FILE *f)
{
	uint64_t seen, others;
	char line[512];

	if (n->why >= TERN_DL_MAX ||
	    (ctl->last_ns[n->why] != 0 && now - ctl->last_ns[n->why] < NS_PER_S))
		return false;
	seen = total[reason_ctr[n->why]];
	others = seen > ctl->counted[n->why] ? seen - ctl->counted[n->why] - 1 : 0;
	ctl->last_ns[n->why] = now;
	ctl->counted[n->why] = seen;
	tern_drop_note_format(n, others, line, sizeof(line));
	fprintf(f, "ternd: %s\n", line);
	return true;
}

unsigned
tern_engine_droplog_drain(struct tern_engine *e, FILE *f)
{
	uint64_t total[TERN_CTR_MAX], now = tern_mono_ns();
	bool have_total = false;
	unsigned printed = 0;

	for (unsigned w = 0; w < e->n_workers; w++) {
		struct tern_droplog *d = &e->workers[w].droplog;
		uint32_t tail = __atomic_load_n(&d->tail, __ATOMIC_ACQUIRE);

		for (uint32_t h = d->head; h != tail; h++) {
			if (!have_total) {
				tern_engine_ctr_total(e, tern_engine_port_counters, total);
				have_total = true;
			}
			printed += print_note(&e->droplog, total, &d->n[h % TERN_DROPLOG_RING], now,
					      f);
		}
		__atomic_store_n(&d->head, tail, __ATOMIC_RELEASE);
	}
	if (printed != 0)
		fflush(f);
	return printed;
}
